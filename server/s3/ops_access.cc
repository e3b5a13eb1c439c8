// Access settings of a bucket: PutBucketPolicy / GetBucketPolicy / DeleteBucketPolicy,
// PutBucketAcl / GetBucketAcl, Put/Get/DeleteBucketOwnershipControls. They are stored as bucket
// settings ("policy": the JSON as given; "acl": AccessControlPolicy XML; "ownership": the
// ObjectOwnership name) and read by the log delivery permission check.
#include "server/s3/acl.h"
#include "server/s3/operation.h"
#include "server/s3/policy.h"
#include "server/s3/xml/bucket_xml.h"

namespace logbucket::s3 {
namespace {

xml::Owner BucketOwner(const OpContext& c) {
  if (const Account* a = c.state.AccountById(c.bucket->owner_account_id)) {
    return {a->canonical_id, a->display_name};
  }
  return {};
}

std::expected<std::optional<std::string>, S3Error> Setting(OpContext& c, std::string_view name) {
  auto v = c.state.store.GetBucketSetting(c.bucket->name, name);
  if (!v) return std::unexpected(FromStorage(v.error()));
  return *v;
}

std::expected<Response, S3Error> Store(OpContext& c, std::string_view name, std::string value,
                                       int status) {
  if (auto ok = c.state.store.PutBucketSetting(c.bucket->name, name, value); !ok) {
    return std::unexpected(FromStorage(ok.error()));
  }
  return EmptyResponse(status);
}

}  // namespace

OpResult PutBucketPolicy(OpContext& c) {
  if (auto ok = ValidateBucketPolicy(c.body->buffer, c.bucket->name); !ok) {
    return std::unexpected(ok.error());
  }
  return Store(c, "policy", c.body->buffer, 204);
}

OpResult GetBucketPolicy(OpContext& c) {
  auto policy = Setting(c, "policy");
  if (!policy) return std::unexpected(policy.error());
  if (!*policy) {
    return std::unexpected(S3Error(ErrorCode::kNoSuchBucketPolicy).With("BucketName", c.bucket->name));
  }
  Response r = EmptyResponse(200);
  r.headers.Set("Content-Type", "application/json");
  r.body = **policy;
  return r;
}

OpResult DeleteBucketPolicy(OpContext& c) {
  if (auto ok = c.state.store.DeleteBucketSetting(c.bucket->name, "policy"); !ok) {
    return std::unexpected(FromStorage(ok.error()));
  }
  return EmptyResponse(204);
}

OpResult PutBucketAcl(OpContext& c) {
  xml::Owner owner = BucketOwner(c);
  xml::AccessControlPolicy acl;
  bool grant_headers = false;
  auto from_headers = GrantHeadersAcl(c.head.headers, owner, &grant_headers);
  if (!from_headers) return std::unexpected(from_headers.error());
  auto canned = c.Header("x-amz-acl");
  int sources = (canned ? 1 : 0) + (grant_headers ? 1 : 0) + (c.body->buffer.empty() ? 0 : 1);
  if (sources > 1) {
    return std::unexpected(S3Error(ErrorCode::kInvalidRequest,
                                   "Specifying both Canned ACLs and Header Grants is not allowed"));
  }
  if (canned) {
    auto expanded = CannedAcl(*canned, owner);
    if (!expanded) return std::unexpected(expanded.error());
    acl = std::move(*expanded);
  } else if (grant_headers) {
    acl = std::move(*from_headers);
  } else if (!c.body->buffer.empty()) {
    auto parsed = xml::ParseAccessControlPolicy(c.body->buffer);
    if (!parsed) return std::unexpected(parsed.error());
    acl = std::move(*parsed);
    if (acl.owner.id.empty()) acl.owner = owner;
    if (acl.owner.id != owner.id) {
      return std::unexpected(S3Error(ErrorCode::kAccessDenied));
    }
    acl.owner.display_name = owner.display_name;
  } else {
    return std::unexpected(S3Error(ErrorCode::kMissingSecurityHeader,
                                   "Your request was missing a required header")
                               .With("MissingHeaderName", "x-amz-acl"));
  }
  auto ownership = Setting(c, "ownership");
  if (!ownership) return std::unexpected(ownership.error());
  if (*ownership && **ownership == "BucketOwnerEnforced" && HasNonOwnerGrants(acl)) {
    return std::unexpected(S3Error(ErrorCode::kAccessControlListNotSupported));
  }
  return Store(c, "acl", xml::RenderAccessControlPolicy(acl), 200);
}

OpResult GetBucketAcl(OpContext& c) {
  auto stored = Setting(c, "acl");
  if (!stored) return std::unexpected(stored.error());
  if (*stored) {
    auto acl = xml::ParseAccessControlPolicy(**stored);
    if (acl) return XmlResponse(200, xml::RenderAccessControlPolicy(*acl));
  }
  return XmlResponse(200, xml::RenderAccessControlPolicy(DefaultAcl(BucketOwner(c))));
}

OpResult PutBucketOwnershipControls(OpContext& c) {
  if (auto ok = RequireContentChecksum(c); !ok) return std::unexpected(ok.error());
  auto parsed = xml::ParseOwnershipControls(c.body->buffer);
  if (!parsed) return std::unexpected(parsed.error());
  if (*parsed == xml::ObjectOwnership::kBucketOwnerEnforced) {
    auto stored = Setting(c, "acl");
    if (!stored) return std::unexpected(stored.error());
    if (*stored) {
      auto acl = xml::ParseAccessControlPolicy(**stored);
      if (acl && HasNonOwnerGrants(*acl)) {
        return std::unexpected(S3Error(ErrorCode::kInvalidBucketAclWithObjectOwnership));
      }
    }
  }
  return Store(c, "ownership", std::string(xml::ObjectOwnershipName(*parsed)), 200);
}

OpResult GetBucketOwnershipControls(OpContext& c) {
  auto stored = Setting(c, "ownership");
  if (!stored) return std::unexpected(stored.error());
  auto parsed = *stored ? xml::ParseObjectOwnershipName(**stored) : std::nullopt;
  if (!parsed) {
    return std::unexpected(
        S3Error(ErrorCode::kOwnershipControlsNotFoundError).With("BucketName", c.bucket->name));
  }
  return XmlResponse(200, xml::RenderOwnershipControls(*parsed));
}

OpResult DeleteBucketOwnershipControls(OpContext& c) {
  if (auto ok = c.state.store.DeleteBucketSetting(c.bucket->name, "ownership"); !ok) {
    return std::unexpected(FromStorage(ok.error()));
  }
  return EmptyResponse(204);
}

}  // namespace logbucket::s3
