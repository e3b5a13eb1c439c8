// The spool's entry format: one access-log record with everything its delivery needs, as one
// line of a spool segment, and the small codecs the spool's files share (escaped fields, stored
// millisecond times). Pure functions; thread-safe.
#pragma once

#include <charconv>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "logging/logging_configuration.h"

namespace logbucket::logging {

struct SpoolEntry {
  std::string target_bucket;
  std::string target_prefix;
  KeyFormat key_format = KeyFormat::kSimplePrefix;
  PartitionDateSource date_source = PartitionDateSource::kEventTime;
  std::string source_account;
  std::string source_region;
  std::chrono::system_clock::time_point event_time;
  std::string line;  // a formatted access-log line; must not contain '\n', '\r' or NUL

  bool operator==(const SpoolEntry&) const = default;
};

// One entry as a spool line (with its '\n') and back. The encoding holds no NUL and no other
// '\n'. Decoding fails on a malformed line, including an event time outside what a
// system_clock::time_point holds (1677..2262).
std::string EncodeSpoolEntry(const SpoolEntry& entry);
// EncodeSpoolEntry appending to `out` (which keeps its capacity: no allocation once it has grown).
void AppendSpoolEntry(std::string& out, const SpoolEntry& entry);
std::optional<SpoolEntry> DecodeSpoolEntry(std::string_view line);

// Whether `bucket` may name a spool file: 1 to 200 bytes of [A-Za-z0-9._-], not starting with '.'.
bool IsSpoolableBucketName(std::string_view bucket);

// Whether `line` may be SpoolEntry::line: no '\n', '\r' or NUL.
bool IsSpoolableLine(std::string_view line);

// A field percent-encoded so that no byte below 0x20 (tab, newline, NUL), no 0x7F and no '%'
// remains raw, and back; unescaping fails on a malformed escape.
std::string EscapeSpoolField(std::string_view value);
std::optional<std::string> UnescapeSpoolField(std::string_view text);

// The whole of `text` as a decimal integer of type Int (spool names and fields); nullopt for
// anything else, empty text included.
template <typename Int>
std::optional<Int> ParseInt(std::string_view text) {
  Int value{};
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || text.empty()) {
    return std::nullopt;
  }
  return value;
}

// A stored millisecond count as a time point; nullopt beyond what system_clock's 64-bit
// nanosecond count holds (1677-09-21 .. 2262-04-11), which would overflow.
std::optional<std::chrono::system_clock::time_point> TimeFromMillis(int64_t millis);

}  // namespace logbucket::logging
