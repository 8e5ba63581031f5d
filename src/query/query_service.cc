#include "query/query_service.h"

#include <initializer_list>
#include <optional>
#include <utility>

#include "query/annotations_api.h"
#include "query/json_convert.h"
#include "query/json_writer.h"
#include "query/params.h"
#include "query/time_util.h"

namespace tracery::query {
namespace {

constexpr int64_t kNsPerMs = 1'000'000;

Result<std::optional<int64_t>> GetTime(const Params& params, const std::string& key) {
  TRACERY_ASSIGN_OR_RETURN(std::optional<std::string> v, GetSingle(params, key));
  if (!v.has_value()) return std::optional<int64_t>();
  Result<int64_t> t = ParseTimeNs(*v);
  if (!t.ok()) return BadParam(key, *v, t.status().message());
  return std::optional<int64_t>(*t);
}

Result<std::optional<int64_t>> GetDuration(const Params& params, const std::string& key) {
  TRACERY_ASSIGN_OR_RETURN(std::optional<std::string> v, GetSingle(params, key));
  if (!v.has_value()) return std::optional<int64_t>();
  Result<int64_t> d = ParseDurationNs(*v);
  if (!d.ok()) return BadParam(key, *v, d.status().message());
  return std::optional<int64_t>(*d);
}

// Milliseconds (fractions allowed) -> nanoseconds, -1 when absent.
Result<int64_t> GetMsAsNs(const Params& params, const std::string& key) {
  TRACERY_ASSIGN_OR_RETURN(std::optional<double> ms, GetDouble(params, key, 0));
  if (!ms.has_value()) return int64_t{-1};
  if (*ms > 9.0e12) return BadParam(key, std::to_string(*ms), "too large");
  return static_cast<int64_t>(*ms * kNsPerMs);
}

Result<store::RunSort> ParseSort(const Params& params) {
  TRACERY_ASSIGN_OR_RETURN(std::optional<std::string> v, GetSingle(params, "sort"));
  if (!v.has_value()) return store::RunSort::kStartDesc;
  static constexpr std::pair<std::string_view, store::RunSort> kSorts[] = {
      {"start_desc", store::RunSort::kStartDesc},       {"start_asc", store::RunSort::kStartAsc},
      {"duration_desc", store::RunSort::kDurationDesc}, {"duration_asc", store::RunSort::kDurationAsc},
      {"cost_desc", store::RunSort::kCostDesc},         {"tokens_desc", store::RunSort::kTokensDesc},
      {"updated_desc", store::RunSort::kUpdatedDesc},
  };
  for (const auto& [name, sort] : kSorts) {
    if (*v == name) return sort;
  }
  return BadParam("sort", *v,
                  "expected one of start_desc, start_asc, duration_desc, duration_asc, cost_desc, tokens_desc, "
                  "updated_desc");
}

Result<store::GroupBy> ParseGroupBy(const std::optional<std::string>& v) {
  if (!v.has_value()) return store::GroupBy::kNone;
  static constexpr std::pair<std::string_view, store::GroupBy> kGroups[] = {
      {"none", store::GroupBy::kNone},
      {"agent", store::GroupBy::kAgent},
      {"version", store::GroupBy::kVersion},
      {"model", store::GroupBy::kModel},
      {"step_type", store::GroupBy::kStepType},
      {"failure_type", store::GroupBy::kFailureType},
      {"failure_code", store::GroupBy::kFailureCode},
      {"environment", store::GroupBy::kEnvironment},
      {"step_name", store::GroupBy::kStepName},
      {"tool_name", store::GroupBy::kToolName},
  };
  for (const auto& [name, group] : kGroups) {
    if (*v == name) return group;
  }
  return BadParam("group_by", *v,
                  "expected one of none, agent, version, model, step_type, failure_type, failure_code, "
                  "environment, step_name, tool_name");
}

// Ids come from URL paths: reject what cannot be an id before asking the store.
Status CheckId(std::string_view what, const std::string& id) {
  if (id.empty()) return InvalidArgumentError(std::string(what) + " is empty");
  if (id.size() > 256) return InvalidArgumentError(std::string(what) + " is longer than 256 characters");
  for (char c : id) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u == 0x7f) return InvalidArgumentError(std::string(what) + " contains a control character or space");
  }
  return OkStatus();
}

