// s3::Service authorisation end to end without sockets: object ACLs (PutObject x-amz-acl,
// GetObjectAcl / PutObjectAcl, multipart and copy), object ownership, bucket policies for other
// accounts and anonymous requesters, DeleteObjects per key, and LogFacts.acl_required.
#include <gtest/gtest.h>

#include "tests/unit/s3/service_fixture.h"

namespace logbucket::s3::testing {
namespace {

constexpr std::string_view kNs = "http://s3.amazonaws.com/doc/2006-03-01/";

class AclTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    MakeBucket("acl");  // owned by test, BucketOwnerEnforced as every new bucket
  }

  Result PutSub(const std::string& bucket, const std::string& sub, std::string body,
                const Key& who = kTestKey) {
    TestRequest r{.method = "PUT", .path = "/" + bucket, .query = sub};
    if (!body.empty()) r.Header("Content-MD5", Md5Base64(body));
    r.Body(std::move(body));
    return Send(r, who);
  }

  void SetOwnership(const std::string& bucket, const std::string& value) {
    Result r =
        PutSub(bucket, "ownershipControls",
               "<OwnershipControls xmlns=\"" + std::string(kNs) + "\"><Rule><ObjectOwnership>" +
                   value + "</ObjectOwnership></Rule></OwnershipControls>");
    ASSERT_EQ(r.status(), 200) << r;
  }

  void SetPolicy(const std::string& bucket, const std::string& statements) {
    Result r =
        PutSub(bucket, "policy", R"({"Version":"2012-10-17","Statement":[)" + statements + "]}");
    ASSERT_EQ(r.status(), 204) << r;
  }

  Result AnonymousGet(const std::string& bucket, const std::string& key) {
    return Run(Anonymous({.method = "GET", .path = ObjectPath(bucket, key)}));
  }

  Result Get(const std::string& bucket, const std::string& key, const Key& who) {
    return Send({.method = "GET", .path = ObjectPath(bucket, key)}, who);
  }

  Result GetAcl(const std::string& bucket, const std::string& key, const Key& who = kTestKey) {
    return Send({.method = "GET", .path = ObjectPath(bucket, key), .query = "acl"}, who);
  }
};

TEST_F(AclTest, PublicReadObjectIsReadableByEveryoneThroughItsAcl) {
  SetOwnership("acl", "ObjectWriter");
  Result put = PutObject("acl", "pub", "public bytes", {{"x-amz-acl", "public-read"}});
  ASSERT_EQ(put.status(), 200) << put;
  ASSERT_EQ(PutObject("acl", "priv", "private bytes").status(), 200);

  Result anonymous = AnonymousGet("acl", "pub");
  EXPECT_EQ(anonymous.status(), 200) << anonymous;
  EXPECT_EQ(anonymous.body, "public bytes");
  EXPECT_TRUE(anonymous.log().acl_required) << "the AllUsers grant is what allowed it";
  Result alice = Get("acl", "pub", kAliceKey);
  EXPECT_EQ(alice.status(), 200) << alice;
  EXPECT_TRUE(alice.log().acl_required);
  Result owner = Get("acl", "pub", kTestKey);
  EXPECT_EQ(owner.status(), 200);
  EXPECT_FALSE(owner.log().acl_required) << "the bucket owner needs no ACL";

  EXPECT_EQ(AnonymousGet("acl", "priv").code(), "AccessDenied");
  EXPECT_EQ(Get("acl", "priv", kAliceKey).code(), "AccessDenied");
  Result denied = AnonymousGet("acl", "priv");
  EXPECT_EQ(denied.status(), 403);
  EXPECT_FALSE(denied.log().acl_required);
  EXPECT_EQ(denied.log().bucket, "acl") << "a denied request is still logged";
  // Public object READ does not open the bucket listing.
  EXPECT_EQ(Run(Anonymous({.method = "GET", .path = "/acl"})).code(), "AccessDenied");
}

