// Span -> Step normalization across conventions. docs/conventions.md lists every attribute read
// here and what it maps to; keep the two in sync.
#include "ingest/normalizer.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "core/hex.h"
#include "ingest/internal/clean_json.h"
#include "ingest/internal/conventions.h"
#include "ingest/internal/json_split.h"
#include "ingest/internal/redact_cache.h"

namespace tracery::ingest {

namespace {

using internal::AttrIndex;
using internal::Json;
using model::ContentField;
using model::FailureSource;
using model::FailureType;
using model::StepType;

constexpr size_t kMaxAttributeValue = 4096;
constexpr size_t kMaxNameLen = 1024;

int64_t ToNs(uint64_t v) {
  return v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ? std::numeric_limits<int64_t>::max()
                                                                          : static_cast<int64_t>(v);
}

std::string IdHex(std::string_view raw) {
  if (raw.empty() || IsAllZero(raw)) return {};
  return HexEncode(raw);
}

std::string Clean(std::string_view s, size_t max = kMaxNameLen) {
  std::string out = internal::SanitizeUtf8(s);
  internal::TruncateUtf8(&out, max);
  return out;
}

std::string_view Lowered(std::string_view s, std::string* buf) {
  *buf = internal::AsciiLower(s);
  return *buf;
}

// ---------------------------------------------------------------------------------------------
// Step type

std::optional<StepType> FromLangfuseType(std::string_view v) {
  std::string b;
  auto t = Lowered(v, &b);
  if (t == "generation") return StepType::kLlm;
  if (t == "embedding") return StepType::kEmbedding;
  if (t == "agent") return StepType::kAgent;
  if (t == "tool") return StepType::kTool;
  if (t == "chain") return StepType::kChain;
  if (t == "retriever") return StepType::kRetrieval;
  if (t == "guardrail") return StepType::kGuardrail;
  if (t == "evaluator" || t == "event") return StepType::kOther;
  return std::nullopt;  // "span" and unknown values fall through to lower-precedence sources
}

std::optional<StepType> FromOpenInferenceKind(std::string_view v) {
  std::string b;
  auto t = Lowered(v, &b);
  if (t == "llm") return StepType::kLlm;
  if (t == "chain") return StepType::kChain;
  if (t == "tool") return StepType::kTool;
  if (t == "agent") return StepType::kAgent;
  if (t == "retriever") return StepType::kRetrieval;
  if (t == "reranker") return StepType::kRerank;
  if (t == "embedding") return StepType::kEmbedding;
  if (t == "guardrail") return StepType::kGuardrail;
  if (t == "evaluator" || t == "prompt") return StepType::kOther;
  return std::nullopt;
}

std::optional<StepType> FromGenAiOperation(std::string_view v) {
  std::string b;
  auto t = Lowered(v, &b);
  if (t == "chat" || t == "text_completion" || t == "generate_content" || t == "completion" ||
      t == "generate" || t == "llm_request") {
    return StepType::kLlm;
  }
  if (t == "embeddings" || t == "embedding") return StepType::kEmbedding;
  if (t == "retrieval" || t == "vector_db_retrieve") return StepType::kRetrieval;
  if (t == "execute_tool") return StepType::kTool;
  if (t == "invoke_agent" || t == "create_agent") return StepType::kAgent;
  if (t == "invoke_workflow" || t == "execute_task" || t == "chain" || t == "agent_step") return StepType::kChain;
  if (t == "rerank") return StepType::kRerank;
  return std::nullopt;
}

std::optional<StepType> FromTraceloopKind(std::string_view v) {
  std::string b;
  auto t = Lowered(v, &b);
  if (t == "workflow" || t == "task") return StepType::kChain;
  if (t == "agent") return StepType::kAgent;
  if (t == "tool") return StepType::kTool;
  return std::nullopt;
}

std::optional<StepType> FromLangsmithKind(std::string_view v) {
  std::string b;
  auto t = Lowered(v, &b);
  if (t == "llm") return StepType::kLlm;
  if (t == "chain") return StepType::kChain;
  if (t == "tool") return StepType::kTool;
  if (t == "retriever") return StepType::kRetrieval;
  if (t == "embedding") return StepType::kEmbedding;
  if (t == "prompt" || t == "parser") return StepType::kOther;
  return std::nullopt;
}

// Vercel AI SDK (<= v6) ai.operationId. The outer generateText/streamText/... spans run the
// multi-step tool loop and carry aggregate usage, so they are agents; the inner doGenerate /
// doStream spans are the provider calls.
std::optional<StepType> FromAiSdkOperation(std::string_view op) {
  if (op.empty()) return std::nullopt;
  if (op.ends_with(".doGenerate") || op.ends_with(".doStream")) return StepType::kLlm;
  if (op.ends_with(".doEmbed") || op == "ai.embed" || op == "ai.embedMany") return StepType::kEmbedding;
  if (op == "ai.toolCall") return StepType::kTool;
  if (op == "ai.generateText" || op == "ai.streamText" || op == "ai.generateObject" || op == "ai.streamObject") {
    return StepType::kAgent;
  }
  if (op == "ai.rerank") return StepType::kRerank;
  return StepType::kOther;
}

StepType DetermineType(const AttrIndex& a) {
  if (auto t = model::ParseStepType(a.Str("tracery.step.type"))) return *t;
  auto lf = a.Str("langfuse.observation.type");
  if (auto t = FromLangfuseType(lf)) return *t;
  if (auto t = FromOpenInferenceKind(a.Str("openinference.span.kind"))) return *t;
  if (auto t = FromGenAiOperation(a.Str("gen_ai.operation.name"))) return *t;
  if (auto t = FromTraceloopKind(a.Str("traceloop.span.kind"))) return *t;
  if (auto t = FromLangsmithKind(a.Str("langsmith.span.kind"))) return *t;
  if (auto t = FromAiSdkOperation(a.Str("ai.operationId"))) return *t;
  // Heuristics.
  if (a.Has("gen_ai.tool.name") || a.Has("gen_ai.tool.call.id") || a.Has("ai.toolCall.name")) {
    return StepType::kTool;
  }
  std::string b;
  auto req = Lowered(a.Str("llm.request.type"), &b);
  if (req == "chat" || req == "completion") return StepType::kLlm;
  if (req == "embedding") return StepType::kEmbedding;
  if (req == "rerank") return StepType::kRerank;
  if (a.Has("gen_ai.request.model") || a.Has("llm.model_name") || a.Has("gen_ai.response.model")) {
    return StepType::kLlm;
  }
  // A Langfuse "span" observation with nothing more specific is a grouping wrapper.
  if (internal::EqualsIgnoreCase(lf, "span")) return StepType::kChain;
  return StepType::kOther;
}

// ---------------------------------------------------------------------------------------------
// Identity, model, tool

std::string AgentIdentity(const AttrIndex& a, StepType type, std::string_view span_name) {
  if (type == StepType::kAgent) {
    auto s = a.FirstStr({"gen_ai.agent.name", "agent.name", "gen_ai.agent.id", "graph.node.id", "agent_name"});
    if (!s.empty()) return Clean(s);
    if (a.Has("ai.operationId")) {
      s = a.FirstStr({"ai.telemetry.functionId", "resource.name"});
      if (!s.empty()) return Clean(s);
    }
    if (internal::EqualsIgnoreCase(a.Str("traceloop.span.kind"), "agent")) {
      s = a.Str("traceloop.entity.name");
      if (!s.empty()) return Clean(s);
    }
    return Clean(span_name);
  }
  return Clean(a.FirstStr({"gen_ai.agent.name", "agent.name"}));
}

// LangGraph through the OpenInference LangChain instrumentation (docs/conventions.md, "LangGraph"):
// every run is a CHAIN/LLM/TOOL span and LangGraph's own markers are inside the `metadata` JSON.
// A graph invocation becomes the agent named after the graph; spans inside a sub-graph belong to
// the agent named after the node that runs the sub-graph. An explicit identity (agent.name,
// gen_ai.agent.name, tracery.step.type...) wins. Only spans whose metadata mentions "langgraph"
// are parsed.
void ApplyLangGraph(const AttrIndex& a, std::string_view span_name, model::Step* step) {
  auto metadata = a.Str("metadata");
  if (!internal::MaybeLangGraphMetadata(metadata)) return;
  auto kind = a.Str("openinference.span.kind");
  if (kind.empty()) return;
  auto lg = internal::ParseLangGraphMetadata(metadata);
  if (!lg) return;
  if (step->type == StepType::kChain && internal::EqualsIgnoreCase(kind, "CHAIN") &&
      !a.Has("tracery.step.type") && !a.Has("langfuse.observation.type")) {
    if (lg->is_graph) {  // the root graph: its span is named after the graph
      step->type = StepType::kAgent;
      step->agent = AgentIdentity(a, StepType::kAgent, span_name);  // explicit names first
      return;
    }
    // A sub-graph without a name of its own (LangGraph's default run name) inside node X: the
    // agent is X, the name its inner spans get below. A named sub-graph's span carries exactly
    // the metadata of the node span around it, so span by span it cannot be told from the
    // node's other runs; its inner spans still get the node's name.
    if (span_name == "LangGraph" && !lg->node.empty()) {
      step->type = StepType::kAgent;
      step->agent = AgentIdentity(a, StepType::kAgent, lg->node);
      return;
    }
  }
  if (step->agent.empty() && !lg->subgraph_host.empty()) step->agent = Clean(lg->subgraph_host);
}

std::string ToolName(const AttrIndex& a, StepType type, std::string_view span_name) {
  auto s = a.FirstStr({"gen_ai.tool.name", "tool.name", "ai.toolCall.name"});
  if (!s.empty()) return Clean(s);
  // Traceloop tool spans are named "<entity>.tool"; the entity name is the tool's own name.
  if (internal::EqualsIgnoreCase(a.Str("traceloop.span.kind"), "tool")) {
    s = a.Str("traceloop.entity.name");
    if (!s.empty()) return Clean(s);
  }
  if (type == StepType::kTool) {
    if (internal::StartsWith(span_name, "execute_tool ")) span_name.remove_prefix(13);
    if (internal::StartsWith(span_name, "running tool: ")) span_name.remove_prefix(14);
    return Clean(span_name);
  }
  return {};
}

std::string NormalizedToolName(std::string_view name) {
  std::string out = internal::AsciiLower(name);
  std::replace(out.begin(), out.end(), '_', ' ');
  return out;
}

bool IsDelegationTool(std::string_view name) {
  std::string n = NormalizedToolName(name);
  return n.find("delegate work to coworker") != std::string::npos ||
         n.find("ask question to coworker") != std::string::npos;
}

// ---------------------------------------------------------------------------------------------
// Tokens and cost

std::optional<int64_t> FirstInt(const AttrIndex& a, std::initializer_list<std::string_view> keys) {
  for (auto k : keys) {
    if (auto v = a.Int(k); v && *v >= 0) return v;
  }
  return std::nullopt;
}

std::optional<int64_t> JsonInt(const Json& obj, std::initializer_list<const char*> keys) {
  for (const char* k : keys) {
    auto it = obj.find(k);
    if (it != obj.end() && it->is_number() && it->get<double>() >= 0) return static_cast<int64_t>(it->get<double>());
  }
  return std::nullopt;
}

model::TokenUsage ExtractTokens(const AttrIndex& a) {
  model::TokenUsage u;
  auto input = FirstInt(a, {"gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens", "llm.token_count.prompt",
                            "ai.usage.inputTokens", "ai.usage.promptTokens"});
  auto output = FirstInt(a, {"gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens",
                             "llm.token_count.completion", "ai.usage.outputTokens", "ai.usage.completionTokens"});
  auto total = FirstInt(a, {"gen_ai.usage.total_tokens", "llm.usage.total_tokens", "llm.token_count.total",
                            "ai.usage.totalTokens", "ai.usage.tokens"});
  auto cache_read = FirstInt(a, {"gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_read_input_tokens",
                                 "llm.token_count.prompt_details.cache_read", "ai.usage.cachedInputTokens"});
  auto cache_write = FirstInt(a, {"gen_ai.usage.cache_creation.input_tokens",
                                  "gen_ai.usage.cache_creation_input_tokens",
                                  "llm.token_count.prompt_details.cache_write"});
  auto reasoning = FirstInt(a, {"gen_ai.usage.reasoning.output_tokens", "gen_ai.usage.reasoning_tokens",
                                "llm.token_count.completion_details.reasoning", "ai.usage.reasoningTokens"});
  bool net_input = false;
  // Langfuse usage_details: its own convention stores input net of cache reads.
  if (!input && !output) {
    if (auto j = internal::ParseJson(a.Str("langfuse.observation.usage_details")); j && j->is_object()) {
      input = JsonInt(*j, {"input", "prompt_tokens", "input_tokens", "prompt"});
      output = JsonInt(*j, {"output", "completion_tokens", "output_tokens", "completion"});
      if (!total) total = JsonInt(*j, {"total", "total_tokens"});
      if (!cache_read) cache_read = JsonInt(*j, {"input_cached_tokens", "cache_read_input_tokens", "input_cache_read"});
      if (!cache_write) cache_write = JsonInt(*j, {"cache_creation_input_tokens", "input_cache_creation"});
      if (!reasoning) reasoning = JsonInt(*j, {"output_reasoning_tokens", "reasoning_tokens", "output_reasoning"});
      net_input = JsonInt(*j, {"input"}).has_value();
    }
  }
  u.present = input || output || total || cache_read || cache_write || reasoning;
  if (!u.present) return u;
  u.input = input.value_or(0);
  u.output = output.value_or(0);
  u.cache_read = cache_read.value_or(0);
  u.cache_write = cache_write.value_or(0);
  u.reasoning = reasoning.value_or(0);
  // Gross counts: an input smaller than its own cache subsets was reported net (Anthropic's raw
  // input_tokens, Langfuse usage_details), so add the cache back.
  if (net_input || u.cache_read + u.cache_write > u.input) u.input += u.cache_read + u.cache_write;
  if (u.reasoning > u.output && !output) u.output = u.reasoning;
  u.total = total ? *total : u.input + u.output;
  if (net_input && total && *total < u.input + u.output) u.total = u.input + u.output;
  return u;
}

std::optional<double> ExplicitCost(const AttrIndex& a) {
  for (auto k : {"tracery.cost.usd", "llm.cost.total", "gen_ai.usage.cost"}) {
    if (auto v = a.Num(k); v && *v >= 0) return v;
  }
  if (auto j = internal::ParseJson(a.Str("langfuse.observation.cost_details")); j && j->is_object()) {
    auto it = j->find("total");
    if (it != j->end() && it->is_number()) return it->get<double>();
    double sum = 0;
    bool any = false;
    for (auto& [k, v] : j->items()) {
      if (v.is_number()) {
        sum += v.get<double>();
        any = true;
      }
    }
    if (any) return sum;
  }
  if (auto v = a.Num("operation.cost"); v && *v >= 0) return v;
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Privacy helpers

using internal::IsSecretKey;

// Redacts every string value inside `j`; values under secret-looking keys are masked whole.
// Returns the number of replacements. internal::CheckJson mirrors this; keep the two in sync.
int RedactJson(PrivacyMode mode, Json* j) {
  int n = 0;
  if (j->is_string()) {
    std::string& s = j->get_ref<std::string&>();
    n += Redact(mode, &s);
  } else if (j->is_array()) {
    for (auto& e : *j) n += RedactJson(mode, &e);
  } else if (j->is_object()) {
    for (auto& [k, v] : j->items()) {
      std::string_view kind;
      if (v.is_string() && IsSecretKey(k, &kind)) {
        v = "[REDACTED:" + std::string(kind) + "]";
        ++n;
      } else {
        n += RedactJson(mode, &v);
      }
    }
  }
  return n;
}

std::string RedactedText(PrivacyMode mode, std::string_view raw, size_t max) {
  std::string s = internal::SanitizeUtf8(raw);
  Redact(mode, &s);
  internal::TruncateUtf8(&s, max);
  return s;
}

// A JSON value for attributes_json: primitives, arrays of primitives; anything structured is kept
// as its JSON text. Strings are redacted and capped at 4 KiB.
Json SafeAttributeValue(PrivacyMode mode, std::string_view key, const AnyValueView& v, int depth = 0) {
  switch (v.type) {
    case ValueType::kString: {
      std::string_view kind;
      if (IsSecretKey(key, &kind) && !v.str.empty()) return "[REDACTED:" + std::string(kind) + "]";
      return RedactedText(mode, v.str, kMaxAttributeValue);
    }
    case ValueType::kArray:
      if (depth == 0) {
        Json arr = Json::array();
        for (const auto& e : v.array) arr.push_back(SafeAttributeValue(mode, key, e, 1));
        return arr;
      }
      [[fallthrough]];
    case ValueType::kKvList:
    case ValueType::kBytes: {
      Json j = internal::AnyValueToJson(v);
      RedactJson(mode, &j);
      std::string text = internal::DumpJson(j);
      internal::TruncateUtf8(&text, kMaxAttributeValue);
      return text;
    }
    default:
      return internal::AnyValueToJson(v);
  }
}

// Step::attributes_json: every non-content attribute through SafeAttributeValue, as a sorted-key
// object (first of duplicate keys wins). Written directly, byte-identical to building an
// nlohmann object and dumping it; keys that need UTF-8 repair (which could reorder or merge
// them) take that generic path.
std::string AttributesJsonGeneric(const AttrIndex& a, PrivacyMode mode) {
  Json attrs = Json::object();
  for (const KeyValueView* kv : a.sorted()) {
    if (internal::IsContentKey(kv->key)) continue;
    std::string key = internal::SanitizeUtf8(kv->key);
    if (attrs.contains(key)) continue;
    attrs[std::move(key)] = SafeAttributeValue(mode, kv->key, kv->value);
  }
  return internal::DumpJson(attrs);
}

std::string AttributesJson(const AttrIndex& a, PrivacyMode mode) {
  std::string out = "{";
  std::optional<std::string_view> prev;
  for (const KeyValueView* kv : a.sorted()) {
    if (internal::IsContentKey(kv->key)) continue;
    if (!internal::IsValidUtf8(kv->key)) return AttributesJsonGeneric(a, mode);
    if (prev && *prev == kv->key) continue;  // sorted() is stable: the first occurrence came first
    if (prev) out += ',';
    prev = kv->key;
    internal::AppendJsonString(kv->key, &out);
    out += ':';
    const AnyValueView& v = kv->value;
    std::string_view kind;
    switch (v.type) {
      case ValueType::kString:
        if (IsSecretKey(kv->key, &kind) && !v.str.empty()) {
          internal::AppendJsonString("[REDACTED:" + std::string(kind) + "]", &out);
        } else if (v.str.size() <= kMaxAttributeValue && internal::IsValidUtf8(v.str) &&
                   !NeedsRedaction(mode, v.str)) {
          internal::AppendJsonString(v.str, &out);  // common case: nothing to change, no copy
        } else {
          internal::AppendJsonString(RedactedText(mode, v.str, kMaxAttributeValue), &out);
        }
        break;
      case ValueType::kInt:
        out += std::to_string(v.int_value);
        break;
      case ValueType::kBool:
        out += v.bool_value ? "true" : "false";
        break;
      default:
        out += internal::DumpJson(SafeAttributeValue(mode, kv->key, v));
    }
  }
  out += '}';
  return out;
}

// ---------------------------------------------------------------------------------------------
// Content

class ContentBuilder {
 public:
  ContentBuilder(PrivacyMode mode, size_t max_part, std::vector<ContentField>* out)
      : mode_(mode), max_part_(max_part), out_(out) {}

  bool Has(std::string_view name) const {
    return std::any_of(out_->begin(), out_->end(), [&](const ContentField& f) { return f.name == name; });
  }

  void AddList(std::string_view name, std::vector<Json> items) {
    if (items.empty() || Has(name)) return;
    ContentField f;
    f.name = std::string(name);
    f.is_list = true;
    f.mime = "application/json";
    for (auto& item : items) f.parts.push_back(Part(&item));
    out_->push_back(std::move(f));
  }

  void AddJson(std::string_view name, Json value) {
    if (Has(name)) return;
    ContentField f;
    f.name = std::string(name);
    f.mime = "application/json";
    f.parts.push_back(Part(&value));
    out_->push_back(std::move(f));
  }

  void AddText(std::string_view name, std::string_view text) {
    if (text.empty() || Has(name)) return;
    ContentField f;
    f.name = std::string(name);
    f.parts.push_back(RedactedText(mode_, text, max_part_));
    out_->push_back(std::move(f));
  }

  // A single value that may be JSON text (try_json) or plain text.
  void AddValue(std::string_view name, const AnyValueView* v, bool try_json) {
    if (v == nullptr || Has(name)) return;
    if (v->type == ValueType::kString) {
      if (v->str.empty()) return;
      if (try_json) {
        std::string_view t = internal::TrimJsonSpace(v->str);
        std::string part;
        if (!t.empty() && (t.front() == '{' || t.front() == '[') && RawPart(t, &part)) {
          ContentField f;
          f.name = std::string(name);
          f.mime = "application/json";
          f.parts.push_back(std::move(part));
          out_->push_back(std::move(f));
          return;
        }
        if (auto j = internal::ParseJson(v->str)) return AddJson(name, std::move(*j));
      }
      return AddText(name, v->str);
    }
    if (v->type == ValueType::kEmpty) return;
    AddJson(name, internal::AnyValueToJson(*v));
  }

  // A value that should be a JSON array of messages/documents: each element becomes one part.
  // Returns false when the value is absent; non-array values are kept as a single part.
  bool AddListValue(std::string_view name, const AnyValueView* v) {
    if (v == nullptr || Has(name)) return false;
    std::optional<Json> j;
    if (v->type == ValueType::kString) {
      if (v->str.empty()) return false;
      if (auto added = AddRawList(name, v->str)) return *added;
      j = internal::ParseJson(v->str);
      if (!j) {
        AddText(name, v->str);
        return true;
      }
    } else if (v->type != ValueType::kEmpty) {
      j = internal::AnyValueToJson(*v);
    } else {
      return false;
    }
    if (j->is_array()) {
      std::vector<Json> items;
      for (auto& e : *j) items.push_back(std::move(e));
      if (items.empty()) return false;
      AddList(name, std::move(items));
    } else {
      AddJson(name, std::move(*j));
    }
    return true;
  }

 private:
  // Fast path for a JSON array sent as text: split without a DOM, one raw part per element.
  // nullopt when it does not apply (not an array, or some element is not valid JSON / too
  // big): the caller then takes the exact path for the whole value.
  std::optional<bool> AddRawList(std::string_view name, std::string_view text) {
    std::vector<std::string_view> elems;
    if (!internal::SplitJsonArray(text, &elems)) return std::nullopt;
    if (elems.empty()) return false;
    ContentField f;
    f.name = std::string(name);
    f.is_list = true;
    f.mime = "application/json";
    f.parts.resize(elems.size());
    for (size_t i = 0; i < elems.size(); ++i) {
      if (!RawPart(elems[i], &f.parts[i])) return std::nullopt;
    }
    out_->push_back(std::move(f));
    return true;
  }

  // One JSON value (whitespace-trimmed) as a part. The bytes the SDK sent are kept as they are
  // when they are valid JSON that redaction would not change: known from the process-wide
  // clean-content cache (so a conversation's earlier messages, re-sent on every call, cost a
  // hash), else checked once with simdjson and remembered. Raw bytes rather than a canonical
  // dump: an SDK serializes the same message identically on every call, which is what part
  // dedup needs (docs/conventions.md). A value that needs masking is parsed and re-serialized
  // (never cached). False when `raw` is not valid JSON to simdjson or over max_part.
  bool RawPart(std::string_view raw, std::string* out) {
    if (raw.empty() || raw.size() > max_part_) return false;
    auto& cache = internal::CleanContentCache::Global();
    if (cache.Contains(raw, mode_, internal::CleanKind::kJsonPart)) {
      out->assign(raw);
      return true;
    }
    switch (internal::CheckJson(raw, mode_)) {
      case internal::JsonCheck::kClean:
        cache.Insert(raw, mode_, internal::CleanKind::kJsonPart);
        out->assign(raw);
        return true;
      case internal::JsonCheck::kNeedsRedaction: {
        Json j = Json::parse(raw, nullptr, /*allow_exceptions=*/false);
        if (j.is_discarded()) return false;
        *out = Part(&j);
        return true;
      }
      case internal::JsonCheck::kUnknown:
        return false;
    }
    return false;
  }

  // Canonical (sorted keys, compact) JSON text, so the same message always yields the same bytes.
  std::string Part(Json* j) {
    RedactJson(mode_, j);
    std::string text = internal::DumpJson(*j);
    if (text.size() > max_part_) {
      // Keep the part valid JSON: an oversized value becomes a truncated JSON string.
      internal::TruncateUtf8(&text, max_part_);
      text = internal::DumpJson(Json(text));
    }
    return text;
  }

  PrivacyMode mode_;
  size_t max_part_;
  std::vector<ContentField>* out_;
};

// OI/Traceloop flattened messages: each list element is reconstructed; OI wraps the message in a
// "message" object, which is unwrapped so both conventions yield {role, content, ...}.
std::vector<Json> FlattenedMessages(const AttrIndex& a, std::string_view prefix, const char* wrapper) {
  auto items = internal::UnflattenList(a, prefix);
  if (wrapper != nullptr) {
    for (auto& item : items) {
      if (item.is_object() && item.contains(wrapper) && item.size() == 1) item = std::move(item[wrapper]);
    }
  }
  return items;
}

// Same answer as ParseJson(text) being a non-empty array, without building a DOM when the
// text is valid as sent.
bool NonEmptyJsonArray(std::string_view text) {
  std::vector<std::string_view> elems;
  if (!internal::SplitJsonArray(text, &elems) || elems.empty()) return false;
  if (internal::IsValidJson(text)) return true;
  auto j = internal::ParseJson(text);  // e.g. invalid UTF-8, which ParseJson repairs first
  return j && j->is_array() && !j->empty();
}

bool IsJsonMime(std::string_view mime) {
  std::string b;
  return Lowered(mime, &b).find("json") != std::string_view::npos;
}

void BuildContent(const AttrIndex& a, StepType type, ContentBuilder* cb) {
  using namespace model::content_name;
  // Input: structured message lists first, then single values.
  if (!cb->AddListValue(kInput, a.Get("gen_ai.input.messages"))) {
    cb->AddList(kInput, FlattenedMessages(a, "llm.input_messages.", "message"));
    cb->AddList(kInput, internal::UnflattenList(a, "gen_ai.prompt."));
    if (!cb->Has(kInput)) cb->AddListValue(kInput, a.Get("ai.prompt.messages"));
    if (!cb->Has(kInput)) cb->AddListValue(kInput, a.Get("pydantic_ai.all_messages"));
    cb->AddValue(kInput, a.Get("langfuse.observation.input"), true);
    cb->AddValue(kInput, a.Get("traceloop.entity.input"), true);
    cb->AddValue(kInput, a.Get("input.value"), IsJsonMime(a.Str("input.mime_type")));
    cb->AddValue(kInput, a.Get("gen_ai.prompt"), true);
    cb->AddValue(kInput, a.Get("ai.prompt"), true);
    cb->AddList(kInput, FlattenedMessages(a, "llm.prompts.", "prompt"));
  }
  if (!cb->AddListValue(kOutput, a.Get("gen_ai.output.messages"))) {
    cb->AddList(kOutput, FlattenedMessages(a, "llm.output_messages.", "message"));
    cb->AddList(kOutput, internal::UnflattenList(a, "gen_ai.completion."));
    cb->AddValue(kOutput, a.Get("ai.response.text"), false);
    cb->AddValue(kOutput, a.Get("ai.response.object"), true);
    cb->AddValue(kOutput, a.Get("langfuse.observation.output"), true);
    cb->AddValue(kOutput, a.Get("traceloop.entity.output"), true);
    cb->AddValue(kOutput, a.Get("output.value"), IsJsonMime(a.Str("output.mime_type")));
    cb->AddValue(kOutput, a.Get("gen_ai.completion"), true);
    cb->AddValue(kOutput, a.Get("final_result"), true);
    cb->AddList(kOutput, FlattenedMessages(a, "llm.choices.", "completion"));
  }
  cb->AddListValue(kSystem, a.Get("gen_ai.system_instructions"));
  for (auto k : {"gen_ai.tool.call.arguments", "ai.toolCall.args", "ai.toolCall.input", "tool_arguments"}) {
    cb->AddValue(kToolArguments, a.Get(k), true);
  }
  if (type == StepType::kTool || type == StepType::kHandoff) {
    cb->AddValue(kToolArguments, a.Get("tool.parameters"), true);
  }
  for (auto k : {"gen_ai.tool.call.result", "ai.toolCall.result", "ai.toolCall.output", "tool_response"}) {
    cb->AddValue(kToolResult, a.Get(k), true);
  }
  cb->AddListValue(kDocuments, a.Get("gen_ai.retrieval.documents"));
  cb->AddList(kDocuments, FlattenedMessages(a, "retrieval.documents.", "document"));
  cb->AddList(kDocuments, FlattenedMessages(a, "reranker.output_documents.", "document"));
  cb->AddValue(kQuery, a.Get("gen_ai.retrieval.query.text"), false);
  cb->AddValue(kQuery, a.Get("reranker.query"), false);
  cb->AddListValue(kToolDefinitions, a.Get("gen_ai.tool.definitions"));
  cb->AddList(kToolDefinitions, FlattenedMessages(a, "llm.tools.", "tool"));
}

// Deprecated GenAI message events (gen_ai.{system,user,assistant,tool}.message, gen_ai.choice,
// gen_ai.content.prompt/completion) become content when the span had none of its own.
bool IsMessageEvent(std::string_view name, bool* output, std::string_view* role) {
  *output = false;
  if (name == "gen_ai.system.message") *role = "system";
  else if (name == "gen_ai.user.message") *role = "user";
  else if (name == "gen_ai.assistant.message") *role = "assistant";
  else if (name == "gen_ai.tool.message") *role = "tool";
  else if (name == "gen_ai.choice") *output = true;
  else if (name == "gen_ai.content.prompt") *role = "";
  else if (name == "gen_ai.content.completion") *output = true;
  else return false;
  return true;
}

bool IsEventContentKey(std::string_view key) {
  return internal::IsContentKey(key) || key == "content" || key == "message" || key == "tool_calls" ||
         key == "body" || key == "gen_ai.event.content";
}

// ---------------------------------------------------------------------------------------------
// Failures

struct ExceptionInfo {
  std::string type;
  std::string message;
  int64_t time_ns = 0;
};

FailureType FailureTypeFor(StepType t) {
  switch (t) {
    case StepType::kLlm:
      return FailureType::kModel;
    case StepType::kTool:
      return FailureType::kTool;
    case StepType::kRetrieval:
    case StepType::kRerank:
    case StepType::kEmbedding:
      return FailureType::kRetrieval;
    case StepType::kGuardrail:
      return FailureType::kGuardrail;
    case StepType::kAgent:
    case StepType::kChain:
    case StepType::kHandoff:
    case StepType::kPlan:
      return FailureType::kOrchestration;
    default:
      return FailureType::kUnknown;
  }
}

std::vector<std::string> FinishReasons(const AttrIndex& a) {
  std::vector<std::string> out;
  if (const auto* v = a.Get("gen_ai.response.finish_reasons")) {
    if (v->type == ValueType::kArray) {
      for (const auto& e : v->array) {
        if (e.type == ValueType::kString && !e.str.empty()) out.push_back(Clean(e.str, 64));
      }
    } else if (v->type == ValueType::kString && !v->str.empty()) {
      if (auto j = internal::ParseJson(v->str); j && j->is_array()) {
        for (auto& e : *j) {
          if (e.is_string()) out.push_back(Clean(e.get<std::string>(), 64));
        }
      } else {
        out.push_back(Clean(v->str, 64));
      }
    }
  }
  for (auto k : {"llm.finish_reason", "ai.response.finishReason", "gen_ai.completion.0.finish_reason",
                 "llm.output_messages.0.message.finish_reason"}) {
    auto s = a.Str(k);
    if (!s.empty()) out.push_back(Clean(s, 64));
  }
  return out;
}

std::string FinishReasonCode(std::string_view reason) {
  std::string b;
  auto r = Lowered(reason, &b);
  if (r == "content_filter" || r == "content_filtered" || r == "safety") return "content_filtered";
  if (r == "length" || r == "max_tokens") return "output_truncated";
  if (r == "error") return "error";
  return {};
}

struct FailureInputs {
  StepType type;
  int32_t status_code;
  std::string status_message;  // already redacted
  std::optional<ExceptionInfo> exception;
  std::vector<std::string> finish_reasons;
  int64_t end_ns;
  bool no_results_flag;
  bool empty_documents;
};

std::optional<model::Failure> DetectFailure(const AttrIndex& a, const FailureInputs& in, PrivacyMode mode) {
  model::Failure f;
  f.type = FailureTypeFor(in.type);
  f.time_ns = in.end_ns;
  const PrivacyMode msg_mode = mode == PrivacyMode::kFull ? PrivacyMode::kFull : PrivacyMode::kMask;
  auto explicit_type = a.Str("tracery.failure.type");
  auto explicit_code = a.Str("tracery.failure.code");
  auto explicit_msg = a.Str("tracery.failure.message");
  auto error_type = a.Str("error.type");
  bool langfuse_error = internal::EqualsIgnoreCase(a.Str("langfuse.observation.level"), "ERROR");
  auto http = a.Int("http.response.status_code");
  if (!http) http = a.Int("http.status_code");
  std::string finish_code;
  for (const auto& r : in.finish_reasons) {
    finish_code = FinishReasonCode(r);
    if (!finish_code.empty()) break;
  }
  const bool status_error = in.status_code == 2;
  const bool status_ok = in.status_code == 1;
  const bool retrieval_like = in.type == StepType::kRetrieval || in.type == StepType::kRerank;

  if (!explicit_type.empty() || !explicit_code.empty() || !explicit_msg.empty()) {
    f.source = FailureSource::kSdk;
    if (auto t = model::ParseFailureType(explicit_type)) f.type = *t;
  } else if (in.exception && !status_ok) {
    f.source = FailureSource::kException;
    f.time_ns = in.exception->time_ns != 0 ? in.exception->time_ns : in.end_ns;
  } else if (status_error || !error_type.empty() || langfuse_error) {
    f.source = FailureSource::kSpanStatus;
  } else if (http && *http >= 400) {
    f.source = FailureSource::kHttpStatus;
  } else if (!finish_code.empty()) {
    f.source = FailureSource::kFinishReason;
    if (in.type != StepType::kGuardrail) f.type = FailureType::kModel;
  } else if (in.no_results_flag && retrieval_like) {
    f.source = FailureSource::kSdk;
    f.type = FailureType::kRetrieval;
    f.code = std::string(model::failure_code::kNoResults);
  } else {
    return std::nullopt;
  }

  f.error_type = Clean(!error_type.empty() ? error_type : (in.exception ? std::string_view(in.exception->type) : ""), 256);
  // Message: explicit > exception > status message.
  if (!explicit_msg.empty()) {
    f.message = RedactedText(msg_mode, explicit_msg, kMaxAttributeValue);
  } else if (in.exception && !in.exception->message.empty()) {
    f.message = in.exception->message;
  } else {
    f.message = in.status_message;
  }
  if (f.code.empty() && !explicit_code.empty()) f.code = Clean(explicit_code, 128);
  if (f.code.empty()) {
    std::string text(error_type);
    if (in.exception) text += " " + in.exception->type + " " + in.exception->message;
    text += " ";
    text += in.status_message;
    text += " ";
    text += explicit_msg;
    f.code = std::string(internal::ClassifyErrorText(text));
  }
  if (f.code.empty() && http) f.code = std::string(internal::HttpStatusCode(*http));
  if (f.code.empty() && !finish_code.empty()) f.code = finish_code;
  if (f.code.empty() && retrieval_like && (in.no_results_flag || in.empty_documents)) {
    f.code = std::string(model::failure_code::kNoResults);
  }
  if (f.code.empty() && in.type == StepType::kGuardrail) f.code = std::string(model::failure_code::kGuardrailTriggered);
  if (f.code.empty()) f.code = std::string(model::failure_code::kError);
  if (f.code == "content_filtered" && in.type != StepType::kGuardrail && f.source == FailureSource::kFinishReason) {
    f.type = FailureType::kModel;
  }
  return f;
}

// ---------------------------------------------------------------------------------------------
// Run hints

void AddTags(const AnyValueView* v, std::vector<std::string>* tags) {
  if (v == nullptr) return;
  auto add = [tags](std::string_view t) {
    std::string s = Clean(t, 256);
    if (!s.empty() && std::find(tags->begin(), tags->end(), s) == tags->end()) tags->push_back(std::move(s));
  };
  if (v->type == ValueType::kArray) {
    for (const auto& e : v->array) {
      if (e.type == ValueType::kString) add(e.str);
    }
  } else if (v->type == ValueType::kString) {
    if (auto j = internal::ParseJson(v->str); j && j->is_array()) {
      for (auto& e : *j) {
        if (e.is_string()) add(e.get<std::string>());
      }
    } else {
      // LangSmith joins tags with commas.
      std::string_view s = v->str;
      while (!s.empty()) {
        size_t comma = s.find(',');
        std::string_view part = s.substr(0, comma);
        while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
        while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
        if (!part.empty()) add(part);
        if (comma == std::string_view::npos) break;
        s.remove_prefix(comma + 1);
      }
    }
  }
}

std::string JsonStr(const Json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end()) return {};
  if (it->is_string()) return Clean(it->get<std::string>());
  if (it->is_number_integer()) return std::to_string(it->get<int64_t>());
  return {};
}

model::RunHints BuildHints(const AttrIndex& a, const AttrIndex& res, const model::Step& step, PrivacyMode mode) {
  model::RunHints h;
  h.name = Clean(a.FirstStr({"gen_ai.workflow.name", "langfuse.trace.name", "traceloop.workflow.name",
                             "langsmith.trace.name"}));
  h.service_name = Clean(res.Str("service.name"));
  auto explicit_agent = a.Str("tracery.agent.id");
  if (!explicit_agent.empty()) {
    h.agent_id = Clean(explicit_agent);
  } else if (step.type == StepType::kAgent && !step.agent.empty()) {
    h.agent_id = step.agent;
  }
  // No service.name fallback here: it would win over the first agent step in the summarizer,
  // which falls back to service_name itself when the run has no agent at all.
  h.agent_version = Clean(a.FirstStr({"tracery.agent.version", "gen_ai.agent.version", "langfuse.release",
                                      "langfuse.version"}));
  if (h.agent_version.empty()) h.agent_version = Clean(res.FirstStr({"tracery.agent.version", "service.version"}));
  for (const AttrIndex* src : {&a, &res}) {
    if (!h.environment.empty()) break;
    h.environment = Clean(src->FirstStr({"tracery.environment", "langfuse.environment", "deployment.environment.name",
                                         "deployment.environment"}));
  }
  h.session_id = Clean(a.FirstStr({"gen_ai.conversation.id", "session.id", "langfuse.session.id",
                                   "traceloop.association.properties.session_id", "ai.telemetry.metadata.sessionId",
                                   "langfuse.observation.metadata.langfuse_session_id",
                                   "langfuse.trace.metadata.langfuse_session_id"}));
  h.user_id = Clean(a.FirstStr({"user.id", "langfuse.user.id", "traceloop.association.properties.user_id",
                                "ai.telemetry.metadata.userId", "enduser.id"}));
  for (auto k : {"tag.tags", "langfuse.trace.tags", "ai.telemetry.metadata.tags", "langfuse.tags",
                 "langsmith.span.tags"}) {
    AddTags(a.Get(k), &h.tags);
  }
  // Run metadata: OpenInference `metadata` JSON (LangGraph puts thread_id etc. there), Langfuse
  // trace metadata, AI SDK telemetry metadata, Traceloop association properties.
  Json meta = Json::object();
  if (auto j = internal::ParseJson(a.Str("metadata")); j && j->is_object()) meta = std::move(*j);
  if (h.session_id.empty() && meta.is_object()) {
    for (const char* k : {"session_id", "conversation_id", "thread_id"}) {
      h.session_id = JsonStr(meta, k);
      if (!h.session_id.empty()) break;
    }
  }
  if (h.session_id.empty()) h.session_id = Clean(a.FirstStr({"langsmith.metadata.session_id", "langsmith.metadata.thread_id"}));
  if (h.user_id.empty() && meta.is_object()) h.user_id = JsonStr(meta, "user_id");
  for (auto prefix : {"langfuse.trace.metadata.", "ai.telemetry.metadata.", "traceloop.association.properties."}) {
    Json extra = internal::UnflattenObject(a, prefix);
    for (auto& [k, v] : extra.items()) {
      if (k == "sessionId" || k == "userId" || k == "tags" || k == "session_id" || k == "user_id") continue;
      meta[k] = std::move(v);
    }
  }
  if (!meta.empty()) {
    RedactJson(mode == PrivacyMode::kFull ? PrivacyMode::kFull : PrivacyMode::kMask, &meta);
    h.metadata_json = internal::DumpJson(meta);
    internal::TruncateUtf8(&h.metadata_json, 64 << 10);
    if (h.metadata_json.size() > (64 << 10)) h.metadata_json.clear();  // truncation broke JSON
  }
  return h;
}

// ---------------------------------------------------------------------------------------------
// Handoffs

void DetectHandoff(const AttrIndex& a, std::string_view span_name, model::Step* step) {
  auto explicit_to = a.Str("tracery.handoff.to");
  if (!explicit_to.empty()) {
    step->handoff_to = Clean(explicit_to);
    step->handoff_from = Clean(a.Str("tracery.handoff.from"));
    if (step->handoff_from.empty()) step->handoff_from = step->agent;
    return;
  }
  // OpenAI Agents via OpenInference: TOOL span "handoff to <agent>", input.value = from agent,
  // output.value = to agent.
  if (step->type == StepType::kTool && internal::StartsWith(internal::AsciiLower(span_name), "handoff to ")) {
    step->type = StepType::kHandoff;
    auto to = a.Str("output.value");
    step->handoff_to = Clean(!to.empty() && to.size() < 256 ? to : span_name.substr(11));
    auto from = a.Str("input.value");
    step->handoff_from = Clean(!from.empty() && from.size() < 256 ? from : std::string_view(step->agent));
    return;
  }
  if (step->type != StepType::kTool) return;
  std::string_view tool = step->tool_name;
  if (internal::StartsWith(tool, "transfer_to_") && tool.size() > 12) {
    step->type = StepType::kHandoff;
    step->handoff_to = std::string(tool.substr(12));
    step->handoff_from = step->agent;
    return;
  }
  if (IsDelegationTool(tool) || IsDelegationTool(span_name)) {
    step->type = StepType::kHandoff;
    step->handoff_from = step->agent;
    for (auto k : {"gen_ai.tool.call.arguments", "tool.parameters", "input.value", "traceloop.entity.input",
                   "ai.toolCall.args", "tool_arguments"}) {
      auto j = internal::ParseJson(a.Str(k));
      if (!j || !j->is_object()) continue;
      // traceloop.entity.input wraps arguments in {"args": [...], "kwargs": {...}}.
      const Json* obj = &*j;
      if (obj->contains("kwargs") && (*obj)["kwargs"].is_object()) obj = &(*obj)["kwargs"];
      std::string to = JsonStr(*obj, "coworker");
      if (!to.empty()) {
        step->handoff_to = to;
        break;
      }
    }
  }
}

// AutoGen runtime messaging spans ("autogen send assistant.(default)-A"): the destination is
// `<AgentType>.(<key>)-A` for an agent, `-T` for a topic.
void DetectAutogenMessaging(const AttrIndex& a, model::Step* step) {
  auto op = a.Str("messaging.operation");
  auto dest = a.Str("messaging.destination");
  if (op.empty() || dest.empty() || !dest.ends_with(")-A")) return;
  size_t paren = dest.find(".(");
  if (paren == std::string_view::npos || paren == 0) return;
  std::string agent_type = Clean(dest.substr(0, paren));
  if (op == "send" || op == "publish" || op == "create") {
    if (step->type == StepType::kOther || step->type == StepType::kChain) {
      step->handoff_to = agent_type;
      step->handoff_from = step->agent;
    }
  } else if ((op == "process" || op == "receive") && step->agent.empty()) {
    step->agent = agent_type;
  }
}

// Span links that point into the span's own trace, as hex span ids (deduplicated, self-links
// dropped, capped so a hostile span cannot blow up the row). Links to other traces are ignored
// for now: a run is one trace.
void FillLinkedSteps(const SpanView& span, model::Step* step) {
  constexpr size_t kMaxLinks = 64;
  for (const SpanLinkView& link : span.links) {
    if (step->linked_steps.size() >= kMaxLinks) break;
    if (link.trace_id != span.trace_id || link.span_id.size() != 8) continue;
    std::string id = IdHex(link.span_id);
    if (id.empty() || id == step->step_id) continue;
    if (std::find(step->linked_steps.begin(), step->linked_steps.end(), id) != step->linked_steps.end()) continue;
    step->linked_steps.push_back(std::move(id));
  }
}

}  // namespace

Normalizer::Normalizer(NormalizeOptions options) : options_(std::move(options)) {}

void Normalizer::NormalizeTraces(const TraceBatch& batch, int64_t received_ns, NormalizedBatch* out) const {
  out->steps.reserve(out->steps.size() + batch.spans.size());
  for (const SpanView& span : batch.spans) {
    AttrIndex a(span.attributes);
    if (a.Str("logfire.span_type") == "pending_span") {
      ++out->dropped_pending;
      continue;
    }
    static const ResourceView kEmptyResource;
    AttrIndex res(span.resource != nullptr ? span.resource->attributes : kEmptyResource.attributes);

    model::Step step;
    step.run_id = IdHex(span.trace_id);
    step.step_id = IdHex(span.span_id);
    step.parent_id = IdHex(span.parent_span_id);
    step.name = Clean(span.name);
    step.start_ns = ToNs(span.start_time_unix_nano);
    step.end_ns = ToNs(span.end_time_unix_nano);
    step.received_ns = received_ns;
    if (span.scope != nullptr) step.scope_name = Clean(span.scope->name, 256);
    step.type = DetermineType(a);
    step.agent = AgentIdentity(a, step.type, span.name);
    ApplyLangGraph(a, span.name, &step);
    step.tool_name = ToolName(a, step.type, span.name);
    step.model = Clean(a.FirstStr({"gen_ai.response.model", "llm.response.model_name", "ai.response.model",
                                   "langfuse.observation.model.name", "llm.model_name", "gen_ai.request.model",
                                   "llm.request.model_name", "ai.model.id", "embedding.model_name",
                                   "reranker.model_name"}),
                       256);
    step.provider = Clean(a.FirstStr({"gen_ai.provider.name", "gen_ai.system", "llm.provider", "llm.system",
                                      "ai.model.provider"}),
                          256);
    DetectHandoff(a, span.name, &step);
    DetectAutogenMessaging(a, &step);
    if (!step.run_id.empty() && !span.links.empty()) FillLinkedSteps(span, &step);

    const PrivacyMode mode = options_.privacy.ModeFor(res.Str("service.name"), step.agent);
    const PrivacyMode msg_mode = mode == PrivacyMode::kFull ? PrivacyMode::kFull : PrivacyMode::kMask;

    // Status.
    if (span.status_code == 1) step.status = model::StepStatus::kOk;
    if (span.status_code == 2) step.status = model::StepStatus::kError;
    if (internal::EqualsIgnoreCase(a.Str("langfuse.observation.level"), "ERROR") &&
        step.status != model::StepStatus::kOk) {
      step.status = model::StepStatus::kError;
    }
    std::string_view status_msg = span.status_message;
    if (status_msg.empty()) status_msg = a.Str("langfuse.observation.status_message");
    step.status_message = RedactedText(msg_mode, status_msg, kMaxAttributeValue);

    auto reasons = FinishReasons(a);
    if (!reasons.empty()) step.finish_reason = reasons.front();

    step.tokens = ExtractTokens(a);
    if (auto cost = ExplicitCost(a)) {
      step.cost_usd = *cost;
      step.cost_explicit = true;
    } else if (step.type == StepType::kLlm && step.tokens.present && !step.model.empty()) {
      step.cost_usd = options_.prices.Cost(step.model, step.tokens).value_or(0);
    }

    // Retries.
    if (auto att = a.Int("tracery.step.attempt"); att && *att >= 1 && *att < 1000000) {
      step.attempt = static_cast<int>(*att);
    } else if (auto resend = a.Int("http.request.resend_count"); resend && *resend >= 0 && *resend < 1000000) {
      step.attempt = static_cast<int>(*resend) + 1;
    }
    if (auto budget = a.Int("tracery.step.max_attempts"); budget && *budget >= 1 && *budget < 1000000) {
      step.max_attempts = static_cast<int>(*budget);
    }
    if (auto retry_of = a.Str("tracery.step.retry_of"); !retry_of.empty()) {
      std::string raw;
      if (retry_of.size() == 16 && HexDecode(retry_of, &raw)) step.retry_of = HexEncode(raw);
    }

    // Content.
    if (mode != PrivacyMode::kMetadataOnly) {
      ContentBuilder cb(mode, options_.max_content_part, &step.content);
      BuildContent(a, step.type, &cb);
    }

    // Span events.
    std::optional<ExceptionInfo> exception;
    std::vector<Json> event_inputs, event_outputs;
    std::string event_prompt, event_completion;
    for (const SpanEventView& ev : span.events) {
      model::Event e;
      e.run_id = step.run_id;
      e.step_id = step.step_id;
      e.time_ns = ToNs(ev.time_unix_nano);
      e.name = Clean(ev.name, 256);
      AttrIndex ea(ev.attributes);
      if (ev.name == "exception") {
        ExceptionInfo info;
        info.type = Clean(ea.Str("exception.type"), 256);
        info.message = RedactedText(msg_mode, ea.Str("exception.message"), kMaxAttributeValue);
        info.time_ns = e.time_ns;
        exception = std::move(info);
      }
      bool is_output = false;
      std::string_view role;
      const bool message_event = IsMessageEvent(ev.name, &is_output, &role);
      if (message_event && mode != PrivacyMode::kMetadataOnly) {
        if (ev.name == "gen_ai.content.prompt") {
          event_prompt = std::string(ea.Str("gen_ai.prompt"));
        } else if (ev.name == "gen_ai.content.completion") {
          event_completion = std::string(ea.Str("gen_ai.completion"));
        } else {
          Json msg = Json::object();
          for (const auto& kv : ev.attributes) {
            if (kv.key == "gen_ai.system") continue;
            Json v = internal::AnyValueToJson(kv.value);
            // Body fields that arrive as JSON text (tool_calls, message) are structured.
            if (v.is_string() && (kv.key == "tool_calls" || kv.key == "message")) {
              if (auto j = internal::ParseJson(v.get<std::string>()); j && !j->is_string()) v = std::move(*j);
            }
            msg[internal::SanitizeUtf8(kv.key)] = std::move(v);
          }
          if (!role.empty() && !msg.contains("role")) msg["role"] = std::string(role);
          (is_output ? event_outputs : event_inputs).push_back(std::move(msg));
        }
      }
      Json attrs = Json::object();
      for (const auto& kv : ev.attributes) {
        if ((mode == PrivacyMode::kMetadataOnly || message_event) && IsEventContentKey(kv.key)) continue;
        attrs[internal::SanitizeUtf8(kv.key)] = SafeAttributeValue(msg_mode, kv.key, kv.value);
      }
      e.attributes_json = internal::DumpJson(attrs);
      step.events.push_back(std::move(e));
    }
    if (mode != PrivacyMode::kMetadataOnly) {
      ContentBuilder cb(mode, options_.max_content_part, &step.content);
      cb.AddList(model::content_name::kInput, std::move(event_inputs));
      cb.AddList(model::content_name::kOutput, std::move(event_outputs));
      if (!event_prompt.empty()) {
        AnyValueView v;
        v.type = ValueType::kString;
        v.str = event_prompt;
        cb.AddValue(model::content_name::kInput, &v, true);
      }
      if (!event_completion.empty()) {
        AnyValueView v;
        v.type = ValueType::kString;
        v.str = event_completion;
        cb.AddValue(model::content_name::kOutput, &v, true);
      }
    }

    // Failure.
    FailureInputs fin;
    fin.type = step.type;
    fin.status_code = span.status_code;
    if (internal::EqualsIgnoreCase(a.Str("langfuse.observation.level"), "ERROR") && fin.status_code == 0) {
      fin.status_code = 2;
    }
    fin.status_message = step.status_message;
    fin.exception = exception;
    fin.finish_reasons = reasons;
    fin.end_ns = step.end_ns != 0 ? step.end_ns : step.start_ns;
    fin.no_results_flag = a.Bool("tracery.retrieval.no_results").value_or(false);
    if (step.type == StepType::kRetrieval || step.type == StepType::kRerank) {  // only they use it
      bool has_docs = !a.WithPrefix("retrieval.documents.").empty();
      if (!has_docs) has_docs = NonEmptyJsonArray(a.Str("gen_ai.retrieval.documents"));
      fin.empty_documents = !has_docs;
    }
    step.failure = DetectFailure(a, fin, mode);
    if (step.failure) step.failure->step_id = step.step_id;

    step.hints = BuildHints(a, res, step, mode);

    // Remaining safe metadata.
    step.attributes_json = AttributesJson(a, msg_mode);
    out->steps.push_back(std::move(step));
  }
}

void Normalizer::NormalizeLogs(const LogBatch& batch, int64_t received_ns, NormalizedBatch* out) const {
  (void)received_ns;
  out->events.reserve(out->events.size() + batch.records.size());
  for (const LogRecordView& rec : batch.records) {
    AttrIndex a(rec.attributes);
    static const ResourceView kEmptyResource;
    AttrIndex res(rec.resource != nullptr ? rec.resource->attributes : kEmptyResource.attributes);
    const PrivacyMode mode =
        options_.privacy.ModeFor(res.Str("service.name"), a.FirstStr({"gen_ai.agent.name", "agent.name"}));
    const PrivacyMode msg_mode = mode == PrivacyMode::kFull ? PrivacyMode::kFull : PrivacyMode::kMask;
    model::Event e;
    e.run_id = IdHex(rec.trace_id);
    e.step_id = IdHex(rec.span_id);
    e.time_ns = ToNs(rec.time_unix_nano != 0 ? rec.time_unix_nano : rec.observed_time_unix_nano);
    std::string_view name = rec.event_name;
    if (name.empty()) name = a.Str("event.name");
    e.name = name.empty() ? "log" : Clean(name, 256);
    Json attrs = Json::object();
    for (const auto& kv : rec.attributes) {
      if (mode == PrivacyMode::kMetadataOnly && IsEventContentKey(kv.key)) continue;
      attrs[internal::SanitizeUtf8(kv.key)] = SafeAttributeValue(msg_mode, kv.key, kv.value);
    }
    e.attributes_json = internal::DumpJson(attrs);
    if (mode != PrivacyMode::kMetadataOnly && rec.body.type != ValueType::kEmpty) {
      Json body = internal::AnyValueToJson(rec.body);
      RedactJson(mode, &body);
      e.body_json = internal::DumpJson(body);
      if (e.body_json.size() > options_.max_content_part) {
        internal::TruncateUtf8(&e.body_json, options_.max_content_part);
        e.body_json = internal::DumpJson(Json(e.body_json));
      }
    }
    out->events.push_back(std::move(e));
  }
}

}  // namespace tracery::ingest
