// Facets over the real SQLite store: the SQL aggregate must give exactly the counts a brute-force
// pass over every matching run gives, for any mix of run filters.
#include <fmt/core.h>

#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "query/facets.h"
#include "query/query_service.h"
#include "store/store.h"
#include "testing/testing.h"

namespace tracery::query {
namespace {

using Json = nlohmann::json;
using ::testing::HasSubstr;
using Counts = std::map<std::string, int64_t>;

constexpr int64_t kT0 = 1'790'000'000'000'000'000;  // 2026-09
constexpr int kRuns = 3200;

const std::vector<std::string> kAgents = {"planner", "researcher", "writer", "a'gent \"q\"", "日本"};
const std::vector<std::string> kVersions = {"1.0", "1.1", "2.0", ""};
const std::vector<std::string> kEnvs = {"prod", "staging", ""};
const std::vector<std::string> kTags = {"beta", "eu", "us", "vip", "100%_off"};
const std::vector<std::string> kModels = {"gpt-4o", "claude-sonnet", "gemini", ""};
const std::vector<std::string> kStepNames = {"plan trip", "search flights", "book hotel", "summarize"};
const std::vector<std::string> kTypes = {"tool", "model", "retrieval"};
const std::vector<std::string> kCodes = {"timeout", "rate_limit", "schema_invalid"};
const std::vector<std::string> kModes = {"loop", "hallucination"};
const std::vector<std::string> kVerdicts = {"positive", "negative", "error"};

std::string RunId(int n) { return fmt::format("{:032x}", 0xfa0000000ULL + static_cast<uint64_t>(n)); }
std::string StepId(int n) { return fmt::format("{:016x}", 0x1000 + n); }

template <typename T>
const T& Pick(std::mt19937& rng, const std::vector<T>& v) {
  return v[rng() % v.size()];
}

// Steps of one pseudo-random run: root agent step, 0-3 LLM steps (models may repeat), maybe a
// tool step; outcomes ok, failed (root errors), partial (a step fails, the root is ok) and running.
std::vector<model::Step> RandomRun(std::mt19937& rng, int n) {
  const std::string run = RunId(n);
  const int64_t start = kT0 + static_cast<int64_t>(n) * 1'000'000'000;
  const int64_t duration = static_cast<int64_t>(rng() % 20000 + 1) * 1'000'000;
  const int outcome = static_cast<int>(rng() % 10);  // 0-5 ok, 6-7 failed, 8 partial, 9 running
  model::Step root;
  root.run_id = run;
  root.step_id = StepId(0);
  root.name = "root";
  root.type = model::StepType::kAgent;
  root.start_ns = start;
  root.end_ns = outcome == 9 ? 0 : start + duration;
  root.status = outcome == 6 || outcome == 7 ? model::StepStatus::kError : model::StepStatus::kOk;
  root.hints.name = fmt::format("trip {} {}", n, Pick(rng, kStepNames));
  root.hints.agent_id = Pick(rng, kAgents);
  root.hints.agent_version = Pick(rng, kVersions);
  root.hints.environment = Pick(rng, kEnvs);
  root.hints.session_id = fmt::format("s{}", rng() % 40);
  root.hints.user_id = fmt::format("u{}", rng() % 15);
  for (int t = static_cast<int>(rng() % 4); t > 0; --t) root.hints.tags.push_back(Pick(rng, kTags));
  root.agent = root.hints.agent_id;
  std::vector<model::Step> steps = {root};
  const int llms = static_cast<int>(rng() % 4);
  for (int k = 1; k <= llms + 1; ++k) {
    model::Step s;
    s.run_id = run;
    s.step_id = StepId(k);
    s.parent_id = root.step_id;
    s.agent = root.agent;
    s.start_ns = start + k;
    s.end_ns = start + k + 1;
    s.status = model::StepStatus::kOk;
    if (k <= llms) {
      s.name = Pick(rng, kStepNames);
      s.type = model::StepType::kLlm;
      s.model = Pick(rng, kModels);
      s.cost_usd = static_cast<double>(rng() % 1000) / 10000.0;
      s.tokens.input = static_cast<int64_t>(rng() % 5000);
      s.tokens.total = s.tokens.input;
      s.tokens.present = true;
    } else {
      s.name = "execute_tool search";
      s.type = model::StepType::kTool;
      s.tool_name = "search";
    }
    if (k == llms + 1 && outcome >= 6 && outcome <= 8) {
      s.status = model::StepStatus::kError;
      s.failure = model::Failure{*model::ParseFailureType(Pick(rng, kTypes)), Pick(rng, kCodes),
                                 fmt::format("boom {}", rng() % 5), s.step_id, model::FailureSource::kSpanStatus,
                                 s.end_ns, "", false};
    }
    steps.push_back(std::move(s));
  }
  return steps;
}

std::unique_ptr<store::Store> SeedStore(const std::string& dir) {
  store::SqliteOptions o;
  o.data_dir = dir + "/data";
  o.max_batch_wait_us = 0;
  o.reader_connections = 2;
  auto opened = store::OpenSqliteStore(o);
  EXPECT_OK(opened.status());
  if (!opened.ok()) return nullptr;
  std::unique_ptr<store::Store> st = std::move(*opened);
  std::mt19937 rng(20261122);
  std::vector<store::Annotation> annotations;
  for (int first = 0; first < kRuns; first += 200) {
    store::WriteBatch batch;
    for (int n = first; n < std::min(kRuns, first + 200); ++n) {
      for (auto& s : RandomRun(rng, n)) batch.steps.push_back(std::move(s));
      if (rng() % 4 == 0) {
        store::Annotation a;
        a.run_id = RunId(n);
        a.rubric_name = "default";
        a.rubric_version = "1";
        a.mode_id = Pick(rng, kModes);
        a.severity = "high";
        a.verdict = Pick(rng, kVerdicts);
        annotations.push_back(std::move(a));
      }
    }
    EXPECT_OK(st->Write(std::move(batch)).status());
  }
  EXPECT_OK(st->WriteAnnotations(annotations));
  return st;
}

// The document's {value: count} per facet.
std::map<std::string, Counts> FacetsOf(const Json& doc) {
  std::map<std::string, Counts> out;
  for (const auto& [name, values] : doc["facets"].items()) {
    Counts& c = out[name];
    for (const auto& v : values) c[v["value"].get<std::string>()] = v["count"].get<int64_t>();
  }
  return out;
}

// Every run matching `f`, paging through ListRuns.
std::vector<model::Run> AllRuns(store::Store& st, const store::RunFilter& f) {
  std::vector<model::Run> out;
  store::PageRequest page;
  page.limit = 1000;
  while (true) {
    auto res = st.ListRuns(f, page);
    EXPECT_OK(res.status());
    if (!res.ok()) return out;
    for (auto& r : res->runs) out.push_back(std::move(r));
    if (res->next_cursor.empty()) return out;
    page.cursor = res->next_cursor;
  }
}

// Brute force, independent of facets.cc: for each facet, list the runs matching the filter with
// that facet's own filter cleared and count each run once per distinct non-empty value.
std::map<std::string, Counts> BruteForce(store::Store& st, const store::RunFilter& filter, int64_t* matched) {
  struct Dim {
    std::string name;
    std::function<bool(store::RunFilter&)> clear;  // clears the dimension's filter; true if it had one
    std::function<std::set<std::string>(const model::Run&)> values;
  };
  auto clear = [](auto& field) {
    bool had = !field.empty();
    field.clear();
    return had;
  };
  const std::vector<Dim> dims = {
      {"status", [&](store::RunFilter& f) { return clear(f.statuses); },
       [](const model::Run& r) { return std::set<std::string>{std::string(model::ToString(r.status))}; }},
      {"agent", [&](store::RunFilter& f) { return clear(f.agent_ids); },
       [](const model::Run& r) { return std::set<std::string>{r.agent_id}; }},
      {"version", [&](store::RunFilter& f) { return clear(f.agent_versions); },
       [](const model::Run& r) { return std::set<std::string>{r.agent_version}; }},
      {"environment", [&](store::RunFilter& f) { return clear(f.environments); },
       [](const model::Run& r) { return std::set<std::string>{r.environment}; }},
      {"failure_type", [&](store::RunFilter& f) { return clear(f.failure_types); },
       [](const model::Run& r) {
         return r.failure ? std::set<std::string>{std::string(model::ToString(r.failure->type))} : std::set<std::string>{};
       }},
      {"failure_code", [&](store::RunFilter& f) { return clear(f.failure_codes); },
       [](const model::Run& r) { return r.failure ? std::set<std::string>{r.failure->code} : std::set<std::string>{}; }},
      {"model", [&](store::RunFilter& f) { return clear(f.models); },
       [](const model::Run& r) { return std::set<std::string>(r.models.begin(), r.models.end()); }},
      {"tag", [&](store::RunFilter& f) { return clear(f.tags); },
       [](const model::Run& r) { return std::set<std::string>(r.tags.begin(), r.tags.end()); }},
  };
  const std::vector<model::Run> main = AllRuns(st, filter);
  *matched = static_cast<int64_t>(main.size());
  std::map<std::string, Counts> out;
  for (const Dim& d : dims) {
    store::RunFilter lifted = filter;
    const std::vector<model::Run> runs = d.clear(lifted) ? AllRuns(st, lifted) : main;
    Counts& c = out[d.name];
    for (const model::Run& r : runs) {
      for (const std::string& v : d.values(r)) {
        if (!v.empty()) ++c[v];
      }
    }
  }
  return out;
}

class FacetsSqlTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    store_ = SeedStore(dir_->path()).release();
  }
  static void TearDownTestSuite() {
    if (store_ != nullptr) store_->Close();
    delete store_;
    delete dir_;
  }
  void SetUp() override { ASSERT_NE(store_, nullptr); }