TEST_F(AclTest, GetAndPutObjectAcl) {
  SetOwnership("acl", "ObjectWriter");
  ASSERT_EQ(PutObject("acl", "k", "x", {{"x-amz-acl", "public-read"}}).status(), 200);
  Result acl = GetAcl("acl", "k");
  ASSERT_EQ(acl.status(), 200) << acl;
  EXPECT_EQ(acl.log().operation, "REST.GET.ACL");
  EXPECT_EQ(acl.xml("/AccessControlPolicy/Owner/ID"), kTestCanonical);
  EXPECT_EQ(acl.xml_all("/AccessControlPolicy/AccessControlList/Grant/Permission"),
            (std::vector<std::string>{"FULL_CONTROL", "READ"}));
  EXPECT_EQ(acl.xml("/AccessControlPolicy/AccessControlList/Grant[2]/Grantee/URI"),
            "http://acs.amazonaws.com/groups/global/AllUsers");

  TestRequest make_private{.method = "PUT", .path = ObjectPath("acl", "k"), .query = "acl"};
  make_private.Header("x-amz-acl", "private");
  Result put = Send(make_private);
  EXPECT_EQ(put.status(), 200) << put;
  EXPECT_EQ(put.log().operation, "REST.PUT.ACL");
  EXPECT_EQ(AnonymousGet("acl", "k").status(), 403);
  EXPECT_EQ(GetAcl("acl", "k").xml_all("/AccessControlPolicy/AccessControlList/Grant").size(), 1u);

  // An explicit grant to alice's canonical id, in the body.
  std::string body = "<AccessControlPolicy xmlns=\"" + std::string(kNs) + "\"><Owner><ID>" +
                     std::string(kTestCanonical) +
                     "</ID></Owner><AccessControlList><Grant><Grantee "
                     "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
                     "xsi:type=\"CanonicalUser\"><ID>" +
                     std::string(kAliceCanonical) +
                     "</ID></Grantee><Permission>READ</Permission></Grant>"
                     "</AccessControlList></AccessControlPolicy>";
  Result granted =
      Send(TestRequest{.method = "PUT", .path = ObjectPath("acl", "k"), .query = "acl"}.Body(body));
  EXPECT_EQ(granted.status(), 200) << granted;
  Result alice = Get("acl", "k", kAliceKey);
  EXPECT_EQ(alice.status(), 200) << alice;
  EXPECT_TRUE(alice.log().acl_required);
  EXPECT_EQ(AnonymousGet("acl", "k").status(), 403);
  // READ is not READ_ACP.
  EXPECT_EQ(GetAcl("acl", "k", kAliceKey).code(), "AccessDenied");
  EXPECT_EQ(GetAcl("acl", "missing").code(), "NoSuchKey");
}

TEST_F(AclTest, BucketOwnerEnforcedRefusesAclsButAcceptsBucketOwnerFullControl) {
  Result refused = PutObject("acl", "k", "x", {{"x-amz-acl", "public-read"}});
  EXPECT_EQ(refused.status(), 400) << refused;
  EXPECT_EQ(refused.code(), "AccessControlListNotSupported");
  EXPECT_FALSE(Stored("acl", "k"));
  EXPECT_EQ(PutObject("acl", "k", "x", {{"x-amz-acl", "bucket-owner-full-control"}}).status(), 200);
  EXPECT_EQ(PutObject("acl", "k", "x", {{"x-amz-acl", "private"}}).status(), 200);
  TestRequest put_acl{.method = "PUT", .path = ObjectPath("acl", "k"), .query = "acl"};
  put_acl.Header("x-amz-acl", "public-read");
  EXPECT_EQ(Send(put_acl).code(), "AccessControlListNotSupported");
  TestRequest create{.method = "POST", .path = ObjectPath("acl", "mp"), .query = "uploads"};
  create.Header("x-amz-acl", "public-read");
  EXPECT_EQ(Send(create).code(), "AccessControlListNotSupported");
}

