// Server-side encryption: PutBucketEncryption / GetBucketEncryption / DeleteBucketEncryption, and
// the x-amz-server-side-encryption handling the object operations share (object_headers.h).
//
// What Logbucket does: SSE-S3 only. A write is encrypted at rest (storage/encryption.h) when the
// request says x-amz-server-side-encryption: AES256, or when it names no encryption and the bucket
// has a default encryption configuration (bucket setting "encryption": the
// ServerSideEncryptionConfiguration as GetBucketEncryption renders it; only AES256 can be stored).
// Like S3 since January 2023, every object reports x-amz-server-side-encryption: AES256 and a
// bucket without a configuration reports the AES256 default; objects written without a request
// or bucket setting are stored in clear all the same (the cost of encrypting is measured in the
// helper's report).
//
// SSE-KMS (aws:kms, aws:kms:dsse) needs a KMS, which Logbucket does not emulate. S3's answer
// when the KMS key it would use cannot be found is 400 KMS.NotFoundException (recorded on AWS:
// "Invalid keyId 'fake-key-id'", "Key 'arn:...' does not exist", and "Invalid keyId aws/s3" when
// the AWS managed key could not be resolved), so that is the answer here: a client error that is
// not retried and names KMS as the cause. SSE-C is refused as S3 refuses it on the buckets it has
// created since April 2026, which block SSE-C: 403 AccessDenied on writes, and GetBucketEncryption
// reports BlockedEncryptionTypes SSE-C.
//
// Because PutBucketEncryption refuses aws:kms, no bucket can have a KMS default, so the delivery
// problem S3 reports for a log target bucket with SSE-KMS default encryption cannot arise here.
#include <algorithm>

#include "server/s3/object_headers.h"
#include "server/s3/operation.h"
#include "server/s3/xml/encryption_xml.h"

