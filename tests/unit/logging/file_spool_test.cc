#include "logging/file_spool.h"

#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "tests/unit/logging/fakes.h"

namespace logbucket::logging {
namespace {

using testing::TempDir;
using testing::TestTime;

SpoolEntry Entry(const std::string& line, const std::string& prefix = "logs/") {
  return {.target_bucket = "target",
          .target_prefix = prefix,
          .key_format = KeyFormat::kPartitionedPrefix,
          .date_source = PartitionDateSource::kDeliveryTime,
          .source_account = "123456789012",
          .source_region = "eu-west-2",
          .event_time = TestTime() + std::chrono::milliseconds(123),
          .line = line};
}

std::vector<std::string> Lines(const FileSpool& spool, const SealedSegment& segment) {
  auto contents = spool.ReadSegment(segment);
  EXPECT_TRUE(contents) << contents.error();
  std::vector<std::string> lines;
  for (const SpoolEntry& e : contents->entries) {
    lines.push_back(e.line);
  }
  return lines;
}

TEST(FileSpoolTest, EntryEncodingRoundTripsHostileMetadata) {
  SpoolEntry entry = Entry("owner bucket [x] \"quoted\" %41", std::string("p\t\n%20\r\x01/", 9));
  entry.date_source = PartitionDateSource::kEventTime;
  const std::string encoded = EncodeSpoolEntry(entry);
  EXPECT_EQ(encoded.find('\n'), encoded.size() - 1);
  auto decoded = DecodeSpoolEntry(encoded);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, entry);
  EXPECT_FALSE(DecodeSpoolEntry("2\tx"));
  EXPECT_FALSE(DecodeSpoolEntry("garbage"));
}

TEST(FileSpoolTest, BucketNamesThatMayNameFiles) {
  EXPECT_TRUE(IsSpoolableBucketName("my-bucket.logs"));
  EXPECT_TRUE(IsSpoolableBucketName("Legacy_Bucket"));
  EXPECT_FALSE(IsSpoolableBucketName(""));
  EXPECT_FALSE(IsSpoolableBucketName(".."));
  EXPECT_FALSE(IsSpoolableBucketName("../etc"));
  EXPECT_FALSE(IsSpoolableBucketName("a/b"));
  EXPECT_FALSE(IsSpoolableBucketName(std::string(201, 'a')));
}

TEST(FileSpoolTest, AppendSealReadAndReopen) {
  TempDir dir;
  {
    FileSpool spool(dir.path(), 1 << 20);
    ASSERT_TRUE(spool.Open(TestTime()));
    for (const char* line : {"one", "two", "three"}) {
      EXPECT_EQ(spool.Append("src", Entry(line)), AppendResult::kAppended);
    }
    EXPECT_TRUE(spool.ListSealed(std::nullopt).empty());
    spool.Seal("src", TestTime());
    const auto sealed = spool.ListSealed("src");
    ASSERT_EQ(sealed.size(), 1u);
    EXPECT_EQ(sealed[0].sequence, 1u);
    EXPECT_EQ(sealed[0].source_bucket, "src");
    EXPECT_EQ(sealed[0].seal_time, TestTime());
    EXPECT_EQ(Lines(spool, sealed[0]), (std::vector<std::string>{"one", "two", "three"}));
    EXPECT_EQ(spool.Counters()["src"].pending_records, 3u);
  }
  FileSpool reopened(dir.path(), 1 << 20);
  ASSERT_TRUE(reopened.Open(TestTime()));
  const auto sealed = reopened.ListSealed(std::nullopt);
  ASSERT_EQ(sealed.size(), 1u);
  EXPECT_EQ(reopened.Counters()["src"].pending_records, 3u);
  auto contents = reopened.ReadSegment(sealed[0]);
  ASSERT_TRUE(contents);
  EXPECT_EQ(contents->entries[0], Entry("one"));
}

TEST(FileSpoolTest, OpenSealsActiveSegmentsOfACrashAndIgnoresATornEntry) {
  TempDir dir;
  {
    FileSpool spool(dir.path(), 1 << 20);
    ASSERT_TRUE(spool.Open(TestTime()));
    spool.Append("src", Entry("one"));
    spool.Append("src", Entry("two"));
    // Destroyed without sealing, as a crash would leave it; then a torn third entry.
  }
  {
    std::ofstream torn(dir.path() / "src.active", std::ios::app | std::ios::binary);
    torn << EncodeSpoolEntry(Entry("three")).substr(0, 20);
  }
  FileSpool spool(dir.path(), 1 << 20);
  ASSERT_TRUE(spool.Open(TestTime() + std::chrono::minutes(5)));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "src.active"));
  const auto sealed = spool.ListSealed("src");
  ASSERT_EQ(sealed.size(), 1u);
  EXPECT_EQ(sealed[0].seal_time, TestTime() + std::chrono::minutes(5));
  EXPECT_EQ(Lines(spool, sealed[0]), (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(spool.Counters()["src"].pending_records, 2u);
}

TEST(FileSpoolTest, SequencesAreNeverReusedAfterForget) {
  TempDir dir;
  {
    FileSpool spool(dir.path(), 1 << 20);
    ASSERT_TRUE(spool.Open(TestTime()));
    spool.Append("src", Entry("one"));
    spool.Seal(std::nullopt, TestTime());
    const auto sealed = spool.ListSealed(std::nullopt);
    ASSERT_EQ(sealed.size(), 1u);
    auto contents = spool.ReadSegment(sealed[0]);
    ASSERT_TRUE(spool.MarkDone(sealed[0], "target/key"));
    spool.Forget(sealed[0], *contents);
    EXPECT_TRUE(spool.ListSealed(std::nullopt).empty());
    EXPECT_EQ(spool.Counters()["src"].pending_records, 0u);
    EXPECT_EQ(spool.total_bytes(), 0u);
  }
  FileSpool spool(dir.path(), 1 << 20);
  ASSERT_TRUE(spool.Open(TestTime()));
  spool.Append("src", Entry("two"));
  spool.Seal("src", TestTime());
  const auto sealed = spool.ListSealed(std::nullopt);
  ASSERT_EQ(sealed.size(), 1u);
  EXPECT_EQ(sealed[0].sequence, 2u);
}

TEST(FileSpoolTest, DoneListIsReadBack) {
  TempDir dir;
  FileSpool spool(dir.path(), 1 << 20);
  ASSERT_TRUE(spool.Open(TestTime()));
  spool.Append("src", Entry("one"));
  spool.Seal("src", TestTime());
  const auto sealed = spool.ListSealed("src");
  ASSERT_EQ(sealed.size(), 1u);
  ASSERT_TRUE(spool.MarkDone(sealed[0], "target/logs/with\nnewline"));
  auto contents = spool.ReadSegment(sealed[0]);
  ASSERT_TRUE(contents);
  EXPECT_EQ(contents->done, (std::set<std::string>{"target/logs/with\nnewline"}));
}

TEST(FileSpoolTest, OpenNamesAnUnusablePath) {
  TempDir dir;
  const auto file = dir.path() / "not-a-dir";
  std::ofstream(file) << "x";
  FileSpool spool(file, 1 << 20);
  auto opened = spool.Open(TestTime());
  ASSERT_FALSE(opened);
  EXPECT_NE(opened.error().find(file.string()), std::string::npos) << opened.error();
}

TEST(FileSpoolTest, EmptySegmentsAreRemovedNotSealed) {
  TempDir dir;
  FileSpool spool(dir.path(), 1 << 20);
  ASSERT_TRUE(spool.Open(TestTime()));
  spool.Seal(std::nullopt, TestTime());
  EXPECT_TRUE(spool.ListSealed(std::nullopt).empty());
}

TEST(FileSpoolTest, DropsBeyondTheBoundAndCountsThemPerBucket) {
  TempDir dir;
  const uint64_t entry_size = EncodeSpoolEntry(Entry("xxxx")).size();
  FileSpool spool(dir.path(), 2 * entry_size + entry_size / 2);
  ASSERT_TRUE(spool.Open(TestTime()));
  EXPECT_EQ(spool.Append("a", Entry("xxxx")), AppendResult::kAppended);
  EXPECT_EQ(spool.Append("b", Entry("xxxx")), AppendResult::kAppended);
  EXPECT_EQ(spool.Append("a", Entry("xxxx")), AppendResult::kDropped);
  EXPECT_EQ(spool.Append("a", Entry("xxxx")), AppendResult::kDropped);
  EXPECT_EQ(spool.Append("../evil", Entry("xxxx")), AppendResult::kDropped);
  auto counters = spool.Counters();
  EXPECT_EQ(counters["a"].pending_records, 1u);
  EXPECT_EQ(counters["a"].dropped_records, 2u);
  EXPECT_EQ(counters["b"].dropped_records, 0u);
  EXPECT_EQ(counters["../evil"].dropped_records, 1u);
  EXPECT_EQ(spool.total_bytes(), 2 * entry_size);
  EXPECT_FALSE(std::filesystem::exists(dir.path().parent_path() / "evil.active"));
}

TEST(FileSpoolTest, ConcurrentAppendsAndSealsLoseNothing) {
  TempDir dir;
  FileSpool spool(dir.path(), 1 << 26);
  ASSERT_TRUE(spool.Open(TestTime()));
  constexpr int kThreads = 4, kPerThread = 300;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&spool, t] {
      for (int i = 0; i < kPerThread; ++i) {
        spool.Append("src", Entry("t" + std::to_string(t) + "-" + std::to_string(i)));
      }
    });
  }
  for (int i = 0; i < 50; ++i) {
    spool.Seal("src", TestTime() + std::chrono::seconds(i));
  }
  for (auto& thread : threads) {
    thread.join();
  }
  spool.Seal("src", TestTime() + std::chrono::hours(1));
  std::set<std::string> seen;
  std::size_t total = 0;
  for (const SealedSegment& segment : spool.ListSealed("src")) {
    for (const std::string& line : Lines(spool, segment)) {
      seen.insert(line);
      ++total;
    }
  }
  EXPECT_EQ(total, static_cast<std::size_t>(kThreads * kPerThread));
  EXPECT_EQ(seen.size(), total);
}

}  // namespace
}  // namespace logbucket::logging
