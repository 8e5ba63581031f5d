// Tracery C++ SDK: runs, ordered steps, retries and semantic failures, exported as OTLP/HTTP
// protobuf spans (OpenTelemetry GenAI conventions + the tracery.* attributes of
// docs/conventions.md), so it also works with any other OTLP backend.
//
// Contract: nothing in this API throws into the agent (except Run::Retry, which rethrows the
// callable's own exception after its last attempt), and nothing blocks the agent's thread on the
// network: ended steps are copied into a bounded queue (full -> dropped and counted) and a
// background thread batches, filters (privacy), gzips and posts them. C++17.
//
//   tracery_sdk::Tracer tracer({.agent_id = "support-bot", .agent_version = "1.4.2"});
//   {
//     tracery_sdk::Run run = tracer.StartRun("refund", {.session_id = "s-1"});
//     {
//       tracery_sdk::Step step = run.StartStep(tracery_sdk::StepType::kTool, "billing_api");
//       step.Set("order_id", 42);
//     }  // the step ends here
//   }    // the run ends here
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "tracery_sdk/otlp.h"

namespace tracery_sdk {

inline constexpr const char* kVersion = "0.1.0";

enum class StepType {
  kAgent, kLlm, kTool, kRetrieval, kEmbedding, kRerank, kGuardrail, kHandoff, kPlan, kRespond,
  kChain, kOther,
};
// "agent", "llm", ... (the names the server reads from tracery.step.type).
const char* ToString(StepType type);
// Parses a step type name; nullopt when unknown.
std::optional<StepType> ParseStepType(std::string_view name);

// Client-side privacy, same mode names and rules as the server (docs/privacy.md).
enum class Privacy {
  kFull,          // secrets (API keys, bearer tokens, passwords, JWTs, private keys) masked
  kMask,          // also PII (emails, phone numbers, card numbers, SSNs, IBANs)
  kMetadataOnly,  // like kMask, and content attributes are dropped before export
};
const char* ToString(Privacy privacy);
// "full" | "mask" | "metadata-only"; nullopt otherwise.
std::optional<Privacy> ParsePrivacy(std::string_view name);

struct TracerOptions {
  std::string agent_id{};
  std::string agent_version{};
  std::string environment = "production";
  std::string endpoint = "http://127.0.0.1:4318";  // base URL; "/v1/traces" is appended
  std::string api_key{};                              // sent as "Authorization: Bearer <key>"
  Privacy privacy = Privacy::kFull;
  std::string service_name{};  // resource service.name; empty = agent_id
  // Exporter.
  std::size_t max_queue_size = 2048;  // spans waiting; more are dropped and counted
  std::size_t max_batch_size = 512;   // spans per request
  std::chrono::milliseconds schedule_delay{1000};   // max wait before a partial batch is sent
  std::chrono::milliseconds export_timeout{10000};  // connect/read/write timeout of each request
  int max_retries = 5;                              // per batch, on 429/502/503/504/network errors
  std::chrono::milliseconds backoff_base{500};      // doubled per retry, jittered
  std::chrono::milliseconds backoff_max{30000};     // also caps Retry-After
  std::vector<std::pair<std::string, std::string>> headers{};  // extra HTTP headers
  bool log_errors = true;  // one line on stderr per dropped batch
};

struct RunOptions {
  std::string session_id{};
  std::string user_id{};
  std::vector<std::string> tags{};
  std::string metadata_json{};  // a JSON object, sent as the `metadata` attribute
  std::string agent_id{};       // overrides TracerOptions::agent_id for this run
};

struct RetryOptions {
  int attempts = 3;
  StepType type = StepType::kTool;
  std::string name = "call";
  std::chrono::milliseconds backoff{0};  // sleep backoff * 2^(attempt-1) between attempts
};

// Gross token counts (input includes cached tokens); unset fields are not sent.
struct TokenCounts {
  std::optional<std::int64_t> input{};
  std::optional<std::int64_t> output{};
  std::optional<std::int64_t> total{};
  std::optional<std::int64_t> cache_read{};
  std::optional<std::int64_t> cache_write{};
  std::optional<std::int64_t> reasoning{};
};

struct ExportStats {
  std::uint64_t spans_enqueued = 0;
  std::uint64_t spans_exported = 0;
  std::uint64_t spans_dropped = 0;  // = queue_full + export
  std::uint64_t spans_dropped_queue_full = 0;
  std::uint64_t spans_dropped_export = 0;
  std::uint64_t batches_sent = 0;
  std::uint64_t export_attempts = 0;
  std::uint64_t retries = 0;
  std::size_t queue_size = 0;
  std::string last_error;
};

enum class ContentKind { kText, kJson };

namespace internal {
struct TracerCore;
struct SpanState;
}  // namespace internal

class Run;

// One span. Ends (and is queued for export) when End() is called or the handle is destroyed.
// Move-only; a moved-from or ended Step ignores every call. Not thread-safe: use one Step from
// one thread at a time.
class Step {
 public:
  Step() = default;
  Step(Step&&) noexcept = default;
  Step& operator=(Step&& other) noexcept;
  Step(const Step&) = delete;
  Step& operator=(const Step&) = delete;
  ~Step();

  // A child step of this one.
  Step StartStep(StepType type, std::string_view name);

