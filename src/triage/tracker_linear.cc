// Linear over its GraphQL API (POST <base>/graphql, "Authorization: <api key>").
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <map>

#include "triage/tracker.h"
#include "triage/tracker_http.h"

namespace tracery::triage::internal {
namespace {

using nlohmann::json;

std::string Str(const json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

constexpr const char* kIssuesQuery = R"(query TraceryIssues($filter: IssueFilter, $after: String) {
  issues(first: 50, after: $after, filter: $filter) {
    nodes { id identifier url title description state { type name } labels { nodes { name } } comments(first: 100) { nodes { body } } }
    pageInfo { hasNextPage endCursor }
  }
})";
constexpr const char* kLabelsQuery = R"(query TraceryLabels($names: [String!]) {
  issueLabels(first: 250, filter: { name: { in: $names } }) { nodes { id name } }
})";
constexpr const char* kLabelCreate = R"(mutation TraceryLabelCreate($input: IssueLabelCreateInput!) {
  issueLabelCreate(input: $input) { success issueLabel { id name } }
})";
constexpr const char* kIssueCreate = R"(mutation TraceryIssueCreate($input: IssueCreateInput!) {
  issueCreate(input: $input) { success issue { id identifier url title } }
})";
constexpr const char* kCommentCreate = R"(mutation TraceryCommentCreate($input: CommentCreateInput!) {
  commentCreate(input: $input) { success }
})";
constexpr const char* kStatesQuery = R"(query TraceryStates($teamId: String!) {
  team(id: $teamId) { states { nodes { id name type position } } }
})";
constexpr const char* kIssueUpdate = R"(mutation TraceryIssueUpdate($id: String!, $input: IssueUpdateInput!) {
  issueUpdate(id: $id, input: $input) { success }
})";

class LinearTracker : public Tracker {
 public:
  LinearTracker(TrackerConfig config, std::unique_ptr<HttpApi> api) : config_(std::move(config)), api_(std::move(api)) {
    api_->SetHeader("Authorization", config_.token);  // personal API keys are sent bare
  }

  Result<TrackerListing> FindIssues(const std::vector<std::string>& labels) override {
    json and_ = json::array();
    for (const auto& l : labels) and_.push_back({{"labels", {{"some", {{"name", {{"eqIgnoreCase", l}}}}}}}});
    json filter = {{"team", {{"id", {{"eq", config_.project}}}}}};
    if (!and_.empty()) filter["and"] = and_;
    TrackerListing listing;
    json after = nullptr;
    for (int page = 0;; ++page) {
      if (page >= config_.max_pages) {
        listing.truncated = true;
        break;
      }
      TRACERY_ASSIGN_OR_RETURN(json data, Query(kIssuesQuery, {{"filter", filter}, {"after", after}}, true));
      const json* issues = Path(data, {"issues"});
      if (!issues || !issues->contains("nodes") || !(*issues)["nodes"].is_array())
        return InvalidArgumentError("linear: response has no data.issues.nodes");
      for (const auto& n : (*issues)["nodes"]) {
        TrackerIssue issue;
        issue.id = Str(n, "id");
        if (issue.id.empty()) continue;
        issue.url = Str(n, "url");
        issue.title = Str(n, "title");
        issue.body = Str(n, "description");
        std::string type = n.contains("state") ? Str(n["state"], "type") : "";
        issue.open = type != "completed" && type != "canceled";
        issue.closed_as_fixed = type == "completed";
        if (const json* ls = Path(n, {"labels", "nodes"}); ls && ls->is_array())
          for (const auto& l : *ls) issue.labels.push_back(Str(l, "name"));
        if (const json* cs = Path(n, {"comments", "nodes"}); cs && cs->is_array()) {
          for (const auto& c : *cs) issue.comments.push_back(Str(c, "body"));
          issue.comments_loaded = true;
        }
        // The server filter is case-insensitive; require every label exactly (ignoring case).
        bool all = std::all_of(labels.begin(), labels.end(), [&](const std::string& want) {
          return std::any_of(issue.labels.begin(), issue.labels.end(),
                             [&](const std::string& have) { return Lower(have) == Lower(want); });
        });
        if (all) listing.issues.push_back(std::move(issue));
      }
      const json* info = Path(*issues, {"pageInfo"});
      bool more = info && info->contains("hasNextPage") && (*info)["hasNextPage"].is_boolean() && (*info)["hasNextPage"].get<bool>();
      std::string cursor = info ? Str(*info, "endCursor") : "";
      if (!more) break;
      if (cursor.empty()) return InvalidArgumentError("linear: pageInfo.hasNextPage without an endCursor");
      after = cursor;
    }
    return listing;
  }

