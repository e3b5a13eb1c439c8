#include "server/s3/object_headers.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>

#include "server/s3/authorize.h"
#include "server/s3/checksum.h"
#include "server/s3/versions.h"

namespace logbucket::s3 {
namespace {

constexpr std::array<std::string_view, 6> kStoredHeaders = {
    "content-type",  "content-encoding", "content-disposition",
    "content-language", "cache-control", "expires"};

constexpr std::array<std::string_view, 10> kStorageClasses = {
    "STANDARD",    "REDUCED_REDUNDANCY", "STANDARD_IA",  "ONEZONE_IA", "INTELLIGENT_TIERING",
    "GLACIER",     "DEEP_ARCHIVE",       "GLACIER_IR",   "OUTPOSTS",   "SNOW"};

// Removes the aws-chunked token: it describes the transfer, never the stored object.
std::string StripAwsChunked(std::string_view value) {
  std::string out;
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = value.find(',', start);
    std::string_view token = value.substr(start, comma == std::string_view::npos ? value.npos
                                                                                  : comma - start);
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
    if (!token.empty() && !EqualsIgnoreCase(token, "aws-chunked")) {
      if (!out.empty()) out += ",";
      out += token;
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

bool EtagMatches(std::string_view list, std::string_view etag) {
  // A comma-separated list of quoted ETags, or "*". Quotes are optional in what clients send.
  std::string_view bare = etag;
  if (bare.size() >= 2 && bare.front() == '"') bare = bare.substr(1, bare.size() - 2);
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    std::string_view t = list.substr(start, comma == std::string_view::npos ? list.npos : comma - start);
    while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
    while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
    if (t == "*") return true;
    if (t.starts_with("W/")) t.remove_prefix(2);
    if (t.size() >= 2 && t.front() == '"') t = t.substr(1, t.size() - 2);
    if (t == bare) return true;
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return false;
}

std::expected<void, S3Error> EvaluateConditions(std::optional<std::string_view> if_match,
                                                std::optional<std::string_view> if_none_match,
                                                std::optional<std::string_view> if_modified_since,
                                                std::optional<std::string_view> if_unmodified_since,
                                                const storage::ObjectRecord& object,
                                                bool not_modified_is_304) {
  int64_t modified_s = object.last_modified_ms / 1000;
  if (if_match) {
    if (!EtagMatches(*if_match, object.etag)) {
      return std::unexpected(S3Error(ErrorCode::kPreconditionFailed).With("Condition", "If-Match"));
    }
  } else if (if_unmodified_since) {
    auto t = ParseHttpDate(*if_unmodified_since);
    if (t && modified_s > *t / 1000) {
      return std::unexpected(
          S3Error(ErrorCode::kPreconditionFailed).With("Condition", "If-Unmodified-Since"));
    }
  }
  auto fail_none_match = [&](std::string condition) -> S3Error {
    if (not_modified_is_304) return S3Error(ErrorCode::kNotModified);
    return S3Error(ErrorCode::kPreconditionFailed).With("Condition", std::move(condition));
  };
  if (if_none_match) {
    if (EtagMatches(*if_none_match, object.etag)) {
      return std::unexpected(fail_none_match("If-None-Match"));
    }
  } else if (if_modified_since) {
    auto t = ParseHttpDate(*if_modified_since);
    if (t && modified_s <= *t / 1000) return std::unexpected(fail_none_match("If-Modified-Since"));
  }
  return {};
}

}  // namespace

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::expected<void, S3Error> ReadObjectHeaders(const Headers& headers,
                                               std::map<std::string, std::string>& stored,
                                               std::map<std::string, std::string>& user_metadata,
                                               std::string& storage_class) {
  size_t metadata_bytes = 0;
  for (const auto& field : headers.fields()) {
    std::string name = ToLower(field.name);
    if (name.starts_with("x-amz-meta-")) {
      std::string key = name.substr(11);
      metadata_bytes += key.size() + field.value.size();
      auto [it, inserted] = user_metadata.emplace(key, field.value);
      if (!inserted) it->second += "," + field.value;  // repeated headers join like HTTP
    }
  }
  if (metadata_bytes > 2048) {
    return std::unexpected(S3Error(ErrorCode::kMetadataTooLarge)
                               .With("Size", std::to_string(metadata_bytes))
                               .With("MaxSizeAllowed", "2048"));
  }
  for (std::string_view name : kStoredHeaders) {
    if (auto v = headers.Get(name)) {
      std::string value(*v);
      if (name == "content-encoding") {
        value = StripAwsChunked(value);
        if (value.empty()) continue;
      }
      stored[std::string(name)] = value;
    }
  }
  if (!stored.contains("content-type")) stored["content-type"] = "binary/octet-stream";
  if (auto v = headers.Get("x-amz-website-redirect-location")) {
    stored["x-amz-website-redirect-location"] = std::string(*v);
  }
  storage_class = "STANDARD";
  if (auto v = headers.Get("x-amz-storage-class")) {
    if (std::find(kStorageClasses.begin(), kStorageClasses.end(), *v) == kStorageClasses.end()) {
      return std::unexpected(S3Error(ErrorCode::kInvalidStorageClass)
                                 .With("StorageClassRequested", std::string(*v)));
    }
    storage_class = std::string(*v);
  }
  return {};
}

void WriteObjectHeaders(const storage::ObjectRecord& object, bool with_checksums, Response& r) {
  r.headers.Set("ETag", object.etag);
  r.headers.Set("Last-Modified", HttpDate(object.last_modified_ms));
  r.headers.Set("Accept-Ranges", "bytes");
  for (const auto& [name, value] : object.headers) r.headers.Set(name, value);
  for (const auto& [name, value] : object.user_metadata) r.headers.Add("x-amz-meta-" + name, value);
  if (object.storage_class != "STANDARD") r.headers.Set("x-amz-storage-class", object.storage_class);
  if (with_checksums) {
    for (const auto& [algorithm, value] : object.checksums) {
      if (auto a = ParseAlgorithmName(algorithm)) r.headers.Set(ChecksumHeaderName(*a), value);
    }
    if (!object.checksum_type.empty()) r.headers.Set("x-amz-checksum-type", object.checksum_type);
  }
}

std::expected<void, S3Error> CheckReadConditions(const Headers& headers,
                                                 const storage::ObjectRecord& object) {
  return EvaluateConditions(headers.Get("if-match"), headers.Get("if-none-match"),
                            headers.Get("if-modified-since"), headers.Get("if-unmodified-since"),
                            object, true);
}

std::expected<void, S3Error> CheckCopySourceConditions(const Headers& headers,
                                                       const storage::ObjectRecord& object) {
  return EvaluateConditions(headers.Get("x-amz-copy-source-if-match"),
                            headers.Get("x-amz-copy-source-if-none-match"),
                            headers.Get("x-amz-copy-source-if-modified-since"),
                            headers.Get("x-amz-copy-source-if-unmodified-since"), object, false);
}

std::expected<std::optional<ByteRange>, S3Error> ParseRange(std::optional<std::string_view> header,
                                                            uint64_t size) {
  if (!header) return std::nullopt;
  std::string_view h = *header;
  if (!h.starts_with("bytes=") || h.find(',') != std::string_view::npos) return std::nullopt;
  h.remove_prefix(6);
  auto dash = h.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto number = [](std::string_view s) -> std::optional<uint64_t> {
    uint64_t n = 0;
    if (s.empty()) return std::nullopt;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
    return n;
  };
  std::string_view a = h.substr(0, dash), b = h.substr(dash + 1);
  auto unsatisfiable = [&] {
    return S3Error(ErrorCode::kInvalidRange)
        .With("RangeRequested", std::string(*header))
        .With("ActualObjectSize", std::to_string(size));
  };
  if (a.empty()) {  // suffix: the last n bytes
    auto n = number(b);
    if (!n) return std::nullopt;
    if (*n == 0) return std::unexpected(unsatisfiable());
    uint64_t len = std::min(*n, size);
    if (size == 0) return std::unexpected(unsatisfiable());
    return ByteRange{size - len, len};
  }
  auto first = number(a);
  if (!first) return std::nullopt;
  std::optional<uint64_t> last;
  if (!b.empty()) {
    last = number(b);
    if (!last || *last < *first) return std::nullopt;
  }
  if (*first >= size) return std::unexpected(unsatisfiable());
  uint64_t end = last ? std::min(*last, size - 1) : size - 1;
  return ByteRange{*first, end - *first + 1};
}

std::expected<CopiedBytes, S3Error> CopyBytes(const storage::ObjectReader& source, uint64_t first,
                                              uint64_t length, std::string_view algorithm,
                                              storage::PendingWrite& out) {
  auto md5 = Hasher::Create(HashKind::kMd5);
  auto a = ParseAlgorithmName(algorithm).value_or(ChecksumAlgorithm::kCrc64Nvme);
  auto checksum = Hasher::Create(HashKindOf(a));
  std::string buffer(256 * 1024, '\0');
  uint64_t done = 0;
  while (done < length) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buffer.size(), length - done));
    auto n = source.ReadAt(first + done, std::span<char>(buffer.data(), want));
    if (!n) return std::unexpected(FromStorage(n.error()));
    if (*n == 0) return std::unexpected(S3Error(ErrorCode::kInternalError));
    std::string_view piece(buffer.data(), *n);
    md5->Update(piece);
    checksum->Update(piece);
    if (auto ok = out.Append(piece); !ok) return std::unexpected(FromStorage(ok.error()));
    done += *n;
  }
  return CopiedBytes{HexEncode(md5->Digest()), Base64Encode(checksum->Digest())};
}

