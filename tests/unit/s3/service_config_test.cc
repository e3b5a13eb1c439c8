// s3::Service: bucket configuration operations: PutBucketLogging validation (missing target,
// other owner, other region, logging loops, malformed documents) and GetBucketLogging, bucket
// policies, ACLs and object ownership.
#include <gtest/gtest.h>

#include "tests/unit/s3/service_fixture.h"

namespace logbucket::s3::testing {
namespace {

constexpr std::string_view kNs = "http://s3.amazonaws.com/doc/2006-03-01/";

std::string LoggingBody(const std::string& target, const std::string& prefix) {
  return "<BucketLoggingStatus xmlns=\"" + std::string(kNs) + "\"><LoggingEnabled><TargetBucket>" +
         target + "</TargetBucket><TargetPrefix>" + prefix +
         "</TargetPrefix></LoggingEnabled></BucketLoggingStatus>";
}

class ConfigTest : public ServiceTest {
 protected:
  Result PutLogging(const std::string& bucket, const std::string& body, bool md5 = true,
                    const Key& key = kTestKey) {
    TestRequest r{.method = "PUT", .path = "/" + bucket, .query = "logging"};
    r.Body(body);
    if (md5) r.Header("Content-MD5", Md5Base64(body));
    return Send(r, key);
  }
  Result EnableLogging(const std::string& source, const std::string& target,
                       const std::string& prefix = "logs/") {
    return PutLogging(source, LoggingBody(target, prefix));
  }
  Result GetLogging(const std::string& bucket) {
    return Send({.method = "GET", .path = "/" + bucket, .query = "logging"});
  }
  Result PutSubresource(const std::string& bucket, const std::string& sub, std::string body,
                        std::vector<std::pair<std::string, std::string>> headers = {}) {
    TestRequest r{.method = "PUT", .path = "/" + bucket, .query = sub};
    r.headers = std::move(headers);
    if (!body.empty()) r.Header("Content-MD5", Md5Base64(body));
    r.Body(std::move(body));
    return Send(r);
  }
};

// --- Logging -----------------------------------------------------------------------------------

TEST_F(ConfigTest, LoggingRoundTripAndDisable) {
  MakeBucket("src");
  MakeBucket("logs");
  Result put = EnableLogging("src", "logs", "src-logs/");
  ASSERT_EQ(put.status(), 200) << put;
  EXPECT_EQ(put.log().operation, "REST.PUT.LOGGING_STATUS");
  auto registered = access_log_->GetConfiguration("src");
  ASSERT_TRUE(registered.has_value());
  EXPECT_EQ(registered->target_bucket, "logs");
  EXPECT_EQ(registered->target_prefix, "src-logs/");

  Result get = GetLogging("src");
  ASSERT_EQ(get.status(), 200) << get;
  EXPECT_EQ(get.log().operation, "REST.GET.LOGGING_STATUS");
  EXPECT_EQ(get.xml("/BucketLoggingStatus/LoggingEnabled/TargetBucket"), "logs");
  EXPECT_EQ(get.xml("/BucketLoggingStatus/LoggingEnabled/TargetPrefix"), "src-logs/");

  Result off = PutLogging("src", "<BucketLoggingStatus xmlns=\"" + std::string(kNs) + "\"/>");
  ASSERT_EQ(off.status(), 200) << off;
  EXPECT_FALSE(access_log_->GetConfiguration("src").has_value());
  Result after = GetLogging("src");
  EXPECT_EQ(after.xml("/BucketLoggingStatus/LoggingEnabled"), "<absent>") << after.body;
}

TEST_F(ConfigTest, PartitionedPrefixRoundTrip) {
  MakeBucket("src");
  MakeBucket("logs");
  std::string body = "<BucketLoggingStatus xmlns=\"" + std::string(kNs) +
                     "\"><LoggingEnabled><TargetBucket>logs</TargetBucket><TargetPrefix>p/"
                     "</TargetPrefix><TargetObjectKeyFormat><PartitionedPrefix>"
                     "<PartitionDateSource>DeliveryTime</PartitionDateSource>"
                     "</PartitionedPrefix></TargetObjectKeyFormat></LoggingEnabled>"
                     "</BucketLoggingStatus>";
  ASSERT_EQ(PutLogging("src", body).status(), 200);
  Result get = GetLogging("src");
  EXPECT_EQ(get.xml("/BucketLoggingStatus/LoggingEnabled/TargetObjectKeyFormat/PartitionedPrefix/"
                    "PartitionDateSource"),
            "DeliveryTime");
}

TEST_F(ConfigTest, LoggingConfigurationSurvivesAServiceRestart) {
  MakeBucket("src");
  MakeBucket("logs");
  ASSERT_EQ(EnableLogging("src", "logs").status(), 200);
  access_log_->SetConfiguration("src", {}, std::nullopt);  // a fresh registry
  ASSERT_TRUE(service_->LoadLoggingConfigurations().has_value());
  auto registered = access_log_->GetConfiguration("src");
  ASSERT_TRUE(registered.has_value());
  EXPECT_EQ(registered->target_bucket, "logs");
}

TEST_F(ConfigTest, MissingTargetBucket) {
  MakeBucket("src");
  Result got = EnableLogging("src", "no-such-target");
  EXPECT_EQ(got.status(), 400) << got;
  EXPECT_EQ(got.code(), "InvalidTargetBucketForLogging");
  EXPECT_EQ(got.xml("/Error/TargetBucket"), "no-such-target");
  EXPECT_FALSE(access_log_->GetConfiguration("src").has_value());
}

TEST_F(ConfigTest, TargetOwnedBySomeoneElse) {
  MakeBucket("src");
  MakeBucket("alice-logs", kAliceKey);
  Result got = EnableLogging("src", "alice-logs");
  EXPECT_EQ(got.status(), 400) << got;
  EXPECT_EQ(got.code(), "InvalidTargetBucketForLogging");
  EXPECT_FALSE(access_log_->GetConfiguration("src").has_value());
}

TEST_F(ConfigTest, TargetInAnotherRegion) {
  MakeBucket("src");
  MakeBucket("eu-logs", kTestKey, "eu-west-1");
  Result got = EnableLogging("src", "eu-logs");
  EXPECT_EQ(got.status(), 403) << got;
  EXPECT_EQ(got.code(), "CrossLocationLoggingProhibitted");
  EXPECT_EQ(got.xml("/Error/TargetBucketLocation"), "eu-west-1");
  EXPECT_FALSE(access_log_->GetConfiguration("src").has_value());
  MakeBucket("eu-src", kTestKey, "eu-west-1");
  EXPECT_EQ(EnableLogging("eu-src", "eu-logs").status(), 200) << "same region is fine";
}

TEST_F(ConfigTest, SelfLoggingIsRefused) {
  MakeBucket("selfish");
  Result got = EnableLogging("selfish", "selfish");
  EXPECT_EQ(got.status(), 400) << got;
  EXPECT_EQ(got.code(), "InvalidTargetBucketForLogging");
  EXPECT_NE(got.message().find("selfish"), std::string::npos) << got.message();
  EXPECT_NE(got.message().find("loop"), std::string::npos) << got.message();
  EXPECT_FALSE(access_log_->GetConfiguration("selfish").has_value());
}

TEST_F(ConfigTest, TwoBucketLoopIsRefused) {
  MakeBucket("aaa");
  MakeBucket("bbb");
  ASSERT_EQ(EnableLogging("aaa", "bbb").status(), 200);
  Result got = EnableLogging("bbb", "aaa");
  EXPECT_EQ(got.status(), 400) << got;
  EXPECT_EQ(got.code(), "InvalidTargetBucketForLogging");
  EXPECT_NE(got.message().find("bbb -> aaa -> bbb"), std::string::npos) << got.message();
  EXPECT_FALSE(access_log_->GetConfiguration("bbb").has_value());
  EXPECT_EQ(GetLogging("bbb").xml("/BucketLoggingStatus/LoggingEnabled"), "<absent>");
}

TEST_F(ConfigTest, ThreeBucketLoopIsRefused) {
  MakeBucket("aaa");
  MakeBucket("bbb");
  MakeBucket("ccc");
  ASSERT_EQ(EnableLogging("aaa", "bbb").status(), 200);
  ASSERT_EQ(EnableLogging("bbb", "ccc").status(), 200);
  Result got = EnableLogging("ccc", "aaa");
  EXPECT_EQ(got.status(), 400) << got;
  EXPECT_EQ(got.code(), "InvalidTargetBucketForLogging");
  EXPECT_NE(got.message().find("ccc -> aaa -> bbb -> ccc"), std::string::npos) << got.message();
  EXPECT_FALSE(access_log_->GetConfiguration("ccc").has_value());
  // Breaking the chain makes the same configuration acceptable.
  ASSERT_EQ(PutLogging("bbb", "<BucketLoggingStatus xmlns=\"" + std::string(kNs) + "\"/>").status(),
            200);
  EXPECT_EQ(EnableLogging("ccc", "aaa").status(), 200);
}

TEST_F(ConfigTest, SharedTargetIsNotALoop) {
  MakeBucket("aaa");
  MakeBucket("bbb");
  MakeBucket("logs");
  EXPECT_EQ(EnableLogging("aaa", "logs").status(), 200);
  EXPECT_EQ(EnableLogging("bbb", "logs").status(), 200);
  EXPECT_EQ(EnableLogging("aaa", "bbb").status(), 200) << "aaa -> bbb -> logs ends";
}

TEST_F(ConfigTest, MalformedLoggingDocuments) {
  MakeBucket("src");
  MakeBucket("logs");
  const std::vector<std::string> bodies = {
      "not xml at all",
      "<BucketLoggingStatus><LoggingEnabled><TargetPrefix>p</TargetPrefix></LoggingEnabled>"
      "</BucketLoggingStatus>",
      "<BucketLoggingStatus><LoggingEnabled><TargetBucket>logs</TargetBucket><Bogus/>"
      "</LoggingEnabled></BucketLoggingStatus>",
      "<BucketLoggingStatus><LoggingEnabled><TargetBucket>logs</TargetBucket>",
  };
  for (const auto& body : bodies) {
    SCOPED_TRACE(body);
    Result got = PutLogging("src", body);
    EXPECT_EQ(got.status(), 400) << got;
    EXPECT_EQ(got.code(), "MalformedXML");
  }
  EXPECT_FALSE(access_log_->GetConfiguration("src").has_value());
}

TEST_F(ConfigTest, PutLoggingWithoutContentMd5IsInvalidRequest) {
  MakeBucket("src");
  MakeBucket("logs");
  Result got = PutLogging("src", LoggingBody("logs", "p/"), false);
  EXPECT_EQ(got.status(), 400) << got;
  EXPECT_EQ(got.code(), "InvalidRequest");
  EXPECT_NE(got.message().find("Content-MD5"), std::string::npos);
  EXPECT_FALSE(access_log_->GetConfiguration("src").has_value());
  Result wrong_md5 = Send(TestRequest{.method = "PUT", .path = "/src", .query = "logging"}
                              .Body(LoggingBody("logs", "p/"))
                              .Header("Content-MD5", Md5Base64("other")));
  EXPECT_EQ(wrong_md5.code(), "BadDigest");
}

TEST_F(ConfigTest, OtherAccountCannotConfigureLogging) {
  MakeBucket("src");
  MakeBucket("logs");
  Result got = PutLogging("src", LoggingBody("logs", "p/"), true, kAliceKey);
  EXPECT_EQ(got.status(), 403);
  EXPECT_EQ(got.code(), "AccessDenied");
  EXPECT_FALSE(access_log_->GetConfiguration("src").has_value());
}

TEST_F(ConfigTest, LoggingStatusOfAKeyIsNotAThing) {
  MakeBucket("src");
  ASSERT_EQ(PutObject("src", "k", "x").status(), 200);
  Result got = Send({.method = "GET", .path = ObjectPath("src", "k"), .query = "logging"});
  EXPECT_EQ(got.code(), "NoLoggingStatusForKey");
}

TEST_F(ConfigTest, DeletingTheSourceBucketDropsItsConfiguration) {
  MakeBucket("src");
  MakeBucket("logs");
  ASSERT_EQ(EnableLogging("src", "logs").status(), 200);
  ASSERT_EQ(Send({.method = "DELETE", .path = "/src"}).status(), 204);
  EXPECT_FALSE(access_log_->GetConfiguration("src").has_value());
}

// --- Bucket policy -------------------------------------------------------------------------------

TEST_F(ConfigTest, BucketPolicyLifecycle) {
  MakeBucket("pol");
  Result none = Send({.method = "GET", .path = "/pol", .query = "policy"});
  EXPECT_EQ(none.status(), 404);
  EXPECT_EQ(none.code(), "NoSuchBucketPolicy");
  const std::string policy =
      R"({"Version":"2012-10-17","Statement":[{"Sid":"S3ServerAccessLogsPolicy",)"
      R"("Effect":"Allow","Principal":{"Service":"logging.s3.amazonaws.com"},)"
      R"("Action":"s3:PutObject","Resource":"arn:aws:s3:::pol/logs/*"}]})";
  Result put = PutSubresource("pol", "policy", policy);
  EXPECT_EQ(put.status(), 204) << put;
  EXPECT_EQ(put.log().operation, "REST.PUT.BUCKETPOLICY");
  Result get = Send({.method = "GET", .path = "/pol", .query = "policy"});
  EXPECT_EQ(get.status(), 200);
  EXPECT_EQ(get.body, policy);
  Result del = Send({.method = "DELETE", .path = "/pol", .query = "policy"});
  EXPECT_EQ(del.status(), 204);
  EXPECT_EQ(Send({.method = "GET", .path = "/pol", .query = "policy"}).code(),
            "NoSuchBucketPolicy");
}

TEST_F(ConfigTest, MalformedPolicies) {
  MakeBucket("pol");
  auto statement = [](const std::string& fields) {
    return R"({"Version":"2012-10-17","Statement":[{)" + fields + "}]}";
  };
  const std::string ok_rest =
      R"("Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::pol/*")";
  const std::vector<std::string> bad = {
      "not json",
      "[1,2]",
      R"({"Version":"2012-10-17"})",
      R"({"Version":"1999-01-01","Statement":[]})",
      statement(ok_rest),  // no Effect
      statement(R"("Effect":"Maybe",)" + ok_rest),
      statement(R"("Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::pol/*")"),
      statement(
          R"("Effect":"Allow","Principal":"*","Action":"ec2:Run","Resource":"arn:aws:s3:::pol/*")"),
      statement(
          R"("Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*")"),
      statement(R"("Effect":"Allow","Principal":"*","Action":"s3:GetObject")"),
  };
  for (const auto& p : bad) {
    SCOPED_TRACE(p);
    Result got = PutSubresource("pol", "policy", p);
    EXPECT_EQ(got.status(), 400) << got;
    EXPECT_EQ(got.code(), "MalformedPolicy");
  }
  EXPECT_EQ(Send({.method = "GET", .path = "/pol", .query = "policy"}).code(),
            "NoSuchBucketPolicy");
  EXPECT_EQ(PutSubresource("pol", "policy", statement(R"("Effect":"Deny",)" + ok_rest)).status(),
            204);
}

// --- ACL and object ownership ------------------------------------------------------------------

std::string Ownership(const std::string& value) {
  return "<OwnershipControls xmlns=\"" + std::string(kNs) + "\"><Rule><ObjectOwnership>" + value +
         "</ObjectOwnership></Rule></OwnershipControls>";
}

TEST_F(ConfigTest, LogDeliveryWriteNeedsAclsEnabled) {
  MakeBucket("acl-target");
  Result controls = Send({.method = "GET", .path = "/acl-target", .query = "ownershipControls"});
  ASSERT_EQ(controls.status(), 200) << controls;
  EXPECT_EQ(controls.xml("/OwnershipControls/Rule/ObjectOwnership"), "BucketOwnerEnforced");

  Result refused = PutSubresource("acl-target", "acl", "", {{"x-amz-acl", "log-delivery-write"}});
  EXPECT_EQ(refused.status(), 400) << refused;
  EXPECT_EQ(refused.code(), "AccessControlListNotSupported");
  EXPECT_EQ(refused.log().operation, "REST.PUT.ACL");

  Result owner_only = PutSubresource("acl-target", "acl", "", {{"x-amz-acl", "private"}});
  EXPECT_EQ(owner_only.status(), 200) << "an owner-only ACL is allowed while enforced";

  Result writer = PutSubresource("acl-target", "ownershipControls", Ownership("ObjectWriter"));
  ASSERT_EQ(writer.status(), 200) << writer;
  EXPECT_EQ(writer.log().operation, "REST.PUT.OWNERSHIP_CONTROLS");
  Result accepted = PutSubresource("acl-target", "acl", "", {{"x-amz-acl", "log-delivery-write"}});
  ASSERT_EQ(accepted.status(), 200) << accepted;

  Result acl = Send({.method = "GET", .path = "/acl-target", .query = "acl"});
  ASSERT_EQ(acl.status(), 200) << acl;
  auto uris = acl.xml_all("/AccessControlPolicy/AccessControlList/Grant/Grantee/URI");
  EXPECT_EQ(std::count(uris.begin(), uris.end(), "http://acs.amazonaws.com/groups/s3/LogDelivery"),
            2);
  auto permissions = acl.xml_all("/AccessControlPolicy/AccessControlList/Grant/Permission");
  EXPECT_NE(std::find(permissions.begin(), permissions.end(), "WRITE"), permissions.end());
  EXPECT_NE(std::find(permissions.begin(), permissions.end(), "READ_ACP"), permissions.end());
  EXPECT_EQ(acl.xml("/AccessControlPolicy/Owner/ID"), kTestCanonical);

  Result back = PutSubresource("acl-target", "ownershipControls", Ownership("BucketOwnerEnforced"));
  EXPECT_EQ(back.status(), 400) << back;
  EXPECT_EQ(back.code(), "InvalidBucketAclWithObjectOwnership");
}

TEST_F(ConfigTest, DefaultAclIsOwnerFullControl) {
  MakeBucket("acl-default");
  Result acl = Send({.method = "GET", .path = "/acl-default", .query = "acl"});
  ASSERT_EQ(acl.status(), 200) << acl;
  EXPECT_EQ(acl.xml_all("/AccessControlPolicy/AccessControlList/Grant/Grantee/ID"),
            std::vector<std::string>{std::string(kTestCanonical)});
  EXPECT_EQ(acl.xml_all("/AccessControlPolicy/AccessControlList/Grant/Permission"),
            std::vector<std::string>{"FULL_CONTROL"});
}

TEST_F(ConfigTest, CreateBucketWithObjectWriterOwnershipAcceptsAcls) {
  TestRequest r{.method = "PUT", .path = "/acl-writer"};
  r.Header("x-amz-object-ownership", "ObjectWriter");
  ASSERT_EQ(Send(r).status(), 200);
  Result accepted = PutSubresource("acl-writer", "acl", "", {{"x-amz-acl", "log-delivery-write"}});
  EXPECT_EQ(accepted.status(), 200) << accepted;
  Result bad_canned = PutSubresource("acl-writer", "acl", "", {{"x-amz-acl", "everyone-rw"}});
  EXPECT_EQ(bad_canned.code(), "InvalidArgument");
}

TEST_F(ConfigTest, OwnershipControlsCanBeDeleted) {
  MakeBucket("own");
  Result del = Send({.method = "DELETE", .path = "/own", .query = "ownershipControls"});
  EXPECT_EQ(del.status(), 204);
  Result get = Send({.method = "GET", .path = "/own", .query = "ownershipControls"});
  EXPECT_EQ(get.status(), 404);
  EXPECT_EQ(get.code(), "OwnershipControlsNotFoundError");
  Result malformed = PutSubresource("own", "ownershipControls", Ownership("Whatever"));
  EXPECT_EQ(malformed.code(), "MalformedXML");
}

TEST_F(ConfigTest, LoggingErrorDetailsAsAmazonWritesThem) {
  MakeBucket("src");
  MakeBucket("logs");
  MakeBucket("alice-logs", kAliceKey);
  Result other = EnableLogging("src", "alice-logs");
  EXPECT_EQ(other.message(),
            "The owner for the bucket to be logged and the target bucket must be the same.");
  EXPECT_EQ(other.xml("/Error/TargetBucket"), "alice-logs");
  Result missing = EnableLogging("src", "nowhere-bucket");
  EXPECT_EQ(missing.message(), "The target bucket for logging does not exist");

  Result bad_enum = PutLogging(
      "src", "<BucketLoggingStatus xmlns=\"" + std::string(kNs) +
                 "\"><LoggingEnabled><TargetBucket>logs</TargetBucket><TargetPrefix/>"
                 "<TargetObjectKeyFormat><PartitionedPrefix><PartitionDateSource>Tomorrow"
                 "</PartitionDateSource></PartitionedPrefix></TargetObjectKeyFormat>"
                 "</LoggingEnabled></BucketLoggingStatus>");
  EXPECT_EQ(bad_enum.code(), "MalformedXML");

  TestRequest r{.method = "PUT", .path = "/src", .query = "logging"};
  r.Header("Content-MD5", Md5Base64(""));
  Result no_body = Send(r);
  EXPECT_EQ(no_body.status(), 400) << no_body;
  EXPECT_EQ(no_body.code(), "MissingRequestBodyError");

  Result missing_source = EnableLogging("no-such-source", "logs");
  EXPECT_EQ(missing_source.status(), 404);
  EXPECT_EQ(missing_source.code(), "NoSuchBucket");
}

TEST_F(ConfigTest, GetLoggingEchoesOnlyWhatWasStored) {
  MakeBucket("src");
  MakeBucket("logs");
  ASSERT_EQ(EnableLogging("src", "logs", "").status(), 200);
  Result get = GetLogging("src");
  EXPECT_EQ(get.xml("/BucketLoggingStatus/LoggingEnabled/TargetBucket"), "logs");
  EXPECT_EQ(get.xml("/BucketLoggingStatus/LoggingEnabled/TargetPrefix"), "");
  EXPECT_EQ(get.xml("/BucketLoggingStatus/LoggingEnabled/TargetObjectKeyFormat"), "<absent>");
  EXPECT_EQ(get.xml("/BucketLoggingStatus/LoggingEnabled/TargetGrants"), "<absent>");
}

}  // namespace
}  // namespace logbucket::s3::testing
