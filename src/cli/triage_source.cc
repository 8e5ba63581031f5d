#include "cli/triage_source.h"

#include <fmt/format.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "cli/client.h"

namespace tracery::cli {

store::Annotation ToAnnotation(const triage::Classification& c) {
  store::Annotation a;
  a.run_id = c.run_id;
  a.rubric_name = c.rubric_name;
  a.rubric_version = c.rubric_version;
  a.mode_id = c.mode_id;
  a.severity = std::string(triage::ToString(c.severity));
  a.verdict = !c.error.empty() ? "error" : (c.positive ? "positive" : "negative");
  a.confidence = c.confidence;
  a.evidence_step_ids = c.evidence_step_ids;
  a.excerpt = c.excerpt;
  a.detector = c.detector;
  a.triage_run_id = c.triage_run_id;
  a.error = c.error;
  return a;
}

namespace {

store::RunFilter FilterFor(const triage::RunSelector& s) {
  store::RunFilter f;
  f.from_ns = s.from_ns;
  f.to_ns = s.to_ns;
  f.agent_ids = s.agent_ids;
  f.environments = s.environments;
  f.tags = s.tags;
  if (s.errors_only) f.statuses = {model::RunStatus::kFailed, model::RunStatus::kPartial};
  return f;
}

}  // namespace

Result<std::vector<model::Run>> StoreRunSource::ListRuns(const triage::RunSelector& selector) {
  store::RunFilter filter = FilterFor(selector);
  store::PageRequest page;
  page.limit = 1000;
  page.sort = store::RunSort::kStartAsc;
  std::vector<model::Run> out;
  while (true) {
    TRACERY_ASSIGN_OR_RETURN(store::RunPage p, store_->ListRuns(filter, page));
    for (model::Run& r : p.runs) out.push_back(std::move(r));
    if (p.next_cursor.empty()) break;
    page.cursor = p.next_cursor;
  }
  return out;
}

Result<triage::RunView> StoreRunSource::LoadRun(const std::string& run_id) {
  triage::RunView v;
  store::StepWindow window;
  window.limit = 10000;
  while (true) {
    TRACERY_ASSIGN_OR_RETURN(store::RunDetail d, store_->GetRun(run_id, window));
    if (window.offset == 0) {
      v.run = std::move(d.run);
      v.agents = std::move(d.agents);
      v.messages = std::move(d.messages);
      v.failures = std::move(d.failures);
    }
    for (store::StoredStep& s : d.steps) {
      if (!s.content_info.empty()) {
        TRACERY_ASSIGN_OR_RETURN(s.step.content, store_->GetStepContent(run_id, s.step.step_id));
      }
      v.steps.push_back(std::move(s.step));
    }
    window.offset += static_cast<int64_t>(d.steps.size());
    if (d.steps.empty() || window.offset >= d.total_steps) break;
  }
  return v;
}

Result<std::vector<std::string>> StoreRunSource::ClassifiedRuns(const std::string& rubric_name,
                                                                const std::string& rubric_version,
                                                                const std::vector<std::string>& run_ids) {
  return store_->ClassifiedRuns(rubric_name, rubric_version, run_ids);
}

Status StoreRunSource::WriteClassifications(const std::vector<triage::Classification>& items) {
  std::vector<store::Annotation> annotations;
  annotations.reserve(items.size());
  for (const auto& c : items) annotations.push_back(ToAnnotation(c));
  return store_->WriteAnnotations(annotations);
}

Result<std::optional<std::string>> StoreRunSource::GetState(const std::string& key) { return store_->GetState(key); }

Status StoreRunSource::SetState(const std::string& key, const std::string& value) {
  return store_->SetState(key, value);
}

}  // namespace tracery::cli

// ---- server mode ----

