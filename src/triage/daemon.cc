#include "triage/daemon.h"

#include <algorithm>
#include <charconv>

#include "core/log.h"

namespace tracery::triage {

std::vector<std::pair<int64_t, int64_t>> DueWindows(int64_t last_until_ns, int64_t now_ns, int64_t interval_ns) {
  std::vector<std::pair<int64_t, int64_t>> out;
  if (interval_ns <= 0) return out;
  for (int64_t from = last_until_ns; from + interval_ns <= now_ns; from += interval_ns) {
    out.emplace_back(from, from + interval_ns);
  }
  return out;
}

Result<DaemonStats> RunDaemon(RunSource& state, const Clock& clock, const DaemonOptions& options,
                              const WindowFn& window, const WaitFn& wait) {
  if (options.interval_ns <= 0) return InvalidArgumentError("--interval must be positive");
  if (options.state_key.empty()) return InvalidArgumentError("daemon state key is empty");
  DaemonStats stats;
  TRACERY_ASSIGN_OR_RETURN(std::optional<std::string> saved, state.GetState(options.state_key));
  if (saved) {
    int64_t v = 0;
    auto [ptr, ec] = std::from_chars(saved->data(), saved->data() + saved->size(), v);
    if (ec != std::errc() || ptr != saved->data() + saved->size() || v < 0) {
      return DataLossError("state " + options.state_key + ": corrupt checkpoint '" + *saved + "'");
    }
    stats.last_until_ns = v;
  } else {
    // Aligned windows: the same window always has the same bounds (and triage run id).
    int64_t now = clock.NowUnixNanos();
    stats.last_until_ns = (now / options.interval_ns) * options.interval_ns - options.interval_ns;
  }
  int64_t retry_delay = options.retry_delay_ns > 0 ? options.retry_delay_ns
                                                   : std::max<int64_t>(options.interval_ns / 10, 1000000000LL);
  int64_t ticks = 0;
  while (true) {
    int64_t now = clock.NowUnixNanos();
    auto due = DueWindows(stats.last_until_ns, now, options.interval_ns);
    bool failed = false;
    for (const auto& [from, to] : due) {
      if (options.max_ticks > 0 && ticks >= options.max_ticks) return stats;
      ++ticks;
      Status s = window(from, to);
      if (!s.ok()) {
        ++stats.windows_failed;
        log::Warn("triage serve: window [{}, {}) failed, will retry: {}", from, to, s.message());
        failed = true;
        break;  // never skip past a failed window
      }
      TRACERY_RETURN_IF_ERROR(state.SetState(options.state_key, std::to_string(to)));
      stats.last_until_ns = to;
      ++stats.windows_ok;
    }
    if (options.max_ticks > 0 && ticks >= options.max_ticks) return stats;
    int64_t next = failed ? clock.NowUnixNanos() + retry_delay : stats.last_until_ns + options.interval_ns;
    if (!wait(next)) return stats;
  }
}

}  // namespace tracery::triage
