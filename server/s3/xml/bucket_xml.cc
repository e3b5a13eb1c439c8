#include "server/s3/xml/bucket_xml.h"

#include "server/s3/xml/owner_xml.h"
#include "server/s3/xml/xml_common.h"
#include "server/s3/xml/xml_document.h"

namespace logbucket::s3::xml {

void AppendOwner(pugi::xml_node parent, std::string_view name, const Owner& owner) {
  pugi::xml_node element = AppendElement(parent, name);
  AppendText(element, "ID", owner.id);
  if (!owner.display_name.empty()) AppendText(element, "DisplayName", owner.display_name);
}

std::expected<Owner, S3Error> ParseOwner(pugi::xml_node element) {
  auto id = OptionalLeaf(element, "ID");
  if (!id) return std::unexpected(id.error());
  auto display_name = OptionalLeaf(element, "DisplayName");
  if (!display_name) return std::unexpected(display_name.error());
  return Owner{.id = id->value_or(""), .display_name = display_name->value_or("")};
}

std::string RenderListAllMyBuckets(const Owner& owner, const std::vector<BucketEntry>& buckets) {
  pugi::xml_document doc;
  pugi::xml_node root = StartDocument(doc, "ListAllMyBucketsResult");
  AppendOwner(root, "Owner", owner);
  pugi::xml_node list = AppendElement(root, "Buckets");
  for (const BucketEntry& bucket : buckets) {
    pugi::xml_node element = AppendElement(list, "Bucket");
    AppendText(element, "Name", bucket.name);
    AppendText(element, "CreationDate", FormatIso8601(bucket.created_ms));
    if (!bucket.region.empty()) AppendText(element, "BucketRegion", bucket.region);
  }
  return Serialize(doc);
}

std::expected<CreateBucketConfiguration, S3Error> ParseCreateBucketConfiguration(
    std::string_view body) {
  pugi::xml_document doc;
  auto root = ParseRoot(doc, body, "CreateBucketConfiguration");
  if (!root) return std::unexpected(root.error());
  auto location = OptionalLeaf(*root, "LocationConstraint");
  if (!location) return std::unexpected(location.error());
  return CreateBucketConfiguration{.location_constraint =
                                       std::string(TrimXmlSpace(location->value_or("")))};
}

std::string RenderLocationConstraint(std::string_view region) {
  pugi::xml_document doc;
  pugi::xml_node root = StartDocument(doc, "LocationConstraint");
  if (!region.empty() && region != "us-east-1") root.text().set(region.data(), region.size());
  return Serialize(doc);
}

std::string_view ObjectOwnershipName(ObjectOwnership ownership) {
  switch (ownership) {
    case ObjectOwnership::kBucketOwnerEnforced:
      return "BucketOwnerEnforced";
    case ObjectOwnership::kBucketOwnerPreferred:
      return "BucketOwnerPreferred";
    case ObjectOwnership::kObjectWriter:
      return "ObjectWriter";
  }
  return "BucketOwnerEnforced";
}

std::optional<ObjectOwnership> ParseObjectOwnershipName(std::string_view name) {
  for (ObjectOwnership ownership :
       {ObjectOwnership::kBucketOwnerEnforced, ObjectOwnership::kBucketOwnerPreferred,
        ObjectOwnership::kObjectWriter}) {
    if (ObjectOwnershipName(ownership) == name) return ownership;
  }
  return std::nullopt;
}

std::expected<ObjectOwnership, S3Error> ParseOwnershipControls(std::string_view body) {
  pugi::xml_document doc;
  auto root = ParseRoot(doc, body, "OwnershipControls");
  if (!root) return std::unexpected(root.error());
  auto rule = SingleChild(*root, "Rule");
  if (!rule) return std::unexpected(rule.error());
  if (!*rule) return std::unexpected(MalformedXml());
  auto name = RequiredLeaf(*rule, "ObjectOwnership");
  if (!name) return std::unexpected(name.error());
  std::optional<ObjectOwnership> ownership = ParseObjectOwnershipName(TrimXmlSpace(*name));
  if (!ownership) return std::unexpected(MalformedXml());
  return *ownership;
}

std::string RenderOwnershipControls(ObjectOwnership ownership) {
  pugi::xml_document doc;
  pugi::xml_node root = StartDocument(doc, "OwnershipControls");
  AppendText(AppendElement(root, "Rule"), "ObjectOwnership", ObjectOwnershipName(ownership));
  return Serialize(doc);
}

}  // namespace logbucket::s3::xml
