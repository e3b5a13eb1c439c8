// ServerSideEncryptionConfiguration document (Put/GetBucketEncryption): one Rule with
// ApplyServerSideEncryptionByDefault (SSEAlgorithm, KMSMasterKeyID), BucketKeyEnabled and
// BlockedEncryptionTypes (EncryptionType: NONE or SSE-C, the 2025 SSE-C blocking setting).
// Parse answers S3Error(kMalformedXML) for a malformed document, a document without exactly one
// Rule, an unknown element and an SSEAlgorithm or EncryptionType outside S3's enumerations, and
// InvalidArgument (ArgumentName ApplyServerSideEncryptionByDefault) for a KMSMasterKeyID with an
// algorithm other than aws:kms or aws:kms:dsse, as S3 does. Whether Logbucket supports what the
// document asks (only AES256) is for the operation to decide.
// Thread-safety: pure functions.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "server/s3/s3_error.h"

namespace logbucket::s3::xml {

struct EncryptionConfiguration {
  // "AES256", "aws:kms" or "aws:kms:dsse". A rule without ApplyServerSideEncryptionByDefault
  // keeps S3's base level, AES256.
  std::string sse_algorithm = "AES256";
  std::string kms_master_key_id;  // "" when absent
  bool bucket_key_enabled = false;
  // "NONE" and/or "SSE-C", as given; empty when the element is absent.
  std::vector<std::string> blocked_encryption_types;

  bool operator==(const EncryptionConfiguration&) const = default;
};

std::expected<EncryptionConfiguration, S3Error> ParseServerSideEncryptionConfiguration(
    std::string_view body);
// BucketKeyEnabled is always written (S3 writes <BucketKeyEnabled>false</BucketKeyEnabled> too);
// KMSMasterKeyID and BlockedEncryptionTypes when present.
std::string RenderServerSideEncryptionConfiguration(const EncryptionConfiguration& config);

}  // namespace logbucket::s3::xml
