// Tracker clients against loopback fakes implementing the documented request/response shapes of
// GitHub REST, Jira REST v2/v3 and Linear GraphQL, and the dedup/posting decisions of SyncDrafts.
#include "triage/tracker.h"

#include <httplib.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <mutex>
#include <thread>

#include "testing/testing.h"
#include "triage/draft.h"

namespace tracery::triage {
namespace {

using nlohmann::json;

struct Recorded {
  std::string method, path, body, auth;
};

// A loopback HTTP server; handlers are registered before Start().
class Fake {
 public:
  ~Fake() {
    server.stop();
    if (thread_.joinable()) thread_.join();
  }
  void Start() {
    port_ = server.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server.listen_after_bind(); });
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void Record(const httplib::Request& req) {
    std::lock_guard<std::mutex> lock(mu);
    std::string path = req.path;
    if (!req.params.empty()) {
      path += "?";
      for (const auto& [k, v] : req.params) path += k + "=" + v + "&";
    }
    requests.push_back({req.method, path, req.body, req.get_header_value("Authorization")});
  }
  size_t Count(const std::string& method, const std::string& prefix) {
    std::lock_guard<std::mutex> lock(mu);
    size_t n = 0;
    for (const auto& r : requests) n += r.method == method && r.path.rfind(prefix, 0) == 0;
    return n;
  }
  httplib::Server server;
  std::mutex mu;
  std::vector<Recorded> requests;

 private:
  int port_ = 0;
  std::thread thread_;
};

IssueDraft Draft(const std::string& cluster_id, std::vector<std::string> members, Severity severity = Severity::kHigh) {
  IssueDraft d;
  d.cluster_id = cluster_id;
  d.mode_id = "loop";
  d.rubric_name = "agents";
  d.rubric_version = "1.0.0";
  d.triage_run_id = "tr-9";
  d.severity = severity;
  d.priority = "P2";
  d.member_run_ids = std::move(members);
  d.representative_run_id = d.member_run_ids.empty() ? "" : d.member_run_ids[0];
  d.labels = DraftLabels(d.rubric_name, d.rubric_version, d.mode_id);
  d.title = "Tool loop: search called 12 times";
  Provenance p;
  p.cluster_id = cluster_id;
  p.mode_id = d.mode_id;
  p.rubric_name = d.rubric_name;
  p.rubric_version = d.rubric_version;
  p.member_run_ids = d.member_run_ids;
  p.representative_run_id = d.representative_run_id;
  d.body = "## What happens\n\nThe agent loops.\n\n" + ProvenanceComment(p) + "\n";
  return d;
}

std::string BodyWith(const std::string& cluster_id, const std::vector<std::string>& members) {
  Provenance p;
  p.cluster_id = cluster_id;
  p.mode_id = "loop";
  p.member_run_ids = members;
  return "Existing issue.\n" + ProvenanceComment(p);
}

// ---------------------------------------------------------------- GitHub

class FakeGithub : public Fake {
 public:
  json issues = json::array();  // GitHub issue objects
  std::map<std::string, json> comments;  // number -> array of comment objects
  int page_size = 2;
  int list_status = 200;        // non-200: error on listing
  int create_status = 201;
  std::string link_override;  // replaces the next-page Link target
  std::atomic<int> next_number{100};

