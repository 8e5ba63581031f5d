#include "triage/detect.h"

#include <gtest/gtest.h>

#include <string>

#include "testing/testing.h"
#include "triage/rubric.h"

namespace tracery::triage {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A mode parsed from YAML, with its first example's run: the detection and the run under test
// are written in the DSL itself.
struct Case {
  Rubric rubric;
  const Mode& mode() const { return rubric.modes.front(); }
  const RunView& run(size_t i = 0) const { return *rubric.modes.front().examples.at(i).run; }
};

Case Make(const std::string& detection, const std::string& steps_yaml, const std::string& more_runs = "") {
  std::string y = "apiVersion: tracery.dev/v1\nkind: Rubric\nmetadata: {name: t, version: 1.0.0}\nmodes:\n"
                  "  - id: m\n    severity: high\n    detection: " + detection +
                  "\n    examples:\n      - expected: positive\n        run:\n          steps:\n" + steps_yaml + more_runs;
  auto r = ParseRubric(y, "t.yaml");
  EXPECT_TRUE(r.ok()) << r.status().ToString() << "\n" << y;
  if (!r.ok()) std::abort();
  return Case{std::move(r).value()};
}

// A run used by several tests: root agent, a retrieval, an llm call, two tool calls (one failed).
constexpr const char* kSteps = R"(            - {id: root, type: agent, name: support, agent: support, input: "Where is order 42?", output: "It ships today."}
            - {id: ret, type: retrieval, name: search_kb, query: order status, documents: ["Orders ship in 2 days.", "Refunds take 5 days."]}
            - {id: llm1, type: llm, name: chat, model: gpt-4o, tokens: {input: 100, output: 20}, cost_usd: 0.01, input: "Where is order 42?", output: "Let me check."}
            - {id: t1, type: tool, name: lookup_order, arguments: '{"id": 42}', duration_ms: 6000, failure: {code: timeout, message: "backend slow"}}
            - {id: t2, type: tool, name: send_email, arguments: '{"to": "a@b.c"}', result: sent, attributes: {http.status: 200, gen_ai.request.model: gpt-4o}}
)";

TEST(TextProjectionTest, ContainsStepsContentToolsDocsAndErrorsInOrder) {
  Case c = Make("{type: regex, pattern: x}", kSteps);
  const std::string text = TextProjection(c.run());
  const std::vector<std::string> want = {
      "[agent:support]", "[input] Where is order 42?", "[output] It ships today.", "[retrieval:search_kb]",
      "[query] order status", "[retrieved:doc1] Orders ship in 2 days.", "[retrieved:doc2] Refunds take 5 days.",
      "[llm:chat]", "[assistant] Let me check.", "[tool:lookup_order] input: {\"id\": 42}",
      "[error:timeout] backend slow", "[tool:send_email] input: {\"to\": \"a@b.c\"}", "[tool:send_email] output: sent"};
  size_t pos = 0;
  for (const auto& w : want) {
    const size_t at = text.find(w, pos);
    ASSERT_NE(at, std::string::npos) << "missing or out of order: " << w << "\n" << text;
    pos = at + w.size();
  }
  // The llm's input repeats the root's input text: a re-sent history line is projected once.
  EXPECT_EQ(text.find("[input] Where is order 42?"), text.rfind("[input] Where is order 42?"));
}

TEST(TextProjectionTest, MessagesUseTheirRoles) {
  RunView v;
  model::Step s;
  s.step_id = "a";
  s.type = model::StepType::kLlm;
  s.name = "chat";
  model::ContentField in;
  in.name = "input";
  in.is_list = true;
  in.mime = "application/json";
  in.parts = {R"({"role":"system","content":"be brief"})",
              R"({"role":"user","parts":[{"type":"text","content":"hi there"}]})"};
  s.content.push_back(in);
  v.steps.push_back(s);
  const std::string text = TextProjection(v);
  EXPECT_THAT(text, HasSubstr("[system] be brief"));
  EXPECT_THAT(text, HasSubstr("[user] hi there"));
  EXPECT_EQ(TextProjection(RunView{}), "");
}

