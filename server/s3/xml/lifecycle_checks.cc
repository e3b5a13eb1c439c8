#include "server/s3/xml/lifecycle_checks.h"

#include <algorithm>
#include <array>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace logbucket::s3::xml {
namespace {

using Status = std::expected<void, S3Error>;
using Form = LifecycleFilterForm;

// Amazon's messages. "(AWS)": Amazon's wording, as published by implementations that recorded
// Amazon's answers (scality/Arsenal#2648 for the "positive integer" ones, a Rust S3 server's
// lifecycle module for the others); "(inferred)": ours, where Amazon's text was not found.
constexpr std::string_view kIdTooLong =
    "ID length should not exceed allowed limit of 255";  // (AWS)
constexpr std::string_view kDuplicateId =
    "Rule ID must be unique. Found same ID for more than one rule";  // (AWS)
constexpr std::string_view kFilterInV1 =
    "Filter element can only be used in Lifecycle V2.";  // (AWS)
constexpr std::string_view kPrefixInV2 =
    "Base level prefix cannot be used in Lifecycle V2, prefixes are only supported in the "
    "Filter.";  // (AWS)
constexpr std::string_view kNewerInV1 =
    "NewerNoncurrentVersions element can only be used in Lifecycle V2.";  // (AWS)
constexpr std::string_view kNoAction =
    "At least one action needs to be specified in a rule";                           // (AWS)
constexpr std::string_view kPrefixTooLong = "The maximum size of a prefix is 1024";  // (inferred)
constexpr std::string_view kTagKeyLength =
    "A Tag's Key must be a length between 1 and 128";  // (inferred)
constexpr std::string_view kTagValueLength =
    "A Tag's Value must be a length between 0 and 256";                               // (inferred)
constexpr std::string_view kDuplicateTagKey = "Duplicate Tag Keys are not allowed.";  // (AWS)
constexpr std::string_view kGreaterThanRange =
    "'ObjectSizeGreaterThan' should be between 0 and 1099511627776000.";  // (AWS)
constexpr std::string_view kLessThanRange =
    "'ObjectSizeLessThan' should be between 1 and 1099511627776000.";  // (AWS)
constexpr std::string_view kSizeOrder =
    "'ObjectSizeLessThan' has to be a value greater than 'ObjectSizeGreaterThan'.";  // (AWS)
constexpr std::string_view kExpirationDays =
    "'Days' for Expiration action must be a positive integer";  // (AWS)
constexpr std::string_view kNoncurrentDays =
    "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer";  // (AWS)
constexpr std::string_view kNewerVersions =
    "'NewerNoncurrentVersions' must be a positive integer";  // (inferred)
constexpr std::string_view kAbortDays =
    "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive "
    "integer";  // (AWS)
constexpr std::string_view kMarkerWithTags =
    "ExpiredObjectDeleteMarker cannot be specified with Tags.";  // (AWS)
constexpr std::string_view kMarkerWithSize =
    "ExpiredObjectDeleteMarker cannot be specified with Object Size.";  // (AWS)
constexpr std::string_view kAbortWithTags =
    "AbortIncompleteMultipartUpload cannot be specified with Tags.";  // (AWS)
constexpr std::string_view kAbortWithSize =
    "AbortIncompleteMultipartUpload cannot be specified with Object Size.";  // (AWS)
constexpr std::string_view kMixedDates =
    "Found mixed 'Date' and 'Days' based Expiration and Transition actions in lifecycle "
    "rule";  // (AWS)

// Largest object-size bound Amazon accepts (1000 TiB).
constexpr int64_t kMaxSizeBound = 1'099'511'627'776'000;
constexpr size_t kMaxIdCharacters = 255;
constexpr size_t kMaxPrefixBytes = 1024;
constexpr size_t kMaxTagKeyCharacters = 128;
constexpr size_t kMaxTagValueCharacters = 256;
// Days before which STANDARD_IA and ONEZONE_IA transitions are refused.
constexpr int32_t kInfrequentAccessMinDays = 30;

S3Error InvalidArgument(std::string_view message) {
  return S3Error(ErrorCode::kInvalidArgument, std::string(message));
}
S3Error InvalidRequest(std::string_view message) {
  return S3Error(ErrorCode::kInvalidRequest, std::string(message));
}

size_t Utf8Characters(std::string_view text) {
  return static_cast<size_t>(std::ranges::count_if(
      text, [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

Status ValidateFilter(const LifecycleFilter& filter) {
  if (filter.prefix && filter.prefix->size() > kMaxPrefixBytes) {
    return std::unexpected(InvalidRequest(kPrefixTooLong));
  }
  std::set<std::string_view> keys;
  for (const LifecycleTag& tag : filter.tags) {
    const size_t key_length = Utf8Characters(tag.key);
    if (key_length < 1 || key_length > kMaxTagKeyCharacters) {
      return std::unexpected(InvalidRequest(kTagKeyLength));
    }
    if (Utf8Characters(tag.value) > kMaxTagValueCharacters) {
      return std::unexpected(InvalidRequest(kTagValueLength));
    }
    if (!keys.insert(tag.key).second) return std::unexpected(InvalidRequest(kDuplicateTagKey));
  }
  const auto& greater = filter.object_size_greater_than;
  const auto& less = filter.object_size_less_than;
  if (greater && (*greater < 0 || *greater > kMaxSizeBound)) {
    return std::unexpected(InvalidRequest(kGreaterThanRange));
  }
  if (less && (*less < 1 || *less > kMaxSizeBound)) {
    return std::unexpected(InvalidRequest(kLessThanRange));
  }
  if (greater && less && *less <= *greater) return std::unexpected(InvalidRequest(kSizeOrder));
  return {};
}

Status ValidateNewer(const std::optional<int32_t>& newer, bool v2) {
  if (!newer) return {};
  if (!v2) return std::unexpected(InvalidRequest(kNewerInV1));
  if (*newer < 1) return std::unexpected(InvalidArgument(kNewerVersions));
  return {};
}

bool IsMidnight(int64_t ms) { return ms % kLifecycleDayMs == 0; }

bool InfrequentAccess(std::string_view storage_class) {
  return storage_class == "STANDARD_IA" || storage_class == "ONEZONE_IA";
}

// Transitions are never applied, but are validated as Amazon validates them so that a
// configuration AWS refuses is refused here too. Amazon's further ordering checks between
// transitions and expirations (e.g. "'Days' in the Expiration action … must be greater than
// 'Days' in the Transition action …") are not made.
Status ValidateTransitions(const LifecycleRule& rule, bool v2) {
  bool dated = rule.expiration && rule.expiration->date_ms;
  bool counted = rule.expiration && rule.expiration->days;
  std::set<std::string_view> classes;
  for (const LifecycleTransition& transition : rule.transitions) {
    if (transition.date_ms) {
      if (!IsMidnight(*transition.date_ms))
        return std::unexpected(InvalidArgument(kLifecycleDateNotMidnight));
      dated = true;
    } else {
      const int32_t days = transition.days.value_or(0);
      if (days < 0) {
        return std::unexpected(
            InvalidArgument("'Days' in Transition action must be nonnegative"));  // (inferred)
      }
      if (InfrequentAccess(transition.storage_class) && days < kInfrequentAccessMinDays) {
        return std::unexpected(InvalidArgument(  // (AWS)
            "'Days' in Transition action must be greater than or equal to 30 for storageClass '" +
            transition.storage_class + "'"));
      }
      counted = true;
    }
    if (!classes.insert(transition.storage_class).second) {
      return std::unexpected(InvalidRequest(  // (AWS)
          "'StorageClass' must be different for 'Transition' actions in same 'Rule'"));
    }
  }
  if (dated && counted) return std::unexpected(InvalidRequest(kMixedDates));
  classes.clear();
  for (const LifecycleNoncurrentTransition& transition : rule.noncurrent_transitions) {
    if (transition.noncurrent_days < 0) {
      return std::unexpected(InvalidArgument(  // (inferred)
          "'NoncurrentDays' in NoncurrentVersionTransition action must be nonnegative"));
    }
    if (InfrequentAccess(transition.storage_class) &&
        transition.noncurrent_days < kInfrequentAccessMinDays) {
      return std::unexpected(InvalidArgument(  // (inferred, after the Transition message)
          "'NoncurrentDays' in NoncurrentVersionTransition action must be greater than or equal "
          "to 30 for storageClass '" +
          transition.storage_class + "'"));
    }
    if (auto status = ValidateNewer(transition.newer_noncurrent_versions, v2); !status) {
      return status;
    }
    if (!classes.insert(transition.storage_class).second) {
      return std::unexpected(InvalidRequest(  // (inferred, after the Transition message)
          "'StorageClass' must be different for 'NoncurrentVersionTransition' actions in same "
          "'Rule'"));
    }
  }
  return {};
}

// `v2`: the configuration is in Lifecycle V2 (its first rule has a Filter).
Status ValidateRule(const LifecycleRule& rule, bool v2) {
  const bool legacy = rule.filter.form == Form::kLegacyPrefix;
  if (v2 && legacy) return std::unexpected(InvalidRequest(kPrefixInV2));
  if (!v2 && !legacy) return std::unexpected(InvalidRequest(kFilterInV1));
  if (auto status = ValidateFilter(rule.filter); !status) return status;
  if (!rule.expiration && !rule.noncurrent_expiration && !rule.abort_days_after_initiation &&
      rule.transitions.empty() && rule.noncurrent_transitions.empty()) {
    return std::unexpected(InvalidRequest(kNoAction));
  }
  if (rule.expiration) {
    if (rule.expiration->days && *rule.expiration->days < 1) {
      return std::unexpected(InvalidArgument(kExpirationDays));
    }
    if (rule.expiration->date_ms && !IsMidnight(*rule.expiration->date_ms)) {
      return std::unexpected(InvalidArgument(kLifecycleDateNotMidnight));
    }
  }
  if (rule.noncurrent_expiration) {
    if (rule.noncurrent_expiration->noncurrent_days < 1) {
      return std::unexpected(InvalidArgument(kNoncurrentDays));
    }
    if (auto status = ValidateNewer(rule.noncurrent_expiration->newer_noncurrent_versions, v2);
        !status) {
      return status;
    }
  }
  if (rule.abort_days_after_initiation && *rule.abort_days_after_initiation < 1) {
    return std::unexpected(InvalidArgument(kAbortDays));
  }
  const bool tags = !rule.filter.tags.empty();
  const bool sizes = rule.filter.object_size_greater_than || rule.filter.object_size_less_than;
  const bool marker = rule.expiration && rule.expiration->expired_object_delete_marker;
  if (marker && tags) return std::unexpected(InvalidRequest(kMarkerWithTags));
  if (marker && sizes) return std::unexpected(InvalidRequest(kMarkerWithSize));
  if (rule.abort_days_after_initiation && tags) {
    return std::unexpected(InvalidRequest(kAbortWithTags));
  }
  if (rule.abort_days_after_initiation && sizes) {
    return std::unexpected(InvalidRequest(kAbortWithSize));
  }
  return ValidateTransitions(rule, v2);
}

// Lifecycle V1 (legacy Prefix) refuses two rules taking the same kind of action on
// overlapping prefixes (one starts with the other). Amazon's recorded answer: "Found
// overlapping prefixes '' and 'a' for same action type 'Expiration'".
Status ValidateNoOverlap(const LifecycleConfiguration& config) {
  using Takes = bool (*)(const LifecycleRule&);
  const std::array<std::pair<std::string_view, Takes>, 5> kinds = {{
      {"Expiration", [](const LifecycleRule& r) { return r.expiration.has_value(); }},
      {"Transition", [](const LifecycleRule& r) { return !r.transitions.empty(); }},
      {"NoncurrentVersionTransition",
       [](const LifecycleRule& r) { return !r.noncurrent_transitions.empty(); }},
      {"NoncurrentVersionExpiration",
       [](const LifecycleRule& r) { return r.noncurrent_expiration.has_value(); }},
      {"AbortIncompleteMultipartUpload",
       [](const LifecycleRule& r) { return r.abort_days_after_initiation.has_value(); }},
  }};
  for (const auto& [kind, takes] : kinds) {
    std::vector<std::string_view> prefixes;
    for (const LifecycleRule& rule : config.rules) {
      if (takes(rule) && rule.filter.prefix) prefixes.push_back(*rule.filter.prefix);
    }
    std::ranges::sort(prefixes);
    // In sorted order, a prefix that starts another also starts its successor.
    for (size_t i = 1; i < prefixes.size(); ++i) {
      if (prefixes[i].starts_with(prefixes[i - 1])) {
        return std::unexpected(InvalidRequest(
            "Found overlapping prefixes '" + std::string(prefixes[i - 1]) + "' and '" +
            std::string(prefixes[i]) + "' for same action type '" + std::string(kind) + "'"));
      }
    }
  }
  return {};
}

}  // namespace

Status CheckLifecycleConfiguration(const LifecycleConfiguration& config) {
  if (config.rules.size() > kMaxLifecycleRules) {
    return std::unexpected(InvalidRequest(kLifecycleTooManyRules));
  }
  if (config.rules.empty()) return {};  // the schema requires a rule: the reader refuses none
  std::set<std::string_view> ids;
  for (const LifecycleRule& rule : config.rules) {
    if (rule.id.empty()) continue;
    if (Utf8Characters(rule.id) > kMaxIdCharacters) {
      return std::unexpected(InvalidArgument(kIdTooLong));
    }
    if (!ids.insert(rule.id).second) return std::unexpected(InvalidArgument(kDuplicateId));
  }
  const bool v2 = config.rules.front().filter.form != Form::kLegacyPrefix;
  for (const LifecycleRule& rule : config.rules) {
    if (auto status = ValidateRule(rule, v2); !status) return status;
  }
  return v2 ? Status{} : ValidateNoOverlap(config);
}

}  // namespace logbucket::s3::xml
