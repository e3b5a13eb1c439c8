// s3::Service: routing (path-style and virtual-hosted, sub-resources, unimplemented operations),
// authentication and authorisation, and the headers every answer carries.
#include <gtest/gtest.h>

#include "server/s3/operation.h"
#include "server/s3/sigv2.h"
#include "tests/unit/s3/service_fixture.h"

namespace logbucket::s3::testing {
namespace {

class RoutingTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    MakeBucket("rtb");
    ASSERT_EQ(PutObject("rtb", "k", "data").status(), 200);
  }
};

struct RouteCase {
  std::string method;
  bool virtual_hosted;
  std::string path;
  std::string query;
  std::string operation;
  int status;  // 0: not checked (operations that want a body)
};

std::vector<RouteCase> RouteCases() {
  return {
      {"GET", false, "/", "", "REST.GET.SERVICE", 200},
      {"GET", false, "/rtb", "", "REST.GET.BUCKET", 200},
      {"GET", false, "/rtb/", "", "REST.GET.BUCKET", 200},
      {"GET", false, "/rtb", "list-type=2&prefix=k", "REST.GET.BUCKET", 200},
      {"HEAD", false, "/rtb", "", "REST.HEAD.BUCKET", 200},
      {"GET", false, "/rtb", "location", "REST.GET.LOCATION", 200},
      {"GET", false, "/rtb", "location=", "REST.GET.LOCATION", 200},
      {"GET", false, "/rtb", "uploads", "REST.GET.UPLOADS", 200},
      {"GET", false, "/rtb", "versioning", "REST.GET.VERSIONING", 200},
      {"GET", false, "/rtb", "logging", "REST.GET.LOGGING_STATUS", 200},
      {"GET", false, "/rtb", "acl", "REST.GET.ACL", 200},
      {"GET", false, "/rtb", "policy", "REST.GET.BUCKETPOLICY", 404},
      {"DELETE", false, "/rtb", "policy", "REST.DELETE.BUCKETPOLICY", 204},
      {"GET", false, "/rtb", "ownershipControls", "REST.GET.OWNERSHIP_CONTROLS", 200},
      {"GET", false, "/rtb", "encryption", "REST.GET.ENCRYPTION", 200},
      {"POST", false, "/rtb", "delete", "REST.POST.MULTI_OBJECT_DELETE", 0},
      {"PUT", false, "/rtb", "logging", "REST.PUT.LOGGING_STATUS", 0},
      {"PUT", false, "/rtb", "policy", "REST.PUT.BUCKETPOLICY", 0},
      {"PUT", false, "/rtb", "acl", "REST.PUT.ACL", 0},
      {"GET", false, "/rtb/k", "", "REST.GET.OBJECT", 200},
      {"HEAD", false, "/rtb/k", "", "REST.HEAD.OBJECT", 200},
      {"GET", false, "/rtb/k", "uploadId=nope", "REST.GET.UPLOAD", 404},
      {"DELETE", false, "/rtb/k", "uploadId=nope", "REST.DELETE.UPLOAD", 404},
      {"POST", false, "/rtb/k", "uploadId=nope", "REST.POST.UPLOAD", 0},
      {"PUT", false, "/rtb/k", "partNumber=1&uploadId=nope", "REST.PUT.PART", 0},
      {"POST", false, "/rtb/new", "uploads", "REST.POST.UPLOADS", 200},
      {"GET", false, "/rtb/dir/sub/k", "", "REST.GET.OBJECT", 404},
      // Virtual-hosted: the bucket comes from the Host header.
      {"GET", true, "/", "", "REST.GET.BUCKET", 200},
      {"GET", true, "/", "location", "REST.GET.LOCATION", 200},
      {"GET", true, "/k", "", "REST.GET.OBJECT", 200},
      {"HEAD", true, "/k", "", "REST.HEAD.OBJECT", 200},
      {"GET", true, "/", "logging", "REST.GET.LOGGING_STATUS", 200},
      {"GET", false, "/rtb", "versions", "REST.GET.BUCKETVERSIONS", 200},
      {"GET", false, "/rtb", "versioning", "REST.GET.VERSIONING", 200},
      {"GET", false, "/rtb", "lifecycle", "REST.GET.LIFECYCLE", 404},
      // Sub-resources Logbucket knows but does not implement.
      {"GET", false, "/rtb", "cors", "REST.GET.CORS", 501},
      {"PUT", false, "/rtb", "cors", "REST.PUT.CORS", 501},
      {"DELETE", false, "/rtb", "website", "REST.DELETE.WEBSITE", 501},
      {"GET", false, "/rtb", "tagging", "REST.GET.TAGGING", 501},
      {"GET", false, "/rtb/k", "encryption", "REST.GET.OBJECT_ENCRYPTION", 501},
      {"GET", false, "/rtb/k", "tagging", "REST.GET.OBJECT_TAGGING", 501},
      {"GET", false, "/rtb/k", "acl", "REST.GET.ACL", 200},
      {"GET", true, "/", "cors", "REST.GET.CORS", 501},
  };
}

