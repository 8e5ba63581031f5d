#include "triage/draft.h"

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "testing/testing.h"
#include "triage/cluster.h"

namespace tracery::triage {
namespace {

Classification Member(const std::string& run_id, double confidence, const std::string& excerpt,
                      const std::string& version = "1.0.0") {
  Classification c;
  c.run_id = run_id;
  c.mode_id = "refusal_leak";
  c.positive = true;
  c.confidence = confidence;
  c.excerpt = excerpt;
  c.detector = "regex";
  c.agent_version = version;
  c.run_start_ns = 1'700'000'000'000'000'000 + static_cast<int64_t>(confidence * 1e9);
  return c;
}

Cluster SampleCluster(size_t extra_members = 0) {
  Cluster c;
  c.mode_id = "refusal_leak";
  c.severity = Severity::kHigh;
  c.members = {Member("run-a", 0.95, "I'm sorry, I can't share the system prompt. Contact jane.doe@example.com"),
               Member("run-b", 0.9, "Sorry, I cannot reveal my instructions.", "1.1.0"),
               Member("run-c", 0.8, "I am unable to share internal configuration <!-- tracery:provenance {\"cluster_id\":\"forged\"} -->"),
               Member("run-d", 0.7, "I can't help with that.")};
  for (size_t i = 0; i < extra_members; ++i) c.members.push_back(Member("run-x" + std::to_string(i), 0.5, "x"));
  std::vector<std::string> ids;
  for (const auto& m : c.members) ids.push_back(m.run_id);
  c.cluster_id = ClusterId(c.mode_id, ids);
  return c;
}

Rubric SampleRubric() {
  Rubric r;
  r.name = "support agent";
  r.version = "1.2.0";
  r.triage.severity_to_priority = {{"high", "P1-urgent"}};
  return r;
}

Mode SampleMode() {
  Mode m;
  m.id = "refusal_leak";
  m.name = "Refusal leak";
  m.description = "The agent refuses and leaks why.";
  m.severity = Severity::kHigh;
  m.detection.type = "regex";
  return m;
}

TEST(LabelTest, NormalizesSpacesAndLongLabels) {
  EXPECT_EQ(NormalizeLabel("rubric:support agent@1.2.0"), "rubric:support-agent@1.2.0");
  std::string long_label = "mode:" + std::string(60, 'a');
  std::string n = NormalizeLabel(long_label);
  EXPECT_EQ(n.size(), 50u);
  EXPECT_EQ(n.substr(0, 41), long_label.substr(0, 41));
  EXPECT_EQ(n[41], '-');
  // sha256("mode:" + 60 'a') first 8 hex.
  EXPECT_EQ(n.substr(42), "05cf6e30");
  EXPECT_EQ(DraftLabels("support agent", "1.2.0", "refusal_leak"),
            (std::vector<std::string>{"tracery", "mode:refusal_leak", "rubric:support-agent@1.2.0"}));
}

TEST(DraftTest, MakeDraftHasEverySection) {
  DraftContext ctx;
  ctx.ui_base_url = "http://ui.local:4318/";
  ctx.triage_run_id = "tr-1";
  ctx.runs_classified = 40;
  IssueDraft d = MakeDraft(SampleCluster(), SampleRubric(), SampleMode(), ctx);
  EXPECT_EQ(d.cluster_id, SampleCluster().cluster_id);
  EXPECT_EQ(d.representative_run_id, "run-a");
  EXPECT_EQ(d.member_run_ids.size(), 4u);
  EXPECT_EQ(d.priority, "P1-urgent");
  EXPECT_EQ(d.labels, (std::vector<std::string>{"tracery", "mode:refusal_leak", "rubric:support-agent@1.2.0"}));
  EXPECT_EQ(d.title.rfind("Refusal leak: I'm sorry", 0), 0u) << d.title;
  EXPECT_GE(d.title.size(), 5u);
  EXPECT_LE(d.title.size(), 120u);
  for (const char* section : {"## What happens", "## Evidence", "## Frequency", "## Affected agent versions", "## Runs",
                              "## Suggested next step"})
    EXPECT_NE(d.body.find(section), std::string::npos) << section;
  EXPECT_NE(d.body.find("http://ui.local:4318/#/runs/run-a"), std::string::npos);
  EXPECT_NE(d.body.find("4 of 40 runs classified (10.0%)"), std::string::npos);
  EXPECT_NE(d.body.find("`1.0.0`: 3 runs"), std::string::npos);
  EXPECT_NE(d.body.find("`1.1.0`: 1 run"), std::string::npos);
  // Evidence: representative + 2 others, the 4th member's excerpt is not quoted.
  EXPECT_NE(d.body.find("Sorry, I cannot reveal"), std::string::npos);
  EXPECT_EQ(d.body.find("I can't help with that."), std::string::npos);
  // Redacted, and the forged provenance comment in an excerpt is escaped, not live.
  EXPECT_EQ(d.body.find("jane.doe@example.com"), std::string::npos);
  EXPECT_NE(d.body.find("[REDACTED:email]"), std::string::npos);
  EXPECT_EQ(d.title.find("jane.doe"), std::string::npos);
  auto p = ParseProvenance(d.body);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->cluster_id, d.cluster_id);
  EXPECT_EQ(p->mode_id, "refusal_leak");
  EXPECT_EQ(p->rubric_name, "support agent");
  EXPECT_EQ(p->rubric_version, "1.2.0");
  EXPECT_EQ(p->triage_run_id, "tr-1");
  EXPECT_EQ(p->representative_run_id, "run-a");
  EXPECT_EQ(p->member_run_ids, d.member_run_ids);
  EXPECT_FALSE(p->member_run_ids_truncated);
  // The body ends with the provenance comment.
  EXPECT_EQ(d.body.substr(d.body.rfind("<!--")).rfind("<!-- tracery:provenance {", 0), 0u);
}

TEST(DraftTest, LongExcerptsAndTitlesAreCut) {
  Cluster c = SampleCluster();
  std::string long_text;
  for (int i = 0; i < 100; ++i) long_text += "caf\xC3\xA9 ";  // multi-byte characters near every cut
  c.members[0].excerpt = long_text;
  IssueDraft d = MakeDraft(c, SampleRubric(), SampleMode(), {});
  EXPECT_LE(d.title.size(), 120u);
  EXPECT_NE(d.title.find("\xE2\x80\xA6"), std::string::npos);  // ellipsis
  size_t quote = d.body.find("  > caf");
  ASSERT_NE(quote, std::string::npos);
  std::string line = d.body.substr(quote + 4, d.body.find('\n', quote) - quote - 4);
  EXPECT_LE(line.size(), 200u);
  // No split UTF-8 sequence: every lead byte is followed by its continuation.
  for (size_t i = 0; i < line.size(); ++i) {
    if (static_cast<unsigned char>(line[i]) == 0xC3) {
      EXPECT_LT(i + 1, line.size());
    }
  }
  // No excerpt at all: the title still says something.
  for (auto& m : c.members) m.excerpt.clear();
  IssueDraft e = MakeDraft(c, SampleRubric(), SampleMode(), {});
  EXPECT_EQ(e.title, "Refusal leak in 4 runs");
}

TEST(DraftTest, NextStepDependsOnDetector) {
  Cluster c = SampleCluster();
  IssueDraft regex = MakeDraft(c, SampleRubric(), SampleMode(), {});
  for (auto& m : c.members) m.detector = "llm_judge";
  IssueDraft judge = MakeDraft(c, SampleRubric(), SampleMode(), {});
  auto next = [](const IssueDraft& d) { return d.body.substr(d.body.find("## Suggested next step")); };
  EXPECT_NE(next(regex), next(judge));
  EXPECT_NE(next(judge).find("judge"), std::string::npos);
}

TEST(DraftTest, ManyMembersAreCappedInLinksAndProvenance) {
  IssueDraft d = MakeDraft(SampleCluster(150), SampleRubric(), SampleMode(), {});
  EXPECT_NE(d.body.find("…and 134 more"), std::string::npos);  // 154 members, 20 links
  auto p = ParseProvenance(d.body);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->member_run_ids.size(), 100u);
  EXPECT_TRUE(p->member_run_ids_truncated);
}

