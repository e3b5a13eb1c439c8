#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "server/s3/xml/lifecycle_xml.h"

namespace logbucket::s3::xml {
namespace {

using Form = LifecycleFilterForm;

std::string Golden(const std::string& name) {
  std::ifstream in(std::string(LOGBUCKET_TEST_DATA) + "/" + name);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream content;
  content << in.rdbuf();
  std::string text = content.str();
  if (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

constexpr int64_t k2025 = 1735689600000;      // 2025-01-01T00:00:00Z
constexpr int64_t kJune2024 = 1717200000000;  // 2024-06-01T00:00:00Z

std::string Document(const std::string& rules) {
  return "<LifecycleConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">" + rules +
         "</LifecycleConfiguration>";
}

// One V2 rule with an ID and an empty filter around `children` (Status and actions).
std::string OneRule(const std::string& children) {
  return Document("<Rule><ID>r</ID><Filter/>" + children + "</Rule>");
}

LifecycleRule Rule(std::string id, LifecycleFilter filter) {
  LifecycleRule rule;
  rule.id = std::move(id);
  rule.filter = std::move(filter);
  return rule;
}

LifecycleFilter Filter(Form form) {
  LifecycleFilter filter;
  filter.form = form;
  return filter;
}

LifecycleExpiration ExpireDays(int32_t days) {
  LifecycleExpiration expiration;
  expiration.days = days;
  return expiration;
}

// Every filter form and every action, in a Lifecycle V2 configuration.
LifecycleConfiguration Everything() {
  LifecycleConfiguration config;

  LifecycleFilter conjunction = Filter(Form::kAnd);
  conjunction.prefix = "logs/";
  conjunction.tags = {{"k1", "v1"}, {"k2", ""}};
  conjunction.object_size_greater_than = 100;
  conjunction.object_size_less_than = 1000;
  LifecycleRule all = Rule("all-actions", conjunction);
  all.transitions = {{30, std::nullopt, "STANDARD_IA"}, {90, std::nullopt, "GLACIER"}};
  all.expiration = ExpireDays(365);
  all.noncurrent_transitions = {{30, 2, "GLACIER_IR"}};
  all.noncurrent_expiration = LifecycleNoncurrentExpiration{60, 3};
  config.rules.push_back(all);

  LifecycleRule markers = Rule("", Filter(Form::kAll));
  markers.enabled = false;
  markers.expiration = LifecycleExpiration{std::nullopt, std::nullopt, true};
  markers.abort_days_after_initiation = 7;
  config.rules.push_back(markers);

  LifecycleFilter tmp = Filter(Form::kPrefix);
  tmp.prefix = "tmp/";
  LifecycleRule dated = Rule("dated & <escaped>", tmp);
  dated.transitions = {{std::nullopt, kJune2024, "DEEP_ARCHIVE"}};
  dated.expiration = LifecycleExpiration{std::nullopt, k2025, std::nullopt};
  config.rules.push_back(dated);

  LifecycleFilter tag = Filter(Form::kTag);
  tag.tags = {{"class", "temp"}};
  LifecycleRule tagged = Rule("tagged", tag);
  tagged.expiration = ExpireDays(1);
  config.rules.push_back(tagged);

  LifecycleFilter larger = Filter(Form::kObjectSizeGreaterThan);
  larger.object_size_greater_than = 0;
  LifecycleRule large = Rule("large", larger);
  large.noncurrent_expiration = LifecycleNoncurrentExpiration{1, std::nullopt};
  config.rules.push_back(large);

  LifecycleFilter smaller = Filter(Form::kObjectSizeLessThan);
  smaller.object_size_less_than = 1048576;
  LifecycleRule small = Rule("small", smaller);
  small.expiration = ExpireDays(2);
  config.rules.push_back(small);

  LifecycleFilter empty_prefix = Filter(Form::kPrefix);
  empty_prefix.prefix = "";
  LifecycleRule uploads = Rule("uploads", empty_prefix);
  uploads.abort_days_after_initiation = 1;
  config.rules.push_back(uploads);
  return config;
}

// A Lifecycle V1 configuration (legacy top-level Prefix).
LifecycleConfiguration Legacy() {
  LifecycleConfiguration config;
  LifecycleFilter a = Filter(Form::kLegacyPrefix);
  a.prefix = "a/";
  LifecycleRule first = Rule("first", a);
  first.expiration = ExpireDays(10);
  first.noncurrent_expiration = LifecycleNoncurrentExpiration{5, std::nullopt};
  config.rules.push_back(first);
  LifecycleFilter b = Filter(Form::kLegacyPrefix);
  b.prefix = "b/";
  LifecycleRule second = Rule("second", b);
  second.expiration = ExpireDays(20);
  second.abort_days_after_initiation = 3;
  config.rules.push_back(second);
  return config;
}

TEST(RenderLifecycleConfigurationTest, EveryFormAndActionMatchesGolden) {
  EXPECT_EQ(RenderLifecycleConfiguration(Everything()), Golden("xml_lifecycle_everything.xml"));
}

TEST(RenderLifecycleConfigurationTest, LegacyPrefixStaysAtRuleLevel) {
  EXPECT_EQ(RenderLifecycleConfiguration(Legacy()),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" +
                Document("<Rule><ID>first</ID><Prefix>a/</Prefix><Status>Enabled</Status>"
                         "<Expiration><Days>10</Days></Expiration><NoncurrentVersionExpiration>"
                         "<NoncurrentDays>5</NoncurrentDays></NoncurrentVersionExpiration></Rule>"
                         "<Rule><ID>second</ID><Prefix>b/</Prefix><Status>Enabled</Status>"
                         "<Expiration><Days>20</Days></Expiration><AbortIncompleteMultipartUpload>"
                         "<DaysAfterInitiation>3</DaysAfterInitiation>"
                         "</AbortIncompleteMultipartUpload></Rule>"));
}

TEST(LifecycleConfigurationTest, RoundTrips) {
  LifecycleConfiguration with_ids = Everything();
  int next = 0;
  AssignMissingRuleIds(with_ids, [&next] { return "generated-" + std::to_string(++next); });
  LifecycleConfiguration odd_text = Legacy();
  odd_text.rules[0].id = " spaced\tid\r\n";
  odd_text.rules[0].filter.prefix = "a b\r\nc&<d>\"/";
  LifecycleConfiguration empty_legacy_prefix = Legacy();
  empty_legacy_prefix.rules.pop_back();
  empty_legacy_prefix.rules[0].filter.prefix = "";
  for (const LifecycleConfiguration& config :
       {Everything(), Legacy(), with_ids, odd_text, empty_legacy_prefix}) {
    const std::string rendered = RenderLifecycleConfiguration(config);
    auto parsed = ParseLifecycleConfiguration(rendered);
    ASSERT_TRUE(parsed.has_value()) << rendered << "\n" << parsed.error().message;
    EXPECT_EQ(*parsed, config) << rendered;
  }
}

TEST(ParseLifecycleConfigurationTest, AwsDocumentationExample) {
  auto parsed = ParseLifecycleConfiguration(
      "<LifecycleConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
      "  <Rule>\n"
      "    <ID>id1</ID>\n"
      "    <Filter>\n"
      "       <And>\n"
      "          <Prefix>documents/</Prefix>\n"
      "          <Tag>\n"
      "             <Key>key1</Key>\n"
      "             <Value>value1</Value>\n"
      "          </Tag>\n"
      "       </And>\n"
      "    </Filter>\n"
      "    <Status>Enabled</Status>\n"
      "    <Transition>\n"
      "      <Days>30</Days>\n"
      "      <StorageClass>GLACIER</StorageClass>\n"
      "    </Transition>\n"
      "  </Rule>\n"
      "  <Rule>\n"
      "    <ID>id2</ID>\n"
      "    <Filter>\n"
      "       <Prefix>logs/</Prefix>\n"
      "    </Filter>\n"
      "    <Status>Enabled</Status>\n"
      "    <Expiration>\n"
      "      <Days>365</Days>\n"
      "    </Expiration>\n"
      "  </Rule>\n"
      "</LifecycleConfiguration>\n");
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  LifecycleConfiguration expected;
  LifecycleFilter documents = Filter(Form::kAnd);
  documents.prefix = "documents/";
  documents.tags = {{"key1", "value1"}};
  LifecycleRule archive = Rule("id1", documents);
  archive.transitions = {{30, std::nullopt, "GLACIER"}};
  expected.rules.push_back(archive);
  LifecycleFilter logs = Filter(Form::kPrefix);
  logs.prefix = "logs/";
  LifecycleRule expire = Rule("id2", logs);
  expire.expiration = ExpireDays(365);
  expected.rules.push_back(expire);
  EXPECT_EQ(*parsed, expected);
}

TEST(ParseLifecycleConfigurationTest, WhatBoto3SendsWithoutIdOrNamespace) {
  // boto3: Filter={'Prefix': ''}, Expiration={'Date': datetime(2025, 1, 1)}, no ID.
  auto parsed = ParseLifecycleConfiguration(
      "<LifecycleConfiguration><Rule><Expiration><Date>2025-01-01T00:00:00Z</Date></Expiration>"
      "<Filter><Prefix></Prefix></Filter><Status>Enabled</Status>"
      "<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays>"
      "<NewerNoncurrentVersions>2</NewerNoncurrentVersions></NoncurrentVersionExpiration>"
      "</Rule></LifecycleConfiguration>");
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  ASSERT_EQ(parsed->rules.size(), 1u);
  const LifecycleRule& rule = parsed->rules[0];
  EXPECT_EQ(rule.id, "");
  EXPECT_TRUE(rule.enabled);
  EXPECT_EQ(rule.filter.form, Form::kPrefix);
  EXPECT_EQ(rule.filter.prefix, "");
  EXPECT_EQ(rule.expiration, (LifecycleExpiration{std::nullopt, k2025, std::nullopt}));
  EXPECT_EQ(rule.noncurrent_expiration, (LifecycleNoncurrentExpiration{1, 2}));
}

TEST(ParseLifecycleConfigurationTest, DateForms) {
  struct Case {
    const char* date;
    int64_t expected_ms;
  };
  const Case accepted[] = {
      {"2025-01-01T00:00:00Z", k2025},           {"2025-01-01T00:00:00.000Z", k2025},
      {" 2025-01-01T00:00:00.000000Z\n", k2025}, {"2025-01-01T00:00:00", k2025},
      {"2025-01-01T00:00:00+00:00", k2025},      {"2025-01-01T01:00:00+01:00", k2025},
      {"2024-12-31T23:30:00-0030", k2025},       {"2024-06-01t00:00:00z", kJune2024},
  };
  for (const Case& c : accepted) {
    auto parsed = ParseLifecycleConfiguration(
        OneRule(std::string("<Status>Enabled</Status><Expiration><Date>") + c.date +
                "</Date></Expiration>"));
    ASSERT_TRUE(parsed.has_value()) << c.date << ": " << parsed.error().message;
    EXPECT_EQ(parsed->rules[0].expiration->date_ms, c.expected_ms) << c.date;
  }
  const char* malformed[] = {"2025-01-01",
                             "tomorrow",
                             "2025-02-30T00:00:00Z",
                             "2025-01-01T24:00:00Z",
                             "2025-01-01T00:00:00.Z",
                             "2025-01-01T00:00:00+1",
                             "2025-01-01 00:00:00Z",
                             ""};
  for (const char* date : malformed) {
    auto parsed = ParseLifecycleConfiguration(OneRule(
        std::string("<Status>Enabled</Status><Expiration><Date>") + date + "</Date></Expiration>"));
    ASSERT_FALSE(parsed.has_value()) << date;
    EXPECT_EQ(parsed.error().code, ErrorCode::kMalformedXML) << date;
  }
  const char* not_midnight[] = {"2025-01-01T00:00:01Z", "2025-01-01T00:00:00.001Z",
                                "2025-01-01T00:00:00.0001Z", "2025-01-01T00:00:00-01:00",
                                "2025-01-01T12:00:00Z"};
  for (const char* date : not_midnight) {
    auto parsed = ParseLifecycleConfiguration(OneRule(
        std::string("<Status>Enabled</Status><Expiration><Date>") + date + "</Date></Expiration>"));
    ASSERT_FALSE(parsed.has_value()) << date;
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument) << date;
    EXPECT_EQ(parsed.error().message, "'Date' must be at midnight GMT") << date;
  }
}

struct ErrorCase {
  std::string body;
  ErrorCode code;
  std::string message;  // "" for MalformedXML's table message
};

void ExpectErrors(const std::vector<ErrorCase>& cases) {
  for (const ErrorCase& c : cases) {
    auto parsed = ParseLifecycleConfiguration(c.body);
    ASSERT_FALSE(parsed.has_value()) << c.body;
    EXPECT_EQ(parsed.error().code, c.code) << c.body << "\n" << parsed.error().message;
    EXPECT_EQ(parsed.error().http_status(), 400) << c.body;
    const std::string message =
        c.message.empty() ? std::string(ErrorDefaultMessage(c.code)) : c.message;
    EXPECT_EQ(parsed.error().message, message) << c.body;
  }
}

TEST(ParseLifecycleConfigurationTest, SchemaFaultsAreMalformedXml) {
  const std::string expire = "<Expiration><Days>1</Days></Expiration>";
  const std::string enabled = "<Status>Enabled</Status>";
  const auto malformed = [](std::string body) {
    return ErrorCase{std::move(body), ErrorCode::kMalformedXML, ""};
  };
  ExpectErrors({
      malformed(""),
      malformed("<LifecycleConfiguration>"),
      malformed(Document("")),
      malformed(Document("<Other/>")),
      malformed("<Lifecycle><Rule/></Lifecycle>"),
      malformed(OneRule(expire)),                                              // no Status
      malformed(OneRule("<Status>enabled</Status>" + expire)),                 // bad Status
      malformed(OneRule(enabled + enabled + expire)),                          // two Status
      malformed(OneRule(enabled + expire + expire)),                           // two Expiration
      malformed(OneRule(enabled + expire + "<Unknown/>")),                     // unknown element
      malformed(Document("<Rule><ID>r</ID>" + enabled + expire + "</Rule>")),  // no scope
      malformed(Document("<Rule><Prefix/><Filter/>" + enabled + expire + "</Rule>")),
      malformed(Document("<Rule><Filter><Prefix>a</Prefix><Tag><Key>k</Key><Value>v</Value>"
                         "</Tag></Filter>" +
                         enabled + expire + "</Rule>")),
      malformed(Document("<Rule><Filter><And/></Filter>" + enabled + expire + "</Rule>")),
      malformed(Document("<Rule><Filter><And><Prefix>a</Prefix><Other/></And></Filter>" + enabled +
                         expire + "</Rule>")),
      malformed(Document("<Rule><Filter><Tag><Key>k</Key></Tag></Filter>" + enabled + expire +
                         "</Rule>")),
      malformed(Document("<Rule><Filter><ObjectSizeGreaterThan>big</ObjectSizeGreaterThan>"
                         "</Filter>" +
                         enabled + expire + "</Rule>")),
      malformed(OneRule(enabled + "<Expiration/>")),
      malformed(OneRule(enabled + "<Expiration><Days>1</Days><Date>2025-01-01T00:00:00Z</Date>"
                                  "</Expiration>")),
      malformed(OneRule(enabled + "<Expiration><Days>1</Days><ExpiredObjectDeleteMarker>true"
                                  "</ExpiredObjectDeleteMarker></Expiration>")),
      malformed(OneRule(enabled + "<Expiration><Date>2025-01-01T00:00:00Z</Date>"
                                  "<ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker>"
                                  "</Expiration>")),
      malformed(OneRule(enabled + "<Expiration><ExpiredObjectDeleteMarker>yes"
                                  "</ExpiredObjectDeleteMarker></Expiration>")),
      malformed(OneRule(enabled + "<Expiration><Days>1.5</Days></Expiration>")),
      malformed(OneRule(enabled + "<Expiration><Days></Days></Expiration>")),
      malformed(OneRule(enabled + "<Expiration><Days>2147483648</Days></Expiration>")),
      malformed(OneRule(enabled + "<NoncurrentVersionExpiration><NewerNoncurrentVersions>1"
                                  "</NewerNoncurrentVersions></NoncurrentVersionExpiration>")),
      malformed(OneRule(enabled + "<AbortIncompleteMultipartUpload/>")),
      malformed(OneRule(enabled + "<Transition><Days>1</Days></Transition>")),
      malformed(OneRule(enabled + "<Transition><Days>1</Days><StorageClass>STANDARD</StorageClass>"
                                  "</Transition>")),
      malformed(OneRule(enabled + "<Transition><Days>1</Days><Date>2025-01-01T00:00:00Z</Date>"
                                  "<StorageClass>GLACIER</StorageClass></Transition>")),
      malformed(OneRule(enabled + "<NoncurrentVersionTransition><StorageClass>GLACIER"
                                  "</StorageClass></NoncurrentVersionTransition>")),
  });
}

TEST(ParseLifecycleConfigurationTest, InvalidArgumentsWithAmazonsMessages) {
  const std::string enabled = "<Status>Enabled</Status>";
  const std::string expire = "<Expiration><Days>1</Days></Expiration>";
  const auto invalid = [](std::string body, std::string message) {
    return ErrorCase{std::move(body), ErrorCode::kInvalidArgument, std::move(message)};
  };
  ExpectErrors({
      invalid(OneRule(enabled + "<Expiration><Days>0</Days></Expiration>"),
              "'Days' for Expiration action must be a positive integer"),
      invalid(OneRule(enabled + "<Expiration><Days>-3</Days></Expiration>"),
              "'Days' for Expiration action must be a positive integer"),
      invalid(OneRule(enabled + "<NoncurrentVersionExpiration><NoncurrentDays>0</NoncurrentDays>"
                                "</NoncurrentVersionExpiration>"),
              "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive "
              "integer"),
      invalid(OneRule(enabled + "<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays>"
                                "<NewerNoncurrentVersions>0</NewerNoncurrentVersions>"
                                "</NoncurrentVersionExpiration>"),
              "'NewerNoncurrentVersions' must be a positive integer"),
      invalid(OneRule(enabled + "<AbortIncompleteMultipartUpload><DaysAfterInitiation>0"
                                "</DaysAfterInitiation></AbortIncompleteMultipartUpload>"),
              "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a "
              "positive integer"),
      invalid(Document("<Rule><ID>same</ID><Filter/>" + enabled + expire +
                       "</Rule><Rule><ID>other</ID><Filter/>" + enabled + expire +
                       "</Rule><Rule><ID>same</ID><Filter/>" + enabled + expire + "</Rule>"),
              "Rule ID must be unique. Found same ID for more than one rule"),
      invalid(Document("<Rule><ID>" + std::string(256, 'i') + "</ID><Filter/>" + enabled + expire +
                       "</Rule>"),
              "ID length should not exceed allowed limit of 255"),
      invalid(OneRule(enabled + "<Transition><Days>-1</Days><StorageClass>GLACIER</StorageClass>"
                                "</Transition>"),
              "'Days' in Transition action must be nonnegative"),
      invalid(OneRule(enabled + "<Transition><Days>29</Days><StorageClass>STANDARD_IA"
                                "</StorageClass></Transition>"),
              "'Days' in Transition action must be greater than or equal to 30 for "
              "storageClass 'STANDARD_IA'"),
      invalid(OneRule(enabled + "<Transition><Date>2025-01-01T06:00:00Z</Date><StorageClass>"
                                "GLACIER</StorageClass></Transition>"),
              "'Date' must be at midnight GMT"),
  });
}

TEST(ParseLifecycleConfigurationTest, InvalidRequestsWithAmazonsMessages) {
  const std::string enabled = "<Status>Enabled</Status>";
  const std::string expire = "<Expiration><Days>1</Days></Expiration>";
  const std::string marker =
      "<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>";
  const std::string abort =
      "<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation>"
      "</AbortIncompleteMultipartUpload>";
  const std::string tag_filter = "<Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter>";
  const std::string and_tag_filter =
      "<Filter><And><Prefix>p/</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></And></Filter>";
  const std::string size_filter = "<Filter><ObjectSizeLessThan>10</ObjectSizeLessThan></Filter>";
  const auto rule = [](const std::string& scope, const std::string& rest) {
    return Document("<Rule><ID>r</ID>" + scope + rest + "</Rule>");
  };
  const auto invalid = [](std::string body, std::string message) {
    return ErrorCase{std::move(body), ErrorCode::kInvalidRequest, std::move(message)};
  };
  ExpectErrors({
      invalid(OneRule(enabled), "At least one action needs to be specified in a rule"),
      invalid(rule(tag_filter, enabled + marker),
              "ExpiredObjectDeleteMarker cannot be specified with Tags."),
      invalid(rule(and_tag_filter, enabled + "<Expiration><ExpiredObjectDeleteMarker>false"
                                             "</ExpiredObjectDeleteMarker></Expiration>"),
              "ExpiredObjectDeleteMarker cannot be specified with Tags."),
      invalid(rule(size_filter, enabled + marker),
              "ExpiredObjectDeleteMarker cannot be specified with Object Size."),
      invalid(rule(and_tag_filter, enabled + abort),
              "AbortIncompleteMultipartUpload cannot be specified with Tags."),
      invalid(rule(size_filter, enabled + abort),
              "AbortIncompleteMultipartUpload cannot be specified with Object Size."),
      invalid(Document("<Rule><Prefix>a/</Prefix>" + enabled + expire +
                       "</Rule><Rule><Filter>"
                       "<Prefix>b/</Prefix></Filter>" +
                       enabled + expire + "</Rule>"),
              "Filter element can only be used in Lifecycle V2."),
      invalid(Document("<Rule><Filter><Prefix>b/</Prefix></Filter>" + enabled + expire +
                       "</Rule><Rule><Prefix>a/</Prefix>" + enabled + expire + "</Rule>"),
              "Base level prefix cannot be used in Lifecycle V2, prefixes are only supported "
              "in the Filter."),
      invalid(Document("<Rule><Prefix>a/</Prefix>" + enabled +
                       "<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays>"
                       "<NewerNoncurrentVersions>1</NewerNoncurrentVersions>"
                       "</NoncurrentVersionExpiration></Rule>"),
              "NewerNoncurrentVersions element can only be used in Lifecycle V2."),
      invalid(Document("<Rule><Prefix>logs/</Prefix>" + enabled + expire +
                       "</Rule><Rule><Prefix>tmp/</Prefix>" + enabled + abort +
                       "</Rule><Rule><Prefix>logs/old/</Prefix>" + enabled + expire + "</Rule>"),
              "Found overlapping prefixes 'logs/' and 'logs/old/' for same action type "
              "'Expiration'"),
      invalid(Document("<Rule><Prefix/>" + enabled + abort + "</Rule><Rule><Prefix/>" + enabled +
                       abort + "</Rule>"),
              "Found overlapping prefixes '' and '' for same action type "
              "'AbortIncompleteMultipartUpload'"),
      invalid(rule("<Filter><And><Tag><Key>k</Key><Value>1</Value></Tag><Tag><Key>k</Key>"
                   "<Value>2</Value></Tag></And></Filter>",
                   enabled + expire),
              "Duplicate Tag Keys are not allowed."),
      invalid(rule("<Filter><Tag><Key></Key><Value>v</Value></Tag></Filter>", enabled + expire),
              "A Tag's Key must be a length between 1 and 128"),
      invalid(rule("<Filter><Tag><Key>" + std::string(129, 'k') + "</Key><Value/></Tag></Filter>",
                   enabled + expire),
              "A Tag's Key must be a length between 1 and 128"),
      invalid(rule("<Filter><Tag><Key>k</Key><Value>" + std::string(257, 'v') +
                       "</Value></Tag></Filter>",
                   enabled + expire),
              "A Tag's Value must be a length between 0 and 256"),
      invalid(rule("<Filter><Prefix>" + std::string(1025, 'p') + "</Prefix></Filter>",
                   enabled + expire),
              "The maximum size of a prefix is 1024"),
      invalid(rule("<Filter><ObjectSizeGreaterThan>-1</ObjectSizeGreaterThan></Filter>",
                   enabled + expire),
              "'ObjectSizeGreaterThan' should be between 0 and 1099511627776000."),
      invalid(rule("<Filter><ObjectSizeLessThan>0</ObjectSizeLessThan></Filter>", enabled + expire),
              "'ObjectSizeLessThan' should be between 1 and 1099511627776000."),
      invalid(rule("<Filter><ObjectSizeLessThan>1099511627776001</ObjectSizeLessThan></Filter>",
                   enabled + expire),
              "'ObjectSizeLessThan' should be between 1 and 1099511627776000."),
      invalid(rule("<Filter><And><ObjectSizeGreaterThan>10</ObjectSizeGreaterThan>"
                   "<ObjectSizeLessThan>10</ObjectSizeLessThan></And></Filter>",
                   enabled + expire),
              "'ObjectSizeLessThan' has to be a value greater than 'ObjectSizeGreaterThan'."),
      invalid(OneRule(enabled +
                      "<Transition><Date>2025-01-01T00:00:00Z</Date><StorageClass>"
                      "GLACIER</StorageClass></Transition>" +
                      expire),
              "Found mixed 'Date' and 'Days' based Expiration and Transition actions in "
              "lifecycle rule"),
      invalid(OneRule(enabled + "<Transition><Days>30</Days><StorageClass>GLACIER</StorageClass>"
                                "</Transition><Transition><Days>60</Days><StorageClass>GLACIER"
                                "</StorageClass></Transition>"),
              "'StorageClass' must be different for 'Transition' actions in same 'Rule'"),
  });
}

TEST(ParseLifecycleConfigurationTest, RuleCountAndIdLimits) {
  const std::string rule =
      "<Rule><Filter/><Status>Disabled</Status><Expiration><Days>1</Days></Expiration></Rule>";
  std::string thousand;
  for (size_t i = 0; i < kMaxLifecycleRules; ++i) thousand += rule;
  auto parsed = ParseLifecycleConfiguration(Document(thousand));
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_EQ(parsed->rules.size(), kMaxLifecycleRules);
  ExpectErrors({{Document(thousand + rule), ErrorCode::kInvalidRequest,
                 "The number of lifecycle rules must not exceed the allowed limit of 1000 "
                 "rules."}});

  // 255 characters is the limit, counted in characters, not bytes; rules without an ID (or
  // with an empty one) do not collide.
  std::string long_id;
  for (int i = 0; i < 255; ++i) long_id += "\xC3\xA9";
  parsed = ParseLifecycleConfiguration(Document("<Rule><ID>" + long_id + "</ID>" + rule.substr(6) +
                                                rule + "<Rule><ID></ID>" + rule.substr(6)));
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_EQ(parsed->rules[0].id, long_id);
  EXPECT_EQ(parsed->rules[1].id, "");
  EXPECT_EQ(parsed->rules[2].id, "");
}

TEST(ParseLifecycleConfigurationTest, AcceptedEdgeCases) {
  const std::string enabled = "<Status>Enabled</Status>";
  const char* bodies[] = {
      // A rule whose only action is a transition (kept, never applied).
      "<Rule><Filter/><Status>Enabled</Status><Transition><Days>0</Days><StorageClass>"
      "GLACIER</StorageClass></Transition></Rule>",
      // Overlapping prefixes are fine in Lifecycle V2, and for different action kinds in V1.
      "<Rule><Filter><Prefix>a</Prefix></Filter><Status>Enabled</Status><Expiration><Days>1"
      "</Days></Expiration></Rule><Rule><Filter><Prefix>ab</Prefix></Filter><Status>Enabled"
      "</Status><Expiration><Days>2</Days></Expiration></Rule>",
      "<Rule><Prefix>a</Prefix><Status>Enabled</Status><Expiration><Days>1</Days></Expiration>"
      "</Rule><Rule><Prefix>ab</Prefix><Status>Enabled</Status><AbortIncompleteMultipartUpload>"
      "<DaysAfterInitiation>2</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>",
      // A prefix-only And, and an ExpiredObjectDeleteMarker with a prefix filter.
      "<Rule><Filter><And><Prefix>p/</Prefix></And></Filter><Status>Enabled</Status>"
      "<Expiration><ExpiredObjectDeleteMarker>TRUE</ExpiredObjectDeleteMarker></Expiration>"
      "</Rule>",
      // NewerNoncurrentVersions beyond the documented 100 (AWS accepted 500).
      "<Rule><Filter/><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>1"
      "</NoncurrentDays><NewerNoncurrentVersions>500</NewerNoncurrentVersions>"
      "</NoncurrentVersionExpiration></Rule>",
      "<Rule><Filter><Tag><Key>k</Key><Value/></Tag></Filter><Status>Enabled</Status>"
      "<Expiration><Days>2147483647</Days></Expiration></Rule>",
  };
  for (const char* rules : bodies) {
    auto parsed = ParseLifecycleConfiguration(Document(rules));
    EXPECT_TRUE(parsed.has_value()) << rules << "\n" << parsed.error().message;
  }
  auto parsed = ParseLifecycleConfiguration(Document(bodies[3]));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->rules[0].expiration->expired_object_delete_marker, true);
  EXPECT_EQ(RenderLifecycleConfiguration(*parsed),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" +
                Document("<Rule><Filter><And><Prefix>p/</Prefix></And></Filter>" + enabled +
                         "<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker>"
                         "</Expiration></Rule>"));
}

}  // namespace
}  // namespace logbucket::s3::xml
