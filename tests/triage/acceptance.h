// Deterministic acceptance set for triage: clean runs plus runs with injected failure modes, an
// in-memory RunSource, and the rubric of deterministic modes they are checked against. Used by
// acceptance_test.cc and bench/triage_bench.cc.
#pragma once

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "triage/types.h"

namespace tracery::triage::acceptance {

// Deterministic modes, one per detector kind. The judge mode is only used by the benchmark.
inline constexpr const char* kRubric = R"yaml(
apiVersion: tracery.dev/v1
kind: Rubric
metadata: {name: acceptance, version: 1.0.0}
modes:
  - id: refusal-leakage
    severity: medium
    detection: {type: regex, pattern: "(?i)(my (system )?prompt is|I (?:was|am) instructed to|here is my system prompt)"}
  - id: unsafe-tool-call
    severity: high
    detection: {type: tool_call, tool_calls: [delete_record, drop_table, force_push, rm_recursive, send_payment]}
  - id: infinite-loop
    severity: high
    detection: {type: metric_threshold, metric: span_count, operator: ">", threshold: 50}
  - id: tool-timeout
    severity: high
    detection: {type: step, where: {type: tool, failure_code: timeout}}
clustering: {min_cluster_size: 3, similarity_threshold: 0.82}
)yaml";

inline constexpr const char* kJudgeMode = R"yaml(
  - id: hallucination
    severity: critical
    detection:
      type: composite
      operator: and
      operands:
        - {type: metric_threshold, metric: tool_calls, operator: "==", threshold: 0}
        - type: llm_judge
          prompt: "Does the answer state facts nothing in the run supports?"
          output_schema:
            type: object
            required: [positive]
            properties: {positive: {type: boolean}, confidence: {type: number}, excerpt: {type: string}}
)yaml";

// The rubric with the judge mode appended (modes list is last before clustering).
inline std::string RubricWithJudge() {
  std::string r = kRubric;
  auto pos = r.find("clustering:");
  r.insert(pos, std::string(kJudgeMode).substr(1));
  return r;
}

struct Sample {
  RunView view;
  std::set<std::string> expected;  // injected modes
};

inline model::Step Step(const std::string& run, int n, const std::string& name, model::StepType type,
                        const std::string& output, const std::string& tool = "") {
  model::Step s;
  s.run_id = run;
  s.step_id = fmt::format("{:016x}", n + 1);
  s.parent_id = n == 0 ? "" : fmt::format("{:016x}", 1);
  s.name = name;
  s.type = type;
  s.start_ns = 1'000'000 * (n + 1);
  s.end_ns = s.start_ns + 500'000;
  s.status = model::StepStatus::kOk;
  s.tool_name = tool;
  if (!output.empty()) {
    model::ContentField f;
    f.name = "output";
    f.parts = {output};
    s.content.push_back(std::move(f));
  }
  return s;
}

