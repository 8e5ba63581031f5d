#include "cli/cli.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "core/compression.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "server/server.h"
#include "store/store.h"
#include "testing/testing.h"

namespace tracery::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using nlohmann::json;

struct CliResult {
  int code = -1;
  std::string out;
  std::string err;
};

CliResult RunCli(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
  std::ostringstream out, err;
  Io io{out, err, std::move(env), false, nullptr};
  CliResult r;
  r.code = Run(args, io);
  r.out = out.str();
  r.err = err.str();
  return r;
}

std::string WriteFile(const std::string& dir, const std::string& name, const std::string& data) {
  std::string path = dir + "/" + name;
  std::ofstream(path, std::ios::binary) << data;
  return path;
}

// ---- OTLP fixtures: one agent run with an LLM call and a failing tool call. ----

struct SpanSpec {
  std::string span_id;  // 16 hex
  std::string parent;   // "" for root
  std::string name;
  std::vector<std::pair<std::string, std::string>> str_attrs;
  std::vector<std::pair<std::string, int64_t>> int_attrs;
  bool error = false;
  uint64_t start_ns;
  uint64_t end_ns;
};

std::vector<SpanSpec> AgentRun() {
  const uint64_t t0 = 1767225600000000000ull;  // 2026-01-01T00:00:00Z
  return {
      {"1000000000000001", "", "invoke_agent planner",
       {{"gen_ai.operation.name", "invoke_agent"}, {"gen_ai.agent.name", "planner"}}, {}, true, t0,
       t0 + 3'000'000'000},
      {"1000000000000002", "1000000000000001", "chat gpt-4o",
       {{"gen_ai.operation.name", "chat"}, {"gen_ai.request.model", "gpt-4o"}},
       {{"gen_ai.usage.input_tokens", 100}, {"gen_ai.usage.output_tokens", 20}}, false, t0 + 100'000'000,
       t0 + 900'000'000},
      {"1000000000000003", "1000000000000001", "execute_tool search",
       {{"gen_ai.operation.name", "execute_tool"}, {"gen_ai.tool.name", "search"}}, {}, true, t0 + 1'000'000'000,
       t0 + 2'000'000'000},
  };
}

std::string TraceJson(const std::string& trace_id, const std::vector<SpanSpec>& spans) {
  json js = json::array();
  for (const auto& s : spans) {
    json attrs = json::array();
    for (const auto& [k, v] : s.str_attrs) attrs.push_back({{"key", k}, {"value", {{"stringValue", v}}}});
    for (const auto& [k, v] : s.int_attrs) attrs.push_back({{"key", k}, {"value", {{"intValue", std::to_string(v)}}}});
    json span = {{"traceId", trace_id},
                 {"spanId", s.span_id},
                 {"name", s.name},
                 {"kind", 1},
                 {"startTimeUnixNano", std::to_string(s.start_ns)},
                 {"endTimeUnixNano", std::to_string(s.end_ns)},
                 {"attributes", attrs},
                 {"status", s.error ? json{{"code", 2}, {"message", "boom"}} : json::object()}};
    if (!s.parent.empty()) span["parentSpanId"] = s.parent;
    js.push_back(span);
  }
  json doc = {{"resourceSpans",
               json::array({{{"resource",
                              {{"attributes", json::array({{{"key", "service.name"},
                                                            {"value", {{"stringValue", "cli-test"}}}}})}}},
                             {"scopeSpans", json::array({{{"scope", {{"name", "test"}}}, {"spans", js}}})}}})}};
  return doc.dump();
}

std::string RawHex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  return out;
}

std::string TraceProto(const std::string& trace_id, const std::vector<SpanSpec>& spans) {
  opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest req;
  auto* rs = req.add_resource_spans();
  auto* attr = rs->mutable_resource()->add_attributes();
  attr->set_key("service.name");
  attr->mutable_value()->set_string_value("cli-test");
  auto* ss = rs->add_scope_spans();
  ss->mutable_scope()->set_name("test");
  for (const auto& s : spans) {
    auto* span = ss->add_spans();
    span->set_trace_id(RawHex(trace_id));
    span->set_span_id(RawHex(s.span_id));
    if (!s.parent.empty()) span->set_parent_span_id(RawHex(s.parent));
    span->set_name(s.name);
    span->set_kind(opentelemetry::proto::trace::v1::Span::SPAN_KIND_INTERNAL);
    span->set_start_time_unix_nano(s.start_ns);
    span->set_end_time_unix_nano(s.end_ns);
    for (const auto& [k, v] : s.str_attrs) {
      auto* a = span->add_attributes();
      a->set_key(k);
      a->mutable_value()->set_string_value(v);
    }
    for (const auto& [k, v] : s.int_attrs) {
      auto* a = span->add_attributes();
      a->set_key(k);
      a->mutable_value()->set_int_value(v);
    }
    if (s.error) {
      span->mutable_status()->set_code(opentelemetry::proto::trace::v1::Status::STATUS_CODE_ERROR);
      span->mutable_status()->set_message("boom");
    }
  }
  return req.SerializeAsString();
}

const std::string kTraceJson = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1";
const std::string kTraceJsonl1 = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa2";
const std::string kTraceJsonl2 = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa3";
const std::string kTraceProto = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa4";
const std::string kTraceGzip = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa5";

// Writes one file per format; returns their paths.
std::vector<std::string> WriteFixtures(const std::string& dir) {
  return {
      WriteFile(dir, "run.json", TraceJson(kTraceJson, AgentRun())),
      WriteFile(dir, "runs.jsonl", TraceJson(kTraceJsonl1, AgentRun()) + "\n" + TraceJson(kTraceJsonl2, AgentRun()) + "\n"),
      WriteFile(dir, "run.pb", TraceProto(kTraceProto, AgentRun())),
      WriteFile(dir, "run.pb.gz", GzipCompress(TraceProto(kTraceGzip, AgentRun()))),
  };
}

std::set<std::string> RunIds(const std::string& runs_json) {
  std::set<std::string> ids;
  json doc = json::parse(runs_json);
  for (const auto& r : doc.at("runs")) ids.insert(r.at("run_id").get<std::string>());
  return ids;
}

// ---- usage errors: no store needed ----

TEST(CliUsageTest, NoCommandPrintsHelpAndExits2) {
  auto r = RunCli({});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("serve"));
  EXPECT_THAT(r.err, HasSubstr("ingest"));
}

