#include "server/s3/s3_error.h"

#include <array>

namespace logbucket::s3 {
namespace {

struct ErrorInfo {
  ErrorCode code;
  std::string_view name;
  int status;
  std::string_view message;
};

// Messages are Amazon's wording where it is known.
constexpr ErrorInfo kErrors[] = {
    {ErrorCode::kAccessDenied, "AccessDenied", 403, "Access Denied"},
    {ErrorCode::kAuthorizationHeaderMalformed, "AuthorizationHeaderMalformed", 400,
     "The authorization header is malformed."},
    {ErrorCode::kAuthorizationQueryParametersError, "AuthorizationQueryParametersError", 400,
     "Error parsing the X-Amz-Credential parameter."},
    {ErrorCode::kBadDigest, "BadDigest", 400,
     "The Content-MD5 you specified did not match what we received."},
    {ErrorCode::kBucketAlreadyExists, "BucketAlreadyExists", 409,
     "The requested bucket name is not available. The bucket namespace is shared by all users "
     "of the system. Please select a different name and try again."},
    {ErrorCode::kBucketAlreadyOwnedByYou, "BucketAlreadyOwnedByYou", 409,
     "Your previous request to create the named bucket succeeded and you already own it."},
    {ErrorCode::kBucketNotEmpty, "BucketNotEmpty", 409,
     "The bucket you tried to delete is not empty"},
    {ErrorCode::kCrossLocationLoggingProhibitted, "CrossLocationLoggingProhibitted", 403,
     "Cross S3 location logging not allowed. "},
    {ErrorCode::kEntityTooLarge, "EntityTooLarge", 400,
     "Your proposed upload exceeds the maximum allowed size"},
    {ErrorCode::kEntityTooSmall, "EntityTooSmall", 400,
     "Your proposed upload is smaller than the minimum allowed object size."},
    {ErrorCode::kIllegalLocationConstraintException, "IllegalLocationConstraintException", 400,
     "The specified location-constraint is not valid"},
    {ErrorCode::kIncompleteBody, "IncompleteBody", 400,
     "You did not provide the number of bytes specified by the Content-Length HTTP header."},
    {ErrorCode::kInternalError, "InternalError", 500,
     "We encountered an internal error. Please try again."},
    {ErrorCode::kInvalidAccessKeyId, "InvalidAccessKeyId", 403,
     "The AWS Access Key Id you provided does not exist in our records."},
    {ErrorCode::kInvalidArgument, "InvalidArgument", 400, "Invalid Argument"},
    {ErrorCode::kInvalidBucketName, "InvalidBucketName", 400,
     "The specified bucket is not valid."},
    {ErrorCode::kInvalidDigest, "InvalidDigest", 400,
     "The Content-MD5 you specified is not valid."},
    {ErrorCode::kInvalidPart, "InvalidPart", 400,
     "One or more of the specified parts could not be found.  The part may not have been "
     "uploaded, or the specified entity tag may not match the part's entity tag."},
    {ErrorCode::kInvalidPartOrder, "InvalidPartOrder", 400,
     "The list of parts was not in ascending order. The parts list must be specified in order "
     "by part number."},
    {ErrorCode::kInvalidRange, "InvalidRange", 416, "The requested range is not satisfiable"},
    {ErrorCode::kInvalidRequest, "InvalidRequest", 400, "Invalid Request"},
    {ErrorCode::kInvalidTargetBucketForLogging, "InvalidTargetBucketForLogging", 400,
     "The target bucket for logging does not exist"},
    {ErrorCode::kInvalidToken, "InvalidToken", 400,
     "The provided token is malformed or otherwise invalid."},
    {ErrorCode::kInvalidURI, "InvalidURI", 400, "Couldn't parse the specified URI."},
    {ErrorCode::kKeyTooLongError, "KeyTooLongError", 400, "Your key is too long"},
    {ErrorCode::kMalformedPolicy, "MalformedPolicy", 400, "Policies must be valid JSON"},
    {ErrorCode::kMalformedXML, "MalformedXML", 400,
     "The XML you provided was not well-formed or did not validate against our published "
     "schema"},
    {ErrorCode::kMaxMessageLengthExceeded, "MaxMessageLengthExceeded", 400,
     "Your request was too big."},
    {ErrorCode::kMethodNotAllowed, "MethodNotAllowed", 405,
     "The specified method is not allowed against this resource."},
    {ErrorCode::kMissingContentLength, "MissingContentLength", 411,
     "You must provide the Content-Length HTTP header."},
    {ErrorCode::kMissingRequestBodyError, "MissingRequestBodyError", 400,
     "Request Body is empty"},
    {ErrorCode::kMissingSecurityHeader, "MissingSecurityHeader", 400,
     "Your request was missing a required header"},
    {ErrorCode::kNoLoggingStatusForKey, "NoLoggingStatusForKey", 400,
     "There is no such thing as a logging status subresource for a key."},
    {ErrorCode::kNoSuchBucket, "NoSuchBucket", 404, "The specified bucket does not exist"},
    {ErrorCode::kNoSuchBucketPolicy, "NoSuchBucketPolicy", 404,
     "The bucket policy does not exist"},
    {ErrorCode::kNoSuchKey, "NoSuchKey", 404, "The specified key does not exist."},
    {ErrorCode::kNoSuchUpload, "NoSuchUpload", 404,
     "The specified upload does not exist. The upload ID may be invalid, or the upload may have "
     "been aborted or completed."},
    {ErrorCode::kNotImplemented, "NotImplemented", 501,
     "A header you provided implies functionality that is not implemented"},
    {ErrorCode::kOwnershipControlsNotFoundError, "OwnershipControlsNotFoundError", 404,
     "The bucket ownership controls were not found"},
    {ErrorCode::kPreconditionFailed, "PreconditionFailed", 412,
     "At least one of the pre-conditions you specified did not hold"},
    {ErrorCode::kRequestTimeTooSkewed, "RequestTimeTooSkewed", 403,
     "The difference between the request time and the current time is too large."},
    {ErrorCode::kRequestTimeout, "RequestTimeout", 400,
     "Your socket connection to the server was not read from or written to within the timeout "
     "period."},
    {ErrorCode::kRequestHeaderSectionTooLarge, "RequestHeaderSectionTooLarge", 400,
     "Your request header section exceeds the maximum allowed size."},
    {ErrorCode::kServiceUnavailable, "ServiceUnavailable", 503,
     "Service is unable to handle request."},
    {ErrorCode::kSignatureDoesNotMatch, "SignatureDoesNotMatch", 403,
     "The request signature we calculated does not match the signature you provided. Check your "
     "key and signing method."},
    {ErrorCode::kSlowDown, "SlowDown", 503, "Please reduce your request rate."},
    {ErrorCode::kXAmzContentSHA256Mismatch, "XAmzContentSHA256Mismatch", 400,
     "The provided 'x-amz-content-sha256' header does not match what was computed."},
    {ErrorCode::kInvalidLocationConstraint, "InvalidLocationConstraint", 400,
     "The specified location-constraint is not valid"},
    {ErrorCode::kMetadataTooLarge, "MetadataTooLarge", 400,
     "Your metadata headers exceed the maximum allowed metadata size."},
    {ErrorCode::kInvalidStorageClass, "InvalidStorageClass", 400,
     "The storage class you specified is not valid"},
    {ErrorCode::kNoSuchVersion, "NoSuchVersion", 404,
     "The specified version does not exist."},
    {ErrorCode::kInvalidPartNumber, "InvalidPartNumber", 416,
     "The requested partnumber is not satisfiable"},
    {ErrorCode::kAccessControlListNotSupported, "AccessControlListNotSupported", 400,
     "The bucket does not allow ACLs"},
    {ErrorCode::kInvalidBucketAclWithObjectOwnership, "InvalidBucketAclWithObjectOwnership", 400,
     "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting"},
    {ErrorCode::kInvalidObjectName, "InvalidObjectName", 400, "Object name contains invalid bytes"},
    {ErrorCode::kConditionalRequestConflict, "ConditionalRequestConflict", 409,
     "A conflicting operation occurred. If using PutObject you can retry the request. If using "
     "CompleteMultipartUpload you may need to start a new multipart upload."},
    {ErrorCode::kNoSuchLifecycleConfiguration, "NoSuchLifecycleConfiguration", 404,
     "The lifecycle configuration does not exist"},
    {ErrorCode::kKmsNotFoundException, "KMS.NotFoundException", 400,
     "The request was rejected because the specified entity or resource could not be found."},
    {ErrorCode::kNotModified, "NotModified", 304, "Not Modified"},
};

const ErrorInfo& Info(ErrorCode code) {
  for (const auto& info : kErrors) {
    if (info.code == code) return info;
  }
  static const ErrorInfo kUnknown{ErrorCode::kInternalError, "InternalError", 500,
                                  "We encountered an internal error. Please try again."};
  return kUnknown;  // never reached: every enumerator has a row (checked by a unit test)
}

}  // namespace

S3Error::S3Error(ErrorCode c) : code(c), message(ErrorDefaultMessage(c)) {}
S3Error::S3Error(ErrorCode c, std::string msg) : code(c), message(std::move(msg)) {}

int S3Error::http_status() const { return ErrorHttpStatus(code); }
std::string_view S3Error::code_name() const { return ErrorCodeName(code); }

std::string_view ErrorCodeName(ErrorCode code) { return Info(code).name; }
int ErrorHttpStatus(ErrorCode code) { return Info(code).status; }
std::string_view ErrorDefaultMessage(ErrorCode code) { return Info(code).message; }

S3Error FromStorage(const storage::Error& error) {
  using storage::ErrorCode;
  switch (error.code) {
    case ErrorCode::kBucketNotFound:
      return S3Error(s3::ErrorCode::kNoSuchBucket);
    case ErrorCode::kBucketExists:
      return S3Error(s3::ErrorCode::kBucketAlreadyExists);
    case ErrorCode::kBucketNotEmpty:
      return S3Error(s3::ErrorCode::kBucketNotEmpty);
    case ErrorCode::kObjectNotFound:
      return S3Error(s3::ErrorCode::kNoSuchKey);
    case ErrorCode::kUploadNotFound:
      return S3Error(s3::ErrorCode::kNoSuchUpload);
    case ErrorCode::kPartNotFound:
      return S3Error(s3::ErrorCode::kInvalidPart);
    case ErrorCode::kConditionFailed:
      return S3Error(s3::ErrorCode::kPreconditionFailed);
    case ErrorCode::kNoSpace:
      return S3Error(s3::ErrorCode::kServiceUnavailable,
                     "The server is out of disk space; nothing was stored. Please try again later.");
    case ErrorCode::kIo:
    case ErrorCode::kCorrupt:
    case ErrorCode::kInternal:
      break;
  }
  return S3Error(s3::ErrorCode::kInternalError);
}

}  // namespace logbucket::s3