  FakeGithub() {
    server.Get(R"(/repos/acme/agent/issues)", [this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      if (!Authorized(req, res)) return;
      if (list_status == 403) {
        res.status = 403;
        res.set_header("X-RateLimit-Remaining", "0");
        res.set_header("X-RateLimit-Reset", "1700000000");
        res.set_content(R"({"message":"API rate limit exceeded"})", "application/json");
        return;
      }
      if (list_status != 200) {
        res.status = list_status;
        res.set_content(R"({"message":"Server Error"})", "application/json");
        return;
      }
      // labels=a,b,c: every label must be on the issue.
      std::vector<std::string> want;
      std::string labels = req.get_param_value("labels");
      for (size_t s = 0, e; s <= labels.size(); s = e + 1) {
        e = labels.find(',', s);
        if (e == std::string::npos) e = labels.size();
        if (e > s) want.push_back(labels.substr(s, e - s));
      }
      json matching = json::array();
      for (const auto& i : issues) {
        bool all = true;
        for (const auto& w : want) {
          bool has = false;
          for (const auto& l : i["labels"]) has |= l["name"] == w;
          all &= has;
        }
        if (all && req.get_param_value("state") == "all") matching.push_back(i);
      }
      int page = req.has_param("page") ? std::stoi(req.get_param_value("page")) : 1;
      json out = json::array();
      for (int k = (page - 1) * page_size; k < std::min<int>(page * page_size, static_cast<int>(matching.size())); ++k)
        out.push_back(matching[static_cast<size_t>(k)]);
      if (page * page_size < static_cast<int>(matching.size()) && !link_override.empty())
        res.set_header("Link", "<" + link_override + ">; rel=\"next\"");
      else if (page * page_size < static_cast<int>(matching.size()))
        res.set_header("Link", "<" + url() + "/repos/acme/agent/issues?labels=" + labels + "&state=all&per_page=100&page=" +
                                   std::to_string(page + 1) + ">; rel=\"next\", <" + url() + "/repos/acme/agent/issues?page=99>; rel=\"last\"");
      res.set_content(out.dump(), "application/json");
    });
    server.Post(R"(/repos/acme/agent/issues)", [this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      if (!Authorized(req, res)) return;
      if (create_status != 201) {
        res.status = create_status;
        res.set_content(R"({"message":"Validation Failed","errors":[{"resource":"Issue","code":"missing_field","field":"title"}]})", "application/json");
        return;
      }
      auto j = json::parse(req.body);
      int n = next_number++;
      json labels = json::array();
      for (const auto& l : j["labels"]) labels.push_back({{"name", l}});
      json issue = {{"number", n}, {"html_url", "https://github.com/acme/agent/issues/" + std::to_string(n)},
                    {"title", j["title"]}, {"body", j["body"]}, {"state", "open"}, {"state_reason", nullptr}, {"labels", labels}};
      issues.push_back(issue);
      res.status = 201;
      res.set_content(issue.dump(), "application/json");
    });
    server.Post(R"(/repos/acme/agent/issues/(\d+)/comments)", [this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      if (!Authorized(req, res)) return;
      comments[req.matches[1]].push_back({{"id", 1}, {"body", json::parse(req.body)["body"]}});
      res.status = 201;
      res.set_content("{}", "application/json");
    });
    server.Get(R"(/repos/acme/agent/issues/(\d+)/comments)", [this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      if (!Authorized(req, res)) return;
      json c = comments.count(req.matches[1]) ? comments[req.matches[1]] : json::array();
      res.set_content(c.dump(), "application/json");
    });
    server.Patch(R"(/repos/acme/agent/issues/(\d+))", [this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      if (!Authorized(req, res)) return;
      for (auto& i : issues)
        if (std::to_string(i["number"].get<int>()) == req.matches[1].str()) {
          i["state"] = json::parse(req.body)["state"];
          i["state_reason"] = "reopened";
        }
      res.set_content("{}", "application/json");
    });
    Start();
  }

  void AddIssue(int number, const std::string& state, const std::string& reason, const std::string& body,
                std::vector<std::string> labels = {"tracery", "mode:loop", "rubric:agents@1.0.0"}) {
    json ls = json::array();
    for (const auto& l : labels) ls.push_back({{"name", l}, {"color", "fff"}});
    issues.push_back({{"number", number}, {"html_url", "https://github.com/acme/agent/issues/" + std::to_string(number)},
                      {"title", "t"}, {"body", body}, {"state", state},
                      {"state_reason", reason.empty() ? json(nullptr) : json(reason)}, {"labels", ls}});
  }

