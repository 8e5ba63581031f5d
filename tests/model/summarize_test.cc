#include "model/summarize.h"

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "testing/testing.h"

namespace tracery::model {
namespace {

constexpr int64_t kMs = 1'000'000;

StepDigest MakeStep(std::string id, std::string parent, std::string name, StepType type, int64_t start_ms,
                    int64_t end_ms) {
  StepDigest s;
  s.step_id = std::move(id);
  s.parent_id = std::move(parent);
  s.name = std::move(name);
  s.type = type;
  s.start_ns = start_ms * kMs;
  s.end_ns = end_ms * kMs;
  s.status = StepStatus::kOk;
  return s;
}

void Fail(StepDigest& s, FailureType type, std::string code, std::string message = "boom") {
  s.status = StepStatus::kError;
  Failure f;
  f.type = type;
  f.code = std::move(code);
  f.message = std::move(message);
  f.step_id = s.step_id;
  f.time_ns = s.end_ns;
  s.failure = f;
}

const RetryLink* FindLink(const RunSummary& s, const std::string& id) {
  for (const auto& r : s.retries) {
    if (r.step_id == id) return &r;
  }
  return nullptr;
}

TEST(SummarizeTest, EmptyInputIsRunningWithRunId) {
  RunSummary s = SummarizeRun("r1", {});
  EXPECT_EQ(s.run.run_id, "r1");
  EXPECT_EQ(s.run.status, RunStatus::kRunning);
  EXPECT_FALSE(s.run.root_seen);
  EXPECT_EQ(s.run.step_count, 0);
}

TEST(SummarizeTest, SimpleOkRun) {
  auto root = MakeStep("a", "", "workflow", StepType::kChain, 0, 100);
  auto llm = MakeStep("b", "a", "chat", StepType::kLlm, 10, 50);
  llm.model = "gpt-4o";
  llm.tokens = {.input = 10, .output = 5, .total = 15, .present = true};
  llm.cost_usd = 0.5;
  auto tool = MakeStep("c", "a", "search", StepType::kTool, 60, 90);
  RunSummary s = SummarizeRun("r", {root, llm, tool});
  EXPECT_EQ(s.run.status, RunStatus::kOk);
  EXPECT_TRUE(s.run.root_seen);
  EXPECT_EQ(s.run.name, "workflow");
  EXPECT_EQ(s.run.start_ns, 0);
  EXPECT_EQ(s.run.end_ns, 100 * kMs);
  EXPECT_EQ(s.run.step_count, 3);
  EXPECT_EQ(s.run.llm_count, 1);
  EXPECT_EQ(s.run.tool_count, 1);
  EXPECT_EQ(s.run.error_count, 0);
  EXPECT_EQ(s.run.retry_count, 0);
  EXPECT_EQ(s.run.tokens.total, 15);
  EXPECT_DOUBLE_EQ(s.run.cost_usd, 0.5);
  EXPECT_EQ(s.run.models, std::vector<std::string>{"gpt-4o"});
  EXPECT_FALSE(s.run.failure.has_value());
  EXPECT_TRUE(s.retries.empty());
  EXPECT_EQ(s.run.metadata_json, "{}");
}

TEST(SummarizeTest, RunningWithoutRootOrRootEnd) {
  auto child = MakeStep("b", "a", "chat", StepType::kLlm, 10, 50);
  RunSummary no_root = SummarizeRun("r", {child});
  EXPECT_EQ(no_root.run.status, RunStatus::kRunning);
  EXPECT_FALSE(no_root.run.root_seen);
  EXPECT_EQ(no_root.run.end_ns, 0);
  EXPECT_EQ(no_root.run.name, "chat");  // falls back to the earliest step name

  auto root = MakeStep("a", "", "wf", StepType::kChain, 0, 0);
  RunSummary open = SummarizeRun("r", {root, child});
  EXPECT_EQ(open.run.status, RunStatus::kRunning);
  EXPECT_TRUE(open.run.root_seen);
  EXPECT_EQ(open.run.end_ns, 0);
}

TEST(SummarizeTest, MissingParentIsNotRoot) {
  // "b" has a parent that has not arrived: it is not the root even though it is earliest.
  auto orphan = MakeStep("b", "zz", "early", StepType::kTool, 0, 10);
  auto root = MakeStep("a", "", "late-root", StepType::kChain, 5, 20);
  RunSummary s = SummarizeRun("r", {orphan, root});
  EXPECT_EQ(s.run.name, "late-root");
  EXPECT_EQ(s.run.status, RunStatus::kOk);
  EXPECT_EQ(s.run.start_ns, 0);
}

TEST(SummarizeTest, SeveralRootsTakeEarliest) {
  auto r2 = MakeStep("b", "", "second", StepType::kChain, 5, 0);
  auto r1 = MakeStep("a", "", "first", StepType::kChain, 1, 20);
  RunSummary s = SummarizeRun("r", {r2, r1});
  EXPECT_EQ(s.run.name, "first");
  EXPECT_EQ(s.run.status, RunStatus::kOk);  // earliest root ended
}

TEST(SummarizeTest, NamePrecedence) {
  auto root = MakeStep("a", "", "root-span", StepType::kChain, 0, 100);
  auto child = MakeStep("b", "a", "child", StepType::kLlm, 10, 20);
  child.hints.name = "child-hint";
  // Earliest hint wins over root span name.
  EXPECT_EQ(SummarizeRun("r", {root, child}).run.name, "child-hint");
  root.hints.name = "root-hint";
  EXPECT_EQ(SummarizeRun("r", {root, child}).run.name, "root-hint");
  // Without any hint: root span name.
  child.hints.name.clear();
  root.hints.name.clear();
  EXPECT_EQ(SummarizeRun("r", {root, child}).run.name, "root-span");
}

TEST(SummarizeTest, HintFieldsRootFirstThenEarliest) {
  auto root = MakeStep("a", "", "wf", StepType::kChain, 0, 100);
  auto c1 = MakeStep("b", "a", "x", StepType::kLlm, 10, 20);
  auto c2 = MakeStep("c", "a", "y", StepType::kLlm, 30, 40);
  root.hints.environment = "prod";
  c1.hints.environment = "staging";
  c1.hints.session_id = "s1";
  c2.hints.session_id = "s2";
  c2.hints.user_id = "u2";
  c1.hints.agent_version = "1.0";
  c2.hints.metadata_json = R"({"k":1})";
  c1.hints.tags = {"b", "a"};
  c2.hints.tags = {"a", "c", ""};
  root.hints.service_name = "svc";
  RunSummary s = SummarizeRun("r", {c2, root, c1});
  EXPECT_EQ(s.run.environment, "prod");
  EXPECT_EQ(s.run.session_id, "s1");
  EXPECT_EQ(s.run.user_id, "u2");
  EXPECT_EQ(s.run.agent_version, "1.0");
  EXPECT_EQ(s.run.metadata_json, R"({"k":1})");
  EXPECT_EQ(s.run.tags, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(s.run.service_name, "svc");
}

TEST(SummarizeTest, AgentIdPrecedence) {
  auto root = MakeStep("a", "", "wf", StepType::kChain, 0, 100);
  root.hints.service_name = "svc";
  auto agent = MakeStep("b", "a", "invoke_agent", StepType::kAgent, 10, 90);
  agent.agent = "planner";
  EXPECT_EQ(SummarizeRun("r", {root}).run.agent_id, "svc");
  EXPECT_EQ(SummarizeRun("r", {root, agent}).run.agent_id, "planner");
  root.agent = "root-agent";
  EXPECT_EQ(SummarizeRun("r", {root, agent}).run.agent_id, "root-agent");
  agent.hints.agent_id = "hinted";
  EXPECT_EQ(SummarizeRun("r", {root, agent}).run.agent_id, "hinted");
}

TEST(SummarizeTest, NoDoubleCountingOfAggregates) {
  auto root = MakeStep("a", "", "wf", StepType::kChain, 0, 100);
  root.tokens = {.input = 1000, .output = 1000, .total = 2000, .present = true};
  auto agent = MakeStep("b", "a", "agent", StepType::kAgent, 1, 99);
  agent.agent = "writer";
  agent.tokens = {.input = 30, .output = 12, .total = 42, .present = true};  // aggregate of children
  agent.cost_usd = 9;
  agent.model = "agg-model";
  auto l1 = MakeStep("c", "b", "chat", StepType::kLlm, 2, 10);
  l1.agent = "writer";
  l1.model = "m2";
  l1.tokens = {.input = 10, .output = 2, .total = 12, .cache_read = 4, .present = true};
  l1.cost_usd = 1;
  auto l2 = MakeStep("d", "b", "chat", StepType::kLlm, 20, 30);
  l2.agent = "writer";
  l2.model = "m1";
  l2.tokens = {.input = 20, .output = 10, .total = 30, .reasoning = 3, .present = true};
  l2.cost_usd = 2;
  auto emb = MakeStep("e", "b", "embed", StepType::kEmbedding, 31, 32);
  emb.model = "m1";
  emb.tokens = {.input = 5, .total = 5, .present = true};
  RunSummary s = SummarizeRun("r", {root, agent, l1, l2, emb});
  EXPECT_EQ(s.run.tokens.input, 35);
  EXPECT_EQ(s.run.tokens.output, 12);
  EXPECT_EQ(s.run.tokens.total, 47);
  EXPECT_EQ(s.run.tokens.cache_read, 4);
  EXPECT_EQ(s.run.tokens.reasoning, 3);
  EXPECT_DOUBLE_EQ(s.run.cost_usd, 3);
  EXPECT_EQ(s.run.models, (std::vector<std::string>{"m1", "m2"}));
  ASSERT_EQ(s.agents.size(), 1u);
  EXPECT_EQ(s.agents[0].name, "writer");
  EXPECT_EQ(s.agents[0].step_count, 4);  // the embedding step inherits "writer" from its parent
  EXPECT_EQ(s.agents[0].llm_count, 2);
  EXPECT_EQ(s.agents[0].tokens.total, 47);  // model calls only: 12 + 30 + 5, never the aggregate 42
  EXPECT_DOUBLE_EQ(s.agents[0].cost_usd, 3);
  EXPECT_EQ(s.agents[0].first_start_ns, 1 * kMs);
  EXPECT_EQ(s.agents[0].run_id, "r");
  EXPECT_EQ(s.run.agent_count, 1);
}

TEST(SummarizeTest, DuplicateStepsCountOnce) {
  auto root = MakeStep("a", "", "wf", StepType::kChain, 0, 100);
  auto llm = MakeStep("b", "a", "chat", StepType::kLlm, 10, 50);
  llm.tokens = {.input = 1, .output = 1, .total = 2, .present = true};
  RunSummary s = SummarizeRun("r", {root, llm, llm, root});
  EXPECT_EQ(s.run.step_count, 2);
  EXPECT_EQ(s.run.tokens.total, 2);
}

TEST(SummarizeTest, InferredRetriesRecoveredMakePartial) {
  auto root = MakeStep("a", "", "wf", StepType::kChain, 0, 100);
  auto t1 = MakeStep("t1", "a", "search", StepType::kTool, 10, 20);
  t1.tool_name = "search";
  Fail(t1, FailureType::kTool, "timeout");
  auto t2 = MakeStep("t2", "a", "search", StepType::kTool, 21, 30);
  t2.tool_name = "search";
  Fail(t2, FailureType::kTool, "timeout");
  auto t3 = MakeStep("t3", "a", "search", StepType::kTool, 31, 40);
  t3.tool_name = "search";
  RunSummary s = SummarizeRun("r", {root, t3, t1, t2});
  EXPECT_EQ(s.run.status, RunStatus::kPartial);
  ASSERT_TRUE(s.run.failure.has_value());  // the earliest, flagged recovered
  EXPECT_EQ(s.run.failure->step_id, "t1");
  EXPECT_TRUE(s.run.failure->recovered);
  EXPECT_EQ(s.run.failure->message, "boom");
  EXPECT_EQ(s.run.retry_count, 2);
  EXPECT_EQ(s.run.error_count, 2);
  ASSERT_EQ(s.retries.size(), 3u);
  ASSERT_NE(FindLink(s, "t1"), nullptr);
  EXPECT_EQ(FindLink(s, "t1")->attempt, 1);
  EXPECT_EQ(FindLink(s, "t1")->retry_of, "");
  EXPECT_EQ(FindLink(s, "t2")->attempt, 2);
  EXPECT_EQ(FindLink(s, "t2")->retry_of, "t1");
  EXPECT_EQ(FindLink(s, "t3")->attempt, 3);
  EXPECT_EQ(FindLink(s, "t3")->retry_of, "t2");
  ASSERT_EQ(s.failures.size(), 2u);
  EXPECT_TRUE(s.failures[0].recovered);
  EXPECT_TRUE(s.failures[1].recovered);
}

TEST(SummarizeTest, ExhaustedButHandledRetriesArePartial) {
  auto root = MakeStep("a", "", "wf", StepType::kChain, 0, 100);
  auto t1 = MakeStep("t1", "a", "search", StepType::kTool, 10, 20);
  Fail(t1, FailureType::kTool, "timeout", "slow");
  auto t2 = MakeStep("t2", "a", "search", StepType::kTool, 21, 30);
  Fail(t2, FailureType::kTool, "timeout", "slow");
  auto fallback = MakeStep("f", "a", "answer", StepType::kLlm, 31, 40);
  RunSummary s = SummarizeRun("r", {root, t1, t2, fallback});
  EXPECT_EQ(s.run.status, RunStatus::kPartial);
  ASSERT_TRUE(s.run.failure.has_value());
  EXPECT_EQ(s.run.failure->step_id, "t2");
  EXPECT_FALSE(s.run.failure->recovered);
  EXPECT_EQ(s.run.failure->message, "slow (after 2 attempts)");
}

TEST(SummarizeTest, SuccessfulRepeatsAreNotRetries) {
  auto root = MakeStep("a", "", "wf", StepType::kChain, 0, 100);
  auto t1 = MakeStep("t1", "a", "search", StepType::kTool, 10, 20);
  auto t2 = MakeStep("t2", "a", "search", StepType::kTool, 21, 30);
  RunSummary s = SummarizeRun("r", {root, t1, t2});
  EXPECT_EQ(s.run.retry_count, 0);
  EXPECT_TRUE(s.retries.empty());
}

TEST(SummarizeTest, OverlappingFailureIsNotRetriedBySiblingThatStartedEarlier) {
  auto root = MakeStep("a", "", "wf", StepType::kChain, 0, 100);
  auto t1 = MakeStep("t1", "a", "search", StepType::kTool, 10, 20);
  Fail(t1, FailureType::kTool, "timeout");
  auto t2 = MakeStep("t2", "a", "search", StepType::kTool, 15, 25);  // parallel, started before t1 ended
  RunSummary s = SummarizeRun("r", {root, t1, t2});
  EXPECT_EQ(s.run.retry_count, 0);
  EXPECT_FALSE(s.failures[0].recovered);
  EXPECT_EQ(s.run.status, RunStatus::kPartial);  // handled error, root ok
  ASSERT_TRUE(s.run.failure.has_value());
  EXPECT_EQ(s.run.failure->step_id, "t1");
}

TEST(SummarizeTest, DifferentToolNamesDoNotChain) {
  auto root = MakeStep("a", "", "wf", StepType::kChain, 0, 100);
  auto t1 = MakeStep("t1", "a", "tool", StepType::kTool, 10, 20);
  t1.tool_name = "search";
  Fail(t1, FailureType::kTool, "timeout");
  auto t2 = MakeStep("t2", "a", "tool", StepType::kTool, 21, 30);
  t2.tool_name = "fetch";
  RunSummary s = SummarizeRun("r", {root, t1, t2});
  EXPECT_EQ(s.run.retry_count, 0);
  EXPECT_FALSE(s.failures[0].recovered);
}

TEST(SummarizeTest, ExplicitAttemptOneStartsNewChain) {
  auto root = MakeStep("a", "", "wf", StepType::kChain, 0, 100);
  auto t1 = MakeStep("t1", "a", "search", StepType::kTool, 10, 20);
  Fail(t1, FailureType::kTool, "timeout");
  auto t2 = MakeStep("t2", "a", "search", StepType::kTool, 21, 30);
  t2.attempt = 1;
  RunSummary s = SummarizeRun("r", {root, t1, t2});
  EXPECT_EQ(s.run.retry_count, 0);
  EXPECT_FALSE(s.failures[0].recovered);
}

TEST(SummarizeTest, ExplicitRetryLinksWinAndKeepAttempts) {
  auto root = MakeStep("a", "", "wf", StepType::kChain, 0, 100);
  // Different names: inference would never chain them; the explicit link does.
  auto l1 = MakeStep("l1", "a", "call-gpt", StepType::kLlm, 10, 20);
  Fail(l1, FailureType::kModel, "rate_limit");
  l1.attempt = 1;
  auto l2 = MakeStep("l2", "a", "call-claude", StepType::kLlm, 25, 30);
  l2.retry_of = "l1";
  l2.attempt = 5;
  RunSummary s = SummarizeRun("r", {l2, root, l1});
  ASSERT_NE(FindLink(s, "l2"), nullptr);
  EXPECT_EQ(FindLink(s, "l2")->attempt, 5);
  EXPECT_EQ(FindLink(s, "l2")->retry_of, "l1");
  EXPECT_EQ(FindLink(s, "l1")->attempt, 1);
  EXPECT_TRUE(s.failures[0].recovered);
  EXPECT_EQ(s.run.status, RunStatus::kPartial);
  EXPECT_EQ(s.run.retry_count, 1);
}

TEST(SummarizeTest, ExplicitRetryOfMissingStep) {
  auto root = MakeStep("a", "", "wf", StepType::kChain, 0, 100);
  auto l2 = MakeStep("l2", "a", "chat", StepType::kLlm, 25, 30);
  l2.retry_of = "not-here";
  RunSummary s = SummarizeRun("r", {root, l2});
  ASSERT_NE(FindLink(s, "l2"), nullptr);
  EXPECT_EQ(FindLink(s, "l2")->attempt, 2);
  EXPECT_EQ(FindLink(s, "l2")->retry_of, "not-here");
  EXPECT_EQ(s.run.retry_count, 1);
}

TEST(SummarizeTest, RetryCyclesDoNotHang) {
  auto root = MakeStep("a", "", "wf", StepType::kChain, 0, 100);
  auto x = MakeStep("x", "a", "t", StepType::kTool, 10, 20);
  x.retry_of = "y";
  auto y = MakeStep("y", "a", "t", StepType::kTool, 30, 40);
  y.retry_of = "x";
  RunSummary s = SummarizeRun("r", {root, x, y});
  EXPECT_EQ(s.retries.size(), 2u);
}

TEST(SummarizeTest, ExhaustedRetriesFailRunKeepCodeAndAnnotate) {
  auto root = MakeStep("a", "", "wf", StepType::kChain, 0, 100);
  Fail(root, FailureType::kOrchestration, "uncaught_exception", "agent gave up");
  auto agent = MakeStep("g", "a", "agent", StepType::kAgent, 1, 95);
  Fail(agent, FailureType::kOrchestration, "error", "tool failed");
  std::vector<StepDigest> steps = {root, agent};
  for (int k = 0; k < 3; ++k) {
    auto t = MakeStep("t" + std::to_string(k), "g", "search", StepType::kTool, 10 + 10 * k, 15 + 10 * k);
    Fail(t, FailureType::kTool, "timeout", "timed out");
    steps.push_back(t);
  }
  RunSummary s = SummarizeRun("r", steps);
  EXPECT_EQ(s.run.status, RunStatus::kFailed);
  ASSERT_TRUE(s.run.failure.has_value());
  EXPECT_EQ(s.run.failure->step_id, "t2");  // the last attempt, not the first
  EXPECT_EQ(s.run.failure->type, FailureType::kTool);
  EXPECT_EQ(s.run.failure->code, "timeout");
  EXPECT_EQ(s.run.failure->message, "timed out (after 3 attempts)");
  EXPECT_FALSE(s.run.failure->recovered);
  EXPECT_EQ(s.run.retry_count, 2);
  for (const auto& f : s.failures) EXPECT_FALSE(f.recovered) << f.step_id;

  // With a known retry budget the code becomes max_retries_exceeded.
  steps[4].max_attempts = 3;
  RunSummary budget = SummarizeRun("r", steps);
  ASSERT_TRUE(budget.run.failure.has_value());
  EXPECT_EQ(budget.run.failure->code, "max_retries_exceeded");
  EXPECT_EQ(budget.run.failure->type, FailureType::kTool);
  steps[4].max_attempts = 5;  // budget not used up: keep the code
  EXPECT_EQ(SummarizeRun("r", steps).run.failure->code, "timeout");
}

TEST(SummarizeTest, NestedFailureAttributionPicksDeepestCause) {
  auto root = MakeStep("a", "", "wf", StepType::kChain, 0, 100);
  Fail(root, FailureType::kOrchestration, "uncaught_exception");
  auto agent = MakeStep("g", "a", "agent", StepType::kAgent, 3, 95);
  Fail(agent, FailureType::kOrchestration, "error");
  // A handled failure elsewhere, earlier: the run continued after it, so it did not propagate.
  auto handled = MakeStep("h", "a", "lookup", StepType::kTool, 1, 2);
  Fail(handled, FailureType::kRetrieval, "no_results");
  auto llm = MakeStep("l", "g", "chat", StepType::kLlm, 4, 10);
  auto tool = MakeStep("t", "g", "calc", StepType::kTool, 11, 20);
  Fail(tool, FailureType::kTool, "schema_invalid", "bad args");
  RunSummary s = SummarizeRun("r", {root, agent, handled, llm, tool});
  EXPECT_EQ(s.run.status, RunStatus::kFailed);
  ASSERT_TRUE(s.run.failure.has_value());
  EXPECT_EQ(s.run.failure->step_id, "t");
  EXPECT_EQ(s.run.failure->code, "schema_invalid");
  EXPECT_EQ(s.run.failure->message, "bad args");
  EXPECT_EQ(s.run.error_count, 4);
  EXPECT_EQ(s.failures.size(), 4u);
}

TEST(SummarizeTest, ParallelFailuresUnderFailedRootTakeEarliestEnd) {
  auto root = MakeStep("a", "", "wf", StepType::kChain, 0, 100);
  Fail(root, FailureType::kOrchestration, "error");
  auto b1 = MakeStep("b1", "a", "branch", StepType::kTool, 1, 60);
  Fail(b1, FailureType::kTool, "timeout");
  auto b2 = MakeStep("b2", "a", "branch2", StepType::kTool, 2, 50);
  Fail(b2, FailureType::kTool, "rate_limit");
  RunSummary s = SummarizeRun("r", {root, b1, b2});
  ASSERT_TRUE(s.run.failure.has_value());
  EXPECT_EQ(s.run.failure->step_id, "b2");
}

TEST(SummarizeTest, PathThroughStatusOnlyStepStillReachesCause) {
  auto root = MakeStep("a", "", "wf", StepType::kChain, 0, 100);
  Fail(root, FailureType::kOrchestration, "error");
  auto mid = MakeStep("m", "a", "chain", StepType::kChain, 1, 90);
  mid.status = StepStatus::kError;  // error status without a failure object
  auto leaf = MakeStep("t", "m", "calc", StepType::kTool, 2, 80);
  Fail(leaf, FailureType::kTool, "timeout");
  RunSummary s = SummarizeRun("r", {root, mid, leaf});
  ASSERT_TRUE(s.run.failure.has_value());
  EXPECT_EQ(s.run.failure->step_id, "t");
}

TEST(SummarizeTest, RootErrorWithoutFailureMakesRunLevelFailure) {
  auto root = MakeStep("a", "", "wf", StepType::kChain, 0, 100);
  root.status = StepStatus::kError;
  RunSummary s = SummarizeRun("r", {root});
  EXPECT_EQ(s.run.status, RunStatus::kFailed);
  ASSERT_TRUE(s.run.failure.has_value());
  EXPECT_EQ(s.run.failure->type, FailureType::kOrchestration);
  EXPECT_EQ(s.run.failure->code, "error");
  EXPECT_EQ(s.run.failure->step_id, "");
  EXPECT_EQ(s.run.error_count, 0);
}

TEST(SummarizeTest, RootFailureAloneIsTheCause) {
  auto root = MakeStep("a", "", "wf", StepType::kChain, 0, 100);
  Fail(root, FailureType::kGuardrail, "guardrail_triggered");
  auto child = MakeStep("b", "a", "chat", StepType::kLlm, 1, 5);
  RunSummary s = SummarizeRun("r", {root, child});
  ASSERT_TRUE(s.run.failure.has_value());
  EXPECT_EQ(s.run.failure->step_id, "a");
  EXPECT_EQ(s.run.failure->type, FailureType::kGuardrail);
}

TEST(SummarizeTest, HandledErrorIsPartial) {
  auto root = MakeStep("a", "", "wf", StepType::kChain, 0, 100);
  auto tool = MakeStep("t", "a", "calc", StepType::kTool, 2, 80);
  Fail(tool, FailureType::kTool, "timeout");
  RunSummary s = SummarizeRun("r", {root, tool});
  EXPECT_EQ(s.run.status, RunStatus::kPartial);
  ASSERT_TRUE(s.run.failure.has_value());
  EXPECT_EQ(s.run.failure->step_id, "t");
  EXPECT_FALSE(s.failures[0].recovered);
}

TEST(SummarizeTest, MultiAgentHandoffsAndInvokes) {
  auto root = MakeStep("a", "", "wf", StepType::kAgent, 0, 100);
  root.agent = "supervisor";
  auto h = MakeStep("h", "a", "transfer_to_researcher", StepType::kHandoff, 10, 11);
  h.agent = "supervisor";
  h.handoff_to = "researcher";
  auto res = MakeStep("r1", "a", "invoke_agent researcher", StepType::kAgent, 12, 50);
  res.agent = "researcher";
  auto inner = MakeStep("r2", "r1", "chain", StepType::kChain, 13, 49);
  auto writer = MakeStep("w", "r2", "invoke_agent writer", StepType::kAgent, 14, 40);
  writer.agent = "writer";
  auto same = MakeStep("s", "w", "invoke_agent writer", StepType::kAgent, 15, 20);
  same.agent = "writer";  // same agent nested: no message
  auto deleg = MakeStep("d", "w", "Delegate work to coworker", StepType::kTool, 21, 22);
  deleg.handoff_from = "writer2";
  deleg.handoff_to = "editor";
  auto anon = MakeStep("x", "w", "handoff", StepType::kHandoff, 23, 24);
  anon.handoff_to = "reviewer";  // from falls back to the nearest agent ancestor
  RunSummary s = SummarizeRun("run", {writer, anon, root, inner, deleg, h, same, res});
  ASSERT_EQ(s.messages.size(), 5u);
  EXPECT_EQ(s.messages[0].step_id, "h");
  EXPECT_EQ(s.messages[0].from_agent, "supervisor");
  EXPECT_EQ(s.messages[0].to_agent, "researcher");
  EXPECT_EQ(s.messages[0].kind, "handoff");
  EXPECT_EQ(s.messages[1].step_id, "r1");
  EXPECT_EQ(s.messages[1].kind, "invoke");
  EXPECT_EQ(s.messages[1].from_agent, "supervisor");
  EXPECT_EQ(s.messages[1].to_agent, "researcher");
  EXPECT_EQ(s.messages[2].step_id, "w");
  EXPECT_EQ(s.messages[2].from_agent, "researcher");  // across a non-agent step
  EXPECT_EQ(s.messages[2].to_agent, "writer");
  EXPECT_EQ(s.messages[3].kind, "delegation");
  EXPECT_EQ(s.messages[3].from_agent, "writer2");
  EXPECT_EQ(s.messages[3].to_agent, "editor");
  EXPECT_EQ(s.messages[4].from_agent, "writer");
  EXPECT_EQ(s.messages[4].to_agent, "reviewer");
  EXPECT_EQ(s.messages[4].time_ns, 23 * kMs);
  EXPECT_EQ(s.run.agent_count, 3);
  ASSERT_EQ(s.agents.size(), 3u);
  EXPECT_EQ(s.agents[0].name, "supervisor");
  EXPECT_EQ(s.agents[1].name, "researcher");
  EXPECT_EQ(s.agents[2].name, "writer");
  EXPECT_EQ(s.agents[2].step_count, 4);  // w, s, and the inherited delegation and handoff steps
  EXPECT_EQ(s.run.agent_id, "supervisor");
}

TEST(SummarizeTest, ParentCyclesTerminate) {
  auto x = MakeStep("x", "y", "a", StepType::kAgent, 0, 10);
  x.agent = "p";
  auto y = MakeStep("y", "x", "b", StepType::kAgent, 1, 10);
  y.agent = "q";
  auto z = MakeStep("z", "z", "self", StepType::kTool, 2, 3);
  Fail(z, FailureType::kTool, "error");
  RunSummary s = SummarizeRun("r", {x, y, z});
  EXPECT_EQ(s.run.step_count, 3);
  EXPECT_EQ(s.run.status, RunStatus::kRunning);
  EXPECT_EQ(s.messages.size(), 1u);  // the cycle is cut once: one of the two is nested
}

bool SameSummary(const RunSummary& a, const RunSummary& b, std::string* why) {
  auto fail = [&](const std::string& what) {
    *why = what;
    return false;
  };
  const Run& x = a.run;
  const Run& y = b.run;
  if (x.name != y.name || x.agent_id != y.agent_id || x.agent_version != y.agent_version ||
      x.environment != y.environment || x.session_id != y.session_id || x.user_id != y.user_id ||
      x.service_name != y.service_name || x.tags != y.tags || x.metadata_json != y.metadata_json)
    return fail("identity fields");
  if (x.start_ns != y.start_ns || x.end_ns != y.end_ns || x.status != y.status) return fail("time/status");
  if (x.step_count != y.step_count || x.llm_count != y.llm_count || x.tool_count != y.tool_count ||
      x.retry_count != y.retry_count || x.error_count != y.error_count || x.agent_count != y.agent_count)
    return fail("counts");
  if (x.tokens.total != y.tokens.total || x.cost_usd != y.cost_usd || x.models != y.models) return fail("usage");
  if (x.failure.has_value() != y.failure.has_value()) return fail("failure presence");
  if (x.failure && (x.failure->step_id != y.failure->step_id || x.failure->code != y.failure->code ||
                    x.failure->message != y.failure->message))
    return fail("failure");
  if (a.agents.size() != b.agents.size() || a.messages.size() != b.messages.size() ||
      a.failures.size() != b.failures.size() || a.retries.size() != b.retries.size())
    return fail("list sizes");
  for (size_t i = 0; i < a.agents.size(); ++i) {
    if (a.agents[i].name != b.agents[i].name || a.agents[i].step_count != b.agents[i].step_count)
      return fail("agents");
  }
  for (size_t i = 0; i < a.messages.size(); ++i) {
    if (a.messages[i].step_id != b.messages[i].step_id || a.messages[i].from_agent != b.messages[i].from_agent ||
        a.messages[i].to_agent != b.messages[i].to_agent || a.messages[i].kind != b.messages[i].kind)
      return fail("messages");
  }
  for (size_t i = 0; i < a.failures.size(); ++i) {
    if (a.failures[i].step_id != b.failures[i].step_id || a.failures[i].recovered != b.failures[i].recovered)
      return fail("failures");
  }
  for (size_t i = 0; i < a.retries.size(); ++i) {
    if (a.retries[i].step_id != b.retries[i].step_id || a.retries[i].attempt != b.retries[i].attempt ||
        a.retries[i].retry_of != b.retries[i].retry_of)
      return fail("retries");
  }
  return true;
}

TEST(SummarizeTest, OrderIndependence) {
  // A run that exercises every rule: agents, handoffs, retries (recovered and exhausted), nested
  // failures, hints, ties in start time, and a duplicate.
  std::vector<StepDigest> steps;
  auto root = MakeStep("r0", "", "wf", StepType::kAgent, 0, 1000);
  root.agent = "sup";
  root.hints.name = "Workflow";
  root.hints.tags = {"z"};
  Fail(root, FailureType::kOrchestration, "error");
  steps.push_back(root);
  auto a1 = MakeStep("a1", "r0", "invoke_agent", StepType::kAgent, 10, 900);
  a1.agent = "worker";
  a1.hints.tags = {"x", "y"};
  a1.hints.session_id = "sess";
  Fail(a1, FailureType::kOrchestration, "error");
  steps.push_back(a1);
  for (int k = 0; k < 4; ++k) {  // 4 attempts, all failing, exhausted
    auto t = MakeStep("t" + std::to_string(k), "a1", "search", StepType::kTool, 100 + 30 * k, 120 + 30 * k);
    t.agent = "worker";
    Fail(t, FailureType::kTool, "timeout");
    steps.push_back(t);
  }
  for (int k = 0; k < 3; ++k) {  // recovered chain
    auto l = MakeStep("l" + std::to_string(k), "a1", "chat", StepType::kLlm, 20 + 20 * k, 30 + 20 * k);
    l.agent = "worker";
    l.model = k % 2 ? "m-b" : "m-a";
    l.tokens = {.input = 10, .output = 1, .total = 11, .present = true};
    if (k < 2) Fail(l, FailureType::kModel, "rate_limit");
    steps.push_back(l);
  }
  // Same start time, different ids (tie-breaking).
  auto p1 = MakeStep("p1", "r0", "par", StepType::kTool, 300, 310);
  auto p2 = MakeStep("p2", "r0", "par", StepType::kTool, 300, 320);
  Fail(p1, FailureType::kTool, "error");
  steps.push_back(p1);
  steps.push_back(p2);
  auto h = MakeStep("h", "r0", "handoff", StepType::kHandoff, 400, 401);
  h.handoff_to = "other";
  steps.push_back(h);
  steps.push_back(a1);  // duplicate
  RunSummary want = SummarizeRun("run", steps);
  EXPECT_EQ(want.run.status, RunStatus::kFailed);
  ASSERT_TRUE(want.run.failure.has_value());
  EXPECT_EQ(want.run.failure->step_id, "t3");
  for (uint32_t seed = 1; seed <= 50; ++seed) {
    std::mt19937 rng(seed);
    std::shuffle(steps.begin(), steps.end(), rng);
    RunSummary got = SummarizeRun("run", steps);
    std::string why;
    EXPECT_TRUE(SameSummary(want, got, &why)) << "seed " << seed << ": " << why;
  }
}

TEST(SummarizeTest, DigestOfCopiesFields) {
  Step st;
  st.step_id = "s";
  st.parent_id = "p";
  st.name = "n";
  st.type = StepType::kTool;
  st.agent = "ag";
  st.start_ns = 5;
  st.end_ns = 7;
  st.status = StepStatus::kError;
  st.model = "m";
  st.tool_name = "tn";
  st.tokens.total = 9;
  st.cost_usd = 1.5;
  st.attempt = 2;
  st.retry_of = "q";
  st.handoff_to = "to";
  st.handoff_from = "from";
  st.failure = Failure{};
  st.hints.name = "hint";
  StepDigest d = DigestOf(st);
  EXPECT_EQ(d.step_id, "s");
  EXPECT_EQ(d.parent_id, "p");
  EXPECT_EQ(d.name, "n");
  EXPECT_EQ(d.type, StepType::kTool);
  EXPECT_EQ(d.agent, "ag");
  EXPECT_EQ(d.start_ns, 5);
  EXPECT_EQ(d.end_ns, 7);
  EXPECT_EQ(d.status, StepStatus::kError);
  EXPECT_EQ(d.model, "m");
  EXPECT_EQ(d.tool_name, "tn");
  EXPECT_EQ(d.tokens.total, 9);
  EXPECT_DOUBLE_EQ(d.cost_usd, 1.5);
  EXPECT_EQ(d.attempt, 2);
  EXPECT_EQ(d.retry_of, "q");
  EXPECT_EQ(d.handoff_to, "to");
  EXPECT_EQ(d.handoff_from, "from");
  EXPECT_TRUE(d.failure.has_value());
  EXPECT_EQ(d.hints.name, "hint");
}

TEST(SummarizeTest, ManyParallelFailuresStayFast) {
  // 20k overlapping failed siblings with the same name: inference must not go quadratic.
  std::vector<StepDigest> steps;
  steps.push_back(MakeStep("root", "", "wf", StepType::kChain, 0, 1'000'000));
  for (int k = 0; k < 20000; ++k) {
    auto t = MakeStep("t" + std::to_string(k), "root", "call", StepType::kTool, 1 + k, 100000 + k);
    Fail(t, FailureType::kTool, "error");
    steps.push_back(std::move(t));
  }
  RunSummary s = SummarizeRun("r", steps);
  EXPECT_EQ(s.run.step_count, 20001);
  EXPECT_EQ(s.run.retry_count, 0);
}

}  // namespace
}  // namespace tracery::model

namespace tracery::model {
namespace {

TEST(SummarizeAgentsTest, StepsInheritTheNearestAncestorsAgent) {
  auto root = MakeStep("r", "", "workflow", StepType::kChain, 0, 100);
  auto planner = MakeStep("p", "r", "invoke_agent planner", StepType::kAgent, 1, 90);
  planner.agent = "planner";
  auto llm = MakeStep("l", "p", "chat", StepType::kLlm, 2, 10);
  llm.tokens = {.input = 7, .output = 3, .total = 10, .present = true};
  auto tool = MakeStep("t", "p", "search", StepType::kTool, 11, 20);
  auto nested = MakeStep("n", "t", "http", StepType::kOther, 12, 19);
  auto own = MakeStep("o", "p", "chat", StepType::kLlm, 21, 30);
  own.agent = "critic";  // an explicit agent on a child wins over the inherited one
  RunSummary s = SummarizeRun("run", {root, planner, llm, tool, nested, own});
  std::vector<std::pair<std::string, std::string>> links;
  for (const auto& l : s.inherited_agents) links.emplace_back(l.step_id, l.agent);
  EXPECT_EQ(links, (std::vector<std::pair<std::string, std::string>>{
                       {"l", "planner"}, {"n", "planner"}, {"t", "planner"}}));
  ASSERT_EQ(s.agents.size(), 2u);
  EXPECT_EQ(s.agents[0].name, "planner");
  EXPECT_EQ(s.agents[0].step_count, 4);  // the agent step, the LLM call, the tool and its child
  EXPECT_EQ(s.agents[0].llm_count, 1);
  EXPECT_EQ(s.agents[0].tool_count, 1);
  EXPECT_EQ(s.agents[0].tokens.input, 7);
  EXPECT_EQ(s.agents[1].name, "critic");
  EXPECT_EQ(s.run.agent_id, "planner");  // the root is not an agent: first agent step
}

TEST(SummarizeAgentsTest, DelegationIsNotAlsoReportedAsInvoke) {
  auto manager = MakeStep("m", "", "Manager", StepType::kAgent, 0, 100);
  manager.agent = "Manager";
  auto delegate = MakeStep("d", "m", "Delegate work to coworker", StepType::kHandoff, 10, 80);
  delegate.handoff_to = "Researcher";
  auto researcher = MakeStep("x", "d", "Researcher", StepType::kAgent, 11, 79);
  researcher.agent = "Researcher";
  auto writer = MakeStep("w", "m", "Writer", StepType::kAgent, 81, 99);  // nested without a handoff
  writer.agent = "Writer";
  RunSummary s = SummarizeRun("run", {manager, delegate, researcher, writer});
  ASSERT_EQ(s.messages.size(), 2u);
  EXPECT_EQ(s.messages[0].from_agent, "Manager");
  EXPECT_EQ(s.messages[0].to_agent, "Researcher");
  EXPECT_EQ(s.messages[0].kind, "delegation");
  EXPECT_EQ(s.messages[1].to_agent, "Writer");
  EXPECT_EQ(s.messages[1].kind, "invoke");
}

}  // namespace
}  // namespace tracery::model

namespace tracery::model {
namespace {

// OTel JS reports start times in whole milliseconds while durations are precise: a retry can
// share its failed attempt's start, or appear to start before that attempt's recorded end.
TEST(SummarizeRetryClockTest, MillisecondStartTimesStillChainRetries) {
  auto root = MakeStep("r", "", "agent", StepType::kAgent, 0, 100);
  auto failed = MakeStep("b2", "r", "lookup", StepType::kTool, 10, 10);
  failed.end_ns = 10 * kMs + 366'000;
  Fail(failed, FailureType::kTool, "timeout");
  auto retry = MakeStep("a1", "r", "lookup", StepType::kTool, 10, 10);  // sorts first by id
  retry.end_ns = 10 * kMs + 88'000;
  RunSummary s = SummarizeRun("run", {root, failed, retry});
  EXPECT_EQ(s.run.retry_count, 1);
  EXPECT_EQ(s.run.status, RunStatus::kPartial);
  const RetryLink* l = FindLink(s, "a1");
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->attempt, 2);
  EXPECT_EQ(l->retry_of, "b2");
  ASSERT_EQ(s.failures.size(), 1u);
  EXPECT_TRUE(s.failures[0].recovered);
}

TEST(SummarizeRetryClockTest, OverlapBeyondOneMillisecondIsParallelNotARetry) {
  auto root = MakeStep("r", "", "agent", StepType::kAgent, 0, 100);
  auto failed = MakeStep("f", "r", "lookup", StepType::kTool, 10, 13);
  Fail(failed, FailureType::kTool, "timeout");
  auto other = MakeStep("o", "r", "lookup", StepType::kTool, 11, 14);  // started 2 ms before f ended
  RunSummary s = SummarizeRun("run", {root, failed, other});
  EXPECT_EQ(s.run.retry_count, 0);
}

}  // namespace
}  // namespace tracery::model

