#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/settings_table.h"
#include "config_test_support.h"

namespace logbucket::config {
namespace {

using testing::FakeEnv;
using ::testing::HasSubstr;
using testing::LoadWith;
using ::testing::MatchesRegex;
using testing::TempDir;

class LoadTest : public ::testing::Test {
 protected:
  // Flags that keep the data directory inside the test's temporary directory.
  std::vector<std::string> Args(std::vector<std::string> more = {}) const {
    std::vector<std::string> args = {"--data-dir", data_dir_};
    args.insert(args.end(), more.begin(), more.end());
    return args;
  }

  std::string Read(const std::expected<LoadResult, ConfigError>& result,
                   const std::string& setting) const {
    return FindSetting(setting)->get(result->config);
  }

  TempDir dir_;
  std::string data_dir_ = (dir_.path() / "data").string();
};

TEST_F(LoadTest, DefaultsWithNothingGiven) {
  const auto result = LoadWith(Args());
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->action, Action::kRun);
  const Config& config = result->config;
  EXPECT_EQ(config.server.listen_host, "127.0.0.1");
  EXPECT_EQ(config.server.listen_port, 9000);
  EXPECT_EQ(config.s3.region, "us-east-1");
  EXPECT_EQ(config.auth.mode, Config::Auth::Mode::kVerify);
  EXPECT_EQ(config.logging.flush_interval, std::chrono::hours(1));
  ASSERT_EQ(config.accounts.size(), 1u);
  const Account& account = config.accounts[0];
  EXPECT_EQ(account.id, "000000000000");
  EXPECT_EQ(account.canonical_id, DeriveCanonicalId("000000000000"));
  EXPECT_EQ(account.display_name, "account-000000000000");
  ASSERT_EQ(account.users.size(), 1u);
  EXPECT_EQ(account.users[0].name, "test");
  EXPECT_EQ(account.users[0].access_key, "test");
  EXPECT_EQ(account.users[0].secret_key, "test");
}

// Each case gives a setting a value in some layers; the highest layer given must win.
struct PrecedenceCase {
  std::string setting;
  std::string file;  // "" = not given
  std::string env;
  std::string flag;
  std::string want;  // as Setting::get reads it
};

TEST_F(LoadTest, PrecedenceDefaultFileEnvFlag) {
  const std::vector<PrecedenceCase> cases = {
      {"logging.flush_interval", "", "", "", "1h"},
      {"logging.flush_interval", "10m", "", "", "10m"},
      {"logging.flush_interval", "10m", "20s", "", "20s"},
      {"logging.flush_interval", "10m", "20s", "5s", "5s"},
      {"logging.flush_interval", "", "20s", "5s", "5s"},
      {"logging.flush_interval", "10m", "", "5s", "5s"},
      {"s3.region", "eu-west-1", "", "", "eu-west-1"},
      {"s3.region", "eu-west-1", "eu-west-2", "", "eu-west-2"},
      {"s3.region", "eu-west-1", "eu-west-2", "eu-west-3", "eu-west-3"},
      {"server.threads", "3", "", "", "3"},
      {"server.threads", "3", "4", "", "4"},
      {"server.threads", "3", "4", "5", "5"},
      {"storage.fsync", "true", "", "", "true"},
      {"storage.fsync", "true", "no", "", "false"},
      {"storage.fsync", "false", "no", "on", "true"},
      {"server.listen", "0.0.0.0:1", "", "", "0.0.0.0:1"},
      {"server.listen", "0.0.0.0:1", "[::1]:2", "", "[::1]:2"},
      {"server.listen", "0.0.0.0:1", "[::1]:2", "localhost:3", "localhost:3"},
      {"accounts", "111111111111:a:KA:s", "222222222222:b:KB:s", "", "222222222222:b:KB:s"},
      {"accounts", "111111111111:a:KA:s", "222222222222:b:KB:s", "333333333333:c:KC:s",
       "333333333333:c:KC:s"},
  };
  for (const PrecedenceCase& c : cases) {
    SCOPED_TRACE(c.setting + " file=" + c.file + " env=" + c.env + " flag=" + c.flag);
    std::vector<std::string> args = Args();
    if (!c.file.empty()) {
      const size_t dot = c.setting.find('.');
      const std::string toml = dot == std::string::npos
                                   ? c.setting + " = \"" + c.file + "\"\n"
                                   : "[" + c.setting.substr(0, dot) + "]\n" +
                                         c.setting.substr(dot + 1) + " = \"" + c.file + "\"\n";
      args.insert(args.end(), {"--config", dir_.Write("p.toml", toml).string()});
    }
    FakeEnv env;
    if (!c.env.empty()) {
      env[EnvName(c.setting)] = c.env;
    }
    if (!c.flag.empty()) {
      args.insert(args.end(), {FlagName(c.setting), c.flag});
    }
    const auto result = LoadWith(args, env);
    ASSERT_TRUE(result.has_value()) << result.error().message;
    EXPECT_EQ(Read(result, c.setting), c.want);
  }
}

TEST_F(LoadTest, AliasesAndTheirLongFormsAreInterchangeable) {
  const std::string other_dir = (dir_.path() / "other").string();
  const std::vector<std::vector<std::string>> spellings = {
      {"--listen", "0.0.0.0:9100", "--data-dir", other_dir},
      {"--listen=0.0.0.0:9100", "--data-dir=" + other_dir},
      {"--server-listen", "0.0.0.0:9100", "--storage-data-dir", other_dir},
  };
  for (const auto& args : spellings) {
    const auto result = LoadWith(args);
    ASSERT_TRUE(result.has_value()) << result.error().message;
    EXPECT_EQ(result->config.server.listen_host, "0.0.0.0");
    EXPECT_EQ(result->config.server.listen_port, 9100);
    EXPECT_EQ(result->config.storage.data_dir, other_dir);
    EXPECT_TRUE(std::filesystem::is_directory(other_dir));
  }
  // The later flag wins whichever spelling each uses.
  const auto result = LoadWith(Args({"--listen", "a.test:1", "--server-listen", "b.test:2"}));
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->config.server.listen_host, "b.test");
}