 private:
  bool Authorized(const httplib::Request& req, httplib::Response& res) {
    if (req.get_header_value("Authorization") == "Bearer good" && req.get_header_value("X-GitHub-Api-Version") == "2022-11-28" &&
        !req.get_header_value("User-Agent").empty())
      return true;
    res.status = 401;
    res.set_content(R"({"message":"Bad credentials"})", "application/json");
    return false;
  }
};

std::unique_ptr<Tracker> Github(const FakeGithub& fake, const std::string& token = "good", int max_pages = 20) {
  TrackerConfig c;
  c.kind = "github";
  c.base_url = fake.url();
  c.project = "acme/agent";
  c.token = token;
  c.max_pages = max_pages;
  c.retry_backoff_ms = 1;
  auto t = MakeTracker(c);
  EXPECT_OK(t);
  return std::move(t).value();
}

TEST(GithubTest, ListingFollowsLinkPaginationAndSkipsPullRequests) {
  FakeGithub fake;
  for (int i = 1; i <= 5; ++i) fake.AddIssue(i, i == 3 ? "closed" : "open", i == 3 ? "completed" : "", "b");
  fake.issues.push_back({{"number", 6}, {"pull_request", json::object()}, {"state", "open"},
                         {"labels", json::array({{{"name", "tracery"}}, {{"name", "mode:loop"}}, {{"name", "rubric:agents@1.0.0"}}})}});
  fake.AddIssue(7, "open", "", "b", {"tracery"});  // lacks the mode label
  auto t = Github(fake);
  ASSERT_OK_AND_ASSIGN(TrackerListing l, t->FindIssues({"tracery", "mode:loop", "rubric:agents@1.0.0"}));
  EXPECT_FALSE(l.truncated);
  ASSERT_EQ(l.issues.size(), 5u);
  EXPECT_EQ(fake.Count("GET", "/repos/acme/agent/issues"), 3u);  // 6 matching items, 2 per page
  EXPECT_EQ(l.issues[2].id, "3");
  EXPECT_FALSE(l.issues[2].open);
  EXPECT_TRUE(l.issues[2].closed_as_fixed);
  EXPECT_EQ(l.issues[0].url, "https://github.com/acme/agent/issues/1");
  EXPECT_EQ(l.issues[0].labels.size(), 3u);
  // Page cap: the listing says it is incomplete.
  auto capped = Github(fake, "good", 2);
  ASSERT_OK_AND_ASSIGN(TrackerListing c, capped->FindIssues({"tracery", "mode:loop", "rubric:agents@1.0.0"}));
  EXPECT_TRUE(c.truncated);
  EXPECT_EQ(c.issues.size(), 4u);
}

TEST(GithubTest, ErrorsMapToStatuses) {
  FakeGithub fake;
  auto bad = Github(fake, "wrong");
  auto r = bad->FindIssues({"tracery"});
  EXPECT_STATUS(r, StatusCode::kUnauthenticated);
  EXPECT_NE(r.status().message().find("401"), std::string::npos);
  fake.list_status = 403;
  auto rl = Github(fake)->FindIssues({"tracery"});
  EXPECT_STATUS(rl, StatusCode::kResourceExhausted);
  EXPECT_NE(rl.status().message().find("1700000000"), std::string::npos);
  fake.list_status = 502;
  size_t before = fake.Count("GET", "/repos/acme/agent/issues");
  EXPECT_STATUS(Github(fake)->FindIssues({"tracery"}), StatusCode::kUnavailable);
  EXPECT_EQ(fake.Count("GET", "/repos/acme/agent/issues") - before, 3u);  // 1 + 2 retries
  fake.list_status = 200;
  fake.create_status = 422;
  auto created = Github(fake)->Create(Draft("c1", {"r1"}));
  EXPECT_STATUS(created, StatusCode::kInvalidArgument);
  EXPECT_NE(created.status().message().find("Validation Failed"), std::string::npos);
  fake.create_status = 500;
  size_t posts = fake.Count("POST", "/repos/acme/agent/issues");
  EXPECT_STATUS(Github(fake)->Create(Draft("c1", {"r1"})), StatusCode::kUnavailable);
  EXPECT_EQ(fake.Count("POST", "/repos/acme/agent/issues") - posts, 1u);  // never retry a create
  TrackerConfig c;
  c.kind = "github";
  c.project = "not a repo";
  c.token = "t";
  EXPECT_STATUS(MakeTracker(c), StatusCode::kInvalidArgument);
  c.project = "a/b";
  c.token = "";
  EXPECT_STATUS(MakeTracker(c), StatusCode::kInvalidArgument);
  c.token = "t";
  c.kind = "bugzilla";
  EXPECT_STATUS(MakeTracker(c), StatusCode::kInvalidArgument);
}

TEST(GithubTest, RefusesToFollowLinksToAnotherOrigin) {
  FakeGithub fake;
  fake.AddIssue(1, "open", "", "b");
  fake.AddIssue(2, "open", "", "b");
  fake.AddIssue(3, "open", "", "b");
  fake.link_override = "http://evil.example:1/steal";
  auto r = Github(fake)->FindIssues({"tracery"});
  EXPECT_STATUS(r, StatusCode::kInvalidArgument);
}

TEST(SyncTest, CreatesOnlyAtOrAboveThreshold) {
  FakeGithub fake;
  auto t = Github(fake);
  auto never = SyncDrafts(*t, {Draft("c1", {"r1", "r2"})}, "never");
  ASSERT_EQ(never.size(), 1u);
  EXPECT_EQ(never[0].outcome, TrackerOutcome::kNeedsCreate);
  auto below = SyncDrafts(*t, {Draft("c1", {"r1", "r2"}, Severity::kMedium)}, "high");
  EXPECT_EQ(below[0].outcome, TrackerOutcome::kNeedsCreate);
  EXPECT_EQ(fake.Count("POST", "/repos/acme/agent/issues"), 0u);
  auto created = SyncDrafts(*t, {Draft("c1", {"r1", "r2"}, Severity::kCritical)}, "high");
  EXPECT_EQ(created[0].outcome, TrackerOutcome::kCreated);
  EXPECT_EQ(created[0].issue_url, "https://github.com/acme/agent/issues/100");
  ASSERT_EQ(fake.issues.size(), 1u);
  EXPECT_EQ(fake.issues[0]["labels"].size(), 3u);
  EXPECT_EQ(ParseProvenance(fake.issues[0]["body"])->cluster_id, "c1");
  // Running again finds it by cluster id: nothing new, nothing posted.
  auto again = SyncDrafts(*t, {Draft("c1", {"r1", "r2"}, Severity::kCritical)}, "high");
  EXPECT_EQ(again[0].outcome, TrackerOutcome::kSkipped);
  EXPECT_EQ(fake.issues.size(), 1u);
}

TEST(SyncTest, GrownClusterIsCommentedOnceByMemberOverlap) {
  FakeGithub fake;
  fake.AddIssue(5, "open", "", BodyWith("oldid", {"r1", "r2", "r3"}));
  auto t = Github(fake);
  IssueDraft grown = Draft("newid", {"r1", "r2", "r3", "r4", "r5"});
  auto a = SyncDrafts(*t, {grown}, "low");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].outcome, TrackerOutcome::kCommented) << a[0].detail;
  EXPECT_EQ(a[0].issue_url, "https://github.com/acme/agent/issues/5");
  ASSERT_EQ(fake.comments["5"].size(), 1u);
  std::string comment = fake.comments["5"][0]["body"];
  EXPECT_NE(comment.find("`r4`"), std::string::npos);
  EXPECT_NE(comment.find("`r5`"), std::string::npos);
  EXPECT_EQ(comment.find("`r1`"), std::string::npos);
  EXPECT_NE(comment.find("tr-9"), std::string::npos);
  // The comment's provenance remembers r4 and r5: the next triage run does not comment again.
  auto b = SyncDrafts(*t, {grown}, "low");
  EXPECT_EQ(b[0].outcome, TrackerOutcome::kSkipped) << b[0].detail;
  EXPECT_EQ(fake.comments["5"].size(), 1u);
  EXPECT_EQ(fake.issues.size(), 1u);  // never a duplicate
}

