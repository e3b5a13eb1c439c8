#include "config/accounts.h"

#include <algorithm>
#include <array>
#include <map>

#include "config/sha256.h"

namespace logbucket::config {
namespace {

constexpr std::string_view kCanonicalIdSalt = "logbucket-canonical-user:";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool IsAccountId(std::string_view id) {
  return id.size() == 12 && std::ranges::all_of(id, IsDigit);
}

bool IsCanonicalId(std::string_view id) {
  return id.size() == 64 &&
         std::ranges::all_of(id, [](char c) { return IsDigit(c) || (c >= 'a' && c <= 'f'); });
}

// IAM user names: 1 to 64 of letters, digits and +=,.@_- (they end up in ARNs).
bool IsUserName(std::string_view name) {
  static constexpr std::string_view kPunctuation = "+=,.@_-";
  return !name.empty() && name.size() <= 64 && std::ranges::all_of(name, [](char c) {
    return IsAlnum(c) || kPunctuation.find(c) != std::string_view::npos;
  });
}

// Access keys appear in SigV4's Credential=KEY/date/region/s3/aws4_request, so no '/', ',' or
// spaces; letters, digits and ._- cover AWS's own keys and the usual test keys.
bool IsAccessKey(std::string_view key) {
  return !key.empty() && key.size() <= 128 && std::ranges::all_of(key, [](char c) {
    return IsAlnum(c) || c == '.' || c == '_' || c == '-';
  });
}

std::string Quote(std::string_view text) { return "\"" + std::string(text) + "\""; }

}  // namespace

std::string DeriveCanonicalId(const std::string& account_id) {
  return Sha256Hex(std::string(kCanonicalIdSalt) + account_id);
}

std::expected<std::vector<Account>, std::string> ParseCompactAccounts(std::string_view text) {
  std::vector<Account> accounts;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    const size_t end = comma == std::string_view::npos ? text.size() : comma;
    const std::string_view entry = text.substr(start, end - start);
    std::array<std::string_view, 4> parts;
    size_t from = 0;
    bool complete = true;
    for (int i = 0; i < 3; ++i) {
      const size_t colon = entry.find(':', from);
      if (colon == std::string_view::npos) {
        complete = false;
        break;
      }
      parts[i] = entry.substr(from, colon - from);
      from = colon + 1;
    }
    if (!complete) {
      return std::unexpected("entry " + Quote(entry) + " is not of the form " +
                             std::string(kCompactAccountsForm));
    }
    parts[3] = entry.substr(from);
    auto account = std::ranges::find(accounts, parts[0], &Account::id);
    if (account == accounts.end()) {
      Account added;
      added.id = std::string(parts[0]);
      accounts.push_back(std::move(added));
      account = accounts.end() - 1;
    }
    account->users.push_back(User{.name = std::string(parts[1]),
                                  .access_key = std::string(parts[2]),
                                  .secret_key = std::string(parts[3])});
    if (comma == std::string_view::npos) {
      break;
    }
    start = comma + 1;
  }
  if (auto finished = FinishAccounts(accounts); !finished) {
    return std::unexpected(finished.error());
  }
  return accounts;
}

std::expected<void, std::string> FinishAccounts(std::vector<Account>& accounts) {
  // access key -> "user NAME of account ID", to name both sides of a duplicate.
  std::map<std::string, std::string, std::less<>> owners;
  for (size_t i = 0; i < accounts.size(); ++i) {
    Account& account = accounts[i];
    if (!IsAccountId(account.id)) {
      return std::unexpected("account id " + Quote(account.id) + ": expected 12 digits");
    }
    for (size_t j = 0; j < i; ++j) {
      if (accounts[j].id == account.id) {
        return std::unexpected("account id " + Quote(account.id) +
                               " appears twice: expected each account once, with all its users");
      }
    }
    if (account.canonical_id.empty()) {
      account.canonical_id = DeriveCanonicalId(account.id);
    }
    if (!IsCanonicalId(account.canonical_id)) {
      return std::unexpected("canonical_id " + Quote(account.canonical_id) + " of account " +
                             account.id + ": expected 64 lower-case hex characters");
    }
    if (account.display_name.empty()) {
      account.display_name = "account-" + account.id;
    }
    if (account.users.empty()) {
      return std::unexpected("account " + account.id + " has no users: expected at least one");
    }
    for (const User& user : account.users) {
      const std::string who = "user " + Quote(user.name) + " of account " + account.id;
      if (!IsUserName(user.name)) {
        return std::unexpected(who +
                               ": expected a user name of 1 to 64 letters, digits or +=,.@_-");
      }
      if (!IsAccessKey(user.access_key)) {
        return std::unexpected("access key " + Quote(user.access_key) + " of " + who +
                               ": expected 1 to 128 letters, digits or ._-");
      }
      if (user.secret_key.empty()) {
        return std::unexpected("secret key of " + who + " is empty: expected a non-empty secret");
      }
      const auto [owner, inserted] = owners.emplace(user.access_key, who);
      if (!inserted) {
        return std::unexpected("access key " + Quote(user.access_key) + " is used by " +
                               owner->second + " and by " + who +
                               ": expected access keys unique across all accounts");
      }
    }
  }
  return {};
}

std::vector<Account> DefaultAccounts() {
  Account account;
  account.id = "000000000000";
  account.users = {User{.name = "test", .access_key = "test", .secret_key = "test"}};
  std::vector<Account> accounts = {std::move(account)};
  // The defaults are valid by construction; this only fills canonical_id and display_name.
  (void)FinishAccounts(accounts);
  return accounts;
}

std::string FormatCompactAccounts(const std::vector<Account>& accounts) {
  std::string text;
  for (const Account& account : accounts) {
    for (const User& user : account.users) {
      if (!text.empty()) {
        text += ',';
      }
      text += account.id + ":" + user.name + ":" + user.access_key + ":" + user.secret_key;
    }
  }
  return text;
}

}  // namespace logbucket::config