namespace tracery::cli {
namespace {

using nlohmann::json;

int64_t NanoField(const json& j, const char* key) {
  if (!j.contains(key)) return 0;
  const json& v = j[key];
  if (v.is_string()) return std::strtoll(v.get<std::string>().c_str(), nullptr, 10);
  if (v.is_number_integer()) return v.get<int64_t>();
  return 0;
}

std::string Str(const json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

int64_t Int(const json& j, const char* key) {
  return j.contains(key) && j[key].is_number_integer() ? j[key].get<int64_t>() : 0;
}

model::TokenUsage Tokens(const json& j) {
  model::TokenUsage t;
  if (!j.is_object()) return t;
  t.input = Int(j, "input");
  t.output = Int(j, "output");
  t.total = Int(j, "total");
  t.cache_read = Int(j, "cache_read");
  t.cache_write = Int(j, "cache_write");
  t.reasoning = Int(j, "reasoning");
  return t;
}

std::optional<model::Failure> FailureFrom(const json& j) {
  if (!j.is_object()) return std::nullopt;
  model::Failure f;
  f.type = model::ParseFailureType(Str(j, "type")).value_or(model::FailureType::kUnknown);
  f.code = Str(j, "code");
  f.message = Str(j, "message");
  f.step_id = Str(j, "step_id");
  f.source = model::ParseFailureSource(Str(j, "source")).value_or(model::FailureSource::kSpanStatus);
  f.error_type = Str(j, "error_type");
  f.recovered = j.value("recovered", false);
  return f;
}

model::Run RunFrom(const json& j) {
  model::Run r;
  r.run_id = Str(j, "run_id");
  r.name = Str(j, "name");
  r.agent_id = Str(j, "agent_id");
  r.agent_version = Str(j, "agent_version");
  r.environment = Str(j, "environment");
  r.session_id = Str(j, "session_id");
  r.user_id = Str(j, "user_id");
  r.service_name = Str(j, "service_name");
  r.start_ns = NanoField(j, "start_unix_nano");
  r.end_ns = NanoField(j, "end_unix_nano");
  r.status = model::ParseRunStatus(Str(j, "status")).value_or(model::RunStatus::kRunning);
  if (j.contains("failure")) r.failure = FailureFrom(j["failure"]);
  r.step_count = Int(j, "step_count");
  r.llm_count = Int(j, "llm_count");
  r.tool_count = Int(j, "tool_count");
  r.retry_count = Int(j, "retry_count");
  r.error_count = Int(j, "error_count");
  r.agent_count = Int(j, "agent_count");
  if (j.contains("tokens")) r.tokens = Tokens(j["tokens"]);
  if (j.contains("cost_usd") && j["cost_usd"].is_number()) r.cost_usd = j["cost_usd"].get<double>();
  if (j.contains("models") && j["models"].is_array()) {
    for (const auto& m : j["models"]) {
      if (m.is_string()) r.models.push_back(m.get<std::string>());
    }
  }
  if (j.contains("tags") && j["tags"].is_array()) {
    for (const auto& t : j["tags"]) {
      if (t.is_string()) r.tags.push_back(t.get<std::string>());
    }
  }
  if (j.contains("metadata")) r.metadata_json = j["metadata"].dump();
  r.updated_ns = NanoField(j, "updated_unix_nano");
  return r;
}

model::Step StepFrom(const std::string& run_id, const json& j) {
  model::Step s;
  s.run_id = run_id;
  s.step_id = Str(j, "step_id");
  s.parent_id = Str(j, "parent_id");
  s.name = Str(j, "name");
  s.type = model::ParseStepType(Str(j, "type")).value_or(model::StepType::kOther);
  s.agent = Str(j, "agent");
  s.start_ns = NanoField(j, "start_unix_nano");
  s.end_ns = NanoField(j, "end_unix_nano");
  s.status = model::ParseStepStatus(Str(j, "status")).value_or(model::StepStatus::kUnset);
  s.status_message = Str(j, "status_message");
  s.model = Str(j, "model");
  s.provider = Str(j, "provider");
  s.tool_name = Str(j, "tool_name");
  s.finish_reason = Str(j, "finish_reason");
  if (j.contains("tokens")) s.tokens = Tokens(j["tokens"]);
  if (j.contains("cost_usd") && j["cost_usd"].is_number()) s.cost_usd = j["cost_usd"].get<double>();
  s.attempt = static_cast<int>(Int(j, "attempt"));
  s.retry_of = Str(j, "retry_of");
  s.handoff_to = Str(j, "handoff_to");
  s.handoff_from = Str(j, "handoff_from");
  if (j.contains("attributes")) s.attributes_json = j["attributes"].dump();
  if (j.contains("failure")) s.failure = FailureFrom(j["failure"]);
  return s;
}

std::vector<model::ContentField> ContentFrom(const json& j) {
  std::vector<model::ContentField> out;
  if (!j.contains("content") || !j["content"].is_array()) return out;
  for (const auto& c : j["content"]) {
    model::ContentField f;
    f.name = Str(c, "name");
    f.mime = Str(c, "mime");
    f.is_list = c.value("is_list", false);
    const json& v = c.contains("value") ? c["value"] : json();
    if (v.is_array() && f.is_list) {
      for (const auto& p : v) f.parts.push_back(p.is_string() ? p.get<std::string>() : p.dump());
    } else if (v.is_string()) {
      f.parts.push_back(v.get<std::string>());
    } else if (!v.is_null()) {
      f.parts.push_back(v.dump());
    }
    out.push_back(std::move(f));
  }
  return out;
}

Result<json> ParseBody(const std::string& body, const std::string& what) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded()) return DataLossError(what + ": server replied with invalid JSON");
  return j;
}

class ServerRunSource : public triage::RunSource {
 public:
  ServerRunSource(std::unique_ptr<ApiClient> client, ServerUrl url, std::string api_key)
      : client_(std::move(client)), url_(std::move(url)), api_key_(std::move(api_key)) {}

