// Building access-log records: the request head and the response's LogFacts (what the S3 layer
// knows) plus the transport's measurements (times, bytes sent) become the request's record and
// its extra records (BATCH.DELETE.OBJECT, REST.COPY.OBJECT_GET). The session calls this once per
// response, when the response is complete or failed mid-way; it is the only producer of records.
// Whether a record is wanted (AccessLogSink::IsEnabled) is the caller's decision.
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "logging/access_log_record.h"
#include "server/s3/request.h"
#include "server/s3/response.h"

namespace logbucket::http {

// What the transport measured of one request/response exchange (steady clock).
struct ExchangeMeasurements {
  std::chrono::steady_clock::time_point first_request_byte;
  std::chrono::steady_clock::time_point last_request_byte;
  std::chrono::steady_clock::time_point first_response_byte;
  std::chrono::steady_clock::time_point last_response_byte;
  uint64_t body_bytes_sent = 0;  // response body bytes actually written
};

// The hostname of a Host header value: "b.localhost:9000" -> "b.localhost", "[::1]:9000" ->
// "::1".
std::string_view HostnameOf(std::string_view host_header);

// Whether the Host header names a bucket under the virtual-host domain: "<bucket>.<domain>"
// (case-insensitive, port ignored).
bool IsVirtualHosted(std::string_view host_header, std::string_view virtual_host_domain);

// The object key as it appears, still percent-encoded, in the request-target: the path after
// "/<bucket>/" (path-style) or after "/" (virtual-hosted), without the query. An absolute-form
// target ("http://host/b/k") is reduced to its path first.
std::string RawKeyFromTarget(std::string_view target, bool virtual_hosted);

// The records of one exchange: the main record when response.log.bucket is set, then one per
// LogFacts::extra entry with a bucket. `head_request`: a HEAD reports the size of the body it
// did not send, as Amazon does (311 bytes for a HEAD 404).
std::vector<logging::AccessLogRecord> BuildAccessLogRecords(
    const s3::RequestHead& head, const s3::Response& response,
    const ExchangeMeasurements& measurements, std::string_view virtual_host_domain);

}  // namespace logbucket::http
