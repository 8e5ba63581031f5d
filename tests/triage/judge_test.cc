#include "triage/judge.h"

#include <atomic>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "testing/testing.h"

namespace tracery::triage {
namespace {

using nlohmann::json;

// A loopback fake of the OpenAI / Anthropic endpoints. `handler` returns (status, body).
class FakeJudgeServer {
 public:
  using Handler = std::function<std::pair<int, std::string>(const httplib::Request&)>;
  explicit FakeJudgeServer(Handler h) : handler_(std::move(h)) {
    auto serve = [this](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(req);
      }
      auto [status, body] = handler_(req);
      res.status = status;
      if (status == 429) res.set_header("Retry-After", "2");
      res.set_content(body, "application/json");
    };
    server_.Post("/v1/chat/completions", serve);
    server_.Post("/v1/messages", serve);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::yield();
  }
  ~FakeJudgeServer() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<httplib::Request> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  Handler handler_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<httplib::Request> requests_;
};

// The judge "model": a run is positive when its text contains "BAD".
json VerdictFor(const std::string& run_text) {
  bool bad = run_text.find("BAD") != std::string::npos;
  return {{"positive", bad}, {"confidence", bad ? 0.9 : 0.2}, {"excerpt", bad ? "saw BAD" : ""}};
}

// Splits the user prompt into the runs it carries.
std::vector<std::string> RunsIn(const std::string& prompt) {
  std::vector<std::string> runs;
  size_t pos = 0;
  while ((pos = prompt.find("=== Run", pos)) != std::string::npos) {
    size_t start = prompt.find('\n', pos) + 1;
    size_t next = prompt.find("=== Run", start);
    runs.push_back(prompt.substr(start, next == std::string::npos ? std::string::npos : next - start));
    pos = start;
  }
  return runs;
}

std::pair<int, std::string> OpenAiAnswer(const httplib::Request& req) {
  json body = json::parse(req.body);
  std::string prompt = body["messages"][1]["content"];
  std::vector<std::string> runs = RunsIn(prompt);
  json content;
  if (body["response_format"]["json_schema"]["name"] == "verdicts") {
    content["verdicts"] = json::array();
    for (const auto& r : runs) content["verdicts"].push_back(VerdictFor(r));
  } else {
    content = VerdictFor(runs.at(0));
  }
  json resp = {{"choices", json::array({{{"message", {{"role", "assistant"}, {"content", content.dump()}}}}})},
               {"usage", {{"prompt_tokens", 100}, {"completion_tokens", 10}}}};
  return {200, resp.dump()};
}

Mode JudgeMode() {
  Mode m;
  m.id = "hallucination";
  m.name = "Hallucination";
  m.severity = Severity::kCritical;
  m.detection.type = "llm_judge";
  m.detection.prompt = "Did the agent make unsupported claims?";
  m.detection.output_schema_json =
      R"({"type":"object","required":["positive"],"properties":{"positive":{"type":"boolean"},)"
      R"("confidence":{"type":"number","minimum":0,"maximum":1},"excerpt":{"type":"string"}}})";
  return m;
}

JudgeClientConfig Config(const std::string& url, std::vector<int>* sleeps = nullptr) {
  JudgeClientConfig c;
  c.base_url = url;
  c.api_key = "sk-test";
  c.timeout_ms = 5000;
  c.retry.max_attempts = 3;
  c.sleep = [sleeps](int ms) {
    if (sleeps) sleeps->push_back(ms);
  };
  return c;
}

std::vector<JudgeItem> Items(const Mode& m, const std::vector<std::string>& texts) {
  std::vector<JudgeItem> items;
  for (size_t i = 0; i < texts.size(); ++i) items.push_back({&m, &m.detection, "r" + std::to_string(i), texts[i]});
  return items;
}

TEST(JudgeWire, OpenAiRequestUsesJsonSchemaResponseFormat) {
  FakeJudgeServer server(OpenAiAnswer);
  ASSERT_OK_AND_ASSIGN(auto transport, MakeJudgeTransport(Config(server.url() + "/v1")));
  Mode m = JudgeMode();
  CostLedger ledger;
  JudgeOptions o;
  o.model = "gpt-4o-mini";
  Judge judge(o, transport.get(), &ledger);
  auto out = judge.Run(Items(m, {"the agent said BAD things"}));
  ASSERT_EQ(out.size(), 1u);
  ASSERT_OK(out[0]);
  EXPECT_TRUE(out[0]->positive);
  EXPECT_DOUBLE_EQ(out[0]->confidence, 0.9);
  EXPECT_EQ(out[0]->excerpt, "saw BAD");
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].path, "/v1/chat/completions");  // "/v1" in the base is not doubled
  EXPECT_EQ(reqs[0].get_header_value("Authorization"), "Bearer sk-test");
  json body = json::parse(reqs[0].body);
  EXPECT_EQ(body["model"], "gpt-4o-mini");
  EXPECT_EQ(body["response_format"]["type"], "json_schema");
  EXPECT_EQ(body["response_format"]["json_schema"]["schema"]["required"][0], "positive");
  auto t = ledger.totals();
  EXPECT_EQ(t.calls, 1);
  EXPECT_EQ(t.input_tokens, 100);
  EXPECT_EQ(t.output_tokens, 10);
  EXPECT_GT(t.usd, 0);
}

