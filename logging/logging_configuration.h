// LoggingConfiguration: a source bucket's server access logging settings (the LoggingEnabled
// element of BucketLoggingStatus, plus Ceph's extension elements, stored verbatim).
// server/s3 parses and renders the XML; logging uses the values to route and name log objects.
// Thread-safety: a plain value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace logbucket::logging {

struct TargetGrant {
  std::string grantee_type;  // xsi:type: "CanonicalUser", "AmazonCustomerByEmail" or "Group"
  std::string id;            // CanonicalUser
  std::string display_name;  // as given (AWS ignores it on input)
  std::string email_address; // AmazonCustomerByEmail
  std::string uri;           // Group
  std::string permission;    // "FULL_CONTROL", "READ", "WRITE" (AWS also echoes "READ_ACP")
};

enum class KeyFormat { kSimplePrefix, kPartitionedPrefix };
enum class PartitionDateSource { kEventTime, kDeliveryTime };

struct FilterRule {
  std::string name;   // Ceph: "prefix", "suffix" or "regex"
  std::string value;
};

struct LoggingConfiguration {
  std::string target_bucket;
  std::string target_prefix;
  std::vector<TargetGrant> target_grants;
  bool key_format_given = false;  // TargetObjectKeyFormat present (GET echoes what was stored)
  KeyFormat key_format = KeyFormat::kSimplePrefix;
  bool partition_date_source_given = false;
  PartitionDateSource partition_date_source = PartitionDateSource::kEventTime;
  // Ceph extensions, accepted and stored; LoggingType "Standard" is the only type implemented.
  std::optional<std::string> logging_type;
  std::optional<int64_t> object_roll_time;
  std::optional<int64_t> records_batch_size;
  std::vector<FilterRule> filter_rules;
  bool filter_given = false;

  bool operator==(const LoggingConfiguration&) const = default;
};

inline bool operator==(const TargetGrant& a, const TargetGrant& b) {
  return a.grantee_type == b.grantee_type && a.id == b.id && a.display_name == b.display_name &&
         a.email_address == b.email_address && a.uri == b.uri && a.permission == b.permission;
}
inline bool operator==(const FilterRule& a, const FilterRule& b) {
  return a.name == b.name && a.value == b.value;
}

// Facts about a source bucket needed to name its log objects.
struct SourceBucketInfo {
  std::string owner_account_id;  // 12 digits, for PartitionedPrefix keys
  std::string region;            // for PartitionedPrefix keys and the 27th field
};

// A source bucket's logging as it was registered: where its records go and how they are named.
struct LoggingRegistration {
  SourceBucketInfo info;
  LoggingConfiguration config;
};

}  // namespace logbucket::logging
