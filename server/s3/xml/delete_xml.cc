#include "server/s3/xml/delete_xml.h"

#include "server/s3/xml/xml_document.h"

namespace logbucket::s3::xml {

std::expected<DeleteRequest, S3Error> ParseDelete(std::string_view body) {
  pugi::xml_document doc;
  auto root = ParseRoot(doc, body, "Delete");
  if (!root) return std::unexpected(root.error());
  DeleteRequest request;
  auto quiet = OptionalLeaf(*root, "Quiet");
  if (!quiet) return std::unexpected(quiet.error());
  if (*quiet) {
    std::optional<bool> value = ParseBoolean(**quiet);
    if (!value) return std::unexpected(MalformedXml());
    request.quiet = *value;
  }
  const std::vector<pugi::xml_node> objects = ChildrenNamed(*root, "Object");
  if (objects.empty() || objects.size() > kMaxDeleteObjects) {
    return std::unexpected(MalformedXml());
  }
  for (pugi::xml_node object : objects) {
    auto key = RequiredLeaf(object, "Key");
    if (!key) return std::unexpected(key.error());
    auto version_id = OptionalLeaf(object, "VersionId");
    if (!version_id) return std::unexpected(version_id.error());
    request.objects.emplace_back(std::move(*key),
                                 std::string(TrimXmlSpace(version_id->value_or(""))));
  }
  return request;
}

std::string RenderDeleteResult(const std::vector<DeletedEntry>& deleted,
                               const std::vector<DeleteErrorEntry>& errors) {
  pugi::xml_document doc;
  pugi::xml_node root = StartDocument(doc, "DeleteResult");
  for (const DeletedEntry& entry : deleted) {
    pugi::xml_node element = AppendElement(root, "Deleted");
    AppendText(element, "Key", entry.key);
    if (!entry.version_id.empty()) AppendText(element, "VersionId", entry.version_id);
    if (entry.delete_marker) AppendText(element, "DeleteMarker", "true");
    if (!entry.delete_marker_version_id.empty()) {
      AppendText(element, "DeleteMarkerVersionId", entry.delete_marker_version_id);
    }
  }
  for (const DeleteErrorEntry& entry : errors) {
    pugi::xml_node element = AppendElement(root, "Error");
    AppendText(element, "Key", entry.key);
    if (!entry.version_id.empty()) AppendText(element, "VersionId", entry.version_id);
    AppendText(element, "Code", entry.code);
    AppendText(element, "Message", entry.message);
  }
  return Serialize(doc);
}

}  // namespace logbucket::s3::xml
