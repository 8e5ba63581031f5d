// SqliteStore::CountRunFacets and Stats grouped by tool name.
#include <sqlite3.h>

#include <string>
#include <vector>

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
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int64_t kT0 = 1'700'000'000'000'000'000;

MATCHER_P2(Value, value, count, "") { return arg.value == value && arg.count == count; }

class FacetsReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(store_, OpenSqliteStore(TestOptions(dir_.path())));
  }
  void TearDown() override {
    if (store_) store_->Close();
  }

  // A finished run of `agent`: a root and one LLM step on `model`.
  void AddRun(int n, const std::string& agent, const std::string& model = "m", std::vector<std::string> tags = {}) {
    const std::string run = RunId(n);
    const int64_t start = kT0 + n * 1'000'000'000LL;
    model::Step root = MakeStep(run, 1, -1, "root", StepType::kAgent, start, start + 10);
    root.hints.agent_id = agent;
    root.hints.tags = std::move(tags);
    model::Step llm = MakeStep(run, 2, 1, "llm", StepType::kLlm, start + 1, start + 2);
    llm.model = model;
    ASSERT_OK(store_->Write(Batch({root, llm})).status());
  }

  // Raw SQL on the store's database, for rows the write path would never produce.
  void Exec(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_.path() + "/data/tracery.db").c_str(), &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    char* err = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    EXPECT_EQ(rc, SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(FacetsReaderTest, CountsPerValueSortedByCountThenValueAndCapped) {
  AddRun(1, "b");
  AddRun(2, "a");
  AddRun(3, "c");
  AddRun(4, "c");
  AddRun(5, "");  // no agent: not a facet value, but a matching run
  FacetScope scope;
  scope.dimensions = {FacetDimension::kAgent, FacetDimension::kStatus, FacetDimension::kFailureType};
  ASSERT_OK_AND_ASSIGN(auto counts, store_->CountRunFacets({scope}, 2));
  ASSERT_EQ(counts.size(), 1u);
  EXPECT_EQ(counts[0].matched, 5);
  ASSERT_EQ(counts[0].values.size(), 3u);
  // c:2 first; a and b tie at 1 and the cap of 2 keeps the smaller value.
  EXPECT_THAT(counts[0].values[0], ElementsAre(Value("c", 2), Value("a", 1)));
  EXPECT_THAT(counts[0].values[1], ElementsAre(Value("ok", 5)));
  EXPECT_TRUE(counts[0].values[2].empty());  // no failures
}

TEST_F(FacetsReaderTest, ScopesApplyTheirOwnFiltersInOneCall) {
  AddRun(1, "a", "gpt", {"x"});
  AddRun(2, "a", "claude", {"x", "y"});
  AddRun(3, "b", "gpt", {"y"});
  FacetScope all;
  all.dimensions = {FacetDimension::kModel};
  FacetScope only_a;
  only_a.filter.agent_ids = {"a"};
  only_a.dimensions = {FacetDimension::kTag, FacetDimension::kModel};
  FacetScope none;  // no dimensions: the match count alone
  none.filter.tags = {"y"};
  ASSERT_OK_AND_ASSIGN(auto counts, store_->CountRunFacets({all, only_a, none}, 100));
  ASSERT_EQ(counts.size(), 3u);
  EXPECT_EQ(counts[0].matched, 3);
  EXPECT_THAT(counts[0].values[0], ElementsAre(Value("gpt", 2), Value("claude", 1)));
  EXPECT_EQ(counts[1].matched, 2);
  EXPECT_THAT(counts[1].values[0], ElementsAre(Value("x", 2), Value("y", 1)));
  EXPECT_THAT(counts[1].values[1], ElementsAre(Value("claude", 1), Value("gpt", 1)));
  EXPECT_EQ(counts[2].matched, 2);
  EXPECT_TRUE(counts[2].values.empty());
  ASSERT_OK_AND_ASSIGN(auto empty, store_->CountRunFacets({}, 100));
  EXPECT_TRUE(empty.empty());
}

TEST_F(FacetsReaderTest, ListValuesCountARunOncePerDistinctStringValue) {
  AddRun(1, "a");
  AddRun(2, "a");
  AddRun(3, "a", "m", {"q\"uote", "back\\slash", "ü"});  // escapes: the JSON parser's path
  AddRun(4, "a");
  AddRun(5, "a");
  // Duplicates, non-strings, empties and broken JSON, which the summarizer never writes but a
  // hand-edited or future database might hold.
  Exec("UPDATE runs SET tags_json = '[\"t\", \"t\", 1, null, \"\", {\"t\": 1}, \"u\"]', "
       "models_json = '[\"m\",\"m\",\"\"]' WHERE run_id = x'" + RunId(1) + "'");
  Exec("UPDATE runs SET tags_json = '[\"t\"]' WHERE run_id = x'" + RunId(2) + "'");
  Exec("UPDATE runs SET tags_json = '[\"t\",\"u\",\"t\"]', models_json = '[\"m\",' WHERE run_id = x'" +
       RunId(4) + "'");
  Exec("UPDATE runs SET tags_json = '[\"t\"', models_json = '[\"m\",\"n\"]' WHERE run_id = x'" + RunId(5) + "'");
  FacetScope scope;
  scope.dimensions = {FacetDimension::kTag, FacetDimension::kModel};
  ASSERT_OK_AND_ASSIGN(auto counts, store_->CountRunFacets({scope}, 100));
  EXPECT_THAT(counts[0].values[0], ElementsAre(Value("t", 3), Value("u", 2), Value("back\\slash", 1),
                                               Value("q\"uote", 1), Value("ü", 1)));
  EXPECT_THAT(counts[0].values[1], ElementsAre(Value("m", 4), Value("n", 1)));
}

TEST_F(FacetsReaderTest, FailureCodeCountsOnlyWithAFailure) {
  AddRun(1, "a");
  const std::string run = RunId(2);
  model::Step root = MakeStep(run, 1, -1, "root", StepType::kAgent, kT0, kT0 + 10);
  root.status = model::StepStatus::kError;
  model::Step tool = MakeStep(run, 2, 1, "search", StepType::kTool, kT0 + 1, kT0 + 2);
  tool.status = model::StepStatus::kError;
  tool.failure = model::Failure{model::FailureType::kTool, "timeout", "slow", tool.step_id,
                                model::FailureSource::kSpanStatus, kT0 + 2, "", false};
  ASSERT_OK(store_->Write(Batch({root, tool})).status());
  // A stray code without a failure type is not a failure.
  Exec("UPDATE runs SET f_code = 'ghost' WHERE run_id = x'" + RunId(1) + "'");
  FacetScope scope;
  scope.dimensions = {FacetDimension::kFailureType, FacetDimension::kFailureCode, FacetDimension::kStatus};
  ASSERT_OK_AND_ASSIGN(auto counts, store_->CountRunFacets({scope}, 100));
  EXPECT_THAT(counts[0].values[0], ElementsAre(Value("tool", 1)));
  EXPECT_THAT(counts[0].values[1], ElementsAre(Value("timeout", 1)));
  EXPECT_THAT(counts[0].values[2], ElementsAre(Value("failed", 1), Value("ok", 1)));
}

TEST_F(FacetsReaderTest, RejectsOutOfRangeMaxValues) {
  for (int bad : {0, -1, 10001}) {
    Result<std::vector<FacetScopeCounts>> r = store_->CountRunFacets({FacetScope{}}, bad);
    EXPECT_STATUS(r, StatusCode::kInvalidArgument);
    EXPECT_THAT(r.status().message(), HasSubstr("max_values"));
  }
}

TEST_F(FacetsReaderTest, StatsGroupByToolNameCountsToolStepsOnly) {
  const std::string run = RunId(1);
  model::Step root = MakeStep(run, 1, -1, "root", StepType::kAgent, kT0, kT0 + 1000);
  model::Step s1 = MakeStep(run, 2, 1, "execute_tool search", StepType::kTool, kT0 + 1, kT0 + 1'000'001);
  s1.tool_name = "search";
  model::Step s2 = MakeStep(run, 3, 1, "execute_tool search", StepType::kTool, kT0 + 2, kT0 + 3'000'002);
  s2.tool_name = "search";
  s2.status = model::StepStatus::kError;
  model::Step s3 = MakeStep(run, 4, 1, "execute_tool book", StepType::kTool, kT0 + 3, 0);  // still running
  s3.tool_name = "book";
  s3.cost_usd = 0.5;
  model::Step unnamed = MakeStep(run, 5, 1, "", StepType::kTool, kT0 + 4, kT0 + 5);
  model::Step stray = MakeStep(run, 6, 1, "chat", StepType::kLlm, kT0 + 5, kT0 + 6);
  stray.tool_name = "search";  // a tool name on a non-tool step is not a tool call
  ASSERT_OK(store_->Write(Batch({root, s1, s2, s3, unnamed, stray})).status());

  ASSERT_OK_AND_ASSIGN(auto rows, store_->Stats({.filter = {}, .group_by = GroupBy::kToolName}));
  ASSERT_EQ(rows.size(), 3u);  // "", book, search (std::map order)
  EXPECT_EQ(rows[0].group, "");
  EXPECT_EQ(rows[0].runs, 1);
  EXPECT_EQ(rows[1].group, "book");
  EXPECT_EQ(rows[1].runs, 1);
  EXPECT_EQ(rows[1].running, 1);
  EXPECT_DOUBLE_EQ(rows[1].cost_usd, 0.5);
  EXPECT_EQ(rows[2].group, "search");
  EXPECT_EQ(rows[2].runs, 2);  // steps, not runs: the LLM step with a tool name is not counted
  EXPECT_EQ(rows[2].ok, 1);
  EXPECT_EQ(rows[2].failed, 1);
  EXPECT_DOUBLE_EQ(rows[2].success_rate, 0.5);
  EXPECT_DOUBLE_EQ(rows[2].p50_ms, 2.0);  // 1 ms and 3 ms

  // Run filters apply as for the other step-level groupings.
  ASSERT_OK_AND_ASSIGN(auto none, store_->Stats({.filter = {.agent_ids = {"nobody"}}, .group_by = GroupBy::kToolName}));
  EXPECT_TRUE(none.empty());
}

}  // namespace
}  // namespace tracery::store
