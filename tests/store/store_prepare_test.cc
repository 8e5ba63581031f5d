// Work done on the caller's thread before a batch is queued (content hashing and compression,
// manifests), its queue accounting, and the on-disk layout of step rows.
#include <sqlite3.h>

#include <chrono>
#include <random>
#include <string>
#include <thread>

#include "store/store.h"
#include "store_test_util.h"

namespace tracery::store {
namespace {

using model::StepType;
using testutil::Batch;
using testutil::Impl;
using testutil::MakeStep;
using testutil::RunId;
using testutil::StepId;
using testutil::TestOptions;
using tracery::testing::TempDir;

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

int64_t WaitForQueueBytes(Store* store) {
  for (int i = 0; i < 10000; ++i) {
    auto info = store->GetInfo();
    if (info.ok() && info->queue_bytes > 0) return info->queue_bytes;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return 0;
}

// Content shared by a re-sent (duplicate) step and a new step of the same batch is stored once,
// for the new step, even though the duplicate comes first.
TEST(StorePrepareTest, NewContentSharedWithAnEarlierDuplicateStepIsStored) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(TestOptions(dir.path())));
  const std::string run = RunId(1);
  model::Step first = MakeStep(run, 1, -1, "chat", StepType::kLlm, 1, 2);
  first.content.push_back({"input", true, "application/json", {"old message " + std::string(200, 'o')}});
  ASSERT_OK(store->Write(Batch({first})));

  const std::string fresh = "new message " + std::string(300, 'n');
  model::Step resent = first;  // same ids: ignored as a duplicate, content included
  resent.content[0].parts = {fresh};
  model::Step next = MakeStep(run, 2, -1, "chat", StepType::kLlm, 3, 4);
  next.content.push_back({"input", true, "application/json", {fresh, fresh}});
  ASSERT_OK_AND_ASSIGN(WriteStats st, store->Write(Batch({resent, next})));
  EXPECT_EQ(st.steps_duplicate, 1);
  EXPECT_EQ(st.steps_inserted, 1);
  ASSERT_OK_AND_ASSIGN(auto content, store->GetStepContent(run, next.step_id));
  ASSERT_EQ(content.size(), 1u);
  EXPECT_EQ(content[0].parts, next.content[0].parts);
  ASSERT_OK_AND_ASSIGN(auto old, store->GetStepContent(run, first.step_id));  // unchanged
  ASSERT_EQ(old.size(), 1u);
  EXPECT_EQ(old[0].parts, first.content[0].parts);
  ASSERT_OK_AND_ASSIGN(Store::Info info, store->GetInfo());
  EXPECT_EQ(info.content_blobs, 2);
}

// The queue counts what a prepared batch holds: compressed content, not the raw parts.
TEST(StorePrepareTest, QueueAccountsThePreparedSize) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(TestOptions(dir.path())));
  Impl(store.get())->PauseWriterForTesting(true);
  model::Step s = MakeStep(RunId(2), 1, -1, "chat", StepType::kLlm, 1, 2);
  const std::string compressible(4 << 20, 'a');
  s.content.push_back({"input", false, "text/plain", {compressible}});
  Result<WriteStats> written = InternalError("not run");
  std::thread t([&] { written = store->Write(Batch({s})); });
  const int64_t queued = WaitForQueueBytes(store.get());
  EXPECT_GT(queued, 0);
  EXPECT_LT(queued, 1 << 20) << "4 MiB of 'a' compresses to a few KiB";
  Impl(store.get())->PauseWriterForTesting(false);
  t.join();
  ASSERT_OK(written);
  ASSERT_OK_AND_ASSIGN(auto content, store->GetStepContent(RunId(2), s.step_id));
  ASSERT_EQ(content.size(), 1u);
  EXPECT_EQ(content[0].parts[0], compressible);

  // Incompressible content is counted at full size.
  Impl(store.get())->PauseWriterForTesting(true);
  model::Step r = MakeStep(RunId(3), 1, -1, "chat", StepType::kLlm, 1, 2);
  const std::string random = RandomBytes(1 << 20, 7);
  r.content.push_back({"input", false, "application/octet-stream", {random}});
  std::thread t2([&] { written = store->Write(Batch({r})); });
  EXPECT_GE(WaitForQueueBytes(store.get()), 1 << 20);
  Impl(store.get())->PauseWriterForTesting(false);
  t2.join();
  ASSERT_OK(written);
  ASSERT_OK_AND_ASSIGN(content, store->GetStepContent(RunId(3), r.step_id));
  ASSERT_EQ(content.size(), 1u);
  EXPECT_EQ(content[0].parts[0], random);
}

// Large attributes are compressed before queueing and read back exactly.
TEST(StorePrepareTest, LargeAttributesRoundTrip) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(TestOptions(dir.path())));
  model::Step s = MakeStep(RunId(4), 1, -1, "chat", StepType::kLlm, 1, 2);
  s.attributes_json = R"({"k":")" + std::string(5000, 'x') + R"("})";
  model::Step small = MakeStep(RunId(4), 2, 1, "tool", StepType::kTool, 1, 2);
  small.attributes_json = R"({"k":1})";
  ASSERT_OK(store->Write(Batch({s, small})));
  ASSERT_OK_AND_ASSIGN(RunDetail d, store->GetRun(RunId(4), {}));
  ASSERT_EQ(d.steps.size(), 2u);
  EXPECT_EQ(d.steps[0].step.attributes_json, s.attributes_json);
  EXPECT_EQ(d.steps[1].step.attributes_json, small.attributes_json);
}

// Step rows of ~1.7 KB (typical LLM calls) must fit their b-tree pages: no overflow pages.
TEST(StorePrepareTest, TypicalStepRowsDoNotSpillToOverflowPages) {
  if (sqlite3_compileoption_used("ENABLE_DBSTAT_VTAB") == 0) GTEST_SKIP() << "sqlite built without dbstat";
  TempDir dir;
  {
    ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(TestOptions(dir.path())));
    std::vector<model::Step> steps;
    for (int i = 0; i < 200; ++i) {
      model::Step s = MakeStep(RunId(5), i + 1, -1, "chat", StepType::kLlm, i, i + 1);
      s.status_message = RandomBytes(600, static_cast<uint32_t>(i));  // incompressible-ish text
      for (char& c : s.status_message) c = static_cast<char>('a' + (static_cast<unsigned char>(c) % 26));
      s.attributes_json = R"({"a":")" + s.status_message.substr(0, 900) + R"("})";
      steps.push_back(std::move(s));
    }
    ASSERT_OK(store->Write(Batch(steps)));
    store->Close();
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2((dir.path() + "/data/tracery.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* q = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT count(*) FROM dbstat WHERE name = 'steps' AND pagetype = 'overflow'", -1,
                               &q, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(db);
  ASSERT_EQ(sqlite3_step(q), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int64(q, 0), 0);
  sqlite3_finalize(q);
  sqlite3_close(db);
}

}  // namespace
}  // namespace tracery::store
