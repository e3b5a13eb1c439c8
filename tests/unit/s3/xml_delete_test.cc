#include <gtest/gtest.h>

#include "server/s3/xml/delete_xml.h"

namespace logbucket::s3::xml {
namespace {

std::string Objects(size_t count) {
  std::string text;
  for (size_t i = 0; i < count; ++i)
    text += "<Object><Key>k" + std::to_string(i) + "</Key></Object>";
  return text;
}

TEST(ParseDeleteTest, ValidDocuments) {
  struct Case {
    std::string text;
    DeleteRequest expected;
  };
  const Case cases[] = {
      {"<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Object><Key>a</Key></Object>"
       "</Delete>",
       {false, {{"a", ""}}}},
      {"<Delete>\n  <Quiet>true</Quiet>\n  <Object>\n    <Key>dir/a b</Key>\n"
       "    <VersionId> v1 </VersionId>\n  </Object>\n  <Object><Key> </Key></Object>\n"
       "</Delete>\n",
       {true, {{"dir/a b", "v1"}, {" ", ""}}}},
      {"<Delete><Quiet> False </Quiet><Object><Key>&lt;&amp;&gt;&quot;</Key></Object>"
       "<Object><Key><![CDATA[c<d]]></Key><ETag>\"x\"</ETag></Object></Delete>",
       {false, {{"<&>\"", ""}, {"c<d", ""}}}},
      {"<Delete><Object><Key>a</Key></Object><Object><Key>a</Key></Object></Delete>",
       {false, {{"a", ""}, {"a", ""}}}},
  };
  for (const Case& c : cases) {
    auto parsed = ParseDelete(c.text);
    ASSERT_TRUE(parsed.has_value()) << c.text;
    EXPECT_EQ(*parsed, c.expected) << c.text;
  }
}

TEST(ParseDeleteTest, AcceptsExactlyOneThousandObjects) {
  auto parsed = ParseDelete("<Delete>" + Objects(kMaxDeleteObjects) + "</Delete>");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->objects.size(), kMaxDeleteObjects);
  EXPECT_EQ(parsed->objects.back().first, "k999");
}

TEST(ParseDeleteTest, MalformedDocuments) {
  const std::string cases[] = {
      "<Delete/>",
      "<Delete><Quiet>true</Quiet></Delete>",
      "<Delete>" + Objects(kMaxDeleteObjects + 1) + "</Delete>",
      "<Delete><Object><VersionId>v</VersionId></Object></Delete>",
      "<Delete><Object/></Delete>",
      "<Delete><Object><Key>a</Key><Key>b</Key></Object></Delete>",
      "<Delete><Object><Key><Sub/></Key></Object></Delete>",
      "<Delete><Quiet>yes</Quiet><Object><Key>a</Key></Object></Delete>",
      "<Delete><Quiet>true</Quiet><Quiet>true</Quiet><Object><Key>a</Key></Object></Delete>",
      "<DeleteObjects><Object><Key>a</Key></Object></DeleteObjects>",
  };
  for (const std::string& text : cases) {
    auto parsed = ParseDelete(text);
    ASSERT_FALSE(parsed.has_value()) << text.substr(0, 200);
    EXPECT_EQ(parsed.error().code, ErrorCode::kMalformedXML) << text.substr(0, 200);
  }
}

TEST(RenderDeleteResultTest, DeletedThenErrors) {
  EXPECT_EQ(RenderDeleteResult({{"a", ""}, {"b & c", "v2"}},
                               {{"locked", "", "AccessDenied", "Access Denied"},
                                {"x", "v9", "NoSuchVersion", "The \"version\" does not exist"}}),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<DeleteResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            "<Deleted><Key>a</Key></Deleted>"
            "<Deleted><Key>b &amp; c</Key><VersionId>v2</VersionId></Deleted>"
            "<Error><Key>locked</Key><Code>AccessDenied</Code><Message>Access Denied</Message>"
            "</Error><Error><Key>x</Key><VersionId>v9</VersionId><Code>NoSuchVersion</Code>"
            "<Message>The &quot;version&quot; does not exist</Message></Error></DeleteResult>");
}

TEST(RenderDeleteResultTest, QuietSuccessIsAnEmptyResult) {
  EXPECT_EQ(RenderDeleteResult({}, {}),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<DeleteResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"/>");
}

}  // namespace
}  // namespace logbucket::s3::xml