  static testing::TempDir* dir_;
  static store::Store* store_;
};
testing::TempDir* FacetsSqlTest::dir_ = nullptr;
store::Store* FacetsSqlTest::store_ = nullptr;

TEST_F(FacetsSqlTest, UnfilteredCountsEveryRunExactly) {
  QueryService service(store_);
  ASSERT_OK_AND_ASSIGN(std::string text, service.Facets({}));
  Json doc = Json::parse(text);
  EXPECT_EQ(doc["scanned"], kRuns);  // all of them, not a capped scan
  EXPECT_EQ(doc["truncated"], false);
  int64_t matched = 0;
  EXPECT_EQ(FacetsOf(doc), BruteForce(*store_, {}, &matched));
  int64_t statuses = 0;
  for (const auto& v : doc["facets"]["status"]) statuses += v["count"].get<int64_t>();
  EXPECT_EQ(statuses, kRuns);  // one status per run
  // The seeded data exercises every facet, multi-valued ones included.
  for (const auto& [name, values] : doc["facets"].items()) EXPECT_FALSE(values.empty()) << name;
}

TEST_F(FacetsSqlTest, RandomFilterMixesMatchBruteForce) {
  std::mt19937 rng(7);
  auto some = [&](const std::vector<std::string>& pool) {
    std::string v = Pick(rng, pool);
    if (rng() % 3 == 0) v += "," + Pick(rng, pool);
    return v;
  };
  const std::vector<std::string> statuses = {"ok", "failed", "partial", "running"};
  const std::vector<std::string> texts = {"trip", "search", "FLIGHT", "%", "_", "1 plan", "boom 3", "x"};
  const std::vector<std::string> annotations = {"loop", "loop:negative", "hallucination:any", "hallucination:error"};
  int nonempty = 0;
  for (int trial = 0; trial < 40; ++trial) {
    Params p;
    auto maybe = [&](const char* key, const std::string& value) {
      if (rng() % 4 == 0) p.emplace(key, value);
    };
    maybe("status", some(statuses));
    maybe("agent", some(kAgents));
    maybe("version", some({"1.0", "1.1", "2.0"}));
    maybe("environment", some({"prod", "staging"}));
    maybe("failure_type", some(kTypes));
    maybe("failure_code", some(kCodes));
    maybe("model", some({"gpt-4o", "claude-sonnet", "gemini"}));
    maybe("tag", some(kTags));
    maybe("q", Pick(rng, texts));
    maybe("annotation", Pick(rng, annotations));
    maybe("session", fmt::format("s{}", rng() % 40));
    maybe("user", fmt::format("u{}", rng() % 15));
    const int64_t from_ms = (kT0 / 1'000'000) + static_cast<int64_t>(rng() % kRuns) * 1000;
    maybe("from", std::to_string(from_ms));
    maybe("to", std::to_string(from_ms + 1'000'000));
    maybe("min_duration_ms", std::to_string(rng() % 10000));
    maybe("max_duration_ms", std::to_string(5000 + rng() % 15000));
    maybe("min_cost", "0.01");
    maybe("max_cost", "0.2");
    SCOPED_TRACE(::testing::PrintToString(p));

    QueryService service(store_);
    ASSERT_OK_AND_ASSIGN(std::string text, service.Facets(p));
    Json doc = Json::parse(text);
    ASSERT_OK_AND_ASSIGN(store::RunFilter filter, QueryService::ParseRunFilter(p));
    int64_t matched = -1;
    EXPECT_EQ(FacetsOf(doc), BruteForce(*store_, filter, &matched));
    EXPECT_EQ(doc["scanned"], matched);
    EXPECT_EQ(doc["truncated"], false);
    // Same document, byte for byte (order of ties included), as the scan it replaces.
    ASSERT_OK_AND_ASSIGN(std::string scan, RunFacetsJsonByScan(*store_, filter, 1'000'000));
    EXPECT_EQ(text, scan);
    if (matched > 0) ++nonempty;
  }
  EXPECT_GE(nonempty, 10);  // the mixes are not all trivially empty
}