TEST_F(RoutingTest, EveryRowNamesItsOperation) {
  for (const RouteCase& c : RouteCases()) {
    SCOPED_TRACE(c.method + " " + (c.virtual_hosted ? "(virtual) " : "") + c.path + "?" + c.query);
    TestRequest r{.method = c.method, .path = c.path, .query = c.query};
    if (c.virtual_hosted) r.host = "rtb.localhost:9000";
    Result got = Send(r);
    EXPECT_EQ(got.log().operation, c.operation) << got;
    if (c.status != 0) {
      EXPECT_EQ(got.status(), c.status) << got;
    }
    if (c.status == 501) {
      EXPECT_EQ(got.code(), "NotImplemented");
      EXPECT_EQ(got.xml("/Error/Code"), "NotImplemented");
    }
    if (c.path != "/" || c.virtual_hosted) {
      EXPECT_EQ(got.log().bucket, "rtb") << "a request to an existing bucket is loggable";
    }
  }
}

TEST_F(RoutingTest, VirtualHostedKeyIsThePathAndGetReturnsTheBytes) {
  TestRequest put{.method = "PUT", .path = "/dir/v%20key", .host = "rtb.localhost:9000"};
  put.Body("virtual bytes");
  Result p = Send(put);
  ASSERT_EQ(p.status(), 200) << p;
  EXPECT_EQ(p.log().key, "dir/v key");
  EXPECT_TRUE(Stored("rtb", "dir/v key"));
  Result g = GetObject("rtb", "dir/v key");
  EXPECT_EQ(g.body, "virtual bytes");
}

TEST_F(RoutingTest, CopyIsLoggedAsRestCopyObject) {
  TestRequest r{.method = "PUT", .path = ObjectPath("rtb", "copy")};
  r.Header("x-amz-copy-source", "/rtb/k");
  Result got = Send(r);
  EXPECT_EQ(got.status(), 200) << got;
  EXPECT_EQ(got.log().operation, "REST.COPY.OBJECT");
}

TEST_F(RoutingTest, MissingBucketIsNoSuchBucketAndNotLoggable) {
  Result got = Send({.method = "GET", .path = "/missing-bucket"});
  EXPECT_EQ(got.status(), 404);
  EXPECT_EQ(got.code(), "NoSuchBucket");
  EXPECT_EQ(got.xml("/Error/BucketName"), "missing-bucket");
  EXPECT_EQ(got.log().bucket, "");
  EXPECT_EQ(got.log().operation, "REST.GET.BUCKET");
}

TEST_F(RoutingTest, ErrorBodyCarriesRequestIdAndHostId) {
  RequestHead head = Signed({.method = "GET", .path = ObjectPath("rtb", "nope")});
  std::string request_id = head.request_id;
  std::string host_id = head.host_id;
  Result got = Run(std::move(head));
  EXPECT_EQ(got.status(), 404);
  EXPECT_EQ(got.code(), "NoSuchKey");
  EXPECT_EQ(got.xml("/Error/RequestId"), request_id);
  EXPECT_EQ(got.xml("/Error/HostId"), host_id);
  EXPECT_EQ(got.header("x-amz-id-2"), host_id);
  EXPECT_EQ(got.xml("/Error/Key"), "nope");
}

