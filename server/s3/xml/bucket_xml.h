// Bucket-level S3 documents: ListAllMyBucketsResult, CreateBucketConfiguration,
// LocationConstraint and OwnershipControls, plus Owner, which several documents share.
// Parse functions answer S3Error(kMalformedXML) for anything malformed (see xml_document.h for
// what the parser refuses); Render functions return a complete document starting with
// <?xml version="1.0" encoding="UTF-8"?> and with xmlns="http://s3.amazonaws.com/doc/2006-03-01/"
// on the root.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/s3/s3_error.h"

namespace logbucket::s3::xml {

// Rendered <Owner><ID/>[<DisplayName/>]</Owner>: DisplayName only when non-empty (AWS has
// stopped sending it in most regions).
struct Owner {
  std::string id{};
  std::string display_name{};

  bool operator==(const Owner&) const = default;
};

struct BucketEntry {
  std::string name;
  int64_t created_ms = 0;
  std::string region;  // <BucketRegion>; "" -> omitted
};

// ListAllMyBucketsResult: Owner, then Buckets/Bucket/{Name, CreationDate, BucketRegion}.
std::string RenderListAllMyBuckets(const Owner& owner, const std::vector<BucketEntry>& buckets);

struct CreateBucketConfiguration {
  std::string location_constraint;  // "" when the element is absent or empty

  bool operator==(const CreateBucketConfiguration&) const = default;
};

// CreateBucketConfiguration/LocationConstraint (optional). Other children (Location, Bucket,
// Tags of newer APIs) are ignored; whether the region is acceptable is the operation's call.
std::expected<CreateBucketConfiguration, S3Error> ParseCreateBucketConfiguration(
    std::string_view body);

// GetBucketLocation's answer: the region, or an empty element for us-east-1 (and for ""), as S3
// answers for buckets in us-east-1.
std::string RenderLocationConstraint(std::string_view region);

enum class ObjectOwnership { kBucketOwnerEnforced, kBucketOwnerPreferred, kObjectWriter };

// "BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter" (also the x-amz-object-ownership
// header values).
std::string_view ObjectOwnershipName(ObjectOwnership ownership);
// Inverse of ObjectOwnershipName (exact, case-sensitive); nullopt for anything else.
std::optional<ObjectOwnership> ParseObjectOwnershipName(std::string_view name);

// OwnershipControls/Rule/ObjectOwnership: exactly one Rule, with one known ObjectOwnership.
std::expected<ObjectOwnership, S3Error> ParseOwnershipControls(std::string_view body);
std::string RenderOwnershipControls(ObjectOwnership ownership);

}  // namespace logbucket::s3::xml
