// Test helpers for the config module: a temporary directory, a fake environment and a Load
// wrapper taking argv as strings, so no test touches the real environment.
#pragma once

#include <unistd.h>

#include <atomic>
#include <expected>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "config/config.h"

namespace logbucket::config::testing {

// A fresh directory under the system temp directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ =
        std::filesystem::temp_directory_path() /
        ("logbucket-config-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

  // Writes `text` to `name` inside the directory and returns its path.
  std::filesystem::path Write(const std::string& name, const std::string& text) const {
    const std::filesystem::path file = path_ / name;
    std::ofstream(file) << text;
    return file;
  }

 private:
  std::filesystem::path path_;
};

using FakeEnv = std::map<std::string, std::string>;

inline std::expected<LoadResult, ConfigError> LoadWith(const std::vector<std::string>& args,
                                                       const FakeEnv& env = {}) {
  std::vector<const char*> argv = {"logbucket"};
  for (const std::string& arg : args) {
    argv.push_back(arg.c_str());
  }
  std::vector<std::string> names;
  for (const auto& [name, value] : env) {
    names.push_back(name);
  }
  const Environment lookup = [&env](const std::string& name) -> std::optional<std::string> {
    const auto found = env.find(name);
    if (found == env.end()) {
      return std::nullopt;
    }
    return found->second;
  };
  return Load(static_cast<int>(argv.size()), argv.data(), lookup, names);
}

}  // namespace logbucket::config::testing
