// Versions in SqliteStore: what writes and deletes do under each versioning state, the null
// version, delete markers, deleting one version, and listing versions page by page.
#include <gtest/gtest.h>

#include <set>

#include "storage/sqlite_store.h"
#include "tests/unit/storage/store_fixture.h"

namespace logbucket::storage::testing {
namespace {

DeleteOptions Expiring(TimestampMs modified_at_most) {
  DeleteOptions options;
  options.modified_at_most = modified_at_most;
  return options;
}

class VersioningTest : public FileStoreTest {
 protected:
  void SetUp() override {
    FileStoreTest::SetUp();
    MakeBucket("v");
  }

  void Enable() { ASSERT_TRUE(store_->SetBucketVersioning("v", Versioning::kEnabled)); }
  void Suspend() { ASSERT_TRUE(store_->SetBucketVersioning("v", Versioning::kSuspended)); }

  ObjectRecord PutOk(const std::string& key, std::string_view bytes) {
    auto put = Put("v", key, bytes);
    EXPECT_TRUE(put.has_value()) << put.error().message;
    return put.value_or(ObjectRecord{});
  }

  std::string VersionContent(const std::string& key, const std::string& version_id) {
    auto reader = store_->OpenVersion("v", key, version_id);
    EXPECT_TRUE(reader.has_value()) << reader.error().message;
    return reader ? ReadAll(*reader) : std::string();
  }

