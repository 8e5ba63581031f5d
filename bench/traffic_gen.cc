#include "traffic_gen.h"

#include <algorithm>
#include <array>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/hex.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "opentelemetry/proto/trace/v1/trace.pb.h"

namespace tracery::bench {
namespace {

namespace otlp_trace = opentelemetry::proto::trace::v1;
namespace otlp_common = opentelemetry::proto::common::v1;
using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;

constexpr int64_t kMs = 1000000;

// splitmix64: tiny, fast and identical on every platform (std:: distributions are not).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform in [lo, hi].
  int64_t Range(int64_t lo, int64_t hi) {
    if (hi <= lo) return lo;
    return lo + static_cast<int64_t>(Next() % static_cast<uint64_t>(hi - lo + 1));
  }
  bool Chance(double p) { return static_cast<double>(Next() >> 11) * 0x1.0p-53 < p; }
  // n random bytes, never all zero (OTLP ids must not be).
  std::string Id(size_t n) {
    std::string out(n, '\0');
    for (size_t i = 0; i < n; i += 8) {
      uint64_t v = Next();
      for (size_t j = i; j < n && j < i + 8; ++j) {
        out[j] = static_cast<char>(v & 0xff);
        v >>= 8;
      }
    }
    out[0] = static_cast<char>(out[0] | 1);
    return out;
  }
  template <typename T, size_t N>
  const T& Pick(const std::array<T, N>& items) {
    return items[Next() % N];
  }

