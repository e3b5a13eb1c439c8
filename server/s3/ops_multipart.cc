// Multipart upload operations: CreateMultipartUpload, UploadPart (and UploadPartCopy),
// CompleteMultipartUpload, AbortMultipartUpload, ListParts.
#include <charconv>

#include "server/s3/authorize.h"
#include "server/s3/checksum.h"
#include "server/s3/object_headers.h"
#include "server/s3/operation.h"
#include "server/s3/versions.h"
#include "server/s3/xml/multipart_xml.h"

namespace logbucket::s3 {
namespace {

constexpr uint64_t kMinPartSize = 5ull << 20;

// The raw bytes of a hex MD5 (an ETag without quotes).
std::string RawFromHex(std::string_view hex) {
  auto nibble = [](char ch) -> int {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return 0;
  };
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(nibble(hex[i]) * 16 + nibble(hex[i + 1])));
  }
  return out;
}
constexpr uint64_t kMaxPartSize = 5ull << 30;

std::expected<uint32_t, S3Error> PartNumber(const OpContext& c) {
  auto v = c.Query("partNumber");
  uint32_t n = 0;
  if (!v || std::from_chars(v->data(), v->data() + v->size(), n).ec != std::errc{} || n < 1 ||
      n > 10000) {
    return std::unexpected(S3Error(ErrorCode::kInvalidArgument,
                                   "Part number must be an integer between 1 and 10000, inclusive")
                               .With("ArgumentName", "partNumber")
                               .With("ArgumentValue", std::string(v.value_or(""))));
  }
  return n;
}

std::expected<storage::UploadRecord, S3Error> FindUpload(OpContext& c) {
  std::string id(c.Query("uploadId").value_or(""));
  auto upload = c.state.store.GetUpload(c.bucket->name, c.target.key, id);
  if (!upload) {
    S3Error e = FromStorage(upload.error());
    if (e.code == ErrorCode::kNoSuchUpload) e.With("UploadId", id);
    return std::unexpected(e);
  }
  return *upload;
}

xml::Owner OwnerOf(const OpContext& c, const std::string& account_id) {
  if (const Account* a = c.state.AccountById(account_id)) return {a->canonical_id, a->display_name};
  return {};
}

// x-amz-copy-source-range: "bytes=first-last", inclusive, within the source.
std::expected<ByteRange, S3Error> CopyRange(const OpContext& c, uint64_t size) {
  auto v = c.Header("x-amz-copy-source-range");
  if (!v) return ByteRange{0, size};
  std::string_view h = *v;
  uint64_t first = 0, last = 0;
  auto dash = h.find('-');
  auto bad = [&] {
    return S3Error(ErrorCode::kInvalidArgument,
                   "The x-amz-copy-source-range value must be of the form bytes=first-last where "
                   "first and last are the zero-based offsets of the first and last bytes to copy")
        .With("ArgumentName", "x-amz-copy-source-range")
        .With("ArgumentValue", std::string(h));
  };
  if (!h.starts_with("bytes=") || dash == std::string_view::npos) return std::unexpected(bad());
  auto a = h.substr(6, dash - 6), b = h.substr(dash + 1);
  if (std::from_chars(a.data(), a.data() + a.size(), first).ec != std::errc{} ||
      std::from_chars(b.data(), b.data() + b.size(), last).ec != std::errc{} || last < first) {
    return std::unexpected(bad());
  }
  if (last >= size) {
    return std::unexpected(S3Error(ErrorCode::kInvalidRange,
                                   "The requested range is not satisfiable")
                               .With("RangeRequested", std::string(h))
                               .With("ActualObjectSize", std::to_string(size)));
  }
  return ByteRange{first, last - first + 1};
}

