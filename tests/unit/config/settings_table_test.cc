#include "config/settings_table.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "config_test_support.h"

namespace logbucket::config {
namespace {

using testing::FakeEnv;
using ::testing::HasSubstr;
using testing::LoadWith;
using testing::TempDir;

// A non-default value for every setting and the text `get` reads back. The table test below
// fails when a setting is added without a sample here, so every setting's names get exercised.
struct Sample {
  std::string value;
  std::string read_back;
  // Other flags the value needs to be valid; "TEMP" stands for the test's directory.
  std::vector<std::string> with = {};
};

std::map<std::string, Sample> Samples() {
  return {
      {"server.listen", {"0.0.0.0:9100", "0.0.0.0:9100"}},
      {"server.threads", {"7", "7"}},
      {"server.store_threads", {"3", "3"}},
      {"server.domain", {"s3.example.test", "s3.example.test"}},
      {"server.max_header_bytes", {"32768", "32KiB"}},
      {"server.max_object_bytes", {"1GiB", "1GiB"}},
      {"server.idle_timeout", {"90", "90s"}},
      {"server.read_timeout", {"2m", "2m"}},
      {"server.shutdown_timeout", {"500ms", "500ms"}},
      {"storage.data_dir", {"DATA_DIR", "DATA_DIR"}},  // replaced by a temporary directory
      {"storage.fsync", {"yes", "true"}},
      {"s3.region", {"eu-west-3", "eu-west-3"}},
      {"auth.mode", {"accept-any", "accept-any"}},
      {"auth.max_skew", {"5m", "5m"}},
      {"accounts", {"111111111111:alice:AKALICE:secret1", "111111111111:alice:AKALICE:secret1"}},
      {"logging.flush_interval", {"10s", "10s"}},
      {"lifecycle.day", {"10s", "10s"}},
      {"logging.strict_permissions", {"on", "true"}},
      {"logging.source_region_field", {"1", "true"}},
      {"logging.max_object_bytes", {"1MiB", "1MiB"}},
      {"logging.spool_max_bytes", {"2GiB", "2GiB"}},
      {"diagnostics.level", {"debug", "debug"}},
      {"admin.allow_reset", {"true", "true"}},
      {"tls.cert_file", {"TEMP/c.pem", "TEMP/c.pem", {"--tls-key-file", "TEMP/k.pem"}}},
      {"tls.key_file", {"TEMP/k.pem", "TEMP/k.pem", {"--tls-cert-file", "TEMP/c.pem"}}},
      {"tls.self_signed", {"on", "true"}},
      {"tls.listen", {"[::1]:9443", "[::1]:9443", {"--tls-self-signed"}}},
  };
}

TEST(NamingRuleTest, DerivesEnvAndFlagNames) {
  EXPECT_EQ(EnvName("logging.flush_interval"), "LOGBUCKET_LOGGING_FLUSH_INTERVAL");
  EXPECT_EQ(FlagName("logging.flush_interval"), "--logging-flush-interval");
  EXPECT_EQ(EnvName("accounts"), "LOGBUCKET_ACCOUNTS");
  EXPECT_EQ(FlagName("accounts"), "--accounts");
  EXPECT_EQ(EnvName("s3.region"), "LOGBUCKET_S3_REGION");
  EXPECT_EQ(FlagName("storage.data_dir"), "--storage-data-dir");
}

TEST(NamingRuleTest, EverySettingHasASample) {
  const auto samples = Samples();
  std::set<std::string> names;
  for (const Setting& setting : Settings()) {
    names.insert(setting.name);
    EXPECT_TRUE(samples.contains(setting.name)) << "no sample for " << setting.name;
  }
  EXPECT_EQ(names.size(), Settings().size()) << "duplicate setting names";
  EXPECT_EQ(samples.size(), Settings().size()) << "a sample names no setting";
}

// For every row: the TOML name, the derived variable and both flag spellings set the value,
// and each differs from the default (so the test would notice a layer that sets nothing).
TEST(NamingRuleTest, EverySettingWorksThroughEveryLayer) {
  TempDir dir;
  const std::string data_dir = (dir.path() / "data").string();
  const std::string sample_dir = (dir.path() / "sample-data").string();
  const Config defaults;
  dir.Write("c.pem", "certificate");
  dir.Write("k.pem", "key");
  const auto expand = [&dir](std::string text) {
    if (text.starts_with("TEMP")) text.replace(0, 4, dir.path().string());
    return text;
  };
  for (auto [name, sample] : Samples()) {
    SCOPED_TRACE(name);
    const Setting* setting = FindSetting(name);
    ASSERT_NE(setting, nullptr);
    if (sample.value == "DATA_DIR") {
      sample = {sample_dir, sample_dir};
    }
    sample.value = expand(sample.value);
    sample.read_back = expand(sample.read_back);
    ASSERT_NE(setting->get(defaults), sample.read_back) << "sample equals the default";
    // Settings other than storage.data_dir keep the test's data directory out of ./data.
    std::vector<std::string> base = name == "storage.data_dir"
                                        ? std::vector<std::string>{}
                                        : std::vector<std::string>{"--data-dir", data_dir};
    for (const std::string& arg : sample.with) base.push_back(expand(arg));

    const size_t dot = name.find('.');
    const std::string toml = dot == std::string::npos
                                 ? name + " = \"" + sample.value + "\"\n"
                                 : "[" + name.substr(0, dot) + "]\n" + name.substr(dot + 1) +
                                       " = \"" + sample.value + "\"\n";
    const std::string file = dir.Write("sample.toml", toml).string();
    std::vector<std::string> with_file = base;
    with_file.insert(with_file.end(), {"--config", file});

    std::vector<std::string> spaced = base;
    spaced.insert(spaced.end(), {FlagName(name), sample.value});
    std::vector<std::string> joined = base;
    joined.push_back(FlagName(name) + "=" + sample.value);

    const std::vector<std::pair<std::string, std::expected<LoadResult, ConfigError>>> runs = {
        {"toml", LoadWith(with_file)},
        {"env", LoadWith(base, FakeEnv{{EnvName(name), sample.value}})},
        {"flag", LoadWith(spaced)},
        {"flag=", LoadWith(joined)},
    };
    for (const auto& [layer, result] : runs) {
      ASSERT_TRUE(result.has_value()) << layer << ": " << result.error().message;
      EXPECT_EQ(setting->get(result->config), sample.read_back) << layer;
    }
  }
}

TEST(FindSettingTest, LooksUpByEveryName) {
  EXPECT_EQ(FindSettingByEnv("LOGBUCKET_S3_REGION"), FindSetting("s3.region"));
  EXPECT_EQ(FindSettingByFlag("--s3-region"), FindSetting("s3.region"));
  EXPECT_EQ(FindSettingByFlag("--listen"), FindSetting("server.listen"));
  EXPECT_EQ(FindSettingByFlag("--data-dir"), FindSetting("storage.data_dir"));
  EXPECT_EQ(FindSetting("s3.regio"), nullptr);
  EXPECT_EQ(FindSettingByEnv("LOGBUCKET_S3_REGIO"), nullptr);
  EXPECT_EQ(FindSettingByFlag("--s3_region"), nullptr);
}

TEST(ClosestNameTest, SuggestsOnlyNearNames) {
  const std::vector<std::string> names = {"logging.flush_interval", "server.threads"};
  EXPECT_EQ(ClosestName("logging.flush_intervall", names), "logging.flush_interval");
  EXPECT_EQ(ClosestName("server.thread", names), "server.threads");
  EXPECT_EQ(ClosestName("something.else", names), "");
}

TEST(HelpTextTest, ListsEverySettingWithItsNamesAndDefault) {
  const std::string help = HelpText();
  // Help paragraphs are wrapped at 100 columns; unwrapped, each must appear whole.
  std::string unwrapped = help;
  for (size_t at = unwrapped.find("\n      "); at != std::string::npos;
       at = unwrapped.find("\n      ", at + 1)) {
    if (unwrapped.compare(at + 7, 3, "env") == 0 || unwrapped.compare(at + 7, 7, "expects") == 0) {
      continue;
    }
    unwrapped.replace(at, 7, " ");
  }
  const Config defaults;
  for (const Setting& setting : Settings()) {
    EXPECT_THAT(help, HasSubstr(FlagName(setting.name) + " " + setting.placeholder + "\n"));
    const std::string default_value = setting.get(defaults);
    EXPECT_THAT(help, HasSubstr("env " + EnvName(setting.name) + ", default " +
                                (default_value.empty() ? "none" : default_value) + "\n"));
    EXPECT_THAT(unwrapped, HasSubstr(setting.help));
  }
  for (const std::string section : {"[server]", "[storage]", "[s3]", "[auth]", "[accounts]",
                                    "[logging]", "[diagnostics]", "[admin]", "[tls]"}) {
    EXPECT_THAT(help, HasSubstr("\n" + section + "\n"));
  }
  EXPECT_THAT(help, HasSubstr("--listen HOST:PORT"));
  EXPECT_THAT(help, HasSubstr("same as --server-listen"));
  EXPECT_THAT(help, HasSubstr("--data-dir DIR"));
  EXPECT_THAT(help, HasSubstr("same as --storage-data-dir"));
  EXPECT_THAT(help, HasSubstr("--config FILE"));
  EXPECT_THAT(help, HasSubstr("--help"));
  EXPECT_THAT(help, HasSubstr("--version"));
  EXPECT_THAT(help, HasSubstr("default 127.0.0.1:9000"));
  EXPECT_THAT(help, HasSubstr("default 1h"));
  EXPECT_THAT(help, HasSubstr("default 000000000000:test:test:test"));
  // Wrapped within 100 columns.
  size_t line_start = 0;
  for (size_t end = help.find('\n'); end != std::string::npos; end = help.find('\n', line_start)) {
    EXPECT_LE(end - line_start, 100u) << help.substr(line_start, end - line_start);
    line_start = end + 1;
  }
}

}  // namespace
}  // namespace logbucket::config