 private:
  uint64_t state_;
};

constexpr std::array<std::string_view, 48> kWords = {
    "the",      "agent",   "order",    "customer", "refund",   "shipping", "invoice", "policy",
    "account",  "please",  "check",    "status",   "delivery", "warehouse", "update", "billing",
    "request",  "details", "summary",  "analysis", "report",   "results",  "query",   "database",
    "latency",  "error",   "retry",    "timeout",  "function", "argument", "return",  "value",
    "flight",   "hotel",   "budget",   "schedule", "meeting",  "document", "search",  "source",
    "evidence", "claim",   "verified", "pending",  "approved", "rejected", "quickly", "carefully"};

// Plain words (no JSON escaping needed), exactly `len` bytes.
std::string Text(Rng& rng, int64_t len) {
  std::string out;
  out.reserve(static_cast<size_t>(len) + 16);
  while (static_cast<int64_t>(out.size()) < len) {
    if (!out.empty()) out += ' ';
    out += kWords[rng.Next() % kWords.size()];
  }
  out.resize(static_cast<size_t>(len));
  return out;
}

struct Service {
  std::string_view name;
  std::string_view version;
  std::string_view environment;
  std::string_view agent;
};
constexpr std::array<Service, 4> kServices = {{
    {"support-assistant", "1.4.2", "production", "support-assistant"},
    {"research-agent", "0.9.0", "production", "research-agent"},
    {"code-reviewer", "2.1.0", "staging", "code-reviewer"},
    {"travel-planner", "1.0.3", "production", "travel-planner"},
}};
constexpr std::array<std::string_view, 4> kSubAgents = {"billing-specialist", "web-researcher",
                                                        "fact-checker", "flight-booker"};
struct ModelInfo {
  std::string_view request;
  std::string_view response;
  std::string_view provider;
  std::string_view server;
};
constexpr std::array<ModelInfo, 3> kModels = {{
    {"gpt-4o", "gpt-4o-2024-08-06", "openai", "api.openai.com"},
    {"gpt-4o-mini", "gpt-4o-mini-2024-07-18", "openai", "api.openai.com"},
    {"claude-sonnet-4-5", "claude-sonnet-4-5-20250929", "anthropic", "api.anthropic.com"},
}};
constexpr std::array<std::string_view, 5> kTools = {"search_web", "get_order_status", "run_python",
                                                    "lookup_account", "book_flight"};
constexpr std::array<std::string_view, 3> kDataSources = {"kb-articles", "product-docs",
                                                          "past-tickets"};
constexpr std::string_view kLlmScope = "opentelemetry.instrumentation.openai_v2";
constexpr std::string_view kAgentScope = "tracery.bench.agent";

enum class FailureKind {
  kToolTimeout,
  kContextLength,
  kNoResults,
  kContentFilter,
  kSchemaInvalid,
  kMaxRetries,
  kGuardrail,
};
constexpr std::array<FailureKind, 7> kFailureKinds = {
    FailureKind::kToolTimeout,  FailureKind::kContextLength, FailureKind::kNoResults,
    FailureKind::kContentFilter, FailureKind::kSchemaInvalid, FailureKind::kMaxRetries,
    FailureKind::kGuardrail};

void SetStr(otlp_trace::Span* span, std::string_view key, std::string_view value) {
  auto* kv = span->add_attributes();
  kv->set_key(std::string(key));
  kv->mutable_value()->set_string_value(std::string(value));
}
void SetStr(otlp_common::KeyValue* kv, std::string_view key, std::string_view value) {
  kv->set_key(std::string(key));
  kv->mutable_value()->set_string_value(std::string(value));
}
void SetInt(otlp_trace::Span* span, std::string_view key, int64_t value) {
  auto* kv = span->add_attributes();
  kv->set_key(std::string(key));
  kv->mutable_value()->set_int_value(value);
}
void SetDouble(otlp_trace::Span* span, std::string_view key, double value) {
  auto* kv = span->add_attributes();
  kv->set_key(std::string(key));
  kv->mutable_value()->set_double_value(value);
}
void SetBool(otlp_trace::Span* span, std::string_view key, bool value) {
  auto* kv = span->add_attributes();
  kv->set_key(std::string(key));
  kv->mutable_value()->set_bool_value(value);
}
void SetStrArray(otlp_trace::Span* span, std::string_view key,
                 std::initializer_list<std::string_view> values) {
  auto* kv = span->add_attributes();
  kv->set_key(std::string(key));
  auto* arr = kv->mutable_value()->mutable_array_value();
  for (std::string_view v : values) arr->add_values()->set_string_value(std::string(v));
}
void SetError(otlp_trace::Span* span, std::string_view message, std::string_view error_type,
              bool exception_event) {
  span->mutable_status()->set_code(otlp_trace::Status::STATUS_CODE_ERROR);
  span->mutable_status()->set_message(std::string(message));
  SetStr(span, "error.type", error_type);
  if (exception_event) {
    auto* ev = span->add_events();
    ev->set_name("exception");
    ev->set_time_unix_nano(span->end_time_unix_nano());
    SetStr(ev->add_attributes(), "exception.type", error_type);
    SetStr(ev->add_attributes(), "exception.message", message);
    SetStr(ev->add_attributes(), "exception.stacktrace",
           "Traceback (most recent call last):\n  File \"agent.py\", line 88, in step\n");
  }
}

std::string JoinArray(const std::vector<std::string>& items) {
  size_t n = 2;
  for (const auto& s : items) n += s.size() + 1;
  std::string out;
  out.reserve(n);
  out += '[';
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += items[i];
  }
  out += ']';
  return out;
}

std::string TextMessage(std::string_view role, const std::string& text) {
  std::string out;
  out.reserve(text.size() + 64);
  out += R"({"role":")";
  out += role;
  out += R"(","parts":[{"type":"text","content":")";
  out += text;
  out += R"("}]})";
  return out;
}

// Collects spans into ExportTraceServiceRequest batches, grouped by service and scope.
class BatchBuilder {
 public:
  BatchBuilder(int spans_per_batch, Traffic* out) : limit_(std::max(1, spans_per_batch)), out_(out) {}

