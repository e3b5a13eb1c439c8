// Internal to storage: SqliteStore's shared state and the row-level helpers its .cc files share
// (sqlite_store.cc: open, buckets, settings, reset; sqlite_store_objects.cc: objects and the
// PendingWrite/ObjectReader values; sqlite_store_uploads.cc: multipart uploads).
//
// Where bytes live: a row of objects or parts names either a data file (data_id, 32 hex digits,
// blob_id NULL) or a row of blobs (blob_id, data_id ""). A blob is inserted and deleted in the
// same transaction as the row that references it, so blobs never leak; data files are created
// before and removed after their row's transaction (see sqlite_store.h).
//
// Locking discipline: State::mu guards `db` (the writer's SQLite connection and its cache of
// prepared statements), hence every metadata write and most reads. Row helpers below take a
// Database& and must be called with mu held when it is `db`. Writing object bytes, renaming data
// files into objects/ and unlinking replaced files happen outside the lock. Data files are opened
// for reading while the lock is held, right after their row is read, because a concurrent replace
// unlinks the old file only after its own commit, which cannot happen while the lock is held.
// The lookups of OpenObject and HeadObject go through `readers` instead (one statement each, so
// one snapshot); a data file the reader's row named that is gone by the time it is opened was
// replaced meanwhile, and the lookup is made again under mu.
#pragma once

#include <spdlog/logger.h>

#include <atomic>
#include <cstdint>
#include <expected>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/bucket_cache.h"
#include "storage/data_files.h"
#include "storage/error.h"
#include "storage/group_commit.h"
#include "storage/reader_pool.h"
#include "storage/sqlite_db.h"
#include "storage/sqlite_store.h"
#include "storage/types.h"
#include "storage/wal_checkpointer.h"

namespace logbucket::storage {

// Where the bytes of one object or part are.
struct DataRef {
  std::string data_id;             // the data file's id; "" when the bytes are a blob
  std::optional<int64_t> blob_id;  // the row of blobs, or nullopt for a data file
};

struct SqliteStore::State {
  explicit State(Options opts) : options(std::move(opts)), layout(options.data_dir) {}
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  // For a PendingWrite with a file: renames the file into objects/ under a fresh id and returns
  // that id. From then on the PendingWrite points at the installed file, so Discard() removes it
  // (the commit failed). With Options::fsync the bytes and the directory entry are synced first.
  // For one still in memory: does nothing and returns DataRef{}; StoreBlob() inserts the bytes in
  // the commit's transaction.
  std::expected<DataRef, Error> Install(PendingWrite& data);
  // Inside the commit's transaction: for an in-memory write, inserts its bytes into blobs and sets
  // ref.blob_id.
  static std::expected<void, Error> StoreBlob(Database& db, const PendingWrite& data, DataRef& ref);
  // The bytes now belong to a committed row: the PendingWrite must not remove them.
  static void Adopt(PendingWrite& data);
  // After a failed commit: removes what Install() made (noting a file that could not be removed).
  void Discard(PendingWrite& data);
  // Removes the data files of rows that were deleted or replaced by a committed transaction. A
  // failure is logged, not returned: the commit stands and the next Open() sweeps the file (the
  // store then does not write its clean-shutdown marker). Empty ids (blobs) are skipped.
  void RemoveDataFiles(const std::vector<std::string>& ids);

