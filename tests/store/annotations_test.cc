#include <gtest/gtest.h>

#include "store/store.h"
#include "store_test_util.h"

namespace tracery::store {
namespace {

using testutil::Batch;
using testutil::MakeStep;
using testutil::RunId;

class AnnotationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = OpenSqliteStore(testutil::TestOptions(dir_.path()));
    ASSERT_OK(s);
    store_ = std::move(s).value();
    for (int r = 0; r < 3; ++r) {
      ASSERT_OK(store_->Write(Batch({MakeStep(RunId(r), 1, -1, "root", model::StepType::kAgent,
                                              1000 + r, 2000 + r)})));
    }
  }
  void TearDown() override {
    if (store_) store_->Close();
  }

  static Annotation Make(int run, std::string mode, std::string verdict, std::string version = "1.0.0") {
    Annotation a;
    a.run_id = RunId(run);
    a.rubric_name = "agents";
    a.rubric_version = std::move(version);
    a.mode_id = std::move(mode);
    a.severity = "high";
    a.verdict = std::move(verdict);
    a.confidence = 0.75;
    a.evidence_step_ids = {testutil::StepId(1)};
    a.excerpt = "loop detected";
    a.detector = "metric_threshold";
    a.triage_run_id = "t1";
    return a;
  }

  std::vector<std::string> Listed(const std::vector<std::string>& annotation_filter) {
    RunFilter f;
    f.annotations = annotation_filter;
    auto page = store_->ListRuns(f, PageRequest{});
    EXPECT_OK(page);
    std::vector<std::string> ids;
    if (page.ok()) {
      for (const auto& r : page->runs) ids.push_back(r.run_id);
    }
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(AnnotationsTest, WriteListRoundTripAndUpsert) {
  ASSERT_OK(store_->WriteAnnotations({Make(0, "infinite-loop", "positive"), Make(0, "refusal", "negative")}));
  ASSERT_OK_AND_ASSIGN(auto list, store_->ListAnnotations(RunId(0)));
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].mode_id, "infinite-loop");
  EXPECT_EQ(list[0].verdict, "positive");
  EXPECT_DOUBLE_EQ(list[0].confidence, 0.75);
  EXPECT_EQ(list[0].evidence_step_ids, std::vector<std::string>{testutil::StepId(1)});
  EXPECT_EQ(list[0].excerpt, "loop detected");
  EXPECT_GT(list[0].created_ns, 0);
  // Same key again replaces, never duplicates.
  Annotation again = Make(0, "infinite-loop", "negative");
  again.triage_run_id = "t2";
  ASSERT_OK(store_->WriteAnnotations({again}));
  ASSERT_OK_AND_ASSIGN(list, store_->ListAnnotations(RunId(0)));
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].verdict, "negative");
  EXPECT_EQ(list[0].triage_run_id, "t2");
  // Another rubric version is a separate annotation.
  ASSERT_OK(store_->WriteAnnotations({Make(0, "infinite-loop", "positive", "2.0.0")}));
  ASSERT_OK_AND_ASSIGN(list, store_->ListAnnotations(RunId(0)));
  EXPECT_EQ(list.size(), 3u);
  ASSERT_OK_AND_ASSIGN(auto none, store_->ListAnnotations(RunId(2)));
  EXPECT_TRUE(none.empty());
}

TEST_F(AnnotationsTest, RejectsUnknownRunAndBadVerdictAtomically) {
  Annotation ghost = Make(99, "infinite-loop", "positive");
  EXPECT_STATUS(store_->WriteAnnotations({Make(1, "m", "positive"), ghost}), StatusCode::kNotFound);
  ASSERT_OK_AND_ASSIGN(auto list, store_->ListAnnotations(RunId(1)));
  EXPECT_TRUE(list.empty());  // all or nothing
  EXPECT_STATUS(store_->WriteAnnotations({Make(1, "m", "maybe")}), StatusCode::kInvalidArgument);
  Annotation no_mode = Make(1, "", "positive");
  EXPECT_STATUS(store_->WriteAnnotations({no_mode}), StatusCode::kInvalidArgument);
}

TEST_F(AnnotationsTest, ClassifiedRunsSameVersionWithoutErrors) {
  ASSERT_OK(store_->WriteAnnotations({Make(0, "a", "positive"), Make(0, "b", "negative"),
                                      Make(1, "a", "negative"), Make(1, "b", "error"),
                                      Make(2, "a", "negative", "0.9.0")}));
  ASSERT_OK_AND_ASSIGN(auto done, store_->ClassifiedRuns("agents", "1.0.0", {RunId(0), RunId(1), RunId(2), RunId(7)}));
  EXPECT_EQ(done, std::vector<std::string>{RunId(0)});  // 1 has an error, 2 another version
  ASSERT_OK_AND_ASSIGN(auto other, store_->ClassifiedRuns("other", "1.0.0", {RunId(0)}));
  EXPECT_TRUE(other.empty());
}

TEST_F(AnnotationsTest, RunFilterByModeAndVerdict) {
  ASSERT_OK(store_->WriteAnnotations({Make(0, "loop", "positive"), Make(1, "loop", "negative"),
                                      Make(2, "leak", "positive")}));
  EXPECT_EQ(Listed({"loop"}), std::vector<std::string>{RunId(0)});
  EXPECT_EQ(Listed({"loop:positive"}), std::vector<std::string>{RunId(0)});
  EXPECT_EQ(Listed({"loop:negative"}), std::vector<std::string>{RunId(1)});
  EXPECT_EQ(Listed({"loop:any"}), (std::vector<std::string>{RunId(0), RunId(1)}));
  EXPECT_TRUE(Listed({"loop", "leak"}).empty());  // all must match
  EXPECT_TRUE(Listed({"nothing"}).empty());
  EXPECT_EQ(Listed({}).size(), 3u);
}

TEST_F(AnnotationsTest, StatePersistsAcrossReopen) {
  ASSERT_OK_AND_ASSIGN(auto unset, store_->GetState("triage.serve.agents"));
  EXPECT_FALSE(unset.has_value());
  ASSERT_OK(store_->SetState("triage.serve.agents", "3600"));
  ASSERT_OK(store_->SetState("triage.serve.agents", "7200"));
  ASSERT_OK(store_->WriteAnnotations({Make(0, "loop", "positive")}));
  store_->Close();
  store_.reset();
  ASSERT_OK_AND_ASSIGN(store_, OpenSqliteStore(testutil::TestOptions(dir_.path())));
  ASSERT_OK_AND_ASSIGN(auto value, store_->GetState("triage.serve.agents"));
  ASSERT_TRUE(value.has_value());
  EXPECT_EQ(*value, "7200");
  ASSERT_OK_AND_ASSIGN(auto list, store_->ListAnnotations(RunId(0)));
  EXPECT_EQ(list.size(), 1u);
  EXPECT_STATUS(store_->SetState("", "x"), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tracery::store
