// Fuzzes access-log line formatting: a record whose every text field holds arbitrary bytes
// (keys, user agents, referers, request lines...) must still give one line that parses back
// into the same 26 fields (27 with the source region), each of which unescapes to the record's
// value; the key field is the record's key URL-encoded once. ParseAccessLogLine and
// ParseAccessLogTime on arbitrary bytes must not crash either, and a time that parses formats
// back to the same text.
// Thread-safety: libFuzzer calls LLVMFuzzerTestOneInput from one thread.
#include <fuzzer/FuzzedDataProvider.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "logging/access_log_line.h"
#include "logging/access_log_record.h"

namespace {

using logbucket::logging::AccessLogField;
using logbucket::logging::AccessLogRecord;
namespace lg = logbucket::logging;

std::string Text(FuzzedDataProvider& p) { return p.ConsumeRandomLengthString(48); }

std::optional<std::string> OptionalText(FuzzedDataProvider& p) {
  if (p.ConsumeBool()) return std::nullopt;
  return Text(p);
}

std::optional<uint64_t> OptionalNumber(FuzzedDataProvider& p) {
  if (p.ConsumeBool()) return std::nullopt;
  return p.ConsumeIntegral<uint64_t>();
}

// What the field must unescape to: the record's value, or "-" where the formatter writes an
// absent value.
void Expect(const lg::ParsedAccessLogLine& line, AccessLogField field, const std::string& value,
            bool dash_when_empty = true) {
  std::string got = lg::UnescapeAccessLogField(field, line.Get(field));
  if (got != (value.empty() && dash_when_empty ? "-" : value)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider p(data, size);
  AccessLogRecord r;
  r.bucket_owner = Text(p);
  r.bucket = Text(p);
  // Any second from 1970 to 2199 (system_clock counts nanoseconds in 64 bits: +-292 years).
  r.time = std::chrono::system_clock::time_point(
      std::chrono::seconds(p.ConsumeIntegralInRange<int64_t>(0, 7258118399)));
  r.remote_ip = Text(p);
  r.requester = Text(p);
  r.request_id = Text(p);
  r.operation = Text(p);
  r.key = Text(p);
  r.request_uri = OptionalText(p);
  r.http_status = p.ConsumeIntegralInRange<int>(0, 999);
  r.error_code = Text(p);
  r.bytes_sent = p.ConsumeIntegral<uint64_t>();
  r.object_size = OptionalNumber(p);
  r.total_time_ms = OptionalNumber(p);
  r.turn_around_time_ms = OptionalNumber(p);
  r.referer = OptionalText(p);
  r.user_agent = OptionalText(p);
  r.version_id = Text(p);
  r.host_id = Text(p);
  r.signature_version = Text(p);
  r.cipher_suite = Text(p);
  r.auth_type = Text(p);
  r.host_header = Text(p);
  r.tls_version = Text(p);
  r.access_point_arn = Text(p);
  r.acl_required = p.ConsumeBool();
  r.source_region = Text(p);
  bool with_region = p.ConsumeBool();
  std::string tail = p.ConsumeRemainingBytesAsString();
  (void)lg::ParseAccessLogLine(tail);
  // The 26 bytes after the tail's first '[' as a time: if it parses, it formats back to itself
  // (but a leap second ":60", which rolls over).
  if (size_t at = tail.find('['); at != std::string::npos) {
    std::string text = tail.substr(at + 1, 26);
    if (auto t = lg::ParseAccessLogTime(text)) {
      if (text.substr(18, 2) != "60" && lg::FormatAccessLogTime(*t) != text) std::abort();
    }
  }

  std::string formatted = lg::FormatAccessLogLine(r, with_region);
  if (formatted.find('\n') != std::string::npos) std::abort();
  auto parsed = lg::ParseAccessLogLine(formatted);
  if (!parsed) std::abort();
  if (parsed->size() != lg::kAccessLogFieldCount + (with_region ? 1 : 0)) std::abort();

  Expect(*parsed, AccessLogField::kBucketOwner, r.bucket_owner);
  Expect(*parsed, AccessLogField::kBucket, r.bucket);
  auto time = lg::ParseAccessLogTime(parsed->Get(AccessLogField::kTime));
  if (!time || *time != r.time) std::abort();
  Expect(*parsed, AccessLogField::kRemoteIp, r.remote_ip);
  Expect(*parsed, AccessLogField::kRequester, r.requester);
  Expect(*parsed, AccessLogField::kRequestId, r.request_id);
  Expect(*parsed, AccessLogField::kOperation, r.operation);
  std::string key = r.key.empty() ? "-" : lg::UrlEncodeLogKey(r.key);
  if (parsed->Get(AccessLogField::kKey) != key) std::abort();
  // The request line is written "" when present but empty, a bare - when absent.
  if (r.request_uri) {
    Expect(*parsed, AccessLogField::kRequestUri, *r.request_uri, /*dash_when_empty=*/false);
  } else {
    Expect(*parsed, AccessLogField::kRequestUri, "-");
  }
  Expect(*parsed, AccessLogField::kErrorCode, r.error_code);
  Expect(*parsed, AccessLogField::kReferer, r.referer.value_or(""));
  Expect(*parsed, AccessLogField::kUserAgent, r.user_agent.value_or(""));
  Expect(*parsed, AccessLogField::kVersionId, r.version_id);
  Expect(*parsed, AccessLogField::kHostId, r.host_id);
  Expect(*parsed, AccessLogField::kSignatureVersion, r.signature_version);
  Expect(*parsed, AccessLogField::kCipherSuite, r.cipher_suite);
  Expect(*parsed, AccessLogField::kAuthType, r.auth_type);
  Expect(*parsed, AccessLogField::kHostHeader, r.host_header);
  Expect(*parsed, AccessLogField::kTlsVersion, r.tls_version);
  Expect(*parsed, AccessLogField::kAccessPointArn, r.access_point_arn);
  if (parsed->Get(AccessLogField::kAclRequired) != (r.acl_required ? "Yes" : "-")) std::abort();
  if (with_region) Expect(*parsed, AccessLogField::kSourceRegion, r.source_region);
  return 0;
}
