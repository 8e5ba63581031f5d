// Detectors over one RunView: text projection, metrics, step predicates, tool calls, regex,
// composites and the judge node. Pure functions of the run, except the judge node (the oracle).
#include "triage/detect.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <memory>
#include <mutex>
#include <set>
#include <unordered_map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <re2/re2.h>

namespace tracery::triage {
namespace {

using Json = nlohmann::json;
using model::Step;
using model::StepType;

constexpr int64_t kRegexMaxMem = 8 << 20;
constexpr size_t kMaxProjectionBytes = 16 << 20;
constexpr size_t kMaxEvidence = 50;
constexpr size_t kMaxExcerpt = 200;

// Compiled RE2 patterns, shared across runs and threads (RE2 matching is thread safe).
std::shared_ptr<const RE2> Compiled(const std::string& pattern) {
  static std::mutex mu;
  static std::unordered_map<std::string, std::shared_ptr<const RE2>> cache;
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = cache.find(pattern); it != cache.end()) return it->second;
  RE2::Options opt;
  opt.set_log_errors(false);
  opt.set_max_mem(kRegexMaxMem);
  auto re = std::make_shared<const RE2>(pattern, opt);
  if (cache.size() >= 4096) cache.clear();
  cache.emplace(pattern, re);
  return re;
}

std::string Truncate(std::string s, size_t max) {
  if (s.size() <= max) return s;
  size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // UTF-8 boundary
  s.resize(cut);
  s += "...";
  return s;
}

// Text of a JSON content value: strings as is, messages by their content / text, lists joined.
void JsonText(const Json& j, std::string* out, int depth = 0) {
  if (depth > 16) return;
  if (j.is_string()) {
    if (!out->empty()) *out += ' ';
    *out += j.get_ref<const std::string&>();
  } else if (j.is_array()) {
    for (const auto& x : j) JsonText(x, out, depth + 1);
  } else if (j.is_object()) {
    bool found = false;
    for (const char* key : {"content", "text", "parts"}) {
      if (auto it = j.find(key); it != j.end() && !it->is_null()) {
        JsonText(*it, out, depth + 1);
        found = true;
        break;
      }
    }
    if (!found && !j.empty()) {
      if (!out->empty()) *out += ' ';
      *out += j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
  } else if (!j.is_null()) {
    if (!out->empty()) *out += ' ';
    *out += j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
}

struct PartText {
  std::string role;  // message role, "" when the part is not a message
  std::string id;    // document id, when present
  std::string text;
};

PartText ReadPart(const model::ContentField& f, const std::string& part) {
  PartText p;
  const bool json = f.is_list || f.mime.find("json") != std::string::npos;
  if (json) {
    Json j = Json::parse(part, nullptr, false);
    if (!j.is_discarded()) {
      if (j.is_object()) {
        if (auto r = j.find("role"); r != j.end() && r->is_string()) p.role = r->get<std::string>();
        if (auto id = j.find("id"); id != j.end() && (id->is_string() || id->is_number())) {
          p.id = id->is_string() ? id->get<std::string>() : id->dump();
        }
      }
      JsonText(j, &p.text);
      return p;
    }
  }
  p.text = part;
  return p;
}

const model::ContentField* Field(const Step& s, std::string_view name) {
  for (const auto& f : s.content) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::string FieldText(const model::ContentField* f, bool last_only = false) {
  if (f == nullptr || f->parts.empty()) return "";
  if (last_only) return ReadPart(*f, f->parts.back()).text;
  std::string out;
  for (const auto& part : f->parts) {
    std::string t = ReadPart(*f, part).text;
    if (t.empty()) continue;
    if (!out.empty()) out += '\n';
    out += t;
  }
  return out;
}

std::string ToolName(const Step& s) { return s.tool_name.empty() ? s.name : s.tool_name; }

bool IsToolCall(const Step& s) { return s.type == StepType::kTool; }

bool IsModelCall(const Step& s) {
  return s.type == StepType::kLlm || s.type == StepType::kEmbedding || s.type == StepType::kRerank;
}

bool HasError(const Step& s) { return s.failure.has_value() || s.status == model::StepStatus::kError; }

// The step's own flag, or the run's failure list (where the summarizer records recovery).
bool Recovered(const RunView& run, const Step& s) {
  if (s.failure && s.failure->recovered) return true;
  for (const auto& f : run.failures) {
    if (f.step_id == s.step_id && f.recovered) return true;
  }
  return false;
}

struct Segment {
  size_t begin = 0, end = 0;
  const Step* step = nullptr;
};

struct Projection {
  std::string text;
  std::vector<Segment> segments;
};

Projection Project(const RunView& run) {
  Projection p;
  std::set<std::string> seen_inputs;  // conversation history re-sent by every call: once
  auto line = [&](const std::string& s) {
    if (p.text.size() >= kMaxProjectionBytes) return;
    if (!p.text.empty()) p.text += '\n';
    p.text += s;
  };
  for (const Step& s : run.steps) {
    if (p.text.size() >= kMaxProjectionBytes) break;
    Segment seg;
    seg.step = &s;
    seg.begin = p.text.empty() ? 0 : p.text.size() + 1;
    line(fmt::format("[{}:{}]", model::ToString(s.type), IsToolCall(s) ? ToolName(s) : s.name));
    for (const auto& f : s.content) {
      if (f.name == model::content_name::kToolDefinitions) continue;
      for (const auto& part : f.parts) {
        PartText t = ReadPart(f, part);
        if (t.text.empty()) continue;
        std::string l;
        if (f.name == model::content_name::kToolArguments) {
          l = fmt::format("[tool:{}] input: {}", ToolName(s), t.text);
        } else if (f.name == model::content_name::kToolResult) {
          l = fmt::format("[tool:{}] output: {}", ToolName(s), t.text);
        } else if (f.name == model::content_name::kDocuments) {
          l = fmt::format("[retrieved:{}] {}", t.id, t.text);
        } else if (!t.role.empty()) {
          l = fmt::format("[{}] {}", t.role, t.text);
        } else if (f.name == model::content_name::kOutput && (s.type == StepType::kLlm)) {
          l = fmt::format("[assistant] {}", t.text);
        } else {
          l = fmt::format("[{}] {}", f.name, t.text);
        }
        if (f.name == model::content_name::kInput || f.name == model::content_name::kSystem) {
          if (!seen_inputs.insert(l).second) continue;
        }
        line(l);
      }
    }
    if (!s.handoff_to.empty()) line(fmt::format("[handoff] {} -> {}", s.handoff_from.empty() ? s.agent : s.handoff_from, s.handoff_to));
    if (s.failure) {
      line(fmt::format("[error:{}] {}", s.failure->code, s.failure->message.empty() ? s.status_message : s.failure->message));
    } else if (s.status == model::StepStatus::kError && !s.status_message.empty()) {
      line(fmt::format("[error] {}", s.status_message));
    }
    seg.end = p.text.size();
    p.segments.push_back(seg);
  }
  if (p.text.size() > kMaxProjectionBytes) p.text.resize(kMaxProjectionBytes);
  return p;
}

const Step* StepAt(const Projection& p, size_t offset) {
  auto it = std::upper_bound(p.segments.begin(), p.segments.end(), offset,
                             [](size_t off, const Segment& s) { return off < s.begin; });
  if (it == p.segments.begin()) return nullptr;
  --it;
  return offset <= it->end ? it->step : nullptr;
}

// ---------------------------------------------------------------------------------------------
// Metrics

std::string Signature(const Step& s) {
  std::string sig = fmt::format("{}\x1f{}\x1f{}", model::ToString(s.type), s.name, s.tool_name);
  if (const auto* f = Field(s, model::content_name::kToolArguments)) {
    for (const auto& part : f->parts) sig += "\x1f" + part;
  }
  if (const auto* f = Field(s, model::content_name::kQuery)) {
    for (const auto& part : f->parts) sig += "\x1f" + part;
  }
  return sig;
}

bool IsAction(const Step& s) {
  return s.type == StepType::kTool || s.type == StepType::kRetrieval || s.type == StepType::kHandoff;
}

// Longest run of back-to-back repetitions of a block of 1..3 actions with identical signatures.
// Returns the repetition count and the steps of the repeated run.
int LoopCount(const RunView& run, std::vector<const Step*>* evidence) {
  std::vector<const Step*> acts;
  std::vector<std::string> sigs;
  for (const auto& s : run.steps) {
    if (IsAction(s)) {
      acts.push_back(&s);
      sigs.push_back(Signature(s));
    }
  }
  if (acts.empty()) return 0;
  int best = 1;
  size_t best_begin = 0, best_len = 1;
  for (size_t period = 1; period <= 3; ++period) {
    if (acts.size() < 2 * period) break;
    // matches[i]: sigs[i] == sigs[i + period]; a run of k matching positions = k/period + 1 reps.
    size_t run_len = 0;
    for (size_t i = 0; i + period < sigs.size(); ++i) {
      if (sigs[i] == sigs[i + period]) {
        ++run_len;
        const int reps = static_cast<int>(run_len / period) + 1;
        if (reps > best) {
          best = reps;
          best_begin = i + 1 - run_len;
          best_len = run_len + period;
        }
      } else {
        run_len = 0;
      }
    }
  }
  if (evidence) {
    for (size_t i = best_begin; i < best_begin + best_len && i < acts.size(); ++i) evidence->push_back(acts[i]);
  }
  return best;
}

int64_t HandoffCount(const RunView& run, std::vector<const Step*>* evidence) {
  int64_t steps = 0;
  for (const auto& s : run.steps) {
    if (s.type == StepType::kHandoff || !s.handoff_to.empty()) {
      ++steps;
      if (evidence) evidence->push_back(&s);
    }
  }
  int64_t msgs = 0;
  for (const auto& m : run.messages) msgs += (m.kind == "handoff" || m.kind == "delegation");
  return std::max(steps, msgs);
}

const std::vector<std::string>& AllMetricNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n = {"span_count",   "llm_calls",     "tool_calls",    "error_count",
                                  "retry_count",  "total_tokens",  "input_tokens",  "output_tokens",
                                  "cost_usd",     "latency_ms",    "loop_count",    "distinct_tools",
                                  "agent_count",  "handoff_count", "unrecovered_error_count",
                                  "duplicate_tool_calls"};
    std::sort(n.begin(), n.end());
    return n;
  }();
  return names;
}

Result<double> ComputeMetric(const RunView& run, const std::string& name, std::vector<const Step*>* evidence) {
  const auto& steps = run.steps;
  if (name == "span_count") return static_cast<double>(std::max<int64_t>(steps.size(), steps.empty() ? run.run.step_count : 0));
  if (name == "llm_calls") {
    if (steps.empty()) return static_cast<double>(run.run.llm_count);
    return static_cast<double>(std::count_if(steps.begin(), steps.end(), [](const Step& s) { return s.type == StepType::kLlm; }));
  }
  if (name == "tool_calls") {
    if (steps.empty()) return static_cast<double>(run.run.tool_count);
    return static_cast<double>(std::count_if(steps.begin(), steps.end(), IsToolCall));
  }
  if (name == "error_count" || name == "unrecovered_error_count") {
    if (steps.empty()) return static_cast<double>(name == "error_count" ? run.run.error_count : 0);
    const bool unrecovered = name == "unrecovered_error_count";
    int64_t n = 0;
    for (const auto& s : steps) {
      if (!HasError(s)) continue;
      if (unrecovered && Recovered(run, s)) continue;
      ++n;
      if (evidence) evidence->push_back(&s);
    }
    return static_cast<double>(n);
  }
  if (name == "retry_count") {
    int64_t n = 0;
    for (const auto& s : steps) {
      if (s.attempt > 1 || !s.retry_of.empty()) {
        ++n;
        if (evidence) evidence->push_back(&s);
      }
    }
    return static_cast<double>(std::max(n, run.run.retry_count));
  }
  if (name == "total_tokens" || name == "input_tokens" || name == "output_tokens") {
    model::TokenUsage t = run.run.tokens;
    if (!t.present) {
      for (const auto& s : steps) {
        if (IsModelCall(s)) t += s.tokens;
      }
    }
    if (name == "input_tokens") return static_cast<double>(t.input);
    if (name == "output_tokens") return static_cast<double>(t.output);
    return static_cast<double>(t.total != 0 ? t.total : t.input + t.output);
  }
  if (name == "cost_usd") {
    if (run.run.cost_usd > 0) return run.run.cost_usd;
    double c = 0;
    for (const auto& s : steps) {
      if (IsModelCall(s)) c += s.cost_usd;
    }
    return c;
  }
  if (name == "latency_ms") {
    int64_t start = run.run.start_ns, end = run.run.end_ns;
    if (start == 0 || end == 0) {
      start = 0;
      end = 0;
      for (const auto& s : steps) {
        if (s.start_ns > 0 && (start == 0 || s.start_ns < start)) start = s.start_ns;
        end = std::max(end, s.end_ns);
      }
    }
    if (start == 0 || end < start) return 0.0;
    return static_cast<double>(end - start) / 1e6;
  }
  if (name == "loop_count") return static_cast<double>(LoopCount(run, evidence));
  if (name == "distinct_tools") {
    std::set<std::string> tools;
    for (const auto& s : steps) {
      if (IsToolCall(s)) tools.insert(ToolName(s));
    }
    return static_cast<double>(tools.size());
  }
  if (name == "duplicate_tool_calls") {
    std::set<std::string> seen;
    int64_t n = 0;
    for (const auto& s : steps) {
      if (!IsToolCall(s)) continue;
      if (!seen.insert(Signature(s)).second) {
        ++n;
        if (evidence) evidence->push_back(&s);
      }
    }
    return static_cast<double>(n);
  }
  if (name == "agent_count") {
    std::set<std::string> agents;
    for (const auto& s : steps) {
      if (!s.agent.empty()) agents.insert(s.agent);
    }
    for (const auto& a : run.agents) agents.insert(a.name);
    return static_cast<double>(std::max<int64_t>(agents.size(), run.run.agent_count));
  }
  if (name == "handoff_count") return static_cast<double>(HandoffCount(run, evidence));
  return InvalidArgumentError(fmt::format("unknown metric \"{}\" (known: {})", name, fmt::join(AllMetricNames(), ", ")));
}

bool Compare(double v, const std::string& op, double t) {
  if (op == "==") return v == t;
  if (op == "!=") return v != t;
  if (op == "<") return v < t;
  if (op == "<=") return v <= t;
  if (op == ">") return v > t;
  if (op == ">=") return v >= t;
  return false;
}

std::string Num(double v) {
  if (std::isfinite(v) && std::floor(v) == v && std::fabs(v) < 1e15) return fmt::format("{}", static_cast<int64_t>(v));
  return fmt::format("{:.6g}", v);
}

std::optional<double> ParseNumber(std::string_view s) {
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// ---------------------------------------------------------------------------------------------
// Step predicates: `field[op]: value`, op one of == (none), !=, >, >=, <, <=, ~ (RE2 search),
// !~ (no RE2 match).

struct Condition {
  std::string field;
  std::string op;  // "=", "!=", ">", ">=", "<", "<=", "~", "!~"
  std::string value;
};

Condition SplitKey(const std::string& key, const std::string& value) {
  Condition c;
  c.value = value;
  for (std::string_view op : {"!=", ">=", "<=", "!~", ">", "<", "~"}) {
    if (key.size() > op.size() && key.compare(key.size() - op.size(), op.size(), op) == 0) {
      c.op = std::string(op);
      c.field = key.substr(0, key.size() - op.size());
      while (!c.field.empty() && c.field.back() == ' ') c.field.pop_back();
      return c;
    }
  }
  c.op = "=";
  c.field = key;
  return c;
}

const std::set<std::string>& StringFields() {
  static const std::set<std::string> f = {"type", "name", "status", "agent", "model", "provider",
                                          "tool_name", "tool", "finish_reason", "handoff_to", "handoff_from",
                                          "failure_type", "failure_code", "failure_message", "recovered",
                                          "error", "text", "parent_type"};
  return f;
}

const std::set<std::string>& NumberFields() {
  static const std::set<std::string> f = {"duration_ms", "attempt", "input_tokens", "output_tokens",
                                          "total_tokens", "cost_usd"};
  return f;
}

bool IsAttr(const std::string& field) { return field.size() > 5 && field.compare(0, 5, "attr.") == 0; }

std::optional<std::string> AttrValue(const Step& s, const std::string& key) {
  Json j = Json::parse(s.attributes_json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  const Json* v = nullptr;
  if (auto it = j.find(key); it != j.end()) {
    v = &*it;
  } else {
    const Json* cur = &j;
    size_t start = 0;
    while (cur && cur->is_object()) {
      const size_t dot = key.find('.', start);
      auto it2 = cur->find(key.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
      if (it2 == cur->end()) {
        cur = nullptr;
        break;
      }
      cur = &*it2;
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    v = cur;
  }
  if (v == nullptr || v->is_null()) return std::nullopt;
  if (v->is_string()) return v->get<std::string>();
  if (v->is_boolean()) return v->get<bool>() ? "true" : "false";
  return v->dump();
}

std::optional<std::string> FieldValue(const RunView& run, const Step& s, const std::string& field) {
  if (field == "type") return std::string(model::ToString(s.type));
  if (field == "name") return s.name;
  if (field == "status") return std::string(model::ToString(s.status));
  if (field == "agent") return s.agent;
  if (field == "model") return s.model;
  if (field == "provider") return s.provider;
  if (field == "tool_name" || field == "tool") return IsToolCall(s) ? ToolName(s) : s.tool_name;
  if (field == "finish_reason") return s.finish_reason;
  if (field == "handoff_to") return s.handoff_to;
  if (field == "handoff_from") return s.handoff_from;
  if (field == "failure_type") return s.failure ? std::string(model::ToString(s.failure->type)) : std::string();
  if (field == "failure_code") return s.failure ? s.failure->code : std::string();
  if (field == "failure_message") return s.failure ? s.failure->message : std::string();
  if (field == "recovered") {
    if (!s.failure) return std::nullopt;  // only failed steps are recovered or not
    return std::string(Recovered(run, s) ? "true" : "false");
  }
  if (field == "error") return std::string(HasError(s) ? "true" : "false");
  if (field == "duration_ms") {
    if (s.end_ns <= 0 || s.end_ns < s.start_ns) return std::nullopt;
    return Num(static_cast<double>(s.end_ns - s.start_ns) / 1e6);
  }
  if (field == "attempt") return std::to_string(s.attempt);
  if (field == "input_tokens") return std::to_string(s.tokens.input);
  if (field == "output_tokens") return std::to_string(s.tokens.output);
  if (field == "total_tokens") return std::to_string(s.tokens.total);
  if (field == "cost_usd") return Num(s.cost_usd);
  if (field == "parent_type") {
    for (const auto& p : run.steps) {
      if (p.step_id == s.parent_id) return std::string(model::ToString(p.type));
    }
    return std::string();
  }
  if (field == "text") {
    std::string out;
    for (const auto& f : s.content) {
      const std::string t = FieldText(&f);
      if (t.empty()) continue;
      if (!out.empty()) out += '\n';
      out += t;
    }
    if (s.failure && !s.failure->message.empty()) out += (out.empty() ? "" : "\n") + s.failure->message;
    return out;
  }
  if (IsAttr(field)) return AttrValue(s, field.substr(5));
  return std::nullopt;
}

bool Matches(const RunView& run, const Step& s, const Condition& c) {
  std::optional<std::string> v = FieldValue(run, s, c.field);
  if (c.op == "~" || c.op == "!~") {
    auto re = Compiled(c.value);
    const bool m = v.has_value() && re->ok() && RE2::PartialMatch(*v, *re);
    return c.op == "~" ? m : !m;
  }
  const bool numeric_field = NumberFields().count(c.field) > 0;
  if (c.op == "=" || c.op == "!=") {
    bool eq = false;
    if (v) {
      if (numeric_field || (IsAttr(c.field) && ParseNumber(c.value) && ParseNumber(*v))) {
        auto a = ParseNumber(*v), b = ParseNumber(c.value);
        eq = a && b && *a == *b;
      } else {
        eq = *v == c.value;
      }
    }
    return c.op == "=" ? eq : !eq;
  }
  if (!v) return false;
  auto a = ParseNumber(*v);
  auto b = ParseNumber(c.value);
  if (!a || !b) return false;
  return Compare(*a, c.op == "=" ? "==" : c.op, *b);
}

// ---------------------------------------------------------------------------------------------
// Evaluation

enum class State { kNegative, kPositive, kPending, kError };

struct Eval {
  State state = State::kNegative;
  double confidence = 1.0;
  std::string excerpt;
  std::vector<std::string> evidence;
  std::string detector;
  std::string error;
};

void AddEvidence(std::vector<std::string>* ev, const std::string& id) {
  if (ev->size() >= kMaxEvidence) return;
  if (std::find(ev->begin(), ev->end(), id) == ev->end()) ev->push_back(id);
}

Eval Leaf(State st, std::string detector) {
  Eval e;
  e.state = st;
  e.detector = std::move(detector);
  return e;
}

Eval Fail(std::string detector, std::string msg) {
  Eval e = Leaf(State::kError, std::move(detector));
  e.error = std::move(msg);
  return e;
}

class Evaluator {
 public:
  Evaluator(const Mode& mode, const RunView& run, JudgeOracle* oracle)
      : mode_(mode), run_(run), oracle_(oracle) {}

  Eval Run(const Detection& d, int depth) {
    if (depth > kMaxDetectionDepth) return Fail(d.type, "detection nested too deeply");
    if (d.type == "regex") return Regex(d);
    if (d.type == "tool_call") return ToolCall(d);
    if (d.type == "metric_threshold") return MetricNode(d);
    if (d.type == "step") return StepNode(d);
    if (d.type == "composite") return Composite(d, depth);
    if (d.type == "llm_judge") return Judge(d);
    return Fail(d.type, fmt::format("unknown detection type \"{}\"", d.type));
  }

  int judge_calls() const { return judge_calls_; }

 private:
  const Projection& Proj() {
    if (!projection_) projection_ = Project(run_);
    return *projection_;
  }

  Eval Regex(const Detection& d) {
    auto re = Compiled(d.pattern);
    if (!re->ok()) return Fail("regex", fmt::format("invalid regex: {}", re->error()));
    const Projection& p = Proj();
    Eval e = Leaf(State::kNegative, "regex");
    re2::StringPiece input(p.text);
    re2::StringPiece match;
    size_t pos = 0;
    int found = 0;
    while (pos <= p.text.size() && found < 100) {
      if (!re->Match(input, pos, p.text.size(), RE2::UNANCHORED, &match, 1)) break;
      const size_t off = static_cast<size_t>(match.data() - p.text.data());
      if (found == 0) {
        e.state = State::kPositive;
        e.excerpt = Truncate(std::string(match.data(), match.size()), kMaxExcerpt);
      }
      if (const Step* s = StepAt(p, off)) AddEvidence(&e.evidence, s->step_id);
      ++found;
      pos = off + std::max<size_t>(match.size(), 1);
    }
    if (found == 0) {
      // docket compatibility: the final response is searched too when the projection misses it.
      const std::string final = FinalResponse(run_);
      if (!final.empty() && p.text.find(final) == std::string::npos && RE2::PartialMatch(final, *re, &match)) {
        e.state = State::kPositive;
        e.excerpt = Truncate(std::string(match.data(), match.size()), kMaxExcerpt);
      }
    }
    return e;
  }

  Eval ToolCall(const Detection& d) {
    Eval e = Leaf(State::kNegative, "tool_call");
    const std::set<std::string> wanted(d.tools.begin(), d.tools.end());
    if (d.form == "sequence") {
      size_t next = 0;
      std::vector<std::string> ids;
      for (const auto& s : run_.steps) {
        if (next < d.tools.size() && IsToolCall(s) && ToolName(s) == d.tools[next]) {
          ids.push_back(s.step_id);
          ++next;
        }
      }
      if (next == d.tools.size()) {
        e.state = State::kPositive;
        for (const auto& id : ids) AddEvidence(&e.evidence, id);
        e.excerpt = Truncate(fmt::format("called in order: {}", fmt::join(d.tools, " -> ")), kMaxExcerpt);
      }
      return e;
    }
    const Step* first = nullptr;
    for (const auto& s : run_.steps) {
      if (IsToolCall(s) && wanted.count(ToolName(s))) {
        if (!first) first = &s;
        AddEvidence(&e.evidence, s.step_id);
      }
    }
    if (d.form == "absent") {
      e.evidence.clear();
      if (!first) {
        e.state = State::kPositive;
        e.excerpt = Truncate(fmt::format("no call to {}", fmt::join(d.tools, ", ")), kMaxExcerpt);
      }
      return e;
    }
    if (first) {
      e.state = State::kPositive;
      std::string args = FieldText(Field(*first, model::content_name::kToolArguments));
      e.excerpt = Truncate(fmt::format("called {}({})", ToolName(*first), args), kMaxExcerpt);
    }
    return e;
  }

  Eval MetricNode(const Detection& d) {
    std::vector<const Step*> ev;
    Result<double> v = ComputeMetric(run_, d.metric, &ev);
    if (!v.ok()) return Fail("metric_threshold", v.status().message());
    Eval e = Leaf(Compare(*v, d.op, d.threshold) ? State::kPositive : State::kNegative, "metric_threshold");
    if (e.state == State::kPositive) {
      e.excerpt = fmt::format("{} = {} ({} {})", d.metric, Num(*v), d.op, Num(d.threshold));
      for (const Step* s : ev) AddEvidence(&e.evidence, s->step_id);
    }
    return e;
  }

  Eval StepNode(const Detection& d) {
    std::vector<Condition> conds;
    for (const auto& [k, v] : d.step_where) conds.push_back(SplitKey(k, v));
    Eval e = Leaf(State::kNegative, "step");
    int count = 0;
    const Step* first = nullptr;
    for (const auto& s : run_.steps) {
      bool all = true;
      for (const auto& c : conds) {
        if (!Matches(run_, s, c)) {
          all = false;
          break;
        }
      }
      if (!all) continue;
      ++count;
      if (!first) first = &s;
      AddEvidence(&e.evidence, s.step_id);
    }
    if (count >= d.min_count && count > 0) {
      e.state = State::kPositive;
      std::string what = fmt::format("{} {}", model::ToString(first->type), IsToolCall(*first) ? ToolName(*first) : first->name);
      if (first->failure) {
        what += fmt::format(" failed: {}", first->failure->code);
        if (!first->failure->message.empty()) what += ": " + first->failure->message;
      }
      e.excerpt = Truncate(count > 1 ? fmt::format("{} matching steps; first: {}", count, what) : what, kMaxExcerpt);
    } else {
      e.evidence.clear();
    }
    return e;
  }

  Eval Composite(const Detection& d, int depth) {
    // Deterministic operands first (stable), so a judge is asked only when it can decide.
    std::vector<const Detection*> order;
    for (const auto& op : d.operands) {
      if (!op.involves_judge()) order.push_back(&op);
    }
    for (const auto& op : d.operands) {
      if (op.involves_judge()) order.push_back(&op);
    }
    if (d.bool_op == "not") {
      if (order.size() != 1) return Fail("composite", "`not` takes exactly one operand");
      Eval inner = Run(*order.front(), depth + 1);
      if (inner.state == State::kPending || inner.state == State::kError) return inner;
      Eval e = Leaf(inner.state == State::kPositive ? State::kNegative : State::kPositive, inner.detector);
      e.confidence = inner.confidence;
      if (e.state == State::kPositive) e.excerpt = inner.excerpt.empty() ? "" : "not: " + inner.excerpt;
      return e;
    }
    if (order.empty()) return Fail("composite", "composite needs at least one operand");
    const bool is_and = d.bool_op == "and";
    if (!is_and && d.bool_op != "or") return Fail("composite", fmt::format("unknown operator \"{}\"", d.bool_op));
    Eval acc = Leaf(is_and ? State::kPositive : State::kNegative, "composite");
    for (const Detection* op : order) {
      Eval r = Run(*op, depth + 1);
      if (r.state == State::kError || r.state == State::kPending) return r;
      if (is_and) {
        if (r.state == State::kNegative) return r;  // short-circuit
        acc.confidence = std::min(acc.confidence, r.confidence);
        for (const auto& id : r.evidence) AddEvidence(&acc.evidence, id);
        if (!r.excerpt.empty()) acc.excerpt = r.excerpt;  // the last (judge) operand's excerpt wins
        acc.detector = r.detector;
      } else if (r.state == State::kPositive) {
        return r;  // short-circuit
      } else {
        acc.confidence = std::min(acc.confidence, r.confidence);
        acc.detector = r.detector;
      }
    }
    return acc;
  }

  Eval Judge(const Detection& d) {
    if (oracle_ == nullptr) return Leaf(State::kPending, "llm_judge");
    std::optional<Result<JudgeVerdict>> answer = oracle_->Ask(mode_, d, run_);
    if (!answer) return Leaf(State::kPending, "llm_judge");
    ++judge_calls_;
    if (!answer->ok()) return Fail("llm_judge", fmt::format("judge failed: {}", answer->status().message()));
    const JudgeVerdict& v = answer->value();
    Json obj;
    if (v.raw_json.empty()) {
      obj = Json{{"positive", v.positive}, {"confidence", v.confidence}};
      if (!v.excerpt.empty()) obj["excerpt"] = v.excerpt;
    } else {
      obj = Json::parse(v.raw_json, nullptr, false);
      if (obj.is_discarded()) return Fail("llm_judge", "judge output is not valid JSON");
    }
    if (Status st = ValidateAgainstSchema(d.output_schema_json, obj.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)); !st.ok()) {
      return Fail("llm_judge", fmt::format("judge output violates output_schema: {}", st.message()));
    }
    auto pos = obj.find("positive");
    if (pos == obj.end() || !pos->is_boolean()) {
      return Fail("llm_judge", "judge output violates output_schema: $.positive: missing or not a boolean");
    }
    Eval e = Leaf(pos->get<bool>() ? State::kPositive : State::kNegative, "llm_judge");
    double conf = v.confidence;
    if (auto c = obj.find("confidence"); c != obj.end() && c->is_number()) conf = c->get<double>();
    e.confidence = std::isfinite(conf) ? std::clamp(conf, 0.0, 1.0) : 0.5;
    e.excerpt = v.excerpt;
    if (e.excerpt.empty()) {
      if (auto x = obj.find("excerpt"); x != obj.end() && x->is_string()) e.excerpt = x->get<std::string>();
    }
    e.excerpt = Truncate(e.excerpt, kMaxExcerpt);
    for (const auto& id : v.evidence_step_ids) AddEvidence(&e.evidence, id);
    return e;
  }

  const Mode& mode_;
  const RunView& run_;
  JudgeOracle* oracle_;
  std::optional<Projection> projection_;
  int judge_calls_ = 0;
};

}  // namespace

ModeEvaluation EvaluateMode(const Mode& mode, const RunView& run, JudgeOracle* oracle) {
  Evaluator ev(mode, run, oracle);
  Eval e = ev.Run(mode.detection, 0);
  ModeEvaluation out;
  out.judge_calls = ev.judge_calls();
  out.detector = e.detector;
  switch (e.state) {
    case State::kPending:
      out.pending = true;
      break;
    case State::kError:
      out.error = e.error.empty() ? "detector error" : e.error;
      break;
    case State::kPositive:
      out.positive = true;
      out.confidence = e.confidence;
      out.excerpt = std::move(e.excerpt);
      out.evidence_step_ids = std::move(e.evidence);
      break;
    case State::kNegative:
      out.confidence = e.confidence;
      break;
  }
  return out;
}

std::string TextProjection(const RunView& run) { return Project(run).text; }

std::string FinalResponse(const RunView& run) {
  const Step* root = nullptr;
  for (const auto& s : run.steps) {
    if (s.parent_id.empty() && (root == nullptr || s.start_ns < root->start_ns)) root = &s;
  }
  if (root != nullptr) {
    std::string t = FieldText(Field(*root, model::content_name::kOutput), /*last_only=*/true);
    if (!t.empty()) return t;
  }
  const Step* last = nullptr;
  for (const auto& s : run.steps) {
    if (s.type != StepType::kLlm || Field(s, model::content_name::kOutput) == nullptr) continue;
    if (last == nullptr || s.end_ns >= last->end_ns) last = &s;
  }
  return last ? FieldText(Field(*last, model::content_name::kOutput), /*last_only=*/true) : "";
}

Result<double> Metric(const RunView& run, const std::string& name) { return ComputeMetric(run, name, nullptr); }

const std::vector<std::string>& MetricNames() { return AllMetricNames(); }

Status CheckRegex(const std::string& pattern) {
  if (pattern.size() > 64 * 1024) return InvalidArgumentError("regex longer than 65536 bytes");
  auto re = Compiled(pattern);
  if (!re->ok()) return InvalidArgumentError(fmt::format("invalid regex (RE2 syntax, linear time): {}", re->error()));
  return OkStatus();
}

Status CheckStepWhere(const std::map<std::string, std::string>& where) {
  if (where.empty()) return InvalidArgumentError("needs at least one condition");
  for (const auto& [key, value] : where) {
    Condition c = SplitKey(key, value);
    const bool numeric = NumberFields().count(c.field) > 0;
    if (!numeric && !StringFields().count(c.field) && !IsAttr(c.field)) {
      return InvalidArgumentError(fmt::format(
          "unknown step field \"{}\" (type, name, status, agent, model, provider, tool_name, finish_reason, "
          "handoff_to, handoff_from, failure_type, failure_code, failure_message, recovered, error, text, "
          "parent_type, duration_ms, attempt, input_tokens, output_tokens, total_tokens, cost_usd, attr.<key>)",
          c.field));
    }
    if (c.op == "~" || c.op == "!~") {
      TRACERY_RETURN_IF_ERROR(CheckRegex(c.value));
      continue;
    }
    const bool ordering = c.op == ">" || c.op == ">=" || c.op == "<" || c.op == "<=";
    if (ordering && !numeric && !IsAttr(c.field)) {
      return InvalidArgumentError(fmt::format("operator {} needs a numeric field, \"{}\" is not", c.op, c.field));
    }
    if ((ordering || numeric) && !ParseNumber(c.value)) {
      return InvalidArgumentError(fmt::format("\"{}\" is not a number", c.value));
    }
    if (c.field == "type" || c.field == "parent_type") {
      if (!model::ParseStepType(c.value)) return InvalidArgumentError(fmt::format("unknown step type \"{}\"", c.value));
    } else if (c.field == "status") {
      if (!model::ParseStepStatus(c.value)) return InvalidArgumentError(fmt::format("unknown status \"{}\" (unset, ok, error)", c.value));
    } else if (c.field == "failure_type") {
      if (!model::ParseFailureType(c.value)) return InvalidArgumentError(fmt::format("unknown failure type \"{}\"", c.value));
    } else if (c.field == "recovered" || c.field == "error") {
      if (c.value != "true" && c.value != "false") return InvalidArgumentError(fmt::format("\"{}\" must be true or false", c.field));
    }
  }
  return OkStatus();
}

}  // namespace tracery::triage
