// SqliteStore's cache of buckets and bucket settings: every read after a change sees the change,
// whichever method made it.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "tests/unit/storage/store_fixture.h"

namespace logbucket::storage::testing {
namespace {

class BucketCacheTest : public StoreTest {};

TEST_F(BucketCacheTest, SettingsReadAfterEveryKindOfChange) {
  ASSERT_TRUE(store_->CreateBucket(BucketNamed("b")).has_value());
  for (int i = 0; i < 2; ++i) {  // twice: the second read is the cached one
    auto absent = store_->GetBucketSetting("b", "policy");
    ASSERT_TRUE(absent.has_value());
    EXPECT_FALSE(absent->has_value());
  }
  ASSERT_TRUE(store_->PutBucketSetting("b", "policy", "p1").has_value());
  EXPECT_EQ(store_->GetBucketSetting("b", "policy")->value_or(""), "p1");
  EXPECT_EQ(store_->GetBucketSetting("b", "policy")->value_or(""), "p1");
  ASSERT_TRUE(store_->PutBucketSetting("b", "policy", "p2").has_value());
  EXPECT_EQ(store_->GetBucketSetting("b", "policy")->value_or(""), "p2");
  ASSERT_TRUE(store_->DeleteBucketSetting("b", "policy").has_value());
  EXPECT_FALSE(store_->GetBucketSetting("b", "policy")->has_value());
  ASSERT_TRUE(store_->PutBucketSetting("b", "acl", "a").has_value());
  EXPECT_EQ(store_->GetBucketSetting("b", "acl")->value_or(""), "a");
  ASSERT_TRUE(store_->DeleteBucket("b").has_value());
  auto gone = store_->GetBucketSetting("b", "acl");
  ASSERT_FALSE(gone.has_value());
  EXPECT_EQ(gone.error().code, ErrorCode::kBucketNotFound);
  ASSERT_TRUE(store_->CreateBucket(BucketNamed("b")).has_value());
  EXPECT_FALSE(store_->GetBucketSetting("b", "acl")->has_value());
}

TEST_F(BucketCacheTest, BucketsReadAfterDeleteRecreateAndReset) {
  ASSERT_TRUE(store_->CreateBucket(BucketNamed("b", "111111111111")).has_value());
  EXPECT_EQ(store_->GetBucket("b")->owner_account_id, "111111111111");
  EXPECT_EQ(store_->GetBucket("b")->owner_account_id, "111111111111");
  ASSERT_TRUE(store_->DeleteBucket("b").has_value());
  EXPECT_EQ(store_->GetBucket("b").error().code, ErrorCode::kBucketNotFound);
  ASSERT_TRUE(store_->CreateBucket(BucketNamed("b", "222222222222")).has_value());
  EXPECT_EQ(store_->GetBucket("b")->owner_account_id, "222222222222");
  ASSERT_TRUE(store_->PutBucketSetting("b", "policy", "p").has_value());
  EXPECT_TRUE(store_->GetBucketSetting("b", "policy")->has_value());
  ASSERT_TRUE(store_->Reset().has_value());
  EXPECT_EQ(store_->GetBucket("b").error().code, ErrorCode::kBucketNotFound);
  EXPECT_EQ(store_->GetBucketSetting("b", "policy").error().code, ErrorCode::kBucketNotFound);
}

TEST_F(BucketCacheTest, ManyBucketsStayCorrectPastTheBound) {
  for (int i = 0; i < 1100; ++i) {
    const std::string name = "b" + std::to_string(i);
    ASSERT_TRUE(store_->CreateBucket(BucketNamed(name)).has_value());
  }
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 1100; ++i) {
      const std::string name = "b" + std::to_string(i);
      auto bucket = store_->GetBucket(name);
      ASSERT_TRUE(bucket.has_value());
      EXPECT_EQ(bucket->name, name);
      EXPECT_FALSE(store_->GetBucketSetting(name, "policy")->has_value());
    }
  }
}

// Lookups run without the store's mutex first (they must not wait for a write transaction):
// still, a read that starts after a change has returned sees that change, while object writes
// (which hold the mutex in their transactions) run alongside.
TEST_F(BucketCacheTest, ConcurrentReadersNeverSeeASettingOlderThanTheLastReturnedWrite) {
  ASSERT_TRUE(store_->CreateBucket(BucketNamed("b")).has_value());
  ASSERT_TRUE(store_->PutBucketSetting("b", "policy", "0").has_value());
  constexpr int kVersions = 300;
  std::atomic<int> published{0};  // the newest version whose PutBucketSetting returned
  std::atomic<bool> done{false};
  std::atomic<int> stale{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int r = 0; r < 3; ++r) {
    threads.emplace_back([&] {
      while (!done) {
        const int floor = published.load();
        auto value = store_->GetBucketSetting("b", "policy");
        if (!value || !value->has_value()) {
          ++failed;
          continue;
        }
        if (std::stoi(**value) < floor) ++stale;
        if (!store_->GetBucket("b").has_value()) ++failed;
      }
    });
  }
  threads.emplace_back([&] {
    for (int i = 0; !done; ++i) {  // object commits holding the mutex meanwhile
      auto write = store_->BeginWrite({});
      if (!write || !write->Append("x").has_value() ||
          !store_->CommitObject(std::move(*write), ObjectAt("b", "k" + std::to_string(i % 50), "\"e\""))
               .has_value()) {
        ++failed;
      }
    }
  });
  for (int v = 1; v <= kVersions; ++v) {
    ASSERT_TRUE(store_->PutBucketSetting("b", "policy", std::to_string(v)).has_value());
    published = v;
  }
  done = true;
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(stale.load(), 0);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(**store_->GetBucketSetting("b", "policy"), std::to_string(kVersions));
}

}  // namespace
}  // namespace logbucket::storage::testing