TEST_F(FacetsSqlTest, EveryFilterKeyNarrowsTheCount) {
  // Each key on its own must reach the SQL (a key dropped on the way would count every run).
  const std::vector<std::pair<std::string, std::string>> keys = {
      {"status", "failed"}, {"agent", "planner"}, {"version", "2.0"}, {"environment", "prod"},
      {"failure_type", "tool"}, {"failure_code", "timeout"}, {"model", "gemini"}, {"tag", "vip"},
      {"q", "search flights"}, {"annotation", "loop:any"}, {"session", "s3"}, {"user", "u4"},
      {"from", std::to_string(kT0 / 1'000'000 + 1'000'000)}, {"to", std::to_string(kT0 / 1'000'000 + 1'000'000)},
      {"min_duration_ms", "10000"}, {"max_duration_ms", "10000"}, {"min_cost", "0.15"}, {"max_cost", "0.05"},
      {"updated_since", "2100-01-01"}};
  QueryService service(store_);
  for (const auto& [key, value] : keys) {
    ASSERT_OK_AND_ASSIGN(std::string text, service.Facets({{key, value}}));
    Json doc = Json::parse(text);
    EXPECT_LT(doc["scanned"].get<int64_t>(), kRuns) << key;
    ASSERT_OK_AND_ASSIGN(store::RunFilter filter, QueryService::ParseRunFilter({{key, value}}));
    int64_t matched = -1;
    EXPECT_EQ(FacetsOf(doc), BruteForce(*store_, filter, &matched)) << key;
    EXPECT_EQ(doc["scanned"], matched) << key;
  }
}

