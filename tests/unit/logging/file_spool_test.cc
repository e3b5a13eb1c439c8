#include "logging/file_spool.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <csignal>
#include <fstream>
#include <iterator>
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

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void WriteFile(const std::filesystem::path& path, const std::string& content) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
}

// An encoded entry without its '\n', as a writer that died before storing it leaves its slot:
// the first `written` bytes copied (at most all but the '\n'), the rest still zero.
std::string TornSlot(const std::string& line, std::size_t written) {
  std::string slot = EncodeSpoolEntry(Entry(line));
  for (std::size_t i = std::min(written, slot.size() - 1); i < slot.size(); ++i) {
    slot[i] = '\0';
  }
  return slot;
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

TEST(FileSpoolTest, EncodedEntriesHoldNoNulAndLinesWithNulAreRefused) {
  SpoolEntry entry = Entry("line", std::string("p\0q", 3));
  entry.source_account = std::string("\0", 1);
  const std::string encoded = EncodeSpoolEntry(entry);
  EXPECT_EQ(encoded.find('\0'), std::string::npos) << encoded;
  auto decoded = DecodeSpoolEntry(encoded);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, entry);
  EXPECT_FALSE(
      DecodeSpoolEntry(EncodeSpoolEntry(Entry("li")).substr(0, 60) + std::string("\0", 1)));

  TempDir dir;
  FileSpool spool(dir.path(), 1 << 20);
  ASSERT_TRUE(spool.Open(TestTime()));
  EXPECT_EQ(spool.Append("src", Entry(std::string("a\0b", 3))), AppendResult::kDropped);
  EXPECT_EQ(spool.Append("src", Entry("a\rb")), AppendResult::kDropped);
  EXPECT_EQ(spool.Counters()["src"].dropped_records, 2u);
  EXPECT_EQ(spool.total_bytes(), 0u);
}

TEST(FileSpoolTest, EventTimesBeyondWhatATimePointHoldsAreMalformed) {
  const std::string good = EncodeSpoolEntry(Entry("x"));
  const std::string millis = std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                Entry("x").event_time.time_since_epoch())
                                                .count());
  ASSERT_NE(good.find(millis), std::string::npos);
  auto with_millis = [&](const std::string& value) {
    std::string line = good;
    return line.replace(line.find(millis), millis.size(), value);
  };
  // system_clock ends on 2262-04-11T23:47:16.854Z.
  auto last = DecodeSpoolEntry(with_millis("9223372036854"));
  ASSERT_TRUE(last);
  EXPECT_EQ(last->event_time.time_since_epoch(), std::chrono::milliseconds(9223372036854));
  EXPECT_TRUE(DecodeSpoolEntry(with_millis("-9223372036854")));
  EXPECT_FALSE(DecodeSpoolEntry(with_millis("9223372036855")));
  EXPECT_FALSE(DecodeSpoolEntry(with_millis("-9223372036855")));
  EXPECT_FALSE(DecodeSpoolEntry(with_millis("9223372036854775807")));
  EXPECT_FALSE(DecodeSpoolEntry(with_millis("99999999999999999999")));

  // The same bound for the seal time in a sealed segment's name: such a file is not a segment.
  TempDir dir;
  WriteFile(dir.path() / "00000000000000000001-9223372036855-src.sealed", good);
  WriteFile(dir.path() / "00000000000000000002-9223372036854-src.sealed", good);
  FileSpool spool(dir.path(), 1 << 20);
  ASSERT_TRUE(spool.Open(TestTime()));
  const auto sealed = spool.ListSealed("src");
  ASSERT_EQ(sealed.size(), 1u);
  EXPECT_EQ(sealed[0].sequence, 2u);
}

TEST(FileSpoolTest, NormallySealedSegmentsHoldExactlyTheEncodedEntries) {
  TempDir dir;
  FileSpool spool(dir.path(), 1 << 20);
  ASSERT_TRUE(spool.Open(TestTime()));
  std::string expected;
  for (const char* line : {"one", "two", "three"}) {
    ASSERT_EQ(spool.Append("src", Entry(line)), AppendResult::kAppended);
    expected += EncodeSpoolEntry(Entry(line));
  }
  EXPECT_EQ(spool.total_bytes(), expected.size());
  EXPECT_EQ(spool.Counters()["src"].pending_bytes, expected.size());
  spool.Seal("src", TestTime());
  const auto sealed = spool.ListSealed("src");
  ASSERT_EQ(sealed.size(), 1u);
  EXPECT_EQ(ReadFile(sealed[0].path), expected);
}

