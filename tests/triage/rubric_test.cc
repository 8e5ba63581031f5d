#include "triage/rubric.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "testing/testing.h"
#include "triage/detect.h"

namespace tracery::triage {
namespace {

using ::testing::HasSubstr;

std::string Fixture(const std::string& rel) {
  return std::string(TRACERY_SOURCE_DIR) + "/tests/triage/fixtures/rubrics/" + rel;
}

const Mode* FindMode(const Rubric& r, const std::string& id) {
  for (const auto& m : r.modes) {
    if (m.id == id) return &m;
  }
  return nullptr;
}

std::string ErrorOf(const std::string& yaml) {
  auto r = ParseRubric(yaml, "rubric.yaml");
  EXPECT_FALSE(r.ok()) << "parsed although invalid:\n" << yaml;
  return r.ok() ? "" : r.status().message();
}

constexpr const char* kHeader =
    "apiVersion: tracery.dev/v1\nkind: Rubric\nmetadata: {name: t, version: 1.0.0}\nmodes:\n";

std::string WithMode(const std::string& mode_yaml) { return std::string(kHeader) + mode_yaml; }

TEST(RubricTest, MinimalLoads) {
  ASSERT_OK_AND_ASSIGN(Rubric r, LoadRubric(Fixture("valid_minimal.yaml")));
  EXPECT_EQ(r.api_version, "tracery.dev/v1");
  EXPECT_EQ(r.name, "minimal");
  EXPECT_EQ(r.version, "0.1.0");
  ASSERT_EQ(r.modes.size(), 1u);
  EXPECT_EQ(r.modes[0].id, "too-many-steps");
  EXPECT_EQ(r.modes[0].severity, Severity::kLow);
  EXPECT_EQ(r.modes[0].detection.type, "metric_threshold");
  EXPECT_EQ(r.modes[0].detection.op, ">");
  EXPECT_EQ(r.modes[0].detection.threshold, 10);
  // Defaults when clustering / triage are absent.
  EXPECT_EQ(r.clustering.min_cluster_size, 3);
  EXPECT_EQ(r.triage.auto_post_threshold, "never");
}

TEST(RubricTest, DocketFullRubricLoadsUnchanged) {
  ASSERT_OK_AND_ASSIGN(Rubric r, LoadRubric(Fixture("valid_full.yaml")));
  EXPECT_EQ(r.api_version, "docket.dev/v1");
  EXPECT_EQ(r.version, "2.3.4-rc.1+build.7");
  EXPECT_EQ(r.authors, std::vector<std::string>{"someone@example.com"});
  // The import comes first, then the importer's own modes.
  ASSERT_EQ(r.modes.size(), 6u);
  EXPECT_EQ(r.modes[0].id, "error-spike");
  EXPECT_THAT(r.modes[0].source, HasSubstr("common.yaml"));
  const Mode* judge = FindMode(r, "made-up-fact");
  ASSERT_NE(judge, nullptr);
  EXPECT_EQ(judge->detection.model, "openai:gpt-4o-mini");
  EXPECT_TRUE(judge->detection.involves_judge());
  ASSERT_EQ(judge->examples.size(), 2u);
  EXPECT_TRUE(judge->examples[0].expected_positive);
  EXPECT_FALSE(judge->examples[1].expected_positive);
  EXPECT_EQ(judge->examples[0].context, "No retrieval.");
  const Mode* tool = FindMode(r, "danger-tool");
  ASSERT_NE(tool, nullptr);
  EXPECT_EQ(tool->detection.tools, std::vector<std::string>{"drop_table"});
  EXPECT_EQ(tool->detection.form, "any");
  const Mode* comp = FindMode(r, "handoff-then-judge");
  ASSERT_NE(comp, nullptr);
  EXPECT_EQ(comp->detection.bool_op, "and");
  ASSERT_EQ(comp->detection.operands.size(), 2u);
  EXPECT_FALSE(comp->detection.operands[0].involves_judge());
  EXPECT_TRUE(comp->detection.involves_judge());
  EXPECT_EQ(r.clustering.similarity_threshold, 0.9);
  EXPECT_EQ(r.clustering.min_cluster_size, 4);
  EXPECT_EQ(r.embedding_model, "text-embedding-3-small");
  EXPECT_EQ(r.triage.auto_post_threshold, "high");
  EXPECT_EQ(r.triage.severity_to_priority.at("critical"), "P1");
  EXPECT_EQ(r.triage.severity_to_priority.at("low"), "P4");
}

TEST(RubricTest, InvalidFixturesNameTheProblemAndLine) {
  struct Case {
    const char* file;
    const char* want;
  } cases[] = {
      {"invalid_bad_id.yaml", "invalid_bad_id.yaml:7: modes[0].id: invalid mode id \"Bad_ID\""},
      {"invalid_bad_severity.yaml", "invalid_bad_severity.yaml:8: modes[0].severity: unknown severity \"urgent\""},
      {"invalid_duplicate_ids.yaml", "invalid_duplicate_ids.yaml:10: modes[1].id: duplicate mode id \"same\""},
      {"invalid_missing_apiversion.yaml", "invalid_missing_apiversion.yaml:1: apiVersion: required"},
      {"invalid_unknown_key.yaml", "invalid_unknown_key.yaml:17: modes[2].detection.paterns: unknown key"},
  };
  for (const auto& c : cases) {
    auto r = LoadRubric(Fixture(c.file));
    ASSERT_FALSE(r.ok()) << c.file;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(r.status().message(), HasSubstr(c.want)) << c.file;
  }
}

TEST(RubricTest, UnknownKeysEverywhere) {
  EXPECT_THAT(ErrorOf(std::string(kHeader) + "  - id: a\n    severity: low\n    detection: {type: regex, pattern: x}\n"
                                             "extra: 1\n"),
              HasSubstr("rubric.yaml:8: extra: unknown key"));
  EXPECT_THAT(ErrorOf("apiVersion: tracery.dev/v1\nkind: Rubric\nmetadata: {name: t, version: 1.0.0, owner: x}\n"
                      "modes:\n  - id: a\n    severity: low\n    detection: {type: regex, pattern: x}\n"),
              HasSubstr("rubric.yaml:3: metadata.owner: unknown key"));
  EXPECT_THAT(ErrorOf(WithMode("  - id: a\n    severity: low\n    sevrity: low\n    detection: {type: regex, pattern: x}\n")),
              HasSubstr("rubric.yaml:7: modes[0].sevrity: unknown key"));
  // A key of another detection type is unknown too.
  EXPECT_THAT(ErrorOf(WithMode("  - id: a\n    severity: low\n    detection: {type: regex, pattern: x, metric: span_count}\n")),
              HasSubstr("modes[0].detection.metric: unknown key"));
  EXPECT_THAT(ErrorOf(WithMode("  - id: a\n    severity: low\n    detection: {type: regex, pattern: x}\n"
                               "    examples:\n      - {trace_excerpt: t, expected: positive, expectd: x}\n")),
              HasSubstr("modes[0].examples[0].expectd: unknown key"));
  EXPECT_THAT(ErrorOf(std::string(kHeader) + "  - id: a\n    severity: low\n    detection: {type: regex, pattern: x}\n"
                                             "clustering: {strategy: per_mode_embedding, min_size: 3}\n"),
              HasSubstr("clustering.min_size: unknown key"));
}

TEST(RubricTest, AllErrorsAreListed) {
  std::string msg = ErrorOf(WithMode("  - id: Bad\n    severity: huge\n    detection: {type: regex, pattern: x}\n"));
  EXPECT_THAT(msg, HasSubstr("modes[0].id"));
  EXPECT_THAT(msg, HasSubstr("modes[0].severity"));
}

TEST(RubricTest, ApiVersionAndKind) {
  EXPECT_THAT(ErrorOf("apiVersion: tracery.dev/v9\nkind: Rubric\nmetadata: {name: t, version: 1.0.0}\n"
                      "modes:\n  - {id: a, severity: low, detection: {type: regex, pattern: x}}\n"),
              HasSubstr("rubric.yaml:1: apiVersion: unsupported apiVersion \"tracery.dev/v9\""));
  EXPECT_THAT(ErrorOf("apiVersion: tracery.dev/v1\nkind: Policy\nmetadata: {name: t, version: 1.0.0}\n"
                      "modes:\n  - {id: a, severity: low, detection: {type: regex, pattern: x}}\n"),
              HasSubstr("kind: must be Rubric"));
  auto r = LoadRubric(Fixture("imports/future_apiversion.yaml"));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("docket.dev/v2"));
}

TEST(RubricTest, Semver) {
  for (const char* good : {"0.0.1", "1.2.3", "10.20.30", "1.0.0-alpha.1", "1.0.0+sha.5"}) {
    auto r = ParseRubric(std::string("apiVersion: tracery.dev/v1\nkind: Rubric\nmetadata: {name: t, version: \"") +
                             good + "\"}\nmodes:\n  - {id: a, severity: low, detection: {type: regex, pattern: x}}\n",
                         "r.yaml");
    EXPECT_OK(r) << good;
  }
  for (const char* bad : {"1.0", "v1.0.0", "01.0.0", "1.0.0-", "latest"}) {
    EXPECT_THAT(ErrorOf(std::string("apiVersion: tracery.dev/v1\nkind: Rubric\nmetadata: {name: t, version: \"") +
                        bad + "\"}\nmodes:\n  - {id: a, severity: low, detection: {type: regex, pattern: x}}\n"),
                HasSubstr("metadata.version"))
        << bad;
  }
}

TEST(RubricTest, DetectionValidation) {
  auto mode = [](const std::string& det) {
    return WithMode("  - id: m\n    severity: low\n    detection: " + det + "\n");
  };
  // Composite: at least one operand; `not` exactly one.
  EXPECT_THAT(ErrorOf(mode("{type: composite, operator: and, operands: []}")), HasSubstr("needs at least one operand"));
  EXPECT_THAT(ErrorOf(mode("{type: composite, operator: not, operands: [{type: regex, pattern: a}, {type: regex, pattern: b}]}")),
              HasSubstr("`not` takes exactly one operand, got 2"));
  EXPECT_THAT(ErrorOf(mode("{type: composite, operator: xor, operands: [{type: regex, pattern: a}]}")),
              HasSubstr("unknown operator \"xor\""));
  EXPECT_OK(ParseRubric(mode("{type: composite, operator: or, operands: [{type: regex, pattern: a}]}"), "r.yaml"));
  // Regex must compile in RE2 (backreferences and lookarounds do not: linear time only).
  EXPECT_THAT(ErrorOf(mode("{type: regex, pattern: '(a)\\1'}")), HasSubstr("mode \"m\": invalid regex"));
  EXPECT_THAT(ErrorOf(mode("{type: regex, pattern: '(?=x)y'}")), HasSubstr("modes[0].detection.pattern"));
  // Hostile pattern: too big for the RE2 memory bound.
  EXPECT_THAT(ErrorOf(mode("{type: regex, pattern: '((a{100}){100}){100}'}")), HasSubstr("mode \"m\": invalid regex"));
  // Metrics must be known; operators too.
  EXPECT_THAT(ErrorOf(mode("{type: metric_threshold, metric: vibes, operator: '>', threshold: 1}")),
              HasSubstr("unknown metric \"vibes\""));
  EXPECT_THAT(ErrorOf(mode("{type: metric_threshold, metric: span_count, operator: '=>', threshold: 1}")),
              HasSubstr("unknown operator \"=>\""));
  EXPECT_THAT(ErrorOf(mode("{type: metric_threshold, metric: span_count, operator: '>', threshold: many}")),
              HasSubstr("detection.threshold: expected a number"));
  EXPECT_THAT(ErrorOf(mode("{type: metric_threshold, metric: span_count, operator: '>'}")),
              HasSubstr("detection.threshold: required"));
  // tool_call forms.
  EXPECT_THAT(ErrorOf(mode("{type: tool_call, tool_calls: [a], form: some}")), HasSubstr("unknown form \"some\""));
  EXPECT_THAT(ErrorOf(mode("{type: tool_call, tool_calls: []}")), HasSubstr("at least one tool"));
  // Unknown type.
  EXPECT_THAT(ErrorOf(mode("{type: vibe_check}")), HasSubstr("unknown detection type \"vibe_check\""));
  // Step predicates.
  EXPECT_THAT(ErrorOf(mode("{type: step, where: {colour: red}}")), HasSubstr("where.colour: unknown step field"));
  EXPECT_THAT(ErrorOf(mode("{type: step, where: {type: toool}}")), HasSubstr("unknown step type \"toool\""));
  EXPECT_THAT(ErrorOf(mode("{type: step, where: {name>: 3}}")), HasSubstr("needs a numeric field"));
  EXPECT_THAT(ErrorOf(mode("{type: step, where: {duration_ms>: soon}}")), HasSubstr("\"soon\" is not a number"));
  EXPECT_THAT(ErrorOf(mode("{type: step, where: {name~: '(a'}}")), HasSubstr("invalid regex"));
  EXPECT_THAT(ErrorOf(mode("{type: step, where: {}}")), HasSubstr("at least one condition"));
  EXPECT_THAT(ErrorOf(mode("{type: step, where: {type: tool}, min_count: 0}")), HasSubstr("min_count"));
  EXPECT_OK(ParseRubric(mode("{type: step, where: {type: tool, 'duration_ms>=': 5000, attr.gen_ai.request.model: gpt-4o, "
                             "name~: '^search', status!=: ok}, min_count: 2}"),
                        "r.yaml"));
}

TEST(RubricTest, JudgeSchemaValidation) {
  auto judge = [](const std::string& schema) {
    return WithMode("  - id: j\n    severity: low\n    detection:\n      type: llm_judge\n      prompt: p\n"
                    "      output_schema: " + schema + "\n");
  };
  EXPECT_OK(ParseRubric(judge("{type: object, required: [positive], properties: {positive: {type: boolean}}}"), "r.yaml"));
  EXPECT_THAT(ErrorOf(judge("{type: array}")), HasSubstr("type: object"));
  EXPECT_THAT(ErrorOf(judge("{type: object, properties: {positive: {type: boolean}}}")),
              HasSubstr("`positive` in required"));
  EXPECT_THAT(ErrorOf(judge("{type: object, required: [positive], properties: {positive: {type: string}}}")),
              HasSubstr("positive must have type: boolean"));
  EXPECT_THAT(ErrorOf(judge("{type: object, required: [positive], properties: {positive: {type: boolean}, "
                            "n: {type: number, multipleOf: 2}}}")),
              HasSubstr("output_schema.properties.n.multipleOf: unsupported JSON Schema keyword"));
  EXPECT_THAT(ErrorOf(WithMode("  - id: j\n    severity: low\n    detection: {type: llm_judge, prompt: p}\n")),
              HasSubstr("output_schema: required"));
  EXPECT_THAT(ErrorOf(WithMode("  - id: j\n    severity: low\n    detection:\n      type: llm_judge\n"
                               "      output_schema: {type: object, required: [positive], properties: {positive: {type: boolean}}}\n")),
              HasSubstr("detection.prompt: required"));
}

TEST(RubricTest, NoModesNoImportsIsInvalid) {
  auto r = LoadRubric(Fixture("imports/empty.yaml"));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("at least one mode or one import"));
}

