#include "config/settings_table.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <optional>
#include <type_traits>
#include <utility>

#include "config/accounts.h"
#include "config/values.h"

namespace logbucket::config {
namespace {

using std::chrono::milliseconds;
using Expected = std::expected<void, std::string>;

constexpr std::string_view kEnvPrefix = "LOGBUCKET_";

// Each factory takes an accessor, a generic lambda `[](auto& c) -> auto& { return c.x.y; }`, so
// one lambda serves both the setter (Config&) and the getter (const Config&).

template <typename Access>
Setting BoolSetting(std::string name, std::string help, Access access) {
  return Setting{
      .name = std::move(name),
      .type = SettingType::kBool,
      .placeholder = "BOOL",
      .expected = "a boolean: true/false, yes/no, on/off or 1/0",
      .help = std::move(help),
      .set = [access](Config& config, std::string_view text) -> Expected {
        const auto value = ParseBool(text);
        if (!value) {
          return std::unexpected("expected a boolean: true/false, yes/no, on/off or 1/0");
        }
        access(config) = *value;
        return {};
      },
      .get = [access](const Config& config) -> std::string {
        return access(config) ? "true" : "false";
      },
  };
}

template <typename Access>
Setting IntegerSetting(std::string name, std::string help, Access access, int64_t min,
                       int64_t max) {
  std::string expected = "an integer from " + std::to_string(min) + " to " + std::to_string(max);
  return Setting{
      .name = std::move(name),
      .type = SettingType::kInteger,
      .placeholder = "N",
      .expected = expected,
      .help = std::move(help),
      .set = [access, min, max, expected](Config& config, std::string_view text) -> Expected {
        const auto value = ParseInteger(text);
        if (!value || *value < min || *value > max) {
          return std::unexpected("expected " + expected);
        }
        access(config) = static_cast<std::remove_cvref_t<decltype(access(config))>>(*value);
        return {};
      },
      .get = [access](const Config& config) { return std::to_string(access(config)); },
  };
}

template <typename Access>
Setting DurationSetting(std::string name, std::string help, Access access, milliseconds min,
                        std::optional<milliseconds> max) {
  const std::string range = max ? "from " + FormatDuration(min) + " to " + FormatDuration(*max)
                            : min.count() > 0 ? "of at least " + FormatDuration(min)
                                              : "";
  return Setting{
      .name = std::move(name),
      .type = SettingType::kDuration,
      .placeholder = "DURATION",
      .expected = "a duration " + (range.empty() ? "" : range + " ") + "such as 500ms, 5s, 10m, 1h",
      .help = std::move(help),
      .set = [access, min, max, range](Config& config, std::string_view text) -> Expected {
        const auto value = ParseDuration(std::string(text));
        if (!value) {
          return std::unexpected("expected a duration such as 500ms, 5s, 10m, 1h");
        }
        if (*value < min || (max && *value > *max)) {
          return std::unexpected("expected a duration " + range);
        }
        access(config) = *value;
        return {};
      },
      .get = [access](const Config& config) { return FormatDuration(access(config)); },
  };
}

template <typename Access>
Setting SizeSetting(std::string name, std::string help, Access access, uint64_t min, uint64_t max) {
  const std::string range = "from " + FormatSize(min) + " to " + FormatSize(max);
  return Setting{
      .name = std::move(name),
      .type = SettingType::kSize,
      .placeholder = "SIZE",
      .expected = "a size " + range + " such as 1048576, 64KiB, 16MiB, 1GiB",
      .help = std::move(help),
      .set = [access, min, max, range](Config& config, std::string_view text) -> Expected {
        const auto value = ParseSize(std::string(text));
        if (!value) {
          return std::unexpected("expected a size such as 1048576, 64KiB, 16MiB, 1GiB");
        }
        if (*value < min || *value > max) {
          return std::unexpected("expected a size " + range);
        }
        access(config) = *value;
        return {};
      },
      .get = [access](const Config& config) { return FormatSize(access(config)); },
  };
}

// A string setting; `valid` decides, `expected` says what it wants.
template <typename Access, typename Valid>
Setting StringSetting(std::string name, std::string help, std::string placeholder,
                      std::string expected, Access access, Valid valid) {
  return Setting{
      .name = std::move(name),
      .type = SettingType::kString,
      .placeholder = std::move(placeholder),
      .expected = expected,
      .help = std::move(help),
      .set = [access, valid, expected](Config& config, std::string_view text) -> Expected {
        if (!valid(text)) {
          return std::unexpected("expected " + expected);
        }
        access(config) = std::string(text);
        return {};
      },
      .get = [access](const Config& config) -> std::string { return std::string(access(config)); },
  };
}

template <typename Value, typename Access>
Setting EnumSetting(std::string name, std::string help, Access access,
                    std::vector<std::pair<std::string, Value>> choices) {
  std::string names;
  for (const auto& [choice, value] : choices) {
    names += (names.empty() ? "" : "|") + choice;
  }
  return Setting{
      .name = std::move(name),
      .type = SettingType::kEnum,
      .placeholder = names,
      .expected = "one of " + names,
      .help = std::move(help),
      .set = [access, choices, names](Config& config, std::string_view text) -> Expected {
        const auto found = std::ranges::find(choices, text, &std::pair<std::string, Value>::first);
        if (found == choices.end()) {
          return std::unexpected("expected one of " + names);
        }
        access(config) = found->second;
        return {};
      },
      .get = [access, choices](const Config& config) -> std::string {
        const auto found =
            std::ranges::find(choices, access(config), &std::pair<std::string, Value>::second);
        return found == choices.end() ? "" : found->first;
      },
  };
}

Setting ListenSetting() {
  static constexpr std::string_view kExpected =
      "HOST:PORT with a port from 0 to 65535, such as 127.0.0.1:9000, 0.0.0.0:9000 or [::1]:9000";
  return Setting{
      .name = "server.listen",
      .type = SettingType::kHostPort,
      .placeholder = "HOST:PORT",
      .expected = std::string(kExpected),
      .help = "Address and port to listen on (IPv6 in brackets; port 0 picks a free port).",
      .set = [](Config& config, std::string_view text) -> Expected {
        const auto value = ParseHostPort(text);
        if (!value) {
          return std::unexpected("expected " + std::string(kExpected));
        }
        config.server.listen_host = value->host;
        config.server.listen_port = value->port;
        return {};
      },
      .get =
          [](const Config& config) {
            return FormatHostPort(config.server.listen_host, config.server.listen_port);
          },
  };
}

// A path setting; an empty value clears it.
template <typename Access>
Setting PathSetting(std::string name, std::string help, Access access) {
  return Setting{
      .name = std::move(name),
      .type = SettingType::kString,
      .placeholder = "FILE",
      .expected = "a file path",
      .help = std::move(help),
      .set = [access](Config& config, std::string_view text) -> Expected {
        access(config) = std::filesystem::path(text);
        return {};
      },
      .get = [access](const Config& config) { return access(config).string(); },
  };
}

Setting TlsListenSetting() {
  static constexpr std::string_view kExpected =
      "HOST:PORT such as 127.0.0.1:9443 or [::1]:9443, or an empty value for none";
  return Setting{
      .name = "tls.listen",
      .type = SettingType::kHostPort,
      .placeholder = "HOST:PORT",
      .expected = std::string(kExpected),
      .help =
          "A separate HTTPS-only listener. When empty, HTTPS is served on server.listen beside "
          "plain HTTP (each connection is detected by its first byte).",
      .set = [](Config& config, std::string_view text) -> Expected {
        if (text.empty()) {
          config.tls.listen_host.clear();
          config.tls.listen_port = 0;
          return {};
        }
        const auto value = ParseHostPort(text);
        if (!value) {
          return std::unexpected("expected " + std::string(kExpected));
        }
        config.tls.listen_host = value->host;
        config.tls.listen_port = value->port;
        return {};
      },
      .get = [](const Config& config) -> std::string {
        if (config.tls.listen_host.empty()) return "";
        return FormatHostPort(config.tls.listen_host, config.tls.listen_port);
      },
  };
}

Setting DataDirSetting() {
  return Setting{
      .name = "storage.data_dir",
      .type = SettingType::kString,
      .placeholder = "DIR",
      .expected = "a directory path",
      .help = "Directory for metadata, object bytes and the log spool; created if missing.",
      .set = [](Config& config, std::string_view text) -> Expected {
        if (text.empty()) {
          return std::unexpected("expected a directory path");
        }
        config.storage.data_dir = std::filesystem::path(text);
        return {};
      },
      .get = [](const Config& config) { return config.storage.data_dir.string(); },
  };
}

Setting AccountsSetting() {
  return Setting{
      .name = "accounts",
      .type = SettingType::kAccounts,
      .placeholder = std::string(kCompactAccountsForm),
      .expected = "accounts as " + std::string(kCompactAccountsForm),
      .help =
          "Accounts and their users; users of one account repeat its ID. In the TOML file: "
          "[[accounts]] tables with id, optional canonical_id and display_name, and users = "
          "[{ name = \"...\", access_key = \"...\", secret_key = \"...\" }].",
      .set = [](Config& config, std::string_view text) -> Expected {
        auto accounts = ParseCompactAccounts(text);
        if (!accounts) {
          return std::unexpected(accounts.error());
        }
        config.accounts = std::move(*accounts);
        return {};
      },
      .get =
          [](const Config& config) {
            return FormatCompactAccounts(config.accounts.empty() ? DefaultAccounts()
                                                                 : config.accounts);
          },
  };
}

std::vector<Setting> BuildSettings() {
  using Mode = Config::Auth::Mode;
  constexpr uint64_t kKiB = 1024;
  constexpr uint64_t kMiB = kKiB * 1024;
  constexpr uint64_t kTiB = kMiB * kMiB;
  const auto any_host = [](std::string_view text) { return IsValidHostName(text); };
  const auto region = [](std::string_view text) { return IsValidRegion(text); };
  std::vector<Setting> settings;
  settings.push_back(ListenSetting());
  settings.push_back(IntegerSetting(
      "server.threads", "I/O threads; 0 means one per core.",
      [](auto& c) -> auto& { return c.server.threads; }, 0, 1024));
  settings.push_back(IntegerSetting(
      "server.store_threads",
      "Threads that finish requests with a body (the storage commit of a PUT, an upload part, "
      "a POST): while one waits for its commit the I/O threads serve other connections, and "
      "concurrent object writes share one transaction. 0 runs them on the I/O threads.",
      [](auto& c) -> auto& { return c.server.store_threads; }, 0, 256));
  settings.push_back(StringSetting(
      "server.domain", "Domain for virtual-hosted-style requests: BUCKET.DOMAIN[:PORT].", "DOMAIN",
      "a DNS name such as localhost or s3.example.test",
      [](auto& c) -> auto& { return c.server.domain; }, any_host));
  settings.push_back(SizeSetting(
      "server.max_header_bytes", "Largest request header accepted.",
      [](auto& c) -> auto& { return c.server.max_header_bytes; }, kKiB, kMiB));
  settings.push_back(SizeSetting(
      "server.max_object_bytes", "Largest single PUT body (S3: 5GiB).",
      [](auto& c) -> auto& { return c.server.max_object_bytes; }, 1, 5 * kTiB));
  settings.push_back(DurationSetting(
      "server.idle_timeout", "Closes a keep-alive connection idle this long.",
      [](auto& c) -> auto& { return c.server.idle_timeout; }, milliseconds(1), std::nullopt));
  settings.push_back(DurationSetting(
      "server.read_timeout", "Longest wait for the next bytes of a request.",
      [](auto& c) -> auto& { return c.server.read_timeout; }, milliseconds(1), std::nullopt));
  settings.push_back(DurationSetting(
      "server.shutdown_timeout", "How long shutdown waits for requests in flight.",
      [](auto& c) -> auto& { return c.server.shutdown_timeout; }, milliseconds(0), std::nullopt));
  settings.push_back(DataDirSetting());
  settings.push_back(BoolSetting(
      "storage.fsync", "fsync object bytes and metadata on write.",
      [](auto& c) -> auto& { return c.storage.fsync; }));
  settings.push_back(StringSetting(
      "s3.region", "Region of buckets created without a LocationConstraint.", "REGION",
      "a region name of lower-case letters, digits and dashes such as us-east-1",
      [](auto& c) -> auto& { return c.s3.region; }, region));
  settings.push_back(EnumSetting<Mode>(
      "auth.mode", "verify: check SigV4 signatures; accept-any: accept any credentials.",
      [](auto& c) -> auto& { return c.auth.mode; },
      {{"verify", Mode::kVerify}, {"accept-any", Mode::kAcceptAny}}));
  settings.push_back(DurationSetting(
      "auth.max_skew", "Largest accepted difference between request time and server time.",
      [](auto& c) -> auto& { return c.auth.max_skew; }, milliseconds(1000), std::nullopt));
  settings.push_back(AccountsSetting());
  settings.push_back(DurationSetting(
      "logging.flush_interval", "How often spooled access-log records are delivered.",
      [](auto& c) -> auto& { return c.logging.flush_interval; }, milliseconds(1000),
      milliseconds(24 * 3'600'000)));
  settings.push_back(BoolSetting(
      "logging.strict_permissions",
      "Deliver logs only where the target bucket grants the logging service permission.",
      [](auto& c) -> auto& { return c.logging.strict_permissions; }));
  settings.push_back(BoolSetting(
      "logging.source_region_field", "Append the source region field to access-log records.",
      [](auto& c) -> auto& { return c.logging.source_region_field; }));
  settings.push_back(SizeSetting(
      "logging.max_object_bytes", "Largest log object; a delivery splits beyond it.",
      [](auto& c) -> auto& { return c.logging.max_object_bytes; }, kKiB, 5 * kTiB));
  settings.push_back(SizeSetting(
      "logging.spool_max_bytes", "Largest undelivered spool on disk.",
      [](auto& c) -> auto& { return c.logging.spool_max_bytes; }, kKiB, 5 * kTiB));
  settings.push_back(DurationSetting(
      "lifecycle.day",
      "Length of a lifecycle day; shorten it (e.g. 10s) to see lifecycle rules act in tests.",
      [](auto& c) -> auto& { return c.lifecycle.day; }, milliseconds(1000),
      milliseconds(24 * 3'600'000)));
  settings.push_back(EnumSetting<std::string>("diagnostics.level",
                                              "The server's own diagnostics on stderr.",
                                              [](auto& c) -> auto& { return c.diagnostics.level; },
                                              {{"trace", "trace"},
                                               {"debug", "debug"},
                                               {"info", "info"},
                                               {"warn", "warn"},
                                               {"error", "error"},
                                               {"off", "off"}}));
  settings.push_back(BoolSetting(
      "admin.allow_reset", "Enable the admin reset endpoint, which deletes all data.",
      [](auto& c) -> auto& { return c.admin.allow_reset; }));
  settings.push_back(PathSetting(
      "tls.cert_file", "PEM certificate (chain) for HTTPS; needs tls.key_file.",
      [](auto& c) -> auto& { return c.tls.cert_file; }));
  settings.push_back(PathSetting(
      "tls.key_file", "PEM private key of tls.cert_file.",
      [](auto& c) -> auto& { return c.tls.key_file; }));
  settings.push_back(BoolSetting(
      "tls.self_signed",
      "Serve HTTPS with a self-signed certificate generated at first start and kept in "
      "DATA_DIR/tls/ (valid for localhost, 127.0.0.1, ::1, DOMAIN and *.DOMAIN); its path is "
      "printed in the ready line.",
      [](auto& c) -> auto& { return c.tls.self_signed; }));
  settings.push_back(TlsListenSetting());
  return settings;
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// Wraps `paragraph` at word boundaries into lines indented by six spaces, within 100 columns.
std::string Wrap(std::string_view paragraph) {
  constexpr size_t kIndent = 6;
  constexpr size_t kWidth = 100;
  std::string text;
  std::string line;
  size_t start = 0;
  while (start < paragraph.size()) {
    size_t end = paragraph.find(' ', start);
    if (end == std::string_view::npos) {
      end = paragraph.size();
    }
    const std::string_view word = paragraph.substr(start, end - start);
    if (!line.empty() && kIndent + line.size() + 1 + word.size() > kWidth) {
      text += std::string(kIndent, ' ') + line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + std::string(word);
    start = end + 1;
  }
  if (!line.empty()) {
    text += std::string(kIndent, ' ') + line + "\n";
  }
  return text;
}

std::string Section(std::string_view name) {
  const size_t dot = name.find('.');
  return std::string(dot == std::string_view::npos ? name : name.substr(0, dot));
}

}  // namespace

const std::vector<Setting>& Settings() {
  static const std::vector<Setting> settings = BuildSettings();
  return settings;
}

const std::vector<FlagAlias>& FlagAliases() {
  static const std::vector<FlagAlias> aliases = {
      {"--listen", "server.listen"},
      {"--data-dir", "storage.data_dir"},
  };
  return aliases;
}

std::string EnvName(std::string_view setting_name) {
  std::string env(kEnvPrefix);
  for (const char c : setting_name) {
    env += (c == '.' || c == '-') ? '_'
                                  : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return env;
}

std::string FlagName(std::string_view setting_name) {
  std::string flag = "--";
  for (const char c : setting_name) {
    flag += (c == '.' || c == '_') ? '-' : c;
  }
  return flag;
}

const Setting* FindSetting(std::string_view name) {
  const auto& settings = Settings();
  const auto found = std::ranges::find(settings, name, &Setting::name);
  return found == settings.end() ? nullptr : &*found;
}

const Setting* FindSettingByEnv(std::string_view env_name) {
  for (const Setting& setting : Settings()) {
    if (EnvName(setting.name) == env_name) {
      return &setting;
    }
  }
  return nullptr;
}

const Setting* FindSettingByFlag(std::string_view flag) {
  for (const FlagAlias& alias : FlagAliases()) {
    if (alias.flag == flag) {
      return FindSetting(alias.setting);
    }
  }
  for (const Setting& setting : Settings()) {
    if (FlagName(setting.name) == flag) {
      return &setting;
    }
  }
  return nullptr;
}

std::string ClosestName(std::string_view name, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = 0;
  for (const std::string& candidate : candidates) {
    const size_t distance = EditDistance(name, candidate);
    if (best.empty() || distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  // Past a third of the name's length the "suggestion" is noise, not a typo's fix.
  return best_distance <= std::max<size_t>(2, name.size() / 3) ? best : "";
}

std::string HelpText() {
  std::string text =
      "Usage: logbucket [--config FILE] [--listen HOST:PORT] [--data-dir DIR] "
      "[--SECTION-KEY VALUE ...]\n"
      "\n"
      "Logbucket: a local Amazon S3 emulator with exact server access logging.\n"
      "\n"
      "Every setting is taken, lowest precedence first, from its default, the TOML file\n"
      "(section.key), the environment (LOGBUCKET_SECTION_KEY), then flags (--section-key VALUE\n"
      "or --section-key=VALUE). Booleans also work as a bare flag (--storage-fsync).\n"
      "\n"
      "General:\n"
      "  --config FILE        TOML settings file (env LOGBUCKET_CONFIG)\n";
  for (const FlagAlias& alias : FlagAliases()) {
    const Setting* setting = FindSetting(alias.setting);
    std::string head = "  " + alias.flag + " " + setting->placeholder;
    head.resize(std::max<size_t>(head.size() + 1, 23), ' ');
    text += head + "same as " + FlagName(alias.setting) + "\n";
  }
  text +=
      "  --help, -h           print this help and exit\n"
      "  --version            print the version and exit\n";
  const Config defaults;
  std::string section;
  for (const Setting& setting : Settings()) {
    if (Section(setting.name) != section) {
      section = Section(setting.name);
      text += "\n[" + section + "]\n";
    }
    text += "  " + FlagName(setting.name) + " " + setting.placeholder + "\n";
    text += Wrap(setting.help);
    const std::string default_value = setting.get(defaults);
    text += Wrap("env " + EnvName(setting.name) + ", default " +
                 (default_value.empty() ? "none" : default_value));
    text += Wrap("expects " + setting.expected);
  }
  return text;
}

}  // namespace logbucket::config
