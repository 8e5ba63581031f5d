// The agent-native data model: Run -> Step (ordered) -> Event, Failure, Agent, Message, Session.
// Plain value types with no I/O. Ids are lower-case hex: run_id = OTLP trace id (32 chars),
// step_id = OTLP span id (16 chars). Times are Unix nanoseconds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tracery::model {

enum class StepType {
  kAgent,
  kLlm,
  kTool,
  kRetrieval,
  kEmbedding,
  kRerank,
  kGuardrail,
  kHandoff,
  kPlan,
  kRespond,
  kChain,
  kOther,
};

enum class StepStatus { kUnset, kOk, kError };

enum class RunStatus {
  kRunning,    // spans still arriving / root not ended (no root seen yet, or root has no end time)
  kOk,
  kFailed,     // an unrecovered failure, or an error status on the root
  kPartial,    // failures that were recovered (a later retry attempt succeeded) or non-fatal step errors
  kAbandoned,  // never reached a goal step (reserved for analysis; not set by ingest)
};

enum class FailureType { kTool, kModel, kRetrieval, kOrchestration, kGuardrail, kUnknown };

// Where a failure came from.
enum class FailureSource {
  kSdk,           // reported explicitly (tracery.failure.* attributes or SDK)
  kSpanStatus,    // span status ERROR / error.type
  kException,     // exception span event or log
  kFinishReason,  // content_filter / length / error finish reasons
  kHttpStatus,    // http.response.status_code >= 400
  kRubric,        // classified by triage
};

std::string_view ToString(StepType t);
std::string_view ToString(StepStatus s);
std::string_view ToString(RunStatus s);
std::string_view ToString(FailureType t);
std::string_view ToString(FailureSource s);
// Parse the names produced by ToString (exact, lower case). nullopt when unknown.
std::optional<StepType> ParseStepType(std::string_view s);
std::optional<StepStatus> ParseStepStatus(std::string_view s);
std::optional<RunStatus> ParseRunStatus(std::string_view s);
std::optional<FailureType> ParseFailureType(std::string_view s);
std::optional<FailureSource> ParseFailureSource(std::string_view s);

// Well-known failure codes (the set is open: any lower_snake string is a valid code).
namespace failure_code {
inline constexpr std::string_view kTimeout = "timeout";
inline constexpr std::string_view kRateLimit = "rate_limit";
inline constexpr std::string_view kContextLengthExceeded = "context_length_exceeded";
inline constexpr std::string_view kContentFiltered = "content_filtered";
inline constexpr std::string_view kOutputTruncated = "output_truncated";  // finish_reason=length
inline constexpr std::string_view kSchemaInvalid = "schema_invalid";
inline constexpr std::string_view kNoResults = "no_results";
inline constexpr std::string_view kMaxRetriesExceeded = "max_retries_exceeded";
inline constexpr std::string_view kLoopDetected = "loop_detected";
inline constexpr std::string_view kConnectionError = "connection_error";
inline constexpr std::string_view kAuthError = "auth_error";
inline constexpr std::string_view kApiError = "api_error";
inline constexpr std::string_view kInvalidResponse = "invalid_response";
inline constexpr std::string_view kQuotaExceeded = "quota_exceeded";
inline constexpr std::string_view kUncaughtException = "uncaught_exception";
inline constexpr std::string_view kGuardrailTriggered = "guardrail_triggered";
inline constexpr std::string_view kError = "error";  // generic, when nothing more specific is known
}  // namespace failure_code

struct TokenUsage {
  int64_t input = 0;        // gross, includes cached input
  int64_t output = 0;       // gross, includes reasoning
  int64_t total = 0;        // input + output unless reported otherwise
  int64_t cache_read = 0;   // subset of input
  int64_t cache_write = 0;  // subset of input
  int64_t reasoning = 0;    // subset of output
  bool present = false;     // true when any count was reported

  TokenUsage& operator+=(const TokenUsage& o) {
    input += o.input;
    output += o.output;
    total += o.total;
    cache_read += o.cache_read;
    cache_write += o.cache_write;
    reasoning += o.reasoning;
    present = present || o.present;
    return *this;
  }
};

struct Failure {
  FailureType type = FailureType::kUnknown;
  std::string code;     // e.g. "timeout"; never empty (failure_code::kError when unknown)
  std::string message;  // human readable, privacy policy applied
  std::string step_id;  // the step that caused it ("" for run-level failures)
  FailureSource source = FailureSource::kSpanStatus;
  int64_t time_ns = 0;
  std::string error_type;  // raw error.type / exception.type, when known
  bool recovered = false;  // set by the run summarizer: a later retry of this step succeeded
};

// A span event or an OTLP log record attached to a step.
struct Event {
  std::string run_id;
  std::string step_id;  // may be "" for run-level log records
  int64_t time_ns = 0;
  std::string name;             // e.g. "exception", "gen_ai.choice", log event_name
  std::string attributes_json;  // JSON object text, privacy policy applied ("{}" when none)
  std::string body_json;        // log record body as JSON ("" for span events)
};

