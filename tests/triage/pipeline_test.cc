#include "triage/pipeline.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "testing/testing.h"
#include "triage/detect.h"

namespace tracery::triage {
namespace {

using nlohmann::json;

constexpr const char* kRubric = R"yaml(
apiVersion: tracery.dev/v1
kind: Rubric
metadata: {name: test-rubric, version: 1.2.0}
modes:
  - id: leak
    severity: medium
    detection: {type: regex, pattern: "(?i)my system prompt is"}
  - id: long-run
    severity: high
    detection: {type: metric_threshold, metric: span_count, operator: ">", threshold: 5}
  - id: judged
    severity: critical
    detection:
      type: llm_judge
      prompt: "Is the run bad?"
      output_schema:
        type: object
        required: [positive]
        properties: {positive: {type: boolean}, confidence: {type: number}, excerpt: {type: string}}
  - id: bad-handoff
    severity: high
    detection:
      type: composite
      operator: and
      operands:
        - type: llm_judge
          prompt: "Did the receiver lack context?"
          output_schema:
            type: object
            required: [positive]
            properties: {positive: {type: boolean}, confidence: {type: number}}
        - {type: tool_call, tool_calls: [handoff_to_specialist]}
clustering: {strategy: mode-only, min_cluster_size: 2, similarity_threshold: 0.5}
)yaml";

model::Step MakeStep(const std::string& run, int n, std::string name, model::StepType type, std::string output,
                     std::string tool = "") {
  model::Step s;
  s.run_id = run;
  s.step_id = "s" + std::to_string(n);
  s.parent_id = n == 0 ? "" : "s0";
  s.name = std::move(name);
  s.type = type;
  s.start_ns = 1000 + n;
  s.end_ns = 2000 + n;
  s.status = model::StepStatus::kOk;
  s.tool_name = std::move(tool);
  if (!output.empty()) {
    model::ContentField f;
    f.name = "output";
    f.parts = {std::move(output)};
    s.content.push_back(std::move(f));
  }
  return s;
}

// A run: `steps` steps; `text` is the final LLM output; `handoff` adds a handoff tool call.
RunView MakeRun(int i, int steps, const std::string& text, bool handoff = false, bool failed = false) {
  RunView v;
  v.run.run_id = "run-" + std::to_string(100 + i);
  v.run.start_ns = 1'000'000'000LL * (i + 1);
  v.run.end_ns = v.run.start_ns + 1000;
  v.run.status = failed ? model::RunStatus::kFailed : model::RunStatus::kOk;
  v.run.agent_version = "v1";
  v.steps.push_back(MakeStep(v.run.run_id, 0, "agent", model::StepType::kAgent, ""));
  for (int k = 1; k < steps - (handoff ? 2 : 1); ++k) {
    v.steps.push_back(MakeStep(v.run.run_id, k, "think", model::StepType::kLlm, "thinking " + std::to_string(k)));
  }
  if (handoff) {
    v.steps.push_back(MakeStep(v.run.run_id, steps - 2, "handoff_to_specialist", model::StepType::kTool, "",
                               "handoff_to_specialist"));
  }
  v.steps.push_back(MakeStep(v.run.run_id, steps - 1, "answer", model::StepType::kLlm, text));
  v.run.step_count = static_cast<int64_t>(v.steps.size());
  return v;
}

class FakeSource : public RunSource {
 public:
  Result<std::vector<model::Run>> ListRuns(const RunSelector& sel) override {
    ++list_calls;
    last_selector = sel;
    std::vector<model::Run> out;
    for (const auto& [id, v] : runs) {
      if (sel.from_ns && v.run.start_ns < sel.from_ns) continue;
      if (sel.to_ns && v.run.start_ns >= sel.to_ns) continue;
      if (sel.errors_only && v.run.status != model::RunStatus::kFailed) continue;
      out.push_back(v.run);
    }
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.start_ns < b.start_ns; });
    return out;
  }
  Result<RunView> LoadRun(const std::string& id) override {
    ++loads;
    if (broken.count(id)) return UnavailableError("disk on fire");
    return runs.at(id);
  }
  Result<std::vector<std::string>> ClassifiedRuns(const std::string& name, const std::string& version,
                                                  const std::vector<std::string>& ids) override {
    std::vector<std::string> out;
    for (const auto& id : ids) {
      bool any = false, error = false;
      for (const auto& [key, c] : annotations) {
        if (c.run_id == id && c.rubric_name == name && c.rubric_version == version) {
          any = true;
          error = error || !c.error.empty();
        }
      }
      if (any && !error) out.push_back(id);
    }
    return out;
  }
  Status WriteClassifications(const std::vector<Classification>& items) override {
    for (const auto& c : items) annotations[c.run_id + "|" + c.rubric_version + "|" + c.mode_id] = c;
    return OkStatus();
  }
  Result<std::optional<std::string>> GetState(const std::string&) override { return std::optional<std::string>(); }
  Status SetState(const std::string&, const std::string&) override { return OkStatus(); }

  void Add(RunView v) { runs[v.run.run_id] = std::move(v); }

  std::map<std::string, RunView> runs;
  std::map<std::string, Classification> annotations;
  std::set<std::string> broken;
  RunSelector last_selector;
  int list_calls = 0, loads = 0;
};

