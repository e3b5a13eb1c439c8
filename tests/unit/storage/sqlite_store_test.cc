#include "storage/sqlite_store.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "tests/unit/storage/store_fixture.h"

namespace logbucket::storage::testing {
namespace {

TEST_F(StoreTest, BucketsAreCreatedListedAndDeleted) {
  MakeBucket("zeta");
  MakeBucket("alpha");
  auto bucket = store_->GetBucket("alpha");
  ASSERT_TRUE(bucket.has_value());
  EXPECT_EQ(bucket->owner_account_id, "111122223333");
  EXPECT_EQ(bucket->region, "us-east-1");
  EXPECT_GT(bucket->created_ms, 0) << "created_ms 0 means now";

  auto duplicate = store_->CreateBucket(BucketNamed("alpha", "999999999999"));
  ASSERT_FALSE(duplicate.has_value());
  EXPECT_EQ(duplicate.error().code, ErrorCode::kBucketExists);
  EXPECT_EQ(store_->GetBucket("alpha")->owner_account_id, "111122223333");

  auto all = store_->ListBuckets();
  ASSERT_TRUE(all.has_value());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "alpha");
  EXPECT_EQ((*all)[1].name, "zeta");

  ASSERT_TRUE(store_->DeleteBucket("alpha").has_value());
  EXPECT_EQ(store_->GetBucket("alpha").error().code, ErrorCode::kBucketNotFound);
  EXPECT_EQ(store_->DeleteBucket("alpha").error().code, ErrorCode::kBucketNotFound);
  EXPECT_EQ(store_->ListBuckets()->size(), 1u);
}

TEST_F(FileStoreTest, DeleteBucketRefusesWhileObjectsRemainThenRemovesEverythingElse) {
  MakeBucket("b");
  ASSERT_TRUE(Put("b", "k", "bytes").has_value());
  ASSERT_TRUE(store_->PutBucketSetting("b", "logging", "<xml/>").has_value());
  auto upload = store_->CreateUpload(UploadFor("b", "big"));
  ASSERT_TRUE(upload.has_value());
  ASSERT_TRUE(store_->CommitPart(upload->upload_id, Pending("part"), PartNumbered(1)));

  auto refused = store_->DeleteBucket("b");
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kBucketNotEmpty);
  EXPECT_TRUE(store_->GetBucket("b").has_value());

  ASSERT_TRUE(store_->DeleteObject("b", "k").has_value());
  ASSERT_TRUE(store_->DeleteBucket("b").has_value());
  EXPECT_EQ(CountFiles("objects"), 0u) << "the part's file is removed with its upload";
  EXPECT_EQ(store_->ListBucketSettings("logging")->size(), 0u);
  EXPECT_EQ(store_->ListParts(upload->upload_id, 0, 10).error().code, ErrorCode::kUploadNotFound);

  // The name is free again and the new bucket starts empty.
  MakeBucket("b");
  EXPECT_EQ(store_->GetBucketSetting("b", "logging")->has_value(), false);
}

TEST_F(StoreTest, BucketSettingsPutGetDeleteList) {
  MakeBucket("one");
  MakeBucket("two");
  MakeBucket("three");
  ASSERT_TRUE(store_->PutBucketSetting("two", "logging", "v2").has_value());
  ASSERT_TRUE(store_->PutBucketSetting("one", "logging", "v1").has_value());
  ASSERT_TRUE(store_->PutBucketSetting("one", "policy", "p1").has_value());
  ASSERT_TRUE(store_->PutBucketSetting("one", "logging", "v1-new").has_value());

  EXPECT_EQ(store_->GetBucketSetting("one", "logging")->value_or(""), "v1-new");
  EXPECT_EQ(store_->GetBucketSetting("three", "logging")->has_value(), false);
  EXPECT_EQ(store_->GetBucketSetting("nope", "logging").error().code, ErrorCode::kBucketNotFound);

  auto logging = store_->ListBucketSettings("logging");
  ASSERT_TRUE(logging.has_value());
  const std::vector<std::pair<std::string, std::string>> expected = {{"one", "v1-new"},
                                                                     {"two", "v2"}};
  EXPECT_EQ(*logging, expected);

  ASSERT_TRUE(store_->DeleteBucketSetting("one", "logging").has_value());
  ASSERT_TRUE(store_->DeleteBucketSetting("one", "logging").has_value()) << "absent is fine";
  EXPECT_EQ(store_->GetBucketSetting("one", "logging")->has_value(), false);
  EXPECT_EQ(store_->GetBucketSetting("one", "policy")->value_or(""), "p1");
  EXPECT_EQ(store_->PutBucketSetting("nope", "x", "y").error().code, ErrorCode::kBucketNotFound);
  EXPECT_EQ(store_->DeleteBucketSetting("nope", "x").error().code, ErrorCode::kBucketNotFound);
}

