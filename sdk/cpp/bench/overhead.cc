// Agent-thread cost per step (target < 50 us): start a tool step, set two metadata keys and
// tokens, end it. Exports to a closed port. Two modes: "isolated" keeps the export thread asleep
// during the loop (batch size > steps), measuring the agent thread alone; "concurrent" lets it
// export 512-span batches meanwhile (on a loaded machine it competes for the CPU and the queue
// lock). Usage: tracery_sdk_bench_overhead [steps]
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "tracery_sdk/tracery_sdk.h"

namespace {
// CPU time of the calling thread: the agent thread's own cost, even on a loaded machine.
double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}
}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 50000;
  for (bool isolated : {true, false})
  for (auto privacy : {tracery_sdk::Privacy::kFull, tracery_sdk::Privacy::kMask,
                       tracery_sdk::Privacy::kMetadataOnly}) {
    tracery_sdk::TracerOptions options;
    options.agent_id = "bench";
    options.agent_version = "1";
    options.endpoint = "http://127.0.0.1:9";
    options.privacy = privacy;
    options.max_queue_size = static_cast<std::size_t>(n) + 10;
    options.max_retries = 0;
    options.export_timeout = std::chrono::milliseconds(200);
    options.log_errors = false;
    if (isolated) {
      options.max_batch_size = static_cast<std::size_t>(n) + 10;
      options.schedule_delay = std::chrono::hours(1);
    }
    tracery_sdk::Tracer tracer(options);
    double seconds = 0, cpu_seconds = 0;
    {
      tracery_sdk::Run run = tracer.StartRun("bench");
      const auto t0 = std::chrono::steady_clock::now();
      const double c0 = ThreadCpuSeconds();
      for (int i = 0; i < n; ++i) {
        tracery_sdk::Step step = run.StartStep(tracery_sdk::StepType::kTool, "billing_api");
        step.Set("order_id", i).Set("region", "eu-west-1");
        step.SetTokens({100, 20, {}, {}, {}, {}});
      }
      seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      cpu_seconds = ThreadCpuSeconds() - c0;
    }
    std::printf("%-10s privacy=%-13s wall %.3f us/step, agent-thread cpu %.3f us/step (%d steps)\n",
                isolated ? "isolated" : "concurrent", tracery_sdk::ToString(privacy),
                seconds / n * 1e6, cpu_seconds / n * 1e6, n);
    tracer.Shutdown(std::chrono::milliseconds(100));
  }
  return 0;
}
