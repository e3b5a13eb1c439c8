// Multipart uploads: create, parts, listing with markers, complete, abort.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>

#include "tests/unit/storage/store_fixture.h"

namespace logbucket::storage::testing {
namespace {

// File layout: these tests count the part files. inline_test.cc covers inline parts.
class MultipartTest : public FileStoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    MakeBucket("b");
  }

  UploadRecord Create(const std::string& key, TimestampMs initiated = 0) {
    UploadRecord upload;
    upload.bucket = "b";
    upload.key = key;
    upload.initiated_ms = initiated;
    auto created = store_->CreateUpload(upload);
    EXPECT_TRUE(created.has_value());
    return created.value_or(UploadRecord{});
  }

  void Part(const std::string& upload_id, uint32_t number, std::string_view bytes,
            std::string etag = "\"p\"") {
    auto part =
        store_->CommitPart(upload_id, Pending(bytes), PartNumbered(number, std::move(etag)));
    ASSERT_TRUE(part.has_value()) << part.error().message;
    EXPECT_EQ(part->size, bytes.size());
  }

  std::vector<uint32_t> PartNumbers(const std::string& upload_id, uint32_t after, size_t max,
                                    bool* truncated = nullptr) {
    auto page = store_->ListParts(upload_id, after, max);
    EXPECT_TRUE(page.has_value());
    std::vector<uint32_t> numbers;
    if (!page) {
      return numbers;
    }
    for (const auto& part : page->parts) {
      numbers.push_back(part.part_number);
    }
    if (truncated != nullptr) {
      *truncated = page->truncated;
    }
    return numbers;
  }
};

TEST_F(MultipartTest, CreateChoosesAUrlSafeIdAndTime) {
  UploadRecord asked;
  asked.bucket = "b";
  asked.key = "photos/../cat.jpg";
  asked.owner_account_id = "111122223333";
  asked.storage_class = "GLACIER";
  asked.headers = {{"content-type", "image/jpeg"}};
  asked.user_metadata = {{"who", "me"}};
  asked.checksum_algorithm = "CRC32";
  asked.checksum_type = "COMPOSITE";
  auto created = store_->CreateUpload(asked);
  ASSERT_TRUE(created.has_value());
  const std::string& id = created->upload_id;
  EXPECT_GE(id.size(), 32u);
  EXPECT_TRUE(std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  })) << id;
  EXPECT_GT(created->initiated_ms, 0);
  EXPECT_NE(Create("photos/../cat.jpg").upload_id, id) << "ids are unique";

  auto got = store_->GetUpload("b", "photos/../cat.jpg", id);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->owner_account_id, asked.owner_account_id);
  EXPECT_EQ(got->storage_class, "GLACIER");
  EXPECT_EQ(got->headers, asked.headers);
  EXPECT_EQ(got->user_metadata, asked.user_metadata);
  EXPECT_EQ(got->checksum_algorithm, "CRC32");
  EXPECT_EQ(got->checksum_type, "COMPOSITE");
  EXPECT_EQ(got->initiated_ms, created->initiated_ms);

  MakeBucket("other");
  EXPECT_EQ(store_->GetUpload("b", "photos/cat.jpg", id).error().code, ErrorCode::kUploadNotFound);
  EXPECT_EQ(store_->GetUpload("other", "photos/../cat.jpg", id).error().code,
            ErrorCode::kUploadNotFound);
  EXPECT_EQ(store_->GetUpload("b", "photos/../cat.jpg", "nope").error().code,
            ErrorCode::kUploadNotFound);
}

TEST_F(MultipartTest, PartsAreStoredReplacedAndListed) {
  const std::string id = Create("k").upload_id;
  PartRecord with_checksum = PartNumbered(1, "\"one\"");
  with_checksum.checksums = {{"CRC32", "AAAAAA=="}};
  ASSERT_TRUE(store_->CommitPart(id, Pending("111"), with_checksum).has_value());
  Part(id, 2, "22");
  Part(id, 3, "3");
  Part(id, 2, "2222", "\"two-again\"");
  EXPECT_EQ(CountFiles("objects"), 3u) << "the replaced part's file is unlinked";

  auto all = store_->ListParts(id, 0, 100);
  ASSERT_TRUE(all.has_value());
  ASSERT_EQ(all->parts.size(), 3u);
  EXPECT_FALSE(all->truncated);
  EXPECT_EQ(all->parts[0].checksums, with_checksum.checksums);
  EXPECT_EQ(all->parts[0].etag, "\"one\"");
  EXPECT_EQ(all->parts[1].size, 4u);
  EXPECT_EQ(all->parts[1].etag, "\"two-again\"");
  EXPECT_GT(all->parts[1].last_modified_ms, 0);

  bool truncated = false;
  EXPECT_EQ(PartNumbers(id, 0, 2, &truncated), (std::vector<uint32_t>{1, 2}));
  EXPECT_TRUE(truncated);
  EXPECT_EQ(PartNumbers(id, 2, 2, &truncated), (std::vector<uint32_t>{3}));
  EXPECT_FALSE(truncated);
  EXPECT_EQ(PartNumbers(id, 3, 2, &truncated), (std::vector<uint32_t>{}));

  auto unknown = store_->CommitPart("nope", Pending("x"), PartNumbered(1));
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code, ErrorCode::kUploadNotFound);
  EXPECT_EQ(store_->ListParts("nope", 0, 10).error().code, ErrorCode::kUploadNotFound);
  EXPECT_EQ(CountFiles("objects"), 3u) << "a refused part leaves no file";
  EXPECT_EQ(CountFiles("tmp"), 0u);
}

