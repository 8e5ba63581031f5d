#include <atomic>
#include <set>
#include <thread>

#include "model/summarize.h"
#include "store/internal/rows.h"
#include "store/store.h"
#include "store_test_util.h"

// Designated initializers leave the other fields at their defaults on purpose.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace tracery::store {
namespace {

using model::StepType;
using testutil::Batch;
using testutil::Impl;
using testutil::MakeStep;
using testutil::RunId;
using testutil::StepId;
using testutil::TestOptions;
using tracery::testing::TempDir;

// A step with every field set to a distinctive value.
model::Step FullStep(const std::string& run) {
  model::Step s = MakeStep(run, 2, 1, "chat gpt-4o", StepType::kLlm, 1'000'100, 1'000'900);
  s.agent = "planner";
  s.status = model::StepStatus::kError;
  s.status_message = "upstream 429";
  s.model = "gpt-4o";
  s.provider = "openai";
  s.tool_name = "search";
  s.finish_reason = "stop";
  s.tokens = {.input = 100, .output = 20, .total = 120, .cache_read = 30, .cache_write = 5, .reasoning = 7, .present = true};
  s.cost_usd = 0.0125;
  s.cost_explicit = true;
  s.attempt = 3;
  s.retry_of = StepId(9);
  s.max_attempts = 4;
  s.handoff_to = "coder";
  s.handoff_from = "planner";
  s.attributes_json = R"({"gen_ai.request.temperature":0.2,"k":"v"})";
  s.scope_name = "opentelemetry.instrumentation.openai";
  s.content.push_back({"input", true, "application/json", {R"({"role":"user","content":"hi"})", R"({"role":"assistant"})"}});
  s.content.push_back({"output", false, "text/plain", {"hello there"}});
  s.events.push_back({run, s.step_id, 1'000'500, "gen_ai.choice", R"({"index":0})", ""});
  s.failure = model::Failure{model::FailureType::kModel, "rate_limit", "too many requests", s.step_id,
                             model::FailureSource::kHttpStatus, 1'000'900, "RateLimitError", false};
  s.hints.session_id = "sess-1";
  s.hints.tags = {"a", "b"};
  s.received_ns = 77;
  return s;
}

void ExpectStepEq(const model::Step& a, const model::Step& b) {
  EXPECT_EQ(a.run_id, b.run_id);
  EXPECT_EQ(a.step_id, b.step_id);
  EXPECT_EQ(a.parent_id, b.parent_id);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.agent, b.agent);
  EXPECT_EQ(a.start_ns, b.start_ns);
  EXPECT_EQ(a.end_ns, b.end_ns);
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.status_message, b.status_message);
  EXPECT_EQ(a.model, b.model);
  EXPECT_EQ(a.provider, b.provider);
  EXPECT_EQ(a.tool_name, b.tool_name);
  EXPECT_EQ(a.finish_reason, b.finish_reason);
  EXPECT_EQ(a.tokens.input, b.tokens.input);
  EXPECT_EQ(a.tokens.output, b.tokens.output);
  EXPECT_EQ(a.tokens.total, b.tokens.total);
  EXPECT_EQ(a.tokens.cache_read, b.tokens.cache_read);
  EXPECT_EQ(a.tokens.cache_write, b.tokens.cache_write);
  EXPECT_EQ(a.tokens.reasoning, b.tokens.reasoning);
  EXPECT_EQ(a.tokens.present, b.tokens.present);
  EXPECT_DOUBLE_EQ(a.cost_usd, b.cost_usd);
  EXPECT_EQ(a.cost_explicit, b.cost_explicit);
  EXPECT_EQ(a.handoff_to, b.handoff_to);
  EXPECT_EQ(a.handoff_from, b.handoff_from);
  EXPECT_EQ(a.attributes_json, b.attributes_json);
  EXPECT_EQ(a.scope_name, b.scope_name);
  ASSERT_EQ(a.failure.has_value(), b.failure.has_value());
  if (a.failure) {
    EXPECT_EQ(a.failure->type, b.failure->type);
    EXPECT_EQ(a.failure->code, b.failure->code);
    EXPECT_EQ(a.failure->message, b.failure->message);
    EXPECT_EQ(a.failure->step_id, b.failure->step_id);
    EXPECT_EQ(a.failure->source, b.failure->source);
    EXPECT_EQ(a.failure->time_ns, b.failure->time_ns);
    EXPECT_EQ(a.failure->error_type, b.failure->error_type);
  }
  EXPECT_EQ(a.hints.session_id, b.hints.session_id);
  EXPECT_EQ(a.hints.tags, b.hints.tags);
  EXPECT_EQ(a.hints.name, b.hints.name);
  EXPECT_EQ(a.received_ns, b.received_ns);
}

