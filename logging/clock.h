// Clock: the time source of the delivery scheduler, injectable so tests drive it.
// Thread-safety: implementations must be callable from any thread.
#pragma once

#include <chrono>

namespace logbucket::logging {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point Now() const override {
    return std::chrono::system_clock::now();
  }
};

}  // namespace logbucket::logging
