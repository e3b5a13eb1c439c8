#include "logging/file_spool.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <iterator>
#include <shared_mutex>
#include <system_error>

#include "logging/diagnostics.h"

namespace logbucket::logging {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kActiveSuffix = ".active";
constexpr std::string_view kSealedSuffix = ".sealed";
constexpr std::string_view kDoneSuffix = ".done";
constexpr std::string_view kSequenceFile = "sequence";
constexpr auto kDropWarningInterval = std::chrono::seconds(10);
// madvise(2) advice to map pages writable ahead of use (Linux 5.14; older headers lack the name).
#ifdef MADV_POPULATE_WRITE
constexpr int kMadvPopulateWrite = MADV_POPULATE_WRITE;
#else
constexpr int kMadvPopulateWrite = 23;
#endif

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// "<sequence>-<seal ms>-<bucket>.sealed"
std::optional<SealedSegment> ParseSealedName(const fs::path& path) {
  const std::string name = path.filename().string();
  if (!EndsWith(name, kSealedSuffix)) {
    return std::nullopt;
  }
  const std::string_view stem =
      std::string_view(name).substr(0, name.size() - kSealedSuffix.size());
  const std::size_t first = stem.find('-');
  if (first == std::string_view::npos) {
    return std::nullopt;
  }
  const std::size_t second = stem.find('-', first + 1);
  if (second == std::string_view::npos) {
    return std::nullopt;
  }
  const auto sequence = ParseInt<uint64_t>(stem.substr(0, first));
  const auto millis = ParseInt<int64_t>(stem.substr(first + 1, second - first - 1));
  const std::string_view bucket = stem.substr(second + 1);
  const auto seal_time = millis ? TimeFromMillis(*millis) : std::nullopt;
  if (!sequence || !seal_time || !IsSpoolableBucketName(bucket)) {
    return std::nullopt;
  }
  return SealedSegment{path, std::string(bucket), *sequence, *seal_time};
}

fs::path DonePath(const SealedSegment& segment) {
  fs::path done = segment.path;
  done += std::string(kDoneSuffix);
  return done;
}

// One write(2) of the whole buffer; false when it was not written whole.
bool WriteOnce(int fd, std::string_view data) {
  ssize_t n;
  do {
    n = ::write(fd, data.data(), data.size());
  } while (n < 0 && errno == EINTR);
  return n == static_cast<ssize_t>(data.size());
}

std::optional<std::string> ReadWholeFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) {
    return std::nullopt;
  }
  return text;
}

// Calls on_line with each complete entry of a segment's bytes, without its '\n': the bytes
// after the last NUL of each '\n'-terminated piece (NULs mark slots whose writer died before
// storing its '\n'); a last piece without '\n' (torn, or the zero-filled tail) is ignored.
template <typename OnLine>
void ForEachCompleteLine(std::string_view content, OnLine&& on_line) {
  std::size_t start = 0;
  while (start < content.size()) {
    const std::size_t newline = content.find('\n', start);
    if (newline == std::string_view::npos) {
      return;
    }
    std::string_view piece = content.substr(start, newline - start);
    if (const std::size_t nul = piece.rfind('\0'); nul != std::string_view::npos) {
      piece.remove_prefix(nul + 1);
    }
    on_line(piece);
    start = newline + 1;
  }
}

void SaturatingSub(std::atomic<uint64_t>& value, uint64_t amount) {
  uint64_t current = value.load(std::memory_order_relaxed);
  while (!value.compare_exchange_weak(current, current - std::min(current, amount),
                                      std::memory_order_relaxed)) {
  }
}

uint64_t RoundUp(uint64_t value, uint64_t step) { return (value + step - 1) / step * step; }

}  // namespace

WriterPreferringMutex::WriterPreferringMutex() {
  pthread_rwlockattr_t attr;
  pthread_rwlockattr_init(&attr);
  pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
  pthread_rwlock_init(&lock_, &attr);
  pthread_rwlockattr_destroy(&attr);
}

