#include "logging/delivery.h"

#include <gtest/gtest.h>

#include "tests/unit/logging/fakes.h"

namespace logbucket::logging {
namespace {

using namespace std::chrono;
using testing::InMemoryLogObjectWriter;
using testing::TempDir;
using testing::TestTime;

SpoolEntry Entry(const std::string& line, const std::string& target = "target",
                 system_clock::time_point event = TestTime()) {
  return {.target_bucket = target,
          .target_prefix = "logs/",
          .key_format = KeyFormat::kSimplePrefix,
          .date_source = PartitionDateSource::kEventTime,
          .source_account = "123456789012",
          .source_region = "us-east-1",
          .event_time = event,
          .line = line};
}

SealedSegment Segment(uint64_t sequence) {
  return {.path = "/nonexistent",
          .source_bucket = "src",
          .sequence = sequence,
          .seal_time = TestTime()};
}

TEST(DeliveryTest, PlanGroupsSplitsAndNamesDeterministically) {
  const std::vector<SpoolEntry> entries = {Entry("aaaa"), Entry("bbbb", "other"), Entry("cccc"),
                                           Entry("dddd")};
  // 10 bytes: two 5-byte records ("aaaa\n") per object.
  const auto plan = PlanSegmentObjects(Segment(7), entries, 10);
  ASSERT_EQ(plan.size(), 3u);
  EXPECT_EQ(plan[0].target_bucket, "target");
  EXPECT_EQ(plan[0].body, "aaaa\ncccc\n");
  EXPECT_EQ(plan[1].body, "dddd\n");
  EXPECT_EQ(plan[2].target_bucket, "other");
  EXPECT_EQ(plan[2].body, "bbbb\n");
  EXPECT_EQ(plan[0].key.rfind("logs/2024-03-05-10-20-00-", 0), 0u) << plan[0].key;
  EXPECT_NE(plan[0].key, plan[1].key);
  // Same segment, same keys; another sequence, other keys.
  const auto again = PlanSegmentObjects(Segment(7), entries, 10);
  const auto other = PlanSegmentObjects(Segment(8), entries, 10);
  for (std::size_t i = 0; i < plan.size(); ++i) {
    EXPECT_EQ(again[i].key, plan[i].key);
    EXPECT_NE(other[i].key, plan[i].key);
  }
}

TEST(DeliveryTest, ARecordLargerThanTheLimitGetsItsOwnObject) {
  const auto plan =
      PlanSegmentObjects(Segment(1), {Entry("a"), Entry(std::string(50, 'x')), Entry("b")}, 10);
  ASSERT_EQ(plan.size(), 3u);
  EXPECT_EQ(plan[0].body, "a\n");
  EXPECT_EQ(plan[1].body, std::string(50, 'x') + "\n");
  EXPECT_EQ(plan[2].body, "b\n");
}

TEST(DeliveryTest, EventTimePartitionsSplitByEventDay) {
  std::vector<SpoolEntry> entries = {Entry("day1"), Entry("day2", "target", TestTime() + days(1))};
  for (SpoolEntry& e : entries) {
    e.key_format = KeyFormat::kPartitionedPrefix;
  }
  const auto plan = PlanSegmentObjects(Segment(1), entries, 1 << 20);
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0].key.rfind("logs/123456789012/us-east-1/src/2024/03/05/2024-03-05-00-00-00-", 0),
            0u)
      << plan[0].key;
  EXPECT_EQ(plan[1].key.rfind("logs/123456789012/us-east-1/src/2024/03/06/2024-03-06-00-00-00-", 0),
            0u)
      << plan[1].key;
}

class DeliverSegmentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(spool_.Open(TestTime()));
    spool_.Append("src", Entry("one"));
    spool_.Append("src", Entry("two", "other"));
    spool_.Seal("src", TestTime());
    segments_ = spool_.ListSealed("src");
    ASSERT_EQ(segments_.size(), 1u);
  }

  TempDir dir_;
  FileSpool spool_{dir_.path(), 1 << 20};
  std::vector<SealedSegment> segments_;
  InMemoryLogObjectWriter writer_;
};

