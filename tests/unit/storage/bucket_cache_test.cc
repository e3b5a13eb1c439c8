// SqliteStore's cache of buckets and bucket settings: every read after a change sees the change,
// whichever method made it.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace logbucket::storage::testing
