// RequestHead: a request as the S3 layer sees it, with no transport types. The transport fills
// it when the request header is complete; the body follows through a BodySink (response.h).
// Thread-safety: a plain value.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "server/s3/headers.h"

namespace logbucket::s3 {

struct RequestHead {
  std::string method;                     // "GET"
  std::string target;                     // request-target as received: "/b/k%20x?uploads"
  std::string http_version = "HTTP/1.1";  // for the logged request line
  Headers headers;
  std::optional<uint64_t> content_length;  // nullopt when absent (or Transfer-Encoding: chunked)

  std::string remote_ip;
  bool tls = false;
  std::string tls_version;  // "TLSv1.3"; "" on plain HTTP
  std::string tls_cipher;   // OpenSSL name; "" on plain HTTP

  std::string request_id;  // 16 upper-case hex, sent as x-amz-request-id
  std::string host_id;     // base64, sent as x-amz-id-2
  std::chrono::system_clock::time_point received_at;
};

}  // namespace logbucket::s3