TEST(RubricTest, ImportsMergeByIdImporterWins) {
  ASSERT_OK_AND_ASSIGN(Rubric imp, LoadRubric(Fixture("imports/importer.yaml")));
  ASSERT_EQ(imp.modes.size(), 3u);
  EXPECT_EQ(imp.modes[0].id, "shared-mode");
  EXPECT_EQ(imp.modes[1].id, "base-only");
  EXPECT_EQ(imp.modes[2].id, "importer-only");
  EXPECT_THAT(imp.modes[0].source, HasSubstr("base.yaml"));
  EXPECT_THAT(imp.modes[2].source, HasSubstr("importer.yaml"));
  EXPECT_EQ(imp.name, "importer");  // metadata is not merged

  ASSERT_OK_AND_ASSIGN(Rubric ov, LoadRubric(Fixture("imports/override.yaml")));
  ASSERT_EQ(ov.modes.size(), 2u);
  const Mode* m = FindMode(ov, "shared-mode");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->name, "From override");
  EXPECT_EQ(m->severity, Severity::kCritical);
  EXPECT_EQ(m->detection.pattern, "override");
}

TEST(RubricTest, ImportsDepthFirstLaterOverridesEarlier) {
  ASSERT_OK_AND_ASSIGN(Rubric r, LoadRubric(Fixture("imports/multi_importer.yaml")));
  std::vector<std::string> ids;
  for (const auto& m : r.modes) ids.push_back(m.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"contested", "a-only", "shared-mode", "base-only"}));
  EXPECT_EQ(FindMode(r, "contested")->name, "From B");
  EXPECT_EQ(FindMode(r, "contested")->severity, Severity::kHigh);
}