TEST(SyncTest, CommentListsAtMostFiftyRuns) {
  FakeGithub fake;
  fake.AddIssue(5, "open", "", BodyWith("c1", {"r0"}));
  std::vector<std::string> members{"r0"};
  for (int i = 1; i <= 60; ++i) members.push_back("n" + std::to_string(i));
  auto a = SyncDrafts(*Github(fake), {Draft("c1", members)}, "never");
  EXPECT_EQ(a[0].outcome, TrackerOutcome::kCommented);
  std::string comment = fake.comments["5"][0]["body"];
  EXPECT_NE(comment.find("…and 10 more"), std::string::npos);
  EXPECT_NE(comment.find("`n50`"), std::string::npos);
  EXPECT_EQ(comment.find("`n51`"), std::string::npos);
}

TEST(SyncTest, ReopensClosedAsFixedButNotClosedAsNotPlanned) {
  FakeGithub fake;
  fake.AddIssue(8, "closed", "completed", BodyWith("c1", {"r1", "r2"}));
  fake.AddIssue(9, "closed", "not_planned", BodyWith("c2", {"s1", "s2"}));
  auto t = Github(fake);
  auto a = SyncDrafts(*t, {Draft("c1", {"r1", "r2", "r3"}), Draft("c2", {"s1", "s2", "s3"}), Draft("c1", {"r1", "r2"})}, "low");
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[0].outcome, TrackerOutcome::kReopened) << a[0].detail;
  EXPECT_EQ(fake.Count("PATCH", "/repos/acme/agent/issues/8"), 1u);
  EXPECT_EQ(fake.issues[0]["state"], "open");
  EXPECT_NE(fake.comments["8"][0]["body"].get<std::string>().find("is back"), std::string::npos);
  EXPECT_EQ(a[1].outcome, TrackerOutcome::kSkipped);
  EXPECT_NE(a[1].detail.find("not planned"), std::string::npos);
  EXPECT_EQ(fake.Count("PATCH", "/repos/acme/agent/issues/9"), 0u);
  // The same runs as before on a now-open issue: nothing to say.
  EXPECT_EQ(a[2].outcome, TrackerOutcome::kSkipped);
}

TEST(SyncTest, CandidatesNeedModeAndRubricLabels) {
  FakeGithub fake;
  // Same cluster id in the provenance, but the rubric label differs (another rubric version).
  fake.AddIssue(5, "open", "", BodyWith("c1", {"r1"}), {"tracery", "mode:loop", "rubric:agents@0.9.0"});
  auto a = SyncDrafts(*Github(fake), {Draft("c1", {"r1"})}, "low");
  EXPECT_EQ(a[0].outcome, TrackerOutcome::kCreated);
}

TEST(SyncTest, TruncatedListingNeverAutoPosts) {
  FakeGithub fake;
  for (int i = 1; i <= 6; ++i) fake.AddIssue(i, "open", "", BodyWith("other" + std::to_string(i), {"x" + std::to_string(i)}));
  auto a = SyncDrafts(*Github(fake, "good", 1), {Draft("c1", {"r1"}, Severity::kCritical)}, "low");
  EXPECT_EQ(a[0].outcome, TrackerOutcome::kNeedsCreate);
  EXPECT_NE(a[0].detail.find("truncated"), std::string::npos);
  EXPECT_EQ(fake.Count("POST", "/repos/acme/agent/issues"), 0u);
}

