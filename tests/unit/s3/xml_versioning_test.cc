#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "server/s3/xml/versioning_xml.h"

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

using Status = VersioningStatus;
using Mfa = MfaDeleteStatus;

TEST(ParseVersioningConfigurationTest, ValidDocuments) {
  struct Case {
    const char* text;
    VersioningConfiguration expected;
  };
  const Case cases[] = {
      // What the AWS CLI and boto3 send.
      {"<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
       "<Status>Enabled</Status></VersioningConfiguration>",
       {Status::kEnabled, std::nullopt}},
      // What mc sends: no namespace.
      {"<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>",
       {Status::kSuspended, std::nullopt}},
      {"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<VersioningConfiguration>\n"
       "  <Status>\n    Enabled\n  </Status>\n  <MfaDelete> Disabled </MfaDelete>\n"
       "</VersioningConfiguration>\n",
       {Status::kEnabled, Mfa::kDisabled}},
      {"<VersioningConfiguration><MfaDelete>Enabled</MfaDelete><Status>Enabled</Status>"
       "</VersioningConfiguration>",
       {Status::kEnabled, Mfa::kEnabled}},
      // Missing or empty Status: S3 keeps the current state.
      {"<VersioningConfiguration/>", {}},
      {"<VersioningConfiguration>  </VersioningConfiguration>", {}},
      {"<VersioningConfiguration><Status/></VersioningConfiguration>", {}},
      {"<VersioningConfiguration><Status>  </Status><MfaDelete/></VersioningConfiguration>", {}},
      {"<VersioningConfiguration><MfaDelete>Disabled</MfaDelete></VersioningConfiguration>",
       {std::nullopt, Mfa::kDisabled}},
      {"<s3:VersioningConfiguration xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
       "<s3:Status>Suspended</s3:Status></s3:VersioningConfiguration>",
       {Status::kSuspended, std::nullopt}},
  };
  for (const Case& c : cases) {
    auto parsed = ParseVersioningConfiguration(c.text);
    ASSERT_TRUE(parsed.has_value()) << c.text;
    EXPECT_EQ(*parsed, c.expected) << c.text;
  }
}

TEST(ParseVersioningConfigurationTest, InvalidDocumentsAreMalformedXml) {
  const char* cases[] = {
      "",
      "<VersioningConfiguration>",
      "<VersioningConfiguration><Status>enabled</Status></VersioningConfiguration>",
      "<VersioningConfiguration><Status>Disabled</Status></VersioningConfiguration>",
      "<VersioningConfiguration><Status>On</Status></VersioningConfiguration>",
      "<VersioningConfiguration><Status>Enabled</Status><Status>Enabled</Status>"
      "</VersioningConfiguration>",
      "<VersioningConfiguration><Status><Value>Enabled</Value></Status></VersioningConfiguration>",
      "<VersioningConfiguration><MfaDelete>Yes</MfaDelete></VersioningConfiguration>",
      "<VersioningConfiguration><MFADelete>Enabled</MFADelete></VersioningConfiguration>",
      "<VersioningConfiguration><Status>Enabled</Status><Other/></VersioningConfiguration>",
      "<VersioningConfiguration>Enabled</VersioningConfiguration>",
      "<Versioning><Status>Enabled</Status></Versioning>",
      "<VersioningConfiguration/><VersioningConfiguration/>",
  };
  for (const char* text : cases) {
    auto parsed = ParseVersioningConfiguration(text);
    ASSERT_FALSE(parsed.has_value()) << text;
    EXPECT_EQ(parsed.error().code, ErrorCode::kMalformedXML) << text;
    EXPECT_EQ(parsed.error().http_status(), 400) << text;
    EXPECT_EQ(parsed.error().message,
              "The XML you provided was not well-formed or did not validate against our "
              "published schema")
        << text;
  }
}

TEST(RenderVersioningConfigurationTest, NeverVersionedIsTheEmptyDocument) {
  const std::string expected = std::string(kDeclaration) +
                               "<VersioningConfiguration "
                               "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"/>";
  EXPECT_EQ(RenderVersioningConfiguration(), expected);
  EXPECT_EQ(RenderVersioningConfiguration({}), expected);
}

