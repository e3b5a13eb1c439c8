// Internal to storage: read-only connections to meta.db beside SqliteStore's writer, so that the
// lookups of a GET or HEAD neither wait for the store's mutex nor for one another.
//
// Every metadata access used to go through the writer's connection behind one mutex. Under a GET
// load the two I/O threads took turns on it: a tenth of the server's CPU time went to futex
// waits and wake-ups (perf, 16 connections), and every GET also waited behind any commit. In WAL
// mode a reader sees the database as of the last commit when its statement starts, and never
// blocks the writer or is blocked by it; each connection of this pool is used by one thread at a
// time (its own mutex), so a thread that finds its usual connection busy takes another.
//
// A lookup through a reader that spans more than one statement has no snapshot shared between
// them unless it opens a transaction; callers read what must be consistent in one statement.
//
// Thread-safety: Acquire() from any thread; a Lease is used by the thread that acquired it. The
// pool must outlive its leases and be destroyed before the writer closes (which checkpoints).
#pragma once

#include <atomic>
#include <expected>
#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>

#include "storage/error.h"
#include "storage/sqlite_db.h"

namespace logbucket::storage {

class ReaderPool {
 public:
  // Opens `count` (at least 1) connections to `path`, a database the writer has already created
  // in WAL mode. Each refuses writes (PRAGMA query_only) and keeps a page cache of `cache_kib`.
  static std::expected<std::unique_ptr<ReaderPool>, Error> Open(const std::filesystem::path& path,
                                                                int count, int cache_kib);
  ReaderPool(const ReaderPool&) = delete;
  ReaderPool& operator=(const ReaderPool&) = delete;

  // One connection, held until the lease is destroyed.
  class Lease {
   public:
    Database& db() const { return *db_; }

   private:
    friend class ReaderPool;
    Lease(std::unique_lock<std::mutex> lock, Database* db) : lock_(std::move(lock)), db_(db) {}
    std::unique_lock<std::mutex> lock_;
    Database* db_;
  };

  // A free connection, starting with the one this thread used last; when all are busy, waits for
  // that one.
  Lease Acquire();

 private:
  struct Slot {
    std::mutex mu;  // guards db: held by the lease that uses it
    std::unique_ptr<Database> db;
  };
  ReaderPool() = default;

  std::vector<std::unique_ptr<Slot>> slots_;
  std::atomic<unsigned> next_home_{0};  // hands threads different first choices
};

}  // namespace logbucket::storage