// One content field of a step (prompt messages, completion, tool arguments, documents...).
// Each part is stored as its own content-addressed blob, so a conversation history re-sent by
// every LLM call is stored once per message, not once per call.
struct ContentField {
  std::string name;  // see content_name:: below
  // true: each part is one JSON value (a message / document) and the field renders as a JSON
  // array of the parts. false: exactly one part, rendered as a string (text or JSON text).
  bool is_list = false;
  std::string mime = "text/plain";  // "application/json" when the part(s) are JSON
  std::vector<std::string> parts;
};

namespace content_name {
inline constexpr std::string_view kInput = "input";    // input messages / input value
inline constexpr std::string_view kOutput = "output";  // output messages / output value
inline constexpr std::string_view kSystem = "system";  // system instructions
inline constexpr std::string_view kToolArguments = "tool.arguments";
inline constexpr std::string_view kToolResult = "tool.result";
inline constexpr std::string_view kDocuments = "documents";  // retrieval / rerank documents
inline constexpr std::string_view kQuery = "query";          // retrieval query
inline constexpr std::string_view kToolDefinitions = "tool.definitions";
}  // namespace content_name

// Run-level facts a span may carry; merged into the run by the summarizer (root span wins,
// then the earliest span that has a value).
struct RunHints {
  std::string name;           // workflow / trace name
  std::string agent_id;       // the run's agent (top-level agent or service)
  std::string agent_version;  // gen_ai.agent.version / service.version / langfuse.release
  std::string environment;    // deployment.environment(.name) / langfuse.environment
  std::string session_id;
  std::string user_id;
  std::string service_name;  // resource service.name
  std::vector<std::string> tags;
  std::string metadata_json;  // JSON object of run metadata ("" when none)
};

struct Step {
  std::string run_id;
  std::string step_id;
  std::string parent_id;  // "" for a root span
  std::string name;
  StepType type = StepType::kOther;
  std::string agent;  // agent that performed the step (nearest agent identity), may be ""
  int64_t start_ns = 0;
  int64_t end_ns = 0;  // 0 when unknown
  StepStatus status = StepStatus::kUnset;
  std::string status_message;
  std::string model;     // response model, else request model
  std::string provider;  // gen_ai.provider.name / gen_ai.system / llm.provider
  std::string tool_name;
  std::string finish_reason;
  TokenUsage tokens;
  double cost_usd = 0;
  bool cost_explicit = false;  // false: computed from the price table (or zero)
  // Retries: attempt number (1-based, 0 = not reported) and the step this one retries.
  // Explicit values come from attributes; otherwise the summarizer infers them.
  int attempt = 0;
  std::string retry_of;
  // The retry budget (total attempts allowed) when instrumentation reports it
  // (`tracery.step.max_attempts`); 0 = unknown. An exhausted chain is then max_retries_exceeded.
  int max_attempts = 0;
  // Handoffs / delegation: the agent this step hands work to ("" when none).
  std::string handoff_to;
  std::string handoff_from;
  // Span links into the same trace (hex span ids, in link order). A link's target is usually the
  // sender of a message this step consumes; links to other traces are dropped.
  std::vector<std::string> linked_steps;
  // Safe metadata: the span's remaining non-content attributes as a JSON object.
  std::string attributes_json = "{}";
  std::string scope_name;  // instrumentation scope, for diagnostics
  std::vector<ContentField> content;
  std::vector<Event> events;
  std::optional<Failure> failure;  // at most one semantic failure per step
  RunHints hints;
  int64_t received_ns = 0;  // ingest time
};

struct Agent {
  std::string run_id;
  std::string name;  // identity (gen_ai.agent.name > agent.name > gen_ai.agent.id > graph.node.id > span name)
  int64_t step_count = 0;
  int64_t llm_count = 0;
  int64_t tool_count = 0;
  int64_t error_count = 0;
  TokenUsage tokens;
  double cost_usd = 0;
  int64_t first_start_ns = 0;
};

// An inter-agent message: handoff, delegation, agent-to-agent message or nested invocation.
struct Message {
  std::string run_id;
  std::string from_agent;
  std::string to_agent;
  std::string kind;     // "handoff", "delegation", "message", "invoke"
  std::string step_id;  // the step that carried it
  int64_t time_ns = 0;
};

struct Run {
  std::string run_id;
  std::string name;
  std::string agent_id;
  std::string agent_version;
  std::string environment;
  std::string session_id;
  std::string user_id;
  std::string service_name;
  int64_t start_ns = 0;
  int64_t end_ns = 0;
  RunStatus status = RunStatus::kRunning;
  bool root_seen = false;
  // Failure summary: the failure judged to have caused the run's outcome.
  std::optional<Failure> failure;
  int64_t step_count = 0;
  int64_t llm_count = 0;
  int64_t tool_count = 0;
  int64_t retry_count = 0;   // steps that are retries of an earlier attempt
  int64_t error_count = 0;   // steps with a failure
  int64_t agent_count = 0;
  TokenUsage tokens;  // summed over LLM steps only
  double cost_usd = 0;
  std::vector<std::string> models;  // distinct models used, sorted
  std::vector<std::string> tags;
  std::string metadata_json = "{}";
  int64_t updated_ns = 0;  // last time a span of this run was ingested
};

struct Session {
  std::string session_id;
  std::string user_id;
  int64_t run_count = 0;
  int64_t failed_count = 0;
  int64_t first_start_ns = 0;
  int64_t last_end_ns = 0;
  TokenUsage tokens;
  double cost_usd = 0;
};

}  // namespace tracery::model
