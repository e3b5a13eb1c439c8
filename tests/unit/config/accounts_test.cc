#include "config/accounts.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config_test_support.h"

namespace logbucket::config {
namespace {

using ::testing::HasSubstr;
using testing::LoadWith;
using testing::TempDir;

TEST(CompactAccountsTest, UsersSharingAnIdJoinOneAccount) {
  const auto accounts = ParseCompactAccounts(
      "111111111111:alice:AKALICE:s1,222222222222:bob:AKBOB:s2,111111111111:carol:AKCAROL:s:3");
  ASSERT_TRUE(accounts.has_value()) << accounts.error();
  ASSERT_EQ(accounts->size(), 2u);
  const Account& first = (*accounts)[0];
  EXPECT_EQ(first.id, "111111111111");
  EXPECT_EQ(first.canonical_id, DeriveCanonicalId("111111111111"));
  EXPECT_EQ(first.display_name, "account-111111111111");
  ASSERT_EQ(first.users.size(), 2u);
  EXPECT_EQ(first.users[0].name, "alice");
  EXPECT_EQ(first.users[0].access_key, "AKALICE");
  EXPECT_EQ(first.users[0].secret_key, "s1");
  EXPECT_EQ(first.users[1].name, "carol");
  EXPECT_EQ(first.users[1].secret_key, "s:3");  // the secret is the rest after the third ':'
  EXPECT_EQ((*accounts)[1].id, "222222222222");
  EXPECT_EQ((*accounts)[1].users.at(0).name, "bob");
  EXPECT_EQ(FormatCompactAccounts(*accounts),
            "111111111111:alice:AKALICE:s1,111111111111:carol:AKCAROL:s:3,"
            "222222222222:bob:AKBOB:s2");
}

TEST(CompactAccountsTest, Errors) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "entry \"\" is not of the form ID:USER:ACCESS_KEY:SECRET[,...]"},
      {"111111111111:alice:AK", "entry \"111111111111:alice:AK\" is not of the form"},
      {"111111111111:alice:AK:s,", "entry \"\" is not of the form"},
      {"1111:alice:AK:s", "account id \"1111\": expected 12 digits"},
      {"11111111111a:alice:AK:s", "account id \"11111111111a\": expected 12 digits"},
      {"111111111111:alice:AK:", "secret key of user \"alice\" of account 111111111111 is empty"},
      {"111111111111::AK:s", "user \"\" of account 111111111111: expected a user name"},
      {"111111111111:al ice:AK:s", "user \"al ice\" of account 111111111111"},
      {"111111111111:alice::s", "access key \"\" of user \"alice\""},
      {"111111111111:alice:A/K:s", "access key \"A/K\" of user \"alice\""},
      {"111111111111:alice:AK:s,222222222222:bob:AK:t",
       "access key \"AK\" is used by user \"alice\" of account 111111111111 and by user \"bob\" "
       "of account 222222222222: expected access keys unique across all accounts"},
      {"111111111111:alice:AK:s,111111111111:bob:AK:t", "access key \"AK\" is used by"},
  };
  for (const auto& [text, want] : cases) {
    const auto accounts = ParseCompactAccounts(text);
    ASSERT_FALSE(accounts.has_value()) << text;
    EXPECT_THAT(accounts.error(), HasSubstr(want)) << text;
  }
}

TEST(FinishAccountsTest, ChecksGivenIdsAndKeepsGivenNames) {
  std::vector<Account> accounts(1);
  accounts[0].id = "123456789012";
  accounts[0].canonical_id = std::string(64, 'a');
  accounts[0].display_name = "Alice's team";
  accounts[0].users = {User{.name = "alice", .access_key = "AK", .secret_key = "s"}};
  ASSERT_TRUE(FinishAccounts(accounts).has_value());
  EXPECT_EQ(accounts[0].canonical_id, std::string(64, 'a'));
  EXPECT_EQ(accounts[0].display_name, "Alice's team");

  for (const std::string& bad :
       {std::string(64, 'A'), std::string(63, 'a'), std::string(64, 'g')}) {
    accounts[0].canonical_id = bad;
    const auto finished = FinishAccounts(accounts);
    ASSERT_FALSE(finished.has_value()) << bad;
    EXPECT_THAT(finished.error(), HasSubstr("canonical_id \"" + bad +
                                            "\" of account 123456789012"
                                            ": expected 64 lower-case hex characters"));
  }
  accounts[0].canonical_id.clear();
  accounts[0].users.clear();
  const auto no_users = FinishAccounts(accounts);
  ASSERT_FALSE(no_users.has_value());
  EXPECT_EQ(no_users.error(), "account 123456789012 has no users: expected at least one");
}

