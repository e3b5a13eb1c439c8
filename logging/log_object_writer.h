// LogObjectWriter: the port through which delivery writes log objects. Implemented by main over
// storage, so deliveries never pass through the HTTP/S3 path and never produce access-log
// records of their own. Logging never includes storage.
// Thread-safety: implementations must allow calls from the delivery thread while requests run.
#pragma once

#include <expected>
#include <string>
#include <string_view>

namespace logbucket::logging {

enum class DeliveryProblem {
  kNone,
  kTargetMissing,     // the target bucket does not exist (any more)
  kNotPermitted,      // no policy/ACL lets logging.s3.amazonaws.com write there
  kWriteFailed,       // storage failed (disk full, I/O)
};

struct DeliveryError {
  DeliveryProblem problem = DeliveryProblem::kWriteFailed;
  std::string message;  // human-readable reason, shown on /_logbucket/status
};

class LogObjectWriter {
 public:
  virtual ~LogObjectWriter() = default;

  // Whether `target_bucket` lets the logging service write `key` for `source_bucket` owned by
  // `source_account` (bucket policy for logging.s3.amazonaws.com, or LogDelivery WRITE grant).
  // Returns kNone when permitted; kTargetMissing or kNotPermitted with a reason otherwise.
  virtual DeliveryError CheckPermission(std::string_view target_bucket, std::string_view key,
                                        std::string_view source_bucket,
                                        std::string_view source_account) = 0;

  // Writes `body` as object `key` in `target_bucket` (content type text/plain), replacing any
  // object of that key, owned by the target bucket's owner.
  virtual std::expected<void, DeliveryError> PutLogObject(std::string_view target_bucket,
                                                          std::string_view key,
                                                          std::string_view body) = 0;
};

}  // namespace logbucket::logging
