#include "logging/access_log_service.h"

#include <fmt/format.h>

#include <atomic>
#include <condition_variable>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "logging/access_log_line.h"
#include "logging/delivery.h"
#include "logging/diagnostics.h"
#include "logging/file_spool.h"
#include "logging/logging_rules.h"

namespace logbucket::logging {
namespace {

using TimePoint = std::chrono::system_clock::time_point;

// The first multiple of `interval` since the epoch strictly after `now` (hourly intervals fall on
// the hour, like Amazon's deliveries).
TimePoint NextBoundaryAfter(TimePoint now, std::chrono::milliseconds interval) {
  const int64_t step = std::max<int64_t>(interval.count(), 1);
  const int64_t t =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  int64_t floored = (t / step) * step;
  if (floored > t) {
    floored -= step;  // negative times round toward minus infinity
  }
  return TimePoint(std::chrono::milliseconds(floored + step));
}

std::string Iso8601(TimePoint t) {
  using namespace std::chrono;
  const auto secs = floor<seconds>(t);
  const auto day = floor<days>(secs);
  const year_month_day ymd{day};
  const hh_mm_ss hms{secs - day};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                     hms.hours().count(), hms.minutes().count(), hms.seconds().count());
}

using Registration = LoggingRegistration;

struct TargetStatus {
  std::optional<TimePoint> last_delivery;
  std::string last_key;
  uint64_t objects_delivered = 0;
  std::optional<std::string> problem;  // why records for this target stay pending
  TimePoint problem_time;
  std::optional<std::string> warning;  // delivered although Amazon would not have
};

}  // namespace

struct AccessLogService::State {
  State(AccessLogOptions o, LogObjectWriter& w, const Clock& c)
      : options(std::move(o)),
        writer(w),
        clock(c),
        spool(options.spool_dir, options.spool_max_bytes) {}

  FlushResult Deliver(const std::optional<std::string>& source_bucket);
  void RecordOutcome(const ObjectOutcome& object, TimePoint now, FlushResult& result);
  void Tick();
  void RunScheduler();

  const AccessLogOptions options;
  LogObjectWriter& writer;
  const Clock& clock;
  FileSpool spool;
  std::atomic<uint64_t> records_submitted{0};

  using Registry = std::map<std::string, Registration>;
  // Publishes `registry` as the snapshot the request path reads (registry_mu held).
  void Publish() { snapshot.store(std::make_shared<const Registry>(registry)); }

  mutable std::mutex registry_mu;  // guards registry
  Registry registry;
  // An immutable copy of registry, replaced by every change: IsEnabled and Submit run for every
  // request on every I/O thread and read it without registry_mu (which made them queue on one
  // another) and without copying a registration.
  std::atomic<std::shared_ptr<const Registry>> snapshot{std::make_shared<const Registry>()};

  // Serializes deliveries (scheduler, Flush, Stop) and Reset: a segment is delivered by one
  // thread at a time.
  std::mutex delivery_mu;

  mutable std::mutex status_mu;  // guards targets and objects_delivered
  std::map<std::string, TargetStatus> targets;
  uint64_t objects_delivered = 0;

  // Guards next_boundary, opened, stop_requested, stopped and thread.
  mutable std::mutex schedule_mu;
  std::condition_variable wake;  // signalled by Stop
  TimePoint next_boundary;
  bool opened = false;
  bool stop_requested = false;
  bool stopped = false;
  std::thread thread;
};

FlushResult AccessLogService::State::Deliver(const std::optional<std::string>& source_bucket) {
  std::lock_guard lock(delivery_mu);
  FlushResult result;
  const TimePoint now = clock.Now();
  spool.Seal(source_bucket, now);
  const DeliveryOptions delivery{.strict_permissions = options.strict_permissions,
                                 .max_object_bytes = options.max_object_bytes};
  std::set<std::string> reported;
  for (const SealedSegment& segment : spool.ListSealed(source_bucket)) {
    SegmentOutcome outcome;
    try {
      outcome = DeliverSegment(spool, segment, writer, delivery);
    } catch (const std::exception& e) {
      // The delivery edge: the segment stays pending and is retried at the next delivery.
      outcome.error = fmt::format("delivery of {} failed: {}", segment.path.string(), e.what());
    }
    if (!outcome.error.empty()) {
      Diagnostics().error("{}", outcome.error);
      result.problems.push_back(fmt::format("{}: {}", segment.source_bucket, outcome.error));
    }
    for (const ObjectOutcome& object : outcome.objects) {
      if (!object.written) {
        const std::string line =
            fmt::format("{} -> {}: {}", object.source_bucket, object.target_bucket, object.message);
        if (reported.insert(line).second) {
          result.problems.push_back(line);
        }
      }
      RecordOutcome(object, now, result);
    }
  }
  return result;
}

