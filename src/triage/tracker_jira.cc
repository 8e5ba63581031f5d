// Jira over REST: cloud (API v3, Basic user:token, ADF bodies) and data center / server (API v2,
// Bearer personal access token, wiki-text bodies).
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

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

std::string JqlQuote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// Atlassian Document Format from our Markdown: "## " lines become headings, other lines
// paragraphs (consecutive lines joined with hard breaks). Text nodes are never empty.
json ToAdf(const std::string& markdown) {
  json content = json::array();
  json paragraph = json::array();
  auto flush = [&] {
    if (!paragraph.empty()) content.push_back({{"type", "paragraph"}, {"content", paragraph}});
    paragraph = json::array();
  };
  size_t start = 0;
  while (start <= markdown.size()) {
    size_t end = markdown.find('\n', start);
    std::string line = markdown.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (line.rfind("## ", 0) == 0 && line.size() > 3) {
      flush();
      content.push_back({{"type", "heading"}, {"attrs", {{"level", 2}}},
                         {"content", json::array({{{"type", "text"}, {"text", line.substr(3)}}})}});
    } else if (line.find_first_not_of(" \t\r") == std::string::npos) {
      flush();
    } else {
      if (!paragraph.empty()) paragraph.push_back({{"type", "hardBreak"}});
      paragraph.push_back({{"type", "text"}, {"text", line}});
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  flush();
  if (content.empty()) content.push_back({{"type", "paragraph"}, {"content", json::array({{{"type", "text"}, {"text", " "}}})}});
  return {{"type", "doc"}, {"version", 1}, {"content", content}};
}

void AdfText(const json& node, std::string* out, int depth) {
  if (depth > 64) return;  // hostile nesting
  if (node.is_string()) {
    *out += node.get<std::string>();
    return;
  }
  if (!node.is_object()) return;
  std::string type = Str(node, "type");
  if (type == "text") *out += Str(node, "text");
  if (type == "hardBreak") *out += "\n";
  if (auto c = node.find("content"); c != node.end() && c->is_array())
    for (const auto& child : *c) AdfText(child, out, depth + 1);
  if (type == "paragraph" || type == "heading" || type == "codeBlock") *out += "\n\n";
}

std::string BodyText(const json& v) {
  std::string out;
  AdfText(v, &out, 0);
  return out;
}

class JiraTracker : public Tracker {
 public:
  JiraTracker(TrackerConfig config, std::unique_ptr<HttpApi> api)
      : config_(std::move(config)), api_(std::move(api)), cloud_(!config_.user.empty()),
        rest_(cloud_ ? "/rest/api/3" : "/rest/api/2") {
    api_->SetHeader("Authorization", cloud_ ? "Basic " + Base64(config_.user + ":" + config_.token) : "Bearer " + config_.token);
    api_->SetHeader("Accept", "application/json");
  }

  Result<TrackerListing> FindIssues(const std::vector<std::string>& labels) override {
    std::string jql = "project = " + JqlQuote(config_.project);
    for (const auto& l : labels) jql += " AND labels = " + JqlQuote(l);
    jql += " ORDER BY created DESC";
    TrackerListing listing;
    int64_t start_at = 0;
    for (int page = 0;; ++page) {
      if (page >= config_.max_pages) {
        listing.truncated = true;
        break;
      }
      std::string target = rest_ + "/search?jql=" + UrlEncode(jql) + "&startAt=" + std::to_string(start_at) +
                           "&maxResults=100&fields=summary,description,labels,status,resolution,comment";
      TRACERY_ASSIGN_OR_RETURN(HttpResponse r, SendIdempotent(*api_, "GET", target, "", config_));
      if (r.status != 200) return HttpError("jira: GET " + rest_ + "/search", r);
      json j = json::parse(r.body, nullptr, false);
      if (j.is_discarded() || !j.is_object() || !j.contains("issues") || !j["issues"].is_array())
        return InvalidArgumentError("jira: search response has no `issues` array");
      const json& issues = j["issues"];
      for (const auto& item : issues) {
        if (!item.is_object()) continue;
        TrackerIssue issue;
        issue.id = Str(item, "key");
        if (issue.id.empty()) continue;
        issue.url = api_->origin() + api_->prefix() + "/browse/" + issue.id;
        const json empty = json::object();
        const json& f = item.contains("fields") && item["fields"].is_object() ? item["fields"] : empty;
        issue.title = Str(f, "summary");
        if (f.contains("description")) issue.body = BodyText(f["description"]);
        if (auto ls = f.find("labels"); ls != f.end() && ls->is_array())
          for (const auto& l : *ls)
            if (l.is_string()) issue.labels.push_back(l.get<std::string>());
        std::string category;
        if (auto st = f.find("status"); st != f.end() && st->is_object() && st->contains("statusCategory"))
          category = Str((*st)["statusCategory"], "key");
        issue.open = category != "done";
        std::string resolution;
        if (auto res = f.find("resolution"); res != f.end() && res->is_object()) resolution = Str(*res, "name");
        std::string lr = resolution;
        std::transform(lr.begin(), lr.end(), lr.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        issue.closed_as_fixed = !issue.open && (lr == "fixed" || lr == "done" || lr == "resolved");
        if (auto cm = f.find("comment"); cm != f.end() && cm->is_object() && cm->contains("comments") &&
                                         (*cm)["comments"].is_array()) {
          for (const auto& c : (*cm)["comments"])
            if (c.is_object() && c.contains("body")) issue.comments.push_back(BodyText(c["body"]));
          issue.comments_loaded = true;
        }
        listing.issues.push_back(std::move(issue));
      }
      int64_t total = j.contains("total") && j["total"].is_number_integer() ? j["total"].get<int64_t>() : 0;
      start_at += static_cast<int64_t>(issues.size());
      if (issues.empty() || start_at >= total) break;
    }
    return listing;
  }

  Result<TrackerIssue> Create(const IssueDraft& draft) override {
    json fields = {{"project", {{"key", config_.project}}},
                   {"summary", draft.title},
                   {"issuetype", {{"name", "Bug"}}},
                   {"labels", draft.labels}};
    fields["description"] = cloud_ ? ToAdf(draft.body) : json(draft.body);
    json req = {{"fields", fields}};
    TRACERY_ASSIGN_OR_RETURN(HttpResponse r, api_->Send("POST", rest_ + "/issue", req.dump(-1, ' ', false, json::error_handler_t::replace)));
    if (r.status != 201 && r.status != 200) return HttpError("jira: POST " + rest_ + "/issue", r);
    json j = json::parse(r.body, nullptr, false);
    if (j.is_discarded() || Str(j, "key").empty()) return InvalidArgumentError("jira: create response has no issue `key`");
    TrackerIssue issue;
    issue.id = Str(j, "key");
    issue.url = api_->origin() + api_->prefix() + "/browse/" + issue.id;
    issue.title = draft.title;
    issue.body = draft.body;
    issue.labels = draft.labels;
    return issue;
  }

  Status Comment(const TrackerIssue& issue, const std::string& markdown) override {
    json req = {{"body", cloud_ ? ToAdf(markdown) : json(markdown)}};
    std::string path = rest_ + "/issue/" + UrlEncode(issue.id) + "/comment";
    TRACERY_ASSIGN_OR_RETURN(HttpResponse r, api_->Send("POST", path, req.dump(-1, ' ', false, json::error_handler_t::replace)));
    if (r.status != 201 && r.status != 200) return HttpError("jira: POST " + path, r);
    return OkStatus();
  }

  Status Reopen(const TrackerIssue& issue, const std::string& markdown) override {
    std::string path = rest_ + "/issue/" + UrlEncode(issue.id) + "/transitions";
    TRACERY_ASSIGN_OR_RETURN(HttpResponse r, SendIdempotent(*api_, "GET", path, "", config_));
    if (r.status != 200) return HttpError("jira: GET " + path, r);
    json j = json::parse(r.body, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("transitions") || !j["transitions"].is_array())
      return InvalidArgumentError("jira: transitions response has no `transitions` array");
    // A transition out of "done": one named like "reopen" first, else the first to a to-do state,
    // else the first to an in-progress state.
    std::string best;
    int best_rank = 99;
    for (const auto& t : j["transitions"]) {
      if (!t.is_object()) continue;
      std::string id = Str(t, "id");
      std::string name = Str(t, "name");
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      std::string category;
      if (t.contains("to") && t["to"].is_object() && t["to"].contains("statusCategory"))
        category = Str(t["to"]["statusCategory"], "key");
      int rank = name.find("reopen") != std::string::npos ? 0 : category == "new" ? 1 : category == "indeterminate" ? 2 : 99;
      if (!id.empty() && rank < best_rank) {
        best = id;
        best_rank = rank;
      }
    }
    if (best.empty()) return FailedPreconditionError("jira: issue " + issue.id + " has no transition out of done");
    json req = {{"transition", {{"id", best}}}};
    TRACERY_ASSIGN_OR_RETURN(HttpResponse t, api_->Send("POST", path, req.dump()));
    if (t.status != 204 && t.status != 200) return HttpError("jira: POST " + path, t);
    return Comment(issue, markdown);
  }

 private:
  TrackerConfig config_;
  std::unique_ptr<HttpApi> api_;
  bool cloud_;
  std::string rest_;
};

}  // namespace

Result<std::unique_ptr<Tracker>> MakeJiraTracker(const TrackerConfig& config) {
  if (config.base_url.empty()) return InvalidArgumentError("jira: a base url is required (https://<site>.atlassian.net or the data center url)");
  bool key_ok = std::all_of(config.project.begin(), config.project.end(),
                            [](unsigned char c) { return std::isalnum(c) || c == '_'; });
  if (!key_ok) return InvalidArgumentError("jira: project must be a project key like 'OPS', got '" + config.project + "'");
  TRACERY_ASSIGN_OR_RETURN(auto api, HttpApi::Make(config.base_url, config.timeout_ms));
  return std::unique_ptr<Tracker>(new JiraTracker(config, std::move(api)));
}

}  // namespace tracery::triage::internal
