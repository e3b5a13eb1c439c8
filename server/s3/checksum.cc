#include "server/s3/checksum.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <memory>
#include <stdexcept>

#include "server/s3/headers.h"

namespace logbucket::s3 {
namespace {

// Fetched once: implicit fetching inside EVP_DigestInit_ex on every chunk costs a lock and a
// lookup, and these run for every uploaded byte.
const EVP_MD* FetchedMd(HashKind kind) {
  static EVP_MD* const md5 = EVP_MD_fetch(nullptr, "MD5", nullptr);
  static EVP_MD* const sha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  switch (kind) {
    case HashKind::kMd5:
      return md5;
    case HashKind::kSha1:
      return sha1;
    case HashKind::kSha256:
      return sha256;
    default:
      return nullptr;
  }
}

class EvpHasher final : public Hasher {
 public:
  explicit EvpHasher(HashKind kind) : ctx_(EVP_MD_CTX_new()) {
    const EVP_MD* md = FetchedMd(kind);
    // Only an OpenSSL without these digests (or out of memory) fails here: not client input.
    if (ctx_ == nullptr || md == nullptr || EVP_DigestInit_ex(ctx_, md, nullptr) != 1) {
      EVP_MD_CTX_free(ctx_);
      throw std::runtime_error("OpenSSL digest initialisation failed");
    }
  }
  ~EvpHasher() override { EVP_MD_CTX_free(ctx_); }
  EvpHasher(const EvpHasher&) = delete;
  EvpHasher& operator=(const EvpHasher&) = delete;

  void Update(std::string_view bytes) override {
    EVP_DigestUpdate(ctx_, bytes.data(), bytes.size());
  }
  std::string Digest() override {
    std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
    unsigned int size = 0;
    EVP_DigestFinal_ex(ctx_, out.data(), &size);
    return std::string(reinterpret_cast<const char*>(out.data()), size);
  }

 private:
  EVP_MD_CTX* ctx_;
};

class CrcHasher final : public Hasher {
 public:
  explicit CrcHasher(crc::Kind kind) : kind_(kind), state_(crc::Initial(kind)) {}
  void Update(std::string_view bytes) override { state_ = crc::Update(kind_, state_, bytes); }
  std::string Digest() override { return crc::ToBigEndian(kind_, crc::Final(kind_, state_)); }