TEST(SyncTest, TrackerErrorsAreFailedNotFatal) {
  FakeGithub fake;
  fake.create_status = 422;
  auto t = Github(fake);
  auto a = SyncDrafts(*t, {Draft("c1", {"r1"}), Draft("c2", {"r2"}, Severity::kLow)}, "high");
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].outcome, TrackerOutcome::kFailed);
  EXPECT_NE(a[0].detail.find("422"), std::string::npos);
  EXPECT_EQ(a[1].outcome, TrackerOutcome::kNeedsCreate);  // the run went on
  auto bad = Github(fake, "wrong");
  auto b = SyncDrafts(*bad, {Draft("c1", {"r1"})}, "high");
  EXPECT_EQ(b[0].outcome, TrackerOutcome::kFailed);
  EXPECT_NE(b[0].detail.find("401"), std::string::npos);
  EXPECT_TRUE(IsValidAutoPostThreshold("never"));
  EXPECT_TRUE(IsValidAutoPostThreshold("critical"));
  EXPECT_FALSE(IsValidAutoPostThreshold("urgent"));
}

// ---------------------------------------------------------------- Jira

class FakeJira : public Fake {
 public:
  json issues = json::array();
  std::map<std::string, json> comments;
  std::vector<json> created;
  std::string expected_auth;
  std::string api;  // "3" cloud or "2" data center
  int page_size = 2;
  int next = 1;

  explicit FakeJira(std::string version, std::string auth) : expected_auth(std::move(auth)), api(std::move(version)) {
    const std::string base = "/rest/api/" + api;
    server.Get(base + "/search", [this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      if (!Authorized(req, res)) return;
      std::string jql = req.get_param_value("jql");
      if (jql.find("project = \"OPS\"") == std::string::npos) {
        res.status = 400;
        res.set_content(R"({"errorMessages":["The value 'X' does not exist for the field 'project'."]})", "application/json");
        return;
      }
      json matching = json::array();
      for (const auto& i : issues) {
        bool all = true;
        for (const auto& l : i["fields"]["labels"]) (void)l;
        for (const char* want : {"tracery", "mode:loop", "rubric:agents@1.0.0"}) {
          if (jql.find(std::string("labels = \"") + want + "\"") == std::string::npos) continue;
          bool has = false;
          for (const auto& l : i["fields"]["labels"]) has |= l == want;
          all &= has;
        }
        if (all) matching.push_back(i);
      }
      int start = std::stoi(req.get_param_value("startAt"));
      int max = std::min(page_size, std::stoi(req.get_param_value("maxResults")));
      json page = json::array();
      for (int k = start; k < std::min<int>(start + max, static_cast<int>(matching.size())); ++k) page.push_back(matching[static_cast<size_t>(k)]);
      res.set_content(json{{"startAt", start}, {"maxResults", max}, {"total", matching.size()}, {"issues", page}}.dump(), "application/json");
    });
    server.Post(base + "/issue", [this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      if (!Authorized(req, res)) return;
      auto j = json::parse(req.body);
      created.push_back(j);
      std::string key = "OPS-" + std::to_string(next++);
      res.status = 201;
      res.set_content(json{{"id", "1000"}, {"key", key}, {"self", "x"}}.dump(), "application/json");
    });
    server.Post(base + R"(/issue/([A-Z]+-\d+)/comment)", [this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      if (!Authorized(req, res)) return;
      comments[req.matches[1]].push_back(json::parse(req.body)["body"]);
      res.status = 201;
      res.set_content("{}", "application/json");
    });
    server.Get(base + R"(/issue/([A-Z]+-\d+)/transitions)", [this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      res.set_content(R"({"transitions":[{"id":"11","name":"Close","to":{"statusCategory":{"key":"done"}}},
        {"id":"21","name":"Start","to":{"statusCategory":{"key":"indeterminate"}}},
        {"id":"31","name":"Reopen Issue","to":{"statusCategory":{"key":"new"}}}]})", "application/json");
    });
    server.Post(base + R"(/issue/([A-Z]+-\d+)/transitions)", [this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      res.status = 204;
    });
    Start();
  }

  void AddIssue(const std::string& key, const std::string& category, const std::string& resolution, const std::string& body) {
    json description = api == "3" ? json{{"type", "doc"}, {"version", 1},
                                         {"content", json::array({{{"type", "paragraph"}, {"content", json::array({{{"type", "text"}, {"text", body}}})}}})}}
                                   : json(body);
    issues.push_back({{"key", key}, {"id", "1"},
                      {"fields", {{"summary", "s"}, {"description", description},
                                  {"labels", json::array({"tracery", "mode:loop", "rubric:agents@1.0.0"})},
                                  {"status", {{"name", "x"}, {"statusCategory", {{"key", category}}}}},
                                  {"resolution", resolution.empty() ? json(nullptr) : json{{"name", resolution}}},
                                  {"comment", {{"comments", json::array()}, {"total", 0}}}}}});
  }

 private:
  bool Authorized(const httplib::Request& req, httplib::Response& res) {
    if (req.get_header_value("Authorization") == expected_auth) return true;
    res.status = 401;
    res.set_content("", "text/plain");
    return false;
  }
};