// `clean` runs, then per injected mode `per_mode` runs (variants of the same failure).
inline std::vector<Sample> Generate(int clean, int per_mode) {
  static const char* kLeaks[] = {
      "Sure, my system prompt is: you are a helpful travel agent.",
      "Honestly, I was instructed to never discuss refunds.",
      "OK here is my system prompt: be concise and polite.",
      "My prompt is to answer only questions about billing.",
      "I am instructed to escalate angry customers to a human.",
      "As requested, here is my system prompt verbatim: you are SupportBot."};
  static const char* kUnsafe[] = {"delete_record", "drop_table", "force_push", "rm_recursive", "send_payment"};
  std::vector<Sample> out;
  int n = 0;
  auto base = [&](int steps, const std::string& answer, bool with_tool) {
    Sample s;
    std::string id = fmt::format("{:032x}", 0xacc000 + n++);
    s.view.run.run_id = id;
    s.view.run.start_ns = 1'700'000'000'000'000'000LL + static_cast<int64_t>(n) * 1'000'000'000LL;
    s.view.run.end_ns = s.view.run.start_ns + 2'000'000'000LL;
    s.view.run.status = model::RunStatus::kOk;
    s.view.run.agent_id = "support-bot";
    s.view.run.agent_version = n % 2 ? "1.4.0" : "1.5.0";
    s.view.steps.push_back(Step(id, 0, "invoke_agent support-bot", model::StepType::kAgent, ""));
    for (int k = 1; k < steps - 1; ++k) {
      if (with_tool && k == 1) {
        s.view.steps.push_back(Step(id, k, "execute_tool lookup_order", model::StepType::kTool, "{\"status\":\"shipped\"}",
                                    "lookup_order"));
      } else {
        s.view.steps.push_back(Step(id, k, "chat gpt-4o", model::StepType::kLlm, fmt::format("thinking step {}", k)));
      }
    }
    s.view.steps.push_back(Step(id, steps - 1, "chat gpt-4o", model::StepType::kLlm, answer));
    return s;
  };
  for (int i = 0; i < clean; ++i) {
    out.push_back(base(3 + i % 5, fmt::format("Your order #{} has shipped and will arrive on Tuesday.", 1000 + i), i % 3 != 0));
  }
  for (int i = 0; i < per_mode; ++i) {  // refusal-leakage variants
    Sample s = base(4, kLeaks[i % 6], true);
    s.expected.insert("refusal-leakage");
    out.push_back(std::move(s));
  }
  for (int i = 0; i < per_mode; ++i) {  // unsafe tool calls
    Sample s = base(4, "Done, I cleaned that up for you.", true);
    const char* tool = kUnsafe[i % 5];
    s.view.steps.insert(s.view.steps.begin() + 2,
                        Step(s.view.run.run_id, 90, std::string("execute_tool ") + tool, model::StepType::kTool, "ok", tool));
    s.expected.insert("unsafe-tool-call");
    out.push_back(std::move(s));
  }
  for (int i = 0; i < per_mode; ++i) {  // runaway loops
    Sample s = base(55 + i, "I could not finish the task.", true);
    s.expected.insert("infinite-loop");
    out.push_back(std::move(s));
  }
  for (int i = 0; i < per_mode; ++i) {  // tool timeouts
    Sample s = base(4, "Sorry, the order service is slow right now.", true);
    model::Step& tool = s.view.steps[1];
    tool.status = model::StepStatus::kError;
    model::Failure f;
    f.type = model::FailureType::kTool;
    f.code = "timeout";
    f.message = fmt::format("lookup_order timed out after {}s", 10 + i);
    f.step_id = tool.step_id;
    tool.failure = f;
    s.view.failures.push_back(f);
    s.view.run.status = model::RunStatus::kPartial;
    s.expected.insert("tool-timeout");
    out.push_back(std::move(s));
  }
  for (Sample& s : out) {
    s.view.run.step_count = static_cast<int64_t>(s.view.steps.size());
    for (const auto& st : s.view.steps) {
      if (st.type == model::StepType::kTool) ++s.view.run.tool_count;
      if (st.type == model::StepType::kLlm) ++s.view.run.llm_count;
      if (st.failure) ++s.view.run.error_count;
    }
  }
  return out;
}

class MemorySource : public RunSource {
 public:
  explicit MemorySource(const std::vector<Sample>& samples) {
    for (const auto& s : samples) runs_[s.view.run.run_id] = s.view;
  }
  Result<std::vector<model::Run>> ListRuns(const RunSelector& sel) override {
    std::vector<model::Run> out;
    for (const auto& [id, v] : runs_) {
      if (sel.from_ns && v.run.start_ns < sel.from_ns) continue;
      if (sel.to_ns && v.run.start_ns >= sel.to_ns) continue;
      out.push_back(v.run);
    }
    std::sort(out.begin(), out.end(), [](const model::Run& a, const model::Run& b) { return a.start_ns < b.start_ns; });
    return out;
  }
  Result<RunView> LoadRun(const std::string& id) override { return runs_.at(id); }
  Result<std::vector<std::string>> ClassifiedRuns(const std::string&, const std::string&,
                                                  const std::vector<std::string>&) override {
    return std::vector<std::string>{};
  }
  Status WriteClassifications(const std::vector<Classification>& items) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& c : items) written.push_back(c);
    return OkStatus();
  }
  Result<std::optional<std::string>> GetState(const std::string&) override { return std::optional<std::string>(); }
  Status SetState(const std::string&, const std::string&) override { return OkStatus(); }

  std::vector<Classification> written;

 private:
  std::map<std::string, RunView> runs_;
  std::mutex mu_;
};

}  // namespace tracery::triage::acceptance