WriterPreferringMutex::~WriterPreferringMutex() { pthread_rwlock_destroy(&lock_); }
void WriterPreferringMutex::lock() { pthread_rwlock_wrlock(&lock_); }
void WriterPreferringMutex::unlock() { pthread_rwlock_unlock(&lock_); }
void WriterPreferringMutex::lock_shared() { pthread_rwlock_rdlock(&lock_); }
void WriterPreferringMutex::unlock_shared() { pthread_rwlock_unlock(&lock_); }

// An active segment: `fd` mapped at `base` for kSegmentMaxBytes; [0, allocated) has disk blocks,
// [0, used) is reserved by appenders. Created, sealed and closed under FileSpool::mu_ held
// exclusively; appenders (mu_ held shared) touch only the atomics, grow_mu and their own slots.
struct FileSpool::ActiveSegment {
  fs::path path;
  int fd = -1;
  char* base = nullptr;
  std::atomic<uint64_t> used{0};       // never above allocated
  std::atomic<uint64_t> allocated{0};  // grows under grow_mu (see kSegmentFirstBytes)
  std::mutex grow_mu;                  // one posix_fallocate at a time; guards released
  uint64_t released = 0;               // [0, released) was dropped from the mapping

  ~ActiveSegment() {
    if (base != nullptr) {
      ::munmap(base, kSegmentMaxBytes);
    }
    if (fd >= 0) {
      ::close(fd);
    }
  }
};

// Per source bucket; never removed while the spool exists, so appenders keep a plain pointer
// while they hold mu_ shared.
struct FileSpool::BucketState {
  std::unique_ptr<ActiveSegment> active;  // guarded by mu_ (replaced only when held exclusively)
  std::atomic<uint64_t> pending_records{0};
  std::atomic<uint64_t> pending_bytes{0};
  std::atomic<uint64_t> dropped_records{0};
};

FileSpool::FileSpool(fs::path dir, uint64_t max_bytes)
    : dir_(std::move(dir)), max_bytes_(max_bytes) {}

FileSpool::~FileSpool() {
  std::unique_lock lock(mu_);
  for (auto& [bucket, state] : buckets_) {
    if (const ActiveSegment* segment = state->active.get();
        segment != nullptr &&
        ::ftruncate(segment->fd, static_cast<off_t>(segment->used.load())) != 0) {
      // Harmless: the next Open ignores the zero-filled tail.
      Diagnostics().warn("cannot trim {}: {}", segment->path.string(), std::strerror(errno));
    }
    state->active.reset();
  }
}