TEST(DefaultAccountsTest, IsTheTestAccount) {
  const auto accounts = DefaultAccounts();
  ASSERT_EQ(accounts.size(), 1u);
  EXPECT_EQ(FormatCompactAccounts(accounts), "000000000000:test:test:test");
  EXPECT_EQ(accounts[0].canonical_id, DeriveCanonicalId("000000000000"));
}

TEST(TomlAccountsTest, ArrayOfTables) {
  TempDir dir;
  const std::string file = dir.Write("accounts.toml", R"(
[[accounts]]
id = "111111111111"
display_name = "alice-team"
users = [
  { name = "alice", access_key = "AKALICE", secret_key = "secret-a" },
  { name = "carol", access_key = "AKCAROL", secret_key = "secret-c" },
]

[[accounts]]
id = "222222222222"
canonical_id = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
[[accounts.users]]
name = "bob"
access_key = "AKBOB"
secret_key = "secret-b"
)")
                               .string();
  const auto result = LoadWith({"--data-dir", (dir.path() / "data").string(), "--config", file});
  ASSERT_TRUE(result.has_value()) << result.error().message;
  const auto& accounts = result->config.accounts;
  ASSERT_EQ(accounts.size(), 2u);
  EXPECT_EQ(accounts[0].id, "111111111111");
  EXPECT_EQ(accounts[0].display_name, "alice-team");
  EXPECT_EQ(accounts[0].canonical_id, DeriveCanonicalId("111111111111"));
  ASSERT_EQ(accounts[0].users.size(), 2u);
  EXPECT_EQ(accounts[0].users[1].name, "carol");
  EXPECT_EQ(accounts[0].users[1].access_key, "AKCAROL");
  EXPECT_EQ(accounts[0].users[1].secret_key, "secret-c");
  EXPECT_EQ(accounts[1].canonical_id,
            "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be");
  EXPECT_EQ(accounts[1].display_name, "account-222222222222");
  ASSERT_EQ(accounts[1].users.size(), 1u);
  EXPECT_EQ(accounts[1].users[0].name, "bob");
}

TEST(TomlAccountsTest, Errors) {
  struct Case {
    std::string toml;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"[[accounts]]\nusers = [{ name = \"a\", access_key = \"K\", secret_key = \"s\" }]\n",
       "accounts[0] has no id: expected id = \"<12 digits>\""},
      {"[[accounts]]\nid = \"111111111111\"\nusers = [{ name = \"a\", access_key = \"K\", "
       "secret_key = \"s\" }]\n[[accounts]]\nid = \"222222222222\"\nusers = [{ name = \"b\", "
       "access_key = \"K\", secret_key = \"t\" }]\n",
       "accounts: access key \"K\" is used by user \"a\" of account 111111111111 and by user "
       "\"b\" of account 222222222222"},
      {"[[accounts]]\nid = \"111111111111\"\nusers = [{ name = \"a\", access_key = \"K\", "
       "secret_key = \"s\" }]\n[[accounts]]\nid = \"111111111111\"\nusers = [{ name = \"b\", "
       "access_key = \"L\", secret_key = \"t\" }]\n",
       "account id \"111111111111\" appears twice"},
      {"[[accounts]]\nid = \"111111111111\"\nusers = [{ name = \"a\", access_key = \"K\", "
       "secret_key = \"\" }]\n",
       "secret key of user \"a\" of account 111111111111 is empty"},
      {"[[accounts]]\nid = \"111111111111\"\n",
       "account 111111111111 has no users: expected at least one"},
      {"[[accounts]]\nid = \"111111111111\"\nusers = \"a:K:s\"\n",
       "accounts[0].users: expected an array of { name, access_key, secret_key } tables"},
      {"accounts = 5\n", "accounts: expected [[accounts]] tables or a string"},
      {"accounts = \"1:a:K:s\"\n", "accounts = \"1:a:K:s\": account id \"1\": expected 12 digits"},
  };
  TempDir dir;
  for (const Case& c : cases) {
    const std::string file = dir.Write("accounts.toml", c.toml).string();
    const auto result = LoadWith({"--data-dir", (dir.path() / "data").string(), "--config", file});
    ASSERT_FALSE(result.has_value()) << c.toml;
    EXPECT_THAT(result.error().message, HasSubstr(c.want)) << c.toml;
    EXPECT_THAT(result.error().message, HasSubstr(file)) << c.toml;
  }
}

}  // namespace
}  // namespace logbucket::config