// The active file has real blocks (not a sparse size: a store into a hole on a full disk would be
// SIGBUS) reserved in growing steps, so a quiet bucket holds little disk.
TEST(FileSpoolTest, ActiveSegmentsReserveRealBlocksInGrowingSteps) {
  TempDir dir;
  FileSpool spool(dir.path(), uint64_t{1} << 30);
  ASSERT_TRUE(spool.Open(TestTime()));
  ASSERT_EQ(spool.Append("src", Entry("one")), AppendResult::kAppended);
  const auto path = dir.path() / "src.active";
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(static_cast<uint64_t>(st.st_size), kSegmentFirstBytes);
  EXPECT_GE(static_cast<uint64_t>(st.st_blocks) * 512, kSegmentFirstBytes);
  const std::string line(kSegmentFirstBytes, 'z');
  ASSERT_EQ(spool.Append("src", Entry(line)), AppendResult::kAppended);
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(static_cast<uint64_t>(st.st_size), 2 * kSegmentFirstBytes);
  EXPECT_GE(static_cast<uint64_t>(st.st_blocks) * 512, 2 * kSegmentFirstBytes);
  spool.Seal("src", TestTime());
  const auto sealed = spool.ListSealed("src");
  ASSERT_EQ(sealed.size(), 1u);
  EXPECT_EQ(Lines(spool, sealed[0]), (std::vector<std::string>{"one", line}));
}

// Segments as a crash leaves them: torn slots (a NUL in their last byte) among complete entries,
// and a zero-filled tail. Exactly the complete entries come back, each once.
TEST(FileSpoolTest, TornSlotsAndTheZeroTailAreSkipped) {
  const std::string e1 = EncodeSpoolEntry(Entry("one"));
  const std::string e3 = EncodeSpoolEntry(Entry("three"));
  const std::string e5 = EncodeSpoolEntry(Entry("five"));
  const std::string e7 = EncodeSpoolEntry(Entry("seven"));
  const std::string content = e1 + TornSlot("two", 17) + e3 + TornSlot("four", SIZE_MAX) + e5 +
                              std::string(e5.size(), '\0') + TornSlot("six", 0) + e7 +
                              TornSlot("eight", 30) + std::string(4096, '\0');
  const std::vector<std::string> expected{"one", "three", "five", "seven"};

  TempDir dir;
  WriteFile(dir.path() / "00000000000000000001-0-sealed.sealed", content);
  WriteFile(dir.path() / "crashed.active", content);
  WriteFile(dir.path() / "onlytorn.active", TornSlot("x", 10) + std::string(100, '\0'));
  FileSpool spool(dir.path(), 1 << 20);
  ASSERT_TRUE(spool.Open(TestTime()));

  const auto sealed = spool.ListSealed("sealed");
  ASSERT_EQ(sealed.size(), 1u);
  EXPECT_EQ(Lines(spool, sealed[0]), expected);
  const uint64_t complete_bytes = e1.size() + e3.size() + e5.size() + e7.size();
  EXPECT_EQ(spool.ReadSegment(sealed[0])->bytes, complete_bytes);

  // The active segment of the crash is sealed, cut after its last complete entry.
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "crashed.active"));
  const auto recovered = spool.ListSealed("crashed");
  ASSERT_EQ(recovered.size(), 1u);
  EXPECT_EQ(Lines(spool, recovered[0]), expected);
  const std::string kept = ReadFile(recovered[0].path);
  EXPECT_EQ(kept, content.substr(0, content.rfind('\n') + 1));
  // One without any complete entry is removed.
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "onlytorn.active"));
  EXPECT_TRUE(spool.ListSealed("onlytorn").empty());

  auto counters = spool.Counters();
  EXPECT_EQ(counters["crashed"].pending_records, 4u);
  EXPECT_EQ(counters["sealed"].pending_records, 4u);
  EXPECT_EQ(counters["crashed"].pending_bytes, complete_bytes);
  EXPECT_EQ(spool.total_bytes(), 2 * complete_bytes);
}