TEST_F(RoutingTest, KeyLongerThan1024BytesIsRefused) {
  Result got = GetObject("rtb", std::string(1025, 'k'));
  EXPECT_EQ(got.status(), 400);
  EXPECT_EQ(got.code(), "KeyTooLongError");
}

// --- Authentication ------------------------------------------------------------------------

TEST_F(RoutingTest, SignedRequestFillsRequesterFacts) {
  Result got = GetObject("rtb", "k");
  ASSERT_EQ(got.status(), 200) << got;
  EXPECT_EQ(got.log().requester, "arn:aws:iam::000000000000:user/test");
  EXPECT_EQ(got.log().signature_version, "SigV4");
  EXPECT_EQ(got.log().auth_type, "AuthHeader");
  EXPECT_EQ(got.log().bucket_owner_canonical_id, kTestCanonical);
  EXPECT_EQ(got.log().object_size, 4u);
}

TEST_F(RoutingTest, AnonymousRequestIsAccessDeniedButLogged) {
  Result got = Run(Anonymous({.method = "GET", .path = ObjectPath("rtb", "k")}));
  EXPECT_EQ(got.status(), 403);
  EXPECT_EQ(got.code(), "AccessDenied");
  EXPECT_EQ(got.body.find("data"), std::string::npos);
  EXPECT_EQ(got.log().bucket, "rtb");
  EXPECT_EQ(got.log().requester, "");
  EXPECT_EQ(got.log().operation, "REST.GET.OBJECT");
}

TEST_F(RoutingTest, WrongSecretIsSignatureDoesNotMatch) {
  Result got =
      Run(Signed({.method = "GET", .path = ObjectPath("rtb", "k")}, Key{"test", "not-the-secret"}));
  EXPECT_EQ(got.status(), 403);
  EXPECT_EQ(got.code(), "SignatureDoesNotMatch");
  EXPECT_EQ(got.xml("/Error/AWSAccessKeyId"), "test");
  EXPECT_NE(got.xml("/Error/StringToSign"), "<absent>");
}

TEST_F(RoutingTest, UnknownAccessKeyIsInvalidAccessKeyId) {
  Result got = Run(Signed({.method = "GET", .path = "/rtb"}, Key{"nobody", "x"}));
  EXPECT_EQ(got.status(), 403);
  EXPECT_EQ(got.code(), "InvalidAccessKeyId");
}

TEST_F(RoutingTest, TamperedSignedHeaderBreaksTheSignature) {
  RequestHead head = Signed({.method = "GET", .path = ObjectPath("rtb", "k")});
  head.headers.Set("x-amz-date",
                   sigv4::FormatAmzDate(system_clock::now() - std::chrono::seconds(2)));
  Result got = Run(std::move(head));
  EXPECT_EQ(got.code(), "SignatureDoesNotMatch") << got;
}

TEST_F(RoutingTest, ClockSkewBeyondFifteenMinutesIsRequestTimeTooSkewed) {
  TestRequest r{.method = "GET", .path = ObjectPath("rtb", "k")};
  Result got = Run(SignHead(r, kTestKey, "", system_clock::now() - std::chrono::hours(1)).head);
  EXPECT_EQ(got.status(), 403);
  EXPECT_EQ(got.code(), "RequestTimeTooSkewed");
}

TEST_F(RoutingTest, BodyNotMatchingSignedHashIsRefusedAndNothingStored) {
  TestRequest r{.method = "PUT", .path = ObjectPath("rtb", "hash")};
  r.Body("the signed body");
  RequestHead head = Signed(r);
  std::string other = "the other body!";
  Result got = Run(std::move(head), other);
  EXPECT_EQ(got.status(), 400);
  EXPECT_EQ(got.code(), "XAmzContentSHA256Mismatch");
  EXPECT_FALSE(Stored("rtb", "hash"));
}