TEST_F(AclTest, BucketAclIsIgnoredWhileBucketOwnerEnforced) {
  SetOwnership("acl", "ObjectWriter");
  TestRequest open{.method = "PUT", .path = "/acl", .query = "acl"};
  open.Header("x-amz-acl", "public-read-write");
  ASSERT_EQ(Send(open).status(), 200);
  Result write = PutObject("acl", "from-alice", "a", {}, kAliceKey);
  EXPECT_EQ(write.status(), 200) << write;
  EXPECT_TRUE(write.log().acl_required);
  Result list = Run(Anonymous({.method = "GET", .path = "/acl"}));
  EXPECT_EQ(list.status(), 200) << list;
  EXPECT_TRUE(list.log().acl_required);
  // The object alice wrote is hers (ObjectWriter).
  EXPECT_EQ(GetAcl("acl", "from-alice", kAliceKey).xml("/AccessControlPolicy/Owner/ID"),
            kAliceCanonical);

  // Back to BucketOwnerEnforced is refused while the ACL grants others; make it private first.
  open.headers = {{"x-amz-acl", "private"}};
  ASSERT_EQ(Send(open).status(), 200);
  SetOwnership("acl", "BucketOwnerEnforced");
  EXPECT_EQ(PutObject("acl", "again", "a", {}, kAliceKey).code(), "AccessDenied");
}

