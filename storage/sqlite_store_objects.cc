// SqliteStore's objects, and the PendingWrite / ObjectReader values they use.
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

#include "storage/sqlite_store.h"
#include "storage/store_internal.h"

namespace logbucket::storage {

namespace {

constexpr size_t kDataIdBytes = 16;

// Bytes encrypted, decrypted or re-read per step: bounds the memory of one write or copy.
constexpr size_t kCryptStep = 256 * 1024;

Error NoSuchObject(std::string_view bucket, std::string_view key) {
  return Error{ErrorCode::kObjectNotFound, fmt::format("no object {}/{}", bucket, key)};
}

// Reads exactly `size` bytes at `offset`; a file that ends first is kCorrupt (it is shorter than
// the record that names it).
std::expected<void, Error> ReadExactly(int fd, const std::filesystem::path& path, char* out,
                                       size_t size, uint64_t offset) {
  size_t done = 0;
  while (done < size) {
    const ssize_t got = ::pread(fd, out + done, size - done, static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got < 0) {
      return std::unexpected(ErrnoError("read", path, errno));
    }
    if (got == 0) {
      return std::unexpected(Error{
          ErrorCode::kCorrupt, fmt::format("{} is shorter than its recorded size", path.string())});
    }
    done += static_cast<size_t>(got);
  }
  return {};
}

std::expected<void, Error> WriteExactly(int fd, const std::filesystem::path& path, const char* in,
                                        size_t size, uint64_t offset) {
  size_t done = 0;
  while (done < size) {
    const ssize_t put = ::pwrite(fd, in + done, size - done, static_cast<off_t>(offset + done));
    if (put < 0 && errno == EINTR) {
      continue;
    }
    if (put < 0) {
      return std::unexpected(ErrnoError("write", path, errno));
    }
    done += static_cast<size_t>(put);
  }
  return {};
}

}  // namespace

PendingWrite::PendingWrite(std::filesystem::path tmp_dir, uint64_t inline_limit, bool fsync)
    : open_(true), tmp_dir_(std::move(tmp_dir)), inline_limit_(inline_limit), fsync_(fsync) {}

PendingWrite::PendingWrite(PendingWrite&& other) noexcept
    : open_(std::exchange(other.open_, false)),
      fd_(std::exchange(other.fd_, -1)),
      tmp_dir_(std::move(other.tmp_dir_)),
      path_(std::exchange(other.path_, {})),
      buffer_(std::exchange(other.buffer_, {})),
      size_(std::exchange(other.size_, 0)),
      inline_limit_(other.inline_limit_),
      fsync_(other.fsync_),
      cipher_(std::exchange(other.cipher_, std::nullopt)),
      wrapped_key_(std::exchange(other.wrapped_key_, {})) {}

PendingWrite& PendingWrite::operator=(PendingWrite&& other) noexcept {
  if (this != &other) {
    Discard();
    open_ = std::exchange(other.open_, false);
    fd_ = std::exchange(other.fd_, -1);
    tmp_dir_ = std::move(other.tmp_dir_);
    path_ = std::exchange(other.path_, {});
    buffer_ = std::exchange(other.buffer_, {});
    size_ = std::exchange(other.size_, 0);
    inline_limit_ = other.inline_limit_;
    fsync_ = other.fsync_;
    cipher_ = std::exchange(other.cipher_, std::nullopt);
    wrapped_key_ = std::exchange(other.wrapped_key_, {});
  }
  return *this;
}

PendingWrite::~PendingWrite() { (void)Discard(); }

bool PendingWrite::Discard() {
  open_ = false;
  if (fd_ >= 0) {
    ::close(fd_);
  }
  fd_ = -1;
  bool removed = true;
  if (!path_.empty()) {
    removed = ::unlink(path_.c_str()) == 0 || errno == ENOENT;
  }
  path_.clear();
  buffer_.clear();
  return removed;
}

std::expected<void, Error> PendingWrite::Spill() {
  auto id = RandomHex(kDataIdBytes);
  if (!id) {
    return std::unexpected(std::move(id.error()));
  }
  std::filesystem::path path = tmp_dir_ / *id;
  auto fd = CreateExclusive(path);
  if (!fd) {
    return std::unexpected(std::move(fd.error()));
  }
  if (auto written = WriteAll(*fd, buffer_, path); !written) {
    ::close(*fd);
    ::unlink(path.c_str());
    return written;
  }
  fd_ = *fd;
  path_ = std::move(path);
  std::string().swap(buffer_);  // give the memory back: the rest goes to the file
  return {};
}

std::expected<void, Error> PendingWrite::Append(std::string_view bytes) {
  if (!open_ || (!in_memory() && fd_ < 0)) {
    return std::unexpected(
        Error{ErrorCode::kInternal, "Append on a PendingWrite that was committed or moved from"});
  }
  if (!cipher_) {
    return AppendStored(bytes);
  }
  for (size_t at = 0; at < bytes.size(); at += kCryptStep) {
    const std::string_view piece = bytes.substr(at, kCryptStep);
    scratch_.resize(piece.size());
    if (auto encrypted = cipher_->Transform(size_, piece.data(), scratch_.data(), piece.size());
        !encrypted) {
      return encrypted;
    }
    if (auto appended = AppendStored(scratch_); !appended) {
      return appended;
    }
  }
  return {};
}

std::expected<void, Error> PendingWrite::AppendStored(std::string_view bytes) {
  if (in_memory()) {
    if (size_ + bytes.size() <= inline_limit_) {
      buffer_.append(bytes);
      size_ += bytes.size();
      return {};
    }
    if (auto spilled = Spill(); !spilled) {
      return spilled;
    }
  }
  if (auto written = WriteAll(fd_, bytes, path_); !written) {
    // Cut a partial write back so that size() stays the file's true length; a failure to do so
    // is caught when the write is committed (the size check).
    if (::ftruncate(fd_, static_cast<off_t>(size_)) == 0) {
      (void)::lseek(fd_, static_cast<off_t>(size_), SEEK_SET);
    }
    return written;
  }
  size_ += bytes.size();
  return {};
}

std::expected<void, Error> PendingWrite::AppendFile(int fd, const std::filesystem::path& path,
                                                    uint64_t length, CtrCipher* source) {
  if (!open_ || (!in_memory() && fd_ < 0)) {
    return std::unexpected(
        Error{ErrorCode::kInternal, "Append on a PendingWrite that was committed or moved from"});
  }
  const bool fits_in_memory = in_memory() && size_ + length <= inline_limit_;
  if (source == nullptr && !cipher_ && !fits_in_memory) {
    // Clear to clear: the kernel copies (the bytes need not pass through this process).
    if (in_memory()) {
      if (auto spilled = Spill(); !spilled) {
        return spilled;
      }
    }
    if (auto copied = CopyFile(fd, path, length, fd_, path_); !copied) {
      return copied;
    }
    size_ += length;
    return {};
  }
  std::string piece(static_cast<size_t>(std::min<uint64_t>(length, kCryptStep)), '\0');
  for (uint64_t at = 0; at < length; at += piece.size()) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(piece.size(), length - at));
    if (auto read = ReadExactly(fd, path, piece.data(), n, at); !read) {
      return read;
    }
    if (source != nullptr) {
      if (auto decrypted = source->Transform(at, piece.data(), n); !decrypted) {
        return decrypted;
      }
    }
    if (auto appended = Append(std::string_view(piece.data(), n)); !appended) {
      return appended;
    }
  }
  return {};
}