  void Add(const Service& svc, std::string_view scope, otlp_trace::Span span) {
    otlp_trace::ResourceSpans* rs = nullptr;
    for (auto& r : *req_.mutable_resource_spans()) {
      if (r.resource().attributes(0).value().string_value() == svc.name) rs = &r;
    }
    if (rs == nullptr) {
      rs = req_.add_resource_spans();
      auto* res = rs->mutable_resource();
      SetStr(res->add_attributes(), "service.name", svc.name);
      SetStr(res->add_attributes(), "service.version", svc.version);
      SetStr(res->add_attributes(), "deployment.environment.name", svc.environment);
      SetStr(res->add_attributes(), "telemetry.sdk.name", "opentelemetry");
      SetStr(res->add_attributes(), "telemetry.sdk.language", "python");
      SetStr(res->add_attributes(), "telemetry.sdk.version", "1.38.0");
      SetStr(res->add_attributes(), "host.name", "agent-worker-3");
    }
    otlp_trace::ScopeSpans* ss = nullptr;
    for (auto& s : *rs->mutable_scope_spans()) {
      if (s.scope().name() == scope) ss = &s;
    }
    if (ss == nullptr) {
      ss = rs->add_scope_spans();
      ss->mutable_scope()->set_name(std::string(scope));
      ss->mutable_scope()->set_version(scope == kLlmScope ? "2.1b0" : "1.0.0");
    }
    *ss->add_spans() = std::move(span);
    if (++count_ >= limit_) Flush();
  }

  void Flush() {
    if (count_ == 0) return;
    std::string bytes;
    req_.SerializeToString(&bytes);
    out_->bytes += static_cast<int64_t>(bytes.size());
    out_->batches.push_back(std::move(bytes));
    out_->batch_spans.push_back(count_);
    req_.Clear();
    count_ = 0;
  }

 private:
  int limit_;
  Traffic* out_;
  ExportTraceServiceRequest req_;
  int count_ = 0;
};

// Generates one run; spans are emitted in end order (children before parents), as an SDK's
// batch span processor exports them.
class RunGenerator {
 public:
  RunGenerator(const TrafficOptions& opts, Rng& rng, BatchBuilder& batches, Traffic& stats)
      : opts_(opts), rng_(rng), batches_(batches), stats_(stats) {}

  void Generate(int64_t run_index) {
    svc_ = &rng_.Pick(kServices);
    model_ = &rng_.Pick(kModels);
    trace_id_ = rng_.Id(16);
    root_id_ = rng_.Id(8);
    session_ = "sess-" + HexEncode(rng_.Id(6));
    user_ = "user-" + std::to_string(rng_.Range(1, 5000));
    const int64_t run_start = opts_.base_time_ns + run_index * 1000 * kMs;
    now_ = run_start + rng_.Range(1, 5) * kMs;
    emitted_ = 1;  // the root
    conversation_.clear();
    conversation_.push_back(TextMessage("system", "You are " + std::string(svc_->agent) + ". " +
                                                      Text(rng_, MessageBytes() / 2)));
    conversation_.push_back(TextMessage("user", Text(rng_, MessageBytes())));
    agent_ = std::string(svc_->agent);
    parent_id_ = root_id_;

    const int budget = std::max(2, opts_.steps_per_run);
    const bool will_fail = rng_.Chance(opts_.error_probability);
    const FailureKind failure = rng_.Pick(kFailureKinds);
    bool handoff = rng_.Chance(opts_.handoff_probability) && budget >= 6;
    const int handoff_at = handoff ? static_cast<int>(rng_.Range(2, std::max(2, budget / 2))) : -1;
    std::string sub_span_id;
    int64_t sub_start = 0;
    bool in_sub = false;

    std::string root_error;
    while (true) {
      const int remaining = budget - emitted_;
      if (remaining <= 1) break;  // room for the final answer only
      if (handoff && !in_sub && emitted_ >= handoff_at && remaining >= 4) {
        // transfer_to_<agent> tool call, then the sub-agent's own span around its steps.
        std::string_view sub = rng_.Pick(kSubAgents);
        pending_tool_ = "transfer_to_" + std::string(sub);
        LlmTurn("tool_call");
        ToolSpan(pending_tool_, std::nullopt);
        sub_span_id = rng_.Id(8);
        sub_start = now_;
        agent_ = std::string(sub);
        parent_id_ = sub_span_id;
        in_sub = true;
        ++stats_.handoffs;
        continue;
      }
      const bool last_turn = remaining <= 3;
      if (will_fail && last_turn) {
        root_error = InjectFailure(failure);
        break;
      }
      if (rng_.Chance(opts_.retrieval_probability) && remaining >= 3) RetrievalSpan(false);
      const bool call_tool = rng_.Chance(opts_.tool_probability) && budget - emitted_ >= 3;
      if (call_tool) pending_tool_ = std::string(rng_.Pick(kTools));
      LlmTurn(call_tool ? "tool_call" : "stop");
      if (call_tool) {
        ToolSpan(pending_tool_, std::nullopt);
      } else {
        conversation_.push_back(TextMessage("user", Text(rng_, MessageBytes())));
      }
    }
    if (root_error.empty()) LlmTurn("stop");
    if (in_sub) {
      otlp_trace::Span sub = NewSpan(sub_span_id, root_id_, "invoke_agent " + agent_, sub_start);
      sub.set_kind(otlp_trace::Span::SPAN_KIND_INTERNAL);
      SetStr(&sub, "gen_ai.operation.name", "invoke_agent");
      SetStr(&sub, "gen_ai.agent.name", agent_);
      SetStr(&sub, "gen_ai.conversation.id", session_);
      Emit(kAgentScope, std::move(sub), now_);
    }
    now_ += rng_.Range(1, 3) * kMs;
    otlp_trace::Span root = NewSpan(root_id_, "", "invoke_agent " + std::string(svc_->agent), run_start);
    root.set_kind(otlp_trace::Span::SPAN_KIND_INTERNAL);
    SetStr(&root, "gen_ai.operation.name", "invoke_agent");
    SetStr(&root, "gen_ai.agent.name", svc_->agent);
    SetStr(&root, "gen_ai.agent.id", std::string(svc_->agent) + "-v" + std::string(svc_->version));
    SetStr(&root, "gen_ai.agent.version", svc_->version);
    SetStr(&root, "gen_ai.conversation.id", session_);
    SetStr(&root, "session.id", session_);
    SetStr(&root, "user.id", user_);
    root.set_end_time_unix_nano(static_cast<uint64_t>(now_));
    if (!root_error.empty()) {
      SetError(&root, root_error, "AgentRunError", false);
      ++stats_.failed_runs;
    } else {
      root.mutable_status()->set_code(otlp_trace::Status::STATUS_CODE_OK);
    }
    --emitted_;  // Emit counts it again
    Emit(kAgentScope, std::move(root), now_);
    ++stats_.runs;
  }

