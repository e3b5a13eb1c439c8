#include "storage/sqlite_db.h"

#include <fmt/format.h>

#include <utility>

namespace logbucket::storage {

namespace {

// Other processes (the sqlite3 shell, a backup) may hold the database briefly.
constexpr int kBusyTimeoutMs = 5000;

Error SqliteError(sqlite3* db, int rc, std::string_view context) {
  const char* message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  const int primary = rc & 0xff;
  const ErrorCode code = (primary == SQLITE_FULL) ? ErrorCode::kNoSpace
                         : (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB)
                             ? ErrorCode::kCorrupt
                             : ErrorCode::kInternal;
  return Error{code, fmt::format("sqlite: {}: {}", context, message)};
}

}  // namespace

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_),
      stmt_(std::exchange(other.stmt_, nullptr)),
      writes_watched_(other.writes_watched_),
      bind_rc_(other.bind_rc_) {}

Statement::~Statement() {
  if (stmt_ != nullptr) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_rc_ = SQLITE_OK;
}

void Statement::NoteBind(int rc) {
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) {
    bind_rc_ = rc;
  }
}

Statement& Statement::BindText(int index, std::string_view text) {
  NoteBind(sqlite3_bind_text64(stmt_, index, text.empty() ? "" : text.data(), text.size(),
                               SQLITE_TRANSIENT, SQLITE_UTF8));
  return *this;
}

Statement& Statement::BindBlob(int index, std::string_view bytes) {
  if (bytes.empty()) {
    NoteBind(sqlite3_bind_zeroblob(stmt_, index, 0));
  } else {
    NoteBind(sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT));
  }
  return *this;
}

Statement& Statement::BindInt(int index, int64_t value) {
  NoteBind(sqlite3_bind_int64(stmt_, index, value));
  return *this;
}

Statement& Statement::BindNull(int index) {
  NoteBind(sqlite3_bind_null(stmt_, index));
  return *this;
}

std::expected<bool, Error> Statement::Step() {
  sqlite3* db = sqlite3_db_handle(stmt_);
  if (bind_rc_ != SQLITE_OK) {
    return std::unexpected(SqliteError(db, bind_rc_, sqlite3_sql(stmt_)));
  }
  if (writes_watched_) {
    ++db_->write_generation_;
  }
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  return std::unexpected(SqliteError(db, rc, sqlite3_sql(stmt_)));
}

std::expected<void, Error> Statement::Run() {
  while (true) {
    auto row = Step();
    if (!row) {
      return std::unexpected(std::move(row.error()));
    }
    if (!*row) {
      return {};
    }
  }
}

std::string_view Statement::ColumnBytes(int column) const {
  const void* data = sqlite3_column_blob(stmt_, column);
  const int size = sqlite3_column_bytes(stmt_, column);
  if (data == nullptr || size <= 0) {
    return {};
  }
  return {static_cast<const char*>(data), static_cast<size_t>(size)};
}

int64_t Statement::ColumnInt(int column) const { return sqlite3_column_int64(stmt_, column); }

bool Statement::ColumnIsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::expected<std::unique_ptr<Database>, Error> Database::Open(const std::filesystem::path& path,
                                                               bool full_sync) {
  sqlite3* raw = nullptr;
  // NOMUTEX: the owner serialises all use, SQLite's own locking would only add cost. unix-excl:
  // see the header (the process-wide lock is taken at the first read, by the pragmas below).
  const int rc = sqlite3_open_v2(path.c_str(), &raw,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                 "unix-excl");
  if (rc != SQLITE_OK) {
    Error error = SqliteError(raw, rc, fmt::format("opening {}", path.string()));
    sqlite3_close(raw);
    return std::unexpected(std::move(error));
  }
  std::unique_ptr<Database> db(new Database(raw));
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  sqlite3_extended_result_codes(raw, 1);
  const char* sync = full_sync ? "PRAGMA synchronous=FULL;" : "PRAGMA synchronous=NORMAL;";
  // A 16 MiB page cache (SQLite's default is 2 MiB) holds the metadata and the small objects
  // stored inline that a busy working set reads again, instead of a pread(2) per GET; it is a
  // bound, filled only as pages are read.
  for (const char* pragma :
       {"PRAGMA journal_mode=WAL;", "PRAGMA foreign_keys=ON;", "PRAGMA cache_size=-16384;", sync}) {
    if (auto done = db->Exec(pragma); !done) {
      // The first statement is where a file that is not a database shows: name it.
      done.error().message = fmt::format("{}: {}", path.string(), done.error().message);
      return std::unexpected(std::move(done.error()));
    }
  }
  return db;
}

Database::~Database() {
  for (auto& [sql, cached] : cache_) {
    sqlite3_finalize(cached.stmt);
  }
  sqlite3_close(db_);
}

std::expected<void, Error> Database::SetJournalSizeLimit(int64_t bytes) {
  const std::string sql = fmt::format("PRAGMA journal_size_limit={};", bytes);
  return Exec(sql.c_str());
}