TEST_F(LoadTest, BooleanFlagForms) {
  struct Case {
    std::vector<std::string> flags;
    bool fsync;
    std::string region;
  };
  const std::vector<Case> cases = {
      {{"--storage-fsync"}, true, "us-east-1"},
      {{"--storage-fsync", "--s3-region", "eu-west-1"}, true, "eu-west-1"},
      {{"--storage-fsync", "false"}, false, "us-east-1"},
      {{"--storage-fsync", "yes"}, true, "us-east-1"},
      {{"--storage-fsync=off"}, false, "us-east-1"},
      {{"--storage-fsync=1"}, true, "us-east-1"},
      {{"--storage-fsync", "--storage-fsync=0"}, false, "us-east-1"},
  };
  for (const Case& c : cases) {
    const auto result = LoadWith(Args(c.flags));
    ASSERT_TRUE(result.has_value()) << c.flags[0] << ": " << result.error().message;
    EXPECT_EQ(result->config.storage.fsync, c.fsync) << ::testing::PrintToString(c.flags);
    EXPECT_EQ(result->config.s3.region, c.region) << ::testing::PrintToString(c.flags);
  }
}

TEST_F(LoadTest, ConfigFileFromEnvironmentAndFlagOverridesIt) {
  const std::string by_env = dir_.Write("env.toml", "[s3]\nregion = \"eu-north-1\"\n").string();
  const std::string by_flag = dir_.Write("flag.toml", "[s3]\nregion = \"sa-east-1\"\n").string();
  const auto from_env = LoadWith(Args(), {{"LOGBUCKET_CONFIG", by_env}});
  ASSERT_TRUE(from_env.has_value()) << from_env.error().message;
  EXPECT_EQ(from_env->config.s3.region, "eu-north-1");
  const auto from_flag = LoadWith(Args({"--config", by_flag}), {{"LOGBUCKET_CONFIG", by_env}});
  ASSERT_TRUE(from_flag.has_value()) << from_flag.error().message;
  EXPECT_EQ(from_flag->config.s3.region, "sa-east-1");
}