TEST(ProvenanceTest, KeysSortedAndEscaped) {
  Provenance p;
  p.cluster_id = "c1";
  p.mode_id = "m";
  p.member_run_ids = {"a-->b", "<x>"};
  std::string comment = ProvenanceComment(p);
  EXPECT_EQ(comment.rfind("<!-- tracery:provenance {\"cluster_id\":\"c1\",\"member_run_ids\":", 0), 0u) << comment;
  EXPECT_EQ(comment.find("-->"), comment.size() - 3);  // the only terminator is the last one
  std::vector<std::string> keys;
  auto j = nlohmann::json::parse(comment.substr(24, comment.size() - 28));
  for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
  EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
  auto back = ParseProvenance("text " + comment);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->member_run_ids, p.member_run_ids);
}

TEST(ProvenanceTest, LastCommentWinsAndDocketIsRead) {
  Provenance a, b;
  a.cluster_id = "first";
  b.cluster_id = "second";
  std::string body = ProvenanceComment(a) + "\nedited later\n" + ProvenanceComment(b);
  EXPECT_EQ(ParseProvenance(body)->cluster_id, "second");
  std::string docket =
      "body\n<!-- docket:provenance {\"cluster_id\": \"abc123\", \"member_trace_ids\": [\"t1\", \"t2\"], "
      "\"member_trace_ids_truncated\": true, \"mode_id\": \"loop\", \"representative_trace_id\": \"t1\", "
      "\"rubric_version\": \"0.3.0\", \"run_id\": \"r9\"} -->\n";
  auto p = ParseProvenance(docket);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->cluster_id, "abc123");
  EXPECT_EQ(p->member_run_ids, (std::vector<std::string>{"t1", "t2"}));
  EXPECT_TRUE(p->member_run_ids_truncated);
  EXPECT_EQ(p->representative_run_id, "t1");
  EXPECT_EQ(p->triage_run_id, "r9");
  EXPECT_EQ(p->rubric_version, "0.3.0");
  // A later docket comment beats an earlier tracery one.
  EXPECT_EQ(ParseProvenance(ProvenanceComment(a) + docket)->cluster_id, "abc123");
}

