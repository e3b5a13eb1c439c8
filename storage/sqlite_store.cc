#include "storage/sqlite_store.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>

#include "storage/store_internal.h"

namespace logbucket::storage {

namespace {

// Keys are BLOBs so that every comparison is memcmp: listing is in UTF-8 byte order whatever the
// bytes. Tables keyed by (bucket, key) are WITHOUT ROWID so that a listing is one range scan of
// the primary key. Object bytes are referenced by data_id, never stored or named by key.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS buckets (
  name TEXT NOT NULL PRIMARY KEY,
  owner TEXT NOT NULL,
  region TEXT NOT NULL,
  created_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS bucket_settings (
  bucket TEXT NOT NULL REFERENCES buckets (name),
  name TEXT NOT NULL,
  value BLOB NOT NULL,
  PRIMARY KEY (bucket, name)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS bucket_settings_by_name ON bucket_settings (name, bucket);
CREATE TABLE IF NOT EXISTS objects (
  bucket TEXT NOT NULL REFERENCES buckets (name),
  object_key BLOB NOT NULL,
  data_id TEXT NOT NULL,
  size INTEGER NOT NULL,
  etag TEXT NOT NULL,
  last_modified_ms INTEGER NOT NULL,
  owner TEXT NOT NULL,
  storage_class TEXT NOT NULL,
  checksum_type TEXT NOT NULL,
  parts_count INTEGER NOT NULL,
  version_id TEXT NOT NULL,
  extras BLOB NOT NULL,
  PRIMARY KEY (bucket, object_key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS uploads (
  upload_id TEXT NOT NULL PRIMARY KEY,
  bucket TEXT NOT NULL REFERENCES buckets (name),
  object_key BLOB NOT NULL,
  owner TEXT NOT NULL,
  initiated_ms INTEGER NOT NULL,
  storage_class TEXT NOT NULL,
  checksum_algorithm TEXT NOT NULL,
  checksum_type TEXT NOT NULL,
  extras BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS uploads_by_key ON uploads (bucket, object_key, initiated_ms, upload_id);
CREATE TABLE IF NOT EXISTS parts (
  upload_id TEXT NOT NULL REFERENCES uploads (upload_id),
  part_number INTEGER NOT NULL,
  data_id TEXT NOT NULL,
  size INTEGER NOT NULL,
  etag TEXT NOT NULL,
  last_modified_ms INTEGER NOT NULL,
  checksums BLOB NOT NULL,
  PRIMARY KEY (upload_id, part_number)
) WITHOUT ROWID;
)sql";

// Version 2 keeps small objects and parts in the database: blob_id names their row of blobs
// (data_id is then ""). Blobs live in their own rowid table so that object rows stay small and a
// listing scans as few pages as before. Rows written by version 1 keep pointing to their files.
constexpr const char* kMigrateToV2 = R"sql(
ALTER TABLE objects ADD COLUMN blob_id INTEGER;
ALTER TABLE parts ADD COLUMN blob_id INTEGER;
CREATE TABLE IF NOT EXISTS blobs (
  id INTEGER PRIMARY KEY,
  bytes BLOB NOT NULL
);
PRAGMA user_version = 2;
)sql";

// Version 3 adds versioning. buckets.versioning is '' (never versioned), 'Enabled' or
// 'Suspended'. The current version of a key stays in objects (so listing and GET of unversioned
// buckets are unchanged); every noncurrent version and every delete marker lives in versions,
// ordered newest first by seq (see sqlite_store_versions.cc). noncurrent_ms is when the row
// stopped being the latest (0 for a delete marker that is the latest version of its key).
constexpr const char* kMigrateToV3 = R"sql(
ALTER TABLE buckets ADD COLUMN versioning TEXT NOT NULL DEFAULT '';
CREATE TABLE IF NOT EXISTS versions (
  bucket TEXT NOT NULL REFERENCES buckets (name),
  object_key BLOB NOT NULL,
  seq INTEGER NOT NULL,
  version_id TEXT NOT NULL,
  delete_marker INTEGER NOT NULL,
  noncurrent_ms INTEGER NOT NULL,
  data_id TEXT NOT NULL,
  blob_id INTEGER,
  size INTEGER NOT NULL,
  etag TEXT NOT NULL,
  last_modified_ms INTEGER NOT NULL,
  owner TEXT NOT NULL,
  storage_class TEXT NOT NULL,
  checksum_type TEXT NOT NULL,
  parts_count INTEGER NOT NULL,
  extras BLOB NOT NULL,
  PRIMARY KEY (bucket, object_key, seq DESC)
) WITHOUT ROWID;
PRAGMA user_version = 3;
)sql";

constexpr int64_t kSchemaVersion = 3;

std::expected<void, Error> CreateOrUpgradeSchema(Database& db) {
  if (auto created = db.Exec(kSchema); !created) {
    return created;
  }
  auto version = db.Prepare("PRAGMA user_version");
  if (!version) {
    return std::unexpected(std::move(version.error()));
  }
  auto row = version->Step();
  if (!row) {
    return std::unexpected(std::move(row.error()));
  }
  const int64_t current = *row ? version->ColumnInt(0) : 0;
  version->Reset();
  if (current > kSchemaVersion) {
    return std::unexpected(Error{
        ErrorCode::kCorrupt,
        fmt::format("meta.db has schema version {}, newer than this Logbucket's {}: upgrade it",
                    current, kSchemaVersion)});
  }
  if (current == kSchemaVersion) {
    return {};
  }
  auto tx = Transaction::Begin(db);
  if (!tx) {
    return std::unexpected(std::move(tx.error()));
  }
  if (current < 2) {
    if (auto migrated = db.Exec(kMigrateToV2); !migrated) {
      return migrated;
    }
  }
  if (auto migrated = db.Exec(kMigrateToV3); !migrated) {
    return migrated;
  }
  return tx->Commit();
}

// Removes the clean-shutdown marker and says whether it was there. Removed durably (with fsync)
// before the store serves: a crash from now on must find no marker.
std::expected<bool, Error> ConsumeCleanMarker(const std::filesystem::path& data_dir, bool fsync) {
  const std::filesystem::path marker = CleanMarkerPath(data_dir);
  if (::unlink(marker.c_str()) != 0) {
    if (errno == ENOENT) {
      return false;
    }
    return std::unexpected(ErrnoError("unlink", marker, errno));
  }
  if (fsync) {
    if (auto synced = SyncDirectory(data_dir); !synced) {
      return std::unexpected(std::move(synced.error()));
    }
  }
  return true;
}

std::expected<void, Error> WriteCleanMarker(const std::filesystem::path& data_dir, bool fsync) {
  const std::filesystem::path marker = CleanMarkerPath(data_dir);
  auto fd = CreateExclusive(marker);
  if (!fd) {
    return std::unexpected(std::move(fd.error()));
  }
  UniqueFd owned(*fd);
  if (fsync) {
    if (auto synced = SyncFd(owned.get(), marker); !synced) {
      return synced;
    }
    return SyncDirectory(data_dir);
  }
  return {};
}

std::expected<UniqueFd, Error> LockDataDir(const std::filesystem::path& data_dir) {
  const std::filesystem::path path = data_dir / "LOCK";
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (fd.get() < 0) {
    return std::unexpected(ErrnoError("open", path, errno));
  }
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return std::unexpected(Error{
          ErrorCode::kIo,
          fmt::format("{} is in use by another Logbucket store (close it first)", path.string())});
    }
    return std::unexpected(ErrnoError("flock", path, errno));
  }
  return fd;
}

std::expected<ReferencedIds, Error> ReferencedDataIds(Database& db) {
  auto stmt = db.Prepare(
      "SELECT data_id FROM objects UNION ALL SELECT data_id FROM parts"
      " UNION ALL SELECT data_id FROM versions");
  if (!stmt) {
    return std::unexpected(std::move(stmt.error()));
  }
  ReferencedIds ids;
  while (true) {
    auto row = stmt->Step();
    if (!row) {
      return std::unexpected(std::move(row.error()));
    }
    if (!*row) {
      break;
    }
    ids.Add(stmt->ColumnBytes(0));
  }
  ids.Seal();
  return ids;
}

BucketRecord ReadBucketRow(const Statement& row) {
  return BucketRecord{.name = row.ColumnString(0),
                      .owner_account_id = row.ColumnString(1),
                      .region = row.ColumnString(2),
                      .created_ms = row.ColumnInt(3),
                      .versioning = row.ColumnString(4)};
}

// Collects column 0 of every row of `sql` (bound to `bucket` when not empty) into `out`.
std::expected<void, Error> CollectIds(Database& db, std::string_view sql, std::string_view bucket,
                                      std::vector<std::string>& out) {
  auto stmt = db.Prepare(sql);
  if (!stmt) {
    return std::unexpected(std::move(stmt.error()));
  }
  if (!bucket.empty()) {
    stmt->BindText(1, bucket);
  }
  while (true) {
    auto row = stmt->Step();
    if (!row) {
      return std::unexpected(std::move(row.error()));
    }
    if (!*row) {
      return {};
    }
    out.push_back(stmt->ColumnString(0));
  }
}

std::expected<void, Error> RunWithBucket(Database& db, std::string_view sql,
                                         std::string_view bucket) {
  auto stmt = db.Prepare(sql);
  if (!stmt) {
    return std::unexpected(std::move(stmt.error()));
  }
  stmt->BindText(1, bucket);
  return stmt->Run();
}

}  // namespace

