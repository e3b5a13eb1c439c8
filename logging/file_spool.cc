#include "logging/file_spool.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <system_error>

#include "logging/diagnostics.h"

namespace logbucket::logging {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kActiveSuffix = ".active";
constexpr std::string_view kSealedSuffix = ".sealed";
constexpr std::string_view kDoneSuffix = ".done";
constexpr std::string_view kSequenceFile = "sequence";
constexpr std::string_view kEntryVersion = "1";
constexpr auto kDropWarningInterval = std::chrono::seconds(10);

// Metadata fields of an entry are percent-encoded so that no tab or newline (the entry's
// separators) and no '%' remain raw: prefixes come from clients and may hold any byte.
void AppendEscapedMeta(std::string& out, std::string_view value) {
  constexpr char kHex[] = "0123456789ABCDEF";
  for (char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F || c == '%') {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0x0F]);
    } else {
      out.push_back(ch);
    }
  }
}

std::string EscapeMeta(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  AppendEscapedMeta(out, value);
  return out;
}

bool HasLineBreak(std::string_view text) {
  return !text.empty() && (std::memchr(text.data(), '\n', text.size()) != nullptr ||
                           std::memchr(text.data(), '\r', text.size()) != nullptr);
}

std::optional<std::string> UnescapeMeta(std::string_view text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  };
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size() || hex(text[i + 1]) < 0 || hex(text[i + 2]) < 0) {
      return std::nullopt;
    }
    out.push_back(static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2])));
    i += 2;
  }
  return out;
}

template <typename Int>
std::optional<Int> ParseInt(std::string_view text) {
  Int value{};
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || text.empty()) {
    return std::nullopt;
  }
  return value;
}

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
  if (!sequence || !millis || !IsSpoolableBucketName(bucket)) {
    return std::nullopt;
  }
  return SealedSegment{path, std::string(bucket), *sequence,
                       std::chrono::system_clock::time_point(std::chrono::milliseconds(*millis))};
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

}  // namespace

struct FileSpool::ActiveSegment {
  fs::path path;
  std::mutex mu;  // guards fd and size: one writer at a time, and sealing waits for it
  int fd = -1;    // -1 once sealed or closed: an appender then takes the bucket's new segment
  uint64_t size = 0;
};

std::string EncodeSpoolEntry(const SpoolEntry& entry) {
  const int64_t event_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(entry.event_time.time_since_epoch())
          .count();
  // "<version>\t<target>\t<prefix>\t<S|P>\t<E|D>\t<account>\t<region>\t<event ms>\t<line>\n"
  std::string out;
  out.reserve(entry.target_bucket.size() + entry.target_prefix.size() +
              entry.source_account.size() + entry.source_region.size() + entry.line.size() + 48);
  out.append(kEntryVersion);
  out.push_back('\t');
  AppendEscapedMeta(out, entry.target_bucket);
  out.push_back('\t');
  AppendEscapedMeta(out, entry.target_prefix);
  out.push_back('\t');
  out.push_back(entry.key_format == KeyFormat::kSimplePrefix ? 'S' : 'P');
  out.push_back('\t');
  out.push_back(entry.date_source == PartitionDateSource::kEventTime ? 'E' : 'D');
  out.push_back('\t');
  AppendEscapedMeta(out, entry.source_account);
  out.push_back('\t');
  AppendEscapedMeta(out, entry.source_region);
  out.push_back('\t');
  const fmt::format_int millis(event_ms);
  out.append(millis.data(), millis.size());
  out.push_back('\t');
  out.append(entry.line);
  out.push_back('\n');
  return out;
}

std::optional<SpoolEntry> DecodeSpoolEntry(std::string_view line) {
  if (!line.empty() && line.back() == '\n') {
    line.remove_suffix(1);
  }
  std::vector<std::string_view> parts;
  for (int i = 0; i < 8; ++i) {
    const std::size_t tab = line.find('\t');
    if (tab == std::string_view::npos) {
      return std::nullopt;
    }
    parts.push_back(line.substr(0, tab));
    line.remove_prefix(tab + 1);
  }
  if (parts[0] != kEntryVersion || line.find('\n') != std::string_view::npos) {
    return std::nullopt;
  }
  SpoolEntry entry;
  auto target = UnescapeMeta(parts[1]);
  auto prefix = UnescapeMeta(parts[2]);
  auto account = UnescapeMeta(parts[5]);
  auto region = UnescapeMeta(parts[6]);
  const auto event_ms = ParseInt<int64_t>(parts[7]);
  if (!target || !prefix || !account || !region || !event_ms) {
    return std::nullopt;
  }
  if ((parts[3] != "S" && parts[3] != "P") || (parts[4] != "E" && parts[4] != "D")) {
    return std::nullopt;
  }
  entry.target_bucket = std::move(*target);
  entry.target_prefix = std::move(*prefix);
  entry.key_format = parts[3] == "S" ? KeyFormat::kSimplePrefix : KeyFormat::kPartitionedPrefix;
  entry.date_source =
      parts[4] == "E" ? PartitionDateSource::kEventTime : PartitionDateSource::kDeliveryTime;
  entry.source_account = std::move(*account);
  entry.source_region = std::move(*region);
  entry.event_time = std::chrono::system_clock::time_point(std::chrono::milliseconds(*event_ms));
  entry.line = std::string(line);
  return entry;
}

