// Internal to server/s3: how the operations speak about versions. Storage calls the null version
// ""; S3 calls it "null" on the wire, and says nothing about versions at all for a bucket that was
// never versioned.
// Thread-safety: pure functions.
#pragma once

#include <expected>
#include <string>
#include <string_view>

#include "server/s3/s3_error.h"
#include "storage/types.h"

namespace logbucket::s3 {

// A versionId given by a client, as storage names it: "null" -> "", one of Logbucket's version
// ids -> itself. Anything else cannot name a version: 400 InvalidArgument "Invalid version id
// specified", as S3 answers.
std::expected<std::string, S3Error> StorageVersionId(std::string_view given,
                                                     std::string_view argument_name = "versionId");

// The version id as S3 shows it: "null" for the null version.
std::string WireVersionId(std::string_view storage_version_id);

// The x-amz-version-id value of a response about `version_id` in `bucket`, or "" when S3 sends
// none (a never-versioned bucket's null version).
std::string VersionIdHeader(const storage::BucketRecord& bucket,
                            std::string_view storage_version_id);

}  // namespace logbucket::s3