std::expected<void, Error> PendingWrite::StartEncryption(const DataKey& key,
                                                         std::string wrapped_key) {
  if (!open_ || (!in_memory() && fd_ < 0)) {
    return std::unexpected(Error{ErrorCode::kInternal,
                                 "encryption of a PendingWrite that was committed or moved from"});
  }
  auto cipher = CtrCipher::Create(key);
  if (!cipher) {
    return std::unexpected(std::move(cipher.error()));
  }
  // Encrypt what is there already, in place (CTR keeps the length).
  auto encrypted = [&]() -> std::expected<void, Error> {
    if (in_memory()) {
      return cipher->Transform(0, buffer_.data(), buffer_.size());
    }
    std::string piece(static_cast<size_t>(std::min<uint64_t>(size_, kCryptStep)), '\0');
    for (uint64_t at = 0; at < size_; at += piece.size()) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(piece.size(), size_ - at));
      if (auto read = ReadExactly(fd_, path_, piece.data(), n, at); !read) {
        return read;
      }
      if (auto done = cipher->Transform(at, piece.data(), n); !done) {
        return done;
      }
      if (auto written = WriteExactly(fd_, path_, piece.data(), n, at); !written) {
        return written;
      }
    }
    return {};
  }();
  if (!encrypted) {
    (void)Discard();  // partly encrypted bytes must never be committed
    return encrypted;
  }
  cipher_ = std::move(*cipher);
  wrapped_key_ = std::move(wrapped_key);
  return {};
}