void AccessLogService::State::RecordOutcome(const ObjectOutcome& object, TimePoint now,
                                            FlushResult& result) {
  std::lock_guard lock(status_mu);
  TargetStatus& status = targets[object.target_bucket];
  if (object.written) {
    result.keys_written.push_back(object.target_bucket + "/" + object.key);
    status.last_delivery = now;
    status.last_key = object.key;
    ++status.objects_delivered;
    ++objects_delivered;
    status.problem.reset();
    if (object.problem == DeliveryProblem::kNotPermitted) {
      status.warning = object.message;
      Diagnostics().warn("log object {}/{}: {}", object.target_bucket, object.key, object.message);
    } else {
      status.warning.reset();
    }
    return;
  }
  status.problem = object.message;
  status.problem_time = now;
  Diagnostics().warn("access logs of {} kept pending for {}: {}", object.source_bucket,
                     object.target_bucket, object.message);
}

void AccessLogService::State::Tick() {
  const TimePoint now = clock.Now();
  {
    std::lock_guard lock(schedule_mu);
    if (now < next_boundary) {
      return;
    }
    next_boundary = NextBoundaryAfter(now, options.flush_interval);
  }
  try {
    Deliver(std::nullopt);
  } catch (const std::exception& e) {
    // The delivery tick is one of the edges where exceptions stop.
    Diagnostics().error("scheduled access-log delivery failed: {}", e.what());
  }
}

void AccessLogService::State::RunScheduler() {
  // Re-reads the injected clock at least every second, so a clock that jumps (or a fake one) is
  // noticed without waiting a whole interval.
  constexpr auto kMaxSleep = std::chrono::seconds(1);
  std::unique_lock lock(schedule_mu);
  while (!stop_requested) {
    const auto remaining = next_boundary - clock.Now();
    if (remaining > std::chrono::system_clock::duration::zero()) {
      wake.wait_for(lock, std::min<std::chrono::system_clock::duration>(remaining, kMaxSleep));
      continue;
    }
    lock.unlock();
    Tick();
    lock.lock();
  }
}

AccessLogService::AccessLogService(AccessLogOptions options, LogObjectWriter& writer,
                                   const Clock& clock)
    : state_(std::make_unique<State>(std::move(options), writer, clock)) {
  state_->next_boundary = NextBoundaryAfter(clock.Now(), state_->options.flush_interval);
}

AccessLogService::~AccessLogService() { Stop(); }

std::expected<void, std::string> AccessLogService::Open() {
  auto opened = state_->spool.Open(state_->clock.Now());
  if (!opened) {
    return opened;
  }
  std::lock_guard lock(state_->schedule_mu);
  state_->opened = true;
  return {};
}

void AccessLogService::Start() {
  std::lock_guard lock(state_->schedule_mu);
  if (state_->thread.joinable() || state_->stopped || !state_->opened) {
    return;
  }
  state_->thread = std::thread([state = state_.get()] { state->RunScheduler(); });
}

void AccessLogService::Stop() {
  bool opened = false;
  {
    std::lock_guard lock(state_->schedule_mu);
    if (state_->stopped) {
      return;
    }
    state_->stopped = true;
    state_->stop_requested = true;
    opened = state_->opened;
  }
  state_->wake.notify_all();
  if (state_->thread.joinable()) {
    state_->thread.join();
  }
  if (!opened) {
    return;
  }
  try {
    const FlushResult result = state_->Deliver(std::nullopt);
    for (const std::string& problem : result.problems) {
      Diagnostics().warn("access logs still pending at shutdown: {}", problem);
    }
  } catch (const std::exception& e) {
    Diagnostics().error("access-log delivery at shutdown failed: {}", e.what());
  }
}

void AccessLogService::SetConfiguration(const std::string& source_bucket,
                                        const SourceBucketInfo& info,
                                        std::optional<LoggingConfiguration> config) {
  std::lock_guard lock(state_->registry_mu);
  if (!config) {
    state_->registry.erase(source_bucket);
  } else {
    state_->registry[source_bucket] = Registration{info, std::move(*config)};
  }
  state_->Publish();
}

std::optional<LoggingConfiguration> AccessLogService::GetConfiguration(
    const std::string& source_bucket) const {
  std::lock_guard lock(state_->registry_mu);
  const auto it = state_->registry.find(source_bucket);
  if (it == state_->registry.end()) {
    return std::nullopt;
  }
  return it->second.config;
}

bool AccessLogService::IsEnabled(const std::string& source_bucket) const {
  return state_->snapshot.load()->contains(source_bucket);
}

std::vector<std::string> AccessLogService::FindLoop(const std::string& source_bucket,
                                                    const std::string& target_bucket) const {
  std::map<std::string, std::string> targets;
  {
    std::lock_guard lock(state_->registry_mu);
    for (const auto& [source, registration] : state_->registry) {
      targets[source] = registration.config.target_bucket;
    }
  }
  return FindLoggingLoop(targets, source_bucket, target_bucket);
}

