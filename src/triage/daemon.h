// `tracery triage serve`: runs the pipeline once per fixed window [t, t + interval). The end of
// the last completed window is persisted (RunSource::SetState), so after a restart exactly the
// missed windows are processed, in order — no gaps, no overlap. A failed window is retried (it
// is not advanced past) before any later window runs.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "triage/types.h"

namespace tracery::triage {

struct DaemonOptions {
  int64_t interval_ns = 3600LL * 1000000000LL;
  std::string state_key;          // e.g. "triage.serve.<rubric name>"
  int64_t max_ticks = 0;          // windows attempted before returning (0 = until stopped)
  int64_t retry_delay_ns = 0;     // after a failed window (0 = 1/10 of the interval, >= 1 s)
  // A fresh daemon (no checkpoint) starts with the last complete window before now; older
  // data is the job of `triage run`.
};

// Consecutive complete windows starting at `last_until`: [last_until + k*interval, +interval)
// with end <= now.
std::vector<std::pair<int64_t, int64_t>> DueWindows(int64_t last_until_ns, int64_t now_ns, int64_t interval_ns);

// Processes one window; a non-OK status leaves the checkpoint where it was.
using WindowFn = std::function<Status(int64_t from_ns, int64_t to_ns)>;
// Blocks until the wall clock reaches `until_ns` or a stop is requested; false = stop.
using WaitFn = std::function<bool(int64_t until_ns)>;

struct DaemonStats {
  int64_t windows_ok = 0;
  int64_t windows_failed = 0;  // attempts that failed (and were retried later)
  int64_t last_until_ns = 0;
};

// Returns when stopped or after max_ticks. Errors only when the state cannot be read/written or
// is corrupt (the key is named).
Result<DaemonStats> RunDaemon(RunSource& state, const Clock& clock, const DaemonOptions& options,
                              const WindowFn& window, const WaitFn& wait);

}  // namespace tracery::triage