  Result<std::vector<model::Run>> ListRuns(const triage::RunSelector& s) override {
    query::Params p;
    if (s.from_ns > 0) p.emplace("from", std::to_string(s.from_ns / 1000000));
    if (s.to_ns > 0) p.emplace("to", std::to_string((s.to_ns + 999999) / 1000000));
    for (const auto& a : s.agent_ids) p.emplace("agent", a);
    for (const auto& e : s.environments) p.emplace("environment", e);
    for (const auto& t : s.tags) p.emplace("tag", t);
    if (s.errors_only) p.emplace("status", "failed,partial");
    p.emplace("sort", "start_asc");
    p.emplace("limit", "1000");
    std::vector<model::Run> out;
    std::string cursor;
    while (true) {
      query::Params page = p;
      if (!cursor.empty()) page.emplace("cursor", cursor);
      TRACERY_ASSIGN_OR_RETURN(std::string body, client_->GetJson("/api/runs", page));
      TRACERY_ASSIGN_OR_RETURN(json j, ParseBody(body, "/api/runs"));
      if (j.contains("runs") && j["runs"].is_array()) {
        for (const auto& r : j["runs"]) {
          model::Run run = RunFrom(r);
          // The API's from/to are millisecond precise: re-apply the exact nanosecond window.
          if (s.from_ns > 0 && run.start_ns < s.from_ns) continue;
          if (s.to_ns > 0 && run.start_ns >= s.to_ns) continue;
          out.push_back(std::move(run));
        }
      }
      if (!j.contains("next_cursor") || !j["next_cursor"].is_string()) break;
      cursor = j["next_cursor"].get<std::string>();
    }
    return out;
  }

  Result<triage::RunView> LoadRun(const std::string& run_id) override {
    triage::RunView v;
    int64_t offset = 0;
    while (true) {
      query::Params p{{"offset", std::to_string(offset)}, {"limit", "10000"}};
      TRACERY_ASSIGN_OR_RETURN(std::string body, client_->GetJson("/api/runs/" + run_id, p));
      TRACERY_ASSIGN_OR_RETURN(json j, ParseBody(body, "/api/runs/" + run_id));
      if (offset == 0) {
        if (j.contains("run")) v.run = RunFrom(j["run"]);
        if (j.contains("failures") && j["failures"].is_array()) {
          for (const auto& f : j["failures"]) {
            if (auto parsed = FailureFrom(f)) v.failures.push_back(*parsed);
          }
        }
        if (j.contains("agents") && j["agents"].is_array()) {
          for (const auto& a : j["agents"]) {
            model::Agent agent;
            agent.run_id = run_id;
            agent.name = Str(a, "name");
            v.agents.push_back(std::move(agent));
          }
        }
        if (j.contains("messages") && j["messages"].is_array()) {
          for (const auto& m : j["messages"]) {
            model::Message msg;
            msg.run_id = run_id;
            msg.from_agent = Str(m, "from_agent");
            msg.to_agent = Str(m, "to_agent");
            msg.kind = Str(m, "kind");
            msg.step_id = Str(m, "step_id");
            msg.time_ns = NanoField(m, "time_unix_nano");
            v.messages.push_back(std::move(msg));
          }
        }
      }
      size_t got = 0;
      if (j.contains("steps") && j["steps"].is_array()) {
        for (const auto& sj : j["steps"]) {
          model::Step step = StepFrom(run_id, sj);
          if (sj.contains("content") && sj["content"].is_array() && !sj["content"].empty()) {
            std::string path = "/api/runs/" + run_id + "/steps/" + step.step_id + "/content";
            TRACERY_ASSIGN_OR_RETURN(std::string cbody, client_->GetJson(path, {}));
            TRACERY_ASSIGN_OR_RETURN(json cj, ParseBody(cbody, path));
            step.content = ContentFrom(cj);
          }
          v.steps.push_back(std::move(step));
          ++got;
        }
      }
      offset += static_cast<int64_t>(got);
      if (got == 0 || offset >= Int(j, "total_steps")) break;
    }
    return v;
  }

