#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "server/s3/xml/bucket_xml.h"

namespace logbucket::s3::xml {
namespace {

std::string Golden(const std::string& name) {
  std::ifstream in(std::string(LOGBUCKET_TEST_DATA) + "/" + name);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream content;
  content << in.rdbuf();
  std::string text = content.str();
  if (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

constexpr const char* kDeclaration = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

TEST(RenderListAllMyBucketsTest, MatchesGolden) {
  const Owner owner{"75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a", "me"};
  const std::vector<BucketEntry> buckets = {
      {"amzn-s3-demo-bucket", 1255369830000, "us-east-1"},
      {"logs & more", 1700000000123, "eu-west-1"},
      {"no-region", 0, ""},
  };
  EXPECT_EQ(RenderListAllMyBuckets(owner, buckets), Golden("xml_list_all_my_buckets.xml"));
}

TEST(RenderListAllMyBucketsTest, EmptyListAndOwnerWithoutDisplayName) {
  EXPECT_EQ(RenderListAllMyBuckets({"id1", ""}, {}),
            std::string(kDeclaration) +
                "<ListAllMyBucketsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                "<Owner><ID>id1</ID></Owner><Buckets/></ListAllMyBucketsResult>");
}

TEST(ParseCreateBucketConfigurationTest, ValidDocuments) {
  struct Case {
    const char* text;
    const char* expected;
  };
  const Case cases[] = {
      {"<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
       "<LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>",
       "eu-west-1"},
      {"<CreateBucketConfiguration>\n  <LocationConstraint>\n    ap-south-1\n  "
       "</LocationConstraint>\n</CreateBucketConfiguration>\n",
       "ap-south-1"},
      {"<CreateBucketConfiguration/>", ""},
      {"<CreateBucketConfiguration><LocationConstraint/></CreateBucketConfiguration>", ""},
      {"<CreateBucketConfiguration><Location><Type>AvailabilityZone</Type><Name>usw2-az1</Name>"
       "</Location><LocationConstraint>us-west-2</LocationConstraint>"
       "</CreateBucketConfiguration>",
       "us-west-2"},
  };
  for (const Case& c : cases) {
    auto parsed = ParseCreateBucketConfiguration(c.text);
    ASSERT_TRUE(parsed.has_value()) << c.text;
    EXPECT_EQ(parsed->location_constraint, c.expected) << c.text;
  }
}

TEST(ParseCreateBucketConfigurationTest, MalformedDocuments) {
  const char* cases[] = {
      "<CreateBucketConfiguration><LocationConstraint>a</LocationConstraint>"
      "<LocationConstraint>b</LocationConstraint></CreateBucketConfiguration>",
      "<CreateBucketConfiguration><LocationConstraint><X/></LocationConstraint>"
      "</CreateBucketConfiguration>",
      "<LocationConstraint>eu-west-1</LocationConstraint>",
  };
  for (const char* text : cases) {
    auto parsed = ParseCreateBucketConfiguration(text);
    ASSERT_FALSE(parsed.has_value()) << text;
    EXPECT_EQ(parsed.error().code, ErrorCode::kMalformedXML) << text;
  }
}

TEST(RenderLocationConstraintTest, UsEast1IsAnEmptyElement) {
  EXPECT_EQ(RenderLocationConstraint("us-east-1"),
            std::string(kDeclaration) +
                "<LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"/>");
  EXPECT_EQ(RenderLocationConstraint(""), RenderLocationConstraint("us-east-1"));
  EXPECT_EQ(RenderLocationConstraint("eu-central-1"),
            std::string(kDeclaration) +
                "<LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                "eu-central-1</LocationConstraint>");
}

TEST(ObjectOwnershipTest, NamesRoundTripAndUnknownNamesAreRefused) {
  for (ObjectOwnership o :
       {ObjectOwnership::kBucketOwnerEnforced, ObjectOwnership::kBucketOwnerPreferred,
        ObjectOwnership::kObjectWriter}) {
    EXPECT_EQ(ParseObjectOwnershipName(ObjectOwnershipName(o)), o);
  }
  EXPECT_EQ(ObjectOwnershipName(ObjectOwnership::kBucketOwnerPreferred), "BucketOwnerPreferred");
  EXPECT_EQ(ParseObjectOwnershipName("bucketownerenforced"), std::nullopt);
  EXPECT_EQ(ParseObjectOwnershipName(""), std::nullopt);
  EXPECT_EQ(ParseObjectOwnershipName("ObjectWriter "), std::nullopt);
}

TEST(OwnershipControlsTest, RenderIsExactAndRoundTrips) {
  EXPECT_EQ(RenderOwnershipControls(ObjectOwnership::kObjectWriter),
            std::string(kDeclaration) +
                "<OwnershipControls xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Rule>"
                "<ObjectOwnership>ObjectWriter</ObjectOwnership></Rule></OwnershipControls>");
  for (ObjectOwnership o :
       {ObjectOwnership::kBucketOwnerEnforced, ObjectOwnership::kBucketOwnerPreferred,
        ObjectOwnership::kObjectWriter}) {
    auto parsed = ParseOwnershipControls(RenderOwnershipControls(o));
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, o);
  }
}

TEST(OwnershipControlsTest, ParsesWhitespaceAroundTheValue) {
  auto parsed = ParseOwnershipControls(
      "<OwnershipControls>\n <Rule>\n  <ObjectOwnership> BucketOwnerPreferred\n"
      "  </ObjectOwnership>\n </Rule>\n</OwnershipControls>");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, ObjectOwnership::kBucketOwnerPreferred);
}

TEST(OwnershipControlsTest, MalformedDocuments) {
  const char* cases[] = {
      "<OwnershipControls/>",
      "<OwnershipControls><Rule/></OwnershipControls>",
      "<OwnershipControls><Rule><ObjectOwnership>Everyone</ObjectOwnership></Rule>"
      "</OwnershipControls>",
      "<OwnershipControls><Rule><ObjectOwnership/></Rule></OwnershipControls>",
      "<OwnershipControls><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule>"
      "<Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule></OwnershipControls>",
      "<OwnershipControls><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership>"
      "<ObjectOwnership>ObjectWriter</ObjectOwnership></Rule></OwnershipControls>",
      "<Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule>",
  };
  for (const char* text : cases) {
    auto parsed = ParseOwnershipControls(text);
    ASSERT_FALSE(parsed.has_value()) << text;
    EXPECT_EQ(parsed.error().code, ErrorCode::kMalformedXML) << text;
  }
}

}  // namespace
}  // namespace logbucket::s3::xml
