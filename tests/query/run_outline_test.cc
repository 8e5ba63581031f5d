#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "query/query_service.h"
#include "testing/testing.h"

namespace tracery::query {
namespace {

using Json = nlohmann::json;
constexpr int64_t kT0 = 1795309323123456789;

// A store holding one run; GetRun honours the step window like the real store.
class WindowStore : public store::Store {
 public:
  Result<store::WriteStats> Write(store::WriteBatch) override { return UnimplementedError("fake"); }
  Result<store::RunPage> ListRuns(const store::RunFilter&, const store::PageRequest&) override {
    return UnimplementedError("fake");
  }
  Result<store::RunDetail> GetRun(const std::string& run_id, const store::StepWindow& window) override {
    ++calls;
    if (run_id != run.run_id) return NotFoundError("run " + run_id + " not found");
    store::RunDetail d;
    d.run = run;
    d.total_steps = static_cast<int64_t>(steps.size());
    for (int64_t i = window.offset; i < window.offset + window.limit && i < d.total_steps; ++i) {
      store::StoredStep ss;
      ss.seq = i;
      ss.step = steps[static_cast<size_t>(i)];
      d.steps.push_back(std::move(ss));
    }
    return d;
  }
  Result<std::vector<model::ContentField>> GetStepContent(const std::string&, const std::string&) override {
    return UnimplementedError("fake");
  }
  Result<std::vector<store::StatsRow>> Stats(const store::StatsQuery&) override { return UnimplementedError("fake"); }
  Result<store::SessionPage> ListSessions(const store::SessionFilter&) override { return UnimplementedError("fake"); }
  Result<std::vector<store::AgentSummary>> ListAgents(const store::RunFilter&) override {
    return UnimplementedError("fake");
  }
  int AddListener(store::RunUpdateListener) override { return 0; }
  void RemoveListener(int) override {}
  Result<Info> GetInfo() override { return Info{}; }
  void Close() override {}

  model::Run run;
  std::vector<model::Step> steps;
  int calls = 0;
};

model::Step MakeStep(std::string id, std::string parent, std::string name, model::StepType type, int64_t start_us,
                     int64_t dur_us) {
  model::Step s;
  s.step_id = std::move(id);
  s.parent_id = std::move(parent);
  s.name = std::move(name);
  s.type = type;
  s.agent = "planner";
  s.start_ns = kT0 + start_us * 1000;
  s.end_ns = dur_us < 0 ? 0 : s.start_ns + dur_us * 1000;
  return s;
}

class RunOutlineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_.run.run_id = "r1";
    store_.run.start_ns = kT0;
  }
  Json Outline() {
    Result<std::string> text = service_.GetRunOutline("r1", {});
    EXPECT_OK(text.status());
    Json j = Json::parse(text.ok() ? *text : "null", nullptr, false);
    EXPECT_FALSE(j.is_discarded());
    return j;
  }
  WindowStore store_;
  QueryService service_{&store_};
};

TEST_F(RunOutlineTest, ParallelArraysWithIndicesAndTables) {
  store_.steps.push_back(MakeStep("root", "", "invoke_agent planner", model::StepType::kAgent, 0, 5000));
  store_.steps.push_back(MakeStep("a1", "root", "chat gpt-4o", model::StepType::kLlm, 10, 100));
  model::Step retry = MakeStep("a2", "root", "chat gpt-4o", model::StepType::kLlm, 200, -1);  // still open
  retry.retry_of = "a1";
  retry.attempt = 2;
  retry.agent = "helper";
  store_.steps.push_back(retry);
  model::Step tool = MakeStep("t1", "a2", "execute_tool search", model::StepType::kTool, 300, 50);
  tool.status = model::StepStatus::kError;
  tool.failure = model::Failure{};
  store_.steps.push_back(tool);
  store_.steps.push_back(MakeStep("orphan", "missing-parent", "x", model::StepType::kOther, 400, 1));

  Json j = Outline();
  EXPECT_EQ(j["run_id"], "r1");
  EXPECT_EQ(j["total_steps"], 5);
  EXPECT_EQ(j["start_unix_nano"], std::to_string(kT0));
  EXPECT_EQ(j["step_id"], Json({"root", "a1", "a2", "t1", "orphan"}));
  EXPECT_EQ(j["parent"], Json({-1, 0, 0, 2, -1}));  // unknown parent -> -1
  EXPECT_EQ(j["names"], Json({"invoke_agent planner", "chat gpt-4o", "execute_tool search", "x"}));
  EXPECT_EQ(j["name"], Json({0, 1, 1, 2, 3}));
  EXPECT_EQ(j["types"], Json({"agent", "llm", "tool", "other"}));
  EXPECT_EQ(j["type"], Json({0, 1, 1, 2, 3}));
  EXPECT_EQ(j["agents"], Json({"planner", "helper"}));
  EXPECT_EQ(j["agent"], Json({0, 0, 1, 0, 0}));
  EXPECT_EQ(j["statuses"], Json({"unset", "error"}));
  EXPECT_EQ(j["status"], Json({0, 0, 0, 1, 0}));
  EXPECT_EQ(j["failed"], Json({0, 0, 0, 1, 0}));
  EXPECT_EQ(j["attempt"], Json({0, 0, 2, 0, 0}));
  EXPECT_EQ(j["retry_of"], Json({-1, -1, 1, -1, -1}));
  EXPECT_EQ(j["start_us"], Json({0, 10, 200, 300, 400}));
  EXPECT_EQ(j["duration_us"], Json({5000, 100, -1, 50, 1}));
}

