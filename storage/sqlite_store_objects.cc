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

Error NoSuchObject(std::string_view bucket, std::string_view key) {
  return Error{ErrorCode::kObjectNotFound, fmt::format("no object {}/{}", bucket, key)};
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
      fsync_(other.fsync_) {}

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
                                                    uint64_t length) {
  if (!open_ || (!in_memory() && fd_ < 0)) {
    return std::unexpected(
        Error{ErrorCode::kInternal, "Append on a PendingWrite that was committed or moved from"});
  }
  if (in_memory() && size_ + length <= inline_limit_) {
    std::string bytes(static_cast<size_t>(length), '\0');
    size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t got =
          ::pread(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
      if (got < 0 && errno == EINTR) {
        continue;
      }
      if (got < 0) {
        return std::unexpected(ErrnoError("read", path, errno));
      }
      if (got == 0) {
        return std::unexpected(
            Error{ErrorCode::kCorrupt,
                  fmt::format("{} is shorter than its recorded size", path.string())});
      }
      done += static_cast<size_t>(got);
    }
    return Append(bytes);
  }
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

ObjectReader::ObjectReader(int fd, ObjectRecord record, std::string bytes)
    : fd_(fd), record_(std::move(record)), bytes_(std::move(bytes)) {}

ObjectReader::ObjectReader(ObjectReader&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      record_(std::move(other.record_)),
      bytes_(std::move(other.bytes_)) {}

ObjectReader& ObjectReader::operator=(ObjectReader&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = std::exchange(other.fd_, -1);
    record_ = std::move(other.record_);
    bytes_ = std::move(other.bytes_);
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
  return done;
}

std::expected<PendingWrite, Error> SqliteStore::BeginWrite() {
  PendingWrite data(state_->layout.tmp_dir(), state_->options.inline_limit, state_->options.fsync);
  if (state_->options.inline_limit == 0) {
    // Every object is a file: make it now, as a write that never goes inline would.
    if (auto spilled = data.Spill(); !spilled) {
      return std::unexpected(std::move(spilled.error()));
    }
  }
  return data;
}

std::expected<ObjectRecord, Error> SqliteStore::CommitObject(PendingWrite data, ObjectRecord record,
                                                             const WriteCondition& condition) {
  record.size = data.size();
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
  auto replaced = [&]() -> std::expected<std::string, Error> {
    std::lock_guard lock(state_->mu);
    Database& db = *state_->db;
    auto tx = Transaction::Begin(db);
    if (!tx) {
      return std::unexpected(std::move(tx.error()));
    }
    auto old = CheckReplace(db, record.bucket, record.key, condition);
    if (!old) {
      return std::unexpected(std::move(old.error()));
    }
    std::string old_file;
    if (*old) {
      auto released = ReleaseData(db, **old);
      if (!released) {
        return released;
      }
      old_file = std::move(*released);
    }
    if (auto blob = State::StoreBlob(db, data, *data_ref); !blob) {
      return std::unexpected(std::move(blob.error()));
    }
    if (auto stored = UpsertObject(db, record, *data_ref); !stored) {
      return std::unexpected(std::move(stored.error()));
    }
    if (auto committed = tx->Commit(); !committed) {
      return std::unexpected(std::move(committed.error()));
    }
    return old_file;
  }();
  if (!replaced) {
    state_->Discard(data);  // removes the installed file: nothing changed
    return std::unexpected(std::move(replaced.error()));
  }
  State::Adopt(data);
  if (!replaced->empty()) {
    state_->RemoveDataFiles({*replaced});
  }
  return record;
}

std::expected<ObjectRecord, Error> SqliteStore::HeadObject(std::string_view bucket,
                                                           std::string_view key) {
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

std::expected<ObjectReader, Error> SqliteStore::OpenObject(std::string_view bucket,
                                                           std::string_view key) {
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
  const DataRef& data = (*stored)->data;
  if (data.blob_id) {
    auto bytes = SelectBlob(*state_->db, *data.blob_id);
    if (!bytes) {
      return std::unexpected(std::move(bytes.error()));
    }
    return ObjectReader(-1, std::move((*stored)->record), std::move(*bytes));
  }
  // Opened under the lock: the file cannot be unlinked by a replace between the read of the row
  // and the open (see store_internal.h).
  auto fd = OpenForReading(state_->layout.DataPath(data.data_id));
  if (!fd) {
    return std::unexpected(std::move(fd.error()));
  }
  return ObjectReader(*fd, std::move((*stored)->record), {});
}

std::expected<std::optional<ObjectRecord>, Error> SqliteStore::DeleteObject(std::string_view bucket,
                                                                            std::string_view key) {
  std::optional<StoredObject> removed;
  std::string removed_file;
  {
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
      return std::nullopt;
    }
    auto stmt = db.Prepare("DELETE FROM objects WHERE bucket = ?1 AND object_key = ?2");
    if (!stmt) {
      return std::unexpected(std::move(stmt.error()));
    }
    stmt->BindText(1, bucket).BindBlob(2, key);
    if (auto deleted = stmt->Run(); !deleted) {
      return std::unexpected(std::move(deleted.error()));
    }
    auto released = ReleaseData(db, (*stored)->data);
    if (!released) {
      return std::unexpected(std::move(released.error()));
    }
    if (auto committed = tx->Commit(); !committed) {
      return std::unexpected(std::move(committed.error()));
    }
    removed = std::move(*stored);
    removed_file = std::move(*released);
  }
  state_->RemoveDataFiles({removed_file});
  return std::move(removed->record);
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
