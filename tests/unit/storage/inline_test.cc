// Small objects and parts kept in the database (inline), the limit between inline and file
// storage, the upgrade of a version-1 database, and the clean-shutdown marker that decides
// whether Open() sweeps objects/.
#include <sqlite3.h>
#include <sys/wait.h>

#include <fstream>

#include "tests/unit/storage/store_fixture.h"

namespace logbucket::storage::testing {
namespace {

// A small limit so that both sides of it are cheap to write.
constexpr uint64_t kLimit = 16;

class InlineTest : public StoreTest {
 protected:
  InlineTest() { inline_limit_ = kLimit; }

  void SetUp() override {
    StoreTest::SetUp();
    MakeBucket("b");
  }

  // Runs `sql` on meta.db with the store closed (the store holds the database exclusively) and
  // returns the first column of the first row.
  int64_t QueryClosed(const char* sql) {
    store_.reset();
    sqlite3* db = nullptr;
    int64_t value = -1;
    if (sqlite3_open((dir_ / "meta.db").c_str(), &db) == SQLITE_OK) {
      sqlite3_stmt* stmt = nullptr;
      if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK &&
          sqlite3_step(stmt) == SQLITE_ROW) {
        value = sqlite3_column_int64(stmt, 0);
      }
      sqlite3_finalize(stmt);
    }
    sqlite3_close(db);
    Reopen();
    return value;
  }
  int64_t BlobCount() { return QueryClosed("SELECT count(*) FROM blobs"); }

  PendingWrite PendingPieces(const std::vector<std::string>& pieces) {
    auto data = store_->BeginWrite();
    EXPECT_TRUE(data.has_value());
    for (const std::string& piece : pieces) {
      EXPECT_TRUE(data->Append(piece).has_value());
    }
    return std::move(*data);
  }

  bool MarkerExists() const { return fs::exists(dir_ / "CLEAN"); }
};

TEST_F(InlineTest, SmallObjectsLiveInTheDatabaseAndReadLikeFiles) {
  ASSERT_TRUE(Put("b", "small", "hello, inline").has_value());
  ASSERT_TRUE(Put("b", "empty", "").has_value());
  EXPECT_EQ(CountFiles("objects") + CountFiles("tmp"), 0u);
  auto reader = store_->OpenObject("b", "small");
  ASSERT_TRUE(reader.has_value());
  EXPECT_EQ(reader->fd(), -1) << "an inline object has no file";
  EXPECT_EQ(ReadAll(*reader), "hello, inline");
  std::array<char, 4> tail{};
  EXPECT_EQ(reader->ReadAt(9, tail).value_or(0), 4u);
  EXPECT_EQ(std::string(tail.data(), 4), "line");
  EXPECT_EQ(reader->ReadAt(13, tail).value_or(1), 0u);
  EXPECT_EQ(reader->ReadAt(100, tail).value_or(1), 0u);
  EXPECT_EQ(Content("b", "empty"), "");
  EXPECT_EQ(store_->HeadObject("b", "small")->size, 13u);

  // The reader keeps its bytes when the object is replaced or deleted meanwhile.
  ASSERT_TRUE(Put("b", "small", "replaced").has_value());
  EXPECT_EQ(ReadAll(*reader), "hello, inline");
  EXPECT_EQ(Content("b", "small"), "replaced");
  auto page = store_->ListObjects("b", "", "", 10);
  ASSERT_TRUE(page.has_value());
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[1].key, "small");
  EXPECT_EQ(page->objects[1].size, 8u);
  ASSERT_TRUE(store_->DeleteObject("b", "small").value().removed.has_value());
  EXPECT_EQ(store_->OpenObject("b", "small").error().code, ErrorCode::kObjectNotFound);
  EXPECT_EQ(BlobCount(), 1) << "replaced and deleted objects leave no blob behind";
  EXPECT_EQ(Content("b", "empty"), "") << "and the store reopens with its inline objects";
}