TEST(SqliteStoreTest, RoundTripsEveryStepField) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(TestOptions(dir.path())));
  const std::string run = RunId(1);
  model::Step root = MakeStep(run, 1, -1, "workflow", StepType::kAgent, 1'000'000, 1'002'000);
  root.hints.name = "my run";
  root.hints.agent_id = "support-bot";
  root.hints.agent_version = "1.2.3";
  root.hints.environment = "prod";
  root.hints.user_id = "u1";
  root.hints.service_name = "svc";
  root.hints.metadata_json = R"({"x":1})";
  root.agent = "support-bot";
  model::Step full = FullStep(run);
  // A large attribute blob is stored compressed; it must come back byte-identical.
  model::Step big = MakeStep(run, 3, 1, "tool", StepType::kTool, 1'001'000, 1'001'500);
  big.attributes_json = "{\"blob\":\"" + std::string(5000, 'z') + "\"}";
  ASSERT_OK_AND_ASSIGN(WriteStats stats, store->Write(Batch({root, full, big})));
  EXPECT_EQ(stats.steps_inserted, 3);
  EXPECT_EQ(stats.steps_duplicate, 0);
  EXPECT_EQ(stats.runs_touched, 1);

  ASSERT_OK_AND_ASSIGN(RunDetail d, store->GetRun(run, {}));
  EXPECT_EQ(d.total_steps, 3);
  ASSERT_EQ(d.steps.size(), 3u);
  EXPECT_EQ(d.steps[0].seq, 0);
  EXPECT_EQ(d.steps[1].seq, 1);
  EXPECT_EQ(d.steps[1].step.step_id, full.step_id);
  model::Step got = d.steps[1].step;
  ExpectStepEq(got, full);
  // Explicit retry link is kept unless the summarizer infers another.
  EXPECT_EQ(got.attempt, 3);
  EXPECT_EQ(got.retry_of, StepId(9));
  EXPECT_EQ(got.max_attempts, 4);
  EXPECT_TRUE(got.content.empty());  // content is fetched on demand
  ASSERT_EQ(got.events.size(), 1u);
  EXPECT_EQ(got.events[0].name, "gen_ai.choice");
  EXPECT_EQ(got.events[0].attributes_json, R"({"index":0})");
  EXPECT_EQ(got.events[0].time_ns, 1'000'500);
  EXPECT_EQ(got.events[0].step_id, full.step_id);
  ASSERT_EQ(d.steps[1].content_info.size(), 2u);
  EXPECT_EQ(d.steps[1].content_info[0].name, "input");
  EXPECT_EQ(d.steps[1].content_info[0].parts, 2);
  EXPECT_EQ(d.steps[1].content_info[0].bytes,
            static_cast<int64_t>(full.content[0].parts[0].size() + full.content[0].parts[1].size()));
  EXPECT_EQ(d.steps[1].content_info[1].bytes, 11);
  ExpectStepEq(d.steps[0].step, root);
  EXPECT_EQ(d.steps[2].step.attributes_json, big.attributes_json);

  // The run summary is exactly what the summarizer computes from the same steps.
  model::RunSummary expect =
      model::SummarizeRun(run, {model::DigestOf(root), model::DigestOf(full), model::DigestOf(big)});
  const model::Run& r = d.run;
  EXPECT_EQ(r.run_id, run);
  EXPECT_EQ(r.name, "my run");
  EXPECT_EQ(r.agent_id, "support-bot");
  EXPECT_EQ(r.agent_version, "1.2.3");
  EXPECT_EQ(r.environment, "prod");
  EXPECT_EQ(r.session_id, "sess-1");
  EXPECT_EQ(r.user_id, "u1");
  EXPECT_EQ(r.service_name, "svc");
  EXPECT_EQ(r.start_ns, 1'000'000);
  EXPECT_EQ(r.end_ns, 1'002'000);
  EXPECT_EQ(r.status, expect.run.status);
  EXPECT_EQ(r.root_seen, expect.run.root_seen);
  EXPECT_EQ(r.step_count, 3);
  EXPECT_EQ(r.llm_count, expect.run.llm_count);
  EXPECT_EQ(r.tool_count, expect.run.tool_count);
  EXPECT_EQ(r.retry_count, expect.run.retry_count);
  EXPECT_EQ(r.error_count, expect.run.error_count);
  EXPECT_EQ(r.agent_count, expect.run.agent_count);
  EXPECT_EQ(r.tokens.input, 100);
  EXPECT_EQ(r.tokens.cache_read, 30);
  EXPECT_DOUBLE_EQ(r.cost_usd, expect.run.cost_usd);
  EXPECT_EQ(r.models, std::vector<std::string>{"gpt-4o"});
  EXPECT_EQ(r.tags, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r.metadata_json, expect.run.metadata_json);
  EXPECT_GT(r.updated_ns, 0);
  ASSERT_EQ(r.failure.has_value(), expect.run.failure.has_value());
  if (r.failure) {
    EXPECT_EQ(r.failure->code, expect.run.failure->code);
    EXPECT_EQ(r.failure->message, expect.run.failure->message);
    EXPECT_EQ(r.failure->step_id, expect.run.failure->step_id);
    EXPECT_EQ(r.failure->type, expect.run.failure->type);
    EXPECT_EQ(r.failure->source, expect.run.failure->source);
    EXPECT_EQ(r.failure->error_type, expect.run.failure->error_type);
  }
  ASSERT_EQ(d.agents.size(), expect.agents.size());
  for (size_t i = 0; i < d.agents.size(); ++i) {
    bool found = false;
    for (const auto& a : expect.agents) {
      if (a.name != d.agents[i].name) continue;
      found = true;
      EXPECT_EQ(a.step_count, d.agents[i].step_count);
      EXPECT_EQ(a.llm_count, d.agents[i].llm_count);
      EXPECT_EQ(a.error_count, d.agents[i].error_count);
      EXPECT_EQ(a.tokens.total, d.agents[i].tokens.total);
      EXPECT_EQ(a.first_start_ns, d.agents[i].first_start_ns);
    }
    EXPECT_TRUE(found) << d.agents[i].name;
  }
  ASSERT_EQ(d.messages.size(), expect.messages.size());
  ASSERT_FALSE(d.messages.empty());  // the handoff
  EXPECT_EQ(d.messages[0].kind, expect.messages[0].kind);
  EXPECT_EQ(d.messages[0].from_agent, expect.messages[0].from_agent);
  EXPECT_EQ(d.messages[0].to_agent, expect.messages[0].to_agent);
  EXPECT_EQ(d.messages[0].step_id, expect.messages[0].step_id);
  ASSERT_EQ(d.failures.size(), expect.failures.size());
  ASSERT_FALSE(d.failures.empty());
  EXPECT_EQ(d.failures[0].code, "rate_limit");
  EXPECT_EQ(d.failures[0].recovered, expect.failures[0].recovered);

  ASSERT_OK_AND_ASSIGN(auto content, store->GetStepContent(run, full.step_id));
  ASSERT_EQ(content.size(), 2u);
  EXPECT_EQ(content[0].name, "input");
  EXPECT_TRUE(content[0].is_list);
  EXPECT_EQ(content[0].mime, "application/json");
  EXPECT_EQ(content[0].parts, full.content[0].parts);
  EXPECT_EQ(content[1].name, "output");
  EXPECT_FALSE(content[1].is_list);
  EXPECT_EQ(content[1].parts, full.content[1].parts);
  ASSERT_OK_AND_ASSIGN(auto none, store->GetStepContent(run, root.step_id));
  EXPECT_TRUE(none.empty());
  EXPECT_STATUS(store->GetStepContent(run, StepId(99)), StatusCode::kNotFound);
  EXPECT_STATUS(store->GetRun(RunId(99), {}), StatusCode::kNotFound);
}