TEST(FinalResponseTest, RootOutputThenLastLlmOutput) {
  Case c = Make("{type: regex, pattern: x}", kSteps);
  EXPECT_EQ(FinalResponse(c.run()), "It ships today.");
  Case d = Make("{type: regex, pattern: x}", R"(            - {type: agent, name: a}
            - {type: llm, name: first, output: "draft"}
            - {type: llm, name: second, output: "final answer"}
)");
  EXPECT_EQ(FinalResponse(d.run()), "final answer");
  Case e = Make("{type: regex, pattern: x}", "            - {type: agent, name: a}\n");
  EXPECT_EQ(FinalResponse(e.run()), "");
}

TEST(MetricTest, EveryMetric) {
  Case c = Make("{type: regex, pattern: x}", kSteps);
  const RunView& v = c.run();
  auto m = [&](const char* name) {
    auto r = Metric(v, name);
    EXPECT_TRUE(r.ok()) << name << ": " << r.status().ToString();
    return r.ok() ? *r : -1;
  };
  EXPECT_EQ(m("span_count"), 5);
  EXPECT_EQ(m("llm_calls"), 1);
  EXPECT_EQ(m("tool_calls"), 2);
  EXPECT_EQ(m("error_count"), 1);
  EXPECT_EQ(m("unrecovered_error_count"), 1);
  EXPECT_EQ(m("retry_count"), 0);
  EXPECT_EQ(m("input_tokens"), 100);
  EXPECT_EQ(m("output_tokens"), 20);
  EXPECT_EQ(m("total_tokens"), 120);
  EXPECT_DOUBLE_EQ(m("cost_usd"), 0.01);
  EXPECT_GE(m("latency_ms"), 6000);
  EXPECT_EQ(m("loop_count"), 1);
  EXPECT_EQ(m("distinct_tools"), 2);
  EXPECT_EQ(m("duplicate_tool_calls"), 0);
  EXPECT_EQ(m("agent_count"), 1);
  EXPECT_EQ(m("handoff_count"), 0);
  auto bad = Metric(v, "vibes");
  EXPECT_STATUS(bad, StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("\"vibes\""));
  // Every advertised name is computable.
  for (const auto& name : MetricNames()) EXPECT_OK(Metric(v, name)) << name;
}

TEST(MetricTest, RetriesHandoffsAgents) {
  Case c = Make("{type: regex, pattern: x}", R"(            - {type: agent, name: router, agent: router}
            - {type: llm, name: chat, agent: router, failure: {code: rate_limit}, repeat: 3}
            - {type: llm, name: chat, agent: router, status: ok}
            - {type: handoff, name: transfer, agent: router, handoff_to: billing}
            - {type: llm, name: reply, agent: billing}
)");
  EXPECT_EQ(*Metric(c.run(), "retry_count"), 3);
  EXPECT_EQ(*Metric(c.run(), "error_count"), 3);
  EXPECT_EQ(*Metric(c.run(), "unrecovered_error_count"), 0);
  EXPECT_EQ(*Metric(c.run(), "handoff_count"), 1);
  EXPECT_EQ(*Metric(c.run(), "agent_count"), 2);
}

TEST(MetricTest, LoopCount) {
  auto loop = [](const std::string& steps) {
    Case c = Make("{type: regex, pattern: x}", "            - {type: agent, name: a}\n" + steps);
    return *Metric(c.run(), "loop_count");
  };
  // Same call 6 times, with llm calls in between (ignored: only actions count).
  EXPECT_EQ(loop("            - {type: tool, name: s, arguments: q}\n            - {type: llm, name: think}\n"
                 "            - {type: tool, name: s, arguments: q, repeat: 5}\n"),
            6);
  // A two-step cycle repeated three times.
  EXPECT_EQ(loop("            - {type: tool, name: a}\n            - {type: tool, name: b}\n"
                 "            - {type: tool, name: a}\n            - {type: tool, name: b}\n"
                 "            - {type: tool, name: a}\n            - {type: tool, name: b}\n"),
            3);
  // Different arguments are not a loop.
  EXPECT_EQ(loop("            - {type: tool, name: s, arguments: q1}\n            - {type: tool, name: s, arguments: q2}\n"), 1);
  EXPECT_EQ(loop("            - {type: llm, name: only-llm}\n"), 0);
  EXPECT_EQ(loop("            - {type: tool, name: s, arguments: q, repeat: 2}\n"
                 "            - {type: tool, name: s, arguments: q2}\n"),
            2);
}

