// ServerSideEncryptionConfiguration: exact rendering, round trips, and what S3 refuses.
#include <gtest/gtest.h>

#include "server/s3/xml/encryption_xml.h"

namespace logbucket::s3::xml {
namespace {

constexpr std::string_view kDeclaration = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

std::string Config(const std::string& rule_children) {
  return "<ServerSideEncryptionConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
         "<Rule>" +
         rule_children + "</Rule></ServerSideEncryptionConfiguration>";
}

TEST(EncryptionXmlTest, RendersTheDefaultAsS3Does) {
  EncryptionConfiguration config;
  config.blocked_encryption_types = {"SSE-C"};
  EXPECT_EQ(RenderServerSideEncryptionConfiguration(config),
            std::string(kDeclaration) +
                Config("<ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm>"
                       "</ApplyServerSideEncryptionByDefault>"
                       "<BucketKeyEnabled>false</BucketKeyEnabled>"
                       "<BlockedEncryptionTypes><EncryptionType>SSE-C</EncryptionType>"
                       "</BlockedEncryptionTypes>"));
}

TEST(EncryptionXmlTest, RoundTrips) {
  EncryptionConfiguration kms;
  kms.sse_algorithm = "aws:kms";
  kms.kms_master_key_id = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab";
  kms.bucket_key_enabled = true;
  EncryptionConfiguration plain;
  EncryptionConfiguration both_types;
  both_types.blocked_encryption_types = {"NONE", "SSE-C"};
  for (const EncryptionConfiguration& config : {kms, plain, both_types}) {
    auto parsed =
        ParseServerSideEncryptionConfiguration(RenderServerSideEncryptionConfiguration(config));
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, config);
  }
}

TEST(EncryptionXmlTest, ParsesWhatClientsSend) {
  // The aws CLI's document for put-bucket-encryption with an AES256 rule, no namespace prefix.
  auto cli = ParseServerSideEncryptionConfiguration(
      "<ServerSideEncryptionConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm>"
      "</ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>");
  ASSERT_TRUE(cli.has_value());
  EXPECT_EQ(cli->sse_algorithm, "AES256");
  EXPECT_FALSE(cli->bucket_key_enabled);
  EXPECT_TRUE(cli->blocked_encryption_types.empty());

  auto spaced = ParseServerSideEncryptionConfiguration(
      "<s3:ServerSideEncryptionConfiguration xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "\n <s3:Rule>\n  <s3:BucketKeyEnabled> TRUE </s3:BucketKeyEnabled>\n"
      "  <s3:BlockedEncryptionTypes><s3:EncryptionType> SSE-C </s3:EncryptionType>"
      "</s3:BlockedEncryptionTypes>\n </s3:Rule>\n</s3:ServerSideEncryptionConfiguration>");
  ASSERT_TRUE(spaced.has_value());
  EXPECT_EQ(spaced->sse_algorithm, "AES256") << "no default given: S3's base level";
  EXPECT_TRUE(spaced->bucket_key_enabled);
  EXPECT_EQ(spaced->blocked_encryption_types, std::vector<std::string>{"SSE-C"});

  auto dsse = ParseServerSideEncryptionConfiguration(
      Config("<ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms:dsse</SSEAlgorithm>"
             "<KMSMasterKeyID>alias/mine</KMSMasterKeyID></ApplyServerSideEncryptionByDefault>"));
  ASSERT_TRUE(dsse.has_value());
  EXPECT_EQ(dsse->sse_algorithm, "aws:kms:dsse");
  EXPECT_EQ(dsse->kms_master_key_id, "alias/mine");
}

TEST(EncryptionXmlTest, MalformedDocuments) {
  const std::string aes =
      "<ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm>"
      "</ApplyServerSideEncryptionByDefault>";
  const std::vector<std::string> cases = {
      "",
      "<ServerSideEncryptionConfiguration/>",  // no rule
      "<ServerSideEncryptionConfiguration><Rule/></ServerSideEncryptionConfiguration>",
      Config(aes).substr(0, 20),  // truncated
      "<ServerSideEncryptionConfiguration><Rule>" + aes + "</Rule><Rule>" + aes +
          "</Rule></ServerSideEncryptionConfiguration>",  // two rules
      Config("<ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES512</SSEAlgorithm>"
             "</ApplyServerSideEncryptionByDefault>"),  // unknown value
      Config("<ApplyServerSideEncryptionByDefault><SSEAlgorithm>aes256</SSEAlgorithm>"
             "</ApplyServerSideEncryptionByDefault>"),  // case matters
      Config("<ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:fsx</SSEAlgorithm>"
             "</ApplyServerSideEncryptionByDefault>"),
      Config("<ApplyServerSideEncryptionByDefault/>"),  // no algorithm
      Config("<ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm>"
             "<Extra/></ApplyServerSideEncryptionByDefault>"),  // unknown element
      Config(aes + aes),                                        // repeated
      Config(aes + "<BucketKeyEnabled>yes</BucketKeyEnabled>"),
      Config(aes + "<Unknown/>"),
      Config("<BlockedEncryptionTypes/>"),
      Config("<BlockedEncryptionTypes><EncryptionType>SSE-KMS</EncryptionType>"
             "</BlockedEncryptionTypes>"),
      "<OwnershipControls><Rule>" + aes + "</Rule></OwnershipControls>",  // wrong root
  };
  for (const std::string& text : cases) {
    auto parsed = ParseServerSideEncryptionConfiguration(text);
    ASSERT_FALSE(parsed.has_value()) << text;
    EXPECT_EQ(parsed.error().code, ErrorCode::kMalformedXML) << text;
  }
}

TEST(EncryptionXmlTest, AKmsKeyWithAes256IsAnInvalidArgument) {
  auto parsed = ParseServerSideEncryptionConfiguration(
      Config("<ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm>"
             "<KMSMasterKeyID>k</KMSMasterKeyID></ApplyServerSideEncryptionByDefault>"));
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(parsed.error().message,
            "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or "
            "aws:kms:dsse");
  ASSERT_EQ(parsed.error().extra.size(), 1u);
  EXPECT_EQ(parsed.error().extra[0], (std::pair<std::string, std::string>{
                                         "ArgumentName", "ApplyServerSideEncryptionByDefault"}));
}

}  // namespace
}  // namespace logbucket::s3::xml