Json CursorJson(const std::string& cursor) { return cursor.empty() ? Json(nullptr) : Json(cursor); }

}  // namespace

Result<store::RunFilter> QueryService::ParseRunFilter(const Params& params) {
  return ParseRunFilter(params, Clock::Real().NowUnixNanos());
}

Result<store::RunFilter> QueryService::ParseRunFilter(const Params& params, int64_t now_ns) {
  store::RunFilter f;
  TRACERY_ASSIGN_OR_RETURN(std::optional<int64_t> since, GetDuration(params, "since"));
  TRACERY_ASSIGN_OR_RETURN(std::optional<int64_t> from, GetTime(params, "from"));
  TRACERY_ASSIGN_OR_RETURN(std::optional<int64_t> to, GetTime(params, "to"));
  if (since.has_value() && from.has_value()) {
    return InvalidArgumentError("parameters \"since\" and \"from\" cannot be combined");
  }
  if (since.has_value()) f.from_ns = *since >= now_ns ? 1 : now_ns - *since;
  if (from.has_value()) f.from_ns = *from;
  if (to.has_value()) f.to_ns = *to;
  if (f.to_ns != 0 && f.from_ns != 0 && f.from_ns >= f.to_ns) {
    return InvalidArgumentError("the time range is empty: \"from\" (or \"since\") must be before \"to\"");
  }
  TRACERY_ASSIGN_OR_RETURN(std::optional<int64_t> updated, GetTime(params, "updated_since"));
  if (updated.has_value()) f.updated_since_ns = *updated;

  f.agent_ids = GetList(params, "agent");
  f.agent_versions = GetList(params, "version");
  f.environments = GetList(params, "environment");
  for (const auto& s : GetList(params, "status")) {
    std::optional<model::RunStatus> st = model::ParseRunStatus(s);
    if (!st) return BadParam("status", s, "expected running, ok, failed, partial or abandoned");
    f.statuses.push_back(*st);
  }
  for (const auto& s : GetList(params, "failure_type")) {
    if (!model::ParseFailureType(s)) {
      return BadParam("failure_type", s, "expected tool, model, retrieval, orchestration, guardrail or unknown");
    }
    f.failure_types.push_back(s);
  }
  f.failure_codes = GetList(params, "failure_code");
  for (const auto& a : GetList(params, "annotation")) {
    // "<mode>" (positive) or "<mode>:positive|negative|error|any".
    auto colon = a.rfind(':');
    std::string mode = colon == std::string::npos ? a : a.substr(0, colon);
    std::string verdict = colon == std::string::npos ? "positive" : a.substr(colon + 1);
    if (mode.empty() || mode.size() > 128) return BadParam("annotation", a, "expected <mode>[:positive|negative|error|any]");
    if (verdict != "positive" && verdict != "negative" && verdict != "error" && verdict != "any") {
      return BadParam("annotation", a, "verdict must be positive, negative, error or any");
    }
    f.annotations.push_back(mode + ":" + verdict);
  }
  f.models = GetList(params, "model");
  f.tags = GetList(params, "tag");
  TRACERY_ASSIGN_OR_RETURN(std::optional<std::string> session, GetSingle(params, "session"));
  if (session) f.session_id = *session;
  TRACERY_ASSIGN_OR_RETURN(std::optional<std::string> user, GetSingle(params, "user"));
  if (user) f.user_id = *user;
  TRACERY_ASSIGN_OR_RETURN(std::optional<std::string> text, GetSingle(params, "q"));
  if (text) {
    if (text->size() > 1000) return BadParam("q", *text, "longer than 1000 characters");
    f.text = *text;
  }
  TRACERY_ASSIGN_OR_RETURN(f.min_duration_ns, GetMsAsNs(params, "min_duration_ms"));
  TRACERY_ASSIGN_OR_RETURN(f.max_duration_ns, GetMsAsNs(params, "max_duration_ms"));
  if (f.min_duration_ns >= 0 && f.max_duration_ns >= 0 && f.min_duration_ns > f.max_duration_ns) {
    return InvalidArgumentError("\"min_duration_ms\" is greater than \"max_duration_ms\"");
  }
  TRACERY_ASSIGN_OR_RETURN(std::optional<double> min_cost, GetDouble(params, "min_cost", 0));
  TRACERY_ASSIGN_OR_RETURN(std::optional<double> max_cost, GetDouble(params, "max_cost", 0));
  if (min_cost) f.min_cost_usd = *min_cost;
  if (max_cost) f.max_cost_usd = *max_cost;
  if (min_cost && max_cost && *min_cost > *max_cost) {
    return InvalidArgumentError("\"min_cost\" is greater than \"max_cost\"");
  }
  return f;
}

