// Shared helpers of the storage tests: a fresh temporary data directory per test and short-hands
// for writing and reading objects.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "storage/sqlite_store.h"

namespace logbucket::storage::testing {

namespace fs = std::filesystem;

// Record builders: designated initializers would trip -Wmissing-field-initializers on GCC 12.
inline SqliteStore::Options At(const fs::path& dir, bool fsync = false,
                               uint64_t inline_limit = SqliteStore::kDefaultInlineLimit) {
  SqliteStore::Options options;
  options.data_dir = dir;
  options.fsync = fsync;
  options.inline_limit = inline_limit;
  return options;
}
inline BucketRecord BucketNamed(std::string name, std::string owner = "111122223333") {
  BucketRecord bucket;
  bucket.name = std::move(name);
  bucket.owner_account_id = std::move(owner);
  bucket.region = "us-east-1";
  return bucket;
}
inline ObjectRecord ObjectAt(std::string bucket, std::string key, std::string etag = "") {
  ObjectRecord record;
  record.bucket = std::move(bucket);
  record.key = std::move(key);
  record.etag = std::move(etag);
  return record;
}
inline UploadRecord UploadFor(std::string bucket, std::string key) {
  UploadRecord upload;
  upload.bucket = std::move(bucket);
  upload.key = std::move(key);
  return upload;
}
inline PartRecord PartNumbered(uint32_t number, std::string etag = "") {
  PartRecord part;
  part.part_number = number;
  part.etag = std::move(etag);
  return part;
}
inline WriteCondition IfNoneMatch() {
  WriteCondition condition;
  condition.must_not_exist = true;
  return condition;
}
inline WriteCondition IfMatch(std::string etag) {
  WriteCondition condition;
  condition.etag_equals = std::move(etag);
  return condition;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device random;
    dir_ = fs::temp_directory_path() /
           ("logbucket-storage-" + std::to_string(::getpid()) + "-" + std::to_string(random()));
    fs::create_directories(dir_);
    Reopen();
  }

  void TearDown() override {
    store_.reset();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  // The options every Reopen() uses.
  virtual SqliteStore::Options StoreOptions() const { return At(dir_, false, inline_limit_); }

  void Reopen() {
    store_.reset();
    auto opened = SqliteStore::Open(StoreOptions());
    ASSERT_TRUE(opened.has_value()) << opened.error().message;
    store_ = std::move(*opened);
  }

  void MakeBucket(const std::string& name) {
    auto created = store_->CreateBucket(BucketNamed(name));
    ASSERT_TRUE(created.has_value()) << created.error().message;
  }

  PendingWrite Pending(std::string_view bytes) {
    auto data = store_->BeginWrite();
    EXPECT_TRUE(data.has_value());
    EXPECT_TRUE(data->Append(bytes).has_value());
    return std::move(*data);
  }

  std::expected<ObjectRecord, Error> Put(const std::string& bucket, const std::string& key,
                                         std::string_view bytes, const WriteCondition& cond = {},
                                         std::string etag = "\"e\"") {
    ObjectRecord record;
    record.bucket = bucket;
    record.key = key;
    record.etag = std::move(etag);
    return store_->CommitObject(Pending(bytes), std::move(record), cond);
  }

  // Closes the store and runs `sql` on meta.db through SQLite's default VFS, as an older version
  // or an outside tool would; returns SQLite's error message, "" on success.
  std::string ExecClosed(const char* sql) {
    store_.reset();
    sqlite3* db = nullptr;
    std::string error;
    if (sqlite3_open((dir_ / "meta.db").c_str(), &db) != SQLITE_OK ||
        sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
      error = sqlite3_errmsg(db);
    }
    sqlite3_close(db);
    return error;
  }

  static std::string ReadAll(const ObjectReader& reader) {
    std::string out;
    std::vector<char> buffer(7);  // small on purpose: exercises offsets
    uint64_t offset = 0;
    while (true) {
      auto got = reader.ReadAt(offset, buffer);
      EXPECT_TRUE(got.has_value());
      if (!got || *got == 0) {
        return out;
      }
      out.append(buffer.data(), *got);
      offset += *got;
    }
  }

  std::string Content(const std::string& bucket, const std::string& key) {
    auto reader = store_->OpenObject(bucket, key);
    EXPECT_TRUE(reader.has_value()) << reader.error().message;
    return reader ? ReadAll(*reader) : std::string();
  }

  // Regular files under `sub` of the data directory (recursively).
  size_t CountFiles(const std::string& sub) const {
    size_t count = 0;
    for (const auto& entry : fs::recursive_directory_iterator(dir_ / sub)) {
      if (entry.is_regular_file()) {
        ++count;
      }
    }
    return count;
  }

  fs::path dir_;
  uint64_t inline_limit_ = SqliteStore::kDefaultInlineLimit;
  std::unique_ptr<SqliteStore> store_;
};

// Every object and part in a data file (inline limit 0): for the tests of the file layout.
class FileStoreTest : public StoreTest {
 protected:
  FileStoreTest() { inline_limit_ = 0; }
};

}  // namespace logbucket::storage::testing
