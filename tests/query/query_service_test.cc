#include "query/query_service.h"

#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "testing/testing.h"

namespace tracery::query {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;

constexpr int64_t kT0 = 1795309323123456789;  // 2026-11-22T01:02:03.123456789Z
constexpr int64_t kMs = 1'000'000;

class FixedClock : public Clock {
 public:
  explicit FixedClock(int64_t now) : now_(now) {}
  int64_t NowUnixNanos() const override { return now_; }

 private:
  int64_t now_;
};

// An in-memory Store: returns canned data and records the last request of each kind.
class FakeStore : public store::Store {
 public:
  Result<store::WriteStats> Write(store::WriteBatch) override { return UnimplementedError("fake"); }
  Result<store::RunPage> ListRuns(const store::RunFilter& filter, const store::PageRequest& page) override {
    last_filter = filter;
    last_page = page;
    if (!fail.ok()) return fail;
    return run_page;
  }
  Result<store::RunDetail> GetRun(const std::string& run_id, const store::StepWindow& window) override {
    last_window = window;
    auto it = details.find(run_id);
    if (it == details.end()) return NotFoundError("run " + run_id + " not found");
    return it->second;
  }
  Result<std::vector<model::ContentField>> GetStepContent(const std::string& run_id,
                                                          const std::string& step_id) override {
    auto it = content.find(run_id + "/" + step_id);
    if (it == content.end()) return NotFoundError("step not found");
    return it->second;
  }
  Result<std::vector<store::StatsRow>> Stats(const store::StatsQuery& query) override {
    last_stats = query;
    return stats_rows;
  }
  Result<store::SessionPage> ListSessions(const store::SessionFilter& filter) override {
    last_sessions = filter;
    return session_page;
  }
  Result<std::vector<store::AgentSummary>> ListAgents(const store::RunFilter& filter) override {
    last_filter = filter;
    return agents;
  }
  int AddListener(store::RunUpdateListener) override { return 0; }
  void RemoveListener(int) override {}
  Result<Info> GetInfo() override { return Info{}; }
  void Close() override {}
  Result<std::vector<store::Annotation>> ListAnnotations(const std::string& run_id) override {
    if (!annotations_supported) return Store::ListAnnotations(run_id);
    if (!annotations_fail.ok()) return annotations_fail;
    auto it = annotations.find(run_id);
    return it == annotations.end() ? std::vector<store::Annotation>{} : it->second;
  }

  Status fail;
  store::RunPage run_page;
  std::map<std::string, store::RunDetail> details;
  std::map<std::string, std::vector<model::ContentField>> content;
  std::vector<store::StatsRow> stats_rows;
  store::SessionPage session_page;
  std::vector<store::AgentSummary> agents;
  bool annotations_supported = false;
  Status annotations_fail;
  std::map<std::string, std::vector<store::Annotation>> annotations;

  store::RunFilter last_filter;
  store::PageRequest last_page;
  store::StepWindow last_window;
  store::StatsQuery last_stats;
  store::SessionFilter last_sessions;
};

model::Run SampleRun() {
  model::Run r;
  r.run_id = "0123456789abcdef0123456789abcdef";
  r.name = "invoke_agent planner";
  r.agent_id = "planner";
  r.agent_version = "1.4.0";
  r.environment = "prod";
  r.session_id = "s1";
  r.user_id = "u1";
  r.service_name = "svc";
  r.start_ns = kT0;
  r.end_ns = kT0 + 1500 * kMs;
  r.status = model::RunStatus::kPartial;
  r.root_seen = true;
  model::Failure f;
  f.type = model::FailureType::kTool;
  f.code = "timeout";
  f.message = "timed out";
  f.step_id = "00000000000000aa";
  f.source = model::FailureSource::kException;
  f.error_type = "TimeoutError";
  f.recovered = true;
  f.time_ns = kT0 + 10 * kMs;
  r.failure = f;
  r.step_count = 5;
  r.llm_count = 2;
  r.tool_count = 2;
  r.retry_count = 1;
  r.error_count = 1;
  r.agent_count = 1;
  r.tokens = {.input = 380, .output = 75, .total = 455, .cache_read = 100, .cache_write = 0, .reasoning = 12,
              .present = true};
  r.cost_usd = 0.0125;
  r.models = {"gpt-4o"};
  r.tags = {"beta", "x"};
  r.metadata_json = R"({"team":"search","n":3})";
  r.updated_ns = kT0 + 2000 * kMs;
  return r;
}

Json ParseStrict(const std::string& text) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << text;
  return j;
}