TEST(CliUsageTest, HelpEverywhereExits0) {
  auto top = RunCli({"--help"});
  EXPECT_EQ(top.code, 0);
  EXPECT_THAT(top.out, HasSubstr("runs"));
  for (const char* cmd : {"serve", "ingest", "runs", "show", "stats", "sessions", "agents", "version"}) {
    auto r = RunCli({cmd, "--help"});
    EXPECT_EQ(r.code, 0) << cmd;
    EXPECT_FALSE(r.out.empty()) << cmd;
  }
  auto runs = RunCli({"runs", "--help"});
  EXPECT_THAT(runs.out, HasSubstr("--failure-code"));
  EXPECT_THAT(runs.out, HasSubstr("--server"));
  auto print = RunCli({"config", "print", "--help"});
  EXPECT_EQ(print.code, 0);
  EXPECT_THAT(print.out, HasSubstr("--log-format"));
}

TEST(CliUsageTest, UnknownFlagsAndCommands) {
  auto top = RunCli({"--foo"});
  EXPECT_EQ(top.code, 2);
  EXPECT_EQ(top.err, "tracery: unknown flag --foo\n");
  auto sub = RunCli({"runs", "--foo=3"});
  EXPECT_EQ(sub.code, 2);
  EXPECT_EQ(sub.err, "tracery runs: unknown flag --foo\n");
  auto cmd = RunCli({"bogus"});
  EXPECT_EQ(cmd.code, 2);
  EXPECT_THAT(cmd.err, HasSubstr("tracery: unknown command \"bogus\""));
  auto stray = RunCli({"runs", "extra"});
  EXPECT_EQ(stray.code, 2);
  EXPECT_THAT(stray.err, HasSubstr("tracery runs: unexpected argument \"extra\""));
  auto nested = RunCli({"config", "print", "--nope"});
  EXPECT_EQ(nested.code, 2);
  EXPECT_THAT(nested.err, HasSubstr("tracery config print: unknown flag --nope"));
}

