// DeleteObjects: the Delete request body and the DeleteResult answer.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <expected>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/s3/s3_error.h"

namespace logbucket::s3::xml {

// S3 refuses a Delete with more keys than this (MalformedXML).
inline constexpr size_t kMaxDeleteObjects = 1000;

struct DeleteRequest {
  bool quiet = false;
  std::vector<std::pair<std::string, std::string>> objects;  // key, version id ("" if none)

  bool operator==(const DeleteRequest&) const = default;
};

// Delete/{Quiet? (true|false), Object+/{Key, VersionId?}}: 1 to kMaxDeleteObjects objects, each
// with a Key (kept verbatim, whitespace included: it is a key). Other elements of Object (ETag,
// LastModifiedTime, Size of newer conditional deletes) are ignored.
std::expected<DeleteRequest, S3Error> ParseDelete(std::string_view body);

struct DeletedEntry {
  std::string key, version_id;  // version_id "" -> omitted
  // The delete created or removed a delete marker: <DeleteMarker>true</DeleteMarker>, and the
  // marker's id in <DeleteMarkerVersionId> when the request named no version ("" -> omitted).
  bool delete_marker{false};
  std::string delete_marker_version_id{};
};
struct DeleteErrorEntry {
  std::string key, version_id, code, message;  // version_id "" -> omitted
};

// DeleteResult: every Deleted/{Key, VersionId?, DeleteMarker?, DeleteMarkerVersionId?}, then every Error/{Key, VersionId?, Code,
// Message}. In quiet mode the caller passes no DeletedEntry.
std::string RenderDeleteResult(const std::vector<DeletedEntry>& deleted,
                               const std::vector<DeleteErrorEntry>& errors);

}  // namespace logbucket::s3::xml
