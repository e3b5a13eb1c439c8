// VersioningConfiguration document (GetBucketVersioning).
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace logbucket::s3::xml {

// `status` "" renders the empty document S3 returns for a bucket that was never versioned.
std::string RenderVersioningConfiguration(std::string_view status = "");

}  // namespace logbucket::s3::xml