  // "key:version_id:M?L?" for every version, in list order (M: delete marker, L: latest).
  std::vector<std::string> Listing(std::string_view prefix = "") {
    std::vector<std::string> out;
    auto page = store_->ListVersions("v", prefix, "", std::nullopt, 1000);
    EXPECT_TRUE(page.has_value());
    for (const VersionEntry& entry : page->versions) {
      out.push_back(entry.record.key + ":" + entry.record.version_id + ":" +
                    (entry.record.delete_marker ? "M" : "") + (entry.is_latest ? "L" : ""));
    }
    return out;
  }
};

TEST_F(VersioningTest, NeverVersionedBucketsKeepOneNullVersionPerKey) {
  EXPECT_EQ(store_->GetBucket("v")->versioning, "");
  EXPECT_EQ(PutOk("k", "one").version_id, "");
  EXPECT_EQ(PutOk("k", "two").version_id, "");
  EXPECT_EQ(Content("v", "k"), "two");
  EXPECT_EQ(CountFiles("objects"), 1u) << "the replaced bytes are gone";
  EXPECT_EQ(Listing(), std::vector<std::string>{"k::L"});
  auto deleted = store_->DeleteObject("v", "k");
  ASSERT_TRUE(deleted.has_value());
  EXPECT_FALSE(deleted->delete_marker);
  ASSERT_TRUE(deleted->removed.has_value());
  EXPECT_TRUE(Listing().empty());
  EXPECT_EQ(CountFiles("objects"), 0u);
}

TEST_F(VersioningTest, EnabledKeepsEveryVersionAndDeleteAddsAMarker) {
  const ObjectRecord before = PutOk("k", "null-version");
  Enable();
  EXPECT_EQ(store_->GetBucket("v")->versioning, "Enabled");
  const ObjectRecord v1 = PutOk("k", "first");
  const ObjectRecord v2 = PutOk("k", "second");
  EXPECT_EQ(v1.version_id.size(), 32u);
  EXPECT_NE(v1.version_id, v2.version_id);
  EXPECT_EQ(Content("v", "k"), "second");
  EXPECT_EQ(VersionContent("k", v1.version_id), "first");
  EXPECT_EQ(VersionContent("k", ""), "null-version");
  EXPECT_EQ(Listing(), (std::vector<std::string>{"k:" + v2.version_id + ":L",
                                                 "k:" + v1.version_id + ":", "k::"}));

  DeleteOptions by_owner;
  by_owner.owner_account_id = "444455556666";
  auto deleted = store_->DeleteObject("v", "k", by_owner);
  ASSERT_TRUE(deleted.has_value());
  EXPECT_TRUE(deleted->delete_marker);
  EXPECT_FALSE(deleted->removed.has_value()) << "nothing is removed for good";
  const std::string marker = deleted->version_id;
  EXPECT_EQ(marker.size(), 32u);
  EXPECT_EQ(store_->HeadObject("v", "k").error().code, ErrorCode::kObjectNotFound);
  auto latest_marker = store_->LatestDeleteMarker("v", "k");
  ASSERT_TRUE(latest_marker.has_value() && latest_marker->has_value());
  EXPECT_EQ((*latest_marker)->version_id, marker);
  EXPECT_EQ((*latest_marker)->owner_account_id, "444455556666");
  auto head_marker = store_->HeadVersion("v", "k", marker);
  ASSERT_TRUE(head_marker.has_value());
  EXPECT_TRUE(head_marker->delete_marker);
  EXPECT_EQ(VersionContent("k", v2.version_id), "second");
  EXPECT_TRUE(store_->ListObjects("v", "", "", 10)->objects.empty());
  EXPECT_EQ(Listing(), (std::vector<std::string>{"k:" + marker + ":ML", "k:" + v2.version_id + ":",
                                                 "k:" + v1.version_id + ":", "k::"}));
  EXPECT_EQ(store_->DeleteBucket("v").error().code, ErrorCode::kBucketNotEmpty)
      << "versions keep a bucket from being empty";
  EXPECT_EQ(CountFiles("objects"), 3u);
  (void)before;
}

TEST_F(VersioningTest, DeletingTheLatestVersionPromotesTheNextNewest) {
  Enable();
  const ObjectRecord v1 = PutOk("k", "first");
  const ObjectRecord v2 = PutOk("k", "second");
  const std::string marker = store_->DeleteObject("v", "k")->version_id;

  // Removing the marker makes v2 current again.
  auto removed_marker = store_->DeleteVersion("v", "k", marker);
  ASSERT_TRUE(removed_marker.has_value());
  EXPECT_TRUE(removed_marker->delete_marker);
  EXPECT_EQ(removed_marker->version_id, marker);
  EXPECT_EQ(Content("v", "k"), "second");
  EXPECT_FALSE(store_->LatestDeleteMarker("v", "k")->has_value());

  // Removing the current version makes v1 current; its bytes are removed for good.
  auto removed_v2 = store_->DeleteVersion("v", "k", v2.version_id);
  ASSERT_TRUE(removed_v2.has_value());
  ASSERT_TRUE(removed_v2->removed.has_value());
  EXPECT_EQ(removed_v2->removed->version_id, v2.version_id);
  EXPECT_EQ(Content("v", "k"), "first");
  EXPECT_EQ(CountFiles("objects"), 1u);
  EXPECT_EQ(Listing(), std::vector<std::string>{"k:" + v1.version_id + ":L"});

  // only_if_noncurrent leaves the latest version alone.
  auto kept = store_->DeleteVersion("v", "k", v1.version_id, /*only_if_noncurrent=*/true);
  ASSERT_TRUE(kept.has_value());
  EXPECT_FALSE(kept->removed.has_value());
  EXPECT_EQ(Content("v", "k"), "first");

  // A version that does not exist: nothing happens.
  auto none = store_->DeleteVersion("v", "k", "NoSuchVersionIdxxxxxxxxxxxxxxxxx");
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->removed.has_value());
  EXPECT_FALSE(none->delete_marker);
  EXPECT_EQ(store_->HeadVersion("v", "k", "nope").error().code, ErrorCode::kObjectNotFound);

