#include "server/s3/xml/logging_xml.h"

#include <array>

#include "server/s3/xml/owner_xml.h"
#include "server/s3/xml/xml_document.h"

namespace logbucket::s3::xml {
namespace {

using logging::FilterRule;
using logging::KeyFormat;
using logging::LoggingConfiguration;
using logging::PartitionDateSource;
using logging::TargetGrant;
using Status = std::expected<void, S3Error>;

constexpr std::array<std::string_view, 4> kTargetPermissions = {"FULL_CONTROL", "READ", "WRITE",
                                                                "READ_ACP"};
constexpr std::array<std::string_view, 3> kFilterRuleNames = {"prefix", "suffix", "regex"};

template <size_t N>
bool OneOf(std::string_view value, const std::array<std::string_view, N>& allowed) {
  for (std::string_view candidate : allowed) {
    if (candidate == value) return true;
  }
  return false;
}

std::expected<TargetGrant, S3Error> ParseTargetGrant(pugi::xml_node element) {
  if (!HasOnlyChildren(element, {"Grantee", "Permission"})) return std::unexpected(MalformedXml());
  auto grantee_element = SingleChild(element, "Grantee");
  if (!*grantee_element) return std::unexpected(MalformedXml());
  auto grantee = ParseGrantee(*grantee_element);
  if (!grantee) return std::unexpected(grantee.error());
  auto permission = RequiredLeaf(element, "Permission");
  if (!permission) return std::unexpected(permission.error());
  const std::string_view trimmed = TrimXmlSpace(*permission);
  if (!OneOf(trimmed, kTargetPermissions)) return std::unexpected(MalformedXml());
  return TargetGrant{.grantee_type = std::move(grantee->type),
                     .id = std::move(grantee->id),
                     .display_name = std::move(grantee->display_name),
                     .email_address = std::move(grantee->email_address),
                     .uri = std::move(grantee->uri),
                     .permission = std::string(trimmed)};
}

Status ParseTargetGrants(pugi::xml_node element, LoggingConfiguration& config) {
  if (!HasOnlyChildren(element, {}, {"Grant"})) return std::unexpected(MalformedXml());
  for (pugi::xml_node grant_element : ChildrenNamed(element, "Grant")) {
    auto grant = ParseTargetGrant(grant_element);
    if (!grant) return std::unexpected(grant.error());
    config.target_grants.push_back(std::move(*grant));
  }
  return {};
}

Status ParseKeyFormat(pugi::xml_node element, LoggingConfiguration& config) {
  if (!HasOnlyChildren(element, {"SimplePrefix", "PartitionedPrefix"})) {
    return std::unexpected(MalformedXml());
  }
  const pugi::xml_node simple = *SingleChild(element, "SimplePrefix");
  const pugi::xml_node partitioned = *SingleChild(element, "PartitionedPrefix");
  if (static_cast<bool>(simple) == static_cast<bool>(partitioned)) {
    return std::unexpected(MalformedXml());
  }
  config.key_format_given = true;
  if (simple) {
    if (!HasOnlyChildren(simple, {})) return std::unexpected(MalformedXml());
    config.key_format = KeyFormat::kSimplePrefix;
    return {};
  }
  if (!HasOnlyChildren(partitioned, {"PartitionDateSource"})) {
    return std::unexpected(MalformedXml());
  }
  config.key_format = KeyFormat::kPartitionedPrefix;
  auto source = OptionalLeaf(partitioned, "PartitionDateSource");
  if (!source) return std::unexpected(source.error());
  if (!*source) return {};
  const std::string_view name = TrimXmlSpace(**source);
  if (name == "EventTime") {
    config.partition_date_source = PartitionDateSource::kEventTime;
  } else if (name == "DeliveryTime") {
    config.partition_date_source = PartitionDateSource::kDeliveryTime;
  } else {
    return std::unexpected(MalformedXml());
  }
  config.partition_date_source_given = true;
  return {};
}

Status ParseFilter(pugi::xml_node element, LoggingConfiguration& config) {
  if (!HasOnlyChildren(element, {"S3Key"})) return std::unexpected(MalformedXml());
  config.filter_given = true;
  const pugi::xml_node key = *SingleChild(element, "S3Key");
  if (!key) return {};
  if (!HasOnlyChildren(key, {}, {"FilterRule"})) return std::unexpected(MalformedXml());
  for (pugi::xml_node rule : ChildrenNamed(key, "FilterRule")) {
    if (!HasOnlyChildren(rule, {"Name", "Value"})) return std::unexpected(MalformedXml());
    auto name = RequiredLeaf(rule, "Name");
    if (!name) return std::unexpected(name.error());
    auto value = RequiredLeaf(rule, "Value");
    if (!value) return std::unexpected(value.error());
    const std::string_view trimmed = TrimXmlSpace(*name);
    if (!OneOf(trimmed, kFilterRuleNames)) return std::unexpected(MalformedXml());
    config.filter_rules.push_back(FilterRule{.name = std::string(trimmed), .value = *value});
  }
  return {};
}

// A Ceph count element (ObjectRollTime, RecordsBatchSize): absent, or a non-negative integer.
Status ParseCount(pugi::xml_node parent, std::string_view name, std::optional<int64_t>& out) {
  auto text = OptionalLeaf(parent, name);
  if (!text) return std::unexpected(text.error());
  if (!*text) return {};
  std::optional<int64_t> value = ParseInteger(**text);
  if (!value || *value < 0) return std::unexpected(MalformedXml());
  out = value;
  return {};
}

std::expected<LoggingConfiguration, S3Error> ParseLoggingEnabled(pugi::xml_node element) {
  if (!HasOnlyChildren(element,
                       {"TargetBucket", "TargetPrefix", "TargetGrants", "TargetObjectKeyFormat",
                        "LoggingType", "ObjectRollTime", "RecordsBatchSize", "Filter"})) {
    return std::unexpected(MalformedXml());
  }
  LoggingConfiguration config;
  auto bucket = RequiredLeaf(element, "TargetBucket");
  if (!bucket) return std::unexpected(bucket.error());
  config.target_bucket = std::move(*bucket);
  auto prefix = OptionalLeaf(element, "TargetPrefix");
  if (!prefix) return std::unexpected(prefix.error());
  config.target_prefix = prefix->value_or("");

  if (const pugi::xml_node grants = *SingleChild(element, "TargetGrants")) {
    if (auto status = ParseTargetGrants(grants, config); !status) {
      return std::unexpected(status.error());
    }
  }
  if (const pugi::xml_node format = *SingleChild(element, "TargetObjectKeyFormat")) {
    if (auto status = ParseKeyFormat(format, config); !status) {
      return std::unexpected(status.error());
    }
  }
  auto type = OptionalLeaf(element, "LoggingType");
  if (!type) return std::unexpected(type.error());
  if (*type) {
    const std::string_view name = TrimXmlSpace(**type);
    if (name != "Standard" && name != "Journal") return std::unexpected(MalformedXml());
    config.logging_type = std::string(name);
  }
  if (auto status = ParseCount(element, "ObjectRollTime", config.object_roll_time); !status) {
    return std::unexpected(status.error());
  }
  if (auto status = ParseCount(element, "RecordsBatchSize", config.records_batch_size); !status) {
    return std::unexpected(status.error());
  }
  if (const pugi::xml_node filter = *SingleChild(element, "Filter")) {
    if (auto status = ParseFilter(filter, config); !status) return std::unexpected(status.error());
  }
  return config;
}

void AppendLoggingEnabled(pugi::xml_node parent, const LoggingConfiguration& config) {
  pugi::xml_node element = AppendElement(parent, "LoggingEnabled");
  AppendText(element, "TargetBucket", config.target_bucket);
  if (!config.target_grants.empty()) {
    pugi::xml_node grants = AppendElement(element, "TargetGrants");
    for (const TargetGrant& grant : config.target_grants) {
      pugi::xml_node grant_element = AppendElement(grants, "Grant");
      AppendGrantee(grant_element, Grantee{.type = grant.grantee_type,
                                           .id = grant.id,
                                           .display_name = grant.display_name,
                                           .email_address = grant.email_address,
                                           .uri = grant.uri});
      AppendText(grant_element, "Permission", grant.permission);
    }
  }
  AppendText(element, "TargetPrefix", config.target_prefix);
  if (config.key_format_given) {
    pugi::xml_node format = AppendElement(element, "TargetObjectKeyFormat");
    if (config.key_format == KeyFormat::kSimplePrefix) {
      AppendElement(format, "SimplePrefix");
    } else {
      pugi::xml_node partitioned = AppendElement(format, "PartitionedPrefix");
      if (config.partition_date_source_given) {
        AppendText(partitioned, "PartitionDateSource",
                   config.partition_date_source == PartitionDateSource::kEventTime
                       ? "EventTime"
                       : "DeliveryTime");
      }
    }
  }
  if (config.logging_type) AppendText(element, "LoggingType", *config.logging_type);
  if (config.object_roll_time) AppendInteger(element, "ObjectRollTime", *config.object_roll_time);
  if (config.records_batch_size) {
    AppendInteger(element, "RecordsBatchSize", *config.records_batch_size);
  }
  if (config.filter_given) {
    pugi::xml_node filter = AppendElement(element, "Filter");
    if (!config.filter_rules.empty()) {
      pugi::xml_node key = AppendElement(filter, "S3Key");
      for (const FilterRule& rule : config.filter_rules) {
        pugi::xml_node rule_element = AppendElement(key, "FilterRule");
        AppendText(rule_element, "Name", rule.name);
        AppendText(rule_element, "Value", rule.value);
      }
    }
  }
}

}  // namespace

std::expected<std::optional<LoggingConfiguration>, S3Error> ParseBucketLoggingStatus(
    std::string_view body) {
  pugi::xml_document doc;
  auto root = ParseRoot(doc, body, "BucketLoggingStatus");
  if (!root) return std::unexpected(root.error());
  if (!HasOnlyChildren(*root, {"LoggingEnabled"})) return std::unexpected(MalformedXml());
  const pugi::xml_node enabled = *SingleChild(*root, "LoggingEnabled");
  if (!enabled) return std::optional<LoggingConfiguration>();
  auto config = ParseLoggingEnabled(enabled);
  if (!config) return std::unexpected(config.error());
  return std::optional<LoggingConfiguration>(std::move(*config));
}

std::string RenderBucketLoggingStatus(const std::optional<LoggingConfiguration>& config) {
  pugi::xml_document doc;
  pugi::xml_node root = StartDocument(doc, "BucketLoggingStatus");
  if (config) AppendLoggingEnabled(root, *config);
  return Serialize(doc);
}

std::string RenderPostBucketLoggingOutput(std::string_view flushed_object_key) {
  pugi::xml_document doc;
  pugi::xml_node root = StartDocument(doc, "PostBucketLoggingOutput");
  AppendText(root, "FlushedLoggingObject", flushed_object_key);
  return Serialize(doc);
}

}  // namespace logbucket::s3::xml
