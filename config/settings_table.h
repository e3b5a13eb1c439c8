// The one table of settings. Every setting has a TOML name `section.key`; its environment name
// (LOGBUCKET_SECTION_KEY) and flag (--section-key) are derived from it by one rule, and --help is
// generated from the table, so adding a setting is adding one row.
// A row parses a value's text form (the TOML layer converts native TOML values to that form
// first) and stores it into a Config; `get` reads the text form back (help's default column).
// Thread-safety: the table is built once, on first use, and is immutable afterwards.
#pragma once

#include <expected>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace logbucket::config {

enum class SettingType { kString, kBool, kInteger, kDuration, kSize, kEnum, kHostPort, kAccounts };

struct Setting {
  std::string name;  // TOML name: "section.key", or "accounts"
  SettingType type;
  std::string placeholder;  // the value in --help: N, DURATION, SIZE, HOST:PORT, a|b|c
  std::string expected;     // "a duration from 1s to 24h", used after "expected "
  std::string help;
  // Stores the value written as `text`; on failure the detail, e.g. "expected an integer ...".
  std::function<std::expected<void, std::string>(Config& config, std::string_view text)> set;
  std::function<std::string(const Config& config)> get;
};

// A short flag that stands for a setting's flag.
struct FlagAlias {
  std::string flag;     // "--listen"
  std::string setting;  // "server.listen"
};

const std::vector<Setting>& Settings();
const std::vector<FlagAlias>& FlagAliases();

// logging.flush_interval -> LOGBUCKET_LOGGING_FLUSH_INTERVAL
std::string EnvName(std::string_view setting_name);
// logging.flush_interval -> --logging-flush-interval
std::string FlagName(std::string_view setting_name);

// Lookups by TOML name, environment name and flag (with its leading "--"; aliases included).
// nullptr when there is no such setting.
const Setting* FindSetting(std::string_view name);
const Setting* FindSettingByEnv(std::string_view env_name);
const Setting* FindSettingByFlag(std::string_view flag);

// The closest known name to a misspelt one among `candidates`, or "" when nothing is close:
// "did you mean" hints for unknown keys, variables and flags.
std::string ClosestName(std::string_view name, const std::vector<std::string>& candidates);

// The --help text: usage, precedence rule, general flags and aliases, then every setting grouped
// by section with its flag, environment variable, default and help.
std::string HelpText();

}  // namespace logbucket::config
