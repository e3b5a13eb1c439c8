#include "server/s3/xml/error_xml.h"

#include "server/s3/xml/xml_document.h"

namespace logbucket::s3::xml {

std::string RenderError(const S3Error& e, std::string_view request_id, std::string_view host_id) {
  pugi::xml_document doc;
  pugi::xml_node root = StartDocument(doc, "Error", /*s3_namespace=*/false);
  AppendText(root, "Code", e.code_name());
  AppendText(root, "Message", e.message.empty() ? ErrorDefaultMessage(e.code) : e.message);
  for (const auto& [element, value] : e.extra) AppendText(root, element, value);
  if (!e.resource.empty()) AppendText(root, "Resource", e.resource);
  AppendText(root, "RequestId", request_id);
  AppendText(root, "HostId", host_id);
  return Serialize(doc);
}

}  // namespace logbucket::s3::xml
