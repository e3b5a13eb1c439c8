// Shared pieces of the object operations: reading the stored headers and user metadata from a
// request, writing them back on GET/HEAD, conditional request evaluation and byte ranges.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>

#include "server/s3/operation.h"

namespace logbucket::s3 {

// Fills record.headers, user_metadata and storage_class from the request headers. Validates
// the storage class and the 2 KB user metadata limit.
std::expected<void, S3Error> ReadObjectHeaders(const Headers& headers,
                                               std::map<std::string, std::string>& stored,
                                               std::map<std::string, std::string>& user_metadata,
                                               std::string& storage_class);

// Adds ETag, Last-Modified, Content-Type, stored headers, x-amz-meta-*, storage class and, when
// with_checksums, the x-amz-checksum-* and x-amz-checksum-type headers.
void WriteObjectHeaders(const storage::ObjectRecord& object, bool with_checksums, Response& r);

// GET/HEAD conditions (If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since) with
// RFC 7232 precedence: kPreconditionFailed (412) or kNotModified (304).
std::expected<void, S3Error> CheckReadConditions(const Headers& headers,
                                                 const storage::ObjectRecord& object);
// The same for x-amz-copy-source-if-* on the copy source.
std::expected<void, S3Error> CheckCopySourceConditions(const Headers& headers,
                                                       const storage::ObjectRecord& object);

struct ByteRange {
  uint64_t first = 0;
  uint64_t length = 0;
};
// Parses "bytes=a-b", "bytes=a-", "bytes=-n" against an object size. nullopt: no usable range
// (absent or syntactically invalid: the whole object is served, as HTTP says). kInvalidRange
// when it cannot be satisfied.
std::expected<std::optional<ByteRange>, S3Error> ParseRange(std::optional<std::string_view> header,
                                                            uint64_t size);

// Copies an object's bytes into `out`, computing MD5 (hex) and the checksum of `algorithm`.
struct CopiedBytes {
  std::string md5_hex;
  std::string checksum_base64;
};
std::expected<CopiedBytes, S3Error> CopyBytes(const storage::ObjectReader& source, uint64_t first,
                                              uint64_t length, std::string_view algorithm,
                                              storage::PendingWrite& out);

// x-amz-copy-source: "/bucket/key" or "bucket/key", percent-encoded, optional ?versionId=.
struct CopySource {
  std::string bucket;
  std::string key;
  std::string raw_key;  // still percent-encoded, as sent (what the access log encodes)
  std::string version_id;  // as given ("" when none was)
  // The version storage names (nullopt when none was given; "" for "null").
  std::optional<std::string> storage_version_id;
};
std::expected<CopySource, S3Error> ParseCopySource(std::string_view header);

// Opens the copy source after checking that it exists and the requester may read it.
struct OpenedSource {
  storage::BucketRecord bucket;
  storage::ObjectReader reader;
};
std::expected<OpenedSource, S3Error> OpenCopySource(OpContext& c, const CopySource& source);

// The REST.COPY.*_GET record of a copy's source side.
ExtraLogRecord CopySourceRecord(const OpContext& c, std::string_view operation,
                                const CopySource& source, const storage::BucketRecord* bucket,
                                const S3Error* error, std::optional<uint64_t> size);

int64_t NowMs();

// --- Server-side encryption (ops_encryption.cc, whose file comment tells the policy) ----------

inline constexpr std::string_view kSseHeader = "x-amz-server-side-encryption";
// Whether a write that creates an object (PutObject, CopyObject, CreateMultipartUpload) is
// encrypted at rest: its x-amz-server-side-encryption: AES256, else the bucket's default
// encryption. Refuses aws:kms and aws:kms:dsse (KMS.NotFoundException), a KMS key id without
// aws:kms and any other value (InvalidArgument), and SSE-C (AccessDenied: SSE-C is blocked).
std::expected<bool, S3Error> EncryptsNewObject(OpContext& c);
// Whether the bucket has a default encryption configuration (its new objects are encrypted).
std::expected<bool, S3Error> BucketDefaultEncrypts(storage::SqliteStore& store,
                                                   std::string_view bucket);
// UploadPart / UploadPartCopy: SSE-C is refused as above, x-amz-server-side-encryption with
// InvalidArgument (CreateMultipartUpload settled the upload's encryption).
std::expected<void, S3Error> CheckPartSseHeaders(const OpContext& c);
// GET / HEAD: encryption headers are a 400, as S3 answers them for SSE-S3 objects.
std::expected<void, S3Error> CheckReadSseHeaders(const OpContext& c);
// x-amz-copy-source-server-side-encryption-customer-*: no source is SSE-C (400 InvalidRequest).
std::expected<void, S3Error> CheckCopySourceSseHeaders(const OpContext& c);
// x-amz-server-side-encryption: AES256, which S3 reports for every object since January 2023.
void SetSseHeader(Response& r);

}  // namespace logbucket::s3
