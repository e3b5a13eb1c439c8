// Response, LogFacts, BodySink and Dispatch: what the S3 layer hands back to the transport.
//
// The transport calls Service::Start(head). It gets either a complete Response (the body of the
// request, if any, is not wanted), or a BodySink to which it feeds the request body as it
// arrives (after HTTP framing, before aws-chunked decoding) and which produces the Response.
// LogFacts carry what only the S3 layer knows for the access-log record; the transport adds
// times, bytes sent and connection facts and builds the record when the response is complete.
// Thread-safety: a BodySink is used by one thread at a time.
#pragma once

#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "server/s3/headers.h"
#include "server/s3/s3_error.h"
#include "logging/logging_configuration.h"
#include "storage/sqlite_store.h"

namespace logbucket::s3 {

// An extra access-log record produced by the same request (same request id and host id):
// BATCH.DELETE.OBJECT per deleted key, REST.COPY.OBJECT_GET for a copy's source.
struct ExtraLogRecord {
  std::string operation;
  std::string bucket;
  std::string bucket_owner_canonical_id;
  std::string bucket_owner_account_id;
  std::string key;
  std::string version_id;
  int http_status = 0;
  std::string error_code;
  std::optional<uint64_t> object_size;
  // BATCH.DELETE.OBJECT records have a bare "-" for request URI, fields 11-18 and no referer/UA.
  bool batch_style = false;
};

struct LogFacts {
  std::string bucket;  // "" when the bucket could not be determined or does not exist: no record
  std::string bucket_owner_canonical_id;
  std::string bucket_owner_account_id;
  std::string operation;  // "REST.GET.OBJECT"
  std::string key;        // decoded key, "" when the operation takes none
  std::string version_id;
  std::optional<uint64_t> object_size;
  std::string requester;          // IAM user ARN, "" when anonymous
  std::string signature_version;  // "SigV4", ""
  std::string auth_type;          // "AuthHeader", "QueryString", ""
  bool acl_required = false;
  std::vector<ExtraLogRecord> extra;
  // Set by a request that changed or removed its bucket's logging (PutBucketLogging,
  // DeleteBucket): the registration it found, under which its own record is logged.
  // With registration_changed and no logged_as, the bucket had no logging when the request
  // arrived: its own record is not logged.
  bool registration_changed = false;
  std::optional<logging::LoggingRegistration> logged_as;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;  // small bodies (XML documents, errors)
  // Streaming body from an object's data file; when set, `body` is ignored and the transport
  // sends file_length bytes starting at file_offset.
  std::shared_ptr<storage::ObjectReader> file;
  uint64_t file_offset = 0;
  uint64_t file_length = 0;
  // S3 error code of an error response ("" on success), for the log record.
  std::string error_code;
  LogFacts log;
};

class BodySink {
 public:
  virtual ~BodySink() = default;
  // The next bytes of the request body. An error stops the upload: the transport stops reading
  // and calls Abort with it.
  virtual std::expected<void, S3Error> Write(std::string_view bytes) = 0;
  // The body is complete: performs the operation and returns the response.
  virtual Response Finish() = 0;
  // The upload failed (an error from Write, a body over the limit, a short body): returns the
  // error response, with log facts, and discards what was written.
  virtual Response Abort(const S3Error& error) = 0;
};

struct Dispatch {
  std::optional<Response> response;  // complete: do not read the body beyond draining it
  std::unique_ptr<BodySink> sink;    // otherwise: feed the body to it
};

}  // namespace logbucket::s3