TEST_F(StoreTest, SettingValuesAreOpaqueBytes) {
  MakeBucket("b");
  const std::string value("a\0b\xff\xfe<x>", 8);
  ASSERT_TRUE(store_->PutBucketSetting("b", "acl", value).has_value());
  EXPECT_EQ(store_->GetBucketSetting("b", "acl")->value_or(""), value);
}

TEST_F(FileStoreTest, ObjectCommitHeadOpenReadDelete) {
  MakeBucket("b");
  ObjectRecord record;
  record.bucket = "b";
  record.key = "dir/file.txt";
  record.size = 999;  // overwritten by storage
  record.etag = "\"9b2cf535f27731c974343645a3985328\"";
  record.last_modified_ms = 1700000000123;
  record.owner_account_id = "111122223333";
  record.storage_class = "STANDARD_IA";
  record.headers = {{"content-type", "text/plain"}, {"cache-control", "no-cache"}};
  record.user_metadata = {{"colour", "bleu \xe9 latin-1 byte"}, {"empty", ""}};
  record.checksums = {{"CRC32", "AAAAAA=="}, {"SHA256", "abc="}};
  record.checksum_type = "FULL_OBJECT";
  const std::string body = "hello, world: more than seven bytes";
  auto committed = store_->CommitObject(Pending(body), record);
  ASSERT_TRUE(committed.has_value()) << committed.error().message;
  EXPECT_EQ(committed->size, body.size());

  auto head = store_->HeadObject("b", "dir/file.txt");
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->size, body.size());
  EXPECT_EQ(head->etag, record.etag);
  EXPECT_EQ(head->last_modified_ms, record.last_modified_ms);
  EXPECT_EQ(head->owner_account_id, record.owner_account_id);
  EXPECT_EQ(head->storage_class, "STANDARD_IA");
  EXPECT_EQ(head->headers, record.headers);
  EXPECT_EQ(head->user_metadata, record.user_metadata);
  EXPECT_EQ(head->checksums, record.checksums);
  EXPECT_EQ(head->checksum_type, "FULL_OBJECT");
  EXPECT_EQ(head->parts_count, 0u);
  EXPECT_TRUE(head->part_sizes.empty());

  EXPECT_EQ(Content("b", "dir/file.txt"), body);
  auto reader = store_->OpenObject("b", "dir/file.txt");
  ASSERT_TRUE(reader.has_value());
  std::vector<char> tail(100);
  EXPECT_EQ(reader->ReadAt(body.size() - 5, tail).value_or(0), 5u);
  EXPECT_EQ(reader->ReadAt(body.size() + 10, tail).value_or(1), 0u);
  EXPECT_GE(reader->fd(), 0);
  EXPECT_EQ(reader->record().etag, record.etag);

  auto removed = store_->DeleteObject("b", "dir/file.txt");
  ASSERT_TRUE(removed.has_value());
  ASSERT_TRUE(removed->removed.has_value());
  EXPECT_EQ(removed->removed->etag, record.etag);
  EXPECT_FALSE(removed->delete_marker);
  EXPECT_FALSE(store_->DeleteObject("b", "dir/file.txt")->removed.has_value());
  EXPECT_EQ(store_->HeadObject("b", "dir/file.txt").error().code, ErrorCode::kObjectNotFound);
  EXPECT_EQ(store_->OpenObject("b", "dir/file.txt").error().code, ErrorCode::kObjectNotFound);
  EXPECT_EQ(ReadAll(*reader), body) << "a reader outlives the deletion";
  EXPECT_EQ(CountFiles("objects"), 0u);
}

