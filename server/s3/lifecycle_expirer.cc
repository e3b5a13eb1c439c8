#include "server/s3/lifecycle_expirer.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "server/s3/checksum.h"
#include "server/s3/lifecycle_rules.h"
#include "server/s3/versions.h"
#include "server/s3/xml/lifecycle_xml.h"
#include "server/s3/xml/xml_common.h"

namespace logbucket::s3 {
namespace {

constexpr std::string_view kLifecycleSetting = "lifecycle";
constexpr size_t kPageSize = 1000;

std::mt19937_64& Engine() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return engine;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string IsoOrNull(int64_t ms) { return ms == 0 ? "" : xml::FormatIso8601(ms); }

}  // namespace

LifecycleExpirer::LifecycleExpirer(storage::SqliteStore& store,
                                   logging::AccessLogSink& access_log,
                                   LifecycleExpirerOptions options)
    : store_(store), access_log_(access_log), options_(std::move(options)) {}

LifecycleExpirer::~LifecycleExpirer() { Stop(); }

int64_t LifecycleExpirer::interval_ms() const {
  return std::clamp<int64_t>(options_.day_ms / 10, 1'000, 3'600'000);
}

void LifecycleExpirer::Record(const storage::BucketRecord& bucket, std::string_view operation,
                              const std::string& key, const std::string& version_id,
                              int64_t now_ms) {
  if (!access_log_.IsEnabled(bucket.name)) return;
  logging::AccessLogRecord r;
  r.bucket_owner = options_.canonical_id_of ? options_.canonical_id_of(bucket.owner_account_id)
                                            : std::string();
  r.bucket = bucket.name;
  r.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(now_ms));
  // Amazon's lifecycle records: the service itself is the requester; there is no client, request
  // line, status or header (fields logged as a bare "-"), and the key is the decoded key.
  r.requester = "AmazonS3";
  r.request_id = fmt::format("{:016X}", Engine()());
  std::string host_id(56, '\0');
  for (char& c : host_id) c = static_cast<char>(Engine()());
  r.host_id = Base64Encode(host_id);
  r.operation = std::string(operation);
  r.key = key;
  r.request_uri = std::nullopt;
  r.referer = std::nullopt;
  r.user_agent = std::nullopt;
  r.version_id = version_id;
  access_log_.Submit(r);
}

void LifecycleExpirer::RunBucket(const std::string& bucket_name, const std::string& document,
                                 int64_t now_ms, LifecycleRunStats& stats) {
  auto problem = [&](std::string what) {
    spdlog::warn("lifecycle of bucket {}: {}", bucket_name, what);
    stats.problems.push_back(bucket_name + ": " + std::move(what));
  };
  auto config = xml::ParseLifecycleConfiguration(document);
  if (!config) return problem("stored configuration does not parse: " + config.error().message);
  auto bucket = store_.GetBucket(bucket_name);
  if (!bucket) return;  // deleted meanwhile
  const bool versioned = !bucket->versioning.empty();
  const int64_t day = options_.day_ms;
  bool wants_current = false, wants_noncurrent = false, wants_uploads = false;
  for (const LifecycleRule& rule : config->rules) {
    if (!rule.enabled) continue;
    if (rule.expiration) wants_current = true;
    if (rule.noncurrent_expiration) wants_noncurrent = true;
    if (rule.abort_days_after_initiation) wants_uploads = true;
  }

  // 1. Current objects: Expiration (Days or Date).
  if (wants_current) {
    std::string cursor;
    while (true) {
      auto page = store_.ListObjects(bucket_name, "", cursor, kPageSize);
      if (!page) return problem("listing objects: " + page.error().message);
      for (const storage::ObjectRecord& o : page->objects) {
        cursor = o.key;
        auto due = CurrentVersionExpiration(*config, o.key, o.size, {}, o.last_modified_ms, day);
        if (!IsDue(due, now_ms)) continue;
        storage::DeleteOptions options;
        options.owner_account_id = bucket->owner_account_id;
        // Not if rewritten since listed.
        options.modified_at_most = o.last_modified_ms;
        options.expected_etag = o.etag;
        options.expected_version_id = o.version_id;
        auto outcome = store_.DeleteObject(bucket_name, o.key, options);
        if (!outcome) return problem("expiring " + o.key + ": " + outcome.error().message);
        if (outcome->delete_marker) {
          ++stats.delete_markers_created;
          Record(*bucket, "S3.CREATE.DELETEMARKER", o.key, WireVersionId(outcome->version_id),
                 now_ms);
        } else if (outcome->removed) {
          ++stats.expired_objects;
          Record(*bucket, "S3.EXPIRE.OBJECT", o.key, "", now_ms);
        }
      }
      if (!page->truncated) break;
    }
  }

  // 2. Versions: NoncurrentVersionExpiration, and expired object delete markers. Pages end on a
  //    key boundary (a partial last key is listed again with the next page) so that the ranks
  //    of a key's noncurrent versions are known.
  if (versioned && (wants_noncurrent || wants_current)) {
    std::string key_marker;
    size_t page_size = kPageSize;
    while (true) {
      auto page = store_.ListVersions(bucket_name, "", key_marker, std::nullopt, page_size);
      if (!page) return problem("listing versions: " + page.error().message);
      std::vector<storage::VersionEntry>& entries = page->versions;
      size_t end = entries.size();
      if (page->truncated) {
        const std::string& last_key = entries.back().record.key;
        while (end > 0 && entries[end - 1].record.key == last_key) --end;
        if (end == 0) {  // one key fills the page: list it whole
          page_size *= 2;
          continue;
        }
      }
      for (size_t begin = 0; begin < end;) {
        size_t stop = begin;
        while (stop < end && entries[stop].record.key == entries[begin].record.key) ++stop;
        const std::string& key = entries[begin].record.key;
        size_t remaining = stop - begin;
        int64_t rank = 0;
        for (size_t i = begin; i < stop; ++i) {
          const storage::VersionEntry& v = entries[i];
          if (v.is_latest) continue;
          ++rank;
          auto due = NoncurrentVersionExpiration(*config, key, v.record.size, {},
                                                 v.noncurrent_since_ms, rank, day);
          if (!IsDue(due, now_ms)) continue;
          auto outcome = store_.DeleteVersion(bucket_name, key, v.record.version_id,
                                              /*only_if_noncurrent=*/true);
          if (!outcome) return problem("expiring a version of " + key + ": " + outcome.error().message);
          if (outcome->removed || outcome->delete_marker) {
            ++stats.noncurrent_removed;
            --remaining;
            Record(*bucket, "S3.EXPIRE.OBJECT", key, WireVersionId(v.record.version_id), now_ms);
          }
        }
        const storage::VersionEntry& latest = entries[begin];
        if (latest.is_latest && latest.record.delete_marker && remaining == 1) {
          auto due = ExpiredDeleteMarkerRemoval(*config, key, latest.record.last_modified_ms, day);
          if (IsDue(due, now_ms)) {
            auto outcome = store_.DeleteVersion(bucket_name, key, latest.record.version_id);
            if (!outcome) return problem("removing the delete marker of " + key + ": " + outcome.error().message);
            if (outcome->delete_marker) {
              ++stats.markers_removed;
              Record(*bucket, "S3.EXPIRE.OBJECT", key, WireVersionId(latest.record.version_id),
                     now_ms);
            }
          }
        }
        key_marker = key;
        begin = stop;
      }
      if (!page->truncated) break;
      page_size = kPageSize;
    }
  }

  // 3. Incomplete multipart uploads: found first, aborted after (aborting changes the listing).
  if (wants_uploads) {
    std::vector<storage::UploadRecord> due_uploads;
    std::string key_marker, id_marker;
    while (true) {
      auto page = store_.ListUploads(bucket_name, "", key_marker, id_marker, kPageSize);
      if (!page) return problem("listing uploads: " + page.error().message);
      for (storage::UploadRecord& u : page->uploads) {
        key_marker = u.key;
        id_marker = u.upload_id;
        if (IsDue(IncompleteUploadAbort(*config, u.key, u.initiated_ms, day), now_ms)) {
          due_uploads.push_back(std::move(u));
        }
      }
      if (!page->truncated) break;
    }
    for (const storage::UploadRecord& u : due_uploads) {
      auto aborted = store_.AbortUpload(u.upload_id);
      if (!aborted) {
        if (aborted.error().code == storage::ErrorCode::kUploadNotFound) continue;  // completed
        return problem("aborting upload of " + u.key + ": " + aborted.error().message);
      }
      ++stats.uploads_aborted;
      Record(*bucket, "S3.DELETE.UPLOAD", u.key, "", now_ms);
    }
  }
}

LifecycleRunStats LifecycleExpirer::RunOnce(int64_t now_ms) {
  LifecycleRunStats stats;
  auto configured = store_.ListBucketSettings(kLifecycleSetting);
  if (!configured) {
    stats.problems.push_back("listing lifecycle configurations: " + configured.error().message);
  } else {
    for (const auto& [bucket, document] : *configured) {
      {
        std::lock_guard lock(mu_);
        if (stopping_) break;
      }
      RunBucket(bucket, document, now_ms, stats);
    }
  }
  std::lock_guard lock(mu_);
  ++runs_;
  last_run_ms_ = now_ms;
  totals_.expired_objects += stats.expired_objects;
  totals_.delete_markers_created += stats.delete_markers_created;
  totals_.noncurrent_removed += stats.noncurrent_removed;
  totals_.markers_removed += stats.markers_removed;
  totals_.uploads_aborted += stats.uploads_aborted;
  totals_.problems = stats.problems;
  return stats;
}

void LifecycleExpirer::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  running_ = true;
  next_run_ms_ = NowMs() + interval_ms();
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      const auto due = std::chrono::system_clock::time_point(std::chrono::milliseconds(next_run_ms_));
      if (wake_.wait_until(lock, due, [this] { return stopping_; })) break;
      if (NowMs() < next_run_ms_) continue;
      lock.unlock();
      const int64_t now = NowMs();
      LifecycleRunStats stats = RunOnce(now);
      if (stats.actions() > 0) {
        spdlog::info("lifecycle: {} action(s) ({} expired, {} delete marker(s) created, {} "
                     "noncurrent removed, {} marker(s) removed, {} upload(s) aborted)",
                     stats.actions(), stats.expired_objects, stats.delete_markers_created,
                     stats.noncurrent_removed, stats.markers_removed, stats.uploads_aborted);
      }
      lock.lock();
      next_run_ms_ = std::max(next_run_ms_ + interval_ms(), NowMs() + 1);
    }
  });
}

void LifecycleExpirer::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mu_);
  running_ = false;
  stopping_ = false;
}

nlohmann::json LifecycleExpirer::StatusJson() const {
  std::lock_guard lock(mu_);
  nlohmann::json status;
  status["day_seconds"] = static_cast<double>(options_.day_ms) / 1000.0;
  status["interval_ms"] = interval_ms();
  status["next_run"] = running_ ? IsoOrNull(next_run_ms_) : "";
  status["last_run"] = IsoOrNull(last_run_ms_);
  status["runs"] = runs_;
  status["totals"] = {{"expired_objects", totals_.expired_objects},
                      {"delete_markers_created", totals_.delete_markers_created},
                      {"noncurrent_versions_removed", totals_.noncurrent_removed},
                      {"expired_delete_markers_removed", totals_.markers_removed},
                      {"uploads_aborted", totals_.uploads_aborted}};
  status["last_problems"] = totals_.problems;
  return status;
}

}  // namespace logbucket::s3
