#include "logging/logging_rules.h"

#include <set>

namespace logbucket::logging {

std::vector<std::string> FindLoggingLoop(const std::map<std::string, std::string>& targets,
                                         const std::string& source, const std::string& target) {
  // Each bucket has at most one target, so the only cycle the new edge can close is the path
  // that starts at `target` and follows targets back to `source`. `seen` stops the walk on a
  // cycle that does not pass through `source` (one recorded before loops were refused).
  std::vector<std::string> path = {source};
  std::set<std::string> seen = {source};
  std::string current = target;
  while (true) {
    path.push_back(current);
    if (current == source) {
      return path;
    }
    if (!seen.insert(current).second) {
      return {};
    }
    const auto next = targets.find(current);
    if (next == targets.end()) {
      return {};
    }
    current = next->second;
  }
}

}  // namespace logbucket::logging