TEST(RegexDetectorTest, PositiveWithExcerptAndEvidence) {
  Case c = Make("{type: regex, pattern: '(?i)BACKEND \\w+'}", kSteps);
  ModeEvaluation e = EvaluateMode(c.mode(), c.run(), nullptr);
  EXPECT_TRUE(e.positive);
  EXPECT_EQ(e.detector, "regex");
  EXPECT_EQ(e.excerpt, "backend slow");
  EXPECT_THAT(e.evidence_step_ids, ElementsAre("t1"));
  EXPECT_EQ(e.confidence, 1.0);
  // Several matching steps are all evidence, in order.
  Case d = Make("{type: regex, pattern: 'order'}", kSteps);
  EXPECT_THAT(EvaluateMode(d.mode(), d.run(), nullptr).evidence_step_ids, ElementsAre("root", "ret", "t1"));  // "[tool:lookup_order]"; llm1 only repeats the input
}

TEST(RegexDetectorTest, Negative) {
  Case c = Make("{type: regex, pattern: 'drop table'}", kSteps);
  ModeEvaluation e = EvaluateMode(c.mode(), c.run(), nullptr);
  EXPECT_FALSE(e.positive);
  EXPECT_FALSE(e.pending);
  EXPECT_THAT(e.error, IsEmpty());
  EXPECT_THAT(e.evidence_step_ids, IsEmpty());
}

TEST(RegexDetectorTest, InvalidPatternIsAnErrorNotANegative) {
  Mode m;
  m.id = "m";
  m.detection.type = "regex";
  m.detection.pattern = "(unclosed";
  ModeEvaluation e = EvaluateMode(m, RunView{}, nullptr);
  EXPECT_FALSE(e.positive);
  EXPECT_THAT(e.error, HasSubstr("invalid regex"));
}

TEST(ToolCallDetectorTest, AnySequenceAbsent) {
  Case any = Make("{type: tool_call, tool_calls: [drop_table, send_email]}", kSteps);
  ModeEvaluation e = EvaluateMode(any.mode(), any.run(), nullptr);
  EXPECT_TRUE(e.positive);
  EXPECT_THAT(e.evidence_step_ids, ElementsAre("t2"));
  EXPECT_THAT(e.excerpt, HasSubstr("called send_email({\"to\": \"a@b.c\"})"));
  Case none = Make("{type: tool_call, tool_calls: [drop_table]}", kSteps);
  EXPECT_FALSE(EvaluateMode(none.mode(), none.run(), nullptr).positive);

  Case seq = Make("{type: tool_call, form: sequence, tool_calls: [lookup_order, send_email]}", kSteps);
  e = EvaluateMode(seq.mode(), seq.run(), nullptr);
  EXPECT_TRUE(e.positive);
  EXPECT_THAT(e.evidence_step_ids, ElementsAre("t1", "t2"));
  Case wrong_order = Make("{type: tool_call, form: sequence, tool_calls: [send_email, lookup_order]}", kSteps);
  EXPECT_FALSE(EvaluateMode(wrong_order.mode(), wrong_order.run(), nullptr).positive);

  Case absent = Make("{type: tool_call, form: absent, tool_calls: [escalate_to_human]}", kSteps);
  e = EvaluateMode(absent.mode(), absent.run(), nullptr);
  EXPECT_TRUE(e.positive);
  EXPECT_THAT(e.excerpt, HasSubstr("no call to escalate_to_human"));
  Case present = Make("{type: tool_call, form: absent, tool_calls: [send_email]}", kSteps);
  EXPECT_FALSE(EvaluateMode(present.mode(), present.run(), nullptr).positive);
}

