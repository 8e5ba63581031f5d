#include "triage/sampling.h"

#include <map>
#include <set>

#include <gtest/gtest.h>

#include "testing/testing.h"
#include "triage/budget.h"

namespace tracery::triage {
namespace {

std::vector<model::Run> MakeRuns(int n, int failed_every = 0) {
  std::vector<model::Run> runs;
  for (int i = 0; i < n; ++i) {
    model::Run r;
    r.run_id = "run-" + std::to_string(i);
    r.start_ns = 1000 + i;
    r.end_ns = r.start_ns + (i % 3) * 5'000'000'000LL;
    r.status = (failed_every > 0 && i % failed_every == 0) ? model::RunStatus::kFailed : model::RunStatus::kOk;
    runs.push_back(r);
  }
  return runs;
}

SampleOptions Opt(std::string strategy, int64_t size = 0, std::string by = "status", std::string seed = "") {
  SampleOptions o;
  o.strategy = std::move(strategy);
  o.size = size;
  o.stratify_by = std::move(by);
  o.seed = std::move(seed);
  return o;
}

BudgetLimits Limits(int64_t runs, double usd) {
  BudgetLimits l;
  l.max_runs = runs;
  l.max_cost_usd = usd;
  return l;
}

std::vector<std::string> Ids(const std::vector<model::Run>& runs) {
  std::vector<std::string> out;
  for (const auto& r : runs) out.push_back(r.run_id);
  return out;
}

TEST(Sampling, SizeAtLeastCountKeepsEverythingInOrder) {
  auto runs = MakeRuns(10);
  ASSERT_OK_AND_ASSIGN(auto out, SampleRuns(runs, Opt("uniform", 10, "status", "s")));
  EXPECT_EQ(Ids(out), Ids(runs));
  ASSERT_OK_AND_ASSIGN(auto all, SampleRuns(runs, Opt("uniform", 0, "status", "s")));
  EXPECT_EQ(all.size(), 10u);
}

TEST(Sampling, UniformIsSeededOrderPreservingAndOrderIndependent) {
  auto runs = MakeRuns(100);
  ASSERT_OK_AND_ASSIGN(auto a, SampleRuns(runs, Opt("uniform", 10, "status", "seed-a")));
  ASSERT_OK_AND_ASSIGN(auto a2, SampleRuns(runs, Opt("uniform", 10, "status", "seed-a")));
  ASSERT_OK_AND_ASSIGN(auto b, SampleRuns(runs, Opt("uniform", 10, "status", "seed-b")));
  EXPECT_EQ(a.size(), 10u);
  EXPECT_EQ(Ids(a), Ids(a2));
  EXPECT_NE(Ids(a), Ids(b));
  for (size_t i = 1; i < a.size(); ++i) EXPECT_LT(a[i - 1].start_ns, a[i].start_ns);  // input order kept
  // Same set whatever the listing order.
  std::vector<model::Run> reversed(runs.rbegin(), runs.rend());
  ASSERT_OK_AND_ASSIGN(auto r, SampleRuns(reversed, Opt("uniform", 10, "status", "seed-a")));
  auto ia = Ids(a), ir = Ids(r);
  EXPECT_EQ(std::set<std::string>(ia.begin(), ia.end()), std::set<std::string>(ir.begin(), ir.end()));
}

TEST(Sampling, ErrorsOnlyKeepsOnlyFailedOrPartial) {
  auto runs = MakeRuns(30, 5);
  runs[1].status = model::RunStatus::kPartial;
  ASSERT_OK_AND_ASSIGN(auto out, SampleRuns(runs, Opt("errors-only", 100, "status", "x")));
  EXPECT_EQ(out.size(), 7u);  // 0,5,10,15,20,25 failed + 1 partial
  for (const auto& r : out) EXPECT_NE(r.status, model::RunStatus::kOk);
}

TEST(Sampling, StratifiedGivesRareStrataTheirShare) {
  auto runs = MakeRuns(200);
  runs[7].status = model::RunStatus::kFailed;
  runs[42].status = model::RunStatus::kFailed;
  runs[99].status = model::RunStatus::kPartial;
  SampleOptions o = Opt("stratified", 12, "status", "z");
  ASSERT_OK_AND_ASSIGN(auto out, SampleRuns(runs, o));
  ASSERT_EQ(out.size(), 12u);
  std::map<std::string, int> per;
  for (const auto& r : out) ++per[std::string(model::ToString(r.status))];
  // failed (2) and partial (1) are smaller than the share (4): taken whole, ok gets the rest.
  EXPECT_EQ(per["failed"], 2);
  EXPECT_EQ(per["partial"], 1);
  EXPECT_EQ(per["ok"], 9);
  // A uniform sample of the same size would usually miss them; stratified never does.
}

TEST(Sampling, StratifiedEqualAllocationAcrossLargeStrata) {
  auto runs = MakeRuns(90);  // latency buckets by i % 3: <1s, 1-10s (5s), 10-60s (10s)
  SampleOptions o = Opt("stratified", 9, "latency_bucket", "q");
  ASSERT_OK_AND_ASSIGN(auto out, SampleRuns(runs, o));
  std::map<std::string, int> per;
  for (const auto& r : out) ++per[StratumOf(r, "latency_bucket")];
  EXPECT_EQ(per["<1s"], 3);
  EXPECT_EQ(per["1-10s"], 3);
  EXPECT_EQ(per["10-60s"], 3);
}

TEST(Sampling, TagStratum) {
  model::Run r;
  r.tags = {"team:search", "beta"};
  EXPECT_EQ(StratumOf(r, "tag:team"), "search");
  EXPECT_EQ(StratumOf(r, "tag:beta"), "present");
  EXPECT_EQ(StratumOf(r, "tag:region"), "(none)");
  r.tags = {"teamster:x"};
  EXPECT_EQ(StratumOf(r, "tag:team"), "(none)");
}

TEST(Sampling, RejectsUnknownStrategyAndKey) {
  EXPECT_STATUS(ValidateSampleOptions(Opt("random")), StatusCode::kInvalidArgument);
  EXPECT_STATUS(ValidateSampleOptions(Opt("stratified", 0, "colour")),
                StatusCode::kInvalidArgument);
  EXPECT_STATUS(ValidateSampleOptions(Opt("stratified", 0, "tag:")),
                StatusCode::kInvalidArgument);
  EXPECT_OK(ValidateSampleOptions(Opt("stratified", 0, "tag:team")));
}

// Budget pieces that need no rubric.
TEST(Budget, PriceLookupExactPrefixAndProvider) {
  PriceTable t = PriceTable::Default();
  ASSERT_OK_AND_ASSIGN(ModelPrice p, t.Lookup("gpt-4o-mini-2024-07-18"));
  EXPECT_DOUBLE_EQ(p.input_per_mtok, 0.15);  // longest prefix, not gpt-4o
  ASSERT_OK_AND_ASSIGN(ModelPrice q, t.Lookup("anthropic:claude-haiku-4-5"));
  EXPECT_DOUBLE_EQ(q.output_per_mtok, 5.0);
  EXPECT_STATUS(t.Lookup("llama3"), StatusCode::kNotFound);
  EXPECT_OK(t.LoadJson(R"({"llama3": {"input": 0, "output": 0}})", "prices.json"));
  EXPECT_OK(t.Lookup("llama3"));
  EXPECT_STATUS(t.LoadJson(R"({"x": {"input": "cheap"}})", "prices.json"), StatusCode::kInvalidArgument);
  EXPECT_STATUS(t.LoadJson("[1", "prices.json"), StatusCode::kInvalidArgument);
}

// A judge node that names its own model is priced at that model, not the default.
TEST(Budget, EstimatePricesEachJudgeNodeAtItsOwnModel) {
  Rubric rubric;
  Mode plain;
  plain.id = "plain";
  plain.detection.type = "llm_judge";
  Mode own;
  own.id = "own";
  own.detection.type = "composite";
  own.detection.bool_op = "and";
  Detection regex;
  regex.type = "regex";
  Detection judge;
  judge.type = "llm_judge";
  judge.model = "anthropic:claude-haiku-4-5";
  own.detection.operands = {regex, judge};
  Mode deterministic;
  deterministic.id = "det";
  deterministic.detection.type = "regex";
  rubric.modes = {plain, own, deterministic};
  PriceTable prices = PriceTable::Default();
  ASSERT_OK_AND_ASSIGN(CostEstimate e, EstimateCost(rubric, 10, 4, "gpt-4o-mini", prices));
  EXPECT_EQ(e.judge_modes, 2);
  EXPECT_EQ(e.calls, 2 * 3);  // two judge nodes x ceil(10 / 4)
  const double mini = 10 * (1500 * 0.15 + 200 * 0.60) / 1e6;
  const double haiku = 10 * (1500 * 1.0 + 200 * 5.0) / 1e6;
  EXPECT_NEAR(e.usd, mini + haiku, 1e-12);
  EXPECT_EQ(e.model, "claude-haiku-4-5, gpt-4o-mini");
  EXPECT_EQ(JudgeModels(rubric, "gpt-4o-mini"), (std::vector<std::string>{"claude-haiku-4-5", "gpt-4o-mini"}));
  // The node's model needs a price even when the default has one.
  rubric.modes[1].detection.operands[1].model = "local:llama3";
  Result<CostEstimate> unpriced = EstimateCost(rubric, 10, 4, "gpt-4o-mini", prices);
  EXPECT_STATUS(unpriced.status(), StatusCode::kNotFound);
  EXPECT_NE(unpriced.status().message().find("llama3"), std::string::npos);
}

TEST(Budget, GatesReportBothAndLedgerCounts) {
  CostEstimate e;
  e.usd = 2.5;
  BudgetDecision d = CheckBudget(1200, e, Limits(1000, 1.0));
  EXPECT_FALSE(d.runs_ok);
  EXPECT_FALSE(d.cost_ok);
  EXPECT_NE(d.runs_message.find("1200"), std::string::npos);
  BudgetDecision ok = CheckBudget(1000, e, Limits(1000, 3.0));
  EXPECT_TRUE(ok.ok());
  CostLedger ledger;
  ledger.RecordCall("gpt-4o-mini", 1'000'000, 1'000'000);
  ledger.RecordCall("unknown-model", 10, 10);
  auto t = ledger.totals();
  EXPECT_EQ(t.calls, 2);
  EXPECT_NEAR(t.usd, 0.75, 1e-9);
  EXPECT_TRUE(t.unpriced);
}

}  // namespace
}  // namespace tracery::triage
