// End-to-end against the real `tracery serve`, asserting through /api/runs.
#include <gtest/gtest.h>

#include <map>
#include <stdexcept>

#include "test_util.h"
#include "tracery_sdk/tracery_sdk.h"

namespace tracery_sdk {
namespace {

using nlohmann::json;

class ServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new testing::ServerProcess(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(server_->ok()) << server_->error(); }

  static TracerOptions Options(Privacy privacy = Privacy::kFull) {
    TracerOptions o;
    o.agent_id = "support-bot";
    o.agent_version = "1.4.2";
    o.environment = "staging";
    o.endpoint = server_->base();
    o.privacy = privacy;
    o.schedule_delay = std::chrono::milliseconds(20);
    return o;
  }

  static json Detail(Tracer& tracer, const std::string& run_id, std::size_t min_steps = 1) {
    EXPECT_TRUE(tracer.Flush(std::chrono::seconds(10)));
    EXPECT_EQ(tracer.Stats().spans_dropped, 0u) << tracer.Stats().last_error;
    json d = server_->WaitRun(run_id, min_steps);
    EXPECT_TRUE(d.is_object()) << "run " << run_id << " never appeared";
    return d.is_object() ? d : json::object({{"run", json::object()}, {"steps", json::array()}});
  }

  static std::map<std::string, json> StepsByName(const json& d) {
    std::map<std::string, json> out;
    for (const auto& s : d["steps"]) out[s["name"].get<std::string>()] = s;
    return out;
  }