// In-process judge: positive iff the run text contains "BAD"; counts calls and runs judged.
class FakeTransport : public JudgeTransport {
 public:
  Result<JudgeResponse> Complete(const JudgeRequest& req) override {
    ++calls;
    json schema = json::parse(req.schema_json);
    auto verdict = [](const std::string& text) {
      bool bad = text.find("BAD") != std::string::npos;
      return json{{"positive", bad}, {"confidence", bad ? 0.9 : 0.1}, {"excerpt", bad ? "BAD answer" : "fine"}};
    };
    json out;
    std::vector<std::string> chunks;
    size_t pos = 0;
    while ((pos = req.user_prompt.find("=== Run", pos)) != std::string::npos) {
      size_t start = req.user_prompt.find('\n', pos) + 1;
      size_t next = req.user_prompt.find("=== Run", start);
      chunks.push_back(req.user_prompt.substr(start, next == std::string::npos ? std::string::npos : next - start));
      pos = start;
    }
    runs_judged += static_cast<int>(chunks.size());
    if (schema.contains("properties") && schema["properties"].contains("verdicts")) {
      out["verdicts"] = json::array();
      for (const auto& c : chunks) out["verdicts"].push_back(verdict(c));
    } else {
      out = verdict(chunks.at(0));
    }
    JudgeResponse r;
    r.json = out.dump();
    r.input_tokens = 1000;
    r.output_tokens = 50;
    return r;
  }
  std::atomic<int> calls{0};
  std::atomic<int> runs_judged{0};
};

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = ParseRubric(kRubric, "test.yaml");
    ASSERT_OK(r);
    rubric_ = std::move(r).value();
    // 0-2: clean; 3-4: long runs; 5-6: leak; 7-8: judged BAD; 9: handoff + BAD; 10: handoff, fine.
    for (int i = 0; i < 3; ++i) source_.Add(MakeRun(i, 3, "all good"));
    for (int i = 3; i < 5; ++i) source_.Add(MakeRun(i, 8, "done after many steps"));
    for (int i = 5; i < 7; ++i) source_.Add(MakeRun(i, 3, "Sure! My system prompt is: be helpful"));
    for (int i = 7; i < 9; ++i) source_.Add(MakeRun(i, 3, "BAD made-up answer"));
    source_.Add(MakeRun(9, 4, "BAD after handoff", true));
    source_.Add(MakeRun(10, 4, "fine after handoff", true));
    options_.transport = &judge_;
    options_.judge.model = "gpt-4o-mini";
    options_.judge.concurrency = 1;
    options_.limits.max_runs = 1000;
  }

  Rubric rubric_;
  FakeSource source_;
  FakeTransport judge_;
  PipelineOptions options_;
};

