#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "testing/testing.h"
#include "triage/detect.h"
#include "triage/rubric.h"
#include "triage/rubric_selftest.h"

namespace tracery::triage {
namespace {

using ::testing::HasSubstr;

std::string BuiltinDir() { return std::string(TRACERY_SOURCE_DIR) + "/src/triage/builtin"; }

// One source of truth: the embedded text must equal src/triage/builtin/<name>.yaml.
TEST(BuiltinTest, EmbeddedTextMatchesTheYamlFiles) {
  std::set<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(BuiltinDir())) {
    if (e.path().extension() != ".yaml") continue;
    const std::string name = e.path().stem().string();
    files.insert(name);
    std::ifstream in(e.path());
    std::stringstream ss;
    ss << in.rdbuf();
    auto embedded = BuiltinRubricYaml(name);
    ASSERT_TRUE(embedded.has_value()) << name << " is not embedded: run src/triage/builtin/embed.py";
    EXPECT_EQ(*embedded, ss.str()) << name << ".yaml changed: run src/triage/builtin/embed.py";
  }
  const auto names = BuiltinRubricNames();
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()), files);
  EXPECT_EQ(files, (std::set<std::string>{"agents", "rag", "routing", "multi-agent", "mast"}));
}

const Mode* Find(const Rubric& r, const std::string& id) {
  for (const auto& m : r.modes) {
    if (m.id == id) return &m;
  }
  return nullptr;
}

TEST(BuiltinTest, EveryBuiltinLoadsWithTheDocketModes) {
  const std::map<std::string, std::vector<std::string>> want = {
      {"agents", {"hallucination", "infinite-loop", "premature-termination", "unsafe-tool-call", "refusal-leakage",
                  "bad-handoff", "tool-timeout-unrecovered", "retry-storm", "context-length-exceeded"}},
      {"rag", {"off-corpus-answer", "missing-citation", "stale-retrieval", "context-overflow", "retrieval-failed"}},
      {"routing", {"wrong-skill-routing", "capability-mismatch", "dead-end-transfer", "oscillation"}},
      {"multi-agent", {"handoff-context-loss", "conflicting-instructions", "role-drift", "shared-memory-corruption"}},
      {"mast", {"step-repetition", "conversation-history-loss", "unaware-of-termination", "conversation-reset",
                "no-clarification-request", "ignored-agent-input", "action-reasoning-mismatch"}},
  };
  for (const auto& [name, ids] : want) {
    for (const std::string& uri : {"tracery.dev/builtin/" + name + "/v1", "docket.dev/builtin/" + name + "/v1", name + "/v1"}) {
      auto r = LoadRubric(uri);
      ASSERT_OK(r) << uri;
      EXPECT_EQ(r->version, "1.0.0");
      std::vector<std::string> got;
      for (const auto& m : r->modes) got.push_back(m.id);
      EXPECT_EQ(got, ids) << uri;
      EXPECT_EQ(r->triage.severity_to_priority.at("critical"), "P1");
      EXPECT_EQ(r->clustering.min_cluster_size, 3);
    }
  }
}

bool HasDeterministicGate(const Detection& d) {
  if (!d.involves_judge()) return true;
  if (d.type == "composite" && d.bool_op == "and") {
    for (const auto& op : d.operands) {
      if (!op.involves_judge()) return true;
    }
  }
  return false;
}

TEST(BuiltinTest, ExamplesAndPrefilters) {
  // Judge modes that cannot be gated by anything in the trace model (any run can show them).
  const std::set<std::string> ungated = {"hallucination", "premature-termination", "no-clarification-request"};
  for (const auto& name : BuiltinRubricNames()) {
    ASSERT_OK_AND_ASSIGN(Rubric r, LoadRubric(name + "/v1"));
    for (const auto& m : r.modes) {
      bool pos = false, neg = false;
      for (const auto& ex : m.examples) (ex.expected_positive ? pos : neg) = true;
      EXPECT_TRUE(pos && neg) << name << "/" << m.id << " needs a positive and a negative example";
      EXPECT_FALSE(m.description.empty()) << m.id;
      if (!ungated.count(m.id)) {
        EXPECT_TRUE(HasDeterministicGate(m.detection)) << name << "/" << m.id << " asks a judge on every run";
      }
    }
  }
}

