#include "tests/bench/proc_stats.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace logbucket::bench {

std::optional<double> ProcSampler::CpuSeconds() const {
  if (pid_ <= 0) return std::nullopt;
  std::ifstream in("/proc/" + std::to_string(pid_) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  // The command name (field 2) may hold spaces; fields after its closing ')' are plain.
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(line.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  // Fields 3.. follow; utime and stime are fields 14 and 15.
  for (int index = 3; index <= 15 && fields >> field; ++index) {
    if (index == 14) utime = std::strtoull(field.c_str(), nullptr, 10);
    if (index == 15) stime = std::strtoull(field.c_str(), nullptr, 10);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

uint64_t ProcSampler::StatusKib(std::string_view name) const {
  if (pid_ <= 0) return 0;
  std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(name)) return std::strtoull(line.c_str() + name.size(), nullptr, 10);
  }
  return 0;
}

void ProcSampler::StartRssSampling() {
  if (pid_ <= 0 || sampling_.exchange(true)) return;
  thread_ = std::thread([this] {
    while (sampling_.load()) {
      const uint64_t rss = StatusKib("VmRSS:");
      uint64_t seen = max_rss_kib_.load();
      while (rss > seen && !max_rss_kib_.compare_exchange_weak(seen, rss)) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
}

void ProcSampler::StopRssSampling() {
  if (!sampling_.exchange(false)) return;
  if (thread_.joinable()) thread_.join();
}

}  // namespace logbucket::bench
