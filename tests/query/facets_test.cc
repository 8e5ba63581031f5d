#include "query/facets.h"

#include <fmt/core.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "query/query_service.h"
#include "testing/testing.h"

namespace tracery::query {
namespace {

using Json = nlohmann::json;
using ::testing::HasSubstr;

// A store holding runs in memory that filters on the facet dimensions and pages by index, so
// the facet code is exercised through real cursor paging.
class RunsStore : public store::Store {
 public:
  Result<store::WriteStats> Write(store::WriteBatch) override { return UnimplementedError("fake"); }
  Result<store::RunPage> ListRuns(const store::RunFilter& f, const store::PageRequest& page) override {
    ++list_calls;
    if (!fail.ok()) return fail;
    std::vector<model::Run> matching;
    for (const auto& r : runs) {
      if (Matches(r, f)) matching.push_back(r);
    }
    size_t start = page.cursor.empty() ? 0 : std::stoul(page.cursor);
    store::RunPage out;
    for (size_t i = start; i < matching.size() && out.runs.size() < static_cast<size_t>(page.limit); ++i) {
      out.runs.push_back(matching[i]);
    }
    size_t next = start + out.runs.size();
    if (next < matching.size()) out.next_cursor = std::to_string(next);
    if (endless_cursor) out.next_cursor = "0";
    out.total = static_cast<int64_t>(matching.size());
    return out;
  }
  Result<store::RunDetail> GetRun(const std::string&, const store::StepWindow&) override {
    return UnimplementedError("fake");
  }
  Result<std::vector<model::ContentField>> GetStepContent(const std::string&, const std::string&) override {
    return UnimplementedError("fake");
  }
  Result<std::vector<store::StatsRow>> Stats(const store::StatsQuery&) override { return UnimplementedError("fake"); }
  Result<store::SessionPage> ListSessions(const store::SessionFilter&) override { return UnimplementedError("fake"); }
  Result<std::vector<store::AgentSummary>> ListAgents(const store::RunFilter&) override {
    return UnimplementedError("fake");
  }
  // By default the fake has no aggregate (Store's kUnimplemented), so facets page through ListRuns.
  Result<std::vector<store::FacetScopeCounts>> CountRunFacets(const std::vector<store::FacetScope>& scopes,
                                                              int max_values) override {
    ++facet_calls;
    last_scopes = scopes;
    if (!facets_status.ok()) return facets_status;
    std::vector<store::FacetScopeCounts> out;
    for (const auto& scope : scopes) {
      store::FacetScopeCounts c;
      for (const auto& r : runs) c.matched += Matches(r, scope.filter) ? 1 : 0;
      for (store::FacetDimension d : scope.dimensions) {
        // Canned values, distinguishable from anything a scan would count.
        c.values.push_back({{"sql-" + std::to_string(static_cast<int>(d)), c.matched}});
        if (max_values < 1) c.values.back().clear();
      }
      out.push_back(std::move(c));
    }
    if (drop_a_scope && !out.empty()) out.pop_back();
    return out;
  }
  int AddListener(store::RunUpdateListener) override { return 0; }
  void RemoveListener(int) override {}
  Result<Info> GetInfo() override { return Info{}; }
  void Close() override {}

  std::vector<model::Run> runs;
  Status fail;
  bool endless_cursor = false;
  int list_calls = 0;
  Status facets_status = UnimplementedError("no facet aggregate in this fake");
  bool drop_a_scope = false;
  int facet_calls = 0;
  std::vector<store::FacetScope> last_scopes;

