// Run summarization: a pure function from the set of a run's steps to the run's summary,
// agents, messages, failures and retry links. Because it depends only on the set of steps (not
// on arrival order), a run is the same however late, out of order or duplicated its spans arrive.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/model.h"

namespace tracery::model {

// The part of a Step needed to summarize its run (no content, no attributes, no events).
struct StepDigest {
  std::string step_id;
  std::string parent_id;
  std::string name;
  StepType type = StepType::kOther;
  std::string agent;
  int64_t start_ns = 0;
  int64_t end_ns = 0;
  StepStatus status = StepStatus::kUnset;
  std::string model;
  std::string tool_name;
  TokenUsage tokens;
  double cost_usd = 0;
  int attempt = 0;       // explicit attempt number from attributes (0 = none)
  std::string retry_of;  // explicit retry link from attributes ("" = none)
  std::string handoff_to;
  std::string handoff_from;
  std::optional<Failure> failure;
  RunHints hints;  // usually empty except on root / annotated spans
};

StepDigest DigestOf(const Step& step);

struct RetryLink {
  std::string step_id;
  int attempt = 1;       // 1-based attempt number
  std::string retry_of;  // previous attempt's step_id ("" for the first attempt)
};

struct RunSummary {
  Run run;  // every field except updated_ns
  std::vector<Agent> agents;
  std::vector<Message> messages;
  std::vector<Failure> failures;  // every step failure, with `recovered` set
  // One entry per step that is part of a retry chain (attempt >= 1 with a chain length > 1),
  // whether the link was explicit or inferred.
  std::vector<RetryLink> retries;
};

// Summarizes a run from all its steps (any order). Rules:
// - name/agent/version/environment/session/user/tags/metadata: root span hints first, then the
//   earliest step (by start time, then step_id) that has a value; name falls back to root span name.
// - start = min start, end = max end; step/llm/tool/error counts; tokens and cost summed over
//   LLM steps only (never agent/chain aggregates).
// - retries: explicit links win; otherwise consecutive siblings (same parent, name and type, the
//   earlier one failed) form a chain, ordered by start time.
// - a failure is `recovered` when a later attempt in its chain succeeded.
// - status: running when no root span has been seen or the root has no end; failed when the root
//   has an error or an unrecovered failure exists on the root's causal path; partial when failures
//   exist but all were recovered or did not fail the root; ok otherwise.
// - the run failure is the unrecovered failure judged the cause: the earliest-ending failed step
//   that has no failed descendant, with max_retries_exceeded when its chain exhausted retries.
// - agents: distinct Step::agent values with per-agent counts; messages: handoff steps
//   (handoff_from/handoff_to), and agent steps nested under a different agent ("invoke").
RunSummary SummarizeRun(std::string_view run_id, const std::vector<StepDigest>& steps);

}  // namespace tracery::model
