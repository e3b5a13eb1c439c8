// Access settings of a bucket: PutBucketPolicy / GetBucketPolicy / DeleteBucketPolicy,
// PutBucketAcl / GetBucketAcl, Put/Get/DeleteBucketOwnershipControls, PutObjectAcl /
// GetObjectAcl. Bucket ones are stored as bucket settings ("policy": the JSON as given; "acl":
// AccessControlPolicy XML; "ownership": the ObjectOwnership name), read by authorize.cc and the
// log delivery permission check; an object's ACL is stored with the object.
#include "server/s3/acl.h"
#include "server/s3/authorize.h"
#include "server/s3/operation.h"
#include "server/s3/versions.h"
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

// The ACL a PutBucketAcl / PutObjectAcl request sets: x-amz-acl, x-amz-grant-* or the body
// (exactly one of them). `owner` owns the resource; for an object, `bucket_owner` is the
// bucket's owner (bucket-owner-read / -full-control grant to it).
std::expected<xml::AccessControlPolicy, S3Error> AclFromRequest(OpContext& c,
                                                                const xml::Owner& owner,
                                                                const xml::Owner* bucket_owner) {
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
    if (bucket_owner) return CannedObjectAcl(*canned, owner, *bucket_owner);
    return CannedAcl(*canned, owner);
  }
  if (grant_headers) return std::move(*from_headers);
  if (c.body->buffer.empty()) {
    return std::unexpected(S3Error(ErrorCode::kMissingSecurityHeader,
                                   "Your request was missing a required header")
                               .With("MissingHeaderName", "x-amz-acl"));
  }
  auto parsed = xml::ParseAccessControlPolicy(c.body->buffer);
  if (!parsed) return std::unexpected(parsed.error());
  if (parsed->owner.id.empty()) parsed->owner = owner;
  if (parsed->owner.id != owner.id) return std::unexpected(S3Error(ErrorCode::kAccessDenied));
  parsed->owner.display_name = owner.display_name;
  return std::move(*parsed);
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
  auto acl = AclFromRequest(c, BucketOwner(c), nullptr);
  if (!acl) return std::unexpected(acl.error());
  auto ownership = Setting(c, "ownership");
  if (!ownership) return std::unexpected(ownership.error());
  if (*ownership && **ownership == "BucketOwnerEnforced" && HasNonOwnerGrants(*acl)) {
    return std::unexpected(S3Error(ErrorCode::kAccessControlListNotSupported));
  }
  return Store(c, "acl", xml::RenderAccessControlPolicy(*acl), 200);
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

namespace {

// The object version an ACL request addresses: the current one, or the one named by versionId.
std::expected<storage::ObjectRecord, S3Error> AclTarget(OpContext& c) {
  std::optional<std::string> version_id;
  if (auto v = c.Query("versionId")) {
    auto id = StorageVersionId(*v);
    if (!id) return std::unexpected(id.error());
    version_id = std::move(*id);
  }
  auto object = version_id ? c.state.store.HeadVersion(c.bucket->name, c.target.key, *version_id)
                           : c.state.store.HeadObject(c.bucket->name, c.target.key);
  if (!object) {
    S3Error e = FromStorage(object.error());
    if (e.code == ErrorCode::kNoSuchKey) {
      if (version_id) {
        e = S3Error(ErrorCode::kNoSuchVersion).With("VersionId", std::string(*c.Query("versionId")));
      }
      e.With("Key", c.target.key);
    }
    return std::unexpected(e);
  }
  if (object->delete_marker) {
    return std::unexpected(S3Error(ErrorCode::kMethodNotAllowed)
                               .With("Method", c.head.method)
                               .With("ResourceType", "DeleteMarker")
                               .WithHeader("x-amz-delete-marker", "true"));
  }
  return std::move(*object);
}

}  // namespace

OpResult GetObjectAcl(OpContext& c) {
  auto object = AclTarget(c);
  if (!object) return std::unexpected(object.error());
  Response r = XmlResponse(200, xml::RenderAccessControlPolicy(ObjectAclOf(c.state, *object)));
  if (auto v = VersionIdHeader(*c.bucket, object->version_id); !v.empty()) {
    r.headers.Set("x-amz-version-id", v);
  }
  return r;
}

OpResult PutObjectAcl(OpContext& c) {
  auto object = AclTarget(c);
  if (!object) return std::unexpected(object.error());
  auto current = c.state.store.HeadObject(c.bucket->name, c.target.key);
  if (!current || current->version_id != object->version_id) {
    // Storage keeps an ACL per current object only.
    return std::unexpected(S3Error(ErrorCode::kNotImplemented,
                                   "Logbucket sets the ACL of the current version only")
                               .With("Header", "versionId"));
  }
  xml::Owner bucket_owner = BucketOwner(c);
  auto acl = AclFromRequest(c, OwnerOfAccount(c.state, object->owner_account_id), &bucket_owner);
  if (!acl) return std::unexpected(acl.error());
  auto ownership = Setting(c, "ownership");
  if (!ownership) return std::unexpected(ownership.error());
  if (*ownership && **ownership == "BucketOwnerEnforced" && HasNonOwnerGrants(*acl)) {
    return std::unexpected(S3Error(ErrorCode::kAccessControlListNotSupported));
  }
  std::string document = xml::RenderAccessControlPolicy(*acl);
  auto stored = c.state.store.SetObjectAcl(c.bucket->name, c.target.key, document);
  if (!stored) return std::unexpected(FromStorage(stored.error()));
  Response r = EmptyResponse(200);
  if (auto v = VersionIdHeader(*c.bucket, stored->version_id); !v.empty()) {
    r.headers.Set("x-amz-version-id", v);
  }
  return r;
}

}  // namespace logbucket::s3
