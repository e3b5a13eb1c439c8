#include "server/s3/versions.h"

namespace logbucket::s3 {

std::expected<std::string, S3Error> StorageVersionId(std::string_view given,
                                                     std::string_view argument_name) {
  if (given == "null") return std::string();
  // Storage's ids: 32 characters of [A-Za-z0-9._] (storage/sqlite_store_versions.cc).
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._";
  if (given.size() != 32 || given.find_first_not_of(kAlphabet) != std::string_view::npos) {
    return std::unexpected(S3Error(ErrorCode::kInvalidArgument, "Invalid version id specified")
                               .With("ArgumentName", std::string(argument_name))
                               .With("ArgumentValue", std::string(given)));
  }
  return std::string(given);
}

std::string WireVersionId(std::string_view storage_version_id) {
  return storage_version_id.empty() ? "null" : std::string(storage_version_id);
}

std::string VersionIdHeader(const storage::BucketRecord& bucket,
                            std::string_view storage_version_id) {
  if (bucket.versioning.empty() && storage_version_id.empty()) return "";
  return WireVersionId(storage_version_id);
}

}  // namespace logbucket::s3
