// Rubric loading: YAML (yaml-cpp) -> Rubric, with strict keys, line numbers, imports and merge.
// yaml-cpp throws; every call into it is inside a try block here and nothing escapes.
#include "triage/rubric.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <re2/re2.h>

#include "model/summarize.h"
#include "triage/detect.h"

namespace tracery::triage {

bool Detection::involves_judge() const {
  if (type == "llm_judge") return true;
  for (const auto& operand : operands) {
    if (operand.involves_judge()) return true;
  }
  return false;
}

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

constexpr std::string_view kTraceryApi = "tracery.dev/v1";
constexpr std::string_view kDocketApi = "docket.dev/v1";
constexpr int kMaxJsonDepth = 64;
constexpr int kMaxExampleSteps = 10000;

int LineOf(const YAML::Node& n) {
  if (!n.IsDefined()) return 0;
  const YAML::Mark m = n.Mark();
  return m.line >= 0 ? m.line + 1 : 0;
}

std::string Join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string Index(const std::string& path, size_t i) { return fmt::format("{}[{}]", path, i); }

// Collects every error of one file (so `validate` can list them all) and bounds the work.
class Ctx {
 public:
  explicit Ctx(std::string file) : file_(std::move(file)) {}

  void Error(int line, const std::string& path, const std::string& msg) {
    if (errors_.size() >= 100) return;  // enough to act on; bounds hostile input too
    if (path.empty()) {
      errors_.push_back(fmt::format("{}:{}: {}", file_, line, msg));
    } else {
      errors_.push_back(fmt::format("{}:{}: {}: {}", file_, line, path, msg));
    }
  }
  void Error(const YAML::Node& n, const std::string& path, const std::string& msg) {
    Error(LineOf(n), path, msg);
  }
  // Counts one visited node; false (with one error) once the budget is spent.
  bool Visit(const YAML::Node& n) {
    if (++nodes_ <= kMaxRubricNodes) return true;
    if (!blown_) {
      blown_ = true;
      Error(n, "", fmt::format("document too large: more than {} YAML nodes (aliases expanded)",
                               kMaxRubricNodes));
    }
    return false;
  }
  bool blown() const { return blown_; }
  bool ok() const { return errors_.empty(); }
  const std::vector<std::string>& errors() const { return errors_; }
  const std::string& file() const { return file_; }

 private:
  std::string file_;
  std::vector<std::string> errors_;
  int nodes_ = 0;
  bool blown_ = false;
};

// Checks `node` is a map with only `allowed` keys (no duplicates). Returns false when it is not
// a map at all.
bool CheckMap(Ctx& ctx, const YAML::Node& node, const std::string& path,
              std::initializer_list<std::string_view> allowed) {
  if (!ctx.Visit(node)) return false;
  if (!node.IsMap()) {
    ctx.Error(node, path.empty() ? "document" : path, "expected a mapping");
    return false;
  }
  std::set<std::string> seen;
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (!ctx.Visit(it->first)) return false;
    if (!it->first.IsScalar()) {
      ctx.Error(it->first, path.empty() ? "document" : path, "keys must be strings");
      continue;
    }
    const std::string key = it->first.Scalar();
    if (!seen.insert(key).second) {
      ctx.Error(it->first, Join(path, key), "duplicate key");
      continue;
    }
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      ctx.Error(it->first, Join(path, key), "unknown key");
    }
  }
  return true;
}

// The value of `key` in map `node` (undefined node when absent).
YAML::Node Get(const YAML::Node& node, const char* key) {
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == key) return it->second;
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

bool Present(const YAML::Node& n) { return n.IsDefined() && !n.IsNull(); }

std::optional<std::string> String(Ctx& ctx, const YAML::Node& n, const std::string& path) {
  if (!ctx.Visit(n)) return std::nullopt;
  if (!n.IsScalar()) {
    ctx.Error(n, path, "expected a string");
    return std::nullopt;
  }
  return n.Scalar();
}

std::optional<std::string> RequiredString(Ctx& ctx, const YAML::Node& map, const char* key,
                                          const std::string& path) {
  YAML::Node n = Get(map, key);
  if (!Present(n)) {
    ctx.Error(map, Join(path, key), "required");
    return std::nullopt;
  }
  auto s = String(ctx, n, Join(path, key));
  if (s && s->empty()) {
    ctx.Error(n, Join(path, key), "must not be empty");
    return std::nullopt;
  }
  return s;
}

std::optional<double> ParseDouble(const std::string& s) {
  double v = 0;
  const char* b = s.data();
  const char* e = s.data() + s.size();
  if (b != e && *b == '+') ++b;
  auto [p, ec] = std::from_chars(b, e, v);
  if (ec != std::errc() || p != e || b == e) return std::nullopt;
  return v;
}

std::optional<double> Number(Ctx& ctx, const YAML::Node& n, const std::string& path) {
  auto s = String(ctx, n, path);
  if (!s) return std::nullopt;
  auto v = ParseDouble(*s);
  if (!v) ctx.Error(n, path, fmt::format("expected a number, got \"{}\"", *s));
  return v;
}

std::optional<int64_t> Integer(Ctx& ctx, const YAML::Node& n, const std::string& path) {
  auto s = String(ctx, n, path);
  if (!s) return std::nullopt;
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
  if (ec != std::errc() || p != s->data() + s->size() || s->empty()) {
    ctx.Error(n, path, fmt::format("expected an integer, got \"{}\"", *s));
    return std::nullopt;
  }
  return v;
}

std::vector<std::string> StringList(Ctx& ctx, const YAML::Node& n, const std::string& path) {
  std::vector<std::string> out;
  if (!ctx.Visit(n)) return out;
  if (!n.IsSequence()) {
    ctx.Error(n, path, "expected a list of strings");
    return out;
  }
  for (size_t i = 0; i < n.size(); ++i) {
    if (auto s = String(ctx, n[i], Index(path, i))) out.push_back(*s);
    if (ctx.blown()) break;
  }
  return out;
}

