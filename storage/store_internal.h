// Internal to storage: SqliteStore's shared state and the row-level helpers its .cc files share
// (sqlite_store.cc: open, buckets, settings, reset; sqlite_store_objects.cc: objects and the
// PendingWrite/ObjectReader values; sqlite_store_uploads.cc: multipart uploads).
//
// Locking discipline: State::mu guards `db` (the single SQLite connection and its cache of
// prepared statements), hence every metadata read and write. Row helpers below take a Database&
// and must be called with mu held. Writing object bytes, renaming data files into objects/ and
// unlinking replaced files happen outside the lock. Data files are opened for reading while the
// lock is held, right after their row is read, because a concurrent replace unlinks the old file
// only after its own commit, which cannot happen while the lock is held.
#pragma once

#include <spdlog/logger.h>

#include <expected>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/data_files.h"
#include "storage/error.h"
#include "storage/sqlite_db.h"
#include "storage/sqlite_store.h"
#include "storage/types.h"

namespace logbucket::storage {

struct SqliteStore::State {
  explicit State(Options opts) : options(std::move(opts)), layout(options.data_dir) {}
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  // Renames the pending file into objects/ under a fresh id and returns the id. From then on the
  // PendingWrite points at the installed file, so destroying it without Adopt() removes the file
  // (the commit failed). With Options::fsync the bytes and the directory entry are synced first.
  std::expected<std::string, Error> Install(PendingWrite& data);
  // The installed file now belongs to a committed row: the PendingWrite must not remove it.
  static void Adopt(PendingWrite& data);
  // Removes the data files of rows that were deleted or replaced by a committed transaction. A
  // failure is logged, not returned: the commit stands and the next Open() sweeps the file.
  void RemoveDataFiles(const std::vector<std::string>& ids) const;

  const Options options;
  const DataLayout layout;
  // flock'ed <data_dir>/LOCK: one store per data directory, so Open()'s sweep never removes a
  // file another live store is about to commit. Declared before db: released after it closes.
  UniqueFd lock_fd;
  std::mutex mu;  // guards db (see the file comment)
  std::unique_ptr<Database> db;
};

std::shared_ptr<spdlog::logger> StorageLogger();

TimestampMs NowMs();

// The smallest byte string greater than every string that starts with `prefix`, or nullopt when
// there is none (prefix empty or made only of 0xFF bytes).
std::optional<std::string> PrefixSuccessor(std::string_view prefix);

// kBucketNotFound unless the bucket exists.
std::expected<void, Error> RequireBucket(Database& db, std::string_view bucket);

// The current object at bucket/key with the id of its data file, or nullopt.
struct StoredObject {
  ObjectRecord record;
  std::string data_id;
};
std::expected<std::optional<StoredObject>, Error> SelectObject(Database& db,
                                                               std::string_view bucket,
                                                               std::string_view key);

// Inside a transaction, before replacing bucket/key: checks that the bucket exists and that
// `condition` holds. Returns the data id of the object being replaced, if any.
std::expected<std::optional<std::string>, Error> CheckReplace(Database& db, std::string_view bucket,
                                                              std::string_view key,
                                                              const WriteCondition& condition);

// Inserts or replaces the object row for record.bucket/record.key.
std::expected<void, Error> UpsertObject(Database& db, const ObjectRecord& record,
                                        std::string_view data_id);

// Objects of `bucket` with lower <= key < upper (no upper bound when nullopt), in byte order, at
// most `limit` of them: one range scan of the primary key.
std::expected<std::vector<ObjectRecord>, Error> SelectObjectRange(
    Database& db, std::string_view bucket, std::string_view lower,
    const std::optional<std::string>& upper, int64_t limit);

// Data ids of an upload's parts (to remove after the upload's rows are deleted).
std::expected<std::vector<std::string>, Error> SelectPartDataIds(Database& db,
                                                                 std::string_view upload_id);

}  // namespace logbucket::storage