TEST_F(FacetsSqlTest, HostileValuesMatchNothingAndHurtNothing) {
  QueryService service(store_);
  const std::vector<std::pair<std::string, std::string>> hostile = {
      {"agent", "' OR 1=1 --"},
      {"agent", "planner') OR ('1'='1"},
      {"tag", "\"]'); DROP TABLE runs; --"},
      {"model", "%"},
      {"environment", std::string("pr\0od", 5)},
      {"version", std::string(5000, 'v')},
      {"q", "\\%_'\""},
      {"annotation", "x'); DELETE FROM annotations; --"},
  };
  for (const auto& [key, value] : hostile) {
    ASSERT_OK_AND_ASSIGN(std::string text, service.Facets({{key, value}}));
    Json doc = Json::parse(text);
    EXPECT_EQ(doc["scanned"], 0) << key;
  }
  ASSERT_OK_AND_ASSIGN(std::string all, service.Facets({}));
  EXPECT_EQ(Json::parse(all)["scanned"], kRuns);
  ASSERT_OK_AND_ASSIGN(std::string annotated, service.Facets({{"annotation", "loop:any"}}));
  EXPECT_GT(Json::parse(annotated)["scanned"].get<int64_t>(), 0);
}

TEST_F(FacetsSqlTest, BadParametersAreInvalidArgumentsNamingTheParameter) {
  QueryService service(store_);
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"status", "exploded"},      {"failure_type", "cosmic"},  {"min_cost", "-1"},
      {"min_cost", "nan"},         {"max_duration_ms", "1e999"}, {"from", "yesterday-ish"},
      {"q", std::string(1001, 'q')}, {"annotation", ":positive"}, {"annotation", "loop:maybe"},
      {"since", "forever"},        {"limit", "10"},             {"group_by", "agent"},
  };
  for (const auto& [key, value] : bad) {
    Result<std::string> r = service.Facets({{key, value}});
    EXPECT_STATUS(r, StatusCode::kInvalidArgument) << key << "=" << value.substr(0, 20);
    EXPECT_THAT(r.status().message(), HasSubstr("\"" + key + "\"")) << key;
  }
}

TEST_F(FacetsSqlTest, StatsByToolNameGroupsToolSteps) {
  QueryService service(store_);
  ASSERT_OK_AND_ASSIGN(std::string text, service.Stats({{"group_by", "tool_name"}}));
  Json doc = Json::parse(text);
  EXPECT_EQ(doc["group_by"], "tool_name");
  // One tool step per run, named "search"; it fails in the failed and partial runs.
  ASSERT_EQ(doc["rows"].size(), 1u);
  EXPECT_EQ(doc["rows"][0]["group"], "search");
  EXPECT_EQ(doc["rows"][0]["runs"], kRuns);
  ASSERT_OK_AND_ASSIGN(std::string failed_text, service.Facets({{"status", "failed,partial"}}));
  int64_t failed_runs = Json::parse(failed_text)["scanned"].get<int64_t>();
  // The seeded failure sits on each run's last step, the tool step: one failed tool step per
  // failed or partial run.
  EXPECT_EQ(doc["rows"][0]["failed"], failed_runs);
}

}  // namespace
}  // namespace tracery::query
