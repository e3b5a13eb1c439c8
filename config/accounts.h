// Accounts and their users: the compact "ID:USER:ACCESS_KEY:SECRET" form used by the environment
// and flags, the defaults (account 000000000000, user test, key test/test), and the checks every
// layer applies to the accounts it sets. The TOML form ([[accounts]] tables) is read in
// config/toml_file.cc and ends in the same FinishAccounts.
// Thread-safety: pure functions.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace logbucket::config {

inline constexpr std::string_view kCompactAccountsForm = "ID:USER:ACCESS_KEY:SECRET[,...]";

// Parses "ID:USER:ACCESS_KEY:SECRET[,ID:USER:ACCESS_KEY:SECRET...]"; entries with the same ID
// become users of one account, in order of first appearance. The secret is everything after the
// third ':'. Returns the accounts finished by FinishAccounts, or what is wrong (without the
// source, which the caller adds).
std::expected<std::vector<Account>, std::string> ParseCompactAccounts(std::string_view text);

// Validates `accounts` and fills what was left empty: canonical_id = DeriveCanonicalId(id),
// display_name = "account-<id>". Checks: 12-digit unique ids, 64-hex canonical ids, at least one
// user per account, IAM-style user names, access keys unique across all accounts, non-empty
// secrets. The error names the offending account, user or key.
std::expected<void, std::string> FinishAccounts(std::vector<Account>& accounts);

// The accounts used when none is configured.
std::vector<Account> DefaultAccounts();

// The compact form of `accounts` (for --help's default column).
std::string FormatCompactAccounts(const std::vector<Account>& accounts);

}  // namespace logbucket::config
