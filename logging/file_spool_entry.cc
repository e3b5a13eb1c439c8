#include "logging/file_spool_entry.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <vector>

namespace logbucket::logging {
namespace {

constexpr std::string_view kEntryVersion = "1";

// Metadata fields of an entry are percent-encoded so that no tab, newline or NUL (the entry's
// separators and the spool's torn-slot marker) and no '%' remain raw: prefixes come from clients
// and may hold any byte.
void AppendEscapedMeta(std::string& out, std::string_view value) {
  constexpr char kHex[] = "0123456789ABCDEF";
  for (char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F || c == '%') {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0x0F]);
    } else {
      out.push_back(ch);
    }
  }
}

}  // namespace

std::string EscapeSpoolField(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  AppendEscapedMeta(out, value);
  return out;
}

bool IsSpoolableLine(std::string_view text) {
  return text.empty() || (std::memchr(text.data(), '\n', text.size()) == nullptr &&
                          std::memchr(text.data(), '\r', text.size()) == nullptr &&
                          std::memchr(text.data(), '\0', text.size()) == nullptr);
}

std::optional<std::string> UnescapeSpoolField(std::string_view text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  };
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size() || hex(text[i + 1]) < 0 || hex(text[i + 2]) < 0) {
      return std::nullopt;
    }
    out.push_back(static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2])));
    i += 2;
  }
  return out;
}

std::optional<std::chrono::system_clock::time_point> TimeFromMillis(int64_t millis) {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  using Duration = std::chrono::system_clock::duration;
  constexpr int64_t kMax = duration_cast<milliseconds>(Duration::max()).count();
  constexpr int64_t kMin = duration_cast<milliseconds>(Duration::min()).count();
  if (millis > kMax || millis < kMin) {
    return std::nullopt;
  }
  return std::chrono::system_clock::time_point(duration_cast<Duration>(milliseconds(millis)));
}

void AppendSpoolEntry(std::string& out, const SpoolEntry& entry) {
  const int64_t event_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(entry.event_time.time_since_epoch())
          .count();
  // "<version>\t<target>\t<prefix>\t<S|P>\t<E|D>\t<account>\t<region>\t<event ms>\t<line>\n"
  out.reserve(out.size() + entry.target_bucket.size() + entry.target_prefix.size() +
              entry.source_account.size() + entry.source_region.size() + entry.line.size() + 48);
  out.append(kEntryVersion);
  out.push_back('\t');
  AppendEscapedMeta(out, entry.target_bucket);
  out.push_back('\t');
  AppendEscapedMeta(out, entry.target_prefix);
  out.push_back('\t');
  out.push_back(entry.key_format == KeyFormat::kSimplePrefix ? 'S' : 'P');
  out.push_back('\t');
  out.push_back(entry.date_source == PartitionDateSource::kEventTime ? 'E' : 'D');
  out.push_back('\t');
  AppendEscapedMeta(out, entry.source_account);
  out.push_back('\t');
  AppendEscapedMeta(out, entry.source_region);
  out.push_back('\t');
  const fmt::format_int millis(event_ms);
  out.append(millis.data(), millis.size());
  out.push_back('\t');
  out.append(entry.line);
  out.push_back('\n');
}

std::string EncodeSpoolEntry(const SpoolEntry& entry) {
  std::string out;
  AppendSpoolEntry(out, entry);
  return out;
}

std::optional<SpoolEntry> DecodeSpoolEntry(std::string_view line) {
  if (!line.empty() && line.back() == '\n') {
    line.remove_suffix(1);
  }
  std::vector<std::string_view> parts;
  for (int i = 0; i < 8; ++i) {
    const std::size_t tab = line.find('\t');
    if (tab == std::string_view::npos) {
      return std::nullopt;
    }
    parts.push_back(line.substr(0, tab));
    line.remove_prefix(tab + 1);
  }
  if (parts[0] != kEntryVersion || !IsSpoolableLine(line)) {
    return std::nullopt;
  }
  SpoolEntry entry;
  auto target = UnescapeSpoolField(parts[1]);
  auto prefix = UnescapeSpoolField(parts[2]);
  auto account = UnescapeSpoolField(parts[5]);
  auto region = UnescapeSpoolField(parts[6]);
  const auto event_ms = ParseInt<int64_t>(parts[7]);
  const auto event_time = event_ms ? TimeFromMillis(*event_ms) : std::nullopt;
  if (!target || !prefix || !account || !region || !event_time) {
    return std::nullopt;
  }
  if ((parts[3] != "S" && parts[3] != "P") || (parts[4] != "E" && parts[4] != "D")) {
    return std::nullopt;
  }
  entry.target_bucket = std::move(*target);
  entry.target_prefix = std::move(*prefix);
  entry.key_format = parts[3] == "S" ? KeyFormat::kSimplePrefix : KeyFormat::kPartitionedPrefix;
  entry.date_source =
      parts[4] == "E" ? PartitionDateSource::kEventTime : PartitionDateSource::kDeliveryTime;
  entry.source_account = std::move(*account);
  entry.source_region = std::move(*region);
  entry.event_time = *event_time;
  entry.line = std::string(line);
  return entry;
}

bool IsSpoolableBucketName(std::string_view bucket) {
  if (bucket.empty() || bucket.size() > 200 || bucket.front() == '.') {
    return false;
  }
  return std::all_of(bucket.begin(), bucket.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '_';
  });
}

}  // namespace logbucket::logging
