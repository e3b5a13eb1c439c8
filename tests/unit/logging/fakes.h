// Test doubles for the logging module: a settable clock, an in-memory LogObjectWriter that can be
// switched to fail with each DeliveryProblem (or to throw right after storing an object, to
// simulate a crash between writing a log object and forgetting its segment), and helpers.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>

#include "logging/access_log_record.h"
#include "logging/clock.h"
#include "logging/log_object_writer.h"

namespace logbucket::logging::testing {

using std::chrono::system_clock;

// 2024-03-05T10:20:00Z
inline system_clock::time_point TestTime() {
  using namespace std::chrono;
  return sys_days{year{2024} / 3 / 5} + hours{10} + minutes{20};
}

class FakeClock final : public Clock {
 public:
  explicit FakeClock(system_clock::time_point now = TestTime()) : now_(now) {}
  system_clock::time_point Now() const override {
    std::lock_guard lock(mu_);
    return now_;
  }
  void Set(system_clock::time_point now) {
    std::lock_guard lock(mu_);
    now_ = now;
  }
  void Advance(system_clock::duration d) {
    std::lock_guard lock(mu_);
    now_ += d;
  }

 private:
  mutable std::mutex mu_;  // guards now_
  system_clock::time_point now_;
};

class InMemoryLogObjectWriter final : public LogObjectWriter {
 public:
  DeliveryError CheckPermission(std::string_view target_bucket, std::string_view /*key*/,
                                std::string_view /*source_bucket*/,
                                std::string_view /*source_account*/) override {
    std::lock_guard lock(mu_);
    ++checks_;
    const auto it = problems_.find(std::string(target_bucket));
    if (it != problems_.end() && it->second != DeliveryProblem::kWriteFailed) {
      return {it->second, it->second == DeliveryProblem::kTargetMissing
                              ? "The target bucket for logging does not exist"
                              : "no bucket policy lets logging.s3.amazonaws.com write"};
    }
    return {DeliveryProblem::kNone, ""};
  }

  std::expected<void, DeliveryError> PutLogObject(std::string_view target_bucket,
                                                  std::string_view key,
                                                  std::string_view body) override {
    std::lock_guard lock(mu_);
    const auto it = problems_.find(std::string(target_bucket));
    if (it != problems_.end() && it->second == DeliveryProblem::kWriteFailed) {
      return std::unexpected(DeliveryError{DeliveryProblem::kWriteFailed, "disk full"});
    }
    ++puts_;
    ++puts_per_target_[std::string(target_bucket)];
    objects_[std::string(target_bucket) + "/" + std::string(key)] = std::string(body);
    if (throw_after_put_ == puts_) {
      throw std::runtime_error("simulated crash after a put");
    }
    return {};
  }

  // kNone clears the problem of `target`.
  void SetProblem(const std::string& target, DeliveryProblem problem) {
    std::lock_guard lock(mu_);
    if (problem == DeliveryProblem::kNone) {
      problems_.erase(target);
    } else {
      problems_[target] = problem;
    }
  }
  // The n-th put (counting from 1) stores its object, then throws.
  void ThrowAfterPut(int n) {
    std::lock_guard lock(mu_);
    throw_after_put_ = n;
  }
  std::map<std::string, std::string> Objects() const {
    std::lock_guard lock(mu_);
    return objects_;
  }
  int puts() const {
    std::lock_guard lock(mu_);
    return puts_;
  }
  int PutsTo(const std::string& target) const {
    std::lock_guard lock(mu_);
    const auto it = puts_per_target_.find(target);
    return it == puts_per_target_.end() ? 0 : it->second;
  }

 private:
  mutable std::mutex mu_;  // guards everything below
  std::map<std::string, DeliveryProblem> problems_;
  std::map<std::string, std::string> objects_;
  std::map<std::string, int> puts_per_target_;
  int puts_ = 0;
  int checks_ = 0;
  int throw_after_put_ = -1;
};

// A fresh directory under the system temp dir, removed with the object.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "logbucket-logging-XXXXXX");
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("mkdtemp failed");
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline AccessLogRecord MakeRecord(const std::string& bucket, const std::string& request_id,
                                  system_clock::time_point time = TestTime()) {
  AccessLogRecord r;
  r.bucket_owner = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be";
  r.bucket = bucket;
  r.time = time;
  r.remote_ip = "127.0.0.1";
  r.requester = "arn:aws:iam::123456789012:user/test";
  r.request_id = request_id;
  r.operation = "REST.PUT.OBJECT";
  r.key = "photos/" + request_id;
  r.request_uri = "PUT /" + bucket + "/photos/" + request_id + " HTTP/1.1";
  r.http_status = 200;
  r.object_size = 7;
  r.total_time_ms = 12;
  r.turn_around_time_ms = 3;
  r.referer = "";
  r.user_agent = "aws-cli/2.9";
  r.host_id = "hostid=";
  r.signature_version = "SigV4";
  r.auth_type = "AuthHeader";
  r.host_header = "127.0.0.1:9000";
  return r;
}

}  // namespace logbucket::logging::testing