OpResult UploadPartCopy(OpContext& c, const storage::UploadRecord& upload, uint32_t number,
                        std::string_view copy_source) {
  c.log.operation = "REST.COPY.PART";
  auto source = ParseCopySource(copy_source);
  if (!source) return std::unexpected(source.error());
  if (auto ok = CheckCopySourceSseHeaders(c); !ok) return std::unexpected(ok.error());
  auto opened = OpenCopySource(c, *source);
  if (!opened) {
    // As for CopyObject: the source side is logged unless the source bucket does not exist.
    auto bucket = c.state.store.GetBucket(source->bucket);
    if (bucket) {
      c.log.extra.push_back(CopySourceRecord(c, "REST.COPY.PART_GET", *source, &*bucket,
                                             &opened.error(), std::nullopt));
    }
    return std::unexpected(opened.error());
  }
  const auto& src = opened->reader.record();
  auto log_get = [&](const S3Error* e) {
    c.log.extra.push_back(
        CopySourceRecord(c, "REST.COPY.PART_GET", *source, &opened->bucket, e, src.size));
  };
  if (auto ok = CheckCopySourceConditions(c.head.headers, src); !ok) {
    log_get(&ok.error());
    return std::unexpected(ok.error());
  }
  auto range = CopyRange(c, src.size);
  if (!range) {
    log_get(&range.error());
    return std::unexpected(range.error());
  }
  auto out = c.state.store.BeginWrite({.encrypt = !upload.sse_algorithm.empty()});
  if (!out) return std::unexpected(FromStorage(out.error()));
  std::string algorithm = upload.checksum_algorithm.empty() ? "CRC64NVME" : upload.checksum_algorithm;
  auto copied = CopyBytes(opened->reader, range->first, range->length, algorithm, *out);
  if (!copied) return std::unexpected(copied.error());
  storage::PartRecord part;
  part.part_number = number;
  part.etag = "\"" + copied->md5_hex + "\"";
  part.last_modified_ms = NowMs();
  part.checksums[algorithm] = copied->checksum_base64;
  auto committed = c.state.store.CommitPart(upload.upload_id, std::move(*out), part);
  if (!committed) return std::unexpected(FromStorage(committed.error()));
  log_get(nullptr);
  c.log.object_size = committed->size;
  Response r = XmlResponse(
      200, xml::RenderCopyPartResult(committed->etag, committed->last_modified_ms,
                                     upload.checksum_algorithm.empty()
                                         ? std::map<std::string, std::string>{}
                                         : committed->checksums));
  if (auto v = VersionIdHeader(opened->bucket, src.version_id); !v.empty()) {
    r.headers.Set("x-amz-copy-source-version-id", v);
  }
  SetSseHeader(r);
  return r;
}

}  // namespace

