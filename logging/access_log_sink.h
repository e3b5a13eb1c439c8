// AccessLogSink: where the transport hands finished access-log records. AccessLogService
// implements it; transport tests use a fake that collects records.
// Thread-safety: implementations must allow concurrent calls.
#pragma once

#include <string>

#include "logging/access_log_record.h"

namespace logbucket::logging {

class AccessLogSink {
 public:
  virtual ~AccessLogSink() = default;
  // Whether records of `source_bucket` are wanted (logging enabled on it).
  virtual bool IsEnabled(const std::string& source_bucket) const = 0;
  // Spools the record (no-op when its bucket is not enabled). Never waits for a delivery.
  virtual void Submit(const AccessLogRecord& record) = 0;
};

}  // namespace logbucket::logging
