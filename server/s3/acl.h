// Bucket and object ACLs: canned ACL expansion, x-amz-grant-* headers, and the LogDelivery group check.
// Thread-safety: pure functions.
#pragma once

#include <expected>
#include <string>
#include <string_view>

#include "server/s3/headers.h"
#include "server/s3/s3_error.h"
#include "server/s3/xml/acl_xml.h"

namespace logbucket::s3 {

inline constexpr std::string_view kAllUsersUri = "http://acs.amazonaws.com/groups/global/AllUsers";
inline constexpr std::string_view kAuthenticatedUsersUri =
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
inline constexpr std::string_view kLogDeliveryUri = "http://acs.amazonaws.com/groups/s3/LogDelivery";

// The owner-only ACL every bucket starts with.
xml::AccessControlPolicy DefaultAcl(const xml::Owner& owner);
// "private", "public-read", "public-read-write", "authenticated-read", "log-delivery-write",
// "bucket-owner-read", "bucket-owner-full-control". InvalidArgument for others.
std::expected<xml::AccessControlPolicy, S3Error> CannedAcl(std::string_view name,
                                                           const xml::Owner& owner);
// The same for an object owned by `owner` in a bucket owned by `bucket_owner`:
// bucket-owner-read and bucket-owner-full-control also grant READ / FULL_CONTROL to the bucket
// owner (when it is another account).
std::expected<xml::AccessControlPolicy, S3Error> CannedObjectAcl(std::string_view name,
                                                                 const xml::Owner& owner,
                                                                 const xml::Owner& bucket_owner);
// x-amz-grant-read / -write / -read-acp / -write-acp / -full-control headers; nullopt-like
// empty grants when none is present. InvalidArgument on a malformed grantee list.
std::expected<xml::AccessControlPolicy, S3Error> GrantHeadersAcl(const Headers& headers,
                                                                 const xml::Owner& owner,
                                                                 bool* present);
// Whether the ACL grants `permission` (or FULL_CONTROL) to the group `uri`.
bool GroupHasPermission(const xml::AccessControlPolicy& acl, std::string_view uri,
                        std::string_view permission);
// Whether the ACL grants anything beyond the owner's FULL_CONTROL.
bool HasNonOwnerGrants(const xml::AccessControlPolicy& acl);

}  // namespace logbucket::s3