OpResult CreateMultipartUpload(OpContext& c) {
  auto access = NewObjectAcl(c);
  if (!access) return std::unexpected(access.error());
  storage::UploadRecord upload;
  upload.bucket = c.bucket->name;
  upload.key = c.target.key;
  upload.owner_account_id =
      c.auth.account != nullptr ? c.auth.account->id : c.bucket->owner_account_id;
  upload.object_owner_account_id = std::move(access->owner_account_id);
  upload.acl = std::move(access->acl);
  if (auto ok = ReadObjectHeaders(c.head.headers, upload.headers, upload.user_metadata,
                                  upload.storage_class);
      !ok) {
    return std::unexpected(ok.error());
  }
  if (auto a = c.Header("x-amz-checksum-algorithm")) {
    auto parsed = ParseAlgorithmName(*a);
    if (!parsed) {
      return std::unexpected(S3Error(ErrorCode::kInvalidRequest,
                                     "Checksum algorithm provided is unsupported. Please try "
                                     "again with any of the valid types: [CRC32, CRC32C, "
                                     "CRC64NVME, SHA1, SHA256]"));
    }
    upload.checksum_algorithm = std::string(AlgorithmName(*parsed));
    upload.checksum_type = *parsed == ChecksumAlgorithm::kCrc64Nvme ? "FULL_OBJECT" : "COMPOSITE";
  }
  if (auto t = c.Header("x-amz-checksum-type")) {
    if (*t != "COMPOSITE" && *t != "FULL_OBJECT") {
      return std::unexpected(S3Error(ErrorCode::kInvalidRequest,
                                     "Value for x-amz-checksum-type header is invalid."));
    }
    if (upload.checksum_algorithm.empty()) {
      return std::unexpected(S3Error(ErrorCode::kInvalidRequest,
                                     "The x-amz-checksum-type header can only be used with the "
                                     "x-amz-checksum-algorithm header."));
    }
    bool sha = upload.checksum_algorithm == "SHA1" || upload.checksum_algorithm == "SHA256";
    if ((*t == "FULL_OBJECT" && sha) ||
        (*t == "COMPOSITE" && upload.checksum_algorithm == "CRC64NVME")) {
      return std::unexpected(S3Error(ErrorCode::kInvalidRequest,
                                     "The " + upload.checksum_algorithm +
                                         " algorithm is not supported for the " + std::string(*t) +
                                         " checksum type."));
    }
    upload.checksum_type = std::string(*t);
  }
  auto encrypt = EncryptsNewObject(c);  // parts and the object follow the upload's choice
  if (!encrypt) return std::unexpected(encrypt.error());
  if (*encrypt) upload.sse_algorithm = std::string(storage::kSseAes256);
  auto created = c.state.store.CreateUpload(std::move(upload));
  if (!created) return std::unexpected(FromStorage(created.error()));
  Response r = XmlResponse(200, xml::RenderInitiateMultipartUploadResult(
                                    c.bucket->name, c.target.key, created->upload_id));
  SetSseHeader(r);
  if (!created->checksum_algorithm.empty()) {
    r.headers.Set("x-amz-checksum-algorithm", created->checksum_algorithm);
    r.headers.Set("x-amz-checksum-type", created->checksum_type);
  }
  return r;
}

OpResult UploadPart(OpContext& c) {
  auto number = PartNumber(c);
  if (!number) return std::unexpected(number.error());
  auto upload = FindUpload(c);
  if (!upload) return std::unexpected(upload.error());
  if (auto ok = CheckPartSseHeaders(c); !ok) return std::unexpected(ok.error());
  if (auto copy_source = c.Header("x-amz-copy-source")) {
    return UploadPartCopy(c, *upload, *number, *copy_source);
  }
  if (c.body->size > kMaxPartSize) return std::unexpected(S3Error(ErrorCode::kEntityTooLarge));
  if (!upload->checksum_algorithm.empty() && !c.body->checksums.contains(upload->checksum_algorithm)) {
    return std::unexpected(S3Error(ErrorCode::kInvalidRequest,
                                   "The upload was created using the " +
                                       upload->checksum_algorithm +
                                       " checksum algorithm; the part must use it too."));
  }
  storage::PartRecord part;
  part.part_number = *number;
  part.etag = "\"" + c.body->md5_hex + "\"";
  part.last_modified_ms = NowMs();
  part.checksums = c.body->checksums;
  if (!upload->sse_algorithm.empty()) {
    // The body arrived before the upload was looked up: encrypt it unless it came encrypted.
    if (auto ok = c.state.store.EncryptWrite(*c.body->data); !ok) {
      return std::unexpected(FromStorage(ok.error()));
    }
  }
  auto committed = c.state.store.CommitPart(upload->upload_id, std::move(*c.body->data), part);
  if (!committed) return std::unexpected(FromStorage(committed.error()));
  c.log.object_size = committed->size;
  Response r = EmptyResponse(200);
  r.headers.Set("ETag", committed->etag);
  SetSseHeader(r);
  for (const auto& [algorithm, value] : committed->checksums) {
    if (auto a = ParseAlgorithmName(algorithm); a && c.Header(ChecksumHeaderName(*a))) {
      r.headers.Set(ChecksumHeaderName(*a), value);
    } else if (a && (c.Header("x-amz-trailer") || c.Header("x-amz-sdk-checksum-algorithm"))) {
      r.headers.Set(ChecksumHeaderName(*a), value);
    }
  }
  return r;
}

