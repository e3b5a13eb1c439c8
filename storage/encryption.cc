#include "storage/encryption.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "storage/data_files.h"

namespace logbucket::storage {

namespace {

namespace fs = std::filesystem;

constexpr unsigned char kWrapFormat = 1;
constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;
constexpr size_t kPlainKeyBytes = sizeof(DataKey::key) + sizeof(DataKey::iv);
constexpr size_t kWrappedBytes = 1 + kNonceBytes + kPlainKeyBytes + kTagBytes;
constexpr size_t kBlockBytes = 16;

// The last OpenSSL error as text, for messages.
std::string OpensslError() {
  const unsigned long code = ERR_get_error();
  if (code == 0) {
    return "unknown OpenSSL error";
  }
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  ERR_clear_error();
  return text;
}

Error CryptoError(std::string_view what) {
  return Error{ErrorCode::kInternal, fmt::format("{}: {}", what, OpensslError())};
}

struct CtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter>;

std::expected<void, Error> RandomBytes(unsigned char* out, size_t size) {
  if (RAND_bytes(out, static_cast<int>(size)) != 1) {
    return std::unexpected(CryptoError("RAND_bytes"));
  }
  return {};
}

// Reads the whole key file, which must be exactly kMasterKeyBytes and private to its owner.
std::expected<void, Error> ReadMasterKey(const fs::path& path,
                                         std::array<unsigned char, KeyRing::kMasterKeyBytes>& out) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.get() < 0) {
    return std::unexpected(ErrnoError("open", path, errno));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return std::unexpected(ErrnoError("stat", path, errno));
  }
  if (!S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
    return std::unexpected(Error{
        ErrorCode::kIo,
        fmt::format("master key {} must be a regular file with mode 0600 (found mode {:04o}); "
                    "fix it with chmod 600",
                    path.string(), st.st_mode & 07777)});
  }
  if (static_cast<uint64_t>(st.st_size) != out.size()) {
    return std::unexpected(
        Error{ErrorCode::kIo, fmt::format("master key {} holds {} bytes, not {}: it is damaged or "
                                          "not a Logbucket key (objects encrypted under the "
                                          "original key cannot be read without it)",
                                          path.string(), st.st_size, out.size())});
  }
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t got =
        ::pread(fd.get(), out.data() + done, out.size() - done, static_cast<off_t>(done));
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got < 0) {
      return std::unexpected(ErrnoError("read", path, errno));
    }
    if (got == 0) {
      return std::unexpected(
          Error{ErrorCode::kIo, fmt::format("master key {} shrank while read", path.string())});
    }
    done += static_cast<size_t>(got);
  }
  return {};
}

// Creates `dir` with mode 0700 unless it exists.
std::expected<void, Error> MakePrivateDirectory(const fs::path& dir) {
  if (::mkdir(dir.c_str(), 0700) == 0) {
    return SyncDirectory(dir.parent_path());
  }
  if (errno != EEXIST) {
    return std::unexpected(ErrnoError("mkdir", dir, errno));
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    return std::unexpected(ErrnoError("stat", dir, errno));
  }
  if (!S_ISDIR(st.st_mode)) {
    return std::unexpected(ErrnoError("mkdir", dir, ENOTDIR));
  }
  return {};
}

// Writes a new random key to a temporary file and links it into place. Returns false (and writes
// nothing) when another creator linked a key first: the caller reads that one.
std::expected<bool, Error> CreateMasterKey(const fs::path& path) {
  std::array<unsigned char, KeyRing::kMasterKeyBytes> key{};
  if (auto random = RandomBytes(key.data(), key.size()); !random) {
    return std::unexpected(std::move(random.error()));
  }
  auto suffix = RandomHex(8);
  if (!suffix) {
    OPENSSL_cleanse(key.data(), key.size());
    return std::unexpected(std::move(suffix.error()));
  }
  const fs::path tmp = path.parent_path() / (".master.key." + *suffix);
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (fd.get() < 0) {
    OPENSSL_cleanse(key.data(), key.size());
    return std::unexpected(ErrnoError("create", tmp, errno));
  }
  auto written = WriteAll(
      fd.get(), std::string_view(reinterpret_cast<const char*>(key.data()), key.size()), tmp);
  OPENSSL_cleanse(key.data(), key.size());
  if (written) {
    written = SyncFd(fd.get(), tmp);
  }
  if (!written) {
    ::unlink(tmp.c_str());
    return std::unexpected(std::move(written.error()));
  }
  // link() fails when the name exists, where rename() would replace a key already in use.
  const bool linked = ::link(tmp.c_str(), path.c_str()) == 0;
  const int link_errno = errno;
  ::unlink(tmp.c_str());
  if (!linked && link_errno != EEXIST) {
    return std::unexpected(ErrnoError("link", path, link_errno));
  }
  if (auto synced = SyncDirectory(path.parent_path()); !synced) {
    return std::unexpected(std::move(synced.error()));
  }
  return linked;
}