std::string QueryService::RunJson(const model::Run& run) {
  JsonWriter w;
  WriteRun(w, run);
  return w.Take();
}

Result<std::string> QueryService::ListRuns(const Params& params) const {
  TRACERY_RETURN_IF_ERROR(CheckKnownParams(params, {TRACERY_RUN_FILTER_KEYS, "sort", "limit", "cursor"}));
  TRACERY_ASSIGN_OR_RETURN(store::RunFilter filter, ParseRunFilter(params, clock_->NowUnixNanos()));
  store::PageRequest page;
  TRACERY_ASSIGN_OR_RETURN(page.sort, ParseSort(params));
  TRACERY_ASSIGN_OR_RETURN(std::optional<int64_t> limit, GetInt(params, "limit", 1, 1000));
  if (limit) page.limit = static_cast<int>(*limit);
  TRACERY_ASSIGN_OR_RETURN(std::optional<std::string> cursor, GetSingle(params, "cursor"));
  if (cursor) page.cursor = *cursor;
  TRACERY_ASSIGN_OR_RETURN(store::RunPage result, store_->ListRuns(filter, page));
  // The hot path: written directly rather than through an nlohmann tree.
  JsonWriter w;
  w.out().reserve(result.runs.size() * 1200 + 64);
  w.BeginObject();
  w.Key("runs");
  w.BeginArray();
  for (const auto& run : result.runs) WriteRun(w, run);
  w.EndArray();
  w.Key("next_cursor");
  if (result.next_cursor.empty()) {
    w.Null();
  } else {
    w.String(result.next_cursor);
  }
  w.Key("total");
  if (result.total >= 0) {
    w.Int(result.total);
  } else {
    w.Null();
  }
  // Triage findings of the listed runs: positive and errored annotations, compact, keyed by run
  // id (negatives are the normal case and stay out). A store without annotations gives {}.
  w.Key("findings");
  w.BeginObject();
  for (const auto& run : result.runs) {
    Result<std::vector<store::Annotation>> annotations = store_->ListAnnotations(run.run_id);
    if (!annotations.ok()) {
      if (annotations.status().code() == StatusCode::kUnimplemented) break;
      return annotations.status();
    }
    bool open = false;
    for (const store::Annotation& a : *annotations) {
      if (a.verdict == "negative") continue;
      if (!open) {
        w.Key(run.run_id);
        w.BeginArray();
        open = true;
      }
      w.BeginObject();
      w.Key("rubric_name"); w.String(a.rubric_name);
      w.Key("mode_id"); w.String(a.mode_id);
      w.Key("verdict"); w.String(a.verdict);
      w.Key("severity"); w.String(a.severity);
      w.EndObject();
    }
    if (open) w.EndArray();
  }
  w.EndObject();
  w.EndObject();
  return w.Take();
}