TEST_F(InlineTest, TheLimitIsInclusiveAndAppendsSpillToAFile) {
  ASSERT_TRUE(Put("b", "at", std::string(kLimit, 'a')).has_value());
  EXPECT_EQ(CountFiles("objects"), 0u) << "exactly the limit stays inline";
  ASSERT_TRUE(Put("b", "over", std::string(kLimit + 1, 'o')).has_value());
  EXPECT_EQ(CountFiles("objects"), 1u) << "one byte more is a file";

  // Grown past the limit piece by piece: the bytes buffered so far go to the file first.
  ASSERT_TRUE(store_
                  ->CommitObject(PendingPieces({"0123456789", "abcdef", "XYZ"}),
                                 ObjectAt("b", "pieces", "\"e\""))
                  .has_value());
  EXPECT_EQ(CountFiles("objects"), 2u);
  EXPECT_EQ(Content("b", "pieces"), "0123456789abcdefXYZ");
  auto reader = store_->OpenObject("b", "pieces");
  ASSERT_TRUE(reader.has_value());
  EXPECT_GE(reader->fd(), 0);
  ASSERT_TRUE(
      store_->CommitObject(PendingPieces({"0123456789", "abcdef"}), ObjectAt("b", "fits", "\"e\""))
          .has_value());
  EXPECT_EQ(CountFiles("objects"), 2u);
  EXPECT_EQ(Content("b", "fits"), "0123456789abcdef");
  EXPECT_EQ(Content("b", "at"), std::string(kLimit, 'a'));
  EXPECT_EQ(Content("b", "over"), std::string(kLimit + 1, 'o'));
}

TEST_F(InlineTest, ReplacingAcrossTheLimitRemovesTheOldBytes) {
  ASSERT_TRUE(Put("b", "k", std::string(100, 'f')).has_value());
  EXPECT_EQ(CountFiles("objects"), 1u);
  ASSERT_TRUE(Put("b", "k", "small").has_value());
  EXPECT_EQ(CountFiles("objects"), 0u) << "the replaced file is unlinked";
  EXPECT_EQ(Content("b", "k"), "small");
  ASSERT_TRUE(Put("b", "k", std::string(50, 'g')).has_value());
  EXPECT_EQ(CountFiles("objects"), 1u);
  EXPECT_EQ(BlobCount(), 0) << "the replaced blob is deleted";
  EXPECT_EQ(Content("b", "k"), std::string(50, 'g'));

  // A refused conditional write changes nothing and leaves no blob.
  EXPECT_EQ(Put("b", "k", "tiny", IfNoneMatch()).error().code, ErrorCode::kConditionFailed);
  EXPECT_EQ(Put("b", "missing", "tiny", IfMatch("\"e\"")).error().code,
            ErrorCode::kConditionFailed);
  EXPECT_EQ(BlobCount(), 0);
  EXPECT_EQ(Content("b", "k"), std::string(50, 'g'));
}

TEST_F(InlineTest, MultipartWithInlineAndFileParts) {
  auto upload = store_->CreateUpload(UploadFor("b", "mp"));
  ASSERT_TRUE(upload.has_value());
  const std::string& id = upload->upload_id;
  ASSERT_TRUE(store_->CommitPart(id, Pending("first"), PartNumbered(1)).has_value());
  ASSERT_TRUE(store_->CommitPart(id, Pending("2nd"), PartNumbered(2)).has_value());
  ASSERT_TRUE(store_->CommitPart(id, Pending("second"), PartNumbered(2)).has_value());
  EXPECT_EQ(CountFiles("objects"), 0u) << "small parts are inline";
  EXPECT_EQ(BlobCount(), 2) << "the replaced part's blob is deleted";

  // Inline parts whose sum fits the limit make an inline object.
  auto small = store_->CompleteUpload(id, {2, 1}, ObjectAt("b", "mp", "\"m-2\""));
  ASSERT_TRUE(small.has_value()) << small.error().message;
  EXPECT_EQ(small->part_sizes, (std::vector<uint64_t>{6, 5}));
  EXPECT_EQ(Content("b", "mp"), "secondfirst");
  EXPECT_EQ(CountFiles("objects") + CountFiles("tmp"), 0u);
  EXPECT_EQ(BlobCount(), 1) << "only the object's blob remains";

  // Inline and file parts beyond the limit make a file; the completed object replaces the inline
  // one and its blob.
  auto big = store_->CreateUpload(UploadFor("b", "mp"));
  ASSERT_TRUE(big.has_value());
  ASSERT_TRUE(store_->CommitPart(big->upload_id, Pending("abc"), PartNumbered(1)).has_value());
  ASSERT_TRUE(store_->CommitPart(big->upload_id, Pending(std::string(20, 'z')), PartNumbered(2)));
  ASSERT_TRUE(store_->CommitPart(big->upload_id, Pending("unused"), PartNumbered(3)));
  EXPECT_EQ(CountFiles("objects"), 1u);
  ASSERT_TRUE(store_->CompleteUpload(big->upload_id, {1, 2}, ObjectAt("b", "mp", "\"m-2\"")));
  EXPECT_EQ(Content("b", "mp"), "abc" + std::string(20, 'z'));
  EXPECT_EQ(CountFiles("objects"), 1u) << "the part file is gone, the object's file is there";
  EXPECT_EQ(BlobCount(), 0) << "the unused part's and the replaced object's blobs are deleted";

  // Abort and bucket deletion remove inline parts too.
  auto aborted = store_->CreateUpload(UploadFor("b", "x"));
  ASSERT_TRUE(aborted.has_value());
  ASSERT_TRUE(store_->CommitPart(aborted->upload_id, Pending("p"), PartNumbered(1)));
  ASSERT_TRUE(store_->AbortUpload(aborted->upload_id).has_value());
  MakeBucket("c");
  auto dropped = store_->CreateUpload(UploadFor("c", "y"));
  ASSERT_TRUE(dropped.has_value());
  ASSERT_TRUE(store_->CommitPart(dropped->upload_id, Pending("q"), PartNumbered(1)));
  ASSERT_TRUE(store_->DeleteBucket("c").has_value());
  EXPECT_EQ(BlobCount(), 0);
}

