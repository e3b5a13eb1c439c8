// ListBucketResult: the answer of ListObjects (v1) and ListObjectsV2. When encoding_type is "url"
// the keys, prefixes, delimiter, markers and StartAfter are rendered with UrlEncodeListingValue
// (xml_common.h: every byte but A-Z a-z 0-9 - _ . ~ / percent-encoded); continuation tokens never
// are. The caller decides every value (truncation, markers, key count); this only renders.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "server/s3/xml/bucket_xml.h"

namespace logbucket::s3::xml {

struct ListEntry {
  std::string key;
  int64_t last_modified_ms = 0;
  std::string etag;  // with or without surrounding quotes; rendered quoted
  uint64_t size = 0;
  std::string storage_class;                     // "" -> omitted
  std::optional<Owner> owner;                    // v1 always, v2 with fetch-owner=true
  std::vector<std::string> checksum_algorithms;  // "CRC32"...; one ChecksumAlgorithm each
  std::string checksum_type;                     // "FULL_OBJECT", "COMPOSITE"; "" -> omitted
};

struct ListObjectsResult {
  std::string bucket, prefix, delimiter, encoding_type;
  int max_keys = 1000;
  bool is_truncated = false;
  std::vector<ListEntry> contents;
  std::vector<std::string> common_prefixes;
  // v1
  std::string marker;
  std::string next_marker;  // rendered only when a delimiter is given and the result truncated
  // v2
  bool v2 = false;
  std::string continuation_token, next_continuation_token, start_after;
  int key_count = 0;
};

// v1: Name, Prefix, Marker, [NextMarker], MaxKeys, [Delimiter], [EncodingType], IsTruncated,
//     Contents*, CommonPrefixes*.
// v2: Name, Prefix, [StartAfter], [ContinuationToken], [NextContinuationToken (when truncated)],
//     KeyCount, MaxKeys, [Delimiter], [EncodingType], IsTruncated, Contents*, CommonPrefixes*.
// Contents: Key, LastModified, ETag, ChecksumAlgorithm*, [ChecksumType], Size, [Owner],
//     [StorageClass]. Optional elements are rendered when their value is non-empty.
std::string RenderListBucketResult(const ListObjectsResult& result);

}  // namespace logbucket::s3::xml