TEST(CliUsageTest, BadFlagValuesExit2BeforeTouchingData) {
  struct Case {
    std::vector<std::string> args;
    const char* want;
  };
  for (const Case& c : {
           Case{{"runs", "--status", "bad"},
                "tracery runs: invalid --status \"bad\": expected one of running, ok, failed, partial, abandoned"},
           Case{{"runs", "--status", "ok,nope"}, "invalid --status \"nope\""},
           Case{{"runs", "--failure-type", "cosmic"}, "tracery runs: invalid --failure-type \"cosmic\""},
           Case{{"runs", "--sort", "random"}, "tracery runs: invalid --sort \"random\""},
           Case{{"runs", "--limit", "0"}, "tracery runs: invalid --limit \"0\": expected an integer in 1..1000"},
           Case{{"runs", "--limit", "ten"}, "invalid --limit \"ten\""},
           Case{{"runs", "--color", "sometimes"}, "tracery runs: invalid --color \"sometimes\""},
           Case{{"stats", "--group-by", "colour"}, "tracery stats: invalid --group-by \"colour\""},
           Case{{"show", "abc", "--offset", "-1"}, "tracery show: invalid --offset \"-1\""},
           Case{{"show", "../etc/passwd"}, "tracery show: invalid run id \"../etc/passwd\""},
           Case{{"sessions", "--limit", "5000"}, "tracery sessions: invalid --limit \"5000\""},
           Case{{"runs", "--server", "ftp://x"}, "tracery runs: invalid server URL \"ftp://x\""},
           Case{{"config", "print", "--log-level", "loud"}, "tracery config print: flag --log-level: invalid log level"},
           Case{{"config", "print", "--http", "nowhere"}, "flag --http: invalid address \"nowhere\""},
       }) {
    auto r = RunCli(c.args, {{"TRACERY_DATA_DIR", "/nonexistent/tracery"}});
    EXPECT_EQ(r.code, 2) << c.args[0] << " " << c.args[1];
    EXPECT_THAT(r.err, HasSubstr(c.want));
  }
}

TEST(CliUsageTest, MissingArgumentsExit2) {
  auto show = RunCli({"show"});
  EXPECT_EQ(show.code, 2);
  EXPECT_THAT(show.err, HasSubstr("tracery show:"));
  EXPECT_THAT(show.err, HasSubstr("RUN_ID"));
  auto ingest = RunCli({"ingest"});
  EXPECT_EQ(ingest.code, 2);
  EXPECT_THAT(ingest.err, HasSubstr("FILE"));
  auto limit = RunCli({"runs", "--limit"});
  EXPECT_EQ(limit.code, 2);
  EXPECT_THAT(limit.err, HasSubstr("--limit"));
  auto config = RunCli({"config"});
  EXPECT_EQ(config.code, 2);
}

TEST(CliUsageTest, BadEnvironmentIsAUsageError) {
  auto r = RunCli({"config", "print"}, {{"TRACERY_GRPC", "sideways"}});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("environment TRACERY_GRPC"));
}

TEST(CliTest, Version) {
  auto r = RunCli({"version"});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, ::testing::MatchesRegex("tracery [0-9]+\\.[0-9]+\\.[0-9]+\n"));
}

