#include "triage/rubric_selftest.h"

#include <gtest/gtest.h>

#include "testing/testing.h"

namespace tracery::triage {
namespace {

using ::testing::HasSubstr;

Rubric Parse(const std::string& modes) {
  auto r = ParseRubric("apiVersion: tracery.dev/v1\nkind: Rubric\nmetadata: {name: t, version: 1.0.0}\nmodes:\n" + modes,
                       "t.yaml");
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) std::abort();
  return std::move(r).value();
}

TEST(SelfTestTest, PassFailSkip) {
  Rubric r = Parse(R"(  - id: leak
    severity: low
    detection: {type: regex, pattern: secret}
    examples:
      - {trace_excerpt: "the secret is out", expected: positive}
      - {trace_excerpt: "nothing here", expected: negative}
      - {trace_excerpt: "nothing here", expected: positive}
  - id: tool
    severity: low
    detection: {type: tool_call, tool_calls: [rm]}
    examples:
      - {trace_excerpt: "called rm", expected: positive}
      - expected: positive
        run: {steps: [{type: agent, name: a}, {type: tool, name: rm}]}
  - id: judged
    severity: low
    detection: {type: llm_judge, prompt: p, output_schema: {type: object, required: [positive], properties: {positive: {type: boolean}}}}
    examples:
      - {trace_excerpt: "x", expected: positive}
)");
  auto res = SelfTest(r, nullptr);
  ASSERT_EQ(res.size(), 6u);
  EXPECT_EQ(res[0].outcome, SelfTestOutcome::kPass);
  EXPECT_EQ(res[0].detail, "secret");
  EXPECT_EQ(res[1].outcome, SelfTestOutcome::kPass);
  EXPECT_EQ(res[2].outcome, SelfTestOutcome::kFail);
  EXPECT_THAT(res[2].detail, HasSubstr("expected positive, got negative"));
  EXPECT_EQ(res[2].line, 11);
  EXPECT_EQ(res[3].outcome, SelfTestOutcome::kSkip);  // an excerpt cannot exercise tool_call
  EXPECT_THAT(res[3].detail, HasSubstr("add a run:"));
  EXPECT_EQ(res[4].outcome, SelfTestOutcome::kPass);
  EXPECT_EQ(res[5].outcome, SelfTestOutcome::kSkip);
  EXPECT_THAT(res[5].detail, HasSubstr("needs a judge"));
  EXPECT_EQ(ToString(SelfTestOutcome::kFail), "FAIL");
}

class BrokenJudge : public JudgeOracle {
 public:
  std::optional<Result<JudgeVerdict>> Ask(const Mode&, const Detection&, const RunView&) override {
    JudgeVerdict v;
    v.raw_json = R"({"positive": "maybe"})";
    return Result<JudgeVerdict>(v);
  }
};

TEST(SelfTestTest, JudgeSchemaViolationFails) {
  Rubric r = Parse(R"(  - id: judged
    severity: low
    detection: {type: llm_judge, prompt: p, output_schema: {type: object, required: [positive], properties: {positive: {type: boolean}}}}
    examples:
      - {trace_excerpt: "x", expected: negative}
)");
  BrokenJudge j;
  auto res = SelfTest(r, &j);
  ASSERT_EQ(res.size(), 1u);
  EXPECT_EQ(res[0].outcome, SelfTestOutcome::kFail);
  EXPECT_THAT(res[0].detail, HasSubstr("violates output_schema"));
}

}  // namespace
}  // namespace tracery::triage