  static testing::ServerProcess* server_;
};

testing::ServerProcess* ServerTest::server_ = nullptr;

TEST_F(ServerTest, SuccessfulRun) {
  Tracer tracer(Options());
  std::string run_id;
  {
    tracery_sdk::Run run = tracer.StartRun("refund", {"sess-1", "u-9", {"vip"}, "", ""});
    run_id = run.id();
    run.StartStep(StepType::kPlan, "decide").Set("intent", "refund");
    {
      Step s = run.StartStep(StepType::kLlm, "chat gpt-4o");
      s.SetModel("gpt-4o", "openai").SetTokens({120, 30, {}, {}, {}, {}});
      s.SetInput(R"([{"role":"user","content":"refund please"}])", ContentKind::kJson);
    }
    {
      Step tool = run.StartStep(StepType::kTool, "billing_api");
      tool.StartStep(StepType::kRetrieval, "kb_lookup");
    }
    run.StartStep(StepType::kRespond, "answer");
  }
  const json d = Detail(tracer, run_id, 6);
  const json& r = d["run"];
  EXPECT_EQ(r["agent_id"], "support-bot");
  EXPECT_EQ(r["agent_version"], "1.4.2");
  EXPECT_EQ(r["environment"], "staging");
  EXPECT_EQ(r["session_id"], "sess-1");
  EXPECT_EQ(r["user_id"], "u-9");
  EXPECT_EQ(r["name"], "refund");
  EXPECT_EQ(r["status"], "ok");
  EXPECT_EQ(r["tags"], json::array({"vip"}));
  EXPECT_EQ(r["tokens"]["input"], 120);
  EXPECT_EQ(r["tokens"]["output"], 30);
  EXPECT_EQ(r["models"], json::array({"gpt-4o"}));
  std::vector<std::pair<std::string, std::string>> order;
  for (const auto& s : d["steps"]) order.emplace_back(s["type"], s["name"]);
  const std::vector<std::pair<std::string, std::string>> want = {
      {"agent", "refund"}, {"plan", "decide"},         {"llm", "chat gpt-4o"},
      {"tool", "billing_api"}, {"retrieval", "kb_lookup"}, {"respond", "answer"}};
  EXPECT_EQ(order, want);
  auto steps = StepsByName(d);
  EXPECT_EQ(steps["kb_lookup"]["parent_id"], steps["billing_api"]["step_id"]);
  EXPECT_EQ(steps["decide"]["attributes"]["intent"], "refund");
  EXPECT_EQ(steps["chat gpt-4o"]["provider"], "openai");
  EXPECT_GE(server_->Get("/api/runs")["runs"].size(), 1u);
}

TEST_F(ServerTest, RecordFailureOnOpenStep) {
  Tracer tracer(Options());
  std::string run_id, step_id;
  {
    tracery_sdk::Run run = tracer.StartRun("lookup");
    run_id = run.id();
    Step s = run.StartStep(StepType::kRetrieval, "kb");
    step_id = s.step_id();
    run.RecordFailure("retrieval", "no_results", "kb returned nothing", &s);
  }
  const json r = Detail(tracer, run_id, 2)["run"];
  EXPECT_EQ(r["status"], "failed");
  EXPECT_EQ(r["failure"]["type"], "retrieval");
  EXPECT_EQ(r["failure"]["code"], "no_results");
  EXPECT_EQ(r["failure"]["message"], "kb returned nothing");
  EXPECT_EQ(r["failure"]["step_id"], step_id);
}

TEST_F(ServerTest, StepFailureStaysTheRunFailureWhenTheAgentCarriesOn) {
  Tracer tracer(Options());
  std::string run_id;
  {
    tracery_sdk::Run run = tracer.StartRun("carry-on");
    run_id = run.id();
    {
      Step s = run.StartStep(StepType::kRetrieval, "kb");
      run.RecordFailure("retrieval", "no_results", "kb returned nothing", &s);
    }
    run.StartStep(StepType::kRespond, "apologize");  // a later sibling: the kb failure is handled
  }
  const json d = Detail(tracer, run_id, 3);
  EXPECT_EQ(d["run"]["status"], "failed");
  EXPECT_EQ(d["run"]["failure"]["type"], "retrieval");
  EXPECT_EQ(d["run"]["failure"]["code"], "no_results");
  EXPECT_EQ(StepsByName(d)["kb"]["failure"]["code"], "no_results");
}

TEST_F(ServerTest, RecordFailureAfterStepEndedGoesOnTheRun) {
  Tracer tracer(Options());
  std::string run_id;
  {
    tracery_sdk::Run run = tracer.StartRun("late");
    run_id = run.id();
    Step s = run.StartStep(StepType::kTool, "search");
    s.End();
    run.RecordFailure("tool", "bad_output", "empty answer", &s);
  }
  const json r = Detail(tracer, run_id, 2)["run"];
  EXPECT_EQ(r["status"], "failed");
  EXPECT_EQ(r["failure"]["type"], "tool");
  EXPECT_EQ(r["failure"]["code"], "bad_output");
  EXPECT_NE(r["failure"]["message"].get<std::string>().find("search"), std::string::npos);
}

TEST_F(ServerTest, RetryThenSuccessIsPartial) {
  Tracer tracer(Options());
  std::string run_id;
  int calls = 0;
  {
    tracery_sdk::Run run = tracer.StartRun("retrying");
    run_id = run.id();
    const int v = run.Retry(
        [&] {
          if (++calls < 3) throw std::runtime_error("billing api timed out");
          return 42;
        },
        {3, StepType::kTool, "billing_api", {}});
    EXPECT_EQ(v, 42);
  }
  const json d = Detail(tracer, run_id, 4);
  EXPECT_EQ(d["run"]["status"], "partial");
  EXPECT_EQ(d["run"]["retry_count"], 2);
  std::vector<json> tools;
  for (const auto& s : d["steps"])
    if (s["type"] == "tool") tools.push_back(s);
  ASSERT_EQ(tools.size(), 3u);
  EXPECT_EQ(tools[0]["attempt"], 1);
  EXPECT_EQ(tools[1]["attempt"], 2);
  EXPECT_EQ(tools[2]["attempt"], 3);
  EXPECT_EQ(tools[1]["retry_of"], tools[0]["step_id"]);
  EXPECT_EQ(tools[2]["retry_of"], tools[1]["step_id"]);
  EXPECT_EQ(d["run"]["failure"]["code"], "timeout");
  EXPECT_EQ(d["run"]["failure"]["recovered"], true);
}

TEST_F(ServerTest, UncaughtExceptionFailsTheRun) {
  Tracer tracer(Options());
  std::string run_id;
  EXPECT_THROW(
      {
        tracery_sdk::Run run = tracer.StartRun("crashy");
        run_id = run.id();
        run.StartStep(StepType::kTool, "ok_tool");
        throw std::runtime_error("planner exploded");
      },
      std::runtime_error);
  const json r = Detail(tracer, run_id, 2)["run"];
  EXPECT_EQ(r["status"], "failed");
  EXPECT_EQ(r["failure"]["type"], "orchestration");
  EXPECT_EQ(r["failure"]["code"], "uncaught_exception");
}

TEST_F(ServerTest, HandoffNestedAgentAndStepException) {
  Tracer tracer(Options());
  std::string run_id;
  {
    tracery_sdk::Run run = tracer.StartRun("multi");
    run_id = run.id();
    run.StartStep(StepType::kHandoff, "transfer_to_billing").Handoff("billing-agent");
    Step agent = run.StartStep(StepType::kAgent, "billing-agent");
    Step tool = run.StartStep(StepType::kTool, "refund_api");
    tool.Set("text", "caf\xC3\xA9 \xFF");  // invalid UTF-8 is sanitized, not rejected
    tool.RecordException(std::runtime_error("refund api timed out after 30s"));
  }
  const json d = Detail(tracer, run_id, 4);
  auto steps = StepsByName(d);
  EXPECT_EQ(steps["transfer_to_billing"]["handoff_to"], "billing-agent");
  EXPECT_EQ(steps["transfer_to_billing"]["handoff_from"], "support-bot");
  EXPECT_EQ(steps["refund_api"]["parent_id"], steps["billing-agent"]["step_id"]);
  EXPECT_EQ(steps["refund_api"]["failure"]["code"], "timeout");
  EXPECT_EQ(steps["refund_api"]["attributes"]["text"], "caf\xC3\xA9 \xEF\xBF\xBD");
}

TEST_F(ServerTest, PrivacyMaskRedactsBeforeSending) {
  Tracer tracer(Options(Privacy::kMask));
  std::string run_id;
  {
    tracery_sdk::Run run = tracer.StartRun("pii");
    run_id = run.id();
    run.StartStep(StepType::kTool, "crm")
        .Set("note", "contact bob@example.com using key sk-abcdefghijklmnopqrstuvwxyz");
  }
  const auto note = StepsByName(Detail(tracer, run_id, 2))["crm"]["attributes"]["note"].get<std::string>();
  EXPECT_EQ(note.find("bob@example.com"), std::string::npos);
  EXPECT_NE(note.find("[REDACTED:email]"), std::string::npos);
  EXPECT_NE(note.find("[REDACTED:api_key]"), std::string::npos);
}

TEST_F(ServerTest, MetadataOnlyDropsContentButFullKeepsIt) {
  std::string dropped_id, kept_id;
  for (auto privacy : {Privacy::kMetadataOnly, Privacy::kFull}) {
    Tracer tracer(Options(privacy));
    std::string run_id;
    {
      tracery_sdk::Run run = tracer.StartRun("content");
      run_id = run.id();
      Step s = run.StartStep(StepType::kLlm, "chat");
      s.SetModel("gpt-4o").SetInput(R"([{"role":"user","content":"secret plan"}])", ContentKind::kJson);
    }
    const json d = Detail(tracer, run_id, 2);
    const json llm = StepsByName(d)["chat"];
    if (privacy == Privacy::kMetadataOnly) {
      EXPECT_EQ(llm["content"], json::array());
      EXPECT_EQ(d.dump().find("secret plan"), std::string::npos);
    } else {
      ASSERT_EQ(llm["content"].size(), 1u);
      EXPECT_EQ(llm["content"][0]["name"], "input");
    }
  }
}

}  // namespace
}  // namespace tracery_sdk