TEST_F(MultipartTest, CompleteConcatenatesTheNamedPartsInOrder) {
  const std::string id = Create("big").upload_id;
  // Parts large enough to take several copy calls, with distinct contents.
  std::string one(5 * 1024 * 1024 + 3, 'a');
  for (size_t i = 0; i < one.size(); i += 4093) {
    one[i] = static_cast<char>('A' + i % 26);
  }
  const std::string two = "second part";
  const std::string three(1024 * 1024, 'c');
  Part(id, 1, one);
  Part(id, 2, two);
  Part(id, 3, three);
  Part(id, 4, "never named");

  ObjectRecord record = ObjectAt("", "", "\"abc-3\"");
  record.owner_account_id = "111122223333";
  record.user_metadata = {{"x", "y"}};
  auto done = store_->CompleteUpload(id, {1, 2, 3}, record);
  ASSERT_TRUE(done.has_value()) << done.error().message;
  EXPECT_EQ(done->bucket, "b");
  EXPECT_EQ(done->key, "big");
  EXPECT_EQ(done->size, one.size() + two.size() + three.size());
  EXPECT_EQ(done->part_sizes, (std::vector<uint64_t>{one.size(), two.size(), three.size()}));
  EXPECT_EQ(done->parts_count, 3u);

  auto head = store_->HeadObject("b", "big");
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->etag, "\"abc-3\"");
  EXPECT_EQ(head->part_sizes, done->part_sizes);
  EXPECT_EQ(head->user_metadata, record.user_metadata);
  EXPECT_TRUE(Content("b", "big") == one + two + three);

  EXPECT_EQ(store_->GetUpload("b", "big", id).error().code, ErrorCode::kUploadNotFound);
  EXPECT_EQ(store_->ListParts(id, 0, 10).error().code, ErrorCode::kUploadNotFound);
  EXPECT_EQ(CountFiles("objects"), 1u) << "all part files, named or not, are removed";
  EXPECT_EQ(CountFiles("tmp"), 0u);
}

TEST_F(MultipartTest, CompleteInAnyGivenOrderAndReplacingAnObject) {
  ASSERT_TRUE(Put("b", "k", "previous").has_value());
  auto old_reader = store_->OpenObject("b", "k");
  ASSERT_TRUE(old_reader.has_value());
  const std::string id = Create("k").upload_id;
  Part(id, 1, "one-");
  Part(id, 2, "two-");
  ASSERT_TRUE(store_->CompleteUpload(id, {2, 1}, {}).has_value());
  EXPECT_EQ(Content("b", "k"), "two-one-");
  EXPECT_EQ(ReadAll(*old_reader), "previous");
  EXPECT_EQ(CountFiles("objects"), 1u);
}

TEST_F(MultipartTest, CompleteFailuresChangeNothing) {
  ASSERT_TRUE(Put("b", "k", "existing").has_value());
  const std::string id = Create("k").upload_id;
  Part(id, 1, "p1");

  auto missing_part = store_->CompleteUpload(id, {1, 2}, {});
  ASSERT_FALSE(missing_part.has_value());
  EXPECT_EQ(missing_part.error().code, ErrorCode::kPartNotFound);

  // A part replaced after the caller validated its ETag is not concatenated.
  auto stale = store_->CompleteUpload(id, {1}, {}, {}, {"\"validated-earlier\""});
  ASSERT_FALSE(stale.has_value());
  EXPECT_EQ(stale.error().code, ErrorCode::kPartNotFound);

  auto condition = store_->CompleteUpload(id, {1}, {}, IfNoneMatch());
  ASSERT_FALSE(condition.has_value());
  EXPECT_EQ(condition.error().code, ErrorCode::kConditionFailed);

  EXPECT_EQ(store_->CompleteUpload("nope", {1}, {}).error().code, ErrorCode::kUploadNotFound);
  EXPECT_EQ(Content("b", "k"), "existing");
  EXPECT_EQ(PartNumbers(id, 0, 10), (std::vector<uint32_t>{1}));
  EXPECT_EQ(CountFiles("objects"), 2u);
  EXPECT_EQ(CountFiles("tmp"), 0u);

  auto matched = store_->CompleteUpload(id, {1}, {}, IfMatch("\"e\""));
  ASSERT_TRUE(matched.has_value());
  EXPECT_EQ(Content("b", "k"), "p1");
}