// counter = iv + blocks, as a 128-bit big-endian integer (wrapping like CTR mode does).
std::array<unsigned char, kBlockBytes> CounterAt(const std::array<unsigned char, 16>& iv,
                                                 uint64_t blocks) {
  std::array<unsigned char, kBlockBytes> counter = iv;
  unsigned carry = 0;
  for (size_t i = 0; i < kBlockBytes; ++i) {
    const size_t at = kBlockBytes - 1 - i;
    const unsigned add = i < 8 ? static_cast<unsigned>((blocks >> (8 * i)) & 0xff) : 0;
    const unsigned sum = counter[at] + add + carry;
    counter[at] = static_cast<unsigned char>(sum & 0xff);
    carry = sum >> 8;
  }
  return counter;
}

}  // namespace

std::expected<DataKey, Error> NewDataKey() {
  DataKey key;
  if (auto random = RandomBytes(key.key.data(), key.key.size()); !random) {
    return std::unexpected(std::move(random.error()));
  }
  if (auto random = RandomBytes(key.iv.data(), key.iv.size()); !random) {
    return std::unexpected(std::move(random.error()));
  }
  return key;
}

std::expected<KeyRing, Error> KeyRing::Open(const fs::path& data_dir) {
  const fs::path dir = data_dir / "keys";
  const fs::path path = dir / "master.key";
  if (auto made = MakePrivateDirectory(dir); !made) {
    return std::unexpected(std::move(made.error()));
  }
  if (::access(path.c_str(), F_OK) != 0) {
    if (errno != ENOENT) {
      return std::unexpected(ErrnoError("access", path, errno));
    }
    if (auto created = CreateMasterKey(path); !created) {
      return std::unexpected(std::move(created.error()));
    }
  }
  KeyRing ring;
  if (auto read = ReadMasterKey(path, ring.master_); !read) {
    return std::unexpected(std::move(read.error()));
  }
  return ring;
}

KeyRing::KeyRing(KeyRing&& other) noexcept : master_(other.master_) {
  OPENSSL_cleanse(other.master_.data(), other.master_.size());
}

KeyRing& KeyRing::operator=(KeyRing&& other) noexcept {
  if (this != &other) {
    master_ = other.master_;
    OPENSSL_cleanse(other.master_.data(), other.master_.size());
  }
  return *this;
}

KeyRing::~KeyRing() { OPENSSL_cleanse(master_.data(), master_.size()); }

std::expected<std::string, Error> KeyRing::Wrap(const DataKey& key) const {
  std::string out(kWrappedBytes, '\0');
  auto* bytes = reinterpret_cast<unsigned char*>(out.data());
  bytes[0] = kWrapFormat;
  unsigned char* nonce = bytes + 1;
  unsigned char* sealed = nonce + kNonceBytes;
  unsigned char* tag = sealed + kPlainKeyBytes;
  if (auto random = RandomBytes(nonce, kNonceBytes); !random) {
    return std::unexpected(std::move(random.error()));
  }
  std::array<unsigned char, kPlainKeyBytes> plain{};
  std::memcpy(plain.data(), key.key.data(), key.key.size());
  std::memcpy(plain.data() + key.key.size(), key.iv.data(), key.iv.size());
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  int n = 0;
  const bool ok =
      ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) == 1 &&
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, master_.data(), nonce) == 1 &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &n, bytes, 1) == 1 &&
      EVP_EncryptUpdate(ctx.get(), sealed, &n, plain.data(), static_cast<int>(plain.size())) == 1 &&
      n == static_cast<int>(plain.size()) && EVP_EncryptFinal_ex(ctx.get(), sealed + n, &n) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, tag) == 1;
  OPENSSL_cleanse(plain.data(), plain.size());
  if (!ok) {
    return std::unexpected(CryptoError("wrapping a data key"));
  }
  return out;
}