TEST(SqliteStoreTest, NonHexIdsRoundTrip) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(TestOptions(dir.path())));
  model::Step s = MakeStep("Run-With-Text-Id", 1, -1, "root", StepType::kAgent, 10, 20);
  s.step_id = "ABC";
  ASSERT_OK(store->Write(Batch({s})));
  ASSERT_OK_AND_ASSIGN(RunDetail d, store->GetRun("Run-With-Text-Id", {}));
  ASSERT_EQ(d.steps.size(), 1u);
  EXPECT_EQ(d.steps[0].step.step_id, "ABC");
  EXPECT_EQ(d.run.run_id, "Run-With-Text-Id");
}

TEST(SqliteStoreTest, ResendIsIdempotent) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(TestOptions(dir.path())));
  const std::string run = RunId(2);
  std::vector<model::Step> steps = {MakeStep(run, 1, -1, "root", StepType::kAgent, 100, 900),
                                    FullStep(run)};
  WriteBatch b = Batch(steps);
  b.events.push_back({run, StepId(1), 150, "log", R"({"a":1})", R"("body")"});
  ASSERT_OK_AND_ASSIGN(WriteStats first, store->Write(b));
  EXPECT_EQ(first.steps_inserted, 2);
  ASSERT_OK_AND_ASSIGN(Store::Info info1, store->GetInfo());
  ASSERT_OK_AND_ASSIGN(WriteStats second, store->Write(b));
  EXPECT_EQ(second.steps_inserted, 0);
  EXPECT_EQ(second.steps_duplicate, 2);
  EXPECT_EQ(second.runs_touched, 1);
  ASSERT_OK_AND_ASSIGN(Store::Info info2, store->GetInfo());
  EXPECT_EQ(info2.runs, 1);
  EXPECT_EQ(info2.steps, 2);
  EXPECT_EQ(info2.content_blobs, info1.content_blobs);
  ASSERT_OK_AND_ASSIGN(RunDetail d, store->GetRun(run, {}));
  EXPECT_EQ(d.total_steps, 2);
  ASSERT_EQ(d.steps[0].step.events.size(), 1u);  // the log event, not duplicated
  EXPECT_EQ(d.steps[0].step.events[0].body_json, R"("body")");
  EXPECT_EQ(d.steps[1].step.events.size(), 1u);
}

model::Run SummaryAfterWrites(const std::string& dir, const std::vector<std::vector<model::Step>>& batches,
                              const std::string& run) {
  auto store = OpenSqliteStore(TestOptions(dir));
  EXPECT_OK(store);
  for (const auto& b : batches) EXPECT_OK((*store)->Write(Batch(b)));
  auto d = (*store)->GetRun(run, {});
  EXPECT_OK(d);
  return d.ok() ? d->run : model::Run();
}

TEST(SqliteStoreTest, OutOfOrderAndLateSpansGiveTheSameSummary) {
  const std::string run = RunId(3);
  model::Step root = MakeStep(run, 1, -1, "agent", StepType::kAgent, 1000, 9000);
  root.hints.name = "ordered";
  model::Step llm1 = MakeStep(run, 2, 1, "llm", StepType::kLlm, 1100, 2000);
  llm1.model = "m1";
  llm1.tokens = {.input = 10, .output = 5, .total = 15, .present = true};
  model::Step tool_fail = MakeStep(run, 3, 1, "search", StepType::kTool, 2100, 2500);
  tool_fail.status = model::StepStatus::kError;
  tool_fail.failure = model::Failure{model::FailureType::kTool, "timeout", "timed out", tool_fail.step_id,
                                     model::FailureSource::kSpanStatus, 2500, "", false};
  model::Step tool_ok = MakeStep(run, 4, 1, "search", StepType::kTool, 2600, 3000);
  model::Step llm2 = MakeStep(run, 5, 1, "llm", StepType::kLlm, 3100, 8000);
  llm2.model = "m2";
  llm2.tokens = {.input = 20, .output = 7, .total = 27, .present = true};

  TempDir a, b;
  model::Run in_order = SummaryAfterWrites(a.path(), {{root, llm1, tool_fail, tool_ok, llm2}}, run);
  // Children first, one per batch, root last.
  model::Run shuffled = SummaryAfterWrites(b.path(), {{llm2}, {tool_ok}, {llm1, tool_fail}, {root}}, run);
  EXPECT_EQ(in_order.status, shuffled.status);
  EXPECT_EQ(in_order.name, "ordered");
  EXPECT_EQ(shuffled.name, "ordered");
  EXPECT_EQ(in_order.start_ns, shuffled.start_ns);
  EXPECT_EQ(in_order.end_ns, shuffled.end_ns);
  EXPECT_EQ(in_order.step_count, 5);
  EXPECT_EQ(shuffled.step_count, 5);
  EXPECT_EQ(in_order.retry_count, shuffled.retry_count);
  EXPECT_EQ(in_order.error_count, shuffled.error_count);
  EXPECT_EQ(in_order.tokens.total, 42);
  EXPECT_EQ(shuffled.tokens.total, 42);
  EXPECT_EQ(in_order.models, shuffled.models);
  EXPECT_EQ(in_order.failure.has_value(), shuffled.failure.has_value());
  EXPECT_TRUE(in_order.root_seen);

  // While the root is missing the run is still running.
  TempDir c;
  model::Run partial = SummaryAfterWrites(c.path(), {{llm2}, {tool_ok}}, run);
  EXPECT_EQ(partial.status, model::RunStatus::kRunning);
  EXPECT_FALSE(partial.root_seen);
}