  Result<std::vector<std::string>> ClassifiedRuns(const std::string& rubric_name, const std::string& rubric_version,
                                                  const std::vector<std::string>& run_ids) override {
    std::vector<std::string> out;
    for (size_t s = 0; s < run_ids.size(); s += 1000) {
      json req = {{"rubric_name", rubric_name}, {"rubric_version", rubric_version},
                  {"run_ids", std::vector<std::string>(run_ids.begin() + static_cast<std::ptrdiff_t>(s),
                                                       run_ids.begin() + static_cast<std::ptrdiff_t>(std::min(run_ids.size(), s + 1000)))}};
      TRACERY_ASSIGN_OR_RETURN(json j, Send("POST", "/api/annotations/classified", req.dump()));
      if (j.contains("run_ids") && j["run_ids"].is_array()) {
        for (const auto& id : j["run_ids"]) {
          if (id.is_string()) out.push_back(id.get<std::string>());
        }
      }
    }
    return out;
  }

  Status WriteClassifications(const std::vector<triage::Classification>& items) override {
    json arr = json::array();
    for (const auto& c : items) {
      store::Annotation a = ToAnnotation(c);
      arr.push_back({{"run_id", a.run_id}, {"rubric_name", a.rubric_name}, {"rubric_version", a.rubric_version},
                     {"mode_id", a.mode_id}, {"severity", a.severity}, {"verdict", a.verdict},
                     {"confidence", a.confidence}, {"evidence_step_ids", a.evidence_step_ids},
                     {"excerpt", a.excerpt}, {"detector", a.detector}, {"triage_run_id", a.triage_run_id},
                     {"error", a.error}});
    }
    json body = {{"annotations", arr}};
    return Send("POST", "/api/annotations", body.dump()).status();
  }

  Result<std::optional<std::string>> GetState(const std::string& key) override {
    Result<json> j = Send("GET", "/api/triage/state/" + key, "");
    if (!j.ok() && j.status().code() == StatusCode::kNotFound) return std::optional<std::string>();
    if (!j.ok()) return j.status();
    return std::optional<std::string>(Str(*j, "value"));
  }

  Status SetState(const std::string& key, const std::string& value) override {
    json body = {{"value", value}};
    return Send("PUT", "/api/triage/state/" + key, body.dump()).status();
  }

 private:
  // Writes and state go through httplib directly (PUT is not in ApiClient).
  Result<json> Send(const std::string& method, const std::string& path, const std::string& body) {
    httplib::Client c(url_.scheme_host_port);
    c.set_connection_timeout(std::chrono::seconds(10));
    c.set_read_timeout(std::chrono::seconds(60));
    httplib::Headers h;
    if (!api_key_.empty()) h.emplace("Authorization", "Bearer " + api_key_);
    std::string full = url_.base_path + path;
    httplib::Result r = method == "GET"  ? c.Get(full, h)
                        : method == "PUT" ? c.Put(full, h, body, "application/json")
                                          : c.Post(full, h, body, "application/json");
    if (!r) return UnavailableError(fmt::format("{} {}: {}", method, full, httplib::to_string(r.error())));
    HttpReply reply;
    reply.status = r->status;
    reply.body = r->body;
    reply.content_type = r->get_header_value("Content-Type");
    if (r->status < 200 || r->status >= 300) return StatusFromReply(reply).WithContext(method + " " + full);
    return ParseBody(r->body, full);
  }

  std::unique_ptr<ApiClient> client_;
  ServerUrl url_;
  std::string api_key_;
};

}  // namespace

Result<std::unique_ptr<triage::RunSource>> MakeServerRunSource(const std::string& url, const std::string& api_key) {
  TRACERY_ASSIGN_OR_RETURN(ServerUrl parsed, ParseServerUrl(url));
  TRACERY_ASSIGN_OR_RETURN(std::unique_ptr<ApiClient> client, ApiClient::Create(url, api_key));
  return std::unique_ptr<triage::RunSource>(new ServerRunSource(std::move(client), std::move(parsed), api_key));
}

}  // namespace tracery::cli