  ASSERT_TRUE(store_->DeleteVersion("v", "k", v1.version_id).has_value());
  EXPECT_TRUE(Listing().empty());
  EXPECT_TRUE(store_->DeleteBucket("v").has_value()) << "no versions left: the bucket is empty";
}

TEST_F(VersioningTest, AMarkerUnderANewerMarkerIsNotLatestAndPromotionSkipsNothing) {
  Enable();
  const ObjectRecord v1 = PutOk("k", "first");
  const std::string m1 = store_->DeleteObject("v", "k")->version_id;
  const std::string m2 = store_->DeleteObject("v", "k")->version_id;
  EXPECT_EQ(Listing(), (std::vector<std::string>{"k:" + m2 + ":ML", "k:" + m1 + ":M",
                                                 "k:" + v1.version_id + ":"}));
  ASSERT_TRUE(store_->DeleteVersion("v", "k", m2).has_value());
  EXPECT_EQ(store_->LatestDeleteMarker("v", "k")->value_or(ObjectRecord{}).version_id, m1)
      << "the older marker is the latest again";
  EXPECT_EQ(Listing(), (std::vector<std::string>{"k:" + m1 + ":ML", "k:" + v1.version_id + ":"}));
  const ObjectRecord v3 = PutOk("k", "third");
  EXPECT_EQ(Listing(), (std::vector<std::string>{"k:" + v3.version_id + ":L", "k:" + m1 + ":M",
                                                 "k:" + v1.version_id + ":"}));
  auto page = store_->ListVersions("v", "", "", std::nullopt, 10);
  ASSERT_TRUE(page.has_value());
  EXPECT_GT(page->versions[1].noncurrent_since_ms, 0) << "the marker stopped being latest";
}

TEST_F(VersioningTest, SuspendedWritesReplaceOnlyTheNullVersion) {
  Enable();
  const ObjectRecord v1 = PutOk("k", "kept");
  Suspend();
  EXPECT_EQ(store_->GetBucket("v")->versioning, "Suspended");
  EXPECT_EQ(PutOk("k", "null-1").version_id, "");
  EXPECT_EQ(PutOk("k", "null-2").version_id, "");
  EXPECT_EQ(Listing(), (std::vector<std::string>{"k::L", "k:" + v1.version_id + ":"}));
  EXPECT_EQ(CountFiles("objects"), 2u) << "null-1 was replaced by null-2";

  // A delete adds a null marker, which replaces the null version.
  auto deleted = store_->DeleteObject("v", "k");
  ASSERT_TRUE(deleted.has_value());
  EXPECT_TRUE(deleted->delete_marker);
  EXPECT_EQ(deleted->version_id, "");
  ASSERT_TRUE(deleted->removed.has_value()) << "the null version is removed for good";
  EXPECT_EQ(Listing(), (std::vector<std::string>{"k::ML", "k:" + v1.version_id + ":"}));
  EXPECT_EQ(CountFiles("objects"), 1u);

  // A new null version replaces the null marker.
  PutOk("k", "null-3");
  EXPECT_EQ(Listing(), (std::vector<std::string>{"k::L", "k:" + v1.version_id + ":"}));
  Enable();
  const ObjectRecord v4 = PutOk("k", "v4");
  EXPECT_EQ(Listing(), (std::vector<std::string>{"k:" + v4.version_id + ":L", "k::",
                                                 "k:" + v1.version_id + ":"}));
  EXPECT_EQ(VersionContent("k", ""), "null-3");
}

TEST_F(VersioningTest, SuspendedDeleteOfANonNullCurrentKeepsIt) {
  Enable();
  const ObjectRecord v1 = PutOk("k", "kept");
  Suspend();
  auto deleted = store_->DeleteObject("v", "k");
  ASSERT_TRUE(deleted.has_value());
  EXPECT_TRUE(deleted->delete_marker);
  EXPECT_FALSE(deleted->removed.has_value());
  EXPECT_EQ(Listing(), (std::vector<std::string>{"k::ML", "k:" + v1.version_id + ":"}));
}

TEST_F(VersioningTest, ExpiryDeletesOnlyAnObjectThatIsStillOld) {
  PutOk("k", "old");
  const TimestampMs found_at = store_->HeadObject("v", "k")->last_modified_ms;
  ObjectRecord newer;
  newer.bucket = "v";
  newer.key = "k";
  newer.etag = "\"n\"";
  newer.last_modified_ms = found_at + 5000;
  ASSERT_TRUE(store_->CommitObject(Pending("rewritten"), newer).has_value());
  auto skipped = store_->DeleteObject("v", "k", Expiring(found_at));
  ASSERT_TRUE(skipped.has_value());
  EXPECT_FALSE(skipped->removed.has_value());
  EXPECT_EQ(Content("v", "k"), "rewritten");
  auto expired = store_->DeleteObject("v", "k", Expiring(found_at + 5000));
  ASSERT_TRUE(expired.has_value());
  EXPECT_TRUE(expired->removed.has_value());
  PutOk("k", "again");
  DeleteOptions stale = Expiring(store_->HeadObject("v", "k")->last_modified_ms);
  stale.expected_etag = "\"not-the-listed-one\"";
  ASSERT_TRUE(store_->DeleteObject("v", "k", stale).has_value());
  EXPECT_EQ(Content("v", "k"), "again") << "a different ETag than listed: not expired";
  auto none = store_->DeleteObject("v", "missing", Expiring(found_at));
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->delete_marker) << "expiry never adds a marker where there is no object";
}

