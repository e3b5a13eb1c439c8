// Diagnostics of the logging module: the spdlog logger named "logging" (the one main registered,
// or one created on first use). Access-log records never go through it.
// Thread-safety: safe from any thread.
#pragma once

#include <spdlog/logger.h>

namespace logbucket::logging {

spdlog::logger& Diagnostics();

}  // namespace logbucket::logging