  Result<TrackerIssue> Create(const IssueDraft& draft) override {
    TRACERY_ASSIGN_OR_RETURN(std::vector<std::string> label_ids, LabelIds(draft.labels));
    int priority = draft.severity == Severity::kCritical ? 1 : draft.severity == Severity::kHigh ? 2
                 : draft.severity == Severity::kMedium   ? 3 : 4;
    json input = {{"teamId", config_.project}, {"title", draft.title}, {"description", draft.body},
                  {"labelIds", label_ids}, {"priority", priority}};
    TRACERY_ASSIGN_OR_RETURN(json data, Query(kIssueCreate, {{"input", input}}, false));
    const json* issue = Path(data, {"issueCreate", "issue"});
    const json* success = Path(data, {"issueCreate", "success"});
    if (!issue || !success || !success->is_boolean() || !success->get<bool>() || Str(*issue, "id").empty())
      return InternalError("linear: issueCreate did not succeed");
    TrackerIssue out;
    out.id = Str(*issue, "id");
    out.url = Str(*issue, "url");
    out.title = draft.title;
    out.body = draft.body;
    out.labels = draft.labels;
    return out;
  }

  Status Comment(const TrackerIssue& issue, const std::string& markdown) override {
    TRACERY_ASSIGN_OR_RETURN(json data, Query(kCommentCreate, {{"input", {{"issueId", issue.id}, {"body", markdown}}}}, false));
    const json* success = Path(data, {"commentCreate", "success"});
    if (!success || !success->is_boolean() || !success->get<bool>()) return InternalError("linear: commentCreate did not succeed");
    return OkStatus();
  }

  Status Reopen(const TrackerIssue& issue, const std::string& markdown) override {
    TRACERY_ASSIGN_OR_RETURN(json data, Query(kStatesQuery, {{"teamId", config_.project}}, true));
    const json* states = Path(data, {"team", "states", "nodes"});
    if (!states || !states->is_array()) return InvalidArgumentError("linear: response has no data.team.states.nodes");
    // Back to the team's first "unstarted" state (Todo), else its first "started" one.
    std::string best;
    int best_rank = 99;
    double best_pos = 0;
    for (const auto& s : *states) {
      std::string type = Str(s, "type");
      int rank = type == "unstarted" ? 0 : type == "started" ? 1 : 99;
      double pos = s.contains("position") && s["position"].is_number() ? s["position"].get<double>() : 0;
      if (rank == 99 || Str(s, "id").empty()) continue;
      if (rank < best_rank || (rank == best_rank && pos < best_pos)) {
        best = Str(s, "id");
        best_rank = rank;
        best_pos = pos;
      }
    }
    if (best.empty()) return FailedPreconditionError("linear: team " + config_.project + " has no unstarted or started state");
    TRACERY_ASSIGN_OR_RETURN(json upd, Query(kIssueUpdate, {{"id", issue.id}, {"input", {{"stateId", best}}}}, true));
    const json* success = Path(upd, {"issueUpdate", "success"});
    if (!success || !success->is_boolean() || !success->get<bool>()) return InternalError("linear: issueUpdate did not succeed");
    return Comment(issue, markdown);
  }

