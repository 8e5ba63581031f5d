// SqliteStore::GetRunOutline must return exactly what the generic implementation derives from
// GetRun windows, for every structural field.
#include <string>
#include <vector>

#include "store/store.h"
#include "store_test_util.h"
#include "testing/testing.h"

namespace tracery::store {
namespace {

using model::StepType;
using namespace testutil;
using tracery::testing::TempDir;

void ExpectSame(const std::vector<OutlineStep>& a, const std::vector<OutlineStep>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(a[i].step_id, b[i].step_id);
    EXPECT_EQ(a[i].parent_id, b[i].parent_id);
    EXPECT_EQ(a[i].name, b[i].name);
    EXPECT_EQ(a[i].agent, b[i].agent);
    EXPECT_EQ(a[i].retry_of, b[i].retry_of);
    EXPECT_EQ(a[i].start_ns, b[i].start_ns);
    EXPECT_EQ(a[i].end_ns, b[i].end_ns);
    EXPECT_EQ(a[i].attempt, b[i].attempt);
    EXPECT_EQ(a[i].type, b[i].type);
    EXPECT_EQ(a[i].status, b[i].status);
    EXPECT_EQ(a[i].failed, b[i].failed);
  }
}

TEST(OutlineReaderTest, MatchesTheGenericImplementation) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(TestOptions(dir.path())));
  const std::string run = RunId(7);
  model::Step root = MakeStep(run, 1, -1, "invoke_agent planner", StepType::kAgent, 1'000'000, 9'000'000);
  root.agent = "planner";
  model::Step a1 = MakeStep(run, 2, 1, "chat", StepType::kLlm, 2'000'000, 3'000'000);
  a1.status = model::StepStatus::kError;
  a1.status_message = "429";
  model::Failure f;
  f.type = model::FailureType::kModel;
  f.code = "rate_limit";
  f.step_id = a1.step_id;
  a1.failure = f;
  model::Step a2 = MakeStep(run, 3, 1, "chat", StepType::kLlm, 4'000'000, 5'000'000);
  a2.retry_of = a1.step_id;
  a2.attempt = 2;
  model::Step tool = MakeStep(run, 4, 3, "execute_tool search", StepType::kTool, 4'500'000, 0);  // open
  model::Step tie = MakeStep(run, 5, 1, "same start as root", StepType::kOther, 1'000'000, 1'500'000);
  ASSERT_OK(store->Write(Batch({root, a1, a2, tool, tie})).status());

  ASSERT_OK_AND_ASSIGN(std::vector<OutlineStep> lean, store->GetRunOutline(run));
  ASSERT_OK_AND_ASSIGN(std::vector<OutlineStep> generic, store->Store::GetRunOutline(run));
  ExpectSame(lean, generic);
  ASSERT_EQ(lean.size(), 5u);
  EXPECT_EQ(lean[0].step_id, root.step_id);
  EXPECT_EQ(lean[1].step_id, tie.step_id);
  EXPECT_TRUE(lean[2].failed);
  EXPECT_FALSE(lean[3].failed);
  EXPECT_EQ(lean[3].retry_of, a1.step_id);
  EXPECT_EQ(lean[4].end_ns, 0);
  EXPECT_EQ(lean[4].type, StepType::kTool);
}

TEST(OutlineReaderTest, UnknownRunIsNotFound) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(TestOptions(dir.path())));
  EXPECT_STATUS(store->GetRunOutline(RunId(99)), StatusCode::kNotFound);
}

}  // namespace
}  // namespace tracery::store
