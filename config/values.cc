#include "config/values.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <limits>
#include <utility>

#include "config/config.h"

namespace logbucket::config {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLowerAlnum(char c) { return IsDigit(c) || (c >= 'a' && c <= 'z'); }
bool IsAlnum(char c) { return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Splits "123unit" into its unsigned number and unit; nullopt if there are no leading digits or
// the number does not fit.
std::optional<std::pair<uint64_t, std::string_view>> SplitNumberAndUnit(std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && IsDigit(text[digits])) {
    ++digits;
  }
  if (digits == 0) {
    return std::nullopt;
  }
  uint64_t number = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + digits, number);
  if (error != std::errc() || end != text.data() + digits) {
    return std::nullopt;
  }
  return std::pair{number, text.substr(digits)};
}

std::optional<uint64_t> CheckedMultiply(uint64_t a, uint64_t b) {
  uint64_t product = 0;
  if (__builtin_mul_overflow(a, b, &product)) {
    return std::nullopt;
  }
  return product;
}

}  // namespace

std::optional<bool> ParseBool(std::string_view text) {
  std::string lower(text);
  std::ranges::transform(lower, lower.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "true" || lower == "1" || lower == "yes" || lower == "on") {
    return true;
  }
  if (lower == "false" || lower == "0" || lower == "no" || lower == "off") {
    return false;
  }
  return std::nullopt;
}

std::optional<int64_t> ParseInteger(std::string_view text) {
  if (text.empty() || text.front() == '+') {
    return std::nullopt;
  }
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

std::optional<std::chrono::milliseconds> ParseDuration(const std::string& text) {
  const auto split = SplitNumberAndUnit(text);
  if (!split) {
    return std::nullopt;
  }
  const auto [number, unit] = *split;
  static constexpr std::array<std::pair<std::string_view, uint64_t>, 6> kUnits = {{
      {"", 1000},
      {"ms", 1},
      {"s", 1000},
      {"m", 60'000},
      {"h", 3'600'000},
      {"d", 86'400'000},
  }};
  const auto* found =
      std::ranges::find(kUnits, unit, &std::pair<std::string_view, uint64_t>::first);
  if (found == kUnits.end()) {
    return std::nullopt;
  }
  const auto millis = CheckedMultiply(number, found->second);
  if (!millis || *millis > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return std::nullopt;
  }
  return std::chrono::milliseconds(static_cast<int64_t>(*millis));
}

std::optional<uint64_t> ParseSize(const std::string& text) {
  const auto split = SplitNumberAndUnit(text);
  if (!split) {
    return std::nullopt;
  }
  const auto [number, unit] = *split;
  static constexpr uint64_t kKi = 1024;
  static constexpr std::array<std::pair<std::string_view, uint64_t>, 14> kUnits = {{
      {"", 1},
      {"B", 1},
      {"KB", 1000},
      {"MB", 1000 * 1000},
      {"GB", 1000 * 1000 * 1000},
      {"TB", 1000ull * 1000 * 1000 * 1000},
      {"K", kKi},
      {"KiB", kKi},
      {"M", kKi * kKi},
      {"MiB", kKi * kKi},
      {"G", kKi * kKi * kKi},
      {"GiB", kKi * kKi * kKi},
      {"T", kKi * kKi * kKi * kKi},
      {"TiB", kKi * kKi * kKi * kKi},
  }};
  const auto* found =
      std::ranges::find(kUnits, unit, &std::pair<std::string_view, uint64_t>::first);
  if (found == kUnits.end()) {
    return std::nullopt;
  }
  return CheckedMultiply(number, found->second);
}

std::optional<HostPort> ParseHostPort(std::string_view text) {
  HostPort result;
  std::string_view port_text;
  if (text.starts_with('[')) {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return std::nullopt;
    }
    const std::string_view host = text.substr(1, close - 1);
    const bool ipv6_chars = std::ranges::all_of(host, [](char c) {
      return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
    });
    if (host.find(':') == std::string_view::npos || !ipv6_chars) {
      return std::nullopt;
    }
    result.host = host;
    port_text = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return std::nullopt;
    }
    const std::string_view host = text.substr(0, colon);
    if (!IsValidHostName(host)) {
      return std::nullopt;
    }
    result.host = host;
    port_text = text.substr(colon + 1);
  }
  if (port_text.empty() || !std::ranges::all_of(port_text, IsDigit)) {
    return std::nullopt;
  }
  const auto port = ParseInteger(port_text);
  if (!port || *port > std::numeric_limits<uint16_t>::max()) {
    return std::nullopt;
  }
  result.port = static_cast<uint16_t>(*port);
  return result;
}

std::string FormatHostPort(std::string_view host, uint16_t port) {
  const bool ipv6 = host.find(':') != std::string_view::npos;
  std::string text = ipv6 ? "[" + std::string(host) + "]" : std::string(host);
  return text + ":" + std::to_string(port);
}

bool IsValidHostName(std::string_view text) {
  if (text.empty() || text.size() > 253) {
    return false;
  }
  size_t start = 0;
  while (true) {
    const size_t dot = text.find('.', start);
    const std::string_view label =
        text.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    if (!std::ranges::all_of(label, [](char c) { return IsAlnum(c) || c == '-'; })) {
      return false;
    }
    if (dot == std::string_view::npos) {
      return true;
    }
    start = dot + 1;
  }
}

bool IsValidRegion(std::string_view text) {
  if (text.empty() || text.front() == '-' || text.back() == '-') {
    return false;
  }
  if (text.find("--") != std::string_view::npos) {
    return false;
  }
  return std::ranges::all_of(text, [](char c) { return IsLowerAlnum(c) || c == '-'; });
}

std::string FormatDuration(std::chrono::milliseconds duration) {
  const int64_t millis = duration.count();
  if (millis == 0) {
    return "0s";
  }
  // Hours are the largest unit written: "24h" reads better than "1d" in limits and defaults.
  static constexpr std::array<std::pair<int64_t, const char*>, 3> kUnits = {{
      {3'600'000, "h"},
      {60'000, "m"},
      {1000, "s"},
  }};
  for (const auto& [size, suffix] : kUnits) {
    if (millis % size == 0) {
      return std::to_string(millis / size) + suffix;
    }
  }
  return std::to_string(millis) + "ms";
}

std::string FormatSize(uint64_t bytes) {
  if (bytes == 0) {
    return "0";
  }
  static constexpr std::array<std::pair<uint64_t, const char*>, 4> kUnits = {{
      {1ull << 40, "TiB"},
      {1ull << 30, "GiB"},
      {1ull << 20, "MiB"},
      {1ull << 10, "KiB"},
  }};
  for (const auto& [size, suffix] : kUnits) {
    if (bytes % size == 0) {
      return std::to_string(bytes / size) + suffix;
    }
  }
  return std::to_string(bytes);
}

}  // namespace logbucket::config