  const Options options;
  const DataLayout layout;
  // flock'ed <data_dir>/LOCK: one store per data directory, so Open()'s sweep never removes a
  // file another live store is about to commit. Declared before db: released after it closes.
  UniqueFd lock_fd;
  std::mutex mu;  // guards db (see the file comment); bucket_cache locks itself
  std::unique_ptr<Database> db;
  // Read-only connections for the lookups of GET and HEAD (reader_pool.h), used without mu;
  // closed before db.
  std::unique_ptr<ReaderPool> readers;
  // Checkpoints db's WAL off the commit path (wal_checkpointer.h); destroyed before db closes.
  std::unique_ptr<WalCheckpointer> checkpointer;
  // Batches concurrent object writes into shared transactions (see group_commit.h); its leader
  // takes mu for the batch.
  GroupCommit group_commit;
  // Follows db's write generation of buckets and bucket_settings; looked up without mu first.
  BucketCache bucket_cache;
  // Set when a data file that no row references could not be removed: the next Open() must sweep.
  std::atomic<bool> leaked_files{false};
  // Order of versions: a hybrid clock (microseconds since the epoch, strictly increasing within a
  // process), so rows written after a restart still sort after older ones. Guarded by mu.
  int64_t last_seq = 0;
};

// The next value of the versions order clock kept in `last_seq` (State::last_seq, mu held).
int64_t NextSeq(int64_t& last_seq);

// The clean-shutdown marker: present only between a store's clean close and the next Open().
std::filesystem::path CleanMarkerPath(const std::filesystem::path& data_dir);

// Inside a transaction, before the row that references `ref` is deleted or replaced: deletes its
// blob, if any, and returns the data file id to remove once the transaction commits ("" for none).
std::expected<std::string, Error> ReleaseData(Database& db, const DataRef& ref);

// kCorrupt: a row names blob `id`, which is missing.
Error MissingBlob(int64_t id);
// The bytes of blob `id` (kCorrupt when a row names a missing blob).
std::expected<std::string, Error> SelectBlob(Database& db, int64_t id);

std::shared_ptr<spdlog::logger> StorageLogger();

TimestampMs NowMs();

// The smallest byte string greater than every string that starts with `prefix`, or nullopt when
// there is none (prefix empty or made only of 0xFF bytes).
std::optional<std::string> PrefixSuccessor(std::string_view prefix);

// kBucketNotFound, naming the bucket.
Error NoSuchBucket(std::string_view bucket);
// kBucketNotFound unless the bucket exists.
std::expected<void, Error> RequireBucket(Database& db, std::string_view bucket);

// The current object at bucket/key with the id of its data file, or nullopt.
struct StoredObject {
  ObjectRecord record;
  DataRef data;
};
// The columns of objects that ReadObjectRow reads, in its order, each qualified by `table`
// ("o." or "" for none).
#define LOGBUCKET_OBJECT_COLUMNS_OF(table)                                                         \
  table "object_key, " table "data_id, " table "size, " table "etag, " table                       \
        "last_modified_ms, " table "owner, " table "storage_class, " table "checksum_type, " table \
        "parts_count, " table "version_id, " table "extras, " table "blob_id"
#define LOGBUCKET_OBJECT_COLUMNS LOGBUCKET_OBJECT_COLUMNS_OF("")

// Reads an objects row selected with LOGBUCKET_OBJECT_COLUMNS.
std::expected<StoredObject, Error> ReadObjectRow(const Statement& row, std::string_view bucket);

std::expected<std::optional<StoredObject>, Error> SelectObject(Database& db,
                                                               std::string_view bucket,
                                                               std::string_view key);

// What one statement (one snapshot, so it needs no transaction: ReaderPool connections use it)
// read of bucket/key: whether the bucket exists, its current object, and with `with_bytes` the
// bytes of that object when they are a blob.
struct ObjectLookup {
  bool bucket_exists = false;
  std::optional<StoredObject> object;
  std::optional<std::string> blob;  // nullopt for a data file, or when not asked for
};
std::expected<ObjectLookup, Error> LookupObject(Database& db, std::string_view bucket,
                                                std::string_view key, bool with_bytes);

// Inside a transaction, before record becomes the current version of record.bucket/record.key:
// checks that the bucket exists and that `condition` holds, chooses record.version_id from the
// bucket's versioning state, and makes room: the current version is demoted to a noncurrent one
// (Enabled, or Suspended when it is not the null version) or released, and a noncurrent null
// version is removed when the new one is null. Returns the data files to remove after commit.
// `last_seq` is State::last_seq.
std::expected<std::vector<std::string>, Error> PrepareReplace(int64_t& last_seq, Database& db,
                                                              ObjectRecord& record,
                                                              const WriteCondition& condition);

// Inserts or replaces the object row for record.bucket/record.key.
std::expected<void, Error> UpsertObject(Database& db, const ObjectRecord& record,
                                        const DataRef& data);

// Objects of `bucket` with lower <= key < upper (no upper bound when nullopt), in byte order, at
// most `limit` of them: one range scan of the primary key.
std::expected<std::vector<ObjectRecord>, Error> SelectObjectRange(
    Database& db, std::string_view bucket, std::string_view lower,
    const std::optional<std::string>& upper, int64_t limit);

// Data file ids of an upload's parts (to remove after the upload's rows are deleted).
std::expected<std::vector<std::string>, Error> SelectPartDataIds(Database& db,
                                                                 std::string_view upload_id);

// Binds `ref.blob_id` (or NULL) at `index`.
void BindBlobId(Statement& stmt, int index, const DataRef& ref);
// Reads a (data_id, blob_id) pair of columns.
DataRef ReadDataRef(const Statement& row, int data_id_column, int blob_id_column);

}  // namespace logbucket::storage
