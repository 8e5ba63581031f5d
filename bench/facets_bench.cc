// Facets benchmark: GET /api/runs/facets counted by the store's SQL aggregate over every run,
// against the ListRuns scan it replaced (capped at 20,000 runs), on the same store in the same run.
//
//   tracery_facets_bench [--runs N] [--reps R] [--data-dir DIR]
//
// Seeds N runs (default 100,000) into a fresh SQLite store (or reuses DIR when it already holds
// runs), then times each query R times and prints the median wall and CPU time.
#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "query/facets.h"
#include "query/query_service.h"
#include "store/store.h"

namespace {

using namespace tracery;

constexpr int64_t kT0 = 1'790'000'000'000'000'000;

std::string RunId(int n) { return fmt::format("{:032x}", 0xbe0000000ULL + static_cast<uint64_t>(n)); }
std::string StepId(int n) { return fmt::format("{:016x}", 0x1000 + n); }

// A run shaped like the benchmark traffic's: 20 agents, 5 versions, 3 environments, 0-3 of 10
// tags, 1-3 LLM calls on 6 models, a tool call, failures in 15%.
void AddRun(std::mt19937& rng, int n, std::vector<model::Step>* out) {
  const std::string run = RunId(n);
  const int64_t start = kT0 + static_cast<int64_t>(n) * 100'000'000;
  const bool failed = rng() % 100 < 15;
  model::Step root;
  root.run_id = run;
  root.step_id = StepId(0);
  root.name = "invoke_agent";
  root.type = model::StepType::kAgent;
  root.start_ns = start;
  root.end_ns = start + static_cast<int64_t>(rng() % 20000 + 1) * 1'000'000;
  root.status = failed ? model::StepStatus::kError : model::StepStatus::kOk;
  root.hints.name = fmt::format("task {}", rng() % 1000);
  root.hints.agent_id = fmt::format("agent-{}", rng() % 20);
  root.hints.agent_version = fmt::format("1.{}", rng() % 5);
  root.hints.environment = rng() % 3 == 0 ? "staging" : "prod";
  root.hints.session_id = fmt::format("s{}", rng() % 5000);
  for (int t = static_cast<int>(rng() % 4); t > 0; --t) root.hints.tags.push_back(fmt::format("tag-{}", rng() % 10));
  root.agent = root.hints.agent_id;
  out->push_back(root);
  const int llms = 1 + static_cast<int>(rng() % 3);
  for (int k = 1; k <= llms + 1; ++k) {
    model::Step s;
    s.run_id = run;
    s.step_id = StepId(k);
    s.parent_id = root.step_id;
    s.agent = root.agent;
    s.start_ns = start + k * 1000;
    s.end_ns = s.start_ns + 500;
    s.status = model::StepStatus::kOk;
    if (k <= llms) {
      s.name = "chat";
      s.type = model::StepType::kLlm;
      s.model = fmt::format("model-{}", rng() % 6);
      s.cost_usd = static_cast<double>(rng() % 1000) / 100000.0;
    } else {
      s.name = "execute_tool search";
      s.type = model::StepType::kTool;
      s.tool_name = "search";
      if (failed) {
        s.status = model::StepStatus::kError;
        static const char* kCodes[] = {"timeout", "rate_limit", "schema_invalid", "not_found"};
        s.failure = model::Failure{model::FailureType::kTool, kCodes[rng() % 4], "failed", s.step_id,
                                   model::FailureSource::kSpanStatus, s.end_ns, "", false};
      }
    }
    out->push_back(std::move(s));
  }
}

double Ms(std::chrono::steady_clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// CPU time of this thread (the store reads on the caller's thread): unlike wall time it does not
// count the time other processes held the CPU, on a shared machine.
double ThreadCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

struct Timing {
  double median_ms = 0;  // wall
  double cpu_ms = 0;     // median thread CPU
  std::string doc;
};

template <typename F>
Timing Time(int reps, F&& f) {
  std::vector<double> ms;
  std::vector<double> cpu;
  Timing t;
  for (int i = 0; i < reps; ++i) {
    auto start = std::chrono::steady_clock::now();
    const double cpu_start = ThreadCpuMs();
    Result<std::string> r = f();
    cpu.push_back(ThreadCpuMs() - cpu_start);
    ms.push_back(Ms(std::chrono::steady_clock::now() - start));
    if (!r.ok()) {
      fmt::print(stderr, "query failed: {}\n", r.status().ToString());
      std::exit(1);
    }
    t.doc = std::move(*r);
  }
  std::sort(ms.begin(), ms.end());
  std::sort(cpu.begin(), cpu.end());
  t.median_ms = ms[ms.size() / 2];
  t.cpu_ms = cpu[cpu.size() / 2];
  return t;
}

// "scanned": N and "truncated": B out of a facets document, without a JSON dependency.
std::string Summary(const std::string& doc) {
  auto field = [&](const std::string& key) {
    auto pos = doc.find("\"" + key + "\":");
    if (pos == std::string::npos) return std::string("?");
    pos += key.size() + 3;
    auto end = doc.find_first_of(",}", pos);
    return doc.substr(pos, end - pos);
  };
  return fmt::format("scanned {}, truncated {}", field("scanned"), field("truncated"));
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 100000;
  int reps = 5;
  std::string data_dir;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--runs" && i + 1 < argc) {
      runs = std::atoi(argv[++i]);
    } else if (a == "--reps" && i + 1 < argc) {
      reps = std::atoi(argv[++i]);
    } else if (a == "--data-dir" && i + 1 < argc) {
      data_dir = argv[++i];
    } else {
      fmt::print(stderr, "usage: tracery_facets_bench [--runs N] [--reps R] [--data-dir DIR]\n");
      return 2;
    }
  }
  if (runs < 1 || reps < 1) {
    fmt::print(stderr, "--runs and --reps must be positive\n");
    return 2;
  }
  const bool temp = data_dir.empty();
  if (temp) {
    data_dir = (std::filesystem::temp_directory_path() / fmt::format("tracery-facets-bench-{}", ::getpid())).string();
  }
  store::SqliteOptions options;
  options.data_dir = data_dir;
  auto opened = store::OpenSqliteStore(options);
  if (!opened.ok()) {
    fmt::print(stderr, "opening the store: {}\n", opened.status().ToString());
    return 1;
  }
  std::unique_ptr<store::Store> st = std::move(*opened);
  auto info = st->GetInfo();
  if (info.ok() && info->runs < runs) {
    auto start = std::chrono::steady_clock::now();
    std::mt19937 rng(42);
    for (int first = static_cast<int>(info->runs); first < runs; first += 500) {
      store::WriteBatch batch;
      for (int n = first; n < std::min(runs, first + 500); ++n) AddRun(rng, n, &batch.steps);
      auto w = st->Write(std::move(batch));
      if (!w.ok()) {
        fmt::print(stderr, "seeding: {}\n", w.status().ToString());
        return 1;
      }
    }
    fmt::print(stderr, "seeded {} runs in {:.1f} s\n", runs, Ms(std::chrono::steady_clock::now() - start) / 1000);
  }

