#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "store_test_util.h"

// Designated initializers leave the other fields at their defaults on purpose.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace tracery::store {
namespace {

using model::StepType;
using testutil::Batch;
using testutil::MakeStep;
using testutil::RunId;
using testutil::TestOptions;
using tracery::testing::TempDir;

struct Spec {
  int n = 0;
  std::string name;
  std::string agent;
  std::string version;
  std::string env;
  std::string session;
  std::string user;
  std::vector<std::string> tags;
  std::string model;
  std::string step_name = "llm call";
  int64_t start = 0;
  int64_t duration = 0;  // 0: the root has not ended (running)
  double cost = 0;
  int64_t tokens = 0;
  // "" = no failure; "failed": the root errors too; "partial": handled, the root is ok.
  std::string outcome;
  std::string failure_type = "tool";
  std::string failure_code = "timeout";
  std::string failure_message = "search timed out";

  std::string id() const { return RunId(n); }
};

std::vector<model::Step> StepsOf(const Spec& s) {
  const std::string run = s.id();
  model::Step root = MakeStep(run, 1, -1, "root", StepType::kAgent, s.start, s.duration > 0 ? s.start + s.duration : 0);
  root.hints.name = s.name;
  root.hints.agent_id = s.agent;
  root.hints.agent_version = s.version;
  root.hints.environment = s.env;
  root.hints.session_id = s.session;
  root.hints.user_id = s.user;
  root.hints.tags = s.tags;
  root.agent = s.agent;
  if (s.outcome == "failed") root.status = model::StepStatus::kError;
  model::Step llm = MakeStep(run, 2, 1, s.step_name, StepType::kLlm, s.start + 1, s.start + 2);
  llm.model = s.model;
  llm.agent = s.agent;
  llm.cost_usd = s.cost;
  llm.tokens = {.input = s.tokens, .output = 0, .total = s.tokens, .present = s.tokens > 0};
  if (!s.outcome.empty()) {
    llm.status = model::StepStatus::kError;
    llm.failure = model::Failure{*model::ParseFailureType(s.failure_type), s.failure_code, s.failure_message,
                                 llm.step_id, model::FailureSource::kSpanStatus, s.start + 2, "", false};
  }
  return {root, llm};
}

class StoreQueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = OpenSqliteStore(TestOptions(dir_.path()));
    ASSERT_OK(opened);
    store_ = std::move(*opened);
    const int64_t t0 = 1'700'000'000'000'000'000;
    auto add = [&](Spec s) {
      s.n = static_cast<int>(specs_.size()) + 1;
      s.start = t0 + s.n * 1'000'000'000LL;
      specs_.push_back(std::move(s));
    };
    add({.name = "checkout flow", .agent = "shop", .version = "1.0", .env = "prod", .session = "s1", .user = "alice",
         .tags = {"vip", "eu"}, .model = "gpt-4o", .duration = 5'000'000, .cost = 0.5, .tokens = 500});
    add({.name = "refund flow", .agent = "shop", .version = "1.1", .env = "prod", .session = "s1", .user = "alice",
         .tags = {"eu"}, .model = "gpt-4o-mini", .duration = 9'000'000, .cost = 0.1, .tokens = 100,
         .outcome = "failed"});
    add({.name = "triage", .agent = "support", .version = "2.0", .env = "staging", .session = "s2", .user = "bob",
         .tags = {"vip"}, .model = "claude-3", .step_name = "summarize ticket", .duration = 2'000'000, .cost = 1.5,
         .tokens = 1500, .outcome = "failed", .failure_type = "model", .failure_code = "rate_limit",
         .failure_message = "429 from provider"});
    add({.name = "triage", .agent = "support", .version = "2.0", .env = "prod", .session = "s2", .user = "bob",
         .model = "claude-3", .duration = 7'000'000, .cost = 0.7, .tokens = 700, .outcome = "partial"});
    add({.name = "nightly batch", .agent = "etl", .version = "0.9", .env = "dev", .model = "gpt-4o",
         .duration = 0, .cost = 0.05, .tokens = 50});
    add({.name = "100% done_ok", .agent = "etl", .version = "0.9", .env = "dev", .session = "s3", .user = "carol",
         .model = "", .duration = 3'000'000, .cost = 0, .tokens = 0});
    add({.name = "checkout flow", .agent = "shop", .version = "1.1", .env = "prod", .session = "s4", .user = "dave",
         .tags = {"vip", "eu", "beta"}, .model = "gpt-4o", .duration = 5'000'000, .cost = 0.5, .tokens = 250});
    for (const Spec& s : specs_) {
      ASSERT_OK(store_->Write(Batch(StepsOf(s))));
    }
  }

  // Every matching run id, following cursors.
  std::vector<std::string> List(const RunFilter& f, RunSort sort = RunSort::kStartDesc, int limit = 1000) {
    std::vector<std::string> ids;
    PageRequest page{.limit = limit, .cursor = "", .sort = sort};
    for (int guard = 0; guard < 100; ++guard) {
      auto p = store_->ListRuns(f, page);
      EXPECT_OK(p);
      if (!p.ok()) break;
      for (const auto& r : p->runs) ids.push_back(r.run_id);
      if (p->next_cursor.empty()) break;
      page.cursor = p->next_cursor;
    }
    return ids;
  }

  std::set<std::string> Matching(const std::function<bool(const Spec&)>& pred) {
    std::set<std::string> out;
    for (const Spec& s : specs_) {
      if (pred(s)) out.insert(s.id());
    }
    return out;
  }

  std::set<std::string> ListSet(const RunFilter& f) {
    auto v = List(f);
    return {v.begin(), v.end()};
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
  std::vector<Spec> specs_;
};