TEST(MetricDetectorTest, ThresholdPositiveNegativeAndError) {
  Case pos = Make("{type: metric_threshold, metric: tool_calls, operator: '>=', threshold: 2}", kSteps);
  ModeEvaluation e = EvaluateMode(pos.mode(), pos.run(), nullptr);
  EXPECT_TRUE(e.positive);
  EXPECT_EQ(e.excerpt, "tool_calls = 2 (>= 2)");
  Case neg = Make("{type: metric_threshold, metric: tool_calls, operator: '>', threshold: 2}", kSteps);
  EXPECT_FALSE(EvaluateMode(neg.mode(), neg.run(), nullptr).positive);
  Case err = Make("{type: metric_threshold, metric: error_count, operator: '==', threshold: 1}", kSteps);
  e = EvaluateMode(err.mode(), err.run(), nullptr);
  EXPECT_TRUE(e.positive);
  EXPECT_THAT(e.evidence_step_ids, ElementsAre("t1"));
  Mode m = pos.mode();
  m.detection.metric = "vibes";  // not loadable; a hand-built mode errors instead of scoring negative
  e = EvaluateMode(m, pos.run(), nullptr);
  EXPECT_FALSE(e.positive);
  EXPECT_THAT(e.error, HasSubstr("unknown metric \"vibes\""));
}

TEST(StepDetectorTest, Predicates) {
  auto eval = [](const std::string& where, int min_count = 1) {
    Case c = Make("{type: step, min_count: " + std::to_string(min_count) + ", where: " + where + "}", kSteps);
    return EvaluateMode(c.mode(), c.run(), nullptr);
  };
  ModeEvaluation e = eval("{failure_code: timeout, recovered: 'false'}");
  EXPECT_TRUE(e.positive);
  EXPECT_THAT(e.evidence_step_ids, ElementsAre("t1"));
  EXPECT_THAT(e.excerpt, HasSubstr("tool lookup_order failed: timeout: backend slow"));
  EXPECT_FALSE(eval("{failure_code: rate_limit}").positive);
  EXPECT_TRUE(eval("{type: tool, 'duration_ms>': 5000}").positive);
  EXPECT_FALSE(eval("{type: tool, 'duration_ms>': 7000}").positive);
  EXPECT_TRUE(eval("{type: tool, 'duration_ms<=': 10}").positive);  // send_email takes 10 ms
  EXPECT_TRUE(eval("{attr.gen_ai.request.model: gpt-4o}").positive);
  EXPECT_FALSE(eval("{attr.gen_ai.request.model: gpt-4o-mini}").positive);
  EXPECT_TRUE(eval("{attr.http.status: 200}").positive);
  EXPECT_TRUE(eval("{'attr.http.status>=': 200}").positive);
  EXPECT_FALSE(eval("{'attr.http.status>': 200}").positive);
  EXPECT_FALSE(eval("{attr.missing: x}").positive);
  EXPECT_TRUE(eval("{'name~': '^look'}").positive);
  EXPECT_THAT(eval("{'name!~': '^(look|send|search|chat|support)'}").evidence_step_ids, IsEmpty());
  EXPECT_TRUE(eval("{model: gpt-4o, type: llm}").positive);
  EXPECT_FALSE(eval("{model: gpt-4o, type: tool}").positive);
  EXPECT_THAT(eval("{type: tool, 'status!=': error}").evidence_step_ids, ElementsAre("t2"));
  EXPECT_THAT(eval("{error: 'true'}").evidence_step_ids, ElementsAre("t1"));
  EXPECT_THAT(eval("{'text~': 'Refunds'}").evidence_step_ids, ElementsAre("ret"));
  EXPECT_THAT(eval("{parent_type: agent, type: tool}").evidence_step_ids, ElementsAre("t1", "t2"));
  EXPECT_TRUE(eval("{type: tool}", 2).positive);
  EXPECT_FALSE(eval("{type: tool}", 3).positive);
  EXPECT_THAT(eval("{type: tool}", 3).evidence_step_ids, IsEmpty());
  EXPECT_TRUE(eval("{'input_tokens>': 50}").positive);
  EXPECT_TRUE(eval("{agent: support, type: tool}").positive);  // agent inherited from the root
}