TEST_F(LoadTest, NativeTomlValues) {
  const std::string file = dir_.Write("native.toml", R"(
[server]
listen = "[::]:9001"
threads = 8
max_header_bytes = 8192
idle_timeout = 30          # seconds
[storage]
fsync = true
[logging]
flush_interval = "5s"
spool_max_bytes = "256MiB"
source_region_field = "yes"
)")
                               .string();
  const auto result = LoadWith(Args({"--config", file}));
  ASSERT_TRUE(result.has_value()) << result.error().message;
  const Config& config = result->config;
  EXPECT_EQ(config.server.listen_host, "::");
  EXPECT_EQ(config.server.listen_port, 9001);
  EXPECT_EQ(config.server.threads, 8);
  EXPECT_EQ(config.server.max_header_bytes, 8192u);
  EXPECT_EQ(config.server.idle_timeout, std::chrono::seconds(30));
  EXPECT_TRUE(config.storage.fsync);
  EXPECT_EQ(config.logging.flush_interval, std::chrono::seconds(5));
  EXPECT_EQ(config.logging.spool_max_bytes, 256ull << 20);
  EXPECT_TRUE(config.logging.source_region_field);
}

TEST_F(LoadTest, HelpAndVersion) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--help"}, {"-h"}, {"--s3-region", "BAD", "--help"}, {"--bogus", "--help"}}) {
    const auto result = LoadWith(args);
    ASSERT_TRUE(result.has_value()) << result.error().message;
    EXPECT_EQ(result->action, Action::kHelp);
    EXPECT_EQ(result->text, HelpText());
  }
  const auto version = LoadWith({"--version"}, {{"LOGBUCKET_S3_REGION", "BAD"}});
  ASSERT_TRUE(version.has_value()) << version.error().message;
  EXPECT_EQ(version->action, Action::kVersion);
  EXPECT_EQ(version->text, std::string(Version()) + "\n");
  EXPECT_THAT(Version(), MatchesRegex("logbucket [0-9]+\\.[0-9]+\\.[0-9]+"));
  // Neither checks the data directory: an unusable one does not stop them.
  const std::string unusable = dir_.Write("plain-file", "x").string() + "/data";
  EXPECT_TRUE(LoadWith({"--data-dir", unusable, "--help"}).has_value());
  EXPECT_TRUE(LoadWith({"--data-dir", unusable, "--version"}).has_value());
  EXPECT_FALSE(LoadWith({"--data-dir", unusable}).has_value());
}

TEST_F(LoadTest, DataDirIsCreatedWithParents) {
  const std::string nested = (dir_.path() / "a" / "b" / "c").string();
  const auto result = LoadWith({"--data-dir", nested});
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_TRUE(std::filesystem::is_directory(nested));
  // The write probe leaves nothing behind.
  EXPECT_TRUE(std::filesystem::is_empty(nested));
}

TEST_F(LoadTest, UnusableDataDir) {
  const std::string file = dir_.Write("plain-file", "x").string();
  struct Case {
    std::string data_dir;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {file, "is not a directory"},
      // Tests run as root, so permissions cannot make creation fail; a regular file as a parent
      // can.
      {file + "/data", "cannot create the directory (Not a directory)"},
  };
  for (const Case& c : cases) {
    const auto result = LoadWith({"--data-dir", c.data_dir});
    ASSERT_FALSE(result.has_value()) << c.data_dir;
    EXPECT_EQ(result.error().message, "storage.data_dir \"" + c.data_dir + "\": " + c.reason +
                                          ": expected a writable directory");
  }
}

}  // namespace
}  // namespace logbucket::config