 private:
  int64_t MessageBytes() { return rng_.Range(opts_.min_message_bytes, opts_.max_message_bytes); }

  otlp_trace::Span NewSpan(const std::string& id, const std::string& parent, std::string name,
                           int64_t start) {
    otlp_trace::Span s;
    s.set_trace_id(trace_id_);
    s.set_span_id(id);
    if (!parent.empty()) s.set_parent_span_id(parent);
    s.set_name(std::move(name));
    s.set_start_time_unix_nano(static_cast<uint64_t>(start));
    return s;
  }

  void Emit(std::string_view scope, otlp_trace::Span span, int64_t end) {
    span.set_end_time_unix_nano(static_cast<uint64_t>(end));
    if (span.status().code() == otlp_trace::Status::STATUS_CODE_ERROR) ++stats_.error_spans;
    ++emitted_;
    ++stats_.spans;
    batches_.Add(*svc_, scope, std::move(span));
  }

  // One chat call; with retry_probability a failed (429) attempt precedes it. Appends the
  // assistant message to the conversation. `finish` is "stop" or "tool_call".
  void LlmTurn(std::string_view finish) {
    std::string failed_id;
    if (rng_.Chance(opts_.retry_probability)) failed_id = LlmSpan("stop", 1, "", LlmFault::kRateLimit);
    LlmSpan(finish, failed_id.empty() ? 0 : 2, failed_id, LlmFault::kNone);
  }

  enum class LlmFault { kNone, kRateLimit, kContextLength, kContentFilter };

