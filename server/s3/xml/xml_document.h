// Internal to server/s3/xml: the pugixml plumbing every Parse…/Render… function shares.
//
// Reading: ParseRoot is the single entry point for client-supplied XML. It refuses anything that
// is not one well-formed element tree (empty input, text or a second element beside the root, a
// DOCTYPE declaration, nesting deeper than kMaxDepth) and checks the root's name. Element names
// are compared by local name, so a default namespace, any prefix or no namespace at all are
// accepted alike (S3 does not validate the namespace either). pugixml never expands custom
// entities, and DOCTYPE is refused outright, so entity tricks cannot grow the input.
//
// Writing: StartDocument/AppendText build a pugixml tree (which escapes text); Serialize turns it
// into the bytes S3 sends.
// Thread-safety: pure functions over caller-owned documents.
#pragma once

#include <cstdint>
#include <expected>
#include <initializer_list>
#include <optional>
#include <pugixml.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "server/s3/s3_error.h"

namespace logbucket::s3::xml {

// Documents nested deeper than this are refused (the deepest S3 document we read has 7 levels).
inline constexpr int kMaxDepth = 32;

// S3Error(kMalformedXML) with the table's message: the answer to every malformed document.
S3Error MalformedXml();

// Parses `text` into `doc` and returns its root element, whose local name must be `root_name`.
std::expected<pugi::xml_node, S3Error> ParseRoot(pugi::xml_document& doc, std::string_view text,
                                                 std::string_view root_name);

// "Key" for both <Key> and <s3:Key>.
std::string_view LocalName(pugi::xml_node node);

// The only child element of `parent` named `local_name`: a null node when there is none, an
// error when there are several.
std::expected<pugi::xml_node, S3Error> SingleChild(pugi::xml_node parent,
                                                   std::string_view local_name);

// Every child element of `parent` named `local_name`, in document order.
std::vector<pugi::xml_node> ChildrenNamed(pugi::xml_node parent, std::string_view local_name);

// True when `parent` holds only elements (no text other than whitespace), each named in
// `singles` at most once or in `repeatable` any number of times. Used where S3's schema is
// closed, so that an unknown or duplicated element is MalformedXML.
bool HasOnlyChildren(pugi::xml_node parent, std::initializer_list<std::string_view> singles,
                     std::initializer_list<std::string_view> repeatable = {});

// The character data of a leaf element, verbatim (text and CDATA concatenated); nullopt when the
// element contains child elements.
std::optional<std::string> LeafText(pugi::xml_node element);

// LeafText of the only child named `local_name`: nullopt (the optional) when absent; an error
// when repeated or not a leaf.
std::expected<std::optional<std::string>, S3Error> OptionalLeaf(pugi::xml_node parent,
                                                                std::string_view local_name);
// Same, but absence is an error too.
std::expected<std::string, S3Error> RequiredLeaf(pugi::xml_node parent,
                                                 std::string_view local_name);

// Strips XML whitespace (space, tab, CR, LF) from both ends.
std::string_view TrimXmlSpace(std::string_view text);

// A decimal integer (surrounding whitespace allowed, optional '-'), nullopt on anything else or
// on overflow.
std::optional<int64_t> ParseInteger(std::string_view text);

// "true"/"false" (case-insensitive, surrounding whitespace allowed), nullopt otherwise.
std::optional<bool> ParseBoolean(std::string_view text);

// Value of the xsi:type attribute of `element`: an attribute whose local name is "type" and
// whose prefix is bound to kXsiNamespace on the element or an ancestor (or is the conventional
// "xsi" prefix left undeclared). Empty when there is none.
std::string_view XsiType(pugi::xml_node element);

// Appends the root element `name`, with xmlns=kS3Namespace when `s3_namespace`.
pugi::xml_node StartDocument(pugi::xml_document& doc, std::string_view name,
                             bool s3_namespace = true);
// Appends an element without content (or with children added later).
pugi::xml_node AppendElement(pugi::xml_node parent, std::string_view name);
// Appends <name>value</name>; an empty value gives <name/>, as S3 renders it.
pugi::xml_node AppendText(pugi::xml_node parent, std::string_view name, std::string_view value);
// <name>true</name> / <name>false</name>.
void AppendBool(pugi::xml_node parent, std::string_view name, bool value);
// <name>decimal</name>.
void AppendInteger(pugi::xml_node parent, std::string_view name, int64_t value);
// An entity tag as S3 writes it: surrounded by double quotes (added unless already there).
void AppendETag(pugi::xml_node parent, std::string_view etag);

// kXmlDeclaration, a newline, then the document without indentation, with S3's escaping:
// double quotes in character data become &quot; (S3 writes <ETag>&quot;…&quot;</ETag>) and empty
// elements are written <Name/>.
std::string Serialize(const pugi::xml_document& doc);

}  // namespace logbucket::s3::xml