std::unique_ptr<Tracker> Jira(const FakeJira& fake, bool cloud, const std::string& token = "tok") {
  TrackerConfig c;
  c.kind = "jira";
  c.base_url = fake.url();
  c.project = "OPS";
  c.token = token;
  c.user = cloud ? "bot@acme.dev" : "";
  c.retry_backoff_ms = 1;
  auto t = MakeTracker(c);
  EXPECT_OK(t);
  return std::move(t).value();
}

TEST(JiraTest, CloudPaginatesWithStartAtAndParsesAdf) {
  // base64("bot@acme.dev:tok")
  FakeJira fake("3", "Basic Ym90QGFjbWUuZGV2OnRvaw==");
  fake.AddIssue("OPS-1", "new", "", "first " + ProvenanceComment(Provenance{"", "", "loop", "c1", "", "", {"r1"}, false}));
  fake.AddIssue("OPS-2", "done", "Fixed", "second");
  fake.AddIssue("OPS-3", "done", "Won't Do", "third");
  auto t = Jira(fake, true);
  ASSERT_OK_AND_ASSIGN(TrackerListing l, t->FindIssues({"tracery", "mode:loop", "rubric:agents@1.0.0"}));
  EXPECT_EQ(fake.Count("GET", "/rest/api/3/search"), 2u);
  ASSERT_EQ(l.issues.size(), 3u);
  EXPECT_EQ(l.issues[0].url, fake.url() + "/browse/OPS-1");
  EXPECT_EQ(ParseProvenance(l.issues[0].body)->cluster_id, "c1");
  EXPECT_TRUE(l.issues[0].open);
  EXPECT_TRUE(l.issues[1].closed_as_fixed);
  EXPECT_FALSE(l.issues[2].open);
  EXPECT_FALSE(l.issues[2].closed_as_fixed);
  EXPECT_TRUE(l.issues[0].comments_loaded);
  // Create sends ADF and labels.
  ASSERT_OK_AND_ASSIGN(TrackerIssue created, t->Create(Draft("c9", {"r9"})));
  EXPECT_EQ(created.id, "OPS-1");
  ASSERT_EQ(fake.created.size(), 1u);
  const json& f = fake.created[0]["fields"];
  EXPECT_EQ(f["project"]["key"], "OPS");
  EXPECT_EQ(f["description"]["type"], "doc");
  EXPECT_EQ(f["labels"].size(), 3u);
  EXPECT_EQ(f["issuetype"]["name"], "Bug");
  // Wrong credentials.
  EXPECT_STATUS(Jira(fake, true, "bad")->FindIssues({"tracery"}), StatusCode::kUnauthenticated);
}

TEST(JiraTest, DataCenterUsesBearerAndPlainText) {
  FakeJira fake("2", "Bearer pat-1");
  fake.AddIssue("OPS-7", "done", "Fixed", BodyWith("c1", {"r1"}));
  auto t = Jira(fake, false, "pat-1");
  auto a = SyncDrafts(*t, {Draft("c1", {"r1", "r2"})}, "never");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].outcome, TrackerOutcome::kReopened) << a[0].detail;
  // The "Reopen Issue" transition was chosen, then a plain-text comment.
  bool posted_31 = false;
  for (const auto& r : fake.requests)
    if (r.method == "POST" && r.path.find("/transitions") != std::string::npos) posted_31 = json::parse(r.body)["transition"]["id"] == "31";
  EXPECT_TRUE(posted_31);
  ASSERT_EQ(fake.comments["OPS-7"].size(), 1u);
  EXPECT_TRUE(fake.comments["OPS-7"][0].is_string());
  EXPECT_NE(fake.comments["OPS-7"][0].get<std::string>().find("`r2`"), std::string::npos);
  ASSERT_OK(t->Create(Draft("c2", {"x"})).status());
  EXPECT_TRUE(fake.created[0]["fields"]["description"].is_string());
}

// ---------------------------------------------------------------- Linear

class FakeLinear : public Fake {
 public:
  json issues = json::array();  // Linear Issue nodes
  json labels = json::array({{{"id", "lab-tracery"}, {"name", "tracery"}}});
  std::vector<json> created, comments, updates, label_creates;
  int page_size = 2;
  std::string error_code;  // when set, every request fails with this GraphQL error