TEST(SqliteStoreTest, InferredRetryLinksArePersistedOnSteps) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(TestOptions(dir.path())));
  const std::string run = RunId(4);
  model::Step root = MakeStep(run, 1, -1, "agent", StepType::kAgent, 1000, 9000);
  model::Step first = MakeStep(run, 2, 1, "search", StepType::kTool, 1100, 1200);
  first.status = model::StepStatus::kError;
  first.failure = model::Failure{model::FailureType::kTool, "timeout", "t", first.step_id,
                                 model::FailureSource::kSpanStatus, 1200, "", false};
  model::Step second = MakeStep(run, 3, 1, "search", StepType::kTool, 1300, 1400);
  ASSERT_OK(store->Write(Batch({root, first, second})));
  model::RunSummary expect =
      model::SummarizeRun(run, {model::DigestOf(root), model::DigestOf(first), model::DigestOf(second)});
  ASSERT_FALSE(expect.retries.empty()) << "summarizer did not infer the retry chain";
  ASSERT_OK_AND_ASSIGN(RunDetail d, store->GetRun(run, {}));
  ASSERT_EQ(d.steps.size(), 3u);
  EXPECT_EQ(d.steps[2].step.step_id, second.step_id);
  EXPECT_EQ(d.steps[2].step.attempt, 2);
  EXPECT_EQ(d.steps[2].step.retry_of, first.step_id);
  EXPECT_EQ(d.steps[1].step.attempt, 1);
  EXPECT_EQ(d.run.retry_count, expect.run.retry_count);
  // A re-summary (new step) must start again from the explicit values, not the stored inferred ones.
  model::Step third = MakeStep(run, 4, 1, "other", StepType::kTool, 1500, 1600);
  ASSERT_OK(store->Write(Batch({third})));
  ASSERT_OK_AND_ASSIGN(RunDetail d2, store->GetRun(run, {}));
  EXPECT_EQ(d2.steps[2].step.attempt, 2);
  EXPECT_EQ(d2.run.retry_count, expect.run.retry_count);
}

// The retry budget a step reports reaches the summarizer: a chain that used all of it is the
// run's failure as max_retries_exceeded (one that did not keeps the last attempt's code).
TEST(SqliteStoreTest, ExhaustedRetryBudgetIsMaxRetriesExceeded) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(TestOptions(dir.path())));
  for (int budget : {3, 5}) {
    const std::string run = RunId(40 + budget);
    model::Step root = MakeStep(run, 1, -1, "agent", StepType::kAgent, 1000, 9000);
    root.status = model::StepStatus::kError;
    std::vector<model::Step> steps = {root};
    for (int i = 0; i < 3; ++i) {
      model::Step attempt = MakeStep(run, 2 + i, 1, "charge_card", StepType::kTool, 1100 + i * 200, 1200 + i * 200);
      attempt.status = model::StepStatus::kError;
      attempt.attempt = i + 1;
      if (i > 0) attempt.retry_of = StepId(1 + i);
      attempt.max_attempts = budget;
      attempt.failure = model::Failure{model::FailureType::kTool, "connection_error", "reset", attempt.step_id,
                                       model::FailureSource::kException, 1200 + i * 200, "ConnectionError", false};
      steps.push_back(attempt);
    }
    ASSERT_OK(store->Write(Batch(steps)));
    ASSERT_OK_AND_ASSIGN(RunDetail d, store->GetRun(run, {}));
    ASSERT_TRUE(d.run.failure.has_value()) << budget;
    EXPECT_EQ(d.run.failure->type, model::FailureType::kTool);
    EXPECT_EQ(d.run.failure->code, budget == 3 ? "max_retries_exceeded" : "connection_error") << budget;
    EXPECT_EQ(d.run.failure->step_id, StepId(4));
  }
}

TEST(SqliteStoreTest, FindsRunIdsByPrefix) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(TestOptions(dir.path())));
  const std::vector<std::string> ids = {
      "abc00000000000000000000000000001", "abc10000000000000000000000000002", "abd00000000000000000000000000003",
      "abf00000000000000000000000000004", "ac000000000000000000000000000005", "ffffffffffffffffffffffffffffffff",
      "not-a-hex-run-id"};
  std::vector<model::Step> steps;
  for (const std::string& id : ids) steps.push_back(MakeStep(id, 1, -1, "root", StepType::kAgent, 10, 20));
  ASSERT_OK(store->Write(Batch(steps)));
  auto find = [&](std::string_view prefix, int limit = 10) {
    Result<std::vector<std::string>> r = store->FindRunIdsByPrefix(prefix, limit);
    EXPECT_OK(r.status()) << prefix;
    return r.ok() ? *r : std::vector<std::string>{};
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(find("abc"), (V{ids[0], ids[1]}));
  EXPECT_EQ(find("abc0"), (V{ids[0]}));
  EXPECT_EQ(find("abd"), (V{ids[2]}));
  EXPECT_EQ(find("ab"), (V{ids[0], ids[1], ids[2], ids[3]}));
  EXPECT_EQ(find("abf"), (V{ids[3]}));  // the carry (abf -> ac) must not take in ac...
  EXPECT_EQ(find("a"), (V{ids[0], ids[1], ids[2], ids[3], ids[4]}));
  EXPECT_EQ(find("fff"), (V{ids[5]}));  // no upper bound
  EXPECT_EQ(find(ids[1]), (V{ids[1]}));  // a whole id is its own prefix
  EXPECT_EQ(find("abc", 1), (V{ids[0]}));
  EXPECT_TRUE(find("0").empty());
  EXPECT_TRUE(find("abe").empty());
  EXPECT_STATUS(store->FindRunIdsByPrefix("ABC", 2), StatusCode::kInvalidArgument);
  EXPECT_STATUS(store->FindRunIdsByPrefix("not-", 2), StatusCode::kInvalidArgument);
  EXPECT_STATUS(store->FindRunIdsByPrefix("", 2), StatusCode::kInvalidArgument);
  EXPECT_STATUS(store->FindRunIdsByPrefix(std::string(33, 'a'), 2), StatusCode::kInvalidArgument);
  EXPECT_STATUS(store->FindRunIdsByPrefix("abc", 0), StatusCode::kInvalidArgument);
}

