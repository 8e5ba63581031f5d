#include "query/annotations_api.h"

#include <nlohmann/json.hpp>

#include "query/time_util.h"

namespace tracery::query {
namespace {

using nlohmann::json;
constexpr size_t kMaxItems = 10000;

Result<json> ParseObject(const std::string& body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgumentError("request body must be a JSON object");
  return j;
}

Result<std::string> StringField(const json& j, const char* key, const std::string& path, bool required) {
  if (!j.contains(key) || j[key].is_null()) {
    if (required) return InvalidArgumentError(path + "." + key + ": required");
    return std::string();
  }
  if (!j[key].is_string()) return InvalidArgumentError(path + "." + key + ": must be a string");
  std::string v = j[key].get<std::string>();
  if (v.size() > 65536) return InvalidArgumentError(path + "." + key + ": longer than 65536 bytes");
  return v;
}

Status CheckKey(const std::string& key) {
  if (key.empty() || key.size() > 200) return InvalidArgumentError("state key: must be 1..200 characters");
  for (char c : key) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return InvalidArgumentError("state key: only letters, digits and . _ : - are allowed");
  }
  return OkStatus();
}

}  // namespace

std::string AnnotationsJson(const std::vector<store::Annotation>& annotations) {
  json arr = json::array();
  for (const auto& a : annotations) {
    arr.push_back({{"rubric_name", a.rubric_name}, {"rubric_version", a.rubric_version}, {"mode_id", a.mode_id},
                   {"severity", a.severity}, {"verdict", a.verdict}, {"confidence", a.confidence},
                   {"evidence_step_ids", a.evidence_step_ids}, {"excerpt", a.excerpt}, {"detector", a.detector},
                   {"triage_run_id", a.triage_run_id}, {"error", a.error}, {"time", FormatTimeNs(a.created_ns)},
                   {"time_unix_nano", std::to_string(a.created_ns)}});
  }
  return arr.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<std::string> PostAnnotations(store::Store* store, const std::string& body) {
  TRACERY_ASSIGN_OR_RETURN(json j, ParseObject(body));
  if (!j.contains("annotations") || !j["annotations"].is_array()) {
    return InvalidArgumentError("annotations: required array");
  }
  const json& items = j["annotations"];
  if (items.size() > kMaxItems) return InvalidArgumentError("annotations: more than 10000 items");
  std::vector<store::Annotation> out;
  out.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    const json& it = items[i];
    std::string path = "annotations[" + std::to_string(i) + "]";
    if (!it.is_object()) return InvalidArgumentError(path + ": must be an object");
    store::Annotation a;
    TRACERY_ASSIGN_OR_RETURN(a.run_id, StringField(it, "run_id", path, true));
    TRACERY_ASSIGN_OR_RETURN(a.rubric_name, StringField(it, "rubric_name", path, true));
    TRACERY_ASSIGN_OR_RETURN(a.rubric_version, StringField(it, "rubric_version", path, true));
    TRACERY_ASSIGN_OR_RETURN(a.mode_id, StringField(it, "mode_id", path, true));
    TRACERY_ASSIGN_OR_RETURN(a.verdict, StringField(it, "verdict", path, true));
    TRACERY_ASSIGN_OR_RETURN(a.severity, StringField(it, "severity", path, false));
    TRACERY_ASSIGN_OR_RETURN(a.excerpt, StringField(it, "excerpt", path, false));
    TRACERY_ASSIGN_OR_RETURN(a.detector, StringField(it, "detector", path, false));
    TRACERY_ASSIGN_OR_RETURN(a.triage_run_id, StringField(it, "triage_run_id", path, false));
    TRACERY_ASSIGN_OR_RETURN(a.error, StringField(it, "error", path, false));
    if (it.contains("confidence")) {
      if (!it["confidence"].is_number()) return InvalidArgumentError(path + ".confidence: must be a number");
      a.confidence = it["confidence"].get<double>();
      if (!(a.confidence >= 0 && a.confidence <= 1)) return InvalidArgumentError(path + ".confidence: must be 0..1");
    }
    if (it.contains("evidence_step_ids")) {
      const json& ev = it["evidence_step_ids"];
      if (!ev.is_array() || ev.size() > 1000) return InvalidArgumentError(path + ".evidence_step_ids: array of at most 1000 strings");
      for (const auto& id : ev) {
        if (!id.is_string()) return InvalidArgumentError(path + ".evidence_step_ids: array of strings");
        a.evidence_step_ids.push_back(id.get<std::string>());
      }
    }
    out.push_back(std::move(a));
  }
  TRACERY_RETURN_IF_ERROR(store->WriteAnnotations(out));
  return json{{"written", out.size()}}.dump();
}

Result<std::string> PostClassifiedRuns(store::Store* store, const std::string& body) {
  TRACERY_ASSIGN_OR_RETURN(json j, ParseObject(body));
  TRACERY_ASSIGN_OR_RETURN(std::string name, StringField(j, "rubric_name", "$", true));
  TRACERY_ASSIGN_OR_RETURN(std::string version, StringField(j, "rubric_version", "$", true));
  if (!j.contains("run_ids") || !j["run_ids"].is_array()) return InvalidArgumentError("$.run_ids: required array");
  if (j["run_ids"].size() > kMaxItems) return InvalidArgumentError("$.run_ids: more than 10000 items");
  std::vector<std::string> ids;
  for (const auto& id : j["run_ids"]) {
    if (!id.is_string()) return InvalidArgumentError("$.run_ids: array of strings");
    ids.push_back(id.get<std::string>());
  }
  TRACERY_ASSIGN_OR_RETURN(std::vector<std::string> done, store->ClassifiedRuns(name, version, ids));
  return json{{"run_ids", done}}.dump();
}

Result<std::string> GetTriageState(store::Store* store, const std::string& key) {
  TRACERY_RETURN_IF_ERROR(CheckKey(key));
  TRACERY_ASSIGN_OR_RETURN(std::optional<std::string> v, store->GetState(key));
  if (!v) return NotFoundError("state key \"" + key + "\" is not set");
  return json{{"key", key}, {"value", *v}}.dump();
}

Result<std::string> PutTriageState(store::Store* store, const std::string& key, const std::string& body) {
  TRACERY_RETURN_IF_ERROR(CheckKey(key));
  TRACERY_ASSIGN_OR_RETURN(json j, ParseObject(body));
  TRACERY_ASSIGN_OR_RETURN(std::string value, StringField(j, "value", "$", true));
  TRACERY_RETURN_IF_ERROR(store->SetState(key, value));
  return json{{"key", key}, {"value", value}}.dump();
}

}  // namespace tracery::query