ObjectReader::ObjectReader(int fd, ObjectRecord record, std::string bytes)
    : fd_(fd), record_(std::move(record)), bytes_(std::move(bytes)) {}

ObjectReader::ObjectReader(ObjectReader&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      record_(std::move(other.record_)),
      bytes_(std::move(other.bytes_)),
      cipher_(std::exchange(other.cipher_, std::nullopt)) {}

ObjectReader& ObjectReader::operator=(ObjectReader&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = std::exchange(other.fd_, -1);
    record_ = std::move(other.record_);
    bytes_ = std::move(other.bytes_);
    cipher_ = std::exchange(other.cipher_, std::nullopt);
  }
  return *this;
}

ObjectReader::~ObjectReader() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

std::expected<size_t, Error> ObjectReader::ReadAt(uint64_t offset, std::span<char> out) const {
  if (fd_ < 0) {
    if (offset >= bytes_.size()) {
      return 0;
    }
    const size_t n = std::min<uint64_t>(out.size(), bytes_.size() - offset);
    std::memcpy(out.data(), bytes_.data() + offset, n);
    return n;
  }
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t got =
        ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (got < 0) {
      if (errno == EINTR) {
        continue;
      }
      return std::unexpected(
          ErrnoError("read", fmt::format("data of {}/{}", record_.bucket, record_.key), errno));
    }
    if (got == 0) {
      break;
    }
    done += static_cast<size_t>(got);
  }
  if (cipher_ && done > 0) {
    if (auto decrypted = cipher_->Transform(offset, out.data(), done); !decrypted) {
      return std::unexpected(std::move(decrypted.error()));
    }
  }
  return done;
}

std::expected<void, Error> ObjectReader::Decrypt(const DataKey& key) {
  auto cipher = CtrCipher::Create(key);
  if (!cipher) {
    return std::unexpected(std::move(cipher.error()));
  }
  if (fd_ < 0) {
    return cipher->Transform(0, bytes_.data(), bytes_.size());
  }
  cipher_ = std::move(*cipher);
  return {};
}

std::expected<PendingWrite, Error> SqliteStore::BeginWrite(const WriteOptions& options) {
  PendingWrite data(state_->layout.tmp_dir(), state_->options.inline_limit, state_->options.fsync);
  if (state_->options.inline_limit == 0) {
    // Every object is a file: make it now, as a write that never goes inline would.
    if (auto spilled = data.Spill(); !spilled) {
      return std::unexpected(std::move(spilled.error()));
    }
  }
  if (options.encrypt) {
    if (auto encrypting = EncryptWrite(data); !encrypting) {
      return std::unexpected(std::move(encrypting.error()));
    }
  }
  return data;
}

std::expected<void, Error> SqliteStore::EncryptWrite(PendingWrite& data) {
  if (data.encrypted()) {
    return {};
  }
  auto ring = keys_.Get();
  if (!ring) {
    return std::unexpected(std::move(ring.error()));
  }
  auto key = NewDataKey();
  if (!key) {
    return std::unexpected(std::move(key.error()));
  }
  auto wrapped = (*ring)->Wrap(*key);
  if (!wrapped) {
    return std::unexpected(std::move(wrapped.error()));
  }
  return data.StartEncryption(*key, std::move(*wrapped));
}

std::expected<DataKey, Error> SqliteStore::UnwrapKey(std::string_view wrapped) {
  auto ring = keys_.Get();
  if (!ring) {
    return std::unexpected(std::move(ring.error()));
  }
  return (*ring)->Unwrap(wrapped);
}

std::expected<ObjectReader, Error> SqliteStore::Decrypting(ObjectReader reader) {
  if (reader.record_.sse_key.empty()) {
    return reader;
  }
  auto key = UnwrapKey(reader.record_.sse_key);
  if (!key) {
    key.error().message +=
        fmt::format(" ({}/{} cannot be decrypted)", reader.record_.bucket, reader.record_.key);
    return std::unexpected(std::move(key.error()));
  }
  if (auto decrypted = reader.Decrypt(*key); !decrypted) {
    return std::unexpected(std::move(decrypted.error()));
  }
  return reader;
}