 private:
  static bool In(const std::vector<std::string>& vals, const std::string& v) {
    return vals.empty() || std::find(vals.begin(), vals.end(), v) != vals.end();
  }
  static bool Matches(const model::Run& r, const store::RunFilter& f) {
    if (!f.statuses.empty() && std::find(f.statuses.begin(), f.statuses.end(), r.status) == f.statuses.end()) {
      return false;
    }
    if (!In(f.agent_ids, r.agent_id) || !In(f.agent_versions, r.agent_version) || !In(f.environments, r.environment)) {
      return false;
    }
    if (!f.failure_codes.empty() && !(r.failure && In(f.failure_codes, r.failure->code))) return false;
    for (const auto& t : f.tags) {
      if (std::find(r.tags.begin(), r.tags.end(), t) == r.tags.end()) return false;
    }
    return true;
  }
};

model::Run MakeRun(int i, model::RunStatus status, std::string agent, std::string version,
                   std::vector<std::string> tags = {}, std::vector<std::string> models = {}) {
  model::Run r;
  r.run_id = "run" + std::to_string(i);
  r.status = status;
  r.agent_id = std::move(agent);
  r.agent_version = std::move(version);
  r.environment = i % 2 ? "prod" : "";
  r.tags = std::move(tags);
  r.models = std::move(models);
  if (status == model::RunStatus::kFailed) {
    model::Failure f;
    f.type = model::FailureType::kTool;
    f.code = i % 3 ? "timeout" : "rate_limit";
    r.failure = f;
  }
  return r;
}

// {"value": count} of one facet.
std::map<std::string, int64_t> Facet(const Json& doc, const std::string& name) {
  std::map<std::string, int64_t> out;
  for (const auto& v : doc["facets"][name]) out[v["value"].get<std::string>()] = v["count"].get<int64_t>();
  return out;
}

class FacetsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    using S = model::RunStatus;
    store_.runs = {
        MakeRun(1, S::kOk, "planner", "1.0", {"beta"}, {"gpt-4o", "gpt-4o"}),
        MakeRun(2, S::kFailed, "planner", "1.1", {"beta", "eu"}, {"gpt-4o"}),
        MakeRun(3, S::kFailed, "planner", "1.1", {}, {"claude"}),
        MakeRun(4, S::kPartial, "researcher", "2.0", {"eu"}, {}),
        MakeRun(5, S::kFailed, "researcher", "2.0", {"beta", "beta"}, {}),
        MakeRun(6, S::kRunning, "planner", "1.1", {}, {}),
    };
  }
  RunsStore store_;
};

TEST_F(FacetsTest, CountsEveryDimension) {
  ASSERT_OK_AND_ASSIGN(std::string text, RunFacetsJson(store_, store::RunFilter{}, 1000));
  Json doc = Json::parse(text);
  EXPECT_EQ(Facet(doc, "status"), (std::map<std::string, int64_t>{{"ok", 1}, {"failed", 3}, {"partial", 1}, {"running", 1}}));
  EXPECT_EQ(Facet(doc, "agent"), (std::map<std::string, int64_t>{{"planner", 4}, {"researcher", 2}}));
  EXPECT_EQ(Facet(doc, "version"), (std::map<std::string, int64_t>{{"1.0", 1}, {"1.1", 3}, {"2.0", 2}}));
  // Empty environments are not a facet value (they cannot be filtered on).
  EXPECT_EQ(Facet(doc, "environment"), (std::map<std::string, int64_t>{{"prod", 3}}));
  EXPECT_EQ(Facet(doc, "failure_type"), (std::map<std::string, int64_t>{{"tool", 3}}));
  EXPECT_EQ(Facet(doc, "failure_code"), (std::map<std::string, int64_t>{{"timeout", 2}, {"rate_limit", 1}}));
  // A repeated model or tag on one run counts that run once.
  EXPECT_EQ(Facet(doc, "model"), (std::map<std::string, int64_t>{{"gpt-4o", 2}, {"claude", 1}}));
  EXPECT_EQ(Facet(doc, "tag"), (std::map<std::string, int64_t>{{"beta", 3}, {"eu", 2}}));
  EXPECT_EQ(doc["scanned"], 6);
  EXPECT_EQ(doc["truncated"], false);
}

TEST_F(FacetsTest, ValuesSortedByCountDescending) {
  ASSERT_OK_AND_ASSIGN(std::string text, RunFacetsJson(store_, store::RunFilter{}, 1000));
  Json status = Json::parse(text)["facets"]["status"];
  ASSERT_GE(status.size(), 2u);
  EXPECT_EQ(status[0]["value"], "failed");
  for (size_t i = 1; i < status.size(); ++i) EXPECT_GE(status[i - 1]["count"], status[i]["count"]);
}

TEST_F(FacetsTest, OwnDimensionFilterIsIgnoredOthersApply) {
  store::RunFilter f;
  f.statuses = {model::RunStatus::kFailed};
  f.agent_ids = {"planner"};
  ASSERT_OK_AND_ASSIGN(std::string text, RunFacetsJson(store_, f, 1000));
  Json doc = Json::parse(text);
  // Status counts: planner runs of every status (the status filter is lifted for its own facet).
  EXPECT_EQ(Facet(doc, "status"), (std::map<std::string, int64_t>{{"ok", 1}, {"failed", 2}, {"running", 1}}));
  // Agent counts: failed runs of every agent.
  EXPECT_EQ(Facet(doc, "agent"), (std::map<std::string, int64_t>{{"planner", 2}, {"researcher", 1}}));
  // Other facets: both filters apply (failed planner runs: 2 and 3).
  EXPECT_EQ(Facet(doc, "version"), (std::map<std::string, int64_t>{{"1.1", 2}}));
  EXPECT_EQ(Facet(doc, "model"), (std::map<std::string, int64_t>{{"gpt-4o", 1}, {"claude", 1}}));
  EXPECT_EQ(doc["scanned"], 2);
  // One scan for the filter, one per filtered dimension.
  EXPECT_EQ(store_.list_calls, 3);
}

