// The TOML layer: a file's [section] key = value pairs map onto the settings table by their
// `section.key` names, and [[accounts]] tables onto Config::accounts. Anything not in the table
// is an error naming it and its position, so a typo never silently falls back to a default.
// Thread-safety: pure functions apart from reading the file.
#pragma once

#include <expected>
#include <filesystem>
#include <string_view>

#include "config/config.h"

namespace logbucket::config {

// Reads and parses `path` and applies its settings onto `config`. Errors: the file cannot be
// read (OS reason), does not parse (toml++'s message with line and column), or holds an unknown
// key or a bad value (named with file:line:column).
std::expected<void, ConfigError> ApplyTomlFile(const std::filesystem::path& path, Config& config);

// The same for TOML text already in memory; `source` names it in messages (a file path).
std::expected<void, ConfigError> ApplyTomlText(std::string_view text, std::string_view source,
                                               Config& config);

}  // namespace logbucket::config
