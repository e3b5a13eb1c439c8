#include <gtest/gtest.h>

#include "server/s3/xml/acl_xml.h"

namespace logbucket::s3::xml {
namespace {

constexpr const char* kXsi = "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"";

AccessControlPolicy SamplePolicy() {
  return AccessControlPolicy{
      .owner = {"owner-id", "owner-name"},
      .grants = {
          {{.type = "CanonicalUser", .id = "owner-id", .display_name = "owner-name"},
           "FULL_CONTROL"},
          {{.type = "Group", .uri = "http://acs.amazonaws.com/groups/s3/LogDelivery"}, "WRITE"},
          {{.type = "Group", .uri = "http://acs.amazonaws.com/groups/s3/LogDelivery"}, "READ_ACP"},
          {{.type = "AmazonCustomerByEmail", .email_address = "a&b@example.com"}, "READ"},
          {{.type = "CanonicalUser", .id = "other"}, "WRITE_ACP"},
      }};
}

TEST(RenderAccessControlPolicyTest, GranteeCarriesXsiTypeAsS3RendersIt) {
  const AccessControlPolicy policy{
      .owner = {"id1", "name1"},
      .grants = {
          {{.type = "CanonicalUser", .id = "id1", .display_name = "name1"}, "FULL_CONTROL"},
          {{.type = "Group", .uri = "http://acs.amazonaws.com/groups/global/AllUsers"}, "READ"}}};
  EXPECT_EQ(RenderAccessControlPolicy(policy),
            std::string("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                        "<AccessControlPolicy xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                        "<Owner><ID>id1</ID><DisplayName>name1</DisplayName></Owner>"
                        "<AccessControlList><Grant><Grantee ") +
                kXsi +
                " xsi:type=\"CanonicalUser\"><ID>id1</ID><DisplayName>name1</DisplayName>"
                "</Grantee><Permission>FULL_CONTROL</Permission></Grant><Grant><Grantee " +
                kXsi +
                " xsi:type=\"Group\"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI>"
                "</Grantee><Permission>READ</Permission></Grant></AccessControlList>"
                "</AccessControlPolicy>");
}

TEST(AccessControlPolicyTest, RoundTrips) {
  const AccessControlPolicy policy = SamplePolicy();
  auto parsed = ParseAccessControlPolicy(RenderAccessControlPolicy(policy));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, policy);
  const AccessControlPolicy empty{.owner = {"only-owner", ""}, .grants = {}};
  parsed = ParseAccessControlPolicy(RenderAccessControlPolicy(empty));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, empty);
}

TEST(ParseAccessControlPolicyTest, AcceptsWhatSdksSend) {
  // boto3 style: indented, namespace on the root, xsi declared on each Grantee.
  const std::string text = std::string(
                               "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                               "<AccessControlPolicy xmlns=\"http://s3.amazonaws.com/doc/"
                               "2006-03-01/\">\n  <Owner>\n    <ID>o</ID>\n  </Owner>\n"
                               "  <AccessControlList>\n    <Grant>\n      <Grantee ") +
                           kXsi +
                           " xsi:type=\"CanonicalUser\">\n        <ID>o</ID>\n      </Grantee>\n"
                           "      <Permission> FULL_CONTROL </Permission>\n    </Grant>\n"
                           "  </AccessControlList>\n</AccessControlPolicy>\n";
  auto parsed = ParseAccessControlPolicy(text);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->owner, (Owner{"o", ""}));
  ASSERT_EQ(parsed->grants.size(), 1u);
  EXPECT_EQ(parsed->grants[0].grantee, (Grantee{.type = "CanonicalUser", .id = "o"}));
  EXPECT_EQ(parsed->grants[0].permission, "FULL_CONTROL");
}

TEST(ParseAccessControlPolicyTest, XsiPrefixIsResolvedThroughItsNamespace) {
  // Another prefix bound to the XSI namespace on the root is the same attribute.
  auto parsed = ParseAccessControlPolicy(
      "<AccessControlPolicy xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\">"
      "<AccessControlList><Grant><Grantee i:type=\"Group\"><URI>u</URI></Grantee>"
      "<Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->grants.at(0).grantee.type, "Group");
  // A "type" attribute in another namespace is not xsi:type.
  auto other = ParseAccessControlPolicy(
      "<AccessControlPolicy xmlns:i=\"urn:other\">"
      "<AccessControlList><Grant><Grantee i:type=\"Group\"><URI>u</URI></Grantee>"
      "<Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>");
  EXPECT_FALSE(other.has_value());
}

TEST(ParseAccessControlPolicyTest, MalformedDocuments) {
  auto grant = [](const std::string& grantee, const std::string& permission) {
    return "<AccessControlPolicy><Owner><ID>o</ID></Owner><AccessControlList><Grant>" + grantee +
           permission + "</Grant></AccessControlList></AccessControlPolicy>";
  };
  const std::string user =
      std::string("<Grantee ") + kXsi + " xsi:type=\"CanonicalUser\"><ID>o</ID></Grantee>";
  const std::string cases[] = {
      grant(user, "<Permission>EVERYTHING</Permission>"),
      grant(user, "<Permission>read</Permission>"),
      grant(user, ""),
      grant("", "<Permission>READ</Permission>"),
      grant("<Grantee><ID>o</ID></Grantee>", "<Permission>READ</Permission>"),
      grant(std::string("<Grantee ") + kXsi + " xsi:type=\"Robot\"><ID>o</ID></Grantee>",
            "<Permission>READ</Permission>"),
      grant(std::string("<Grantee ") + kXsi + " xsi:type=\"CanonicalUser\"></Grantee>",
            "<Permission>READ</Permission>"),
      grant(std::string("<Grantee ") + kXsi + " xsi:type=\"Group\"><ID>o</ID></Grantee>",
            "<Permission>READ</Permission>"),
      grant(std::string("<Grantee ") + kXsi +
                " xsi:type=\"AmazonCustomerByEmail\"><URI>u</URI></Grantee>",
            "<Permission>READ</Permission>"),
      grant(std::string("<Grantee ") + kXsi +
                " xsi:type=\"CanonicalUser\"><ID>o</ID><Extra/></Grantee>",
            "<Permission>READ</Permission>"),
      grant(user + user, "<Permission>READ</Permission>"),
      grant(user, "<Permission>READ</Permission><Permission>READ</Permission>"),
      "<AccessControlPolicy><Owner><ID>a</ID></Owner><Owner><ID>b</ID></Owner>"
      "</AccessControlPolicy>",
      "<AccessControlPolicy><AccessControlList><NotAGrant/></AccessControlList>"
      "</AccessControlPolicy>",
      "<AccessControlPolicy><Unknown/></AccessControlPolicy>",
      "<AccessControlList/>",
  };
  for (const std::string& text : cases) {
    auto parsed = ParseAccessControlPolicy(text);
    ASSERT_FALSE(parsed.has_value()) << text;
    EXPECT_EQ(parsed.error().code, ErrorCode::kMalformedXML) << text;
  }
}

}  // namespace
}  // namespace logbucket::s3::xml
