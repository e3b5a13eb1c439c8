// Decide(): table-driven authorisation cases (owner, another account, anonymous) x (bucket
// policy allow / deny / wildcards / conditions) x (ACL grants), explicit Deny winning, and
// BucketOwnerEnforced ignoring ACLs.
#include "server/s3/authorize.h"

#include <gtest/gtest.h>

#include "server/s3/acl.h"

namespace logbucket::s3 {
namespace {

const Requester kOwner{"000000000000", "c0", "arn:aws:iam::000000000000:user/test"};
const Requester kAlice{"111111111111", "c1", "arn:aws:iam::111111111111:user/alice"};
const Requester kAnonymous{};

std::string Policy(std::string_view effect, std::string_view principal, std::string_view action,
                   std::string_view resource, std::string_view condition = "") {
  std::string s = R"({"Version":"2012-10-17","Statement":[{"Effect":")" + std::string(effect) +
                  R"(","Principal":)" + std::string(principal) + R"(,"Action":")" +
                  std::string(action) + R"(","Resource":")" + std::string(resource) + "\"";
  if (!condition.empty()) s += R"(,"Condition":)" + std::string(condition);
  return s + "}]}";
}

xml::AccessControlPolicy AclWith(std::string_view type, std::string_view who,
                                 std::string_view permission) {
  xml::AccessControlPolicy acl = DefaultAcl({"c0", "test"});
  xml::Grant g;
  g.grantee.type = std::string(type);
  if (type == "Group") {
    g.grantee.uri = std::string(who);
  } else {
    g.grantee.id = std::string(who);
  }
  g.permission = std::string(permission);
  acl.grants.push_back(g);
  return acl;
}

struct Case {
  std::string name;
  Requester requester;
  std::string action;
  std::optional<std::string> key;
  std::optional<std::string> policy;
  std::optional<xml::AccessControlPolicy> bucket_acl;
  std::optional<xml::AccessControlPolicy> object_acl;
  bool acls_enabled;
  bool tls;
  bool allowed;
  bool acl_required;
};

std::vector<Case> Cases() {
  const std::string all = "arn:aws:s3:::b/*";
  const std::string alice_get = Policy("Allow", R"({"AWS":"111111111111"})", "s3:GetObject", all);
  const std::string deny_all = Policy("Deny", R"("*")", "s3:*", "arn:aws:s3:::b*");
  const auto public_read = AclWith("Group", kAllUsersUri, "READ");
  const auto authenticated_read = AclWith("Group", kAuthenticatedUsersUri, "READ");
  const auto alice_write = AclWith("CanonicalUser", "c1", "WRITE");
  const auto alice_full = AclWith("CanonicalUser", "c1", "FULL_CONTROL");
  const std::string insecure_deny =
      Policy("Deny", R"("*")", "s3:GetObject", all, R"({"Bool":{"aws:SecureTransport":false}})");
  return {
      // The owner's account: everything, without any document.
      {"owner reads", kOwner, "s3:GetObject", "k", {}, {}, {}, true, false, true, false},
      {"owner deletes bucket", kOwner, "s3:DeleteBucket", {}, {}, {}, {}, true, false, true, false},
      // Others: nothing without a grant.
      {"alice denied", kAlice, "s3:GetObject", "k", {}, {}, {}, true, false, false, false},
      {"anonymous denied", kAnonymous, "s3:ListBucket", {}, {}, {}, {}, true, false, false, false},
      // Bucket policy Allow by account id, root ARN, user ARN, "*", with action wildcards.
      {"policy account", kAlice, "s3:GetObject", "k", alice_get, {}, {}, true, false, true, false},
      {"policy other action",
       kAlice,
       "s3:PutObject",
       "k",
       alice_get,
       {},
       {},
       true,
       false,
       false,
       false},
      {"policy root arn",
       kAlice,
       "s3:GetObject",
       "k",
       Policy("Allow", R"({"AWS":"arn:aws:iam::111111111111:root"})", "s3:Get*", all),
       {},
       {},
       true,
       false,
       true,
       false},
      {"policy user arn",
       kAlice,
       "s3:PutObject",
       "dir/k",
       Policy("Allow", R"({"AWS":["arn:aws:iam::111111111111:user/alice"]})", "s3:*",
              "arn:aws:s3:::b/dir/*"),
       {},
       {},
       true,
       false,
       true,
       false},
      {"policy resource mismatch",
       kAlice,
       "s3:PutObject",
       "other/k",
       Policy("Allow", R"({"AWS":"111111111111"})", "s3:*", "arn:aws:s3:::b/dir/*"),
       {},
       {},
       true,
       false,
       false,
       false},
      {"policy star anonymous",
       kAnonymous,
       "s3:GetObject",
       "k",
       Policy("Allow", R"("*")", "s3:GetObject", all),
       {},
       {},
       true,
       false,
       true,
       false},
      {"policy ?-wildcard",
       kAnonymous,
       "s3:GetObject",
       "k1",
       Policy("Allow", R"({"AWS":"*"})", "s3:GetObjec?", "arn:aws:s3:::b/k?"),
       {},
       {},
       true,
       false,
       true,
       false},
      {"policy bucket arn is not objects",
       kAlice,
       "s3:GetObject",
       "k",
       Policy("Allow", R"({"AWS":"111111111111"})", "s3:GetObject", "arn:aws:s3:::b"),
       {},
       {},
       true,
       false,
       false,
       false},
      // Explicit Deny wins, even over the owner, except for the owner's policy actions.
      {"deny beats allow",
       kAlice,
       "s3:GetObject",
       "k",
       R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"},)"
       R"({"Effect":"Deny","Principal":{"AWS":"111111111111"},"Action":"s3:GetObject",)"
       R"("Resource":"*"}]})",
       {},
       {},
       true,
       false,
       false,
       false},
      {"deny beats acl",
       kAnonymous,
       "s3:GetObject",
       "k",
       deny_all,
       {},
       public_read,
       true,
       false,
       false,
       false},
      {"deny beats owner",
       kOwner,
       "s3:GetObject",
       "k",
       deny_all,
       {},
       {},
       true,
       false,
       false,
       false},
      {"owner keeps policy access",
       kOwner,
       "s3:DeleteBucketPolicy",
       {},
       deny_all,
       {},
       {},
       true,
       false,
       true,
       false},
      {"others do not",
       kAlice,
       "s3:DeleteBucketPolicy",
       {},
       deny_all,
       {},
       {},
       true,
       false,
       false,
       false},
      // Conditions.
      {"secure transport deny on http",
       kOwner,
       "s3:GetObject",
       "k",
       insecure_deny,
       {},
       {},
       true,
       false,
       false,
       false},
      {"secure transport deny not on https",
       kOwner,
       "s3:GetObject",
       "k",
       insecure_deny,
       {},
       {},
       true,
       true,
       true,
       false},
      {"principal account condition",
       kAlice,
       "s3:ListBucket",
       {},
       Policy("Allow", R"("*")", "s3:ListBucket", "arn:aws:s3:::b",
              R"({"StringEquals":{"aws:PrincipalAccount":"111111111111"}})"),
       {},
       {},
       true,
       false,
       true,
       false},
      {"principal account condition anonymous",
       kAnonymous,
       "s3:ListBucket",
       {},
       Policy("Allow", R"("*")", "s3:ListBucket", "arn:aws:s3:::b",
              R"({"StringEquals":{"aws:PrincipalAccount":"111111111111"}})"),
       {},
       {},
       true,
       false,
       false,
       false},
      {"source arn absent for user requests",
       kAlice,
       "s3:PutObject",
       "k",
       Policy("Allow", R"("*")", "s3:PutObject", all,
              R"({"ArnLike":{"aws:SourceArn":"arn:aws:s3:::*"}})"),
       {},
       {},
       true,
       false,
       false,
       false},
      {"source account absent for user requests",
       kAlice,
       "s3:PutObject",
       "k",
       Policy("Allow", R"("*")", "s3:PutObject", all,
              R"({"StringEquals":{"aws:SourceAccount":"000000000000"}})"),
       {},
       {},
       true,
       false,
       false,
       false},
      {"null condition",
       kAnonymous,
       "s3:GetObject",
       "k",
       Policy("Deny", R"("*")", "s3:GetObject", all, R"({"Null":{"aws:PrincipalAccount":"true"}})"),
       {},
       public_read,
       true,
       false,
       false,
       false},
      // ACL grants: allowed with aclRequired.
      {"public-read object",
       kAnonymous,
       "s3:GetObject",
       "k",
       {},
       {},
       public_read,
       true,
       false,
       true,
       true},
      {"public-read object, other account",
       kAlice,
       "s3:GetObject",
       "k",
       {},
       {},
       public_read,
       true,
       false,
       true,
       true},
      {"object READ is not object write",
       kAnonymous,
       "s3:PutObjectAcl",
       "k",
       {},
       {},
       public_read,
       true,
       false,
       false,
       false},
      {"authenticated-read signed",
       kAlice,
       "s3:GetObject",
       "k",
       {},
       {},
       authenticated_read,
       true,
       false,
       true,
       true},
      {"authenticated-read anonymous",
       kAnonymous,
       "s3:GetObject",
       "k",
       {},
       {},
       authenticated_read,
       true,
       false,
       false,
       false},
      {"bucket READ lists",
       kAnonymous,
       "s3:ListBucket",
       {},
       {},
       public_read,
       {},
       true,
       false,
       true,
       true},
      {"bucket READ is not object READ",
       kAnonymous,
       "s3:GetObject",
       "k",
       {},
       public_read,
       {},
       true,
       false,
       false,
       false},
      {"bucket WRITE puts objects",
       kAlice,
       "s3:PutObject",
       "k",
       {},
       alice_write,
       {},
       true,
       false,
       true,
       true},
      {"bucket WRITE deletes objects",
       kAlice,
       "s3:DeleteObject",
       "k",
       {},
       alice_write,
       {},
       true,
       false,
       true,
       true},
      {"bucket WRITE is not READ",
       kAlice,
       "s3:ListBucket",
       {},
       {},
       alice_write,
       {},
       true,
       false,
       false,
       false},
      {"bucket FULL_CONTROL reads ACL",
       kAlice,
       "s3:GetBucketAcl",
       {},
       {},
       alice_full,
       {},
       true,
       false,
       true,
       true},
      {"bucket FULL_CONTROL is not policy",
       kAlice,
       "s3:GetBucketPolicy",
       {},
       {},
       alice_full,
       {},
       true,
       false,
       false,
       false},
      {"object FULL_CONTROL writes ACL",
       kAlice,
       "s3:PutObjectAcl",
       "k",
       {},
       {},
       alice_full,
       true,
       false,
       true,
       true},
      {"policy allow needs no acl",
       kAnonymous,
       "s3:GetObject",
       "k",
       Policy("Allow", R"("*")", "s3:GetObject", all),
       {},
       public_read,
       true,
       false,
       true,
       false},
      // BucketOwnerEnforced: ACLs are not evaluated.
      {"enforced ignores object acl",
       kAnonymous,
       "s3:GetObject",
       "k",
       {},
       {},
       public_read,
       false,
       false,
       false,
       false},
      {"enforced ignores bucket acl",
       kAlice,
       "s3:PutObject",
       "k",
       {},
       alice_write,
       {},
       false,
       false,
       false,
       false},
      {"enforced keeps policy",
       kAlice,
       "s3:GetObject",
       "k",
       alice_get,
       {},
       {},
       false,
       false,
       true,
       false},
  };
}

TEST(AuthorizeTest, DecisionTable) {
  for (const Case& c : Cases()) {
    SCOPED_TRACE(c.name);
    AccessRequest request{c.requester, c.action, "b", c.key, {}};
    request.context["aws:SecureTransport"] = c.tls ? "true" : "false";
    if (!c.requester.account_id.empty()) {
      request.context["aws:PrincipalAccount"] = c.requester.account_id;
    }
    AccessDocuments documents;
    documents.bucket_owner_account_id = "000000000000";
    documents.policy = c.policy;
    documents.acls_enabled = c.acls_enabled;
    documents.bucket_acl = c.bucket_acl;
    documents.object_acl = c.object_acl;
    AccessDecision got = Decide(request, documents);
    EXPECT_EQ(got.allowed, c.allowed);
    EXPECT_EQ(got.acl_required, c.acl_required);
  }
}

TEST(AuthorizeTest, AclGrantsMatchCanonicalIdsAndGroups) {
  xml::AccessControlPolicy acl = AclWith("CanonicalUser", "c1", "READ_ACP");
  EXPECT_TRUE(AclGrants(acl, kAlice, "READ_ACP"));
  EXPECT_FALSE(AclGrants(acl, kAlice, "READ"));
  EXPECT_FALSE(AclGrants(acl, kAnonymous, "READ_ACP")) << "an empty canonical id matches nobody";
  EXPECT_TRUE(AclGrants(acl, kOwner, "WRITE_ACP")) << "the owner's FULL_CONTROL grant";
}

}  // namespace
}  // namespace logbucket::s3
