// Internal to storage: a thin RAII layer over one SQLite connection with a cache of prepared
// statements, scoped statement use and scoped transactions. Nothing here knows the schema.
//
// Thread-safety: none. A Database and every Statement/Transaction obtained from it must be used
// by one thread at a time; SqliteStore serialises all use behind its mutex.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "storage/error.h"

namespace logbucket::storage {

class Database;

// One use of a cached prepared statement: bind, step, read columns. Resets the statement and
// clears its bindings on destruction so the cache can hand it out again. Bind errors are kept
// and reported by the next Step/Run. Stepping a statement that may write a watched table (see
// Database::WatchTables) advances the database's write generation.
class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Parameter indexes are 1-based, as in SQLite.
  Statement& BindText(int index, std::string_view text);
  // Keys are bound as BLOBs so that comparisons are memcmp (UTF-8 byte order); an empty value is
  // an empty BLOB, never NULL.
  Statement& BindBlob(int index, std::string_view bytes);
  Statement& BindInt(int index, int64_t value);
  Statement& BindNull(int index);

  // true when a row is available, false when done.
  std::expected<bool, Error> Step();
  // Steps until done, ignoring rows (INSERT/UPDATE/DELETE).
  std::expected<void, Error> Run();

  // Makes the statement ready to be bound and stepped again (to reuse it in a loop).
  void Reset();

  // Column accessors for the current row (0-based). Views stay valid until the next Step.
  std::string_view ColumnBytes(int column) const;
  std::string ColumnString(int column) const { return std::string(ColumnBytes(column)); }
  int64_t ColumnInt(int column) const;
  bool ColumnIsNull(int column) const;

 private:
  friend class Database;
  Statement(Database* db, sqlite3_stmt* stmt, bool writes_watched)
      : db_(db), stmt_(stmt), writes_watched_(writes_watched) {}
  void NoteBind(int rc);

  Database* db_;
  sqlite3_stmt* stmt_;
  bool writes_watched_;
  int bind_rc_ = SQLITE_OK;
};

class Database {
 public:
  // Opens (creating) the database file in WAL mode with foreign keys and a busy timeout;
  // synchronous=FULL when `full_sync`, NORMAL otherwise. Through SQLite's "unix-excl" VFS: the
  // process takes the file's locks once and keeps them, so other processes cannot open the
  // database while other connections of this process can (WalCheckpointer's), with no fcntl(2)
  // per transaction and the WAL index in heap memory instead of a -shm file.
  static std::expected<std::unique_ptr<Database>, Error> Open(const std::filesystem::path& path,
                                                              bool full_sync);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs SQL text that returns no rows of interest (schema, pragmas, BEGIN/COMMIT). Its write
  // generation advance comes after the text ran: text that writes a watched table once the
  // store serves must run inside a Transaction, so the advance precedes the commit.
  std::expected<void, Error> Exec(const char* sql);
  // A statement for `sql`, prepared once and cached. `sql` must be a string with static storage
  // duration (the cache keys on it).
  std::expected<Statement, Error> Prepare(std::string_view sql);
  // Tables whose writes advance WriteGeneration(); to be called before any statement that
  // writes them is prepared. Which statements may write them is learnt from SQLite's authorizer
  // when they are compiled, so any statement counts, whoever writes it.
  void WatchTables(std::vector<std::string> tables);
  // Advances (at least) every time a statement that may write a watched table is stepped or run
  // by Exec, whether it changes rows or not, and whether its transaction commits or not. Equal
  // values read under the owner's serialisation mean no watched table changed in between: what
  // was read from them is still what they hold.
  // May be read without the owner's serialisation (an atomic): BucketCache's lookups do.
  uint64_t WriteGeneration() const { return write_generation_.load(std::memory_order_acquire); }
  // Rows changed by the last INSERT/UPDATE/DELETE.
  int64_t Changes() const;
  // Rowid of the last successful INSERT.
  int64_t LastInsertRowId() const;
  // The connection's current error as an Error: kNoSpace for SQLITE_FULL, kInternal otherwise.
  Error LastError(std::string_view context) const;

  // PRAGMA journal_size_limit: a WAL file larger than `bytes` is truncated to that when the WAL
  // starts over.
  std::expected<void, Error> SetJournalSizeLimit(int64_t bytes);
  // sqlite3_wal_hook: `hook(arg, connection, "main", frames)` after every commit, with the WAL's
  // size in frames. Replaces SQLite's automatic checkpoint; nullptr restores it.
  using WalHook = int (*)(void* arg, sqlite3* connection, const char* name, int frames);
  void SetWalHook(WalHook hook, void* arg);
  // A PASSIVE checkpoint: copies into the database file the WAL frames no reader still needs,
  // without waiting for anyone. false (nothing done) when another connection's checkpoint is
  // running.
  std::expected<bool, Error> CheckpointPassive();
  static std::expected<bool, Error> CheckpointPassive(sqlite3* connection);

 private:
  friend class Statement;
  struct Cached {
    sqlite3_stmt* stmt = nullptr;
    bool writes_watched = false;
  };

  explicit Database(sqlite3* db) : db_(db) {}
  // SQLite's authorizer: notes in compiled_writes_watched_ that the statement being compiled
  // writes a watched table. Never refuses anything.
  static int OnAuthorize(void* self, int action, const char* arg1, const char* arg2,
                         const char* database, const char* trigger);

  sqlite3* db_;
  std::unordered_map<std::string_view, Cached> cache_;
  std::vector<std::string> watched_tables_;
  bool compiled_writes_watched_ = false;  // set by OnAuthorize during a compilation
  std::atomic<uint64_t> write_generation_{0};
};

// BEGIN IMMEDIATE on construction (via Begin); ROLLBACK on destruction unless committed. The
// three statements are prepared once (cached) rather than parsed per transaction.
class Transaction {
 public:
  static std::expected<Transaction, Error> Begin(Database& db);
  Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  std::expected<void, Error> Commit();

 private:
  explicit Transaction(Database* db) : db_(db) {}
  Database* db_;  // null once committed or rolled back
};

// A nested scope inside an open transaction: SAVEPOINT on Begin; Release() keeps its changes
// (they commit or roll back with the enclosing transaction); destruction without Release() rolls
// back exactly what was done since Begin and leaves the enclosing transaction open.
class Savepoint {
 public:
  static std::expected<Savepoint, Error> Begin(Database& db);
  Savepoint(Savepoint&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Savepoint& operator=(Savepoint&&) = delete;
  ~Savepoint();
  std::expected<void, Error> Release();
  // Undoes what was done since Begin and closes the savepoint. When this fails the enclosing
  // transaction must be rolled back as a whole.
  std::expected<void, Error> Rollback();

 private:
  explicit Savepoint(Database* db) : db_(db) {}
  Database* db_;  // null once released or rolled back
};

}  // namespace logbucket::storage