TEST(JudgeWire, RetriesAfter429HonouringRetryAfter) {
  std::atomic<int> n{0};
  FakeJudgeServer server([&](const httplib::Request& req) -> std::pair<int, std::string> {
    if (n++ == 0) return {429, R"({"error":"rate limited"})"};
    return OpenAiAnswer(req);
  });
  std::vector<int> sleeps;
  ASSERT_OK_AND_ASSIGN(auto transport, MakeJudgeTransport(Config(server.url(), &sleeps)));
  Mode m = JudgeMode();
  Judge judge(JudgeOptions{}, transport.get(), nullptr);
  auto out = judge.Run(Items(m, {"fine run"}));
  ASSERT_OK(out[0]);
  EXPECT_FALSE(out[0]->positive);
  EXPECT_EQ(server.requests().size(), 2u);
  EXPECT_EQ(sleeps, std::vector<int>{2000});
}

TEST(JudgeWire, GivesUpAfterMaxAttemptsOn5xxAndFailsFastOn400) {
  FakeJudgeServer server([&](const httplib::Request& req) -> std::pair<int, std::string> {
    if (req.body.find("client-error") != std::string::npos) return {400, R"({"error":"bad schema"})"};
    return {503, "overloaded"};
  });
  std::vector<int> sleeps;
  ASSERT_OK_AND_ASSIGN(auto transport, MakeJudgeTransport(Config(server.url(), &sleeps)));
  Mode m = JudgeMode();
  CostLedger ledger;
  Judge judge(JudgeOptions{}, transport.get(), &ledger);
  auto out = judge.Run(Items(m, {"x"}));
  ASSERT_FALSE(out[0].ok());
  EXPECT_NE(out[0].status().message().find("503"), std::string::npos);
  EXPECT_EQ(server.requests().size(), 3u);
  EXPECT_EQ(sleeps, (std::vector<int>{1000, 2000}));  // exponential backoff
  EXPECT_EQ(ledger.totals().failed_calls, 1);
  auto out2 = judge.Run(Items(m, {"client-error"}));
  ASSERT_FALSE(out2[0].ok());
  EXPECT_NE(out2[0].status().message().find("400"), std::string::npos);
  EXPECT_EQ(server.requests().size(), 4u);  // no retry on a 4xx other than 429
}

TEST(JudgeBatch, BatchesRunsPerCallAndMapsVerdictsInOrder) {
  FakeJudgeServer server(OpenAiAnswer);
  ASSERT_OK_AND_ASSIGN(auto transport, MakeJudgeTransport(Config(server.url())));
  Mode m = JudgeMode();
  JudgeOptions o;
  o.batch = 2;
  o.concurrency = 2;
  Judge judge(o, transport.get(), nullptr);
  auto out = judge.Run(Items(m, {"ok", "BAD one", "ok", "ok", "BAD two"}));
  ASSERT_EQ(out.size(), 5u);
  std::vector<bool> pos;
  for (auto& r : out) {
    ASSERT_OK(r);
    pos.push_back(r->positive);
  }
  EXPECT_EQ(pos, (std::vector<bool>{false, true, false, false, true}));
  EXPECT_EQ(server.requests().size(), 3u);  // ceil(5 / 2)
  json first = json::parse(server.requests()[0].body);
  EXPECT_EQ(first["response_format"]["json_schema"]["schema"]["properties"]["verdicts"]["minItems"], 2);
}

