// Headers: an ordered list of HTTP header fields with case-insensitive lookup.
// Thread-safety: a plain value.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace logbucket::s3 {

struct HeaderField {
  std::string name;
  std::string value;
};

class Headers {
 public:
  void Add(std::string name, std::string value);
  // Replaces every field of that name with one field.
  void Set(std::string_view name, std::string value);
  void Remove(std::string_view name);
  // The first field of that name.
  std::optional<std::string_view> Get(std::string_view name) const;
  bool Has(std::string_view name) const { return Get(name).has_value(); }
  const std::vector<HeaderField>& fields() const { return fields_; }

 private:
  std::vector<HeaderField> fields_;
};

bool EqualsIgnoreCase(std::string_view a, std::string_view b);
std::string ToLower(std::string_view s);

}  // namespace logbucket::s3
