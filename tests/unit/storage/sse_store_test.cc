// Encryption at rest through SqliteStore: encrypting writes (inline and in files), reads and
// ranges of encrypted objects, no plaintext anywhere under the data directory, multipart uploads
// of encrypted parts, copies between clear and encrypted objects, and a wrong master key.
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "tests/unit/storage/store_fixture.h"

namespace logbucket::storage::testing {
namespace {

// Recognizable text: "<tag>:<counter>|" repeated to n bytes, so that any 48-byte window of it
// is unique to the tag and findable in a file.
std::string Pattern(std::string_view tag, size_t n) {
  std::string out;
  for (size_t i = 0; out.size() < n; ++i) {
    out += std::string(tag) + ":" + std::to_string(i) + "|";
  }
  out.resize(n);
  return out;
}

WriteOptions Encrypted() {
  WriteOptions options;
  options.encrypt = true;
  return options;
}

class SseStoreTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    MakeBucket("b");
  }

  PendingWrite PendingWith(std::string_view bytes, const WriteOptions& options) {
    auto data = store_->BeginWrite(options);
    EXPECT_TRUE(data.has_value()) << data.error().message;
    EXPECT_EQ(data->encrypted(), options.encrypt);
    // Several appends of odd sizes: the keystream must continue across them.
    for (size_t at = 0; at < bytes.size(); at += 3001) {
      EXPECT_TRUE(data->Append(bytes.substr(at, 3001)).has_value());
    }
    return std::move(*data);
  }

  ObjectRecord PutWith(const std::string& key, std::string_view bytes,
                       const WriteOptions& options) {
    auto committed = store_->CommitObject(PendingWith(bytes, options), ObjectAt("b", key, "\"e\""));
    EXPECT_TRUE(committed.has_value()) << committed.error().message;
    return committed.value_or(ObjectRecord{});
  }

  // Whether any regular file under the data directory contains a 48-byte window of `bytes`
  // (its start, middle and end are looked for).
  bool OnDisk(std::string_view bytes) const {
    std::vector<std::string> needles;
    for (size_t at : {size_t{0}, bytes.size() / 2, bytes.size() - 48}) {
      needles.emplace_back(bytes.substr(at, 48));
    }
    for (const auto& entry : fs::recursive_directory_iterator(dir_)) {
      if (!entry.is_regular_file()) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      const std::string content((std::istreambuf_iterator<char>(in)), {});
      for (const std::string& needle : needles) {
        if (content.find(needle) != std::string::npos) return true;
      }
    }
    return false;
  }

  // The object copied the way server/s3 copies (ReadAt into a new write), then committed.
  ObjectRecord CopyTo(const std::string& from, const std::string& to, const WriteOptions& options) {
    auto source = store_->OpenObject("b", from);
    EXPECT_TRUE(source.has_value());
    auto out = store_->BeginWrite(options);
    EXPECT_TRUE(out.has_value());
    std::vector<char> buffer(10'000);
    for (uint64_t at = 0;;) {
      auto n = source->ReadAt(at, buffer);
      EXPECT_TRUE(n.has_value());
      if (!n || *n == 0) break;
      EXPECT_TRUE(out->Append(std::string_view(buffer.data(), *n)).has_value());
      at += *n;
    }
    auto committed = store_->CommitObject(std::move(*out), ObjectAt("b", to, "\"c\""));
    EXPECT_TRUE(committed.has_value()) << committed.error().message;
    return committed.value_or(ObjectRecord{});
  }
};

TEST_F(SseStoreTest, EncryptedObjectsReadBackAndNoPlaintextIsStored) {
  const std::string big = Pattern("secret-file", 64 * 1024);
  const std::string small = Pattern("secret-inline", 4 * 1024);
  const std::string clear = Pattern("in-the-clear", 4 * 1024);
  ObjectRecord big_record = PutWith("big", big, Encrypted());
  ObjectRecord small_record = PutWith("small", small, Encrypted());
  ObjectRecord clear_record = PutWith("clear", clear, {});
  EXPECT_EQ(big_record.sse_algorithm, "AES256");
  EXPECT_FALSE(big_record.sse_key.empty());
  EXPECT_EQ(small_record.sse_algorithm, "AES256");
  EXPECT_NE(small_record.sse_key, big_record.sse_key) << "a data key per object";
  EXPECT_EQ(clear_record.sse_algorithm, "");
  EXPECT_EQ(clear_record.sse_key, "");
  EXPECT_EQ(big_record.size, big.size());
  EXPECT_EQ(CountFiles("objects"), 1u) << "64 KiB in a file, 4 KiB inline";

  EXPECT_EQ(Content("b", "big"), big);
  EXPECT_EQ(Content("b", "small"), small);
  EXPECT_EQ(Content("b", "clear"), clear);
  auto head = store_->HeadObject("b", "big");
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->sse_algorithm, "AES256");
  EXPECT_EQ(head->sse_key, big_record.sse_key);