TEST(JudgeBatch, VerdictCountMismatchErrorsEveryItemOfTheCall) {
  FakeJudgeServer server([](const httplib::Request&) -> std::pair<int, std::string> {
    json content = {{"verdicts", json::array({{{"positive", true}}})}};
    json resp = {{"choices", json::array({{{"message", {{"content", content.dump()}}}}})}};
    return {200, resp.dump()};
  });
  ASSERT_OK_AND_ASSIGN(auto transport, MakeJudgeTransport(Config(server.url())));
  Mode m = JudgeMode();
  JudgeOptions o;
  o.batch = 3;
  Judge judge(o, transport.get(), nullptr);
  auto out = judge.Run(Items(m, {"a", "b", "c"}));
  for (auto& r : out) {
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("1 verdicts for 3 runs"), std::string::npos) << r.status().message();
  }
}

TEST(JudgeBatch, SchemaViolationIsAnErrorNotANegative) {
  FakeJudgeServer server([](const httplib::Request&) -> std::pair<int, std::string> {
    json content = {{"positive", "yes"}};  // string, not boolean
    json resp = {{"choices", json::array({{{"message", {{"content", content.dump()}}}}})}};
    return {200, resp.dump()};
  });
  ASSERT_OK_AND_ASSIGN(auto transport, MakeJudgeTransport(Config(server.url())));
  Mode m = JudgeMode();
  Judge judge(JudgeOptions{}, transport.get(), nullptr);
  auto out = judge.Run(Items(m, {"a"}));
  ASSERT_FALSE(out[0].ok());
  EXPECT_NE(out[0].status().message().find("$.positive"), std::string::npos) << out[0].status().message();
}

TEST(JudgeCache, SecondRunIsServedFromDiskUntilModelOrVersionChanges) {
  testing::TempDir dir;
  FakeJudgeServer server(OpenAiAnswer);
  ASSERT_OK_AND_ASSIGN(auto transport, MakeJudgeTransport(Config(server.url())));
  Mode m = JudgeMode();
  JudgeOptions o;
  o.cache_dir = dir.path() + "/cache";
  o.rubric_version = "1.0.0";
  CostLedger ledger;
  {
    Judge judge(o, transport.get(), &ledger);
    auto a = judge.Run(Items(m, {"BAD", "fine"}));
    auto b = judge.Run(Items(m, {"BAD", "fine"}));
    ASSERT_OK(b[0]);
    EXPECT_TRUE(b[0]->positive);
    EXPECT_FALSE(b[1]->positive);
  }
  EXPECT_EQ(server.requests().size(), 2u);
  EXPECT_EQ(ledger.totals().cache_hits, 2);
  o.rubric_version = "1.1.0";
  Judge judge2(o, transport.get(), &ledger);
  auto c = judge2.Run(Items(m, {"BAD"}));
  EXPECT_EQ(server.requests().size(), 3u);
  EXPECT_NE(Judge::CacheKey("t", "m", m.detection, "1", "gpt-4o"), Judge::CacheKey("t", "m", m.detection, "1", "gpt-4o-mini"));
  EXPECT_NE(Judge::CacheKey("ab", "c", m.detection, "1", "x"), Judge::CacheKey("a", "bc", m.detection, "1", "x"));
}

