// Bucket lifecycle: the configuration as PutBucketLifecycleConfiguration accepted it
// (xml/lifecycle_xml.h parses and renders it) and the rule engine that says when an action
// falls due for an object version, a lone delete marker or an incomplete multipart upload.
//
// The engine works in "lifecycle days" of `day_ms` milliseconds: kLifecycleDayMs normally,
// shorter in tests (e.g. 10,000). Amazon computes a due time by adding the rule's days to the
// start time and rounding up to the next midnight UTC ("an object created on 1/15/2014 at
// 10:30 AM UTC with 3 days is due 1/19/2014 00:00 UTC"); here that is rounding up to the next
// multiple of day_ms since the epoch, which is midnight UTC when day_ms is one day. A time
// already on a boundary is its own ceiling. An Expiration Date is absolute and stays so with a
// shortened day.
//
// Only Expiration, NoncurrentVersionExpiration and AbortIncompleteMultipartUpload are applied.
// Transition and NoncurrentVersionTransition are parsed, validated and rendered back so that
// configurations written for AWS are accepted, but never applied: Logbucket keeps every object
// in a single storage class.
// Thread-safety: plain values and pure functions (AssignMissingRuleIds's default generator reads
// OpenSSL's thread-safe random source).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace logbucket::s3 {

inline constexpr int64_t kLifecycleDayMs = 86'400'000;
inline constexpr size_t kMaxLifecycleRules = 1000;

struct LifecycleTag {
  std::string key;
  std::string value;

  bool operator==(const LifecycleTag&) const = default;
};

// How the document scoped a rule. Kept so that GetBucketLifecycleConfiguration renders the
// filter in the form it was given.
enum class LifecycleFilterForm {
  kLegacyPrefix,           // <Rule><Prefix>p</Prefix>…: no Filter element (Lifecycle V1)
  kAll,                    // <Filter/>: every object
  kPrefix,                 // <Filter><Prefix>p</Prefix></Filter>
  kTag,                    // <Filter><Tag><Key/><Value/></Tag></Filter>
  kObjectSizeGreaterThan,  // <Filter><ObjectSizeGreaterThan>n</ObjectSizeGreaterThan></Filter>
  kObjectSizeLessThan,     // <Filter><ObjectSizeLessThan>n</ObjectSizeLessThan></Filter>
  kAnd,  // <Filter><And>[Prefix] Tag* [ObjectSizeGreaterThan] [ObjectSizeLessThan]</And></Filter>
};

struct LifecycleFilter {
  LifecycleFilterForm form = LifecycleFilterForm::kAll;
  std::optional<std::string> prefix;  // kLegacyPrefix and kPrefix: always; kAnd: when given
  std::vector<LifecycleTag> tags;     // kTag: exactly one; kAnd: any number
  std::optional<int64_t> object_size_greater_than;  // strict bound, in bytes
  std::optional<int64_t> object_size_less_than;     // strict bound, in bytes

  bool operator==(const LifecycleFilter&) const = default;
};

// Exactly one of the three is set.
struct LifecycleExpiration {
  std::optional<int32_t> days;
  std::optional<int64_t> date_ms;  // a midnight UTC, ms since the epoch
  std::optional<bool> expired_object_delete_marker;

  bool operator==(const LifecycleExpiration&) const = default;
};

struct LifecycleNoncurrentExpiration {
  int32_t noncurrent_days = 0;
  std::optional<int32_t> newer_noncurrent_versions;

  bool operator==(const LifecycleNoncurrentExpiration&) const = default;
};

// Kept and rendered back, never applied. Exactly one of days and date_ms is set.
struct LifecycleTransition {
  std::optional<int32_t> days;
  std::optional<int64_t> date_ms;
  std::string storage_class;

  bool operator==(const LifecycleTransition&) const = default;
};

// Kept and rendered back, never applied.
struct LifecycleNoncurrentTransition {
  int32_t noncurrent_days = 0;
  std::optional<int32_t> newer_noncurrent_versions;
  std::string storage_class;

  bool operator==(const LifecycleNoncurrentTransition&) const = default;
};

struct LifecycleRule {
  std::string id;  // "" when the document gave none: see AssignMissingRuleIds
  bool enabled = true;
  LifecycleFilter filter;
  std::optional<LifecycleExpiration> expiration;
  std::vector<LifecycleTransition> transitions;
  std::optional<LifecycleNoncurrentExpiration> noncurrent_expiration;
  std::vector<LifecycleNoncurrentTransition> noncurrent_transitions;
  std::optional<int32_t> abort_days_after_initiation;  // AbortIncompleteMultipartUpload