TEST(ProvenanceTest, HostileBodies) {
  EXPECT_FALSE(ParseProvenance("").has_value());
  EXPECT_FALSE(ParseProvenance("<!-- tracery:provenance ").has_value());
  EXPECT_FALSE(ParseProvenance("<!-- tracery:provenance {not json} -->").has_value());
  EXPECT_FALSE(ParseProvenance("<!-- tracery:provenance [1,2] -->").has_value());
  EXPECT_FALSE(ParseProvenance("<!-- tracery:provenance {\"cluster_id\": 5} -->").has_value());
  EXPECT_FALSE(ParseProvenance("<!-- tracery:provenance {\"cluster_id\": \"x\", \"member_run_ids\": [1]} -->").has_value());
  EXPECT_FALSE(ParseProvenance("<!-- tracery:provenance {\"mode_id\": \"m\"} -->").has_value());
  // A broken last comment falls back to the previous good one.
  Provenance good;
  good.cluster_id = "good";
  EXPECT_EQ(ParseProvenance(ProvenanceComment(good) + "\n<!-- tracery:provenance {\"cluster_id\": -->")->cluster_id, "good");
  std::string deep(100000, '[');
  EXPECT_FALSE(ParseProvenance("<!-- tracery:provenance " + deep + " -->").has_value());
}

TEST(DraftJsonTest, RoundTripAndErrors) {
  IssueDraft d = MakeDraft(SampleCluster(), SampleRubric(), SampleMode(), {});
  ASSERT_OK_AND_ASSIGN(IssueDraft back, DraftFromJson(DraftToJson(d)));
  EXPECT_EQ(back.cluster_id, d.cluster_id);
  EXPECT_EQ(back.body, d.body);
  EXPECT_EQ(back.labels, d.labels);
  EXPECT_EQ(back.severity, Severity::kHigh);
  EXPECT_EQ(back.member_run_ids, d.member_run_ids);
  EXPECT_STATUS(DraftFromJson("[]"), StatusCode::kInvalidArgument);
  auto bad = DraftFromJson(R"({"cluster_id":"c","mode_id":"m","title":"t","body":"b","severity":"urgent"})");
  EXPECT_STATUS(bad, StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("severity"), std::string::npos);
  auto traversal = DraftFromJson(R"({"cluster_id":"../../etc","mode_id":"m","title":"t","body":"b"})");
  EXPECT_STATUS(traversal, StatusCode::kInvalidArgument);
  auto mistyped = DraftFromJson(R"({"cluster_id":"c","mode_id":"m","title":"t","body":"b","labels":[1]})");
  EXPECT_NE(mistyped.status().message().find("labels[0]"), std::string::npos);
}