TEST(CliTest, ConfigPrintShowsEffectiveConfigWithSources) {
  testing::TempDir dir;
  std::string file = WriteFile(dir.path(), "c.yaml", "data_dir: /srv/tracery\nlog:\n  level: debug\n");
  auto r = RunCli({"config", "print", "--config", file, "--http", "0.0.0.0:8080"},
                  {{"TRACERY_API_KEYS", "averylongsecretkey:ingest"}, {"TRACERY_LOG_LEVEL", "error"}});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("data_dir: \"/srv/tracery\"  # file"));
  EXPECT_THAT(r.out, HasSubstr("http: \"0.0.0.0:8080\"  # flag"));
  EXPECT_THAT(r.out, HasSubstr("level: error  # env"));
  EXPECT_THAT(r.out, HasSubstr("format: text  # default"));
  EXPECT_THAT(r.out, Not(HasSubstr("averylongsecretkey")));
}

TEST(CliTest, ConfigUnknownKeyIsReportedWithLine) {
  testing::TempDir dir;
  std::string file = WriteFile(dir.path(), "config.yaml", "store:\n  max_queue_byte: 5\n");
  auto r = RunCli({"config", "print", "--config", file});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("config.yaml:2: unknown key \"store.max_queue_byte\""));
}

TEST(CliTest, ReadingAMissingDataDirFails) {
  testing::TempDir dir;
  auto r = RunCli({"runs", "--data-dir", dir.path() + "/none"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("tracery runs: no tracery data in"));
}

// ---- ingest + read through a data dir ----

TEST(CliIngestTest, AllFormatsIntoDataDirThenRunsAndShow) {
  testing::TempDir dir;
  std::string data = dir.path() + "/data";
  auto files = WriteFixtures(dir.path());
  std::vector<std::string> args = {"ingest", "--data-dir", data, "--json"};
  args.insert(args.end(), files.begin(), files.end());
  auto ingest = RunCli(args);
  ASSERT_EQ(ingest.code, 0) << ingest.err;
  json summary = json::parse(ingest.out);
  EXPECT_EQ(summary["files"], 4);
  EXPECT_EQ(summary["files_failed"], 0);
  EXPECT_EQ(summary["spans_accepted"], 15);
  EXPECT_EQ(summary["spans_rejected"], 0);
  EXPECT_EQ(summary["runs_touched"], 5);

  auto runs = RunCli({"runs", "--data-dir", data, "--json"});
  ASSERT_EQ(runs.code, 0) << runs.err;
  EXPECT_EQ(RunIds(runs.out), (std::set<std::string>{kTraceJson, kTraceJsonl1, kTraceJsonl2, kTraceProto, kTraceGzip}));
  json list = json::parse(runs.out);
  for (const auto& r : list["runs"]) {
    EXPECT_EQ(r["step_count"], 3);
    EXPECT_EQ(r["llm_count"], 1);
    EXPECT_EQ(r["status"], "failed");
  }

  auto show = RunCli({"show", kTraceProto, "--data-dir", data, "--json"});
  ASSERT_EQ(show.code, 0) << show.err;
  json detail = json::parse(show.out);
  EXPECT_EQ(detail["run"]["run_id"], kTraceProto);
  ASSERT_EQ(detail["steps"].size(), 3u);
  EXPECT_EQ(detail["steps"][0]["name"], "invoke_agent planner");

  // Upper-case ids are accepted.
  std::string upper = kTraceProto;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(RunCli({"show", upper, "--data-dir", data, "--json"}).out, show.out);

  auto table = RunCli({"show", kTraceJson, "--data-dir", data});
  ASSERT_EQ(table.code, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr("Status    failed"));
  EXPECT_THAT(table.out, HasSubstr("invoke_agent planner"));
  EXPECT_THAT(table.out, HasSubstr("├─ chat gpt-4o"));
  EXPECT_THAT(table.out, HasSubstr("└─ execute_tool search"));
  EXPECT_THAT(table.out, HasSubstr("✗ FAILED"));
  EXPECT_THAT(table.out, Not(HasSubstr("\x1b[")));

  auto colored = RunCli({"show", kTraceJson, "--data-dir", data, "--color=always"});
  EXPECT_THAT(colored.out, HasSubstr("\x1b[31m"));

  auto filtered = RunCli({"runs", "--data-dir", data, "--status", "ok", "--json"});
  ASSERT_EQ(filtered.code, 0) << filtered.err;
  EXPECT_TRUE(RunIds(filtered.out).empty());

  auto runs_table = RunCli({"runs", "--data-dir", data});
  ASSERT_EQ(runs_table.code, 0) << runs_table.err;
  EXPECT_THAT(runs_table.out, HasSubstr(kTraceJson.substr(0, 12)));
  EXPECT_THAT(runs_table.out, Not(HasSubstr(kTraceJson)));

  for (const char* cmd : {"stats", "sessions", "agents"}) {
    auto r = RunCli({cmd, "--data-dir", data, "--json"});
    EXPECT_EQ(r.code, 0) << cmd << ": " << r.err;
    EXPECT_NO_THROW(json::parse(r.out)) << cmd;
    auto t = RunCli({cmd, "--data-dir", data});
    EXPECT_EQ(t.code, 0) << cmd << ": " << t.err;
  }
  auto agents = RunCli({"agents", "--data-dir", data});
  EXPECT_THAT(agents.out, HasSubstr("planner"));
}

TEST(CliIngestTest, ReingestIsIdempotent) {
  testing::TempDir dir;
  std::string data = dir.path() + "/data";
  std::string file = WriteFile(dir.path(), "run.json", TraceJson(kTraceJson, AgentRun()));
  ASSERT_EQ(RunCli({"ingest", "--data-dir", data, file}).code, 0);
  auto again = RunCli({"ingest", "--data-dir", data, "--json", file});
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(json::parse(again.out)["steps_duplicate"], 3);
  auto runs = RunCli({"runs", "--data-dir", data, "--json"});
  EXPECT_EQ(json::parse(runs.out)["runs"].size(), 1u);
}

TEST(CliIngestTest, BadFilesAreNamedAndOthersStillLoad) {
  testing::TempDir dir;
  std::string data = dir.path() + "/data";
  std::string good = WriteFile(dir.path(), "good.json", TraceJson(kTraceJson, AgentRun()));
  std::string bad_json = WriteFile(dir.path(), "bad.json", "{\"resourceSpans\": [ {\"scopeSpans\": 7 ");
  std::string bad_line = WriteFile(dir.path(), "bad.jsonl",
                                   TraceJson(kTraceJsonl1, AgentRun()) + "\n{\"resourceSpans\": 5}\n");
  std::string garbage = WriteFile(dir.path(), "garbage.pb", std::string("\xff\xff\xff\xff\xff\x07", 6));
  std::string empty = WriteFile(dir.path(), "empty.json", "");
  std::string missing = dir.path() + "/missing.json";
  auto r = RunCli({"ingest", "--data-dir", data, bad_json, good, bad_line, garbage, empty, missing, dir.path()});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("tracery ingest: " + bad_json + ": decode"));
  EXPECT_THAT(r.err, HasSubstr("tracery ingest: " + bad_line + ": line 2: decode"));
  EXPECT_THAT(r.err, HasSubstr("tracery ingest: " + garbage + ": decode"));
  EXPECT_THAT(r.err, HasSubstr("tracery ingest: " + empty + ": empty file"));
  EXPECT_THAT(r.err, HasSubstr("tracery ingest: " + missing + ": cannot open file"));
  EXPECT_THAT(r.err, HasSubstr("tracery ingest: " + dir.path() + ": is a directory"));
  EXPECT_THAT(r.err, HasSubstr("[2/7] " + good + ": 3 spans"));  // progress for many files
  EXPECT_THAT(r.out, HasSubstr("7 files (6 failed): 6 spans accepted"));
  auto runs = RunCli({"runs", "--data-dir", data, "--json"});
  EXPECT_EQ(RunIds(runs.out), (std::set<std::string>{kTraceJson, kTraceJsonl1}));
}

