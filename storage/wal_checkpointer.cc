#include "storage/wal_checkpointer.h"

#include <utility>

#include "storage/store_internal.h"

namespace logbucket::storage {
namespace {

// meta.db's page size (SQLite's default, never changed) and a WAL frame's header.
constexpr int64_t kPageSize = 4096;
constexpr int64_t kFrameHeaderSize = 24;

}  // namespace

std::expected<std::unique_ptr<WalCheckpointer>, Error> WalCheckpointer::Start(
    const std::filesystem::path& path, bool full_sync, Database& writer, Limits limits) {
  auto own = Database::Open(path, full_sync);
  if (!own) {
    return std::unexpected(std::move(own.error()));
  }
  const int64_t limit_bytes = int64_t{limits.limit_frames} * (kPageSize + kFrameHeaderSize);
  if (auto limited = writer.SetJournalSizeLimit(limit_bytes); !limited) {
    return std::unexpected(std::move(limited.error()));
  }
  return std::unique_ptr<WalCheckpointer>(new WalCheckpointer(std::move(*own), writer, limits));
}

WalCheckpointer::WalCheckpointer(std::unique_ptr<Database> own, Database& writer, Limits limits)
    : own_(std::move(own)), writer_(writer), limits_(limits) {
  writer_.SetWalHook(&WalCheckpointer::OnCommit, this);
  thread_ = std::thread([this] { Run(); });
}

WalCheckpointer::~WalCheckpointer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
  // The store's owner destroys this with no commit running (the hook must not outlive us).
  writer_.SetWalHook(nullptr, nullptr);
}

WalCheckpointer::Stats WalCheckpointer::stats() const {
  return {background_.load(std::memory_order_relaxed), in_commit_.load(std::memory_order_relaxed)};
}

int WalCheckpointer::OnCommit(void* arg, sqlite3* db, const char* /*name*/, int frames) {
  auto* self = static_cast<WalCheckpointer*>(arg);
  if (frames >= self->limits_.limit_frames) {
    // The thread has not kept the WAL short (a sustained load, see the header): copy what it has
    // not, so the next transaction can start the WAL over. Its checkpoint in progress, if any,
    // ends first (two cannot run at once).
    {
      std::unique_lock lock(self->mu_);
      self->idle_.wait(lock, [self] { return !self->running_; });
      self->running_ = true;
    }
    self->covered_.store(frames, std::memory_order_relaxed);
    self->EndCheckpoint(Database::CheckpointPassive(db), self->in_commit_);
    return SQLITE_OK;
  }
  self->wal_frames_.store(frames, std::memory_order_relaxed);
  // A WAL smaller than what the last checkpoint covered has been started over since.
  const int covered = self->covered_.load(std::memory_order_relaxed);
  const int base = frames >= covered ? covered : 0;
  if (frames - base >= self->limits_.wake_frames &&
      !self->requested_.exchange(true, std::memory_order_acq_rel)) {
    std::lock_guard lock(self->mu_);
    self->wake_.notify_one();
  }
  return SQLITE_OK;
}

void WalCheckpointer::Run() {
  while (true) {
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [this] {
        return stopping_ || (!running_ && requested_.load(std::memory_order_acquire));
      });
      if (stopping_) {
        return;
      }
      running_ = true;
    }
    requested_.store(false, std::memory_order_release);
    covered_.store(wal_frames_.load(std::memory_order_relaxed), std::memory_order_relaxed);
    EndCheckpoint(own_->CheckpointPassive(), background_);
  }
}

void WalCheckpointer::EndCheckpoint(const std::expected<bool, Error>& done,
                                    std::atomic<uint64_t>& completed) {
  {
    std::lock_guard lock(mu_);
    running_ = false;
  }
  idle_.notify_all();  // a commit at the limit
  wake_.notify_one();  // the thread, asked for another meanwhile
  if (!done) {
    // A full disk, most likely: the WAL keeps the commits; the next checkpoint retries.
    StorageLogger()->warn("{}", done.error().message);
  } else if (*done) {
    completed.fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace logbucket::storage
