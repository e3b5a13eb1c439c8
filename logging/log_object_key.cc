#include "logging/log_object_key.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <array>

namespace logbucket::logging {
namespace {

struct UtcParts {
  int year;
  unsigned month, day;
  long hour, minute, second;
};

UtcParts Split(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto secs = floor<seconds>(t);
  const auto d = floor<days>(secs);
  const year_month_day ymd{d};
  const hh_mm_ss hms{secs - d};
  return {static_cast<int>(ymd.year()),
          static_cast<unsigned>(ymd.month()),
          static_cast<unsigned>(ymd.day()),
          static_cast<long>(hms.hours().count()),
          static_cast<long>(hms.minutes().count()),
          static_cast<long>(hms.seconds().count())};
}

std::string Stamp(const UtcParts& p) {
  return fmt::format("{:04}-{:02}-{:02}-{:02}-{:02}-{:02}", p.year, p.month, p.day, p.hour,
                     p.minute, p.second);
}

}  // namespace

std::chrono::system_clock::time_point UtcDayOf(std::chrono::system_clock::time_point t) {
  return std::chrono::floor<std::chrono::days>(t);
}

std::string MakeUniqueString(std::string_view identity) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  // SHA-256 over a memory buffer cannot fail short of memory exhaustion; the digest is then
  // zeros, still a valid (if colliding) name.
  EVP_Digest(identity.data(), identity.size(), digest.data(), &length, EVP_sha256(), nullptr);
  std::string out;
  out.reserve(16);
  constexpr char kHex[] = "0123456789ABCDEF";
  for (int i = 0; i < 8; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0x0F]);
  }
  return out;
}

std::string MakeLogObjectKey(const LogObjectKeyParams& params) {
  if (params.key_format == KeyFormat::kSimplePrefix) {
    return fmt::format("{}{}-{}", params.prefix, Stamp(Split(params.delivery_time)), params.unique);
  }
  UtcParts parts;
  if (params.date_source == PartitionDateSource::kEventTime) {
    parts = Split(UtcDayOf(params.event_day));
  } else {
    parts = Split(params.delivery_time);
  }
  return fmt::format("{}{}/{}/{}/{:04}/{:02}/{:02}/{}-{}", params.prefix, params.source_account,
                     params.source_region, params.source_bucket, parts.year, parts.month, parts.day,
                     Stamp(parts), params.unique);
}

}  // namespace logbucket::logging