std::expected<void, std::string> FileSpool::Open(std::chrono::system_clock::time_point now) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec || !fs::is_directory(dir_)) {
    return std::unexpected(fmt::format("spool directory {} is unusable: {}", dir_.string(),
                                       ec ? ec.message() : "not a directory"));
  }
  if (::access(dir_.c_str(), W_OK | X_OK) != 0) {
    return std::unexpected(
        fmt::format("spool directory {} is not writable: {}", dir_.string(), std::strerror(errno)));
  }
  std::unique_lock lock(mu_);
  if (std::ifstream in(dir_ / kSequenceFile); in) {
    std::string text;
    std::getline(in, text);
    if (auto value = ParseInt<uint64_t>(text)) {
      next_sequence_ = std::max<uint64_t>(*value, 1);
    }
  }
  std::vector<fs::path> leftovers;
  for (const auto& item : fs::directory_iterator(dir_, ec)) {
    const std::string name = item.path().filename().string();
    if (EndsWith(name, kActiveSuffix)) {
      leftovers.push_back(item.path());
    }
    if (auto sealed = ParseSealedName(item.path())) {
      next_sequence_ = std::max(next_sequence_, sealed->sequence + 1);
    }
    std::error_code ignored;
    if (EndsWith(name, ".tmp")) {
      fs::remove(item.path(), ignored);
    }
  }
  if (ec) {
    return std::unexpected(
        fmt::format("cannot list spool directory {}: {}", dir_.string(), ec.message()));
  }
  // Active segments of a previous run: cut after their last complete line (the rest is a torn
  // entry or the zero-filled tail), then sealed now and delivered at the next delivery.
  for (const fs::path& path : leftovers) {
    const std::string name = path.filename().string();
    const std::string bucket = name.substr(0, name.size() - kActiveSuffix.size());
    if (!IsSpoolableBucketName(bucket)) {
      Diagnostics().warn("ignoring unexpected spool file {}", path.string());
      continue;
    }
    if (const auto content = ReadWholeFile(path)) {
      const std::size_t last_newline = content->rfind('\n');
      const uint64_t keep = last_newline == std::string::npos ? 0 : last_newline + 1;
      if (keep == 0) {
        fs::remove(path, ec);
        continue;
      }
      if (keep < content->size()) {
        fs::resize_file(path, keep, ec);  // on failure, reading still ignores the tail
      }
    }
    RenameToSealedLocked(path, bucket, now);
  }
  const auto sealed = ListSealed(std::nullopt);
  std::set<fs::path> live;
  for (const SealedSegment& segment : sealed) {
    live.insert(DonePath(segment));
    auto contents = ReadSegment(segment);
    if (!contents) {
      return std::unexpected(contents.error());
    }
    BucketState& state = BucketLocked(segment.source_bucket);
    state.pending_records += contents->entries.size();
    state.pending_bytes += contents->bytes;
    total_bytes_ += contents->bytes;
  }
  // A done list whose segment is gone was left by a crash inside Forget.
  for (const auto& item : fs::directory_iterator(dir_, ec)) {
    if (EndsWith(item.path().filename().string(), kDoneSuffix) && !live.contains(item.path())) {
      fs::remove(item.path(), ec);
    }
  }
  return {};
}

FileSpool::BucketState* FileSpool::FindBucket(std::string_view bucket) const {
  const auto it = buckets_.find(bucket);
  return it == buckets_.end() ? nullptr : it->second.get();
}

FileSpool::BucketState& FileSpool::BucketLocked(const std::string& bucket) {
  auto& state = buckets_[bucket];
  if (!state) {
    state = std::make_unique<BucketState>();
  }
  return *state;
}