std::expected<std::unique_ptr<SqliteStore>, Error> SqliteStore::Open(const Options& options) {
  auto state = std::make_unique<State>(options);
  if (auto made = state->layout.CreateDirectories(options.fsync); !made) {
    return std::unexpected(std::move(made.error()));
  }
  auto lock = LockDataDir(options.data_dir);
  if (!lock) {
    return std::unexpected(std::move(lock.error()));
  }
  state->lock_fd = std::move(*lock);
  const std::filesystem::path db_path = options.data_dir / "meta.db";
  auto db = Database::Open(db_path, options.fsync);
  if (!db) {
    return std::unexpected(std::move(db.error()));
  }
  state->db = std::move(*db);
  state->db->WatchTables({BucketCache::kBucketsTable, BucketCache::kSettingsTable});
  if (auto created = CreateOrUpgradeSchema(*state->db); !created) {
    return std::unexpected(std::move(created.error()));
  }
  // The versions order clock never goes back, even if the wall clock did across a restart.
  if (auto newest = state->db->Prepare("SELECT COALESCE(MAX(seq), 0) FROM versions"); newest) {
    if (auto row = newest->Step(); row && *row) state->last_seq = newest->ColumnInt(0);
  }
  auto clean = ConsumeCleanMarker(options.data_dir, options.fsync);
  if (!clean) {
    return std::unexpected(std::move(clean.error()));
  }
  // tmp/ is cheap to sweep (it only ever holds writes in flight). objects/ can hold a million
  // files: it is walked only when the last store may have left unreferenced ones behind.
  auto removed = state->layout.RemoveTemporaryFiles();
  if (!removed) {
    return std::unexpected(std::move(removed.error()));
  }
  if (!*clean) {
    auto referenced = ReferencedDataIds(*state->db);
    if (!referenced) {
      return std::unexpected(std::move(referenced.error()));
    }
    auto unreferenced = state->layout.RemoveUnreferenced(*referenced);
    if (!unreferenced) {
      return std::unexpected(std::move(unreferenced.error()));
    }
    *removed += *unreferenced;
  }
  if (*removed > 0) {
    StorageLogger()->info("removed {} leftover file(s) of interrupted writes in {}", *removed,
                          options.data_dir.string());
  }
  auto checkpointer = WalCheckpointer::Start(
      db_path, options.fsync, *state->db,
      {.wake_frames = options.wal_checkpoint_pages, .limit_frames = options.wal_limit_pages});
  if (!checkpointer) {
    return std::unexpected(std::move(checkpointer.error()));
  }
  state->checkpointer = std::move(*checkpointer);
  if (options.reader_connections > 0) {
    auto readers = ReaderPool::Open(db_path, options.reader_connections, options.reader_cache_kib);
    if (!readers) {
      return std::unexpected(std::move(readers.error()));
    }
    state->readers = std::move(*readers);
  }
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(state)));
}

