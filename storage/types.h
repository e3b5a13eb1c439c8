// Plain records that storage keeps. Storage stores them; it does not interpret S3 semantics
// (ETags, checksums and headers are computed and validated by server/s3).
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace logbucket::storage {

// Milliseconds since the Unix epoch, UTC.
using TimestampMs = int64_t;

struct BucketRecord {
  std::string name;
  std::string owner_account_id;  // 12-digit account id of the creator
  std::string region;            // LocationConstraint ("us-east-1" when none was given)
  TimestampMs created_ms = 0;
};

// Everything S3 returns about an object, as opaque strings.
struct ObjectRecord {
  std::string bucket;
  std::string key;
  uint64_t size = 0;
  std::string etag;  // with quotes, as S3 returns it: "\"9b2cf535f27731c974343645a3985328\""
  TimestampMs last_modified_ms = 0;
  std::string owner_account_id;
  std::string storage_class = "STANDARD";
  // Standard headers stored with the object, lower-case names: content-type, content-encoding,
  // content-disposition, content-language, cache-control, expires, x-amz-website-redirect-location...
  std::map<std::string, std::string> headers;
  // User metadata without the "x-amz-meta-" prefix, lower-case names.
  std::map<std::string, std::string> user_metadata;
  // Checksums by algorithm name ("CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256") -> base64 value.
  std::map<std::string, std::string> checksums;
  std::string checksum_type;  // "FULL_OBJECT", "COMPOSITE" or "" when no checksum
  uint32_t parts_count = 0;   // > 0 for objects made by CompleteMultipartUpload
  std::string version_id;     // reserved for versioning; "" today
  // Part boundaries of a multipart object (size of each part, in order); empty otherwise.
  std::vector<uint64_t> part_sizes;
  // The object's access control list as an opaque document (server/s3 keeps AccessControlPolicy
  // XML here); "" for objects written before ACLs were kept: the owner-only default.
  std::string acl;
};

struct UploadRecord {
  std::string upload_id;
  std::string bucket;
  std::string key;
  std::string owner_account_id;
  TimestampMs initiated_ms = 0;
  std::string storage_class = "STANDARD";
  std::map<std::string, std::string> headers;        // as in ObjectRecord
  std::map<std::string, std::string> user_metadata;  // as in ObjectRecord
  std::string checksum_algorithm;                    // "" when none requested
  std::string checksum_type;                         // "COMPOSITE", "FULL_OBJECT" or ""
  // Who will own the completed object ("": owner_account_id) and its ACL (as ObjectRecord::acl).
  std::string object_owner_account_id;
  std::string acl;
};

struct PartRecord {
  uint32_t part_number = 0;
  uint64_t size = 0;
  std::string etag;  // quoted
  TimestampMs last_modified_ms = 0;
  std::map<std::string, std::string> checksums;  // algorithm -> base64
};

// Condition checked atomically with the commit of an object write.
struct WriteCondition {
  bool must_not_exist = false;             // If-None-Match: *
  std::optional<std::string> etag_equals;  // If-Match: the current ETag (quoted) must be this
};

// One page of a key-ordered scan.
struct ObjectPage {
  std::vector<ObjectRecord> objects;
  bool truncated = false;  // more keys with the prefix exist after the last one returned
};

}  // namespace logbucket::storage
