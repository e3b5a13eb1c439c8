// Internal to storage: encryption at rest (SSE-S3). Each encrypted object or part has its own
// data key (a random AES-256 key and a random 16-byte initial counter block); its bytes are
// AES-256-CTR of the plaintext, so any byte range can be decrypted alone (range GETs) and the
// ciphertext is exactly as long as the plaintext (sizes, offsets and part boundaries are
// unchanged). The data key is stored with the object's row, wrapped (AES-256-GCM) under the data
// directory's master key, <data_dir>/keys/master.key: 32 random bytes, mode 0600, in a 0700
// directory.
//
// Wrapped key format: a format byte (1), a 12-byte random nonce, the 48 encrypted bytes (key then
// counter block), the 16-byte GCM tag; the format byte is authenticated data. A wrong master key
// or any altered byte fails the tag check (kCorrupt).
//
// Thread-safety: KeyRing is immutable once opened (any thread). KeyRingLoader serialises its
// first load and may be used from any thread. CtrCipher is single-owner.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "storage/error.h"

// OpenSSL's context type, kept out of this header.
struct evp_cipher_ctx_st;

namespace logbucket::storage {

// The algorithm name S3 shows for objects encrypted here (x-amz-server-side-encryption).
inline constexpr std::string_view kSseAes256 = "AES256";

struct DataKey {
  std::array<unsigned char, 32> key{};
  std::array<unsigned char, 16> iv{};  // the counter block of byte 0
};

// A fresh random data key (RAND_bytes). kInternal when the random generator fails.
std::expected<DataKey, Error> NewDataKey();

class KeyRing {
 public:
  static constexpr size_t kMasterKeyBytes = 32;

  // Loads <data_dir>/keys/master.key, creating it (and keys/, mode 0700) when absent: written to
  // a temporary file created 0600, fsynced, then linked into place (so a concurrent creator
  // cannot replace a key already in use) and the directory fsynced. kIo with a message naming
  // the path when the file is not exactly kMasterKeyBytes long, is readable or writable by group
  // or others, or cannot be read or created.
  static std::expected<KeyRing, Error> Open(const std::filesystem::path& data_dir);

  KeyRing(const KeyRing&) = delete;
  KeyRing& operator=(const KeyRing&) = delete;
  KeyRing(KeyRing&& other) noexcept;
  KeyRing& operator=(KeyRing&& other) noexcept;
  ~KeyRing();  // wipes the master key from memory

  // The wrapped form of `key` (see the file comment), 77 bytes.
  std::expected<std::string, Error> Wrap(const DataKey& key) const;
  // kCorrupt when `wrapped` is malformed, of an unknown format, or fails authentication.
  std::expected<DataKey, Error> Unwrap(std::string_view wrapped) const;

 private:
  KeyRing() = default;
  std::array<unsigned char, kMasterKeyBytes> master_{};
};

// A KeyRing opened on first use, so a store that never encrypts never creates keys/. A failed
// load is retried on the next call (the operator may fix the file meanwhile).
class KeyRingLoader {
 public:
  explicit KeyRingLoader(std::filesystem::path data_dir) : data_dir_(std::move(data_dir)) {}
  // The ring, valid as long as this loader. Errors as KeyRing::Open.
  std::expected<const KeyRing*, Error> Get();

 private:
  const std::filesystem::path data_dir_;
  std::mutex mu_;  // guards ring_ while it is being loaded
  std::optional<KeyRing> ring_;
};

// The AES-256-CTR keystream of one data key, applied at any byte offset: encrypting and
// decrypting are the same operation. Sequential calls (each starting where the previous ended)
// continue the keystream without re-keying; any other offset re-keys with counter IV + offset/16
// (128-bit big-endian addition, as CTR mode increments it) and skips offset % 16 bytes.
class CtrCipher {
 public:
  static std::expected<CtrCipher, Error> Create(const DataKey& key);
  CtrCipher(CtrCipher&& other) noexcept;
  CtrCipher& operator=(CtrCipher&& other) noexcept;
  CtrCipher(const CtrCipher&) = delete;
  CtrCipher& operator=(const CtrCipher&) = delete;
  ~CtrCipher();

  // Writes to out[0, size) the transform of in[0, size) as the bytes at `offset` of the stream.
  // `in` and `out` may be the same buffer.
  std::expected<void, Error> Transform(uint64_t offset, const char* in, char* out, size_t size);
  // In place.
  std::expected<void, Error> Transform(uint64_t offset, char* bytes, size_t size) {
    return Transform(offset, bytes, bytes, size);
  }

 private:
  CtrCipher() = default;
  std::expected<void, Error> Seek(uint64_t offset);

  DataKey key_;
  evp_cipher_ctx_st* ctx_ = nullptr;
  // The stream offset the context's next byte belongs to; nullopt before the first Seek.
  std::optional<uint64_t> position_;
};

}  // namespace logbucket::storage