// A read past the query timeout is stopped with kDeadlineExceeded; the reader then serves the
// next query normally (the deadline belongs to the lease).
TEST(SqliteStoreTest, ReadsPastTheQueryTimeoutAreInterrupted) {
  TempDir dir;
  SqliteOptions o = TestOptions(dir.path());
  o.reader_connections = 1;
  ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(o));
  std::vector<model::Step> steps;
  for (int r = 0; r < 2000; ++r) steps.push_back(MakeStep(RunId(1000 + r), 1, -1, "root", StepType::kAgent, 10 + r, 20 + r));
  ASSERT_OK(store->Write(Batch(steps)));
  RunFilter slow;
  slow.text = "no run is called this";  // a LIKE over every run: far more than 4096 VM steps
  Impl(store.get())->SetQueryTimeoutForTesting(std::chrono::nanoseconds(1));
  Result<RunPage> stopped = store->ListRuns(slow, {.limit = 10});
  EXPECT_STATUS(stopped.status(), StatusCode::kDeadlineExceeded);
  EXPECT_THAT(stopped.status().message(), ::testing::HasSubstr("query_timeout_ms"));
  Impl(store.get())->SetQueryTimeoutForTesting(std::chrono::seconds(60));
  ASSERT_OK_AND_ASSIGN(RunPage page, store->ListRuns(slow, {.limit = 10}));
  EXPECT_TRUE(page.runs.empty());
  ASSERT_OK_AND_ASSIGN(RunPage all, store->ListRuns({}, {.limit = 10}));
  EXPECT_EQ(all.runs.size(), 10u);
  EXPECT_STATUS(OpenSqliteStore([&] {
                  SqliteOptions bad = TestOptions(dir.path() + "/other");
                  bad.query_timeout_ms = -1;
                  return bad;
                }()),
                StatusCode::kInvalidArgument);
}

TEST(SqliteStoreTest, InheritedAgentsArePersistedAndFollowLateAncestors) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(TestOptions(dir.path())));
  const std::string run = RunId(5);
  model::Step root = MakeStep(run, 1, -1, "workflow", StepType::kChain, 1000, 9000);
  model::Step agent = MakeStep(run, 2, 1, "invoke_agent planner", StepType::kAgent, 1100, 8000);
  agent.agent = "planner";
  model::Step tool = MakeStep(run, 3, 2, "search", StepType::kTool, 1200, 1300);
  model::Step own = MakeStep(run, 4, 2, "chat", StepType::kLlm, 1400, 1500);
  own.agent = "critic";
  // The child arrives before its agent ancestor: no agent to inherit yet.
  ASSERT_OK(store->Write(Batch({tool, own})));
  ASSERT_OK_AND_ASSIGN(RunDetail early, store->GetRun(run, {}));
  ASSERT_EQ(early.steps.size(), 2u);
  EXPECT_EQ(early.steps[0].step.agent, "");
  ASSERT_OK(store->Write(Batch({root, agent})));
  ASSERT_OK_AND_ASSIGN(RunDetail d, store->GetRun(run, {}));
  ASSERT_EQ(d.steps.size(), 4u);
  EXPECT_EQ(d.steps[2].step.step_id, tool.step_id);
  EXPECT_EQ(d.steps[2].step.agent, "planner");
  EXPECT_EQ(d.steps[3].step.agent, "critic");  // its own agent is kept
  EXPECT_EQ(d.run.agent_id, "planner");
  // A later re-summary starts from the step's own (empty) agent, so the inherited one stays right.
  model::Step later = MakeStep(run, 5, 2, "chat", StepType::kLlm, 1600, 1700);
  ASSERT_OK(store->Write(Batch({later})));
  ASSERT_OK_AND_ASSIGN(RunDetail d2, store->GetRun(run, {}));
  EXPECT_EQ(d2.steps[2].step.agent, "planner");
  EXPECT_EQ(d2.steps[4].step.agent, "planner");
  ASSERT_EQ(d2.agents.size(), 2u);
  EXPECT_EQ(d2.agents[0].name, "planner");
  EXPECT_EQ(d2.agents[0].step_count, 3);
}

TEST(SqliteStoreTest, ContentIsStoredOncePerDistinctMessage) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(TestOptions(dir.path())));
  const std::string run = RunId(5);
  std::vector<std::string> conversation;
  std::set<std::string> distinct;
  std::vector<model::Step> steps;
  const std::string system = "You are a helpful agent. " + std::string(400, 's');
  distinct.insert(system);
  constexpr int kCalls = 30;
  for (int k = 0; k < kCalls; ++k) {
    conversation.push_back(fmt::format(R"({{"role":"user","content":"question {} {}"}})", k, std::string(200, 'q')));
    distinct.insert(conversation.back());
    model::Step s = MakeStep(run, 10 + k, -1, "chat", StepType::kLlm, 1000 + k * 10, 1005 + k * 10);
    s.content.push_back({"system", false, "text/plain", {system}});
    s.content.push_back({"input", true, "application/json", conversation});
    std::string answer = fmt::format(R"({{"role":"assistant","content":"answer {}"}})", k);
    s.content.push_back({"output", true, "application/json", {answer}});
    distinct.insert(answer);
    conversation.push_back(answer);
    steps.push_back(s);
  }
  // Half in one batch, the rest one by one: dedup must hold within and across commits.
  ASSERT_OK(store->Write(Batch(std::vector<model::Step>(steps.begin(), steps.begin() + kCalls / 2))));
  for (int k = kCalls / 2; k < kCalls; ++k) ASSERT_OK(store->Write(Batch({steps[k]})));
  ASSERT_OK_AND_ASSIGN(Store::Info info, store->GetInfo());
  EXPECT_EQ(info.content_blobs, static_cast<int64_t>(distinct.size()));
  int64_t distinct_bytes = 0;
  for (const auto& m : distinct) distinct_bytes += static_cast<int64_t>(m.size());
  EXPECT_EQ(info.content_bytes_raw, distinct_bytes);
  EXPECT_LT(info.content_bytes_stored, info.content_bytes_raw);  // compressible parts were compressed
  for (const model::Step& s : steps) {
    ASSERT_OK_AND_ASSIGN(auto content, store->GetStepContent(run, s.step_id));
    ASSERT_EQ(content.size(), 3u);
    for (size_t i = 0; i < 3; ++i) {
      EXPECT_EQ(content[i].name, s.content[i].name);
      EXPECT_EQ(content[i].is_list, s.content[i].is_list);
      EXPECT_EQ(content[i].parts, s.content[i].parts) << s.step_id;
    }
  }
}

TEST(SqliteStoreTest, EmptyAndBinaryContentPartsRoundTrip) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(TestOptions(dir.path())));
  model::Step s = MakeStep(RunId(6), 1, -1, "x", StepType::kTool, 1, 2);
  std::string binary("\0\x01\xff\xfe", 4);
  s.content.push_back({"tool.result", true, "application/octet-stream", {"", binary, std::string(100000, 'a')}});
  ASSERT_OK(store->Write(Batch({s})));
  ASSERT_OK_AND_ASSIGN(auto content, store->GetStepContent(RunId(6), StepId(1)));
  ASSERT_EQ(content.size(), 1u);
  EXPECT_EQ(content[0].parts, s.content[0].parts);
}