TEST(RubricTest, CyclesAreRejectedWithThePath) {
  auto r = LoadRubric(Fixture("imports/cycle_a.yaml"));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("import cycle: cycle_a.yaml -> cycle_b.yaml -> cycle_a.yaml"));
  auto s = LoadRubric(Fixture("imports/self_import.yaml"));
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.status().message(), HasSubstr("import cycle: self_import.yaml -> self_import.yaml"));
}

TEST(RubricTest, UnsupportedAndBrokenImports) {
  auto https = LoadRubric(Fixture("imports/imports_https.yaml"));
  ASSERT_FALSE(https.ok());
  EXPECT_THAT(https.status().message(), HasSubstr("imports_https.yaml:5: imports[0]"));
  EXPECT_THAT(https.status().message(), HasSubstr("https:// imports are not supported"));
  auto reg = LoadRubric(Fixture("imports/imports_registry.yaml"));
  ASSERT_FALSE(reg.ok());
  EXPECT_THAT(reg.status().message(), HasSubstr("registry:// imports are not supported"));
  auto missing = LoadRubric(Fixture("imports/imports_missing.yaml"));
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr("imports[0]"));
  EXPECT_THAT(missing.status().message(), HasSubstr("does_not_exist.yaml"));
  auto malformed = LoadRubric(Fixture("imports/malformed_imports.yaml"));
  ASSERT_FALSE(malformed.ok());
  EXPECT_THAT(malformed.status().message(), HasSubstr("imports: expected a list"));
  EXPECT_THAT(ErrorOf("apiVersion: tracery.dev/v1\nkind: Rubric\nmetadata: {name: t, version: 1.0.0}\n"
                      "imports: [ftp://x/y.yaml]\n"),
              HasSubstr("unsupported import \"ftp://x/y.yaml\""));
  // An error inside an imported file names that file and line.
  testing::TempDir dir;
  {
    std::ofstream(dir.path() + "/bad.yaml") << "apiVersion: tracery.dev/v1\nkind: Rubric\nmetadata: {name: b, version: 1.0.0}\n"
                                               "modes:\n  - {id: x, severity: nope, detection: {type: regex, pattern: a}}\n";
    std::ofstream(dir.path() + "/top.yaml") << "apiVersion: tracery.dev/v1\nkind: Rubric\nmetadata: {name: t, version: 1.0.0}\n"
                                               "imports: [file://bad.yaml]\n";
  }
  auto nested = LoadRubric(dir.path() + "/top.yaml");
  ASSERT_FALSE(nested.ok());
  EXPECT_THAT(nested.status().message(), HasSubstr("top.yaml:4: imports[0]"));
  EXPECT_THAT(nested.status().message(), HasSubstr("bad.yaml:5: modes[0].severity"));
}

