// AWS Signature Version 2 for S3 (HMAC-SHA1), still what the aws CLI v1 uses for
// `aws s3 presign` and what older SDKs send: the "AWS key:signature" Authorization header and
// the AWSAccessKeyId/Expires/Signature presigned query. Pure functions.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "server/s3/headers.h"
#include "server/s3/sigv4.h"

namespace logbucket::s3::sigv2 {

struct StringToSignInput {
  std::string_view method;
  const Headers* headers;
  // The Date line: the Date header (or "" when x-amz-date is present), or Expires for a
  // presigned URL.
  std::string_view date;
  // "/bucket/key" with the key exactly as it appeared in the request path (still encoded).
  std::string_view resource_path;
  const sigv4::QueryParams* query;  // decoded; the sub-resources among them are signed
  bool presigned = false;           // x-amz-* headers still count; Date is Expires
};

std::string StringToSign(const StringToSignInput& input);
// base64(HMAC-SHA1(secret, string_to_sign))
std::string Signature(std::string_view secret_key, std::string_view string_to_sign);

}  // namespace logbucket::s3::sigv2
