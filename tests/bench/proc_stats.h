// ProcSampler: what /proc says about another process (the server under test): its CPU time
// (utime + stime of /proc/PID/stat) and its memory (VmRSS sampled every 20 ms on a thread of its
// own while sampling is on, and VmHWM, the kernel's high-water mark since the process started).
// With pid 0 every figure is absent or zero.
// Thread-safety: one owner; the sampling thread only touches max_rss_kib_.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string_view>
#include <thread>

namespace logbucket::bench {

class ProcSampler {
 public:
  explicit ProcSampler(int pid) : pid_(pid) {}
  ~ProcSampler() { StopRssSampling(); }
  ProcSampler(const ProcSampler&) = delete;
  ProcSampler& operator=(const ProcSampler&) = delete;

  // User + system CPU seconds consumed so far; nullopt when the process is not readable.
  std::optional<double> CpuSeconds() const;
  // A "Vm...:" field of /proc/PID/status in KiB; 0 when absent.
  uint64_t StatusKib(std::string_view field) const;
  uint64_t VmHwmKib() const { return StatusKib("VmHWM:"); }

  void StartRssSampling();
  void StopRssSampling();
  uint64_t max_rss_kib() const { return max_rss_kib_.load(); }

 private:
  const int pid_;
  std::atomic<bool> sampling_{false};
  std::atomic<uint64_t> max_rss_kib_{0};
  std::thread thread_;
};

}  // namespace logbucket::bench
