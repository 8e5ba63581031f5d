#include "query/json_convert.h"

#include "query/time_util.h"

namespace tracery::query {
namespace {

constexpr int kMaxEmbeddedDepth = 64;

// Max nesting of brackets outside strings; stops counting past the limit.
int NestingDepth(std::string_view text) {
  int depth = 0;
  int max_depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      max_depth = std::max(max_depth, ++depth);
      if (max_depth > kMaxEmbeddedDepth) return max_depth;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return max_depth;
}

double DurationMs(int64_t start_ns, int64_t end_ns) { return static_cast<double>(end_ns - start_ns) / 1e6; }

bool IsJsonMime(std::string_view mime) {
  return mime == "application/json" || (mime.size() > 5 && mime.substr(mime.size() - 5) == "+json");
}

}  // namespace

std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

Json TimeOrNull(int64_t ns) { return ns == 0 ? Json(nullptr) : Json(FormatTimeNs(ns)); }
Json NanosOrNull(int64_t ns) { return ns == 0 ? Json(nullptr) : Json(std::to_string(ns)); }

Json EmbeddedJson(std::string_view text, Json empty) {
  if (text.empty()) return empty;
  if (NestingDepth(text) > kMaxEmbeddedDepth) return Json(std::string(text));
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Json(std::string(text));
  return j;
}

Json TokensJson(const model::TokenUsage& t) {
  return Json{{"input", t.input},           {"output", t.output},           {"total", t.total},
              {"cache_read", t.cache_read}, {"cache_write", t.cache_write}, {"reasoning", t.reasoning}};
}

Json FailureJson(const model::Failure& f) {
  return Json{{"type", model::ToString(f.type)},
              {"code", f.code},
              {"message", f.message},
              {"step_id", f.step_id},
              {"source", model::ToString(f.source)},
              {"error_type", f.error_type},
              {"recovered", f.recovered},
              {"time", TimeOrNull(f.time_ns)}};
}

Json RunToJson(const model::Run& run) {
  const bool ended = run.status != model::RunStatus::kRunning && run.end_ns != 0;
  Json j;
  j["run_id"] = run.run_id;
  j["name"] = run.name;
  j["agent_id"] = run.agent_id;
  j["agent_version"] = run.agent_version;
  j["environment"] = run.environment;
  j["session_id"] = run.session_id;
  j["user_id"] = run.user_id;
  j["service_name"] = run.service_name;
  j["start_time"] = TimeOrNull(run.start_ns);
  j["start_unix_nano"] = NanosOrNull(run.start_ns);
  j["end_time"] = ended ? TimeOrNull(run.end_ns) : Json(nullptr);
  j["end_unix_nano"] = ended ? NanosOrNull(run.end_ns) : Json(nullptr);
  j["duration_ms"] = ended ? Json(DurationMs(run.start_ns, run.end_ns)) : Json(nullptr);
  j["status"] = model::ToString(run.status);
  j["failure"] = run.failure ? FailureJson(*run.failure) : Json(nullptr);
  j["step_count"] = run.step_count;
  j["llm_count"] = run.llm_count;
  j["tool_count"] = run.tool_count;
  j["retry_count"] = run.retry_count;
  j["error_count"] = run.error_count;
  j["agent_count"] = run.agent_count;
  j["tokens"] = TokensJson(run.tokens);
  j["cost_usd"] = run.cost_usd;
  j["models"] = run.models;
  j["tags"] = run.tags;
  Json metadata = EmbeddedJson(run.metadata_json, Json::object());
  j["metadata"] = metadata.is_object() ? std::move(metadata) : Json::object();
  j["updated_time"] = TimeOrNull(run.updated_ns);
  j["updated_unix_nano"] = NanosOrNull(run.updated_ns);
  return j;
}

namespace {

void WriteTime(JsonWriter& w, std::string_view key, int64_t ns) {
  w.Key(key);
  if (ns == 0) {
    w.Null();
  } else {
    w.String(FormatTimeNs(ns));
  }
}

void WriteNanos(JsonWriter& w, std::string_view key, int64_t ns) {
  w.Key(key);
  if (ns == 0) {
    w.Null();
  } else {
    w.String(std::to_string(ns));
  }
}

void WriteTokens(JsonWriter& w, const model::TokenUsage& t) {
  w.BeginObject();
  w.Key("input"); w.Int(t.input);
  w.Key("output"); w.Int(t.output);
  w.Key("total"); w.Int(t.total);
  w.Key("cache_read"); w.Int(t.cache_read);
  w.Key("cache_write"); w.Int(t.cache_write);
  w.Key("reasoning"); w.Int(t.reasoning);
  w.EndObject();
}

void WriteStrings(JsonWriter& w, const std::vector<std::string>& v) {
  w.BeginArray();
  for (const auto& s : v) w.String(s);
  w.EndArray();
}

}  // namespace

void WriteRun(JsonWriter& w, const model::Run& run) {
  const bool ended = run.status != model::RunStatus::kRunning && run.end_ns != 0;
  w.BeginObject();
  w.Key("run_id"); w.String(run.run_id);
  w.Key("name"); w.String(run.name);
  w.Key("agent_id"); w.String(run.agent_id);
  w.Key("agent_version"); w.String(run.agent_version);
  w.Key("environment"); w.String(run.environment);
  w.Key("session_id"); w.String(run.session_id);
  w.Key("user_id"); w.String(run.user_id);
  w.Key("service_name"); w.String(run.service_name);
  WriteTime(w, "start_time", run.start_ns);
  WriteNanos(w, "start_unix_nano", run.start_ns);
  WriteTime(w, "end_time", ended ? run.end_ns : 0);
  WriteNanos(w, "end_unix_nano", ended ? run.end_ns : 0);
  w.Key("duration_ms");
  if (ended) {
    w.Double(DurationMs(run.start_ns, run.end_ns));
  } else {
    w.Null();
  }
  w.Key("status"); w.String(model::ToString(run.status));
  w.Key("failure");
  if (run.failure) {
    const model::Failure& f = *run.failure;
    w.BeginObject();
    w.Key("type"); w.String(model::ToString(f.type));
    w.Key("code"); w.String(f.code);
    w.Key("message"); w.String(f.message);
    w.Key("step_id"); w.String(f.step_id);
    w.Key("source"); w.String(model::ToString(f.source));
    w.Key("error_type"); w.String(f.error_type);
    w.Key("recovered"); w.Bool(f.recovered);
    WriteTime(w, "time", f.time_ns);
    w.EndObject();
  } else {
    w.Null();
  }
  w.Key("step_count"); w.Int(run.step_count);
  w.Key("llm_count"); w.Int(run.llm_count);
  w.Key("tool_count"); w.Int(run.tool_count);
  w.Key("retry_count"); w.Int(run.retry_count);
  w.Key("error_count"); w.Int(run.error_count);
  w.Key("agent_count"); w.Int(run.agent_count);
  w.Key("tokens"); WriteTokens(w, run.tokens);
  w.Key("cost_usd"); w.Double(run.cost_usd);
  w.Key("models"); WriteStrings(w, run.models);
  w.Key("tags"); WriteStrings(w, run.tags);
  w.Key("metadata");
  if (run.metadata_json.empty() || run.metadata_json == "{}") {
    w.Raw("{}");
  } else {
    Json metadata = EmbeddedJson(run.metadata_json, Json::object());
    w.Raw(metadata.is_object() ? Dump(metadata) : "{}");
  }
  WriteTime(w, "updated_time", run.updated_ns);
  WriteNanos(w, "updated_unix_nano", run.updated_ns);
  w.EndObject();
}

Json StepToJson(const store::StoredStep& stored, int64_t run_start_ns) {
  const model::Step& s = stored.step;
  Json j;
  j["seq"] = stored.seq;
  j["step_id"] = s.step_id;
  j["parent_id"] = s.parent_id;
  j["name"] = s.name;
  j["type"] = model::ToString(s.type);
  j["agent"] = s.agent;
  j["start_time"] = TimeOrNull(s.start_ns);
  j["start_unix_nano"] = NanosOrNull(s.start_ns);
  j["end_time"] = TimeOrNull(s.end_ns);
  j["end_unix_nano"] = NanosOrNull(s.end_ns);
  j["duration_ms"] = s.end_ns != 0 ? Json(DurationMs(s.start_ns, s.end_ns)) : Json(nullptr);
  j["offset_ms"] = DurationMs(run_start_ns, s.start_ns);
  j["status"] = model::ToString(s.status);
  j["status_message"] = s.status_message;
  j["model"] = s.model;
  j["provider"] = s.provider;
  j["tool_name"] = s.tool_name;
  j["finish_reason"] = s.finish_reason;
  j["tokens"] = TokensJson(s.tokens);
  j["cost_usd"] = s.cost_usd;
  j["cost_explicit"] = s.cost_explicit;
  j["attempt"] = s.attempt;
  j["retry_of"] = s.retry_of;
  j["handoff_to"] = s.handoff_to;
  j["handoff_from"] = s.handoff_from;
  j["linked_steps"] = s.linked_steps;
  j["attributes"] = EmbeddedJson(s.attributes_json, Json::object());
  Json events = Json::array();
  for (const auto& e : s.events) {
    events.push_back(Json{{"name", e.name},
                          {"time", TimeOrNull(e.time_ns)},
                          {"time_unix_nano", NanosOrNull(e.time_ns)},
                          {"attributes", EmbeddedJson(e.attributes_json, Json::object())},
                          {"body", EmbeddedJson(e.body_json, Json(nullptr))}});
  }
  j["events"] = std::move(events);
  j["failure"] = s.failure ? FailureJson(*s.failure) : Json(nullptr);
  Json content = Json::array();
  for (const auto& c : stored.content_info) {
    content.push_back(Json{{"name", c.name}, {"bytes", c.bytes}, {"parts", c.parts}});
  }
  j["content"] = std::move(content);
  return j;
}

Json AgentToJson(const model::Agent& a) {
  return Json{{"name", a.name},
              {"step_count", a.step_count},
              {"llm_count", a.llm_count},
              {"tool_count", a.tool_count},
              {"error_count", a.error_count},
              {"tokens", TokensJson(a.tokens)},
              {"cost_usd", a.cost_usd},
              {"first_start_time", TimeOrNull(a.first_start_ns)}};
}

Json MessageToJson(const model::Message& m) {
  return Json{{"from_agent", m.from_agent},
              {"to_agent", m.to_agent},
              {"kind", m.kind},
              {"step_id", m.step_id},
              {"time", TimeOrNull(m.time_ns)},
              {"time_unix_nano", NanosOrNull(m.time_ns)}};
}

Json ContentToJson(const model::ContentField& c) {
  Json value;
  if (c.is_list) {
    value = Json::array();
    const bool json_parts = IsJsonMime(c.mime);
    for (const auto& part : c.parts) {
      value.push_back(json_parts ? EmbeddedJson(part, Json(nullptr)) : Json(part));
    }
  } else {
    std::string text;
    for (const auto& part : c.parts) text += part;
    value = std::move(text);
  }
  return Json{{"name", c.name}, {"mime", c.mime}, {"is_list", c.is_list}, {"value", std::move(value)}};
}

}  // namespace tracery::query
