#include "cli/render.h"

#include <nlohmann/json.hpp>
#include <sstream>

#include "testing/testing.h"

namespace tracery::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using nlohmann::json;

json Step(int seq, const std::string& id, const std::string& parent, const std::string& name,
          const std::string& type, const std::string& status) {
  return json{{"seq", seq},
              {"step_id", id},
              {"parent_id", parent.empty() ? json(nullptr) : json(parent)},
              {"name", name},
              {"type", type},
              {"agent", "planner"},
              {"start_time", "2026-01-02T03:04:05.000000000Z"},
              {"duration_ms", 1500.0},
              {"status", status},
              {"tokens", {{"input", 0}, {"output", 0}, {"total", 0}}},
              {"attempt", 0},
              {"retry_of", ""},
              {"failure", nullptr}};
}

json Failure(const std::string& type, const std::string& code, const std::string& step_id, bool recovered) {
  return json{{"type", type}, {"code", code}, {"message", "upstream timed out"}, {"step_id", step_id},
              {"source", "span_status"}, {"recovered", recovered}};
}

// A run: root agent -> llm, search (failed, attempt 1), search (retry, ok), fetch (failed: cause).
std::string RunDetailJson() {
  json steps = json::array();
  steps.push_back(Step(0, "s0", "", "research", "agent", "error"));
  json llm = Step(1, "s1", "s0", "chat", "llm", "ok");
  llm["model"] = "gpt-4o";
  llm["tokens"] = {{"input", 1200}, {"output", 34}, {"total", 1234}};
  steps.push_back(llm);
  json search1 = Step(2, "s2", "s0", "search", "tool", "error");
  search1["attempt"] = 1;
  search1["failure"] = Failure("tool", "rate_limit", "s2", true);
  steps.push_back(search1);
  json search2 = Step(3, "s3", "s0", "search", "tool", "ok");
  search2["attempt"] = 2;
  search2["retry_of"] = "s2";
  steps.push_back(search2);
  json fetch = Step(4, "s4", "s3", "fetch", "tool", "error");
  fetch["failure"] = Failure("tool", "timeout", "s4", false);
  steps.push_back(fetch);
  json run = {{"run_id", "4bf92f3577b34da6a3ce929d0e0e4736"},
              {"name", "research"},
              {"agent_id", "planner"},
              {"agent_version", "1.2"},
              {"environment", "prod"},
              {"status", "failed"},
              {"start_time", "2026-01-02T03:04:05.000000000Z"},
              {"duration_ms", 3200.0},
              {"failure", Failure("tool", "timeout", "s4", false)},
              {"step_count", 5},
              {"llm_count", 1},
              {"tool_count", 3},
              {"retry_count", 1},
              {"error_count", 2},
              {"tokens", {{"input", 1200}, {"output", 34}, {"total", 1234}}},
              {"cost_usd", 0.0123}};
  json doc = {{"run", run},
              {"steps", steps},
              {"total_steps", 5},
              {"offset", 0},
              {"limit", 1000},
              {"agents", json::array({{{"name", "planner"}, {"step_count", 5}}})}};
  return doc.dump();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

std::string LineWith(const std::string& text, const std::string& needle) {
  for (const auto& l : Lines(text)) {
    if (l.find(needle) != std::string::npos) return l;
  }
  return "";
}

TEST(RenderRunDetailTest, PlainTreeWithRetryAndFailure) {
  ASSERT_OK_AND_ASSIGN(std::string out, RenderRunDetail(RunDetailJson(), {}));
  EXPECT_THAT(out, Not(HasSubstr("\x1b[")));
  EXPECT_THAT(out, HasSubstr("Run       4bf92f3577b34da6a3ce929d0e0e4736  research"));
  EXPECT_THAT(out, HasSubstr("Status    failed"));
  EXPECT_THAT(out, HasSubstr("Failure   tool/timeout: upstream timed out"));
  EXPECT_THAT(out, HasSubstr("caused by step fetch (tool, s4)"));
  EXPECT_THAT(out, HasSubstr("Tokens    1,200 in / 34 out / 1,234 total"));
  EXPECT_THAT(out, HasSubstr("Cost      $0.0123"));
  EXPECT_THAT(out, HasSubstr("Agents    planner (5 steps)"));
  // Tree structure: root at column 0, children with guides, grandchild nested under the retry.
  EXPECT_THAT(out, HasSubstr("\nresearch "));
  EXPECT_THAT(LineWith(out, "chat"), ::testing::StartsWith("├─ chat"));
  EXPECT_THAT(LineWith(out, "chat"), HasSubstr("gpt-4o"));
  EXPECT_THAT(LineWith(out, "chat"), HasSubstr("1,234"));
  std::string retry = LineWith(out, "↻");
  EXPECT_THAT(retry, ::testing::StartsWith("└─ search"));
  EXPECT_THAT(retry, HasSubstr("↻ attempt 2 of step search"));
  std::string first = LineWith(out, "rate_limit");
  EXPECT_THAT(first, ::testing::StartsWith("├─ search"));
  EXPECT_THAT(first, HasSubstr("tool/rate_limit (recovered)"));
  EXPECT_THAT(first, Not(HasSubstr("✗")));
  std::string cause = LineWith(out, "fetch  ");
  EXPECT_THAT(cause, ::testing::StartsWith("   └─ fetch"));
  EXPECT_THAT(cause, HasSubstr("✗ FAILED tool/timeout"));
  EXPECT_THAT(cause, HasSubstr("1.50s"));
  EXPECT_THAT(cause, HasSubstr("planner"));
}

TEST(RenderRunDetailTest, ColorHighlightsCause) {
  ASSERT_OK_AND_ASSIGN(std::string out, RenderRunDetail(RunDetailJson(), {.color = true}));
  std::string cause = LineWith(out, "fetch\x1b");
  EXPECT_THAT(cause, HasSubstr("\x1b[31m"));
  EXPECT_THAT(cause, HasSubstr("✗ tool/timeout"));
  EXPECT_THAT(out, Not(HasSubstr("FAILED")));
}

TEST(RenderRunDetailTest, PagingFooter) {
  json doc = json::parse(RunDetailJson());
  doc["total_steps"] = 12;
  ASSERT_OK_AND_ASSIGN(std::string out, RenderRunDetail(doc.dump(), {}));
  EXPECT_THAT(out, HasSubstr("steps 1-5 of 12; more: --offset 5"));
}

TEST(RenderRunDetailTest, OrphansCyclesAndDeepTreesAreSafe) {
  json steps = json::array();
  // A 5000-deep chain.
  steps.push_back(Step(0, "d0", "", "deep0", "chain", "ok"));
  for (int i = 1; i < 5000; ++i) {
    steps.push_back(Step(i, "d" + std::to_string(i), "d" + std::to_string(i - 1), "deep" + std::to_string(i),
                         "chain", "ok"));
  }
  // A parent cycle (never reaches a root) and an orphan whose parent is outside the window.
  steps.push_back(Step(5000, "c1", "c2", "cyc1", "tool", "ok"));
  steps.push_back(Step(5001, "c2", "c1", "cyc2", "tool", "ok"));
  steps.push_back(Step(5002, "o1", "missing", "orphan\x1b[2Jname\n", "tool", "ok"));
  json doc = {{"run", {{"run_id", "r"}, {"status", "ok"}}}, {"steps", steps}};
  ASSERT_OK_AND_ASSIGN(std::string out, RenderRunDetail(doc.dump(), {}));
  EXPECT_THAT(out, HasSubstr("deep4999"));
  EXPECT_THAT(out, HasSubstr("cyc1"));
  EXPECT_THAT(out, HasSubstr("cyc2"));
  EXPECT_THAT(out, HasSubstr("orphan [2Jname"));  // control characters neutralized
  EXPECT_THAT(out, Not(HasSubstr("\x1b")));
  // Indentation is capped, so output stays linear in the number of steps.
  EXPECT_LT(out.size(), 5100u * 160u);
  EXPECT_THAT(out, HasSubstr("…[4999] deep4999"));
}

TEST(RenderRunDetailTest, RejectsWrongShape) {
  EXPECT_STATUS(RenderRunDetail("not json", {}), StatusCode::kInvalidArgument);
  EXPECT_STATUS(RenderRunDetail("[1,2]", {}), StatusCode::kInvalidArgument);
  EXPECT_STATUS(RenderRunDetail("{\"steps\": []}", {}), StatusCode::kInvalidArgument);
}

TEST(RenderRunsTableTest, Columns) {
  json doc = {
      {"runs",
       json::array({{{"run_id", "4bf92f3577b34da6a3ce929d0e0e4736"},
                     {"start_time", "2026-01-02T03:04:05.123456789Z"},
                     {"agent_id", "planner"},
                     {"agent_version", "1.2"},
                     {"status", "failed"},
                     {"failure", Failure("tool", "timeout", "s4", false)},
                     {"step_count", 7},
                     {"tokens", {{"total", 123456}}},
                     {"cost_usd", 1.5},
                     {"duration_ms", 125000.0}},
                    {{"run_id", "00000000000000000000000000000001"},
                     {"start_time", "2026-01-02T03:04:06Z"},
                     {"status", "running"},
                     {"failure", nullptr},
                     {"duration_ms", nullptr}}})},
      {"next_cursor", "abc"},
      {"total", 9}};
  ASSERT_OK_AND_ASSIGN(std::string out, RenderRunsTable(doc.dump(), {}));
  auto lines = Lines(out);
  ASSERT_GE(lines.size(), 5u);
  EXPECT_THAT(lines[0], ::testing::StartsWith("TIME"));
  EXPECT_THAT(lines[0], HasSubstr("FAILURE"));
  EXPECT_THAT(lines[1], ::testing::StartsWith("2026-01-02 03:04:05  4bf92f3577b3  planner  1.2"));
  EXPECT_THAT(lines[1], HasSubstr("tool/timeout"));
  EXPECT_THAT(lines[1], HasSubstr("123,456"));
  EXPECT_THAT(lines[1], HasSubstr("$1.50"));
  EXPECT_THAT(lines[1], HasSubstr("2m05s"));
  EXPECT_THAT(lines[2], HasSubstr("running"));
  EXPECT_THAT(out, HasSubstr("2 of 9 runs"));
  EXPECT_THAT(out, HasSubstr("more: --cursor abc"));
  // Columns line up: "STATUS" header starts where each row's status starts.
  size_t col = lines[0].find("STATUS");
  EXPECT_EQ(lines[1].substr(col, 6), "failed");
  EXPECT_EQ(lines[2].substr(col, 7), "running");
}

TEST(RenderRunsTableTest, EmptyList) {
  ASSERT_OK_AND_ASSIGN(std::string out, RenderRunsTable("{\"runs\":[],\"next_cursor\":null}", {}));
  EXPECT_EQ(out, "no runs match\n");
}

TEST(RenderTablesTest, StatsSessionsAgents) {
  json stats = {{"group_by", "failure_code"},
                {"bucket", nullptr},
                {"rows", json::array({{{"group", "timeout"},
                                       {"runs", 10},
                                       {"ok", 7},
                                       {"failed", 3},
                                       {"success_rate", 0.7},
                                       {"latency_ms", {{"p50", 200.0}, {"p95", 1500.0}, {"p99", 2000.0}}}}})}};
  ASSERT_OK_AND_ASSIGN(std::string s, RenderStatsTable(stats.dump(), {}));
  EXPECT_THAT(s, HasSubstr("FAILURE CODE"));
  EXPECT_THAT(s, HasSubstr("timeout"));
  EXPECT_THAT(s, HasSubstr("70.0%"));
  EXPECT_THAT(s, HasSubstr("1.50s"));
  json sessions = {{"sessions", json::array({{{"session_id", "sess-1"}, {"user_id", "u1"}, {"run_count", 4}}})},
                   {"next_cursor", nullptr}};
  ASSERT_OK_AND_ASSIGN(std::string ss, RenderSessionsTable(sessions.dump(), {}));
  EXPECT_THAT(ss, HasSubstr("sess-1"));
  EXPECT_THAT(ss, HasSubstr("u1"));
  json agents = {{"agents", json::array({{{"agent_id", "planner"}, {"versions", {"1.0", "1.1"}}, {"runs", 3}}})}};
  ASSERT_OK_AND_ASSIGN(std::string a, RenderAgentsTable(agents.dump(), {}));
  EXPECT_THAT(a, HasSubstr("planner"));
  EXPECT_THAT(a, HasSubstr("1.0, 1.1"));
}

TEST(RenderHelpersTest, Formats) {
  EXPECT_EQ(FormatDurationMs(850), "850ms");
  EXPECT_EQ(FormatDurationMs(1250), "1.25s");
  EXPECT_EQ(FormatDurationMs(125000), "2m05s");
  EXPECT_EQ(FormatDurationMs(3720000), "1h02m");
  EXPECT_EQ(FormatDurationMs(-1), "-");
  EXPECT_EQ(FormatCost(0), "-");
  EXPECT_EQ(FormatCost(0.0123), "$0.0123");
  EXPECT_EQ(FormatCost(12.5), "$12.50");
  EXPECT_EQ(DisplayWidth("abc"), 3u);
  EXPECT_EQ(DisplayWidth("└─ ✗"), 4u);
  EXPECT_EQ(DisplayWidth("\x1b[31mred\x1b[0m"), 3u);
}

TEST(RenderHelpersTest, PrettyJsonIsStable) {
  ASSERT_OK_AND_ASSIGN(std::string a, PrettyJson("{\"b\":1,\"a\":[1,2]}"));
  ASSERT_OK_AND_ASSIGN(std::string b, PrettyJson("{ \"b\" : 1 , \"a\" : [ 1 , 2 ] }"));
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.back(), '\n');
  EXPECT_LT(a.find("\"b\""), a.find("\"a\""));  // document order is kept
  EXPECT_STATUS(PrettyJson("{"), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tracery::cli
