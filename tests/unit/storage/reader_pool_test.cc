// The read-only connections of OpenObject and HeadObject (storage/reader_pool.h): what they read
// is what the writer committed, they never see a data file a replace removed, and the store works
// the same without them.
#include "storage/reader_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>

#include "tests/unit/storage/store_fixture.h"

namespace logbucket::storage::testing {
namespace {

TEST_F(StoreTest, ReaderPoolHandsOutDistinctConnectionsThatRefuseWrites) {
  // A pool of its own beside the store's, on the database the store created.
  auto pool = ReaderPool::Open(dir_ / "meta.db", 2, 1024);
  ASSERT_TRUE(pool.has_value()) << pool.error().message;
  auto first = (*pool)->Acquire();
  auto second = (*pool)->Acquire();  // the first is held: the other one
  EXPECT_NE(&first.db(), &second.db());
  auto count = first.db().Prepare("SELECT COUNT(*) FROM buckets");
  ASSERT_TRUE(count.has_value());
  auto row = count->Step();
  ASSERT_TRUE(row.has_value() && *row);
  EXPECT_EQ(count->ColumnInt(0), 0);
  EXPECT_FALSE(second.db().Exec("DELETE FROM buckets").has_value());  // query_only
}

TEST_F(StoreTest, ReadsThroughReadersSeeEveryCommitAtOnce) {
  MakeBucket("b");
  for (int i = 0; i < 200; ++i) {
    const std::string etag = "\"" + std::to_string(i) + "\"";
    ASSERT_TRUE(Put("b", "k", "body" + std::to_string(i), {}, etag).has_value());
    auto head = store_->HeadObject("b", "k");
    ASSERT_TRUE(head.has_value()) << head.error().message;
    EXPECT_EQ(head->etag, etag);
    EXPECT_EQ(Content("b", "k"), "body" + std::to_string(i));
  }
  ASSERT_TRUE(store_->DeleteObject("b", "k").has_value());
  EXPECT_EQ(store_->OpenObject("b", "k").error().code, ErrorCode::kObjectNotFound);
  EXPECT_EQ(store_->HeadObject("b", "k").error().code, ErrorCode::kObjectNotFound);
  EXPECT_EQ(store_->OpenObject("nope", "k").error().code, ErrorCode::kBucketNotFound);
  EXPECT_EQ(store_->HeadObject("nope", "k").error().code, ErrorCode::kBucketNotFound);
}

// A reader reads the row of the file-backed object, a replace commits and removes that file, then
// the reader opens it: the store must answer with the new object, not a missing file.
TEST_F(FileStoreTest, OpenDuringReplacesNeverFindsTheFileGone) {
  MakeBucket("b");
  ASSERT_TRUE(Put("b", "k", std::string(3000, 'a')).has_value());
  std::atomic<bool> done{false};
  std::atomic<int> writer_failures{0};
  std::thread writer([&] {
    for (int i = 0; i < 400; ++i) {
      if (!Put("b", "k", std::string(3000, static_cast<char>('a' + i % 26)))) {
        ++writer_failures;
      }
    }
    done = true;
  });
  int opens = 0, failures = 0;
  std::string first_failure;
  while (!done) {
    auto reader = store_->OpenObject("b", "k");
    ++opens;
    if (!reader) {
      if (failures++ == 0) first_failure = reader.error().message;
      continue;
    }
    const std::string body = ReadAll(*reader);
    if (body.size() != 3000 || body.find_first_not_of(body[0]) != std::string::npos) {
      if (failures++ == 0) first_failure = "a torn body";
    }
  }
  writer.join();
  EXPECT_EQ(writer_failures.load(), 0);
  EXPECT_GT(opens, 0);
  EXPECT_EQ(failures, 0) << "of " << opens << " opens; first: " << first_failure;
}

class NoReaderStoreTest : public StoreTest {
 protected:
  SqliteStore::Options StoreOptions() const override {
    SqliteStore::Options options = StoreTest::StoreOptions();
    options.reader_connections = 0;
    return options;
  }
};

TEST_F(NoReaderStoreTest, WithoutReadersLookupsGoThroughTheWriter) {
  MakeBucket("b");
  ASSERT_TRUE(Put("b", "k", "bytes", {}, "\"x\"").has_value());
  EXPECT_EQ(Content("b", "k"), "bytes");
  auto head = store_->HeadObject("b", "k");
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->etag, "\"x\"");
  EXPECT_EQ(store_->OpenObject("b", "nope").error().code, ErrorCode::kObjectNotFound);
  EXPECT_EQ(store_->HeadObject("nope", "k").error().code, ErrorCode::kBucketNotFound);
}

}  // namespace
}  // namespace logbucket::storage::testing