namespace {

// Steps come in execution order (start time, then step id). Spans started within the same clock
// tick would then order a child before its parent (or a retry before the attempt it retries) by
// id alone; within each group of equal start times, put every step after its parent and after
// the attempt it retries (a stable topological order), and renumber seq.
void OrderParentsFirst(std::vector<store::StoredStep>& steps) {
  size_t i = 0;
  while (i < steps.size()) {
    size_t j = i + 1;
    while (j < steps.size() && steps[j].step.start_ns == steps[i].step.start_ns) ++j;
    // Ties are a handful of spans; a hostile batch with thousands of equal start times keeps the
    // store's order rather than paying a quadratic sort.
    if (j - i > 1 && j - i <= 64) {
      std::vector<store::StoredStep> group(std::make_move_iterator(steps.begin() + static_cast<ptrdiff_t>(i)),
                                           std::make_move_iterator(steps.begin() + static_cast<ptrdiff_t>(j)));
      std::vector<char> placed(group.size(), 0);
      size_t out = i;
      // Repeatedly place the first unplaced step whose parent is not an unplaced member of the group.
      for (size_t round = 0; round < group.size(); ++round) {
        size_t pick = group.size();
        for (size_t k = 0; k < group.size() && pick == group.size(); ++k) {
          if (placed[k]) continue;
          bool parent_pending = false;
          for (size_t m = 0; m < group.size(); ++m) {
            if (!placed[m] && m != k &&
                (group[m].step.step_id == group[k].step.parent_id || group[m].step.step_id == group[k].step.retry_of)) {
              parent_pending = true;
              break;
            }
          }
          if (!parent_pending) pick = k;
        }
        if (pick == group.size()) {  // a parent cycle: keep the remaining order
          for (size_t k = 0; k < group.size(); ++k) {
            if (!placed[k]) {
              pick = k;
              break;
            }
          }
        }
        placed[pick] = 1;
        int64_t seq = steps[out].seq;
        steps[out] = std::move(group[pick]);
        steps[out].seq = seq;
        ++out;
      }
    }
    i = j;
  }
}

}  // namespace

namespace {

// A short run id, as people copy them from lists and logs: 4..31 hex digits (either case) that
// start exactly one stored run id. Nothing (the caller keeps its kNotFound) when the text cannot
// be a prefix, matches no run, or the store cannot search; kInvalidArgument naming two matches
// when it is ambiguous.
Result<std::optional<std::string>> ResolveRunIdPrefix(store::Store& store, std::string_view id) {
  if (id.size() < 4 || id.size() > 31) return std::optional<std::string>();
  std::string prefix(id);
  for (char& c : prefix) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::optional<std::string>();
  }
  Result<std::vector<std::string>> ids = store.FindRunIdsByPrefix(prefix, 2);
  if (!ids.ok()) {
    if (ids.status().code() == StatusCode::kUnimplemented) return std::optional<std::string>();
    return ids.status();
  }
  if (ids->size() > 1) {
    return InvalidArgumentError("run id prefix \"" + std::string(id) + "\" is ambiguous: it starts " + (*ids)[0] +
                                " and " + (*ids)[1] + " (at least); give more digits");
  }
  if (ids->empty()) return std::optional<std::string>();
  return std::optional<std::string>((*ids)[0]);
}

}  // namespace

