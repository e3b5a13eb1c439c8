#include "logging/diagnostics.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <memory>

namespace logbucket::logging {

spdlog::logger& Diagnostics() {
  static const std::shared_ptr<spdlog::logger> logger = [] {
    if (auto existing = spdlog::get("logging")) {
      return existing;
    }
    try {
      return spdlog::stderr_color_mt("logging");
    } catch (const spdlog::spdlog_ex&) {
      // Registered by another thread or by main between get() and the creation.
      return spdlog::get("logging");
    }
  }();
  return *logger;
}

}  // namespace logbucket::logging