void Database::SetWalHook(WalHook hook, void* arg) {
  if (hook == nullptr) {
    sqlite3_wal_autocheckpoint(db_, 1000);  // SQLite's default
  } else {
    sqlite3_wal_hook(db_, hook, arg);
  }
}

std::expected<bool, Error> Database::CheckpointPassive() { return CheckpointPassive(db_); }

std::expected<bool, Error> Database::CheckpointPassive(sqlite3* connection) {
  const int rc =
      sqlite3_wal_checkpoint_v2(connection, "main", SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  if (rc == SQLITE_BUSY) {
    return false;
  }
  if (rc != SQLITE_OK) {
    return std::unexpected(SqliteError(connection, rc, "checkpointing the WAL"));
  }
  return true;
}

void Database::WatchTables(std::vector<std::string> tables) {
  watched_tables_ = std::move(tables);
  sqlite3_set_authorizer(db_, watched_tables_.empty() ? nullptr : &Database::OnAuthorize, this);
}

int Database::OnAuthorize(void* self, int action, const char* arg1, const char* arg2,
                          const char* /*database*/, const char* /*trigger*/) {
  auto* db = static_cast<Database*>(self);
  const char* table = nullptr;
  switch (action) {
    case SQLITE_INSERT:
    case SQLITE_UPDATE:
    case SQLITE_DELETE:
    case SQLITE_DROP_TABLE:
      table = arg1;
      break;
    case SQLITE_ALTER_TABLE:
      table = arg2;
      break;
    default:
      return SQLITE_OK;
  }
  for (const std::string& watched : db->watched_tables_) {
    if (table != nullptr && sqlite3_stricmp(table, watched.c_str()) == 0) {
      db->compiled_writes_watched_ = true;
    }
  }
  return SQLITE_OK;
}

std::expected<void, Error> Database::Exec(const char* sql) {
  char* message = nullptr;
  compiled_writes_watched_ = false;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &message);
  if (compiled_writes_watched_) {
    ++write_generation_;
  }
  if (rc == SQLITE_OK) {
    return {};
  }
  Error error = SqliteError(db_, rc, sql);
  sqlite3_free(message);
  return std::unexpected(std::move(error));
}

std::expected<Statement, Error> Database::Prepare(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    compiled_writes_watched_ = false;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      return std::unexpected(SqliteError(db_, rc, sql));
    }
    it = cache_.emplace(sql, Cached{stmt, compiled_writes_watched_}).first;
  }
  return Statement(this, it->second.stmt, it->second.writes_watched);
}

int64_t Database::Changes() const { return sqlite3_changes64(db_); }

int64_t Database::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }

Error Database::LastError(std::string_view context) const {
  return SqliteError(db_, sqlite3_errcode(db_), context);
}

namespace {

std::expected<void, Error> RunCached(Database& db, std::string_view sql) {
  auto stmt = db.Prepare(sql);
  if (!stmt) {
    return std::unexpected(std::move(stmt.error()));
  }
  return stmt->Run();
}

}  // namespace

std::expected<Transaction, Error> Transaction::Begin(Database& db) {
  if (auto begun = RunCached(db, "BEGIN IMMEDIATE"); !begun) {
    return std::unexpected(std::move(begun.error()));
  }
  return Transaction(&db);
}

Transaction::~Transaction() {
  if (db_ != nullptr) {
    (void)RunCached(*db_, "ROLLBACK");
  }
}

std::expected<void, Error> Transaction::Commit() {
  Database* db = std::exchange(db_, nullptr);
  if (auto done = RunCached(*db, "COMMIT"); !done) {
    // A failed COMMIT may leave the transaction open; make sure nothing of it survives.
    (void)RunCached(*db, "ROLLBACK");
    return std::unexpected(std::move(done.error()));
  }
  return {};
}

std::expected<Savepoint, Error> Savepoint::Begin(Database& db) {
  if (auto begun = RunCached(db, "SAVEPOINT scope"); !begun) {
    return std::unexpected(std::move(begun.error()));
  }
  return Savepoint(&db);
}

Savepoint::~Savepoint() {
  if (db_ != nullptr) {
    (void)Rollback();
  }
}

std::expected<void, Error> Savepoint::Rollback() {
  Database* db = std::exchange(db_, nullptr);
  // ROLLBACK TO undoes the scope but keeps the savepoint open; RELEASE then closes it.
  if (auto undone = RunCached(*db, "ROLLBACK TO scope"); !undone) {
    return undone;
  }
  return RunCached(*db, "RELEASE scope");
}

std::expected<void, Error> Savepoint::Release() {
  Database* db = std::exchange(db_, nullptr);
  if (auto released = RunCached(*db, "RELEASE scope"); !released) {
    (void)RunCached(*db, "ROLLBACK TO scope");
    (void)RunCached(*db, "RELEASE scope");
    return std::unexpected(std::move(released.error()));
  }
  return {};
}

}  // namespace logbucket::storage
