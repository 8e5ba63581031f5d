#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>
#include <typeinfo>

#include "exporter.h"
#include "tracery_sdk/tracery_sdk.h"

#if defined(__GNUG__)
#include <cxxabi.h>

#include <cstdlib>
#endif

namespace tracery_sdk {
namespace internal {

struct TracerCore {
  TracerOptions options;
  std::shared_ptr<Exporter> exporter;
};

struct SpanState {
  std::shared_ptr<TracerCore> core;
  SpanData data;
  std::string name;  // kept after export (data is moved into the queue)
  StepType type = StepType::kOther;
  bool is_run = false;
  bool run_failed = false;  // runs: a failure was recorded on one of its steps
  // Runs: the first failure recorded on a step, repeated on the root at the end so the run's
  // failure stays semantic even when the agent continued after that step (the server then
  // treats the step's failure as handled and reports the root's).
  std::string step_failure_type, step_failure_code, step_failure_message;
  bool has_failure = false;
  int uncaught_at_start = 0;
  std::atomic<bool> ended{false};
  // The step that was current on the starting thread when this one started.
  std::shared_ptr<SpanState> prev_active;
  std::thread::id thread;
};

namespace {

// Innermost open step on this thread (Run::StartStep nests under it).
thread_local std::shared_ptr<SpanState> t_current;

std::uint64_t NowNs() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

// Ids need uniqueness, not secrecy (like the OpenTelemetry SDKs): a per-thread generator seeded
// from std::random_device.
std::mt19937_64& Rng() {
  thread_local std::mt19937_64 rng = [] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }();
  return rng;
}

template <std::size_t N>
void FillId(std::array<std::uint8_t, N>* id) {
  for (;;) {
    std::uint64_t acc = 0;
    bool nonzero = false;
    for (std::size_t i = 0; i < N; ++i) {
      if (i % 8 == 0) acc = Rng()();
      (*id)[i] = static_cast<std::uint8_t>(acc >> (8 * (i % 8)));
      nonzero |= (*id)[i] != 0;
    }
    if (nonzero) return;  // all-zero ids are invalid in OTLP
  }
}

void SetAttr(Attributes* attrs, std::string_view key, AttributeValue value) {
  for (auto& kv : *attrs) {
    if (kv.first == key) {
      kv.second = std::move(value);
      return;
    }
  }
  attrs->emplace_back(std::string(key), std::move(value));
}

const char* Operation(StepType type) {
  switch (type) {
    case StepType::kLlm: return "chat";
    case StepType::kTool: return "execute_tool";
    case StepType::kAgent: return "invoke_agent";
    case StepType::kEmbedding: return "embeddings";
    case StepType::kRetrieval: return "retrieval";
    case StepType::kRerank: return "rerank";
    default: return nullptr;
  }
}

std::shared_ptr<SpanState> NewSpan(const std::shared_ptr<TracerCore>& core,
                                   const std::array<std::uint8_t, 16>& trace_id,
                                   const std::array<std::uint8_t, 8>& parent, StepType type,
                                   std::string_view name) {
  auto s = std::make_shared<SpanState>();
  s->core = core;
  s->type = type;
  s->name = std::string(name);
  s->data.trace_id = trace_id;
  FillId(&s->data.span_id);
  s->data.parent_span_id = parent;
  s->data.name = s->name;
  s->data.attributes.reserve(8);
  s->data.attributes.emplace_back("tracery.step.type", ToString(type));
  if (const char* op = Operation(type)) s->data.attributes.emplace_back("gen_ai.operation.name", op);
  if (type == StepType::kTool) s->data.attributes.emplace_back("gen_ai.tool.name", s->name);
  s->uncaught_at_start = std::uncaught_exceptions();
  s->thread = std::this_thread::get_id();
  s->prev_active = t_current;
  t_current = s;
  s->data.start_ns = NowNs();
  return s;
}

void FailState(SpanState* s, std::string_view type, std::string_view code, std::string_view message) {
  SetAttr(&s->data.attributes, "tracery.failure.type", std::string(type));
  SetAttr(&s->data.attributes, "tracery.failure.code", std::string(code));
  if (!message.empty()) SetAttr(&s->data.attributes, "tracery.failure.message", std::string(message));
  s->has_failure = true;
  s->data.status_code = 2;
  s->data.status_message = std::string(message.empty() ? code : message);
}

void EndState(const std::shared_ptr<SpanState>& s) {
  if (!s || s->ended.load(std::memory_order_relaxed)) return;
  const bool unwinding = std::uncaught_exceptions() > s->uncaught_at_start;
  if (s->is_run) {
    if (unwinding && !s->has_failure) {
      FailState(s.get(), "orchestration", "uncaught_exception",
                "an exception propagated out of the run");
    }
    if (s->run_failed && !s->has_failure) {
      FailState(s.get(), s->step_failure_type, s->step_failure_code, s->step_failure_message);
    }
  } else if (unwinding && s->data.status_code == 0) {
    s->data.status_code = 2;
    s->data.status_message = "an exception propagated out of the step";
  }
  if (s->data.status_code == 0) s->data.status_code = 1;
  s->data.end_ns = std::max(NowNs(), s->data.start_ns);
  s->ended.store(true, std::memory_order_release);
  if (s->thread == std::this_thread::get_id()) {
    if (t_current == s) {
      t_current = s->prev_active;
      while (t_current && t_current->ended.load(std::memory_order_acquire))
        t_current = t_current->prev_active;
    }
    s->prev_active.reset();
  }
  s->core->exporter->Enqueue(std::move(s->data));
}

bool Open(const std::shared_ptr<SpanState>& s) {
  return s && !s->ended.load(std::memory_order_relaxed);
}

std::string Demangle(const char* name) {
#if defined(__GNUG__)
  int status = 0;
  char* d = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  if (status == 0 && d != nullptr) {
    std::string out(d);
    std::free(d);
    return out;
  }
#endif
  return name;
}

}  // namespace
}  // namespace internal

