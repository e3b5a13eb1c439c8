#include "server/s3/xml/versioning_xml.h"

#include "server/s3/xml/owner_xml.h"
#include "server/s3/xml/xml_common.h"
#include "server/s3/xml/xml_document.h"

namespace logbucket::s3::xml {
namespace {

// The trimmed text of the optional leaf `name`: nullopt when absent or empty.
std::expected<std::optional<std::string>, S3Error> NonEmptyLeaf(pugi::xml_node parent,
                                                                std::string_view name) {
  auto text = OptionalLeaf(parent, name);
  if (!text) return std::unexpected(text.error());
  if (!*text) return std::optional<std::string>();
  const std::string_view trimmed = TrimXmlSpace(**text);
  if (trimmed.empty()) return std::optional<std::string>();
  return std::optional<std::string>(std::string(trimmed));
}

void AppendVersion(pugi::xml_node parent, const VersionEntry& entry, bool url_encode) {
  pugi::xml_node element = AppendElement(parent, entry.delete_marker ? "DeleteMarker" : "Version");
  AppendText(element, "Key", url_encode ? UrlEncodeListingValue(entry.key) : entry.key);
  AppendText(element, "VersionId", entry.version_id);
  AppendBool(element, "IsLatest", entry.is_latest);
  AppendText(element, "LastModified", FormatIso8601(entry.last_modified_ms));
  if (!entry.delete_marker) {
    AppendETag(element, entry.etag);
    for (const std::string& algorithm : entry.checksum_algorithms) {
      AppendText(element, "ChecksumAlgorithm", algorithm);
    }
    if (!entry.checksum_type.empty()) AppendText(element, "ChecksumType", entry.checksum_type);
    AppendText(element, "Size", std::to_string(entry.size));
    if (!entry.storage_class.empty()) AppendText(element, "StorageClass", entry.storage_class);
  }
  if (entry.owner) AppendOwner(element, "Owner", *entry.owner);
}

}  // namespace

std::string_view VersioningStatusName(VersioningStatus status) {
  return status == VersioningStatus::kEnabled ? "Enabled" : "Suspended";
}

std::string_view MfaDeleteStatusName(MfaDeleteStatus status) {
  return status == MfaDeleteStatus::kEnabled ? "Enabled" : "Disabled";
}

std::expected<VersioningConfiguration, S3Error> ParseVersioningConfiguration(
    std::string_view body) {
  pugi::xml_document doc;
  auto root = ParseRoot(doc, body, "VersioningConfiguration");
  if (!root) return std::unexpected(root.error());
  if (!HasOnlyChildren(*root, {"Status", "MfaDelete"})) return std::unexpected(MalformedXml());
  VersioningConfiguration config;
  auto status = NonEmptyLeaf(*root, "Status");
  if (!status) return std::unexpected(status.error());
  if (*status) {
    if (**status == "Enabled") {
      config.status = VersioningStatus::kEnabled;
    } else if (**status == "Suspended") {
      config.status = VersioningStatus::kSuspended;
    } else {
      return std::unexpected(MalformedXml());
    }
  }
  auto mfa = NonEmptyLeaf(*root, "MfaDelete");
  if (!mfa) return std::unexpected(mfa.error());
  if (*mfa) {
    if (**mfa == "Enabled") {
      config.mfa_delete = MfaDeleteStatus::kEnabled;
    } else if (**mfa == "Disabled") {
      config.mfa_delete = MfaDeleteStatus::kDisabled;
    } else {
      return std::unexpected(MalformedXml());
    }
  }
  return config;
}

std::string RenderVersioningConfiguration(const VersioningConfiguration& state) {
  pugi::xml_document doc;
  pugi::xml_node root = StartDocument(doc, "VersioningConfiguration");
  if (state.status) AppendText(root, "Status", VersioningStatusName(*state.status));
  if (state.mfa_delete) AppendText(root, "MfaDelete", MfaDeleteStatusName(*state.mfa_delete));
  return Serialize(doc);
}

std::string RenderListVersionsResult(const ListVersionsResult& result) {
  const bool url_encode = result.encoding_type == "url";
  auto encoded = [url_encode](const std::string& value) {
    return url_encode ? UrlEncodeListingValue(value) : value;
  };
  pugi::xml_document doc;
  pugi::xml_node root = StartDocument(doc, "ListVersionsResult");
  AppendText(root, "Name", result.bucket);
  AppendText(root, "Prefix", encoded(result.prefix));
  AppendText(root, "KeyMarker", encoded(result.key_marker));
  AppendText(root, "VersionIdMarker", result.version_id_marker);
  if (result.is_truncated) {
    AppendText(root, "NextKeyMarker", encoded(result.next_key_marker));
    if (!result.next_version_id_marker.empty()) {
      AppendText(root, "NextVersionIdMarker", result.next_version_id_marker);
    }
  }
  AppendInteger(root, "MaxKeys", result.max_keys);
  if (!result.delimiter.empty()) AppendText(root, "Delimiter", encoded(result.delimiter));
  if (!result.encoding_type.empty()) AppendText(root, "EncodingType", result.encoding_type);
  AppendBool(root, "IsTruncated", result.is_truncated);
  for (const VersionEntry& entry : result.entries) AppendVersion(root, entry, url_encode);
  for (const std::string& prefix : result.common_prefixes) {
    AppendText(AppendElement(root, "CommonPrefixes"), "Prefix", encoded(prefix));
  }
  return Serialize(doc);
}

}  // namespace logbucket::s3::xml