std::expected<void, std::string> FileSpool::OpenActiveLocked(const std::string& bucket,
                                                             BucketState& state) {
  auto segment = std::make_unique<ActiveSegment>();
  segment->path = dir_ / (bucket + std::string(kActiveSuffix));
  // An existing file is one whose sealing failed to rename it: appends continue after it.
  segment->fd = ::open(segment->path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (segment->fd < 0) {
    return std::unexpected(fmt::format("cannot open spool segment {}: {}", segment->path.string(),
                                       std::strerror(errno)));
  }
  struct stat st {};
  if (::fstat(segment->fd, &st) != 0) {
    return std::unexpected(
        fmt::format("cannot stat {}: {}", segment->path.string(), std::strerror(errno)));
  }
  void* base =
      ::mmap(nullptr, kSegmentMaxBytes, PROT_READ | PROT_WRITE, MAP_SHARED, segment->fd, 0);
  if (base == MAP_FAILED) {
    return std::unexpected(
        fmt::format("cannot map {}: {}", segment->path.string(), std::strerror(errno)));
  }
  segment->base = static_cast<char*>(base);
  segment->used = static_cast<uint64_t>(st.st_size);
  segment->allocated = static_cast<uint64_t>(st.st_size);
  state.active = std::move(segment);
  return {};
}

void FileSpool::CountDrop(BucketState& state, const std::string& bucket, std::string_view reason) {
  const uint64_t dropped = state.dropped_records.fetch_add(1, std::memory_order_relaxed) + 1;
  const int64_t now = std::chrono::steady_clock::now().time_since_epoch().count();
  int64_t last = last_drop_warning_ticks_.load(std::memory_order_relaxed);
  const int64_t interval =
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(kDropWarningInterval).count();
  if ((last == 0 || now - last >= interval) &&
      last_drop_warning_ticks_.compare_exchange_strong(last, now, std::memory_order_relaxed)) {
    Diagnostics().warn("access-log record of bucket {} dropped ({}); {} dropped for it so far",
                       bucket, reason, dropped);
  }
}

FileSpool::Reserve FileSpool::ReserveSlot(ActiveSegment& segment, uint64_t size, uint64_t& offset,
                                          int& error) {
  uint64_t used = segment.used.load(std::memory_order_relaxed);
  for (;;) {
    const uint64_t end = used + size;
    if (end > segment.allocated.load(std::memory_order_acquire)) {
      if (end > kSegmentMaxBytes) {
        return Reserve::kFull;
      }
      std::lock_guard grow_lock(segment.grow_mu);
      const uint64_t allocated = segment.allocated.load(std::memory_order_relaxed);
      if (end > allocated) {
        const uint64_t step = std::clamp(allocated, kSegmentFirstBytes, kSegmentGrowthBytes);
        const uint64_t target = std::min(kSegmentMaxBytes, RoundUp(end, step));
        // Real blocks, not a sparse size: a store into an unbacked page of a full disk would kill
        // the server with SIGBUS. On failure nothing is reserved and no slot is touched (the file
        // may have grown, zero-filled: readers ignore that).
        if (const int rc = ::posix_fallocate(segment.fd, static_cast<off_t>(allocated),
                                             static_cast<off_t>(target - allocated));
            rc != 0) {
          error = rc;
          return Reserve::kFailed;
        }
        // The pages written so far leave the mapping (and the resident set) but stay in the page
        // cache; an appender still copying into one of them faults it back in.
        ::madvise(segment.base + segment.released, allocated - segment.released, MADV_DONTNEED);
        segment.released = allocated;
        // The new step's pages mapped writable now, in one call, rather than by a page fault
        // (and the filesystem's page_mkwrite) in the appends that first touch each of them: that
        // was most of an append's cost. Best effort: before Linux 5.14 the appends fault them in.
        ::madvise(segment.base + allocated, target - allocated, kMadvPopulateWrite);
        segment.allocated.store(target, std::memory_order_release);
      }
      used = segment.used.load(std::memory_order_relaxed);
      continue;
    }
    if (segment.used.compare_exchange_weak(used, end, std::memory_order_relaxed)) {
      offset = used;
      return Reserve::kReserved;
    }
  }
}

AppendResult FileSpool::Append(const std::string& source_bucket, const SpoolEntry& entry) {
  // Reused by each thread: no allocation per record once it has grown.
  thread_local std::string encoded;
  encoded.clear();
  std::string failure;
  if (!IsSpoolableBucketName(source_bucket) || !IsSpoolableLine(entry.line)) {
    failure = "bucket name or record not spoolable";
  } else if (AppendSpoolEntry(encoded, entry); encoded.size() > kSegmentMaxBytes) {
    failure = "record larger than a spool segment";
  }
  const uint64_t size = encoded.size();
  while (failure.empty()) {
    {
      std::shared_lock lock(mu_);
      BucketState* state = FindBucket(source_bucket);
      if (state != nullptr && state->active) {
        ActiveSegment& segment = *state->active;
        // Reserved before the copy so that concurrent appenders cannot overshoot the bound.
        uint64_t total = total_bytes_.load(std::memory_order_relaxed);
        do {
          if (total + size > max_bytes_) {
            CountDrop(*state, source_bucket, "spool full");
            return AppendResult::kDropped;
          }
        } while (
            !total_bytes_.compare_exchange_weak(total, total + size, std::memory_order_relaxed));
        uint64_t offset = 0;
        int error = 0;
        const Reserve reserved = ReserveSlot(segment, size, offset, error);
        if (reserved == Reserve::kReserved) {
          char* slot = segment.base + offset;
          std::memcpy(slot, encoded.data(), size - 1);
          // The '\n' last: a slot without it is one whose writer died (see file_spool.h).
          std::atomic_ref<char>(slot[size - 1]).store('\n', std::memory_order_release);
          state->pending_records.fetch_add(1, std::memory_order_relaxed);
          state->pending_bytes.fetch_add(size, std::memory_order_relaxed);
          return AppendResult::kAppended;
        }
        SaturatingSub(total_bytes_, size);
        if (reserved == Reserve::kFailed) {
          failure = fmt::format("cannot reserve space in {}: {}", segment.path.string(),
                                std::strerror(error));
          break;
        }
        // Full: sealed below, under the exclusive lock, then the entry goes to a new segment.
      }
    }
    std::unique_lock lock(mu_);
    BucketState& state = BucketLocked(source_bucket);
    if (state.active && state.active->used.load() + size > kSegmentMaxBytes) {
      // The segment's whole content is older than this entry.
      SealLocked(state, source_bucket, entry.event_time);
    }
    if (!state.active) {
      if (auto opened = OpenActiveLocked(source_bucket, state); !opened) {
        failure = opened.error();
      }
    }
  }
  std::shared_lock lock(mu_);
  BucketState* state = FindBucket(source_bucket);
  if (state == nullptr) {
    lock.unlock();
    std::unique_lock exclusive(mu_);
    CountDrop(BucketLocked(source_bucket), source_bucket, failure);
  } else {
    CountDrop(*state, source_bucket, failure);
  }
  return AppendResult::kDropped;
}

void FileSpool::Seal(const std::optional<std::string>& source_bucket,
                     std::chrono::system_clock::time_point now) {
  std::unique_lock lock(mu_);
  for (auto& [bucket, state] : buckets_) {
    if (!source_bucket || bucket == *source_bucket) {
      SealLocked(*state, bucket, now);
    }
  }
}

void FileSpool::SealLocked(BucketState& state, const std::string& bucket,
                           std::chrono::system_clock::time_point now) {
  if (!state.active) {
    return;
  }
  // mu_ is held exclusively: no append is in flight, every reserved slot is complete.
  const std::unique_ptr<ActiveSegment> segment = std::move(state.active);
  const uint64_t used = segment->used.load();
  if (::ftruncate(segment->fd, static_cast<off_t>(used)) != 0) {
    // Reading ignores the zero-filled tail, so the segment stays correct, just larger.
    Diagnostics().warn("cannot trim {}: {}", segment->path.string(), std::strerror(errno));
  }
  const fs::path path = segment->path;
  if (used == 0) {
    std::error_code ec;
    fs::remove(path, ec);
    return;
  }
  RenameToSealedLocked(path, bucket, now);
}

void FileSpool::RenameToSealedLocked(const fs::path& path, const std::string& bucket,
                                     std::chrono::system_clock::time_point now) {
  const int64_t millis = std::max<int64_t>(
      0, std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
  const fs::path sealed =
      dir_ / fmt::format("{:020}-{}-{}{}", NextSequenceLocked(), millis, bucket, kSealedSuffix);
  std::error_code ec;
  fs::rename(path, sealed, ec);
  if (ec) {
    // The file stays "<bucket>.active"; the next append reopens and extends it.
    Diagnostics().error("cannot seal {}: {}", path.string(), ec.message());
  }
}

uint64_t FileSpool::NextSequenceLocked() {
  const uint64_t sequence = next_sequence_++;
  // Persisted so that sequences (part of every log object's identity) are never reused, even
  // after every segment was delivered and removed.
  const fs::path tmp = dir_ / (std::string(kSequenceFile) + ".tmp");
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << next_sequence_ << '\n';
  }
  std::error_code ec;
  fs::rename(tmp, dir_ / kSequenceFile, ec);
  if (ec)
    Diagnostics().warn("cannot persist spool sequence in {}: {}", dir_.string(), ec.message());
  return sequence;
}

std::vector<SealedSegment> FileSpool::ListSealed(
    const std::optional<std::string>& source_bucket) const {
  std::vector<SealedSegment> out;
  std::error_code ec;
  for (const auto& item : fs::directory_iterator(dir_, ec)) {
    auto sealed = ParseSealedName(item.path());
    if (sealed && (!source_bucket || sealed->source_bucket == *source_bucket)) {
      out.push_back(std::move(*sealed));
    }
  }
  std::sort(out.begin(), out.end(),
            [](const SealedSegment& a, const SealedSegment& b) { return a.sequence < b.sequence; });
  return out;
}

std::expected<SegmentContents, std::string> FileSpool::ReadSegment(
    const SealedSegment& segment) const {
  const auto content = ReadWholeFile(segment.path);
  if (!content) {
    return std::unexpected(fmt::format("cannot read spool segment {}", segment.path.string()));
  }
  SegmentContents contents;
  ForEachCompleteLine(*content, [&](std::string_view line) {
    if (auto entry = DecodeSpoolEntry(line)) {
      contents.bytes += line.size() + 1;
      contents.entries.push_back(std::move(*entry));
    } else {
      Diagnostics().warn("skipping a malformed entry in {}", segment.path.string());
    }
  });
  if (const auto done = ReadWholeFile(DonePath(segment))) {
    ForEachCompleteLine(*done, [&](std::string_view line) {
      if (auto id = UnescapeSpoolField(line)) {
        contents.done.insert(std::move(*id));
      }
    });
  }
  return contents;
}

std::expected<void, std::string> FileSpool::MarkDone(const SealedSegment& segment,
                                                     std::string_view object_id) {
  const fs::path path = DonePath(segment);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    return std::unexpected(fmt::format("cannot open {}: {}", path.string(), std::strerror(errno)));
  }
  const bool ok = WriteOnce(fd, EscapeSpoolField(object_id) + "\n");
  const int saved_errno = errno;
  ::close(fd);
  if (!ok) {
    return std::unexpected(
        fmt::format("cannot write {}: {}", path.string(), std::strerror(saved_errno)));
  }
  return {};
}