TEST_F(RoutingTest, PresignedGetWorks) {
  Result got = Run(Presigned({.method = "GET", .path = ObjectPath("rtb", "k")}));
  ASSERT_EQ(got.status(), 200) << got;
  EXPECT_EQ(got.body, "data");
  EXPECT_EQ(got.log().auth_type, "QueryString");
  EXPECT_EQ(got.log().requester, "arn:aws:iam::000000000000:user/test");
}

TEST_F(RoutingTest, PresignedPutStoresTheBody) {
  TestRequest r{.method = "PUT", .path = ObjectPath("rtb", "presigned put")};
  Result got = Run(Presigned(r), "via url");
  ASSERT_EQ(got.status(), 200) << got;
  EXPECT_EQ(GetObject("rtb", "presigned put").body, "via url");
}

TEST_F(RoutingTest, ExpiredPresignedUrlIsAccessDenied) {
  Result got = Run(Presigned({.method = "GET", .path = ObjectPath("rtb", "k")}, kTestKey, 60,
                             system_clock::now() - std::chrono::minutes(5)));
  EXPECT_EQ(got.status(), 403);
  EXPECT_EQ(got.code(), "AccessDenied");
  EXPECT_EQ(got.message(), "Request has expired");
  EXPECT_EQ(got.body.find("data"), std::string::npos);
}

TEST_F(RoutingTest, PresignedWithWrongSecretIsSignatureDoesNotMatch) {
  Result got =
      Run(Presigned({.method = "GET", .path = ObjectPath("rtb", "k")}, Key{"test", "bad"}));
  EXPECT_EQ(got.code(), "SignatureDoesNotMatch");
}

TEST_F(RoutingTest, OtherAccountIsDeniedOnTheBucketAndItsObjects) {
  Result list = Send({.method = "GET", .path = "/rtb"}, kAliceKey);
  EXPECT_EQ(list.status(), 403);
  EXPECT_EQ(list.code(), "AccessDenied");
  Result get = Send({.method = "GET", .path = ObjectPath("rtb", "k")}, kAliceKey);
  EXPECT_EQ(get.code(), "AccessDenied");
  Result put = PutObject("rtb", "from-alice", "x", {}, kAliceKey);
  EXPECT_EQ(put.code(), "AccessDenied");
  EXPECT_FALSE(Stored("rtb", "from-alice"));
  Result del = Send({.method = "DELETE", .path = "/rtb"}, kAliceKey);
  EXPECT_EQ(del.code(), "AccessDenied");
  EXPECT_TRUE(store_->GetBucket("rtb").has_value());
  // The denied request is still a request to the bucket: the owner's log gets it.
  EXPECT_EQ(get.log().bucket, "rtb");
  EXPECT_EQ(get.log().requester, "arn:aws:iam::111111111111:user/alice");
}

TEST_F(RoutingTest, ExpectedBucketOwnerMismatchIsAccessDenied) {
  Result got = GetObject("rtb", "k", {{"x-amz-expected-bucket-owner", "999999999999"}});
  EXPECT_EQ(got.code(), "AccessDenied");
  Result ok = GetObject("rtb", "k", {{"x-amz-expected-bucket-owner", "000000000000"}});
  EXPECT_EQ(ok.status(), 200);
}

TEST_F(RoutingTest, ListBucketsShowsOnlyTheCallersBuckets) {
  MakeBucket("alice-bucket", kAliceKey);
  Result mine = Send({.method = "GET", .path = "/"});
  ASSERT_EQ(mine.status(), 200) << mine;
  auto names = mine.xml_all("/ListAllMyBucketsResult/Buckets/Bucket/Name");
  EXPECT_EQ(names, std::vector<std::string>{"rtb"});
  EXPECT_EQ(mine.xml("/ListAllMyBucketsResult/Owner/ID"), kTestCanonical);
  Result hers = Send({.method = "GET", .path = "/"}, kAliceKey);
  EXPECT_EQ(hers.xml_all("/ListAllMyBucketsResult/Buckets/Bucket/Name"),
            std::vector<std::string>{"alice-bucket"});
}

