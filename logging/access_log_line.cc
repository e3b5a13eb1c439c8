#include "logging/access_log_line.h"

#include <fmt/format.h>

#include <array>
#include <cstdint>

namespace logbucket::logging {
namespace {

enum class FieldKind { kBare, kQuoted, kReferer, kKey };

constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr char kHexDigits[] = "0123456789ABCDEF";

constexpr bool InEscapeSet(FieldKind kind, unsigned char c) {
  if (c < 0x20 || c == 0x7F) {
    return true;
  }
  switch (kind) {
    case FieldKind::kBare:
      return c == ' ' || c == '"';
    case FieldKind::kQuoted:
      return c == '"' || c == '\\';
    case FieldKind::kReferer:
      return c == '"' || c == '\\' || c == ' ';
    case FieldKind::kKey:
      return false;
  }
  return false;
}

// For each kind, the bytes that AppendEscaped must look at: the kind's set and '%'. Derived from
// InEscapeSet, so the two cannot disagree.
using AttentionTable = std::array<bool, 256>;
constexpr AttentionTable MakeAttention(FieldKind kind) {
  AttentionTable t{};
  for (unsigned c = 0; c < 256; ++c) {
    t[c] = c == '%' || InEscapeSet(kind, static_cast<unsigned char>(c));
  }
  return t;
}
constexpr std::array<AttentionTable, 4> kAttention = {
    MakeAttention(FieldKind::kBare), MakeAttention(FieldKind::kQuoted),
    MakeAttention(FieldKind::kReferer), MakeAttention(FieldKind::kKey)};

int UpperHexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

// The byte named by "%XX" at text[i] when it is an escape sequence of `kind`; -1 otherwise.
int EscapedByteAt(FieldKind kind, std::string_view text, std::size_t i) {
  if (text[i] != '%' || i + 2 >= text.size()) {
    return -1;
  }
  const int hi = UpperHexValue(text[i + 1]);
  const int lo = UpperHexValue(text[i + 2]);
  if (hi < 0 || lo < 0) {
    return -1;
  }
  const auto byte = static_cast<unsigned char>(hi * 16 + lo);
  return (byte == '%' || InEscapeSet(kind, byte)) ? byte : -1;
}

void AppendPercent(std::string& out, unsigned char c) {
  out.push_back('%');
  out.push_back(kHexDigits[c >> 4]);
  out.push_back(kHexDigits[c & 0x0F]);
}

// Appends the escaping of `value` for `kind` to `out`.
void AppendEscaped(std::string& out, FieldKind kind, std::string_view value) {
  // Most values hold no byte of the set and no '%': they are appended whole.
  const AttentionTable& attention = kAttention[static_cast<std::size_t>(kind)];
  bool plain = true;
  for (const char ch : value) {
    if (attention[static_cast<unsigned char>(ch)]) {
      plain = false;
      break;
    }
  }
  if (plain) {
    out.append(value);
    return;
  }
  for (std::size_t i = 0; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (InEscapeSet(kind, c) || EscapedByteAt(kind, value, i) >= 0) {
      AppendPercent(out, c);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
}

std::string Unescape(FieldKind kind, std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const int byte = EscapedByteAt(kind, text, i);
    if (byte >= 0) {
      out.push_back(static_cast<char>(byte));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

FieldKind KindOf(AccessLogField field) {
  switch (field) {
    case AccessLogField::kKey:
      return FieldKind::kKey;
    case AccessLogField::kRequestUri:
    case AccessLogField::kUserAgent:
      return FieldKind::kQuoted;
    case AccessLogField::kReferer:
      return FieldKind::kReferer;
    default:
      return FieldKind::kBare;
  }
}

void AppendBare(std::string& out, std::string_view value) {
  out.push_back(' ');
  if (value.empty()) {
    out.push_back('-');
  } else {
    AppendEscaped(out, FieldKind::kBare, value);
  }
}

void AppendQuoted(std::string& out, FieldKind kind, const std::optional<std::string>& value,
                  bool dash_when_empty) {
  out.push_back(' ');
  if (!value) {
    out.push_back('-');
    return;
  }
  out.push_back('"');
  if (value->empty() && dash_when_empty) {
    out.push_back('-');
  } else {
    AppendEscaped(out, kind, *value);
  }
  out.push_back('"');
}

void AppendNumber(std::string& out, std::optional<uint64_t> value) {
  out.push_back(' ');
  if (value) {
    const fmt::format_int digits(*value);
    out.append(digits.data(), digits.size());
  } else {
    out.push_back('-');
  }
}

// FormatAccessLogTime(t), formatted once per second and thread: records of one second share it.
std::string_view CachedAccessLogTime(std::chrono::system_clock::time_point t) {
  thread_local std::chrono::system_clock::rep second = 0;
  thread_local std::string text;
  const auto this_second = std::chrono::floor<std::chrono::seconds>(t).time_since_epoch().count();
  if (text.empty() || this_second != second) {
    text = FormatAccessLogTime(t);
    second = this_second;
  }
  return text;
}

void AppendUrlEncodedKey(std::string& out, std::string_view key) {
  for (char ch : key) {
    const auto c = static_cast<unsigned char>(ch);
    const bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.' || c == '~' || c == '/';
    if (keep) {
      out.push_back(ch);
    } else {
      AppendPercent(out, c);
    }
  }
}

bool ParseDigits(std::string_view text, int& value) {
  value = 0;
  if (text.empty()) {
    return false;
  }
  for (char c : text) {
    if (c < '0' || c > '9') {
      return false;
    }
    value = value * 10 + (c - '0');
  }
  return true;
}

}  // namespace

std::string UrlEncodeLogKey(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  AppendUrlEncodedKey(out, key);
  return out;
}

std::string FormatAccessLogTime(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto secs = floor<seconds>(t);
  const auto day = floor<days>(secs);
  const year_month_day ymd{day};
  const hh_mm_ss hms{secs - day};
  return fmt::format("{:02}/{}/{:04}:{:02}:{:02}:{:02} +0000", static_cast<unsigned>(ymd.day()),
                     kMonths[static_cast<unsigned>(ymd.month()) - 1], static_cast<int>(ymd.year()),
                     hms.hours().count(), hms.minutes().count(), hms.seconds().count());
}

std::optional<std::chrono::system_clock::time_point> ParseAccessLogTime(std::string_view text) {
  using namespace std::chrono;
  // "06/Feb/2019:00:00:38 +0000"
  if (text.size() != 26 || text[2] != '/' || text[6] != '/' || text[11] != ':' || text[14] != ':' ||
      text[17] != ':' || text.substr(20) != " +0000") {
    return std::nullopt;
  }
  int d = 0, y = 0, h = 0, mi = 0, s = 0;
  if (!ParseDigits(text.substr(0, 2), d) || !ParseDigits(text.substr(7, 4), y) ||
      !ParseDigits(text.substr(12, 2), h) || !ParseDigits(text.substr(15, 2), mi) ||
      !ParseDigits(text.substr(18, 2), s)) {
    return std::nullopt;
  }
  unsigned month = 0;
  for (unsigned i = 0; i < kMonths.size(); ++i) {
    if (kMonths[i] == text.substr(3, 3)) {
      month = i + 1;
    }
  }
  const year_month_day ymd{year{y}, std::chrono::month{month}, std::chrono::day{unsigned(d)}};
  if (month == 0 || !ymd.ok() || h > 23 || mi > 59 || s > 60) {
    return std::nullopt;
  }
  const sys_seconds t = sys_days{ymd} + hours{h} + minutes{mi} + seconds{s};
  // system_clock counts nanoseconds in 64 bits: it holds 1677-09-21 to 2262-04-11 only.
  if (t < time_point_cast<seconds>(system_clock::time_point::min()) ||
      t > time_point_cast<seconds>(system_clock::time_point::max())) {
    return std::nullopt;
  }
  return time_point_cast<system_clock::duration>(t);
}

std::string FormatAccessLogLine(const AccessLogRecord& r, bool with_source_region) {
  std::string out;
  out.reserve(512);
  FormatAccessLogLineInto(
      out, r, with_source_region ? std::optional<std::string_view>(r.source_region) : std::nullopt);
  return out;
}

void FormatAccessLogLineInto(std::string& out, const AccessLogRecord& r,
                             std::optional<std::string_view> source_region) {
  out.clear();
  if (r.bucket_owner.empty()) {
    out.push_back('-');
  } else {
    AppendEscaped(out, FieldKind::kBare, r.bucket_owner);
  }
  AppendBare(out, r.bucket);
  out += " [";
  out += CachedAccessLogTime(r.time);
  out.push_back(']');
  AppendBare(out, r.remote_ip);
  AppendBare(out, r.requester);
  AppendBare(out, r.request_id);
  AppendBare(out, r.operation);
  out.push_back(' ');
  if (r.key.empty()) {
    out.push_back('-');
  } else {
    AppendUrlEncodedKey(out, r.key);
  }
  AppendQuoted(out, FieldKind::kQuoted, r.request_uri, /*dash_when_empty=*/false);
  AppendNumber(out, r.http_status > 0 ? std::optional<uint64_t>(r.http_status) : std::nullopt);
  AppendBare(out, r.error_code);
  AppendNumber(out, r.bytes_sent > 0 ? std::optional<uint64_t>(r.bytes_sent) : std::nullopt);
  AppendNumber(out, r.object_size);
  AppendNumber(out, r.total_time_ms);
  AppendNumber(out, r.turn_around_time_ms);
  AppendQuoted(out, FieldKind::kReferer, r.referer, /*dash_when_empty=*/true);
  AppendQuoted(out, FieldKind::kQuoted, r.user_agent, /*dash_when_empty=*/true);
  AppendBare(out, r.version_id);
  AppendBare(out, r.host_id);
  AppendBare(out, r.signature_version);
  AppendBare(out, r.cipher_suite);
  AppendBare(out, r.auth_type);
  AppendBare(out, r.host_header);
  AppendBare(out, r.tls_version);
  AppendBare(out, r.access_point_arn);
  AppendBare(out, r.acl_required ? "Yes" : "");
  if (source_region) {
    AppendBare(out, *source_region);
  }
}

std::expected<ParsedAccessLogLine, std::string> ParseAccessLogLine(std::string_view line) {
  std::vector<ParsedAccessLogLine::FieldText> fields;
  fields.reserve(kAccessLogFieldCount + 1);
  std::size_t pos = 0;
  while (true) {
    const std::size_t index = fields.size();
    const auto field = static_cast<AccessLogField>(index);
    ParsedAccessLogLine::FieldText f;
    if (field == AccessLogField::kTime) {
      if (pos >= line.size() || line[pos] != '[') {
        return std::unexpected(fmt::format("field {} (time) does not start with '['", index + 1));
      }
      const std::size_t close = line.find(']', pos + 1);
      if (close == std::string_view::npos) {
        return std::unexpected(fmt::format("field {} (time) has no closing ']'", index + 1));
      }
      f.text = line.substr(pos + 1, close - pos - 1);
      pos = close + 1;
    } else if (pos < line.size() && line[pos] == '"' &&
               (field == AccessLogField::kRequestUri || field == AccessLogField::kReferer ||
                field == AccessLogField::kUserAgent || index >= kAccessLogFieldCount)) {
      const std::size_t close = line.find('"', pos + 1);
      if (close == std::string_view::npos) {
        return std::unexpected(fmt::format("field {} has no closing quote", index + 1));
      }
      f.text = line.substr(pos + 1, close - pos - 1);
      f.quoted = true;
      pos = close + 1;
    } else {
      const std::size_t end = std::min(line.find(' ', pos), line.size());
      f.text = line.substr(pos, end - pos);
      pos = end;
    }
    fields.push_back(std::move(f));
    if (pos == line.size()) {
      break;
    }
    if (line[pos] != ' ') {
      return std::unexpected(
          fmt::format("field {} is not followed by a single space", fields.size()));
    }
    ++pos;
  }
  if (fields.size() < kAccessLogFieldCount) {
    return std::unexpected(fmt::format("line has {} fields; an access-log record has at least {}",
                                       fields.size(), kAccessLogFieldCount));
  }
  return ParsedAccessLogLine(std::move(fields));
}

std::string UnescapeAccessLogField(AccessLogField field, std::string_view text) {
  const FieldKind kind = KindOf(field);
  if (kind == FieldKind::kKey) {
    return std::string(text);
  }
  return Unescape(kind, text);
}

}  // namespace logbucket::logging
