// Internal to server/s3/xml: the Owner and Grantee elements several documents share
// (ListAllMyBucketsResult, AccessControlPolicy, listings, ListParts, BucketLoggingStatus).
// Thread-safety: pure functions over caller-owned documents.
#pragma once

#include <expected>
#include <pugixml.hpp>
#include <string_view>

#include "server/s3/s3_error.h"
#include "server/s3/xml/acl_xml.h"
#include "server/s3/xml/bucket_xml.h"

namespace logbucket::s3::xml {

// <name><ID/>[<DisplayName/>]</name> (Owner, Initiator).
void AppendOwner(pugi::xml_node parent, std::string_view name, const Owner& owner);
// ID and DisplayName of an Owner-shaped element, both optional ("" when absent).
std::expected<Owner, S3Error> ParseOwner(pugi::xml_node element);

// <Grantee xmlns:xsi="…" xsi:type="…"> with ID, DisplayName, EmailAddress, URI when non-empty.
void AppendGrantee(pugi::xml_node parent, const Grantee& grantee);
// A Grantee element: xsi:type must be CanonicalUser (requires ID), AmazonCustomerByEmail
// (requires EmailAddress) or Group (requires URI); only ID, DisplayName, EmailAddress and URI may
// appear, once each.
std::expected<Grantee, S3Error> ParseGrantee(pugi::xml_node element);
// FULL_CONTROL, WRITE, WRITE_ACP, READ, READ_ACP.
bool IsAclPermission(std::string_view permission);

}  // namespace logbucket::s3::xml
