// GroupCommit: bodies that queue while a transaction runs share the next one; a failing body is
// rolled back alone; every caller returns after the commit that holds its changes.
#include "storage/group_commit.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "storage/sqlite_db.h"

namespace logbucket::storage {
namespace {

namespace fs = std::filesystem;

class GroupCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("group-commit-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto db = Database::Open(dir_ / "t.db", false);
    ASSERT_TRUE(db.has_value()) << db.error().message;
    db_ = std::move(*db);
    ASSERT_TRUE(db_->Exec("CREATE TABLE rows (k TEXT PRIMARY KEY) WITHOUT ROWID;").has_value());
  }
  void TearDown() override {
    db_.reset();
    fs::remove_all(dir_);
  }

  static std::expected<void, Error> Insert(Database& db, const std::string& key) {
    auto stmt = db.Prepare("INSERT INTO rows (k) VALUES (?1)");
    if (!stmt) return std::unexpected(std::move(stmt.error()));
    stmt->BindText(1, key);
    return stmt->Run();
  }

  // Run with an insert of `key`; `fail` makes the body fail after its insert.
  std::expected<void, Error> InsertCommitted(const std::string& key, bool fail = false) {
    auto body = [&](Database& db) -> std::expected<void, Error> {
      if (auto inserted = Insert(db, key); !inserted) return inserted;
      if (fail) return std::unexpected(Error{ErrorCode::kConditionFailed, "refused"});
      return {};
    };
    return commit_.Run(mu_, *db_, body);
  }

  bool Has(const std::string& key) {
    std::lock_guard lock(mu_);
    auto stmt = db_->Prepare("SELECT 1 FROM rows WHERE k = ?1");
    EXPECT_TRUE(stmt.has_value());
    stmt->BindText(1, key);
    auto row = stmt->Step();
    return row.has_value() && *row;
  }

  int64_t Count() {
    std::lock_guard lock(mu_);
    auto stmt = db_->Prepare("SELECT count(*) FROM rows");
    EXPECT_TRUE(stmt.has_value());
    EXPECT_TRUE(stmt->Step().value_or(false));
    return stmt->ColumnInt(0);
  }

  fs::path dir_;
  std::unique_ptr<Database> db_;
  std::mutex mu_;
  GroupCommit commit_;
};

TEST_F(GroupCommitTest, OneBodyCommitsOrRollsBack) {
  ASSERT_TRUE(InsertCommitted("a").has_value());
  auto refused = InsertCommitted("b", /*fail=*/true);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kConditionFailed);
  EXPECT_TRUE(Has("a"));
  EXPECT_FALSE(Has("b"));
  // A body that fails in SQLite itself (duplicate key) leaves the table as it was.
  EXPECT_FALSE(InsertCommitted("a").has_value());
  EXPECT_EQ(Count(), 1);
  EXPECT_EQ(commit_.stats().transactions, 3u);
}

TEST_F(GroupCommitTest, BodiesQueuedDuringATransactionShareTheNextOneAndFailAlone) {
  // The first body holds its transaction open until four more callers have queued.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> first_running{false};
  auto first = std::async(std::launch::async, [&] {
    auto body = [&](Database& db) -> std::expected<void, Error> {
      first_running = true;
      released.wait();
      return Insert(db, "first");
    };
    return commit_.Run(mu_, *db_, body);
  });
  while (!first_running) std::this_thread::yield();
  std::vector<std::future<std::expected<void, Error>>> queued;
  for (int i = 0; i < 4; ++i) {
    queued.push_back(std::async(std::launch::async, [this, i] {
      return InsertCommitted("q" + std::to_string(i), /*fail=*/i == 2);
    }));
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (commit_.queued() < 4 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(commit_.queued(), 4u);
  release.set_value();
  ASSERT_TRUE(first.get().has_value());
  for (int i = 0; i < 4; ++i) {
    auto result = queued[i].get();
    EXPECT_EQ(result.has_value(), i != 2) << i;
  }
  EXPECT_TRUE(Has("first"));
  EXPECT_TRUE(Has("q0"));
  EXPECT_TRUE(Has("q1"));
  EXPECT_FALSE(Has("q2"));  // rolled back alone
  EXPECT_TRUE(Has("q3"));
  GroupCommit::Stats stats = commit_.stats();
  EXPECT_EQ(stats.bodies, 5u);
  EXPECT_EQ(stats.transactions, 2u);  // "first" alone, then the four queued together
}

TEST_F(GroupCommitTest, ConcurrentCallersAllCommitExactlyTheirRows) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 200;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        // Every seventh body fails after its insert; its row must not survive.
        bool fail = (i % 7) == 3;
        auto result = InsertCommitted("t" + std::to_string(t) + "-" + std::to_string(i), fail);
        if (result.has_value() == fail) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  int expected = 0;
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      bool kept = (i % 7) != 3;
      expected += kept ? 1 : 0;
      ASSERT_EQ(Has("t" + std::to_string(t) + "-" + std::to_string(i)), kept) << t << " " << i;
    }
  }
  EXPECT_EQ(Count(), expected);
  GroupCommit::Stats stats = commit_.stats();
  EXPECT_EQ(stats.bodies, static_cast<uint64_t>(kThreads * kPerThread));
  EXPECT_LE(stats.transactions, stats.bodies);
}

}  // namespace
}  // namespace logbucket::storage