SqliteStore::SqliteStore(std::unique_ptr<State> state) : state_(std::move(state)) {}

SqliteStore::~SqliteStore() {
  if (!state_) {
    return;
  }
  state_->readers.reset();
  state_->checkpointer.reset();  // its connection closes first: the writer's close is the last
  state_->db.reset();  // closes the connection (checkpointing the WAL) before the marker says so
  if (state_->leaked_files) {
    return;  // the next Open() sweeps objects/
  }
  if (auto written = WriteCleanMarker(state_->options.data_dir, state_->options.fsync); !written) {
    StorageLogger()->warn("could not mark a clean shutdown, the next start sweeps: {}",
                          written.error().message);
  }
}

const std::filesystem::path& SqliteStore::data_dir() const { return state_->options.data_dir; }

SqliteStore::CommitStats SqliteStore::commit_stats() const {
  GroupCommit::Stats stats = state_->group_commit.stats();
  WalCheckpointer::Stats checkpoints = state_->checkpointer->stats();
  return {stats.transactions, stats.bodies, checkpoints.background, checkpoints.in_commit};
}

std::expected<void, Error> SqliteStore::CreateBucket(const BucketRecord& bucket) {
  std::lock_guard lock(state_->mu);
  auto stmt = state_->db->Prepare(
      "INSERT OR IGNORE INTO buckets (name, owner, region, created_ms) VALUES (?1, ?2, ?3, ?4)");
  if (!stmt) {
    return std::unexpected(std::move(stmt.error()));
  }
  stmt->BindText(1, bucket.name)
      .BindText(2, bucket.owner_account_id)
      .BindText(3, bucket.region)
      .BindInt(4, bucket.created_ms != 0 ? bucket.created_ms : NowMs());
  if (auto inserted = stmt->Run(); !inserted) {
    return inserted;
  }
  if (state_->db->Changes() == 0) {
    return std::unexpected(
        Error{ErrorCode::kBucketExists, fmt::format("bucket {} exists", bucket.name)});
  }
  return {};
}