TEST_F(InlineTest, ResetDeletesBlobs) {
  ASSERT_TRUE(Put("b", "k", "v").has_value());
  auto upload = store_->CreateUpload(UploadFor("b", "mp"));
  ASSERT_TRUE(upload.has_value());
  ASSERT_TRUE(store_->CommitPart(upload->upload_id, Pending("p"), PartNumbered(1)));
  ASSERT_TRUE(store_->Reset().has_value());
  EXPECT_EQ(BlobCount(), 0);
}

TEST_F(InlineTest, AVersionOneDatabaseIsUpgradedAndItsFilesStayReadable) {
  // Version 1 stored every object in a file and had no blob_id columns nor blobs table.
  store_.reset();
  inline_limit_ = 0;
  Reopen();
  ASSERT_TRUE(Put("b", "old", "bytes of a file").has_value());
  ASSERT_EQ(ExecClosed("ALTER TABLE objects DROP COLUMN blob_id;"
                       "ALTER TABLE parts DROP COLUMN blob_id; DROP TABLE blobs;"
                       "ALTER TABLE buckets DROP COLUMN versioning; DROP TABLE versions;"
                       "PRAGMA user_version = 1;"),
            "");
  fs::remove(dir_ / "CLEAN");  // version 1 wrote no marker

  inline_limit_ = kLimit;
  Reopen();
  EXPECT_EQ(Content("b", "old"), "bytes of a file");
  EXPECT_EQ(CountFiles("objects"), 1u) << "the upgrade's sweep keeps the referenced file";
  ASSERT_TRUE(Put("b", "new", "inline").has_value());
  EXPECT_EQ(Content("b", "new"), "inline");
  EXPECT_EQ(QueryClosed("PRAGMA user_version"), 3) << "upgraded through version 2 to 3";
  EXPECT_EQ(store_->GetBucket("b")->versioning, "") << "buckets start never versioned";
  EXPECT_EQ(Content("b", "old"), "bytes of a file");
}

TEST_F(InlineTest, CleanCloseLetsOpenSkipTheSweepOfObjects) {
  EXPECT_FALSE(MarkerExists()) << "no marker while the store is open";
  ASSERT_TRUE(Put("b", "file", std::string(40, 'f')).has_value());
  store_.reset();
  EXPECT_TRUE(MarkerExists()) << "a clean close writes the marker";

  // With the marker, an unreferenced file (which a clean close never leaves) is not looked for;
  // tmp/ is swept anyway.
  const fs::path orphan = dir_ / "objects" / "ab" / "ab0123456789abcdef0123456789abcd";
  fs::create_directories(orphan.parent_path());
  std::ofstream(orphan) << "orphan";
  std::ofstream(dir_ / "tmp" / "stray") << "x";
  Reopen();
  EXPECT_FALSE(MarkerExists()) << "Open() consumes the marker";
  EXPECT_TRUE(fs::exists(orphan));
  EXPECT_EQ(CountFiles("tmp"), 0u);

  // A process that dies leaves no marker: the next Open() sweeps objects/.
  store_.reset();
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto opened = SqliteStore::Open(StoreOptions());
    if (!opened) {
      ::_exit(2);
    }
    auto spilled = (*opened)->BeginWrite();
    auto in_memory = (*opened)->BeginWrite();
    if (!spilled || !spilled->Append(std::string(kLimit + 1, 's')) || !in_memory ||
        !in_memory->Append("m")) {
      ::_exit(3);
    }
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_FALSE(MarkerExists());
  EXPECT_EQ(CountFiles("tmp"), 1u) << "only the write past the limit had made a file";
  Reopen();
  EXPECT_FALSE(fs::exists(orphan)) << "after a crash the unreferenced file is removed";
  EXPECT_EQ(CountFiles("tmp"), 0u);
  EXPECT_EQ(Content("b", "file"), std::string(40, 'f'));
  EXPECT_EQ(CountFiles("objects"), 1u);
}

}  // namespace
}  // namespace logbucket::storage::testing
