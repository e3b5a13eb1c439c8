#include "storage/record_codec.h"

#include <cstdint>
#include <vector>

namespace logbucket::storage {

namespace {

// Version 1 has no ACL (and, for uploads, no object owner); version 2 appends them; version 3
// appends the encryption at rest. All decode. Parts went from 1 (checksums only) to 3.
constexpr char kVersion = 3;
constexpr char kVersionWithoutSse = 2;
constexpr char kVersionWithoutAcl = 1;

void PutVarint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

void PutBytes(std::string& out, std::string_view bytes) {
  PutVarint(out, bytes.size());
  out.append(bytes);
}

void PutMap(std::string& out, const std::map<std::string, std::string>& map) {
  PutVarint(out, map.size());
  for (const auto& [name, value] : map) {
    PutBytes(out, name);
    PutBytes(out, value);
  }
}

// Reads the encoded form front to back; any overrun or malformed varint marks it bad.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}

  bool ok() const { return ok_; }
  bool at_end() const { return in_.empty(); }

  uint64_t Varint() {
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (in_.empty()) {
        break;
      }
      const auto byte = static_cast<unsigned char>(in_.front());
      in_.remove_prefix(1);
      value |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        return value;
      }
    }
    ok_ = false;
    return 0;
  }

  std::string Bytes() {
    const uint64_t size = Varint();
    if (!ok_ || size > in_.size()) {
      ok_ = false;
      return {};
    }
    std::string out(in_.substr(0, size));
    in_.remove_prefix(size);
    return out;
  }

  void Map(std::map<std::string, std::string>& map) {
    map.clear();
    const uint64_t count = Varint();
    for (uint64_t i = 0; ok_ && i < count; ++i) {
      std::string name = Bytes();
      std::string value = Bytes();
      if (ok_) {
        map.insert_or_assign(std::move(name), std::move(value));
      }
    }
  }

  // Reads the version byte; 0 (and not ok) when it is not one this code knows.
  char Version() {
    if (in_.empty() || (in_.front() != kVersion && in_.front() != kVersionWithoutSse &&
                        in_.front() != kVersionWithoutAcl)) {
      ok_ = false;
      return 0;
    }
    const char version = in_.front();
    in_.remove_prefix(1);
    return version;
  }

 private:
  std::string_view in_;
  bool ok_ = true;
};

std::expected<void, Error> Finish(const Reader& reader, std::string_view what) {
  if (reader.ok() && reader.at_end()) {
    return {};
  }
  return std::unexpected(
      Error{ErrorCode::kCorrupt, std::string("malformed stored ") + std::string(what)});
}

}  // namespace

std::string EncodeObjectExtras(const ObjectRecord& record) {
  std::string out(1, kVersion);
  PutMap(out, record.headers);
  PutMap(out, record.user_metadata);
  PutMap(out, record.checksums);
  PutVarint(out, record.part_sizes.size());
  for (uint64_t size : record.part_sizes) {
    PutVarint(out, size);
  }
  PutBytes(out, record.acl);
  PutBytes(out, record.sse_algorithm);
  PutBytes(out, record.sse_key);
  return out;
}

std::expected<void, Error> DecodeObjectExtras(std::string_view encoded, ObjectRecord& record) {
  Reader reader(encoded);
  record.acl.clear();
  record.sse_algorithm.clear();
  record.sse_key.clear();
  if (const char version = reader.Version()) {
    reader.Map(record.headers);
    reader.Map(record.user_metadata);
    reader.Map(record.checksums);
    const uint64_t count = reader.Varint();
    record.part_sizes.clear();
    for (uint64_t i = 0; reader.ok() && i < count; ++i) {
      const uint64_t size = reader.Varint();
      if (reader.ok()) {
        record.part_sizes.push_back(size);
      }
    }
    if (version != kVersionWithoutAcl) {
      record.acl = reader.Bytes();
    }
    if (version == kVersion) {
      record.sse_algorithm = reader.Bytes();
      record.sse_key = reader.Bytes();
    }
  }
  return Finish(reader, "object metadata");
}

std::string EncodeUploadExtras(const UploadRecord& record) {
  std::string out(1, kVersion);
  PutMap(out, record.headers);
  PutMap(out, record.user_metadata);
  PutBytes(out, record.object_owner_account_id);
  PutBytes(out, record.acl);
  PutBytes(out, record.sse_algorithm);
  return out;
}

std::expected<void, Error> DecodeUploadExtras(std::string_view encoded, UploadRecord& record) {
  Reader reader(encoded);
  record.object_owner_account_id.clear();
  record.acl.clear();
  record.sse_algorithm.clear();
  if (const char version = reader.Version()) {
    reader.Map(record.headers);
    reader.Map(record.user_metadata);
    if (version != kVersionWithoutAcl) {
      record.object_owner_account_id = reader.Bytes();
      record.acl = reader.Bytes();
    }
    if (version == kVersion) {
      record.sse_algorithm = reader.Bytes();
    }
  }
  return Finish(reader, "upload metadata");
}

std::string EncodePartExtras(const PartRecord& record) {
  std::string out(1, kVersion);
  PutMap(out, record.checksums);
  PutBytes(out, record.sse_algorithm);
  PutBytes(out, record.sse_key);
  return out;
}

std::expected<void, Error> DecodePartExtras(std::string_view encoded, PartRecord& record) {
  Reader reader(encoded);
  record.sse_algorithm.clear();
  record.sse_key.clear();
  const char version = reader.Version();
  if (version == kVersionWithoutSse) {
    return std::unexpected(Error{ErrorCode::kCorrupt, "malformed stored part metadata"});
  }
  if (version) {
    reader.Map(record.checksums);
    if (version == kVersion) {
      record.sse_algorithm = reader.Bytes();
      record.sse_key = reader.Bytes();
    }
  }
  return Finish(reader, "part metadata");
}

}  // namespace logbucket::storage