std::expected<DataKey, Error> KeyRing::Unwrap(std::string_view wrapped) const {
  if (wrapped.size() != kWrappedBytes ||
      static_cast<unsigned char>(wrapped.front()) != kWrapFormat) {
    return std::unexpected(Error{
        ErrorCode::kCorrupt,
        fmt::format(
            "stored data key is malformed ({} bytes, format {})", wrapped.size(),
            wrapped.empty() ? -1 : static_cast<int>(static_cast<unsigned char>(wrapped[0])))});
  }
  const auto* bytes = reinterpret_cast<const unsigned char*>(wrapped.data());
  const unsigned char* nonce = bytes + 1;
  const unsigned char* sealed = nonce + kNonceBytes;
  std::array<unsigned char, kTagBytes> tag{};
  std::memcpy(tag.data(), sealed + kPlainKeyBytes, kTagBytes);
  std::array<unsigned char, kPlainKeyBytes> plain{};
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) {
    return std::unexpected(CryptoError("unwrapping a data key"));
  }
  int n = 0;
  const bool set_up =
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) == 1 &&
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, master_.data(), nonce) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &n, bytes, 1) == 1 &&
      EVP_DecryptUpdate(ctx.get(), plain.data(), &n, sealed, static_cast<int>(kPlainKeyBytes)) ==
          1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) == 1;
  if (!set_up) {
    OPENSSL_cleanse(plain.data(), plain.size());
    return std::unexpected(CryptoError("unwrapping a data key"));
  }
  int tail = 0;
  if (EVP_DecryptFinal_ex(ctx.get(), plain.data() + n, &tail) != 1) {
    OPENSSL_cleanse(plain.data(), plain.size());
    ERR_clear_error();
    return std::unexpected(Error{ErrorCode::kCorrupt,
                                 "stored data key fails authentication: it was altered, or the "
                                 "master key in keys/master.key is not the one it was wrapped "
                                 "with"});
  }
  DataKey key;
  std::memcpy(key.key.data(), plain.data(), key.key.size());
  std::memcpy(key.iv.data(), plain.data() + key.key.size(), key.iv.size());
  OPENSSL_cleanse(plain.data(), plain.size());
  return key;
}

std::expected<const KeyRing*, Error> KeyRingLoader::Get() {
  std::lock_guard lock(mu_);
  if (!ring_) {
    auto opened = KeyRing::Open(data_dir_);
    if (!opened) {
      return std::unexpected(std::move(opened.error()));
    }
    ring_.emplace(std::move(*opened));
  }
  return &*ring_;
}

std::expected<CtrCipher, Error> CtrCipher::Create(const DataKey& key) {
  CtrCipher cipher;
  cipher.ctx_ = EVP_CIPHER_CTX_new();
  if (cipher.ctx_ == nullptr) {
    return std::unexpected(CryptoError("EVP_CIPHER_CTX_new"));
  }
  cipher.key_ = key;
  return cipher;
}

CtrCipher::CtrCipher(CtrCipher&& other) noexcept
    : key_(other.key_),
      ctx_(std::exchange(other.ctx_, nullptr)),
      position_(std::exchange(other.position_, std::nullopt)) {
  OPENSSL_cleanse(&other.key_, sizeof(other.key_));
}

CtrCipher& CtrCipher::operator=(CtrCipher&& other) noexcept {
  if (this != &other) {
    EVP_CIPHER_CTX_free(ctx_);
    key_ = other.key_;
    OPENSSL_cleanse(&other.key_, sizeof(other.key_));
    ctx_ = std::exchange(other.ctx_, nullptr);
    position_ = std::exchange(other.position_, std::nullopt);
  }
  return *this;
}

CtrCipher::~CtrCipher() {
  EVP_CIPHER_CTX_free(ctx_);
  OPENSSL_cleanse(&key_, sizeof(key_));
}

std::expected<void, Error> CtrCipher::Seek(uint64_t offset) {
  const auto counter = CounterAt(key_.iv, offset / kBlockBytes);
  if (EVP_EncryptInit_ex(ctx_, EVP_aes_256_ctr(), nullptr, key_.key.data(), counter.data()) != 1) {
    position_.reset();
    return std::unexpected(CryptoError("AES-256-CTR init"));
  }
  if (const size_t skip = offset % kBlockBytes; skip > 0) {
    unsigned char discard[kBlockBytes] = {};
    int n = 0;
    if (EVP_EncryptUpdate(ctx_, discard, &n, discard, static_cast<int>(skip)) != 1) {
      position_.reset();
      return std::unexpected(CryptoError("AES-256-CTR"));
    }
  }
  position_ = offset;
  return {};
}

std::expected<void, Error> CtrCipher::Transform(uint64_t offset, const char* in, char* out,
                                                size_t size) {
  if (ctx_ == nullptr) {
    return std::unexpected(Error{ErrorCode::kInternal, "CtrCipher used after a move"});
  }
  if (position_ != offset) {
    if (auto sought = Seek(offset); !sought) {
      return sought;
    }
  }
  // EVP lengths are ints: feed at most 1 GiB at a time.
  constexpr size_t kMaxStep = size_t{1} << 30;
  size_t done = 0;
  while (done < size) {
    const size_t step = std::min(kMaxStep, size - done);
    int n = 0;
    if (EVP_EncryptUpdate(ctx_, reinterpret_cast<unsigned char*>(out + done), &n,
                          reinterpret_cast<const unsigned char*>(in + done),
                          static_cast<int>(step)) != 1 ||
        n != static_cast<int>(step)) {
      position_.reset();
      return std::unexpected(CryptoError("AES-256-CTR"));
    }
    done += step;
  }
  *position_ += size;
  return {};
}

}  // namespace logbucket::storage