TEST(RenderVersioningConfigurationTest, StatusThenMfaDeleteOnlyWhenConfigured) {
  const std::string open = std::string(kDeclaration) +
                           "<VersioningConfiguration "
                           "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  EXPECT_EQ(RenderVersioningConfiguration({Status::kEnabled, std::nullopt}),
            open + "<Status>Enabled</Status></VersioningConfiguration>");
  EXPECT_EQ(RenderVersioningConfiguration({Status::kSuspended, std::nullopt}),
            open + "<Status>Suspended</Status></VersioningConfiguration>");
  EXPECT_EQ(RenderVersioningConfiguration({Status::kSuspended, Mfa::kDisabled}),
            open +
                "<Status>Suspended</Status><MfaDelete>Disabled</MfaDelete>"
                "</VersioningConfiguration>");
  EXPECT_EQ(RenderVersioningConfiguration({Status::kEnabled, Mfa::kEnabled}),
            open +
                "<Status>Enabled</Status><MfaDelete>Enabled</MfaDelete>"
                "</VersioningConfiguration>");
}

TEST(VersioningConfigurationTest, RoundTrips) {
  for (auto status : {std::optional<Status>(), std::optional(Status::kEnabled),
                      std::optional(Status::kSuspended)}) {
    for (auto mfa :
         {std::optional<Mfa>(), std::optional(Mfa::kEnabled), std::optional(Mfa::kDisabled)}) {
      const VersioningConfiguration config{status, mfa};
      const std::string rendered = RenderVersioningConfiguration(config);
      auto parsed = ParseVersioningConfiguration(rendered);
      ASSERT_TRUE(parsed.has_value()) << rendered;
      EXPECT_EQ(*parsed, config) << rendered;
    }
  }
}

TEST(VersioningStatusNameTest, Names) {
  EXPECT_EQ(VersioningStatusName(Status::kEnabled), "Enabled");
  EXPECT_EQ(VersioningStatusName(Status::kSuspended), "Suspended");
  EXPECT_EQ(MfaDeleteStatusName(Mfa::kEnabled), "Enabled");
  EXPECT_EQ(MfaDeleteStatusName(Mfa::kDisabled), "Disabled");
}

VersionEntry Version(std::string key, std::string version_id, bool is_latest, int64_t ms) {
  VersionEntry entry;
  entry.key = std::move(key);
  entry.version_id = std::move(version_id);
  entry.is_latest = is_latest;
  entry.last_modified_ms = ms;
  entry.etag = "fba9dede5f27731c9771645a39863328";
  entry.size = 434234;
  entry.storage_class = "STANDARD";
  entry.owner = Owner{"owner-id", "owner"};
  return entry;
}

VersionEntry DeleteMarker(std::string key, std::string version_id, bool is_latest, int64_t ms) {
  VersionEntry entry;
  entry.delete_marker = true;
  entry.key = std::move(key);
  entry.version_id = std::move(version_id);
  entry.is_latest = is_latest;
  entry.last_modified_ms = ms;
  entry.owner = Owner{"owner-id", ""};
  // Ignored for a delete marker:
  entry.etag = "ignored";
  entry.size = 99;
  entry.storage_class = "STANDARD";
  entry.checksum_type = "FULL_OBJECT";
  return entry;
}

TEST(RenderListVersionsResultTest, TruncatedInterleavedListingMatchesGolden) {
  ListVersionsResult result;
  result.bucket = "example-bucket";
  result.prefix = "photos/";
  result.key_marker = "photos/a.jpg";
  result.version_id_marker = "3/L4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY";
  result.next_key_marker = "photos/c & d.jpg";
  result.next_version_id_marker = "null";
  result.max_keys = 4;
  result.delimiter = "/";
  result.is_truncated = true;
  VersionEntry latest =
      Version("photos/b.jpg", "QUpfdndhfd8438MNFDN93jdnJFkdmqnh893", true, 1255369830000);
  latest.checksum_algorithms = {"CRC32"};
  latest.checksum_type = "FULL_OBJECT";
  result.entries = {
      DeleteMarker("photos/a.jpg", "null", true, 1255369830123),
      latest,
      Version("photos/b.jpg", "UIORUnfndfhnw89493jJFJ", false, 1255369800000),
      DeleteMarker("photos/c & d.jpg", "03jpff543dhffds434rfdsFDN943fdsFkdmqnh892", false,
                   1255369700000),
  };
  result.entries[2].owner.reset();
  result.entries[2].storage_class.clear();
  result.common_prefixes = {"photos/2006/", "photos/<2007>/"};
  EXPECT_EQ(RenderListVersionsResult(result), Golden("xml_versioning_list_versions.xml"));
}

