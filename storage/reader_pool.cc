#include "storage/reader_pool.h"

#include <fmt/format.h>

#include <string>
#include <utility>

namespace logbucket::storage {

std::expected<std::unique_ptr<ReaderPool>, Error> ReaderPool::Open(
    const std::filesystem::path& path, int count, int cache_kib) {
  std::unique_ptr<ReaderPool> pool(new ReaderPool());
  const std::string pragmas =
      fmt::format("PRAGMA query_only=1; PRAGMA cache_size=-{};", cache_kib > 0 ? cache_kib : 1);
  for (int i = 0; i < (count > 0 ? count : 1); ++i) {
    // synchronous only matters to writes, which these connections refuse.
    auto db = Database::Open(path, /*full_sync=*/false);
    if (!db) {
      return std::unexpected(std::move(db.error()));
    }
    if (auto set = (*db)->Exec(pragmas.c_str()); !set) {
      return std::unexpected(std::move(set.error()));
    }
    auto slot = std::make_unique<Slot>();
    slot->db = std::move(*db);
    pool->slots_.push_back(std::move(slot));
  }
  return pool;
}

ReaderPool::Lease ReaderPool::Acquire() {
  // The slot this thread found free last time; shared by every pool of the process, which only
  // makes it a first guess.
  thread_local unsigned home = next_home_.fetch_add(1, std::memory_order_relaxed);
  const size_t count = slots_.size();
  for (size_t i = 0; i < count; ++i) {
    const size_t index = (home + i) % count;
    Slot& slot = *slots_[index];
    std::unique_lock lock(slot.mu, std::try_to_lock);
    if (lock.owns_lock()) {
      home = static_cast<unsigned>(index);
      return Lease(std::move(lock), slot.db.get());
    }
  }
  Slot& slot = *slots_[home % count];
  return Lease(std::unique_lock(slot.mu), slot.db.get());
}

}  // namespace logbucket::storage