using internal::Open;
using internal::SetAttr;

// ---- names --------------------------------------------------------------------------------------

namespace {
constexpr std::pair<StepType, const char*> kStepNames[] = {
    {StepType::kAgent, "agent"},         {StepType::kLlm, "llm"},
    {StepType::kTool, "tool"},           {StepType::kRetrieval, "retrieval"},
    {StepType::kEmbedding, "embedding"}, {StepType::kRerank, "rerank"},
    {StepType::kGuardrail, "guardrail"}, {StepType::kHandoff, "handoff"},
    {StepType::kPlan, "plan"},           {StepType::kRespond, "respond"},
    {StepType::kChain, "chain"},         {StepType::kOther, "other"},
};
}  // namespace

const char* ToString(StepType type) {
  for (const auto& [t, name] : kStepNames)
    if (t == type) return name;
  return "other";
}

std::optional<StepType> ParseStepType(std::string_view name) {
  for (const auto& [t, n] : kStepNames)
    if (name == n) return t;
  return std::nullopt;
}

const char* ToString(Privacy privacy) {
  switch (privacy) {
    case Privacy::kFull: return "full";
    case Privacy::kMask: return "mask";
    case Privacy::kMetadataOnly: return "metadata-only";
  }
  return "full";
}

std::optional<Privacy> ParsePrivacy(std::string_view name) {
  if (name == "full") return Privacy::kFull;
  if (name == "mask") return Privacy::kMask;
  if (name == "metadata-only") return Privacy::kMetadataOnly;
  return std::nullopt;
}

// ---- Step ---------------------------------------------------------------------------------------

Step& Step::operator=(Step&& other) noexcept {
  if (this != &other) {
    End();
    state_ = std::move(other.state_);
  }
  return *this;
}

Step::~Step() { End(); }

void Step::End() {
  try {
    internal::EndState(state_);
  } catch (...) {  // bad_alloc while queueing: the step is lost, the agent is not
  }
}

Step Step::StartStep(StepType type, std::string_view name) {
  if (!state_) return Step();
  return Step(internal::NewSpan(state_->core, state_->data.trace_id, state_->data.span_id, type, name));
}

Step& Step::Set(std::string_view key, AttributeValue value) {
  if (Open(state_)) SetAttr(&state_->data.attributes, key, std::move(value));
  return *this;
}

Step& Step::SetModel(std::string_view model, std::string_view provider,
                     std::string_view response_model) {
  if (!Open(state_)) return *this;
  SetAttr(&state_->data.attributes, "gen_ai.request.model", model);
  if (!response_model.empty()) SetAttr(&state_->data.attributes, "gen_ai.response.model", response_model);
  if (!provider.empty()) SetAttr(&state_->data.attributes, "gen_ai.provider.name", provider);
  return *this;
}

