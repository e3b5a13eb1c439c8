#include "config/config.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <system_error>

#include "config/accounts.h"
#include "config/settings_table.h"
#include "config/toml_file.h"
#include "config/values.h"

#ifndef LOGBUCKET_VERSION
#error "LOGBUCKET_VERSION must be defined by the build (CMake passes the project version)"
#endif

extern char** environ;  // NOLINT: POSIX, declared by no standard header

namespace logbucket::config {
namespace {

constexpr std::string_view kEnvPrefix = "LOGBUCKET_";
constexpr std::string_view kConfigEnv = "LOGBUCKET_CONFIG";
constexpr std::string_view kHelpHint = "; run logbucket --help for the list of settings";

std::unexpected<ConfigError> Fail(std::string message) {
  return std::unexpected(ConfigError{std::move(message)});
}

std::string Quote(std::string_view text) { return "\"" + std::string(text) + "\""; }

// One setting given on the command line, in order; `flag` is as typed (aliases stay aliases).
struct FlagValue {
  const Setting* setting;
  std::string flag;
  std::string value;
};

struct CommandLine {
  Action action = Action::kRun;
  std::optional<std::string> config_file;
  std::vector<FlagValue> values;
};

std::vector<std::string> KnownFlags() {
  std::vector<std::string> flags = {"--config", "--help", "--version"};
  for (const FlagAlias& alias : FlagAliases()) {
    flags.push_back(alias.flag);
  }
  for (const Setting& setting : Settings()) {
    flags.push_back(FlagName(setting.name));
  }
  return flags;
}

std::expected<CommandLine, ConfigError> ParseCommandLine(int argc, const char* const* argv) {
  CommandLine line;
  // --help and --version win wherever they are, so a bad setting never hides the help.
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      line.action = Action::kHelp;
      return line;
    }
    if (arg == "--version") {
      line.action = Action::kVersion;
    }
  }
  if (line.action == Action::kVersion) {
    return line;
  }

  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (!arg.starts_with("--")) {
      return Fail("unexpected argument " + Quote(arg) +
                  ": settings are flags such as --listen 127.0.0.1:9000" + std::string(kHelpHint));
    }
    const size_t equals = arg.find('=');
    const std::string flag(arg.substr(0, equals));
    std::optional<std::string> value;
    if (equals != std::string_view::npos) {
      value = std::string(arg.substr(equals + 1));
    }
    const bool next_is_value = i + 1 < argc && !std::string_view(argv[i + 1]).starts_with("--");

    if (flag == "--config") {
      if (!value && !next_is_value) {
        return Fail("--config: missing value: expected a FILE path");
      }
      line.config_file = value ? *value : std::string(argv[++i]);
      continue;
    }
    const Setting* setting = FindSettingByFlag(flag);
    if (!setting) {
      const std::string closest = ClosestName(flag, KnownFlags());
      return Fail("unknown flag " + flag +
                  (closest.empty() ? "" : " (did you mean " + closest + "?)") +
                  std::string(kHelpHint));
    }
    if (!value) {
      if (setting->type == SettingType::kBool) {
        // A bare boolean flag means true; a following word is its value only if it is not a flag.
        const bool next_is_word = next_is_value && !std::string_view(argv[i + 1]).starts_with('-');
        value = next_is_word ? std::string(argv[++i]) : "true";
      } else if (next_is_value) {
        value = std::string(argv[++i]);
      } else {
        return Fail(flag + ": missing value: expected " + setting->expected);
      }
    }
    line.values.push_back(FlagValue{setting, flag, std::move(*value)});
  }
  return line;
}

std::expected<void, ConfigError> ApplyEnvironment(const Environment& env,
                                                  const std::vector<std::string>& env_names,
                                                  Config& config) {
  std::vector<std::string> known = {std::string(kConfigEnv)};
  for (const Setting& setting : Settings()) {
    known.push_back(EnvName(setting.name));
  }
  for (const std::string& name : env_names) {
    if (!name.starts_with(kEnvPrefix) || std::ranges::find(known, name) != known.end()) {
      continue;
    }
    if (!env(name)) {
      continue;
    }
    const std::string closest = ClosestName(name, known);
    return Fail("unknown environment variable " + name +
                (closest.empty() ? "" : " (did you mean " + closest + "?)") +
                ": Logbucket reads only the LOGBUCKET_* variables listed by logbucket --help");
  }
  for (const Setting& setting : Settings()) {
    const std::string name = EnvName(setting.name);
    const auto value = env(name);
    if (!value) {
      continue;
    }
    if (auto set = setting.set(config, *value); !set) {
      return Fail(name + "=" + Quote(*value) + ": " + set.error());
    }
  }
  return {};
}

// Creates the directory if missing and proves it writable by creating and removing a file in
// it, so that a bad path fails at start-up rather than at the first PUT.
std::expected<void, ConfigError> CheckDataDir(const std::filesystem::path& dir) {
  const std::string prefix = "storage.data_dir " + Quote(dir.string()) + ": ";
  constexpr std::string_view kExpected = ": expected a writable directory";
  std::error_code error;
  if (std::filesystem::exists(dir, error) && !std::filesystem::is_directory(dir, error)) {
    return Fail(prefix + "is not a directory" + std::string(kExpected));
  }
  std::filesystem::create_directories(dir, error);
  if (error) {
    return Fail(prefix + "cannot create the directory (" + error.message() + ")" +
                std::string(kExpected));
  }
  const std::filesystem::path probe = dir / (".logbucket-probe-" + std::to_string(::getpid()));
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Fail(prefix + "cannot create a file in it (" + std::strerror(errno) + ")" +
                std::string(kExpected));
  }
  ::close(fd);
  if (::unlink(probe.c_str()) != 0) {
    return Fail(prefix + "cannot remove a file in it (" + std::strerror(errno) + ")" +
                std::string(kExpected));
  }
  return {};
}

