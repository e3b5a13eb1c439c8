// Text forms of setting values, shared by the three layers (TOML file, environment, flags) so
// that one value is spelled the same way everywhere. ParseDuration and ParseSize are declared in
// config/config.h; the rest are the module's own helpers.
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace logbucket::config {

// true/false/1/0/yes/no/on/off, case-insensitive.
std::optional<bool> ParseBool(std::string_view text);

// A plain decimal integer with an optional leading '-'; nothing else (no spaces, no '+').
std::optional<int64_t> ParseInteger(std::string_view text);

struct HostPort {
  std::string host;  // without brackets for IPv6
  uint16_t port = 0;
};

// "HOST:PORT", "[IPV6]:PORT"; the port may be 0 (an ephemeral port chosen by the OS).
std::optional<HostPort> ParseHostPort(std::string_view text);
// The inverse of ParseHostPort: IPv6 hosts get their brackets back.
std::string FormatHostPort(std::string_view host, uint16_t port);

// A DNS name or IPv4 address: dot-separated labels of letters, digits and inner dashes.
bool IsValidHostName(std::string_view text);
// An AWS region name such as us-east-1: lower-case letters and digits in dash-separated groups.
bool IsValidRegion(std::string_view text);

// The shortest exact text ParseDuration reads back, in units up to hours: 3600000ms -> "1h",
// 1500ms -> "1500ms", 86400000ms -> "24h".
std::string FormatDuration(std::chrono::milliseconds duration);
// The shortest exact binary text ParseSize reads back: 16384 -> "16KiB", 1000 -> "1000".
std::string FormatSize(uint64_t bytes);

}  // namespace logbucket::config
