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
// base64, followed by "-<part count>" (what S3 returns for COMPOSITE). The part checksums are
// ones this server computed and stored, so they are valid; an undecodable one yields "".
std::string CompositeChecksum(ChecksumAlgorithm algorithm,
                              const std::vector<std::string>& part_checksums_base64);
// Full-object CRC of a multipart upload from the parts' CRCs and sizes (CRC combination),
// base64, for FULL_OBJECT checksum type. nullopt for SHA algorithms (not combinable), and when
// the inputs are inconsistent (sizes and checksums differ in count, a checksum is not the
// algorithm's width in base64). No parts gives the CRC of the empty object.
std::optional<std::string> CombineCrc(ChecksumAlgorithm algorithm,
                                      const std::vector<std::string>& part_checksums_base64,
                                      const std::vector<uint64_t>& part_sizes);

// The CRC engine behind Hasher and CombineCrc (crc.cc), on integer values before their big-endian
// encoding: slicing-by-8 tables and zlib-style combination, for the three reflected CRCs whose
// initial value and final XOR are all ones.
namespace crc {

enum class Kind { kCrc32, kCrc32c, kCrc64Nvme };

// Incremental use: state = Initial(); state = Update(state, ...)...; value = Final(state).
uint64_t Initial(Kind kind);
uint64_t Update(Kind kind, uint64_t state, std::string_view bytes);
uint64_t Final(Kind kind, uint64_t state);
uint64_t Compute(Kind kind, std::string_view bytes);
// CRC of A || B from CRC(A), CRC(B) and |B| in bytes, in O(log |B|).
uint64_t Combine(Kind kind, uint64_t crc_a, uint64_t crc_b, uint64_t length_b);
// Digest width in bytes: 4, or 8 for CRC64NVME.
int Width(Kind kind);
std::string ToBigEndian(Kind kind, uint64_t value);
// nullopt unless `raw` is exactly Width(kind) bytes.
std::optional<uint64_t> FromBigEndian(Kind kind, std::string_view raw);

}  // namespace crc

}  // namespace logbucket::s3