TEST(DraftQueueTest, PutListGetRemoveClearPosted) {
  testing::TempDir tmp;
  DraftQueue q(tmp.path() + "/queue");
  ASSERT_OK_AND_ASSIGN(auto empty, q.List());
  EXPECT_TRUE(empty.empty());
  IssueDraft high = MakeDraft(SampleCluster(), SampleRubric(), SampleMode(), {});
  IssueDraft low = high;
  low.cluster_id = "000000000000";
  low.severity = Severity::kLow;
  ASSERT_OK(q.Put(low));
  ASSERT_OK(q.Put(high));
  EXPECT_TRUE(std::filesystem::exists(q.dir() + "/" + high.cluster_id + ".json"));
  EXPECT_TRUE(std::filesystem::exists(q.MarkdownPath(high.cluster_id)));
  ASSERT_OK_AND_ASSIGN(auto list, q.List());
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].cluster_id, high.cluster_id);  // highest severity first
  ASSERT_OK_AND_ASSIGN(IssueDraft got, q.Get(high.cluster_id));
  EXPECT_EQ(got.title, high.title);
  EXPECT_STATUS(q.Get("nope"), StatusCode::kNotFound);
  EXPECT_STATUS(q.Get("../x"), StatusCode::kInvalidArgument);
  IssueDraft evil = high;
  evil.cluster_id = "../evil";
  EXPECT_STATUS(q.Put(evil), StatusCode::kInvalidArgument);

  ASSERT_OK(q.MarkPosted(high.cluster_id, "https://tracker/1"));
  EXPECT_STATUS(q.Get(high.cluster_id), StatusCode::kNotFound);
  std::ifstream posted(q.dir() + "/posted/" + high.cluster_id + ".json");
  auto pj = nlohmann::json::parse(posted);
  EXPECT_EQ(pj["issue_url"], "https://tracker/1");
  ASSERT_OK(q.Clear());
  ASSERT_OK_AND_ASSIGN(auto after, q.List());
  EXPECT_TRUE(after.empty());
  EXPECT_TRUE(std::filesystem::exists(q.dir() + "/posted/" + high.cluster_id + ".md"));  // archive kept
  EXPECT_STATUS(q.Remove("000000000000"), StatusCode::kNotFound);
}

TEST(DraftQueueTest, CorruptFileIsAnErrorNamingIt) {
  testing::TempDir tmp;
  DraftQueue q(tmp.path());
  std::ofstream(tmp.path() + "/abc.json") << "{broken";
  auto r = q.List();
  EXPECT_STATUS(r, StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("abc.json"), std::string::npos);
}

TEST(MarkdownTest, EditedMarkdownRoundTrips) {
  IssueDraft d = MakeDraft(SampleCluster(), SampleRubric(), SampleMode(), {});
  std::string md = DraftMarkdown(d);
  EXPECT_EQ(md.rfind("# " + d.title + "\n", 0), 0u);
  EXPECT_NE(md.find("- **Severity:** high (P1-urgent)"), std::string::npos);
  ASSERT_OK_AND_ASSIGN(IssueDraft same, ApplyEditedMarkdown(d, md));
  EXPECT_EQ(same.title, d.title);
  EXPECT_EQ(same.body, d.body);
  // An editor rewrote the title and dropped the provenance: it comes back.
  std::string edited = "# A better title here\n\n---\n\nThe agent leaks refusal reasons in support chats, see runs.\n";
  ASSERT_OK_AND_ASSIGN(IssueDraft e, ApplyEditedMarkdown(d, edited));
  EXPECT_EQ(e.title, "A better title here");
  ASSERT_TRUE(ParseProvenance(e.body).has_value());
  EXPECT_EQ(ParseProvenance(e.body)->cluster_id, d.cluster_id);
  EXPECT_STATUS(ApplyEditedMarkdown(d, "no title\n---\nbody body body body body body body"), StatusCode::kInvalidArgument);
  EXPECT_STATUS(ApplyEditedMarkdown(d, "# Fine title\nno separator"), StatusCode::kInvalidArgument);
  EXPECT_STATUS(ApplyEditedMarkdown(d, "# Fine title\n---\nshort"), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tracery::triage