TEST_F(StoreQueryTest, EveryFilterSelectsExactlyTheMatchingRuns) {
  EXPECT_EQ(ListSet({}).size(), specs_.size());
  const int64_t mid = specs_[3].start;
  EXPECT_EQ(ListSet({.from_ns = mid}), Matching([&](const Spec& s) { return s.start >= mid; }));
  EXPECT_EQ(ListSet({.to_ns = mid}), Matching([&](const Spec& s) { return s.start < mid; }));
  EXPECT_EQ(ListSet({.agent_ids = {"shop", "etl"}}),
            Matching([](const Spec& s) { return s.agent == "shop" || s.agent == "etl"; }));
  EXPECT_EQ(ListSet({.agent_versions = {"1.1"}}), Matching([](const Spec& s) { return s.version == "1.1"; }));
  EXPECT_EQ(ListSet({.environments = {"prod"}}), Matching([](const Spec& s) { return s.env == "prod"; }));
  EXPECT_EQ(ListSet({.statuses = {model::RunStatus::kFailed}}),
            Matching([](const Spec& s) { return s.outcome == "failed"; }));
  EXPECT_EQ(ListSet({.statuses = {model::RunStatus::kRunning}}),
            Matching([](const Spec& s) { return s.duration == 0; }));
  EXPECT_EQ(ListSet({.statuses = {model::RunStatus::kOk, model::RunStatus::kPartial}}),
            Matching([](const Spec& s) { return s.duration > 0 && s.outcome != "failed"; }));
  EXPECT_EQ(ListSet({.failure_types = {"model"}}), Matching([](const Spec& s) {
              return !s.outcome.empty() && s.failure_type == "model";
            }));
  EXPECT_EQ(ListSet({.failure_codes = {"timeout"}}), Matching([](const Spec& s) {
              return !s.outcome.empty() && s.failure_code == "timeout";
            }));
  EXPECT_EQ(ListSet({.models = {"claude-3", "gpt-4o-mini"}}),
            Matching([](const Spec& s) { return s.model == "claude-3" || s.model == "gpt-4o-mini"; }));
  EXPECT_EQ(ListSet({.session_id = "s2"}), Matching([](const Spec& s) { return s.session == "s2"; }));
  EXPECT_EQ(ListSet({.user_id = "alice"}), Matching([](const Spec& s) { return s.user == "alice"; }));
  EXPECT_EQ(ListSet({.tags = {"vip", "eu"}}), Matching([](const Spec& s) {
              return std::count(s.tags.begin(), s.tags.end(), "vip") && std::count(s.tags.begin(), s.tags.end(), "eu");
            }));
  // Text: run name, agent, failure message, step names; LIKE wildcards in the text are literal.
  EXPECT_EQ(ListSet({.text = "checkout"}), Matching([](const Spec& s) { return s.name == "checkout flow"; }));
  EXPECT_EQ(ListSet({.text = "SUPPORT"}), Matching([](const Spec& s) { return s.agent == "support"; }));
  EXPECT_EQ(ListSet({.text = "429 from"}), Matching([](const Spec& s) { return s.failure_message == "429 from provider" && !s.outcome.empty(); }));
  EXPECT_EQ(ListSet({.text = "ticket"}), Matching([](const Spec& s) { return s.step_name == "summarize ticket"; }));
  EXPECT_EQ(ListSet({.text = "100%"}), Matching([](const Spec& s) { return s.name == "100% done_ok"; }));
  EXPECT_EQ(ListSet({.text = "_"}), Matching([](const Spec& s) { return s.name.find('_') != std::string::npos; }));
  EXPECT_EQ(ListSet({.min_duration_ns = 5'000'000}), Matching([](const Spec& s) { return s.duration >= 5'000'000; }));
  EXPECT_EQ(ListSet({.max_duration_ns = 5'000'000}), Matching([](const Spec& s) { return s.duration <= 5'000'000; }));
  EXPECT_EQ(ListSet({.min_cost_usd = 0.5}), Matching([](const Spec& s) { return s.cost >= 0.5; }));
  EXPECT_EQ(ListSet({.max_cost_usd = 0.1}), Matching([](const Spec& s) { return s.cost <= 0.1; }));
  // Combined filters are ANDed.
  EXPECT_EQ(ListSet({.agent_ids = {"shop"}, .agent_versions = {"1.1"}, .tags = {"beta"}}),
            (std::set<std::string>{specs_[6].id()}));
  // updated_since: only runs touched after the mark.
  ASSERT_OK_AND_ASSIGN(RunPage all, store_->ListRuns({}, {.limit = 1000}));
  int64_t max_updated = 0;
  for (const auto& r : all.runs) max_updated = std::max(max_updated, r.updated_ns);
  ASSERT_OK(store_->Write(Batch({MakeStep(specs_[0].id(), 9, 1, "late", StepType::kTool, specs_[0].start + 3,
                                          specs_[0].start + 4)})));
  EXPECT_EQ(ListSet({.updated_since_ns = max_updated + 1}), (std::set<std::string>{specs_[0].id()}));
}