TEST_F(DeliverSegmentTest, PartlyDeliveredSegmentResumesWithTheMissingObject) {
  writer_.SetProblem("other", DeliveryProblem::kTargetMissing);
  SegmentOutcome first = DeliverSegment(spool_, segments_[0], writer_, {});
  EXPECT_FALSE(first.forgotten);
  ASSERT_EQ(first.objects.size(), 2u);
  EXPECT_TRUE(first.objects[0].written);
  EXPECT_FALSE(first.objects[1].written);
  EXPECT_EQ(first.objects[1].problem, DeliveryProblem::kTargetMissing);
  writer_.SetProblem("other", DeliveryProblem::kNone);
  SegmentOutcome second = DeliverSegment(spool_, segments_[0], writer_, {});
  EXPECT_TRUE(second.forgotten);
  ASSERT_EQ(second.objects.size(), 1u);
  EXPECT_EQ(second.objects[0].target_bucket, "other");
  EXPECT_EQ(writer_.PutsTo("target"), 1);
  EXPECT_EQ(writer_.PutsTo("other"), 1);
  EXPECT_TRUE(spool_.ListSealed(std::nullopt).empty());
}

TEST_F(DeliverSegmentTest, CrashBetweenPutAndForgetDoesNotDuplicate) {
  writer_.ThrowAfterPut(1);
  EXPECT_THROW(DeliverSegment(spool_, segments_[0], writer_, {}), std::runtime_error);
  const auto after_crash = writer_.Objects();
  ASSERT_EQ(after_crash.size(), 1u);
  // Redelivery (the segment is still there, nothing marked done) rewrites the same object.
  SegmentOutcome outcome = DeliverSegment(spool_, segments_[0], writer_, {});
  EXPECT_TRUE(outcome.forgotten);
  const auto objects = writer_.Objects();
  ASSERT_EQ(objects.size(), 2u);
  EXPECT_EQ(objects.at(after_crash.begin()->first), after_crash.begin()->second);
  EXPECT_EQ(writer_.puts(), 3);
}

TEST_F(DeliverSegmentTest, StrictModeKeepsNonPermittedTargetsPending) {
  writer_.SetProblem("target", DeliveryProblem::kNotPermitted);
  SegmentOutcome strict =
      DeliverSegment(spool_, segments_[0], writer_, {.strict_permissions = true});
  EXPECT_FALSE(strict.forgotten);
  EXPECT_EQ(writer_.PutsTo("target"), 0);
  SegmentOutcome lenient = DeliverSegment(spool_, segments_[0], writer_, {});
  EXPECT_TRUE(lenient.forgotten);
  ASSERT_EQ(lenient.objects.size(), 1u);
  EXPECT_TRUE(lenient.objects[0].written);
  EXPECT_EQ(lenient.objects[0].problem, DeliveryProblem::kNotPermitted);
  EXPECT_EQ(lenient.objects[0].message.rfind("delivered, but Amazon would not deliver: ", 0), 0u);
}

TEST_F(DeliverSegmentTest, WriteFailureKeepsThePendingObject) {
  writer_.SetProblem("target", DeliveryProblem::kWriteFailed);
  SegmentOutcome outcome = DeliverSegment(spool_, segments_[0], writer_, {});
  EXPECT_FALSE(outcome.forgotten);
  ASSERT_EQ(outcome.objects.size(), 2u);
  EXPECT_EQ(outcome.objects[0].problem, DeliveryProblem::kWriteFailed);
  EXPECT_EQ(outcome.objects[0].message, "disk full");
  EXPECT_EQ(spool_.ListSealed("src").size(), 1u);
}

}  // namespace
}  // namespace logbucket::logging