std::expected<ObjectRecord, Error> SqliteStore::CommitObject(PendingWrite data, ObjectRecord record,
                                                             const WriteCondition& condition) {
  record.size = data.size();
  data.DescribeEncryption(record);
  if (record.last_modified_ms == 0) {
    record.last_modified_ms = NowMs();
  }
  // Rename first, commit second: a crash in between leaves an unreferenced file that Open()
  // removes, never a row without its bytes. In-memory bytes are inserted by the commit itself.
  auto data_ref = state_->Install(data);
  if (!data_ref) {
    state_->Discard(data);
    return std::unexpected(std::move(data_ref.error()));
  }
  // Committed together with concurrent writes (group commit): returns once the transaction that
  // holds this row has committed.
  std::vector<std::string> replaced;
  auto body = [&](Database& db) -> std::expected<void, Error> {
    auto old_files = PrepareReplace(state_->last_seq, db, record, condition);
    if (!old_files) {
      return std::unexpected(std::move(old_files.error()));
    }
    if (auto blob = State::StoreBlob(db, data, *data_ref); !blob) {
      return blob;
    }
    if (auto stored = UpsertObject(db, record, *data_ref); !stored) {
      return std::unexpected(std::move(stored.error()));
    }
    replaced = std::move(*old_files);
    return {};
  };
  if (auto committed = state_->group_commit.Run(state_->mu, *state_->db, body); !committed) {
    state_->Discard(data);  // removes the installed file: nothing changed
    return std::unexpected(std::move(committed.error()));
  }
  State::Adopt(data);
  if (!replaced.empty()) {
    state_->RemoveDataFiles(replaced);
  }
  return record;
}

std::expected<ObjectRecord, Error> SqliteStore::HeadObject(std::string_view bucket,
                                                           std::string_view key) {
  if (state_->readers) {
    auto lease = state_->readers->Acquire();
    auto found = LookupObject(lease.db(), bucket, key, /*with_bytes=*/false);
    if (!found) {
      return std::unexpected(std::move(found.error()));
    }
    if (!found->bucket_exists) {
      return std::unexpected(NoSuchBucket(bucket));
    }
    if (!found->object) {
      return std::unexpected(NoSuchObject(bucket, key));
    }
    return std::move(found->object->record);
  }
  std::lock_guard lock(state_->mu);
  auto stored = SelectObject(*state_->db, bucket, key);
  if (!stored) {
    return std::unexpected(std::move(stored.error()));
  }
  if (!*stored) {
    if (auto exists = RequireBucket(*state_->db, bucket); !exists) {
      return std::unexpected(std::move(exists.error()));
    }
    return std::unexpected(NoSuchObject(bucket, key));
  }
  return std::move((*stored)->record);
}

std::optional<std::expected<ObjectReader, Error>> SqliteStore::OpenThroughReader(
    std::string_view bucket, std::string_view key) {
  if (!state_->readers) {
    return std::nullopt;
  }
  std::optional<ObjectLookup> found;
  {
    auto lease = state_->readers->Acquire();
    auto looked_up = LookupObject(lease.db(), bucket, key, /*with_bytes=*/true);
    if (!looked_up) {
      return std::unexpected(std::move(looked_up.error()));
    }
    found = std::move(*looked_up);
  }
  if (!found->bucket_exists) {
    return std::unexpected(NoSuchBucket(bucket));
  }
  if (!found->object) {
    return std::unexpected(NoSuchObject(bucket, key));
  }
  StoredObject& stored = *found->object;
  if (stored.record.delete_marker) {
    return ObjectReader(-1, std::move(stored.record), {});
  }
  if (found->blob) {
    return Decrypting(ObjectReader(-1, std::move(stored.record), std::move(*found->blob)));
  }
  auto fd = OpenForReading(state_->layout.DataPath(stored.data.data_id));
  if (!fd) {
    if (fd.error().code == ErrorCode::kCorrupt) {
      return std::nullopt;  // missing: replaced since the row was read
    }
    return std::unexpected(std::move(fd.error()));
  }
  return Decrypting(ObjectReader(*fd, std::move(stored.record), {}));
}

