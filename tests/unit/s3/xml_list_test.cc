#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "server/s3/xml/list_xml.h"

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

ListEntry Entry(std::string key, std::string etag, uint64_t size) {
  ListEntry entry;
  entry.key = std::move(key);
  entry.last_modified_ms = 1255369830000;
  entry.etag = std::move(etag);
  entry.size = size;
  entry.storage_class = "STANDARD";
  return entry;
}

ListObjectsResult V1() {
  ListObjectsResult result;
  result.bucket = "example-bucket";
  result.prefix = "photos/";
  result.delimiter = "/";
  result.max_keys = 2;
  result.is_truncated = true;
  result.marker = "photos/a.jpg";
  result.next_marker = "photos/c & d.jpg";
  ListEntry first = Entry("photos/b.jpg", "fba9dede5f27731c9771645a39863328", 434234);
  first.owner = Owner{"owner-id", "owner"};
  first.checksum_algorithms = {"CRC32"};
  first.checksum_type = "FULL_OBJECT";
  result.contents.push_back(first);
  ListEntry second = Entry("photos/c & d.jpg", "\"3f1e-2\"", 0);
  second.owner = Owner{"owner-id", ""};
  result.contents.push_back(second);
  result.common_prefixes = {"photos/2006/", "photos/<2007>/"};
  return result;
}

TEST(RenderListBucketResultTest, V1MatchesGolden) {
  EXPECT_EQ(RenderListBucketResult(V1()), Golden("xml_list_bucket_v1.xml"));
}

TEST(RenderListBucketResultTest, V2UrlEncodedMatchesGolden) {
  ListObjectsResult result;
  result.v2 = true;
  result.bucket = "b";
  result.prefix = "dir with space/";
  result.delimiter = "/";
  result.encoding_type = "url";
  result.max_keys = 1000;
  result.is_truncated = true;
  result.continuation_token = "dG9rZW4=";
  result.next_continuation_token = "bmV4dA==";
  result.start_after = "dir with space/a+b";
  result.key_count = 2;
  result.contents.push_back(Entry("dir with space/caf\xC3\xA9?.txt", "etag", 5));
  result.contents.back().checksum_algorithms = {"CRC32", "SHA256"};
  result.common_prefixes = {"dir with space/%sub/"};
  EXPECT_EQ(RenderListBucketResult(result), Golden("xml_list_bucket_v2_url.xml"));
}

TEST(RenderListBucketResultTest, V1NextMarkerOnlyWithDelimiterAndTruncation) {
  ListObjectsResult result = V1();
  EXPECT_NE(RenderListBucketResult(result).find("<NextMarker>"), std::string::npos);
  result.delimiter.clear();
  EXPECT_EQ(RenderListBucketResult(result).find("<NextMarker>"), std::string::npos);
  result = V1();
  result.is_truncated = false;
  EXPECT_EQ(RenderListBucketResult(result).find("<NextMarker>"), std::string::npos);
}

TEST(RenderListBucketResultTest, EmptyV2ListingIsExact) {
  ListObjectsResult result;
  result.v2 = true;
  result.bucket = "b";
  result.max_keys = 1000;
  result.next_continuation_token = "ignored-when-not-truncated";
  EXPECT_EQ(RenderListBucketResult(result),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name>"
            "<Prefix/><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys>"
            "<IsTruncated>false</IsTruncated></ListBucketResult>");
}

TEST(RenderListBucketResultTest, ControlCharactersAndCarriageReturnsInKeysAreEscaped) {
  ListObjectsResult result;
  result.bucket = "b";
  result.contents.push_back(Entry(std::string("a\rb\x01", 4), "e", 1));
  const std::string xml = RenderListBucketResult(result);
  EXPECT_NE(xml.find("<Key>a&#13;b&#01;</Key>"), std::string::npos) << xml;
}

}  // namespace
}  // namespace logbucket::s3::xml