std::expected<CopySource, S3Error> ParseCopySource(std::string_view header) {
  std::string_view h = header;
  CopySource out;
  auto q = h.find('?');
  if (q != std::string_view::npos) {
    auto params = sigv4::ParseQueryString(h.substr(q + 1));
    if (params) {
      for (const auto& [n, v] : *params) {
        if (n == "versionId") out.version_id = v;
      }
    }
    h = h.substr(0, q);
  }
  auto decoded = sigv4::UriDecode(h);
  if (!decoded) return std::unexpected(S3Error(ErrorCode::kInvalidArgument, "Invalid copy source encoding").With("ArgumentName", "x-amz-copy-source"));
  std::string_view d = *decoded;
  if (d.starts_with("/")) d.remove_prefix(1);
  auto slash = d.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == d.size()) {
    return std::unexpected(S3Error(ErrorCode::kInvalidArgument,
                                   "Copy Source must mention the source bucket and key: "
                                   "sourcebucket/sourcekey")
                               .With("ArgumentName", "x-amz-copy-source")
                               .With("ArgumentValue", std::string(header)));
  }
  std::string_view raw = h.starts_with("/") ? h.substr(1) : h;
  auto raw_slash = raw.find('/');
  if (raw_slash != std::string_view::npos) out.raw_key = std::string(raw.substr(raw_slash + 1));
  out.bucket = std::string(d.substr(0, slash));
  out.key = std::string(d.substr(slash + 1));
  if (q != std::string_view::npos && header.find("versionId=", q) != std::string_view::npos) {
    auto id = StorageVersionId(out.version_id, "x-amz-copy-source");
    if (!id) return std::unexpected(id.error());
    out.storage_version_id = std::move(*id);
  }
  return out;
}