Step& Step::SetTokens(const TokenCounts& t) {
  if (!Open(state_)) return *this;
  const std::pair<const char*, const std::optional<std::int64_t>*> fields[] = {
      {"gen_ai.usage.input_tokens", &t.input},
      {"gen_ai.usage.output_tokens", &t.output},
      {"gen_ai.usage.total_tokens", &t.total},
      {"gen_ai.usage.cache_read.input_tokens", &t.cache_read},
      {"gen_ai.usage.cache_creation.input_tokens", &t.cache_write},
      {"gen_ai.usage.reasoning.output_tokens", &t.reasoning},
  };
  for (const auto& [key, value] : fields)
    if (value->has_value()) SetAttr(&state_->data.attributes, key, **value);
  return *this;
}

Step& Step::SetCost(double usd) { return Set("tracery.cost.usd", usd); }

namespace {
void SetContent(internal::SpanState* s, bool input, std::string_view value, ContentKind kind) {
  const bool json = kind == ContentKind::kJson;
  if (s->type == StepType::kLlm && json) {
    SetAttr(&s->data.attributes, input ? "gen_ai.input.messages" : "gen_ai.output.messages", value);
  } else if (s->type == StepType::kTool || s->type == StepType::kHandoff) {
    SetAttr(&s->data.attributes, input ? "gen_ai.tool.call.arguments" : "gen_ai.tool.call.result",
            value);
  } else {
    SetAttr(&s->data.attributes, input ? "input.value" : "output.value", value);
    SetAttr(&s->data.attributes, input ? "input.mime_type" : "output.mime_type",
            json ? "application/json" : "text/plain");
  }
}
}  // namespace

Step& Step::SetInput(std::string_view value, ContentKind kind) {
  if (Open(state_)) SetContent(state_.get(), true, value, kind);
  return *this;
}

Step& Step::SetOutput(std::string_view value, ContentKind kind) {
  if (Open(state_)) SetContent(state_.get(), false, value, kind);
  return *this;
}

Step& Step::Handoff(std::string_view to_agent, std::string_view from_agent) {
  if (!Open(state_)) return *this;
  SetAttr(&state_->data.attributes, "tracery.handoff.to", to_agent);
  SetAttr(&state_->data.attributes, "tracery.handoff.from",
          from_agent.empty() ? std::string_view(state_->core->options.agent_id) : from_agent);
  return *this;
}

Step& Step::Fail(std::string_view failure_type, std::string_view failure_code,
                 std::string_view message) {
  if (Open(state_)) internal::FailState(state_.get(), failure_type, failure_code, message);
  return *this;
}

Step& Step::RecordException(const std::exception& e) {
  return RecordException(internal::Demangle(typeid(e).name()), e.what());
}

Step& Step::RecordException(std::string_view type, std::string_view message) {
  if (!Open(state_)) return *this;
  SpanEvent ev;
  ev.time_ns = internal::NowNs();
  ev.name = "exception";
  ev.attributes.emplace_back("exception.type", type);
  ev.attributes.emplace_back("exception.message", message);
  state_->data.events.push_back(std::move(ev));
  state_->data.status_code = 2;
  if (state_->data.status_message.empty()) {
    state_->data.status_message = std::string(type) + ": " + std::string(message);
  }
  return *this;
}

Step& Step::AddEvent(std::string_view name,
                     std::vector<std::pair<std::string, AttributeValue>> attributes) {
  if (!Open(state_)) return *this;
  SpanEvent ev;
  ev.time_ns = internal::NowNs();
  ev.name = std::string(name);
  ev.attributes = std::move(attributes);
  state_->data.events.push_back(std::move(ev));
  return *this;
}

bool Step::failed() const { return state_ && state_->data.status_code == 2; }

std::string Step::step_id() const {
  return state_ ? ToHex(state_->data.span_id.data(), 8) : std::string();
}

std::string Step::run_id() const {
  return state_ ? ToHex(state_->data.trace_id.data(), 16) : std::string();
}

StepType Step::type() const { return state_ ? state_->type : StepType::kOther; }

// ---- Run ----------------------------------------------------------------------------------------

