// LifecycleExpirer: applies the buckets' lifecycle configurations (bucket setting "lifecycle",
// written by PutBucketLifecycleConfiguration) in the background, as S3's lifecycle does:
//   Expiration (Days/Date)          current object: deleted (never-versioned bucket) or a delete
//                                   marker put on top (versioned); logged S3.EXPIRE.OBJECT /
//                                   S3.CREATE.DELETEMARKER
//   ExpiredObjectDeleteMarker       a delete marker that is a key's only version: removed;
//                                   logged S3.EXPIRE.OBJECT
//   NoncurrentVersionExpiration     noncurrent versions (and noncurrent delete markers): removed
//                                   for good; logged S3.EXPIRE.OBJECT with the version id
//   AbortIncompleteMultipartUpload  uploads: aborted; logged S3.DELETE.UPLOAD
// Each action is one access-log record in the source bucket's log (when logging is enabled),
// with Amazon's lifecycle shape: requester AmazonS3, no remote IP, no request line, no status.
// Every delete re-checks under storage's transaction that the version is still the one found
// (an object rewritten meanwhile is not expired).
//
// Rules are evaluated with a configurable "day" (lifecycle.day), and the expirer runs every
// tenth of a day (at least every second, at most every hour).
//
// Thread-safety: RunOnce must not be called concurrently with itself (Start's thread calls it);
// Start/Stop from one thread; StatusJson from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "logging/access_log_sink.h"
#include "storage/sqlite_store.h"

namespace logbucket::s3 {

struct LifecycleExpirerOptions {
  int64_t day_ms = 86'400'000;
  // Canonical id of an account id (the Bucket Owner field of records); "" when unknown.
  std::function<std::string(const std::string& account_id)> canonical_id_of;
};

struct LifecycleRunStats {
  uint64_t expired_objects = 0;        // deleted current objects (never-versioned buckets)
  uint64_t delete_markers_created = 0;  // expirations in versioned buckets
  uint64_t noncurrent_removed = 0;     // noncurrent versions and delete markers removed
  uint64_t markers_removed = 0;        // expired object delete markers removed
  uint64_t uploads_aborted = 0;
  std::vector<std::string> problems;   // buckets whose configuration or storage failed

  uint64_t actions() const {
    return expired_objects + delete_markers_created + noncurrent_removed + markers_removed +
           uploads_aborted;
  }
};

class LifecycleExpirer {
 public:
  LifecycleExpirer(storage::SqliteStore& store, logging::AccessLogSink& access_log,
                   LifecycleExpirerOptions options);
  ~LifecycleExpirer();
  LifecycleExpirer(const LifecycleExpirer&) = delete;
  LifecycleExpirer& operator=(const LifecycleExpirer&) = delete;

  // One pass over every bucket with a lifecycle configuration, as of `now_ms`.
  LifecycleRunStats RunOnce(int64_t now_ms);

  // Runs RunOnce every interval() on a thread of its own until Stop().
  void Start();
  void Stop();
  int64_t interval_ms() const;

  // {"day_seconds", "interval_ms", "next_run", "last_run", "runs", "totals": {...},
  //  "last_problems": [...]}
  nlohmann::json StatusJson() const;

 private:
  void RunBucket(const std::string& bucket, const std::string& document, int64_t now_ms,
                 LifecycleRunStats& stats);
  void Record(const storage::BucketRecord& bucket, std::string_view operation,
              const std::string& key, const std::string& version_id, int64_t now_ms);

  storage::SqliteStore& store_;
  logging::AccessLogSink& access_log_;
  const LifecycleExpirerOptions options_;

  mutable std::mutex mu_;  // guards everything below
  std::condition_variable wake_;
  bool stopping_ = false;
  bool running_ = false;  // between Start and Stop (what StatusJson reads instead of thread_)
  std::thread thread_;
  int64_t next_run_ms_ = 0;
  int64_t last_run_ms_ = 0;
  uint64_t runs_ = 0;
  LifecycleRunStats totals_;
};

}  // namespace logbucket::s3