  EXPECT_TRUE(OnDisk(clear)) << "the search finds plaintext when it is there";
  EXPECT_FALSE(OnDisk(big));
  EXPECT_FALSE(OnDisk(small));
  Reopen();  // checkpoints the WAL into meta.db, and reads go through a freshly loaded key
  EXPECT_FALSE(OnDisk(big));
  EXPECT_FALSE(OnDisk(small));
  EXPECT_EQ(Content("b", "big"), big);
  EXPECT_EQ(Content("b", "small"), small);
}

TEST_F(SseStoreTest, RangesOfAnEncryptedFileObject) {
  const std::string bytes = Pattern("ranged", 200'000);
  PutWith("k", bytes, Encrypted());
  auto reader = store_->OpenObject("b", "k");
  ASSERT_TRUE(reader.has_value());
  EXPECT_EQ(reader->fd(), -1) << "the file holds ciphertext: no sendfile";
  std::mt19937 random(11);
  for (int i = 0; i < 200; ++i) {
    const uint64_t offset = random() % bytes.size();
    std::vector<char> out(1 + random() % 20'000);
    auto n = reader->ReadAt(offset, out);
    ASSERT_TRUE(n.has_value());
    ASSERT_EQ(std::string(out.data(), *n), bytes.substr(offset, out.size())) << offset;
  }
  std::vector<char> past(10);
  EXPECT_EQ(reader->ReadAt(bytes.size(), past).value_or(99), 0u);

  PutWith("plain", bytes, {});
  auto plain = store_->OpenObject("b", "plain");
  ASSERT_TRUE(plain.has_value());
  EXPECT_GE(plain->fd(), 0) << "objects in clear keep the sendfile path";
}

TEST_F(SseStoreTest, EncryptWriteEncryptsWhatWasAppendedAlready) {
  for (size_t size : {size_t{1000}, size_t{100'000}}) {  // in memory, then spilled to a file
    SCOPED_TRACE(size);
    const std::string bytes = Pattern("late-" + std::to_string(size), size);
    PendingWrite data = PendingWith(bytes, {});
    ASSERT_TRUE(store_->EncryptWrite(data).has_value());
    EXPECT_TRUE(data.encrypted());
    ASSERT_TRUE(store_->EncryptWrite(data).has_value()) << "a second call changes nothing";
    ASSERT_TRUE(data.Append("tail").has_value());
    auto committed = store_->CommitObject(std::move(data),
                                          ObjectAt("b", "late" + std::to_string(size), "\"e\""));
    ASSERT_TRUE(committed.has_value());
    EXPECT_EQ(committed->sse_algorithm, "AES256");
    EXPECT_EQ(Content("b", "late" + std::to_string(size)), bytes + "tail");
    EXPECT_FALSE(OnDisk(bytes));
  }
}

TEST_F(SseStoreTest, CopiesBetweenClearAndEncryptedObjects) {
  const std::string bytes = Pattern("copied", 50'000);
  PutWith("clear", bytes, {});
  ObjectRecord to_encrypted = CopyTo("clear", "encrypted", Encrypted());
  EXPECT_EQ(to_encrypted.sse_algorithm, "AES256");
  ObjectRecord back_to_clear = CopyTo("encrypted", "clear-again", {});
  EXPECT_EQ(back_to_clear.sse_algorithm, "");
  ObjectRecord re_encrypted = CopyTo("encrypted", "encrypted-again", Encrypted());
  EXPECT_NE(re_encrypted.sse_key, to_encrypted.sse_key);
  EXPECT_EQ(Content("b", "encrypted"), bytes);
  EXPECT_EQ(Content("b", "clear-again"), bytes);
  EXPECT_EQ(Content("b", "encrypted-again"), bytes);
}

TEST_F(SseStoreTest, ReplacingTheMasterKeyMakesEncryptedObjectsUnreadable) {
  PutWith("k", Pattern("lost", 30'000), Encrypted());
  PutWith("i", Pattern("lost-inline", 300), Encrypted());
  PutWith("c", "clear", {});
  store_.reset();
  const fs::path key = dir_ / "keys" / "master.key";
  ASSERT_TRUE(fs::exists(key));
  fs::remove(key);
  {
    std::ofstream out(key, std::ios::binary);
    out << std::string(32, 'k');
  }
  fs::permissions(key, fs::perms::owner_read | fs::perms::owner_write);
  Reopen();
  for (const char* name : {"k", "i"}) {
    auto reader = store_->OpenObject("b", name);
    ASSERT_FALSE(reader.has_value()) << name;
    EXPECT_EQ(reader.error().code, ErrorCode::kCorrupt);
    EXPECT_NE(reader.error().message.find(std::string("b/") + name), std::string::npos)
        << reader.error().message;
  }
  EXPECT_EQ(Content("b", "c"), "clear");
}

TEST_F(SseStoreTest, AStoreThatNeverEncryptsMakesNoKey) {
  PutWith("c", "clear", {});
  EXPECT_FALSE(fs::exists(dir_ / "keys"));
}

// Multipart, with every part in a file and then with inline parts, for each combination of
// encrypted parts and an encrypted upload (S3 encrypts the parts exactly when the upload is; the
// other combinations must still give the right bytes).
class SseMultipartTest : public SseStoreTest, public ::testing::WithParamInterface<uint64_t> {
 protected:
  SseMultipartTest() { inline_limit_ = GetParam(); }
};

TEST_P(SseMultipartTest, CompleteReencryptsUnderANewKeyOrConcatenatesInClear) {
  for (bool encrypted_upload : {true, false}) {
    for (bool encrypted_parts : {true, false}) {
      SCOPED_TRACE(::testing::Message()
                   << "upload " << encrypted_upload << " parts " << encrypted_parts);
      const std::string key =
          "mp-" + std::to_string(encrypted_upload) + std::to_string(encrypted_parts);
      // Bytes of their own: plaintext of an earlier round may linger in freed database pages.
      const std::string part1 = Pattern(key + "-part-one", 40'000);
      const std::string part2 = Pattern(key + "-part-two", 5'000);
      UploadRecord upload = UploadFor("b", key);
      if (encrypted_upload) upload.sse_algorithm = "AES256";
      auto created = store_->CreateUpload(upload);
      ASSERT_TRUE(created.has_value());
      EXPECT_EQ(store_->GetUpload("b", key, created->upload_id)->sse_algorithm,
                upload.sse_algorithm);
      WriteOptions options;
      options.encrypt = encrypted_parts;
      std::string part_key;
      for (auto [number, bytes] : {std::pair{1u, &part1}, std::pair{2u, &part2}}) {
        auto part = store_->CommitPart(created->upload_id, PendingWith(*bytes, options),
                                       PartNumbered(number, "\"p\""));
        ASSERT_TRUE(part.has_value()) << part.error().message;
        EXPECT_EQ(part->sse_algorithm, encrypted_parts ? "AES256" : "");
        if (number == 1) part_key = part->sse_key;
      }
      auto listed = store_->ListParts(created->upload_id, 0, 10);
      ASSERT_TRUE(listed.has_value());
      ASSERT_EQ(listed->parts.size(), 2u);
      EXPECT_EQ(listed->parts[0].sse_key, part_key);
      if (encrypted_parts) {
        EXPECT_FALSE(OnDisk(part1));
        EXPECT_FALSE(OnDisk(part2));
      }
      auto done = store_->CompleteUpload(created->upload_id, {1, 2}, ObjectAt("b", key, "\"m-2\""));
      ASSERT_TRUE(done.has_value()) << done.error().message;
      EXPECT_EQ(done->sse_algorithm, encrypted_upload ? "AES256" : "");
      if (encrypted_upload) {
        EXPECT_NE(done->sse_key, part_key) << "a key of its own";
      }
      if (encrypted_upload && encrypted_parts) {
        EXPECT_FALSE(OnDisk(part1));
        EXPECT_FALSE(OnDisk(part2));
      }
      EXPECT_EQ(done->part_sizes, (std::vector<uint64_t>{part1.size(), part2.size()}));
      EXPECT_EQ(Content("b", key), part1 + part2);
      auto head = store_->HeadObject("b", key);
      ASSERT_TRUE(head.has_value());
      EXPECT_EQ(head->sse_algorithm, done->sse_algorithm);
      ASSERT_TRUE(store_->DeleteObject("b", key).has_value());
    }
  }
}

INSTANTIATE_TEST_SUITE_P(InlineLimits, SseMultipartTest,
                         ::testing::Values(uint64_t{0}, SqliteStore::kDefaultInlineLimit));

}  // namespace
}  // namespace logbucket::storage::testing
