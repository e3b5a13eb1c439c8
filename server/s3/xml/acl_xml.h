// AccessControlPolicy: the body of PutBucketAcl/PutObjectAcl and the answer of GetBucketAcl/
// GetObjectAcl. Parse answers S3Error(kMalformedXML) for anything malformed; Render returns a
// complete document with the S3 namespace, each Grantee carrying xmlns:xsi and xsi:type as S3
// renders it.
// Thread-safety: pure functions.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "server/s3/s3_error.h"
#include "server/s3/xml/bucket_xml.h"

namespace logbucket::s3::xml {

struct Grantee {
  // Members default to "" so designated initializers can name only the ones a type uses.
  std::string type{};  // xsi:type: "CanonicalUser", "AmazonCustomerByEmail" or "Group"
  std::string id{}, display_name{}, email_address{}, uri{};

  bool operator==(const Grantee&) const = default;
};

struct Grant {
  Grantee grantee{};
  std::string permission{};  // FULL_CONTROL WRITE WRITE_ACP READ READ_ACP

  bool operator==(const Grant&) const = default;
};

struct AccessControlPolicy {
  Owner owner;  // id "" when the document has no Owner (the operation decides if that is fine)
  std::vector<Grant> grants;

  bool operator==(const AccessControlPolicy&) const = default;
};

// AccessControlPolicy/{Owner?/{ID, DisplayName}, AccessControlList?/Grant*/{Grantee, Permission}}.
// Each Grant needs a Grantee (xsi:type required and known, with the identifying element of its
// type: ID, EmailAddress or URI) and one of the five permissions. Values are kept verbatim
// except Permission, whose surrounding whitespace is dropped.
std::expected<AccessControlPolicy, S3Error> ParseAccessControlPolicy(std::string_view body);
std::string RenderAccessControlPolicy(const AccessControlPolicy& policy);

}  // namespace logbucket::s3::xml
