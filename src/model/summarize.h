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
  int max_attempts = 0;  // explicit retry budget, when instrumentation reports one (0 = unknown)
  std::string handoff_to;
  std::string handoff_from;
  std::vector<std::string> linked_steps;  // same-trace span links (hex span ids)
  std::optional<Failure> failure;
  RunHints hints;  // usually empty except on root / annotated spans
};

StepDigest DigestOf(const Step& step);

struct RetryLink {
  std::string step_id;
  int attempt = 1;       // 1-based attempt number
  std::string retry_of;  // previous attempt's step_id ("" for the first attempt)
};

// A step without an agent of its own belongs to the agent of its nearest ancestor that has one.
struct StepAgentLink {
  std::string step_id;
  std::string agent;
};

struct RunSummary {
  Run run;  // every field except updated_ns
  std::vector<Agent> agents;
  std::vector<Message> messages;
  std::vector<Failure> failures;  // every step failure, with `recovered` set
  // One entry per step that is part of a retry chain (attempt >= 1 with a chain length > 1),
  // whether the link was explicit or inferred.
  std::vector<RetryLink> retries;
  // One entry per step whose own agent is empty but which inherits one from an ancestor.
  std::vector<StepAgentLink> inherited_agents;
};

// Summarizes a run from all its steps (any order, duplicates of a step_id collapse to one).
// The result depends only on the set of steps: inputs are sorted by (start_ns, step_id) first.
// Rules:
// - root: the earliest step with parent_id "" (a step whose parent is missing is NOT a root: its
//   parent may still arrive). No root -> status running.
// - name: root hints.name, else earliest hints.name, else root span name, else earliest step name.
//   version/environment/session/user/service/metadata: root hint if non-empty, else the earliest
//   step that has one. tags: sorted union. agent_id: hint agent_id, else the root step's agent,
//   else the earliest agent-typed step's agent, else service_name.
// - start = min start; end = max end, but 0 while running.
// - counts: step/llm/tool; error_count = steps with a failure (recovered ones too); agent_count =
//   distinct non-empty Step::agent; retry_count = steps whose attempt number is > 1.
// - tokens, cost and models come from model-call steps only (llm, embedding, rerank), never from
//   agent/chain/workflow aggregates, so nothing is double counted. models are sorted, distinct.
// - retries: explicit retry_of links form chains first (connected components, ordered by start).
//   Remaining steps are grouped by (parent_id, name, type, tool_name); within a group, in start
//   order (failed steps first among equal start times), a step continues the chain whose last
//   attempt failed (failure or status error) and ended at or before the step's start plus one
//   millisecond of clock granularity (the latest such chain); explicit attempt == 1 never continues.
//   Attempts are numbered 1..n unless an explicit attempt value was reported (kept as is).
// - a failed attempt is `recovered` when a later attempt of its chain ended without failure;
//   failed attempts followed by another attempt are "superseded" and do not propagate.
// - status: running (no root / root not ended); failed when the root has status error or an
//   unrecovered failure; partial when any step failed (recovered, or handled without failing the
//   root); ok otherwise. An exhausted retry chain fails the run only if its error reached the root.
// - run failure (failure attribution), only from unrecovered, non-superseded failures. When the
//   root failed, walk down the propagation path: from each failed step follow the failed child
//   that was not handled (no sibling started after it ended, i.e. execution did not continue past
//   it), the earliest-ending one if several; the cause is the deepest step on that walk carrying a
//   failure object. Otherwise (e.g. partial runs with handled errors, or a walk that found none)
//   the earliest-ending failure with no unrecovered failed descendant. If the root failed and no
//   step failure qualifies: a run-level failure {orchestration, "error", step_id ""}.
//   When every failure was recovered (or superseded by a later attempt), the run failure is the
//   earliest-ending one, with `recovered` = true when a later attempt succeeded.
// - exhausted retries: when the chosen failure is the last attempt of a chain of n >= 2 attempts
//   that all failed, its message gets " (after n attempts)"; the type is kept, and the code becomes
//   max_retries_exceeded only when an explicit max_attempts is known and n >= max_attempts
//   (otherwise the original code is kept: we cannot tell a retry budget from a give-up).
// - agents: distinct non-empty Step::agent with step/llm/tool/error counts, model-call tokens and
//   cost, first start; ordered by first start, then name.
// - messages: steps with handoff_to -> {from: handoff_from, else the step's agent, else nearest
//   agent ancestor's agent; kind "delegation" when the step name mentions delegate/coworker,
//   else "handoff"}; agent-typed steps whose nearest agent-typed ancestor has a different
//   non-empty agent -> {parent agent -> child agent, "invoke"}; each linked_steps entry present
//   in the run whose effective agent (own or inherited) is non-empty and differs from this
//   step's -> {linked agent -> this agent, "message"}, skipped when the step already carries an
//   identical (from, to) message. Ordered by time, then step_id.
// - retries list: every step in a chain of length > 1, plus lone steps with an explicit
//   retry_of or attempt > 1. Hostile parent/retry cycles are broken deterministically.
RunSummary SummarizeRun(std::string_view run_id, const std::vector<StepDigest>& steps);

}  // namespace tracery::model