TEST(CliIngestTest, JsonLinesWithLogsAndTraces) {
  testing::TempDir dir;
  json record = {{"timeUnixNano", "1767225600500000000"},
                 {"traceId", kTraceJson},
                 {"spanId", "1000000000000002"},
                 {"eventName", "app.note"},
                 {"severityNumber", 9},
                 {"body", {{"stringValue", "hello"}}}};
  json logs = {{"resourceLogs",
                json::array({{{"resource", json::object()},
                              {"scopeLogs", json::array({{{"scope", {{"name", "test"}}},
                                                          {"logRecords", json::array({record})}}})}}})}};
  std::string file =
      WriteFile(dir.path(), "mixed.jsonl", TraceJson(kTraceJson, AgentRun()) + "\n" + logs.dump() + "\n");
  auto r = RunCli({"ingest", "--data-dir", dir.path() + "/data", "--json", file});
  ASSERT_EQ(r.code, 0) << r.err;
  json s = json::parse(r.out);
  EXPECT_EQ(s["spans_accepted"], 3);
  EXPECT_EQ(s["log_records_accepted"], 1);
  EXPECT_EQ(s["runs_touched"], 1);
}

TEST(CliIngestTest, RejectedSpansAreCounted) {
  testing::TempDir dir;
  auto spans = AgentRun();
  spans[2].span_id = "0000000000000000";  // invalid: all-zero span id
  std::string file = WriteFile(dir.path(), "r.json", TraceJson(kTraceJson, spans));
  auto r = RunCli({"ingest", "--data-dir", dir.path() + "/data", "--json", file});
  ASSERT_EQ(r.code, 0) << r.err;
  json s = json::parse(r.out);
  EXPECT_EQ(s["spans_accepted"], 2);
  EXPECT_EQ(s["spans_rejected"], 1);
}

