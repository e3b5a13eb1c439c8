#include "server/s3/xml/encryption_xml.h"

#include <algorithm>
#include <array>

#include "server/s3/xml/xml_document.h"

namespace logbucket::s3::xml {
namespace {

// The values S3 accepts for a bucket default. aws:fsx and aws:backup, also in S3's enumeration,
// describe access points to other services and are refused like any unknown value.
constexpr std::array<std::string_view, 3> kAlgorithms = {"AES256", "aws:kms", "aws:kms:dsse"};
constexpr std::array<std::string_view, 2> kEncryptionTypes = {"NONE", "SSE-C"};

template <size_t N>
bool OneOf(const std::array<std::string_view, N>& values, std::string_view value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

std::expected<void, S3Error> ParseByDefault(pugi::xml_node element,
                                            EncryptionConfiguration& config) {
  if (!HasOnlyChildren(element, {"SSEAlgorithm", "KMSMasterKeyID"})) {
    return std::unexpected(MalformedXml());
  }
  auto algorithm = RequiredLeaf(element, "SSEAlgorithm");
  if (!algorithm) return std::unexpected(algorithm.error());
  const std::string_view name = TrimXmlSpace(*algorithm);
  if (!OneOf(kAlgorithms, name)) return std::unexpected(MalformedXml());
  config.sse_algorithm = std::string(name);
  auto key = OptionalLeaf(element, "KMSMasterKeyID");
  if (!key) return std::unexpected(key.error());
  if (*key) {
    if (!config.sse_algorithm.starts_with("aws:kms")) {
      return std::unexpected(S3Error(ErrorCode::kInvalidArgument,
                                     "a KMSMasterKeyID is not applicable if the default sse "
                                     "algorithm is not aws:kms or aws:kms:dsse")
                                 .With("ArgumentName", "ApplyServerSideEncryptionByDefault"));
    }
    config.kms_master_key_id = std::string(TrimXmlSpace(**key));
  }
  return {};
}

}  // namespace

std::expected<EncryptionConfiguration, S3Error> ParseServerSideEncryptionConfiguration(
    std::string_view body) {
  pugi::xml_document doc;
  auto root = ParseRoot(doc, body, "ServerSideEncryptionConfiguration");
  if (!root) return std::unexpected(root.error());
  // One rule: S3 answers MalformedXML to none and to two.
  if (!HasOnlyChildren(*root, {"Rule"})) return std::unexpected(MalformedXml());
  auto rule = SingleChild(*root, "Rule");
  if (!rule) return std::unexpected(rule.error());
  if (!*rule || !HasOnlyChildren(*rule, {"ApplyServerSideEncryptionByDefault", "BucketKeyEnabled",
                                         "BlockedEncryptionTypes"})) {
    return std::unexpected(MalformedXml());
  }
  // Each child appears at most once (HasOnlyChildren), so SingleChild cannot fail here.
  const pugi::xml_node by_default =
      SingleChild(*rule, "ApplyServerSideEncryptionByDefault").value_or(pugi::xml_node());
  const pugi::xml_node blocked =
      SingleChild(*rule, "BlockedEncryptionTypes").value_or(pugi::xml_node());
  auto bucket_key = OptionalLeaf(*rule, "BucketKeyEnabled");
  if (!bucket_key) return std::unexpected(bucket_key.error());
  if (!by_default && !blocked && !*bucket_key) {
    return std::unexpected(MalformedXml());  // an empty rule says nothing
  }
  EncryptionConfiguration config;
  if (by_default) {
    if (auto ok = ParseByDefault(by_default, config); !ok) return std::unexpected(ok.error());
  }
  if (*bucket_key) {
    std::optional<bool> enabled = ParseBoolean(**bucket_key);
    if (!enabled) return std::unexpected(MalformedXml());
    config.bucket_key_enabled = *enabled;
  }
  if (blocked) {
    if (!HasOnlyChildren(blocked, {}, {"EncryptionType"})) return std::unexpected(MalformedXml());
    for (pugi::xml_node type : ChildrenNamed(blocked, "EncryptionType")) {
      std::optional<std::string> text = LeafText(type);
      if (!text || !OneOf(kEncryptionTypes, TrimXmlSpace(*text))) {
        return std::unexpected(MalformedXml());
      }
      config.blocked_encryption_types.emplace_back(TrimXmlSpace(*text));
    }
    if (config.blocked_encryption_types.empty()) return std::unexpected(MalformedXml());
  }
  return config;
}

std::string RenderServerSideEncryptionConfiguration(const EncryptionConfiguration& config) {
  pugi::xml_document doc;
  pugi::xml_node root = StartDocument(doc, "ServerSideEncryptionConfiguration");
  pugi::xml_node rule = AppendElement(root, "Rule");
  pugi::xml_node by_default = AppendElement(rule, "ApplyServerSideEncryptionByDefault");
  AppendText(by_default, "SSEAlgorithm", config.sse_algorithm);
  if (!config.kms_master_key_id.empty()) {
    AppendText(by_default, "KMSMasterKeyID", config.kms_master_key_id);
  }
  AppendBool(rule, "BucketKeyEnabled", config.bucket_key_enabled);
  if (!config.blocked_encryption_types.empty()) {
    pugi::xml_node blocked = AppendElement(rule, "BlockedEncryptionTypes");
    for (const std::string& type : config.blocked_encryption_types) {
      AppendText(blocked, "EncryptionType", type);
    }
  }
  return Serialize(doc);
}

}  // namespace logbucket::s3::xml