TEST_F(StoreQueryTest, TotalCountsTheWholeFilter) {
  ASSERT_OK_AND_ASSIGN(RunPage p, store_->ListRuns({.environments = {"prod"}}, {.limit = 2}));
  EXPECT_EQ(p.runs.size(), 2u);
  EXPECT_EQ(p.total, static_cast<int64_t>(Matching([](const Spec& s) { return s.env == "prod"; }).size()));
  EXPECT_FALSE(p.next_cursor.empty());
}

TEST_F(StoreQueryTest, EverySortOrdersAndPagesWithoutGapsOrDuplicates) {
  struct Case {
    RunSort sort;
    std::function<double(const Spec&)> key;
    bool desc;
  };
  std::vector<Case> cases = {
      {RunSort::kStartDesc, [](const Spec& s) { return static_cast<double>(s.start); }, true},
      {RunSort::kStartAsc, [](const Spec& s) { return static_cast<double>(s.start); }, false},
      {RunSort::kDurationDesc, [](const Spec& s) { return static_cast<double>(s.duration); }, true},
      {RunSort::kDurationAsc, [](const Spec& s) { return static_cast<double>(s.duration); }, false},
      {RunSort::kCostDesc, [](const Spec& s) { return s.cost; }, true},
      {RunSort::kTokensDesc, [](const Spec& s) { return static_cast<double>(s.tokens); }, true},
  };
  for (const Case& c : cases) {
    std::vector<const Spec*> expect;
    for (const Spec& s : specs_) expect.push_back(&s);
    std::sort(expect.begin(), expect.end(), [&](const Spec* a, const Spec* b) {
      double ka = c.key(*a), kb = c.key(*b);
      if (ka != kb) return c.desc ? ka > kb : ka < kb;
      return c.desc ? a->id() > b->id() : a->id() < b->id();
    });
    std::vector<std::string> want;
    for (const Spec* s : expect) want.push_back(s->id());
    for (int limit : {1, 2, 3, 1000}) {
      EXPECT_EQ(List({}, c.sort, limit), want) << "sort " << static_cast<int>(c.sort) << " limit " << limit;
    }
  }
  // updated desc: the most recently written run first.
  ASSERT_OK(store_->Write(Batch({MakeStep(specs_[2].id(), 9, 1, "late", StepType::kTool, specs_[2].start + 3,
                                          specs_[2].start + 4)})));
  auto updated = List({}, RunSort::kUpdatedDesc, 2);
  ASSERT_EQ(updated.size(), specs_.size());
  EXPECT_EQ(updated[0], specs_[2].id());
}