TEST_F(FacetsTest, PagesThroughTheStoreAndStopsAtTheCap) {
  for (int i = 0; i < 2500; ++i) store_.runs.push_back(MakeRun(100 + i, model::RunStatus::kOk, "bulk", "9"));
  ASSERT_OK_AND_ASSIGN(std::string all, RunFacetsJson(store_, store::RunFilter{}, 10000));
  Json doc = Json::parse(all);
  EXPECT_EQ(doc["scanned"], 2506);
  EXPECT_EQ(doc["truncated"], false);
  EXPECT_EQ(Facet(doc, "agent")["bulk"], 2500);
  EXPECT_EQ(store_.list_calls, 3);  // pages of 1000

  ASSERT_OK_AND_ASSIGN(std::string capped, RunFacetsJson(store_, store::RunFilter{}, 1500));
  doc = Json::parse(capped);
  EXPECT_EQ(doc["scanned"], 1500);
  EXPECT_EQ(doc["truncated"], true);
}

TEST_F(FacetsTest, StoreThatNeverEndsPagingIsBoundedByTheCap) {
  store_.endless_cursor = true;
  ASSERT_OK_AND_ASSIGN(std::string text, RunFacetsJson(store_, store::RunFilter{}, 20));
  Json doc = Json::parse(text);
  EXPECT_EQ(doc["scanned"], 20);
  EXPECT_EQ(doc["truncated"], true);
}

TEST_F(FacetsTest, HostileValuesStayValidJson) {
  store_.runs = {MakeRun(1, model::RunStatus::kOk, std::string("a\"g\\e\n\xff\xfe", 9), "v\x01")};
  ASSERT_OK_AND_ASSIGN(std::string text, RunFacetsJson(store_, store::RunFilter{}, 10));
  Json doc = Json::parse(text);  // throws on invalid JSON / UTF-8
  ASSERT_EQ(doc["facets"]["agent"].size(), 1u);
  EXPECT_THAT(doc["facets"]["agent"][0]["value"].get<std::string>(), HasSubstr("a\"g\\e\n"));
}

TEST_F(FacetsTest, StoreErrorsPropagate) {
  store_.fail = UnavailableError("store closed");
  EXPECT_STATUS(RunFacetsJson(store_, store::RunFilter{}, 10), StatusCode::kUnavailable);
  EXPECT_STATUS(RunFacetsJson(store_, store::RunFilter{}, 0), StatusCode::kInvalidArgument);
}

TEST_F(FacetsTest, ServiceParsesFiltersAndRejectsUnknownParams) {
  QueryService service(&store_);
  ASSERT_OK_AND_ASSIGN(std::string text, service.Facets({{"status", "failed"}, {"tag", "beta"}}));
  Json doc = Json::parse(text);
  EXPECT_EQ(doc["scanned"], 2);  // runs 2 and 5
  EXPECT_EQ(Facet(doc, "tag"), (std::map<std::string, int64_t>{{"beta", 2}, {"eu", 1}}));

  Result<std::string> unknown = service.Facets({{"statuss", "ok"}});
  EXPECT_STATUS(unknown, StatusCode::kInvalidArgument);
  EXPECT_THAT(unknown.status().message(), HasSubstr("statuss"));
  // Every run-list filter is a facets filter too (the UI sends the runs view's filters as they are).
  EXPECT_OK(service.Facets({{"annotation", "tool-timeout"}}).status());
  // Paging and sorting parameters belong to /api/runs, not to facets.
  EXPECT_STATUS(service.Facets({{"limit", "10"}}), StatusCode::kInvalidArgument);
  Result<std::string> bad = service.Facets({{"status", "exploded"}});
  EXPECT_STATUS(bad, StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("exploded"));
}

