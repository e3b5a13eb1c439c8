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
  // "" (never versioned), "Enabled" or "Suspended"; set with SqliteStore::SetBucketVersioning.
  std::string versioning;
};

// What a bucket's versioning state does to a write or a delete that names no version:
// never-versioned buckets replace and remove; Enabled keeps every version; Suspended writes the
// "null" version, replacing only a previous null version.
enum class Versioning { kUnversioned, kEnabled, kSuspended };

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
  // The version id storage chose ("" is the null version: written while the bucket was never
  // versioned or was suspended).
  std::string version_id;
  // True for a delete marker (a version with no bytes; only key, version_id, last_modified_ms and
  // owner_account_id are meaningful).
  bool delete_marker = false;
  // Part boundaries of a multipart object (size of each part, in order); empty otherwise.
  std::vector<uint64_t> part_sizes;
  // The object's access control list as an opaque document (server/s3 keeps AccessControlPolicy
  // XML here); "" for objects written before ACLs were kept: the owner-only default.
  std::string acl;
  // Encryption at rest, set by storage when the bytes are committed (ignored on input):
  // "AES256" when they are stored encrypted (SSE-S3), "" when stored in clear.
  std::string sse_algorithm;
  // Storage's own: the object's data key, wrapped under the store's master key ("" in clear).
  std::string sse_key;
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
  // "AES256": every part and the completed object are stored encrypted; "" in clear.
  std::string sse_algorithm;
};

struct PartRecord {
  uint32_t part_number = 0;
  uint64_t size = 0;
  std::string etag;  // quoted
  TimestampMs last_modified_ms = 0;
  std::map<std::string, std::string> checksums;  // algorithm -> base64
  // As in ObjectRecord: set by storage when the part is committed.
  std::string sse_algorithm;
  std::string sse_key;
};

// Condition checked atomically with the commit of an object write.
struct WriteCondition {
  bool must_not_exist = false;             // If-None-Match: *
  std::optional<std::string> etag_equals;  // If-Match: the current ETag (quoted) must be this
};

// One version in a ListVersions page.
struct VersionEntry {
  ObjectRecord record;  // record.delete_marker tells a delete marker from an object version
  bool is_latest = false;
  // When this version stopped being the latest (0 while it is the latest).
  TimestampMs noncurrent_since_ms = 0;
};

struct VersionPage {
  // Ordered by key (byte order), then newest first within a key.
  std::vector<VersionEntry> versions;
  bool truncated = false;
};

// The outcome of a delete.
struct DeleteOutcome {
  // The object version that was removed for good (nullopt when none was, e.g. a delete marker was
  // added on top of it, or nothing existed).
  std::optional<ObjectRecord> removed;
  // True when the request created a delete marker (versioned buckets), or removed one (a delete
  // that named a marker's version id).
  bool delete_marker = false;
  // The version id the delete created or removed ("" for the null version; meaningful when the
  // bucket is or was versioned).
  std::string version_id;
};

// Options of SqliteStore::DeleteObject.
struct DeleteOptions {
  // Who deletes: the owner of a delete marker the delete creates.
  std::string owner_account_id;
  // When set, nothing happens (an empty outcome) unless the current object exists and was last
  // modified at or before this time: lifecycle expiry of an object that may have been rewritten
  // since it was found.
  std::optional<TimestampMs> modified_at_most;
  // Likewise: nothing happens unless the current object has this ETag and version id (what a
  // listing found; a rewrite in the same millisecond changes them).
  std::optional<std::string> expected_etag;
  std::optional<std::string> expected_version_id;
};

// One page of a key-ordered scan.
struct ObjectPage {
  std::vector<ObjectRecord> objects;
  bool truncated = false;  // more keys with the prefix exist after the last one returned
};

}  // namespace logbucket::storage
