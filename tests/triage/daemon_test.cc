#include "triage/daemon.h"

#include <map>

#include <gtest/gtest.h>

#include "testing/testing.h"

namespace tracery::triage {
namespace {

constexpr int64_t kHour = 3600LL * 1000000000LL;

class FakeClock : public Clock {
 public:
  explicit FakeClock(int64_t now) : now_(now) {}
  int64_t NowUnixNanos() const override { return now_; }
  void Set(int64_t t) { now_ = t; }

 private:
  int64_t now_;
};

// Only the state part of a RunSource is used by the daemon.
class StateOnlySource : public RunSource {
 public:
  Result<std::vector<model::Run>> ListRuns(const RunSelector&) override { return std::vector<model::Run>{}; }
  Result<RunView> LoadRun(const std::string&) override { return NotFoundError("none"); }
  Result<std::vector<std::string>> ClassifiedRuns(const std::string&, const std::string&,
                                                  const std::vector<std::string>&) override {
    return std::vector<std::string>{};
  }
  Status WriteClassifications(const std::vector<Classification>&) override { return OkStatus(); }
  Result<std::optional<std::string>> GetState(const std::string& key) override {
    auto it = state.find(key);
    if (it == state.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  Status SetState(const std::string& key, const std::string& value) override {
    state[key] = value;
    return OkStatus();
  }
  std::map<std::string, std::string> state;
};

DaemonOptions Opts(std::string key, int64_t max_ticks = 0, int64_t retry = 0) {
  DaemonOptions o;
  o.interval_ns = kHour;
  o.state_key = std::move(key);
  o.max_ticks = max_ticks;
  o.retry_delay_ns = retry;
  return o;
}

using Windows = std::vector<std::pair<int64_t, int64_t>>;

TEST(Daemon, DueWindowsAreContiguousAndComplete) {
  EXPECT_EQ(DueWindows(0, 3 * kHour + 5, kHour), (Windows{{0, kHour}, {kHour, 2 * kHour}, {2 * kHour, 3 * kHour}}));
  EXPECT_TRUE(DueWindows(0, kHour - 1, kHour).empty());
}

TEST(Daemon, FreshStartProcessesLastCompleteWindowThenEachNewOne) {
  StateOnlySource src;
  FakeClock clock(10 * kHour + 123);
  Windows seen;
  DaemonOptions opt = Opts("k", 3);
  auto window = [&](int64_t from, int64_t to) {
    seen.emplace_back(from, to);
    return OkStatus();
  };
  auto wait = [&](int64_t until) {
    clock.Set(until);  // time passes exactly to the wake-up
    return true;
  };
  ASSERT_OK_AND_ASSIGN(DaemonStats st, RunDaemon(src, clock, opt, window, wait));
  EXPECT_EQ(seen, (Windows{{9 * kHour, 10 * kHour}, {10 * kHour, 11 * kHour}, {11 * kHour, 12 * kHour}}));
  EXPECT_EQ(st.windows_ok, 3);
  EXPECT_EQ(src.state["k"], std::to_string(12 * kHour));
}

TEST(Daemon, RestartProcessesExactlyTheMissedWindows) {
  StateOnlySource src;
  src.state["k"] = std::to_string(5 * kHour);  // last run ended at 05:00, then the process died
  FakeClock clock(8 * kHour + 30);              // restarted at 08:00:00+
  Windows seen;
  DaemonOptions opt = Opts("k");
  auto window = [&](int64_t from, int64_t to) {
    seen.emplace_back(from, to);
    return OkStatus();
  };
  auto wait = [&](int64_t) { return false; };  // SIGTERM right after catching up
  ASSERT_OK(RunDaemon(src, clock, opt, window, wait));
  EXPECT_EQ(seen, (Windows{{5 * kHour, 6 * kHour}, {6 * kHour, 7 * kHour}, {7 * kHour, 8 * kHour}}));
  EXPECT_EQ(src.state["k"], std::to_string(8 * kHour));
}

TEST(Daemon, FailedWindowIsRetriedAndNotSkipped) {
  StateOnlySource src;
  src.state["k"] = std::to_string(2 * kHour);
  FakeClock clock(4 * kHour);
  Windows seen;
  int calls = 0;
  DaemonOptions opt = Opts("k", 4, 60'000'000'000LL);
  auto window = [&](int64_t from, int64_t to) {
    seen.emplace_back(from, to);
    if (++calls == 1) return UnavailableError("server down");
    return OkStatus();
  };
  std::vector<int64_t> waits;
  auto wait = [&](int64_t until) {
    waits.push_back(until);
    clock.Set(until);
    return true;
  };
  ASSERT_OK_AND_ASSIGN(DaemonStats st, RunDaemon(src, clock, opt, window, wait));
  EXPECT_EQ(seen, (Windows{{2 * kHour, 3 * kHour}, {2 * kHour, 3 * kHour}, {3 * kHour, 4 * kHour}, {4 * kHour, 5 * kHour}}));
  EXPECT_EQ(st.windows_failed, 1);
  ASSERT_FALSE(waits.empty());
  EXPECT_EQ(waits.front(), 4 * kHour + 60'000'000'000LL);  // retry delay, not a whole interval
  EXPECT_EQ(src.state["k"], std::to_string(5 * kHour));
}

TEST(Daemon, CorruptCheckpointIsAnErrorNamingTheKey) {
  StateOnlySource src;
  src.state["triage.serve.x"] = "12abc";
  FakeClock clock(kHour);
  auto r = RunDaemon(src, clock, Opts("triage.serve.x"),
                     [](int64_t, int64_t) { return OkStatus(); }, [](int64_t) { return false; });
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("triage.serve.x"), std::string::npos);
}

}  // namespace
}  // namespace tracery::triage