  // Returns the span id.
  std::string LlmSpan(std::string_view finish, int attempt, const std::string& retry_of,
                      LlmFault fault) {
    const std::string id = rng_.Id(8);
    const int64_t start = now_ + rng_.Range(1, 4) * kMs;
    otlp_trace::Span s = NewSpan(id, parent_id_, "chat " + std::string(model_->request), start);
    s.set_kind(otlp_trace::Span::SPAN_KIND_CLIENT);
    SetStr(&s, "gen_ai.operation.name", "chat");
    SetStr(&s, "gen_ai.provider.name", model_->provider);
    SetStr(&s, "gen_ai.request.model", model_->request);
    SetDouble(&s, "gen_ai.request.temperature", 0.2);
    SetInt(&s, "gen_ai.request.max_tokens", 1024);
    SetStr(&s, "gen_ai.agent.name", agent_);
    SetStr(&s, "gen_ai.conversation.id", session_);
    SetStr(&s, "server.address", model_->server);
    SetInt(&s, "server.port", 443);
    if (attempt > 0) SetInt(&s, "tracery.step.attempt", attempt);
    if (!retry_of.empty()) SetStr(&s, "tracery.step.retry_of", HexEncode(retry_of));
    const std::string input = JoinArray(conversation_);
    SetStr(&s, "gen_ai.input.messages", input);
    int64_t input_tokens = static_cast<int64_t>(input.size()) / 4;
    int64_t end = start;
    if (fault == LlmFault::kRateLimit || fault == LlmFault::kContextLength) {
      end = start + rng_.Range(80, 400) * kMs;
      s.set_end_time_unix_nano(static_cast<uint64_t>(end));
      if (fault == LlmFault::kRateLimit) {
        SetInt(&s, "http.response.status_code", 429);
        SetError(&s, "Error code: 429 - Rate limit reached for requests", "RateLimitError", true);
      } else {
        SetInt(&s, "http.response.status_code", 400);
        SetError(&s,
                 "This model's maximum context length is 128000 tokens, however you requested "
                 "131072 tokens",
                 "context_length_exceeded", true);
      }
      now_ = end;
      Emit(kLlmScope, std::move(s), end);
      return id;
    }
    std::string out_msg;
    std::string_view reason = finish;
    if (fault == LlmFault::kContentFilter) reason = "content_filter";
    if (finish == "tool_call" && fault == LlmFault::kNone) {
      const std::string call_id = "call_" + HexEncode(rng_.Id(6));
      pending_call_id_ = call_id;
      out_msg = R"({"role":"assistant","parts":[{"type":"tool_call","id":")" + call_id +
                R"(","name":")" + pending_tool_ + R"(","arguments":{"query":")" + Text(rng_, rng_.Range(20, 120)) +
                R"("}}],"finish_reason":"tool_call"})";
    } else {
      out_msg = R"({"role":"assistant","parts":[{"type":"text","content":")" +
                Text(rng_, MessageBytes()) + R"("}],"finish_reason":")" + std::string(reason) +
                R"("})";
    }
    SetStr(&s, "gen_ai.output.messages", "[" + out_msg + "]");
    SetStr(&s, "gen_ai.response.model", model_->response);
    SetStr(&s, "gen_ai.response.id", "chatcmpl-" + HexEncode(rng_.Id(8)));
    SetStrArray(&s, "gen_ai.response.finish_reasons", {reason});
    const int64_t output_tokens = static_cast<int64_t>(out_msg.size()) / 4;
    SetInt(&s, "gen_ai.usage.input_tokens", input_tokens);
    SetInt(&s, "gen_ai.usage.output_tokens", output_tokens);
    if (conversation_.size() > 2) SetInt(&s, "gen_ai.usage.cache_read.input_tokens", input_tokens / 2);
    end = start + (300 + output_tokens * 8 + rng_.Range(0, 400)) * kMs;
    now_ = end;
    // The next call re-sends everything, including this answer.
    if (fault == LlmFault::kNone) conversation_.push_back(out_msg);
    ++stats_.llm_spans;
    if (attempt > 1) ++stats_.retry_spans;
    Emit(kLlmScope, std::move(s), end);
    return id;
  }

  enum class ToolFault { kTimeout, kSchemaInvalid };

  void ToolSpan(const std::string& tool, std::optional<ToolFault> fault) {
    const std::string id = rng_.Id(8);
    const int64_t start = now_ + rng_.Range(1, 3) * kMs;
    otlp_trace::Span s = NewSpan(id, parent_id_, "execute_tool " + tool, start);
    s.set_kind(otlp_trace::Span::SPAN_KIND_INTERNAL);
    SetStr(&s, "gen_ai.operation.name", "execute_tool");
    SetStr(&s, "gen_ai.tool.name", tool);
    SetStr(&s, "gen_ai.tool.type", "function");
    SetStr(&s, "gen_ai.agent.name", agent_);
    const std::string call_id =
        pending_call_id_.empty() ? "call_" + HexEncode(rng_.Id(6)) : pending_call_id_;
    pending_call_id_.clear();
    SetStr(&s, "gen_ai.tool.call.id", call_id);
    const std::string args = R"({"query":")" + Text(rng_, rng_.Range(20, 200)) +
                             R"(","limit":)" + std::to_string(rng_.Range(1, 20)) +
                             R"(,"include_archived":false})";
    SetStr(&s, "gen_ai.tool.call.arguments", args);
    int64_t end = start + rng_.Range(20, 800) * kMs;
    if (fault == ToolFault::kTimeout) {
      end = start + 30000 * kMs;
      SetError(&s, "tool " + tool + " timed out after 30s", "TimeoutError", true);
    } else if (fault == ToolFault::kSchemaInvalid) {
      SetError(&s, "invalid json in tool arguments: expected ',' at line 1 column 57",
               "ValidationError", true);
    } else {
      const std::string result = R"({"status":"ok","items":[")" + Text(rng_, MessageBytes()) +
                                 R"("],"count":)" + std::to_string(rng_.Range(0, 50)) + "}";
      SetStr(&s, "gen_ai.tool.call.result", result);
      conversation_.push_back(R"({"role":"tool","parts":[{"type":"tool_call_response","id":")" +
                              call_id + R"(","response":)" + result + "}]}");
    }
    now_ = end;
    ++stats_.tool_spans;
    Emit(kAgentScope, std::move(s), end);
  }

  void RetrievalSpan(bool no_results) {
    const std::string id = rng_.Id(8);
    const int64_t start = now_ + rng_.Range(1, 3) * kMs;
    std::string_view source = rng_.Pick(kDataSources);
    otlp_trace::Span s = NewSpan(id, parent_id_, "retrieval " + std::string(source), start);
    s.set_kind(otlp_trace::Span::SPAN_KIND_CLIENT);
    SetStr(&s, "gen_ai.operation.name", "retrieval");
    SetStr(&s, "gen_ai.data_source.id", source);
    SetStr(&s, "gen_ai.agent.name", agent_);
    SetStr(&s, "gen_ai.retrieval.query.text", Text(rng_, rng_.Range(20, 150)));
    const int64_t end = start + rng_.Range(30, 200) * kMs;
    if (no_results) {
      SetStr(&s, "gen_ai.retrieval.documents", "[]");
      SetBool(&s, "tracery.retrieval.no_results", true);
      SetError(&s, "retrieval returned no documents", "NoResults", false);
    } else {
      std::vector<std::string> docs;
      const int n = static_cast<int>(rng_.Range(2, 4));
      std::string context;
      for (int i = 0; i < n; ++i) {
        std::string text = Text(rng_, MessageBytes() / 2);
        docs.push_back(R"({"id":"doc-)" + std::to_string(rng_.Range(1, 100000)) +
                       R"(","score":0.)" + std::to_string(rng_.Range(100, 999)) +
                       R"(,"content":")" + text + "\"}");
        context += text;
        context += ' ';
      }
      SetStr(&s, "gen_ai.retrieval.documents", JoinArray(docs));
      conversation_.push_back(TextMessage("system", "Context: " + context));
    }
    now_ = end;
    ++stats_.retrieval_spans;
    Emit(kAgentScope, std::move(s), end);
  }

  // Emits the failing step(s); returns the root's error message.
  std::string InjectFailure(FailureKind kind) {
    switch (kind) {
      case FailureKind::kToolTimeout:
        pending_tool_ = std::string(rng_.Pick(kTools));
        LlmTurn("tool_call");
        ToolSpan(pending_tool_, ToolFault::kTimeout);
        return "tool " + pending_tool_ + " timed out";
      case FailureKind::kSchemaInvalid:
        pending_tool_ = std::string(rng_.Pick(kTools));
        LlmTurn("tool_call");
        ToolSpan(pending_tool_, ToolFault::kSchemaInvalid);
        return "tool arguments failed validation";
      case FailureKind::kContextLength:
        LlmSpan("stop", 0, "", LlmFault::kContextLength);
        return "model call failed: context length exceeded";
      case FailureKind::kNoResults:
        RetrievalSpan(true);
        return "no documents found for the question";
      case FailureKind::kContentFilter:
        LlmSpan("stop", 0, "", LlmFault::kContentFilter);
        return "response blocked by the content filter";
      case FailureKind::kMaxRetries: {
        std::string prev = LlmSpan("stop", 1, "", LlmFault::kRateLimit);
        prev = LlmSpan("stop", 2, prev, LlmFault::kRateLimit);
        ++stats_.retry_spans;
        return "model call failed after 2 attempts: rate limited";
      }
      case FailureKind::kGuardrail: {
        const std::string id = rng_.Id(8);
        const int64_t start = now_ + kMs;
        otlp_trace::Span s = NewSpan(id, parent_id_, "guardrail pii_check", start);
        SetStr(&s, "tracery.step.type", "guardrail");
        SetStr(&s, "gen_ai.agent.name", agent_);
        SetStr(&s, "tracery.failure.type", "guardrail");
        SetStr(&s, "tracery.failure.code", "guardrail_triggered");
        SetStr(&s, "tracery.failure.message", "output contained a credit card number");
        SetError(&s, "guardrail pii_check tripped", "GuardrailTripwireTriggered", false);
        now_ = start + rng_.Range(5, 40) * kMs;
        Emit(kAgentScope, std::move(s), now_);
        return "guardrail pii_check tripped";
      }
    }
    return "unknown failure";
  }

  const TrafficOptions& opts_;
  Rng& rng_;
  BatchBuilder& batches_;
  Traffic& stats_;
  const Service* svc_ = nullptr;
  const ModelInfo* model_ = nullptr;
  std::string trace_id_;
  std::string root_id_;
  std::string parent_id_;
  std::string session_;
  std::string user_;
  std::string agent_;
  std::string pending_call_id_;
  std::string pending_tool_;  // the tool the next tool_call answer names
  std::vector<std::string> conversation_;
  int64_t now_ = 0;
  int emitted_ = 0;
};

