#include "triage/rubric_selftest.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace tracery::triage {
namespace {

bool OnlyRegexAndJudge(const Detection& d) {
  if (d.type == "regex" || d.type == "llm_judge") return true;
  if (d.type != "composite") return false;
  for (const auto& op : d.operands) {
    if (!OnlyRegexAndJudge(op)) return false;
  }
  return true;
}

}  // namespace

std::string_view ToString(SelfTestOutcome o) {
  switch (o) {
    case SelfTestOutcome::kPass: return "PASS";
    case SelfTestOutcome::kFail: return "FAIL";
    case SelfTestOutcome::kSkip: return "SKIP";
  }
  return "SKIP";
}

RunView ExcerptRun(const Example& example) {
  RunView v;
  v.run.run_id = "0000000000000000000000000000e0e1";
  v.run.name = "example";
  v.run.status = model::RunStatus::kOk;
  v.run.root_seen = true;
  v.run.start_ns = 1'700'000'000'000'000'000;
  v.run.end_ns = v.run.start_ns + 1'000'000;
  v.run.step_count = 1;
  v.run.llm_count = 1;
  model::Step s;
  s.run_id = v.run.run_id;
  s.step_id = "000000000000e0e1";
  s.name = "example";
  s.type = model::StepType::kLlm;
  s.status = model::StepStatus::kOk;
  s.start_ns = v.run.start_ns;
  s.end_ns = v.run.end_ns;
  if (!example.context.empty()) {
    model::ContentField in;
    in.name = std::string(model::content_name::kInput);
    in.is_list = true;
    in.mime = "application/json";
    in.parts.push_back(nlohmann::json{{"role", "context"}, {"content", example.context}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    s.content.push_back(std::move(in));
  }
  model::ContentField out;
  out.name = std::string(model::content_name::kOutput);
  out.parts.push_back(example.trace_excerpt);
  s.content.push_back(std::move(out));
  v.steps.push_back(std::move(s));
  return v;
}

std::vector<SelfTestResult> SelfTest(const Rubric& rubric, JudgeOracle* judge) {
  std::vector<SelfTestResult> out;
  for (const Mode& mode : rubric.modes) {
    for (size_t i = 0; i < mode.examples.size(); ++i) {
      const Example& ex = mode.examples[i];
      SelfTestResult r;
      r.mode_id = mode.id;
      r.example_index = i;
      r.line = ex.line;
      r.expected_positive = ex.expected_positive;
      RunView excerpt_run;
      const RunView* run = ex.run.get();
      if (run == nullptr) {
        if (!OnlyRegexAndJudge(mode.detection)) {
          r.outcome = SelfTestOutcome::kSkip;
          r.detail = "excerpt examples cannot exercise tool_call/metric/step detectors; add a run:";
          out.push_back(std::move(r));
          continue;
        }
        excerpt_run = ExcerptRun(ex);
        run = &excerpt_run;
      }
      ModeEvaluation e = EvaluateMode(mode, *run, judge);
      if (e.pending) {
        r.outcome = SelfTestOutcome::kSkip;
        r.detail = "needs a judge (--judge-url)";
      } else if (!e.error.empty()) {
        r.outcome = SelfTestOutcome::kFail;
        r.detail = "error: " + e.error;
      } else if (e.positive == ex.expected_positive) {
        r.outcome = SelfTestOutcome::kPass;
        r.detail = e.positive ? e.excerpt : "";
      } else {
        r.outcome = SelfTestOutcome::kFail;
        r.detail = fmt::format("expected {}, got {}{}", ex.expected_positive ? "positive" : "negative",
                               e.positive ? "positive" : "negative",
                               e.excerpt.empty() ? "" : " (" + e.excerpt + ")");
      }
      out.push_back(std::move(r));
    }
  }
  return out;
}

}  // namespace tracery::triage