void AccessLogService::Submit(const AccessLogRecord& record) {
  const std::shared_ptr<const State::Registry> registry = state_->snapshot.load();
  const auto it = registry->find(record.bucket);
  if (it == registry->end()) {
    return;
  }
  SubmitAs(record, it->second);
}

void AccessLogService::SubmitAs(const AccessLogRecord& record,
                                const LoggingRegistration& registration) {
  // Reused by each thread: assigning keeps the strings' capacity, so no allocation per record.
  thread_local SpoolEntry entry;
  entry.target_bucket = registration.config.target_bucket;
  entry.target_prefix = registration.config.target_prefix;
  entry.key_format = registration.config.key_format;
  entry.date_source = registration.config.partition_date_source;
  entry.source_account = registration.info.owner_account_id;
  entry.source_region = registration.info.region;
  entry.event_time = record.time;
  FormatAccessLogLineInto(entry.line, record,
                          state_->options.source_region_field
                              ? std::optional<std::string_view>(entry.source_region)
                              : std::nullopt);
  state_->records_submitted.fetch_add(1, std::memory_order_relaxed);
  state_->spool.Append(record.bucket, entry);
}

FlushResult AccessLogService::Flush(const std::optional<std::string>& source_bucket) {
  return state_->Deliver(source_bucket);
}

void AccessLogService::Tick() { state_->Tick(); }

std::chrono::system_clock::time_point AccessLogService::next_delivery() const {
  std::lock_guard lock(state_->schedule_mu);
  return state_->next_boundary;
}

nlohmann::json AccessLogService::StatusJson() const {
  nlohmann::json out;
  out["buckets"] = nlohmann::json::object();
  out["targets"] = nlohmann::json::object();
  const auto counters = state_->spool.Counters();
  uint64_t dropped = 0;
  for (const auto& [bucket, c] : counters) {
    dropped += c.dropped_records;
  }
  auto bucket_json = [&counters](const std::string& bucket) {
    SpoolBucketCounters c;
    if (const auto it = counters.find(bucket); it != counters.end()) {
      c = it->second;
    }
    return nlohmann::json{{"target", nullptr},
                          {"prefix", nullptr},
                          {"pending_records", c.pending_records},
                          {"pending_bytes", c.pending_bytes},
                          {"dropped_records", c.dropped_records}};
  };
  {
    std::lock_guard lock(state_->registry_mu);
    for (const auto& [source, registration] : state_->registry) {
      nlohmann::json b = bucket_json(source);
      b["target"] = registration.config.target_bucket;
      b["prefix"] = registration.config.target_prefix;
      b["key_format"] = registration.config.key_format == KeyFormat::kSimplePrefix
                            ? "SimplePrefix"
                            : "PartitionedPrefix";
      out["buckets"][source] = std::move(b);
    }
  }
  // Buckets whose logging was disabled while records were still pending or dropped.
  for (const auto& [bucket, c] : counters) {
    if (!out["buckets"].contains(bucket) && (c.pending_records > 0 || c.dropped_records > 0)) {
      out["buckets"][bucket] = bucket_json(bucket);
    }
  }
  {
    std::lock_guard lock(state_->status_mu);
    for (const auto& [target, s] : state_->targets) {
      nlohmann::json t;
      t["last_delivery"] = s.last_delivery ? nlohmann::json(Iso8601(*s.last_delivery)) : nullptr;
      t["last_key"] = s.last_key.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.last_key);
      t["objects_delivered"] = s.objects_delivered;
      t["problem"] =
          s.problem ? nlohmann::json{{"message", *s.problem}, {"time", Iso8601(s.problem_time)}}
                    : nlohmann::json(nullptr);
      t["warning"] = s.warning ? nlohmann::json(*s.warning) : nlohmann::json(nullptr);
      out["targets"][target] = std::move(t);
    }
    out["objects_delivered"] = state_->objects_delivered;
  }
  out["records_submitted"] = state_->records_submitted.load(std::memory_order_relaxed);
  out["records_dropped"] = dropped;
  out["spool_bytes"] = state_->spool.total_bytes();
  out["next_delivery"] = Iso8601(next_delivery());
  out["flush_interval_ms"] = state_->options.flush_interval.count();
  return out;
}

void AccessLogService::Reset() {
  std::lock_guard delivery(state_->delivery_mu);
  {
    std::lock_guard lock(state_->registry_mu);
    state_->registry.clear();
    state_->Publish();
  }
  state_->spool.Reset();
  {
    std::lock_guard lock(state_->status_mu);
    state_->targets.clear();
    state_->objects_delivered = 0;
  }
  state_->records_submitted.store(0, std::memory_order_relaxed);
}

}  // namespace logbucket::logging
