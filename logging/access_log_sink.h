// AccessLogSink: where the transport hands finished access-log records. AccessLogService
// implements it; transport tests use a fake that collects records.
// Thread-safety: implementations must allow concurrent calls.
#pragma once

#include <string>

#include "logging/access_log_record.h"
#include "logging/logging_configuration.h"

namespace logbucket::logging {

class AccessLogSink {
 public:
  virtual ~AccessLogSink() = default;
  // Whether records of `source_bucket` are wanted (logging enabled on it).
  virtual bool IsEnabled(const std::string& source_bucket) const = 0;
  // Spools the record (no-op when its bucket is not enabled). Never waits for a delivery.
  virtual void Submit(const AccessLogRecord& record) = 0;
  // Spools the record as `registration` routes it, whatever the bucket's registration is now:
  // the record of the request that changed or removed that registration (DeleteBucket,
  // PutBucketLogging), which is logged as the bucket was configured when it arrived.
  virtual void SubmitAs(const AccessLogRecord& record,
                        const LoggingRegistration& registration) = 0;
};

}  // namespace logbucket::logging
