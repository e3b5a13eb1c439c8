#include "server/s3/xml/lifecycle_xml.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <limits>
#include <vector>

#include "server/s3/xml/lifecycle_checks.h"
#include "server/s3/xml/xml_common.h"
#include "server/s3/xml/xml_document.h"

namespace logbucket::s3::xml {
namespace {

using Status = std::expected<void, S3Error>;
using Form = LifecycleFilterForm;

// StorageClass values of Transition and NoncurrentVersionTransition (an XSD enumeration).
constexpr std::array<std::string_view, 6> kTransitionClasses = {
    "GLACIER", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "DEEP_ARCHIVE", "GLACIER_IR"};

// Parses "YYYY-MM-DDTHH:MM:SS[.fraction][Z|+HH:MM|-HH:MM|+HHMM|-HHMM]" (no zone: UTC) into ms
// since the epoch. `sub_millisecond` reports non-zero digits beyond the millisecond.
struct ParsedDate {
  int64_t ms = 0;
  bool sub_millisecond = false;
};

std::optional<int> FixedDigits(std::string_view text, size_t pos, size_t count) {
  if (pos + count > text.size()) return std::nullopt;
  int value = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

std::optional<ParsedDate> ParseIso8601(std::string_view text) {
  text = TrimXmlSpace(text);
  const auto year = FixedDigits(text, 0, 4);
  const auto month = FixedDigits(text, 5, 2);
  const auto day = FixedDigits(text, 8, 2);
  const auto hour = FixedDigits(text, 11, 2);
  const auto minute = FixedDigits(text, 14, 2);
  const auto second = FixedDigits(text, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != 't') || text[13] != ':' || text[16] != ':' || *hour > 23 ||
      *minute > 59 || *second > 59) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year{*year},
                                         std::chrono::month{static_cast<unsigned>(*month)},
                                         std::chrono::day{static_cast<unsigned>(*day)}};
  if (!date.ok()) return std::nullopt;
  ParsedDate parsed;
  size_t pos = 19;
  int64_t fraction_ms = 0;
  if (pos < text.size() && text[pos] == '.') {
    const size_t start = ++pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      const int digit = text[pos] - '0';
      if (pos - start < 3) {
        fraction_ms = fraction_ms * 10 + digit;
      } else if (digit != 0) {
        parsed.sub_millisecond = true;
      }
      ++pos;
    }
    if (pos == start) return std::nullopt;
    for (size_t digits = pos - start; digits < 3; ++digits) fraction_ms *= 10;
  }
  int64_t offset_minutes = 0;
  const std::string_view zone = text.substr(pos);
  if (zone == "Z" || zone == "z" || zone.empty()) {
    offset_minutes = 0;
  } else if (zone[0] == '+' || zone[0] == '-') {
    const bool colon = zone.size() == 6 && zone[3] == ':';
    if (zone.size() != 5 && !colon) return std::nullopt;
    const auto zone_hours = FixedDigits(zone, 1, 2);
    const auto zone_minutes = FixedDigits(zone, colon ? 4 : 3, 2);
    if (!zone_hours || !zone_minutes || *zone_hours > 23 || *zone_minutes > 59) {
      return std::nullopt;
    }
    offset_minutes =
        (zone[0] == '+' ? int64_t{1} : int64_t{-1}) * (*zone_hours * 60 + *zone_minutes);
  } else {
    return std::nullopt;
  }
  const int64_t days = std::chrono::sys_days{date}.time_since_epoch().count();
  parsed.ms = days * kLifecycleDayMs +
              ((*hour * 60 + *minute - offset_minutes) * 60 + *second) * int64_t{1000} +
              fraction_ms;
  return parsed;
}

// An optional integer leaf within [min, max] (the XSD type's range): MalformedXML otherwise.
std::expected<std::optional<int64_t>, S3Error> OptionalInteger(pugi::xml_node parent,
                                                               std::string_view name, int64_t min,
                                                               int64_t max) {
  auto text = OptionalLeaf(parent, name);
  if (!text) return std::unexpected(text.error());
  if (!*text) return std::optional<int64_t>();
  const std::optional<int64_t> value = ParseInteger(**text);
  if (!value || *value < min || *value > max) return std::unexpected(MalformedXml());
  return value;
}

