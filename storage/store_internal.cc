#include "storage/store_internal.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>

#include "storage/record_codec.h"

namespace logbucket::storage {

namespace {

// Data file ids are 128 random bits: collisions are not a practical concern.
constexpr size_t kDataIdBytes = 16;

}  // namespace

std::expected<StoredObject, Error> ReadObjectRow(const Statement& row, std::string_view bucket) {
  StoredObject stored;
  ObjectRecord& record = stored.record;
  record.bucket = std::string(bucket);
  record.key = row.ColumnString(0);
  stored.data = ReadDataRef(row, 1, 11);
  record.size = static_cast<uint64_t>(row.ColumnInt(2));
  record.etag = row.ColumnString(3);
  record.last_modified_ms = row.ColumnInt(4);
  record.owner_account_id = row.ColumnString(5);
  record.storage_class = row.ColumnString(6);
  record.checksum_type = row.ColumnString(7);
  record.parts_count = static_cast<uint32_t>(row.ColumnInt(8));
  record.version_id = row.ColumnString(9);
  if (auto decoded = DecodeObjectExtras(row.ColumnBytes(10), record); !decoded) {
    decoded.error().message += fmt::format(" ({}/{})", bucket, record.key);
    return std::unexpected(std::move(decoded.error()));
  }
  return stored;
}

std::expected<DataRef, Error> SqliteStore::State::Install(PendingWrite& data) {
  if (!data.open_) {
    return std::unexpected(
        Error{ErrorCode::kInternal, "PendingWrite was already committed or moved from"});
  }
  if (data.in_memory()) {
    return DataRef{};
  }
  auto actual = FileSize(data.fd_, data.path_);
  if (!actual) {
    return std::unexpected(std::move(actual.error()));
  }
  if (*actual != data.size_) {
    return std::unexpected(
        Error{ErrorCode::kIo, fmt::format("{} holds {} bytes, {} were appended",
                                          data.path_.string(), *actual, data.size_)});
  }
  if (data.fsync_) {
    if (auto synced = SyncFd(data.fd_, data.path_); !synced) {
      return std::unexpected(std::move(synced.error()));
    }
  }
  auto id = RandomHex(kDataIdBytes);
  if (!id) {
    return std::unexpected(std::move(id.error()));
  }
  std::filesystem::path target = layout.DataPath(*id);
  if (auto renamed = layout.MoveIntoPlace(data.path_, *id, data.fsync_); !renamed) {
    return std::unexpected(std::move(renamed.error()));
  }
  ::close(data.fd_);
  data.fd_ = -1;
  data.path_ = std::move(target);
  if (data.fsync_) {
    if (auto synced = SyncDirectory(data.path_.parent_path()); !synced) {
      return std::unexpected(std::move(synced.error()));
    }
  }
  return DataRef{.data_id = std::move(*id), .blob_id = std::nullopt};
}

std::expected<void, Error> SqliteStore::State::StoreBlob(Database& db, const PendingWrite& data,
                                                         DataRef& ref) {
  if (!data.in_memory()) {
    return {};
  }
  auto stmt = db.Prepare("INSERT INTO blobs (bytes) VALUES (?1)");
  if (!stmt) {
    return std::unexpected(std::move(stmt.error()));
  }
  stmt->BindBlob(1, data.buffer_);
  if (auto inserted = stmt->Run(); !inserted) {
    return inserted;
  }
  ref.blob_id = db.LastInsertRowId();
  return {};
}

void SqliteStore::State::Adopt(PendingWrite& data) {
  data.path_.clear();
  data.buffer_.clear();
  data.open_ = false;
}

void SqliteStore::State::Discard(PendingWrite& data) {
  if (!data.Discard()) {
    leaked_files = true;
  }
}

void SqliteStore::State::RemoveDataFiles(const std::vector<std::string>& ids) {
  for (const std::string& id : ids) {
    if (id.empty()) {
      continue;
    }
    if (auto removed = RemoveFile(layout.DataPath(id)); !removed) {
      leaked_files = true;
      StorageLogger()->warn("could not remove a data file, the next start will: {}",
                            removed.error().message);
    }
  }
}

std::filesystem::path CleanMarkerPath(const std::filesystem::path& data_dir) {
  return data_dir / "CLEAN";
}

std::expected<std::string, Error> ReleaseData(Database& db, const DataRef& ref) {
  if (!ref.blob_id) {
    return ref.data_id;
  }
  auto stmt = db.Prepare("DELETE FROM blobs WHERE id = ?1");
  if (!stmt) {
    return std::unexpected(std::move(stmt.error()));
  }
  stmt->BindInt(1, *ref.blob_id);
  if (auto deleted = stmt->Run(); !deleted) {
    return std::unexpected(std::move(deleted.error()));
  }
  return std::string();
}

Error MissingBlob(int64_t id) {
  return Error{ErrorCode::kCorrupt, fmt::format("blob {} named by a row is missing", id)};
}

std::expected<std::string, Error> SelectBlob(Database& db, int64_t id) {
  auto stmt = db.Prepare("SELECT bytes FROM blobs WHERE id = ?1");
  if (!stmt) {
    return std::unexpected(std::move(stmt.error()));
  }
  stmt->BindInt(1, id);
  auto row = stmt->Step();
  if (!row) {
    return std::unexpected(std::move(row.error()));
  }
  if (!*row) {
    return std::unexpected(MissingBlob(id));
  }
  return stmt->ColumnString(0);
}

void BindBlobId(Statement& stmt, int index, const DataRef& ref) {
  if (ref.blob_id) {
    stmt.BindInt(index, *ref.blob_id);
  } else {
    stmt.BindNull(index);
  }
}

DataRef ReadDataRef(const Statement& row, int data_id_column, int blob_id_column) {
  DataRef ref;
  ref.data_id = row.ColumnString(data_id_column);
  if (!row.ColumnIsNull(blob_id_column)) {
    ref.blob_id = row.ColumnInt(blob_id_column);
  }
  return ref;
}

std::shared_ptr<spdlog::logger> StorageLogger() {
  // Cloned from the default logger so it follows the server's sinks; not registered, so a
  // registry reset elsewhere cannot invalidate it.
  static const std::shared_ptr<spdlog::logger> logger = [] {
    if (auto existing = spdlog::get("storage")) {
      return existing;
    }
    return spdlog::default_logger()->clone("storage");
  }();
  return logger;
}

TimestampMs NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::optional<std::string> PrefixSuccessor(std::string_view prefix) {
  std::string successor(prefix);
  while (!successor.empty() && static_cast<unsigned char>(successor.back()) == 0xff) {
    successor.pop_back();
  }
  if (successor.empty()) {
    return std::nullopt;
  }
  successor.back() = static_cast<char>(static_cast<unsigned char>(successor.back()) + 1);
  return successor;
}

Error NoSuchBucket(std::string_view bucket) {
  return Error{ErrorCode::kBucketNotFound, fmt::format("no bucket named {}", bucket)};
}

std::expected<void, Error> RequireBucket(Database& db, std::string_view bucket) {
  auto stmt = db.Prepare("SELECT 1 FROM buckets WHERE name = ?1");
  if (!stmt) {
    return std::unexpected(std::move(stmt.error()));
  }
  stmt->BindText(1, bucket);
  auto row = stmt->Step();
  if (!row) {
    return std::unexpected(std::move(row.error()));
  }
  if (!*row) {
    return std::unexpected(NoSuchBucket(bucket));
  }
  return {};
}

namespace {

// `sql` (a static string) bound with ?1 = bucket and ?2 = key, stepped once: the statement on its
// first row, or nullopt when there is none.
std::expected<std::optional<Statement>, Error> StepOnKey(Database& db, std::string_view sql,
                                                         std::string_view bucket,
                                                         std::string_view key) {
  auto stmt = db.Prepare(sql);
  if (!stmt) {
    return std::unexpected(std::move(stmt.error()));
  }
  stmt->BindText(1, bucket).BindBlob(2, key);
  auto row = stmt->Step();
  if (!row) {
    return std::unexpected(std::move(row.error()));
  }
  if (!*row) {
    return std::nullopt;
  }
  return std::move(*stmt);
}

}  // namespace

std::expected<std::optional<StoredObject>, Error> SelectObject(Database& db,
                                                               std::string_view bucket,
                                                               std::string_view key) {
  auto stmt = StepOnKey(
      db, "SELECT " LOGBUCKET_OBJECT_COLUMNS " FROM objects WHERE bucket = ?1 AND object_key = ?2",
      bucket, key);
  if (!stmt) {
    return std::unexpected(std::move(stmt.error()));
  }
  if (!*stmt) {
    return std::nullopt;
  }
  auto stored = ReadObjectRow(**stmt, bucket);
  if (!stored) {
    return std::unexpected(std::move(stored.error()));
  }
  return std::move(*stored);
}

std::expected<ObjectLookup, Error> LookupObject(Database& db, std::string_view bucket,
                                                std::string_view key, bool with_bytes) {
  // buckets drives the join, so a missing bucket is no row and a missing object a row of NULLs.
  // The blob is a scalar subquery: read only for an inline object, in the same statement.
#define LOGBUCKET_LOOKUP_FROM                 \
  " FROM buckets AS k LEFT JOIN objects AS o" \
  " ON o.bucket = k.name AND o.object_key = ?2 WHERE k.name = ?1"
  const std::string_view sql =
      with_bytes
          ? "SELECT " LOGBUCKET_OBJECT_COLUMNS_OF(
                "o.") ", (SELECT bytes FROM blobs WHERE id = o.blob_id)" LOGBUCKET_LOOKUP_FROM
          : "SELECT " LOGBUCKET_OBJECT_COLUMNS_OF("o.") LOGBUCKET_LOOKUP_FROM;
#undef LOGBUCKET_LOOKUP_FROM
  auto found = StepOnKey(db, sql, bucket, key);
  if (!found) {
    return std::unexpected(std::move(found.error()));
  }
  ObjectLookup lookup;
  if (!*found) {
    return lookup;
  }
  Statement& stmt = **found;
  lookup.bucket_exists = true;
  if (stmt.ColumnIsNull(0)) {
    return lookup;
  }
  auto stored = ReadObjectRow(stmt, bucket);
  if (!stored) {
    return std::unexpected(std::move(stored.error()));
  }
  if (with_bytes && stored->data.blob_id) {
    if (stmt.ColumnIsNull(12)) {
      return std::unexpected(MissingBlob(*stored->data.blob_id));
    }
    lookup.blob = stmt.ColumnString(12);
  }
  lookup.object = std::move(*stored);
  return lookup;
}

std::expected<std::vector<ObjectRecord>, Error> SelectObjectRange(
    Database& db, std::string_view bucket, std::string_view lower,
    const std::optional<std::string>& upper, int64_t limit) {
  // Two statements rather than "?3 IS NULL OR key < ?3" so the planner always sees both bounds
  // of the primary-key range.
  auto stmt = upper ? db.Prepare("SELECT " LOGBUCKET_OBJECT_COLUMNS
                                 " FROM objects WHERE bucket = ?1 AND object_key >= ?2"
                                 " AND object_key < ?3 ORDER BY object_key LIMIT ?4")
                    : db.Prepare("SELECT " LOGBUCKET_OBJECT_COLUMNS
                                 " FROM objects WHERE bucket = ?1 AND object_key >= ?2"
                                 " ORDER BY object_key LIMIT ?4");
  if (!stmt) {
    return std::unexpected(std::move(stmt.error()));
  }
  stmt->BindText(1, bucket).BindBlob(2, lower).BindInt(4, limit);
  if (upper) {
    stmt->BindBlob(3, *upper);
  }
  std::vector<ObjectRecord> records;
  while (true) {
    auto row = stmt->Step();
    if (!row) {
      return std::unexpected(std::move(row.error()));
    }
    if (!*row) {
      return records;
    }
    auto stored = ReadObjectRow(*stmt, bucket);
    if (!stored) {
      return std::unexpected(std::move(stored.error()));
    }
    records.push_back(std::move(stored->record));
  }
}

std::expected<void, Error> UpsertObject(Database& db, const ObjectRecord& record,
                                        const DataRef& data) {
  auto stmt = db.Prepare("INSERT OR REPLACE INTO objects (bucket, " LOGBUCKET_OBJECT_COLUMNS
                         ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
  if (!stmt) {
    return std::unexpected(std::move(stmt.error()));
  }
  stmt->BindText(1, record.bucket)
      .BindBlob(2, record.key)
      .BindText(3, data.data_id)
      .BindInt(4, static_cast<int64_t>(record.size))
      .BindText(5, record.etag)
      .BindInt(6, record.last_modified_ms)
      .BindText(7, record.owner_account_id)
      .BindText(8, record.storage_class)
      .BindText(9, record.checksum_type)
      .BindInt(10, record.parts_count)
      .BindText(11, record.version_id)
      .BindBlob(12, EncodeObjectExtras(record));
  BindBlobId(*stmt, 13, data);
  return stmt->Run();
}

std::expected<std::vector<std::string>, Error> SelectPartDataIds(Database& db,
                                                                 std::string_view upload_id) {
  auto stmt = db.Prepare("SELECT data_id FROM parts WHERE upload_id = ?1 AND blob_id IS NULL");
  if (!stmt) {
    return std::unexpected(std::move(stmt.error()));
  }
  stmt->BindText(1, upload_id);
  std::vector<std::string> ids;
  while (true) {
    auto row = stmt->Step();
    if (!row) {
      return std::unexpected(std::move(row.error()));
    }
    if (!*row) {
      return ids;
    }
    ids.push_back(stmt->ColumnString(0));
  }
}

}  // namespace logbucket::storage