// SigV2 (HMAC-SHA1) is what the aws CLI v1 presigns with; both forms are verified.
TEST_F(RoutingTest, SignatureVersion2HeaderIsVerified) {
  RequestHead head = Anonymous({.method = "GET", .path = "/rtb"});
  std::string date = HttpDate(std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count());
  head.headers.Add("Date", date);
  sigv4::QueryParams no_query;
  std::string to_sign =
      sigv2::StringToSign({"GET", &head.headers, date, "/rtb", &no_query, false});
  RequestHead good = head;
  good.headers.Add("Authorization", "AWS test:" + sigv2::Signature("test", to_sign));
  Result ok = Run(std::move(good));
  EXPECT_EQ(ok.status(), 200) << ok;
  EXPECT_EQ(ok.log().signature_version, "SigV2");
  EXPECT_EQ(ok.log().auth_type, "AuthHeader");

  head.headers.Add("Authorization", "AWS test:" + sigv2::Signature("wrong", to_sign));
  Result bad = Run(std::move(head));
  EXPECT_EQ(bad.status(), 403);
  EXPECT_EQ(bad.code(), "SignatureDoesNotMatch");
}

// Found by the routing fuzzer: a Date after 2262 passed ParseHttpDate, and SigV2 made a
// nanosecond time point of it (signed overflow, undefined behaviour) instead of refusing it.
TEST_F(RoutingTest, DateBeyondTheClockRangeIsNotADate) {
  EXPECT_TRUE(ParseHttpDate("Fri, 11 Apr 2262 00:00:00 GMT").has_value());
  for (const char* date : {"Sat, 12 Apr 2262 00:00:00 GMT", "Mon, 01 Jan 4048 00:00:00 GMT",
                           "9999-12-31T23:59:59Z"}) {
    EXPECT_FALSE(ParseHttpDate(date).has_value()) << date;
    RequestHead head = Anonymous({.method = "GET", .path = "/rtb/k"});
    head.headers.Add("Date", date);
    head.headers.Add("Authorization", "AWS test:bm90IGEgc2lnbmF0dXJl");
    Result r = Run(std::move(head));
    EXPECT_EQ(r.status(), 403) << r;
    EXPECT_EQ(r.code(), "AccessDenied") << r;
  }
}

TEST_F(RoutingTest, SignatureVersion2PresignedQueryIsVerified) {
  auto expires = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count() +
                                60);
  RequestHead probe = Anonymous({.method = "GET", .path = "/rtb"});
  sigv4::QueryParams params{{"AWSAccessKeyId", "test"}, {"Expires", expires}};
  std::string to_sign = sigv2::StringToSign({"GET", &probe.headers, expires, "/rtb", &params, true});
  std::string signature = sigv2::Signature("test", to_sign);
  Result ok = Run(Anonymous({.method = "GET",
                             .path = "/rtb",
                             .query = "AWSAccessKeyId=test&Expires=" + expires +
                                      "&Signature=" + Enc(signature)}));
  EXPECT_EQ(ok.status(), 200) << ok;
  EXPECT_EQ(ok.log().auth_type, "QueryString");
  Result expired = Run(Anonymous(
      {.method = "GET", .path = "/rtb", .query = "AWSAccessKeyId=test&Expires=1&Signature=x"}));
  EXPECT_EQ(expired.status(), 403);
  EXPECT_EQ(expired.message(), "Request has expired");
}

TEST_F(RoutingTest, MissingContentSha256IsInvalidRequest) {
  RequestHead head = Signed({.method = "GET", .path = "/rtb"});
  head.headers.Remove("x-amz-content-sha256");
  Result got = Run(std::move(head));
  EXPECT_EQ(got.status(), 400);
  EXPECT_EQ(got.code(), "InvalidRequest");
}

