#include "logging/access_log_service.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "logging/access_log_line.h"
#include "tests/unit/logging/fakes.h"

namespace logbucket::logging {
namespace {

using namespace std::chrono;
using testing::FakeClock;
using testing::InMemoryLogObjectWriter;
using testing::MakeRecord;
using testing::TempDir;
using testing::TestTime;

const SourceBucketInfo kInfo{.owner_account_id = "123456789012", .region = "us-east-1"};

LoggingConfiguration Config(const std::string& target, const std::string& prefix = "logs/") {
  LoggingConfiguration c;
  c.target_bucket = target;
  c.target_prefix = prefix;
  return c;
}

// Every record line of a log object body, parsed.
std::vector<ParsedAccessLogLine> Records(const std::string& body) {
  std::vector<ParsedAccessLogLine> out;
  EXPECT_TRUE(body.empty() || body.back() == '\n');
  std::istringstream in(body);
  std::string line;
  while (std::getline(in, line)) {
    auto parsed = ParseAccessLogLine(line);
    EXPECT_TRUE(parsed) << line;
    if (parsed) {
      out.push_back(std::move(*parsed));
    }
  }
  return out;
}

class AccessLogServiceTest : public ::testing::Test {
 protected:
  std::unique_ptr<AccessLogService> MakeService(AccessLogOptions options = {}) {
    options.spool_dir = dir_.path() / "spool";
    auto service = std::make_unique<AccessLogService>(options, writer_, clock_);
    EXPECT_TRUE(service->Open());
    return service;
  }

  TempDir dir_;
  FakeClock clock_;
  InMemoryLogObjectWriter writer_;
};

TEST_F(AccessLogServiceTest, DeliversAnIdleBucketAtTheBoundaryNotBefore) {
  auto service = MakeService();
  service->SetConfiguration("src", kInfo, Config("tgt"));
  for (const char* id : {"REQ1", "REQ2", "REQ3"}) {
    service->Submit(MakeRecord("src", id));
  }
  EXPECT_EQ(service->next_delivery(), sys_days{year{2024} / 3 / 5} + hours{11});
  service->Tick();
  clock_.Set(sys_days{year{2024} / 3 / 5} + hours{10} + minutes{59} + seconds{59});
  service->Tick();
  EXPECT_TRUE(writer_.Objects().empty());
  EXPECT_EQ(service->StatusJson()["buckets"]["src"]["pending_records"], 3);

  clock_.Set(sys_days{year{2024} / 3 / 5} + hours{11});
  service->Tick();
  const auto objects = writer_.Objects();
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects.begin()->first.rfind("tgt/logs/2024-03-05-11-00-00-", 0), 0u)
      << objects.begin()->first;
  const auto records = Records(objects.begin()->second);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].Get(AccessLogField::kRequestId), "REQ1");
  EXPECT_EQ(records[2].Get(AccessLogField::kRequestId), "REQ3");
  EXPECT_EQ(service->next_delivery(), sys_days{year{2024} / 3 / 5} + hours{12});
  const auto status = service->StatusJson();
  EXPECT_EQ(status["buckets"]["src"]["pending_records"], 0);
  EXPECT_EQ(status["targets"]["tgt"]["objects_delivered"], 1);
  EXPECT_EQ(status["objects_delivered"], 1);
  EXPECT_EQ(status["records_submitted"], 3);
  EXPECT_EQ(status["next_delivery"], "2024-03-05T12:00:00Z");
}

TEST_F(AccessLogServiceTest, BoundariesAreAlignedToTheInterval) {
  clock_.Set(sys_days{year{2024} / 3 / 5} + hours{10} + minutes{7} + seconds{13});
  auto service = MakeService({.spool_dir = {}, .flush_interval = minutes(15)});
  EXPECT_EQ(service->next_delivery(), sys_days{year{2024} / 3 / 5} + hours{10} + minutes{15});
  // A late tick delivers once and moves to the next boundary after now, not after the missed one.
  clock_.Set(sys_days{year{2024} / 3 / 5} + hours{10} + minutes{47});
  service->Tick();
  EXPECT_EQ(service->next_delivery(), sys_days{year{2024} / 3 / 5} + hours{11});
}