std::set<std::string> Keys(const Json& obj) {
  std::set<std::string> keys;
  for (auto it = obj.begin(); it != obj.end(); ++it) keys.insert(it.key());
  return keys;
}

class QueryServiceTest : public ::testing::Test {
 protected:
  FakeStore store_;
  FixedClock clock_{kT0};
  QueryService service_{&store_, &clock_};
};

TEST_F(QueryServiceTest, RunJsonShape) {
  Json j = ParseStrict(QueryService::RunJson(SampleRun()));
  EXPECT_EQ(Keys(j), (std::set<std::string>{
                         "run_id",      "name",        "agent_id",       "agent_version", "environment",
                         "session_id",  "user_id",     "service_name",   "start_time",    "start_unix_nano",
                         "end_time",    "end_unix_nano", "duration_ms",  "status",        "failure",
                         "step_count",  "llm_count",   "tool_count",     "retry_count",   "error_count",
                         "agent_count", "tokens",      "cost_usd",       "models",        "tags",
                         "metadata",    "updated_time", "updated_unix_nano"}));
  EXPECT_EQ(j["run_id"], "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(j["start_time"], "2026-11-22T01:02:03.123456789Z");
  EXPECT_EQ(j["start_unix_nano"], "1795309323123456789");
  EXPECT_EQ(j["end_time"], "2026-11-22T01:02:04.623456789Z");
  EXPECT_EQ(j["end_unix_nano"], "1795309324623456789");
  EXPECT_DOUBLE_EQ(j["duration_ms"].get<double>(), 1500.0);
  EXPECT_EQ(j["status"], "partial");
  EXPECT_EQ(j["failure"], (Json{{"type", "tool"},
                                {"code", "timeout"},
                                {"message", "timed out"},
                                {"step_id", "00000000000000aa"},
                                {"source", "exception"},
                                {"error_type", "TimeoutError"},
                                {"recovered", true},
                                {"time", "2026-11-22T01:02:03.133456789Z"}}));
  EXPECT_EQ(j["tokens"], (Json{{"input", 380}, {"output", 75}, {"total", 455}, {"cache_read", 100},
                               {"cache_write", 0}, {"reasoning", 12}}));
  EXPECT_EQ(j["step_count"], 5);
  EXPECT_EQ(j["retry_count"], 1);
  EXPECT_EQ(j["models"], Json::array({"gpt-4o"}));
  EXPECT_EQ(j["tags"], Json::array({"beta", "x"}));
  EXPECT_EQ(j["metadata"], (Json{{"team", "search"}, {"n", 3}}));
  EXPECT_DOUBLE_EQ(j["cost_usd"].get<double>(), 0.0125);
  EXPECT_EQ(j["updated_time"], "2026-11-22T01:02:05.123456789Z");
}

TEST_F(QueryServiceTest, RunningRunHasNullEndAndNoFailure) {
  model::Run r = SampleRun();
  r.status = model::RunStatus::kRunning;
  r.end_ns = 0;
  r.failure.reset();
  r.metadata_json = "not json";
  Json j = ParseStrict(QueryService::RunJson(r));
  EXPECT_TRUE(j["end_time"].is_null());
  EXPECT_TRUE(j["end_unix_nano"].is_null());
  EXPECT_TRUE(j["duration_ms"].is_null());
  EXPECT_TRUE(j["failure"].is_null());
  EXPECT_EQ(j["metadata"], Json::object());  // never anything but an object
}

TEST_F(QueryServiceTest, InvalidUtf8NeverBreaksJson) {
  model::Run r = SampleRun();
  r.name = std::string("bad \xff\xfe name");
  r.tags = {std::string("\xc3")};
  std::string text = QueryService::RunJson(r);
  Json j = ParseStrict(text);
  EXPECT_EQ(j["name"], "bad \xEF\xBF\xBD\xEF\xBF\xBD name");
}

TEST_F(QueryServiceTest, ListRunsShapeAndPaging) {
  store_.run_page.runs = {SampleRun()};
  store_.run_page.next_cursor = "abc";
  store_.run_page.total = 7;
  ASSERT_OK_AND_ASSIGN(std::string text,
                       service_.ListRuns({{"limit", "10"}, {"sort", "cost_desc"}, {"cursor", "xyz"}, {"agent", "p"}}));
  Json j = ParseStrict(text);
  EXPECT_EQ(Keys(j), (std::set<std::string>{"runs", "next_cursor", "total", "findings"}));
  EXPECT_EQ(j["findings"], Json::object());  // this store keeps no annotations
  ASSERT_EQ(j["runs"].size(), 1u);
  EXPECT_EQ(j["runs"][0], ParseStrict(QueryService::RunJson(SampleRun())));
  EXPECT_EQ(j["next_cursor"], "abc");
  EXPECT_EQ(j["total"], 7);
  EXPECT_EQ(store_.last_page.limit, 10);
  EXPECT_EQ(store_.last_page.sort, store::RunSort::kCostDesc);
  EXPECT_EQ(store_.last_page.cursor, "xyz");
  EXPECT_EQ(store_.last_filter.agent_ids, std::vector<std::string>{"p"});
}

// The run list carries each listed run's triage findings (positive and errored annotations).
TEST_F(QueryServiceTest, ListRunsCarriesTriageFindings) {
  model::Run a = SampleRun(), b = SampleRun(), c = SampleRun();
  a.run_id = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  b.run_id = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
  c.run_id = "cccccccccccccccccccccccccccccccc";
  store_.run_page.runs = {a, b, c};
  store_.annotations_supported = true;
  auto ann = [](std::string mode, std::string verdict, std::string severity) {
    store::Annotation x;
    x.rubric_name = "agents";
    x.rubric_version = "1.0.0";
    x.mode_id = std::move(mode);
    x.verdict = std::move(verdict);
    x.severity = std::move(severity);
    return x;
  };
  store_.annotations[a.run_id] = {ann("tool-timeout", "positive", "high"), ann("loop", "negative", "")};
  store_.annotations[b.run_id] = {ann("hallucination", "error", "")};
  store_.annotations[c.run_id] = {ann("loop", "negative", "")};
  ASSERT_OK_AND_ASSIGN(std::string text, service_.ListRuns({}));
  Json j = ParseStrict(text);
  EXPECT_EQ(j["findings"], Json::parse(R"({
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa": [{"rubric_name": "agents", "mode_id": "tool-timeout", "verdict": "positive", "severity": "high"}],
    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb": [{"rubric_name": "agents", "mode_id": "hallucination", "verdict": "error", "severity": ""}]
  })"));
  // A failing annotation lookup is the store failing: the list says so rather than hiding it.
  store_.annotations_fail = UnavailableError("disk gone");
  EXPECT_STATUS(service_.ListRuns({}).status(), StatusCode::kUnavailable);
}

TEST_F(QueryServiceTest, ListRunsDefaultsAndLastPage) {
  store_.run_page.total = -1;
  ASSERT_OK_AND_ASSIGN(std::string text, service_.ListRuns({}));
  Json j = ParseStrict(text);
  EXPECT_EQ(j["runs"], Json::array());
  EXPECT_TRUE(j["next_cursor"].is_null());
  EXPECT_TRUE(j["total"].is_null());
  EXPECT_EQ(store_.last_page.limit, 50);
  EXPECT_EQ(store_.last_page.sort, store::RunSort::kStartDesc);
}

TEST_F(QueryServiceTest, ListRunsSortValues) {
  const std::pair<const char*, store::RunSort> cases[] = {
      {"start_desc", store::RunSort::kStartDesc},       {"start_asc", store::RunSort::kStartAsc},
      {"duration_desc", store::RunSort::kDurationDesc}, {"duration_asc", store::RunSort::kDurationAsc},
      {"cost_desc", store::RunSort::kCostDesc},         {"tokens_desc", store::RunSort::kTokensDesc},
      {"updated_desc", store::RunSort::kUpdatedDesc}};
  for (const auto& [name, sort] : cases) {
    ASSERT_OK(service_.ListRuns({{"sort", name}}));
    EXPECT_EQ(store_.last_page.sort, sort) << name;
  }
}

TEST_F(QueryServiceTest, ListRunsUsesInjectedClockForSince) {
  ASSERT_OK(service_.ListRuns({{"since", "15m"}}));
  EXPECT_EQ(store_.last_filter.from_ns, kT0 - 15 * 60'000 * kMs);
}

TEST_F(QueryServiceTest, ListRunsRejectsUnknownAndBadParams) {
  Result<std::string> unknown = service_.ListRuns({{"statuss", "ok"}});
  EXPECT_STATUS(unknown, StatusCode::kInvalidArgument);
  EXPECT_EQ(unknown.status().message(), "unknown parameter \"statuss\"");
  // A stats-only key is unknown here.
  EXPECT_STATUS(service_.ListRuns({{"group_by", "agent"}}), StatusCode::kInvalidArgument);
  for (const char* limit : {"0", "1001", "many"}) {
    Result<std::string> r = service_.ListRuns({{"limit", limit}});
    EXPECT_STATUS(r, StatusCode::kInvalidArgument);
    EXPECT_THAT(r.status().message(), HasSubstr("\"limit\""));
  }
  Result<std::string> sort = service_.ListRuns({{"sort", "random"}});
  EXPECT_STATUS(sort, StatusCode::kInvalidArgument);
  EXPECT_THAT(sort.status().message(), HasSubstr("invalid value \"random\" for parameter \"sort\""));
}

TEST_F(QueryServiceTest, StoreErrorsPropagate) {
  store_.fail = UnavailableError("shutting down");
  EXPECT_STATUS(service_.ListRuns({}), StatusCode::kUnavailable);
  EXPECT_STATUS(service_.GetRun("nope", {}), StatusCode::kNotFound);
  EXPECT_STATUS(service_.GetStepContent("nope", "x"), StatusCode::kNotFound);
}

store::RunDetail SampleDetail() {
  store::RunDetail d;
  d.run = SampleRun();
  store::StoredStep root;
  root.seq = 0;
  root.step.step_id = "00000000000000a0";
  root.step.name = "invoke_agent planner";
  root.step.type = model::StepType::kAgent;
  root.step.agent = "planner";
  root.step.start_ns = kT0;
  root.step.end_ns = kT0 + 1500 * kMs;
  root.step.attributes_json = R"({"gen_ai.operation.name":"invoke_agent"})";
  store::StoredStep tool;
  tool.seq = 1;
  tool.step.step_id = "00000000000000aa";
  tool.step.parent_id = "00000000000000a0";
  tool.step.name = "execute_tool search";
  tool.step.type = model::StepType::kTool;
  tool.step.agent = "planner";
  tool.step.start_ns = kT0 + 250 * kMs;
  tool.step.end_ns = 0;  // still running
  tool.step.status = model::StepStatus::kError;
  tool.step.status_message = "boom";
  tool.step.tool_name = "search";
  tool.step.attempt = 2;
  tool.step.retry_of = "00000000000000a9";
  tool.step.linked_steps = {"00000000000000a0"};
  tool.step.attributes_json = std::string(200, '[') + std::string(200, ']');  // too deep: kept as text
  model::Event ev;
  ev.name = "exception";
  ev.time_ns = kT0 + 260 * kMs;
  ev.attributes_json = R"({"exception.type":"TimeoutError"})";
  tool.step.events.push_back(ev);
  model::Event log;
  log.name = "gen_ai.choice";
  log.time_ns = kT0 + 270 * kMs;
  log.attributes_json = "{}";
  log.body_json = R"({"message":"hi"})";
  tool.step.events.push_back(log);
  tool.step.failure = *d.run.failure;
  tool.content_info.push_back({"tool.arguments", 42, 1});
  d.steps = {root, tool};
  d.total_steps = 5;
  model::Agent a;
  a.name = "planner";
  a.step_count = 5;
  a.llm_count = 2;
  a.tool_count = 2;
  a.error_count = 1;
  a.cost_usd = 0.5;
  a.first_start_ns = kT0;
  d.agents = {a};
  model::Message m;
  m.from_agent = "planner";
  m.to_agent = "booker";
  m.kind = "handoff";
  m.step_id = "00000000000000aa";
  m.time_ns = kT0 + kMs;
  d.messages = {m};
  d.failures = {*d.run.failure};
  return d;
}

TEST_F(QueryServiceTest, GetRunShape) {
  store_.details["r1"] = SampleDetail();
  ASSERT_OK_AND_ASSIGN(std::string text, service_.GetRun("r1", {{"offset", "0"}, {"limit", "2"}}));
  Json j = ParseStrict(text);
  EXPECT_EQ(Keys(j), (std::set<std::string>{"run", "steps", "total_steps", "offset", "limit", "agents", "messages", "annotations",
                                            "failures"}));
  EXPECT_EQ(store_.last_window.offset, 0);
  EXPECT_EQ(store_.last_window.limit, 2);
  EXPECT_EQ(j["total_steps"], 5);
  EXPECT_EQ(j["offset"], 0);
  EXPECT_EQ(j["limit"], 2);
  EXPECT_EQ(j["run"]["run_id"], "0123456789abcdef0123456789abcdef");
  ASSERT_EQ(j["steps"].size(), 2u);
  const Json& root = j["steps"][0];
  EXPECT_EQ(Keys(root),
            (std::set<std::string>{"seq",         "step_id",        "parent_id",    "name",         "type",
                                   "agent",       "start_time",     "start_unix_nano", "end_time", "end_unix_nano",
                                   "duration_ms", "offset_ms",      "status",       "status_message", "model",
                                   "provider",    "tool_name",      "finish_reason", "tokens",      "cost_usd",
                                   "cost_explicit", "attempt",      "retry_of",     "handoff_to",   "handoff_from",
                                   "linked_steps", "attributes",    "events",       "failure",      "content"}));
  EXPECT_EQ(root["linked_steps"], Json::array());
  EXPECT_EQ(root["parent_id"], "");
  EXPECT_EQ(root["type"], "agent");
  EXPECT_EQ(root["status"], "unset");
  EXPECT_DOUBLE_EQ(root["duration_ms"].get<double>(), 1500.0);
  EXPECT_DOUBLE_EQ(root["offset_ms"].get<double>(), 0.0);
  EXPECT_EQ(root["attributes"], (Json{{"gen_ai.operation.name", "invoke_agent"}}));
  EXPECT_TRUE(root["failure"].is_null());
  EXPECT_EQ(root["events"], Json::array());
  EXPECT_EQ(root["content"], Json::array());

  const Json& tool = j["steps"][1];
  EXPECT_EQ(tool["seq"], 1);
  EXPECT_EQ(tool["parent_id"], "00000000000000a0");
  EXPECT_EQ(tool["status"], "error");
  EXPECT_EQ(tool["status_message"], "boom");
  EXPECT_EQ(tool["tool_name"], "search");
  EXPECT_EQ(tool["attempt"], 2);
  EXPECT_EQ(tool["retry_of"], "00000000000000a9");
  EXPECT_EQ(tool["linked_steps"], (Json{"00000000000000a0"}));
  EXPECT_TRUE(tool["end_time"].is_null());
  EXPECT_TRUE(tool["duration_ms"].is_null());
  EXPECT_DOUBLE_EQ(tool["offset_ms"].get<double>(), 250.0);
  EXPECT_TRUE(tool["attributes"].is_string());  // too deep to embed: kept as text
  ASSERT_EQ(tool["events"].size(), 2u);
  EXPECT_EQ(tool["events"][0],
            (Json{{"name", "exception"},
                  {"time", "2026-11-22T01:02:03.383456789Z"},
                  {"time_unix_nano", "1795309323383456789"},
                  {"attributes", {{"exception.type", "TimeoutError"}}},
                  {"body", nullptr}}));
  EXPECT_EQ(tool["events"][1]["body"], (Json{{"message", "hi"}}));
  EXPECT_EQ(tool["failure"]["code"], "timeout");
  EXPECT_EQ(tool["content"], Json::array({Json{{"name", "tool.arguments"}, {"bytes", 42}, {"parts", 1}}}));

  ASSERT_EQ(j["agents"].size(), 1u);
  EXPECT_EQ(j["agents"][0]["name"], "planner");
  EXPECT_EQ(j["agents"][0]["step_count"], 5);
  EXPECT_EQ(j["agents"][0]["error_count"], 1);
  EXPECT_TRUE(j["agents"][0].contains("tokens"));
  EXPECT_EQ(j["messages"], Json::array({Json{{"from_agent", "planner"},
                                             {"to_agent", "booker"},
                                             {"kind", "handoff"},
                                             {"step_id", "00000000000000aa"},
                                             {"time", "2026-11-22T01:02:03.124456789Z"},
                                             {"time_unix_nano", "1795309323124456789"}}}));
  ASSERT_EQ(j["failures"].size(), 1u);
  EXPECT_EQ(j["failures"][0]["step_id"], "00000000000000aa");
  EXPECT_EQ(j["failures"][0]["recovered"], true);
}

TEST_F(QueryServiceTest, GetRunWindowDefaultsAndBadParams) {
  store_.details["r1"] = SampleDetail();
  ASSERT_OK(service_.GetRun("r1", {}));
  EXPECT_EQ(store_.last_window.offset, 0);
  EXPECT_EQ(store_.last_window.limit, 1000);
  ASSERT_OK(service_.GetRun("r1", {{"offset", "1000"}}));
  EXPECT_EQ(store_.last_window.offset, 1000);
  EXPECT_STATUS(service_.GetRun("r1", {{"offset", "-1"}}), StatusCode::kInvalidArgument);
  EXPECT_STATUS(service_.GetRun("r1", {{"limit", "10001"}}), StatusCode::kInvalidArgument);
  EXPECT_STATUS(service_.GetRun("r1", {{"limit", "0"}}), StatusCode::kInvalidArgument);
  EXPECT_STATUS(service_.GetRun("r1", {{"status", "ok"}}), StatusCode::kInvalidArgument);
  EXPECT_STATUS(service_.GetRun("", {}), StatusCode::kInvalidArgument);
  EXPECT_STATUS(service_.GetRun(std::string("a\nb"), {}), StatusCode::kInvalidArgument);
  EXPECT_STATUS(service_.GetRun(std::string(300, 'a'), {}), StatusCode::kInvalidArgument);
}

TEST_F(QueryServiceTest, StepContentValues) {
  model::ContentField input;
  input.name = "input";
  input.is_list = true;
  input.mime = "application/json";
  input.parts = {R"({"role":"user","content":"hi"})", "not json", ""};
  model::ContentField output;
  output.name = "output";
  output.parts = {"plain text answer"};
  model::ContentField docs;
  docs.name = "documents";
  docs.is_list = true;
  docs.mime = "text/plain";
  docs.parts = {"doc one", "{\"x\":1}"};
  model::ContentField args;
  args.name = "tool.arguments";
  args.mime = "application/json";
  args.parts = {R"({"q":"flights"})"};
  store_.content["r1/s1"] = {input, output, docs, args};
  ASSERT_OK_AND_ASSIGN(std::string text, service_.GetStepContent("r1", "s1"));
  Json j = ParseStrict(text);
  EXPECT_EQ(Keys(j), (std::set<std::string>{"run_id", "step_id", "content"}));
  EXPECT_EQ(j["run_id"], "r1");
  EXPECT_EQ(j["step_id"], "s1");
  ASSERT_EQ(j["content"].size(), 4u);
  EXPECT_EQ(j["content"][0], (Json{{"name", "input"},
                                   {"mime", "application/json"},
                                   {"is_list", true},
                                   {"value", Json::array({Json{{"role", "user"}, {"content", "hi"}}, "not json",
                                                          nullptr})}}));
  EXPECT_EQ(j["content"][1]["value"], "plain text answer");
  EXPECT_EQ(j["content"][1]["is_list"], false);
  EXPECT_EQ(j["content"][1]["mime"], "text/plain");
  EXPECT_EQ(j["content"][2]["value"], Json::array({"doc one", "{\"x\":1}"}));  // text parts stay strings
  EXPECT_EQ(j["content"][3]["value"], R"({"q":"flights"})");                   // non-list: the string
}

TEST_F(QueryServiceTest, StatsShapeAndParams) {
  store::StatsRow row;
  row.group = "planner";
  row.bucket_start_ns = kT0 - kT0 % (3600'000 * kMs);
  row.runs = 10;
  row.ok = 6;
  row.failed = 2;
  row.partial = 1;
  row.running = 1;
  row.success_rate = 7.0 / 9.0;
  row.p50_ms = 100;
  row.p95_ms = 900;
  row.p99_ms = 1200;
  row.tokens.total = 99;
  row.cost_usd = 1.25;
  store_.stats_rows = {row};
  ASSERT_OK_AND_ASSIGN(std::string text,
                       service_.Stats({{"group_by", "agent"}, {"bucket", "1h"}, {"status", "failed"}}));
  Json j = ParseStrict(text);
  EXPECT_EQ(Keys(j), (std::set<std::string>{"group_by", "bucket", "rows"}));
  EXPECT_EQ(j["group_by"], "agent");
  EXPECT_EQ(j["bucket"], "1h");
  EXPECT_EQ(store_.last_stats.group_by, store::GroupBy::kAgent);
  EXPECT_EQ(store_.last_stats.bucket_ns, 3600'000 * kMs);
  EXPECT_EQ(store_.last_stats.filter.statuses, std::vector<model::RunStatus>{model::RunStatus::kFailed});
  ASSERT_EQ(j["rows"].size(), 1u);
  const Json& r = j["rows"][0];
  EXPECT_EQ(Keys(r), (std::set<std::string>{"group", "bucket_start", "bucket_start_unix_nano", "runs", "ok", "failed",
                                            "partial", "running", "success_rate", "latency_ms", "tokens",
                                            "cost_usd"}));
  EXPECT_EQ(r["bucket_start"], "2026-11-22T01:00:00.000000000Z");
  EXPECT_EQ(r["runs"], 10);
  EXPECT_EQ(r["latency_ms"], (Json{{"p50", 100.0}, {"p95", 900.0}, {"p99", 1200.0}}));
  EXPECT_EQ(r["tokens"]["total"], 99);
}

TEST_F(QueryServiceTest, StatsDefaultsAndErrors) {
  store_.stats_rows = {store::StatsRow{}};
  ASSERT_OK_AND_ASSIGN(std::string text, service_.Stats({}));
  Json j = ParseStrict(text);
  EXPECT_EQ(j["group_by"], "none");
  EXPECT_TRUE(j["bucket"].is_null());
  EXPECT_TRUE(j["rows"][0]["bucket_start"].is_null());
  EXPECT_EQ(store_.last_stats.group_by, store::GroupBy::kNone);
  EXPECT_EQ(store_.last_stats.bucket_ns, 0);
  const std::pair<const char*, store::GroupBy> groups[] = {
      {"version", store::GroupBy::kVersion},         {"model", store::GroupBy::kModel},
      {"step_type", store::GroupBy::kStepType},      {"failure_type", store::GroupBy::kFailureType},
      {"failure_code", store::GroupBy::kFailureCode}, {"environment", store::GroupBy::kEnvironment},
      {"step_name", store::GroupBy::kStepName},      {"tool_name", store::GroupBy::kToolName}};
  for (const auto& [name, g] : groups) {
    ASSERT_OK(service_.Stats({{"group_by", name}}));
    EXPECT_EQ(store_.last_stats.group_by, g) << name;
  }
  Result<std::string> bad = service_.Stats({{"group_by", "colour"}});
  EXPECT_STATUS(bad, StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("\"group_by\""));
  EXPECT_STATUS(service_.Stats({{"bucket", "hourly"}}), StatusCode::kInvalidArgument);
  EXPECT_STATUS(service_.Stats({{"bucket", "10ms"}}), StatusCode::kInvalidArgument);
  EXPECT_STATUS(service_.Stats({{"limit", "5"}}), StatusCode::kInvalidArgument);
}

TEST_F(QueryServiceTest, SessionsShape) {
  model::Session s;
  s.session_id = "s1";
  s.user_id = "u1";
  s.run_count = 3;
  s.failed_count = 1;
  s.first_start_ns = kT0;
  s.last_end_ns = kT0 + 1000 * kMs;
  s.tokens.total = 10;
  s.cost_usd = 0.1;
  store_.session_page.sessions = {s};
  store_.session_page.next_cursor = "next";
  ASSERT_OK_AND_ASSIGN(std::string text, service_.Sessions({{"user", "u1"}, {"limit", "5"}, {"since", "1d"}}));
  Json j = ParseStrict(text);
  EXPECT_EQ(Keys(j), (std::set<std::string>{"sessions", "next_cursor"}));
  EXPECT_EQ(j["next_cursor"], "next");
  ASSERT_EQ(j["sessions"].size(), 1u);
  EXPECT_EQ(Keys(j["sessions"][0]), (std::set<std::string>{"session_id", "user_id", "run_count", "failed_count",
                                                           "first_start_time", "last_end_time", "tokens",
                                                           "cost_usd"}));
  EXPECT_EQ(j["sessions"][0]["last_end_time"], "2026-11-22T01:02:04.123456789Z");
  EXPECT_EQ(store_.last_sessions.user_id, "u1");
  EXPECT_EQ(store_.last_sessions.limit, 5);
  EXPECT_EQ(store_.last_sessions.from_ns, kT0 - 86400'000 * kMs);
  EXPECT_STATUS(service_.Sessions({{"agent", "x"}}), StatusCode::kInvalidArgument);
}

TEST_F(QueryServiceTest, AgentsShape) {
  store::AgentSummary a;
  a.agent_id = "planner";
  a.versions = {"1.3.0", "1.4.0"};
  a.runs = 12;
  a.failed = 2;
  a.last_seen_ns = kT0;
  store_.agents = {a};
  ASSERT_OK_AND_ASSIGN(std::string text, service_.Agents({{"environment", "prod"}}));
  Json j = ParseStrict(text);
  EXPECT_EQ(j, (Json{{"agents", Json::array({Json{{"agent_id", "planner"},
                                                  {"versions", Json::array({"1.3.0", "1.4.0"})},
                                                  {"runs", 12},
                                                  {"failed", 2},
                                                  {"last_seen_time", "2026-11-22T01:02:03.123456789Z"}}})}}));
  EXPECT_EQ(store_.last_filter.environments, std::vector<std::string>{"prod"});
  EXPECT_STATUS(service_.Agents({{"sort", "start_desc"}}), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tracery::query

namespace tracery::query {
namespace {

TEST(QueryServiceOrderTest, ParentsComeFirstWhenStartTimesTie) {
  FakeStore store;
  store::RunDetail d;
  d.run.run_id = "0123456789abcdef0123456789abcdef";
  d.run.start_ns = 1000;
  auto add = [&](std::string id, std::string parent, int64_t start) {
    store::StoredStep s;
    s.seq = static_cast<int64_t>(d.steps.size());
    s.step.step_id = std::move(id);
    s.step.parent_id = std::move(parent);
    s.step.start_ns = start;
    d.steps.push_back(std::move(s));
  };
  // The store orders equal start times by id: the agent ("0a") sorts before its workflow ("0f").
  add("000000000000000a", "000000000000000f", 1000);
  add("000000000000000f", "", 1000);
  add("0000000000000001", "000000000000000a", 1000);
  add("0000000000000002", "000000000000000a", 2000);
  // A retry that ties with the attempt it retries comes after it, whatever the ids say.
  add("0000000000000003", "000000000000000a", 3000);
  d.steps.back().step.retry_of = "0000000000000004";
  add("0000000000000004", "000000000000000a", 3000);
  d.total_steps = 6;
  store.details[d.run.run_id] = d;
  QueryService service(&store);
  ASSERT_OK_AND_ASSIGN(std::string text, service.GetRun(d.run.run_id, {}));
  auto j = nlohmann::json::parse(text);
  std::vector<std::string> ids;
  std::vector<int> seqs;
  for (const auto& s : j["steps"]) {
    ids.push_back(s["step_id"]);
    seqs.push_back(s["seq"]);
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"000000000000000f", "000000000000000a", "0000000000000001",
                                           "0000000000000002", "0000000000000004", "0000000000000003"}));
  EXPECT_EQ(seqs, (std::vector<int>{0, 1, 2, 3, 4, 5}));
}

}  // namespace
}  // namespace tracery::query
