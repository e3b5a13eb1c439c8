// WAL checkpoints off the commit path (storage/wal_checkpointer.h), through the store: the
// thread checkpoints, commits only do so at the limit, the WAL file stays bounded, and a clean
// close leaves neither the WAL nor its index behind.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/unit/storage/store_fixture.h"

namespace logbucket::storage::testing {
namespace {

// Large enough for two pages per object (a blob's overflow page and its row), small enough that
// a few hundred writes cross the limits below.
const std::string kBody(4096, 'w');

class WalCheckpointerTest : public StoreTest {
 protected:
  SqliteStore::Options StoreOptions() const override {
    SqliteStore::Options options = StoreTest::StoreOptions();
    options.wal_checkpoint_pages = checkpoint_pages_;
    options.wal_limit_pages = limit_pages_;
    return options;
  }

  void PutMany(int count, const std::string& prefix) {
    for (int i = 0; i < count; ++i) {
      auto put = Put("b", prefix + std::to_string(i), kBody);
      ASSERT_TRUE(put.has_value()) << put.error().message;
    }
  }

  uint64_t WalBytes() const {
    std::error_code ec;
    auto size = fs::file_size(dir_ / "meta.db-wal", ec);
    return ec ? 0 : size;
  }

  int checkpoint_pages_ = 16;
  int limit_pages_ = 1 << 30;  // never, unless a test lowers it
};

TEST_F(WalCheckpointerTest, TheThreadCheckpointsAndCommitsNeverWaitForIt) {
  Reopen();
  MakeBucket("b");
  PutMany(200, "k");
  // The thread is woken by the commits; give it a moment to finish.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (store_->commit_stats().background_checkpoints == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  SqliteStore::CommitStats stats = store_->commit_stats();
  EXPECT_GE(stats.background_checkpoints, 1u);
  EXPECT_EQ(stats.commit_checkpoints, 0u) << "no commit reached the (unreachable) limit";
  for (int i = 0; i < 200; i += 37) {
    EXPECT_EQ(Content("b", "k" + std::to_string(i)), kBody);
  }
}

TEST_F(WalCheckpointerTest, TheWalStaysBoundedWhenWritesNeverPause) {
  limit_pages_ = 64;
  Reopen();
  MakeBucket("b");
  // Four writers back to back: the thread's PASSIVE checkpoints never see the newest frames, so
  // only the commits' own checkpoints at the limit let the WAL start over.
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([this, w] { PutMany(250, "w" + std::to_string(w) + "-"); });
  }
  uint64_t largest = 0;
  for (int i = 0; i < 200; ++i) {
    largest = std::max(largest, WalBytes());
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  for (auto& writer : writers) writer.join();
  largest = std::max(largest, WalBytes());
  SqliteStore::CommitStats stats = store_->commit_stats();
  EXPECT_GE(stats.commit_checkpoints, 1u);
  // 1,000 objects of two or more pages each went through a WAL that never held much more than
  // the limit: at most one batch of commits (four writers) past it.
  const uint64_t frame = 4096 + 24;
  EXPECT_LE(largest, 32 + (64 + 32) * frame) << "WAL of " << largest << " bytes";
  for (int w = 0; w < 4; ++w) {
    EXPECT_EQ(Content("b", "w" + std::to_string(w) + "-249"), kBody);
  }
}

TEST_F(WalCheckpointerTest, ACleanCloseLeavesOnlyTheDatabaseFile) {
  Reopen();
  MakeBucket("b");
  PutMany(50, "k");
  ASSERT_GT(WalBytes(), 0u);
  store_.reset();
  EXPECT_FALSE(fs::exists(dir_ / "meta.db-wal"));
  EXPECT_FALSE(fs::exists(dir_ / "meta.db-shm"));
  Reopen();
  EXPECT_EQ(Content("b", "k49"), kBody);
}

TEST_F(WalCheckpointerTest, TheWalIndexIsInHeapMemoryAndAnOlderExclusiveDatabaseReopens) {
  Reopen();
  MakeBucket("b");
  PutMany(10, "k");
  EXPECT_TRUE(fs::exists(dir_ / "meta.db-wal"));
  EXPECT_FALSE(fs::exists(dir_ / "meta.db-shm")) << "unix-excl keeps the WAL index in the heap";
  // Until 2026-11-22 the store opened meta.db in EXCLUSIVE locking mode through the default VFS:
  // a database written that way opens as before.
  EXPECT_EQ(ExecClosed("PRAGMA locking_mode=EXCLUSIVE; PRAGMA journal_mode=WAL; "
                       "INSERT INTO buckets (name, owner, region, created_ms) "
                       "VALUES ('legacy', '111122223333', 'us-east-1', 1)"),
            "");
  Reopen();
  EXPECT_TRUE(store_->GetBucket("legacy").has_value());
  EXPECT_EQ(Content("b", "k9"), kBody);
}

}  // namespace
}  // namespace logbucket::storage::testing