TEST(FileSpoolTest, AFullSegmentIsSealedAndTheNextOneTakesTheEntry) {
  TempDir dir;
  FileSpool spool(dir.path(), uint64_t{1} << 30);
  ASSERT_TRUE(spool.Open(TestTime()));
  const std::string big(100 * 1024, 'x');
  const std::size_t entry_size = EncodeSpoolEntry(Entry(big + "000")).size();
  const std::size_t count = kSegmentMaxBytes / entry_size + 5;
  for (std::size_t i = 0; i < count; ++i) {
    SpoolEntry entry = Entry(big + fmt::format("{:03}", i));
    entry.event_time = TestTime() + std::chrono::seconds(i);
    ASSERT_EQ(spool.Append("src", entry), AppendResult::kAppended) << i;
  }
  spool.Seal("src", TestTime() + std::chrono::hours(1));
  const auto sealed = spool.ListSealed("src");
  ASSERT_EQ(sealed.size(), 2u);
  const std::size_t first = kSegmentMaxBytes / entry_size;
  // Sealed by the append that did not fit, at that entry's event time.
  EXPECT_EQ(sealed[0].seal_time, TestTime() + std::chrono::seconds(first));
  EXPECT_EQ(std::filesystem::file_size(sealed[0].path), first * entry_size);
  std::vector<std::string> lines = Lines(spool, sealed[0]);
  const std::vector<std::string> second = Lines(spool, sealed[1]);
  lines.insert(lines.end(), second.begin(), second.end());
  ASSERT_EQ(lines.size(), count);
  for (std::size_t i = 0; i < count; ++i) {
    EXPECT_EQ(lines[i], big + fmt::format("{:03}", i));
  }
  EXPECT_EQ(spool.Counters()["src"].pending_records, count);
}

// Appends under a file size limit just above the first growth step, as a full disk would refuse
// blocks, and checks what the spool says and holds; returns 0 when all is as expected.
int AppendBeyondAFileSizeLimit(const std::filesystem::path& dir) {
  std::signal(SIGXFSZ, SIG_IGN);
  FileSpool spool(dir, uint64_t{1} << 30);
  if (!spool.Open(TestTime())) return 10;
  const rlimit limit{.rlim_cur = kSegmentGrowthBytes + 1000,
                     .rlim_max = kSegmentGrowthBytes + 1000};
  if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) return 11;
  const std::string big(1000, 'y');
  std::size_t appended = 0;
  while (appended < 10000 &&
         spool.Append("src", Entry(big + std::to_string(appended))) == AppendResult::kAppended) {
    ++appended;
  }
  // The first step fits below the limit, the second does not.
  if (appended == 0 || appended * big.size() > kSegmentGrowthBytes) return 12;
  if (spool.Append("src", Entry(big)) != AppendResult::kDropped) return 13;
  const auto counters = spool.Counters()["src"];
  if (counters.dropped_records != 2 || counters.pending_records != appended) return 14;
  spool.Seal("src", TestTime());
  const auto sealed = spool.ListSealed("src");
  if (sealed.size() != 1) return 15;
  const auto lines = Lines(spool, sealed[0]);
  if (lines.size() != appended) return 16;
  for (std::size_t i = 0; i < appended; ++i) {
    if (lines[i] != big + std::to_string(i)) return 17;
  }
  return 0;
}

// A failed block reservation (here the file size limit; a full disk in production) drops the
// record and counts it, and harms nothing already spooled. In a child process: it sets a limit.
TEST(FileSpoolTest, AppendsThatCannotReserveSpaceAreDroppedAndHarmNothing) {
  TempDir dir;
  EXPECT_EXIT(std::_Exit(AppendBeyondAFileSizeLimit(dir.path())), ::testing::ExitedWithCode(0), "");
}

TEST(FileSpoolTest, ConcurrentAppendersNeverOvershootTheBound) {
  TempDir dir;
  const uint64_t entry_size = EncodeSpoolEntry(Entry("xxxx")).size();
  FileSpool spool(dir.path(), 100 * entry_size);
  ASSERT_TRUE(spool.Open(TestTime()));
  constexpr int kThreads = 4, kPerThread = 200;
  std::atomic<int> appended{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&spool, &appended, t] {
      for (int i = 0; i < kPerThread; ++i) {
        if (spool.Append(t % 2 == 0 ? "a" : "b", Entry("xxxx")) == AppendResult::kAppended) {
          ++appended;
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(appended.load(), 100);
  EXPECT_EQ(spool.total_bytes(), 100 * entry_size);
  auto counters = spool.Counters();
  EXPECT_EQ(counters["a"].pending_records + counters["b"].pending_records, 100u);
  EXPECT_EQ(counters["a"].dropped_records + counters["b"].dropped_records,
            static_cast<uint64_t>(kThreads * kPerThread - 100));
  spool.Seal(std::nullopt, TestTime());
  std::size_t lines = 0;
  for (const SealedSegment& segment : spool.ListSealed(std::nullopt)) {
    lines += Lines(spool, segment).size();
  }
  EXPECT_EQ(lines, 100u);
}

}  // namespace
}  // namespace logbucket::logging
