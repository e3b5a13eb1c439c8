// FileSpool: the durable spool of access-log records, append-only files under one directory.
//
// Each source bucket has at most one active segment, "<bucket>.active". An entry is one line that
// carries everything delivery needs, independent of later configuration changes (target, prefix,
// key format, date source, source account and region, event time, the formatted record). Encoded
// entries never contain '\n' or NUL.
// Write protocol: the active segment is a file whose blocks are reserved with posix_fallocate in
// growing steps (so a store into it never needs an allocation on a full disk) and that is mapped
// MAP_SHARED once, at its maximum size. An append reserves a slot [offset, offset + size) with a
// compare-and-swap on the segment's used size, copies the entry without its final '\n' into the
// mapping, and stores the '\n' last; no system call (but one posix_fallocate per growth step), no
// exclusive lock. Once Append returns, the record is in the page cache and survives a kill -9 of
// the process (no fsync, so not necessarily a power loss). The file beyond what was written is
// zero-filled, and a slot whose writer died keeps a NUL in its last byte. Reading (Open,
// ReadSegment) therefore splits the file on '\n' and takes, in each piece, the bytes after its last
// NUL (NULs before them are slots of writers that died, whose requests were never acknowledged); a
// last piece without '\n' is ignored. Open() seals active segments left by a crash, cut after their
// last '\n'. Sealing waits for the appends in flight, truncates the file to its used size, unmaps
// it and renames it to "<sequence>-<seal time ms>-<bucket>.sealed": a normally sealed segment holds
// only complete lines. Sealed segments are immutable and their name is what delivery derives object
// keys from. A segment that reaches kSegmentMaxBytes is sealed by the append that finds it full
// (seal time: that entry's event time). Next to a sealed segment, "<name>.done" lists the log
// objects already written from it, so a partly delivered segment resumes where it stopped.
// Bucket names become file names only when they are plain DNS-style names (see
// IsSpoolableBucketName); records of other buckets are refused.
// The total size is bounded (max_bytes): beyond it records are dropped and counted per bucket, as
// are records that cannot be stored (the disk is full).
// Memory: each growth step releases the segment's earlier pages from the mapping (they stay in
// the page cache), so a busy active segment adds about kSegmentGrowthBytes to the resident set.
//
// Thread-safety: Append and Seal may be called concurrently from any thread; appends of any
// buckets run in parallel (a shared lock, atomics); sealing, creating an active segment (a
// bucket's first record after a seal) and Reset take the lock exclusively. The reading side
// (ListSealed, ReadSegment, MarkDone, Forget) is meant for one delivery at a time, which the
// caller serializes; it never touches active segments, so it runs concurrently with Append.
#pragma once

#include <pthread.h>

#include <atomic>
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

#include "logging/file_spool_entry.h"

namespace logbucket::logging {

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

// Largest active segment, and how its disk blocks are reserved: first kSegmentFirstBytes, then
// doubling up to steps of kSegmentGrowthBytes (so that a quiet bucket holds little disk).
inline constexpr uint64_t kSegmentMaxBytes = uint64_t{8} << 20;
inline constexpr uint64_t kSegmentFirstBytes = uint64_t{16} << 10;
inline constexpr uint64_t kSegmentGrowthBytes = uint64_t{256} << 10;

// A reader-writer lock whose waiting writer holds off new readers, so that sealing is never
// starved by a steady stream of appends (std::shared_mutex prefers readers on glibc). Readers
// must not lock it recursively.
class WriterPreferringMutex {
 public:
  WriterPreferringMutex();
  ~WriterPreferringMutex();
  WriterPreferringMutex(const WriterPreferringMutex&) = delete;
  WriterPreferringMutex& operator=(const WriterPreferringMutex&) = delete;
  void lock();
  void unlock();
  void lock_shared();
  void unlock_shared();

 private:
  pthread_rwlock_t lock_;
};

class FileSpool {
 public:
  FileSpool(std::filesystem::path dir, uint64_t max_bytes);
  ~FileSpool();  // closes active segments; does not seal them
  FileSpool(const FileSpool&) = delete;
  FileSpool& operator=(const FileSpool&) = delete;

  // Creates the directory, seals active segments left by a previous run (seal time `now`) and
  // counts what is pending. Must be called once before any other method.
  std::expected<void, std::string> Open(std::chrono::system_clock::time_point now);

  // Appends one entry to `source_bucket`'s active segment (a copy into its mapping; a system call
  // only when the segment is created, grows, or is full and sealed).
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
  struct BucketState;
  enum class Reserve { kReserved, kFull, kFailed };

  // Requires mu_ held shared. nullptr when the bucket has no state yet.
  BucketState* FindBucket(std::string_view bucket) const;
  // Requires mu_ held exclusively.
  BucketState& BucketLocked(const std::string& bucket);
  std::expected<void, std::string> OpenActiveLocked(const std::string& bucket, BucketState& state);
  Reserve ReserveSlot(ActiveSegment& segment, uint64_t size, uint64_t& offset, int& error);
  void SealLocked(BucketState& state, const std::string& bucket,
                  std::chrono::system_clock::time_point now);
  void RenameToSealedLocked(const std::filesystem::path& path, const std::string& bucket,
                            std::chrono::system_clock::time_point now);
  uint64_t NextSequenceLocked();
  void CountDrop(BucketState& state, const std::string& bucket, std::string_view reason);

  const std::filesystem::path dir_;
  const uint64_t max_bytes_;

  // Held shared by every append for its whole duration and exclusively to add a bucket, to create,
  // seal or close an active segment, and by Reset. Guards the structure of buckets_, each
  // BucketState::active, and next_sequence_ (changed by sealing only). The counters are atomics.
  mutable WriterPreferringMutex mu_;
  std::map<std::string, std::unique_ptr<BucketState>, std::less<>> buckets_;
  std::atomic<uint64_t> total_bytes_{0};
  uint64_t next_sequence_ = 1;
  std::atomic<int64_t> last_drop_warning_ticks_{0};  // steady_clock ticks; 0: never warned
};

}  // namespace logbucket::logging