std::expected<void, ConfigError> CheckReadableFile(std::string_view key,
                                                   const std::filesystem::path& file) {
  const std::string prefix = std::string(key) + " " + Quote(file.string()) + ": ";
  std::error_code error;
  if (!std::filesystem::is_regular_file(file, error)) {
    const bool exists = std::filesystem::exists(file, error);
    return Fail(prefix + (exists ? "is not a regular file" : "no such file") +
                ": expected a readable PEM file");
  }
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Fail(prefix + "cannot open it (" + std::strerror(errno) +
                "): expected a readable PEM file");
  }
  ::close(fd);
  return {};
}

// The TLS settings' combinations. Whether the files hold a usable certificate and key (PEM,
// matching) is checked by the transport, which loads them, with messages naming the same keys.
std::expected<void, ConfigError> CheckTls(const Config& config) {
  const Config::Tls& tls = config.tls;
  if (tls.self_signed && (!tls.cert_file.empty() || !tls.key_file.empty())) {
    return Fail("tls.self_signed = true and tls.cert_file " + Quote(tls.cert_file.string()) +
                " / tls.key_file " + Quote(tls.key_file.string()) +
                " are both set: expected either a certificate and key or tls.self_signed");
  }
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    return Fail(tls.cert_file.empty() ? "tls.key_file " + Quote(tls.key_file.string()) +
                                            " is set without tls.cert_file: expected both"
                                      : "tls.cert_file " + Quote(tls.cert_file.string()) +
                                            " is set without tls.key_file: expected both");
  }
  if (!tls.cert_file.empty()) {
    if (auto ok = CheckReadableFile("tls.cert_file", tls.cert_file); !ok) return ok;
    if (auto ok = CheckReadableFile("tls.key_file", tls.key_file); !ok) return ok;
  }
  if (tls.separate_listener()) {
    const std::string listen = FormatHostPort(tls.listen_host, tls.listen_port);
    if (!tls.enabled()) {
      return Fail("tls.listen " + Quote(listen) +
                  " is set but TLS is off: expected tls.cert_file and tls.key_file, or "
                  "tls.self_signed = true");
    }
    if (tls.listen_port != 0 && tls.listen_port == config.server.listen_port &&
        tls.listen_host == config.server.listen_host) {
      return Fail("tls.listen " + Quote(listen) +
                  " is the same address as server.listen: expected another port, or no "
                  "tls.listen to serve HTTPS and HTTP on one port");
    }
  }
  return {};
}

}  // namespace

std::expected<LoadResult, ConfigError> Load(int argc, const char* const* argv,
                                            const Environment& env,
                                            const std::vector<std::string>& env_names) {
  auto line = ParseCommandLine(argc, argv);
  if (!line) {
    return std::unexpected(line.error());
  }
  LoadResult result;
  result.action = line->action;
  if (line->action == Action::kHelp) {
    result.text = HelpText();
    return result;
  }
  if (line->action == Action::kVersion) {
    result.text = std::string(Version()) + "\n";
    return result;
  }

  Config& config = result.config;
  std::optional<std::string> config_file = line->config_file;
  if (!config_file) {
    config_file = env(std::string(kConfigEnv));
  }
  if (config_file) {
    if (config_file->empty()) {
      return Fail("--config / LOGBUCKET_CONFIG: expected a FILE path");
    }
    if (auto applied = ApplyTomlFile(*config_file, config); !applied) {
      return std::unexpected(applied.error());
    }
  }
  if (auto applied = ApplyEnvironment(env, env_names, config); !applied) {
    return std::unexpected(applied.error());
  }
  for (const FlagValue& flag : line->values) {
    if (auto set = flag.setting->set(config, flag.value); !set) {
      return Fail(flag.flag + "=" + Quote(flag.value) + ": " + set.error());
    }
  }
  if (config.accounts.empty()) {
    config.accounts = DefaultAccounts();
  }
  if (auto checked = CheckDataDir(config.storage.data_dir); !checked) {
    return std::unexpected(checked.error());
  }
  if (auto checked = CheckTls(config); !checked) {
    return std::unexpected(checked.error());
  }
  return result;
}

std::expected<LoadResult, ConfigError> Load(int argc, const char* const* argv,
                                            const Environment& env) {
  return Load(argc, argv, env, ProcessEnvironmentNames());
}

Environment ProcessEnvironment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (!value) {
      return std::nullopt;
    }
    return std::string(value);
  };
}

std::vector<std::string> ProcessEnvironmentNames() {
  std::vector<std::string> names;
  for (char** entry = environ; entry && *entry; ++entry) {
    const std::string_view text = *entry;
    names.emplace_back(text.substr(0, text.find('=')));
  }
  return names;
}

const char* Version() { return "logbucket " LOGBUCKET_VERSION; }

}  // namespace logbucket::config
