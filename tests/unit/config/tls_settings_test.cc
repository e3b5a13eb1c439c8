// The tls.* settings: the three layers (TOML, environment, flags), the separate listener, and
// the start-up errors for combinations and files, each naming the key and the value.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

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
using testing::TempDir;

class TlsSettingsTest : public ::testing::Test {
 protected:
  std::vector<std::string> Args(std::vector<std::string> more = {}) const {
    std::vector<std::string> args = {"--data-dir", (dir_.path() / "data").string()};
    args.insert(args.end(), more.begin(), more.end());
    return args;
  }
  std::string Error(const std::vector<std::string>& args, const FakeEnv& env = {}) const {
    const auto result = LoadWith(Args(args), env);
    return result ? "(loaded)" : result.error().message;
  }

  TempDir dir_;
  std::string cert_ = dir_.Write("cert.pem", "-----BEGIN CERTIFICATE-----\n").string();
  std::string key_ = dir_.Write("key.pem", "-----BEGIN PRIVATE KEY-----\n").string();
};

TEST_F(TlsSettingsTest, OffByDefault) {
  const auto result = LoadWith(Args());
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_FALSE(result->config.tls.enabled());
  EXPECT_FALSE(result->config.tls.separate_listener());
  EXPECT_EQ(FindSetting("tls.listen")->get(result->config), "");
  EXPECT_EQ(FindSetting("tls.self_signed")->get(result->config), "false");
}

TEST_F(TlsSettingsTest, CertificateAndKeyFromFlags) {
  const auto result = LoadWith(Args({"--tls-cert-file", cert_, "--tls-key-file", key_}));
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_TRUE(result->config.tls.enabled());
  EXPECT_EQ(result->config.tls.cert_file, cert_);
  EXPECT_EQ(result->config.tls.key_file, key_);
  EXPECT_FALSE(result->config.tls.self_signed);
}

TEST_F(TlsSettingsTest, SelfSignedAndListenerFromEnvironmentAndToml) {
  auto from_env = LoadWith(
      Args(), {{"LOGBUCKET_TLS_SELF_SIGNED", "yes"}, {"LOGBUCKET_TLS_LISTEN", "[::1]:9443"}});
  ASSERT_TRUE(from_env) << from_env.error().message;
  EXPECT_TRUE(from_env->config.tls.self_signed);
  EXPECT_TRUE(from_env->config.tls.enabled());
  EXPECT_EQ(from_env->config.tls.listen_host, "::1");
  EXPECT_EQ(from_env->config.tls.listen_port, 9443);
  EXPECT_EQ(FindSetting("tls.listen")->get(from_env->config), "[::1]:9443");

  const auto file =
      dir_.Write("settings.toml", "[tls]\nself_signed = true\nlisten = \"127.0.0.1:0\"\n");
  auto from_toml = LoadWith(Args({"--config", file.string()}));
  ASSERT_TRUE(from_toml) << from_toml.error().message;
  EXPECT_TRUE(from_toml->config.tls.self_signed);
  EXPECT_TRUE(from_toml->config.tls.separate_listener());
  EXPECT_EQ(from_toml->config.tls.listen_port, 0);

  // A flag beats the file: an empty tls.listen turns the separate listener off.
  auto overridden = LoadWith(Args({"--config", file.string(), "--tls-listen="}));
  ASSERT_TRUE(overridden) << overridden.error().message;
  EXPECT_FALSE(overridden->config.tls.separate_listener());
}

TEST_F(TlsSettingsTest, ErrorsNameTheKeyAndTheValue) {
  EXPECT_THAT(Error({"--tls-cert-file", cert_}),
              HasSubstr("tls.cert_file \"" + cert_ + "\" is set without tls.key_file"));
  EXPECT_THAT(Error({"--tls-key-file", key_}),
              HasSubstr("tls.key_file \"" + key_ + "\" is set without tls.cert_file"));
  const std::string missing = (dir_.path() / "missing.pem").string();
  EXPECT_THAT(Error({"--tls-cert-file", cert_, "--tls-key-file", missing}),
              HasSubstr("tls.key_file \"" + missing + "\": no such file"));
  EXPECT_THAT(Error({"--tls-cert-file", dir_.path().string(), "--tls-key-file", key_}),
              HasSubstr("tls.cert_file \"" + dir_.path().string() + "\": is not a regular file"));
  EXPECT_THAT(Error({"--tls-self-signed", "--tls-cert-file", cert_, "--tls-key-file", key_}),
              HasSubstr("tls.self_signed = true and tls.cert_file \"" + cert_ + "\""));
  EXPECT_THAT(Error({"--tls-listen", "127.0.0.1:9443"}),
              HasSubstr("tls.listen \"127.0.0.1:9443\" is set but TLS is off"));
  EXPECT_THAT(
      Error({"--tls-self-signed", "--listen", "127.0.0.1:9000", "--tls-listen", "127.0.0.1:9000"}),
      HasSubstr("tls.listen \"127.0.0.1:9000\" is the same address as server.listen"));
  EXPECT_THAT(Error({}, {{"LOGBUCKET_TLS_LISTEN", "nowhere"}}),
              HasSubstr("LOGBUCKET_TLS_LISTEN=\"nowhere\": expected HOST:PORT"));
  EXPECT_THAT(Error({"--tls-self-signed", "perhaps"}),
              HasSubstr("--tls-self-signed=\"perhaps\": expected a boolean"));
}

TEST_F(TlsSettingsTest, UnreadableKeyIsNamed) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads files whatever their mode";
  ::chmod(key_.c_str(), 0);
  EXPECT_THAT(Error({"--tls-cert-file", cert_, "--tls-key-file", key_}),
              HasSubstr("tls.key_file \"" + key_ + "\": cannot open it"));
}

TEST_F(TlsSettingsTest, HelpListsTheTlsSection) {
  const std::string help = HelpText();
  EXPECT_THAT(help, HasSubstr("[tls]"));
  EXPECT_THAT(help, HasSubstr("--tls-self-signed BOOL"));
  EXPECT_THAT(help, HasSubstr("env LOGBUCKET_TLS_CERT_FILE"));
  EXPECT_THAT(help, HasSubstr("--tls-listen HOST:PORT"));
}

}  // namespace
}  // namespace logbucket::config
