#include "server/s3/xml/versioning_xml.h"

#include "server/s3/xml/xml_document.h"

namespace logbucket::s3::xml {

std::string RenderVersioningConfiguration(std::string_view status) {
  pugi::xml_document doc;
  pugi::xml_node root = StartDocument(doc, "VersioningConfiguration");
  if (!status.empty()) AppendText(root, "Status", status);
  return Serialize(doc);
}

}  // namespace logbucket::s3::xml
