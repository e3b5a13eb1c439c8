#include "server/s3/xml/multipart_xml.h"

#include <array>

#include "server/s3/xml/owner_xml.h"
#include "server/s3/xml/xml_common.h"
#include "server/s3/xml/xml_document.h"

namespace logbucket::s3::xml {
namespace {

constexpr std::array<std::string_view, 5> kChecksumAlgorithms = {"CRC32", "CRC32C", "CRC64NVME",
                                                                 "SHA1", "SHA256"};

void AppendChecksums(pugi::xml_node parent, const std::map<std::string, std::string>& checksums) {
  for (const auto& [algorithm, value] : checksums) {
    AppendText(parent, "Checksum" + algorithm, value);
  }
}

std::string RenderCopyResult(std::string_view root_name, std::string_view etag,
                             int64_t last_modified_ms,
                             const std::map<std::string, std::string>& checksums) {
  pugi::xml_document doc;
  pugi::xml_node root = StartDocument(doc, root_name);
  AppendText(root, "LastModified", FormatIso8601(last_modified_ms));
  AppendETag(root, etag);
  AppendChecksums(root, checksums);
  return Serialize(doc);
}

std::expected<CompletePart, S3Error> ParsePart(pugi::xml_node element) {
  CompletePart part;
  auto number_text = RequiredLeaf(element, "PartNumber");
  if (!number_text) return std::unexpected(number_text.error());
  std::optional<int64_t> number = ParseInteger(*number_text);
  if (!number || *number < kMinPartNumber || *number > kMaxPartNumber) {
    return std::unexpected(MalformedXml());
  }
  part.part_number = static_cast<uint32_t>(*number);
  auto etag = RequiredLeaf(element, "ETag");
  if (!etag) return std::unexpected(etag.error());
  part.etag = std::string(TrimXmlSpace(*etag));
  for (std::string_view algorithm : kChecksumAlgorithms) {
    auto value = OptionalLeaf(element, "Checksum" + std::string(algorithm));
    if (!value) return std::unexpected(value.error());
    if (*value) part.checksums.emplace(algorithm, TrimXmlSpace(**value));
  }
  return part;
}

}  // namespace

std::string RenderCopyObjectResult(std::string_view etag, int64_t last_modified_ms,
                                   const std::map<std::string, std::string>& checksums) {
  return RenderCopyResult("CopyObjectResult", etag, last_modified_ms, checksums);
}

std::string RenderCopyPartResult(std::string_view etag, int64_t last_modified_ms,
                                 const std::map<std::string, std::string>& checksums) {
  return RenderCopyResult("CopyPartResult", etag, last_modified_ms, checksums);
}

std::string RenderInitiateMultipartUploadResult(std::string_view bucket, std::string_view key,
                                                std::string_view upload_id) {
  pugi::xml_document doc;
  pugi::xml_node root = StartDocument(doc, "InitiateMultipartUploadResult");
  AppendText(root, "Bucket", bucket);
  AppendText(root, "Key", key);
  AppendText(root, "UploadId", upload_id);
  return Serialize(doc);
}

std::expected<std::vector<CompletePart>, S3Error> ParseCompleteMultipartUpload(
    std::string_view body) {
  pugi::xml_document doc;
  auto root = ParseRoot(doc, body, "CompleteMultipartUpload");
  if (!root) return std::unexpected(root.error());
  std::vector<CompletePart> parts;
  for (pugi::xml_node element : ChildrenNamed(*root, "Part")) {
    auto part = ParsePart(element);
    if (!part) return std::unexpected(part.error());
    parts.push_back(std::move(*part));
  }
  if (parts.empty()) return std::unexpected(MalformedXml());
  return parts;
}

std::string RenderCompleteMultipartUploadResult(std::string_view location, std::string_view bucket,
                                                std::string_view key, std::string_view etag,
                                                const std::map<std::string, std::string>& checksums,
                                                std::string_view checksum_type) {
  pugi::xml_document doc;
  pugi::xml_node root = StartDocument(doc, "CompleteMultipartUploadResult");
  AppendText(root, "Location", location);
  AppendText(root, "Bucket", bucket);
  AppendText(root, "Key", key);
  AppendETag(root, etag);
  AppendChecksums(root, checksums);
  if (!checksum_type.empty()) AppendText(root, "ChecksumType", checksum_type);
  return Serialize(doc);
}

std::string RenderListPartsResult(const ListPartsResult& result) {
  pugi::xml_document doc;
  pugi::xml_node root = StartDocument(doc, "ListPartsResult");
  AppendText(root, "Bucket", result.bucket);
  AppendText(root, "Key", result.key);
  AppendText(root, "UploadId", result.upload_id);
  AppendOwner(root, "Initiator", result.initiator);
  AppendOwner(root, "Owner", result.owner);
  AppendText(root, "StorageClass", result.storage_class);
  AppendInteger(root, "PartNumberMarker", result.part_number_marker);
  AppendInteger(root, "NextPartNumberMarker", result.next_part_number_marker);
  AppendInteger(root, "MaxParts", result.max_parts);
  AppendBool(root, "IsTruncated", result.is_truncated);
  for (const PartEntry& part : result.parts) {
    pugi::xml_node element = AppendElement(root, "Part");
    AppendInteger(element, "PartNumber", part.part_number);
    AppendText(element, "LastModified", FormatIso8601(part.last_modified_ms));
    AppendETag(element, part.etag);
    AppendText(element, "Size", std::to_string(part.size));
    AppendChecksums(element, part.checksums);
  }
  if (!result.checksum_algorithm.empty()) {
    AppendText(root, "ChecksumAlgorithm", result.checksum_algorithm);
  }
  if (!result.checksum_type.empty()) AppendText(root, "ChecksumType", result.checksum_type);
  return Serialize(doc);
}

std::string RenderListMultipartUploadsResult(const ListUploadsResult& result) {
  const bool url_encode = result.encoding_type == "url";
  auto encoded = [url_encode](const std::string& value) {
    return url_encode ? UrlEncodeListingValue(value) : value;
  };
  pugi::xml_document doc;
  pugi::xml_node root = StartDocument(doc, "ListMultipartUploadsResult");
  AppendText(root, "Bucket", result.bucket);
  AppendText(root, "KeyMarker", encoded(result.key_marker));
  AppendText(root, "UploadIdMarker", result.upload_id_marker);
  AppendText(root, "NextKeyMarker", encoded(result.next_key_marker));
  AppendText(root, "NextUploadIdMarker", result.next_upload_id_marker);
  if (!result.delimiter.empty()) AppendText(root, "Delimiter", encoded(result.delimiter));
  AppendText(root, "Prefix", encoded(result.prefix));
  AppendInteger(root, "MaxUploads", result.max_uploads);
  if (!result.encoding_type.empty()) AppendText(root, "EncodingType", result.encoding_type);
  AppendBool(root, "IsTruncated", result.is_truncated);
  for (const UploadEntry& upload : result.uploads) {
    pugi::xml_node element = AppendElement(root, "Upload");
    AppendText(element, "Key", encoded(upload.key));
    AppendText(element, "UploadId", upload.upload_id);
    AppendOwner(element, "Initiator", upload.initiator);
    AppendOwner(element, "Owner", upload.owner);
    AppendText(element, "StorageClass", upload.storage_class);
    AppendText(element, "Initiated", FormatIso8601(upload.initiated_ms));
    if (!upload.checksum_algorithm.empty()) {
      AppendText(element, "ChecksumAlgorithm", upload.checksum_algorithm);
    }
  }
  for (const std::string& prefix : result.common_prefixes) {
    AppendText(AppendElement(root, "CommonPrefixes"), "Prefix", encoded(prefix));
  }
  return Serialize(doc);
}

}  // namespace logbucket::s3::xml