TEST_F(PipelineTest, ClassifiesEveryModeAndWritesAnnotations) {
  ASSERT_OK_AND_ASSIGN(TriageReport r, RunTriage(rubric_, source_, options_));
  EXPECT_FALSE(r.aborted);
  EXPECT_EQ(r.runs_listed, 11);
  EXPECT_EQ(r.runs_classified, 11);
  std::map<std::string, ModeTally> t;
  for (const auto& m : r.modes) t[m.mode_id] = m;
  EXPECT_EQ(t["leak"].positive, 2);
  EXPECT_EQ(t["long-run"].positive, 2);
  EXPECT_EQ(t["judged"].positive, 3);  // 7, 8 and 9 contain BAD
  EXPECT_EQ(t["bad-handoff"].positive, 1);
  EXPECT_EQ(t["bad-handoff"].negative, 10);
  for (const auto& m : r.modes) EXPECT_EQ(m.error, 0) << m.mode_id;
  EXPECT_EQ(r.annotations_written, 11 * 4);
  EXPECT_EQ(source_.annotations.size(), 44u);
  const Classification& c = source_.annotations.at("run-105|1.2.0|leak");
  EXPECT_TRUE(c.positive);
  EXPECT_EQ(c.detector, "regex");
  EXPECT_EQ(c.triage_run_id, r.triage_run_id);
  EXPECT_EQ(c.agent_version, "v1");
}

TEST_F(PipelineTest, DeterministicOperandSparesJudgeCalls) {
  ASSERT_OK_AND_ASSIGN(TriageReport r, RunTriage(rubric_, source_, options_));
  // judged: one question per run (11); bad-handoff: only runs with the handoff tool (2).
  EXPECT_EQ(judge_.runs_judged.load(), 13);
  EXPECT_EQ(r.judge.calls, 13);  // batch 1
  EXPECT_EQ(r.judge.input_tokens, 13000);
  EXPECT_GT(r.judge.usd, 0);
}

TEST_F(PipelineTest, BatchingReducesCallsNotAnswers) {
  options_.judge.batch = 4;
  ASSERT_OK_AND_ASSIGN(TriageReport r, RunTriage(rubric_, source_, options_));
  EXPECT_EQ(judge_.calls.load(), 3 + 1);  // ceil(11/4) for judged, ceil(2/4) for bad-handoff
  std::map<std::string, ModeTally> t;
  for (const auto& m : r.modes) t[m.mode_id] = m;
  EXPECT_EQ(t["judged"].positive, 3);
  EXPECT_EQ(t["bad-handoff"].positive, 1);
}

TEST_F(PipelineTest, RerunIsIdempotentAndSkipsClassifiedRuns) {
  ASSERT_OK_AND_ASSIGN(TriageReport first, RunTriage(rubric_, source_, options_));
  auto before = source_.annotations;
  int calls = judge_.calls.load();
  ASSERT_OK_AND_ASSIGN(TriageReport second, RunTriage(rubric_, source_, options_));
  EXPECT_EQ(second.runs_skipped_classified, 11);
  EXPECT_EQ(second.runs_classified, 0);
  EXPECT_EQ(judge_.calls.load(), calls);
  EXPECT_EQ(source_.annotations.size(), before.size());
  EXPECT_EQ(first.triage_run_id, second.triage_run_id);
  // A new rubric version classifies again.
  rubric_.version = "1.3.0";
  ASSERT_OK_AND_ASSIGN(TriageReport third, RunTriage(rubric_, source_, options_));
  EXPECT_EQ(third.runs_classified, 11);
  EXPECT_NE(third.triage_run_id, first.triage_run_id);
}

TEST_F(PipelineTest, JudgeErrorsAreErrorsAndRetriedNextTime) {
  class FailingTransport : public JudgeTransport {
   public:
    Result<JudgeResponse> Complete(const JudgeRequest&) override { return UnavailableError("judge down"); }
  } failing;
  options_.transport = &failing;
  ASSERT_OK_AND_ASSIGN(TriageReport r, RunTriage(rubric_, source_, options_));
  std::map<std::string, ModeTally> t;
  for (const auto& m : r.modes) t[m.mode_id] = m;
  EXPECT_EQ(t["judged"].error, 11);
  EXPECT_EQ(t["judged"].positive + t["judged"].negative, 0);  // never scored negative
  EXPECT_EQ(t["leak"].positive, 2);                            // deterministic modes unaffected
  EXPECT_FALSE(r.errors.empty());
  // Runs with an errored mode are not "classified": the next run retries them.
  options_.transport = &judge_;
  ASSERT_OK_AND_ASSIGN(TriageReport again, RunTriage(rubric_, source_, options_));
  EXPECT_EQ(again.runs_classified, 11);
  for (const auto& m : again.modes) EXPECT_EQ(m.error, 0) << m.mode_id;
}

