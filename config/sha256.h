// A small, dependency-free SHA-256 (FIPS 180-4), used only to derive stable canonical user ids
// from account ids: the config module links nothing but toml++, and this is not a hot path.
// Thread-safety: pure function.
#pragma once

#include <string>
#include <string_view>

namespace logbucket::config {

// The SHA-256 digest of `data` as 64 lower-case hex characters.
std::string Sha256Hex(std::string_view data);

}  // namespace logbucket::config
