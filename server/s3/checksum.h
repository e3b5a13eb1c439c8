// Checksums S3 clients send and S3 returns: MD5 (ETag, Content-MD5), CRC32, CRC32C, CRC64NVME,
// SHA-1, SHA-256, incremental, plus base64/hex helpers and S3's composite (multipart) form.
// Thread-safety: a Hasher is single-owner; the free functions are pure.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace logbucket::s3 {

enum class ChecksumAlgorithm { kCrc32, kCrc32c, kCrc64Nvme, kSha1, kSha256 };

// "CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256" (the names S3 uses in headers and XML).
std::string_view AlgorithmName(ChecksumAlgorithm algorithm);
// Case-insensitive; nullopt when unknown.
std::optional<ChecksumAlgorithm> ParseAlgorithmName(std::string_view name);
// "x-amz-checksum-crc32" ... (lower case).
std::string ChecksumHeaderName(ChecksumAlgorithm algorithm);
// Every algorithm, in the order above.
const std::vector<ChecksumAlgorithm>& AllChecksumAlgorithms();

enum class HashKind { kMd5, kCrc32, kCrc32c, kCrc64Nvme, kSha1, kSha256 };
HashKind HashKindOf(ChecksumAlgorithm algorithm);

// Incremental hash. Digest() returns raw bytes (big-endian for CRCs, as S3 encodes them).
class Hasher {
 public:
  static std::unique_ptr<Hasher> Create(HashKind kind);
  virtual ~Hasher() = default;
  virtual void Update(std::string_view bytes) = 0;
  virtual std::string Digest() = 0;  // may be called once
};

// One-shot helpers.
std::string Digest(HashKind kind, std::string_view bytes);
std::string Md5Hex(std::string_view bytes);
std::string Sha256Hex(std::string_view bytes);
std::string HmacSha256(std::string_view key, std::string_view data);  // raw bytes

std::string Base64Encode(std::string_view raw);
// nullopt when not valid base64 (padding required, standard alphabet).
std::optional<std::string> Base64Decode(std::string_view text);
std::string HexEncode(std::string_view raw);  // lower case

// Composite checksum of a multipart upload: checksum of the concatenated raw part checksums,
// base64, followed by "-<part count>" (what S3 returns for COMPOSITE).
std::string CompositeChecksum(ChecksumAlgorithm algorithm,
                              const std::vector<std::string>& part_checksums_base64);
// Full-object CRC of a multipart upload from the parts' CRCs and sizes (CRC combination),
// base64, for FULL_OBJECT checksum type. nullopt for SHA algorithms (not combinable).
std::optional<std::string> CombineCrc(ChecksumAlgorithm algorithm,
                                      const std::vector<std::string>& part_checksums_base64,
                                      const std::vector<uint64_t>& part_sizes);

}  // namespace logbucket::s3