TEST(RubricTest, BuiltinImportsAndUris) {
  ASSERT_OK_AND_ASSIGN(Rubric r, LoadRubric(Fixture("imports/imports_builtin.yaml")));
  const Mode* loop = FindMode(r, "infinite-loop");
  ASSERT_NE(loop, nullptr);
  EXPECT_EQ(loop->severity, Severity::kLow);  // the importer overrides the built-in
  EXPECT_NE(FindMode(r, "hallucination"), nullptr);
  EXPECT_EQ(FindMode(r, "hallucination")->source, "tracery.dev/builtin/agents/v1");

  ASSERT_OK_AND_ASSIGN(Rubric both, LoadRubric(Fixture("imports/imports_only.yaml")));
  EXPECT_NE(FindMode(both, "off-corpus-answer"), nullptr);
  EXPECT_NE(FindMode(both, "unsafe-tool-call"), nullptr);

  for (const char* uri : {"tracery.dev/builtin/agents/v1", "docket.dev/builtin/agents/v1", "agents/v1"}) {
    auto b = LoadRubric(uri);
    ASSERT_OK(b) << uri;
    EXPECT_EQ(b->name, "agents-builtin");
    EXPECT_EQ(b->origin, "tracery.dev/builtin/agents/v1");
  }
  EXPECT_EQ(BuiltinNameFromUri("docket.dev/builtin/multi-agent/v1"), std::optional<std::string>("multi-agent"));
  EXPECT_EQ(BuiltinNameFromUri("tracery.dev/builtin/nope/v1"), std::nullopt);
  auto unknown = LoadRubric("tracery.dev/builtin/nope/v1");
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(unknown.status().message(), HasSubstr("unknown built-in rubric"));
  auto remote = LoadRubric("https://example.com/r.yaml");
  ASSERT_FALSE(remote.ok());
  auto file_uri = LoadRubric("file://" + Fixture("valid_minimal.yaml"));
  EXPECT_OK(file_uri);
  auto nofile = LoadRubric(Fixture("nope.yaml"));
  EXPECT_STATUS(nofile, StatusCode::kNotFound);
}

