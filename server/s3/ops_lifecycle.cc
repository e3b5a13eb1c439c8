// Bucket lifecycle configuration: PutBucketLifecycleConfiguration, GetBucketLifecycleConfiguration,
// DeleteBucketLifecycle. The validated configuration is stored rendered (with generated rule ids)
// as the bucket setting "lifecycle"; the expirer (lifecycle_expirer.h) applies it.
#include "server/s3/lifecycle_rules.h"
#include "server/s3/operation.h"
#include "server/s3/xml/lifecycle_xml.h"

namespace logbucket::s3 {
namespace {

constexpr std::string_view kLifecycleSetting = "lifecycle";

// Since September 2024 S3 answers both operations with the minimum object size that transitions
// apply to by default.
void SetTransitionDefault(Response& r) {
  r.headers.Set("x-amz-transition-default-minimum-object-size", "all_storage_classes_128K");
}

}  // namespace

OpResult PutBucketLifecycleConfiguration(OpContext& c) {
  if (auto ok = RequireContentChecksum(c); !ok) return std::unexpected(ok.error());
  auto config = xml::ParseLifecycleConfiguration(c.body->buffer);
  if (!config) return std::unexpected(config.error());
  AssignMissingRuleIds(*config);
  if (auto ok = c.state.store.PutBucketSetting(c.bucket->name, kLifecycleSetting,
                                               xml::RenderLifecycleConfiguration(*config));
      !ok) {
    return std::unexpected(FromStorage(ok.error()));
  }
  Response r = EmptyResponse(200);
  SetTransitionDefault(r);
  return r;
}

OpResult GetBucketLifecycleConfiguration(OpContext& c) {
  auto stored = c.state.store.GetBucketSetting(c.bucket->name, kLifecycleSetting);
  if (!stored) return std::unexpected(FromStorage(stored.error()));
  if (!*stored) {
    return std::unexpected(
        S3Error(ErrorCode::kNoSuchLifecycleConfiguration).With("BucketName", c.bucket->name));
  }
  Response r = XmlResponse(200, **stored);
  SetTransitionDefault(r);
  return r;
}

OpResult DeleteBucketLifecycle(OpContext& c) {
  if (auto ok = c.state.store.DeleteBucketSetting(c.bucket->name, kLifecycleSetting); !ok) {
    return std::unexpected(FromStorage(ok.error()));
  }
  return EmptyResponse(204);
}

}  // namespace logbucket::s3
