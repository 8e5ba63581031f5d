// GET /api/runs/{id} (QueryService::GetRun) accepts a unique run id prefix, over a real store.
#include <nlohmann/json.hpp>

#include "query/query_service.h"
#include "store/store.h"
#include "testing/testing.h"

namespace tracery::query {
namespace {

using tracery::testing::TempDir;

class RunPrefixTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::SqliteOptions o;
    o.data_dir = dir_.path() + "/data";
    o.max_batch_wait_us = 0;
    auto opened = store::OpenSqliteStore(o);
    ASSERT_OK(opened.status());
    store_ = std::move(*opened);
    store::WriteBatch b;
    for (const char* id : {"4f3a2b1c00000000000000000000000a", "4f3a2b1d00000000000000000000000b",
                           "9e8d7c6b00000000000000000000000c"}) {
      model::Step s;
      s.run_id = id;
      s.step_id = "00000000000000a1";
      s.name = "root";
      s.type = model::StepType::kAgent;
      s.start_ns = 10;
      s.end_ns = 20;
      s.status = model::StepStatus::kOk;
      b.steps.push_back(s);
    }
    ASSERT_OK(store_->Write(std::move(b)).status());
  }
  void TearDown() override {
    if (store_) store_->Close();
  }
  std::string RunIdOf(const std::string& text) { return nlohmann::json::parse(text)["run"]["run_id"]; }

  TempDir dir_;
  std::unique_ptr<store::Store> store_;
};

TEST_F(RunPrefixTest, UniquePrefixResolvesToTheRun) {
  QueryService service(store_.get());
  ASSERT_OK_AND_ASSIGN(std::string a, service.GetRun("9e8d", {}));
  EXPECT_EQ(RunIdOf(a), "9e8d7c6b00000000000000000000000c");
  ASSERT_OK_AND_ASSIGN(std::string b, service.GetRun("4F3A2B1D", {}));  // upper case too
  EXPECT_EQ(RunIdOf(b), "4f3a2b1d00000000000000000000000b");
  ASSERT_OK_AND_ASSIGN(std::string full, service.GetRun("4f3a2b1c00000000000000000000000a", {}));
  EXPECT_EQ(RunIdOf(full), "4f3a2b1c00000000000000000000000a");
}

TEST_F(RunPrefixTest, AmbiguousShortOrUnknownPrefixes) {
  QueryService service(store_.get());
  Result<std::string> ambiguous = service.GetRun("4f3a2b1", {});
  EXPECT_STATUS(ambiguous.status(), StatusCode::kInvalidArgument);
  EXPECT_THAT(ambiguous.status().message(), ::testing::HasSubstr("4f3a2b1c00000000000000000000000a"));
  EXPECT_THAT(ambiguous.status().message(), ::testing::HasSubstr("4f3a2b1d00000000000000000000000b"));
  EXPECT_STATUS(service.GetRun("9e8", {}).status(), StatusCode::kNotFound);   // under 4 digits
  EXPECT_STATUS(service.GetRun("1234", {}).status(), StatusCode::kNotFound);  // no such run
  EXPECT_STATUS(service.GetRun("9e8d-x", {}).status(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace tracery::query
