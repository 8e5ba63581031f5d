// SDK behaviour against an in-process fake collector (decoded with libprotobuf).
#include <gtest/gtest.h>

#include <map>
#include <stdexcept>

#include "test_util.h"
#include "tracery_sdk/tracery_sdk.h"

namespace tracery_sdk {
namespace {

using testing::FakeCollector;
using testing::FindAttr;
using Span = opentelemetry::proto::trace::v1::Span;

TracerOptions Options(const std::string& endpoint) {
  TracerOptions o;
  o.agent_id = "support-bot";
  o.agent_version = "1.4.2";
  o.environment = "staging";
  o.endpoint = endpoint;
  o.schedule_delay = std::chrono::milliseconds(20);
  o.backoff_base = std::chrono::milliseconds(10);
  o.backoff_max = std::chrono::milliseconds(5000);
  o.log_errors = false;
  return o;
}

std::map<std::string, Span> ByName(const std::vector<Span>& spans) {
  std::map<std::string, Span> out;
  for (const auto& s : spans) out[s.name()] = s;
  return out;
}

std::string Hex(const std::string& bytes) {
  return ToHex(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}

TEST(ExporterTest, RetryAfterIsHonouredOn503) {
  FakeCollector collector([](int n, httplib::Response* res) {
    if (n == 0) {
      res->set_header("Retry-After", "1");
      return 503;
    }
    return 200;
  });
  auto o = Options(collector.base());
  o.api_key = "k-123";
  Tracer tracer(o);
  { tracery_sdk::Run run = tracer.StartRun("r"); }
  ASSERT_TRUE(tracer.Flush(std::chrono::seconds(10)));
  const auto got = collector.received();
  ASSERT_EQ(got.size(), 2u);
  // Backoff alone would be <= 10 ms; the server asked for 1 s.
  EXPECT_GE(got[1].at - got[0].at, std::chrono::milliseconds(950));
  EXPECT_EQ(got[1].request.resource_spans(0).scope_spans(0).spans_size(), 1);
  auto header = [&](const char* k) {
    auto it = got[1].headers.find(k);
    return it == got[1].headers.end() ? std::string() : it->second;
  };
  EXPECT_EQ(header("Content-Type"), "application/x-protobuf");
  EXPECT_EQ(header("Content-Encoding"), "gzip");
  EXPECT_EQ(header("Authorization"), "Bearer k-123");
  EXPECT_EQ(header("User-Agent").rfind("tracery-sdk-cpp/", 0), 0u);
  const auto stats = tracer.Stats();
  EXPECT_EQ(stats.retries, 1u);
  EXPECT_EQ(stats.export_attempts, 2u);
  EXPECT_EQ(stats.spans_exported, 1u);
  EXPECT_EQ(stats.spans_dropped, 0u);
}

TEST(ExporterTest, BadRequestIsNotRetried) {
  FakeCollector collector([](int, httplib::Response* res) {
    res->set_content("bad ids", "text/plain");
    return 400;
  });
  Tracer tracer(Options(collector.base()));
  { tracery_sdk::Run run = tracer.StartRun("r"); }
  EXPECT_TRUE(tracer.Flush(std::chrono::seconds(10)));
  EXPECT_EQ(collector.requests(), 1);
  const auto stats = tracer.Stats();
  EXPECT_EQ(stats.spans_dropped_export, 1u);
  EXPECT_NE(stats.last_error.find("http 400"), std::string::npos) << stats.last_error;
  EXPECT_NE(stats.last_error.find("bad ids"), std::string::npos) << stats.last_error;
}

TEST(ExporterTest, ServerDownNeverThrowsAndCountsDrops) {
  auto o = Options("http://127.0.0.1:9");  // discard port: nothing listens
  o.max_retries = 2;
  o.export_timeout = std::chrono::milliseconds(500);
  Tracer tracer(o);
  EXPECT_NO_THROW({
    tracery_sdk::Run run = tracer.StartRun("down");
    Step s = run.StartStep(StepType::kTool, "t");
    s.Set("k", 1);
  });
  EXPECT_TRUE(tracer.Flush(std::chrono::seconds(10)));
  const auto stats = tracer.Stats();
  EXPECT_EQ(stats.spans_dropped_export, 2u);
  EXPECT_EQ(stats.retries, 2u);
  EXPECT_EQ(stats.export_attempts, 3u);
  EXPECT_FALSE(stats.last_error.empty());
}

TEST(ExporterTest, EndpointPathPrefixIsKept) {
  FakeCollector collector;
  Tracer tracer(Options(collector.base() + "/otlp/"));
  { tracery_sdk::Run run = tracer.StartRun("r"); }
  ASSERT_TRUE(tracer.Flush(std::chrono::seconds(10)));
  ASSERT_EQ(collector.received().size(), 1u);
  EXPECT_EQ(collector.received()[0].path, "/otlp/v1/traces");
}

TEST(ExporterTest, GarbageEndpointsNeverThrow) {
  for (const char* endpoint : {"", "not a url at all", "http://[::1", "ftp://x:99999999/",
                               "http://127.0.0.1:notaport"}) {
    auto o = Options(endpoint);
    o.max_retries = 1;
    o.export_timeout = std::chrono::milliseconds(300);
    Tracer tracer(o);
    EXPECT_NO_THROW({ tracery_sdk::Run run = tracer.StartRun("r"); }) << endpoint;
    EXPECT_TRUE(tracer.Flush(std::chrono::seconds(10))) << endpoint;
    EXPECT_EQ(tracer.Stats().spans_dropped_export, 1u) << endpoint;
    EXPECT_FALSE(tracer.Stats().last_error.empty()) << endpoint;
  }
}

TEST(ExporterTest, FullQueueDropsAndCounts) {
  FakeCollector collector;
  auto o = Options(collector.base());
  o.max_queue_size = 2;
  o.schedule_delay = std::chrono::seconds(30);  // nothing leaves the queue until Flush
  Tracer tracer(o);
  {
    tracery_sdk::Run run = tracer.StartRun("q");
    for (int i = 0; i < 5; ++i) run.StartStep(StepType::kTool, "t" + std::to_string(i));
  }
  EXPECT_EQ(tracer.Stats().spans_dropped_queue_full, 4u);  // 6 spans, 2 fit
  ASSERT_TRUE(tracer.Flush(std::chrono::seconds(10)));
  EXPECT_EQ(collector.spans().size(), 2u);
  EXPECT_EQ(tracer.Stats().spans_dropped, 4u);
}

TEST(ExporterTest, StepsAfterShutdownAndStepsOutlivingTheTracerAreDropped) {
  FakeCollector collector;
  Step survivor;
  ExportStats stats;
  {
    Tracer tracer(Options(collector.base()));
    tracery_sdk::Run run = tracer.StartRun("r");
    survivor = run.StartStep(StepType::kTool, "late");
    EXPECT_TRUE(tracer.Shutdown());
    run.End();
    stats = tracer.Stats();
  }
  EXPECT_EQ(stats.spans_dropped_queue_full, 1u);
  survivor.Set("still", "fine");
  survivor.End();  // tracer gone: no crash
  EXPECT_TRUE(collector.spans().empty());
}

TEST(ApiTest, NestingAttributesAndResource) {
  FakeCollector collector;
  Tracer tracer(Options(collector.base()));
  std::string run_id;
  {
    tracery_sdk::Run run = tracer.StartRun("refund", {"sess-1", "u-9", {"vip", "eu"}, R"({"ticket":1})", ""});
    run_id = run.id();
    {
      Step tool = run.StartStep(StepType::kTool, "billing_api");
      Step inner = run.StartStep(StepType::kRetrieval, "kb");  // nests under the open tool step
      Step child = inner.StartStep(StepType::kLlm, "chat");
      child.SetModel("gpt-4o", "openai").SetTokens({120, 30, {}, 5, {}, {}}).SetCost(0.5);
      child.SetInput(R"([{"role":"user","content":"hi"}])", ContentKind::kJson);
      tool.SetInput("{\"id\":1}").SetOutput("ok");
      tool.Set("order_id", 7).Set("ratio", 0.5).Set("ok", true).Set("ids", {"a", "b"});
      tool.Set("order_id", 8);  // replaces
    }
    Step after = run.StartStep(StepType::kRespond, "answer");  // back under the run
  }
  ASSERT_TRUE(tracer.Flush(std::chrono::seconds(10)));
  const auto spans = ByName(collector.spans());
  ASSERT_EQ(spans.size(), 5u);
  const auto& root = spans.at("refund");
  EXPECT_EQ(Hex(root.trace_id()), run_id);
  EXPECT_TRUE(root.parent_span_id().empty());
  EXPECT_EQ(FindAttr(root, "tracery.step.type")->string_value(), "agent");
  EXPECT_EQ(FindAttr(root, "tracery.agent.id")->string_value(), "support-bot");
  EXPECT_EQ(FindAttr(root, "tracery.environment")->string_value(), "staging");
  EXPECT_EQ(FindAttr(root, "session.id")->string_value(), "sess-1");
  EXPECT_EQ(FindAttr(root, "tag.tags")->array_value().values(1).string_value(), "eu");
  EXPECT_EQ(root.status().code(), opentelemetry::proto::trace::v1::Status::STATUS_CODE_OK);
  EXPECT_EQ(spans.at("billing_api").parent_span_id(), root.span_id());
  EXPECT_EQ(spans.at("kb").parent_span_id(), spans.at("billing_api").span_id());
  EXPECT_EQ(spans.at("chat").parent_span_id(), spans.at("kb").span_id());
  EXPECT_EQ(spans.at("answer").parent_span_id(), root.span_id());
  const auto& tool = spans.at("billing_api");
  EXPECT_EQ(FindAttr(tool, "gen_ai.tool.name")->string_value(), "billing_api");
  EXPECT_EQ(FindAttr(tool, "order_id")->int_value(), 8);
  EXPECT_EQ(FindAttr(tool, "ratio")->double_value(), 0.5);
  EXPECT_TRUE(FindAttr(tool, "ok")->bool_value());
  EXPECT_EQ(FindAttr(tool, "ids")->array_value().values_size(), 2);
  EXPECT_EQ(FindAttr(tool, "gen_ai.tool.call.arguments")->string_value(), "{\"id\":1}");
  EXPECT_EQ(FindAttr(tool, "gen_ai.tool.call.result")->string_value(), "ok");
  const auto& chat = spans.at("chat");
  EXPECT_EQ(FindAttr(chat, "gen_ai.operation.name")->string_value(), "chat");
  EXPECT_EQ(FindAttr(chat, "gen_ai.usage.input_tokens")->int_value(), 120);
  EXPECT_EQ(FindAttr(chat, "gen_ai.usage.cache_read.input_tokens")->int_value(), 5);
  EXPECT_EQ(FindAttr(chat, "gen_ai.usage.total_tokens"), nullptr);
  EXPECT_EQ(FindAttr(chat, "gen_ai.provider.name")->string_value(), "openai");
  EXPECT_NE(FindAttr(chat, "gen_ai.input.messages"), nullptr);
  const auto rs = collector.received()[0].request.resource_spans(0).resource();
  std::map<std::string, std::string> res;
  for (const auto& kv : rs.attributes()) res[kv.key()] = kv.value().string_value();
  EXPECT_EQ(res["service.name"], "support-bot");
  EXPECT_EQ(res["deployment.environment.name"], "staging");
  EXPECT_EQ(res["telemetry.sdk.language"], "cpp");
}

TEST(ApiTest, RetryRethrowsTheLastExceptionAndLinksAttempts) {
  FakeCollector collector;
  Tracer tracer(Options(collector.base()));
  int calls = 0;
  {
    tracery_sdk::Run run = tracer.StartRun("r");
    EXPECT_THROW(run.Retry([&] { ++calls; throw std::runtime_error("boom " + std::to_string(calls)); },
                           {2, StepType::kTool, "flaky", {}}),
                 std::runtime_error);
    // fn(Step&) that marks its step failed is retried too; no exceptions needed.
    const int v = run.Retry(
        [&](Step& s) {
          ++calls;
          if (calls < 4) s.Fail("tool", "bad_output", "empty");
          return calls;
        },
        {3, StepType::kTool, "checked", {}});
    EXPECT_EQ(v, 4);
  }
  EXPECT_EQ(calls, 4);
  ASSERT_TRUE(tracer.Flush(std::chrono::seconds(10)));
  std::vector<Span> flaky, checked;
  for (const auto& s : collector.spans()) {
    if (s.name() == "flaky") flaky.push_back(s);
    if (s.name() == "checked") checked.push_back(s);
  }
  ASSERT_EQ(flaky.size(), 2u);
  ASSERT_EQ(checked.size(), 2u);
  auto by_attempt = [](std::vector<Span>& v) {
    std::sort(v.begin(), v.end(), [](const Span& a, const Span& b) {
      return FindAttr(a, "tracery.step.attempt")->int_value() <
             FindAttr(b, "tracery.step.attempt")->int_value();
    });
  };
  by_attempt(flaky);
  by_attempt(checked);
  EXPECT_EQ(FindAttr(flaky[0], "tracery.step.retry_of"), nullptr);
  EXPECT_EQ(FindAttr(flaky[1], "tracery.step.retry_of")->string_value(), Hex(flaky[0].span_id()));
  EXPECT_EQ(flaky[1].events(0).name(), "exception");
  EXPECT_EQ(FindAttr(flaky[1], "tracery.step.attempt")->int_value(), 2);
  for (const Span& s : flaky) EXPECT_EQ(FindAttr(s, "tracery.step.max_attempts")->int_value(), 2);
  for (const Span& s : checked) EXPECT_EQ(FindAttr(s, "tracery.step.max_attempts")->int_value(), 3);
  EXPECT_EQ(flaky[0].events(0).attributes(1).value().string_value(), "boom 1");
  EXPECT_EQ(flaky[0].events(0).attributes(0).value().string_value(), "std::runtime_error");
  EXPECT_EQ(checked[0].status().code(), opentelemetry::proto::trace::v1::Status::STATUS_CODE_ERROR);
  EXPECT_EQ(checked[1].status().code(), opentelemetry::proto::trace::v1::Status::STATUS_CODE_OK);
  EXPECT_EQ(FindAttr(checked[1], "tracery.step.retry_of")->string_value(), Hex(checked[0].span_id()));
}

TEST(ApiTest, OutOfOrderEndsAndMovesAreSafe) {
  FakeCollector collector;
  Tracer tracer(Options(collector.base()));
  {
    tracery_sdk::Run run = tracer.StartRun("r");
    Step a = run.StartStep(StepType::kTool, "a");
    Step b = run.StartStep(StepType::kTool, "b");
    a.End();  // ends before its child
    Step c = run.StartStep(StepType::kTool, "c");  // nests under b, still open
    Step moved = std::move(c);
    c.Set("ignored", 1);  // moved-from: no effect, no crash
    moved.End();
    b.End();
    Step d = run.StartStep(StepType::kTool, "d");  // a and b ended: under the run
    // The right side starts before the assignment ends d, so e nests under d.
    d = run.StartStep(StepType::kTool, "e");
  }
  ASSERT_TRUE(tracer.Flush(std::chrono::seconds(10)));
  const auto spans = ByName(collector.spans());
  ASSERT_EQ(spans.size(), 6u);
  EXPECT_EQ(spans.at("b").parent_span_id(), spans.at("a").span_id());
  EXPECT_EQ(spans.at("c").parent_span_id(), spans.at("b").span_id());
  EXPECT_EQ(spans.at("d").parent_span_id(), spans.at("r").span_id());
  EXPECT_EQ(spans.at("e").parent_span_id(), spans.at("d").span_id());
  EXPECT_LE(spans.at("d").end_time_unix_nano(), spans.at("e").end_time_unix_nano());
  EXPECT_EQ(FindAttr(spans.at("c"), "ignored"), nullptr);
}

TEST(ApiTest, StepEndedByUnwindingIsAnError) {
  FakeCollector collector;
  Tracer tracer(Options(collector.base()));
  try {
    tracery_sdk::Run run = tracer.StartRun("r");
    Step s = run.StartStep(StepType::kTool, "t");
    throw std::runtime_error("x");
  } catch (const std::runtime_error&) {
  }
  ASSERT_TRUE(tracer.Flush(std::chrono::seconds(10)));
  const auto spans = ByName(collector.spans());
  EXPECT_EQ(spans.at("t").status().code(), opentelemetry::proto::trace::v1::Status::STATUS_CODE_ERROR);
  EXPECT_EQ(FindAttr(spans.at("r"), "tracery.failure.code")->string_value(), "uncaught_exception");
}

}  // namespace
}  // namespace tracery_sdk