std::expected<ObjectReader, Error> SqliteStore::OpenObject(std::string_view bucket,
                                                           std::string_view key) {
  if (auto opened = OpenThroughReader(bucket, key)) {
    return std::move(*opened);
  }
  std::lock_guard lock(state_->mu);
  auto stored = SelectObject(*state_->db, bucket, key);
  if (!stored) {
    return std::unexpected(std::move(stored.error()));
  }
  if (!*stored) {
    if (auto exists = RequireBucket(*state_->db, bucket); !exists) {
      return std::unexpected(std::move(exists.error()));
    }
    return std::unexpected(NoSuchObject(bucket, key));
  }
  return OpenStored(std::move(**stored));
}

std::expected<ObjectReader, Error> SqliteStore::OpenStored(StoredObject stored) {
  const DataRef& data = stored.data;
  if (stored.record.delete_marker) {
    return ObjectReader(-1, std::move(stored.record), {});
  }
  if (data.blob_id) {
    auto bytes = SelectBlob(*state_->db, *data.blob_id);
    if (!bytes) {
      return std::unexpected(std::move(bytes.error()));
    }
    return Decrypting(ObjectReader(-1, std::move(stored.record), std::move(*bytes)));
  }
  // Opened under the lock: the file cannot be unlinked by a replace between the read of the row
  // and the open (see store_internal.h).
  auto fd = OpenForReading(state_->layout.DataPath(data.data_id));
  if (!fd) {
    return std::unexpected(std::move(fd.error()));
  }
  return Decrypting(ObjectReader(*fd, std::move(stored.record), {}));
}

std::expected<ObjectRecord, Error> SqliteStore::SetObjectAcl(std::string_view bucket,
                                                             std::string_view key,
                                                             std::string_view acl) {
  std::lock_guard lock(state_->mu);
  Database& db = *state_->db;
  auto tx = Transaction::Begin(db);
  if (!tx) {
    return std::unexpected(std::move(tx.error()));
  }
  auto stored = SelectObject(db, bucket, key);
  if (!stored) {
    return std::unexpected(std::move(stored.error()));
  }
  if (!*stored) {
    if (auto exists = RequireBucket(db, bucket); !exists) {
      return std::unexpected(std::move(exists.error()));
    }
    return std::unexpected(NoSuchObject(bucket, key));
  }
  (*stored)->record.acl = std::string(acl);
  if (auto written = UpsertObject(db, (*stored)->record, (*stored)->data); !written) {
    return std::unexpected(std::move(written.error()));
  }
  if (auto committed = tx->Commit(); !committed) {
    return std::unexpected(std::move(committed.error()));
  }
  return std::move((*stored)->record);
}

std::expected<ObjectPage, Error> SqliteStore::ListObjects(std::string_view bucket,
                                                          std::string_view prefix,
                                                          std::string_view start_after,
                                                          size_t max_keys) {
  // The range [lower, upper) is the intersection of "starts with prefix" and "> start_after";
  // start_after + '\0' is the smallest byte string greater than start_after.
  std::string lower(prefix);
  if (!start_after.empty()) {
    std::string after(start_after);
    after.push_back('\0');
    lower = std::max(lower, after);
  }
  const std::optional<std::string> upper = PrefixSuccessor(prefix);
  ObjectPage page;
  if (upper && lower >= *upper) {
    std::lock_guard lock(state_->mu);
    if (auto exists = RequireBucket(*state_->db, bucket); !exists) {
      return std::unexpected(std::move(exists.error()));
    }
    return page;
  }
  // One row more than asked tells whether the page is truncated.
  const auto limit = static_cast<int64_t>(
      std::min<uint64_t>(max_keys, std::numeric_limits<int64_t>::max() - 1) + 1);
  std::lock_guard lock(state_->mu);
  if (auto exists = RequireBucket(*state_->db, bucket); !exists) {
    return std::unexpected(std::move(exists.error()));
  }
  auto records = SelectObjectRange(*state_->db, bucket, lower, upper, limit);
  if (!records) {
    return std::unexpected(std::move(records.error()));
  }
  page.objects = std::move(*records);
  if (page.objects.size() > max_keys) {
    page.objects.resize(max_keys);
    page.truncated = true;
  }
  return page;
}

}  // namespace logbucket::storage
