// FileSpool: the durable spool of access-log records, append-only files under one directory.
//
// Each source bucket has at most one active segment, "<bucket>.active". An entry is one line that
// carries everything delivery needs, independent of later configuration changes (target, prefix,
// key format, date source, source account and region, event time, the formatted record), and is
// appended with ONE write(2) on an O_APPEND descriptor: once Append returns, the record survives a
// kill -9 of the process (it is in the kernel; no fsync, so not necessarily a power loss).
// Sealing renames the active segment to "<sequence>-<seal time ms>-<bucket>.sealed"; sealed
// segments are immutable and their name is what delivery derives object keys from. Next to a
// sealed segment, "<name>.done" lists the log objects already written from it, so a partly
// delivered segment resumes where it stopped. Open() seals active segments left by a crash; a torn
// last entry (no trailing newline) is ignored.
// Bucket names become file names only when they are plain DNS-style names (see
// IsSpoolableBucketName); records of other buckets are refused.
// The total size is bounded (max_bytes): beyond it records are dropped and counted per bucket.
//
// Thread-safety: Append and Seal may be called concurrently from any thread. The reading side
// (ListSealed, ReadSegment, MarkDone, Forget) is meant for one delivery at a time, which the
// caller serializes; it never touches active segments, so it runs concurrently with Append.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "logging/logging_configuration.h"

namespace logbucket::logging {

struct SpoolEntry {
  std::string target_bucket;
  std::string target_prefix;
  KeyFormat key_format = KeyFormat::kSimplePrefix;
  PartitionDateSource date_source = PartitionDateSource::kEventTime;
  std::string source_account;
  std::string source_region;
  std::chrono::system_clock::time_point event_time;
  std::string line;  // a formatted access-log line; must not contain '\n' or '\r'

  bool operator==(const SpoolEntry&) const = default;
};

// One entry as a spool line (with its '\n') and back. Decoding fails on a malformed line.
std::string EncodeSpoolEntry(const SpoolEntry& entry);
std::optional<SpoolEntry> DecodeSpoolEntry(std::string_view line);

// Whether `bucket` may name a spool file: 1 to 200 bytes of [A-Za-z0-9._-], not starting with '.'.
bool IsSpoolableBucketName(std::string_view bucket);

struct SealedSegment {
  std::filesystem::path path;
  std::string source_bucket;
  uint64_t sequence = 0;
  std::chrono::system_clock::time_point seal_time;  // millisecond precision
};

struct SegmentContents {
  std::vector<SpoolEntry> entries;  // complete entries, in append order
  uint64_t bytes = 0;               // their encoded size
  std::set<std::string> done;       // object ids passed to MarkDone
};

struct SpoolBucketCounters {
  uint64_t pending_records = 0;  // in active and sealed segments not yet forgotten
  uint64_t pending_bytes = 0;
  uint64_t dropped_records = 0;  // refused: spool full, unusable name, write failure
};

enum class AppendResult { kAppended, kDropped };

class FileSpool {
 public:
  FileSpool(std::filesystem::path dir, uint64_t max_bytes);
  ~FileSpool();  // closes active segments; does not seal them
  FileSpool(const FileSpool&) = delete;
  FileSpool& operator=(const FileSpool&) = delete;

  // Creates the directory, seals active segments left by a previous run (seal time `now`) and
  // counts what is pending. Must be called once before any other method.
  std::expected<void, std::string> Open(std::chrono::system_clock::time_point now);

  // Appends one entry to `source_bucket`'s active segment (one write(2)).
  AppendResult Append(const std::string& source_bucket, const SpoolEntry& entry);

  // Seals the active segment of `source_bucket`, or of every bucket; empty ones are removed.
  void Seal(const std::optional<std::string>& source_bucket,
            std::chrono::system_clock::time_point now);

  // Sealed segments (of one bucket or all), oldest sequence first.
  std::vector<SealedSegment> ListSealed(const std::optional<std::string>& source_bucket) const;
  std::expected<SegmentContents, std::string> ReadSegment(const SealedSegment& segment) const;
  // Records that object `object_id` of `segment` was written (one appended line).
  std::expected<void, std::string> MarkDone(const SealedSegment& segment,
                                            std::string_view object_id);
  // Deletes a fully delivered segment and its done list; `contents` is what ReadSegment returned.
  void Forget(const SealedSegment& segment, const SegmentContents& contents);

  std::map<std::string, SpoolBucketCounters> Counters() const;
  uint64_t total_bytes() const;
  // Deletes every segment and zeroes the pending counters (admin reset).
  void Reset();

 private:
  struct ActiveSegment;

  std::expected<std::shared_ptr<ActiveSegment>, std::string> ActiveFor(const std::string& bucket);
  void SealLocked(const std::string& bucket, std::chrono::system_clock::time_point now);
  uint64_t NextSequenceLocked();
  void CountDropLocked(const std::string& bucket, std::string_view reason);

  const std::filesystem::path dir_;
  const uint64_t max_bytes_;

  // Guards active_, counters_, total_bytes_, next_sequence_ and the drop-warning rate limit.
  // Lock order: mu_ before any ActiveSegment::mu.
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<ActiveSegment>> active_;
  std::map<std::string, SpoolBucketCounters> counters_;
  uint64_t total_bytes_ = 0;
  uint64_t next_sequence_ = 1;
  std::chrono::steady_clock::time_point last_drop_warning_{};
};

}  // namespace logbucket::logging