TEST_F(RoutingTest, HostWithoutBucketLabelIsPathStyle) {
  TestRequest r{.method = "GET", .path = ObjectPath("rtb", "k"), .host = "localhost:9000"};
  Result got = Send(r);
  EXPECT_EQ(got.status(), 200) << got;
  EXPECT_EQ(got.body, "data");
  TestRequest upper{.method = "GET", .path = "/k", .host = "RTB.LocalHost:9000"};
  Result vh = Send(upper);
  EXPECT_EQ(vh.status(), 200) << vh;
  EXPECT_EQ(vh.body, "data");
}

TEST_F(RoutingTest, UnknownMethodOnAnObjectIsRefused) {
  Result got = Send({.method = "PATCH", .path = ObjectPath("rtb", "k")});
  EXPECT_GE(got.status(), 400) << got;
  EXPECT_FALSE(got.code().empty());
  EXPECT_EQ(GetObject("rtb", "k").body, "data");
}

TEST_F(RoutingTest, TransportErrorCarriesIdsAndIsNotLogged) {
  RequestHead head = Anonymous({.method = "GET", .path = "/rtb"});
  Response r = service_->TransportError(head, S3Error(ErrorCode::kRequestTimeout));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.headers.Get("x-amz-request-id").value_or(""), head.request_id);
  EXPECT_EQ(r.headers.Get("x-amz-id-2").value_or(""), head.host_id);
  EXPECT_EQ(r.error_code, "RequestTimeout");
  EXPECT_EQ(r.log.bucket, "");
  EXPECT_EQ(r.log.operation, "");
}

TEST_F(RoutingTest, PresignedExpiryBeyondSevenDaysIsRefused) {
  Result got = Run(Presigned({.method = "GET", .path = ObjectPath("rtb", "k")}, kTestKey, 604801));
  EXPECT_EQ(got.status(), 400) << got;
  EXPECT_EQ(got.code(), "AuthorizationQueryParametersError");
}

TEST_F(RoutingTest, PresignedUrlCannotBeUsedForAnotherKey) {
  RequestHead head = Presigned({.method = "GET", .path = ObjectPath("rtb", "k")});
  head.target.replace(0, head.target.find('?'), ObjectPath("rtb", "other"));
  Result got = Run(std::move(head));
  EXPECT_EQ(got.status(), 403);
  EXPECT_EQ(got.code(), "SignatureDoesNotMatch");
}

TEST_F(RoutingTest, OtherAccountHeadBucketIsForbidden) {
  Result got = Send({.method = "HEAD", .path = "/rtb"}, kAliceKey);
  EXPECT_EQ(got.status(), 403);
}

TEST_F(RoutingTest, OversizedXmlBodyIsRefusedWhileStreaming) {
  TestRequest r{.method = "PUT", .path = "/rtb", .query = "policy"};
  r.Body(std::string(5 << 20, ' '));
  Result got = Send(r);
  EXPECT_EQ(got.status(), 400) << got.code();
  EXPECT_EQ(got.code(), "MaxMessageLengthExceeded");
  EXPECT_EQ(got.log().operation, "REST.PUT.BUCKETPOLICY");
  EXPECT_EQ(got.log().bucket, "rtb");
}

TEST_F(RoutingTest, DeclaredObjectLargerThanFiveGiBIsEntityTooLarge) {
  RequestHead head =
      Signed({.method = "PUT", .path = ObjectPath("rtb", "huge")}, kTestKey, "UNSIGNED-PAYLOAD");
  head.content_length = (5ull << 30) + 1;
  Result got = Run(std::move(head));
  EXPECT_EQ(got.status(), 400) << got;
  EXPECT_EQ(got.code(), "EntityTooLarge");
  EXPECT_FALSE(got.had_sink) << "refused before reading the body";
}

}  // namespace
}  // namespace logbucket::s3::testing
