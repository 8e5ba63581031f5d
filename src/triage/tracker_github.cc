// GitHub Issues over the REST API (https://docs.github.com/rest/issues).
#include <nlohmann/json.hpp>

#include <re2/re2.h>

#include "triage/tracker.h"
#include "triage/tracker_http.h"

namespace tracery::triage::internal {
namespace {

using nlohmann::json;

// The rel="next" target of a Link header, "" when none.
std::string NextLink(const std::string& link) {
  static const RE2 kNext(R"(<([^>]+)>\s*;\s*rel="?next"?)");
  std::string url;
  if (RE2::PartialMatch(link, kNext, &url)) return url;
  return "";
}

std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

class GithubTracker : public Tracker {
 public:
  GithubTracker(TrackerConfig config, std::unique_ptr<HttpApi> api, std::string owner_repo)
      : config_(std::move(config)), api_(std::move(api)), repo_path_("/repos/" + owner_repo) {
    api_->SetHeader("Authorization", "Bearer " + config_.token);
    api_->SetHeader("Accept", "application/vnd.github+json");
    api_->SetHeader("X-GitHub-Api-Version", "2022-11-28");
    api_->SetHeader("User-Agent", "tracery-triage");
  }

  Result<TrackerListing> FindIssues(const std::vector<std::string>& labels) override {
    std::string joined;
    for (const auto& l : labels) joined += (joined.empty() ? "" : ",") + l;
    std::string target = repo_path_ + "/issues?labels=" + UrlEncode(joined) + "&state=all&per_page=100";
    TrackerListing listing;
    for (int page = 0; !target.empty(); ++page) {
      if (page >= config_.max_pages) {
        listing.truncated = true;
        break;
      }
      TRACERY_ASSIGN_OR_RETURN(HttpResponse r, SendIdempotent(*api_, "GET", target, "", config_));
      if (r.status != 200) return HttpError("github: GET " + repo_path_ + "/issues", r);
      json j = json::parse(r.body, nullptr, false);
      if (j.is_discarded() || !j.is_array()) return InvalidArgumentError("github: issue listing is not a JSON array");
      for (const auto& item : j) {
        if (!item.is_object() || item.contains("pull_request")) continue;  // the issues API lists PRs too
        TrackerIssue issue;
        auto number = item.find("number");
        if (number == item.end() || !number->is_number_integer()) continue;
        issue.id = std::to_string(number->get<int64_t>());
        issue.url = Str(item, "html_url");
        issue.title = Str(item, "title");
        issue.body = Str(item, "body");
        issue.open = Str(item, "state") != "closed";
        issue.closed_as_fixed = !issue.open && Str(item, "state_reason") == "completed";
        if (auto ls = item.find("labels"); ls != item.end() && ls->is_array()) {
          for (const auto& l : *ls) {
            if (l.is_string()) issue.labels.push_back(l.get<std::string>());
            else if (l.is_object()) issue.labels.push_back(Str(l, "name"));
          }
        }
        listing.issues.push_back(std::move(issue));
      }
      target = NextLink(r.Header("link"));
    }
    return listing;
  }

  Result<TrackerIssue> Create(const IssueDraft& draft) override {
    json req = {{"title", draft.title}, {"body", draft.body}, {"labels", draft.labels}};
    TRACERY_ASSIGN_OR_RETURN(HttpResponse r, api_->Send("POST", repo_path_ + "/issues", req.dump(-1, ' ', false, json::error_handler_t::replace)));
    if (r.status != 201 && r.status != 200) return HttpError("github: POST " + repo_path_ + "/issues", r);
    json j = json::parse(r.body, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("number") || !j["number"].is_number_integer())
      return InvalidArgumentError("github: create response has no issue `number`");
    TrackerIssue issue;
    issue.id = std::to_string(j["number"].get<int64_t>());
    issue.url = Str(j, "html_url");
    issue.title = draft.title;
    issue.body = draft.body;
    issue.labels = draft.labels;
    return issue;
  }

  Status Comment(const TrackerIssue& issue, const std::string& markdown) override {
    json req = {{"body", markdown}};
    std::string path = repo_path_ + "/issues/" + issue.id + "/comments";
    TRACERY_ASSIGN_OR_RETURN(HttpResponse r, api_->Send("POST", path, req.dump(-1, ' ', false, json::error_handler_t::replace)));
    if (r.status != 201 && r.status != 200) return HttpError("github: POST " + path, r);
    return OkStatus();
  }

  Status Reopen(const TrackerIssue& issue, const std::string& markdown) override {
    std::string path = repo_path_ + "/issues/" + issue.id;
    json req = {{"state", "open"}};
    TRACERY_ASSIGN_OR_RETURN(HttpResponse r, SendIdempotent(*api_, "PATCH", path, req.dump(), config_));
    if (r.status != 200) return HttpError("github: PATCH " + path, r);
    return Comment(issue, markdown);
  }

  Status LoadComments(TrackerIssue* issue) override {
    std::string target = repo_path_ + "/issues/" + issue->id + "/comments?per_page=100";
    for (int page = 0; !target.empty() && page < config_.max_pages; ++page) {
      TRACERY_ASSIGN_OR_RETURN(HttpResponse r, SendIdempotent(*api_, "GET", target, "", config_));
      if (r.status != 200) return HttpError("github: GET " + repo_path_ + "/issues/" + issue->id + "/comments", r);
      json j = json::parse(r.body, nullptr, false);
      if (j.is_discarded() || !j.is_array()) return InvalidArgumentError("github: comment listing is not a JSON array");
      for (const auto& c : j)
        if (c.is_object()) issue->comments.push_back(Str(c, "body"));
      target = NextLink(r.Header("link"));
    }
    issue->comments_loaded = true;
    return OkStatus();
  }

 private:
  TrackerConfig config_;
  std::unique_ptr<HttpApi> api_;
  std::string repo_path_;
};

}  // namespace

Result<std::unique_ptr<Tracker>> MakeGithubTracker(const TrackerConfig& config) {
  static const RE2 kRepo(R"([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)");
  if (!RE2::FullMatch(config.project, kRepo) || config.project.find("..") != std::string::npos)
    return InvalidArgumentError("github: project must be 'owner/repo', got '" + config.project + "'");
  TRACERY_ASSIGN_OR_RETURN(auto api, HttpApi::Make(config.base_url.empty() ? "https://api.github.com" : config.base_url,
                                                   config.timeout_ms));
  return std::unique_ptr<Tracker>(new GithubTracker(config, std::move(api), config.project));
}

}  // namespace tracery::triage::internal
