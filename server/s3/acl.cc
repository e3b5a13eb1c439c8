#include "server/s3/acl.h"

namespace logbucket::s3 {
namespace {

xml::Grant OwnerGrant(const xml::Owner& owner) {
  xml::Grant g;
  g.grantee.type = "CanonicalUser";
  g.grantee.id = owner.id;
  g.grantee.display_name = owner.display_name;
  g.permission = "FULL_CONTROL";
  return g;
}

xml::Grant GroupGrant(std::string_view uri, std::string_view permission) {
  xml::Grant g;
  g.grantee.type = "Group";
  g.grantee.uri = std::string(uri);
  g.permission = std::string(permission);
  return g;
}

}  // namespace

xml::AccessControlPolicy DefaultAcl(const xml::Owner& owner) {
  xml::AccessControlPolicy acl;
  acl.owner = owner;
  acl.grants.push_back(OwnerGrant(owner));
  return acl;
}

std::expected<xml::AccessControlPolicy, S3Error> CannedAcl(std::string_view name,
                                                           const xml::Owner& owner) {
  xml::AccessControlPolicy acl = DefaultAcl(owner);
  if (name == "private" || name == "bucket-owner-read" || name == "bucket-owner-full-control") {
    return acl;
  }
  if (name == "public-read") {
    acl.grants.push_back(GroupGrant(kAllUsersUri, "READ"));
  } else if (name == "public-read-write") {
    acl.grants.push_back(GroupGrant(kAllUsersUri, "READ"));
    acl.grants.push_back(GroupGrant(kAllUsersUri, "WRITE"));
  } else if (name == "authenticated-read") {
    acl.grants.push_back(GroupGrant(kAuthenticatedUsersUri, "READ"));
  } else if (name == "log-delivery-write") {
    acl.grants.push_back(GroupGrant(kLogDeliveryUri, "WRITE"));
    acl.grants.push_back(GroupGrant(kLogDeliveryUri, "READ_ACP"));
  } else {
    return std::unexpected(S3Error(ErrorCode::kInvalidArgument)
                               .With("ArgumentName", "x-amz-acl")
                               .With("ArgumentValue", std::string(name)));
  }
  return acl;
}

std::expected<xml::AccessControlPolicy, S3Error> CannedObjectAcl(std::string_view name,
                                                                 const xml::Owner& owner,
                                                                 const xml::Owner& bucket_owner) {
  auto acl = CannedAcl(name, owner);
  if (!acl) return acl;
  bool grants_bucket_owner = name == "bucket-owner-read" || name == "bucket-owner-full-control";
  if (grants_bucket_owner && bucket_owner.id != owner.id) {
    xml::Grant g = OwnerGrant(bucket_owner);
    if (name == "bucket-owner-read") g.permission = "READ";
    acl->grants.push_back(std::move(g));
  }
  return acl;
}

std::expected<xml::AccessControlPolicy, S3Error> GrantHeadersAcl(const Headers& headers,
                                                                 const xml::Owner& owner,
                                                                 bool* present) {
  static constexpr std::pair<std::string_view, std::string_view> kHeaders[] = {
      {"x-amz-grant-read", "READ"},         {"x-amz-grant-write", "WRITE"},
      {"x-amz-grant-read-acp", "READ_ACP"}, {"x-amz-grant-write-acp", "WRITE_ACP"},
      {"x-amz-grant-full-control", "FULL_CONTROL"}};
  xml::AccessControlPolicy acl;
  acl.owner = owner;
  *present = false;
  for (const auto& [header, permission] : kHeaders) {
    auto value = headers.Get(header);
    if (!value) continue;
    *present = true;
    // id="...", uri="...", emailAddress="..." separated by commas; the quotes are optional and
    // the grantee keys are case-insensitive (the aws CLI's own examples send uri=http://...).
    std::string_view v = *value;
    auto invalid = [&] {
      return S3Error(ErrorCode::kInvalidArgument)
          .With("ArgumentName", std::string(header))
          .With("ArgumentValue", std::string(*value));
    };
    while (!v.empty()) {
      while (!v.empty() && (v.front() == ' ' || v.front() == ',')) v.remove_prefix(1);
      if (v.empty()) break;
      auto eq = v.find('=');
      if (eq == std::string_view::npos || eq + 1 >= v.size()) return std::unexpected(invalid());
      std::string kind = ToLower(v.substr(0, eq));
      while (!kind.empty() && kind.back() == ' ') kind.pop_back();
      v.remove_prefix(eq + 1);
      while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
      std::string id;
      if (!v.empty() && v.front() == '"') {
        auto close = v.find('"', 1);
        if (close == std::string_view::npos) return std::unexpected(invalid());
        id = std::string(v.substr(1, close - 1));
        v.remove_prefix(close + 1);
      } else {
        auto comma = v.find(',');
        id = std::string(v.substr(0, comma));
        while (!id.empty() && id.back() == ' ') id.pop_back();
        v.remove_prefix(comma == std::string_view::npos ? v.size() : comma);
      }
      if (id.empty()) return std::unexpected(invalid());
      xml::Grant g;
      g.permission = std::string(permission);
      if (kind == "id") {
        g.grantee.type = "CanonicalUser";
        g.grantee.id = id;
      } else if (kind == "uri") {
        g.grantee.type = "Group";
        g.grantee.uri = id;
      } else if (kind == "emailaddress") {
        g.grantee.type = "AmazonCustomerByEmail";
        g.grantee.email_address = id;
      } else {
        return std::unexpected(invalid());
      }
      acl.grants.push_back(std::move(g));
    }
  }
  return acl;
}

bool GroupHasPermission(const xml::AccessControlPolicy& acl, std::string_view uri,
                        std::string_view permission) {
  for (const auto& g : acl.grants) {
    if (g.grantee.type == "Group" && g.grantee.uri == uri &&
        (g.permission == permission || g.permission == "FULL_CONTROL")) {
      return true;
    }
  }
  return false;
}

bool HasNonOwnerGrants(const xml::AccessControlPolicy& acl) {
  for (const auto& g : acl.grants) {
    if (!(g.grantee.type == "CanonicalUser" && g.grantee.id == acl.owner.id)) return true;
  }
  return false;
}

}  // namespace logbucket::s3
