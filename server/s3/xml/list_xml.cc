#include "server/s3/xml/list_xml.h"

#include "server/s3/xml/owner_xml.h"
#include "server/s3/xml/xml_common.h"
#include "server/s3/xml/xml_document.h"

namespace logbucket::s3::xml {
namespace {

void AppendContents(pugi::xml_node parent, const ListEntry& entry, bool url_encode) {
  pugi::xml_node element = AppendElement(parent, "Contents");
  AppendText(element, "Key", url_encode ? UrlEncodeListingValue(entry.key) : entry.key);
  AppendText(element, "LastModified", FormatIso8601(entry.last_modified_ms));
  AppendETag(element, entry.etag);
  for (const std::string& algorithm : entry.checksum_algorithms) {
    AppendText(element, "ChecksumAlgorithm", algorithm);
  }
  if (!entry.checksum_type.empty()) AppendText(element, "ChecksumType", entry.checksum_type);
  AppendText(element, "Size", std::to_string(entry.size));
  if (entry.owner) AppendOwner(element, "Owner", *entry.owner);
  if (!entry.storage_class.empty()) AppendText(element, "StorageClass", entry.storage_class);
}

}  // namespace

std::string RenderListBucketResult(const ListObjectsResult& result) {
  const bool url_encode = result.encoding_type == "url";
  auto encoded = [url_encode](const std::string& value) {
    return url_encode ? UrlEncodeListingValue(value) : value;
  };
  pugi::xml_document doc;
  pugi::xml_node root = StartDocument(doc, "ListBucketResult");
  AppendText(root, "Name", result.bucket);
  AppendText(root, "Prefix", encoded(result.prefix));
  if (result.v2) {
    if (!result.start_after.empty()) AppendText(root, "StartAfter", encoded(result.start_after));
    if (!result.continuation_token.empty()) {
      AppendText(root, "ContinuationToken", result.continuation_token);
    }
    if (result.is_truncated && !result.next_continuation_token.empty()) {
      AppendText(root, "NextContinuationToken", result.next_continuation_token);
    }
    AppendInteger(root, "KeyCount", result.key_count);
  } else {
    AppendText(root, "Marker", encoded(result.marker));
    if (result.is_truncated && !result.delimiter.empty() && !result.next_marker.empty()) {
      AppendText(root, "NextMarker", encoded(result.next_marker));
    }
  }
  AppendInteger(root, "MaxKeys", result.max_keys);
  if (!result.delimiter.empty()) AppendText(root, "Delimiter", encoded(result.delimiter));
  if (!result.encoding_type.empty()) AppendText(root, "EncodingType", result.encoding_type);
  AppendBool(root, "IsTruncated", result.is_truncated);
  for (const ListEntry& entry : result.contents) AppendContents(root, entry, url_encode);
  for (const std::string& prefix : result.common_prefixes) {
    AppendText(AppendElement(root, "CommonPrefixes"), "Prefix", encoded(prefix));
  }
  return Serialize(doc);
}

}  // namespace logbucket::s3::xml