TEST_F(AccessLogServiceTest, FlushOfOneBucketDeliversOnlyThatBucket) {
  auto service = MakeService();
  service->SetConfiguration("a", kInfo, Config("tgt", "a/"));
  service->SetConfiguration("b", kInfo, Config("tgt", "b/"));
  service->Submit(MakeRecord("a", "A1"));
  service->Submit(MakeRecord("b", "B1"));
  service->Submit(MakeRecord("b", "B2"));
  const FlushResult result = service->Flush("a");
  ASSERT_EQ(result.keys_written.size(), 1u);
  EXPECT_EQ(result.keys_written[0].rfind("tgt/a/", 0), 0u);
  EXPECT_TRUE(result.problems.empty());
  EXPECT_EQ(writer_.Objects().size(), 1u);
  EXPECT_EQ(service->StatusJson()["buckets"]["b"]["pending_records"], 2);
}

TEST_F(AccessLogServiceTest, OneObjectPerSourceBucketEvenWithASharedTarget) {
  auto service = MakeService();
  service->SetConfiguration("a", kInfo, Config("tgt"));
  service->SetConfiguration("b", kInfo, Config("tgt"));
  service->Submit(MakeRecord("a", "A1"));
  service->Submit(MakeRecord("b", "B1"));
  service->Submit(MakeRecord("a", "A2"));
  EXPECT_EQ(service->Flush().keys_written.size(), 2u);
  std::multiset<std::string> buckets_per_object;
  for (const auto& [key, body] : writer_.Objects()) {
    std::set<std::string> buckets;
    for (const auto& r : Records(body)) {
      buckets.insert(r.Get(AccessLogField::kBucket));
    }
    ASSERT_EQ(buckets.size(), 1u) << key;
    buckets_per_object.insert(*buckets.begin());
  }
  EXPECT_EQ(buckets_per_object, (std::multiset<std::string>{"a", "b"}));
}

TEST_F(AccessLogServiceTest, SplitsObjectsUnderMaxObjectBytes) {
  const std::string line = FormatAccessLogLine(MakeRecord("src", "R0"), false);
  auto service = MakeService({.spool_dir = {}, .max_object_bytes = 2 * (line.size() + 1) + 10});
  service->SetConfiguration("src", kInfo, Config("tgt"));
  for (int i = 0; i < 5; ++i) {
    service->Submit(MakeRecord("src", "R" + std::to_string(i)));
  }
  EXPECT_EQ(service->Flush().keys_written.size(), 3u);
  std::multiset<std::string> ids;
  for (const auto& [key, body] : writer_.Objects()) {
    EXPECT_LE(body.size(), 2 * (line.size() + 1) + 10);
    for (const auto& r : Records(body)) {
      ids.insert(r.Get(AccessLogField::kRequestId));
    }
  }
  EXPECT_EQ(ids, (std::multiset<std::string>{"R0", "R1", "R2", "R3", "R4"}));
}

TEST_F(AccessLogServiceTest, MissingTargetKeepsRecordsPendingUntilItExists) {
  auto service = MakeService();
  service->SetConfiguration("src", kInfo, Config("tgt"));
  service->Submit(MakeRecord("src", "R1"));
  service->Submit(MakeRecord("src", "R2"));
  writer_.SetProblem("tgt", DeliveryProblem::kTargetMissing);
  const FlushResult failed = service->Flush();
  EXPECT_TRUE(failed.keys_written.empty());
  ASSERT_EQ(failed.problems.size(), 1u);
  EXPECT_NE(failed.problems[0].find("src -> tgt"), std::string::npos) << failed.problems[0];
  auto status = service->StatusJson();
  EXPECT_EQ(status["buckets"]["src"]["pending_records"], 2);
  EXPECT_EQ(status["targets"]["tgt"]["problem"]["message"],
            "The target bucket for logging does not exist");

  writer_.SetProblem("tgt", DeliveryProblem::kNone);
  clock_.Advance(hours(1));
  service->Tick();
  ASSERT_EQ(writer_.Objects().size(), 1u);
  EXPECT_EQ(Records(writer_.Objects().begin()->second).size(), 2u);
  status = service->StatusJson();
  EXPECT_EQ(status["buckets"]["src"]["pending_records"], 0);
  EXPECT_TRUE(status["targets"]["tgt"]["problem"].is_null());
}