  FakeLinear() {
    server.Post("/graphql", [this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      if (req.get_header_value("Authorization") != "lin_api_good") {
        res.status = 400;
        res.set_content(R"({"errors":[{"message":"Authentication required, not authenticated","extensions":{"code":"AUTHENTICATION_ERROR"}}]})", "application/json");
        return;
      }
      if (!error_code.empty()) {
        res.status = error_code == "RATELIMITED" ? 400 : 200;
        res.set_content(json{{"errors", json::array({{{"message", "nope"}, {"extensions", {{"code", error_code}}}}})}}.dump(), "application/json");
        return;
      }
      auto j = json::parse(req.body);
      std::string q = j["query"];
      const json& v = j["variables"];
      json data;
      if (q.find("query TraceryIssues") != std::string::npos) {
        EXPECT_EQ(v["filter"]["team"]["id"]["eq"], "team-1");
        size_t start = v["after"].is_null() ? 0 : std::stoul(v["after"].get<std::string>());
        json nodes = json::array();
        for (size_t k = start; k < std::min(start + static_cast<size_t>(page_size), issues.size()); ++k) nodes.push_back(issues[k]);
        bool more = start + static_cast<size_t>(page_size) < issues.size();
        data = {{"issues", {{"nodes", nodes}, {"pageInfo", {{"hasNextPage", more}, {"endCursor", more ? json(std::to_string(start + static_cast<size_t>(page_size))) : json(nullptr)}}}}}};
      } else if (q.find("query TraceryLabels") != std::string::npos) {
        data = {{"issueLabels", {{"nodes", labels}}}};
      } else if (q.find("mutation TraceryLabelCreate") != std::string::npos) {
        label_creates.push_back(v["input"]);
        json l = {{"id", "lab-" + std::to_string(label_creates.size())}, {"name", v["input"]["name"]}};
        labels.push_back(l);
        data = {{"issueLabelCreate", {{"success", true}, {"issueLabel", l}}}};
      } else if (q.find("mutation TraceryIssueCreate") != std::string::npos) {
        created.push_back(v["input"]);
        data = {{"issueCreate", {{"success", true}, {"issue", {{"id", "iss-new"}, {"identifier", "ENG-42"}, {"url", "https://linear.app/acme/issue/ENG-42"}}}}}};
      } else if (q.find("mutation TraceryCommentCreate") != std::string::npos) {
        comments.push_back(v["input"]);
        data = {{"commentCreate", {{"success", true}}}};
      } else if (q.find("query TraceryStates") != std::string::npos) {
        data = {{"team", {{"states", {{"nodes", json::array({{{"id", "st-done"}, {"name", "Done"}, {"type", "completed"}, {"position", 3}},
                                                             {{"id", "st-prog"}, {"name", "In Progress"}, {"type", "started"}, {"position", 2}},
                                                             {{"id", "st-todo"}, {"name", "Todo"}, {"type", "unstarted"}, {"position", 1}}})}}}}}};
      } else if (q.find("mutation TraceryIssueUpdate") != std::string::npos) {
        updates.push_back(v);
        data = {{"issueUpdate", {{"success", true}}}};
      } else {
        res.status = 400;
        res.set_content(R"({"errors":[{"message":"unknown operation","extensions":{"code":"GRAPHQL_VALIDATION_FAILED"}}]})", "application/json");
        return;
      }
      res.set_content(json{{"data", data}}.dump(), "application/json");
    });
    Start();
  }

  void AddIssue(const std::string& id, const std::string& state_type, const std::string& body,
                std::vector<std::string> names = {"tracery", "mode:loop", "rubric:agents@1.0.0"}) {
    json ls = json::array();
    for (const auto& n : names) ls.push_back({{"name", n}});
    issues.push_back({{"id", id}, {"identifier", "ENG-" + id}, {"url", "https://linear.app/acme/issue/ENG-" + id},
                      {"title", "t"}, {"description", body}, {"state", {{"type", state_type}, {"name", state_type}}},
                      {"labels", {{"nodes", ls}}}, {"comments", {{"nodes", json::array()}}}});
  }
};

std::unique_ptr<Tracker> Linear(const FakeLinear& fake, const std::string& key = "lin_api_good", int max_pages = 20) {
  TrackerConfig c;
  c.kind = "linear";
  c.base_url = fake.url();
  c.project = "team-1";
  c.token = key;
  c.max_pages = max_pages;
  c.retry_backoff_ms = 1;
  auto t = MakeTracker(c);
  EXPECT_OK(t);
  return std::move(t).value();
}

TEST(LinearTest, PaginatesWithPageInfoAndFiltersAllLabels) {
  FakeLinear fake;
  fake.AddIssue("1", "started", "a");
  fake.AddIssue("2", "completed", "b");
  fake.AddIssue("3", "canceled", "c");
  fake.AddIssue("4", "unstarted", "d", {"tracery"});  // the server filter is loose; we are not
  fake.AddIssue("5", "backlog", "e");
  ASSERT_OK_AND_ASSIGN(TrackerListing l, Linear(fake)->FindIssues({"tracery", "mode:loop", "rubric:agents@1.0.0"}));
  EXPECT_EQ(fake.Count("POST", "/graphql"), 3u);
  ASSERT_EQ(l.issues.size(), 4u);
  EXPECT_TRUE(l.issues[0].open);
  EXPECT_TRUE(l.issues[1].closed_as_fixed);
  EXPECT_FALSE(l.issues[2].open);
  EXPECT_FALSE(l.issues[2].closed_as_fixed);
  EXPECT_EQ(l.issues[3].id, "5");
  ASSERT_OK_AND_ASSIGN(TrackerListing capped, Linear(fake, "lin_api_good", 1)->FindIssues({"tracery"}));
  EXPECT_TRUE(capped.truncated);
  EXPECT_EQ(fake.requests.back().auth, "lin_api_good");  // bare key, no "Bearer"
}

