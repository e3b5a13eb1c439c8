#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "server/s3/xml/multipart_xml.h"

namespace logbucket::s3::xml {
namespace {

constexpr const char* kHead = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

std::string Golden(const std::string& name) {
  std::ifstream in(std::string(LOGBUCKET_TEST_DATA) + "/" + name);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream content;
  content << in.rdbuf();
  std::string text = content.str();
  if (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

TEST(RenderCopyResultTest, CopyObjectAndCopyPart) {
  EXPECT_EQ(RenderCopyObjectResult("9b2cf535f27731c974343645a3985328", 1256769120000,
                                   {{"CRC32", "AAAAAA=="}}),
            std::string(kHead) +
                "<CopyObjectResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                "<LastModified>2009-10-28T22:32:00.000Z</LastModified>"
                "<ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag>"
                "<ChecksumCRC32>AAAAAA==</ChecksumCRC32></CopyObjectResult>");
  EXPECT_EQ(RenderCopyPartResult("\"quoted\"", 0, {}),
            std::string(kHead) +
                "<CopyPartResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                "<LastModified>1970-01-01T00:00:00.000Z</LastModified>"
                "<ETag>&quot;quoted&quot;</ETag></CopyPartResult>");
}

TEST(RenderInitiateMultipartUploadResultTest, Exact) {
  EXPECT_EQ(RenderInitiateMultipartUploadResult("b", "dir/k&1", "VXBsb2FkIElE"),
            std::string(kHead) +
                "<InitiateMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                "<Bucket>b</Bucket><Key>dir/k&amp;1</Key><UploadId>VXBsb2FkIElE</UploadId>"
                "</InitiateMultipartUploadResult>");
}

TEST(ParseCompleteMultipartUploadTest, ValidDocuments) {
  auto parsed = ParseCompleteMultipartUpload(
      "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
      "  <Part>\n    <PartNumber> 1 </PartNumber>\n    <ETag>\"a54357aff0632cce46d942af68356b38\""
      "</ETag>\n    <ChecksumCRC32>AAAAAA==</ChecksumCRC32>\n"
      "    <ChecksumSHA256> c2hh </ChecksumSHA256>\n  </Part>\n"
      "  <Part><ETag>0c78aef83f66abc1fa1e8477f296d394</ETag><PartNumber>10000</PartNumber>"
      "</Part>\n"
      "  <Part><PartNumber>2</PartNumber><ETag>&quot;e&quot;</ETag></Part>\n"
      "</CompleteMultipartUpload>");
  ASSERT_TRUE(parsed.has_value());
  const std::vector<CompletePart> expected = {
      {1, "\"a54357aff0632cce46d942af68356b38\"", {{"CRC32", "AAAAAA=="}, {"SHA256", "c2hh"}}},
      {10000, "0c78aef83f66abc1fa1e8477f296d394", {}},
      {2, "\"e\"", {}},
  };
  EXPECT_EQ(*parsed, expected);
}

TEST(ParseCompleteMultipartUploadTest, MalformedDocuments) {
  auto part = [](const std::string& children) {
    return "<CompleteMultipartUpload><Part>" + children + "</Part></CompleteMultipartUpload>";
  };
  const std::string cases[] = {
      "<CompleteMultipartUpload/>",
      "<CompleteMultipartUpload>\n</CompleteMultipartUpload>",
      part("<ETag>e</ETag>"),
      part("<PartNumber>1</PartNumber>"),
      part("<PartNumber>0</PartNumber><ETag>e</ETag>"),
      part("<PartNumber>10001</PartNumber><ETag>e</ETag>"),
      part("<PartNumber>-1</PartNumber><ETag>e</ETag>"),
      part("<PartNumber>one</PartNumber><ETag>e</ETag>"),
      part("<PartNumber>1x</PartNumber><ETag>e</ETag>"),
      part("<PartNumber>+1</PartNumber><ETag>e</ETag>"),
      part("<PartNumber></PartNumber><ETag>e</ETag>"),
      part("<PartNumber>99999999999999999999999</PartNumber><ETag>e</ETag>"),
      part("<PartNumber>1</PartNumber><PartNumber>2</PartNumber><ETag>e</ETag>"),
      part("<PartNumber>1</PartNumber><ETag>e</ETag><ETag>f</ETag>"),
      part("<PartNumber>1</PartNumber><ETag><x/></ETag>"),
      "<CompleteMultipartUploadResult><Part><PartNumber>1</PartNumber><ETag>e</ETag></Part>"
      "</CompleteMultipartUploadResult>",
  };
  for (const std::string& text : cases) {
    auto parsed = ParseCompleteMultipartUpload(text);
    ASSERT_FALSE(parsed.has_value()) << text;
    EXPECT_EQ(parsed.error().code, ErrorCode::kMalformedXML) << text;
  }
}

TEST(RenderCompleteMultipartUploadResultTest, WithAndWithoutChecksums) {
  EXPECT_EQ(RenderCompleteMultipartUploadResult(
                "http://127.0.0.1:9000/b/k", "b", "k", "3858f62230ac3c915f300c664312c11f-9",
                {{"CRC32", "q1+x3A=="}, {"CRC32C", "c32c"}}, "COMPOSITE"),
            std::string(kHead) +
                "<CompleteMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                "<Location>http://127.0.0.1:9000/b/k</Location><Bucket>b</Bucket><Key>k</Key>"
                "<ETag>&quot;3858f62230ac3c915f300c664312c11f-9&quot;</ETag>"
                "<ChecksumCRC32>q1+x3A==</ChecksumCRC32><ChecksumCRC32C>c32c</ChecksumCRC32C>"
                "<ChecksumType>COMPOSITE</ChecksumType></CompleteMultipartUploadResult>");
  EXPECT_EQ(RenderCompleteMultipartUploadResult("l", "b", "k", "e-1", {}, ""),
            std::string(kHead) +
                "<CompleteMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                "<Location>l</Location><Bucket>b</Bucket><Key>k</Key>"
                "<ETag>&quot;e-1&quot;</ETag></CompleteMultipartUploadResult>");
}

TEST(RenderListPartsResultTest, MatchesGolden) {
  ListPartsResult result;
  result.bucket = "example-bucket";
  result.key = "example-object";
  result.upload_id = "XXBsb2FkIElEIGZvciBlbHZpbmcncyVcdS1tb3ZpZS5tMnRzEEEwbG9hZA";
  result.initiator = {"arn:aws:iam::111122223333:user/some-user", "umat-user"};
  result.owner = {"75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a", ""};
  result.storage_class = "STANDARD";
  result.part_number_marker = 1;
  result.next_part_number_marker = 3;
  result.max_parts = 2;
  result.is_truncated = true;
  result.parts = {
      {2, 1289421514000, "7778aef83f66abc1fa1e8477f296d394", 10485760, {{"CRC32", "AAAAAA=="}}},
      {3, 1289421515123, "aaaa18db4cc2f85cedef654fccc4a4x8", 10485760, {}},
  };
  result.checksum_algorithm = "CRC32";
  result.checksum_type = "COMPOSITE";
  EXPECT_EQ(RenderListPartsResult(result), Golden("xml_list_parts.xml"));
}

TEST(RenderListMultipartUploadsResultTest, MatchesGolden) {
  ListUploadsResult result;
  result.bucket = "bucket";
  result.key_marker = "a b";
  result.upload_id_marker = "id+0";
  result.next_key_marker = "photos/my movie.m2ts";
  result.next_upload_id_marker = "id+2";
  result.prefix = "photos/";
  result.delimiter = "/";
  result.encoding_type = "url";
  result.max_uploads = 3;
  result.is_truncated = true;
  result.uploads = {
      {"photos/my movie.m2ts",
       "id+2",
       {"init-id", "init"},
       {"owner-id", "owner"},
       "STANDARD",
       1289420913000,
       "CRC32"},
  };
  result.common_prefixes = {"photos/2006/"};
  EXPECT_EQ(RenderListMultipartUploadsResult(result), Golden("xml_list_uploads.xml"));
}

TEST(RenderListMultipartUploadsResultTest, EmptyWithoutEncodingOrDelimiter) {
  ListUploadsResult result;
  result.bucket = "b";
  result.max_uploads = 1000;
  EXPECT_EQ(RenderListMultipartUploadsResult(result),
            std::string(kHead) +
                "<ListMultipartUploadsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                "<Bucket>b</Bucket><KeyMarker/><UploadIdMarker/><NextKeyMarker/>"
                "<NextUploadIdMarker/><Prefix/><MaxUploads>1000</MaxUploads>"
                "<IsTruncated>false</IsTruncated></ListMultipartUploadsResult>");
}

}  // namespace
}  // namespace logbucket::s3::xml