std::expected<BucketRecord, Error> SqliteStore::GetBucket(std::string_view name) {
  // Without mu first (see bucket_cache.h): a hit does not wait for a write transaction.
  if (auto cached = state_->bucket_cache.FindBucket(state_->db->WriteGeneration(), name)) {
    return std::move(*cached);
  }
  std::lock_guard lock(state_->mu);
  const uint64_t generation = state_->db->WriteGeneration();
  if (auto cached = state_->bucket_cache.FindBucket(generation, name)) {
    return std::move(*cached);
  }
  auto stmt = state_->db->Prepare(
      "SELECT name, owner, region, created_ms, versioning FROM buckets WHERE name = ?1");
  if (!stmt) {
    return std::unexpected(std::move(stmt.error()));
  }
  stmt->BindText(1, name);
  auto row = stmt->Step();
  if (!row) {
    return std::unexpected(std::move(row.error()));
  }
  if (!*row) {
    return std::unexpected(
        Error{ErrorCode::kBucketNotFound, fmt::format("no bucket named {}", name)});
  }
  BucketRecord bucket = ReadBucketRow(*stmt);
  state_->bucket_cache.PutBucket(generation, bucket);
  return bucket;
}

std::expected<std::vector<BucketRecord>, Error> SqliteStore::ListBuckets() {
  std::lock_guard lock(state_->mu);
  auto stmt = state_->db->Prepare(
      "SELECT name, owner, region, created_ms, versioning FROM buckets ORDER BY name");
  if (!stmt) {
    return std::unexpected(std::move(stmt.error()));
  }
  std::vector<BucketRecord> buckets;
  while (true) {
    auto row = stmt->Step();
    if (!row) {
      return std::unexpected(std::move(row.error()));
    }
    if (!*row) {
      return buckets;
    }
    buckets.push_back(ReadBucketRow(*stmt));
  }
}