TEST(CliIngestTest, ConfiguredPrivacyIsApplied) {
  testing::TempDir dir;
  std::string data = dir.path() + "/data";
  auto spans = AgentRun();
  spans[1].str_attrs.push_back({"gen_ai.input.messages",
                                R"([{"role":"user","parts":[{"type":"text","content":"mail bob@example.com"}]}])"});
  std::string file = WriteFile(dir.path(), "r.json", TraceJson(kTraceJson, spans));
  ASSERT_EQ(RunCli({"ingest", "--data-dir", data, file}, {{"TRACERY_PRIVACY", "metadata-only"}}).code, 0);
  auto show = RunCli({"show", kTraceJson, "--data-dir", data, "--json"});
  ASSERT_EQ(show.code, 0) << show.err;
  json detail = json::parse(show.out);
  for (const auto& step : detail["steps"]) {
    EXPECT_TRUE(step["content"].empty()) << step.dump();
  }
  EXPECT_THAT(show.out, Not(HasSubstr("bob@example.com")));
}

TEST(CliIngestTest, ShowUnknownRunExits1) {
  testing::TempDir dir;
  std::string data = dir.path() + "/data";
  std::string file = WriteFile(dir.path(), "r.json", TraceJson(kTraceJson, AgentRun()));
  ASSERT_EQ(RunCli({"ingest", "--data-dir", data, file}).code, 0);
  auto r = RunCli({"show", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "--data-dir", data});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("tracery show: run \"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\" not found"));
  // A unique prefix finds the run; one that starts no run, or is too short, says so.
  auto prefix = RunCli({"show", "aaaaaaaa", "--data-dir", data, "--json"});
  EXPECT_EQ(prefix.code, 0) << prefix.err;
  EXPECT_THAT(prefix.out, HasSubstr(kTraceJson));
  auto unknown = RunCli({"show", "cccccccc", "--data-dir", data});
  EXPECT_EQ(unknown.code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("no run id starts with it"));
  auto tiny = RunCli({"show", "aaa", "--data-dir", data});
  EXPECT_EQ(tiny.code, 1);
  EXPECT_THAT(tiny.err, HasSubstr("at least 4 hex digits"));
}

