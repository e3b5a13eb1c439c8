#include "server/s3/lifecycle_rules.h"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <limits>
#include <random>
#include <set>

#include "server/s3/checksum.h"

namespace logbucket::s3 {
namespace {

constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

// Keeps the earliest candidate; the first one on a tie.
void KeepEarliest(std::optional<LifecycleDue>& best, const std::string& rule_id, int64_t due_ms) {
  if (!best || due_ms < best->due_ms) best = LifecycleDue{.rule_id = rule_id, .due_ms = due_ms};
}

}  // namespace

std::string RandomLifecycleRuleId() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    // OpenSSL's generator failing is exceptional (no entropy source); fall back to the C++
    // library's so that a PUT still gets an ID (uniqueness is enforced by the caller anyway).
    std::random_device device;
    for (unsigned char& byte : bytes) byte = static_cast<unsigned char>(device());
  }
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0F) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
  const std::string hex =
      HexEncode(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  const std::string uuid = hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) +
                           "-" + hex.substr(16, 4) + "-" + hex.substr(20);
  return Base64Encode(uuid);
}

void AssignMissingRuleIds(LifecycleConfiguration& config,
                          const std::function<std::string()>& new_id) {
  std::set<std::string, std::less<>> taken;
  for (const LifecycleRule& rule : config.rules) {
    if (!rule.id.empty()) taken.insert(rule.id);
  }
  for (LifecycleRule& rule : config.rules) {
    if (!rule.id.empty()) continue;
    std::string id = new_id();
    while (id.empty() || taken.contains(id)) id = new_id();
    taken.insert(id);
    rule.id = std::move(id);
  }
}

bool IsDue(const std::optional<LifecycleDue>& due, int64_t now_ms) {
  return due.has_value() && now_ms >= due->due_ms;
}

int64_t LifecycleDueTime(int64_t start_ms, int64_t days, int64_t day_ms) {
  day_ms = std::max<int64_t>(day_ms, 1);
  int64_t span = 0;
  int64_t time = 0;
  if (__builtin_mul_overflow(days, day_ms, &span) ||
      __builtin_add_overflow(start_ms, span, &time)) {
    return kNever;
  }
  int64_t into_day = time % day_ms;
  if (into_day < 0) into_day += day_ms;
  if (into_day == 0) return time;
  int64_t ceiling = 0;
  if (__builtin_add_overflow(time - into_day, day_ms, &ceiling)) return kNever;
  return ceiling;
}

bool LifecycleFilterMatches(const LifecycleFilter& filter, std::string_view key, uint64_t size,
                            const ObjectTags& tags) {
  if (filter.prefix && !key.starts_with(*filter.prefix)) return false;
  for (const LifecycleTag& tag : filter.tags) {
    const auto found = tags.find(tag.key);
    if (found == tags.end() || found->second != tag.value) return false;
  }
  // Parse guarantees ObjectSizeGreaterThan >= 0 and ObjectSizeLessThan >= 1; out of range
  // bounds still compare as signed numbers would (every size is > -1, none is < 0).
  if (filter.object_size_greater_than) {
    const int64_t bound = *filter.object_size_greater_than;
    if (bound >= 0 && size <= static_cast<uint64_t>(bound)) return false;
  }
  if (filter.object_size_less_than) {
    const int64_t bound = *filter.object_size_less_than;
    if (bound <= 0 || size >= static_cast<uint64_t>(bound)) return false;
  }
  return true;
}

std::optional<LifecycleDue> CurrentVersionExpiration(const LifecycleConfiguration& config,
                                                     std::string_view key, uint64_t size,
                                                     const ObjectTags& tags,
                                                     int64_t last_modified_ms, int64_t day_ms) {
  std::optional<LifecycleDue> best;
  for (const LifecycleRule& rule : config.rules) {
    if (!rule.enabled || !rule.expiration) continue;
    if (!LifecycleFilterMatches(rule.filter, key, size, tags)) continue;
    if (rule.expiration->days) {
      KeepEarliest(best, rule.id,
                   LifecycleDueTime(last_modified_ms, *rule.expiration->days, day_ms));
    } else if (rule.expiration->date_ms) {
      KeepEarliest(best, rule.id, *rule.expiration->date_ms);
    }
  }
  return best;
}

std::optional<LifecycleDue> NoncurrentVersionExpiration(const LifecycleConfiguration& config,
                                                        std::string_view key, uint64_t size,
                                                        const ObjectTags& tags,
                                                        int64_t noncurrent_since_ms, int64_t rank,
                                                        int64_t day_ms) {
  std::optional<LifecycleDue> best;
  for (const LifecycleRule& rule : config.rules) {
    if (!rule.enabled || !rule.noncurrent_expiration) continue;
    if (!LifecycleFilterMatches(rule.filter, key, size, tags)) continue;
    const LifecycleNoncurrentExpiration& action = *rule.noncurrent_expiration;
    if (action.newer_noncurrent_versions && rank <= *action.newer_noncurrent_versions) continue;
    KeepEarliest(best, rule.id,
                 LifecycleDueTime(noncurrent_since_ms, action.noncurrent_days, day_ms));
  }
  return best;
}

std::optional<LifecycleDue> ExpiredDeleteMarkerRemoval(const LifecycleConfiguration& config,
                                                       std::string_view key, int64_t created_ms,
                                                       int64_t day_ms) {
  static const ObjectTags kNoTags;
  std::optional<LifecycleDue> best;
  for (const LifecycleRule& rule : config.rules) {
    if (!rule.enabled || !rule.expiration) continue;
    if (!LifecycleFilterMatches(rule.filter, key, 0, kNoTags)) continue;
    const LifecycleExpiration& action = *rule.expiration;
    if (action.expired_object_delete_marker.value_or(false)) {
      KeepEarliest(best, rule.id, LifecycleDueTime(created_ms, 0, day_ms));
    } else if (action.days) {
      KeepEarliest(best, rule.id, LifecycleDueTime(created_ms, *action.days, day_ms));
    }
  }
  return best;
}

std::optional<LifecycleDue> IncompleteUploadAbort(const LifecycleConfiguration& config,
                                                  std::string_view key, int64_t initiated_ms,
                                                  int64_t day_ms) {
  std::optional<LifecycleDue> best;
  for (const LifecycleRule& rule : config.rules) {
    if (!rule.enabled || !rule.abort_days_after_initiation) continue;
    // Only the prefix applies to an upload: it has neither tags nor a final size yet.
    if (rule.filter.prefix && !key.starts_with(*rule.filter.prefix)) continue;
    KeepEarliest(best, rule.id,
                 LifecycleDueTime(initiated_ms, *rule.abort_days_after_initiation, day_ms));
  }
  return best;
}

}  // namespace logbucket::s3