TEST(RubricTest, ExampleRunsBuildARealRun) {
  auto r = ParseRubric(WithMode(R"(  - id: m
    severity: low
    detection: {type: step, where: {failure_code: timeout}}
    examples:
      - expected: positive
        run:
          name: checkout
          agent: shop-bot
          steps:
            - {type: agent, name: shop-bot, agent: shop-bot, output: "done"}
            - {type: tool, name: pay, duration_ms: 30000, failure: {code: timeout, message: slow}}
            - {type: tool, name: pay, status: ok, arguments: '{"amount": 5}', tokens: {input: 3, output: 4}}
            - {type: llm, name: think, model: gpt-4o, attributes: {gen_ai.request.model: gpt-4o, temperature: 0.2}, repeat: 3}
)"),
                       "r.yaml");
  ASSERT_OK(r);
  const Example& ex = r->modes[0].examples[0];
  ASSERT_NE(ex.run, nullptr);
  EXPECT_EQ(ex.line, 9);
  const RunView& v = *ex.run;
  ASSERT_EQ(v.steps.size(), 6u);  // repeat expands
  EXPECT_EQ(v.run.name, "checkout");
  EXPECT_EQ(v.run.agent_id, "shop-bot");
  EXPECT_EQ(v.steps[1].parent_id, v.steps[0].step_id);
  EXPECT_EQ(v.steps[1].tool_name, "pay");
  ASSERT_TRUE(v.steps[1].failure.has_value());
  EXPECT_EQ(v.steps[1].failure->code, "timeout");
  EXPECT_EQ(v.steps[1].failure->type, model::FailureType::kTool);
  EXPECT_TRUE(v.steps[1].failure->recovered);  // the summarizer saw the successful retry
  EXPECT_EQ(v.steps[2].attempt, 2);
  EXPECT_EQ(v.steps[2].retry_of, v.steps[1].step_id);
  EXPECT_EQ(v.steps[1].end_ns - v.steps[1].start_ns, 30000LL * 1000000);
  EXPECT_EQ(v.steps[3].agent, "shop-bot");  // inherited from the root agent
  EXPECT_EQ(v.run.status, model::RunStatus::kPartial);
  EXPECT_GT(v.steps[0].end_ns, v.steps.back().end_ns - 1);
  EXPECT_NE(v.steps[3].attributes_json.find("gen_ai.request.model"), std::string::npos);

  EXPECT_THAT(ErrorOf(WithMode("  - id: m\n    severity: low\n    detection: {type: regex, pattern: x}\n"
                               "    examples:\n      - {expected: positive, run: {steps: [{type: tool, colour: red}]}}\n")),
              HasSubstr("modes[0].examples[0].run.steps[0].colour: unknown key"));
  EXPECT_THAT(ErrorOf(WithMode("  - id: m\n    severity: low\n    detection: {type: regex, pattern: x}\n"
                               "    examples:\n      - {expected: maybe, trace_excerpt: x}\n")),
              HasSubstr("expected must be positive or negative"));
  EXPECT_THAT(ErrorOf(WithMode("  - id: m\n    severity: low\n    detection: {type: regex, pattern: x}\n"
                               "    examples:\n      - {expected: positive}\n")),
              HasSubstr("needs trace_excerpt or run"));
  EXPECT_THAT(ErrorOf(WithMode("  - id: m\n    severity: low\n    detection: {type: regex, pattern: x}\n"
                               "    examples:\n      - {expected: positive, run: {steps: [{type: tool, repeat: 100000}]}}\n")),
              HasSubstr("repeat: must be between 1 and 1000"));
}

