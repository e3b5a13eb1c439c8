#include "server/s3/xml/acl_xml.h"

#include <algorithm>
#include <array>

#include "server/s3/xml/owner_xml.h"
#include "server/s3/xml/xml_common.h"
#include "server/s3/xml/xml_document.h"

namespace logbucket::s3::xml {
namespace {

constexpr std::array<std::string_view, 5> kAclPermissions = {"FULL_CONTROL", "WRITE", "WRITE_ACP",
                                                             "READ", "READ_ACP"};

std::expected<Grant, S3Error> ParseGrant(pugi::xml_node element) {
  if (!HasOnlyChildren(element, {"Grantee", "Permission"})) {
    return std::unexpected(MalformedXml());
  }
  auto grantee_element = SingleChild(element, "Grantee");
  if (!grantee_element) return std::unexpected(grantee_element.error());
  if (!*grantee_element) return std::unexpected(MalformedXml());
  auto grantee = ParseGrantee(*grantee_element);
  if (!grantee) return std::unexpected(grantee.error());
  auto permission = RequiredLeaf(element, "Permission");
  if (!permission) return std::unexpected(permission.error());
  const std::string_view trimmed = TrimXmlSpace(*permission);
  if (!IsAclPermission(trimmed)) return std::unexpected(MalformedXml());
  return Grant{.grantee = std::move(*grantee), .permission = std::string(trimmed)};
}

}  // namespace

bool IsAclPermission(std::string_view permission) {
  return std::ranges::find(kAclPermissions, permission) != kAclPermissions.end();
}

void AppendGrantee(pugi::xml_node parent, const Grantee& grantee) {
  pugi::xml_node element = AppendElement(parent, "Grantee");
  element.append_attribute("xmlns:xsi").set_value(kXsiNamespace.data(), kXsiNamespace.size());
  element.append_attribute("xsi:type").set_value(grantee.type.c_str());
  if (!grantee.id.empty()) AppendText(element, "ID", grantee.id);
  if (!grantee.display_name.empty()) AppendText(element, "DisplayName", grantee.display_name);
  if (!grantee.email_address.empty()) AppendText(element, "EmailAddress", grantee.email_address);
  if (!grantee.uri.empty()) AppendText(element, "URI", grantee.uri);
}

std::expected<Grantee, S3Error> ParseGrantee(pugi::xml_node element) {
  if (!HasOnlyChildren(element, {"ID", "DisplayName", "EmailAddress", "URI"})) {
    return std::unexpected(MalformedXml());
  }
  Grantee grantee;
  grantee.type = std::string(TrimXmlSpace(XsiType(element)));
  struct Field {
    std::string_view name;
    std::string* value;
  };
  for (const Field& field :
       {Field{"ID", &grantee.id}, Field{"DisplayName", &grantee.display_name},
        Field{"EmailAddress", &grantee.email_address}, Field{"URI", &grantee.uri}}) {
    auto text = OptionalLeaf(element, field.name);
    if (!text) return std::unexpected(text.error());
    *field.value = text->value_or("");
  }
  const bool identified =
      (grantee.type == "CanonicalUser" && !grantee.id.empty()) ||
      (grantee.type == "AmazonCustomerByEmail" && !grantee.email_address.empty()) ||
      (grantee.type == "Group" && !grantee.uri.empty());
  if (!identified) return std::unexpected(MalformedXml());
  return grantee;
}

std::expected<AccessControlPolicy, S3Error> ParseAccessControlPolicy(std::string_view body) {
  pugi::xml_document doc;
  auto root = ParseRoot(doc, body, "AccessControlPolicy");
  if (!root) return std::unexpected(root.error());
  if (!HasOnlyChildren(*root, {"Owner", "AccessControlList"})) {
    return std::unexpected(MalformedXml());
  }
  AccessControlPolicy policy;
  auto owner = SingleChild(*root, "Owner");  // unique: checked by HasOnlyChildren
  if (*owner) {
    if (!HasOnlyChildren(*owner, {"ID", "DisplayName"})) return std::unexpected(MalformedXml());
    auto parsed_owner = ParseOwner(*owner);
    if (!parsed_owner) return std::unexpected(parsed_owner.error());
    policy.owner = std::move(*parsed_owner);
  }
  auto list = SingleChild(*root, "AccessControlList");
  if (*list) {
    if (!HasOnlyChildren(*list, {}, {"Grant"})) return std::unexpected(MalformedXml());
    for (pugi::xml_node element : ChildrenNamed(*list, "Grant")) {
      auto grant = ParseGrant(element);
      if (!grant) return std::unexpected(grant.error());
      policy.grants.push_back(std::move(*grant));
    }
  }
  return policy;
}

std::string RenderAccessControlPolicy(const AccessControlPolicy& policy) {
  pugi::xml_document doc;
  pugi::xml_node root = StartDocument(doc, "AccessControlPolicy");
  AppendOwner(root, "Owner", policy.owner);
  pugi::xml_node list = AppendElement(root, "AccessControlList");
  for (const Grant& grant : policy.grants) {
    pugi::xml_node element = AppendElement(list, "Grant");
    AppendGrantee(element, grant.grantee);
    AppendText(element, "Permission", grant.permission);
  }
  return Serialize(doc);
}

}  // namespace logbucket::s3::xml