Result<std::string> QueryService::GetRun(const std::string& run_id, const Params& params) const {
  TRACERY_RETURN_IF_ERROR(CheckId("run id", run_id));
  TRACERY_RETURN_IF_ERROR(CheckKnownParams(params, {"offset", "limit", "steps_only"}));
  // steps_only=1: later windows of a big run skip agents, messages and failures (sent once).
  TRACERY_ASSIGN_OR_RETURN(std::optional<int64_t> steps_only, GetInt(params, "steps_only", 0, 1));
  store::StepWindow window;
  TRACERY_ASSIGN_OR_RETURN(std::optional<int64_t> offset, GetInt(params, "offset", 0, INT64_MAX / 2));
  TRACERY_ASSIGN_OR_RETURN(std::optional<int64_t> limit, GetInt(params, "limit", 1, 10000));
  if (offset) window.offset = *offset;
  if (limit) window.limit = static_cast<int>(*limit);
  Result<store::RunDetail> found = store_->GetRun(run_id, window);
  if (!found.ok() && found.status().code() == StatusCode::kNotFound) {
    TRACERY_ASSIGN_OR_RETURN(std::optional<std::string> full, ResolveRunIdPrefix(*store_, run_id));
    if (full) found = store_->GetRun(*full, window);
  }
  TRACERY_ASSIGN_OR_RETURN(store::RunDetail detail, std::move(found));
  OrderParentsFirst(detail.steps);
  Json out;
  out["run"] = RunToJson(detail.run);
  Json steps = Json::array();
  for (const auto& s : detail.steps) steps.push_back(StepToJson(s, detail.run.start_ns));
  out["steps"] = std::move(steps);
  out["total_steps"] = detail.total_steps;
  out["offset"] = window.offset;
  out["limit"] = window.limit;
  if (steps_only.value_or(0) == 1) return Dump(out);
  Json agents = Json::array();
  for (const auto& a : detail.agents) agents.push_back(AgentToJson(a));
  out["agents"] = std::move(agents);
  Json messages = Json::array();
  for (const auto& m : detail.messages) messages.push_back(MessageToJson(m));
  out["messages"] = std::move(messages);
  Json failures = Json::array();
  for (const auto& f : detail.failures) failures.push_back(FailureJson(f));
  out["failures"] = std::move(failures);
  // Triage annotations (docs/api.md); a store without them gives an empty list.
  Result<std::vector<store::Annotation>> annotations = store_->ListAnnotations(run_id);
  if (!annotations.ok() && annotations.status().code() != StatusCode::kUnimplemented) return annotations.status();
  out["annotations"] = Json::parse(AnnotationsJson(annotations.ok() ? *annotations : std::vector<store::Annotation>{}));
  return Dump(out);
}

Result<std::string> QueryService::GetStepContent(const std::string& run_id, const std::string& step_id) const {
  TRACERY_RETURN_IF_ERROR(CheckId("run id", run_id));
  TRACERY_RETURN_IF_ERROR(CheckId("step id", step_id));
  TRACERY_ASSIGN_OR_RETURN(std::vector<model::ContentField> fields, store_->GetStepContent(run_id, step_id));
  Json content = Json::array();
  for (const auto& c : fields) content.push_back(ContentToJson(c));
  Json out;
  out["run_id"] = run_id;
  out["step_id"] = step_id;
  out["content"] = std::move(content);
  return Dump(out);
}