nlohmann::json AnyToJson(const otlp_common::AnyValue& v) {
  switch (v.value_case()) {
    case otlp_common::AnyValue::kStringValue:
      return v.string_value();
    case otlp_common::AnyValue::kBoolValue:
      return v.bool_value();
    case otlp_common::AnyValue::kIntValue:
      return v.int_value();
    case otlp_common::AnyValue::kDoubleValue:
      return v.double_value();
    case otlp_common::AnyValue::kBytesValue:
      return HexEncode(v.bytes_value());
    case otlp_common::AnyValue::kArrayValue: {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& e : v.array_value().values()) arr.push_back(AnyToJson(e));
      return arr;
    }
    case otlp_common::AnyValue::kKvlistValue: {
      nlohmann::json obj = nlohmann::json::object();
      for (const auto& kv : v.kvlist_value().values()) obj[kv.key()] = AnyToJson(kv.value());
      return obj;
    }
    default:
      return nullptr;
  }
}

}  // namespace

Traffic GenerateTraffic(const TrafficOptions& options) {
  Traffic out;
  Rng rng(options.seed);
  BatchBuilder batches(options.spans_per_batch, &out);
  RunGenerator gen(options, rng, batches, out);
  for (int64_t i = 0; i < options.runs; ++i) gen.Generate(i);
  batches.Flush();
  return out;
}