bool IsSpoolableBucketName(std::string_view bucket) {
  if (bucket.empty() || bucket.size() > 200 || bucket.front() == '.') {
    return false;
  }
  return std::all_of(bucket.begin(), bucket.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '_';
  });
}

FileSpool::FileSpool(fs::path dir, uint64_t max_bytes)
    : dir_(std::move(dir)), max_bytes_(max_bytes) {}

FileSpool::~FileSpool() {
  std::lock_guard lock(mu_);
  for (auto& [bucket, segment] : active_) {
    std::lock_guard segment_lock(segment->mu);
    if (segment->fd >= 0) {
      ::close(segment->fd);
    }
    segment->fd = -1;
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
  std::lock_guard lock(mu_);
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
  // Active segments of a previous run: sealed now, delivered at the next delivery.
  for (const fs::path& path : leftovers) {
    const std::string name = path.filename().string();
    const std::string bucket = name.substr(0, name.size() - kActiveSuffix.size());
    if (!IsSpoolableBucketName(bucket)) {
      Diagnostics().warn("ignoring unexpected spool file {}", path.string());
      continue;
    }
    auto segment = std::make_shared<ActiveSegment>();
    segment->path = path;
    std::error_code size_error;
    segment->size = fs::file_size(path, size_error);
    if (size_error) segment->size = 1;  // unknown: sealed anyway, reading decides what it holds
    active_[bucket] = segment;
    SealLocked(bucket, now);
  }
  const auto sealed = ListSealed(std::nullopt);
  std::set<fs::path> live;
  for (const SealedSegment& segment : sealed) {
    live.insert(DonePath(segment));
    auto contents = ReadSegment(segment);
    if (!contents) {
      return std::unexpected(contents.error());
    }
    auto& counters = counters_[segment.source_bucket];
    counters.pending_records += contents->entries.size();
    counters.pending_bytes += contents->bytes;
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

std::expected<std::shared_ptr<FileSpool::ActiveSegment>, std::string> FileSpool::ActiveFor(
    const std::string& bucket) {
  if (auto it = active_.find(bucket); it != active_.end()) {
    return it->second;
  }
  auto segment = std::make_shared<ActiveSegment>();
  segment->path = dir_ / (bucket + std::string(kActiveSuffix));
  segment->fd = ::open(segment->path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (segment->fd < 0) {
    return std::unexpected(fmt::format("cannot open spool segment {}: {}", segment->path.string(),
                                       std::strerror(errno)));
  }
  std::error_code ec;
  segment->size = fs::file_size(segment->path, ec);
  active_[bucket] = segment;
  return segment;
}

void FileSpool::CountDropLocked(const std::string& bucket, std::string_view reason) {
  ++counters_[bucket].dropped_records;
  const auto now = std::chrono::steady_clock::now();
  if (last_drop_warning_ == std::chrono::steady_clock::time_point{} ||
      now - last_drop_warning_ >= kDropWarningInterval) {
    last_drop_warning_ = now;
    Diagnostics().warn("access-log record of bucket {} dropped ({}); {} dropped for it so far",
                       bucket, reason, counters_[bucket].dropped_records);
  }
}

AppendResult FileSpool::Append(const std::string& source_bucket, const SpoolEntry& entry) {
  if (!IsSpoolableBucketName(source_bucket) || HasLineBreak(entry.line)) {
    std::lock_guard lock(mu_);
    CountDropLocked(source_bucket, "bucket name or record not spoolable");
    return AppendResult::kDropped;
  }
  const std::string encoded = EncodeSpoolEntry(entry);
  std::string failure;
  std::shared_ptr<ActiveSegment> segment;
  {
    std::lock_guard lock(mu_);
    if (total_bytes_ + encoded.size() > max_bytes_) {
      CountDropLocked(source_bucket, "spool full");
      return AppendResult::kDropped;
    }
    // Reserved before the write so concurrent appenders cannot overshoot the bound together.
    total_bytes_ += encoded.size();
    auto& counters = counters_[source_bucket];
    ++counters.pending_records;
    counters.pending_bytes += encoded.size();
    // The segment is looked up under the same lock (one acquisition per record).
    if (auto found = ActiveFor(source_bucket)) {
      segment = std::move(*found);
    } else {
      failure = found.error();
    }
  }
  while (segment) {
    {
      std::lock_guard segment_lock(segment->mu);
      if (segment->fd >= 0) {
        if (WriteOnce(segment->fd, encoded)) {
          segment->size += encoded.size();
          return AppendResult::kAppended;
        }
        failure =
            fmt::format("write to {} failed: {}", segment->path.string(), std::strerror(errno));
        // Cut a partial entry so the next one starts on its own line.
        if (::ftruncate(segment->fd, static_cast<off_t>(segment->size)) != 0) {
          Diagnostics().error("cannot truncate {}: {}", segment->path.string(),
                              std::strerror(errno));
        }
        break;
      }
    }
    // Sealed meanwhile: take the bucket's new segment.
    std::lock_guard lock(mu_);
    auto found = ActiveFor(source_bucket);
    if (!found) {
      failure = found.error();
      break;
    }
    segment = std::move(*found);
  }
  std::lock_guard lock(mu_);
  // Saturating: a Reset may have zeroed the counters since the reservation.
  total_bytes_ -= std::min<uint64_t>(total_bytes_, encoded.size());
  auto& counters = counters_[source_bucket];
  counters.pending_records -= std::min<uint64_t>(counters.pending_records, 1);
  counters.pending_bytes -= std::min<uint64_t>(counters.pending_bytes, encoded.size());
  Diagnostics().error("access-log spool: {}", failure);
  CountDropLocked(source_bucket, "write failed");
  return AppendResult::kDropped;
}

void FileSpool::Seal(const std::optional<std::string>& source_bucket,
                     std::chrono::system_clock::time_point now) {
  std::lock_guard lock(mu_);
  if (source_bucket) {
    if (active_.contains(*source_bucket)) {
      SealLocked(*source_bucket, now);
    }
    return;
  }
  std::vector<std::string> buckets;
  for (const auto& [bucket, segment] : active_) {
    buckets.push_back(bucket);
  }
  for (const std::string& bucket : buckets) {
    SealLocked(bucket, now);
  }
}

void FileSpool::SealLocked(const std::string& bucket, std::chrono::system_clock::time_point now) {
  const auto it = active_.find(bucket);
  const std::shared_ptr<ActiveSegment> segment = it->second;
  active_.erase(it);
  std::lock_guard segment_lock(segment->mu);
  if (segment->fd >= 0) {
    ::close(segment->fd);
  }
  segment->fd = -1;
  std::error_code ec;
  if (segment->size == 0) {
    fs::remove(segment->path, ec);
    return;
  }
  const int64_t millis = std::max<int64_t>(
      0, std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
  const fs::path sealed =
      dir_ / fmt::format("{:020}-{}-{}{}", NextSequenceLocked(), millis, bucket, kSealedSuffix);
  fs::rename(segment->path, sealed, ec);
  if (ec) {
    // The file stays "<bucket>.active"; the next append reopens and extends it.
    Diagnostics().error("cannot seal {}: {}", segment->path.string(), ec.message());
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
  std::ifstream in(segment.path, std::ios::binary);
  if (!in) {
    return std::unexpected(fmt::format("cannot read spool segment {}", segment.path.string()));
  }
  SegmentContents contents;
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) {
      break;  // no '\n': an entry torn by a crash, never acknowledged whole
    }
    if (auto entry = DecodeSpoolEntry(line)) {
      contents.bytes += line.size() + 1;
      contents.entries.push_back(std::move(*entry));
    } else {
      Diagnostics().warn("skipping a malformed entry in {}", segment.path.string());
    }
  }
  if (std::ifstream done(DonePath(segment), std::ios::binary); done) {
    while (std::getline(done, line)) {
      if (done.eof()) {
        break;
      }
      if (auto id = UnescapeMeta(line)) {
        contents.done.insert(std::move(*id));
      }
    }
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
  const bool ok = WriteOnce(fd, EscapeMeta(object_id) + "\n");
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
  std::lock_guard lock(mu_);
  auto& counters = counters_[segment.source_bucket];
  counters.pending_records -= std::min<uint64_t>(counters.pending_records, contents.entries.size());
  counters.pending_bytes -= std::min(counters.pending_bytes, contents.bytes);
  total_bytes_ -= std::min(total_bytes_, contents.bytes);
}

std::map<std::string, SpoolBucketCounters> FileSpool::Counters() const {
  std::lock_guard lock(mu_);
  return counters_;
}

uint64_t FileSpool::total_bytes() const {
  std::lock_guard lock(mu_);
  return total_bytes_;
}

void FileSpool::Reset() {
  std::lock_guard lock(mu_);
  for (auto& [bucket, segment] : active_) {
    std::lock_guard segment_lock(segment->mu);
    if (segment->fd >= 0) {
      ::close(segment->fd);
    }
    segment->fd = -1;
  }
  active_.clear();
  std::error_code ec;
  for (const auto& item : fs::directory_iterator(dir_, ec)) {
    const std::string name = item.path().filename().string();
    if (EndsWith(name, kActiveSuffix) || EndsWith(name, kSealedSuffix) ||
        EndsWith(name, kDoneSuffix)) {
      fs::remove(item.path(), ec);
    }
  }
  counters_.clear();
  total_bytes_ = 0;
}

}  // namespace logbucket::logging
