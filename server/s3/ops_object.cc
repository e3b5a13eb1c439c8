// Object operations: PutObject (and CopyObject, selected by x-amz-copy-source), GetObject,
// HeadObject, DeleteObject.
#include <charconv>

#include "server/s3/authorize.h"
#include "server/s3/checksum.h"
#include "server/s3/object_headers.h"
#include "server/s3/operation.h"
#include "server/s3/versions.h"
#include "server/s3/xml/multipart_xml.h"

namespace logbucket::s3 {
namespace {

std::expected<storage::WriteCondition, S3Error> WriteConditionOf(OpContext& c) {
  storage::WriteCondition condition;
  if (auto none = c.Header("if-none-match")) {
    if (*none != "*") {
      return std::unexpected(S3Error(ErrorCode::kNotImplemented)
                                 .With("Header", "If-None-Match")
                                 .With("additionalMessage", "We don't accept the provided value "
                                                            "of If-None-Match header for this API"));
    }
    condition.must_not_exist = true;
  }
  if (auto match = c.Header("if-match")) {
    auto current = c.state.store.HeadObject(c.bucket->name, c.target.key);
    if (!current) return std::unexpected(FromStorage(current.error()));  // NoSuchKey, as S3
    std::string etag(*match);
    if (etag.empty() || etag.front() != '"') etag = "\"" + etag + "\"";
    condition.etag_equals = etag;
  }
  return condition;
}

OpResult CopyObject(OpContext& c, std::string_view copy_source) {
  c.log.operation = "REST.COPY.OBJECT";
  auto source = ParseCopySource(copy_source);
  if (!source) return std::unexpected(source.error());
  auto opened = OpenCopySource(c, *source);
  if (!opened) {
    // A missing source bucket has no log to receive the GET side; other failures do.
    const storage::BucketRecord* b = nullptr;
    auto bucket = c.state.store.GetBucket(source->bucket);
    if (bucket) b = &*bucket;
    if (b) {
      c.log.extra.push_back(CopySourceRecord(c, "REST.COPY.OBJECT_GET", *source, b,
                                             &opened.error(), std::nullopt));
    }
    return std::unexpected(opened.error());
  }
  const storage::ObjectRecord& src = opened->reader.record();
  if (auto ok = CheckCopySourceConditions(c.head.headers, src); !ok) {
    c.log.extra.push_back(CopySourceRecord(c, "REST.COPY.OBJECT_GET", *source, &opened->bucket,
                                           &ok.error(), src.size));
    return std::unexpected(ok.error());
  }
  std::string directive(c.Header("x-amz-metadata-directive").value_or("COPY"));
  if (directive != "COPY" && directive != "REPLACE") {
    return std::unexpected(S3Error(ErrorCode::kInvalidArgument, "Unknown metadata directive.")
                               .With("ArgumentName", "x-amz-metadata-directive")
                               .With("ArgumentValue", directive));
  }
  if (auto ok = CheckCopySourceSseHeaders(c); !ok) return std::unexpected(ok.error());
  auto encrypt = EncryptsNewObject(c);  // the destination's: the request's, else its bucket's
  if (!encrypt) return std::unexpected(encrypt.error());
  auto access = NewObjectAcl(c);
  if (!access) return std::unexpected(access.error());
  storage::ObjectRecord record;
  record.bucket = c.bucket->name;
  record.key = c.target.key;
  record.owner_account_id = std::move(access->owner_account_id);
  record.acl = std::move(access->acl);
  if (directive == "REPLACE") {
    if (auto ok = ReadObjectHeaders(c.head.headers, record.headers, record.user_metadata,
                                    record.storage_class);
        !ok) {
      return std::unexpected(ok.error());
    }
  } else {
    record.headers = src.headers;
    record.user_metadata = src.user_metadata;
    record.storage_class = std::string(c.Header("x-amz-storage-class").value_or(src.storage_class));
  }
  // Copying a named earlier version onto its own key is how S3 restores it: allowed.
  bool same_object = source->bucket == c.bucket->name && source->key == c.target.key &&
                     !source->storage_version_id;
  if (same_object && directive == "COPY" && !c.Header("x-amz-storage-class") &&
      !c.Header("x-amz-website-redirect-location") && !c.Header("x-amz-checksum-algorithm") &&
      !c.Header(kSseHeader)) {
    return std::unexpected(S3Error(ErrorCode::kInvalidRequest,
                                   "This copy request is illegal because it is trying to copy an "
                                   "object to itself without changing the object's metadata, "
                                   "storage class, website redirect location or encryption "
                                   "attributes."));
  }
  std::string algorithm = "CRC64NVME";
  if (!src.checksums.empty()) algorithm = src.checksums.begin()->first;
  if (auto a = c.Header("x-amz-checksum-algorithm")) {
    auto parsed = ParseAlgorithmName(*a);
    if (!parsed) {
      return std::unexpected(S3Error(ErrorCode::kInvalidRequest, "Checksum algorithm provided is unsupported."));
    }
    algorithm = std::string(AlgorithmName(*parsed));
  }
  auto out = c.state.store.BeginWrite({.encrypt = *encrypt});
  if (!out) return std::unexpected(FromStorage(out.error()));
  auto copied = CopyBytes(opened->reader, 0, src.size, algorithm, *out);
  if (!copied) return std::unexpected(copied.error());
  record.etag = "\"" + copied->md5_hex + "\"";
  record.last_modified_ms = NowMs();
  record.checksums[algorithm] = copied->checksum_base64;
  record.checksum_type = "FULL_OBJECT";
  auto committed = c.state.store.CommitObject(std::move(*out), record);
  if (!committed) return std::unexpected(FromStorage(committed.error()));
  c.log.object_size = committed->size;
  c.log.extra.push_back(CopySourceRecord(c, "REST.COPY.OBJECT_GET", *source, &opened->bucket,
                                         nullptr, src.size));
  Response r = XmlResponse(
      200, xml::RenderCopyObjectResult(committed->etag, committed->last_modified_ms,
                                       committed->checksums));
  if (auto v = VersionIdHeader(opened->bucket, src.version_id); !v.empty()) {
    r.headers.Set("x-amz-copy-source-version-id", v);
  }
  SetSseHeader(r);
  if (auto v = VersionIdHeader(*c.bucket, committed->version_id); !v.empty()) {
    r.headers.Set("x-amz-version-id", v);
  }
  return r;
}

}  // namespace

OpResult PutObject(OpContext& c) {
  if (auto copy_source = c.Header("x-amz-copy-source")) return CopyObject(c, *copy_source);
  auto access = NewObjectAcl(c);
  if (!access) return std::unexpected(access.error());
  storage::ObjectRecord record;
  record.bucket = c.bucket->name;
  record.key = c.target.key;
  record.owner_account_id = std::move(access->owner_account_id);
  record.acl = std::move(access->acl);
  if (auto ok = ReadObjectHeaders(c.head.headers, record.headers, record.user_metadata,
                                  record.storage_class);
      !ok) {
    return std::unexpected(ok.error());
  }
  auto condition = WriteConditionOf(c);
  if (!condition) return std::unexpected(condition.error());
  auto encrypt = EncryptsNewObject(c);
  if (!encrypt) return std::unexpected(encrypt.error());
  // The body arrived before this decision: encrypt it now unless it was encrypted as it came.
  if (*encrypt) {
    if (auto ok = c.state.store.EncryptWrite(*c.body->data); !ok) {
      return std::unexpected(FromStorage(ok.error()));
    }
  }
  record.etag = "\"" + c.body->md5_hex + "\"";
  record.last_modified_ms = NowMs();
  record.checksums = c.body->checksums;
  record.checksum_type = "FULL_OBJECT";
  auto committed = c.state.store.CommitObject(std::move(*c.body->data), record, *condition);
  if (!committed) {
    if (committed.error().code == storage::ErrorCode::kObjectNotFound) {
      return std::unexpected(S3Error(ErrorCode::kNoSuchKey).With("Key", c.target.key));
    }
    S3Error e = FromStorage(committed.error());
    if (e.code == ErrorCode::kPreconditionFailed) {
      e.With("Condition", condition->must_not_exist ? "If-None-Match" : "If-Match");
    }
    return std::unexpected(e);
  }
  c.log.object_size = committed->size;
  Response r = EmptyResponse(200);
  r.headers.Set("ETag", committed->etag);
  SetSseHeader(r);
  if (auto v = VersionIdHeader(*c.bucket, committed->version_id); !v.empty()) {
    r.headers.Set("x-amz-version-id", v);
  }
  for (const auto& [algorithm, value] : committed->checksums) {
    auto a = ParseAlgorithmName(algorithm);
    // S3 echoes the checksum the client asked for; the default CRC64NVME only on request.
    bool asked = a && (c.Header(ChecksumHeaderName(*a)) || c.Header("x-amz-trailer") ||
                       c.Header("x-amz-sdk-checksum-algorithm"));
    if (asked) {
      r.headers.Set(ChecksumHeaderName(*a), value);
      r.headers.Set("x-amz-checksum-type", "FULL_OBJECT");
    }
  }
  return r;
}

namespace {

// The GET/HEAD response for an object, with its body when `reader` is given.
OpResult ServeObject(OpContext& c, bool with_body) {
  if (auto ok = CheckReadSseHeaders(c); !ok) return std::unexpected(ok.error());
  std::optional<storage::ObjectReader> reader;
  storage::ObjectRecord object;
  std::optional<std::string> version_id;
  if (auto v = c.Query("versionId")) {
    auto id = StorageVersionId(*v);
    if (!id) return std::unexpected(id.error());
    version_id = std::move(*id);
  }
  auto not_found = [&](const storage::Error& error) -> S3Error {
    S3Error e = FromStorage(error);
    if (e.code != ErrorCode::kNoSuchKey) return e;
    if (version_id) {
      return S3Error(ErrorCode::kNoSuchVersion)
          .With("Key", c.target.key)
          .With("VersionId", std::string(*c.Query("versionId")));
    }
    e.With("Key", c.target.key);
    // A delete marker on top: S3 says so in the 404's headers.
    if (!c.bucket->versioning.empty()) {
      auto marker = c.state.store.LatestDeleteMarker(c.bucket->name, c.target.key);
      if (marker && *marker) {
        e.WithHeader("x-amz-delete-marker", "true");
        e.WithHeader("x-amz-version-id", WireVersionId((*marker)->version_id));
      }
    }
    return e;
  };
  if (with_body) {
    auto opened = version_id
                      ? c.state.store.OpenVersion(c.bucket->name, c.target.key, *version_id)
                      : c.state.store.OpenObject(c.bucket->name, c.target.key);
    if (!opened) return std::unexpected(not_found(opened.error()));
    object = opened->record();
    reader = std::move(*opened);
  } else {
    auto head = version_id ? c.state.store.HeadVersion(c.bucket->name, c.target.key, *version_id)
                           : c.state.store.HeadObject(c.bucket->name, c.target.key);
    if (!head) return std::unexpected(not_found(head.error()));
    object = std::move(*head);
  }
  if (object.delete_marker) {
    // A version id naming a delete marker: 405, as S3 answers.
    return std::unexpected(S3Error(ErrorCode::kMethodNotAllowed)
                               .With("Method", c.head.method)
                               .With("ResourceType", "DeleteMarker")
                               .WithHeader("x-amz-delete-marker", "true")
                               .WithHeader("x-amz-version-id", WireVersionId(object.version_id))
                               .WithHeader("Last-Modified", HttpDate(object.last_modified_ms))
                               .WithHeader("Allow", "DELETE"));
  }
  c.log.object_size = object.size;
  if (auto ok = CheckReadConditions(c.head.headers, object); !ok) {
    if (ok.error().code == ErrorCode::kNotModified) {
      Response r = EmptyResponse(304);
      r.headers.Set("ETag", object.etag);
      r.headers.Set("Last-Modified", HttpDate(object.last_modified_ms));
      return r;
    }
    return std::unexpected(ok.error());
  }
  bool checksum_mode = c.Header("x-amz-checksum-mode") == "ENABLED";
  Response r;
  r.status = 200;
  uint64_t first = 0, length = object.size;
  bool whole = true;
  if (auto part = c.Query("partNumber")) {
    uint32_t n = 0;
    auto [p, ec] = std::from_chars(part->data(), part->data() + part->size(), n);
    if (ec != std::errc{} || p != part->data() + part->size() || n < 1 || n > 10000) {
      return std::unexpected(S3Error(ErrorCode::kInvalidArgument,
                                     "Part number must be an integer between 1 and 10000, "
                                     "inclusive")
                                 .With("ArgumentName", "partNumber"));
    }
    std::vector<uint64_t> sizes = object.part_sizes;
    if (sizes.empty()) sizes.push_back(object.size);
    if (n > sizes.size()) return std::unexpected(S3Error(ErrorCode::kInvalidPartNumber));
    for (uint32_t i = 0; i + 1 < n; ++i) first += sizes[i];
    length = sizes[n - 1];
    r.headers.Set("x-amz-mp-parts-count", std::to_string(sizes.size()));
    whole = sizes.size() == 1;
    if (length != object.size) {
      r.status = 206;
      r.headers.Set("Content-Range", "bytes " + std::to_string(first) + "-" +
                                         std::to_string(first + length - 1) + "/" +
                                         std::to_string(object.size));
    }
  } else {
    auto range = ParseRange(c.Header("range"), object.size);
    if (!range) return std::unexpected(range.error());
    if (*range) {
      first = (*range)->first;
      length = (*range)->length;
      whole = false;
      r.status = 206;
      r.headers.Set("Content-Range", "bytes " + std::to_string(first) + "-" +
                                         std::to_string(first + length - 1) + "/" +
                                         std::to_string(object.size));
    }
  }
  WriteObjectHeaders(object, checksum_mode && whole, r);
  SetSseHeader(r);
  if (auto v = VersionIdHeader(*c.bucket, object.version_id); !v.empty()) {
    r.headers.Set("x-amz-version-id", v);
  }
  // response-* overrides of a signed GET.
  static constexpr std::pair<std::string_view, std::string_view> kOverrides[] = {
      {"response-content-type", "Content-Type"},
      {"response-content-language", "Content-Language"},
      {"response-expires", "Expires"},
      {"response-cache-control", "Cache-Control"},
      {"response-content-disposition", "Content-Disposition"},
      {"response-content-encoding", "Content-Encoding"}};
  for (const auto& [param, header] : kOverrides) {
    if (auto v = c.Query(param)) r.headers.Set(header, std::string(*v));
  }
  if (with_body) {
    r.file = std::make_shared<storage::ObjectReader>(std::move(*reader));
    r.file_offset = first;
    r.file_length = length;
  } else {
    r.headers.Set("Content-Length", std::to_string(length));
  }
  return r;
}

}  // namespace

OpResult GetObject(OpContext& c) { return ServeObject(c, true); }

OpResult HeadObject(OpContext& c) { return ServeObject(c, false); }

OpResult DeleteObject(OpContext& c) {
  std::optional<std::string> version_id;
  if (auto v = c.Query("versionId")) {
    auto id = StorageVersionId(*v);
    if (!id) return std::unexpected(id.error());
    version_id = std::move(*id);
  }
  if (auto match = c.Header("if-match")) {
    auto current = c.state.store.HeadObject(c.bucket->name, c.target.key);
    if (!current) return std::unexpected(FromStorage(current.error()));
    std::string etag(*match);
    if (etag.empty() || etag.front() != '"') etag = "\"" + etag + "\"";
    if (etag != current->etag && *match != "*") {
      return std::unexpected(S3Error(ErrorCode::kPreconditionFailed).With("Condition", "If-Match"));
    }
  }
  storage::DeleteOptions options;
  if (c.auth.account) options.owner_account_id = c.auth.account->id;
  auto removed = version_id
                     ? c.state.store.DeleteVersion(c.bucket->name, c.target.key, *version_id)
                     : c.state.store.DeleteObject(c.bucket->name, c.target.key, options);
  if (!removed) return std::unexpected(FromStorage(removed.error()));
  Response r = EmptyResponse(204);
  if (removed->delete_marker) r.headers.Set("x-amz-delete-marker", "true");
  if (version_id) {
    r.headers.Set("x-amz-version-id", std::string(*c.Query("versionId")));
  } else if (removed->delete_marker) {
    r.headers.Set("x-amz-version-id", WireVersionId(removed->version_id));
  }
  return r;
}

}  // namespace logbucket::s3