 private:
  crc::Kind kind_;
  uint64_t state_;
};

std::optional<crc::Kind> CrcKindOf(ChecksumAlgorithm algorithm) {
  switch (algorithm) {
    case ChecksumAlgorithm::kCrc32:
      return crc::Kind::kCrc32;
    case ChecksumAlgorithm::kCrc32c:
      return crc::Kind::kCrc32c;
    case ChecksumAlgorithm::kCrc64Nvme:
      return crc::Kind::kCrc64Nvme;
    case ChecksumAlgorithm::kSha1:
    case ChecksumAlgorithm::kSha256:
      return std::nullopt;
  }
  return std::nullopt;
}

constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int8_t, 256> MakeBase64Reverse() {
  std::array<int8_t, 256> r{};
  for (auto& v : r) v = -1;
  for (size_t i = 0; i < kBase64Alphabet.size(); ++i) {
    r[static_cast<unsigned char>(kBase64Alphabet[i])] = static_cast<int8_t>(i);
  }
  return r;
}
constexpr std::array<int8_t, 256> kBase64Reverse = MakeBase64Reverse();

}  // namespace

std::string_view AlgorithmName(ChecksumAlgorithm algorithm) {
  switch (algorithm) {
    case ChecksumAlgorithm::kCrc32:
      return "CRC32";
    case ChecksumAlgorithm::kCrc32c:
      return "CRC32C";
    case ChecksumAlgorithm::kCrc64Nvme:
      return "CRC64NVME";
    case ChecksumAlgorithm::kSha1:
      return "SHA1";
    case ChecksumAlgorithm::kSha256:
      return "SHA256";
  }
  return "";
}

std::optional<ChecksumAlgorithm> ParseAlgorithmName(std::string_view name) {
  for (ChecksumAlgorithm algorithm : AllChecksumAlgorithms()) {
    if (EqualsIgnoreCase(name, AlgorithmName(algorithm))) return algorithm;
  }
  return std::nullopt;
}

std::string ChecksumHeaderName(ChecksumAlgorithm algorithm) {
  return "x-amz-checksum-" + ToLower(AlgorithmName(algorithm));
}

const std::vector<ChecksumAlgorithm>& AllChecksumAlgorithms() {
  static const std::vector<ChecksumAlgorithm> all = {
      ChecksumAlgorithm::kCrc32, ChecksumAlgorithm::kCrc32c, ChecksumAlgorithm::kCrc64Nvme,
      ChecksumAlgorithm::kSha1, ChecksumAlgorithm::kSha256};
  return all;
}

HashKind HashKindOf(ChecksumAlgorithm algorithm) {
  switch (algorithm) {
    case ChecksumAlgorithm::kCrc32:
      return HashKind::kCrc32;
    case ChecksumAlgorithm::kCrc32c:
      return HashKind::kCrc32c;
    case ChecksumAlgorithm::kCrc64Nvme:
      return HashKind::kCrc64Nvme;
    case ChecksumAlgorithm::kSha1:
      return HashKind::kSha1;
    case ChecksumAlgorithm::kSha256:
      return HashKind::kSha256;
  }
  return HashKind::kSha256;
}

std::unique_ptr<Hasher> Hasher::Create(HashKind kind) {
  switch (kind) {
    case HashKind::kCrc32:
      return std::make_unique<CrcHasher>(crc::Kind::kCrc32);
    case HashKind::kCrc32c:
      return std::make_unique<CrcHasher>(crc::Kind::kCrc32c);
    case HashKind::kCrc64Nvme:
      return std::make_unique<CrcHasher>(crc::Kind::kCrc64Nvme);
    case HashKind::kMd5:
    case HashKind::kSha1:
    case HashKind::kSha256:
      return std::make_unique<EvpHasher>(kind);
  }
  return nullptr;
}

std::string Digest(HashKind kind, std::string_view bytes) {
  auto hasher = Hasher::Create(kind);
  hasher->Update(bytes);
  return hasher->Digest();
}

std::string Md5Hex(std::string_view bytes) { return HexEncode(Digest(HashKind::kMd5, bytes)); }

std::string Sha256Hex(std::string_view bytes) {
  return HexEncode(Digest(HashKind::kSha256, bytes));
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  // RFC 2104 over the digest fetched once: OpenSSL 3's one-shot HMAC() fetches the HMAC and
  // SHA-256 implementations by name on every call (a lock and a lookup each), and this runs for
  // every signed chunk of a streaming upload.
  constexpr size_t kBlock = 64;  // SHA-256's block size
  struct CtxDeleter {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
  };
  thread_local std::unique_ptr<EVP_MD_CTX, CtxDeleter> ctx(EVP_MD_CTX_new());
  const EVP_MD* md = FetchedMd(HashKind::kSha256);
  std::array<unsigned char, kBlock> k{};
  std::array<unsigned char, kBlock> pad{};
  std::array<unsigned char, EVP_MAX_MD_SIZE> inner{};
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int inner_size = 0;
  unsigned int size = 0;
  bool ok = ctx != nullptr && md != nullptr;
  if (ok && key.size() > kBlock) {
    ok = EVP_Digest(key.data(), key.size(), k.data(), &size, md, nullptr) == 1;
  } else if (ok) {
    std::copy(key.begin(), key.end(), k.begin());
  }
  for (size_t i = 0; i < kBlock; ++i) pad[i] = k[i] ^ 0x36;
  ok = ok && EVP_DigestInit_ex(ctx.get(), md, nullptr) == 1 &&
       EVP_DigestUpdate(ctx.get(), pad.data(), pad.size()) == 1 &&
       EVP_DigestUpdate(ctx.get(), data.data(), data.size()) == 1 &&
       EVP_DigestFinal_ex(ctx.get(), inner.data(), &inner_size) == 1;
  for (size_t i = 0; i < kBlock; ++i) pad[i] = k[i] ^ 0x5c;
  ok = ok && EVP_DigestInit_ex(ctx.get(), md, nullptr) == 1 &&
       EVP_DigestUpdate(ctx.get(), pad.data(), pad.size()) == 1 &&
       EVP_DigestUpdate(ctx.get(), inner.data(), inner_size) == 1 &&
       EVP_DigestFinal_ex(ctx.get(), out.data(), &size) == 1;
  OPENSSL_cleanse(k.data(), k.size());
  OPENSSL_cleanse(pad.data(), pad.size());
  // Only an OpenSSL without SHA-256 (or out of memory) fails here: not client input.
  if (!ok) throw std::runtime_error("OpenSSL HMAC-SHA256 failed");
  return std::string(reinterpret_cast<const char*>(out.data()), size);
}

std::string Base64Encode(std::string_view raw) {
  std::string out;
  out.reserve((raw.size() + 2) / 3 * 4);
  size_t i = 0;
  auto byte = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(raw[k])); };
  for (; i + 3 <= raw.size(); i += 3) {
    uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out += kBase64Alphabet[(v >> 18) & 63];
    out += kBase64Alphabet[(v >> 12) & 63];
    out += kBase64Alphabet[(v >> 6) & 63];
    out += kBase64Alphabet[v & 63];
  }
  size_t rest = raw.size() - i;
  if (rest == 1) {
    uint32_t v = byte(i) << 16;
    out += kBase64Alphabet[(v >> 18) & 63];
    out += kBase64Alphabet[(v >> 12) & 63];
    out += "==";
  } else if (rest == 2) {
    uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8);
    out += kBase64Alphabet[(v >> 18) & 63];
    out += kBase64Alphabet[(v >> 12) & 63];
    out += kBase64Alphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

