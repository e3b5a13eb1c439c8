// StoreLogObjectWriter: logging's LogObjectWriter port implemented over storage, in the S3
// layer because deciding whether the logging service may write to a bucket is S3 semantics
// (bucket policy for logging.s3.amazonaws.com, or the LogDelivery group's WRITE grant).
// Writes go straight to storage: they never pass the request path and are never logged.
// Thread-safety: thread-safe; `store` must outlive the writer.
#pragma once

#include "logging/log_object_writer.h"
#include "storage/sqlite_store.h"

namespace logbucket::s3 {

class StoreLogObjectWriter final : public logging::LogObjectWriter {
 public:
  explicit StoreLogObjectWriter(storage::SqliteStore& store) : store_(store) {}

  logging::DeliveryError CheckPermission(std::string_view target_bucket, std::string_view key,
                                         std::string_view source_bucket,
                                         std::string_view source_account) override;
  std::expected<void, logging::DeliveryError> PutLogObject(std::string_view target_bucket,
                                                           std::string_view key,
                                                           std::string_view body) override;

 private:
  storage::SqliteStore& store_;
};

}  // namespace logbucket::s3