void FileSpool::Forget(const SealedSegment& segment, const SegmentContents& contents) {
  std::error_code ec;
  // The segment first: a crash before the done list goes leaves an orphan that Open removes.
  fs::remove(segment.path, ec);
  if (ec) {
    Diagnostics().error("cannot remove {}: {}", segment.path.string(), ec.message());
  }
  fs::remove(DonePath(segment), ec);
  std::shared_lock lock(mu_);
  if (BucketState* state = FindBucket(segment.source_bucket)) {
    SaturatingSub(state->pending_records, contents.entries.size());
    SaturatingSub(state->pending_bytes, contents.bytes);
  }
  SaturatingSub(total_bytes_, contents.bytes);
}

std::map<std::string, SpoolBucketCounters> FileSpool::Counters() const {
  std::shared_lock lock(mu_);
  std::map<std::string, SpoolBucketCounters> out;
  for (const auto& [bucket, state] : buckets_) {
    out.emplace(bucket, SpoolBucketCounters{
                            .pending_records = state->pending_records.load(),
                            .pending_bytes = state->pending_bytes.load(),
                            .dropped_records = state->dropped_records.load(),
                        });
  }
  return out;
}

uint64_t FileSpool::total_bytes() const { return total_bytes_.load(); }

void FileSpool::Reset() {
  std::unique_lock lock(mu_);
  for (auto& [bucket, state] : buckets_) {
    state->active.reset();
    state->pending_records = 0;
    state->pending_bytes = 0;
    state->dropped_records = 0;
  }
  std::error_code ec;
  for (const auto& item : fs::directory_iterator(dir_, ec)) {
    const std::string name = item.path().filename().string();
    if (EndsWith(name, kActiveSuffix) || EndsWith(name, kSealedSuffix) ||
        EndsWith(name, kDoneSuffix)) {
      fs::remove(item.path(), ec);
    }
  }
  total_bytes_ = 0;
}

}  // namespace logbucket::logging
