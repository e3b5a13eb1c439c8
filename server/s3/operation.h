// Internal to server/s3: what an operation function receives (OpContext), the route table row
// (Route) and the shared service state. One function per operation, same signature, same
// steps: parse -> validate -> storage -> build the response -> fill the log facts.
// Thread-safety: an OpContext belongs to one request; ServiceState is shared and thread-safe.
#pragma once

#include <expected>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "logging/access_log_service.h"
#include "server/s3/request.h"
#include "server/s3/response.h"
#include "server/s3/s3_error.h"
#include "server/s3/service.h"
#include "server/s3/sigv4.h"
#include "storage/sqlite_store.h"

namespace logbucket::s3 {

// Which resource a request addresses, after path-style / virtual-hosted resolution.
struct Target {
  enum class Kind { kService, kBucket, kObject };
  Kind kind = Kind::kService;
  std::string bucket;
  std::string key;  // decoded
  bool virtual_hosted = false;
};

enum class PayloadMode {
  kEmpty,                  // no body expected / unsigned request without hash
  kSignedHash,             // x-amz-content-sha256 = hex digest of the whole body
  kUnsigned,               // UNSIGNED-PAYLOAD
  kStreamingSigned,        // STREAMING-AWS4-HMAC-SHA256-PAYLOAD
  kStreamingSignedTrailer, // STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER
  kStreamingUnsignedTrailer,  // STREAMING-UNSIGNED-PAYLOAD-TRAILER
};

struct AuthResult {
  const Account* account = nullptr;  // nullptr: anonymous
  const User* user = nullptr;
  std::string requester;          // IAM user ARN, "" when anonymous
  std::string signature_version;  // "SigV4" or ""
  std::string auth_type;          // "AuthHeader", "QueryString" or ""
  PayloadMode payload = PayloadMode::kUnsigned;
  std::string payload_sha256;     // for kSignedHash
  // For streaming signed payloads: what chunk signatures chain from.
  std::string signing_key;
  std::string amz_date;
  sigv4::Credential credential;
  std::string seed_signature;
};

// A request body that was streamed into a temporary data file, with what was computed on it.
struct UploadedBody {
  std::optional<storage::PendingWrite> data;  // streamed operations
  std::string buffer;                         // buffered operations
  std::string md5_hex;
  std::map<std::string, std::string> checksums;  // algorithm name -> base64, verified
  uint64_t size = 0;
};

struct ServiceState {
  ServiceOptions options;
  storage::SqliteStore& store;
  logging::AccessLogService& access_log;
  std::map<std::string, std::pair<const Account*, const User*>> keys;  // access key -> owner
  std::map<std::string, const Account*> accounts_by_id;
  // Serialises logging configuration changes: the loop check and the write must be atomic.
  std::mutex logging_config_mutex;

  ServiceState(ServiceOptions o, storage::SqliteStore& s, logging::AccessLogService& a);
  const Account* AccountById(std::string_view id) const;
};

struct OpContext {
  ServiceState& state;
  const RequestHead& head;
  const Target& target;
  const sigv4::QueryParams& query;
  const AuthResult& auth;
  std::optional<storage::BucketRecord> bucket;  // loaded when the route needs the bucket
  LogFacts& log;
  UploadedBody* body = nullptr;  // set for routes with a body

  std::optional<std::string_view> Query(std::string_view name) const;
  bool HasQuery(std::string_view name) const { return Query(name).has_value(); }
  std::optional<std::string_view> Header(std::string_view name) const {
    return head.headers.Get(name);
  }
  // "/bucket" or "/bucket/key" for <Resource> in errors.
  std::string Resource() const;
};

using OpResult = std::expected<Response, S3Error>;
using Handler = OpResult (*)(OpContext&);

enum class BodyMode { kNone, kBuffered, kStreamed };

struct Route {
  std::string_view method;
  Target::Kind kind;
  std::string_view subresource;  // query parameter that selects this row; "" = none present
  std::string_view operation;    // access-log operation name
  // IAM action that authorises the request ("s3:GetObject"); "" when the operation authorises
  // itself per key (DeleteObjects).
  std::string_view action;
  Handler handler;
  BodyMode body = BodyMode::kNone;
};

// The route table (routes.cc) and the lookup. nullptr when no row matches; `known_subresource`
// tells whether the request named a sub-resource Logbucket knows but does not implement.
const Route* FindRoute(std::string_view method, Target::Kind kind, const sigv4::QueryParams& query,
                       std::string* operation_if_unimplemented);

// Responses shared by the operations.
Response XmlResponse(int status, std::string body);
Response EmptyResponse(int status);
std::string HttpDate(int64_t ms_since_epoch);
std::optional<int64_t> ParseHttpDate(std::string_view text);
bool ValidBucketName(std::string_view name);
// "us-east-1", "eu-west-2", "ap-southeast-1"...: lower-case words and a number, dash-separated.
bool ValidRegionName(std::string_view name);

// Operations (ops_*.cc).
OpResult ListBuckets(OpContext& c);
OpResult CreateBucket(OpContext& c);
OpResult HeadBucket(OpContext& c);
OpResult DeleteBucket(OpContext& c);
OpResult GetBucketLocation(OpContext& c);
OpResult ListObjects(OpContext& c);
OpResult ListMultipartUploads(OpContext& c);
OpResult DeleteObjects(OpContext& c);
OpResult GetBucketVersioning(OpContext& c);
OpResult PutBucketVersioning(OpContext& c);
OpResult ListObjectVersions(OpContext& c);
OpResult PutBucketLifecycleConfiguration(OpContext& c);
OpResult GetBucketLifecycleConfiguration(OpContext& c);
OpResult DeleteBucketLifecycle(OpContext& c);
OpResult PutObject(OpContext& c);  // also CopyObject when x-amz-copy-source is present
OpResult GetObject(OpContext& c);
OpResult HeadObject(OpContext& c);
OpResult DeleteObject(OpContext& c);
OpResult CreateMultipartUpload(OpContext& c);
OpResult UploadPart(OpContext& c);  // also UploadPartCopy
OpResult CompleteMultipartUpload(OpContext& c);
OpResult AbortMultipartUpload(OpContext& c);
OpResult ListParts(OpContext& c);
OpResult PutBucketLogging(OpContext& c);
OpResult GetBucketLogging(OpContext& c);
OpResult PostBucketLogging(OpContext& c);
OpResult KeyLoggingStatus(OpContext& c);
OpResult PutBucketPolicy(OpContext& c);
OpResult GetBucketPolicy(OpContext& c);
OpResult DeleteBucketPolicy(OpContext& c);
OpResult PutBucketAcl(OpContext& c);
OpResult GetBucketAcl(OpContext& c);
OpResult PutBucketOwnershipControls(OpContext& c);
OpResult GetBucketOwnershipControls(OpContext& c);
OpResult DeleteBucketOwnershipControls(OpContext& c);
OpResult PutObjectAcl(OpContext& c);
OpResult GetObjectAcl(OpContext& c);
OpResult PutBucketEncryption(OpContext& c);
OpResult GetBucketEncryption(OpContext& c);
OpResult DeleteBucketEncryption(OpContext& c);

}  // namespace logbucket::s3

namespace logbucket::s3 {
// For operations whose API requires Content-MD5 or an x-amz-checksum-* header.
std::expected<void, S3Error> RequireContentChecksum(const OpContext& c);
}  // namespace logbucket::s3