namespace logbucket::s3 {
namespace {

constexpr std::string_view kSseCPrefix = "x-amz-server-side-encryption-customer-";
constexpr std::string_view kCopySourceSseCPrefix =
    "x-amz-copy-source-server-side-encryption-customer-";
constexpr std::string_view kKmsKeyIdHeader = "x-amz-server-side-encryption-aws-kms-key-id";

bool HasHeaderWithPrefix(const OpContext& c, std::string_view prefix) {
  return std::any_of(c.head.headers.fields().begin(), c.head.headers.fields().end(),
                     [&](const auto& field) { return ToLower(field.name).starts_with(prefix); });
}

// S3's answer to SSE-KMS when the key cannot be found (see the file comment).
S3Error KmsKeyNotFound(std::string_view key_id) {
  if (key_id.empty()) return S3Error(ErrorCode::kKmsNotFoundException, "Invalid keyId aws/s3");
  if (key_id.starts_with("arn:")) {
    return S3Error(ErrorCode::kKmsNotFoundException,
                   "Key '" + std::string(key_id) + "' does not exist");
  }
  return S3Error(ErrorCode::kKmsNotFoundException, "Invalid keyId '" + std::string(key_id) + "'");
}

// SSE-C on a write, refused as by a bucket that blocks SSE-C (S3's default since April 2026).
std::expected<void, S3Error> RefuseSseC(const OpContext& c) {
  if (!HasHeaderWithPrefix(c, kSseCPrefix)) return {};
  std::string user = c.auth.requester.empty() ? "anonymous" : c.auth.requester;
  return std::unexpected(S3Error(ErrorCode::kAccessDenied,
                                 "User: " + user +
                                     " is not authorized to perform: s3:PutObject on resource: \""
                                     "arn:aws:s3:::" +
                                     c.target.bucket + "/" + c.target.key +
                                     "\" because this bucket has blocked upload requests that "
                                     "specify Server Side Encryption with Customer provided keys "
                                     "(SSE-C). Please specify a different server-side encryption "
                                     "type"));
}

xml::EncryptionConfiguration DefaultConfiguration() {
  xml::EncryptionConfiguration config;
  config.blocked_encryption_types = {"SSE-C"};
  return config;
}

}  // namespace

std::expected<bool, S3Error> BucketDefaultEncrypts(storage::SqliteStore& store,
                                                   std::string_view bucket) {
  auto stored = store.GetBucketSetting(bucket, "encryption");
  if (!stored) return std::unexpected(FromStorage(stored.error()));
  return stored->has_value();
}

std::expected<bool, S3Error> EncryptsNewObject(OpContext& c) {
  if (auto ok = RefuseSseC(c); !ok) return std::unexpected(ok.error());
  const std::optional<std::string_view> algorithm = c.Header(kSseHeader);
  const std::optional<std::string_view> key_id = c.Header(kKmsKeyIdHeader);
  if (algorithm == "aws:kms" || algorithm == "aws:kms:dsse") {
    return std::unexpected(KmsKeyNotFound(key_id.value_or("")));
  }
  if (key_id) {
    return std::unexpected(S3Error(ErrorCode::kInvalidArgument,
                                   "Server Side Encryption with AWS KMS managed key requires HTTP "
                                   "header x-amz-server-side-encryption : aws:kms")
                               .With("ArgumentName", std::string(kSseHeader))
                               .With("ArgumentValue", std::string(algorithm.value_or("null"))));
  }
  if (!algorithm) {
    if (!c.bucket) return false;
    return BucketDefaultEncrypts(c.state.store, c.bucket->name);
  }
  if (*algorithm != storage::kSseAes256) {
    return std::unexpected(
        S3Error(ErrorCode::kInvalidArgument, "The encryption method specified is not supported")
            .With("ArgumentName", std::string(kSseHeader))
            .With("ArgumentValue", std::string(*algorithm)));
  }
  return true;
}

std::expected<void, S3Error> CheckPartSseHeaders(const OpContext& c) {
  if (auto ok = RefuseSseC(c); !ok) return ok;
  if (c.Header(kSseHeader) || c.Header(kKmsKeyIdHeader)) {
    // The upload's encryption was settled by CreateMultipartUpload.
    return std::unexpected(S3Error(ErrorCode::kInvalidArgument,
                                   "x-amz-server-side-encryption header is not supported for this "
                                   "operation."));
  }
  return {};
}

std::expected<void, S3Error> CheckReadSseHeaders(const OpContext& c) {
  if (c.Header(kSseHeader) || c.Header(kKmsKeyIdHeader)) {
    return std::unexpected(S3Error(ErrorCode::kInvalidArgument,
                                   "x-amz-server-side-encryption header is not supported for this "
                                   "operation."));
  }
  if (HasHeaderWithPrefix(c, kSseCPrefix)) {
    return std::unexpected(S3Error(ErrorCode::kInvalidRequest,
                                   "The encryption parameters are not applicable to this object."));
  }
  return {};
}

std::expected<void, S3Error> CheckCopySourceSseHeaders(const OpContext& c) {
  if (HasHeaderWithPrefix(c, kCopySourceSseCPrefix)) {
    return std::unexpected(S3Error(ErrorCode::kInvalidRequest,
                                   "The encryption parameters are not applicable to this object."));
  }
  return {};
}

void SetSseHeader(Response& r) {
  r.headers.Set(std::string(kSseHeader), std::string(storage::kSseAes256));
}

OpResult PutBucketEncryption(OpContext& c) {
  if (auto ok = RequireContentChecksum(c); !ok) return std::unexpected(ok.error());
  auto config = xml::ParseServerSideEncryptionConfiguration(c.body->buffer);
  if (!config) return std::unexpected(config.error());
  if (config->sse_algorithm != storage::kSseAes256) {
    return std::unexpected(KmsKeyNotFound(config->kms_master_key_id));
  }
  const auto& blocked = config->blocked_encryption_types;
  if (std::find(blocked.begin(), blocked.end(), "NONE") != blocked.end()) {
    return std::unexpected(S3Error(ErrorCode::kNotImplemented,
                                   "Logbucket does not implement SSE-C: it stays blocked "
                                   "(BlockedEncryptionTypes NONE cannot be set).")
                               .With("Header", "BlockedEncryptionTypes"));
  }
  // Omitting BlockedEncryptionTypes leaves SSE-C blocked, as on S3.
  config->blocked_encryption_types = {"SSE-C"};
  if (auto ok = c.state.store.PutBucketSetting(
          c.bucket->name, "encryption", xml::RenderServerSideEncryptionConfiguration(*config));
      !ok) {
    return std::unexpected(FromStorage(ok.error()));
  }
  return EmptyResponse(200);
}

OpResult GetBucketEncryption(OpContext& c) {
  auto stored = c.state.store.GetBucketSetting(c.bucket->name, "encryption");
  if (!stored) return std::unexpected(FromStorage(stored.error()));
  if (*stored) return XmlResponse(200, **stored);
  return XmlResponse(200, xml::RenderServerSideEncryptionConfiguration(DefaultConfiguration()));
}

OpResult DeleteBucketEncryption(OpContext& c) {
  if (auto ok = c.state.store.DeleteBucketSetting(c.bucket->name, "encryption"); !ok) {
    return std::unexpected(FromStorage(ok.error()));
  }
  return EmptyResponse(204);
}

}  // namespace logbucket::s3
