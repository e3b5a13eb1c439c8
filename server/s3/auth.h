// Authentication of S3 requests: SigV4 in the Authorization header, presigned query (SigV4),
// SigV2 header or presigned query (HMAC-SHA1, as the aws CLI v1 presigns), or anonymous.
// `sigv2_resource` is "/bucket/key" with the key as sent (SigV2 signs that form). Decides the payload mode (signed hash, unsigned, aws-chunked variants) the body
// must then be checked against. Authorisation (who may do what) is separate (authorize.h).
// Thread-safety: pure functions over the immutable account table.
#pragma once

#include <chrono>
#include <expected>
#include <string_view>

#include "server/s3/operation.h"

namespace logbucket::s3 {

std::expected<AuthResult, S3Error> Authenticate(const ServiceState& state, const RequestHead& head,
                                                std::string_view raw_path,
                                                std::string_view raw_query,
                                                const sigv4::QueryParams& query,
                                                std::string_view sigv2_resource,
                                                std::chrono::system_clock::time_point now);

}  // namespace logbucket::s3
