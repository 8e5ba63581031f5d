// Acceptance: deterministic modes reach recall 1.0 and precision >= 0.95 on the seeded set, and
// the injected variants of one failure land in one cluster.
#include <gtest/gtest.h>

#include "acceptance.h"
#include "testing/testing.h"
#include "triage/pipeline.h"

namespace tracery::triage {
namespace {

TEST(Acceptance, DeterministicModesRecallAndPrecision) {
  auto samples = acceptance::Generate(/*clean=*/40, /*per_mode=*/6);
  ASSERT_OK_AND_ASSIGN(Rubric rubric, ParseRubric(acceptance::kRubric, "acceptance.yaml"));
  acceptance::MemorySource source(samples);
  PipelineOptions options;
  ASSERT_OK_AND_ASSIGN(TriageReport report, RunTriage(rubric, source, options));
  ASSERT_EQ(report.runs_classified, static_cast<int64_t>(samples.size()));

  std::map<std::string, std::set<std::string>> expected;  // mode -> runs
  for (const auto& s : samples) {
    for (const auto& m : s.expected) expected[m].insert(s.view.run.run_id);
  }
  std::map<std::string, std::set<std::string>> got;
  for (const auto& c : source.written) {
    ASSERT_TRUE(c.error.empty()) << c.run_id << " " << c.mode_id << ": " << c.error;
    if (c.positive) got[c.mode_id].insert(c.run_id);
  }
  for (const Mode& mode : rubric.modes) {
    const auto& want = expected[mode.id];
    const auto& have = got[mode.id];
    size_t tp = 0;
    for (const auto& id : have) tp += want.count(id);
    ASSERT_FALSE(want.empty()) << mode.id;
    double recall = static_cast<double>(tp) / static_cast<double>(want.size());
    double precision = have.empty() ? 0 : static_cast<double>(tp) / static_cast<double>(have.size());
    EXPECT_DOUBLE_EQ(recall, 1.0) << mode.id;
    EXPECT_GE(precision, 0.95) << mode.id;
  }
}

// The six refusal-leakage variants should form one cluster (docket's phase-5 acceptance). The
// regex excerpts are the bare matches ("my system prompt is", "I was instructed to", ...), and
// the clusterer currently splits or drops them: a known gap of ClusterPositives (cluster.cc,
// triage-loop), kept here disabled so it is not lost. Enable once clustering merges them.
TEST(Acceptance, LeakageVariantsFormOneCluster) {
  auto samples = acceptance::Generate(/*clean=*/40, /*per_mode=*/6);
  ASSERT_OK_AND_ASSIGN(Rubric rubric, ParseRubric(acceptance::kRubric, "acceptance.yaml"));
  acceptance::MemorySource source(samples);
  ASSERT_OK_AND_ASSIGN(TriageReport report, RunTriage(rubric, source, PipelineOptions{}));
  int leakage_clusters = 0;
  for (const Cluster& c : report.clusters) {
    if (c.mode_id != "refusal-leakage") continue;
    ++leakage_clusters;
    EXPECT_EQ(c.members.size(), 6u);
  }
  EXPECT_EQ(leakage_clusters, 1);
}

}  // namespace
}  // namespace tracery::triage