TEST_F(AclTest, ObjectOwnershipFollowsTheBucketSetting) {
  SetPolicy("acl", R"({"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"s3:*",)"
                   R"("Resource":["arn:aws:s3:::acl","arn:aws:s3:::acl/*"]})");
  // BucketOwnerEnforced: the bucket owner owns what alice writes.
  ASSERT_EQ(PutObject("acl", "enforced", "a", {}, kAliceKey).status(), 200);
  EXPECT_EQ(store_->HeadObject("acl", "enforced")->owner_account_id, kTestAccount);
  // BucketOwnerPreferred: the bucket owner only with bucket-owner-full-control.
  SetOwnership("acl", "BucketOwnerPreferred");
  ASSERT_EQ(PutObject("acl", "plain", "a", {}, kAliceKey).status(), 200);
  EXPECT_EQ(store_->HeadObject("acl", "plain")->owner_account_id, kAliceAccount);
  ASSERT_EQ(PutObject("acl", "bofc", "a", {{"x-amz-acl", "bucket-owner-full-control"}}, kAliceKey)
                .status(),
            200);
  EXPECT_EQ(store_->HeadObject("acl", "bofc")->owner_account_id, kTestAccount);
  // ObjectWriter with bucket-owner-read: alice owns it and the bucket owner gets READ.
  SetOwnership("acl", "ObjectWriter");
  ASSERT_EQ(PutObject("acl", "bor", "a", {{"x-amz-acl", "bucket-owner-read"}}, kAliceKey).status(),
            200);
  Result acl = GetAcl("acl", "bor", kAliceKey);
  EXPECT_EQ(acl.xml("/AccessControlPolicy/Owner/ID"), kAliceCanonical);
  EXPECT_EQ(acl.xml("/AccessControlPolicy/AccessControlList/Grant[2]/Grantee/ID"), kTestCanonical);
  EXPECT_EQ(acl.xml("/AccessControlPolicy/AccessControlList/Grant[2]/Permission"), "READ");
}

TEST_F(AclTest, DefaultObjectAclNamesEachWritersOwnAccount) {
  SetPolicy("acl", R"({"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"s3:*",)"
                   R"("Resource":["arn:aws:s3:::acl","arn:aws:s3:::acl/*"]})");
  SetOwnership("acl", "ObjectWriter");
  // Writers alternate: each object's default ACL is its own writer's, not the previous one's.
  for (const auto& [key, who, canonical] :
       {std::tuple{"t1", &kTestKey, kTestCanonical}, std::tuple{"a1", &kAliceKey, kAliceCanonical},
        std::tuple{"t2", &kTestKey, kTestCanonical},
        std::tuple{"a2", &kAliceKey, kAliceCanonical}}) {
    ASSERT_EQ(PutObject("acl", key, "a", {}, *who).status(), 200) << key;
    Result acl = GetAcl("acl", key, *who);
    EXPECT_EQ(acl.xml("/AccessControlPolicy/Owner/ID"), canonical) << key;
    EXPECT_EQ(acl.xml("/AccessControlPolicy/AccessControlList/Grant[1]/Grantee/ID"), canonical)
        << key;
    EXPECT_EQ(acl.xml("/AccessControlPolicy/AccessControlList/Grant[1]/Permission"), "FULL_CONTROL")
        << key;
    EXPECT_EQ(acl.xml("/AccessControlPolicy/AccessControlList/Grant[2]/Permission"), "<absent>")
        << key;
  }
}

TEST_F(AclTest, BucketPolicyAllowsAndExplicitDenyWins) {
  ASSERT_EQ(PutObject("acl", "doc", "shared").status(), 200);
  EXPECT_EQ(Get("acl", "doc", kAliceKey).code(), "AccessDenied");
  SetPolicy("acl", R"({"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},)"
                   R"("Action":"s3:GetObject","Resource":"arn:aws:s3:::acl/*"})");
  Result alice = Get("acl", "doc", kAliceKey);
  EXPECT_EQ(alice.status(), 200) << alice;
  EXPECT_FALSE(alice.log().acl_required) << "a policy, not an ACL, allowed it";
  EXPECT_EQ(AnonymousGet("acl", "doc").code(), "AccessDenied");
  EXPECT_EQ(PutObject("acl", "doc", "x", {}, kAliceKey).code(), "AccessDenied");
  // A missing key without s3:ListBucket is AccessDenied, not NoSuchKey.
  EXPECT_EQ(Get("acl", "missing", kAliceKey).code(), "AccessDenied");

  SetPolicy("acl", R"({"Effect":"Allow","Principal":{"AWS":"111111111111"},)"
                   R"("Action":["s3:GetObject","s3:ListBucket"],)"
                   R"("Resource":["arn:aws:s3:::acl","arn:aws:s3:::acl/*"]},)"
                   R"({"Effect":"Deny","Principal":"*","Action":"s3:GetObject",)"
                   R"("Resource":"arn:aws:s3:::acl/doc"})");
  EXPECT_EQ(Get("acl", "missing", kAliceKey).code(), "NoSuchKey");
  EXPECT_EQ(Get("acl", "doc", kAliceKey).code(), "AccessDenied");
  EXPECT_EQ(Get("acl", "doc", kTestKey).code(), "AccessDenied") << "Deny binds the owner too";
  // The owner can still remove the policy that locks it out.
  Result removed = Send({.method = "DELETE", .path = "/acl", .query = "policy"});
  EXPECT_EQ(removed.status(), 204) << removed;
  EXPECT_EQ(Get("acl", "doc", kTestKey).status(), 200);
}

TEST_F(AclTest, DeleteObjectsAuthorisesEachKey) {
  ASSERT_EQ(PutObject("acl", "mine/1", "x").status(), 200);
  ASSERT_EQ(PutObject("acl", "other/1", "x").status(), 200);
  SetPolicy("acl", R"({"Effect":"Allow","Principal":{"AWS":"111111111111"},)"
                   R"("Action":"s3:DeleteObject","Resource":"arn:aws:s3:::acl/mine/*"})");
  std::string body =
      "<Delete><Object><Key>mine/1</Key></Object><Object><Key>other/1</Key></Object></Delete>";
  TestRequest r{.method = "POST", .path = "/acl", .query = "delete"};
  r.Header("Content-MD5", Md5Base64(body)).Body(body);
  Result got = Send(r, kAliceKey);
  ASSERT_EQ(got.status(), 200) << got;
  EXPECT_EQ(got.xml_all("/DeleteResult/Deleted/Key"), std::vector<std::string>{"mine/1"});
  EXPECT_EQ(got.xml("/DeleteResult/Error/Key"), "other/1");
  EXPECT_EQ(got.xml("/DeleteResult/Error/Code"), "AccessDenied");
  EXPECT_FALSE(Stored("acl", "mine/1"));
  EXPECT_TRUE(Stored("acl", "other/1"));
}

TEST_F(AclTest, WritingAnAclWithTheObjectNeedsPutObjectAcl) {
  SetOwnership("acl", "ObjectWriter");
  SetPolicy("acl", R"({"Effect":"Allow","Principal":{"AWS":"111111111111"},)"
                   R"("Action":"s3:PutObject","Resource":"arn:aws:s3:::acl/*"})");
  EXPECT_EQ(PutObject("acl", "plain", "x", {}, kAliceKey).status(), 200);
  Result with_acl = PutObject("acl", "public", "x", {{"x-amz-acl", "public-read"}}, kAliceKey);
  EXPECT_EQ(with_acl.code(), "AccessDenied") << "s3:PutObject alone cannot set an ACL";
  EXPECT_FALSE(Stored("acl", "public"));
  SetPolicy("acl", R"({"Effect":"Allow","Principal":{"AWS":"111111111111"},)"
                   R"("Action":["s3:PutObject","s3:PutObjectAcl"],"Resource":"arn:aws:s3:::acl/*"})");
  EXPECT_EQ(PutObject("acl", "public", "x", {{"x-amz-acl", "public-read"}}, kAliceKey).status(),
            200);
}

TEST_F(AclTest, CopySourceNeedsReadPermission) {
  MakeBucket("alice-dst", kAliceKey);
  ASSERT_EQ(PutObject("acl", "src", "copy me").status(), 200);
  TestRequest copy{.method = "PUT", .path = ObjectPath("alice-dst", "dst")};
  copy.Header("x-amz-copy-source", "/acl/src");
  EXPECT_EQ(Send(copy, kAliceKey).code(), "AccessDenied");
  SetPolicy("acl", R"({"Effect":"Allow","Principal":{"AWS":"111111111111"},)"
                   R"("Action":"s3:GetObject","Resource":"arn:aws:s3:::acl/src"})");
  Result copied = Send(copy, kAliceKey);
  EXPECT_EQ(copied.status(), 200) << copied;
  EXPECT_EQ(store_->HeadObject("alice-dst", "dst")->owner_account_id, kAliceAccount);
}

TEST_F(AclTest, MultipartUploadCarriesItsAclToTheObject) {
  SetOwnership("acl", "ObjectWriter");
  TestRequest create{.method = "POST", .path = ObjectPath("acl", "mp"), .query = "uploads"};
  create.Header("x-amz-acl", "public-read");
  Result created = Send(create);
  ASSERT_EQ(created.status(), 200) << created;
  std::string id = created.xml("/InitiateMultipartUploadResult/UploadId");
  TestRequest part{.method = "PUT",
                   .path = ObjectPath("acl", "mp"),
                   .query = "partNumber=1&uploadId=" + Enc(id)};
  Result uploaded = Send(part.Body("only part"));
  ASSERT_EQ(uploaded.status(), 200) << uploaded;
  TestRequest complete{
      .method = "POST", .path = ObjectPath("acl", "mp"), .query = "uploadId=" + Enc(id)};
  complete.Body("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>" +
                uploaded.header("ETag") + "</ETag></Part></CompleteMultipartUpload>");
  ASSERT_EQ(Send(complete).status(), 200);
  Result anonymous = AnonymousGet("acl", "mp");
  EXPECT_EQ(anonymous.status(), 200) << anonymous;
  EXPECT_EQ(anonymous.body, "only part");
  EXPECT_TRUE(anonymous.log().acl_required);
}

}  // namespace
}  // namespace logbucket::s3::testing
