// Access-log line: the one place that knows how an AccessLogRecord becomes Amazon's text line, and
// how such a line is read back. Pure functions; thread-safe.
//
// Line format: the 26 fields of Amazon S3 server access logs in Amazon's order, separated by single
// spaces, no trailing newline (plus the 27th source-region field when asked). Only the request
// line, the referer and the user agent are double-quoted; the time is in square brackets; absent
// values are a bare "-". Every line matches the Athena regex of Amazon's documentation with each
// field in its own group, whatever bytes the record holds.
//
// Escaping (reversible; see UnescapeAccessLogField). Each field has a set E of bytes that would
// break the line's structure; a byte of E is written as "%XX" (upper-case hex):
//   bare fields (owner, bucket, requester...)  E = ' ', '"', bytes < 0x20, 0x7F
//   request line and user agent (quoted)       E = '"', '\\', bytes < 0x20, 0x7F
//   referer (quoted, but Athena reads it as [^ ]*) E = the quoted set plus ' '
// A '%' of the value is itself written as "%25" only when it starts a sequence "%XX" (upper-case
// hex) that names a byte of E or '%', i.e. only where it would otherwise be ambiguous; so ordinary
// percent-encoded text ("%2F", "%20" in a request line) is logged exactly as received. Bytes >=
// 0x80 (valid or invalid UTF-8) are kept as they are. The key field is not escaped this way: it is
// URL-encoded once (every byte except A-Z a-z 0-9
// - _ . ~ and '/' becomes "%XX"), as Amazon does, which already leaves no space, quote or control
// byte in it.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "logging/access_log_record.h"

namespace logbucket::logging {

// Field positions (0-based) in a line.
enum class AccessLogField : std::size_t {
  kBucketOwner = 0,
  kBucket,
  kTime,
  kRemoteIp,
  kRequester,
  kRequestId,
  kOperation,
  kKey,
  kRequestUri,
  kHttpStatus,
  kErrorCode,
  kBytesSent,
  kObjectSize,
  kTotalTime,
  kTurnAroundTime,
  kReferer,
  kUserAgent,
  kVersionId,
  kHostId,
  kSignatureVersion,
  kCipherSuite,
  kAuthType,
  kHostHeader,
  kTlsVersion,
  kAccessPointArn,
  kAclRequired,
  kSourceRegion,  // the newer 27th field, present only in lines that carry it
};

inline constexpr std::size_t kAccessLogFieldCount = 26;  // fields every line has

// Formats `r` as one line (see the contract above). With `with_source_region`, appends the 27th
// field (r.source_region, "-" when empty).
std::string FormatAccessLogLine(const AccessLogRecord& r, bool with_source_region);
// The same line written into `out` (replacing its contents, keeping its capacity: no allocation
// once it has grown), with `source_region` as the 27th field when given (r.source_region is not
// read). For the per-request path.
void FormatAccessLogLineInto(std::string& out, const AccessLogRecord& r,
                             std::optional<std::string_view> source_region);

// Amazon's key encoding: every byte except A-Z a-z 0-9 - _ . ~ '/' as "%XX"; "" stays "".
std::string UrlEncodeLogKey(std::string_view key);

// "[06/Feb/2019:00:00:38 +0000]" without the brackets: UTC, second precision.
std::string FormatAccessLogTime(std::chrono::system_clock::time_point t);
// Inverse of FormatAccessLogTime; nullopt when `text` is not of that form.
std::optional<std::chrono::system_clock::time_point> ParseAccessLogTime(std::string_view text);

// A line split into its fields: the text of each field as logged (escapes kept), without the
// quotes or brackets that enclose it.
class ParsedAccessLogLine {
 public:
  struct FieldText {
    std::string text;
    bool quoted = false;  // written between double quotes ("-" and "\"-\"" both give text "-")
  };

  explicit ParsedAccessLogLine(std::vector<FieldText> fields) : fields_(std::move(fields)) {}

  // Number of fields: 26, or more when the line carries appended fields.
  std::size_t size() const { return fields_.size(); }
  // Requires index < size().
  const std::string& operator[](std::size_t index) const { return fields_[index].text; }
  // Requires the field to be present (kSourceRegion only when size() > 26).
  const std::string& Get(AccessLogField field) const {
    return fields_[static_cast<std::size_t>(field)].text;
  }
  bool IsQuoted(AccessLogField field) const {
    return fields_[static_cast<std::size_t>(field)].quoted;
  }
  bool Has(AccessLogField field) const { return static_cast<std::size_t>(field) < size(); }

 private:
  std::vector<FieldText> fields_;
};

// Splits a line written by FormatAccessLogLine (or by Amazon). Accepts 26 fields or more; the
// error says which field is malformed.
std::expected<ParsedAccessLogLine, std::string> ParseAccessLogLine(std::string_view line);

// Undoes the escaping of the field's kind (not the key's URL-encoding): returns the bytes the
// record held. For the key field returns the text unchanged.
std::string UnescapeAccessLogField(AccessLogField field, std::string_view text);

}  // namespace logbucket::logging