 private:
  static const json* Path(const json& j, std::initializer_list<const char*> keys) {
    const json* cur = &j;
    for (const char* k : keys) {
      if (!cur->is_object()) return nullptr;
      auto it = cur->find(k);
      if (it == cur->end() || it->is_null()) return nullptr;
      cur = &*it;
    }
    return cur;
  }

  // Runs one GraphQL operation; returns `data`. GraphQL errors (HTTP 200 or 400 with `errors`)
  // map by extensions.code: RATELIMITED, AUTHENTICATION_ERROR, FORBIDDEN, else invalid argument.
  Result<json> Query(const char* query, json variables, bool idempotent) {
    json req = {{"query", query}, {"variables", std::move(variables)}};
    std::string body = req.dump(-1, ' ', false, json::error_handler_t::replace);
    Result<HttpResponse> r = idempotent ? SendIdempotent(*api_, "POST", "/graphql", body, config_)
                                        : api_->Send("POST", "/graphql", body);
    if (!r.ok()) return r.status();
    json j = json::parse(r->body, nullptr, false);
    if (!j.is_discarded() && j.is_object() && j.contains("errors") && j["errors"].is_array() && !j["errors"].empty()) {
      const json& e = j["errors"][0];
      std::string message = Str(e, "message");
      std::string code = e.contains("extensions") ? Str(e["extensions"], "code") : "";
      std::string msg = "linear: " + (code.empty() ? "" : code + ": ") + message;
      if (code == "RATELIMITED" || r->status == 429) return ResourceExhaustedError("rate limited: " + msg);
      if (code == "AUTHENTICATION_ERROR" || r->status == 401) return UnauthenticatedError(msg);
      if (code == "FORBIDDEN" || r->status == 403) return PermissionDeniedError(msg);
      if (r->status >= 500) return UnavailableError(msg);
      return InvalidArgumentError(msg);
    }
    if (r->status / 100 != 2) return HttpError("linear: POST /graphql", *r);
    if (j.is_discarded() || !j.is_object() || !j.contains("data") || !j["data"].is_object())
      return InvalidArgumentError("linear: response has no `data` object");
    return j["data"];
  }

  // Label ids for names, creating the missing labels on the team.
  Result<std::vector<std::string>> LabelIds(const std::vector<std::string>& names) {
    TRACERY_ASSIGN_OR_RETURN(json data, Query(kLabelsQuery, {{"names", names}}, true));
    std::map<std::string, std::string> ids;
    if (const json* nodes = Path(data, {"issueLabels", "nodes"}); nodes && nodes->is_array())
      for (const auto& n : *nodes) ids.emplace(Lower(Str(n, "name")), Str(n, "id"));
    std::vector<std::string> out;
    for (const auto& name : names) {
      auto it = ids.find(Lower(name));
      if (it != ids.end() && !it->second.empty()) {
        out.push_back(it->second);
        continue;
      }
      TRACERY_ASSIGN_OR_RETURN(json created, Query(kLabelCreate, {{"input", {{"name", name}, {"teamId", config_.project}}}}, false));
      const json* label = Path(created, {"issueLabelCreate", "issueLabel"});
      if (!label || Str(*label, "id").empty()) return InternalError("linear: issueLabelCreate for '" + name + "' returned no id");
      out.push_back(Str(*label, "id"));
    }
    return out;
  }

  TrackerConfig config_;
  std::unique_ptr<HttpApi> api_;
};

}  // namespace

Result<std::unique_ptr<Tracker>> MakeLinearTracker(const TrackerConfig& config) {
  TRACERY_ASSIGN_OR_RETURN(auto api, HttpApi::Make(config.base_url.empty() ? "https://api.linear.app" : config.base_url,
                                                   config.timeout_ms));
  return std::unique_ptr<Tracker>(new LinearTracker(config, std::move(api)));
}

}  // namespace tracery::triage::internal