TEST(SqliteStoreTest, LogEventBeforeItsSpanIsAttachedLater) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(TestOptions(dir.path())));
  const std::string run = RunId(7);
  WriteBatch logs;
  logs.events.push_back({run, StepId(2), 500, "exception", R"({"exception.type":"ValueError"})", ""});
  logs.events.push_back({run, StepId(2), 400, "log", "{}", R"({"msg":"early"})"});
  logs.events.push_back({run, "", 300, "run-level", "{}", "\"x\""});
  ASSERT_OK_AND_ASSIGN(WriteStats ls, store->Write(logs));
  EXPECT_EQ(ls.runs_touched, 1);
  EXPECT_STATUS(store->GetRun(run, {}), StatusCode::kNotFound);  // no step yet: no run
  ASSERT_OK(store->Write(Batch({MakeStep(run, 1, -1, "root", StepType::kAgent, 100, 1000),
                                MakeStep(run, 2, 1, "child", StepType::kTool, 200, 600)})));
  ASSERT_OK(store->Write(logs));  // re-sent logs are deduplicated
  ASSERT_OK_AND_ASSIGN(RunDetail d, store->GetRun(run, {}));
  ASSERT_EQ(d.steps.size(), 2u);
  EXPECT_TRUE(d.steps[0].step.events.empty());
  ASSERT_EQ(d.steps[1].step.events.size(), 2u);
  EXPECT_EQ(d.steps[1].step.events[0].name, "log");  // ordered by time
  EXPECT_EQ(d.steps[1].step.events[0].body_json, R"({"msg":"early"})");
  EXPECT_EQ(d.steps[1].step.events[1].name, "exception");
  // Same through the per-step path used for windows.
  ASSERT_OK_AND_ASSIGN(RunDetail w, store->GetRun(run, {.offset = 1, .limit = 1}));
  ASSERT_EQ(w.steps.size(), 1u);
  EXPECT_EQ(w.steps[0].seq, 1);
  EXPECT_EQ(w.steps[0].step.events.size(), 2u);
}

TEST(SqliteStoreTest, StepWindowsPageInExecutionOrder) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(TestOptions(dir.path())));
  const std::string run = RunId(8);
  std::vector<model::Step> steps;
  // Same start time for pairs: ties break by step_id.
  for (int i = 0; i < 50; ++i) steps.push_back(MakeStep(run, 49 - i, -1, "s", StepType::kTool, 1000 + (i / 2), 2000));
  ASSERT_OK(store->Write(Batch(steps)));
  std::vector<std::pair<int64_t, std::string>> seen;
  for (int64_t off = 0; off < 50; off += 7) {
    ASSERT_OK_AND_ASSIGN(RunDetail d, store->GetRun(run, {.offset = off, .limit = 7}));
    EXPECT_EQ(d.total_steps, 50);
    for (const auto& s : d.steps) {
      EXPECT_EQ(s.seq, static_cast<int64_t>(seen.size()));
      seen.push_back({s.step.start_ns, s.step.step_id});
    }
  }
  ASSERT_EQ(seen.size(), 50u);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_STATUS(store->GetRun(run, {.offset = -1, .limit = 7}), StatusCode::kInvalidArgument);
  EXPECT_STATUS(store->GetRun(run, {.offset = 0, .limit = 0}), StatusCode::kInvalidArgument);
  EXPECT_STATUS(store->GetRun(run, {.offset = 0, .limit = 10001}), StatusCode::kInvalidArgument);
}

TEST(SqliteStoreTest, FullQueueIsRejectedImmediately) {
  TempDir dir;
  SqliteOptions o = TestOptions(dir.path());
  o.max_queue_bytes = 10000;
  ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(o));
  Impl(store.get())->PauseWriterForTesting(true);
  WriteBatch big = Batch({MakeStep(RunId(9), 1, -1, "root", StepType::kAgent, 1, 2)});
  big.approx_bytes = 8000;
  Result<WriteStats> blocked = InternalError("not run");
  std::thread t([&] { blocked = store->Write(big); });
  // Wait until the first batch is queued (GetInfo reports queue bytes).
  for (int i = 0; i < 10000; ++i) {
    auto info = store->GetInfo();
    if (info.ok() && info->queue_bytes == 8000) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  WriteBatch second = Batch({MakeStep(RunId(9), 2, 1, "child", StepType::kTool, 1, 2)});
  second.approx_bytes = 4000;
  EXPECT_STATUS(store->Write(second), StatusCode::kResourceExhausted);
  WriteBatch huge = second;
  huge.approx_bytes = 20000;
  EXPECT_STATUS(store->Write(huge), StatusCode::kResourceExhausted);
  Impl(store.get())->PauseWriterForTesting(false);
  t.join();
  ASSERT_OK(blocked);
  EXPECT_EQ(blocked->steps_inserted, 1);
  ASSERT_OK_AND_ASSIGN(WriteStats again, store->Write(second));  // room again
  EXPECT_EQ(again.steps_inserted, 1);
  ASSERT_OK_AND_ASSIGN(Store::Info info, store->GetInfo());
  EXPECT_EQ(info.queue_bytes, 0);
}

TEST(SqliteStoreTest, ConcurrentWritersShareCommitGroups) {
  TempDir dir;
  SqliteOptions o = TestOptions(dir.path());
  o.max_batch_wait_us = 2000;
  ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(o));
  Impl(store.get())->PauseWriterForTesting(true);
  constexpr int kWriters = 8;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      WriteBatch b = Batch({MakeStep(RunId(100 + w), 1, -1, "root", StepType::kAgent, 1, 2)});
      b.approx_bytes = 100;
      auto r = store->Write(std::move(b));
      if (r.ok() && r->steps_inserted == 1) ++ok;
    });
  }
  // Wait until every batch is queued behind the paused writer.
  for (int i = 0; i < 10000; ++i) {
    auto info = store->GetInfo();
    if (info.ok() && info->queue_bytes == 100 * kWriters) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  int64_t before = Impl(store.get())->GroupsCommittedForTesting();
  Impl(store.get())->PauseWriterForTesting(false);
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kWriters);
  // Everything queued while paused went out in fewer commits than batches.
  EXPECT_LT(Impl(store.get())->GroupsCommittedForTesting() - before, kWriters);
  ASSERT_OK_AND_ASSIGN(Store::Info info, store->GetInfo());
  EXPECT_EQ(info.runs, kWriters);
}