TEST_F(FacetsTest, StoreAggregateIsUsedWithOneScopePerFilteredDimension) {
  store_.facets_status = OkStatus();
  store::RunFilter f;
  f.statuses = {model::RunStatus::kFailed};
  f.tags = {"beta"};
  ASSERT_OK_AND_ASSIGN(std::string text, RunFacetsJson(store_, f, 1000));
  Json doc = Json::parse(text);
  EXPECT_EQ(store_.list_calls, 0);  // no scan
  EXPECT_EQ(store_.facet_calls, 1);  // one snapshot for every scope
  ASSERT_EQ(store_.last_scopes.size(), 3u);
  // Scope 0: the whole filter, every dimension without a filter of its own.
  EXPECT_EQ(store_.last_scopes[0].filter.statuses.size(), 1u);
  EXPECT_EQ(store_.last_scopes[0].filter.tags.size(), 1u);
  EXPECT_EQ(store_.last_scopes[0].dimensions.size(), 6u);
  // Then status with its filter lifted, and tag with its filter lifted.
  ASSERT_EQ(store_.last_scopes[1].dimensions, std::vector<store::FacetDimension>{store::FacetDimension::kStatus});
  EXPECT_TRUE(store_.last_scopes[1].filter.statuses.empty());
  EXPECT_EQ(store_.last_scopes[1].filter.tags.size(), 1u);
  ASSERT_EQ(store_.last_scopes[2].dimensions, std::vector<store::FacetDimension>{store::FacetDimension::kTag});
  EXPECT_TRUE(store_.last_scopes[2].filter.tags.empty());
  EXPECT_EQ(store_.last_scopes[2].filter.statuses.size(), 1u);
  // The answer is the store's: the fake reports each scope's match count as its canned value's
  // count (failed+beta: runs 2, 5; beta: 1, 2, 5; failed: 2, 3, 5).
  EXPECT_EQ(doc["scanned"], 2);
  EXPECT_EQ(doc["truncated"], false);
  EXPECT_EQ(Facet(doc, "agent"), (std::map<std::string, int64_t>{{"sql-1", 2}}));
  EXPECT_EQ(Facet(doc, "status"), (std::map<std::string, int64_t>{{"sql-0", 3}}));  // beta runs: 1, 2, 5
  EXPECT_EQ(Facet(doc, "tag"), (std::map<std::string, int64_t>{{"sql-7", 3}}));     // failed runs: 2, 3, 5
}

TEST_F(FacetsTest, StoreWithoutAggregateFallsBackToTheScan) {
  store::RunFilter f;
  f.agent_ids = {"planner"};
  ASSERT_OK_AND_ASSIGN(std::string fallback, RunFacetsJson(store_, f, 1000));
  EXPECT_EQ(store_.facet_calls, 1);  // asked, answered kUnimplemented
  EXPECT_EQ(store_.list_calls, 2);   // then scanned: the filter, and agent lifted
  ASSERT_OK_AND_ASSIGN(std::string scan, RunFacetsJsonByScan(store_, f, 1000));
  EXPECT_EQ(fallback, scan);
  EXPECT_EQ(Facet(Json::parse(fallback), "agent"), (std::map<std::string, int64_t>{{"planner", 4}, {"researcher", 2}}));
}

TEST_F(FacetsTest, AggregateErrorsPropagateWithoutFallback) {
  store_.facets_status = UnavailableError("store closed");
  EXPECT_STATUS(RunFacetsJson(store_, store::RunFilter{}, 1000), StatusCode::kUnavailable);
  EXPECT_EQ(store_.list_calls, 0);
  // A store answering the wrong number of scopes is an error, not a silently short document.
  store_.facets_status = OkStatus();
  store_.drop_a_scope = true;
  store::RunFilter f;
  f.agent_ids = {"planner"};
  EXPECT_STATUS(RunFacetsJson(store_, f, 1000), StatusCode::kInternal);
}

TEST_F(FacetsTest, AtMostOneHundredValuesPerFacetHighestCountsFirst) {
  store_.runs.clear();
  // 150 agents; agent a<k> has (k % 5) + 1 runs.
  int n = 0;
  for (int k = 0; k < 150; ++k) {
    for (int c = 0; c <= k % 5; ++c) store_.runs.push_back(MakeRun(n++, model::RunStatus::kOk, fmt::format("a{:03}", k), "1"));
  }
  ASSERT_OK_AND_ASSIGN(std::string text, RunFacetsJson(store_, store::RunFilter{}, 100000));
  Json agents = Json::parse(text)["facets"]["agent"];
  ASSERT_EQ(agents.size(), 100u);
  // 30 agents each have 5, 4, 3, 2 and 1 runs: the top 100 are all of 5..3 (90) and the first 10
  // of 2 by value.
  EXPECT_EQ(agents[0]["count"], 5);
  EXPECT_EQ(agents[0]["value"], "a004");
  EXPECT_EQ(agents[99]["count"], 2);
  EXPECT_EQ(agents[99]["value"], "a046");
}

}  // namespace
}  // namespace tracery::query