  // Safe metadata: each key becomes a span attribute (a later Set of the same key replaces it).
  Step& Set(std::string_view key, AttributeValue value);
  Step& SetModel(std::string_view model, std::string_view provider = {},
                 std::string_view response_model = {});
  Step& SetTokens(const TokenCounts& tokens);
  Step& SetCost(double usd);
  // Content (dropped in metadata-only, masked otherwise): llm + kJson -> gen_ai.input.messages,
  // tool/handoff -> gen_ai.tool.call.arguments, else input.value + input.mime_type.
  Step& SetInput(std::string_view value, ContentKind kind = ContentKind::kText);
  Step& SetOutput(std::string_view value, ContentKind kind = ContentKind::kText);
  // Marks a transfer to another agent (tracery.handoff.to / .from; from defaults to the agent id).
  Step& Handoff(std::string_view to_agent, std::string_view from_agent = {});
  // Semantic failure on this step: tracery.failure.type/.code/.message and status ERROR.
  Step& Fail(std::string_view failure_type, std::string_view failure_code,
             std::string_view message = {});
  // An `exception` event (type, message) and status ERROR; the server classifies the text.
  Step& RecordException(const std::exception& e);
  Step& RecordException(std::string_view type, std::string_view message);
  Step& AddEvent(std::string_view name,
                 std::vector<std::pair<std::string, AttributeValue>> attributes = {});

  // Ends the step now (idempotent). A run's end applies the run rules (see Run).
  void End();

  bool valid() const { return state_ != nullptr; }
  bool failed() const;          // status is ERROR
  std::string step_id() const;  // 16 lower-case hex chars ("" when invalid)
  std::string run_id() const;   // 32 lower-case hex chars ("" when invalid)
  StepType type() const;

 protected:
  friend class Run;
  friend class Tracer;
  explicit Step(std::shared_ptr<internal::SpanState> state) : state_(std::move(state)) {}
  std::shared_ptr<internal::SpanState> state_;
};

// The root `agent` step of a trace. An exception that leaves the Run's scope (detected with
// std::uncaught_exceptions in the destructor) records orchestration/uncaught_exception; a run with
// a failure recorded through RecordFailure ends failed.
class Run : public Step {
 public:
  Run() = default;
  Run(Run&&) noexcept = default;
  Run& operator=(Run&&) noexcept = default;

  // A step nested under the innermost step of this run open on this thread, else under the run.
  Step StartStep(StepType type, std::string_view name);

  // Semantic failure on `step` (still open) or, when null, on the run. Any recorded failure
  // makes the run failed: unless the run records its own, the run's root span repeats the first
  // step failure's type/code/message, so the run's failure stays semantic even if the agent
  // carried on after that step. A step that already ended was already exported, so its failure
  // goes on the run with the step's name in the message.
  Run& RecordFailure(std::string_view failure_type, std::string_view failure_code,
                     std::string_view message = {}, Step* step = nullptr);

  // Calls fn() (or fn(Step&)) up to options.attempts times, each attempt its own step carrying
  // tracery.step.attempt (1, 2, ...), tracery.step.max_attempts (options.attempts) and
  // tracery.step.retry_of (the previous attempt's id). An
  // attempt fails when fn throws or marks the step failed (Step::Fail). Returns fn's result (the
  // last attempt's, even if it marked its step failed); rethrows the exception of the last
  // attempt. The server ends a run whose failed attempts were retried successfully as `partial`.
  template <typename Fn>
  auto Retry(Fn&& fn, RetryOptions options = {});

  std::string id() const { return run_id(); }

 private:
  friend class Tracer;
  explicit Run(std::shared_ptr<internal::SpanState> state) : Step(std::move(state)) {}
  Step AttemptStep(const RetryOptions& options, int attempt, const std::string& previous_id);
  static void SleepBackoff(const RetryOptions& options, int attempt);
};

// Entry point; construct once per process/agent. Flushes (up to 5 s) and stops the export thread
// in the destructor. Thread-safe.
class Tracer {
 public:
  explicit Tracer(TracerOptions options);
  Tracer(const Tracer&) = delete;
  Tracer& operator=(const Tracer&) = delete;
  ~Tracer();

  Run StartRun(std::string_view name = {}, const RunOptions& options = {});

  // Waits until every step ended before the call was exported or dropped; true if in time.
  bool Flush(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Flush, then stop the export thread; later steps are dropped (counted). Idempotent.
  bool Shutdown(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  ExportStats Stats() const;

 private:
  std::shared_ptr<internal::TracerCore> core_;
};

// ---- implementation of the template ------------------------------------------------------------

template <typename Fn>
auto Run::Retry(Fn&& fn, RetryOptions options) {
  constexpr bool kTakesStep = std::is_invocable_v<Fn&, Step&>;
  const int attempts = options.attempts < 1 ? 1 : options.attempts;
  std::string previous;
  for (int attempt = 1;; ++attempt) {
    Step step = AttemptStep(options, attempt, previous);
    const bool last = attempt >= attempts;
    try {
      if constexpr (kTakesStep) {
        using R = std::invoke_result_t<Fn&, Step&>;
        if constexpr (std::is_void_v<R>) {
          fn(step);
          if (!step.failed() || last) return;
        } else {
          R result = fn(step);
          if (!step.failed() || last) return result;
        }
      } else {
        using R = std::invoke_result_t<Fn&>;
        if constexpr (std::is_void_v<R>) {
          fn();
          return;
        } else {
          return R(fn());
        }
      }
    } catch (const std::exception& e) {
      step.RecordException(e);
      if (last) throw;
    } catch (...) {
      step.RecordException("unknown", "non-standard exception");
      if (last) throw;
    }
    previous = step.step_id();
    step.End();
    SleepBackoff(options, attempt);
  }
}

}  // namespace tracery_sdk