// An xsd:int leaf (Days, NoncurrentDays...), whose sign is checked later with Amazon's message.
std::expected<std::optional<int32_t>, S3Error> OptionalInt(pugi::xml_node parent,
                                                           std::string_view name) {
  auto value = OptionalInteger(parent, name, std::numeric_limits<int32_t>::min(),
                               std::numeric_limits<int32_t>::max());
  if (!value) return std::unexpected(value.error());
  if (!*value) return std::optional<int32_t>();
  return static_cast<int32_t>(**value);
}

std::expected<int32_t, S3Error> RequiredInt(pugi::xml_node parent, std::string_view name) {
  auto value = OptionalInt(parent, name);
  if (!value) return std::unexpected(value.error());
  if (!*value) return std::unexpected(MalformedXml());
  return **value;
}

// A Date leaf: MalformedXML when not ISO 8601; InvalidArgument when finer than a millisecond
// (never midnight). Whether it is midnight is checked with the rest of the semantics.
std::expected<std::optional<int64_t>, S3Error> OptionalDate(pugi::xml_node parent) {
  auto text = OptionalLeaf(parent, "Date");
  if (!text) return std::unexpected(text.error());
  if (!*text) return std::optional<int64_t>();
  const std::optional<ParsedDate> date = ParseIso8601(**text);
  if (!date) return std::unexpected(MalformedXml());
  if (date->sub_millisecond)
    return std::unexpected(
        S3Error(ErrorCode::kInvalidArgument, std::string(kLifecycleDateNotMidnight)));
  return std::optional<int64_t>(date->ms);
}

std::expected<std::string, S3Error> TransitionClass(pugi::xml_node parent) {
  auto text = RequiredLeaf(parent, "StorageClass");
  if (!text) return std::unexpected(text.error());
  const std::string_view trimmed = TrimXmlSpace(*text);
  if (std::ranges::find(kTransitionClasses, trimmed) == kTransitionClasses.end()) {
    return std::unexpected(MalformedXml());
  }
  return std::string(trimmed);
}

std::expected<LifecycleTag, S3Error> ParseTag(pugi::xml_node element) {
  if (!HasOnlyChildren(element, {"Key", "Value"})) return std::unexpected(MalformedXml());
  auto key = RequiredLeaf(element, "Key");
  if (!key) return std::unexpected(key.error());
  auto value = RequiredLeaf(element, "Value");
  if (!value) return std::unexpected(value.error());
  return LifecycleTag{.key = std::move(*key), .value = std::move(*value)};
}

// Prefix, Tag* and the two size bounds of a Filter or an And (the caller checks how many).
Status ParsePredicates(pugi::xml_node element, LifecycleFilter& filter) {
  auto prefix = OptionalLeaf(element, "Prefix");
  if (!prefix) return std::unexpected(prefix.error());
  filter.prefix = std::move(*prefix);
  for (pugi::xml_node tag : ChildrenNamed(element, "Tag")) {
    auto parsed = ParseTag(tag);
    if (!parsed) return std::unexpected(parsed.error());
    filter.tags.push_back(std::move(*parsed));
  }
  constexpr int64_t kLongMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kLongMax = std::numeric_limits<int64_t>::max();
  auto greater = OptionalInteger(element, "ObjectSizeGreaterThan", kLongMin, kLongMax);
  if (!greater) return std::unexpected(greater.error());
  filter.object_size_greater_than = *greater;
  auto less = OptionalInteger(element, "ObjectSizeLessThan", kLongMin, kLongMax);
  if (!less) return std::unexpected(less.error());
  filter.object_size_less_than = *less;
  return {};
}

size_t ElementCount(pugi::xml_node parent) {
  size_t count = 0;
  for (pugi::xml_node child : parent.children()) {
    if (child.type() == pugi::node_element) ++count;
  }
  return count;
}