TEST_F(StoreQueryTest, CursorIsStableWhileRunsAreInserted) {
  std::vector<std::string> seen;
  PageRequest page{.limit = 2, .cursor = "", .sort = RunSort::kStartDesc};
  int extra = 0;
  while (true) {
    ASSERT_OK_AND_ASSIGN(RunPage p, store_->ListRuns({}, page));
    for (const auto& r : p.runs) seen.push_back(r.run_id);
    // Newer runs arrive between pages (they sort before the cursor, so they must not appear).
    Spec s{.n = 500 + extra, .name = "new", .agent = "shop", .model = "gpt-4o", .start = specs_.back().start + 1000 + extra,
           .duration = 10};
    ++extra;
    ASSERT_OK(store_->Write(Batch(StepsOf(s))));
    if (p.next_cursor.empty()) break;
    page.cursor = p.next_cursor;
  }
  std::vector<std::string> want;
  for (auto it = specs_.rbegin(); it != specs_.rend(); ++it) want.push_back(it->id());
  EXPECT_EQ(seen, want);
}

TEST_F(StoreQueryTest, MalformedCursorsAndLimitsAreRejected) {
  for (std::string bad : std::vector<std::string>{"zz", "00", "72", std::string(40, 'f'), "72000000"}) {
    EXPECT_STATUS(store_->ListRuns({}, {.limit = 2, .cursor = bad}), StatusCode::kInvalidArgument) << bad;
  }
  ASSERT_OK_AND_ASSIGN(RunPage p, store_->ListRuns({}, {.limit = 2, .cursor = "", .sort = RunSort::kCostDesc}));
  ASSERT_FALSE(p.next_cursor.empty());
  EXPECT_STATUS(store_->ListRuns({}, {.limit = 2, .cursor = p.next_cursor, .sort = RunSort::kStartDesc}),
                StatusCode::kInvalidArgument);
  EXPECT_STATUS(store_->ListRuns({}, {.limit = 0}), StatusCode::kInvalidArgument);
  EXPECT_STATUS(store_->ListRuns({}, {.limit = 1001}), StatusCode::kInvalidArgument);
  EXPECT_STATUS(store_->ListSessions({.cursor = "nothex"}), StatusCode::kInvalidArgument);
}

TEST_F(StoreQueryTest, SessionsAndAgents) {
  std::vector<model::Session> sessions;
  SessionFilter f{.limit = 1};
  for (int guard = 0; guard < 20; ++guard) {
    ASSERT_OK_AND_ASSIGN(SessionPage p, store_->ListSessions(f));
    for (auto& s : p.sessions) sessions.push_back(s);
    if (p.next_cursor.empty()) break;
    f.cursor = p.next_cursor;
  }
  ASSERT_EQ(sessions.size(), 4u);  // s1..s4, newest first
  EXPECT_EQ(sessions[0].session_id, "s4");
  EXPECT_EQ(sessions[3].session_id, "s1");
  EXPECT_EQ(sessions[3].run_count, 2);
  EXPECT_EQ(sessions[3].failed_count, 1);
  EXPECT_EQ(sessions[3].user_id, "alice");
  EXPECT_EQ(sessions[3].first_start_ns, specs_[0].start);
  EXPECT_EQ(sessions[3].last_end_ns, specs_[1].start + specs_[1].duration);
  EXPECT_EQ(sessions[3].tokens.total, 600);
  EXPECT_DOUBLE_EQ(sessions[3].cost_usd, 0.6);
  ASSERT_OK_AND_ASSIGN(SessionPage bob, store_->ListSessions({.user_id = "bob"}));
  ASSERT_EQ(bob.sessions.size(), 1u);
  EXPECT_EQ(bob.sessions[0].session_id, "s2");

  ASSERT_OK_AND_ASSIGN(auto agents, store_->ListAgents({}));
  ASSERT_EQ(agents.size(), 3u);
  EXPECT_EQ(agents[0].agent_id, "etl");
  EXPECT_EQ(agents[1].agent_id, "shop");
  EXPECT_EQ(agents[1].versions, (std::vector<std::string>{"1.0", "1.1"}));
  EXPECT_EQ(agents[1].runs, 3);
  EXPECT_EQ(agents[1].failed, 1);
  EXPECT_EQ(agents[1].last_seen_ns, specs_[6].start + specs_[6].duration);
  ASSERT_OK_AND_ASSIGN(auto prod, store_->ListAgents({.environments = {"staging"}}));
  ASSERT_EQ(prod.size(), 1u);
  EXPECT_EQ(prod[0].agent_id, "support");
}