std::expected<OpenedSource, S3Error> OpenCopySource(OpContext& c, const CopySource& source) {
  auto bucket = c.state.store.GetBucket(source.bucket);
  if (!bucket) {
    S3Error e = FromStorage(bucket.error());
    if (e.code == ErrorCode::kNoSuchBucket) e.With("BucketName", source.bucket);
    return std::unexpected(e);
  }
  bool acl_required = false;  // the source side's record does not carry aclRequired
  if (auto allowed = Authorize(c.state, c.head, c.query, c.auth, *bucket,
                               source.storage_version_id ? "s3:GetObjectVersion" : "s3:GetObject",
                               source.key, &acl_required);
      !allowed) {
    return std::unexpected(allowed.error());
  }
  auto reader =
      source.storage_version_id
          ? c.state.store.OpenVersion(source.bucket, source.key, *source.storage_version_id)
          : c.state.store.OpenObject(source.bucket, source.key);
  if (!reader) {
    S3Error e = FromStorage(reader.error());
    if (e.code == ErrorCode::kNoSuchKey) {
      if (source.storage_version_id) {
        e = S3Error(ErrorCode::kNoSuchVersion).With("VersionId", source.version_id);
      }
      e.With("Key", source.key);
    }
    return std::unexpected(e);
  }
  if (reader->record().delete_marker) {
    return std::unexpected(S3Error(ErrorCode::kInvalidRequest,
                                   "The source of a copy request may not specifically refer to a "
                                   "delete marker by version id."));
  }
  return OpenedSource{std::move(*bucket), std::move(*reader)};
}

ExtraLogRecord CopySourceRecord(const OpContext& c, std::string_view operation,
                                const CopySource& source, const storage::BucketRecord* bucket,
                                const S3Error* error, std::optional<uint64_t> size) {
  ExtraLogRecord r;
  r.operation = std::string(operation);
  r.bucket = source.bucket;
  if (bucket) {
    r.bucket_owner_account_id = bucket->owner_account_id;
    if (const Account* a = c.state.AccountById(bucket->owner_account_id)) {
      r.bucket_owner_canonical_id = a->canonical_id;
    }
  } else {
    r.bucket.clear();  // no such source bucket: nothing to log it against
  }
  r.key = source.raw_key;
  r.version_id = source.version_id;
  r.http_status = error ? error->http_status() : 200;
  r.error_code = error ? std::string(error->code_name()) : "";
  r.object_size = size;
  return r;
}

}  // namespace logbucket::s3