TEST(StepDetectorTest, RecoveryFromTheRunFailureList) {
  // As loaded from a store: the step carries the failure, the run's failure list the recovery.
  Case c = Make("{type: step, where: {failure_code: timeout, recovered: 'false'}}", kSteps);
  RunView v = c.run();
  EXPECT_TRUE(EvaluateMode(c.mode(), v, nullptr).positive);
  model::Failure f = *v.steps[3].failure;
  f.recovered = true;
  v.failures = {f};
  EXPECT_FALSE(EvaluateMode(c.mode(), v, nullptr).positive);
  EXPECT_EQ(*Metric(v, "unrecovered_error_count"), 0);
}

// ---------------------------------------------------------------------------------------------
// Judge and composites

class FakeOracle : public JudgeOracle {
 public:
  std::optional<Result<JudgeVerdict>> Ask(const Mode&, const Detection& node, const RunView& run) override {
    ++asks;
    last_prompt = node.prompt;
    last_text = TextProjection(run);
    if (defer) return std::nullopt;
    if (!error.empty()) return Result<JudgeVerdict>(UnavailableError(error));
    JudgeVerdict v;
    v.raw_json = raw_json;
    v.positive = positive;
    v.confidence = 0.7;
    v.excerpt = excerpt;
    v.evidence_step_ids = evidence;
    return Result<JudgeVerdict>(v);
  }
  int asks = 0;
  bool defer = false;
  bool positive = true;
  std::string error;
  std::string raw_json = R"({"positive": true, "confidence": 0.9, "excerpt": "claims X"})";
  std::string excerpt;
  std::vector<std::string> evidence;
  std::string last_prompt, last_text;
};

constexpr const char* kJudge =
    "{type: llm_judge, prompt: judge it, output_schema: {type: object, required: [positive, confidence], "
    "properties: {positive: {type: boolean}, confidence: {type: number, minimum: 0, maximum: 1}, "
    "excerpt: {type: [string, 'null']}}}}";

TEST(JudgeDetectorTest, NoOracleOrDeferredIsPending) {
  Case c = Make(kJudge, kSteps);
  ModeEvaluation e = EvaluateMode(c.mode(), c.run(), nullptr);
  EXPECT_TRUE(e.pending);
  EXPECT_FALSE(e.positive);
  EXPECT_EQ(e.judge_calls, 0);
  FakeOracle o;
  o.defer = true;
  e = EvaluateMode(c.mode(), c.run(), &o);
  EXPECT_TRUE(e.pending);
  EXPECT_EQ(o.asks, 1);
  EXPECT_EQ(e.judge_calls, 0);
}

TEST(JudgeDetectorTest, ValidatedVerdict) {
  Case c = Make(kJudge, kSteps);
  FakeOracle o;
  o.evidence = {"llm1"};
  ModeEvaluation e = EvaluateMode(c.mode(), c.run(), &o);
  EXPECT_TRUE(e.positive);
  EXPECT_DOUBLE_EQ(e.confidence, 0.9);  // from the validated object
  EXPECT_EQ(e.excerpt, "claims X");
  EXPECT_THAT(e.evidence_step_ids, ElementsAre("llm1"));
  EXPECT_EQ(e.detector, "llm_judge");
  EXPECT_EQ(e.judge_calls, 1);
  EXPECT_EQ(o.last_prompt, "judge it");
  EXPECT_THAT(o.last_text, HasSubstr("[tool:lookup_order]"));
  o.raw_json = R"({"positive": false, "confidence": 0.8})";
  e = EvaluateMode(c.mode(), c.run(), &o);
  EXPECT_FALSE(e.positive);
  EXPECT_THAT(e.error, IsEmpty());
  // Without raw_json the typed fields are validated.
  o.raw_json = "";
  o.positive = true;
  EXPECT_TRUE(EvaluateMode(c.mode(), c.run(), &o).positive);
}