TEST_F(FileStoreTest, MissingBucketIsReportedAsSuch) {
  EXPECT_EQ(Put("nope", "k", "x").error().code, ErrorCode::kBucketNotFound);
  EXPECT_EQ(store_->HeadObject("nope", "k").error().code, ErrorCode::kBucketNotFound);
  EXPECT_EQ(store_->OpenObject("nope", "k").error().code, ErrorCode::kBucketNotFound);
  EXPECT_EQ(store_->DeleteObject("nope", "k").error().code, ErrorCode::kBucketNotFound);
  EXPECT_EQ(store_->ListObjects("nope", "", "", 10).error().code, ErrorCode::kBucketNotFound);
  EXPECT_EQ(store_->CreateUpload(UploadFor("nope", "k")).error().code, ErrorCode::kBucketNotFound);
  EXPECT_EQ(CountFiles("objects") + CountFiles("tmp"), 0u) << "failed commits leave no file";
}

TEST_F(StoreTest, EmptyAndLargeObjects) {
  MakeBucket("b");
  ASSERT_TRUE(Put("b", "empty", "").has_value());
  EXPECT_EQ(store_->HeadObject("b", "empty")->size, 0u);
  EXPECT_EQ(Content("b", "empty"), "");

  std::string big(3 * 1024 * 1024 + 17, '\0');
  for (size_t i = 0; i < big.size(); ++i) {
    big[i] = static_cast<char>(i * 7 + i / 4096);
  }
  auto data = store_->BeginWrite();
  ASSERT_TRUE(data.has_value());
  for (size_t at = 0; at < big.size(); at += 65536) {
    ASSERT_TRUE(data->Append(std::string_view(big).substr(at, 65536)).has_value());
  }
  EXPECT_EQ(data->size(), big.size());
  ASSERT_TRUE(store_->CommitObject(std::move(*data), ObjectAt("b", "big")).has_value());
  auto reader = store_->OpenObject("b", "big");
  ASSERT_TRUE(reader.has_value());
  std::string read(big.size(), '\0');
  EXPECT_EQ(reader->ReadAt(0, read).value_or(0), big.size());
  EXPECT_TRUE(read == big);
}

TEST_F(FileStoreTest, ReplaceKeepsAnOpenReaderOnTheOldBytes) {
  MakeBucket("b");
  ASSERT_TRUE(Put("b", "k", "old bytes", {}, "\"old\"").has_value());
  auto old_reader = store_->OpenObject("b", "k");
  ASSERT_TRUE(old_reader.has_value());
  ASSERT_TRUE(Put("b", "k", "new, longer bytes", {}, "\"new\"").has_value());

  EXPECT_EQ(ReadAll(*old_reader), "old bytes");
  EXPECT_EQ(old_reader->record().etag, "\"old\"");
  EXPECT_EQ(Content("b", "k"), "new, longer bytes");
  EXPECT_EQ(store_->HeadObject("b", "k")->etag, "\"new\"");
  EXPECT_EQ(CountFiles("objects"), 1u) << "the replaced data file is unlinked";
}

TEST_F(FileStoreTest, ConditionalCommits) {
  MakeBucket("b");
  const WriteCondition if_none_match = IfNoneMatch();
  ASSERT_TRUE(Put("b", "k", "first", if_none_match, "\"1\"").has_value());
  auto second = Put("b", "k", "second", if_none_match, "\"2\"");
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code, ErrorCode::kConditionFailed);
  EXPECT_EQ(Content("b", "k"), "first");

  auto wrong = Put("b", "k", "third", IfMatch("\"2\""), "\"3\"");
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().code, ErrorCode::kConditionFailed);
  ASSERT_TRUE(Put("b", "k", "fourth", IfMatch("\"1\""), "\"4\"").has_value());
  EXPECT_EQ(Content("b", "k"), "fourth");

  auto missing = Put("b", "other", "x", IfMatch("\"4\""));
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kConditionFailed);
  EXPECT_EQ(store_->HeadObject("b", "other").error().code, ErrorCode::kObjectNotFound);
  EXPECT_EQ(CountFiles("objects"), 1u) << "refused writes leave no data file";
  EXPECT_EQ(CountFiles("tmp"), 0u);
}