std::expected<void, Error> SqliteStore::DeleteBucket(std::string_view name) {
  std::vector<std::string> part_files;
  {
    std::lock_guard lock(state_->mu);
    Database& db = *state_->db;
    auto tx = Transaction::Begin(db);
    if (!tx) {
      return std::unexpected(std::move(tx.error()));
    }
    if (auto exists = RequireBucket(db, name); !exists) {
      return exists;
    }
    // Noncurrent versions and delete markers keep a bucket from being empty, as in S3.
    auto any = db.Prepare(
        "SELECT 1 FROM objects WHERE bucket = ?1 UNION ALL"
        " SELECT 1 FROM versions WHERE bucket = ?1 LIMIT 1");
    if (!any) {
      return std::unexpected(std::move(any.error()));
    }
    any->BindText(1, name);
    auto row = any->Step();
    if (!row) {
      return std::unexpected(std::move(row.error()));
    }
    if (*row) {
      return std::unexpected(
          Error{ErrorCode::kBucketNotEmpty, fmt::format("bucket {} still has objects", name)});
    }
    if (auto ids = CollectIds(db,
                              "SELECT p.data_id FROM parts p JOIN uploads u"
                              " ON p.upload_id = u.upload_id WHERE u.bucket = ?1"
                              " AND p.blob_id IS NULL",
                              name, part_files);
        !ids) {
      return ids;
    }
    for (const char* sql :
         {"DELETE FROM blobs WHERE id IN (SELECT p.blob_id FROM parts p JOIN uploads u"
          " ON p.upload_id = u.upload_id WHERE u.bucket = ?1)",
          "DELETE FROM parts WHERE upload_id IN (SELECT upload_id FROM uploads WHERE bucket = ?1)",
          "DELETE FROM uploads WHERE bucket = ?1", "DELETE FROM bucket_settings WHERE bucket = ?1",
          "DELETE FROM buckets WHERE name = ?1"}) {
      if (auto deleted = RunWithBucket(db, sql, name); !deleted) {
        return deleted;
      }
    }
    if (auto committed = tx->Commit(); !committed) {
      return committed;
    }
  }
  state_->RemoveDataFiles(part_files);
  return {};
}

std::expected<void, Error> SqliteStore::PutBucketSetting(std::string_view bucket,
                                                         std::string_view name,
                                                         std::string_view value) {
  std::lock_guard lock(state_->mu);
  auto tx = Transaction::Begin(*state_->db);
  if (!tx) {
    return std::unexpected(std::move(tx.error()));
  }
  if (auto exists = RequireBucket(*state_->db, bucket); !exists) {
    return exists;
  }
  auto stmt = state_->db->Prepare(
      "INSERT OR REPLACE INTO bucket_settings (bucket, name, value) VALUES (?1, ?2, ?3)");
  if (!stmt) {
    return std::unexpected(std::move(stmt.error()));
  }
  stmt->BindText(1, bucket).BindText(2, name).BindBlob(3, value);
  if (auto stored = stmt->Run(); !stored) {
    return stored;
  }
  return tx->Commit();
}

