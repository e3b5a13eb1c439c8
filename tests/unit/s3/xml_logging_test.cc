#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "server/s3/xml/logging_xml.h"

namespace logbucket::s3::xml {
namespace {

using logging::FilterRule;
using logging::KeyFormat;
using logging::LoggingConfiguration;
using logging::PartitionDateSource;
using logging::TargetGrant;

std::string Golden(const std::string& name) {
  std::ifstream in(std::string(LOGBUCKET_TEST_DATA) + "/" + name);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream content;
  content << in.rdbuf();
  std::string text = content.str();
  if (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

std::string Status(const std::string& logging_enabled_children) {
  return "<BucketLoggingStatus xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LoggingEnabled>" +
         logging_enabled_children + "</LoggingEnabled></BucketLoggingStatus>";
}

TargetGrant MakeGrant(std::string type, std::string permission, std::string id,
                      std::string display_name, std::string email_address, std::string uri) {
  TargetGrant grant;
  grant.grantee_type = std::move(type);
  grant.permission = std::move(permission);
  grant.id = std::move(id);
  grant.display_name = std::move(display_name);
  grant.email_address = std::move(email_address);
  grant.uri = std::move(uri);
  return grant;
}

LoggingConfiguration Everything() {
  LoggingConfiguration c;
  c.target_bucket = "log-target";
  c.target_prefix = "logs/<src>&\"x\"/";
  const std::string log_delivery = "http://acs.amazonaws.com/groups/s3/LogDelivery";
  c.target_grants = {
      MakeGrant("CanonicalUser", "FULL_CONTROL", "abc123", "me", "", ""),
      MakeGrant("AmazonCustomerByEmail", "READ", "", "", "x@example.com", ""),
      MakeGrant("Group", "WRITE", "", "", "", log_delivery),
      MakeGrant("Group", "READ_ACP", "", "", "", log_delivery),
  };
  c.key_format_given = true;
  c.key_format = KeyFormat::kPartitionedPrefix;
  c.partition_date_source_given = true;
  c.partition_date_source = PartitionDateSource::kDeliveryTime;
  c.logging_type = "Journal";
  c.object_roll_time = 300;
  c.records_batch_size = 0;
  c.filter_given = true;
  c.filter_rules = {{"prefix", "images/"}, {"suffix", ".jpg"}, {"regex", "^a.*[0-9]$"}};
  return c;
}

TEST(RenderBucketLoggingStatusTest, EveryElementMatchesGolden) {
  EXPECT_EQ(RenderBucketLoggingStatus(Everything()), Golden("xml_logging_everything.xml"));
}

TEST(RenderBucketLoggingStatusTest, DisabledIsAnEmptyElement) {
  EXPECT_EQ(RenderBucketLoggingStatus(std::nullopt),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<BucketLoggingStatus xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"/>");
}

TEST(RenderBucketLoggingStatusTest, OnlyWhatWasGivenIsEchoed) {
  LoggingConfiguration c;
  c.target_bucket = "t";
  EXPECT_EQ(RenderBucketLoggingStatus(c),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" +
                Status("<TargetBucket>t</TargetBucket><TargetPrefix/>"));
  c.key_format_given = true;
  EXPECT_EQ(RenderBucketLoggingStatus(c),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" +
                Status("<TargetBucket>t</TargetBucket><TargetPrefix/>"
                       "<TargetObjectKeyFormat><SimplePrefix/></TargetObjectKeyFormat>"));
  c.key_format = KeyFormat::kPartitionedPrefix;
  EXPECT_EQ(RenderBucketLoggingStatus(c),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" +
                Status("<TargetBucket>t</TargetBucket><TargetPrefix/>"
                       "<TargetObjectKeyFormat><PartitionedPrefix/></TargetObjectKeyFormat>"));
}

TEST(RenderPostBucketLoggingOutputTest, NamesTheFlushedObject) {
  EXPECT_EQ(RenderPostBucketLoggingOutput("fish/2024-08-06-09-40-09-0000000002AGQ6W1"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<PostBucketLoggingOutput xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            "<FlushedLoggingObject>fish/2024-08-06-09-40-09-0000000002AGQ6W1"
            "</FlushedLoggingObject></PostBucketLoggingOutput>");
}

TEST(BucketLoggingStatusTest, RoundTrips) {
  std::vector<std::optional<LoggingConfiguration>> cases;
  cases.push_back(std::nullopt);
  cases.push_back(Everything());
  LoggingConfiguration minimal;
  minimal.target_bucket = "t";
  cases.push_back(minimal);
  LoggingConfiguration simple = minimal;
  simple.key_format_given = true;
  simple.target_prefix = " spaced ";
  cases.push_back(simple);
  LoggingConfiguration event_time = minimal;
  event_time.key_format_given = true;
  event_time.key_format = KeyFormat::kPartitionedPrefix;
  event_time.partition_date_source_given = true;
  event_time.partition_date_source = PartitionDateSource::kEventTime;
  event_time.target_prefix = "a\r\nb\tc";
  cases.push_back(event_time);
  LoggingConfiguration empty_filter = minimal;
  empty_filter.filter_given = true;
  empty_filter.logging_type = "Standard";
  cases.push_back(empty_filter);
  for (const auto& config : cases) {
    const std::string rendered = RenderBucketLoggingStatus(config);
    auto parsed = ParseBucketLoggingStatus(rendered);
    ASSERT_TRUE(parsed.has_value()) << rendered;
    EXPECT_EQ(*parsed, config) << rendered;
  }
}

TEST(ParseBucketLoggingStatusTest, AwsDocumentationExample) {
  auto parsed = ParseBucketLoggingStatus(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<BucketLoggingStatus xmlns=\"http://doc.s3.amazonaws.com/2006-03-01\">\n"
      "  <LoggingEnabled>\n"
      "    <TargetBucket>mybucketlogs</TargetBucket>\n"
      "    <TargetPrefix>mybucket-access_log-/</TargetPrefix>\n"
      "    <TargetGrants>\n"
      "      <Grant>\n"
      "        <Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"\n"
      "                 xsi:type=\"AmazonCustomerByEmail\">\n"
      "          <EmailAddress>user@company.com</EmailAddress>\n"
      "        </Grantee>\n"
      "        <Permission>READ</Permission>\n"
      "      </Grant>\n"
      "    </TargetGrants>\n"
      "    <TargetObjectKeyFormat>\n"
      "      <PartitionedPrefix>\n"
      "        <PartitionDateSource> EventTime </PartitionDateSource>\n"
      "      </PartitionedPrefix>\n"
      "    </TargetObjectKeyFormat>\n"
      "  </LoggingEnabled>\n"
      "</BucketLoggingStatus>\n");
  ASSERT_TRUE(parsed.has_value());
  ASSERT_TRUE(parsed->has_value());
  const LoggingConfiguration& c = **parsed;
  EXPECT_EQ(c.target_bucket, "mybucketlogs");
  EXPECT_EQ(c.target_prefix, "mybucket-access_log-/");
  ASSERT_EQ(c.target_grants.size(), 1u);
  EXPECT_EQ(c.target_grants[0],
            MakeGrant("AmazonCustomerByEmail", "READ", "", "", "user@company.com", ""));
  EXPECT_TRUE(c.key_format_given);
  EXPECT_EQ(c.key_format, KeyFormat::kPartitionedPrefix);
  EXPECT_TRUE(c.partition_date_source_given);
  EXPECT_EQ(c.partition_date_source, PartitionDateSource::kEventTime);
  EXPECT_FALSE(c.logging_type.has_value());
  EXPECT_FALSE(c.object_roll_time.has_value());
  EXPECT_FALSE(c.records_batch_size.has_value());
  EXPECT_FALSE(c.filter_given);
}

TEST(ParseBucketLoggingStatusTest, FlagsRecordExactlyWhatWasGiven) {
  struct Case {
    std::string children;
    bool key_format_given, partitioned, date_source_given, filter_given;
  };
  const Case cases[] = {
      {"<TargetBucket>t</TargetBucket>", false, false, false, false},
      {"<TargetBucket>t</TargetBucket><TargetObjectKeyFormat><SimplePrefix/>"
       "</TargetObjectKeyFormat>",
       true, false, false, false},
      {"<TargetBucket>t</TargetBucket><TargetObjectKeyFormat><PartitionedPrefix>"
       "</PartitionedPrefix></TargetObjectKeyFormat>",
       true, true, false, false},
      {"<TargetBucket>t</TargetBucket><TargetObjectKeyFormat><PartitionedPrefix>"
       "<PartitionDateSource>DeliveryTime</PartitionDateSource></PartitionedPrefix>"
       "</TargetObjectKeyFormat>",
       true, true, true, false},
      {"<TargetBucket>t</TargetBucket><Filter/>", false, false, false, true},
  };
  for (const Case& c : cases) {
    auto parsed = ParseBucketLoggingStatus(Status(c.children));
    ASSERT_TRUE(parsed.has_value() && parsed->has_value()) << c.children;
    const LoggingConfiguration& config = **parsed;
    EXPECT_EQ(config.key_format_given, c.key_format_given) << c.children;
    EXPECT_EQ(config.key_format == KeyFormat::kPartitionedPrefix, c.partitioned) << c.children;
    EXPECT_EQ(config.partition_date_source_given, c.date_source_given) << c.children;
    EXPECT_EQ(config.filter_given, c.filter_given) << c.children;
    EXPECT_EQ(config.target_prefix, "") << c.children;
  }
}

TEST(ParseBucketLoggingStatusTest, EmptyStatusDisablesLogging) {
  for (const char* text :
       {"<BucketLoggingStatus xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"/>",
        "<BucketLoggingStatus/>", "<BucketLoggingStatus>\n  \n</BucketLoggingStatus>"}) {
    auto parsed = ParseBucketLoggingStatus(text);
    ASSERT_TRUE(parsed.has_value()) << text;
    EXPECT_FALSE(parsed->has_value()) << text;
  }
}

TEST(ParseBucketLoggingStatusTest, CephExtensions) {
  auto parsed = ParseBucketLoggingStatus(
      Status("<TargetBucket>t</TargetBucket><TargetPrefix>p/</TargetPrefix>"
             "<LoggingType>Journal</LoggingType><ObjectRollTime> 60 </ObjectRollTime>"
             "<RecordsBatchSize>0</RecordsBatchSize><Filter><S3Key>"
             "<FilterRule><Name>prefix</Name><Value>a/</Value></FilterRule>"
             "<FilterRule><Name>suffix</Name><Value> .txt</Value></FilterRule>"
             "</S3Key></Filter>"));
  ASSERT_TRUE(parsed.has_value() && parsed->has_value());
  const LoggingConfiguration& c = **parsed;
  EXPECT_EQ(c.logging_type, "Journal");
  EXPECT_EQ(c.object_roll_time, 60);
  EXPECT_EQ(c.records_batch_size, 0);
  EXPECT_TRUE(c.filter_given);
  EXPECT_EQ(c.filter_rules, (std::vector<FilterRule>{{"prefix", "a/"}, {"suffix", " .txt"}}));
}

TEST(ParseBucketLoggingStatusTest, MalformedDocuments) {
  const std::string grantee_user =
      "<Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
      "xsi:type=\"CanonicalUser\"><ID>i</ID></Grantee>";
  const std::string t = "<TargetBucket>t</TargetBucket>";
  const std::string cases[] = {
      Status(""),                                // no TargetBucket
      Status("<TargetPrefix>p</TargetPrefix>"),  // no TargetBucket
      Status(t + t),                             // duplicated
      Status(t + "<TargetPrefix>a</TargetPrefix><TargetPrefix>b</TargetPrefix>"),
      Status(t + "<Unknown/>"),  // closed schema
      Status(t + "stray text"),
      Status("<TargetBucket><b>t</b></TargetBucket>"),  // not a leaf
      Status(t + "<TargetGrants><Grant>" + grantee_user +
             "<Permission>WRITE_ACP</Permission></Grant></TargetGrants>"),
      Status(t + "<TargetGrants><Grant>" + grantee_user +
             "<Permission>NOTAREALPERM</Permission></Grant></TargetGrants>"),
      Status(t + "<TargetGrants><Grant>" + grantee_user + "</Grant></TargetGrants>"),
      Status(t + "<TargetGrants><Grant><Permission>READ</Permission></Grant></TargetGrants>"),
      Status(t + "<TargetGrants><Grant><Grantee xsi:type=\"Robot\"><ID>i</ID></Grantee>"
                 "<Permission>READ</Permission></Grant></TargetGrants>"),
      Status(t + "<TargetGrants><Grant><Grantee><ID>i</ID></Grantee>"
                 "<Permission>READ</Permission></Grant></TargetGrants>"),
      Status(t + "<TargetGrants><Other/></TargetGrants>"),
      Status(t + "<TargetObjectKeyFormat/>"),
      Status(t + "<TargetObjectKeyFormat><SimplePrefix/><PartitionedPrefix/>"
                 "</TargetObjectKeyFormat>"),
      Status(t + "<TargetObjectKeyFormat><SimplePrefix>x</SimplePrefix>"
                 "</TargetObjectKeyFormat>"),
      Status(t + "<TargetObjectKeyFormat><OtherPrefix/></TargetObjectKeyFormat>"),
      Status(t + "<TargetObjectKeyFormat><PartitionedPrefix><PartitionDateSource>Yesterday"
                 "</PartitionDateSource></PartitionedPrefix></TargetObjectKeyFormat>"),
      Status(t + "<TargetObjectKeyFormat><PartitionedPrefix><PartitionDateSource>eventtime"
                 "</PartitionDateSource></PartitionedPrefix></TargetObjectKeyFormat>"),
      Status(t + "<LoggingType>Verbose</LoggingType>"),
      Status(t + "<ObjectRollTime>soon</ObjectRollTime>"),
      Status(t + "<ObjectRollTime>-1</ObjectRollTime>"),
      Status(t + "<ObjectRollTime>99999999999999999999</ObjectRollTime>"),
      Status(t + "<RecordsBatchSize>1.5</RecordsBatchSize>"),
      Status(t + "<RecordsBatchSize></RecordsBatchSize>"),
      Status(t + "<Filter><S3Key><FilterRule><Name>contains</Name><Value>x</Value>"
                 "</FilterRule></S3Key></Filter>"),
      Status(t + "<Filter><S3Key><FilterRule><Name>prefix</Name></FilterRule></S3Key>"
                 "</Filter>"),
      Status(t + "<Filter><Tags/></Filter>"),
      "<BucketLoggingStatus><LoggingEnabled>" + t + "</LoggingEnabled><LoggingEnabled>" + t +
          "</LoggingEnabled></BucketLoggingStatus>",
      "<BucketLoggingStatus><Other/></BucketLoggingStatus>",
      "<LoggingEnabled>" + t + "</LoggingEnabled>",
  };
  for (const std::string& text : cases) {
    auto parsed = ParseBucketLoggingStatus(text);
    ASSERT_FALSE(parsed.has_value()) << text;
    EXPECT_EQ(parsed.error().code, ErrorCode::kMalformedXML) << text;
  }
}

}  // namespace
}  // namespace logbucket::s3::xml