TEST_F(PipelineTest, NoJudgeConfiguredErrorsJudgeModesOnly) {
  options_.transport = nullptr;
  ASSERT_OK_AND_ASSIGN(TriageReport r, RunTriage(rubric_, source_, options_));
  std::map<std::string, ModeTally> t;
  for (const auto& m : r.modes) t[m.mode_id] = m;
  EXPECT_EQ(t["judged"].error, 11);
  EXPECT_EQ(t["long-run"].positive, 2);
}

TEST_F(PipelineTest, MaxRunsAbortsBeforeAnyFetch) {
  options_.limits.max_runs = 5;
  ASSERT_OK_AND_ASSIGN(TriageReport r, RunTriage(rubric_, source_, options_));
  EXPECT_TRUE(r.aborted);
  EXPECT_NE(r.abort_reason.find("--max-runs 5"), std::string::npos);
  EXPECT_EQ(source_.loads, 0);
  EXPECT_TRUE(source_.annotations.empty());
  EXPECT_EQ(judge_.calls.load(), 0);
}

TEST_F(PipelineTest, SampleBeforeGateSoASampleFitsTheBudget) {
  options_.limits.max_runs = 5;
  options_.sample.size = 5;
  ASSERT_OK_AND_ASSIGN(TriageReport r, RunTriage(rubric_, source_, options_));
  EXPECT_FALSE(r.aborted);
  EXPECT_EQ(r.runs_sampled, 5);
  EXPECT_EQ(r.runs_classified, 5);
}

TEST_F(PipelineTest, CostGateUsesPreflightEstimate) {
  // 2 judge modes x 11 runs x (1500 in + 200 out) on gpt-4o-mini = 22 x $0.000345 = $0.00759.
  options_.limits.max_cost_usd = 0.007;
  ASSERT_OK_AND_ASSIGN(TriageReport r, RunTriage(rubric_, source_, options_));
  EXPECT_TRUE(r.aborted);
  EXPECT_FALSE(r.budget.cost_ok);
  EXPECT_EQ(r.estimate.judge_modes, 2);
  EXPECT_EQ(r.estimate.calls, 22);
  EXPECT_NEAR(r.estimate.usd, 2 * 11 * (1500 * 0.15 + 200 * 0.60) / 1e6, 1e-12);
  EXPECT_EQ(source_.loads, 0);
  // An unknown model with a dollar gate is an error, not a guess.
  options_.judge.model = "my-local-llama";
  EXPECT_STATUS(RunTriage(rubric_, source_, options_), StatusCode::kNotFound);
  // Without a gate it runs, with an uncosted estimate.
  options_.limits.max_cost_usd = 0;
  ASSERT_OK_AND_ASSIGN(TriageReport unpriced, RunTriage(rubric_, source_, options_));
  EXPECT_FALSE(unpriced.aborted);
  EXPECT_EQ(unpriced.estimate.calls, 22);
  EXPECT_EQ(unpriced.estimate.usd, 0);
  rubric_.version = "9.0.0";  // classify again
  options_.judge.model = "gpt-4o-mini";
  options_.limits.max_cost_usd = 0.008;
  ASSERT_OK_AND_ASSIGN(TriageReport ok, RunTriage(rubric_, source_, options_));
  EXPECT_FALSE(ok.aborted);
  EXPECT_EQ(ok.runs_classified, 11);
}