TEST_F(VersioningTest, ConditionsSeeTheCurrentObjectOnly) {
  Enable();
  PutOk("k", "one");
  store_->DeleteObject("v", "k");
  EXPECT_TRUE(Put("v", "k", "again", IfNoneMatch()).has_value())
      << "a delete marker on top means the key does not exist";
  EXPECT_EQ(Put("v", "k", "again", IfNoneMatch()).error().code, ErrorCode::kConditionFailed);
}

TEST_F(VersioningTest, ListingPagesThroughKeysAndVersionsWithMarkers) {
  Enable();
  std::vector<std::string> expected;
  for (const std::string key : {"a", "b/1", "b/2", "c"}) {
    std::vector<std::string> versions;
    for (int i = 0; i < 3; ++i) {
      versions.insert(versions.begin(), PutOk(key, key + std::to_string(i)).version_id);
    }
    if (key == "b/2") {
      versions.insert(versions.begin(), store_->DeleteObject("v", key)->version_id);
    }
    for (const std::string& id : versions) {
      expected.push_back(key + ":" + id);
    }
  }
  // Page through two at a time, continuing from (key, version id) markers.
  for (size_t page_size : {1u, 2u, 5u, 20u}) {
    std::vector<std::string> seen;
    std::string key_marker;
    std::optional<std::string> version_marker;
    for (int guard = 0; guard < 100; ++guard) {
      auto page = store_->ListVersions("v", "", key_marker, version_marker, page_size);
      ASSERT_TRUE(page.has_value()) << page.error().message;
      for (const VersionEntry& entry : page->versions) {
        seen.push_back(entry.record.key + ":" + entry.record.version_id);
      }
      if (!page->truncated) {
        break;
      }
      ASSERT_FALSE(page->versions.empty());
      key_marker = page->versions.back().record.key;
      version_marker = page->versions.back().record.version_id;
    }
    EXPECT_EQ(seen, expected) << "page size " << page_size;
  }
  // A prefix, and a key marker without a version marker (after every version of the key).
  auto b_only = store_->ListVersions("v", "b/", "", std::nullopt, 100);
  ASSERT_TRUE(b_only.has_value());
  EXPECT_EQ(b_only->versions.size(), 7u);
  auto after_b1 = store_->ListVersions("v", "", "b/1", std::nullopt, 100);
  ASSERT_TRUE(after_b1.has_value());
  EXPECT_EQ(after_b1->versions.front().record.key, "b/2");
  EXPECT_TRUE(after_b1->versions.front().record.delete_marker);
  EXPECT_TRUE(after_b1->versions.front().is_latest);
  EXPECT_EQ(store_->ListVersions("v", "", "a", std::string("unknown"), 10).error().code,
            ErrorCode::kObjectNotFound);
}

TEST_F(VersioningTest, VersionsSurviveAReopenAndStayOrdered) {
  Enable();
  const ObjectRecord v1 = PutOk("k", "first");
  Reopen();
  const ObjectRecord v2 = PutOk("k", "second");
  Reopen();
  const std::string marker = store_->DeleteObject("v", "k")->version_id;
  Reopen();
  EXPECT_EQ(Listing(), (std::vector<std::string>{"k:" + marker + ":ML", "k:" + v2.version_id + ":",
                                                 "k:" + v1.version_id + ":"}));
  EXPECT_EQ(VersionContent("k", v1.version_id), "first");
  ASSERT_TRUE(store_->Reset().has_value());
  EXPECT_EQ(CountFiles("objects"), 0u) << "reset removes noncurrent versions' files too";
}

TEST_F(VersioningTest, VersionIdsAreUniqueAndUrlSafe) {
  Enable();
  std::set<std::string> ids;
  for (int i = 0; i < 200; ++i) {
    const std::string id = PutOk("k", "x").version_id;
    EXPECT_EQ(id.find_first_not_of(
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._"),
              std::string::npos);
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 200u);
}

}  // namespace
}  // namespace logbucket::storage::testing
