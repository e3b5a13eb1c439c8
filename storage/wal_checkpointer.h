// Internal to storage: checkpoints the WAL on a thread and a connection of its own, so that no
// commit waits for a checkpoint's fsyncs.
//
// SQLite's automatic checkpoint runs inside the COMMIT that takes the WAL past 1000 pages: it
// copies the WAL into the database file and fsyncs both while the store's mutex is held, so
// every writer and every reader waited for it (2-5 ms on a virtual disk, about once per hundred
// 4 KiB PUTs: a fifth of the time under a PUT load, with the cores idle). Here the writer's
// automatic checkpoint is replaced by a WAL hook that wakes this thread once the WAL has grown
// by Limits::wake_frames since the last checkpoint; the thread runs a PASSIVE checkpoint through
// its own connection, which copies what no reader still needs and never blocks the writer.
//
// While commits keep arriving a PASSIVE checkpoint never copies the newest frames, so the writer
// cannot start the WAL over and the file grows. Bound: the commit that takes the WAL to
// Limits::limit_frames waits for the thread's checkpoint if one is running, then checkpoints
// through the writer's connection as SQLite would have (only what the thread has not copied yet,
// then the fsyncs); the next transaction starts the WAL from its beginning, and the writer's
// journal_size_limit (set here to the limit) truncates a file that grew past it.
//
// Durability is unchanged: a checkpoint only moves committed pages into the database file, with
// the fsyncs of the connection's synchronous setting (the writer's). A crash at any point leaves
// SQLite's own recovery to do, as before.
//
// Thread-safety: Start and the destructor by the store's owner; the hook runs on whichever
// thread commits (under the store's mutex, as every use of the writer); stats() from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>

#include "storage/error.h"
#include "storage/sqlite_db.h"

namespace logbucket::storage {

class WalCheckpointer {
 public:
  struct Limits {
    int wake_frames = 1000;   // SQLite's own wal_autocheckpoint default
    int limit_frames = 4096;  // 16 MiB of 4 KiB pages
  };

  // Opens a second connection to `path` (the writer's database, already in WAL mode) and starts
  // the thread; from then on `writer` (which must outlive this object) checkpoints only at
  // Limits::limit_frames.
  static std::expected<std::unique_ptr<WalCheckpointer>, Error> Start(
      const std::filesystem::path& path, bool full_sync, Database& writer, Limits limits);
  // Stops the thread (a checkpoint in progress finishes) and closes its connection. The writer's
  // hook is removed: what is left of the WAL is checkpointed when the writer closes.
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  struct Stats {
    uint64_t background = 0;  // checkpoints the thread completed
    uint64_t in_commit = 0;   // checkpoints a commit ran itself (the WAL reached limit_frames)
  };
  Stats stats() const;

 private:
  WalCheckpointer(std::unique_ptr<Database> own, Database& writer, Limits limits);
  // sqlite3_wal_hook: after every commit of the writer, with the WAL's size in frames.
  static int OnCommit(void* self, sqlite3* db, const char* name, int frames);
  void Run();
  // After a checkpoint (the caller set running_): clears running_, wakes whoever waits for that,
  // logs a failure and counts a checkpoint that ran in `completed`.
  void EndCheckpoint(const std::expected<bool, Error>& done, std::atomic<uint64_t>& completed);

  std::unique_ptr<Database> own_;  // used by the thread only
  Database& writer_;
  const Limits limits_;
  // The WAL's size at the last commit (written by the hook), and what the last checkpoint
  // started covers, in frames from the WAL's start (a WAL smaller than that was started over
  // since): a checkpoint is asked for once the WAL has grown by wake_frames past it, so commits
  // that land during a checkpoint do not queue another one right behind it.
  std::atomic<int> wal_frames_{0};
  std::atomic<int> covered_{0};
  // Set by the hook to ask for a checkpoint, cleared by the thread as it starts one: the hook
  // takes mu_ (to notify) only when it sets it.
  std::atomic<bool> requested_{false};
  std::atomic<uint64_t> background_{0};
  std::atomic<uint64_t> in_commit_{0};

  std::mutex mu_;  // guards stopping_ and running_; held to notify, so no request is missed
  std::condition_variable wake_;  // the thread waits for requested_ (and !running_)
  std::condition_variable idle_;  // a commit at the limit waits for !running_
  bool stopping_ = false;
  bool running_ = false;  // a checkpoint (the thread's or a commit's) is in progress
  std::thread thread_;    // last: started once everything above is ready
};

}  // namespace logbucket::storage