// ---- remote mode against a real server ----

class RemoteTest : public ::testing::Test {
 protected:
  void StartServer(std::vector<server::ApiKey> keys = {}) {
    store::SqliteOptions so;
    so.data_dir = dir_.path() + "/data";
    auto store = store::OpenSqliteStore(so);
    ASSERT_OK(store.status());
    store_ = std::move(*store);
    server::ServerOptions opts;
    opts.http_address = "127.0.0.1:0";
    opts.grpc_address = "";
    opts.api_keys = std::move(keys);
    opts.http_threads = 4;
    auto srv = server::CreateServer(opts, {}, store_.get());
    ASSERT_OK(srv.status());
    server_ = std::move(*srv);
    ASSERT_OK(server_->Start());
    url_ = "http://127.0.0.1:" + std::to_string(server_->http_port());
  }
  void StopServer() {
    if (server_) server_->Stop();
    server_.reset();
    if (store_) store_->Close();
    store_.reset();
  }
  void TearDown() override { StopServer(); }

  testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<server::Server> server_;
  std::string url_;
};

TEST_F(RemoteTest, IngestAndReadThroughServerMatchLocalJson) {
  StartServer();
  auto files = WriteFixtures(dir_.path());
  std::vector<std::string> args = {"ingest", "--server", url_, "--json"};
  args.insert(args.end(), files.begin(), files.end());
  auto ingest = RunCli(args);
  ASSERT_EQ(ingest.code, 0) << ingest.err;
  json summary = json::parse(ingest.out);
  EXPECT_EQ(summary["spans_accepted"], 15);
  EXPECT_EQ(summary["runs_touched"], 5);

  auto remote_runs = RunCli({"runs", "--server", url_, "--json", "--limit", "10"});
  ASSERT_EQ(remote_runs.code, 0) << remote_runs.err;
  EXPECT_EQ(RunIds(remote_runs.out).size(), 5u);
  auto remote_show = RunCli({"show", kTraceGzip, "--server", url_ + "/", "--json"});
  ASSERT_EQ(remote_show.code, 0) << remote_show.err;
  auto remote_stats = RunCli({"stats", "--server", url_, "--json", "--group-by", "agent"});
  ASSERT_EQ(remote_stats.code, 0) << remote_stats.err;
  auto remote_table = RunCli({"show", kTraceGzip, "--server", url_});
  ASSERT_EQ(remote_table.code, 0) << remote_table.err;
  auto remote_missing = RunCli({"show", "cccccccccccccccccccccccccccccccc", "--server", url_});
  EXPECT_EQ(remote_missing.code, 1);
  EXPECT_THAT(remote_missing.err, HasSubstr("not found"));
  auto remote_bad = RunCli({"runs", "--server", url_, "--since", "forever"});
  EXPECT_EQ(remote_bad.code, 2);
  EXPECT_THAT(remote_bad.err, HasSubstr("since"));

  StopServer();
  std::string data = dir_.path() + "/data";
  EXPECT_EQ(RunCli({"runs", "--data-dir", data, "--json", "--limit", "10"}).out, remote_runs.out);
  EXPECT_EQ(RunCli({"show", kTraceGzip, "--data-dir", data, "--json"}).out, remote_show.out);
  EXPECT_EQ(RunCli({"stats", "--data-dir", data, "--json", "--group-by", "agent"}).out, remote_stats.out);
  EXPECT_EQ(RunCli({"show", kTraceGzip, "--data-dir", data}).out, remote_table.out);
}

