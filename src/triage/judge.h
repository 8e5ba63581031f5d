// LLM judge clients: OpenAI-compatible /v1/chat/completions (response_format json_schema; also
// llama.cpp, vLLM, Ollama) and Anthropic /v1/messages (a forced tool call for structured output),
// plus the batching / concurrency / cache / redaction layer the pipeline uses to answer llm_judge
// nodes. Judge output is validated against the node's output_schema (ValidateAgainstSchema in
// detect.h); a violation is an error for that run and mode, never a negative.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "triage/budget.h"
#include "triage/detect.h"
#include "triage/rubric.h"

namespace tracery::triage {

// One structured-output call.
struct JudgeRequest {
  std::string model;
  std::string system_prompt;
  std::string user_prompt;
  std::string schema_name = "verdict";
  std::string schema_json;  // JSON Schema of the object to return
};

struct JudgeResponse {
  std::string json;  // the object the model returned (not yet validated)
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
};

struct RetryPolicy {
  int max_attempts = 3;    // total, including the first
  int base_delay_ms = 1000;
  int max_delay_ms = 16000;
};

// Delay before attempt `attempt` + 1 (attempt >= 1 failed): Retry-After seconds when given
// (capped at max_delay_ms), else base * 2^(attempt-1) capped.
int RetryDelayMs(int attempt, const std::string& retry_after, const RetryPolicy& policy);

class JudgeTransport {
 public:
  virtual ~JudgeTransport() = default;
  virtual Result<JudgeResponse> Complete(const JudgeRequest& request) = 0;
};

struct JudgeClientConfig {
  std::string provider = "openai";  // openai | anthropic
  // Origin plus optional path prefix; "/v1/chat/completions" or "/v1/messages" is appended
  // (a trailing "/v1" in the base is not doubled). Defaults per provider when empty.
  std::string base_url;
  std::string api_key;  // may be empty for local OpenAI-compatible servers
  int timeout_ms = 60000;
  RetryPolicy retry;
  std::function<void(int ms)> sleep;  // tests inject; default sleeps
};

// 429, 5xx and connection errors are retried; other statuses fail at once naming the status.
Result<std::unique_ptr<JudgeTransport>> MakeJudgeTransport(const JudgeClientConfig& config);

// Wire shapes, exposed for tests.
std::string OpenAiRequestBody(const JudgeRequest& request);
Result<JudgeResponse> ParseOpenAiResponse(const std::string& body);
std::string AnthropicRequestBody(const JudgeRequest& request);
Result<JudgeResponse> ParseAnthropicResponse(const std::string& body);

// One (run, mode, judge node) question.
struct JudgeItem {
  const Mode* mode = nullptr;
  const Detection* node = nullptr;
  std::string run_id;
  std::string run_text;  // the run's text projection (redacted by the Judge before sending)
};

struct JudgeOptions {
  std::string model = "gpt-4o-mini";  // default when a node has no `model`
  int batch = 1;                      // runs per call (same mode and node)
  int concurrency = 8;
  std::string rubric_version;
  std::string cache_dir;  // "" = no cache
  size_t max_run_chars = 24000;  // run text beyond this is cut (head and tail kept)
  // Applied to every run text before it leaves the process (and before cache keys are computed).
  std::function<void(std::string*)> redact;
};

class Judge {
 public:
  Judge(JudgeOptions options, JudgeTransport* transport, CostLedger* ledger)
      : options_(std::move(options)), transport_(transport), ledger_(ledger) {}

  // Answers every item (same order): cache first, then batched calls of up to `batch` items that
  // share mode, node and model, run `concurrency` at a time. A batched response must hold
  // exactly as many verdicts as runs sent, else every item of that call errors.
  std::vector<Result<JudgeVerdict>> Run(const std::vector<JudgeItem>& items);

  // hash(run content, mode id, node prompt + schema, rubric version, model) as 32 hex.
  static std::string CacheKey(const std::string& run_text, const std::string& mode_id,
                              const Detection& node, const std::string& rubric_version,
                              const std::string& model);

  // Model a node uses: its own ("provider:model" → "model") or the default.
  std::string ModelFor(const Detection& node) const;

 private:
  JudgeOptions options_;
  JudgeTransport* transport_;
  CostLedger* ledger_;
};

// Builds a verdict from a validated object: positive, confidence (clamped 0..1, default 0.5),
// excerpt (excerpt | reason | first other string field), evidence_step_ids.
JudgeVerdict VerdictFromJson(const std::string& object_json);

}  // namespace tracery::triage
