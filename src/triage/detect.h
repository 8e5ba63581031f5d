// Detectors: evaluate one mode's detection tree on one run. Deterministic operands are evaluated
// before judge operands, with short-circuit, so a judge is only asked when it can change the result.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "triage/rubric.h"
#include "triage/types.h"

namespace tracery::triage {

struct JudgeVerdict {
  bool positive = false;
  double confidence = 0.5;
  std::string excerpt;
  std::vector<std::string> evidence_step_ids;
  std::string raw_json;  // the validated object the judge returned
};

// Answers llm_judge nodes. The pipeline implements it; it may defer (return nullopt = "pending")
// so it can batch many runs into one call and re-evaluate afterwards.
class JudgeOracle {
 public:
  virtual ~JudgeOracle() = default;
  virtual std::optional<Result<JudgeVerdict>> Ask(const Mode& mode, const Detection& node,
                                                  const RunView& run) = 0;
};

struct ModeEvaluation {
  bool pending = false;  // a judge answer is needed (oracle deferred)
  bool positive = false;
  double confidence = 1.0;
  std::string excerpt;
  std::vector<std::string> evidence_step_ids;
  std::string detector;  // type of the deciding node
  std::string error;     // the mode errored (e.g. judge output failed its schema, unknown metric)
  int judge_calls = 0;   // judge nodes actually asked
};

// `oracle` may be null: judge nodes then evaluate as pending.
ModeEvaluation EvaluateMode(const Mode& mode, const RunView& run, JudgeOracle* oracle);

// The run's text projection used by `regex` (step names, content parts, tool arguments/results,
// failure messages, in execution order) and by judges/clustering.
std::string TextProjection(const RunView& run);
// The final response (last output of the root agent / last llm output), "" when none.
std::string FinalResponse(const RunView& run);

// Metric by name: span_count, llm_calls, tool_calls, error_count, retry_count, total_tokens,
// input_tokens, output_tokens, cost_usd, latency_ms, loop_count, distinct_tools, agent_count,
// handoff_count, unrecovered_error_count, duplicate_tool_calls. loop_count = the longest run of
// back-to-back repetitions of a block of 1..3 identical actions (tool/retrieval/handoff steps with
// the same type, name, tool and arguments; other steps in between are ignored). Definitions in
// docs/rubrics.md. kInvalidArgument naming the metric when unknown.
Result<double> Metric(const RunView& run, const std::string& name);
// Every metric name Metric() knows, sorted.
const std::vector<std::string>& MetricNames();

// Checks an llm_judge output schema: a JSON object schema with `positive` required and of type
// boolean, using only the supported JSON Schema keywords (type, properties, required,
// additionalProperties, items, enum, const, minimum, maximum, exclusiveMinimum, exclusiveMaximum,
// minLength, maxLength, minItems, maxItems, pattern; annotations title/description/default/
// examples/format/$schema are ignored). Errors name the schema path.
Status CheckOutputSchema(const std::string& schema_json);
// Validates a judge answer (JSON text) against a schema accepted by CheckOutputSchema.
// kInvalidArgument naming the JSON path of the first violation.
Status ValidateAgainstSchema(const std::string& schema_json, const std::string& value_json);

// Checks a `step` detector's `where` map (see docs/rubrics.md): known fields, operators, values
// (enums, numbers, RE2 patterns). The message names the offending key.
Status CheckStepWhere(const std::map<std::string, std::string>& where);
// Checks a regex compiles in RE2 within the memory bound used at evaluation time.
Status CheckRegex(const std::string& pattern);

}  // namespace tracery::triage