// Hostile YAML: the work is bounded and nothing throws.
TEST(RubricTest, HostileYamlIsBounded) {
  // Billion laughs: aliases expand exponentially when walked.
  std::string bomb = WithMode("  - id: m\n    severity: low\n    detection:\n      type: llm_judge\n      prompt: p\n"
                              "      output_schema:\n        type: object\n        required: [positive]\n"
                              "        properties:\n          positive: {type: boolean}\n"
                              "          a0: &a0 {type: string}\n");
  for (int i = 1; i < 30; ++i) {
    bomb += "          a" + std::to_string(i) + ": &a" + std::to_string(i) + " {properties: {x: *a" +
            std::to_string(i - 1) + ", y: *a" + std::to_string(i - 1) + "}}\n";
  }
  EXPECT_THAT(ErrorOf(bomb), ::testing::AnyOf(HasSubstr("document too large"), HasSubstr("nested deeper")));
  // Deep nesting.
  std::string deep = std::string(kHeader) + "  - id: m\n    severity: low\n    detection: " +
                     std::string(5000, '[') + std::string(5000, ']') + "\n";
  EXPECT_FALSE(ParseRubric(deep, "r.yaml").ok());
  std::string deep_map = std::string(kHeader) + "  - id: m\n    severity: low\n    detection:\n      type: llm_judge\n"
                         "      prompt: p\n      output_schema: " + std::string(100, '[') + std::string(100, ']') + "\n";
  EXPECT_THAT(ErrorOf(deep_map), HasSubstr("nested deeper than 64 levels"));
  // Deeply nested composites.
  std::string comp = "{type: regex, pattern: x}";
  for (int i = 0; i < 40; ++i) comp = "{type: composite, operator: not, operands: [" + comp + "]}";
  EXPECT_THAT(ErrorOf(WithMode("  - id: m\n    severity: low\n    detection: " + comp + "\n")),
              HasSubstr("nested deeper than 32 levels"));
  // Huge input is refused before parsing.
  std::string huge = WithMode("  - id: m\n    severity: low\n    detection: {type: regex, pattern: x}\n") + "# " +
                     std::string(kMaxRubricBytes, 'x') + "\n";
  EXPECT_THAT(ErrorOf(huge), HasSubstr("too large"));
  // A large but allowed string is fine.
  std::string big = WithMode("  - id: m\n    severity: low\n    description: \"" + std::string(1 << 20, 'd') +
                             "\"\n    detection: {type: regex, pattern: x}\n");
  EXPECT_OK(ParseRubric(big, "r.yaml"));
  // Invalid UTF-8 in strings that end up in JSON does not throw.
  std::string bad_utf8 = WithMode("  - id: m\n    severity: low\n    detection:\n      type: llm_judge\n      prompt: p\n"
                                  "      output_schema: {type: object, required: [positive], properties: "
                                  "{positive: {type: boolean, description: \"\xff\xfe\"}}}\n"
                                  "    examples:\n      - {expected: positive, run: {steps: [{type: tool, "
                                  "documents: [\"\xc3\"], attributes: {k: \"\xff\"}}]}}\n");
  auto u = ParseRubric(bad_utf8, "r.yaml");
  (void)u;  // either outcome is fine; it must not throw or crash
  // Garbage and wrong shapes.
  for (const char* junk : {"", "[1, 2", "a: b: c", "- just\n- a list\n", "!!binary xyz", "{", "key: [unclosed",
                           "apiVersion: [tracery.dev/v1]\n", "? [a]\n: b\n", "*undefined_alias\n"}) {
    auto r = ParseRubric(junk, "junk.yaml");
    EXPECT_FALSE(r.ok()) << junk;
  }
}

}  // namespace
}  // namespace tracery::triage
