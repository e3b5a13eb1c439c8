#include "server/s3/lifecycle_rules.h"

#include <gtest/gtest.h>

#include <limits>
#include <regex>

#include "server/s3/checksum.h"

namespace logbucket::s3 {
namespace {

using Form = LifecycleFilterForm;

constexpr int64_t kShortDay = 10'000;  // a 10 s lifecycle day, as the e2e tests use
constexpr int64_t k2014Jan02 = 1388620800000;
constexpr int64_t k2014Jan15 = 1389744000000;
constexpr int64_t k2025 = 1735689600000;  // 2025-01-01T00:00:00Z
const ObjectTags kNoTags;

LifecycleFilter PrefixFilter(std::string prefix, Form form = Form::kPrefix) {
  LifecycleFilter filter;
  filter.form = form;
  filter.prefix = std::move(prefix);
  return filter;
}

LifecycleFilter AllFilter() { return LifecycleFilter{}; }

LifecycleRule ExpireAfter(std::string id, int32_t days, LifecycleFilter filter = {}) {
  LifecycleRule rule;
  rule.id = std::move(id);
  rule.filter = std::move(filter);
  rule.expiration = LifecycleExpiration{days, std::nullopt, std::nullopt};
  return rule;
}

LifecycleRule NoncurrentAfter(std::string id, int32_t days, std::optional<int32_t> newer,
                              LifecycleFilter filter = {}) {
  LifecycleRule rule;
  rule.id = std::move(id);
  rule.filter = std::move(filter);
  rule.noncurrent_expiration = LifecycleNoncurrentExpiration{days, newer};
  return rule;
}

LifecycleRule MarkerRule(std::string id, bool value, LifecycleFilter filter = {}) {
  LifecycleRule rule;
  rule.id = std::move(id);
  rule.filter = std::move(filter);
  rule.expiration = LifecycleExpiration{std::nullopt, std::nullopt, value};
  return rule;
}

LifecycleRule AbortAfter(std::string id, int32_t days, LifecycleFilter filter = {}) {
  LifecycleRule rule;
  rule.id = std::move(id);
  rule.filter = std::move(filter);
  rule.abort_days_after_initiation = days;
  return rule;
}

LifecycleConfiguration Config(std::vector<LifecycleRule> rules) {
  return LifecycleConfiguration{std::move(rules)};
}

TEST(LifecycleDueTimeTest, RoundsUpToTheNextMidnightUtc) {
  // The S3 User Guide's example: created 1/15/2014 10:30 AM UTC, 3 days -> 1/19/2014 00:00 UTC.
  const int64_t created = k2014Jan15 + (10 * 60 + 30) * 60 * 1000;
  EXPECT_EQ(LifecycleDueTime(created, 3, kLifecycleDayMs), k2014Jan15 + 4 * kLifecycleDayMs);
  // Created at 00:05 on January 2 with 1 day: due at 00:00 on January 4.
  EXPECT_EQ(LifecycleDueTime(k2014Jan02 + 5 * 60 * 1000, 1, kLifecycleDayMs),
            k2014Jan02 + 2 * kLifecycleDayMs);
  // A time already at midnight is its own ceiling.
  EXPECT_EQ(LifecycleDueTime(k2014Jan02, 1, kLifecycleDayMs), k2014Jan02 + kLifecycleDayMs);
  EXPECT_EQ(LifecycleDueTime(k2014Jan02 - 1, 1, kLifecycleDayMs), k2014Jan02 + kLifecycleDayMs);
}

TEST(LifecycleDueTimeTest, ShortenedDayRoundsUpToItsMultiples) {
  EXPECT_EQ(LifecycleDueTime(12'345, 1, kShortDay), 30'000);
  EXPECT_EQ(LifecycleDueTime(19'999, 1, kShortDay), 30'000);
  EXPECT_EQ(LifecycleDueTime(20'000, 1, kShortDay), 30'000);
  EXPECT_EQ(LifecycleDueTime(20'001, 1, kShortDay), 40'000);
  EXPECT_EQ(LifecycleDueTime(12'345, 0, kShortDay), 20'000);
  EXPECT_EQ(LifecycleDueTime(0, 0, kShortDay), 0);
  EXPECT_EQ(LifecycleDueTime(-1, 0, kShortDay), 0);
  EXPECT_EQ(LifecycleDueTime(-15'000, 1, kShortDay), 0);
  EXPECT_EQ(LifecycleDueTime(5, 2, 0), 7);  // a day below 1 ms counts as 1 ms
}

TEST(LifecycleDueTimeTest, SaturatesInsteadOfOverflowing) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(LifecycleDueTime(kMax - 1, 1, kLifecycleDayMs), kMax);
  EXPECT_EQ(LifecycleDueTime(0, kMax, kLifecycleDayMs), kMax);
  EXPECT_EQ(LifecycleDueTime(kMax - 5, 0, kLifecycleDayMs), kMax);
  EXPECT_EQ(LifecycleDueTime(k2025, std::numeric_limits<int32_t>::max(), kLifecycleDayMs),
            k2025 + int64_t{std::numeric_limits<int32_t>::max()} * kLifecycleDayMs);
}

TEST(IsDueTest, DueFromItsTimeOn) {
  const std::optional<LifecycleDue> due = LifecycleDue{"r", 40'000};
  EXPECT_FALSE(IsDue(due, 39'999));
  EXPECT_TRUE(IsDue(due, 40'000));
  EXPECT_TRUE(IsDue(due, 40'001));
  EXPECT_FALSE(IsDue(std::nullopt, std::numeric_limits<int64_t>::max()));
}

TEST(LifecycleFilterMatchesTest, PrefixTagsAndSizes) {
  EXPECT_TRUE(LifecycleFilterMatches(AllFilter(), "anything", 0, kNoTags));
  EXPECT_TRUE(LifecycleFilterMatches(PrefixFilter(""), "", 0, kNoTags));
  EXPECT_TRUE(LifecycleFilterMatches(PrefixFilter("logs/"), "logs/a", 1, kNoTags));
  EXPECT_TRUE(LifecycleFilterMatches(PrefixFilter("logs/"), "logs/", 1, kNoTags));
  EXPECT_FALSE(LifecycleFilterMatches(PrefixFilter("logs/"), "Logs/a", 1, kNoTags));
  EXPECT_FALSE(LifecycleFilterMatches(PrefixFilter("logs/"), "logs", 1, kNoTags));
  EXPECT_TRUE(LifecycleFilterMatches(PrefixFilter("a", Form::kLegacyPrefix), "ab", 1, kNoTags));
  // Bytes, not characters: "\xC3" is a prefix of "é" (C3 A9).
  EXPECT_TRUE(LifecycleFilterMatches(PrefixFilter("\xC3"), "\xC3\xA9", 1, kNoTags));

  LifecycleFilter conjunction = PrefixFilter("p/", Form::kAnd);
  conjunction.tags = {{"a", "1"}, {"b", ""}};
  conjunction.object_size_greater_than = 100;
  conjunction.object_size_less_than = 1000;
  const ObjectTags both = {{"a", "1"}, {"b", ""}, {"extra", "x"}};
  EXPECT_TRUE(LifecycleFilterMatches(conjunction, "p/k", 101, both));
  EXPECT_TRUE(LifecycleFilterMatches(conjunction, "p/k", 999, both));
  EXPECT_FALSE(LifecycleFilterMatches(conjunction, "p/k", 100, both));   // strict >
  EXPECT_FALSE(LifecycleFilterMatches(conjunction, "p/k", 1000, both));  // strict <
  EXPECT_FALSE(LifecycleFilterMatches(conjunction, "q/k", 500, both));
  EXPECT_FALSE(LifecycleFilterMatches(conjunction, "p/k", 500, {{"a", "1"}}));
  EXPECT_FALSE(LifecycleFilterMatches(conjunction, "p/k", 500, {{"a", "2"}, {"b", ""}}));
  EXPECT_FALSE(LifecycleFilterMatches(conjunction, "p/k", 500, {{"A", "1"}, {"b", ""}}));

  LifecycleFilter tag;
  tag.form = Form::kTag;
  tag.tags = {{"class", "temp"}};
  EXPECT_TRUE(LifecycleFilterMatches(tag, "x", 0, {{"class", "temp"}}));
  EXPECT_FALSE(LifecycleFilterMatches(tag, "x", 0, kNoTags));

  LifecycleFilter larger;
  larger.form = Form::kObjectSizeGreaterThan;
  larger.object_size_greater_than = 0;
  EXPECT_FALSE(LifecycleFilterMatches(larger, "x", 0, kNoTags));
  EXPECT_TRUE(LifecycleFilterMatches(larger, "x", 1, kNoTags));
  LifecycleFilter smaller;
  smaller.form = Form::kObjectSizeLessThan;
  smaller.object_size_less_than = 1;
  EXPECT_TRUE(LifecycleFilterMatches(smaller, "x", 0, kNoTags));
  EXPECT_FALSE(LifecycleFilterMatches(smaller, "x", 1, kNoTags));
}

TEST(CurrentVersionExpirationTest, DaysWithAShortDayAndItsBoundary) {
  const LifecycleConfiguration config = Config({ExpireAfter("two-days", 2, PrefixFilter("logs/"))});
  // 12,345 + 2 days of 10 s = 32,345, rounded up to 40,000.
  const auto due = CurrentVersionExpiration(config, "logs/a", 5, kNoTags, 12'345, kShortDay);
  ASSERT_TRUE(due.has_value());
  EXPECT_EQ(*due, (LifecycleDue{"two-days", 40'000}));
  EXPECT_FALSE(IsDue(due, 39'999));
  EXPECT_TRUE(IsDue(due, 40'000));
  EXPECT_FALSE(
      CurrentVersionExpiration(config, "data/a", 5, kNoTags, 12'345, kShortDay).has_value());
}

TEST(CurrentVersionExpirationTest, DisabledRulesAndOtherActionsDoNotExpire) {
  LifecycleRule disabled = ExpireAfter("disabled", 1);
  disabled.enabled = false;
  const LifecycleConfiguration config =
      Config({disabled, MarkerRule("marker", true), NoncurrentAfter("noncurrent", 1, std::nullopt),
              AbortAfter("abort", 1)});
  EXPECT_FALSE(CurrentVersionExpiration(config, "k", 1, kNoTags, 0, kShortDay).has_value());
}

TEST(CurrentVersionExpirationTest, DateIsAbsoluteEvenWithAShortDay) {
  LifecycleRule dated;
  dated.id = "new-year";
  dated.expiration = LifecycleExpiration{std::nullopt, k2025, std::nullopt};
  const LifecycleConfiguration config = Config({dated});
  const auto due = CurrentVersionExpiration(config, "k", 1, kNoTags, k2025 - 12'345, kShortDay);
  EXPECT_EQ(due, (LifecycleDue{"new-year", k2025}));
  // An object written after the date is due at once.
  EXPECT_TRUE(
      IsDue(CurrentVersionExpiration(config, "k", 1, kNoTags, k2025 + 5, kShortDay), k2025 + 6));
}

TEST(CurrentVersionExpirationTest, EarliestRuleWinsFirstOnATie) {
  const LifecycleConfiguration config =
      Config({ExpireAfter("three", 3), ExpireAfter("one", 1, PrefixFilter("a")),
              ExpireAfter("also-one", 1), ExpireAfter("other-prefix", 1, PrefixFilter("b"))});
  EXPECT_EQ(CurrentVersionExpiration(config, "a1", 1, kNoTags, 0, kShortDay),
            (LifecycleDue{"one", 10'000}));
  EXPECT_EQ(CurrentVersionExpiration(config, "c1", 1, kNoTags, 0, kShortDay),
            (LifecycleDue{"also-one", 10'000}));
}

TEST(CurrentVersionExpirationTest, AndFilterNeedsEveryTagAndTheSize) {
  LifecycleFilter conjunction = PrefixFilter("tmp/", Form::kAnd);
  conjunction.tags = {{"class", "temp"}, {"owner", "ci"}};
  conjunction.object_size_greater_than = 10;
  const LifecycleConfiguration config = Config({ExpireAfter("tagged", 1, conjunction)});
  const ObjectTags tags = {{"class", "temp"}, {"owner", "ci"}};
  EXPECT_TRUE(CurrentVersionExpiration(config, "tmp/x", 11, tags, 0, kShortDay).has_value());
  EXPECT_FALSE(CurrentVersionExpiration(config, "tmp/x", 10, tags, 0, kShortDay).has_value());
  EXPECT_FALSE(
      CurrentVersionExpiration(config, "tmp/x", 11, {{"class", "temp"}}, 0, kShortDay).has_value());
  EXPECT_FALSE(CurrentVersionExpiration(config, "var/x", 11, tags, 0, kShortDay).has_value());
}

TEST(CurrentVersionExpirationTest, LegacyPrefixRule) {
  const LifecycleConfiguration config =
      Config({ExpireAfter("legacy", 1, PrefixFilter("old/", Form::kLegacyPrefix))});
  EXPECT_EQ(CurrentVersionExpiration(config, "old/x", 1, kNoTags, 1, kShortDay),
            (LifecycleDue{"legacy", 20'000}));
  EXPECT_FALSE(CurrentVersionExpiration(config, "new/x", 1, kNoTags, 1, kShortDay).has_value());
}

TEST(NoncurrentVersionExpirationTest, DaysFromBecomingNoncurrent) {
  const LifecycleConfiguration config = Config({NoncurrentAfter("nc", 1, std::nullopt)});
  const auto due = NoncurrentVersionExpiration(config, "k", 1, kNoTags, 5'000, 1, kShortDay);
  EXPECT_EQ(due, (LifecycleDue{"nc", 20'000}));
  EXPECT_FALSE(IsDue(due, 19'999));
  EXPECT_TRUE(IsDue(due, 20'000));
}

TEST(NoncurrentVersionExpirationTest, NewerNoncurrentVersionsAreKeptWhateverTheirAge) {
  const LifecycleConfiguration config = Config({NoncurrentAfter("keep-two", 1, 2)});
  for (int64_t rank : {1, 2}) {
    EXPECT_FALSE(
        NoncurrentVersionExpiration(config, "k", 1, kNoTags, 0, rank, kShortDay).has_value())
        << rank;
  }
  for (int64_t rank : {3, 4, 100}) {
    EXPECT_EQ(NoncurrentVersionExpiration(config, "k", 1, kNoTags, 0, rank, kShortDay),
              (LifecycleDue{"keep-two", 10'000}))
        << rank;
  }
}

TEST(NoncurrentVersionExpirationTest, RulesCombineAndFilter) {
  LifecycleRule disabled = NoncurrentAfter("disabled", 1, std::nullopt);
  disabled.enabled = false;
  LifecycleFilter small;
  small.form = Form::kObjectSizeLessThan;
  small.object_size_less_than = 100;
  const LifecycleConfiguration config = Config(
      {disabled, NoncurrentAfter("keep-five", 1, 5), NoncurrentAfter("slow", 3, std::nullopt),
       NoncurrentAfter("small-fast", 2, std::nullopt, small), ExpireAfter("current-only", 1)});
  // Rank 2 is kept by keep-five: only slow and (for a small version) small-fast apply.
  EXPECT_EQ(NoncurrentVersionExpiration(config, "k", 500, kNoTags, 0, 2, kShortDay),
            (LifecycleDue{"slow", 30'000}));
  EXPECT_EQ(NoncurrentVersionExpiration(config, "k", 50, kNoTags, 0, 2, kShortDay),
            (LifecycleDue{"small-fast", 20'000}));
  // Rank 6 is beyond keep-five, whose 1 day is the shortest.
  EXPECT_EQ(NoncurrentVersionExpiration(config, "k", 50, kNoTags, 0, 6, kShortDay),
            (LifecycleDue{"keep-five", 10'000}));
}

TEST(ExpiredDeleteMarkerRemovalTest, ExpiredObjectDeleteMarkerAtTheNextDayBoundary) {
  const LifecycleConfiguration config = Config({MarkerRule("markers", true)});
  EXPECT_EQ(ExpiredDeleteMarkerRemoval(config, "k", 12'345, kShortDay),
            (LifecycleDue{"markers", 20'000}));
  EXPECT_EQ(ExpiredDeleteMarkerRemoval(config, "k", 20'000, kShortDay),
            (LifecycleDue{"markers", 20'000}));
  EXPECT_FALSE(ExpiredDeleteMarkerRemoval(Config({MarkerRule("off", false)}), "k", 0, kShortDay)
                   .has_value());
  LifecycleRule disabled = MarkerRule("disabled", true);
  disabled.enabled = false;
  EXPECT_FALSE(ExpiredDeleteMarkerRemoval(Config({disabled}), "k", 0, kShortDay).has_value());
}

TEST(ExpiredDeleteMarkerRemovalTest, ExpirationDaysCleansMarkersOldEnough) {
  LifecycleRule dated;
  dated.id = "dated";
  dated.expiration = LifecycleExpiration{std::nullopt, k2025, std::nullopt};
  const LifecycleConfiguration config = Config({ExpireAfter("three", 3), dated});
  EXPECT_EQ(ExpiredDeleteMarkerRemoval(config, "k", 12'345, kShortDay),
            (LifecycleDue{"three", 50'000}));
  // Both kinds: ExpiredObjectDeleteMarker comes first.
  const LifecycleConfiguration both = Config({ExpireAfter("three", 3), MarkerRule("now", true)});
  EXPECT_EQ(ExpiredDeleteMarkerRemoval(both, "k", 12'345, kShortDay),
            (LifecycleDue{"now", 20'000}));
  // A Date rule does not remove delete markers.
  EXPECT_FALSE(ExpiredDeleteMarkerRemoval(Config({dated}), "k", 0, kShortDay).has_value());
}

TEST(ExpiredDeleteMarkerRemovalTest, MarkersHaveNoTagsAndSizeZero) {
  LifecycleFilter tag;
  tag.form = Form::kTag;
  tag.tags = {{"class", "temp"}};
  LifecycleFilter larger;
  larger.form = Form::kObjectSizeGreaterThan;
  larger.object_size_greater_than = 0;
  LifecycleFilter smaller;
  smaller.form = Form::kObjectSizeLessThan;
  smaller.object_size_less_than = 1;
  EXPECT_FALSE(ExpiredDeleteMarkerRemoval(Config({ExpireAfter("tag", 1, tag)}), "k", 0, kShortDay)
                   .has_value());
  EXPECT_FALSE(
      ExpiredDeleteMarkerRemoval(Config({ExpireAfter("large", 1, larger)}), "k", 0, kShortDay)
          .has_value());
  EXPECT_EQ(
      ExpiredDeleteMarkerRemoval(Config({ExpireAfter("small", 1, smaller)}), "k", 0, kShortDay),
      (LifecycleDue{"small", 10'000}));
  EXPECT_FALSE(ExpiredDeleteMarkerRemoval(Config({MarkerRule("p", true, PrefixFilter("a/"))}),
                                          "b/k", 0, kShortDay)
                   .has_value());
}

TEST(IncompleteUploadAbortTest, PrefixOnlyAndEarliest) {
  LifecycleRule disabled = AbortAfter("disabled", 1);
  disabled.enabled = false;
  const LifecycleConfiguration config =
      Config({disabled, AbortAfter("tmp", 1, PrefixFilter("tmp/")),
              AbortAfter("legacy", 2, PrefixFilter("", Form::kLegacyPrefix)),
              AbortAfter("and", 1, PrefixFilter("var/", Form::kAnd)), ExpireAfter("expire", 1)});
  EXPECT_EQ(IncompleteUploadAbort(config, "tmp/upload", 12'345, kShortDay),
            (LifecycleDue{"tmp", 30'000}));
  EXPECT_EQ(IncompleteUploadAbort(config, "var/upload", 12'345, kShortDay),
            (LifecycleDue{"and", 30'000}));
  EXPECT_EQ(IncompleteUploadAbort(config, "other", 12'345, kShortDay),
            (LifecycleDue{"legacy", 40'000}));
  EXPECT_FALSE(IncompleteUploadAbort(Config({disabled}), "tmp/upload", 0, kShortDay).has_value());
  EXPECT_EQ(
      IncompleteUploadAbort(Config({AbortAfter("all", 1, AllFilter())}), "x", 0, kLifecycleDayMs),
      (LifecycleDue{"all", kLifecycleDayMs}));
}

TEST(AssignMissingRuleIdsTest, FillsOnlyEmptyIdsWithFreshOnes) {
  LifecycleConfiguration config = Config(
      {ExpireAfter("a", 1), ExpireAfter("", 1), ExpireAfter("gen-1", 1), ExpireAfter("", 1)});
  const std::vector<std::string> offered = {"a", "gen-1", "gen-2", "", "gen-2", "gen-3"};
  size_t next = 0;
  AssignMissingRuleIds(config, [&] { return offered.at(next++); });
  EXPECT_EQ(config.rules[0].id, "a");
  EXPECT_EQ(config.rules[1].id, "gen-2");
  EXPECT_EQ(config.rules[2].id, "gen-1");
  EXPECT_EQ(config.rules[3].id, "gen-3");
  EXPECT_EQ(next, offered.size());
}

TEST(RandomLifecycleRuleIdTest, Base64OfARandomUuid) {
  const std::string id = RandomLifecycleRuleId();
  EXPECT_EQ(id.size(), 48u);
  const std::optional<std::string> text = Base64Decode(id);
  ASSERT_TRUE(text.has_value()) << id;
  EXPECT_TRUE(std::regex_match(
      *text, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")))
      << *text;
  EXPECT_NE(RandomLifecycleRuleId(), id);
}

TEST(AssignMissingRuleIdsTest, DefaultGeneratorGivesDistinctIds) {
  LifecycleConfiguration config = Config({ExpireAfter("", 1), ExpireAfter("", 2)});
  AssignMissingRuleIds(config);
  EXPECT_EQ(config.rules[0].id.size(), 48u);
  EXPECT_EQ(config.rules[1].id.size(), 48u);
  EXPECT_NE(config.rules[0].id, config.rules[1].id);
}

}  // namespace
}  // namespace logbucket::s3