TEST_F(AccessLogServiceTest, StrictPermissionsBlockNonStrictWarns) {
  writer_.SetProblem("tgt", DeliveryProblem::kNotPermitted);
  {
    auto strict = MakeService({.spool_dir = {}, .strict_permissions = true});
    strict->SetConfiguration("src", kInfo, Config("tgt"));
    strict->Submit(MakeRecord("src", "R1"));
    const FlushResult result = strict->Flush();
    EXPECT_TRUE(result.keys_written.empty());
    EXPECT_EQ(result.problems.size(), 1u);
    EXPECT_TRUE(writer_.Objects().empty());
    writer_.SetProblem("tgt", DeliveryProblem::kWriteFailed);  // keeps Stop() from delivering
  }
  writer_.SetProblem("tgt", DeliveryProblem::kNotPermitted);
  auto lenient = MakeService();  // same spool: the record is still pending
  const FlushResult result = lenient->Flush();
  EXPECT_EQ(result.keys_written.size(), 1u);
  EXPECT_TRUE(result.problems.empty());
  const auto status = lenient->StatusJson();
  EXPECT_EQ(status["targets"]["tgt"]["warning"].get<std::string>().rfind(
                "delivered, but Amazon would not deliver: ", 0),
            0u);
}

TEST_F(AccessLogServiceTest, SpooledRecordsKeepTheirRoutingAfterConfigurationChanges) {
  auto service = MakeService();
  service->SetConfiguration("src", kInfo, Config("old", "o/"));
  service->Submit(MakeRecord("src", "R1"));
  service->SetConfiguration("src", kInfo, Config("new", "n/"));
  service->Submit(MakeRecord("src", "R2"));
  service->SetConfiguration("src", kInfo, std::nullopt);
  service->Submit(MakeRecord("src", "R3"));  // logging disabled: ignored
  EXPECT_FALSE(service->IsEnabled("src"));
  const FlushResult result = service->Flush();
  ASSERT_EQ(result.keys_written.size(), 2u);
  EXPECT_EQ(writer_.PutsTo("old"), 1);
  EXPECT_EQ(writer_.PutsTo("new"), 1);
  for (const auto& [key, body] : writer_.Objects()) {
    EXPECT_EQ(Records(body).size(), 1u) << key;
  }
}

TEST_F(AccessLogServiceTest, PartitionedEventTimeKeysUseTheEventDay) {
  auto service = MakeService({.spool_dir = {}, .source_region_field = true});
  LoggingConfiguration config = Config("tgt");
  config.key_format = KeyFormat::kPartitionedPrefix;
  service->SetConfiguration("src", kInfo, config);
  service->Submit(MakeRecord("src", "R1", TestTime() - days(1)));
  service->Submit(MakeRecord("src", "R2"));
  service->Flush();
  const auto objects = writer_.Objects();
  ASSERT_EQ(objects.size(), 2u);
  auto it = objects.begin();
  EXPECT_EQ(
      it->first.rfind("tgt/logs/123456789012/us-east-1/src/2024/03/04/2024-03-04-00-00-00-", 0), 0u)
      << it->first;
  ++it;
  EXPECT_EQ(
      it->first.rfind("tgt/logs/123456789012/us-east-1/src/2024/03/05/2024-03-05-00-00-00-", 0), 0u)
      << it->first;
  const auto records = Records(it->second);
  ASSERT_EQ(records.size(), 1u);
  ASSERT_EQ(records[0].size(), 27u);
  EXPECT_EQ(records[0].Get(AccessLogField::kSourceRegion), "us-east-1");
}

TEST_F(AccessLogServiceTest, CrashBetweenPutAndForgetDeliversNoDuplicate) {
  auto service = MakeService();
  service->SetConfiguration("src", kInfo, Config("tgt"));
  service->Submit(MakeRecord("src", "R1"));
  writer_.ThrowAfterPut(1);
  const FlushResult crashed = service->Flush();
  EXPECT_EQ(crashed.problems.size(), 1u);
  EXPECT_EQ(service->StatusJson()["buckets"]["src"]["pending_records"], 1);
  const FlushResult retried = service->Flush();
  ASSERT_EQ(retried.keys_written.size(), 1u);
  const auto objects = writer_.Objects();
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects.begin()->first, retried.keys_written[0]);
  EXPECT_EQ(Records(objects.begin()->second).size(), 1u);
}

TEST_F(AccessLogServiceTest, KilledProcessLosesNoRecordAndDeliversThemOnce) {
  std::fflush(nullptr);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child spools records and dies without any destructor or Stop(), like a kill -9.
    AccessLogService service({.spool_dir = dir_.path() / "spool"}, writer_, clock_);
    if (!service.Open()) {
      ::_exit(2);
    }
    service.SetConfiguration("src", kInfo, Config("tgt"));
    for (int i = 0; i < 5; ++i) {
      service.Submit(MakeRecord("src", "R" + std::to_string(i)));
    }
    ::_exit(0);
  }
  int wstatus = 0;
  ASSERT_EQ(::waitpid(child, &wstatus, 0), child);
  ASSERT_TRUE(WIFEXITED(wstatus));
  ASSERT_EQ(WEXITSTATUS(wstatus), 0);

  auto service = MakeService();
  EXPECT_EQ(service->StatusJson()["buckets"]["src"]["pending_records"], 5);
  EXPECT_EQ(service->Flush().keys_written.size(), 1u);
  EXPECT_TRUE(service->Flush().keys_written.empty());
  service->Stop();
  auto restarted = MakeService();
  EXPECT_TRUE(restarted->Flush().keys_written.empty());
  const auto objects = writer_.Objects();
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(Records(objects.begin()->second).size(), 5u);
}