bool IsContentAttribute(std::string_view key) {
  static constexpr std::array<std::string_view, 9> kContent = {
      "gen_ai.input.messages",      "gen_ai.output.messages",     "gen_ai.system_instructions",
      "gen_ai.tool.call.arguments", "gen_ai.tool.call.result",    "gen_ai.retrieval.documents",
      "gen_ai.retrieval.query.text", "gen_ai.tool.definitions",   "input.value"};
  return std::find(kContent.begin(), kContent.end(), key) != kContent.end();
}

bool RowsFromBatch(std::string_view batch, std::vector<SpanRow>* rows) {
  ExportTraceServiceRequest req;
  if (!req.ParseFromArray(batch.data(), static_cast<int>(batch.size()))) return false;
  for (const auto& rs : req.resource_spans()) {
    for (const auto& ss : rs.scope_spans()) {
      for (const auto& span : ss.spans()) {
        SpanRow row;
        row.run_id = HexEncode(span.trace_id());
        row.step_id = HexEncode(span.span_id());
        row.parent_id = HexEncode(span.parent_span_id());
        row.name = span.name();
        row.start_ns = static_cast<int64_t>(span.start_time_unix_nano());
        row.end_ns = static_cast<int64_t>(span.end_time_unix_nano());
        row.status = static_cast<int>(span.status().code());
        nlohmann::json attrs = nlohmann::json::object();
        nlohmann::json content = nlohmann::json::object();
        for (const auto& kv : span.attributes()) {
          (IsContentAttribute(kv.key()) ? content : attrs)[kv.key()] = AnyToJson(kv.value());
        }
        row.attributes_json = attrs.dump();
        row.content_json = content.dump();
        rows->push_back(std::move(row));
      }
    }
  }
  return true;
}