TEST(JudgeRedaction, JudgeSeesRedactedTextOnly) {
  FakeJudgeServer server(OpenAiAnswer);
  ASSERT_OK_AND_ASSIGN(auto transport, MakeJudgeTransport(Config(server.url())));
  Mode m = JudgeMode();
  JudgeOptions o;
  o.redact = [](std::string* s) {
    size_t p;
    while ((p = s->find("alice@example.com")) != std::string::npos) s->replace(p, 17, "[REDACTED:email]");
  };
  Judge judge(o, transport.get(), nullptr);
  auto out = judge.Run(Items(m, {"mail alice@example.com now"}));
  ASSERT_OK(out[0]);
  std::string body = server.requests().at(0).body;
  EXPECT_EQ(body.find("alice@example.com"), std::string::npos);
  EXPECT_NE(body.find("[REDACTED:email]"), std::string::npos);
}

TEST(JudgeWire, AnthropicUsesForcedToolAndReadsToolUse) {
  FakeJudgeServer server([](const httplib::Request& req) -> std::pair<int, std::string> {
    json body = json::parse(req.body);
    std::string prompt = body["messages"][0]["content"];
    json resp = {{"content", json::array({{{"type", "text"}, {"text", "thinking"}},
                                          {{"type", "tool_use"}, {"name", body["tool_choice"]["name"]},
                                           {"input", VerdictFor(RunsIn(prompt).at(0))}}})},
                 {"usage", {{"input_tokens", 50}, {"output_tokens", 5}}}};
    return {200, resp.dump()};
  });
  JudgeClientConfig c = Config(server.url());
  c.provider = "anthropic";
  ASSERT_OK_AND_ASSIGN(auto transport, MakeJudgeTransport(c));
  Mode m = JudgeMode();
  JudgeOptions o;
  o.model = "claude-haiku-4-5";
  CostLedger ledger;
  Judge judge(o, transport.get(), &ledger);
  auto out = judge.Run(Items(m, {"BAD"}));
  ASSERT_OK(out[0]);
  EXPECT_TRUE(out[0]->positive);
  auto req = server.requests().at(0);
  EXPECT_EQ(req.path, "/v1/messages");
  EXPECT_EQ(req.get_header_value("x-api-key"), "sk-test");
  EXPECT_EQ(req.get_header_value("anthropic-version"), "2023-06-01");
  json body = json::parse(req.body);
  EXPECT_EQ(body["tool_choice"]["type"], "tool");
  EXPECT_EQ(body["tools"][0]["input_schema"]["type"], "object");
  EXPECT_EQ(ledger.totals().input_tokens, 50);
}

TEST(JudgeWire, HostileResponsesAreErrors) {
  EXPECT_FALSE(ParseOpenAiResponse("not json").ok());
  EXPECT_FALSE(ParseOpenAiResponse(R"({"choices": []})").ok());
  EXPECT_FALSE(ParseOpenAiResponse(R"({"choices": [{"message": {"content": 5}}]})").ok());
  EXPECT_FALSE(ParseAnthropicResponse(R"({"content": [{"type": "text", "text": "hi"}]})").ok());
  ASSERT_OK_AND_ASSIGN(JudgeResponse fenced,
                       ParseOpenAiResponse(R"({"choices": [{"message": {"content": "```json\n{\"positive\": true}\n```"}}]})"));
  EXPECT_EQ(fenced.json, R"({"positive": true})");
  EXPECT_FALSE(MakeJudgeTransport(Config("ftp://x")).ok());
  JudgeClientConfig bad = Config("http://x");
  bad.provider = "gemini";
  EXPECT_STATUS(MakeJudgeTransport(bad), StatusCode::kInvalidArgument);
}

TEST(JudgeRetry, DelayIsExponentialCappedAndHonoursRetryAfter) {
  RetryPolicy p;
  EXPECT_EQ(RetryDelayMs(1, "", p), 1000);
  EXPECT_EQ(RetryDelayMs(3, "", p), 4000);
  EXPECT_EQ(RetryDelayMs(10, "", p), 16000);
  EXPECT_EQ(RetryDelayMs(1, "3", p), 3000);
  EXPECT_EQ(RetryDelayMs(1, "99999", p), 16000);
  EXPECT_EQ(RetryDelayMs(2, "Wed, 21 Oct 2015 07:28:00 GMT", p), 2000);  // HTTP-date: fall back
}

}  // namespace
}  // namespace tracery::triage
