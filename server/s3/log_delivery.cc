#include "server/s3/log_delivery.h"

#include <chrono>

#include "server/s3/acl.h"
#include "server/s3/checksum.h"
#include "server/s3/object_headers.h"
#include "server/s3/policy.h"

namespace logbucket::s3 {

using logging::DeliveryError;
using logging::DeliveryProblem;

DeliveryError StoreLogObjectWriter::CheckPermission(std::string_view target_bucket,
                                                    std::string_view key,
                                                    std::string_view source_bucket,
                                                    std::string_view source_account) {
  auto bucket = store_.GetBucket(target_bucket);
  if (!bucket) {
    if (bucket.error().code == storage::ErrorCode::kBucketNotFound) {
      return {DeliveryProblem::kTargetMissing,
              "target bucket " + std::string(target_bucket) + " does not exist"};
    }
    return {DeliveryProblem::kWriteFailed, bucket.error().message};
  }
  PolicyRequest request;
  request.service = "logging.s3.amazonaws.com";
  request.action = "s3:PutObject";
  request.resource = "arn:aws:s3:::" + std::string(target_bucket) + "/" + std::string(key);
  request.context["aws:SourceArn"] = "arn:aws:s3:::" + std::string(source_bucket);
  request.context["aws:SourceAccount"] = std::string(source_account);
  request.context["aws:SecureTransport"] = "true";
  auto policy = store_.GetBucketSetting(target_bucket, "policy");
  PolicyDecision decision = PolicyDecision::kNoMatch;
  if (policy && *policy) decision = EvaluatePolicy(**policy, request);
  if (decision == PolicyDecision::kDeny) {
    return {DeliveryProblem::kNotPermitted,
            "the bucket policy of " + std::string(target_bucket) +
                " denies s3:PutObject to logging.s3.amazonaws.com"};
  }
  if (decision == PolicyDecision::kAllow) return {DeliveryProblem::kNone, ""};
  auto ownership = store_.GetBucketSetting(target_bucket, "ownership");
  bool acls_enabled = !(ownership && *ownership && **ownership == "BucketOwnerEnforced");
  auto acl_text = store_.GetBucketSetting(target_bucket, "acl");
  if (acls_enabled && acl_text && *acl_text) {
    auto acl = xml::ParseAccessControlPolicy(**acl_text);
    // Amazon's ACL route needs both grants (what canned log-delivery-write gives).
    if (acl && GroupHasPermission(*acl, kLogDeliveryUri, "WRITE") &&
        GroupHasPermission(*acl, kLogDeliveryUri, "READ_ACP")) {
      return {DeliveryProblem::kNone, ""};
    }
  }
  return {DeliveryProblem::kNotPermitted,
          "no bucket policy on " + std::string(target_bucket) +
              " allows logging.s3.amazonaws.com to s3:PutObject " + request.resource +
              " (with aws:SourceArn arn:aws:s3:::" + std::string(source_bucket) +
              "), and no ACL grants WRITE and READ_ACP to the LogDelivery group" +
              (acls_enabled ? "" : " (ACLs are disabled: BucketOwnerEnforced)")};
}

std::expected<void, DeliveryError> StoreLogObjectWriter::PutLogObject(
    std::string_view target_bucket, std::string_view key, std::string_view body) {
  auto bucket = store_.GetBucket(target_bucket);
  if (!bucket) {
    return std::unexpected(DeliveryError{
        bucket.error().code == storage::ErrorCode::kBucketNotFound ? DeliveryProblem::kTargetMissing
                                                                   : DeliveryProblem::kWriteFailed,
        "target bucket " + std::string(target_bucket) + ": " + bucket.error().message});
  }
  // Log objects are encrypted by the target bucket's default encryption, as on AWS.
  auto pending =
      store_.BeginWrite({.encrypt = BucketDefaultEncrypts(store_, target_bucket).value_or(false)});
  if (!pending) return std::unexpected(DeliveryError{DeliveryProblem::kWriteFailed, pending.error().message});
  if (auto ok = pending->Append(body); !ok) {
    return std::unexpected(DeliveryError{DeliveryProblem::kWriteFailed, ok.error().message});
  }
  storage::ObjectRecord record;
  record.bucket = std::string(target_bucket);
  record.key = std::string(key);
  record.etag = "\"" + Md5Hex(body) + "\"";
  record.last_modified_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
  record.owner_account_id = bucket->owner_account_id;  // the bucket owner owns log objects
  record.headers["content-type"] = "text/plain";
  record.checksums["CRC64NVME"] = Base64Encode(Digest(HashKind::kCrc64Nvme, body));
  record.checksum_type = "FULL_OBJECT";
  auto committed = store_.CommitObject(std::move(*pending), record);
  if (!committed) {
    return std::unexpected(DeliveryError{
        committed.error().code == storage::ErrorCode::kBucketNotFound
            ? DeliveryProblem::kTargetMissing
            : DeliveryProblem::kWriteFailed,
        committed.error().message});
  }
  return {};
}

}  // namespace logbucket::s3
