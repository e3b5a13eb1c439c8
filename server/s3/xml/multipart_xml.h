// Copy and multipart documents: CopyObjectResult, CopyPartResult,
// InitiateMultipartUploadResult, CompleteMultipartUpload (request) and its result,
// ListPartsResult and ListMultipartUploadsResult.
// Checksum maps are keyed by algorithm name ("CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256")
// and rendered as <ChecksumCRC32>value</ChecksumCRC32>…, in the map's order.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <expected>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "server/s3/s3_error.h"
#include "server/s3/xml/bucket_xml.h"

namespace logbucket::s3::xml {

// Part numbers S3 accepts.
inline constexpr uint32_t kMinPartNumber = 1;
inline constexpr uint32_t kMaxPartNumber = 10000;

// CopyObjectResult/{LastModified, ETag, Checksum*}. `etag` with or without quotes.
std::string RenderCopyObjectResult(std::string_view etag, int64_t last_modified_ms,
                                   const std::map<std::string, std::string>& checksums);
// CopyPartResult, same fields.
std::string RenderCopyPartResult(std::string_view etag, int64_t last_modified_ms,
                                 const std::map<std::string, std::string>& checksums);

// InitiateMultipartUploadResult/{Bucket, Key, UploadId}.
std::string RenderInitiateMultipartUploadResult(std::string_view bucket, std::string_view key,
                                                std::string_view upload_id);

struct CompletePart {
  uint32_t part_number = 0;
  std::string etag;  // as the client sent it (quotes kept if sent), surrounding whitespace dropped
  std::map<std::string, std::string> checksums;  // "CRC32" -> value, from ChecksumCRC32 etc.

  bool operator==(const CompletePart&) const = default;
};

// CompleteMultipartUpload/Part+/{PartNumber (integer kMinPartNumber..kMaxPartNumber), ETag,
// Checksum{CRC32,CRC32C,CRC64NVME,SHA1,SHA256}?}. At least one Part. Order and uniqueness of
// part numbers are not checked here (InvalidPartOrder is the operation's answer).
std::expected<std::vector<CompletePart>, S3Error> ParseCompleteMultipartUpload(
    std::string_view body);

// CompleteMultipartUploadResult/{Location, Bucket, Key, ETag, Checksum*, ChecksumType?}.
std::string RenderCompleteMultipartUploadResult(std::string_view location, std::string_view bucket,
                                                std::string_view key, std::string_view etag,
                                                const std::map<std::string, std::string>& checksums,
                                                std::string_view checksum_type);

struct PartEntry {
  uint32_t part_number = 0;
  int64_t last_modified_ms = 0;
  std::string etag;
  uint64_t size = 0;
  std::map<std::string, std::string> checksums;
};

struct ListPartsResult {
  std::string bucket, key, upload_id;
  Owner initiator, owner;
  std::string storage_class;
  uint32_t part_number_marker = 0, next_part_number_marker = 0;
  int max_parts = 1000;
  bool is_truncated = false;
  std::vector<PartEntry> parts;
  std::string checksum_algorithm, checksum_type;  // "" -> omitted
};

// ListPartsResult/{Bucket, Key, UploadId, Initiator, Owner, StorageClass, PartNumberMarker,
// NextPartNumberMarker, MaxParts, IsTruncated, Part*/{PartNumber, LastModified, ETag, Size,
// Checksum*}, ChecksumAlgorithm?, ChecksumType?}.
std::string RenderListPartsResult(const ListPartsResult& result);

struct UploadEntry {
  std::string key, upload_id;
  Owner initiator, owner;
  std::string storage_class;
  int64_t initiated_ms = 0;
  std::string checksum_algorithm;  // "" -> omitted
};

struct ListUploadsResult {
  std::string bucket, key_marker, upload_id_marker, next_key_marker, next_upload_id_marker, prefix,
      delimiter, encoding_type;
  int max_uploads = 1000;
  bool is_truncated = false;
  std::vector<UploadEntry> uploads;
  std::vector<std::string> common_prefixes;
};

// ListMultipartUploadsResult/{Bucket, KeyMarker, UploadIdMarker, NextKeyMarker,
// NextUploadIdMarker, Delimiter?, Prefix, MaxUploads, EncodingType?, IsTruncated,
// Upload*/{Key, UploadId, Initiator, Owner, StorageClass, Initiated, ChecksumAlgorithm?},
// CommonPrefixes*/Prefix}. With encoding_type "url", KeyMarker, NextKeyMarker, Delimiter,
// Prefix, Key and common prefixes are URL-encoded (UrlEncodeListingValue).
std::string RenderListMultipartUploadsResult(const ListUploadsResult& result);

}  // namespace logbucket::s3::xml