  bool operator==(const LifecycleRule&) const = default;
};

struct LifecycleConfiguration {
  std::vector<LifecycleRule> rules;

  bool operator==(const LifecycleConfiguration&) const = default;
};

// An ID as Amazon generates one for a rule given without: the base64 of a random UUID's text
// (48 characters).
std::string RandomLifecycleRuleId();

// Gives every rule whose id is empty a fresh one from `new_id`, different from every other
// rule's. Amazon stores and returns generated IDs, so the operation should call this before
// storing, and store RenderLifecycleConfiguration of the result rather than the request body.
void AssignMissingRuleIds(LifecycleConfiguration& config,
                          const std::function<std::string()>& new_id = RandomLifecycleRuleId);

using ObjectTags = std::map<std::string, std::string>;

// When an action falls due and the rule that sets it. Where several enabled rules apply, the
// earliest due wins (Amazon: "if two expiration policies overlap, the shorter expiration
// policy is honored"), the first in document order on a tie.
struct LifecycleDue {
  std::string rule_id;
  int64_t due_ms = 0;

  bool operator==(const LifecycleDue&) const = default;
};

// True when `due` is set and now_ms >= due->due_ms: the action is to be taken now.
bool IsDue(const std::optional<LifecycleDue>& due, int64_t now_ms);

// start_ms + days * day_ms, rounded up to the next multiple of day_ms (unchanged when already
// on one). Saturates at INT64_MAX. A day_ms below 1 counts as 1.
int64_t LifecycleDueTime(int64_t start_ms, int64_t days, int64_t day_ms);

// Whether `filter` selects the object version: the prefix is a byte prefix of the key, every
// tag is present with an equal value, and the size bounds are strict (> and <).
bool LifecycleFilterMatches(const LifecycleFilter& filter, std::string_view key, uint64_t size,
                            const ObjectTags& tags);

// A current object version (not a delete marker): when an enabled rule's Expiration Days
// (counted from last_modified_ms) or Date expires it. In a versioned bucket, expiring means a
// DeleteObject without version id (a delete marker on top); in an unversioned one, deletion.
std::optional<LifecycleDue> CurrentVersionExpiration(const LifecycleConfiguration& config,
                                                     std::string_view key, uint64_t size,
                                                     const ObjectTags& tags,
                                                     int64_t last_modified_ms, int64_t day_ms);

// A noncurrent version: due NoncurrentDays after it became noncurrent (noncurrent_since_ms:
// when its successor was created), unless its rank among the noncurrent versions of the key
// (1 = newest) is within the rule's NewerNoncurrentVersions, which are kept whatever their age.
// Also for a noncurrent delete marker: pass size 0 and no tags.
std::optional<LifecycleDue> NoncurrentVersionExpiration(const LifecycleConfiguration& config,
                                                        std::string_view key, uint64_t size,
                                                        const ObjectTags& tags,
                                                        int64_t noncurrent_since_ms, int64_t rank,
                                                        int64_t day_ms);

// A delete marker that is the only remaining version of its key (an "expired object delete
// marker"), created at created_ms. It has no tags and size 0 for the filters. Removed
//  - under ExpiredObjectDeleteMarker=true at the first day boundary after its creation
//    (Amazon removes it in its next daily run; the exact time is not documented), and
//  - under an Expiration with Days once it is that old: "When you specify the Days tag, Amazon
//    S3 automatically performs ExpiredObjectDeleteMarker cleanup when the delete markers are
//    old enough to satisfy the age criteria" (S3 User Guide).
std::optional<LifecycleDue> ExpiredDeleteMarkerRemoval(const LifecycleConfiguration& config,
                                                       std::string_view key, int64_t created_ms,
                                                       int64_t day_ms);

// An incomplete multipart upload of `key` initiated at initiated_ms: aborted
// DaysAfterInitiation after initiation under an enabled rule whose prefix the key has (Parse
// refuses tag and size filters beside AbortIncompleteMultipartUpload).
std::optional<LifecycleDue> IncompleteUploadAbort(const LifecycleConfiguration& config,
                                                  std::string_view key, int64_t initiated_ms,
                                                  int64_t day_ms);

}  // namespace logbucket::s3