TEST_F(FileStoreTest, PendingWriteRemovesItsFileUnlessCommitted) {
  {
    auto data = store_->BeginWrite();
    ASSERT_TRUE(data.has_value());
    ASSERT_TRUE(data->Append("abc").has_value());
    EXPECT_EQ(CountFiles("tmp"), 1u);
  }
  EXPECT_EQ(CountFiles("tmp"), 0u);

  auto first = store_->BeginWrite();
  auto second = store_->BeginWrite();
  ASSERT_TRUE(first.has_value() && second.has_value());
  EXPECT_EQ(CountFiles("tmp"), 2u);
  *first = std::move(*second);  // discards first's file, takes over second's
  EXPECT_EQ(CountFiles("tmp"), 1u);
  PendingWrite moved = std::move(*first);
  ASSERT_TRUE(moved.Append("xy").has_value());
  EXPECT_EQ(moved.size(), 2u);
  EXPECT_FALSE(first->Append("z").has_value()) << "a moved-from write refuses appends";
  MakeBucket("b");
  ASSERT_TRUE(store_->CommitObject(std::move(moved), ObjectAt("b", "k")).has_value());
  EXPECT_EQ(CountFiles("tmp"), 0u);
  EXPECT_EQ(Content("b", "k"), "xy");
}

TEST_F(StoreTest, ObjectAclIsKeptReplacedInPlaceAndPersisted) {
  MakeBucket("b");
  ObjectRecord record = ObjectAt("b", "k");
  record.acl = "<AccessControlPolicy>first</AccessControlPolicy>";
  ASSERT_TRUE(store_->CommitObject(Pending("bytes"), record).has_value());
  EXPECT_EQ(store_->HeadObject("b", "k")->acl, record.acl);

  auto updated = store_->SetObjectAcl("b", "k", "second");
  ASSERT_TRUE(updated.has_value()) << updated.error().message;
  EXPECT_EQ(updated->acl, "second");
  EXPECT_EQ(updated->size, 5u);
  Reopen();
  auto head = store_->HeadObject("b", "k");
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->acl, "second");
  EXPECT_EQ(Content("b", "k"), "bytes") << "setting the ACL leaves the bytes alone";

  EXPECT_EQ(store_->SetObjectAcl("b", "missing", "x").error().code, ErrorCode::kObjectNotFound);
  EXPECT_EQ(store_->SetObjectAcl("nob", "k", "x").error().code, ErrorCode::kBucketNotFound);

  UploadRecord upload = UploadFor("b", "mp");
  upload.object_owner_account_id = "111111111111";
  upload.acl = "upload-acl";
  auto created = store_->CreateUpload(upload);
  ASSERT_TRUE(created.has_value());
  auto fetched = store_->GetUpload("b", "mp", created->upload_id);
  ASSERT_TRUE(fetched.has_value());
  EXPECT_EQ(fetched->object_owner_account_id, "111111111111");
  EXPECT_EQ(fetched->acl, "upload-acl");
}

TEST_F(StoreTest, EverythingPersistsAcrossReopen) {
  MakeBucket("b");
  ASSERT_TRUE(Put("b", "k", "persisted").has_value());
  ASSERT_TRUE(store_->PutBucketSetting("b", "logging", "conf").has_value());
  auto upload = store_->CreateUpload(UploadFor("b", "mp"));
  ASSERT_TRUE(upload.has_value());
  ASSERT_TRUE(store_->CommitPart(upload->upload_id, Pending("p1"), PartNumbered(1)));

  Reopen();
  EXPECT_TRUE(store_->GetBucket("b").has_value());
  EXPECT_EQ(Content("b", "k"), "persisted");
  EXPECT_EQ(store_->GetBucketSetting("b", "logging")->value_or(""), "conf");
  auto parts = store_->ListParts(upload->upload_id, 0, 10);
  ASSERT_TRUE(parts.has_value());
  ASSERT_EQ(parts->parts.size(), 1u);
  auto done = store_->CompleteUpload(upload->upload_id, {1}, {});
  ASSERT_TRUE(done.has_value()) << done.error().message;
  EXPECT_EQ(Content("b", "mp"), "p1");
}