TEST_F(RunOutlineTest, PagesThroughRunsLargerThanOneWindow) {
  constexpr int kSteps = 25'001;  // three store windows of at most 10,000
  store_.steps.push_back(MakeStep("s0", "", "root", model::StepType::kAgent, 0, 1));
  for (int i = 1; i < kSteps; ++i) {
    store_.steps.push_back(MakeStep("s" + std::to_string(i), "s0", "n", model::StepType::kTool, i, 1));
  }
  Json j = Outline();
  EXPECT_EQ(store_.calls, 3);
  ASSERT_EQ(j["step_id"].size(), static_cast<size_t>(kSteps));
  EXPECT_EQ(j["step_id"][kSteps - 1], "s25000");
  EXPECT_EQ(j["parent"][kSteps - 1], 0);
  EXPECT_EQ(j["start_us"][kSteps - 1], kSteps - 1);
}

TEST_F(RunOutlineTest, ErrorsNameTheProblem) {
  EXPECT_STATUS(service_.GetRunOutline("nope", {}), StatusCode::kNotFound);
  EXPECT_STATUS(service_.GetRunOutline("", {}), StatusCode::kInvalidArgument);
  Result<std::string> bad = service_.GetRunOutline("r1", {{"limit", "5"}});
  EXPECT_STATUS(bad, StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), ::testing::HasSubstr("unknown parameter \"limit\""));
}

TEST_F(RunOutlineTest, HostileNamesStayValidJson) {
  store_.steps.push_back(MakeStep("root", "", std::string("bad \xff \"quote\"\n"), model::StepType::kAgent, 0, 1));
  Json j = Outline();
  EXPECT_EQ(j["names"][0], "bad \xEF\xBF\xBD \"quote\"\n");
}

// GET /api/runs/{id}?steps_only=1 (the UI's later windows) leaves out agents, messages, failures.
TEST_F(RunOutlineTest, StepsOnlyWindowsOmitRunLevelLists) {
  store_.steps.push_back(MakeStep("root", "", "r", model::StepType::kAgent, 0, 1));
  store_.steps.push_back(MakeStep("c", "root", "c", model::StepType::kLlm, 1, 1));
  ASSERT_OK_AND_ASSIGN(std::string full, service_.GetRun("r1", {{"limit", "1"}}));
  Json f = Json::parse(full);
  EXPECT_TRUE(f.contains("agents") && f.contains("messages") && f.contains("failures"));
  ASSERT_OK_AND_ASSIGN(std::string lean, service_.GetRun("r1", {{"offset", "1"}, {"limit", "1"}, {"steps_only", "1"}}));
  Json l = Json::parse(lean);
  EXPECT_FALSE(l.contains("agents") || l.contains("messages") || l.contains("failures"));
  ASSERT_EQ(l["steps"].size(), 1u);
  EXPECT_EQ(l["steps"][0]["step_id"], "c");
  EXPECT_EQ(l["total_steps"], 2);
  EXPECT_STATUS(service_.GetRun("r1", {{"steps_only", "yes"}}), StatusCode::kInvalidArgument);
  EXPECT_STATUS(service_.GetRun("r1", {{"steps_only", "2"}}), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tracery::query