TEST(LinearTest, CreateResolvesAndCreatesLabels) {
  FakeLinear fake;
  auto a = SyncDrafts(*Linear(fake), {Draft("c1", {"r1"}, Severity::kCritical)}, "critical");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].outcome, TrackerOutcome::kCreated) << a[0].detail;
  EXPECT_EQ(a[0].issue_url, "https://linear.app/acme/issue/ENG-42");
  ASSERT_EQ(fake.created.size(), 1u);
  EXPECT_EQ(fake.created[0]["teamId"], "team-1");
  EXPECT_EQ(fake.created[0]["priority"], 1);
  EXPECT_EQ(fake.label_creates.size(), 2u);  // "tracery" existed; mode and rubric labels created
  EXPECT_EQ(fake.created[0]["labelIds"], json({"lab-tracery", "lab-1", "lab-2"}));
}

TEST(LinearTest, ReopenMovesToUnstartedAndComments) {
  FakeLinear fake;
  fake.AddIssue("7", "completed", BodyWith("c1", {"r1"}));
  auto a = SyncDrafts(*Linear(fake), {Draft("c1", {"r1", "r2"})}, "never");
  EXPECT_EQ(a[0].outcome, TrackerOutcome::kReopened) << a[0].detail;
  ASSERT_EQ(fake.updates.size(), 1u);
  EXPECT_EQ(fake.updates[0]["id"], "7");
  EXPECT_EQ(fake.updates[0]["input"]["stateId"], "st-todo");
  ASSERT_EQ(fake.comments.size(), 1u);
  EXPECT_EQ(fake.comments[0]["issueId"], "7");
}

TEST(LinearTest, OverlapCountsRunsFromEarlierComments) {
  FakeLinear fake;
  fake.AddIssue("9", "started", BodyWith("c-old", {"r1"}));
  // An earlier triage run commented r2 onto the issue; the listing brings that comment along.
  fake.issues[0]["comments"]["nodes"].push_back({{"body", GrowthComment(Draft("c-mid", {"r1", "r2"}), {"r2"}, false)}});
  auto a = SyncDrafts(*Linear(fake), {Draft("c-new", {"r2", "r3"})}, "low");
  EXPECT_EQ(a[0].outcome, TrackerOutcome::kCommented) << a[0].detail;
  EXPECT_TRUE(fake.created.empty());
  ASSERT_EQ(fake.comments.size(), 1u);
  std::string body = fake.comments[0]["body"];
  EXPECT_NE(body.find("`r3`"), std::string::npos);
  EXPECT_EQ(body.find("`r2`"), std::string::npos);
}

TEST(LinearTest, GraphqlErrorsMapToStatuses) {
  FakeLinear fake;
  EXPECT_STATUS(Linear(fake, "wrong")->FindIssues({"tracery"}), StatusCode::kUnauthenticated);
  fake.error_code = "RATELIMITED";
  EXPECT_STATUS(Linear(fake)->FindIssues({"tracery"}), StatusCode::kResourceExhausted);
  fake.error_code = "FORBIDDEN";
  EXPECT_STATUS(Linear(fake)->FindIssues({"tracery"}), StatusCode::kPermissionDenied);
  fake.error_code = "INVALID_INPUT";
  auto a = SyncDrafts(*Linear(fake), {Draft("c1", {"r1"})}, "low");
  EXPECT_EQ(a[0].outcome, TrackerOutcome::kFailed);
  EXPECT_NE(a[0].detail.find("INVALID_INPUT"), std::string::npos);
}

TEST(TrackerTest, UnreachableTrackerIsFailed) {
  TrackerConfig c;
  c.kind = "github";
  c.base_url = "http://127.0.0.1:1";  // nothing listens on port 1
  c.project = "a/b";
  c.token = "t";
  c.max_retries = 0;
  c.timeout_ms = 2000;
  ASSERT_OK_AND_ASSIGN(auto t, MakeTracker(c));
  auto a = SyncDrafts(*t, {Draft("c1", {"r1"})}, "low");
  EXPECT_EQ(a[0].outcome, TrackerOutcome::kFailed);
  c.base_url = "not a url";
  EXPECT_STATUS(MakeTracker(c), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tracery::triage
