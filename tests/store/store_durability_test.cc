#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "store/internal/schema.h"
#include "store_test_util.h"

// Designated initializers leave the other fields at their defaults on purpose.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace tracery::store {
namespace {

using model::StepType;
using testutil::Batch;
using testutil::MakeStep;
using testutil::RunId;
using testutil::StepId;
using testutil::TestOptions;
using tracery::testing::TempDir;

void ExecSql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  EXPECT_EQ(rc, SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
}

// Reads one row of integers (count(*) and sums) straight from the database file.
std::vector<int64_t> QueryInts(const std::string& path, const std::string& sql, int columns) {
  std::vector<int64_t> out;
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sql;
  if (stmt != nullptr && sqlite3_step(stmt) == SQLITE_ROW) {
    for (int i = 0; i < columns; ++i) out.push_back(sqlite3_column_int64(stmt, i));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

// /readyz store info comes from running counters and max(rowid), never a scan; it must still
// equal what counting the tables gives, across duplicates, a rolled-back commit and an upgrade
// from a store that had no counters yet.
TEST(StoreDurabilityTest, StoreInfoMatchesCountingTheTables) {
  TempDir dir;
  const std::string db = dir.path() + "/data/tracery.db";
  auto expect_info_matches = [&](Store& store) {
    ASSERT_OK_AND_ASSIGN(Store::Info info, store.GetInfo());
    std::vector<int64_t> counts = QueryInts(db, "SELECT (SELECT count(*) FROM runs), (SELECT count(*) FROM steps), "
                                                "count(*), coalesce(sum(raw_size), 0), coalesce(sum(length(data)), 0) "
                                                "FROM content", 5);
    ASSERT_EQ(counts.size(), 5u);
    EXPECT_EQ(info.runs, counts[0]);
    EXPECT_EQ(info.steps, counts[1]);
    EXPECT_EQ(info.content_blobs, counts[2]);
    EXPECT_EQ(info.content_bytes_raw, counts[3]);
    EXPECT_EQ(info.content_bytes_stored, counts[4]);
    EXPECT_GT(info.content_blobs, 0);
  };
  auto batch = [](int run, int steps, const std::string& text) {
    std::vector<model::Step> out;
    for (int i = 1; i <= steps; ++i) {
      model::Step s = MakeStep(RunId(run), i, i == 1 ? -1 : 1, "s", StepType::kLlm, 10 * i, 10 * i + 5);
      s.content.push_back({"input", false, "text/plain", {text + std::to_string(i % 3), std::string(3000, 'x')}});
      out.push_back(std::move(s));
    }
    return Batch(out);
  };
  {
    ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(TestOptions(dir.path())));
    ASSERT_OK(store->Write(batch(1, 5, "shared ")));
    ASSERT_OK(store->Write(batch(2, 4, "shared ")));  // repeats content of run 1
    ASSERT_OK(store->Write(batch(1, 5, "shared ")));  // a re-send: nothing new
    testutil::Impl(store.get())->FailNextCommitForTesting();
    EXPECT_FALSE(store->Write(batch(3, 3, "lost ")).ok());  // rolled back, counters too
    ASSERT_OK(store->Write(batch(4, 6, "fresh ")));
    expect_info_matches(*store);
  }
  // A store from before the counters: the migration counts it once.
  ExecSql(db, "DROP TABLE counters; PRAGMA user_version = 3;");
  ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(TestOptions(dir.path())));
  expect_info_matches(*store);
  ASSERT_OK(store->Write(batch(5, 2, "after upgrade ")));
  expect_info_matches(*store);
}

TEST(StoreDurabilityTest, ReopenAfterCloseKeepsEverything) {
  TempDir dir;
  const std::string run = RunId(1);
  model::Step s = MakeStep(run, 1, -1, "root", StepType::kAgent, 10, 20);
  s.content.push_back({"input", false, "text/plain", {"persisted content"}});
  s.hints.agent_id = "agent-x";
  {
    ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(TestOptions(dir.path())));
    ASSERT_OK(store->Write(Batch({s, MakeStep(run, 2, 1, "child", StepType::kTool, 12, 18)})));
    store->Close();
  }
  ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(TestOptions(dir.path())));
  ASSERT_OK_AND_ASSIGN(RunDetail d, store->GetRun(run, {}));
  EXPECT_EQ(d.total_steps, 2);
  EXPECT_EQ(d.run.agent_id, "agent-x");
  ASSERT_OK_AND_ASSIGN(auto content, store->GetStepContent(run, StepId(1)));
  ASSERT_EQ(content.size(), 1u);
  EXPECT_EQ(content[0].parts[0], "persisted content");
  // Writing the same steps after reopen is still idempotent (dedup is in the database, not memory).
  ASSERT_OK_AND_ASSIGN(WriteStats st, store->Write(Batch({s})));
  EXPECT_EQ(st.steps_duplicate, 1);
  ASSERT_OK_AND_ASSIGN(Store::Info info, store->GetInfo());
  EXPECT_EQ(info.content_blobs, 1);
  EXPECT_GT(info.db_bytes, 0);
}