TEST(BuiltinTest, SelfTestPassesWithoutAJudge) {
  int passed = 0;
  for (const auto& name : BuiltinRubricNames()) {
    ASSERT_OK_AND_ASSIGN(Rubric r, LoadRubric(name + "/v1"));
    for (const auto& res : SelfTest(r, nullptr)) {
      EXPECT_NE(res.outcome, SelfTestOutcome::kFail) << name << "/" << res.mode_id << " example " << res.example_index
                                                     << ": " << res.detail;
      passed += res.outcome == SelfTestOutcome::kPass;
    }
  }
  // Deterministic modes and the pre-filtered negatives decide without a judge.
  EXPECT_GE(passed, 20);
}

// A judge that says "positive" to everything: negatives decided by a pre-filter still pass, and
// the judge is asked fewer times than there are examples.
class YesJudge : public JudgeOracle {
 public:
  std::optional<Result<JudgeVerdict>> Ask(const Mode&, const Detection&, const RunView&) override {
    ++asks;
    JudgeVerdict v;
    v.raw_json = R"({"positive": true, "confidence": 0.9})";
    return Result<JudgeVerdict>(v);
  }
  int asks = 0;
};

TEST(BuiltinTest, PrefiltersSpareJudgeCalls) {
  ASSERT_OK_AND_ASSIGN(Rubric r, LoadRubric("multi-agent/v1"));
  YesJudge judge;
  int examples = 0;
  for (const auto& res : SelfTest(r, &judge)) {
    ++examples;
    if (res.expected_positive) {
      EXPECT_EQ(res.outcome, SelfTestOutcome::kPass) << res.mode_id;
    }
  }
  // handoff-context-loss has a single-agent negative that never reaches the judge.
  const Mode* m = Find(r, "handoff-context-loss");
  ASSERT_NE(m, nullptr);
  ModeEvaluation solo = EvaluateMode(*m, *m->examples[2].run, &judge);
  EXPECT_FALSE(solo.positive);
  EXPECT_EQ(solo.judge_calls, 0);
  EXPECT_LT(judge.asks, examples);
}

TEST(BuiltinTest, ExcerptExamplesReachTheJudgeWithContext) {
  ASSERT_OK_AND_ASSIGN(Rubric r, LoadRubric("agents/v1"));
  const Mode* m = Find(r, "hallucination");
  ASSERT_NE(m, nullptr);
  RunView v = ExcerptRun(m->examples[0]);
  const std::string text = TextProjection(v);
  EXPECT_THAT(text, HasSubstr("[context] No retrieval"));
  EXPECT_THAT(text, HasSubstr("Refunds are accepted for 180 days"));
  EXPECT_EQ(FinalResponse(v), m->examples[0].trace_excerpt);
}

TEST(BuiltinTest, AllBuiltinsImportTogether) {
  auto r = ParseRubric(
      "apiVersion: tracery.dev/v1\nkind: Rubric\nmetadata: {name: all, version: 1.0.0}\nimports:\n"
      "  - tracery.dev/builtin/agents/v1\n  - tracery.dev/builtin/rag/v1\n  - tracery.dev/builtin/routing/v1\n"
      "  - tracery.dev/builtin/multi-agent/v1\n  - tracery.dev/builtin/mast/v1\n",
      "all.yaml");
  ASSERT_OK(r);
  EXPECT_EQ(r->modes.size(), 9u + 5u + 4u + 4u + 7u);  // no id collides across built-ins
}

}  // namespace
}  // namespace tracery::triage
