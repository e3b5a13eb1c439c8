#include "logging/log_object_key.h"

#include <gtest/gtest.h>

#include <regex>

namespace logbucket::logging {
namespace {

using namespace std::chrono;

const system_clock::time_point kDelivery =
    sys_days{year{2013} / 11 / 1} + hours{21} + minutes{32} + seconds{16} + milliseconds(450);
const system_clock::time_point kEvent = sys_days{year{2013} / 10 / 31} + hours{23} + minutes{59};

LogObjectKeyParams Params(std::string prefix, KeyFormat format, PartitionDateSource source) {
  return {.prefix = std::move(prefix),
          .key_format = format,
          .date_source = source,
          .source_account = "123456789012",
          .source_region = "us-east-1",
          .source_bucket = "src-bucket",
          .delivery_time = kDelivery,
          .event_day = kEvent,
          .unique = "E568B2907131C0C0"};
}

TEST(LogObjectKeyTest, Table) {
  struct Case {
    LogObjectKeyParams params;
    std::string key;
  };
  const Case cases[] = {
      {Params("logs/", KeyFormat::kSimplePrefix, PartitionDateSource::kEventTime),
       "logs/2013-11-01-21-32-16-E568B2907131C0C0"},
      // The prefix is verbatim: no separator is added.
      {Params("logs", KeyFormat::kSimplePrefix, PartitionDateSource::kDeliveryTime),
       "logs2013-11-01-21-32-16-E568B2907131C0C0"},
      {Params("", KeyFormat::kSimplePrefix, PartitionDateSource::kEventTime),
       "2013-11-01-21-32-16-E568B2907131C0C0"},
      {Params("logs/", KeyFormat::kPartitionedPrefix, PartitionDateSource::kDeliveryTime),
       "logs/123456789012/us-east-1/src-bucket/2013/11/01/2013-11-01-21-32-16-E568B2907131C0C0"},
      // EventTime: the events' day, and the time part 00-00-00.
      {Params("logs/", KeyFormat::kPartitionedPrefix, PartitionDateSource::kEventTime),
       "logs/123456789012/us-east-1/src-bucket/2013/10/31/2013-10-31-00-00-00-E568B2907131C0C0"},
      {Params("p-", KeyFormat::kPartitionedPrefix, PartitionDateSource::kEventTime),
       "p-123456789012/us-east-1/src-bucket/2013/10/31/2013-10-31-00-00-00-E568B2907131C0C0"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(MakeLogObjectKey(c.params), c.key);
  }
}

TEST(LogObjectKeyTest, KeysMatchTheS3TestsRegexes) {
  const std::regex simple(R"(^(.+?)(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(.+)$)");
  const std::regex partitioned(
      R"(^(.+?)([^/]+)/([^/]+)/([^/]+)/(\d{4})/(\d{2})/(\d{2})/(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(.+)$)");
  EXPECT_TRUE(std::regex_match(
      MakeLogObjectKey(Params("x/", KeyFormat::kSimplePrefix, PartitionDateSource::kEventTime)),
      simple));
  EXPECT_TRUE(std::regex_match(MakeLogObjectKey(Params("x/", KeyFormat::kPartitionedPrefix,
                                                       PartitionDateSource::kDeliveryTime)),
                               partitioned));
}

TEST(LogObjectKeyTest, UniqueStringIsDeterministicSixteenUpperHex) {
  const std::string a = MakeUniqueString("segment 1 group 0 part 0");
  EXPECT_TRUE(std::regex_match(a, std::regex("[0-9A-F]{16}"))) << a;
  EXPECT_EQ(a, MakeUniqueString("segment 1 group 0 part 0"));
  EXPECT_NE(a, MakeUniqueString("segment 1 group 0 part 1"));
  // SHA-256("abc") starts with ba7816bf8f01cfea.
  EXPECT_EQ(MakeUniqueString("abc"), "BA7816BF8F01CFEA");
}

TEST(LogObjectKeyTest, UtcDayOfIsMidnight) {
  EXPECT_EQ(UtcDayOf(kEvent), sys_days{year{2013} / 10 / 31});
}

}  // namespace
}  // namespace logbucket::logging
