// S3Error: one S3 error response (code, HTTP status, message, extra elements) and the table of
// every code Logbucket answers with. xml::RenderError (xml/error_xml.h) is the one renderer.
// Thread-safety: plain values; the table is immutable.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/error.h"

namespace logbucket::s3 {

enum class ErrorCode {
  kAccessDenied,
  kAuthorizationHeaderMalformed,
  kAuthorizationQueryParametersError,
  kBadDigest,
  kBucketAlreadyExists,
  kBucketAlreadyOwnedByYou,
  kBucketNotEmpty,
  kCrossLocationLoggingProhibitted,
  kEntityTooLarge,
  kEntityTooSmall,
  kIllegalLocationConstraintException,
  kIncompleteBody,
  kInternalError,
  kInvalidAccessKeyId,
  kInvalidArgument,
  kInvalidBucketName,
  kInvalidDigest,
  kInvalidPart,
  kInvalidPartOrder,
  kInvalidRange,
  kInvalidRequest,
  kInvalidTargetBucketForLogging,
  kInvalidToken,
  kInvalidURI,
  kKeyTooLongError,
  kMalformedPolicy,
  kMalformedXML,
  kMaxMessageLengthExceeded,
  kMethodNotAllowed,
  kMissingContentLength,
  kMissingRequestBodyError,
  kMissingSecurityHeader,
  kNoLoggingStatusForKey,
  kNoSuchBucket,
  kNoSuchBucketPolicy,
  kNoSuchKey,
  kNoSuchUpload,
  kNotImplemented,
  kOwnershipControlsNotFoundError,
  kPreconditionFailed,
  kRequestTimeTooSkewed,
  kRequestTimeout,
  kRequestHeaderSectionTooLarge,
  kServiceUnavailable,
  kSignatureDoesNotMatch,
  kSlowDown,
  kXAmzContentSHA256Mismatch,
  kInvalidObjectName,
  kMetadataTooLarge,
  kInvalidStorageClass,
  kNoSuchVersion,
  kInvalidPartNumber,
  kAccessControlListNotSupported,
  kInvalidBucketAclWithObjectOwnership,
  kInvalidLocationConstraint,
  kConditionalRequestConflict,
  kNoSuchLifecycleConfiguration,
  kKmsNotFoundException,  // "KMS.NotFoundException": Logbucket emulates no KMS (ops_encryption.cc)
  kNotModified,  // 304, not really an error: no body, but travels the error path
};

struct S3Error {
  ErrorCode code = ErrorCode::kInternalError;
  std::string message;   // defaults to the table's message
  std::string resource;  // <Resource>, e.g. "/bucket/key"; "" -> omitted
  // Extra elements after <Message>, in order: {"BucketName", "b"}, {"TargetBucket", "t"}...
  std::vector<std::pair<std::string, std::string>> extra;
  // Response headers that go with the error (x-amz-delete-marker on a 404 or 405...).
  std::vector<std::pair<std::string, std::string>> headers;

  S3Error() = default;
  explicit S3Error(ErrorCode c);
  S3Error(ErrorCode c, std::string msg);

  S3Error& With(std::string element, std::string value) {
    extra.emplace_back(std::move(element), std::move(value));
    return *this;
  }
  S3Error& WithHeader(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  int http_status() const;
  std::string_view code_name() const;
};

// Table lookups.
std::string_view ErrorCodeName(ErrorCode code);
int ErrorHttpStatus(ErrorCode code);
std::string_view ErrorDefaultMessage(ErrorCode code);

// The one mapping from storage errors to S3 errors (NoSuchBucket, NoSuchKey, NoSuchUpload,
// InvalidPart, PreconditionFailed, BucketNotEmpty, InternalError...).
S3Error FromStorage(const storage::Error& error);

}  // namespace logbucket::s3
