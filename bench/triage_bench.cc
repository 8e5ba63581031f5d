// Triage benchmark: a 1,000-run triage of the seeded acceptance set (tests/triage/acceptance.h),
// (a) deterministic modes only, (b) plus a judge-involving mode answered by an in-process fake
// judge with a fixed latency (default 400 ms), printed beside docket's published numbers.
//
//   tracery_triage_bench [--runs N] [--latency-ms MS] [--concurrency C] [--batch B]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "triage/acceptance.h"
#include "triage/pipeline.h"

namespace {

using namespace tracery;
using namespace tracery::triage;

// Answers after `latency`: positive when the run text has no tool step output (mirrors the
// pre-filter; real judges would decide on content).
class SlowFakeJudge : public JudgeTransport {
 public:
  explicit SlowFakeJudge(int latency_ms) : latency_ms_(latency_ms) {}
  Result<JudgeResponse> Complete(const JudgeRequest& req) override {
    calls.fetch_add(1);
    std::this_thread::sleep_for(std::chrono::milliseconds(latency_ms_));
    nlohmann::json schema = nlohmann::json::parse(req.schema_json);
    size_t runs = 0;
    for (size_t p = req.user_prompt.find("=== Run"); p != std::string::npos; p = req.user_prompt.find("=== Run", p + 1)) ++runs;
    nlohmann::json item = {{"positive", false}, {"confidence", 0.2}, {"excerpt", ""}};
    nlohmann::json out;
    if (schema.contains("properties") && schema["properties"].contains("verdicts")) {
      out["verdicts"] = nlohmann::json::array();
      for (size_t i = 0; i < runs; ++i) out["verdicts"].push_back(item);
    } else {
      out = item;
    }
    JudgeResponse r;
    r.json = out.dump();
    r.input_tokens = 1500 * static_cast<int64_t>(runs);
    r.output_tokens = 60 * static_cast<int64_t>(runs);
    return r;
  }
  std::atomic<int64_t> calls{0};

 private:
  int latency_ms_;
};

double Seconds(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 1000, latency_ms = 400, concurrency = 32, batch = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--runs")) runs = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--latency-ms")) latency_ms = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--concurrency")) concurrency = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--batch")) batch = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "usage: %s [--runs N] [--latency-ms MS] [--concurrency C] [--batch B]\n", argv[0]);
      return 2;
    }
  }
  int per_mode = std::max(1, runs / 20);  // 5% of runs per injected mode
  auto samples = acceptance::Generate(runs - 4 * per_mode, per_mode);

  // (a) deterministic modes only.
  Result<Rubric> det = ParseRubric(acceptance::kRubric, "acceptance.yaml");
  if (!det.ok()) {
    std::fprintf(stderr, "rubric: %s\n", det.status().message().c_str());
    return 1;
  }
  acceptance::MemorySource source_a(samples);
  PipelineOptions oa;
  oa.limits.max_runs = 0;
  auto t0 = std::chrono::steady_clock::now();
  Result<TriageReport> ra = RunTriage(*det, source_a, oa);
  auto t1 = std::chrono::steady_clock::now();
  if (!ra.ok()) {
    std::fprintf(stderr, "triage: %s\n", ra.status().message().c_str());
    return 1;
  }
  fmt::print("deterministic modes ({} modes), {} runs: {:.3f} s ({:.0f} runs/s), 0 judge calls\n",
             det->modes.size(), ra->runs_classified, Seconds(t0, t1), ra->runs_classified / Seconds(t0, t1));
  fmt::print("  docket, stub provider 0 ms, concurrency 8: 0.19 s per 1000 traces (~5100 traces/s)\n");

  // (b) plus a composite with a deterministic pre-filter and a judge operand.
  Result<Rubric> withj = ParseRubric(acceptance::RubricWithJudge(), "acceptance-judge.yaml");
  if (!withj.ok()) {
    std::fprintf(stderr, "rubric: %s\n", withj.status().message().c_str());
    return 1;
  }
  acceptance::MemorySource source_b(samples);
  SlowFakeJudge judge(latency_ms);
  PipelineOptions ob;
  ob.limits.max_runs = 0;
  ob.transport = &judge;
  ob.judge.concurrency = concurrency;
  ob.judge.batch = batch;
  ob.judge.model = "claude-haiku-4-5";
  auto t2 = std::chrono::steady_clock::now();
  Result<TriageReport> rb = RunTriage(*withj, source_b, ob);
  auto t3 = std::chrono::steady_clock::now();
  if (!rb.ok()) {
    std::fprintf(stderr, "triage: %s\n", rb.status().message().c_str());
    return 1;
  }
  double per_run = static_cast<double>(rb->judge.calls) / static_cast<double>(rb->runs_classified);
  int64_t questions = 0;
  for (const auto& m : rb->modes) questions += m.judge_calls;
  fmt::print(
      "with a judge mode ({} ms fake judge, concurrency {}, batch {}), {} runs: {:.2f} s ({:.1f} runs/s)\n"
      "  judge calls: {} ({:.3f} per run), runs judged: {}, pre-flight estimate ${:.4f} on {}, ledger ${:.4f}\n",
      latency_ms, concurrency, batch, rb->runs_classified, Seconds(t2, t3), rb->runs_classified / Seconds(t2, t3),
      rb->judge.calls, per_run, questions, rb->estimate.usd, rb->estimate.model, rb->judge.usd);
  fmt::print("  docket, stub provider 400 ms, concurrency 32: 38.8 s per 1000 traces (~26 traces/s), "
             "3 LLM calls per trace, ~$7.50 per 1000 on Haiku 4.5\n");
  return 0;
}
