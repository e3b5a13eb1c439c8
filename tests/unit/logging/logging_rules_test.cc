#include "logging/logging_rules.h"

#include <gtest/gtest.h>

namespace logbucket::logging {
namespace {

using Loop = std::vector<std::string>;

TEST(LoggingRulesTest, FindLoggingLoopTable) {
  struct Case {
    const char* name;
    std::map<std::string, std::string> targets;
    std::string source, target;
    Loop loop;
  };
  const Case cases[] = {
      {"self", {}, "a", "a", {"a", "a"}},
      {"self while already logging elsewhere", {{"a", "b"}}, "a", "a", {"a", "a"}},
      {"two-cycle", {{"b", "a"}}, "a", "b", {"a", "b", "a"}},
      {"three-cycle", {{"b", "c"}, {"c", "a"}}, "a", "b", {"a", "b", "c", "a"}},
      {"no cycle: target does not log", {}, "a", "b", {}},
      {"chain that does not close", {{"b", "c"}, {"c", "d"}}, "a", "b", {}},
      {"chain ending in another source", {{"b", "c"}, {"x", "a"}}, "a", "b", {}},
      // Re-pointing a source: its old target no longer counts.
      {"re-pointing away from a chain", {{"a", "b"}, {"b", "c"}}, "a", "c", {}},
      {"re-pointing closes a cycle",
       {{"a", "x"}, {"b", "c"}, {"c", "a"}},
       "a",
       "b",
       {"a", "b", "c", "a"}},
      {"existing cycle not through source", {{"b", "c"}, {"c", "b"}}, "a", "b", {}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(FindLoggingLoop(c.targets, c.source, c.target), c.loop) << c.name;
  }
}

}  // namespace
}  // namespace logbucket::logging
