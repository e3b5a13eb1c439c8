// AccessLogRecord: the facts of one Amazon S3 server access-log record, before formatting.
// Built once per request by server/http when the response is complete (plus the extra records
// an operation asks for: BATCH.DELETE.OBJECT, REST.COPY.OBJECT_GET). FormatAccessLogLine (in
// access_log_line.h) is the only place that knows how these become a line.
// Thread-safety: a plain value.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace logbucket::logging {

struct AccessLogRecord {
  std::string bucket_owner;  // 64 lower-case hex canonical id of the source bucket's owner
  std::string bucket;        // source bucket name
  std::chrono::system_clock::time_point time;  // when the request was received
  std::string remote_ip;
  std::string requester;   // "arn:aws:iam::<account>:user/<name>"; "" when anonymous -> "-"
  std::string request_id;  // equals the x-amz-request-id response header
  std::string operation;   // "REST.GET.OBJECT", "BATCH.DELETE.OBJECT"...
  // The key as Amazon takes it before logging it; "" -> "-". The formatter URL-encodes it once
  // (keeping '/'). For REST operations this is the key as it appeared, still percent-encoded, in
  // the request path, which is why Amazon's REST records show keys effectively encoded twice
  // ("my%2520file" for "my file"); for BATCH.DELETE.OBJECT (keys from the XML body) and
  // lifecycle S3.* records it is the decoded key, encoded once.
  std::string key;
  // The request line as received, without quotes: "GET /b/k?x HTTP/1.1". nullopt -> bare "-".
  std::optional<std::string> request_uri;
  int http_status = 0;        // 0 -> "-"
  std::string error_code;     // "" -> "-"
  uint64_t bytes_sent = 0;    // response body bytes; 0 -> "-"
  std::optional<uint64_t> object_size;
  std::optional<uint64_t> total_time_ms;
  std::optional<uint64_t> turn_around_time_ms;
  // Header values; nullopt -> bare "-" (as in BATCH.DELETE.OBJECT records), "" -> "\"-\"".
  std::optional<std::string> referer;
  std::optional<std::string> user_agent;
  std::string version_id;         // "" -> "-"
  std::string host_id;            // equals the x-amz-id-2 response header
  std::string signature_version;  // "SigV4", "SigV2" or "" -> "-"
  std::string cipher_suite;       // OpenSSL name, "" on plain HTTP -> "-"
  std::string auth_type;          // "AuthHeader", "QueryString" or "" -> "-"
  std::string host_header;        // "" -> "-"
  std::string tls_version;        // "TLSv1.2", "TLSv1.3" or "" -> "-"
  std::string access_point_arn;   // "" -> "-"
  bool acl_required = false;      // true -> "Yes", false -> "-"
  std::string source_region;      // the newer 27th field; written only when enabled
};

}  // namespace logbucket::logging
