// Wire helpers of the transport that need no socket: request and host ids, the HTTP date, the
// framing decision for a response (body or not, Content-Length, keep-alive) and the serialized
// response head. Pure functions, unit-tested without a connection.
// Thread-safety: every function may be called from any thread (the id generators use one
// random engine per thread).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "server/s3/response.h"

namespace logbucket::http {

// 16 upper-case hex digits, like Amazon's x-amz-request-id.
std::string NewRequestId();
// Base64 of 56 random bytes (76 characters ending in '='), like Amazon's x-amz-id-2.
std::string NewHostId();
// RFC 7231 IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
std::string FormatHttpDate(std::chrono::system_clock::time_point time);

// How a response goes on the wire.
struct ResponseFraming {
  bool send_body = false;    // false for HEAD, 1xx, 204 and 304
  uint64_t body_length = 0;  // bytes that follow the head when send_body
};

// HEAD requests and statuses 1xx/204/304 carry no body; otherwise the body is the file range
// (when `file` is set) or `body`.
ResponseFraming PlanResponse(const s3::Response& response, bool head_request);

// The status line and header fields, ending with the empty line. Adds Date, Server and
// Content-Length (except for 204, and for HEAD/304 where the response's own Content-Length, if
// any, is passed through) and "Connection: close" when !keep_alive ("Connection: keep-alive"
// for a kept-alive HTTP/1.0 client). Fields the transport owns are dropped from
// response.headers, and CR/LF are removed from names and values so no field can be injected.
std::string RenderResponseHead(const s3::Response& response, bool head_request, bool keep_alive,
                               bool http10, std::chrono::system_clock::time_point now);

// "HTTP/1.1 100 Continue" interim response.
inline constexpr std::string_view kContinueResponse = "HTTP/1.1 100 Continue\r\n\r\n";

}  // namespace logbucket::http