Step Run::StartStep(StepType type, std::string_view name) {
  if (!state_) return Step();
  auto cur = internal::t_current;
  while (cur && cur->ended.load(std::memory_order_acquire)) cur = cur->prev_active;
  const auto& parent = (cur && cur->data.trace_id == state_->data.trace_id) ? cur : state_;
  return Step(internal::NewSpan(state_->core, state_->data.trace_id, parent->data.span_id, type, name));
}

Run& Run::RecordFailure(std::string_view failure_type, std::string_view failure_code,
                        std::string_view message, Step* step) {
  if (!Open(state_)) return *this;
  std::string text(message);
  if (step != nullptr && step->state_ && step->state_ != state_) {
    if (Open(step->state_)) {
      step->Fail(failure_type, failure_code, message);
      if (!state_->run_failed) {
        state_->run_failed = true;
        state_->step_failure_type = std::string(failure_type);
        state_->step_failure_code = std::string(failure_code);
        state_->step_failure_message = std::string(message);
      }
      return *this;
    }
    text = "step '" + step->state_->name + "'" + (text.empty() ? "" : ": " + text);
  }
  internal::FailState(state_.get(), failure_type, failure_code, text);
  return *this;
}

Step Run::AttemptStep(const RetryOptions& options, int attempt, const std::string& previous_id) {
  Step s = StartStep(options.type, options.name);
  s.Set("tracery.step.attempt", attempt);
  // The retry budget: the server reports an exhausted chain as max_retries_exceeded.
  s.Set("tracery.step.max_attempts", std::max(1, options.attempts));
  if (!previous_id.empty()) s.Set("tracery.step.retry_of", previous_id);
  return s;
}

void Run::SleepBackoff(const RetryOptions& options, int attempt) {
  if (options.backoff.count() <= 0) return;
  std::this_thread::sleep_for(options.backoff * (1LL << std::min(attempt - 1, 20)));
}

// ---- Tracer -------------------------------------------------------------------------------------

Tracer::Tracer(TracerOptions options) : core_(std::make_shared<internal::TracerCore>()) {
  core_->options = std::move(options);
  const auto& o = core_->options;
  Attributes resource = {
      {"service.name", o.service_name.empty() ? o.agent_id : o.service_name},
      {"service.version", o.agent_version},
      {"deployment.environment.name", o.environment},
      {"telemetry.sdk.name", "tracery_sdk"},
      {"telemetry.sdk.language", "cpp"},
      {"telemetry.sdk.version", kVersion},
      {"tracery.agent.version", o.agent_version},
  };
  core_->exporter = std::make_shared<internal::Exporter>(o, std::move(resource));
  core_->exporter->Start();
}

Tracer::~Tracer() { Shutdown(std::chrono::seconds(5)); }

Run Tracer::StartRun(std::string_view name, const RunOptions& options) {
  try {
    const auto& o = core_->options;
    const std::string& agent = options.agent_id.empty() ? o.agent_id : options.agent_id;
    std::array<std::uint8_t, 16> trace_id;
    internal::FillId(&trace_id);
    auto s = internal::NewSpan(core_, trace_id, {}, StepType::kAgent,
                               name.empty() ? std::string_view(agent) : name);
    s->is_run = true;
    auto& a = s->data.attributes;
    a.emplace_back("tracery.agent.id", agent);
    a.emplace_back("gen_ai.agent.name", agent);
    a.emplace_back("tracery.agent.version", o.agent_version);
    a.emplace_back("tracery.environment", o.environment);
    if (!name.empty()) a.emplace_back("gen_ai.workflow.name", name);
    if (!options.session_id.empty()) a.emplace_back("session.id", options.session_id);
    if (!options.user_id.empty()) a.emplace_back("user.id", options.user_id);
    if (!options.tags.empty()) a.emplace_back("tag.tags", options.tags);
    if (!options.metadata_json.empty()) a.emplace_back("metadata", options.metadata_json);
    return Run(std::move(s));
  } catch (...) {  // bad_alloc: an untraced run
    return Run();
  }
}

bool Tracer::Flush(std::chrono::milliseconds timeout) { return core_->exporter->Flush(timeout); }

bool Tracer::Shutdown(std::chrono::milliseconds timeout) {
  return core_->exporter->Shutdown(timeout);
}

ExportStats Tracer::Stats() const { return core_->exporter->Stats(); }

}  // namespace tracery_sdk