// YAML -> JSON for output schemas and attributes: quoted scalars stay strings, plain scalars
// become bool/null/number when they look like one (YAML 1.2 core schema).
bool ToJson(Ctx& ctx, const YAML::Node& n, const std::string& path, int depth, Json* out) {
  if (!ctx.Visit(n)) return false;
  if (depth > kMaxJsonDepth) {
    ctx.Error(n, path, fmt::format("nested deeper than {} levels", kMaxJsonDepth));
    return false;
  }
  switch (n.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      *out = nullptr;
      return true;
    case YAML::NodeType::Scalar: {
      const std::string& s = n.Scalar();
      if (n.Tag() == "!") {
        *out = s;
        return true;
      }
      if (s == "true" || s == "True" || s == "TRUE") {
        *out = true;
      } else if (s == "false" || s == "False" || s == "FALSE") {
        *out = false;
      } else if (s == "null" || s == "Null" || s == "NULL" || s == "~" || s.empty()) {
        *out = nullptr;
      } else {
        int64_t iv = 0;
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), iv);
        if (ec == std::errc() && p == s.data() + s.size()) {
          *out = iv;
        } else if (auto d = ParseDouble(s); d && s.find_first_of("0123456789") != std::string::npos) {
          *out = *d;
        } else {
          *out = s;
        }
      }
      return true;
    }
    case YAML::NodeType::Sequence: {
      *out = Json::array();
      for (size_t i = 0; i < n.size(); ++i) {
        Json item;
        if (!ToJson(ctx, n[i], Index(path, i), depth + 1, &item)) return false;
        out->push_back(std::move(item));
      }
      return true;
    }
    case YAML::NodeType::Map: {
      *out = Json::object();
      for (auto it = n.begin(); it != n.end(); ++it) {
        if (!it->first.IsScalar()) {
          ctx.Error(it->first, path, "keys must be strings");
          return false;
        }
        Json item;
        if (!ToJson(ctx, it->second, Join(path, it->first.Scalar()), depth + 1, &item)) return false;
        (*out)[it->first.Scalar()] = std::move(item);
      }
      return true;
    }
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Detection

void ParseDetection(Ctx& ctx, const YAML::Node& n, const std::string& path, int depth,
                    const std::string& mode_id, Detection* d);

void ParseDetection(Ctx& ctx, const YAML::Node& n, const std::string& path, int depth,
                    const std::string& mode_id, Detection* d) {
  d->line = LineOf(n);
  if (depth > kMaxDetectionDepth) {
    ctx.Error(n, path, fmt::format("detection nested deeper than {} levels", kMaxDetectionDepth));
    return;
  }
  if (!ctx.Visit(n)) return;
  if (!n.IsMap()) {
    ctx.Error(n, path, "expected a mapping");
    return;
  }
  auto type = RequiredString(ctx, n, "type", path);
  if (!type) return;
  d->type = *type;
  const std::string where_mode = fmt::format("mode \"{}\"", mode_id);
  if (d->type == "regex") {
    if (!CheckMap(ctx, n, path, {"type", "pattern"})) return;
    if (auto p = RequiredString(ctx, n, "pattern", path)) {
      d->pattern = *p;
      if (Status st = CheckRegex(d->pattern); !st.ok()) {
        ctx.Error(Get(n, "pattern"), Join(path, "pattern"), where_mode + ": " + st.message());
      }
    }
  } else if (d->type == "tool_call") {
    if (!CheckMap(ctx, n, path, {"type", "tool_calls", "form"})) return;
    YAML::Node tools = Get(n, "tool_calls");
    if (!Present(tools)) {
      ctx.Error(n, Join(path, "tool_calls"), "required");
    } else {
      d->tools = StringList(ctx, tools, Join(path, "tool_calls"));
      if (d->tools.empty() && tools.IsSequence()) ctx.Error(tools, Join(path, "tool_calls"), "must list at least one tool");
    }
    if (YAML::Node f = Get(n, "form"); Present(f)) {
      if (auto s = String(ctx, f, Join(path, "form"))) {
        if (*s != "any" && *s != "sequence" && *s != "absent") {
          ctx.Error(f, Join(path, "form"), fmt::format("unknown form \"{}\" (any, sequence, absent)", *s));
        }
        d->form = *s;
      }
    }
  } else if (d->type == "metric_threshold") {
    if (!CheckMap(ctx, n, path, {"type", "metric", "operator", "threshold"})) return;
    if (auto m = RequiredString(ctx, n, "metric", path)) {
      d->metric = *m;
      const auto& names = MetricNames();
      if (!std::binary_search(names.begin(), names.end(), d->metric)) {
        ctx.Error(Get(n, "metric"), Join(path, "metric"),
                  fmt::format("unknown metric \"{}\" (known: {})", d->metric, fmt::join(names, ", ")));
      }
    }
    if (auto op = RequiredString(ctx, n, "operator", path)) {
      static const std::set<std::string> kOps = {"==", "!=", "<", "<=", ">", ">="};
      if (!kOps.count(*op)) {
        ctx.Error(Get(n, "operator"), Join(path, "operator"),
                  fmt::format("unknown operator \"{}\" (==, !=, <, <=, >, >=)", *op));
      }
      d->op = *op;
    }
    YAML::Node t = Get(n, "threshold");
    if (!Present(t)) {
      ctx.Error(n, Join(path, "threshold"), "required");
    } else if (auto v = Number(ctx, t, Join(path, "threshold"))) {
      d->threshold = *v;
    }
  } else if (d->type == "step") {
    if (!CheckMap(ctx, n, path, {"type", "where", "min_count"})) return;
    YAML::Node w = Get(n, "where");
    const std::string wpath = Join(path, "where");
    if (!Present(w)) {
      ctx.Error(n, wpath, "required");
    } else if (ctx.Visit(w) && !w.IsMap()) {
      ctx.Error(w, wpath, "expected a mapping of step field to value");
    } else if (w.IsMap()) {
      std::set<std::string> seen;
      for (auto it = w.begin(); it != w.end(); ++it) {
        if (!ctx.Visit(it->first) || !ctx.Visit(it->second)) break;
        if (!it->first.IsScalar() || !it->second.IsScalar()) {
          ctx.Error(it->first, wpath, "each condition is `field: value` with a scalar value");
          continue;
        }
        const std::string key = it->first.Scalar();
        if (!seen.insert(key).second) {
          ctx.Error(it->first, Join(wpath, key), "duplicate key");
          continue;
        }
        std::map<std::string, std::string> one = {{key, it->second.Scalar()}};
        if (Status st = CheckStepWhere(one); !st.ok()) {
          ctx.Error(it->first, Join(wpath, key), st.message());
        }
        d->step_where[key] = it->second.Scalar();
      }
      if (d->step_where.empty() && seen.empty()) ctx.Error(w, wpath, "must have at least one condition");
    }
    if (YAML::Node mc = Get(n, "min_count"); Present(mc)) {
      if (auto v = Integer(ctx, mc, Join(path, "min_count"))) {
        if (*v < 1 || *v > 1000000) {
          ctx.Error(mc, Join(path, "min_count"), "must be between 1 and 1000000");
        } else {
          d->min_count = static_cast<int>(*v);
        }
      }
    }
  } else if (d->type == "composite") {
    if (!CheckMap(ctx, n, path, {"type", "operator", "operands"})) return;
    if (auto op = RequiredString(ctx, n, "operator", path)) {
      if (*op != "and" && *op != "or" && *op != "not") {
        ctx.Error(Get(n, "operator"), Join(path, "operator"),
                  fmt::format("unknown operator \"{}\" (and, or, not)", *op));
      }
      d->bool_op = *op;
    }
    YAML::Node ops = Get(n, "operands");
    const std::string opath = Join(path, "operands");
    if (!Present(ops)) {
      ctx.Error(n, opath, "required");
    } else if (ctx.Visit(ops) && !ops.IsSequence()) {
      ctx.Error(ops, opath, "expected a list of detections");
    } else if (ops.IsSequence()) {
      if (ops.size() == 0) ctx.Error(ops, opath, "needs at least one operand");
      if (d->bool_op == "not" && ops.size() != 1) {
        ctx.Error(ops, opath, fmt::format("`not` takes exactly one operand, got {}", ops.size()));
      }
      for (size_t i = 0; i < ops.size() && !ctx.blown(); ++i) {
        Detection child;
        ParseDetection(ctx, ops[i], Index(opath, i), depth + 1, mode_id, &child);
        d->operands.push_back(std::move(child));
      }
    }
  } else if (d->type == "llm_judge") {
    if (!CheckMap(ctx, n, path, {"type", "prompt", "output_schema", "model"})) return;
    if (auto p = RequiredString(ctx, n, "prompt", path)) d->prompt = *p;
    YAML::Node s = Get(n, "output_schema");
    const std::string spath = Join(path, "output_schema");
    if (!Present(s)) {
      ctx.Error(n, spath, "required");
    } else {
      Json schema;
      if (ToJson(ctx, s, spath, 0, &schema)) {
        d->output_schema_json = schema.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        if (Status st = CheckOutputSchema(d->output_schema_json); !st.ok()) {
          ctx.Error(s, spath, st.message());
        }
      }
    }
    if (YAML::Node m = Get(n, "model"); Present(m)) {
      if (auto v = String(ctx, m, Join(path, "model"))) d->model = *v;
    }
  } else {
    ctx.Error(Get(n, "type"), Join(path, "type"),
              fmt::format("unknown detection type \"{}\" (regex, tool_call, metric_threshold, "
                          "step, composite, llm_judge)",
                          d->type));
  }
}