std::expected<std::optional<std::string>, Error> SqliteStore::GetBucketSetting(
    std::string_view bucket, std::string_view name) {
  // Without mu first (see bucket_cache.h): a hit does not wait for a write transaction.
  if (auto cached = state_->bucket_cache.FindSetting(state_->db->WriteGeneration(), bucket, name)) {
    return std::move(*cached);
  }
  std::lock_guard lock(state_->mu);
  const uint64_t generation = state_->db->WriteGeneration();
  if (auto cached = state_->bucket_cache.FindSetting(generation, bucket, name)) {
    return std::move(*cached);
  }
  auto stmt =
      state_->db->Prepare("SELECT value FROM bucket_settings WHERE bucket = ?1 AND name = ?2");
  if (!stmt) {
    return std::unexpected(std::move(stmt.error()));
  }
  stmt->BindText(1, bucket).BindText(2, name);
  auto row = stmt->Step();
  if (!row) {
    return std::unexpected(std::move(row.error()));
  }
  std::optional<std::string> value;
  if (*row) {
    value = stmt->ColumnString(0);
  } else if (auto exists = RequireBucket(*state_->db, bucket); !exists) {
    return std::unexpected(std::move(exists.error()));
  }
  state_->bucket_cache.PutSetting(generation, bucket, name, value);
  return value;
}

std::expected<void, Error> SqliteStore::DeleteBucketSetting(std::string_view bucket,
                                                            std::string_view name) {
  std::lock_guard lock(state_->mu);
  auto tx = Transaction::Begin(*state_->db);
  if (!tx) {
    return std::unexpected(std::move(tx.error()));
  }
  if (auto exists = RequireBucket(*state_->db, bucket); !exists) {
    return exists;
  }
  auto stmt = state_->db->Prepare("DELETE FROM bucket_settings WHERE bucket = ?1 AND name = ?2");
  if (!stmt) {
    return std::unexpected(std::move(stmt.error()));
  }
  stmt->BindText(1, bucket).BindText(2, name);
  if (auto deleted = stmt->Run(); !deleted) {
    return deleted;
  }
  return tx->Commit();
}

std::expected<std::vector<std::pair<std::string, std::string>>, Error>
SqliteStore::ListBucketSettings(std::string_view name) {
  std::lock_guard lock(state_->mu);
  auto stmt = state_->db->Prepare(
      "SELECT bucket, value FROM bucket_settings WHERE name = ?1 ORDER BY bucket");
  if (!stmt) {
    return std::unexpected(std::move(stmt.error()));
  }
  stmt->BindText(1, name);
  std::vector<std::pair<std::string, std::string>> settings;
  while (true) {
    auto row = stmt->Step();
    if (!row) {
      return std::unexpected(std::move(row.error()));
    }
    if (!*row) {
      return settings;
    }
    settings.emplace_back(stmt->ColumnString(0), stmt->ColumnString(1));
  }
}

std::expected<void, Error> SqliteStore::Reset() {
  std::vector<std::string> files;
  {
    std::lock_guard lock(state_->mu);
    Database& db = *state_->db;
    auto tx = Transaction::Begin(db);
    if (!tx) {
      return std::unexpected(std::move(tx.error()));
    }
    for (const char* sql : {"SELECT data_id FROM objects WHERE blob_id IS NULL",
                            "SELECT data_id FROM versions WHERE blob_id IS NULL",
                            "SELECT data_id FROM parts WHERE blob_id IS NULL"}) {
      if (auto ids = CollectIds(db, sql, {}, files); !ids) {
        return ids;
      }
    }
    // Children before parents, so the foreign keys hold at every step.
    for (const char* sql :
         {"DELETE FROM parts", "DELETE FROM uploads", "DELETE FROM objects", "DELETE FROM versions",
          "DELETE FROM blobs", "DELETE FROM bucket_settings", "DELETE FROM buckets"}) {
      if (auto deleted = db.Exec(sql); !deleted) {
        return deleted;
      }
    }
    if (auto committed = tx->Commit(); !committed) {
      return committed;
    }
  }
  // Files of writes in flight are not touched: they are either committed later (and then
  // referenced) or discarded by their PendingWrite.
  state_->RemoveDataFiles(files);
  return {};
}

}  // namespace logbucket::storage