OpResult CompleteMultipartUpload(OpContext& c) {
  auto upload = FindUpload(c);
  if (!upload) return std::unexpected(upload.error());
  auto requested = xml::ParseCompleteMultipartUpload(c.body->buffer);
  if (!requested) return std::unexpected(requested.error());
  // Every stored part, by number.
  std::map<uint32_t, storage::PartRecord> stored;
  uint32_t after = 0;
  while (true) {
    auto page = c.state.store.ListParts(upload->upload_id, after, 1000);
    if (!page) return std::unexpected(FromStorage(page.error()));
    for (auto& p : page->parts) {
      after = p.part_number;
      stored.emplace(p.part_number, std::move(p));
    }
    if (!page->truncated) break;
  }
  std::string md5s;
  std::vector<uint32_t> numbers;
  std::vector<std::string> etags;  // what was validated: storage concatenates exactly these parts
  std::vector<std::string> part_checksums;
  std::vector<uint64_t> sizes;
  std::string algorithm = upload->checksum_algorithm.empty() ? "CRC64NVME" : upload->checksum_algorithm;
  bool checksums_complete = true;
  uint32_t previous = 0;
  for (size_t i = 0; i < requested->size(); ++i) {
    const auto& want = (*requested)[i];
    if (want.part_number <= previous) return std::unexpected(S3Error(ErrorCode::kInvalidPartOrder));
    previous = want.part_number;
    auto it = stored.find(want.part_number);
    std::string etag = want.etag;
    if (!etag.empty() && etag.front() != '"') etag = "\"" + etag + "\"";
    if (it == stored.end() || it->second.etag != etag) {
      return std::unexpected(S3Error(ErrorCode::kInvalidPart)
                                 .With("UploadId", upload->upload_id)
                                 .With("PartNumber", std::to_string(want.part_number))
                                 .With("ETag", want.etag));
    }
    const auto& part = it->second;
    if (i + 1 < requested->size() && part.size < kMinPartSize) {
      return std::unexpected(S3Error(ErrorCode::kEntityTooSmall)
                                 .With("ProposedSize", std::to_string(part.size))
                                 .With("MinSizeAllowed", std::to_string(kMinPartSize))
                                 .With("PartNumber", std::to_string(part.part_number))
                                 .With("ETag", part.etag));
    }
    for (const auto& [a, v] : want.checksums) {
      auto have = part.checksums.find(a);
      if (have == part.checksums.end() || have->second != v) {
        return std::unexpected(S3Error(ErrorCode::kInvalidPart)
                                   .With("PartNumber", std::to_string(want.part_number)));
      }
    }
    md5s += RawFromHex(std::string_view(part.etag).substr(1, part.etag.size() - 2));
    numbers.push_back(part.part_number);
    etags.push_back(part.etag);
    sizes.push_back(part.size);
    auto c_it = part.checksums.find(algorithm);
    if (c_it == part.checksums.end()) {
      checksums_complete = false;
    } else {
      part_checksums.push_back(c_it->second);
    }
  }
  storage::ObjectRecord record;
  record.bucket = c.bucket->name;
  record.key = c.target.key;
  // Ownership and ACL were settled when the upload was created (uploads from before ACLs were
  // kept have neither: the completing writer owns the object, with the owner-only ACL).
  record.owner_account_id = !upload->object_owner_account_id.empty()
                                ? upload->object_owner_account_id
                                : (c.auth.account != nullptr ? c.auth.account->id
                                                             : c.bucket->owner_account_id);
  record.acl = upload->acl;
  record.headers = upload->headers;
  record.user_metadata = upload->user_metadata;
  record.storage_class = upload->storage_class;
  record.etag = "\"" + Md5Hex(md5s) + "-" + std::to_string(numbers.size()) + "\"";
  record.last_modified_ms = NowMs();
  record.parts_count = static_cast<uint32_t>(numbers.size());
  if (checksums_complete) {
    auto a = ParseAlgorithmName(algorithm);
    std::string type = upload->checksum_type.empty() ? "FULL_OBJECT" : upload->checksum_type;
    if (type == "COMPOSITE") {
      record.checksums[algorithm] = CompositeChecksum(*a, part_checksums);
      record.checksum_type = type;
    } else if (auto combined = CombineCrc(*a, part_checksums, sizes)) {
      record.checksums[algorithm] = *combined;
      record.checksum_type = "FULL_OBJECT";
    }
  }
  storage::WriteCondition condition;
  if (c.Header("if-none-match") == "*") condition.must_not_exist = true;
  auto committed = c.state.store.CompleteUpload(upload->upload_id, numbers, record, condition, etags);
  if (!committed) return std::unexpected(FromStorage(committed.error()));
  c.log.object_size = committed->size;
  std::string host(c.Header("host").value_or("localhost"));
  std::string location = std::string(c.head.tls ? "https://" : "http://") + host +
                         (c.target.virtual_hosted ? "" : "/" + c.bucket->name) + "/" +
                         sigv4::UriEncode(c.target.key, true);
  std::map<std::string, std::string> checksums;
  if (!upload->checksum_algorithm.empty()) checksums = committed->checksums;
  Response r = XmlResponse(200, xml::RenderCompleteMultipartUploadResult(
                                    location, c.bucket->name, c.target.key, committed->etag,
                                    checksums, checksums.empty() ? "" : committed->checksum_type));
  if (auto v = VersionIdHeader(*c.bucket, committed->version_id); !v.empty()) {
    r.headers.Set("x-amz-version-id", v);
  }
  SetSseHeader(r);
  return r;
}