std::vector<size_t> TraceIdOffsets(const std::string& batch) {
  ExportTraceServiceRequest req;
  std::vector<size_t> out;
  if (!req.ParseFromString(batch)) return out;
  std::set<std::string, std::less<>> ids;
  size_t spans = 0;
  for (const auto& rs : req.resource_spans()) {
    for (const auto& ss : rs.scope_spans()) {
      for (const auto& s : ss.spans()) {
        ids.insert(s.trace_id());
        ++spans;
      }
    }
  }
  // Span.trace_id is field 1, length-delimited: tag 0x0A, length 0x10, then the 16 bytes. A match
  // elsewhere (inside a string value) would need the same 18 bytes, which random ids rule out.
  const std::string_view b(batch);
  for (size_t i = 0; i + 18 <= b.size() && out.size() < spans; ++i) {
    if (b[i] == 0x0A && b[i + 1] == 0x10 && ids.count(b.substr(i + 2, 16))) {
      out.push_back(i + 2);
      i += 17;
    }
  }
  return out;
}

void RewriteTraceIds(const std::vector<size_t>& offsets, uint32_t cycle, std::string* body) {
  if (cycle == 0) return;
  for (size_t off : offsets) {
    for (int k = 0; k < 4; ++k) {
      (*body)[off + 12 + static_cast<size_t>(k)] ^= static_cast<char>((cycle >> (8 * k)) & 0xff);
    }
  }
}

std::string MakeProbeRequest(std::string_view trace_id, std::string_view span_id,
                             int64_t start_ns) {
  ExportTraceServiceRequest req;
  auto* rs = req.add_resource_spans();
  SetStr(rs->mutable_resource()->add_attributes(), "service.name", "latency-probe");
  auto* ss = rs->add_scope_spans();
  ss->mutable_scope()->set_name(std::string(kAgentScope));
  auto* span = ss->add_spans();
  span->set_trace_id(std::string(trace_id));
  span->set_span_id(std::string(span_id));
  span->set_name("invoke_agent latency-probe");
  span->set_kind(otlp_trace::Span::SPAN_KIND_INTERNAL);
  span->set_start_time_unix_nano(static_cast<uint64_t>(start_ns));
  span->set_end_time_unix_nano(static_cast<uint64_t>(start_ns + kMs));
  SetStr(span, "gen_ai.operation.name", "invoke_agent");
  SetStr(span, "gen_ai.agent.name", "latency-probe");
  span->mutable_status()->set_code(otlp_trace::Status::STATUS_CODE_OK);
  std::string bytes;
  req.SerializeToString(&bytes);
  return bytes;
}

}  // namespace tracery::bench