TEST(JudgeDetectorTest, SchemaViolationIsAnErrorNeverANegative) {
  Case c = Make(kJudge, kSteps);
  FakeOracle o;
  for (const char* bad : {R"({"positive": "yes", "confidence": 0.5})", R"({"confidence": 0.5})",
                          R"({"positive": true, "confidence": 1.5})", R"({"positive": true})",
                          R"({"positive": true, "confidence": 0.5, "excerpt": 3})", "[true]", "not json"}) {
    o.raw_json = bad;
    ModeEvaluation e = EvaluateMode(c.mode(), c.run(), &o);
    EXPECT_FALSE(e.positive) << bad;
    EXPECT_FALSE(e.pending) << bad;
    EXPECT_FALSE(e.error.empty()) << bad;
  }
  o.raw_json = R"({"positive": true, "confidence": 1.5})";
  EXPECT_THAT(EvaluateMode(c.mode(), c.run(), &o).error, HasSubstr("violates output_schema: $.confidence: 1.5 > maximum 1"));
  o.error = "503 from judge";
  EXPECT_THAT(EvaluateMode(c.mode(), c.run(), &o).error, HasSubstr("judge failed: 503 from judge"));
}

TEST(CompositeTest, AndEvaluatesDeterministicFirstAndShortCircuits) {
  // The judge is listed first but asked last, and only when the tool call matched.
  const std::string det = std::string("{type: composite, operator: and, operands: [") + kJudge +
                          ", {type: tool_call, tool_calls: [TOOL]}]}";
  auto with_tool = [&](const std::string& tool) {
    std::string d = det;
    d.replace(d.find("TOOL"), 4, tool);
    return Make(d, kSteps);
  };
  Case miss = with_tool("drop_table");
  FakeOracle o;
  ModeEvaluation e = EvaluateMode(miss.mode(), miss.run(), &o);
  EXPECT_FALSE(e.positive);
  EXPECT_EQ(o.asks, 0);
  EXPECT_EQ(e.judge_calls, 0);
  EXPECT_EQ(e.detector, "tool_call");

  Case hit = with_tool("send_email");
  o.evidence = {"llm1"};
  e = EvaluateMode(hit.mode(), hit.run(), &o);
  EXPECT_TRUE(e.positive);
  EXPECT_EQ(o.asks, 1);
  EXPECT_EQ(e.detector, "llm_judge");
  EXPECT_THAT(e.evidence_step_ids, ElementsAre("t2", "llm1"));  // both operands' evidence
  EXPECT_DOUBLE_EQ(e.confidence, 0.9);
  EXPECT_TRUE(EvaluateMode(hit.mode(), hit.run(), nullptr).pending);
  o.raw_json = R"({"positive": 1})";
  EXPECT_THAT(EvaluateMode(hit.mode(), hit.run(), &o).error, HasSubstr("violates output_schema"));
}

TEST(CompositeTest, OrShortCircuitsOnADeterministicPositive) {
  const std::string det = std::string("{type: composite, operator: or, operands: [") + kJudge +
                          ", {type: regex, pattern: PATTERN}]}";
  auto with = [&](const std::string& p) {
    std::string d = det;
    d.replace(d.find("PATTERN"), 7, p);
    return Make(d, kSteps);
  };
  FakeOracle o;
  Case hit = with("backend");
  ModeEvaluation e = EvaluateMode(hit.mode(), hit.run(), &o);
  EXPECT_TRUE(e.positive);
  EXPECT_EQ(o.asks, 0);
  EXPECT_EQ(e.detector, "regex");
  Case miss = with("nothing-here");
  o.raw_json = R"({"positive": false, "confidence": 0.6})";
  e = EvaluateMode(miss.mode(), miss.run(), &o);
  EXPECT_FALSE(e.positive);
  EXPECT_EQ(o.asks, 1);
  EXPECT_TRUE(EvaluateMode(miss.mode(), miss.run(), nullptr).pending);
}

