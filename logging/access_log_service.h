// AccessLogService: the server access logging pipeline behind one facade.
//
//   registry   which source buckets log, where to (LoggingConfiguration per source bucket)
//   Submit()   formats a record (FormatAccessLogLine) and appends the line to the durable spool
//              (append-only segment files under spool_dir, one active segment per source
//              bucket); it never waits for a delivery
//   delivery   at every interval boundary (flush_interval, aligned to the epoch), on Flush(),
//              and at Stop(): seals segments and writes one log object per source bucket and
//              target (split under max_object_bytes) through the LogObjectWriter port, named as
//              Amazon names them. A sealed segment maps to deterministic object keys, so a crash
//              between writing an object and deleting the segment neither loses nor duplicates.
//   problems   a missing or non-permitting target keeps the records pending and is reported
//              (warning, counters, StatusJson()); a full spool drops and counts records.
//
// Thread-safety: every public method may be called from any thread. `writer` and `clock` must
// outlive the service.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "logging/access_log_record.h"
#include "logging/access_log_sink.h"
#include "logging/clock.h"
#include "logging/log_object_writer.h"
#include "logging/logging_configuration.h"

namespace logbucket::logging {

struct AccessLogOptions {
  std::filesystem::path spool_dir;                   // e.g. <data_dir>/logspool
  std::chrono::milliseconds flush_interval = std::chrono::hours(1);
  bool strict_permissions = false;   // true: like Amazon, no delivery without permission
  bool source_region_field = false;  // true: append Amazon's newer 27th field
  uint64_t max_object_bytes = 64ull << 20;  // a log object is split beyond this size
  uint64_t spool_max_bytes = 1ull << 30;    // beyond this, records are dropped and counted
};


struct FlushResult {
  std::vector<std::string> keys_written;  // "target-bucket/key" of each log object written
  std::vector<std::string> problems;      // one line per group that stayed pending, with reason
};

class AccessLogService final : public AccessLogSink {
 public:
  AccessLogService(AccessLogOptions options, LogObjectWriter& writer, const Clock& clock);
  ~AccessLogService();  // calls Stop()
  AccessLogService(const AccessLogService&) = delete;
  AccessLogService& operator=(const AccessLogService&) = delete;

  // Creates spool_dir if needed and recovers segments left by a previous run (they are sealed
  // and delivered at the next delivery). Error text names the path when it is unusable.
  std::expected<void, std::string> Open();
  // Starts the scheduler thread. Requires Open().
  void Start();
  // Stops the scheduler and delivers everything pending (shutdown). Idempotent.
  void Stop();

  // --- Registry ------------------------------------------------------------------------------
  // Enables (config) or disables (nullopt) logging of `source_bucket`. Records already spooled
  // keep the target they were recorded with.
  void SetConfiguration(const std::string& source_bucket, const SourceBucketInfo& info,
                        std::optional<LoggingConfiguration> config);
  std::optional<LoggingConfiguration> GetConfiguration(const std::string& source_bucket) const;
  bool IsEnabled(const std::string& source_bucket) const override;
  // The logging loop that `source_bucket` -> `target_bucket` would close given the current
  // registry: the buckets in order, first == last == source_bucket ("a", "b", "a"); empty when
  // there is none. A target equal to the source is the loop {source, source}.
  std::vector<std::string> FindLoop(const std::string& source_bucket,
                                    const std::string& target_bucket) const;

  // --- Records -------------------------------------------------------------------------------
  // Formats and spools the record when record.bucket has logging enabled; otherwise no-op.
  void Submit(const AccessLogRecord& record) override;
  void SubmitAs(const AccessLogRecord& record, const LoggingRegistration& registration) override;

  // --- Delivery ------------------------------------------------------------------------------
  // Delivers now: every source bucket, or only `source_bucket`.
  FlushResult Flush(const std::optional<std::string>& source_bucket = std::nullopt);
  // One scheduler step: delivers when `now` has reached the next interval boundary. The
  // scheduler thread calls this; tests call it with a fake clock.
  void Tick();
  std::chrono::system_clock::time_point next_delivery() const;

  // --- Admin ---------------------------------------------------------------------------------
  // {"buckets": {src: {target, prefix, pending_records, pending_bytes, dropped_records}},
  //  "targets": {tgt: {last_delivery, last_key, objects_delivered, problem}}, "next_delivery"...}
  nlohmann::json StatusJson() const;
  // Drops every configuration and pending record (admin reset).
  void Reset();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace logbucket::logging
