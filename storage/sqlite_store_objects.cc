// SqliteStore's objects, and the PendingWrite / ObjectReader values they use.
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
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

PendingWrite::PendingWrite(int fd, std::filesystem::path path, bool fsync)
    : fd_(fd), path_(std::move(path)), fsync_(fsync) {}

PendingWrite::PendingWrite(PendingWrite&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      path_(std::exchange(other.path_, {})),
      size_(std::exchange(other.size_, 0)),
      fsync_(other.fsync_) {}

PendingWrite& PendingWrite::operator=(PendingWrite&& other) noexcept {
  if (this != &other) {
    Discard();
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::exchange(other.path_, {});
    size_ = std::exchange(other.size_, 0);
    fsync_ = other.fsync_;
  }
  return *this;
}

PendingWrite::~PendingWrite() { Discard(); }

void PendingWrite::Discard() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
  fd_ = -1;
  if (!path_.empty()) {
    ::unlink(path_.c_str());
  }
  path_.clear();
}

std::expected<void, Error> PendingWrite::Append(std::string_view bytes) {
  if (fd_ < 0) {
    return std::unexpected(
        Error{ErrorCode::kInternal, "Append on a PendingWrite that was committed or moved from"});
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

ObjectReader::ObjectReader(int fd, ObjectRecord record) : fd_(fd), record_(std::move(record)) {}

ObjectReader::ObjectReader(ObjectReader&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), record_(std::move(other.record_)) {}

ObjectReader& ObjectReader::operator=(ObjectReader&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = std::exchange(other.fd_, -1);
    record_ = std::move(other.record_);
  }
  return *this;
}

ObjectReader::~ObjectReader() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

std::expected<size_t, Error> ObjectReader::ReadAt(uint64_t offset, std::span<char> out) const {
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
  auto id = RandomHex(kDataIdBytes);
  if (!id) {
    return std::unexpected(std::move(id.error()));
  }
  std::filesystem::path path = state_->layout.tmp_dir() / *id;
  auto fd = CreateExclusive(path);
  if (!fd) {
    return std::unexpected(std::move(fd.error()));
  }
  return PendingWrite(*fd, std::move(path), state_->options.fsync);
}

std::expected<ObjectRecord, Error> SqliteStore::CommitObject(PendingWrite data, ObjectRecord record,
                                                             const WriteCondition& condition) {
  record.size = data.size();
  if (record.last_modified_ms == 0) {
    record.last_modified_ms = NowMs();
  }
  // Rename first, commit second: a crash in between leaves an unreferenced file that Open()
  // removes, never a row without its bytes.
  auto data_id = state_->Install(data);
  if (!data_id) {
    data.Discard();
    return std::unexpected(std::move(data_id.error()));
  }
  auto replaced = [&]() -> std::expected<std::optional<std::string>, Error> {
    std::lock_guard lock(state_->mu);
    Database& db = *state_->db;
    auto tx = Transaction::Begin(db);
    if (!tx) {
      return std::unexpected(std::move(tx.error()));
    }
    auto old = CheckReplace(db, record.bucket, record.key, condition);
    if (!old) {
      return old;
    }
    if (auto stored = UpsertObject(db, record, *data_id); !stored) {
      return std::unexpected(std::move(stored.error()));
    }
    if (auto committed = tx->Commit(); !committed) {
      return std::unexpected(std::move(committed.error()));
    }
    return old;
  }();
  if (!replaced) {
    data.Discard();  // removes the installed file: nothing changed
    return std::unexpected(std::move(replaced.error()));
  }
  State::Adopt(data);
  if (*replaced) {
    state_->RemoveDataFiles({**replaced});
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
  // Opened under the lock: the file cannot be unlinked by a replace between the read of the row
  // and the open (see store_internal.h).
  auto fd = OpenForReading(state_->layout.DataPath((*stored)->data_id));
  if (!fd) {
    return std::unexpected(std::move(fd.error()));
  }
  return ObjectReader(*fd, std::move((*stored)->record));
}

std::expected<std::optional<ObjectRecord>, Error> SqliteStore::DeleteObject(std::string_view bucket,
                                                                            std::string_view key) {
  std::optional<StoredObject> removed;
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
    if (auto committed = tx->Commit(); !committed) {
      return std::unexpected(std::move(committed.error()));
    }
    removed = std::move(*stored);
  }
  state_->RemoveDataFiles({removed->data_id});
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
  if (auto written = UpsertObject(db, (*stored)->record, (*stored)->data_id); !written) {
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
