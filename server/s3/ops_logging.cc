// Bucket logging configuration: PutBucketLogging / GetBucketLogging with Amazon's validation,
// loop refusal, and Ceph's POST ?logging flush extension.
#include <spdlog/spdlog.h>

#include "server/s3/operation.h"
#include "server/s3/xml/bucket_xml.h"
#include "server/s3/xml/logging_xml.h"

namespace logbucket::s3 {
namespace {

std::string JoinLoop(const std::vector<std::string>& loop) {
  std::string out;
  for (const auto& b : loop) {
    if (!out.empty()) out += " -> ";
    out += b;
  }
  return out;
}

// Object ownership in force on a bucket: the stored setting, or ObjectWriter when the
// ownership controls were deleted (ACLs enabled).
std::string Ownership(OpContext& c, const std::string& bucket) {
  auto v = c.state.store.GetBucketSetting(bucket, "ownership");
  if (v && *v) return **v;
  return "ObjectWriter";
}

}  // namespace

OpResult PutBucketLogging(OpContext& c) {
  if (auto ok = RequireContentChecksum(c); !ok) return std::unexpected(ok.error());
  if (c.body->buffer.empty()) return std::unexpected(S3Error(ErrorCode::kMissingRequestBodyError));
  auto parsed = xml::ParseBucketLoggingStatus(c.body->buffer);
  if (!parsed) return std::unexpected(parsed.error());
  const std::string& source = c.bucket->name;

  std::lock_guard lock(c.state.logging_config_mutex);
  // The bucket may have been deleted since the request was routed.
  if (auto still = c.state.store.GetBucket(source); !still) {
    return std::unexpected(FromStorage(still.error()).With("BucketName", source));
  }
  // This request is logged as the bucket was configured when it arrived (a change takes effect
  // for the requests after it).
  auto note_previous = [&] {
    c.log.registration_changed = true;
    if (auto previous = c.state.access_log.GetConfiguration(source)) {
      c.log.logged_as = logging::LoggingRegistration{
          {c.bucket->owner_account_id, c.bucket->region}, std::move(*previous)};
    }
  };
  if (!*parsed) {
    if (auto ok = c.state.store.DeleteBucketSetting(source, "logging"); !ok) {
      return std::unexpected(FromStorage(ok.error()));
    }
    note_previous();
    c.state.access_log.SetConfiguration(source, {c.bucket->owner_account_id, c.bucket->region},
                                        std::nullopt);
    return EmptyResponse(200);
  }
  const logging::LoggingConfiguration& config = **parsed;
  auto target = c.state.store.GetBucket(config.target_bucket);
  if (!target) {
    if (target.error().code != storage::ErrorCode::kBucketNotFound) {
      return std::unexpected(FromStorage(target.error()));
    }
    return std::unexpected(S3Error(ErrorCode::kInvalidTargetBucketForLogging,
                                   "The target bucket for logging does not exist")
                               .With("TargetBucket", config.target_bucket));
  }
  if (target->owner_account_id != c.bucket->owner_account_id) {
    return std::unexpected(S3Error(ErrorCode::kInvalidTargetBucketForLogging,
                                   "The owner for the bucket to be logged and the target bucket "
                                   "must be the same.")
                               .With("TargetBucket", config.target_bucket));
  }
  if (target->region != c.bucket->region) {
    S3Error e(ErrorCode::kCrossLocationLoggingProhibitted);
    if (c.bucket->region != "us-east-1") e.With("SourceBucketLocation", c.bucket->region);
    e.With("TargetBucketLocation", target->region);
    return std::unexpected(e);
  }
  if (!config.target_grants.empty() && Ownership(c, target->name) == "BucketOwnerEnforced") {
    return std::unexpected(S3Error(ErrorCode::kInvalidTargetBucketForLogging,
                                   "Target grants not allowed for bucket owner enforced buckets")
                               .With("TargetBucket", config.target_bucket));
  }
  // Amazon accepts a bucket logging into itself and warns of the infinite loop of log objects
  // it causes; Logbucket refuses it, and any cycle of buckets logging into each other.
  auto loop = c.state.access_log.FindLoop(source, config.target_bucket);
  if (!loop.empty()) {
    std::string message =
        loop.size() == 2
            ? "The target bucket for logging cannot be the source bucket itself: logging " +
                  source + " into " + source +
                  " would be a logging loop (every delivered log object would be logged again). "
                  "Logbucket refuses logging loops; use a separate log bucket."
            : "This configuration would create a logging loop: " + JoinLoop(loop) +
                  ". Logbucket refuses logging loops; use a log bucket that does not itself "
                  "log into this chain.";
    return std::unexpected(S3Error(ErrorCode::kInvalidTargetBucketForLogging, message)
                               .With("TargetBucket", config.target_bucket));
  }
  if (auto ok = c.state.store.PutBucketSetting(source, "logging",
                                               xml::RenderBucketLoggingStatus(*parsed));
      !ok) {
    return std::unexpected(FromStorage(ok.error()));
  }
  note_previous();
  c.state.access_log.SetConfiguration(source, {c.bucket->owner_account_id, c.bucket->region},
                                      config);
  return EmptyResponse(200);
}

OpResult GetBucketLogging(OpContext& c) {
  auto stored = c.state.store.GetBucketSetting(c.bucket->name, "logging");
  if (!stored) return std::unexpected(FromStorage(stored.error()));
  if (!*stored) return XmlResponse(200, xml::RenderBucketLoggingStatus(std::nullopt));
  auto parsed = xml::ParseBucketLoggingStatus(**stored);
  if (!parsed) return std::unexpected(S3Error(ErrorCode::kInternalError));
  return XmlResponse(200, xml::RenderBucketLoggingStatus(*parsed));
}

OpResult PostBucketLogging(OpContext& c) {
  if (!c.state.access_log.GetConfiguration(c.bucket->name)) {
    return std::unexpected(S3Error(ErrorCode::kInvalidRequest,
                                   "Logging is not enabled on bucket " + c.bucket->name));
  }
  auto result = c.state.access_log.Flush(c.bucket->name);
  std::string key;
  if (!result.keys_written.empty()) {
    // "target/key": Ceph answers with the object key.
    const std::string& first = result.keys_written.front();
    auto slash = first.find('/');
    key = slash == std::string::npos ? first : first.substr(slash + 1);
  }
  return XmlResponse(200, xml::RenderPostBucketLoggingOutput(key));
}

OpResult KeyLoggingStatus(OpContext& c) {
  (void)c;
  return std::unexpected(S3Error(ErrorCode::kNoLoggingStatusForKey));
}

}  // namespace logbucket::s3
