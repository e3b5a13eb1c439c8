#include "server/s3/authorize.h"

#include "server/s3/acl.h"
#include "server/s3/policy.h"

namespace logbucket::s3 {
namespace {

constexpr std::string_view kBucketOwnerEnforced = "BucketOwnerEnforced";

// Which ACL grants which action, as S3 maps ACL permissions to IAM actions.
struct AclRule {
  std::string_view action;
  bool object_acl;  // the object's ACL (else the bucket's)
  std::string_view permission;
};

constexpr AclRule kAclRules[] = {
    {"s3:ListBucket", false, "READ"},
    {"s3:ListBucketVersions", false, "READ"},
    {"s3:ListBucketMultipartUploads", false, "READ"},
    {"s3:PutObject", false, "WRITE"},
    {"s3:DeleteObject", false, "WRITE"},
    {"s3:GetBucketAcl", false, "READ_ACP"},
    {"s3:PutBucketAcl", false, "WRITE_ACP"},
    {"s3:GetObject", true, "READ"},
    {"s3:GetObjectAcl", true, "READ_ACP"},
    {"s3:PutObjectAcl", true, "WRITE_ACP"},
};

bool AclAllows(const AccessRequest& r, const AccessDocuments& d) {
  for (const AclRule& rule : kAclRules) {
    if (rule.action != r.action) continue;
    const auto& acl = rule.object_acl ? d.object_acl : d.bucket_acl;
    return acl && AclGrants(*acl, r.requester, rule.permission);
  }
  return false;
}

bool IsPolicyAction(std::string_view action) {
  return action == "s3:GetBucketPolicy" || action == "s3:PutBucketPolicy" ||
         action == "s3:DeleteBucketPolicy";
}

// Object actions whose decision may rest on the object's own ACL.
bool UsesObjectAcl(std::string_view action) {
  return action == "s3:GetObject" || action == "s3:GetObjectAcl" || action == "s3:PutObjectAcl";
}

std::expected<std::optional<std::string>, S3Error> Setting(ServiceState& state,
                                                           std::string_view bucket,
                                                           std::string_view name) {
  auto v = state.store.GetBucketSetting(bucket, name);
  if (!v) return std::unexpected(FromStorage(v.error()));
  return *v;
}

// RenderAccessControlPolicy(DefaultAcl(owner)), rendered once per owner and thread: every PUT
// without ACL headers stores this same document.
const std::string& RenderedDefaultAcl(const xml::Owner& owner) {
  thread_local xml::Owner last;
  thread_local std::string rendered;
  if (rendered.empty() || !(owner == last)) {
    rendered = xml::RenderAccessControlPolicy(DefaultAcl(owner));
    last = owner;
  }
  return rendered;
}

}  // namespace

bool AclGrants(const xml::AccessControlPolicy& acl, const Requester& requester,
               std::string_view permission) {
  for (const auto& g : acl.grants) {
    if (g.permission != permission && g.permission != "FULL_CONTROL") continue;
    const auto& who = g.grantee;
    if (who.type == "CanonicalUser" && !requester.canonical_id.empty() &&
        who.id == requester.canonical_id) {
      return true;
    }
    if (who.type == "Group" && who.uri == kAllUsersUri) return true;
    if (who.type == "Group" && who.uri == kAuthenticatedUsersUri && !requester.account_id.empty()) {
      return true;
    }
  }
  return false;
}

AccessDecision Decide(const AccessRequest& r, const AccessDocuments& d) {
  bool owner =
      !r.requester.account_id.empty() && r.requester.account_id == d.bucket_owner_account_id;
  PolicyDecision policy = PolicyDecision::kNoMatch;
  if (d.policy) {
    PolicyRequest p;
    p.account_id = r.requester.account_id;
    p.user_arn = r.requester.user_arn;
    p.canonical_id = r.requester.canonical_id;
    p.action = r.action;
    p.resource = "arn:aws:s3:::" + r.bucket + (r.key ? "/" + *r.key : "");
    p.context = r.context;
    policy = EvaluatePolicy(*d.policy, p);
  }
  if (policy == PolicyDecision::kDeny && !(owner && IsPolicyAction(r.action))) return {};
  if (owner || policy == PolicyDecision::kAllow) return {.allowed = true};
  if (d.acls_enabled && AclAllows(r, d)) return {.allowed = true, .acl_required = true};
  return {};
}

Requester RequesterOf(const AuthResult& auth) {
  Requester r;
  if (auth.account != nullptr) {
    r.account_id = auth.account->id;
    r.canonical_id = auth.account->canonical_id;
    r.user_arn = auth.requester;
  }
  return r;
}

std::map<std::string, std::string> RequestContext(const RequestHead& head,
                                                  const sigv4::QueryParams& query,
                                                  const AuthResult& auth) {
  std::map<std::string, std::string> context;
  context["aws:SecureTransport"] = head.tls ? "true" : "false";
  if (!head.remote_ip.empty()) context["aws:SourceIp"] = head.remote_ip;
  if (auth.account != nullptr) {
    context["aws:PrincipalAccount"] = auth.account->id;
    context["aws:PrincipalArn"] = auth.requester;
    context["aws:PrincipalType"] = "User";
  } else {
    context["aws:PrincipalType"] = "Anonymous";
  }
  if (auth.auth_type == "AuthHeader") context["s3:authType"] = "REST-HEADER";
  if (auth.auth_type == "QueryString") context["s3:authType"] = "REST-QUERY-STRING";
  if (auto acl = head.headers.Get("x-amz-acl")) context["s3:x-amz-acl"] = std::string(*acl);
  for (const auto& [name, value] : query) {
    if (name == "prefix" || name == "delimiter" || name == "max-keys") {
      context["s3:" + name] = value;
    }
  }
  return context;
}

xml::Owner OwnerOfAccount(const ServiceState& state, std::string_view account_id) {
  if (const Account* a = state.AccountById(account_id)) return {a->canonical_id, a->display_name};
  return {};
}

xml::AccessControlPolicy ObjectAclOf(const ServiceState& state,
                                     const storage::ObjectRecord& object) {
  if (!object.acl.empty()) {
    if (auto parsed = xml::ParseAccessControlPolicy(object.acl)) return std::move(*parsed);
  }
  return DefaultAcl(OwnerOfAccount(state, object.owner_account_id));
}

std::expected<std::string, S3Error> BucketOwnership(ServiceState& state, std::string_view bucket) {
  auto ownership = Setting(state, bucket, "ownership");
  if (!ownership) return std::unexpected(ownership.error());
  return ownership->value_or("");
}

std::expected<void, S3Error> Authorize(ServiceState& state, const RequestHead& head,
                                       const sigv4::QueryParams& query, const AuthResult& auth,
                                       const storage::BucketRecord& bucket, std::string_view action,
                                       const std::optional<std::string>& key, bool* acl_required) {
  *acl_required = false;
  AccessRequest request{RequesterOf(auth), std::string(action), bucket.name, key,
                        RequestContext(head, query, auth)};
  AccessDocuments documents;
  documents.bucket_owner_account_id = bucket.owner_account_id;
  auto policy = Setting(state, bucket.name, "policy");
  if (!policy) return std::unexpected(policy.error());
  documents.policy = std::move(*policy);
  bool owner = request.requester.account_id == bucket.owner_account_id;
  bool object_missing = false;
  if (!owner) {
    auto ownership = BucketOwnership(state, bucket.name);
    if (!ownership) return std::unexpected(ownership.error());
    documents.acls_enabled = *ownership != kBucketOwnerEnforced;
    if (documents.acls_enabled) {
      auto acl = Setting(state, bucket.name, "acl");
      if (!acl) return std::unexpected(acl.error());
      if (*acl) {
        if (auto parsed = xml::ParseAccessControlPolicy(**acl)) documents.bucket_acl = *parsed;
      }
    }
    if (key && UsesObjectAcl(action)) {
      auto object = state.store.HeadObject(bucket.name, *key);
      if (object) {
        documents.object_acl = ObjectAclOf(state, *object);
      } else if (object.error().code == storage::ErrorCode::kObjectNotFound) {
        object_missing = true;
      } else {
        return std::unexpected(FromStorage(object.error()));
      }
    }
  }
  AccessDecision decision = Decide(request, documents);
  if (!decision.allowed) return std::unexpected(S3Error(ErrorCode::kAccessDenied));
  if (object_missing && action == "s3:GetObject") {
    // Without s3:ListBucket a requester may not learn that a key does not exist.
    AccessRequest list = request;
    list.action = "s3:ListBucket";
    list.key.reset();
    if (!Decide(list, documents).allowed) return std::unexpected(S3Error(ErrorCode::kAccessDenied));
  }
  *acl_required = decision.acl_required;
  return {};
}

std::expected<NewObjectAccess, S3Error> NewObjectAcl(OpContext& c) {
  const std::string& bucket_owner = c.bucket->owner_account_id;
  auto ownership = BucketOwnership(c.state, c.bucket->name);
  if (!ownership) return std::unexpected(ownership.error());
  auto canned = c.Header("x-amz-acl");
  bool grant_headers = false;
  // Grants are parsed against a placeholder owner; the real one is set below.
  auto grants = GrantHeadersAcl(c.head.headers, {}, &grant_headers);
  if (!grants) return std::unexpected(grants.error());
  if (canned && grant_headers) {
    return std::unexpected(S3Error(ErrorCode::kInvalidRequest,
                                   "Specifying both Canned ACLs and Header Grants is not allowed"));
  }
  // Setting an ACL while writing needs s3:PutObjectAcl as well, as S3 requires.
  if (canned || grant_headers) {
    bool by_acl = false;
    if (auto allowed = Authorize(c.state, c.head, c.query, c.auth, *c.bucket, "s3:PutObjectAcl",
                                 c.target.key, &by_acl);
        !allowed) {
      return std::unexpected(allowed.error());
    }
    c.log.acl_required = c.log.acl_required || by_acl;
  }
  xml::Owner bucket_owner_id = OwnerOfAccount(c.state, bucket_owner);
  NewObjectAccess out;
  if (*ownership == kBucketOwnerEnforced) {
    bool accepted = !canned || *canned == "private" || *canned == "bucket-owner-full-control";
    for (const auto& g : grants->grants) {
      accepted = accepted && g.grantee.type == "CanonicalUser" &&
                 g.grantee.id == bucket_owner_id.id && g.permission == "FULL_CONTROL";
    }
    if (!accepted) return std::unexpected(S3Error(ErrorCode::kAccessControlListNotSupported));
    out.owner_account_id = bucket_owner;
    out.acl = RenderedDefaultAcl(bucket_owner_id);
    return out;
  }
  // An anonymous writer (public-read-write) leaves the object to the bucket owner.
  out.owner_account_id = c.auth.account != nullptr ? c.auth.account->id : bucket_owner;
  if (*ownership == "BucketOwnerPreferred" && canned == "bucket-owner-full-control") {
    out.owner_account_id = bucket_owner;
  }
  xml::Owner owner = OwnerOfAccount(c.state, out.owner_account_id);
  if (!canned && !grant_headers) {
    out.acl = RenderedDefaultAcl(owner);
    return out;
  }
  xml::AccessControlPolicy acl;
  if (canned) {
    auto expanded = CannedObjectAcl(*canned, owner, bucket_owner_id);
    if (!expanded) return std::unexpected(expanded.error());
    acl = std::move(*expanded);
  } else {
    acl = std::move(*grants);
    acl.owner = owner;
  }
  out.acl = xml::RenderAccessControlPolicy(acl);
  return out;
}

}  // namespace logbucket::s3