TEST_F(PipelineTest, DryRunReportsGatesAndTouchesNothing) {
  options_.dry_run = true;
  ASSERT_OK_AND_ASSIGN(TriageReport r, RunTriage(rubric_, source_, options_));
  EXPECT_TRUE(r.dry_run);
  EXPECT_FALSE(r.aborted);
  EXPECT_EQ(r.runs_sampled, 11);
  EXPECT_EQ(source_.loads, 0);
  EXPECT_TRUE(source_.annotations.empty());
  options_.limits.max_runs = 3;
  ASSERT_OK_AND_ASSIGN(TriageReport no, RunTriage(rubric_, source_, options_));
  EXPECT_TRUE(no.aborted);
}

TEST_F(PipelineTest, ErrorsOnlyIsPushedDownToTheListing) {
  options_.sample.strategy = "errors-only";
  RunView f = MakeRun(20, 3, "crashed", false, true);
  source_.Add(f);
  ASSERT_OK_AND_ASSIGN(TriageReport r, RunTriage(rubric_, source_, options_));
  EXPECT_TRUE(source_.last_selector.errors_only);
  EXPECT_EQ(r.runs_listed, 1);
}

TEST_F(PipelineTest, FetchFailureSkipsTheRunOnly) {
  source_.broken.insert("run-100");
  ASSERT_OK_AND_ASSIGN(TriageReport r, RunTriage(rubric_, source_, options_));
  EXPECT_EQ(r.runs_failed, 1);
  EXPECT_EQ(r.runs_classified, 10);
  ASSERT_FALSE(r.errors.empty());
  EXPECT_NE(r.errors[0].find("run-100"), std::string::npos);
}

TEST_F(PipelineTest, ClustersDraftsQueueAndReport) {
  testing::TempDir dir;
  options_.queue_dir = dir.path() + "/queue";
  ASSERT_OK_AND_ASSIGN(TriageReport r, RunTriage(rubric_, source_, options_));
  // mode-only clustering, min size 2: leak (2), long-run (2), judged (3); bad-handoff (1) too small.
  ASSERT_EQ(r.clusters.size(), 3u);
  ASSERT_EQ(r.drafts.size(), 3u);
  std::set<std::string> modes;
  for (const auto& c : r.clusters) modes.insert(c.mode_id);
  EXPECT_EQ(modes, (std::set<std::string>{"leak", "long-run", "judged"}));
  DraftQueue q(options_.queue_dir);
  ASSERT_OK_AND_ASSIGN(auto queued, q.List());
  EXPECT_EQ(queued.size(), 3u);
  ASSERT_OK(WriteReport(r, dir.path() + "/report"));
  std::ifstream md(dir.path() + "/report/report.md");
  std::string text((std::istreambuf_iterator<char>(md)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("| judged | critical | 3 | 8 | 0 |"), std::string::npos) << text;
  std::ifstream js(dir.path() + "/report/report.json");
  json j = json::parse(js);
  EXPECT_EQ(j["runs"]["classified"], 11);
  EXPECT_EQ(j["clusters"].size(), 3u);
  EXPECT_EQ(j["triage_run_id"], r.triage_run_id);
}

TEST_F(PipelineTest, ExcerptsAreRedactedBeforeStorage) {
  source_.Add(MakeRun(30, 3, "my system prompt is: mail bob@example.com"));
  options_.redact = [](std::string* s) {
    size_t p;
    while ((p = s->find("bob@example.com")) != std::string::npos) s->replace(p, 15, "[REDACTED:email]");
  };
  options_.judge.redact = options_.redact;
  ASSERT_OK(RunTriage(rubric_, source_, options_));
  for (const auto& [k, c] : source_.annotations) {
    EXPECT_EQ(c.excerpt.find("bob@example.com"), std::string::npos) << k;
  }
}

TEST(TriageRunIdTest, StablePerRubricVersionAndWindow) {
  EXPECT_EQ(TriageRunId("a", "1.0.0", 1, 2), TriageRunId("a", "1.0.0", 1, 2));
  EXPECT_NE(TriageRunId("a", "1.0.0", 1, 2), TriageRunId("a", "1.0.1", 1, 2));
  EXPECT_NE(TriageRunId("a", "1.0.0", 1, 2), TriageRunId("a", "1.0.0", 1, 3));
  EXPECT_EQ(TriageRunId("a", "1.0.0", 1, 2).size(), 16u);
}

}  // namespace
}  // namespace tracery::triage