std::expected<LifecycleFilter, S3Error> ParseFilter(pugi::xml_node element) {
  if (!HasOnlyChildren(element,
                       {"Prefix", "Tag", "ObjectSizeGreaterThan", "ObjectSizeLessThan", "And"}) ||
      ElementCount(element) > 1) {
    return std::unexpected(MalformedXml());
  }
  LifecycleFilter filter;
  if (const pugi::xml_node conjunction = *SingleChild(element, "And")) {
    if (!HasOnlyChildren(conjunction, {"Prefix", "ObjectSizeGreaterThan", "ObjectSizeLessThan"},
                         {"Tag"}) ||
        ElementCount(conjunction) == 0) {
      return std::unexpected(MalformedXml());
    }
    filter.form = Form::kAnd;
    if (auto status = ParsePredicates(conjunction, filter); !status) {
      return std::unexpected(status.error());
    }
    return filter;
  }
  if (auto status = ParsePredicates(element, filter); !status) {
    return std::unexpected(status.error());
  }
  if (filter.prefix) {
    filter.form = Form::kPrefix;
  } else if (!filter.tags.empty()) {
    filter.form = Form::kTag;
  } else if (filter.object_size_greater_than) {
    filter.form = Form::kObjectSizeGreaterThan;
  } else if (filter.object_size_less_than) {
    filter.form = Form::kObjectSizeLessThan;
  } else {
    filter.form = Form::kAll;
  }
  return filter;
}

std::expected<LifecycleExpiration, S3Error> ParseExpiration(pugi::xml_node element) {
  if (!HasOnlyChildren(element, {"Date", "Days", "ExpiredObjectDeleteMarker"}) ||
      ElementCount(element) != 1) {
    return std::unexpected(MalformedXml());
  }
  LifecycleExpiration expiration;
  auto date = OptionalDate(element);
  if (!date) return std::unexpected(date.error());
  expiration.date_ms = *date;
  auto days = OptionalInt(element, "Days");
  if (!days) return std::unexpected(days.error());
  expiration.days = *days;
  auto marker = OptionalLeaf(element, "ExpiredObjectDeleteMarker");
  if (!marker) return std::unexpected(marker.error());
  if (*marker) {
    expiration.expired_object_delete_marker = ParseBoolean(**marker);
    if (!expiration.expired_object_delete_marker) return std::unexpected(MalformedXml());
  }
  return expiration;
}

std::expected<LifecycleNoncurrentExpiration, S3Error> ParseNoncurrentExpiration(
    pugi::xml_node element) {
  if (!HasOnlyChildren(element, {"NoncurrentDays", "NewerNoncurrentVersions"})) {
    return std::unexpected(MalformedXml());
  }
  LifecycleNoncurrentExpiration action;
  auto days = RequiredInt(element, "NoncurrentDays");
  if (!days) return std::unexpected(days.error());
  action.noncurrent_days = *days;
  auto newer = OptionalInt(element, "NewerNoncurrentVersions");
  if (!newer) return std::unexpected(newer.error());
  action.newer_noncurrent_versions = *newer;
  return action;
}

std::expected<LifecycleTransition, S3Error> ParseTransition(pugi::xml_node element) {
  if (!HasOnlyChildren(element, {"Date", "Days", "StorageClass"})) {
    return std::unexpected(MalformedXml());
  }
  LifecycleTransition transition;
  auto date = OptionalDate(element);
  if (!date) return std::unexpected(date.error());
  transition.date_ms = *date;
  auto days = OptionalInt(element, "Days");
  if (!days) return std::unexpected(days.error());
  transition.days = *days;
  if (transition.date_ms.has_value() == transition.days.has_value()) {
    return std::unexpected(MalformedXml());
  }
  auto storage_class = TransitionClass(element);
  if (!storage_class) return std::unexpected(storage_class.error());
  transition.storage_class = std::move(*storage_class);
  return transition;
}

std::expected<LifecycleNoncurrentTransition, S3Error> ParseNoncurrentTransition(
    pugi::xml_node element) {
  if (!HasOnlyChildren(element, {"NoncurrentDays", "StorageClass", "NewerNoncurrentVersions"})) {
    return std::unexpected(MalformedXml());
  }
  LifecycleNoncurrentTransition transition;
  auto days = RequiredInt(element, "NoncurrentDays");
  if (!days) return std::unexpected(days.error());
  transition.noncurrent_days = *days;
  auto newer = OptionalInt(element, "NewerNoncurrentVersions");
  if (!newer) return std::unexpected(newer.error());
  transition.newer_noncurrent_versions = *newer;
  auto storage_class = TransitionClass(element);
  if (!storage_class) return std::unexpected(storage_class.error());
  transition.storage_class = std::move(*storage_class);
  return transition;
}