TEST_F(MultipartTest, AbortRemovesTheUploadAndItsParts) {
  const std::string id = Create("k").upload_id;
  Part(id, 1, "p1");
  Part(id, 2, "p2");
  ASSERT_TRUE(store_->AbortUpload(id).has_value());
  EXPECT_EQ(store_->AbortUpload(id).error().code, ErrorCode::kUploadNotFound);
  EXPECT_EQ(store_->GetUpload("b", "k", id).error().code, ErrorCode::kUploadNotFound);
  EXPECT_EQ(store_->CompleteUpload(id, {1}, {}).error().code, ErrorCode::kUploadNotFound);
  EXPECT_EQ(CountFiles("objects"), 0u);
  EXPECT_EQ(store_->HeadObject("b", "k").error().code, ErrorCode::kObjectNotFound);
}

struct UploadListCase {
  std::string name;
  std::string prefix;
  std::string key_marker;
  std::string upload_id_marker;  // a label of the fixture ("a1"...) or a literal id
  size_t max_uploads;
  std::vector<std::string> expected;  // labels
  bool truncated;
};

TEST_F(MultipartTest, ListUploadsOrderAndMarkers) {
  // Labels map to uploads; "a2" was initiated before "a1" so it sorts first within key "a".
  std::map<std::string, std::string> id_of;
  std::map<std::string, std::string> label_of;
  auto add = [&](const std::string& label, const std::string& key, TimestampMs initiated) {
    const std::string id = Create(key, initiated).upload_id;
    id_of[label] = id;
    label_of[id] = label;
  };
  add("a1", "a", 2000);
  add("a2", "a", 1000);
  add("a3", "a", 3000);
  add("ab", "a/b", 1500);
  add("b", "b", 500);
  add("c", "c/d", 100);
  MakeBucket("other");
  ASSERT_TRUE(store_->CreateUpload(UploadFor("other", "a")).has_value());

  const std::vector<UploadListCase> cases = {
      {"all", "", "", "", 100, {"a2", "a1", "a3", "ab", "b", "c"}, false},
      {"first page", "", "", "", 2, {"a2", "a1"}, true},
      {"key marker alone skips the key", "", "a", "", 100, {"ab", "b", "c"}, false},
      {"key and id markers resume within the key",
       "",
       "a",
       "a2",
       100,
       {"a1", "a3", "ab", "b", "c"},
       false},
      {"resume after the last of a key", "", "a", "a3", 100, {"ab", "b", "c"}, false},
      {"id marker without key marker is ignored",
       "",
       "",
       "a1",
       100,
       {"a2", "a1", "a3", "ab", "b", "c"},
       false},
      {"prefix", "a/", "", "", 100, {"ab"}, false},
      {"prefix and marker", "a", "a", "a1", 100, {"a3", "ab"}, false},
      {"paged within a key", "", "a", "a2", 1, {"a1"}, true},
      {"marker past everything", "", "zzz", "", 100, {}, false},
  };
  for (const UploadListCase& c : cases) {
    const std::string marker =
        id_of.contains(c.upload_id_marker) ? id_of[c.upload_id_marker] : c.upload_id_marker;
    auto page = store_->ListUploads("b", c.prefix, c.key_marker, marker, c.max_uploads);
    ASSERT_TRUE(page.has_value()) << c.name;
    std::vector<std::string> labels;
    for (const UploadRecord& upload : page->uploads) {
      EXPECT_EQ(upload.bucket, "b") << c.name;
      labels.push_back(label_of[upload.upload_id]);
    }
    EXPECT_EQ(labels, c.expected) << c.name;
    EXPECT_EQ(page->truncated, c.truncated) << c.name;
  }

  // Walking page by page with the returned markers visits every upload once, in order.
  std::vector<std::string> walked;
  std::string key_marker;
  std::string id_marker;
  while (true) {
    auto page = store_->ListUploads("b", "", key_marker, id_marker, 2);
    ASSERT_TRUE(page.has_value());
    for (const UploadRecord& upload : page->uploads) {
      walked.push_back(label_of[upload.upload_id]);
    }
    if (!page->truncated) {
      break;
    }
    key_marker = page->uploads.back().key;
    id_marker = page->uploads.back().upload_id;
  }
  EXPECT_EQ(walked, (std::vector<std::string>{"a2", "a1", "a3", "ab", "b", "c"}));
  EXPECT_EQ(store_->ListUploads("nope", "", "", "", 10).error().code, ErrorCode::kBucketNotFound);
}

TEST_F(MultipartTest, UnknownUploadIdMarkerComparesIds) {
  const std::string first = Create("k", 1000).upload_id;
  const std::string second = Create("k", 2000).upload_id;
  const std::string lower = std::min(first, second);
  const std::string higher = std::max(first, second);
  // A marker that sorts between the two ids (but names no upload) keeps only the higher id.
  std::string between = lower;
  between.push_back('~');
  ASSERT_LT(between, higher);
  auto page = store_->ListUploads("b", "", "k", between, 10);
  ASSERT_TRUE(page.has_value());
  ASSERT_EQ(page->uploads.size(), 1u);
  EXPECT_EQ(page->uploads[0].upload_id, higher);
}

}  // namespace
}  // namespace logbucket::storage::testing