TEST(SqliteStoreTest, FailedCommitFailsEveryWaiterAndAppliesNothing) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(TestOptions(dir.path())));
  const std::string run = RunId(10);
  model::Step s1 = MakeStep(run, 1, -1, "root", StepType::kAgent, 1, 2);
  s1.content.push_back({"input", false, "text/plain", {"shared content " + std::string(300, 'c')}});
  Impl(store.get())->FailNextCommitForTesting();
  EXPECT_STATUS(store->Write(Batch({s1})), StatusCode::kUnavailable);
  EXPECT_STATUS(store->GetRun(run, {}), StatusCode::kNotFound);
  ASSERT_OK_AND_ASSIGN(Store::Info info, store->GetInfo());
  EXPECT_EQ(info.steps, 0);
  EXPECT_EQ(info.content_blobs, 0);
  // The same content in another step after the failure must really be stored (no stale cache).
  model::Step s2 = s1;
  s2.step_id = StepId(2);
  ASSERT_OK_AND_ASSIGN(WriteStats st, store->Write(Batch({s2})));
  EXPECT_EQ(st.steps_inserted, 1);
  ASSERT_OK_AND_ASSIGN(auto content, store->GetStepContent(run, s2.step_id));
  ASSERT_EQ(content.size(), 1u);
  EXPECT_EQ(content[0].parts, s1.content[0].parts);
  // And the step of the failed write can be written again.
  ASSERT_OK_AND_ASSIGN(WriteStats st1, store->Write(Batch({s1})));
  EXPECT_EQ(st1.steps_inserted, 1);
}

TEST(SqliteStoreTest, RejectsInvalidBatchesAndWritesAfterClose) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(TestOptions(dir.path())));
  model::Step s = MakeStep(RunId(11), 1, -1, "root", StepType::kAgent, 1, 2);
  s.step_id = "";
  EXPECT_STATUS(store->Write(Batch({s})), StatusCode::kInvalidArgument);
  s.step_id = StepId(1);
  s.run_id = "";
  EXPECT_STATUS(store->Write(Batch({s})), StatusCode::kInvalidArgument);
  ASSERT_OK_AND_ASSIGN(WriteStats empty, store->Write(WriteBatch{}));
  EXPECT_EQ(empty.steps_inserted, 0);
  store->Close();
  store->Close();  // idempotent
  EXPECT_STATUS(store->Write(Batch({MakeStep(RunId(11), 1, -1, "root", StepType::kAgent, 1, 2)})),
                StatusCode::kUnavailable);
  EXPECT_STATUS(store->ListRuns({}, {}), StatusCode::kUnavailable);
}

TEST(SqliteStoreTest, ListenersReceiveCommittedSummaries) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(TestOptions(dir.path())));
  std::mutex mu;
  std::vector<model::Run> seen;
  int id = store->AddListener([&](const model::Run& r) {
    std::lock_guard lk(mu);
    seen.push_back(r);
  });
  ASSERT_OK(store->Write(Batch({MakeStep(RunId(12), 1, -1, "root", StepType::kAgent, 1, 2),
                                MakeStep(RunId(13), 1, -1, "root", StepType::kAgent, 1, 2)})));
  {
    std::lock_guard lk(mu);
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[0].run_id, RunId(12));
    EXPECT_EQ(seen[0].step_count, 1);
    EXPECT_GT(seen[0].updated_ns, 0);
  }
  // A duplicate re-send changes nothing: no notification.
  ASSERT_OK(store->Write(Batch({MakeStep(RunId(12), 1, -1, "root", StepType::kAgent, 1, 2)})));
  store->RemoveListener(id);
  ASSERT_OK(store->Write(Batch({MakeStep(RunId(14), 1, -1, "root", StepType::kAgent, 1, 2)})));
  std::lock_guard lk(mu);
  EXPECT_EQ(seen.size(), 2u);
}

TEST(SqliteStoreTest, BigRunsAreResummarizedLazilyAndAtClose) {
  TempDir dir;
  const std::string run = RunId(15);
  std::vector<model::Step> first;
  first.push_back(MakeStep(run, 0, -1, "root", StepType::kAgent, 1, 100000));
  for (int i = 1; i <= 20; ++i) first.push_back(MakeStep(run, i, 0, "s", StepType::kTool, 10 + i, 20 + i));
  {
    ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(TestOptions(dir.path())));
    Impl(store.get())->SetBigRunPolicyForTesting(10, std::chrono::hours(1));
    ASSERT_OK(store->Write(Batch(first)));
    ASSERT_OK_AND_ASSIGN(RunDetail d, store->GetRun(run, {}));
    EXPECT_EQ(d.run.step_count, 21);  // first summary is immediate
    ASSERT_OK(store->Write(Batch({MakeStep(run, 50, 0, "late", StepType::kTool, 500, 600)})));
    ASSERT_OK_AND_ASSIGN(RunDetail d2, store->GetRun(run, {}));
    EXPECT_EQ(d2.total_steps, 22);     // the step is visible at once
    EXPECT_EQ(d2.run.step_count, 21);  // the summary is deferred
    store->Close();
  }
  ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(TestOptions(dir.path())));
  ASSERT_OK_AND_ASSIGN(RunDetail d3, store->GetRun(run, {}));
  EXPECT_EQ(d3.run.step_count, 22);  // Close() flushed the deferred summary
}

// Writes a big run (big = more than 5 steps here) and then one late step, and waits (up to ~10 s)
// for the deferred re-summary to count it, with no further writes.
void ExpectLateStepSummarizedWithoutNewWrites(int run_n, std::chrono::nanoseconds interval,
                                              std::chrono::nanoseconds idle) {
  TempDir dir;
  const std::string run = RunId(run_n);
  ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(TestOptions(dir.path())));
  Impl(store.get())->SetBigRunPolicyForTesting(5, interval, idle);
  std::vector<model::Step> steps;
  for (int i = 0; i < 10; ++i) steps.push_back(MakeStep(run, i, -1, "s", StepType::kTool, 10 + i, 20 + i));
  ASSERT_OK(store->Write(Batch(steps)));
  ASSERT_OK(store->Write(Batch({MakeStep(run, 50, -1, "late", StepType::kTool, 500, 600)})));
  int64_t count = 0;
  for (int i = 0; i < 5000 && count != 11; ++i) {
    auto d = store->GetRun(run, {});
    ASSERT_OK(d);
    count = d->run.step_count;
    if (count != 11) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_EQ(count, 11);
}

