// Logging rules: checks over the registry of logging configurations that do not depend on
// storage. Pure functions; thread-safe.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace logbucket::logging {

// `targets` maps each source bucket with logging enabled to its target bucket. Returns the loop
// that configuring `source` -> `target` would close, replacing any target `source` has now: the
// buckets in order with first == last == source ({"a", "a"} when target == source,
// {"a", "b", "a"} when b already logs into a); empty when there is none.
std::vector<std::string> FindLoggingLoop(const std::map<std::string, std::string>& targets,
                                         const std::string& source, const std::string& target);

}  // namespace logbucket::logging