Result<std::string> QueryService::Stats(const Params& params) const {
  TRACERY_RETURN_IF_ERROR(CheckKnownParams(params, {TRACERY_RUN_FILTER_KEYS, "group_by", "bucket"}));
  store::StatsQuery query;
  TRACERY_ASSIGN_OR_RETURN(query.filter, ParseRunFilter(params, clock_->NowUnixNanos()));
  TRACERY_ASSIGN_OR_RETURN(std::optional<std::string> group_by, GetSingle(params, "group_by"));
  TRACERY_ASSIGN_OR_RETURN(query.group_by, ParseGroupBy(group_by));
  TRACERY_ASSIGN_OR_RETURN(std::optional<std::string> bucket, GetSingle(params, "bucket"));
  if (bucket) {
    Result<int64_t> width = ParseDurationNs(*bucket);
    if (!width.ok()) return BadParam("bucket", *bucket, width.status().message());
    if (*width < 1'000'000'000) return BadParam("bucket", *bucket, "must be at least 1s");
    query.bucket_ns = *width;
  }
  TRACERY_ASSIGN_OR_RETURN(std::vector<store::StatsRow> rows, store_->Stats(query));
  Json out;
  out["group_by"] = group_by.value_or("none");
  out["bucket"] = bucket ? Json(*bucket) : Json(nullptr);
  Json jrows = Json::array();
  for (const auto& r : rows) {
    jrows.push_back(Json{
        {"group", r.group},
        {"bucket_start", query.bucket_ns > 0 ? Json(FormatTimeNs(r.bucket_start_ns)) : Json(nullptr)},
        {"bucket_start_unix_nano", query.bucket_ns > 0 ? Json(std::to_string(r.bucket_start_ns)) : Json(nullptr)},
        {"runs", r.runs},
        {"ok", r.ok},
        {"failed", r.failed},
        {"partial", r.partial},
        {"running", r.running},
        {"success_rate", r.success_rate},
        {"latency_ms", Json{{"p50", r.p50_ms}, {"p95", r.p95_ms}, {"p99", r.p99_ms}}},
        {"tokens", TokensJson(r.tokens)},
        {"cost_usd", r.cost_usd},
    });
  }
  out["rows"] = std::move(jrows);
  return Dump(out);
}

Result<std::string> QueryService::Sessions(const Params& params) const {
  TRACERY_RETURN_IF_ERROR(CheckKnownParams(params, {"since", "from", "to", "user", "limit", "cursor"}));
  TRACERY_ASSIGN_OR_RETURN(store::RunFilter range, ParseRunFilter(params, clock_->NowUnixNanos()));
  store::SessionFilter filter;
  filter.from_ns = range.from_ns;
  filter.to_ns = range.to_ns;
  filter.user_id = range.user_id;
  TRACERY_ASSIGN_OR_RETURN(std::optional<int64_t> limit, GetInt(params, "limit", 1, 1000));
  if (limit) filter.limit = static_cast<int>(*limit);
  TRACERY_ASSIGN_OR_RETURN(std::optional<std::string> cursor, GetSingle(params, "cursor"));
  if (cursor) filter.cursor = *cursor;
  TRACERY_ASSIGN_OR_RETURN(store::SessionPage page, store_->ListSessions(filter));
  Json sessions = Json::array();
  for (const auto& s : page.sessions) {
    sessions.push_back(Json{{"session_id", s.session_id},
                            {"user_id", s.user_id},
                            {"run_count", s.run_count},
                            {"failed_count", s.failed_count},
                            {"first_start_time", TimeOrNull(s.first_start_ns)},
                            {"last_end_time", TimeOrNull(s.last_end_ns)},
                            {"tokens", TokensJson(s.tokens)},
                            {"cost_usd", s.cost_usd}});
  }
  Json out;
  out["sessions"] = std::move(sessions);
  out["next_cursor"] = CursorJson(page.next_cursor);
  return Dump(out);
}

Result<std::string> QueryService::Agents(const Params& params) const {
  TRACERY_RETURN_IF_ERROR(CheckKnownParams(params, {TRACERY_RUN_FILTER_KEYS}));
  TRACERY_ASSIGN_OR_RETURN(store::RunFilter filter, ParseRunFilter(params, clock_->NowUnixNanos()));
  TRACERY_ASSIGN_OR_RETURN(std::vector<store::AgentSummary> agents, store_->ListAgents(filter));
  Json list = Json::array();
  for (const auto& a : agents) {
    list.push_back(Json{{"agent_id", a.agent_id},
                        {"versions", a.versions},
                        {"runs", a.runs},
                        {"failed", a.failed},
                        {"last_seen_time", TimeOrNull(a.last_seen_ns)}});
  }
  Json out;
  out["agents"] = std::move(list);
  return Dump(out);
}

#undef TRACERY_RUN_FILTER_KEYS

}  // namespace tracery::query