TEST(SqliteStoreTest, DeferredBigRunIsResummarizedAfterTheIntervalWithoutNewWrites) {
  ExpectLateStepSummarizedWithoutNewWrites(16, std::chrono::milliseconds(20), std::chrono::hours(1));
}

// Once spans stop arriving, a big run's last summary does not wait for its interval: the
// writer re-summarizes it after a short idle grace (the run would otherwise stay `running`).
TEST(SqliteStoreTest, DeferredBigRunIsResummarizedSoonAfterWritesStop) {
  ExpectLateStepSummarizedWithoutNewWrites(17, std::chrono::hours(1), std::chrono::milliseconds(20));
}

TEST(SqliteStoreTest, ConcurrentReadersAndWriters) {
  TempDir dir;
  SqliteOptions o = TestOptions(dir.path());
  o.max_batch_wait_us = 500;
  ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(o));
  constexpr int kWriters = 4, kBatches = 25, kStepsPerBatch = 8;
  std::atomic<bool> done{false};
  std::atomic<int> read_errors{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int b = 0; b < kBatches; ++b) {
        std::vector<model::Step> steps;
        const std::string run = RunId(1000 + w * kBatches + b);
        for (int i = 0; i < kStepsPerBatch; ++i) {
          model::Step s = MakeStep(run, i, i == 0 ? -1 : 0, "s", StepType::kLlm, 100 + i, 200 + i);
          s.content.push_back({"input", true, "application/json", {"{\"shared\":1}", fmt::format("\"{}\"", i)}});
          steps.push_back(std::move(s));
        }
        auto r = store->Write(Batch(steps));
        EXPECT_OK(r);
      }
    });
  }
  for (int r = 0; r < 3; ++r) {
    threads.emplace_back([&] {
      while (!done) {
        auto page = store->ListRuns({}, {.limit = 20});
        if (!page.ok()) {
          ++read_errors;
          continue;
        }
        for (const auto& run : page->runs) {
          auto d = store->GetRun(run.run_id, {});
          if (!d.ok()) ++read_errors;
        }
        if (!store->Stats({}).ok()) ++read_errors;
      }
    });
  }
  for (int w = 0; w < kWriters; ++w) threads[w].join();
  done = true;
  for (size_t i = kWriters; i < threads.size(); ++i) threads[i].join();
  EXPECT_EQ(read_errors.load(), 0);
  ASSERT_OK_AND_ASSIGN(Store::Info info, store->GetInfo());
  EXPECT_EQ(info.runs, kWriters * kBatches);
  EXPECT_EQ(info.steps, kWriters * kBatches * kStepsPerBatch);
  EXPECT_EQ(info.content_blobs, 1 + kStepsPerBatch);
}

}  // namespace
}  // namespace tracery::store

namespace tracery::store {
namespace {

using model::StepType;
using testutil::Batch;
using testutil::MakeStep;
using testutil::RunId;
using testutil::StepId;
using testutil::TestOptions;
using tracery::testing::TempDir;

// Span links survive the store and feed the summary, also when the receiver arrives first (the
// re-summary must load links from the rows, not from the batch).
TEST(SqliteStoreLinksTest, LinkedStepsRoundTripAndBecomeMessages) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(TestOptions(dir.path())));
  const std::string run = RunId(70);
  model::Step root = MakeStep(run, 1, -1, "run", StepType::kChain, 1000, 9000);
  model::Step sender = MakeStep(run, 2, 1, "group_chat", StepType::kAgent, 1100, 5000);
  sender.agent = "group_chat";
  model::Step publish = MakeStep(run, 3, 2, "autogen publish", StepType::kOther, 1200, 1300);
  model::Step process = MakeStep(run, 4, 1, "autogen process planner.(default)-A", StepType::kOther, 1400, 2000);
  process.agent = "planner";
  process.linked_steps = {StepId(3), StepId(9)};  // 9 never arrives
  model::Step plain = MakeStep(run, 5, 1, "plain", StepType::kOther, 2100, 2200);

  ASSERT_OK(store->Write(Batch({root, process, plain})));
  ASSERT_OK_AND_ASSIGN(RunDetail early, store->GetRun(run, {}));
  EXPECT_TRUE(early.messages.empty());  // the linked sender is not stored yet

  ASSERT_OK(store->Write(Batch({sender, publish})));
  ASSERT_OK_AND_ASSIGN(RunDetail d, store->GetRun(run, {}));
  ASSERT_EQ(d.steps.size(), 5u);
  const model::Step* got = nullptr;
  const model::Step* got_plain = nullptr;
  for (const auto& ss : d.steps) {
    if (ss.step.step_id == process.step_id) got = &ss.step;
    if (ss.step.step_id == plain.step_id) got_plain = &ss.step;
  }
  ASSERT_NE(got, nullptr);
  ASSERT_NE(got_plain, nullptr);
  EXPECT_EQ(got->linked_steps, process.linked_steps);
  EXPECT_TRUE(got_plain->linked_steps.empty());
  ASSERT_EQ(d.messages.size(), 1u);
  EXPECT_EQ(d.messages[0].from_agent, "group_chat");
  EXPECT_EQ(d.messages[0].to_agent, "planner");
  EXPECT_EQ(d.messages[0].kind, "message");
  EXPECT_EQ(d.messages[0].step_id, process.step_id);
}

TEST(SqliteStoreLinksTest, JoinAndSplitLinks) {
  EXPECT_EQ(internal::JoinLinks({"aa", "", "b,c", "dd"}), "aa,dd");
  EXPECT_EQ(internal::SplitLinks("aa,,dd,"), (std::vector<std::string>{"aa", "dd"}));
  EXPECT_TRUE(internal::SplitLinks("").empty());
  EXPECT_TRUE(internal::JoinLinks({}).empty());
}

}  // namespace
}  // namespace tracery::store