// ---------------------------------------------------------------------------------------------
// Example runs: a compact YAML run so deterministic detectors can be self-tested.

model::ContentField TextField(std::string_view name, std::string text) {
  model::ContentField f;
  f.name = std::string(name);
  f.parts.push_back(std::move(text));
  return f;
}

std::optional<model::FailureType> FailureTypeFor(model::StepType t) {
  switch (t) {
    case model::StepType::kTool: return model::FailureType::kTool;
    case model::StepType::kLlm:
    case model::StepType::kEmbedding:
    case model::StepType::kRerank: return model::FailureType::kModel;
    case model::StepType::kRetrieval: return model::FailureType::kRetrieval;
    case model::StepType::kGuardrail: return model::FailureType::kGuardrail;
    case model::StepType::kHandoff:
    case model::StepType::kAgent:
    case model::StepType::kPlan: return model::FailureType::kOrchestration;
    default: return model::FailureType::kUnknown;
  }
}

bool ParseExampleStep(Ctx& ctx, const YAML::Node& n, const std::string& path, model::Step* s,
                      int64_t* duration_ms, int64_t* repeat) {
  if (!CheckMap(ctx, n, path,
                {"id", "parent", "type", "name", "tool", "status", "agent", "model", "provider",
                 "duration_ms", "tokens", "cost_usd", "input", "output", "system", "arguments",
                 "result", "query", "documents", "failure", "handoff_to", "handoff_from",
                 "attempt", "retry_of", "finish_reason", "attributes", "repeat"})) {
    return false;
  }
  auto str = [&](const char* key, std::string* out) {
    if (YAML::Node v = Get(n, key); Present(v)) {
      if (auto x = String(ctx, v, Join(path, key))) *out = *x;
    }
  };
  str("id", &s->step_id);
  str("parent", &s->parent_id);
  std::string type = "other";
  str("type", &type);
  if (auto t = model::ParseStepType(type)) {
    s->type = *t;
  } else {
    ctx.Error(Get(n, "type"), Join(path, "type"), fmt::format("unknown step type \"{}\"", type));
  }
  str("name", &s->name);
  str("tool", &s->tool_name);
  if (s->type == model::StepType::kTool && s->tool_name.empty()) s->tool_name = s->name;
  if (s->name.empty()) s->name = s->tool_name.empty() ? type : s->tool_name;
  std::string status;
  str("status", &status);
  if (!status.empty()) {
    if (auto st = model::ParseStepStatus(status)) {
      s->status = *st;
    } else {
      ctx.Error(Get(n, "status"), Join(path, "status"), fmt::format("unknown status \"{}\" (unset, ok, error)", status));
    }
  }
  str("agent", &s->agent);
  str("model", &s->model);
  str("provider", &s->provider);
  str("handoff_to", &s->handoff_to);
  str("handoff_from", &s->handoff_from);
  str("retry_of", &s->retry_of);
  str("finish_reason", &s->finish_reason);
  if (YAML::Node v = Get(n, "duration_ms"); Present(v)) {
    if (auto x = Integer(ctx, v, Join(path, "duration_ms"))) {
      if (*x < 0 || *x > 86400000LL * 365) {
        ctx.Error(v, Join(path, "duration_ms"), "out of range");
      } else {
        *duration_ms = *x;
      }
    }
  }
  if (YAML::Node v = Get(n, "repeat"); Present(v)) {
    if (auto x = Integer(ctx, v, Join(path, "repeat"))) {
      if (*x < 1 || *x > 1000) {
        ctx.Error(v, Join(path, "repeat"), "must be between 1 and 1000");
      } else {
        *repeat = *x;
      }
    }
  }
  if (YAML::Node v = Get(n, "attempt"); Present(v)) {
    if (auto x = Integer(ctx, v, Join(path, "attempt"))) s->attempt = static_cast<int>(std::clamp<int64_t>(*x, 0, 1000000));
  }
  if (YAML::Node v = Get(n, "cost_usd"); Present(v)) {
    if (auto x = Number(ctx, v, Join(path, "cost_usd"))) {
      s->cost_usd = *x;
      s->cost_explicit = true;
    }
  }
  if (YAML::Node t = Get(n, "tokens"); Present(t)) {
    const std::string tpath = Join(path, "tokens");
    if (CheckMap(ctx, t, tpath, {"input", "output", "total"})) {
      auto tok = [&](const char* key, int64_t* out) {
        if (YAML::Node v = Get(t, key); Present(v)) {
          if (auto x = Integer(ctx, v, Join(tpath, key))) *out = *x;
        }
      };
      tok("input", &s->tokens.input);
      tok("output", &s->tokens.output);
      tok("total", &s->tokens.total);
      if (s->tokens.total == 0) s->tokens.total = s->tokens.input + s->tokens.output;
      s->tokens.present = true;
    }
  }
  auto content = [&](const char* key, std::string_view field) {
    if (YAML::Node v = Get(n, key); Present(v)) {
      if (auto x = String(ctx, v, Join(path, key))) s->content.push_back(TextField(field, *x));
    }
  };
  content("system", model::content_name::kSystem);
  content("input", model::content_name::kInput);
  content("query", model::content_name::kQuery);
  content("arguments", model::content_name::kToolArguments);
  content("result", model::content_name::kToolResult);
  content("output", model::content_name::kOutput);
  if (YAML::Node v = Get(n, "documents"); Present(v)) {
    auto docs = StringList(ctx, v, Join(path, "documents"));
    if (!docs.empty()) {
      model::ContentField f;
      f.name = std::string(model::content_name::kDocuments);
      f.is_list = true;
      f.mime = "application/json";
      for (size_t i = 0; i < docs.size(); ++i) {
        f.parts.push_back(Json{{"id", fmt::format("doc{}", i + 1)}, {"content", docs[i]}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
      }
      s->content.push_back(std::move(f));
    }
  }
  if (YAML::Node a = Get(n, "attributes"); Present(a)) {
    Json attrs;
    if (ToJson(ctx, a, Join(path, "attributes"), 0, &attrs)) {
      if (!attrs.is_object()) {
        ctx.Error(a, Join(path, "attributes"), "expected a mapping");
      } else {
        s->attributes_json = attrs.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      }
    }
  }
  if (YAML::Node f = Get(n, "failure"); Present(f)) {
    const std::string fpath = Join(path, "failure");
    if (CheckMap(ctx, f, fpath, {"type", "code", "message", "recovered"})) {
      model::Failure fail;
      fail.type = FailureTypeFor(s->type).value_or(model::FailureType::kUnknown);
      fail.code = std::string(model::failure_code::kError);
      if (YAML::Node v = Get(f, "type"); Present(v)) {
        if (auto x = String(ctx, v, Join(fpath, "type"))) {
          if (auto ft = model::ParseFailureType(*x)) {
            fail.type = *ft;
          } else {
            ctx.Error(v, Join(fpath, "type"), fmt::format("unknown failure type \"{}\"", *x));
          }
        }
      }
      if (YAML::Node v = Get(f, "code"); Present(v)) {
        if (auto x = String(ctx, v, Join(fpath, "code"))) fail.code = *x;
      }
      if (YAML::Node v = Get(f, "message"); Present(v)) {
        if (auto x = String(ctx, v, Join(fpath, "message"))) fail.message = *x;
      }
      if (YAML::Node v = Get(f, "recovered"); Present(v)) {
        if (auto x = String(ctx, v, Join(fpath, "recovered"))) fail.recovered = (*x == "true");
      }
      fail.source = model::FailureSource::kSdk;
      s->failure = std::move(fail);
      if (s->status == model::StepStatus::kUnset) s->status = model::StepStatus::kError;
    }
  } else if (s->status == model::StepStatus::kError) {
    model::Failure fail;
    fail.type = FailureTypeFor(s->type).value_or(model::FailureType::kUnknown);
    fail.code = std::string(model::failure_code::kError);
    s->failure = std::move(fail);
  }
  return true;
}

std::shared_ptr<RunView> ParseExampleRun(Ctx& ctx, const YAML::Node& n, const std::string& path) {
  if (!CheckMap(ctx, n, path, {"name", "agent", "version", "environment", "status", "tags", "steps"})) {
    return nullptr;
  }
  auto view = std::make_shared<RunView>();
  const std::string run_id = "0000000000000000000000000000e0e0";
  std::string name, agent, version, environment, status;
  auto str = [&](const char* key, std::string* out) {
    if (YAML::Node v = Get(n, key); Present(v)) {
      if (auto x = String(ctx, v, Join(path, key))) *out = *x;
    }
  };
  str("name", &name);
  str("agent", &agent);
  str("version", &version);
  str("environment", &environment);
  str("status", &status);
  std::vector<std::string> tags;
  if (YAML::Node v = Get(n, "tags"); Present(v)) tags = StringList(ctx, v, Join(path, "tags"));
  YAML::Node steps = Get(n, "steps");
  const std::string spath = Join(path, "steps");
  if (!Present(steps) || !steps.IsSequence() || steps.size() == 0) {
    ctx.Error(Present(steps) ? steps : n, spath, "required: a non-empty list of steps");
    return nullptr;
  }
  // Times: the first step (the root unless parents say otherwise) starts the run; the others
  // follow one after the other, 1 ms apart.
  constexpr int64_t kBase = 1'700'000'000'000'000'000;
  constexpr int64_t kMs = 1'000'000;
  int64_t cursor = kBase + kMs;
  std::set<std::string> ids;
  bool root_duration_given = false;
  for (size_t i = 0; i < steps.size() && !ctx.blown(); ++i) {
    model::Step s;
    int64_t duration = -1;
    int64_t repeat = 1;
    if (!ParseExampleStep(ctx, steps[i], Index(spath, i), &s, &duration, &repeat)) continue;
    for (int64_t r = 0; r < repeat; ++r) {
      if (view->steps.size() >= static_cast<size_t>(kMaxExampleSteps)) {
        ctx.Error(steps[i], spath, fmt::format("more than {} steps", kMaxExampleSteps));
        return nullptr;
      }
      model::Step c = s;
      const size_t k = view->steps.size();
      if (c.step_id.empty() || r > 0) c.step_id = fmt::format("{:016x}", k + 1);
      if (!ids.insert(c.step_id).second) {
        ctx.Error(steps[i], Join(Index(spath, i), "id"), fmt::format("duplicate step id \"{}\"", c.step_id));
      }
      c.run_id = run_id;
      if (k == 0) {
        c.start_ns = kBase;
        c.end_ns = kBase + (duration >= 0 ? duration : 10) * kMs;
        root_duration_given = duration >= 0;
      } else {
        if (c.parent_id.empty() && Get(steps[i], "parent").IsDefined() == false) {
          c.parent_id = view->steps.front().step_id;
        }
        c.start_ns = cursor;
        c.end_ns = cursor + (duration >= 0 ? duration : 10) * kMs;
        cursor = c.end_ns + kMs;
      }
      view->steps.push_back(std::move(c));
    }
  }
  if (view->steps.empty()) return nullptr;
  model::Step& root = view->steps.front();
  if (!root_duration_given) root.end_ns = std::max(root.end_ns, cursor);
  root.hints.name = name;
  root.hints.agent_id = agent;
  root.hints.agent_version = version;
  root.hints.environment = environment;
  root.hints.tags = tags;
  for (const auto& s : view->steps) {
    if (!s.parent_id.empty() && !ids.count(s.parent_id)) {
      ctx.Error(steps, spath, fmt::format("step \"{}\" has unknown parent \"{}\"", s.step_id, s.parent_id));
    }
  }
  std::vector<model::StepDigest> digests;
  digests.reserve(view->steps.size());
  for (const auto& s : view->steps) digests.push_back(model::DigestOf(s));
  model::RunSummary sum = model::SummarizeRun(run_id, digests);
  // Apply what the summarizer inferred, as the store does: retry links and recovered flags.
  std::map<std::string, const model::RetryLink*> retries;
  for (const auto& r : sum.retries) retries[r.step_id] = &r;
  std::map<std::string, const model::Failure*> failures;
  for (const auto& f : sum.failures) failures[f.step_id] = &f;
  for (auto& s : view->steps) {
    if (auto it = retries.find(s.step_id); it != retries.end()) {
      if (s.attempt == 0) s.attempt = it->second->attempt;
      if (s.retry_of.empty()) s.retry_of = it->second->retry_of;
    }
    if (auto it = failures.find(s.step_id); it != failures.end() && s.failure) {
      s.failure->recovered = s.failure->recovered || it->second->recovered;
    }
    if (s.failure) s.failure->step_id = s.step_id;
  }
  for (const auto& l : sum.inherited_agents) {
    for (auto& s : view->steps) {
      if (s.step_id == l.step_id && s.agent.empty()) s.agent = l.agent;
    }
  }
  view->run = std::move(sum.run);
  view->run.run_id = run_id;
  if (!status.empty()) {
    if (auto rs = model::ParseRunStatus(status)) {
      view->run.status = *rs;
    } else {
      ctx.Error(Get(n, "status"), Join(path, "status"), fmt::format("unknown run status \"{}\"", status));
    }
  }
  view->agents = std::move(sum.agents);
  view->messages = std::move(sum.messages);
  view->failures = std::move(sum.failures);
  return view;
}

// ---------------------------------------------------------------------------------------------
// Document

bool IsSemver(const std::string& v) {
  static const RE2 kSemver(
      R"(^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$)");
  return RE2::FullMatch(v, kSemver);
}

bool IsModeId(const std::string& id) {
  static const RE2 kId("^[a-z0-9][a-z0-9-]*$");
  return id.size() <= 128 && RE2::FullMatch(id, kId);
}

struct ParsedDoc {
  Rubric rubric;
  struct Import {
    std::string target;
    int line = 0;
    std::string path;
  };
  std::vector<Import> imports;
  bool has_modes_key = false;
};

void ParseMode(Ctx& ctx, const YAML::Node& n, const std::string& path, Mode* m) {
  if (!CheckMap(ctx, n, path, {"id", "name", "description", "severity", "detection", "examples"})) return;
  if (auto id = RequiredString(ctx, n, "id", path)) {
    m->id = *id;
    if (!IsModeId(m->id)) {
      ctx.Error(Get(n, "id"), Join(path, "id"),
                fmt::format("invalid mode id \"{}\" (must match ^[a-z0-9][a-z0-9-]*$)", m->id));
    }
  }
  if (YAML::Node v = Get(n, "name"); Present(v)) {
    if (auto s = String(ctx, v, Join(path, "name"))) m->name = *s;
  }
  if (YAML::Node v = Get(n, "description"); Present(v)) {
    if (auto s = String(ctx, v, Join(path, "description"))) m->description = *s;
  }
  if (auto sev = RequiredString(ctx, n, "severity", path)) {
    if (auto s = ParseSeverity(*sev)) {
      m->severity = *s;
    } else {
      ctx.Error(Get(n, "severity"), Join(path, "severity"),
                fmt::format("unknown severity \"{}\" (critical, high, medium, low)", *sev));
    }
  }
  YAML::Node det = Get(n, "detection");
  if (!Present(det)) {
    ctx.Error(n, Join(path, "detection"), "required");
  } else {
    ParseDetection(ctx, det, Join(path, "detection"), 0, m->id, &m->detection);
  }
  if (YAML::Node ex = Get(n, "examples"); Present(ex)) {
    const std::string epath = Join(path, "examples");
    if (!ctx.Visit(ex) || !ex.IsSequence()) {
      ctx.Error(ex, epath, "expected a list");
      return;
    }
    for (size_t i = 0; i < ex.size() && !ctx.blown(); ++i) {
      const YAML::Node e = ex[i];
      const std::string p = Index(epath, i);
      if (!CheckMap(ctx, e, p, {"trace_excerpt", "context", "expected", "run"})) continue;
      Example example;
      example.line = LineOf(e);
      if (YAML::Node v = Get(e, "trace_excerpt"); Present(v)) {
        if (auto s = String(ctx, v, Join(p, "trace_excerpt"))) example.trace_excerpt = *s;
      }
      if (YAML::Node v = Get(e, "context"); Present(v)) {
        if (auto s = String(ctx, v, Join(p, "context"))) example.context = *s;
      }
      if (auto exp = RequiredString(ctx, e, "expected", p)) {
        if (*exp == "positive") {
          example.expected_positive = true;
        } else if (*exp != "negative") {
          ctx.Error(Get(e, "expected"), Join(p, "expected"),
                    fmt::format("expected must be positive or negative, got \"{}\"", *exp));
        }
      }
      if (YAML::Node r = Get(e, "run"); Present(r)) example.run = ParseExampleRun(ctx, r, Join(p, "run"));
      if (example.trace_excerpt.empty() && !Present(Get(e, "run"))) {
        ctx.Error(e, p, "needs trace_excerpt or run");
      }
      m->examples.push_back(std::move(example));
    }
  }
}

void ParseDocument(Ctx& ctx, const YAML::Node& root, ParsedDoc* doc) {
  Rubric& r = doc->rubric;
  if (!CheckMap(ctx, root, "", {"apiVersion", "kind", "metadata", "imports", "modes", "clustering", "triage"})) {
    return;
  }
  if (auto api = RequiredString(ctx, root, "apiVersion", "")) {
    if (*api != kTraceryApi && *api != kDocketApi) {
      ctx.Error(Get(root, "apiVersion"), "apiVersion",
                fmt::format("unsupported apiVersion \"{}\" (supported: {}, {})", *api, kTraceryApi, kDocketApi));
    }
    r.api_version = *api;
  }
  if (auto kind = RequiredString(ctx, root, "kind", "")) {
    if (*kind != "Rubric") ctx.Error(Get(root, "kind"), "kind", fmt::format("must be Rubric, got \"{}\"", *kind));
  }
  YAML::Node meta = Get(root, "metadata");
  if (!Present(meta)) {
    ctx.Error(root, "metadata", "required");
  } else if (CheckMap(ctx, meta, "metadata", {"name", "version", "authors", "description"})) {
    if (auto name = RequiredString(ctx, meta, "name", "metadata")) r.name = *name;
    if (auto ver = RequiredString(ctx, meta, "version", "metadata")) {
      r.version = *ver;
      if (!IsSemver(r.version)) {
        ctx.Error(Get(meta, "version"), "metadata.version",
                  fmt::format("\"{}\" is not a semantic version (MAJOR.MINOR.PATCH)", r.version));
      }
    }
    if (YAML::Node a = Get(meta, "authors"); Present(a)) r.authors = StringList(ctx, a, "metadata.authors");
    if (YAML::Node d = Get(meta, "description"); Present(d)) {
      if (auto s = String(ctx, d, "metadata.description")) r.description = *s;
    }
  }
  if (YAML::Node imp = Get(root, "imports"); Present(imp)) {
    if (!ctx.Visit(imp) || !imp.IsSequence()) {
      ctx.Error(imp, "imports", "expected a list of file:// or built-in URIs");
    } else {
      for (size_t i = 0; i < imp.size(); ++i) {
        if (auto s = String(ctx, imp[i], Index("imports", i))) {
          doc->imports.push_back({*s, LineOf(imp[i]), Index("imports", i)});
          r.imports.push_back(*s);
        }
      }
    }
  }
  if (YAML::Node modes = Get(root, "modes"); Present(modes)) {
    doc->has_modes_key = true;
    if (!ctx.Visit(modes) || !modes.IsSequence()) {
      ctx.Error(modes, "modes", "expected a list of modes");
    } else {
      std::map<std::string, size_t> seen;
      for (size_t i = 0; i < modes.size() && !ctx.blown(); ++i) {
        Mode m;
        ParseMode(ctx, modes[i], Index("modes", i), &m);
        if (!m.id.empty()) {
          auto [it, fresh] = seen.emplace(m.id, i);
          if (!fresh) {
            ctx.Error(Get(modes[i], "id"), Index("modes", i) + ".id",
                      fmt::format("duplicate mode id \"{}\" (also modes[{}])", m.id, it->second));
          }
        }
        m.source = r.origin;
        r.modes.push_back(std::move(m));
      }
    }
  }
  if (YAML::Node c = Get(root, "clustering"); Present(c)) {
    if (CheckMap(ctx, c, "clustering", {"strategy", "embedding_model", "similarity_threshold", "min_cluster_size"})) {
      if (YAML::Node v = Get(c, "strategy"); Present(v)) {
        if (auto s = String(ctx, v, "clustering.strategy")) {
          if (*s != "per_mode_embedding" && *s != "mode-only") {
            ctx.Error(v, "clustering.strategy",
                      fmt::format("unknown strategy \"{}\" (per_mode_embedding, mode-only)", *s));
          }
          r.clustering.strategy = *s;
        }
      }
      if (YAML::Node v = Get(c, "embedding_model"); Present(v)) {
        if (auto s = String(ctx, v, "clustering.embedding_model")) r.embedding_model = *s;
      }
      if (YAML::Node v = Get(c, "similarity_threshold"); Present(v)) {
        if (auto x = Number(ctx, v, "clustering.similarity_threshold")) {
          if (*x < 0 || *x > 1) ctx.Error(v, "clustering.similarity_threshold", "must be between 0 and 1");
          r.clustering.similarity_threshold = *x;
        }
      }
      if (YAML::Node v = Get(c, "min_cluster_size"); Present(v)) {
        if (auto x = Integer(ctx, v, "clustering.min_cluster_size")) {
          if (*x < 2 || *x > 1000000) ctx.Error(v, "clustering.min_cluster_size", "must be at least 2");
          r.clustering.min_cluster_size = static_cast<int>(std::clamp<int64_t>(*x, 2, 1000000));
        }
      }
    }
  }
  if (YAML::Node t = Get(root, "triage"); Present(t)) {
    if (CheckMap(ctx, t, "triage", {"auto_post_threshold", "default_severity_to_tracker"})) {
      if (YAML::Node v = Get(t, "auto_post_threshold"); Present(v)) {
        if (auto s = String(ctx, v, "triage.auto_post_threshold")) {
          if (*s != "never" && !ParseSeverity(*s)) {
            ctx.Error(v, "triage.auto_post_threshold",
                      fmt::format("unknown threshold \"{}\" (never, low, medium, high, critical)", *s));
          }
          r.triage.auto_post_threshold = *s;
        }
      }
      if (YAML::Node m = Get(t, "default_severity_to_tracker"); Present(m)) {
        if (CheckMap(ctx, m, "triage.default_severity_to_tracker", {"critical", "high", "medium", "low"})) {
          for (auto it = m.begin(); it != m.end(); ++it) {
            const std::string key = it->first.Scalar();
            if (auto s = String(ctx, it->second, Join("triage.default_severity_to_tracker", key))) {
              r.triage.severity_to_priority[key] = *s;
            }
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Loading and imports

struct Source {
  std::string text;
  std::string origin;   // what the rubric's `origin` and modes' `source` say
  std::string display;  // short name for cycle paths
  std::string key;      // identity for cycle detection
  std::string dir;      // base for relative imports ("" for built-ins)
};

Result<std::string> ReadCapped(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    return NotFoundError(fmt::format("cannot read rubric \"{}\": no such file", path));
  }
  const auto size = fs::file_size(path, ec);
  if (ec) return NotFoundError(fmt::format("cannot read rubric \"{}\": {}", path, ec.message()));
  if (size > kMaxRubricBytes) {
    return InvalidArgumentError(
        fmt::format("rubric \"{}\" is too large ({} bytes, limit {})", path, size, kMaxRubricBytes));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError(fmt::format("cannot read rubric \"{}\"", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<Source> BuiltinSource(const std::string& name) {
  auto text = BuiltinRubricYaml(name);
  if (!text) {
    return NotFoundError(fmt::format("unknown built-in rubric \"{}\" (known: {})", name,
                                     fmt::join(BuiltinRubricNames(), ", ")));
  }
  Source s;
  s.text = std::string(*text);
  s.origin = fmt::format("tracery.dev/builtin/{}/v1", name);
  s.display = s.origin;
  s.key = s.origin;
  return s;
}

Result<Source> FileSource(const std::string& path) {
  TRACERY_ASSIGN_OR_RETURN(std::string text, ReadCapped(path));
  Source s;
  s.text = std::move(text);
  s.origin = path;
  std::error_code ec;
  fs::path abs = fs::weakly_canonical(fs::absolute(path, ec), ec);
  s.key = abs.string();
  s.display = fs::path(path).filename().string();
  s.dir = abs.parent_path().string();
  return s;
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

class Loader {
 public:
  Result<Rubric> Load(const Source& src, int depth) {
    if (depth > kMaxImportDepth) {
      return InvalidArgumentError(fmt::format("{}: imports nested deeper than {} levels", src.display, kMaxImportDepth));
    }
    Ctx ctx(src.origin);
    if (src.text.size() > kMaxRubricBytes) {
      return InvalidArgumentError(fmt::format("{}: rubric too large ({} bytes, limit {})", src.origin,
                                              src.text.size(), kMaxRubricBytes));
    }
    ParsedDoc doc;
    doc.rubric.origin = src.origin;
    try {
      YAML::Node root = YAML::Load(src.text);
      if (!root.IsDefined() || root.IsNull()) {
        return InvalidArgumentError(fmt::format("{}:1: empty document", src.origin));
      }
      ParseDocument(ctx, root, &doc);
    } catch (const YAML::Exception& e) {
      return InvalidArgumentError(fmt::format("{}:{}: invalid YAML: {}", src.origin,
                                              e.mark.line >= 0 ? e.mark.line + 1 : 0, e.msg));
    } catch (const std::exception& e) {
      return InvalidArgumentError(fmt::format("{}: invalid YAML: {}", src.origin, e.what()));
    }
    if (doc.imports.empty() && doc.rubric.modes.empty() && ctx.ok()) {
      ctx.Error(1, "modes", "a rubric needs at least one mode or one import");
    }
    if (!ctx.ok()) return InvalidArgumentError(fmt::format("{}", fmt::join(ctx.errors(), "\n")));

    // Imports: depth first, left to right; later ones override earlier ones by id, and the
    // importer's own modes override everything.
    stack_.push_back(&src);
    std::vector<Mode> merged;
    std::map<std::string, size_t> index;
    auto merge = [&](Mode m) {
      if (auto it = index.find(m.id); it != index.end()) {
        merged[it->second] = std::move(m);
      } else {
        index[m.id] = merged.size();
        merged.push_back(std::move(m));
      }
    };
    for (const auto& imp : doc.imports) {
      auto where = [&](const std::string& msg) {
        return fmt::format("{}:{}: {}: {}", src.origin, imp.line, imp.path, msg);
      };
      Result<Source> target = Resolve(src, imp.target, where);
      if (!target.ok()) {
        stack_.pop_back();
        return target.status();
      }
      for (const Source* s : stack_) {
        if (s->key == target->key) {
          std::vector<std::string> chain;
          bool on = false;
          for (const Source* t : stack_) {
            if (t->key == target->key) on = true;
            if (on) chain.push_back(t->display);
          }
          chain.push_back(target->display);
          stack_.pop_back();
          return InvalidArgumentError(where(fmt::format("import cycle: {}", fmt::join(chain, " -> "))));
        }
      }
      Result<Rubric> sub = Load(*target, depth + 1);
      if (!sub.ok()) {
        stack_.pop_back();
        return sub.status().WithContext(where(fmt::format("in import \"{}\"", imp.target)));
      }
      for (auto& m : sub->modes) merge(std::move(m));
    }
    stack_.pop_back();
    for (auto& m : doc.rubric.modes) merge(std::move(m));
    doc.rubric.modes = std::move(merged);
    return std::move(doc.rubric);
  }

 private:
  template <typename Where>
  Result<Source> Resolve(const Source& from, const std::string& target, Where where) {
    if (StartsWith(target, "https://") || StartsWith(target, "http://")) {
      return InvalidArgumentError(where(fmt::format(
          "\"{}\": https:// imports are not supported; vendor the file and import it with file://", target)));
    }
    if (StartsWith(target, "registry://")) {
      return InvalidArgumentError(where(fmt::format(
          "\"{}\": registry:// imports are not supported; use file:// or a built-in URI", target)));
    }
    if (StartsWith(target, "file://")) {
      std::string p = target.substr(7);
      if (p.empty()) return InvalidArgumentError(where("empty file:// import"));
      fs::path path(p);
      if (path.is_relative()) {
        if (from.dir.empty()) {
          return InvalidArgumentError(where(fmt::format("\"{}\": a built-in rubric cannot import relative files", target)));
        }
        path = fs::path(from.dir) / path;
      }
      Result<Source> s = FileSource(path.lexically_normal().string());
      if (!s.ok()) return Status(s.status().code(), where(s.status().message()));
      s->display = fs::path(p).filename().string();
      return s;
    }
    if (auto name = BuiltinNameFromUri(target)) return BuiltinSource(*name);
    return InvalidArgumentError(where(fmt::format(
        "unsupported import \"{}\" (use file://PATH or tracery.dev/builtin/<name>/v1; built-ins: {})", target,
        fmt::join(BuiltinRubricNames(), ", "))));
  }

  std::vector<const Source*> stack_;
};

}  // namespace

std::optional<std::string> BuiltinNameFromUri(std::string_view uri) {
  std::string_view rest = uri;
  for (std::string_view prefix : {"tracery.dev/builtin/", "docket.dev/builtin/"}) {
    if (StartsWith(rest, prefix)) {
      rest.remove_prefix(prefix.size());
      break;
    }
  }
  if (rest.size() < 4 || rest.substr(rest.size() - 3) != "/v1") return std::nullopt;
  std::string name(rest.substr(0, rest.size() - 3));
  if (!BuiltinRubricYaml(name)) return std::nullopt;
  return name;
}

Result<Rubric> ParseRubric(const std::string& yaml_text, const std::string& origin) {
  Source src;
  src.text = yaml_text;
  src.origin = origin;
  std::error_code ec;
  if (auto name = BuiltinNameFromUri(origin)) {
    src.key = fmt::format("tracery.dev/builtin/{}/v1", *name);
    src.display = src.key;
  } else {
    fs::path abs = fs::weakly_canonical(fs::absolute(origin.empty() ? "rubric.yaml" : origin, ec), ec);
    src.key = abs.string();
    src.display = fs::path(origin).filename().string();
    src.dir = abs.parent_path().string();
  }
  Loader loader;
  return loader.Load(src, 0);
}

Result<Rubric> LoadRubric(const std::string& path_or_uri) {
  Result<Source> src = InvalidArgumentError("empty rubric path");
  if (path_or_uri.empty()) return src.status();
  if (StartsWith(path_or_uri, "https://") || StartsWith(path_or_uri, "http://") ||
      StartsWith(path_or_uri, "registry://")) {
    return InvalidArgumentError(fmt::format(
        "cannot load \"{}\": only file paths, file:// and built-in URIs are supported", path_or_uri));
  }
  std::error_code ec;
  if (StartsWith(path_or_uri, "file://")) {
    src = FileSource(path_or_uri.substr(7));
  } else if (StartsWith(path_or_uri, "tracery.dev/builtin/") || StartsWith(path_or_uri, "docket.dev/builtin/")) {
    auto name = BuiltinNameFromUri(path_or_uri);
    if (!name) {
      return NotFoundError(fmt::format("unknown built-in rubric \"{}\" (known: {})", path_or_uri,
                                       fmt::join(BuiltinRubricNames(), ", ")));
    }
    src = BuiltinSource(*name);
  } else if (auto name = BuiltinNameFromUri(path_or_uri); name && !fs::exists(path_or_uri, ec)) {
    src = BuiltinSource(*name);
  } else {
    src = FileSource(path_or_uri);
  }
  if (!src.ok()) return src.status();
  Loader loader;
  return loader.Load(*src, 0);
}

}  // namespace tracery::triage