TEST(StoreDurabilityTest, AcknowledgedWritesSurviveAProcessCrash) {
  TempDir dir;
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  constexpr int kBatches = 20;
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    auto store = OpenSqliteStore(TestOptions(dir.path()));
    if (!store.ok()) _exit(2);
    for (int b = 0; b < kBatches; ++b) {
      std::vector<model::Step> steps;
      for (int i = 0; i < 10; ++i) {
        steps.push_back(MakeStep(RunId(b), i, i == 0 ? -1 : 0, "s", StepType::kTool, 100 + i, 200 + i));
      }
      if (!(*store)->Write(Batch(steps)).ok()) _exit(3);
      // Acknowledge only after Write returned (committed).
      unsigned char ack = static_cast<unsigned char>(b);
      if (write(fds[1], &ack, 1) != 1) _exit(4);
    }
    // Crash: no Close(), no destructors, no checkpoint.
    _exit(0);
  }
  close(fds[1]);
  int acked = 0;
  unsigned char buf;
  while (read(fds[0], &buf, 1) == 1) ++acked;
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  ASSERT_EQ(acked, kBatches);

  ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(TestOptions(dir.path())));
  ASSERT_OK_AND_ASSIGN(Store::Info info, store->GetInfo());
  EXPECT_EQ(info.steps, kBatches * 10);
  EXPECT_EQ(info.runs, kBatches);
  for (int b = 0; b < kBatches; ++b) {
    ASSERT_OK_AND_ASSIGN(RunDetail d, store->GetRun(RunId(b), {}));
    EXPECT_EQ(d.total_steps, 10);
    EXPECT_EQ(d.run.step_count, 10);
  }
}

TEST(StoreDurabilityTest, DatabaseFromTheFutureIsRefused) {
  TempDir dir;
  {
    ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(TestOptions(dir.path())));
  }
  const std::string db = dir.path() + "/data/tracery.db";
  ExecSql(db, fmt::format("PRAGMA user_version = {}", internal::LatestSchemaVersion() + 1));
  auto store = OpenSqliteStore(TestOptions(dir.path()));
  EXPECT_STATUS(store, StatusCode::kFailedPrecondition);
  EXPECT_THAT(store.status().message(), ::testing::HasSubstr("newer than this binary supports"));
}

TEST(StoreDurabilityTest, MigrationsRunOnceAndSetTheVersion) {
  TempDir dir;
  {
    ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(TestOptions(dir.path())));
  }
  {
    ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(TestOptions(dir.path())));  // no re-migration error
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir.path() + "/data/tracery.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(stmt, 0), internal::LatestSchemaVersion());
  sqlite3_finalize(stmt);
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST(StoreDurabilityTest, GarbageDatabaseFileIsAClearError) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() + "/data");
  {
    std::ofstream f(dir.path() + "/data/tracery.db", std::ios::binary);
    for (int i = 0; i < 4096; ++i) f.put(static_cast<char>((i * 131) & 0xff));
  }
  auto store = OpenSqliteStore(TestOptions(dir.path()));
  EXPECT_STATUS(store, StatusCode::kDataLoss);
  EXPECT_THAT(store.status().message(), ::testing::HasSubstr("tracery.db"));
}

TEST(StoreDurabilityTest, DamagedPagesGiveErrorsNotCrashes) {
  TempDir dir;
  {
    ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(TestOptions(dir.path())));
    for (int r = 0; r < 50; ++r) {
      std::vector<model::Step> steps;
      for (int i = 0; i < 20; ++i) {
        model::Step s = MakeStep(RunId(r), i, i == 0 ? -1 : 0, "step name", StepType::kLlm, 100 + i, 200 + i);
        s.content.push_back({"input", false, "text/plain", {fmt::format("content {} {}", r, i)}});
        steps.push_back(std::move(s));
      }
      ASSERT_OK(store->Write(Batch(steps)));
    }
    store->Close();
  }
  const std::string path = dir.path() + "/data/tracery.db";
  const auto size = std::filesystem::file_size(path);
  ASSERT_GT(size, 8192u);
  {
    // Scribble over every page but the first (the header stays valid).
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    for (std::streamoff off = 4096 + 100; off < static_cast<std::streamoff>(size); off += 4096) {
      f.seekp(off);
      for (int i = 0; i < 64; ++i) f.put(static_cast<char>(0xA5 ^ i));
    }
  }
  auto store = OpenSqliteStore(TestOptions(dir.path()));
  if (!store.ok()) {
    EXPECT_NE(store.status().message(), "");
    return;
  }
  // Whatever each call returns, it returns (no crash, no sanitizer report).
  auto page = (*store)->ListRuns({}, {.limit = 100});
  if (page.ok()) {
    for (const auto& r : page->runs) {
      (void)(*store)->GetRun(r.run_id, {});
      (void)(*store)->GetStepContent(r.run_id, StepId(1));
    }
  } else {
    EXPECT_NE(page.status().code(), StatusCode::kOk);
  }
  (void)(*store)->Stats({});
  (void)(*store)->GetInfo();
  auto w = (*store)->Write(Batch({MakeStep(RunId(999), 1, -1, "root", StepType::kAgent, 1, 2)}));
  (void)w;
}

TEST(StoreDurabilityTest, UnusableDataDirIsAClearError) {
  TempDir dir;
  {
    std::ofstream f(dir.path() + "/file");
    f << "x";
  }
  SqliteOptions o = TestOptions(dir.path());
  o.data_dir = dir.path() + "/file/sub";
  auto store = OpenSqliteStore(o);
  EXPECT_FALSE(store.ok());
  EXPECT_THAT(store.status().message(), ::testing::HasSubstr("data dir"));
  o = TestOptions(dir.path());
  o.reader_connections = 0;
  EXPECT_STATUS(OpenSqliteStore(o), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tracery::store