TEST_F(AccessLogServiceTest, ConcurrentSubmitsAreDeliveredExactlyOnce) {
  auto service = MakeService();
  service->SetConfiguration("src", kInfo, Config("tgt"));
  constexpr int kThreads = 4, kPerThread = 250;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&service, t] {
      for (int i = 0; i < kPerThread; ++i) {
        service->Submit(MakeRecord("src", "T" + std::to_string(t) + "-" + std::to_string(i)));
      }
    });
  }
  std::atomic<bool> done{false};
  std::thread flusher([&] {
    while (!done) {
      service->Flush();
      clock_.Advance(seconds(1));  // distinct seal times, as in real life
    }
  });
  for (auto& thread : threads) {
    thread.join();
  }
  done = true;
  flusher.join();
  service->Stop();
  std::multiset<std::string> ids;
  for (const auto& [key, body] : writer_.Objects()) {
    for (const auto& r : Records(body)) {
      ids.insert(r.Get(AccessLogField::kRequestId));
    }
  }
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(kThreads * kPerThread));
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());
}

TEST_F(AccessLogServiceTest, StopDeliversEverythingAndIsIdempotent) {
  auto service = MakeService();
  service->SetConfiguration("src", kInfo, Config("tgt"));
  service->Submit(MakeRecord("src", "R1"));
  service->Start();
  service->Stop();
  EXPECT_EQ(writer_.puts(), 1);
  service->Stop();
  EXPECT_EQ(writer_.puts(), 1);
}

TEST_F(AccessLogServiceTest, SchedulerThreadDeliversWhenTheClockReachesTheBoundary) {
  auto service = MakeService({.spool_dir = {}, .flush_interval = minutes(1)});
  service->SetConfiguration("src", kInfo, Config("tgt"));
  service->Submit(MakeRecord("src", "R1"));
  service->Start();
  clock_.Advance(minutes(1));
  const auto deadline = steady_clock::now() + seconds(10);
  while (writer_.Objects().empty() && steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_EQ(writer_.Objects().size(), 1u);
}

TEST_F(AccessLogServiceTest, FullSpoolDropsAndCounts) {
  auto service = MakeService({.spool_dir = {}, .spool_max_bytes = 1000});
  service->SetConfiguration("src", kInfo, Config("tgt"));
  for (int i = 0; i < 10; ++i) {
    service->Submit(MakeRecord("src", "R" + std::to_string(i)));
  }
  const auto status = service->StatusJson();
  const uint64_t pending = status["buckets"]["src"]["pending_records"];
  const uint64_t dropped = status["buckets"]["src"]["dropped_records"];
  EXPECT_GT(pending, 0u);
  EXPECT_GT(dropped, 0u);
  EXPECT_EQ(pending + dropped, 10u);
  EXPECT_EQ(status["records_dropped"], dropped);
}

TEST_F(AccessLogServiceTest, RegistryLoopsAndReset) {
  auto service = MakeService();
  service->SetConfiguration("b", kInfo, Config("c"));
  service->SetConfiguration("c", kInfo, Config("a"));
  EXPECT_EQ(service->FindLoop("a", "b"), (std::vector<std::string>{"a", "b", "c", "a"}));
  EXPECT_EQ(service->FindLoop("a", "a"), (std::vector<std::string>{"a", "a"}));
  EXPECT_TRUE(service->FindLoop("a", "x").empty());
  EXPECT_EQ(service->GetConfiguration("b")->target_bucket, "c");
  service->Submit(MakeRecord("b", "R1"));
  service->Reset();
  EXPECT_FALSE(service->IsEnabled("b"));
  EXPECT_FALSE(service->GetConfiguration("b"));
  EXPECT_TRUE(service->Flush().keys_written.empty());
  EXPECT_TRUE(service->StatusJson()["buckets"].empty());
}

}  // namespace
}  // namespace logbucket::logging