TEST_F(RemoteTest, ApiKeysFromFlagOrEnvironment) {
  StartServer({server::ApiKey{"k-ingest-and-read", true, true}, server::ApiKey{"k-read-only", false, true}});
  std::string file = WriteFile(dir_.path(), "r.json", TraceJson(kTraceJson, AgentRun()));
  auto no_key = RunCli({"runs", "--server", url_});
  EXPECT_EQ(no_key.code, 1);
  EXPECT_THAT(no_key.err, HasSubstr("401"));
  auto read_only = RunCli({"ingest", "--server", url_, "--api-key", "k-read-only", file});
  EXPECT_EQ(read_only.code, 1);
  EXPECT_THAT(read_only.err, HasSubstr("403"));
  auto ok = RunCli({"ingest", "--server", url_, file}, {{"TRACERY_API_KEY", "k-ingest-and-read"}});
  EXPECT_EQ(ok.code, 0) << ok.err;
  auto runs = RunCli({"runs", "--server", url_, "--json", "--api-key", "k-read-only"});
  ASSERT_EQ(runs.code, 0) << runs.err;
  EXPECT_EQ(RunIds(runs.out), std::set<std::string>{kTraceJson});
}

TEST(CliRemoteTest, UnreachableServerFails) {
  // Port 1 on loopback is never a tracery server.
  auto r = RunCli({"runs", "--server", "http://127.0.0.1:1"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("cannot reach http://127.0.0.1:1"));
}

// ---- serve ----

TEST(CliServeTest, ServesUntilSigtermThenExits0) {
  testing::TempDir dir;
  std::mutex mu;
  std::condition_variable cv;
  int port = 0;
  std::ostringstream out, err;
  Io io{out, err, {}, false, [&](int http_port, int) {
          std::lock_guard<std::mutex> lock(mu);
          port = http_port;
          cv.notify_all();
        }};
  int code = -1;
  std::thread t([&] {
    code = cli::Run({"serve", "--data-dir", dir.path() + "/data", "--http", "127.0.0.1:0", "--grpc", "off",
                "--log-level", "error"},
               io);
    std::lock_guard<std::mutex> lock(mu);
    cv.notify_all();
  });
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, std::chrono::seconds(30), [&] { return port != 0 || code != -1; });
  }
  ASSERT_NE(port, 0) << err.str();
  httplib::Client client("127.0.0.1", port);
  auto res = client.Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  std::raise(SIGTERM);  // our handler only sets a flag; the watcher stops the server
  t.join();
  EXPECT_EQ(code, 0) << err.str();
  // The data dir was created and closed cleanly: it can be opened for reading.
  EXPECT_EQ(RunCli({"runs", "--data-dir", dir.path() + "/data", "--json"}).code, 0);
}

TEST(CliServeTest, StartupErrorsExit1) {
  testing::TempDir dir;
  // Occupy a port with a plain listening socket (no SO_REUSEPORT, so nobody can share it).
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd, 4), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  int port = ntohs(addr.sin_port);
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{fd};
  auto in_use = RunCli({"serve", "--data-dir", dir.path() + "/a", "--http", "127.0.0.1:" + std::to_string(port),
                        "--grpc", "off", "--log-level", "error"});
  EXPECT_EQ(in_use.code, 1);
  EXPECT_THAT(in_use.err, HasSubstr("tracery serve:"));
  EXPECT_THAT(in_use.err, HasSubstr(std::to_string(port)));

  auto open_no_keys = RunCli({"serve", "--data-dir", dir.path() + "/b", "--http", "0.0.0.0:0", "--grpc", "off",
                              "--log-level", "error"});
  EXPECT_EQ(open_no_keys.code, 1);
  EXPECT_THAT(open_no_keys.err, HasSubstr("tracery serve:"));

  std::string file = WriteFile(dir.path(), "not-a-dir", "x");
  auto bad_dir = RunCli({"serve", "--data-dir", file, "--http", "127.0.0.1:0", "--grpc", "off", "--log-level", "error"});
  EXPECT_EQ(bad_dir.code, 1);
  EXPECT_THAT(bad_dir.err, HasSubstr("cannot open data dir"));
}

}  // namespace
}  // namespace tracery::cli