TEST_F(FileStoreTest, OpenRemovesCrashLeftovers) {
  MakeBucket("b");
  ASSERT_TRUE(Put("b", "kept", "kept bytes").has_value());
  auto upload = store_->CreateUpload(UploadFor("b", "mp"));
  ASSERT_TRUE(upload.has_value());
  ASSERT_TRUE(store_->CommitPart(upload->upload_id, Pending("part"), PartNumbered(1)));
  store_.reset();

  // A process that dies (no destructors) in the middle of writing an object.
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto opened = SqliteStore::Open(StoreOptions());
    if (!opened) {
      ::_exit(2);
    }
    auto data = (*opened)->BeginWrite();
    if (!data || !data->Append("never committed")) {
      ::_exit(3);
    }
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(CountFiles("tmp"), 1u);

  // A stray temporary file, and a data file renamed into place whose commit never happened.
  std::ofstream(dir_ / "tmp" / "stray") << "x";
  fs::create_directories(dir_ / "objects" / "ab");
  std::ofstream(dir_ / "objects" / "ab" / "ab0123456789abcdef0123456789abcd") << "orphan";
  std::ofstream(dir_ / "objects" / "not-a-fan-out-entry") << "orphan";
  EXPECT_EQ(CountFiles("objects"), 4u);

  Reopen();
  EXPECT_EQ(CountFiles("tmp"), 0u);
  EXPECT_EQ(CountFiles("objects"), 2u) << "only the object's and the part's files remain";
  EXPECT_EQ(Content("b", "kept"), "kept bytes");
  ASSERT_TRUE(store_->CompleteUpload(upload->upload_id, {1}, {}).has_value());
  EXPECT_EQ(Content("b", "mp"), "part");
}

TEST_F(StoreTest, OneStorePerDataDirectory) {
  auto second = SqliteStore::Open(At(dir_));
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code, ErrorCode::kIo);
  EXPECT_NE(second.error().message.find(dir_.string()), std::string::npos);
  store_.reset();
  auto again = SqliteStore::Open(At(dir_));
  EXPECT_TRUE(again.has_value()) << "the lock goes with the store";
}

TEST_F(StoreTest, UnusableDirectoryFailsWithThePath) {
  const fs::path file = dir_ / "plain-file";
  std::ofstream(file) << "x";
  auto opened = SqliteStore::Open(At(file / "sub"));
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code, ErrorCode::kIo);
  EXPECT_NE(opened.error().message.find(file.string()), std::string::npos)
      << opened.error().message;
}

TEST_F(StoreTest, ADatabaseThatIsNotOneIsReportedAsCorrupt) {
  store_.reset();
  const fs::path other = dir_ / "garbage";
  fs::create_directories(other);
  std::ofstream(other / "meta.db") << std::string(4096, 'x');
  auto opened = SqliteStore::Open(At(other));
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(opened.error().message.find((other / "meta.db").string()), std::string::npos)
      << opened.error().message;
}

TEST_F(StoreTest, FsyncOptionWorksEndToEnd) {
  store_.reset();
  auto opened = SqliteStore::Open(At(dir_, true));
  ASSERT_TRUE(opened.has_value());
  store_ = std::move(*opened);
  MakeBucket("b");
  ASSERT_TRUE(Put("b", "k", "durable").has_value());
  EXPECT_EQ(Content("b", "k"), "durable");
}

TEST_F(FileStoreTest, ResetRemovesAllRowsAndFiles) {
  MakeBucket("a");
  MakeBucket("b");
  ASSERT_TRUE(Put("a", "k1", "1").has_value());
  ASSERT_TRUE(Put("b", "k2", "2").has_value());
  ASSERT_TRUE(store_->PutBucketSetting("a", "logging", "x").has_value());
  auto upload = store_->CreateUpload(UploadFor("b", "mp"));
  ASSERT_TRUE(upload.has_value());
  ASSERT_TRUE(store_->CommitPart(upload->upload_id, Pending("p"), PartNumbered(1)));
  EXPECT_EQ(CountFiles("objects"), 3u);

  ASSERT_TRUE(store_->Reset().has_value());
  EXPECT_TRUE(store_->ListBuckets()->empty());
  EXPECT_TRUE(store_->ListBucketSettings("logging")->empty());
  EXPECT_EQ(store_->ListParts(upload->upload_id, 0, 10).error().code, ErrorCode::kUploadNotFound);
  EXPECT_EQ(CountFiles("objects"), 0u);
  MakeBucket("a");
  EXPECT_TRUE(store_->ListObjects("a", "", "", 10)->objects.empty());
}

TEST_F(StoreTest, DataDirIsTheConfiguredOne) { EXPECT_EQ(store_->data_dir(), dir_); }

}  // namespace
}  // namespace logbucket::storage::testing