TEST(StoreStatsTest, PercentilesCountsAndGroups) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(TestOptions(dir.path())));
  const int64_t t0 = 1'000'000'000'000;
  // Ten finished runs of agent A lasting 1..10 ms: 7 ok, 2 failed, 1 partial; one running run.
  std::vector<Spec> specs;
  for (int i = 1; i <= 10; ++i) {
    Spec s{.n = i, .agent = "A", .model = i % 2 ? "m-odd" : "m-even", .start = t0 + i * 1'000'000'000LL,
           .duration = i * 1'000'000LL, .cost = 0.25, .tokens = 10};
    if (i == 3 || i == 8) s.outcome = "failed";
    if (i == 5) s.outcome = "partial";
    specs.push_back(s);
  }
  specs.push_back(Spec{.n = 11, .agent = "B", .model = "m-odd", .start = t0 + 11'000'000'000LL, .duration = 0,
                       .cost = 1, .tokens = 5});
  for (const Spec& s : specs) ASSERT_OK(store->Write(Batch(StepsOf(s))));

  ASSERT_OK_AND_ASSIGN(auto rows, store->Stats({.filter = {}, .group_by = GroupBy::kAgent}));
  ASSERT_EQ(rows.size(), 2u);
  const StatsRow& a = rows[0];
  EXPECT_EQ(a.group, "A");
  EXPECT_EQ(a.runs, 10);
  EXPECT_EQ(a.ok, 7);
  EXPECT_EQ(a.failed, 2);
  EXPECT_EQ(a.partial, 1);
  EXPECT_EQ(a.running, 0);
  EXPECT_DOUBLE_EQ(a.success_rate, 0.8);
  // Linear interpolation between closest ranks over [1..10] ms.
  EXPECT_NEAR(a.p50_ms, 5.5, 1e-9);
  EXPECT_NEAR(a.p95_ms, 9.55, 1e-9);
  EXPECT_NEAR(a.p99_ms, 9.91, 1e-9);
  EXPECT_EQ(a.tokens.total, 100);
  EXPECT_NEAR(a.cost_usd, 2.5, 1e-9);
  const StatsRow& b = rows[1];
  EXPECT_EQ(b.group, "B");
  EXPECT_EQ(b.running, 1);
  EXPECT_EQ(b.p50_ms, 0);
  EXPECT_EQ(b.success_rate, 0);

  ASSERT_OK_AND_ASSIGN(auto all, store->Stats({}));
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].runs, 11);
  EXPECT_EQ(all[0].group, "");

  // Step-level: rows count LLM steps per model.
  ASSERT_OK_AND_ASSIGN(auto models, store->Stats({.filter = {}, .group_by = GroupBy::kModel}));
  ASSERT_EQ(models.size(), 2u);
  EXPECT_EQ(models[0].group, "m-even");
  EXPECT_EQ(models[0].runs, 5);
  EXPECT_EQ(models[1].group, "m-odd");
  EXPECT_EQ(models[1].runs, 6);
  EXPECT_EQ(models[1].failed, 2);  // the failing LLM steps of runs 3 and 5
  ASSERT_OK_AND_ASSIGN(auto types, store->Stats({.filter = {.agent_ids = {"A"}}, .group_by = GroupBy::kStepType}));
  ASSERT_EQ(types.size(), 2u);
  EXPECT_EQ(types[0].group, "agent");
  EXPECT_EQ(types[0].runs, 10);
  EXPECT_EQ(types[1].group, "llm");
  EXPECT_NEAR(types[1].p50_ms, 1e-6, 1e-12);  // every LLM step lasts 1 ns

  ASSERT_OK_AND_ASSIGN(auto codes, store->Stats({.filter = {}, .group_by = GroupBy::kFailureCode}));
  ASSERT_EQ(codes.size(), 1u);
  EXPECT_EQ(codes[0].group, "timeout");

  // Time buckets of 4 s over starts at 1..11 s: [0,4) holds 1..3, [4,8) 4..7, [8,12) 8..11.
  ASSERT_OK_AND_ASSIGN(auto buckets, store->Stats({.filter = {}, .group_by = GroupBy::kNone, .bucket_ns = 4'000'000'000LL}));
  ASSERT_EQ(buckets.size(), 3u);
  EXPECT_EQ(buckets[0].bucket_start_ns, t0);
  EXPECT_EQ(buckets[0].runs, 3);
  EXPECT_EQ(buckets[1].runs, 4);
  EXPECT_EQ(buckets[2].runs, 4);
  EXPECT_STATUS(store->Stats({.filter = {}, .group_by = GroupBy::kNone, .bucket_ns = -1}), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tracery::store
