#include "server/s3/xml/xml_document.h"

#include <algorithm>
#include <charconv>
#include <sstream>

#include "server/s3/xml/xml_common.h"

namespace logbucket::s3::xml {
namespace {

// parse_fragment keeps stray top-level text as nodes (so it can be refused instead of silently
// dropped); parse_doctype keeps the DOCTYPE as a node (so it can be refused);
// parse_ws_pcdata_single keeps a whitespace-only value such as <Key> </Key> (a valid key).
constexpr unsigned kParseOptions =
    pugi::parse_default | pugi::parse_doctype | pugi::parse_fragment | pugi::parse_ws_pcdata_single;

// Depth of the element tree, walked without recursion so a hostile document cannot exhaust the
// stack. Stops as soon as kMaxDepth is exceeded.
bool WithinMaxDepth(pugi::xml_node root) {
  int depth = 1;
  pugi::xml_node node = root;
  while (true) {
    if (pugi::xml_node child = node.first_child()) {
      node = child;
      ++depth;
      if (node.type() == pugi::node_element && depth > kMaxDepth) return false;
      continue;
    }
    while (node != root && !node.next_sibling()) {
      node = node.parent();
      --depth;
    }
    if (node == root) return true;
    node = node.next_sibling();
  }
}

bool IsXmlSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view PrefixOf(std::string_view qualified_name) {
  const auto colon = qualified_name.find(':');
  return colon == std::string_view::npos ? std::string_view{} : qualified_name.substr(0, colon);
}

std::string_view LocalPart(std::string_view qualified_name) {
  const auto colon = qualified_name.find(':');
  return colon == std::string_view::npos ? qualified_name : qualified_name.substr(colon + 1);
}

// The namespace bound to `prefix` at `element` (nearest xmlns:prefix), nullopt when unbound.
std::optional<std::string_view> ResolvePrefix(pugi::xml_node element, std::string_view prefix) {
  const std::string attribute_name = "xmlns:" + std::string(prefix);
  for (pugi::xml_node node = element; node && node.type() == pugi::node_element;
       node = node.parent()) {
    if (pugi::xml_attribute binding = node.attribute(attribute_name.c_str())) {
      return std::string_view(binding.value());
    }
  }
  return std::nullopt;
}

// S3's text escaping on top of pugixml's output (format_raw: no indentation, no comments, no
// CDATA, '<' and '>' in text and '"' in attribute values already escaped): in character data a
// '"' becomes &quot; and a CR becomes &#13; (a raw CR would be read back as LF), and inside a tag
// " />" becomes "/>".
std::string ApplyS3Escaping(std::string_view raw) {
  std::string out;
  out.reserve(raw.size() + raw.size() / 8);
  bool in_tag = false;
  bool in_attribute_value = false;
  for (size_t i = 0; i < raw.size(); ++i) {
    const char c = raw[i];
    if (!in_tag) {
      if (c == '"') {
        out += "&quot;";
        continue;
      }
      if (c == '\r') {
        out += "&#13;";
        continue;
      }
      if (c == '<') in_tag = true;
    } else if (c == '"') {
      in_attribute_value = !in_attribute_value;
    } else if (!in_attribute_value) {
      if (c == '>') in_tag = false;
      if (c == ' ' && raw.substr(i + 1, 2) == "/>") continue;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace

S3Error MalformedXml() { return S3Error(ErrorCode::kMalformedXML); }

std::expected<pugi::xml_node, S3Error> ParseRoot(pugi::xml_document& doc, std::string_view text,
                                                 std::string_view root_name) {
  if (TrimXmlSpace(text).empty()) return std::unexpected(MalformedXml());
  // Forcing UTF-8: S3 bodies are UTF-8, and auto-detection would let UTF-16/32 input through.
  const pugi::xml_parse_result result =
      doc.load_buffer(text.data(), text.size(), kParseOptions, pugi::encoding_utf8);
  if (!result) return std::unexpected(MalformedXml());
  pugi::xml_node root;
  for (pugi::xml_node node : doc.children()) {
    switch (node.type()) {
      case pugi::node_element:
        if (root) return std::unexpected(MalformedXml());
        root = node;
        break;
      case pugi::node_pcdata:
        if (!TrimXmlSpace(node.value()).empty()) return std::unexpected(MalformedXml());
        break;
      case pugi::node_doctype:
      case pugi::node_cdata:
        return std::unexpected(MalformedXml());
      default:  // declaration, comment or processing instruction (not kept by kParseOptions)
        break;
    }
  }
  if (!root || !WithinMaxDepth(root) || LocalName(root) != root_name) {
    return std::unexpected(MalformedXml());
  }
  // Every S3 request document is a container: text directly inside the root is never valid.
  for (pugi::xml_node node : root.children()) {
    const bool text = node.type() == pugi::node_pcdata || node.type() == pugi::node_cdata;
    if (text && !TrimXmlSpace(node.value()).empty()) return std::unexpected(MalformedXml());
  }
  return root;
}

std::string_view LocalName(pugi::xml_node node) { return LocalPart(node.name()); }

std::expected<pugi::xml_node, S3Error> SingleChild(pugi::xml_node parent,
                                                   std::string_view local_name) {
  pugi::xml_node found;
  for (pugi::xml_node child : parent.children()) {
    if (child.type() != pugi::node_element || LocalName(child) != local_name) continue;
    if (found) return std::unexpected(MalformedXml());
    found = child;
  }
  return found;
}

std::vector<pugi::xml_node> ChildrenNamed(pugi::xml_node parent, std::string_view local_name) {
  std::vector<pugi::xml_node> found;
  for (pugi::xml_node child : parent.children()) {
    if (child.type() == pugi::node_element && LocalName(child) == local_name) {
      found.push_back(child);
    }
  }
  return found;
}

bool HasOnlyChildren(pugi::xml_node parent, std::initializer_list<std::string_view> singles,
                     std::initializer_list<std::string_view> repeatable) {
  std::vector<std::string_view> seen;
  for (pugi::xml_node child : parent.children()) {
    if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) {
      if (!TrimXmlSpace(child.value()).empty()) return false;
      continue;
    }
    if (child.type() != pugi::node_element) continue;
    const std::string_view name = LocalName(child);
    if (std::ranges::find(repeatable, name) != repeatable.end()) continue;
    if (std::ranges::find(singles, name) == singles.end()) return false;
    if (std::ranges::find(seen, name) != seen.end()) return false;
    seen.push_back(name);
  }
  return true;
}

std::optional<std::string> LeafText(pugi::xml_node element) {
  std::string text;
  for (pugi::xml_node child : element.children()) {
    switch (child.type()) {
      case pugi::node_pcdata:
      case pugi::node_cdata:
        text += child.value();
        break;
      case pugi::node_element:
        return std::nullopt;
      default:
        break;
    }
  }
  return text;
}

std::expected<std::optional<std::string>, S3Error> OptionalLeaf(pugi::xml_node parent,
                                                                std::string_view local_name) {
  auto child = SingleChild(parent, local_name);
  if (!child) return std::unexpected(child.error());
  if (!*child) return std::optional<std::string>();
  std::optional<std::string> text = LeafText(*child);
  if (!text) return std::unexpected(MalformedXml());
  return text;
}

std::expected<std::string, S3Error> RequiredLeaf(pugi::xml_node parent,
                                                 std::string_view local_name) {
  auto text = OptionalLeaf(parent, local_name);
  if (!text) return std::unexpected(text.error());
  if (!*text) return std::unexpected(MalformedXml());
  return std::move(**text);
}

std::string_view TrimXmlSpace(std::string_view text) {
  while (!text.empty() && IsXmlSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsXmlSpace(text.back())) text.remove_suffix(1);
  return text;
}

std::optional<int64_t> ParseInteger(std::string_view text) {
  text = TrimXmlSpace(text);
  int64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

std::optional<bool> ParseBoolean(std::string_view text) {
  text = TrimXmlSpace(text);
  auto equals_ignoring_case = [text](std::string_view word) {
    return std::ranges::equal(text, word, [](char a, char b) {
      return (a >= 'A' && a <= 'Z' ? static_cast<char>(a - 'A' + 'a') : a) == b;
    });
  };
  if (equals_ignoring_case("true")) return true;
  if (equals_ignoring_case("false")) return false;
  return std::nullopt;
}

std::string_view XsiType(pugi::xml_node element) {
  for (pugi::xml_attribute attribute : element.attributes()) {
    const std::string_view name = attribute.name();
    const std::string_view prefix = PrefixOf(name);
    if (prefix.empty() || prefix == "xmlns" || LocalPart(name) != "type") continue;
    const std::optional<std::string_view> bound = ResolvePrefix(element, prefix);
    if (bound ? *bound == kXsiNamespace : prefix == "xsi") return attribute.value();
  }
  return {};
}

pugi::xml_node StartDocument(pugi::xml_document& doc, std::string_view name, bool s3_namespace) {
  pugi::xml_node root = AppendElement(doc, name);
  if (s3_namespace) {
    root.append_attribute("xmlns").set_value(kS3Namespace.data(), kS3Namespace.size());
  }
  return root;
}

pugi::xml_node AppendElement(pugi::xml_node parent, std::string_view name) {
  return parent.append_child(std::string(name).c_str());
}

pugi::xml_node AppendText(pugi::xml_node parent, std::string_view name, std::string_view value) {
  pugi::xml_node element = AppendElement(parent, name);
  if (!value.empty()) element.text().set(value.data(), value.size());
  return element;
}

void AppendBool(pugi::xml_node parent, std::string_view name, bool value) {
  AppendText(parent, name, value ? "true" : "false");
}

void AppendInteger(pugi::xml_node parent, std::string_view name, int64_t value) {
  AppendText(parent, name, std::to_string(value));
}

void AppendETag(pugi::xml_node parent, std::string_view etag) {
  const bool quoted = etag.size() >= 2 && etag.front() == '"' && etag.back() == '"';
  AppendText(parent, "ETag", quoted ? std::string(etag) : '"' + std::string(etag) + '"');
}

std::string Serialize(const pugi::xml_document& doc) {
  std::ostringstream raw;
  doc.save(raw, "", pugi::format_raw | pugi::format_no_declaration, pugi::encoding_utf8);
  std::string out(kXmlDeclaration);
  out.push_back('\n');
  out += ApplyS3Escaping(raw.str());
  return out;
}

}  // namespace logbucket::s3::xml
