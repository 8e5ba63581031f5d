#pragma once

#include <cstdint>

namespace tracery {

// Injectable clock so tests never sleep. Thread-safe implementations only.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowUnixNanos() const = 0;
  // The process-wide real clock.
  static const Clock& Real();
};

}  // namespace tracery