// Reads the actions of `element` into `rule`.
Status ParseActions(pugi::xml_node element, LifecycleRule& rule) {
  if (const pugi::xml_node expiration = *SingleChild(element, "Expiration")) {
    auto parsed = ParseExpiration(expiration);
    if (!parsed) return std::unexpected(parsed.error());
    rule.expiration = *parsed;
  }
  if (const pugi::xml_node noncurrent = *SingleChild(element, "NoncurrentVersionExpiration")) {
    auto parsed = ParseNoncurrentExpiration(noncurrent);
    if (!parsed) return std::unexpected(parsed.error());
    rule.noncurrent_expiration = *parsed;
  }
  if (const pugi::xml_node abort = *SingleChild(element, "AbortIncompleteMultipartUpload")) {
    if (!HasOnlyChildren(abort, {"DaysAfterInitiation"})) return std::unexpected(MalformedXml());
    auto days = RequiredInt(abort, "DaysAfterInitiation");
    if (!days) return std::unexpected(days.error());
    rule.abort_days_after_initiation = *days;
  }
  for (pugi::xml_node transition : ChildrenNamed(element, "Transition")) {
    auto parsed = ParseTransition(transition);
    if (!parsed) return std::unexpected(parsed.error());
    rule.transitions.push_back(std::move(*parsed));
  }
  for (pugi::xml_node transition : ChildrenNamed(element, "NoncurrentVersionTransition")) {
    auto parsed = ParseNoncurrentTransition(transition);
    if (!parsed) return std::unexpected(parsed.error());
    rule.noncurrent_transitions.push_back(std::move(*parsed));
  }
  return {};
}

// The schema of one Rule: every fault here is MalformedXML.
std::expected<LifecycleRule, S3Error> ParseRule(pugi::xml_node element) {
  if (!HasOnlyChildren(element,
                       {"ID", "Prefix", "Filter", "Status", "Expiration",
                        "NoncurrentVersionExpiration", "AbortIncompleteMultipartUpload"},
                       {"Transition", "NoncurrentVersionTransition"})) {
    return std::unexpected(MalformedXml());
  }
  LifecycleRule rule;
  auto id = OptionalLeaf(element, "ID");
  if (!id) return std::unexpected(id.error());
  rule.id = id->value_or("");
  auto status = RequiredLeaf(element, "Status");
  if (!status) return std::unexpected(status.error());
  const std::string_view status_name = TrimXmlSpace(*status);
  if (status_name != "Enabled" && status_name != "Disabled") {
    return std::unexpected(MalformedXml());
  }
  rule.enabled = status_name == "Enabled";
  auto prefix = OptionalLeaf(element, "Prefix");
  if (!prefix) return std::unexpected(prefix.error());
  const pugi::xml_node filter = *SingleChild(element, "Filter");
  // A rule names its objects by exactly one of Filter and the legacy Prefix.
  if (prefix->has_value() == static_cast<bool>(filter)) return std::unexpected(MalformedXml());
  if (filter) {
    auto parsed = ParseFilter(filter);
    if (!parsed) return std::unexpected(parsed.error());
    rule.filter = std::move(*parsed);
  } else {
    rule.filter.form = Form::kLegacyPrefix;
    rule.filter.prefix = std::move(*prefix);
  }
  if (auto actions = ParseActions(element, rule); !actions) {
    return std::unexpected(actions.error());
  }
  return rule;
}

void AppendDays(pugi::xml_node parent, std::string_view name, const std::optional<int32_t>& days) {
  if (days) AppendInteger(parent, name, *days);
}

void AppendPredicates(pugi::xml_node parent, const LifecycleFilter& filter) {
  if (filter.prefix) AppendText(parent, "Prefix", *filter.prefix);
  for (const LifecycleTag& tag : filter.tags) {
    pugi::xml_node element = AppendElement(parent, "Tag");
    AppendText(element, "Key", tag.key);
    AppendText(element, "Value", tag.value);
  }
  if (filter.object_size_greater_than) {
    AppendInteger(parent, "ObjectSizeGreaterThan", *filter.object_size_greater_than);
  }
  if (filter.object_size_less_than) {
    AppendInteger(parent, "ObjectSizeLessThan", *filter.object_size_less_than);
  }
}

