// Internal to storage: lossless encoding of the map- and list-valued fields of records into one
// BLOB column. A compact length-prefixed binary form rather than JSON because header and metadata
// values are opaque bytes that need not be valid UTF-8, and JSON libraries reject or rewrite those.
//
// Format: a version byte, then the fields in a fixed order; a map is a varint count followed by
// (varint length, bytes) name/value pairs, a list of sizes is a varint count followed by varints.
// Version 2 appends (varint length, bytes) strings: the ACL of an object; the object owner and
// ACL of an upload. Version 1 records (written before ACLs were kept) decode with those empty.
// Version 3 appends the encryption at rest: sse_algorithm and sse_key of an object or a part,
// sse_algorithm of an upload; older records decode as stored in clear.
// Thread-safety: pure functions.
#pragma once

#include <expected>
#include <map>
#include <string>
#include <string_view>

#include "storage/error.h"
#include "storage/types.h"

namespace logbucket::storage {

// headers, user_metadata, checksums, part_sizes, acl, sse_algorithm, sse_key of an object.
std::string EncodeObjectExtras(const ObjectRecord& record);
std::expected<void, Error> DecodeObjectExtras(std::string_view encoded, ObjectRecord& record);

// headers, user_metadata, object_owner_account_id, acl, sse_algorithm of a multipart upload.
std::string EncodeUploadExtras(const UploadRecord& record);
std::expected<void, Error> DecodeUploadExtras(std::string_view encoded, UploadRecord& record);

// checksums, sse_algorithm, sse_key of a part. Version 1 (before encryption) is the checksums
// map alone.
std::string EncodePartExtras(const PartRecord& record);
std::expected<void, Error> DecodePartExtras(std::string_view encoded, PartRecord& record);

}  // namespace logbucket::storage