TEST(RenderListVersionsResultTest, EmptyUntruncatedListing) {
  ListVersionsResult result;
  result.bucket = "b";
  result.next_key_marker = "not rendered";
  result.next_version_id_marker = "not rendered";
  EXPECT_EQ(RenderListVersionsResult(result),
            std::string(kDeclaration) +
                "<ListVersionsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                "<Name>b</Name><Prefix/><KeyMarker/><VersionIdMarker/><MaxKeys>1000</MaxKeys>"
                "<IsTruncated>false</IsTruncated></ListVersionsResult>");
}

TEST(RenderListVersionsResultTest, TruncatedAtACommonPrefixOmitsNextVersionIdMarker) {
  ListVersionsResult result;
  result.bucket = "b";
  result.max_keys = 1;
  result.delimiter = "/";
  result.is_truncated = true;
  result.next_key_marker = "dir/";
  result.common_prefixes = {"dir/"};
  EXPECT_EQ(RenderListVersionsResult(result),
            std::string(kDeclaration) +
                "<ListVersionsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                "<Name>b</Name><Prefix/><KeyMarker/><VersionIdMarker/>"
                "<NextKeyMarker>dir/</NextKeyMarker><MaxKeys>1</MaxKeys>"
                "<Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>"
                "<CommonPrefixes><Prefix>dir/</Prefix></CommonPrefixes></ListVersionsResult>");
}

TEST(RenderListVersionsResultTest, UrlEncodingCoversKeysPrefixesAndKeyMarkersNotVersionIds) {
  ListVersionsResult result;
  result.bucket = "b";
  result.prefix = "a b/";
  result.key_marker = "a b/k+1";
  result.version_id_marker = "v+/=";
  result.next_key_marker = "a b/\xC3\xA9";
  result.next_version_id_marker = "n+/=";
  result.delimiter = "/";
  result.encoding_type = "url";
  result.is_truncated = true;
  result.max_keys = 2;
  VersionEntry version = Version("a b/x&y", "v+/=", true, 0);
  version.owner.reset();
  VersionEntry marker = DeleteMarker("a b/\x01", "m+/=", true, 0);
  marker.owner.reset();
  result.entries = {version, marker};
  result.common_prefixes = {"a b/c d/"};
  EXPECT_EQ(RenderListVersionsResult(result),
            std::string(kDeclaration) +
                "<ListVersionsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                "<Name>b</Name><Prefix>a%20b/</Prefix><KeyMarker>a%20b/k%2B1</KeyMarker>"
                "<VersionIdMarker>v+/=</VersionIdMarker>"
                "<NextKeyMarker>a%20b/%C3%A9</NextKeyMarker>"
                "<NextVersionIdMarker>n+/=</NextVersionIdMarker><MaxKeys>2</MaxKeys>"
                "<Delimiter>/</Delimiter><EncodingType>url</EncodingType>"
                "<IsTruncated>true</IsTruncated>"
                "<Version><Key>a%20b/x%26y</Key><VersionId>v+/=</VersionId>"
                "<IsLatest>true</IsLatest><LastModified>1970-01-01T00:00:00.000Z</LastModified>"
                "<ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag><Size>434234</Size>"
                "<StorageClass>STANDARD</StorageClass></Version>"
                "<DeleteMarker><Key>a%20b/%01</Key><VersionId>m+/=</VersionId>"
                "<IsLatest>true</IsLatest><LastModified>1970-01-01T00:00:00.000Z</LastModified>"
                "</DeleteMarker>"
                "<CommonPrefixes><Prefix>a%20b/c%20d/</Prefix></CommonPrefixes>"
                "</ListVersionsResult>");
}

}  // namespace
}  // namespace logbucket::s3::xml