TEST(CompositeTest, NotAndNesting) {
  Case c = Make("{type: composite, operator: not, operands: [{type: tool_call, tool_calls: [escalate]}]}", kSteps);
  EXPECT_TRUE(EvaluateMode(c.mode(), c.run(), nullptr).positive);
  Case d = Make("{type: composite, operator: not, operands: [{type: tool_call, tool_calls: [send_email]}]}", kSteps);
  EXPECT_FALSE(EvaluateMode(d.mode(), d.run(), nullptr).positive);
  // timeout AND NOT (a later successful retry): and[step, not[tool_call absent]] etc.
  Case n = Make("{type: composite, operator: and, operands: [{type: step, where: {failure_code: timeout}}, "
                "{type: composite, operator: not, operands: [{type: metric_threshold, metric: span_count, "
                "operator: '>', threshold: 100}]}]}",
                kSteps);
  ModeEvaluation e = EvaluateMode(n.mode(), n.run(), nullptr);
  EXPECT_TRUE(e.positive);
  EXPECT_THAT(e.evidence_step_ids, ElementsAre("t1"));
  // An error inside a composite is the mode's error.
  Mode m = n.mode();
  m.detection.operands[0].type = "step";
  m.detection.operands[1].operands[0].metric = "vibes";
  EXPECT_THAT(EvaluateMode(m, n.run(), nullptr).error, HasSubstr("vibes"));
  // Not of a pending judge stays pending.
  Case pj = Make(std::string("{type: composite, operator: not, operands: [") + kJudge + "]}", kSteps);
  EXPECT_TRUE(EvaluateMode(pj.mode(), pj.run(), nullptr).pending);
  FakeOracle o;
  EXPECT_FALSE(EvaluateMode(pj.mode(), pj.run(), &o).positive);  // judge positive -> not -> negative
}

TEST(SchemaTest, ValidateAgainstSchema) {
  const std::string s =
      R"({"type":"object","required":["positive"],"additionalProperties":false,"properties":{"positive":{"type":"boolean"},"n":{"type":"integer","minimum":1},"tags":{"type":"array","items":{"type":"string","maxLength":3},"maxItems":2},"kind":{"enum":["a","b"]},"id":{"type":"string","pattern":"^x"}}})";
  EXPECT_OK(ValidateAgainstSchema(s, R"({"positive":true,"n":2,"tags":["ab"],"kind":"a","id":"xy"})"));
  EXPECT_OK(ValidateAgainstSchema(s, R"({"positive":false,"n":2.0})"));
  EXPECT_THAT(ValidateAgainstSchema(s, R"({"positive":true,"extra":1})").message(), HasSubstr("$.extra: additional property"));
  EXPECT_THAT(ValidateAgainstSchema(s, R"({"positive":true,"n":0})").message(), HasSubstr("$.n: 0 < minimum 1"));
  EXPECT_THAT(ValidateAgainstSchema(s, R"({"positive":true,"n":1.5})").message(), HasSubstr("$.n: expected type"));
  EXPECT_THAT(ValidateAgainstSchema(s, R"({"positive":true,"tags":["abcd"]})").message(), HasSubstr("$.tags[0]: longer than maxLength 3"));
  EXPECT_THAT(ValidateAgainstSchema(s, R"({"positive":true,"tags":["a","b","c"]})").message(), HasSubstr("more than maxItems 2"));
  EXPECT_THAT(ValidateAgainstSchema(s, R"({"positive":true,"kind":"c"})").message(), HasSubstr("not one of"));
  EXPECT_THAT(ValidateAgainstSchema(s, R"({"positive":true,"id":"yx"})").message(), HasSubstr("does not match pattern"));
  EXPECT_THAT(ValidateAgainstSchema(s, R"({})").message(), HasSubstr("missing required property \"positive\""));
  EXPECT_FALSE(ValidateAgainstSchema(s, "{").ok());
  // A schema that never went through CheckOutputSchema is an error, not an exception.
  EXPECT_FALSE(ValidateAgainstSchema(R"({"type":[1,2]})", "{}").ok());
  EXPECT_FALSE(ValidateAgainstSchema(R"({"minimum":"low"})", "3").ok());
  EXPECT_FALSE(CheckOutputSchema(R"({"type":"object","required":["positive"],"properties":{"positive":{"type":"boolean"},"x":{"minLength":-1}}})").ok());
  // Hostile: deeply nested value is bounded.
  std::string deep(10000, '[');
  deep += std::string(10000, ']');
  EXPECT_FALSE(ValidateAgainstSchema(R"({"type":"object","required":["positive"],"properties":{"positive":{"type":"boolean"}}})", deep).ok());
}

}  // namespace
}  // namespace tracery::triage