  query::QueryService service(st.get());
  struct Case {
    const char* name;
    query::Params params;
  };
  const std::vector<Case> cases = {
      {"no filter", {}},
      {"status=failed", {{"status", "failed"}}},
      {"agent=agent-3&tag=tag-1", {{"agent", "agent-3"}, {"tag", "tag-1"}}},
      {"status+agent+env+model", {{"status", "ok"}, {"agent", "agent-3"}, {"environment", "prod"}, {"model", "model-2"}}},
      {"q=task 12", {{"q", "task 12"}}},
  };
  fmt::print("facets over {} runs, {} reps each; median wall ms / median CPU ms\n", runs, reps);
  fmt::print("{:<26} {:>22} {:>30}\n", "filter", "store aggregate (exact)", "baseline: scan capped at 20k");
  for (const Case& c : cases) {
    auto filter = query::QueryService::ParseRunFilter(c.params);
    if (!filter.ok()) return 1;
    Timing sql = Time(reps, [&] { return service.Facets(c.params); });
    Timing scan = Time(reps, [&] { return query::RunFacetsJsonByScan(*st, *filter, query::kFacetScanLimit); });
    fmt::print("{:<26} {:>10.1f} / {:>9.1f} {:>15.1f} / {:>12.1f}  exact: {}; scan: {}\n", c.name, sql.median_ms,
               sql.cpu_ms, scan.median_ms, scan.cpu_ms, Summary(sql.doc), Summary(scan.doc));
  }
  st->Close();
  if (temp) {
    std::error_code ec;
    std::filesystem::remove_all(data_dir, ec);
  }
  return 0;
}
