// Logbucket's settings and how they are loaded: defaults < TOML file (--config FILE) <
// environment < command-line flags. One naming rule for every setting: TOML `section.key` =
// environment `LOGBUCKET_SECTION_KEY` = flag `--section-key` (e.g. logging.flush_interval,
// LOGBUCKET_LOGGING_FLUSH_INTERVAL, --logging-flush-interval 5s). `--listen` and `--data-dir`
// are short aliases of --server-listen and --storage-data-dir.
//
// Validation happens here: an unknown key, a bad value or an unusable data directory is a
// ConfigError whose message names the key, the value and what is expected.
// Thread-safety: plain values and pure functions (the environment is passed in).
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace logbucket::config {

struct User {
  std::string name;        // IAM user name: requester is arn:aws:iam::<account>:user/<name>
  std::string access_key;
  std::string secret_key;
};

struct Account {
  std::string id;            // 12 digits
  std::string canonical_id;  // 64 lower-case hex, derived stably from id unless given
  std::string display_name;
  std::vector<User> users;
};

struct Config {
  struct Server {
    std::string listen_host = "127.0.0.1";
    uint16_t listen_port = 9000;
    int threads = 2;                      // 0 = one per core
    int store_threads = 4;                // 0 = commits run on the I/O threads
    std::string domain = "localhost";     // virtual-hosted style: <bucket>.<domain>[:port]
    uint64_t max_header_bytes = 16 * 1024;
    uint64_t max_object_bytes = 5ull << 30;  // single PUT limit (S3: 5 GiB)
    std::chrono::milliseconds idle_timeout{60'000};
    std::chrono::milliseconds read_timeout{60'000};
    std::chrono::milliseconds shutdown_timeout{10'000};
  } server;

  struct Storage {
    std::filesystem::path data_dir = "./data";
    bool fsync = false;
  } storage;

  struct S3 {
    std::string region = "us-east-1";
  } s3;

  struct Auth {
    enum class Mode { kVerify, kAcceptAny };
    Mode mode = Mode::kVerify;
    std::chrono::milliseconds max_skew{15 * 60'000};
  } auth;

  // Default: account 000000000000, user "test", access key "test", secret "test".
  std::vector<Account> accounts;

  struct Logging {
    std::chrono::milliseconds flush_interval{3'600'000};
    bool strict_permissions = false;
    bool source_region_field = false;
    uint64_t max_object_bytes = 64ull << 20;
    uint64_t spool_max_bytes = 1ull << 30;
  } logging;

  struct Lifecycle {
    // The length of a lifecycle "day" (Expiration Days, NoncurrentDays, DaysAfterInitiation):
    // 24h as on Amazon; tests shorten it (10s) to watch rules act.
    std::chrono::milliseconds day{86'400'000};
  } lifecycle;

  struct Diagnostics {
    std::string level = "info";  // trace, debug, info, warn, error, off
  } diagnostics;

  struct Admin {
    bool allow_reset = false;
  } admin;

  // HTTPS. TLS is on when cert_file/key_file are given or self_signed is true. Without a
  // separate listener, TLS and plain HTTP share server.listen (detected per connection).
  struct Tls {
    std::filesystem::path cert_file;  // PEM certificate chain; with key_file
    std::filesystem::path key_file;   // PEM private key
    // Generate (once, kept under <data_dir>/tls/) a key and a certificate for localhost,
    // 127.0.0.1, ::1, <server.domain> and *.<server.domain>.
    bool self_signed = false;
    std::string listen_host;  // "" = no separate TLS listener
    uint16_t listen_port = 0;

    bool enabled() const { return self_signed || !cert_file.empty(); }
    bool separate_listener() const { return !listen_host.empty(); }
  } tls;
};

struct ConfigError {
  std::string message;  // names the key, the value and what is expected
};

// What the command line asked for besides settings.
enum class Action { kRun, kHelp, kVersion };

struct LoadResult {
  Action action = Action::kRun;
  Config config;
  std::string text;  // help or version text for kHelp / kVersion
};

using Environment = std::function<std::optional<std::string>(const std::string& name)>;

// Parses argv (argv[0] is the program), reads --config FILE if given, the environment through
// `env`, applies defaults, validates, derives canonical ids, and checks (creating it if
// missing) that storage.data_dir is a writable directory.
//
// Unknown LOGBUCKET_* variables are refused (a typo must not be silently ignored). `env` can only
// look names up, so the names to check come from the process environment (`environ`); a name
// there counts only if `env` also returns a value for it, so a fake `env` in tests sees none of
// the real process's variables. LOGBUCKET_CONFIG names the TOML file when --config is absent.
std::expected<LoadResult, ConfigError> Load(int argc, const char* const* argv,
                                            const Environment& env);

// The same with the variable names given explicitly: every name in `env_names` that starts with
// LOGBUCKET_, is not a setting's variable nor LOGBUCKET_CONFIG, and has a value through `env`
// is an error.
std::expected<LoadResult, ConfigError> Load(int argc, const char* const* argv,
                                            const Environment& env,
                                            const std::vector<std::string>& env_names);

// The real process environment, for main: lookups through getenv, names from `environ`.
Environment ProcessEnvironment();
std::vector<std::string> ProcessEnvironmentNames();

// The canonical id Logbucket derives for an account id: stable, 64 lower-case hex.
std::string DeriveCanonicalId(const std::string& account_id);

// Parses "250ms", "5s", "10m", "1h", "2d" or a bare number of seconds.
std::optional<std::chrono::milliseconds> ParseDuration(const std::string& text);
// Parses "1048576", "64KiB", "64MiB", "1GiB" (also KB/MB/GB as powers of 1000).
std::optional<uint64_t> ParseSize(const std::string& text);

const char* Version();

}  // namespace logbucket::config