namespace tracery::model {
namespace {

// AutoGen runtime: "autogen publish" under the sender agent, "autogen process" under the
// receiver, linked to the publish span.
TEST(SummarizeLinksTest, LinkToAnotherAgentsStepIsAMessage) {
  auto root = MakeStep("r", "", "run", StepType::kChain, 0, 100);
  auto sender = MakeStep("s", "r", "group_chat", StepType::kAgent, 1, 50);
  sender.agent = "group_chat";
  auto publish = MakeStep("p", "s", "autogen publish", StepType::kOther, 2, 3);  // inherits group_chat
  auto process = MakeStep("q", "r", "autogen process planner.(default)-A", StepType::kOther, 4, 20);
  process.agent = "planner";
  process.linked_steps = {"p"};
  RunSummary s = SummarizeRun("run", {root, sender, publish, process});
  ASSERT_EQ(s.messages.size(), 1u);
  EXPECT_EQ(s.messages[0].from_agent, "group_chat");
  EXPECT_EQ(s.messages[0].to_agent, "planner");
  EXPECT_EQ(s.messages[0].kind, "message");
  EXPECT_EQ(s.messages[0].step_id, "q");
  EXPECT_EQ(s.messages[0].time_ns, 4 * kMs);
  EXPECT_EQ(s.messages[0].run_id, "run");
}

TEST(SummarizeLinksTest, ReceiverAgentIsInherited) {
  auto a = MakeStep("a", "", "alice", StepType::kAgent, 0, 100);
  a.agent = "alice";
  auto b = MakeStep("b", "", "bob", StepType::kAgent, 0, 100);
  b.agent = "bob";
  auto handler = MakeStep("h", "b", "handle", StepType::kOther, 10, 20);  // bob's, inherited
  handler.linked_steps = {"a"};
  RunSummary s = SummarizeRun("run", {a, b, handler});
  ASSERT_EQ(s.messages.size(), 1u);
  EXPECT_EQ(s.messages[0].from_agent, "alice");
  EXPECT_EQ(s.messages[0].to_agent, "bob");
  EXPECT_EQ(s.messages[0].step_id, "h");
}

TEST(SummarizeLinksTest, NoMessageForSameMissingOrAgentlessTargets) {
  auto a = MakeStep("a", "", "alice", StepType::kAgent, 0, 100);
  a.agent = "alice";
  auto own = MakeStep("o", "a", "self", StepType::kOther, 1, 2);  // same agent
  own.linked_steps = {"a"};
  auto missing = MakeStep("m", "a", "missing", StepType::kOther, 3, 4);  // target not in the run
  missing.linked_steps = {"zz"};
  auto loose = MakeStep("f", "", "free", StepType::kOther, 5, 6);  // no agent of its own
  auto to_free = MakeStep("t", "a", "to free", StepType::kOther, 7, 8);  // target has no agent
  to_free.linked_steps = {"f"};
  auto from_free = MakeStep("g", "", "agentless receiver", StepType::kOther, 9, 10);
  from_free.linked_steps = {"a"};
  auto self = MakeStep("s", "a", "self link", StepType::kOther, 11, 12);
  self.linked_steps = {"s"};
  RunSummary s = SummarizeRun("run", {a, own, missing, loose, to_free, from_free, self});
  EXPECT_TRUE(s.messages.empty());
}

TEST(SummarizeLinksTest, DuplicateOfHandoffOrRepeatedSenderIsSkipped) {
  auto a = MakeStep("a", "", "alice", StepType::kAgent, 0, 100);
  a.agent = "alice";
  auto a2 = MakeStep("a2", "a", "alice again", StepType::kOther, 1, 2);
  auto b = MakeStep("b", "", "bob", StepType::kAgent, 0, 100);
  b.agent = "bob";
  // Carries an explicit handoff alice -> bob and a link to alice's step: one message only.
  auto h = MakeStep("h", "b", "handoff", StepType::kHandoff, 10, 20);
  h.handoff_from = "alice";
  h.handoff_to = "bob";
  h.linked_steps = {"a"};
  // Two links to the same sending agent: one message.
  auto r = MakeStep("r2", "b", "recv", StepType::kOther, 30, 40);
  r.linked_steps = {"a", "a2"};
  RunSummary s = SummarizeRun("run", {a, a2, b, h, r});
  ASSERT_EQ(s.messages.size(), 2u);
  EXPECT_EQ(s.messages[0].kind, "handoff");
  EXPECT_EQ(s.messages[0].step_id, "h");
  EXPECT_EQ(s.messages[1].kind, "message");
  EXPECT_EQ(s.messages[1].step_id, "r2");
  EXPECT_EQ(s.messages[1].from_agent, "alice");
}

TEST(SummarizeLinksTest, DifferentSendersGiveOneMessageEach) {
  auto a = MakeStep("a", "", "alice", StepType::kAgent, 0, 100);
  a.agent = "alice";
  auto c = MakeStep("c", "", "carol", StepType::kAgent, 0, 100);
  c.agent = "carol";
  auto b = MakeStep("b", "", "bob", StepType::kAgent, 0, 100);
  b.agent = "bob";
  b.linked_steps = {"c", "a"};
  RunSummary s = SummarizeRun("run", {a, b, c});
  ASSERT_EQ(s.messages.size(), 2u);
  std::set<std::string> from = {s.messages[0].from_agent, s.messages[1].from_agent};
  EXPECT_EQ(from, (std::set<std::string>{"alice", "carol"}));
}

TEST(SummarizeLinksTest, DigestOfCopiesLinkedSteps) {
  Step st;
  st.step_id = "q";
  st.linked_steps = {"00000000000000aa", "00000000000000bb"};
  EXPECT_EQ(DigestOf(st).linked_steps, st.linked_steps);
}

}  // namespace
}  // namespace tracery::model