OpResult AbortMultipartUpload(OpContext& c) {
  auto upload = FindUpload(c);
  if (!upload) return std::unexpected(upload.error());
  if (auto ok = c.state.store.AbortUpload(upload->upload_id); !ok) {
    return std::unexpected(FromStorage(ok.error()));
  }
  return EmptyResponse(204);
}

OpResult ListParts(OpContext& c) {
  auto upload = FindUpload(c);
  if (!upload) return std::unexpected(upload.error());
  uint32_t marker = 0;
  int max_parts = 1000;
  if (auto v = c.Query("part-number-marker")) {
    if (std::from_chars(v->data(), v->data() + v->size(), marker).ec != std::errc{}) {
      return std::unexpected(S3Error(ErrorCode::kInvalidArgument, "Invalid part-number-marker")
                                 .With("ArgumentName", "part-number-marker"));
    }
  }
  if (auto v = c.Query("max-parts")) {
    if (std::from_chars(v->data(), v->data() + v->size(), max_parts).ec != std::errc{} ||
        max_parts < 0) {
      return std::unexpected(S3Error(ErrorCode::kInvalidArgument,
                                     "Provided max-parts not an integer or within integer range")
                                 .With("ArgumentName", "max-parts"));
    }
    max_parts = std::min(max_parts, 1000);
  }
  auto page = c.state.store.ListParts(upload->upload_id, marker, static_cast<size_t>(max_parts));
  if (!page) return std::unexpected(FromStorage(page.error()));
  xml::ListPartsResult result;
  result.bucket = c.bucket->name;
  result.key = c.target.key;
  result.upload_id = upload->upload_id;
  result.initiator = result.owner = OwnerOf(c, upload->owner_account_id);
  result.storage_class = upload->storage_class;
  result.part_number_marker = marker;
  result.max_parts = max_parts;
  result.is_truncated = page->truncated;
  result.checksum_algorithm = upload->checksum_algorithm;
  result.checksum_type = upload->checksum_type;
  for (const auto& p : page->parts) {
    xml::PartEntry e{p.part_number, p.last_modified_ms, p.etag, p.size, {}};
    if (!upload->checksum_algorithm.empty()) e.checksums = p.checksums;
    result.parts.push_back(std::move(e));
    result.next_part_number_marker = p.part_number;
  }
  return XmlResponse(200, xml::RenderListPartsResult(result));
}

}  // namespace logbucket::s3