void AppendScope(pugi::xml_node rule, const LifecycleFilter& filter) {
  if (filter.form == Form::kLegacyPrefix) {
    AppendText(rule, "Prefix", filter.prefix.value_or(""));
    return;
  }
  pugi::xml_node element = AppendElement(rule, "Filter");
  AppendPredicates(filter.form == Form::kAnd ? AppendElement(element, "And") : element, filter);
}

void AppendRule(pugi::xml_node parent, const LifecycleRule& rule) {
  pugi::xml_node element = AppendElement(parent, "Rule");
  if (!rule.id.empty()) AppendText(element, "ID", rule.id);
  AppendScope(element, rule.filter);
  AppendText(element, "Status", rule.enabled ? "Enabled" : "Disabled");
  for (const LifecycleTransition& transition : rule.transitions) {
    pugi::xml_node action = AppendElement(element, "Transition");
    if (transition.date_ms) AppendText(action, "Date", FormatIso8601(*transition.date_ms));
    AppendDays(action, "Days", transition.days);
    AppendText(action, "StorageClass", transition.storage_class);
  }
  if (rule.expiration) {
    pugi::xml_node action = AppendElement(element, "Expiration");
    if (rule.expiration->date_ms) {
      AppendText(action, "Date", FormatIso8601(*rule.expiration->date_ms));
    }
    AppendDays(action, "Days", rule.expiration->days);
    if (rule.expiration->expired_object_delete_marker) {
      AppendBool(action, "ExpiredObjectDeleteMarker",
                 *rule.expiration->expired_object_delete_marker);
    }
  }
  for (const LifecycleNoncurrentTransition& transition : rule.noncurrent_transitions) {
    pugi::xml_node action = AppendElement(element, "NoncurrentVersionTransition");
    AppendInteger(action, "NoncurrentDays", transition.noncurrent_days);
    AppendText(action, "StorageClass", transition.storage_class);
    AppendDays(action, "NewerNoncurrentVersions", transition.newer_noncurrent_versions);
  }
  if (rule.noncurrent_expiration) {
    pugi::xml_node action = AppendElement(element, "NoncurrentVersionExpiration");
    AppendInteger(action, "NoncurrentDays", rule.noncurrent_expiration->noncurrent_days);
    AppendDays(action, "NewerNoncurrentVersions",
               rule.noncurrent_expiration->newer_noncurrent_versions);
  }
  if (rule.abort_days_after_initiation) {
    pugi::xml_node action = AppendElement(element, "AbortIncompleteMultipartUpload");
    AppendInteger(action, "DaysAfterInitiation", *rule.abort_days_after_initiation);
  }
}

}  // namespace

std::expected<LifecycleConfiguration, S3Error> ParseLifecycleConfiguration(std::string_view body) {
  pugi::xml_document doc;
  auto root = ParseRoot(doc, body, "LifecycleConfiguration");
  if (!root) return std::unexpected(root.error());
  if (!HasOnlyChildren(*root, {}, {"Rule"})) return std::unexpected(MalformedXml());
  const std::vector<pugi::xml_node> elements = ChildrenNamed(*root, "Rule");
  // No rule at all does not validate against the schema (inferred: Rule is required).
  if (elements.empty()) return std::unexpected(MalformedXml());
  if (elements.size() > kMaxLifecycleRules)
    return std::unexpected(
        S3Error(ErrorCode::kInvalidRequest, std::string(kLifecycleTooManyRules)));
  LifecycleConfiguration config;
  config.rules.reserve(elements.size());
  for (pugi::xml_node element : elements) {
    auto rule = ParseRule(element);
    if (!rule) return std::unexpected(rule.error());
    config.rules.push_back(std::move(*rule));
  }
  if (auto status = CheckLifecycleConfiguration(config); !status)
    return std::unexpected(status.error());
  return config;
}

std::string RenderLifecycleConfiguration(const LifecycleConfiguration& config) {
  pugi::xml_document doc;
  pugi::xml_node root = StartDocument(doc, "LifecycleConfiguration");
  for (const LifecycleRule& rule : config.rules) AppendRule(root, rule);
  return Serialize(doc);
}

}  // namespace logbucket::s3::xml
