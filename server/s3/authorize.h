// Request authorisation as S3 evaluates it for same-account, cross-account and anonymous
// requesters without IAM identity policies:
//   1. an explicit Deny in the bucket policy -> denied (even for the bucket owner's users; the
//      owner's account keeps Get/Put/DeleteBucketPolicy so that it cannot lock itself out);
//   2. the bucket owner's account -> allowed;
//   3. a bucket policy Allow for the requester (account id, arn:aws:iam::ID:root, user ARN, "*")
//      -> allowed;
//   4. an ACL grant (bucket ACL for bucket actions and object writes, the object's ACL for object
//      reads and object ACL actions) -> allowed, with aclRequired = Yes in the access log.
// ACLs are not evaluated while the bucket's ownership is BucketOwnerEnforced.
//
// Decide() is the pure evaluation; the Authorize* functions load the bucket's policy, ACL and
// ownership (and the object's ACL when it matters) from storage and call it.
// Thread-safety: pure functions, and functions that only read the (thread-safe) store.
#pragma once

#include <expected>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "server/s3/operation.h"
#include "server/s3/s3_error.h"
#include "server/s3/xml/acl_xml.h"
#include "storage/types.h"

namespace logbucket::s3 {

struct Requester {
  std::string account_id;    // "" when anonymous
  std::string canonical_id;  // the account's canonical id
  std::string user_arn;      // arn:aws:iam::<account>:user/<name>
};

// What the bucket (and, for object actions, the object) says about access.
struct AccessDocuments {
  std::string bucket_owner_account_id;
  std::optional<std::string> policy;                   // bucket policy JSON, when set
  bool acls_enabled = true;                            // false under BucketOwnerEnforced
  std::optional<xml::AccessControlPolicy> bucket_acl;  // nullopt: owner-only
  std::optional<xml::AccessControlPolicy> object_acl;  // nullopt: no object, or owner-only
};

struct AccessRequest {
  Requester requester;
  std::string action;  // "s3:GetObject"
  std::string bucket;
  std::optional<std::string> key;              // set for object actions: the resource is bucket/key
  std::map<std::string, std::string> context;  // condition keys: "aws:SecureTransport"...
};

struct AccessDecision {
  bool allowed = false;
  bool acl_required = false;  // an ACL grant is what allowed it
};

AccessDecision Decide(const AccessRequest& request, const AccessDocuments& documents);

// Whether the ACL grants `permission` (or FULL_CONTROL) to the requester: its canonical id, the
// AllUsers group, or (signed requests) the AuthenticatedUsers group.
bool AclGrants(const xml::AccessControlPolicy& acl, const Requester& requester,
               std::string_view permission);

Requester RequesterOf(const AuthResult& auth);

// Condition keys of a request: aws:SecureTransport, aws:PrincipalAccount, aws:PrincipalArn,
// aws:SourceIp, s3:x-amz-acl, and s3:prefix / s3:delimiter / s3:max-keys for listings.
std::map<std::string, std::string> RequestContext(const RequestHead& head,
                                                  const sigv4::QueryParams& query,
                                                  const AuthResult& auth);

// Authorises `action` on bucket (and key, for object actions) for the authenticated requester.
// AccessDenied when not allowed; *acl_required tells whether an ACL grant was what allowed it.
// For s3:GetObject on a missing key, a requester who may not s3:ListBucket is denied, as S3
// does (it would otherwise learn that the key does not exist).
std::expected<void, S3Error> Authorize(ServiceState& state, const RequestHead& head,
                                       const sigv4::QueryParams& query, const AuthResult& auth,
                                       const storage::BucketRecord& bucket, std::string_view action,
                                       const std::optional<std::string>& key, bool* acl_required);

// The bucket's ObjectOwnership setting ("" when none is stored: ACLs enabled, ObjectWriter).
std::expected<std::string, S3Error> BucketOwnership(ServiceState& state, std::string_view bucket);

// The owner and ACL of an object that the request writes (PutObject, CopyObject,
// CreateMultipartUpload), from x-amz-acl / x-amz-grant-* and the bucket's ownership:
// BucketOwnerEnforced -> the bucket owner, and any ACL other than private /
// bucket-owner-full-control is AccessControlListNotSupported; BucketOwnerPreferred with
// bucket-owner-full-control -> the bucket owner; otherwise the writer.
struct NewObjectAccess {
  std::string owner_account_id;
  std::string acl;  // rendered AccessControlPolicy XML
};
std::expected<NewObjectAccess, S3Error> NewObjectAcl(OpContext& c);

// The object's ACL (the stored document, or the owner-only default for objects without one).
xml::AccessControlPolicy ObjectAclOf(const ServiceState& state,
                                     const storage::ObjectRecord& object);

xml::Owner OwnerOfAccount(const ServiceState& state, std::string_view account_id);

}  // namespace logbucket::s3