// Strict: length a multiple of 4, padding only at the end, and the unused bits of the last
// character zero, so that each byte string has exactly one accepted encoding and comparing
// checksums as text is the same as comparing them as bytes.
std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  size_t padding = 0;
  if (!text.empty() && text.back() == '=') padding = text[text.size() - 2] == '=' ? 2 : 1;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    bool last = i + 4 == text.size();
    size_t symbols = last ? 4 - padding : 4;
    uint32_t v = 0;
    for (size_t k = 0; k < 4; ++k) {
      int8_t d = 0;
      if (k < symbols) {
        d = kBase64Reverse[static_cast<unsigned char>(text[i + k])];
        if (d < 0) return std::nullopt;
      }
      v = (v << 6) | static_cast<uint32_t>(d);
    }
    out += static_cast<char>((v >> 16) & 0xff);
    if (symbols >= 3) out += static_cast<char>((v >> 8) & 0xff);
    if (symbols == 4) out += static_cast<char>(v & 0xff);
    if (symbols == 2 && (v & 0xffff) != 0) return std::nullopt;
    if (symbols == 3 && (v & 0xff) != 0) return std::nullopt;
  }
  return out;
}

std::string HexEncode(std::string_view raw) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(raw.size() * 2);
  for (char c : raw) {
    auto b = static_cast<unsigned char>(c);
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

std::string CompositeChecksum(ChecksumAlgorithm algorithm,
                              const std::vector<std::string>& part_checksums_base64) {
  auto hasher = Hasher::Create(HashKindOf(algorithm));
  for (const std::string& part : part_checksums_base64) {
    std::optional<std::string> raw = Base64Decode(part);
    if (!raw) return "";
    hasher->Update(*raw);
  }
  return Base64Encode(hasher->Digest()) + "-" + std::to_string(part_checksums_base64.size());
}

std::optional<std::string> CombineCrc(ChecksumAlgorithm algorithm,
                                      const std::vector<std::string>& part_checksums_base64,
                                      const std::vector<uint64_t>& part_sizes) {
  std::optional<crc::Kind> kind = CrcKindOf(algorithm);
  if (!kind || part_checksums_base64.size() != part_sizes.size()) return std::nullopt;
  uint64_t combined = crc::Compute(*kind, "");
  for (size_t i = 0; i < part_checksums_base64.size(); ++i) {
    std::optional<std::string> raw = Base64Decode(part_checksums_base64[i]);
    if (!raw) return std::nullopt;
    std::optional<uint64_t> part = crc::FromBigEndian(*kind, *raw);
    if (!part) return std::nullopt;
    combined = i == 0 ? *part : crc::Combine(*kind, combined, *part, part_sizes[i]);
  }
  return Base64Encode(crc::ToBigEndian(*kind, combined));
}

}  // namespace logbucket::s3
