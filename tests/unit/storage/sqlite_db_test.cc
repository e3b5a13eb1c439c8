// Database's write generation: which statements advance it (those that may write a watched
// table, however they are run) and which do not.
#include "storage/sqlite_db.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace logbucket::storage {
namespace {

namespace fs = std::filesystem;

class SqliteDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sqlite-db-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto db = Database::Open(dir_ / "t.db", false);
    ASSERT_TRUE(db.has_value()) << db.error().message;
    db_ = std::move(*db);
    ASSERT_TRUE(db_->Exec("CREATE TABLE watched (k TEXT PRIMARY KEY, v TEXT) WITHOUT ROWID;"
                          "CREATE TABLE other (k TEXT PRIMARY KEY, v TEXT);")
                    .has_value());
    db_->WatchTables({"watched"});
  }
  void TearDown() override {
    db_.reset();
    fs::remove_all(dir_);
  }

  // Prepares and runs `sql` (static storage: the statement cache keys on it).
  void Run(const char* sql) {
    auto stmt = db_->Prepare(sql);
    ASSERT_TRUE(stmt.has_value()) << stmt.error().message;
    ASSERT_TRUE(stmt->Run().has_value());
  }

  fs::path dir_;
  std::unique_ptr<Database> db_;
};

TEST_F(SqliteDbTest, WritesToWatchedTablesAdvanceTheGeneration) {
  uint64_t g = db_->WriteGeneration();
  Run("INSERT INTO watched (k, v) VALUES ('a', '1')");
  EXPECT_GT(db_->WriteGeneration(), g);
  g = db_->WriteGeneration();
  Run("UPDATE watched SET v = '2' WHERE k = 'a'");
  EXPECT_GT(db_->WriteGeneration(), g);
  g = db_->WriteGeneration();
  // The same cached statement again: it still counts.
  Run("UPDATE watched SET v = '2' WHERE k = 'a'");
  EXPECT_GT(db_->WriteGeneration(), g);
  g = db_->WriteGeneration();
  // A write that changes no row counts too (the generation is conservative).
  Run("DELETE FROM watched WHERE k = 'none'");
  EXPECT_GT(db_->WriteGeneration(), g);
  g = db_->WriteGeneration();
  ASSERT_TRUE(db_->Exec("DELETE FROM watched").has_value());
  EXPECT_GT(db_->WriteGeneration(), g);
  g = db_->WriteGeneration();
  // Table names are case-insensitive in SQL.
  ASSERT_TRUE(db_->Exec("INSERT INTO WATCHED (k, v) VALUES ('b', '1')").has_value());
  EXPECT_GT(db_->WriteGeneration(), g);
}

TEST_F(SqliteDbTest, ReadsAndOtherTablesLeaveTheGenerationAlone) {
  Run("INSERT INTO watched (k, v) VALUES ('a', '1')");
  const uint64_t g = db_->WriteGeneration();
  Run("SELECT v FROM watched WHERE k = 'a'");
  Run("INSERT INTO other (k, v) VALUES ('a', '1')");
  Run("DELETE FROM other WHERE k = 'a'");
  ASSERT_TRUE(db_->Exec("UPDATE other SET v = 'x'").has_value());
  EXPECT_EQ(db_->WriteGeneration(), g);
}

TEST_F(SqliteDbTest, AWriteInsideARolledBackTransactionStillCounts) {
  const uint64_t g = db_->WriteGeneration();
  {
    auto tx = Transaction::Begin(*db_);
    ASSERT_TRUE(tx.has_value());
    Run("INSERT INTO watched (k, v) VALUES ('c', '1')");
  }  // rolled back
  EXPECT_GT(db_->WriteGeneration(), g);
}

}  // namespace
}  // namespace logbucket::storage
