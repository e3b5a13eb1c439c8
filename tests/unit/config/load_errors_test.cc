// Every class of start-up error, with the exact source, key and value in the message.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/config.h"
#include "config_test_support.h"

namespace logbucket::config {
namespace {

using testing::FakeEnv;
using ::testing::HasSubstr;
using testing::LoadWith;
using testing::TempDir;

constexpr std::string_view kFilePlaceholder = "FILE";

struct ErrorCase {
  std::string name;
  std::vector<std::string> args;
  FakeEnv env;
  std::string toml;  // written to a file passed with --config when not empty
  // Substrings the message must contain; "FILE" stands for the settings file's path.
  std::vector<std::string> want;
};

std::string Substitute(std::string text, const std::string& file) {
  for (size_t at = text.find(kFilePlaceholder); at != std::string::npos;
       at = text.find(kFilePlaceholder, at + file.size())) {
    text.replace(at, kFilePlaceholder.size(), file);
  }
  return text;
}

TEST(LoadErrorsTest, MessagesNameSourceKeyValueAndExpectation) {
  const std::vector<ErrorCase> cases = {
      // Environment.
      {"env bad duration",
       {},
       {{"LOGBUCKET_LOGGING_FLUSH_INTERVAL", "5 parsecs"}},
       "",
       {"LOGBUCKET_LOGGING_FLUSH_INTERVAL=\"5 parsecs\": expected a duration such as 500ms, 5s, "
        "10m, 1h"}},
      {"env duration out of range",
       {},
       {{"LOGBUCKET_LOGGING_FLUSH_INTERVAL", "500ms"}},
       "",
       {"LOGBUCKET_LOGGING_FLUSH_INTERVAL=\"500ms\": expected a duration from 1s to 24h"}},
      {"env bad region",
       {},
       {{"LOGBUCKET_S3_REGION", "US_EAST_1"}},
       "",
       {"LOGBUCKET_S3_REGION=\"US_EAST_1\": expected a region name"}},
      {"env bad bool",
       {},
       {{"LOGBUCKET_STORAGE_FSYNC", "maybe"}},
       "",
       {"LOGBUCKET_STORAGE_FSYNC=\"maybe\": expected a boolean"}},
      {"env bad enum",
       {},
       {{"LOGBUCKET_DIAGNOSTICS_LEVEL", "loud"}},
       "",
       {"LOGBUCKET_DIAGNOSTICS_LEVEL=\"loud\": expected one of trace|debug|info|warn|error|off"}},
      {"env bad size",
       {},
       {{"LOGBUCKET_LOGGING_SPOOL_MAX_BYTES", "1 GB"}},
       "",
       {"LOGBUCKET_LOGGING_SPOOL_MAX_BYTES=\"1 GB\": expected a size such as"}},
      {"env size out of range",
       {},
       {{"LOGBUCKET_SERVER_MAX_HEADER_BYTES", "2MiB"}},
       "",
       {"LOGBUCKET_SERVER_MAX_HEADER_BYTES=\"2MiB\": expected a size from 1KiB to 1MiB"}},
      {"env unknown variable",
       {},
       {{"LOGBUCKET_LOGGING_FLUSH_INTERVALL", "5s"}},
       "",
       {"unknown environment variable LOGBUCKET_LOGGING_FLUSH_INTERVALL",
        "did you mean LOGBUCKET_LOGGING_FLUSH_INTERVAL?"}},
      {"env unknown variable, nothing close",
       {},
       {{"LOGBUCKET_WHATEVER", "1"}},
       "",
       {"unknown environment variable LOGBUCKET_WHATEVER: "}},
      {"env bad accounts",
       {},
       {{"LOGBUCKET_ACCOUNTS", "12345:alice:AK:secret"}},
       "",
       {"LOGBUCKET_ACCOUNTS=\"12345:alice:AK:secret\": account id \"12345\": expected 12 digits"}},
      // Flags.
      {"flag bad integer",
       {"--server-threads=four"},
       {},
       "",
       {"--server-threads=\"four\": expected an integer from 0 to 1024"}},
      {"flag integer out of range",
       {"--server-threads", "-1"},
       {},
       "",
       {"--server-threads=\"-1\": expected an integer from 0 to 1024"}},
      {"alias bad address",
       {"--listen", "localhost"},
       {},
       "",
       {"--listen=\"localhost\": expected HOST:PORT"}},
      {"flag bad port",
       {"--server-listen", "localhost:70000"},
       {},
       "",
       {"--server-listen=\"localhost:70000\": expected HOST:PORT with a port from 0 to 65535"}},
      {"flag unknown",
       {"--logging-flush-intervall", "5s"},
       {},
       "",
       {"unknown flag --logging-flush-intervall", "did you mean --logging-flush-interval?",
        "logbucket --help"}},
      {"flag single dash", {"-v"}, {}, "", {"unexpected argument \"-v\"", "logbucket --help"}},
      {"positional argument", {"serve"}, {}, "", {"unexpected argument \"serve\""}},
      {"flag missing value",
       {"--server-threads"},
       {},
       "",
       {"--server-threads: missing value: expected an integer from 0 to 1024"}},
      {"flag followed by flag",
       {"--s3-region", "--storage-fsync"},
       {},
       "",
       {"--s3-region: missing value"}},
      {"config flag missing value", {"--config"}, {}, "", {"--config: missing value"}},
      {"bool flag bad word",
       {"--storage-fsync", "sometimes"},
       {},
       "",
       {"--storage-fsync=\"sometimes\": expected a boolean"}},
      // TOML file.
      {"toml bad value",
       {},
       {},
       "[logging]\nflush_interval = \"5 parsecs\"\n",
       {"FILE:2:18: logging.flush_interval = \"5 parsecs\": expected a duration such as 500ms"}},
      {"toml wrong type",
       {},
       {},
       "[server]\nthreads = true\n",
       {"FILE:2:11: server.threads = true: expected an integer from 0 to 1024"}},
      {"toml string setting given a number",
       {},
       {},
       "[s3]\nregion = 5\n",
       {"FILE:2:10: s3.region = 5: expected a region name"}},
      {"toml unknown key",
       {},
       {},
       "[logging]\nflush_intervall = \"5s\"\n",
       {"unknown setting logging.flush_intervall in FILE:2:1",
        "did you mean logging.flush_interval?"}},
      {"toml unknown section",
       {},
       {},
       "[loging]\nflush_interval = \"5s\"\n",
       {"unknown section [loging] in FILE:1:2", "did you mean logging?"}},
      {"toml setting outside its section",
       {},
       {},
       "threads = 4\n",
       {"unknown setting threads in FILE:1:1", "[section]"}},
      {"toml does not parse", {}, {}, "[server\nthreads = 4\n", {"cannot parse FILE:1:"}},
      {"toml bad account id",
       {},
       {},
       "[[accounts]]\nid = 123\n",
       {"FILE:2:6: accounts[0].id = 123: expected a string (in quotes)"}},
      {"toml unknown account key",
       {},
       {},
       "[[accounts]]\nid = \"111111111111\"\nkey = \"x\"\n",
       {"unknown key accounts[0].key in FILE:3:1"}},
      {"toml unknown user key",
       {},
       {},
       "[[accounts]]\nid = \"111111111111\"\nusers = [{ name = \"a\", acces_key = \"K\" }]\n",
       {"unknown key accounts[0].users[0].acces_key in FILE:3:"}},
      // The settings file itself.
      {"config file missing",
       {"--config", "/nonexistent/logbucket.toml"},
       {},
       "",
       {"cannot read the settings file /nonexistent/logbucket.toml: No such file or directory"}},
      {"config file from env missing",
       {},
       {{"LOGBUCKET_CONFIG", "/nonexistent/env.toml"}},
       "",
       {"cannot read the settings file /nonexistent/env.toml"}},
  };
  TempDir dir;
  const std::string data_dir = (dir.path() / "data").string();
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<std::string> args = {"--data-dir", data_dir};
    std::string file;
    if (!c.toml.empty()) {
      file = dir.Write("settings.toml", c.toml).string();
      args.insert(args.end(), {"--config", file});
    }
    args.insert(args.end(), c.args.begin(), c.args.end());
    const auto result = LoadWith(args, c.env);
    ASSERT_FALSE(result.has_value());
    for (const std::string& want : c.want) {
      EXPECT_THAT(result.error().message, HasSubstr(Substitute(want, file)));
    }
  }
}

TEST(LoadErrorsTest, ExactEnvironmentMessage) {
  TempDir dir;
  const auto result = LoadWith({"--data-dir", (dir.path() / "data").string()},
                               {{"LOGBUCKET_LOGGING_FLUSH_INTERVAL", "5 parsecs"}});
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().message,
            "LOGBUCKET_LOGGING_FLUSH_INTERVAL=\"5 parsecs\": expected a duration such as 500ms, "
            "5s, 10m, 1h");
}

TEST(LoadErrorsTest, ConfigDirectoryIsNotAFile) {
  TempDir dir;
  const auto result =
      LoadWith({"--data-dir", (dir.path() / "data").string(), "--config", dir.path().string()});
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().message,
            "cannot read the settings file " + dir.path().string() + ": it is a directory");
}

// Variables outside LOGBUCKET_*, and listed names the lookup does not know, are not ours to
// judge.
TEST(LoadErrorsTest, OnlyLogbucketVariablesAreChecked) {
  TempDir dir;
  const std::vector<const char*> argv = {"logbucket", "--data-dir", dir.path().c_str()};
  const Environment env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "HOME" || name == "LOGBUCKET_NOT_A_SETTING") {
      return "x";
    }
    return std::nullopt;
  };
  EXPECT_TRUE(Load(3, argv.data(), env, {"HOME", "LOGBUCKET_ABSENT"}).has_value());
  EXPECT_FALSE(Load(3, argv.data(), env, {"HOME", "LOGBUCKET_NOT_A_SETTING"}).has_value());
}

}  // namespace
}  // namespace logbucket::config
