// tracery_bench: the project's performance benchmark (DESIGN.md "Performance targets").
// Every figure is printed beside a baseline measured in the same run, and the target.
//
//   tracery_bench [--quick] [--json] [--runs N] [--steps-per-run N] [--message-bytes MIN-MAX]
//                 [--concurrency C] [--duration S] [--tracery PATH]
//
// Phases: generate traffic -> raw SQLite insert baseline -> in-process decode+normalize ->
// end-to-end OTLP/HTTP ingest into a real `tracery serve` (with an ingest-to-visible latency
// probe running alongside) -> bytes on disk for long conversations -> peak RSS under overload.
#include <signal.h>
#include <sys/types.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <httplib.h>
#include <sqlite3.h>

#include <nlohmann/json.hpp>

#include "core/hex.h"
#include "core/status.h"
#include "ingest/normalizer.h"
#include "ingest/otlp_decode.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "traffic_gen.h"

#ifndef TRACERY_DEFAULT_BIN
#define TRACERY_DEFAULT_BIN "tracery"
#endif

namespace tracery::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;

double SecondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// CPU time of the calling thread: per-core figures stay meaningful on a shared machine.
double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double rank = p / 100.0 * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(rank);
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (rank - static_cast<double>(lo));
}

// ---------------------------------------------------------------------------------------------
// Flags

struct Flags {
  int runs = 10000;
  int steps_per_run = 12;
  int min_message_bytes = 200;
  int max_message_bytes = 2000;
  int spans_per_batch = 512;
  int concurrency = 8;
  double duration_s = 15;    // overload phase
  int conv_turns = 50;       // long-conversation workload (bytes on disk)
  int conv_runs = 60;
  int overload_senders = 0;  // 0 = max(64, 8 * concurrency)
  double decode_seconds = 2; // in-process decode+normalize measurement per side
  uint64_t seed = 0x7ACE5EEDULL;
  std::string tracery = TRACERY_DEFAULT_BIN;
  std::string work_dir;  // "" = a fresh directory under /tmp, removed afterwards
  std::vector<std::string> server_args;
  std::set<std::string> phases = {"baseline", "decode", "e2e", "disk", "overload"};
  bool quick = false;
  bool json = false;
  bool keep = false;

  bool Run(const std::string& phase) const { return phases.count(phase) > 0; }
};

void PrintUsage() {
  std::fprintf(stderr,
               "usage: tracery_bench [flags]\n"
               "  --runs N              agent runs in the main workload (default 10000)\n"
               "  --steps-per-run N     spans per run (default 12)\n"
               "  --message-bytes A-B   chat message size range in bytes (default 200-2000)\n"
               "  --batch-spans N       spans per OTLP request (default 512)\n"
               "  --concurrency C       keep-alive connections replaying the workload (default 8)\n"
               "  --duration S          seconds of sustained overload for peak RSS (default 15)\n"
               "  --conv-turns N        turns per long conversation, bytes-on-disk (default 50)\n"
               "  --conv-runs N         long conversations sent (default 60)\n"
               "  --overload-senders N  concurrent senders in the overload phase (default 8*C, >=64)\n"
               "  --seed N              generator seed\n"
               "  --tracery PATH        server binary (default: this build's tracery)\n"
               "  --server-arg ARG      extra argument for `tracery serve` (repeatable)\n"
               "  --work-dir DIR        where data dirs go (default: fresh dir in /tmp)\n"
               "  --keep                keep the data dirs\n"
               "  --phases LIST         comma list of baseline,decode,e2e,disk,overload (default all)\n"
               "  --quick               small sizes: the whole run takes well under a minute\n"
               "  --json                print the results as JSON on stdout\n");
}

// Returns nullopt after printing an error naming the flag.
std::optional<Flags> ParseFlags(int argc, char** argv) {
  Flags f;
  bool runs_set = false, steps_set = false, dur_set = false, conv_turns_set = false,
       conv_runs_set = false;
  auto need = [&](int& i, const char* name) -> const char* {
    if (i + 1 >= argc) {
      std::fprintf(stderr, "tracery_bench: %s needs a value\n", name);
      return nullptr;
    }
    return argv[++i];
  };
  auto parse_int = [](const char* name, const char* v, long lo, long hi, int* out) {
    char* end = nullptr;
    errno = 0;
    long n = std::strtol(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || n < lo || n > hi) {
      std::fprintf(stderr, "tracery_bench: invalid %s \"%s\": expected an integer in [%ld, %ld]\n",
                   name, v, lo, hi);
      return false;
    }
    *out = static_cast<int>(n);
    return true;
  };
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    const char* v = nullptr;
    if (a == "--help" || a == "-h") {
      PrintUsage();
      std::exit(0);
    } else if (a == "--quick") {
      f.quick = true;
    } else if (a == "--json") {
      f.json = true;
    } else if (a == "--keep") {
      f.keep = true;
    } else if (a == "--runs") {
      if (!(v = need(i, "--runs")) || !parse_int("--runs", v, 1, 10000000, &f.runs)) return {};
      runs_set = true;
    } else if (a == "--steps-per-run") {
      if (!(v = need(i, "--steps-per-run")) ||
          !parse_int("--steps-per-run", v, 2, 100000, &f.steps_per_run))
        return {};
      steps_set = true;
    } else if (a == "--batch-spans") {
      if (!(v = need(i, "--batch-spans")) ||
          !parse_int("--batch-spans", v, 1, 100000, &f.spans_per_batch))
        return {};
    } else if (a == "--concurrency") {
      if (!(v = need(i, "--concurrency")) ||
          !parse_int("--concurrency", v, 1, 1024, &f.concurrency))
        return {};
    } else if (a == "--overload-senders") {
      if (!(v = need(i, "--overload-senders")) ||
          !parse_int("--overload-senders", v, 1, 4096, &f.overload_senders))
        return {};
    } else if (a == "--conv-turns") {
      if (!(v = need(i, "--conv-turns")) || !parse_int("--conv-turns", v, 1, 10000, &f.conv_turns))
        return {};
      conv_turns_set = true;
    } else if (a == "--conv-runs") {
      if (!(v = need(i, "--conv-runs")) || !parse_int("--conv-runs", v, 1, 1000000, &f.conv_runs))
        return {};
      conv_runs_set = true;
    } else if (a == "--duration") {
      int d = 0;
      if (!(v = need(i, "--duration")) || !parse_int("--duration", v, 1, 3600, &d)) return {};
      f.duration_s = d;
      dur_set = true;
    } else if (a == "--seed") {
      if (!(v = need(i, "--seed"))) return {};
      f.seed = std::strtoull(v, nullptr, 0);
    } else if (a == "--message-bytes") {
      if (!(v = need(i, "--message-bytes"))) return {};
      std::string s = v;
      size_t dash = s.find('-');
      std::string lo = s.substr(0, dash), hi = dash == std::string::npos ? lo : s.substr(dash + 1);
      if (!parse_int("--message-bytes", lo.c_str(), 1, 16 << 20, &f.min_message_bytes) ||
          !parse_int("--message-bytes", hi.c_str(), 1, 16 << 20, &f.max_message_bytes))
        return {};
      if (f.min_message_bytes > f.max_message_bytes) {
        std::fprintf(stderr, "tracery_bench: invalid --message-bytes \"%s\": MIN > MAX\n", v);
        return {};
      }
    } else if (a == "--tracery") {
      if (!(v = need(i, "--tracery"))) return {};
      f.tracery = v;
    } else if (a == "--server-arg") {
      if (!(v = need(i, "--server-arg"))) return {};
      f.server_args.push_back(v);
    } else if (a == "--phases") {
      if (!(v = need(i, "--phases"))) return {};
      static const std::set<std::string> kKnown = {"baseline", "decode", "e2e", "disk", "overload"};
      f.phases.clear();
      std::string list = v;
      size_t pos = 0;
      while (pos <= list.size()) {
        size_t comma = list.find(',', pos);
        if (comma == std::string::npos) comma = list.size();
        std::string p = list.substr(pos, comma - pos);
        if (!kKnown.count(p)) {
          std::fprintf(stderr,
                       "tracery_bench: invalid --phases \"%s\": unknown phase \"%s\" (expected "
                       "baseline, decode, e2e, disk, overload)\n",
                       v, p.c_str());
          return {};
        }
        f.phases.insert(p);
        pos = comma + 1;
      }
    } else if (a == "--work-dir") {
      if (!(v = need(i, "--work-dir"))) return {};
      f.work_dir = v;
    } else {
      std::fprintf(stderr, "tracery_bench: unknown flag %s (see --help)\n", a.c_str());
      return {};
    }
  }
  if (f.quick) {
    if (!runs_set) f.runs = 400;
    if (!steps_set) f.steps_per_run = 12;
    if (!dur_set) f.duration_s = 3;
    if (!conv_turns_set) f.conv_turns = 20;
    if (!conv_runs_set) f.conv_runs = 8;
    f.decode_seconds = 0.3;
  }
  if (f.overload_senders == 0) f.overload_senders = std::max(64, 8 * f.concurrency);
  return f;
}

// ---------------------------------------------------------------------------------------------
// The server subprocess

// The port in the server's "tracery serving http=HOST:PORT ..." line, or -1.
int ParseServingPort(std::string_view line) {
  constexpr std::string_view kMarker = "tracery serving http=";
  size_t at = line.find(kMarker);
  if (at == std::string_view::npos) return -1;
  std::string_view rest = line.substr(at + kMarker.size());
  size_t colon = rest.find(':');
  if (colon == std::string_view::npos) return -1;
  int port = 0;
  size_t i = colon + 1;
  for (; i < rest.size() && rest[i] >= '0' && rest[i] <= '9' && port < 100000; ++i) port = port * 10 + (rest[i] - '0');
  return i > colon + 1 && port > 0 && port < 65536 ? port : -1;
}

class ServerProcess {
 public:
  ~ServerProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (reader_.joinable()) reader_.join();
  }

  // Starts `bin serve --data-dir DIR --http 127.0.0.1:0 --grpc off ARGS...` and waits for the
  // `tracery serving http=HOST:PORT` line on its stderr.
  static Result<std::unique_ptr<ServerProcess>> Start(const std::string& bin,
                                                      const std::string& data_dir,
                                                      const std::vector<std::string>& extra) {
    if (::access(bin.c_str(), X_OK) != 0) {
      return FailedPreconditionError(fmt::format("server binary {} is not executable: {}", bin,
                                                 std::strerror(errno)));
    }
    std::vector<std::string> args = {bin,    "serve",       "--data-dir", data_dir,
                                     "--http", "127.0.0.1:0", "--grpc",     "off"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int fds[2];
    if (::pipe(fds) != 0) return InternalError(fmt::format("pipe: {}", std::strerror(errno)));
    pid_t pid = ::fork();
    if (pid < 0) return InternalError(fmt::format("fork: {}", std::strerror(errno)));
    if (pid == 0) {
      ::dup2(fds[1], 1);
      ::dup2(fds[1], 2);
      ::close(fds[0]);
      ::close(fds[1]);
      ::execv(argv[0], argv.data());
      _exit(127);
    }
    ::close(fds[1]);
    auto proc = std::unique_ptr<ServerProcess>(new ServerProcess());
    proc->pid_ = pid;
    proc->fd_ = fds[0];
    proc->reader_ = std::thread([p = proc.get()] { p->ReadLog(); });
    std::unique_lock<std::mutex> lock(proc->mu_);
    const bool ready = proc->cv_.wait_for(lock, std::chrono::seconds(30), [&] {
      return proc->port_ > 0 || proc->eof_;
    });
    if (!ready || proc->port_ <= 0) {
      std::string tail = proc->TailLocked();
      return UnavailableError(
          fmt::format("`{} serve` did not print \"tracery serving http=HOST:PORT\" within 30 s "
                      "({}); its output:\n{}",
                      bin, proc->eof_ ? "it exited" : "timed out", tail));
    }
    return proc;
  }

  int port() const { return port_; }
  pid_t pid() const { return pid_; }

  // A field of /proc/PID/status in bytes (VmHWM = peak RSS, VmRSS = current); -1 if unreadable.
  int64_t ProcStatusBytes(const std::string& field) const {
    std::ifstream in(fmt::format("/proc/{}/status", pid_));
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind(field + ":", 0) == 0) {
        return std::strtoll(line.c_str() + field.size() + 1, nullptr, 10) * 1024;
      }
    }
    return -1;
  }

  // User + system CPU seconds the process has used so far; -1 if unreadable.
  double CpuSeconds() const {
    std::ifstream in(fmt::format("/proc/{}/stat", pid_));
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const size_t paren = stat.rfind(')');
    if (paren == std::string::npos) return -1;
    // Fields after "(comm)": state is field 3; utime and stime are fields 14 and 15.
    std::istringstream rest(stat.substr(paren + 2));
    std::string field;
    long long utime = -1, stime = -1;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
      if (i == 14) utime = std::atoll(field.c_str());
      if (i == 15) stime = std::atoll(field.c_str());
    }
    if (utime < 0 || stime < 0) return -1;
    return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  }

  // SIGTERM, then SIGKILL after `timeout_s`. Returns the exit description.
  std::string Stop(int timeout_s) {
    if (pid_ <= 0) return "not running";
    ::kill(pid_, SIGTERM);
    int status = 0;
    const auto t0 = Clock::now();
    std::string how;
    while (true) {
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) break;
      if (SecondsSince(t0) > timeout_s) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        how = "killed after SIGTERM timeout; ";
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    pid_ = -1;
    if (reader_.joinable()) reader_.join();
    if (WIFEXITED(status)) return how + fmt::format("exit {}", WEXITSTATUS(status));
    return how + fmt::format("signal {}", WTERMSIG(status));
  }

  std::string Tail() {
    std::lock_guard<std::mutex> lock(mu_);
    return TailLocked();
  }
  int64_t error_lines() {
    std::lock_guard<std::mutex> lock(mu_);
    return error_lines_;
  }

 private:
  ServerProcess() = default;

  // Drains the child's output (so it never blocks on a full pipe) and keeps the last lines.
  void ReadLog() {
    std::string buf;
    char chunk[4096];
    while (true) {
      ssize_t n = ::read(fd_, chunk, sizeof chunk);
      if (n <= 0) break;
      buf.append(chunk, static_cast<size_t>(n));
      size_t nl;
      while ((nl = buf.find('\n')) != std::string::npos) {
        std::string line = buf.substr(0, nl);
        buf.erase(0, nl + 1);
        std::lock_guard<std::mutex> lock(mu_);
        if (port_ <= 0) {
          int port = ParseServingPort(line);
          if (port > 0) {
            port_ = port;
            cv_.notify_all();
          }
        }
        if (line.find("error") != std::string::npos || line.find("ERROR") != std::string::npos) {
          ++error_lines_;
        }
        tail_.push_back(std::move(line));
        if (tail_.size() > 40) tail_.pop_front();
      }
    }
    ::close(fd_);
    std::lock_guard<std::mutex> lock(mu_);
    eof_ = true;
    cv_.notify_all();
  }

  std::string TailLocked() const {
    std::string out;
    for (const auto& l : tail_) out += "  | " + l + "\n";
    return out;
  }

  pid_t pid_ = -1;
  int fd_ = -1;
  std::thread reader_;
  std::mutex mu_;
  std::condition_variable cv_;
  int port_ = 0;
  bool eof_ = false;
  int64_t error_lines_ = 0;
  std::deque<std::string> tail_;
};

// ---------------------------------------------------------------------------------------------
// Sending

struct SendStats {
  std::atomic<int64_t> acked{0};        // requests answered 200
  std::atomic<int64_t> spans{0};        // spans in acknowledged requests
  std::atomic<int64_t> bytes{0};        // raw OTLP bytes in acknowledged requests
  std::atomic<int64_t> retry_429{0};
  std::atomic<int64_t> retry_503{0};
  std::atomic<int64_t> conn_errors{0};  // no response (retried with backoff)
  std::atomic<int64_t> failed{0};       // other statuses (not retried) or retries exhausted
  std::mutex mu;
  std::string first_failure;

  void Fail(std::string why) {
    failed++;
    std::lock_guard<std::mutex> lock(mu);
    if (first_failure.empty()) first_failure = std::move(why);
  }
  Json ToJson() const {
    return Json{{"acked_requests", acked.load()},  {"spans", spans.load()},
                {"bytes", bytes.load()},           {"retries_429", retry_429.load()},
                {"retries_503", retry_503.load()}, {"connection_errors", conn_errors.load()},
                {"failed_requests", failed.load()}, {"first_failure", first_failure}};
  }
};

std::unique_ptr<httplib::Client> NewClient(int port) {
  auto c = std::make_unique<httplib::Client>("127.0.0.1", port);
  c->set_keep_alive(true);
  c->set_connection_timeout(5, 0);
  c->set_read_timeout(120, 0);
  c->set_write_timeout(120, 0);
  return c;
}

// How a sender reacts to 429/503.
struct RetryPolicy {
  bool honor_retry_after = true;
  int fixed_delay_ms = 0;  // used when not honoring Retry-After
  int max_attempts = 200;
  const std::atomic<bool>* stop = nullptr;  // give up early when set (overload phase)
};

// POSTs until acknowledged (200). Returns the RTT in seconds of the successful attempt, or -1.
double PostUntilAcked(httplib::Client& cli, const std::string& body, int spans, SendStats& st,
                      const RetryPolicy& policy) {
  int backoff_ms = 10;
  for (int attempt = 0; attempt < policy.max_attempts; ++attempt) {
    if (policy.stop && policy.stop->load()) return -1;
    const auto t0 = Clock::now();
    auto res = cli.Post("/v1/traces", body, "application/x-protobuf");
    const double rtt = SecondsSince(t0);
    if (!res) {
      st.conn_errors++;
      std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms));
      backoff_ms = std::min(backoff_ms * 2, 1000);
      continue;
    }
    if (res->status == 200) {
      st.acked++;
      st.spans += spans;
      st.bytes += static_cast<int64_t>(body.size());
      return rtt;
    }
    if (res->status == 429 || res->status == 503) {
      (res->status == 429 ? st.retry_429 : st.retry_503)++;
      int delay_ms = policy.fixed_delay_ms;
      if (policy.honor_retry_after) {
        delay_ms = 1000;
        const std::string ra = res->get_header_value("Retry-After");
        if (!ra.empty()) delay_ms = std::clamp(std::atoi(ra.c_str()), 0, 30) * 1000;
        if (delay_ms == 0) delay_ms = 50;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
      continue;
    }
    st.Fail(fmt::format("HTTP {}: {}", res->status, res->body.substr(0, 300)));
    return -1;
  }
  st.Fail(fmt::format("gave up after {} attempts", policy.max_attempts));
  return -1;
}

// ---------------------------------------------------------------------------------------------
// Phase: raw SQLite insert baseline

struct SqliteBaseline {
  double seconds = 0;  // inside transactions only (row preparation excluded)
  double cpu_seconds = 0;
  int64_t spans = 0;
  int64_t bytes = 0;   // raw OTLP bytes of those spans
  int64_t db_bytes = 0;
  std::string error;
};

SqliteBaseline RunSqliteBaseline(const Traffic& traffic, const fs::path& dir) {
  SqliteBaseline out;
  fs::create_directories(dir);
  const std::string path = (dir / "baseline.db").string();
  sqlite3* db = nullptr;
  auto fail = [&](const std::string& what) {
    out.error = fmt::format("sqlite baseline: {}: {}", what, db ? sqlite3_errmsg(db) : "no db");
    if (db) sqlite3_close(db);
    return out;
  };
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) return fail("open " + path);
  const char* setup =
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
      "CREATE TABLE spans(run_id TEXT NOT NULL, step_id TEXT NOT NULL, parent_id TEXT,"
      " name TEXT, start_ns INTEGER, end_ns INTEGER, status INTEGER, attributes TEXT,"
      " content TEXT, PRIMARY KEY(run_id, step_id));";
  if (sqlite3_exec(db, setup, nullptr, nullptr, nullptr) != SQLITE_OK) return fail("schema");
  sqlite3_stmt* ins = nullptr;
  if (sqlite3_prepare_v2(db, "INSERT INTO spans VALUES(?,?,?,?,?,?,?,?,?)", -1, &ins, nullptr) !=
      SQLITE_OK)
    return fail("prepare");
  std::vector<SpanRow> rows;
  for (size_t b = 0; b < traffic.batches.size(); ++b) {
    rows.clear();
    if (!RowsFromBatch(traffic.batches[b], &rows)) return fail(fmt::format("batch {} does not parse", b));
    const auto t0 = Clock::now();
    const double c0 = ThreadCpuSeconds();
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    for (const auto& r : rows) {
      sqlite3_bind_text(ins, 1, r.run_id.data(), static_cast<int>(r.run_id.size()), SQLITE_STATIC);
      sqlite3_bind_text(ins, 2, r.step_id.data(), static_cast<int>(r.step_id.size()), SQLITE_STATIC);
      sqlite3_bind_text(ins, 3, r.parent_id.data(), static_cast<int>(r.parent_id.size()), SQLITE_STATIC);
      sqlite3_bind_text(ins, 4, r.name.data(), static_cast<int>(r.name.size()), SQLITE_STATIC);
      sqlite3_bind_int64(ins, 5, r.start_ns);
      sqlite3_bind_int64(ins, 6, r.end_ns);
      sqlite3_bind_int(ins, 7, r.status);
      sqlite3_bind_text(ins, 8, r.attributes_json.data(), static_cast<int>(r.attributes_json.size()),
                        SQLITE_STATIC);
      sqlite3_bind_text(ins, 9, r.content_json.data(), static_cast<int>(r.content_json.size()),
                        SQLITE_STATIC);
      if (sqlite3_step(ins) != SQLITE_DONE) {
        sqlite3_finalize(ins);
        return fail("insert");
      }
      sqlite3_reset(ins);
    }
    if (sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
      sqlite3_finalize(ins);
      return fail("commit");
    }
    out.seconds += SecondsSince(t0);
    out.cpu_seconds += ThreadCpuSeconds() - c0;
    out.spans += static_cast<int64_t>(rows.size());
    out.bytes += static_cast<int64_t>(traffic.batches[b].size());
  }
  sqlite3_finalize(ins);
  sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  std::error_code ec;
  out.db_bytes = static_cast<int64_t>(fs::file_size(path, ec));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Phase: in-process decode + normalize (one thread = one core)

struct DecodeFigure {
  double decode_normalize_sps = 0;
  double protobuf_parse_sps = 0;
  int spans_per_batch = 0;
  std::string error;
};

DecodeFigure MeasureDecode(const Traffic& traffic, double seconds) {
  DecodeFigure out;
  // The largest batch (normally a full one) of the main workload.
  size_t idx = 0;
  for (size_t i = 0; i < traffic.batches.size(); ++i) {
    if (traffic.batch_spans[i] > traffic.batch_spans[idx]) idx = i;
  }
  const std::string& batch = traffic.batches[idx];
  const int spans = traffic.batch_spans[idx];
  out.spans_per_batch = spans;
  ingest::Normalizer normalizer{ingest::NormalizeOptions{}};
  // Bodies are copied outside the timed region: the server moves the received body in.
  double timed = 0;
  int64_t done = 0;
  std::vector<std::string> bodies;
  while (timed < seconds) {
    bodies.assign(16, batch);
    const double t0 = ThreadCpuSeconds();
    for (auto& body : bodies) {
      ingest::TraceBatch decoded;
      Status st = ingest::DecodeTracesProto(std::move(body), &decoded);
      if (!st.ok()) {
        out.error = "decode: " + st.ToString();
        return out;
      }
      ingest::NormalizedBatch norm;
      normalizer.NormalizeTraces(decoded, 1, &norm);
      if (norm.steps.size() != static_cast<size_t>(spans)) {
        out.error = fmt::format("normalize returned {} steps for {} spans", norm.steps.size(), spans);
        return out;
      }
      done += spans;
    }
    timed += ThreadCpuSeconds() - t0;
  }
  out.decode_normalize_sps = static_cast<double>(done) / timed;
  timed = 0;
  done = 0;
  while (timed < seconds) {
    const double t0 = ThreadCpuSeconds();
    for (int i = 0; i < 16; ++i) {
      opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest req;
      if (!req.ParseFromString(batch)) {
        out.error = "libprotobuf failed to parse the batch";
        return out;
      }
      done += spans;
    }
    timed += ThreadCpuSeconds() - t0;
  }
  out.protobuf_parse_sps = static_cast<double>(done) / timed;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Phase: end-to-end ingest with the latency probe

struct LatencyProbe {
  std::vector<double> visible_s;  // POST start -> GET /api/runs/{id} answers 200
  std::vector<double> rtt_s;      // the acknowledged POST's round trip
  int64_t never_visible = 0;
  int64_t failed_posts = 0;
  std::string error;
};

// Sends single-span runs with known ids until `stop`, polling each for visibility every 5 ms.
void RunProbe(int port, const std::atomic<bool>& stop, uint64_t seed, LatencyProbe* out) {
  auto cli = NewClient(port);
  std::mt19937_64 rng(seed);
  SendStats st;
  RetryPolicy policy;
  int consecutive_misses = 0;
  auto random_bytes = [&](size_t n) {
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>(rng() & 0xff);
    s[0] = static_cast<char>(s[0] | 1);
    return s;
  };
  while (!stop.load()) {
    const std::string trace = random_bytes(16), span = random_bytes(8);
    const std::string body = MakeProbeRequest(
        trace, span,
        std::chrono::duration_cast<std::chrono::nanoseconds>(
            std::chrono::system_clock::now().time_since_epoch())
            .count());
    const std::string path = "/api/runs/" + HexEncode(trace);
    const auto t0 = Clock::now();
    const double rtt = PostUntilAcked(*cli, body, 1, st, policy);
    if (rtt < 0) {
      out->failed_posts++;
      if (out->error.empty()) out->error = st.first_failure;
      if (out->failed_posts > 5) return;
      continue;
    }
    bool seen = false;
    while (SecondsSince(t0) < 10) {
      auto res = cli->Get(path);
      if (res && res->status == 200) {
        seen = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (seen) {
      out->visible_s.push_back(SecondsSince(t0));
      out->rtt_s.push_back(rtt);
      consecutive_misses = 0;
    } else {
      out->never_visible++;
      if (++consecutive_misses >= 3) {
        out->error = fmt::format("GET {} never answered 200 within 10 s (3 probes in a row)", path);
        return;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

struct EndToEnd {
  double seconds = 0;
  SendStats send;
  LatencyProbe probe;
  int64_t peak_rss = -1;
  double server_cpu_s = -1;  // server process CPU (user + system) during the replay
  std::string exit;
  std::string error;
  int64_t server_error_lines = 0;
};

// Replays all batches with `concurrency` keep-alive connections; returns the wall time.
double Replay(int port, const Traffic& traffic, int concurrency, SendStats& st) {
  std::atomic<size_t> next{0};
  std::vector<std::thread> threads;
  const auto t0 = Clock::now();
  for (int t = 0; t < concurrency; ++t) {
    threads.emplace_back([&] {
      auto cli = NewClient(port);
      RetryPolicy policy;
      for (size_t i = next++; i < traffic.batches.size(); i = next++) {
        PostUntilAcked(*cli, traffic.batches[i], traffic.batch_spans[i], st, policy);
      }
    });
  }
  for (auto& th : threads) th.join();
  return SecondsSince(t0);
}

void RunEndToEnd(const Flags& flags, const Traffic& traffic, const fs::path& data_dir,
                 EndToEnd* out) {
  auto server = ServerProcess::Start(flags.tracery, data_dir.string(), flags.server_args);
  if (!server.ok()) {
    out->error = server.status().message();
    return;
  }
  auto& proc = *server.value();
  std::atomic<bool> stop_probe{false};
  const double cpu0 = proc.CpuSeconds();
  std::thread probe([&] { RunProbe(proc.port(), stop_probe, flags.seed ^ 0x5EED, &out->probe); });
  out->seconds = Replay(proc.port(), traffic, flags.concurrency, out->send);
  out->server_cpu_s = proc.CpuSeconds() - cpu0;
  stop_probe = true;
  probe.join();
  out->peak_rss = proc.ProcStatusBytes("VmHWM");
  out->server_error_lines = proc.error_lines();
  out->exit = proc.Stop(60);
  if (out->send.failed.load() > 0) {
    out->error = fmt::format("{} requests were not acknowledged (first: {}); server log:\n{}",
                             out->send.failed.load(), out->send.first_failure, proc.Tail());
  }
}

// ---------------------------------------------------------------------------------------------
// Phase: bytes on disk for long conversations

struct DiskFigure {
  int64_t spans = 0;
  int64_t runs = 0;
  int64_t llm_spans = 0;
  int64_t raw_bytes = 0;
  int64_t disk_bytes = 0;  // every file in the data dir after a WAL checkpoint
  Json readyz;             // store info as the server reported it before stopping
  double seconds = 0;
  SendStats send;
  std::string error;
};

int64_t DirBytes(const fs::path& dir) {
  int64_t total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (ec) break;
    if (it->is_regular_file(ec)) total += static_cast<int64_t>(it->file_size(ec));
  }
  return total;
}

void RunDisk(const Flags& flags, const fs::path& data_dir, DiskFigure* out) {
  TrafficOptions o;
  o.seed = flags.seed ^ 0xD15C;
  o.runs = flags.conv_runs;
  // ~1.7 spans per turn (a chat call, half the time a tool call, sometimes retrieval / retry).
  o.steps_per_run = std::max(4, flags.conv_turns * 5 / 3);
  o.min_message_bytes = flags.min_message_bytes;
  o.max_message_bytes = flags.max_message_bytes;
  o.spans_per_batch = flags.spans_per_batch;
  o.retrieval_probability = 0.1;
  o.handoff_probability = 0;
  o.error_probability = 0;
  Traffic t = GenerateTraffic(o);
  out->spans = t.spans;
  out->runs = t.runs;
  out->llm_spans = t.llm_spans;
  out->raw_bytes = t.bytes;
  auto server = ServerProcess::Start(flags.tracery, data_dir.string(), flags.server_args);
  if (!server.ok()) {
    out->error = server.status().message();
    return;
  }
  auto& proc = *server.value();
  out->seconds = Replay(proc.port(), t, flags.concurrency, out->send);
  if (out->send.failed.load() > 0) {
    out->error = fmt::format("{} requests were not acknowledged (first: {})",
                             out->send.failed.load(), out->send.first_failure);
  }
  {
    auto cli = NewClient(proc.port());
    auto res = cli->Get("/readyz");
    if (res && res->status == 200) out->readyz = Json::parse(res->body, nullptr, false);
  }
  proc.Stop(60);
  // Fold the WAL into the database so the figure is what stays on disk.
  sqlite3* db = nullptr;
  const fs::path db_path = data_dir / "tracery.db";
  if (fs::exists(db_path) && sqlite3_open(db_path.string().c_str(), &db) == SQLITE_OK) {
    sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
  }
  if (db) sqlite3_close(db);
  out->disk_bytes = DirBytes(data_dir);
}

// ---------------------------------------------------------------------------------------------
// Phase: peak RSS under sustained overload

struct OverloadFigure {
  int senders = 0;
  double seconds = 0;
  int64_t idle_rss = -1;   // VmRSS right after startup
  int64_t peak_rss = -1;   // VmHWM at the end
  int64_t max_sampled_rss = -1;
  SendStats send;
  std::string exit;
  std::string error;
};

void RunOverload(const Flags& flags, const Traffic& traffic, const fs::path& data_dir,
                 OverloadFigure* out) {
  out->senders = flags.overload_senders;
  auto server = ServerProcess::Start(flags.tracery, data_dir.string(), flags.server_args);
  if (!server.ok()) {
    out->error = server.status().message();
    return;
  }
  auto& proc = *server.value();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  out->idle_rss = proc.ProcStatusBytes("VmRSS");
  std::vector<std::vector<size_t>> offsets(traffic.batches.size());
  for (size_t i = 0; i < traffic.batches.size(); ++i) offsets[i] = TraceIdOffsets(traffic.batches[i]);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> next{0};
  std::vector<std::thread> threads;
  std::vector<std::unique_ptr<httplib::Client>> clients;
  for (int s = 0; s < out->senders; ++s) clients.push_back(NewClient(proc.port()));
  const auto t0 = Clock::now();
  for (int s = 0; s < out->senders; ++s) {
    threads.emplace_back([&, cli = clients[static_cast<size_t>(s)].get()] {
      // Aggressive clients: retry 50 ms after a 429/503 whatever Retry-After says, so the
      // server sees sustained pressure.
      RetryPolicy policy{false, 50, 1000000, &stop};
      while (!stop.load()) {
        const uint64_t n = next++;
        const size_t i = n % traffic.batches.size();
        const uint32_t cycle = static_cast<uint32_t>(n / traffic.batches.size());
        std::string body = traffic.batches[i];
        RewriteTraceIds(offsets[i], cycle, &body);  // fresh runs on every pass
        PostUntilAcked(*cli, body, traffic.batch_spans[i], out->send, policy);
      }
    });
  }
  int64_t max_rss = 0;
  while (SecondsSince(t0) < flags.duration_s) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    max_rss = std::max(max_rss, proc.ProcStatusBytes("VmRSS"));
  }
  stop = true;
  out->seconds = SecondsSince(t0);
  // Abort requests still in flight so the phase ends on time (they count as not acked).
  for (auto& c : clients) c->stop();
  for (auto& th : threads) th.join();
  out->max_sampled_rss = max_rss;
  out->peak_rss = proc.ProcStatusBytes("VmHWM");
  out->exit = proc.Stop(60);
  if (out->send.acked.load() + out->send.retry_429.load() + out->send.retry_503.load() == 0) {
    out->error = fmt::format("the server answered no request under overload; server log:\n{}",
                             proc.Tail());
  }
}

// ---------------------------------------------------------------------------------------------
// Report

struct Row {
  std::string figure;
  std::string measured;
  std::string baseline;
  std::string ratio;
  std::string target;
  std::string met;  // "yes", "NO", "n/a"
};

std::string Si(double v) {
  if (v >= 1e6) return fmt::format("{:.2f}M", v / 1e6);
  if (v >= 1e3) return fmt::format("{:.1f}k", v / 1e3);
  return fmt::format("{:.0f}", v);
}
std::string Mb(double bytes) { return fmt::format("{:.1f} MB", bytes / 1e6); }
std::string Ms(double s) { return fmt::format("{:.1f} ms", s * 1e3); }

void PrintTable(const std::vector<Row>& rows) {
  std::vector<size_t> w = {6, 8, 8, 5, 6, 4};
  for (const auto& r : rows) {
    w[0] = std::max(w[0], r.figure.size());
    w[1] = std::max(w[1], r.measured.size());
    w[2] = std::max(w[2], r.baseline.size());
    w[3] = std::max(w[3], r.ratio.size());
    w[4] = std::max(w[4], r.target.size());
    w[5] = std::max(w[5], r.met.size());
  }
  auto line = [&](const Row& r) {
    std::printf("| %-*s | %*s | %*s | %*s | %-*s | %-*s |\n", static_cast<int>(w[0]), r.figure.c_str(),
                static_cast<int>(w[1]), r.measured.c_str(), static_cast<int>(w[2]),
                r.baseline.c_str(), static_cast<int>(w[3]), r.ratio.c_str(),
                static_cast<int>(w[4]), r.target.c_str(), static_cast<int>(w[5]), r.met.c_str());
  };
  line({"figure", "measured", "baseline", "ratio", "target", "met?"});
  std::printf("|%s|%s|%s|%s|%s|%s|\n", std::string(w[0] + 2, '-').c_str(),
              std::string(w[1] + 2, '-').c_str(), std::string(w[2] + 2, '-').c_str(),
              std::string(w[3] + 2, '-').c_str(), std::string(w[4] + 2, '-').c_str(),
              std::string(w[5] + 2, '-').c_str());
  for (const auto& r : rows) line(r);
}

const char* YesNo(bool b) { return b ? "yes" : "NO"; }

int Main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);
  std::optional<Flags> parsed = ParseFlags(argc, argv);
  if (!parsed) return 2;
  const Flags& flags = *parsed;
  // Progress goes to stderr so --json output stays clean.
  auto progress = [](const std::string& s) { std::fprintf(stderr, "[bench] %s\n", s.c_str()); };

  fs::path work = flags.work_dir;
  if (work.empty()) {
    char tmpl[] = "/tmp/tracery-bench-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) {
      std::fprintf(stderr, "tracery_bench: mkdtemp: %s\n", std::strerror(errno));
      return 1;
    }
    work = tmpl;
  } else {
    fs::create_directories(work);
  }

  TrafficOptions to;
  to.seed = flags.seed;
  to.runs = flags.runs;
  to.steps_per_run = flags.steps_per_run;
  to.min_message_bytes = flags.min_message_bytes;
  to.max_message_bytes = flags.max_message_bytes;
  to.spans_per_batch = flags.spans_per_batch;
  auto tg = Clock::now();
  const Traffic traffic = GenerateTraffic(to);
  progress(fmt::format("generated {} runs, {} spans, {} batches, {} ({:.0f} B/span) in {:.1f} s",
                       traffic.runs, traffic.spans, traffic.batches.size(), Mb(traffic.bytes),
                       static_cast<double>(traffic.bytes) / traffic.spans, SecondsSince(tg)));

  SqliteBaseline base;
  DecodeFigure dec;
  EndToEnd e2e;
  DiskFigure disk;
  OverloadFigure over;
  if (flags.Run("baseline")) {
    progress("raw SQLite insert baseline...");
    base = RunSqliteBaseline(traffic, work / "baseline");
  }
  if (flags.Run("decode")) {
    progress("decode + normalize (in process, one thread)...");
    dec = MeasureDecode(traffic, flags.decode_seconds);
  }
  if (flags.Run("e2e")) {
    progress(fmt::format("end to end: {} connections -> {} serve...", flags.concurrency,
                         flags.tracery));
    RunEndToEnd(flags, traffic, work / "e2e", &e2e);
  }
  if (flags.Run("disk")) {
    progress(fmt::format("bytes on disk: {} conversations of {} turns...", flags.conv_runs,
                         flags.conv_turns));
    RunDisk(flags, work / "disk", &disk);
  }
  if (flags.Run("overload")) {
    progress(fmt::format("overload: {} senders for {:.0f} s...", flags.overload_senders,
                         flags.duration_s));
    RunOverload(flags, traffic, work / "overload", &over);
  }

  // ---- figures
  std::vector<Row> rows;
  Json j;
  j["workload"] = {{"runs", traffic.runs},
                   {"spans", traffic.spans},
                   {"batches", traffic.batches.size()},
                   {"bytes", traffic.bytes},
                   {"spans_per_batch", flags.spans_per_batch},
                   {"steps_per_run", flags.steps_per_run},
                   {"message_bytes", {flags.min_message_bytes, flags.max_message_bytes}},
                   {"llm_spans", traffic.llm_spans},
                   {"tool_spans", traffic.tool_spans},
                   {"retrieval_spans", traffic.retrieval_spans},
                   {"retry_spans", traffic.retry_spans},
                   {"error_spans", traffic.error_spans},
                   {"handoffs", traffic.handoffs},
                   {"failed_runs", traffic.failed_runs},
                   {"seed", flags.seed},
                   {"concurrency", flags.concurrency}};
  const std::string kSkipped = "skipped";
  const bool base_ok = flags.Run("baseline") && base.error.empty() && base.seconds > 0;
  const double base_sps = base_ok ? base.spans / base.seconds : 0;
  const double base_mbps = base_ok ? base.bytes / base.seconds / 1e6 : 0;
  const double base_cpu_sps = base_ok && base.cpu_seconds > 0 ? base.spans / base.cpu_seconds : 0;
  if (flags.Run("baseline")) {
    j["sqlite_baseline"] = {{"spans_per_s", base_sps},      {"mb_per_s", base_mbps},
                            {"seconds", base.seconds},      {"cpu_seconds", base.cpu_seconds},
                            {"spans_per_cpu_s", base_cpu_sps}, {"db_bytes", base.db_bytes},
                            {"error", base.error}};
  }
  const std::string base_label = base_ok ? Si(base_sps) + " (raw SQLite)" : kSkipped;

  bool all_ok = base.error.empty() && dec.error.empty() && e2e.error.empty() &&
                disk.error.empty() && over.error.empty();

  // 1. end to end
  if (flags.Run("e2e")) {
    const bool ok = e2e.error.empty() && e2e.seconds > 0 && e2e.send.failed.load() == 0;
    const double sps = ok ? e2e.send.spans.load() / e2e.seconds : 0;
    const double mbps = ok ? e2e.send.bytes.load() / e2e.seconds / 1e6 : 0;
    const double ratio = base_sps > 0 ? sps / base_sps : 0;
    const double cpu_sps = ok && e2e.server_cpu_s > 0 ? e2e.send.spans.load() / e2e.server_cpu_s : 0;
    if (ok) {
      rows.push_back({"OTLP/HTTP ingest e2e, spans/s (all acked)", Si(sps), base_label,
                      base_ok ? fmt::format("{:.2f}x", ratio) : "-", ">=100k and >=0.7x",
                      base_ok ? YesNo(sps >= 100000 && ratio >= 0.7) : "n/a"});
      rows.push_back({"OTLP/HTTP ingest e2e, MB/s raw OTLP", fmt::format("{:.1f}", mbps),
                      base_ok ? fmt::format("{:.1f}", base_mbps) : kSkipped,
                      base_mbps > 0 ? fmt::format("{:.2f}x", mbps / base_mbps) : "-", "-", "n/a"});
      rows.push_back({"ingest spans per server CPU-second", Si(cpu_sps),
                      base_ok ? Si(base_cpu_sps) + " (SQLite CPU-s)" : kSkipped,
                      base_cpu_sps > 0 ? fmt::format("{:.2f}x", cpu_sps / base_cpu_sps) : "-",
                      "-", "n/a"});
    } else {
      rows.push_back({"OTLP/HTTP ingest e2e, spans/s", "failed", base_label, "-",
                      ">=100k and >=0.7x", "n/a"});
    }
    j["end_to_end"] = {{"spans_per_s", sps},
                       {"mb_per_s", mbps},
                       {"ratio_to_sqlite", ratio},
                       {"seconds", e2e.seconds},
                       {"server_cpu_seconds", e2e.server_cpu_s},
                       {"spans_per_server_cpu_s", cpu_sps},
                       {"send", e2e.send.ToJson()},
                       {"server_peak_rss_bytes", e2e.peak_rss},
                       {"server_exit", e2e.exit},
                       {"error", e2e.error}};

    // 3. ingest -> visible (measured during the e2e load)
    const auto& pr = e2e.probe;
    const double vis50 = Percentile(pr.visible_s, 50), vis95 = Percentile(pr.visible_s, 95);
    const double rtt50 = Percentile(pr.rtt_s, 50), rtt95 = Percentile(pr.rtt_s, 95);
    if (!pr.visible_s.empty()) {
      rows.push_back({fmt::format("ingest->visible p50 ({} probes)", pr.visible_s.size()),
                      Ms(vis50), Ms(rtt50) + " (POST RTT)",
                      fmt::format("{:.2f}x", rtt50 > 0 ? vis50 / rtt50 : 0), "-", "n/a"});
      rows.push_back({"ingest->visible p95, under load", Ms(vis95), Ms(rtt95) + " (POST RTT)",
                      fmt::format("{:.2f}x", rtt95 > 0 ? vis95 / rtt95 : 0), "<=1 s",
                      YesNo(vis95 <= 1.0 && pr.never_visible == 0)});
    } else {
      rows.push_back({"ingest->visible p95", "no probe", "-", "-", "<=1 s", "n/a"});
    }
    if (!pr.error.empty()) all_ok = false;
    j["ingest_to_visible"] = {{"probes", pr.visible_s.size()},   {"p50_s", vis50},
                              {"p95_s", vis95},                  {"post_rtt_p50_s", rtt50},
                              {"post_rtt_p95_s", rtt95},         {"never_visible", pr.never_visible},
                              {"failed_posts", pr.failed_posts}, {"error", pr.error}};
  }

  // 2. decode + normalize
  if (flags.Run("decode")) {
    if (dec.error.empty()) {
      rows.push_back({"decode+normalize, spans/s/core", Si(dec.decode_normalize_sps),
                      Si(dec.protobuf_parse_sps) + " (libprotobuf parse)",
                      fmt::format("{:.2f}x", dec.decode_normalize_sps / dec.protobuf_parse_sps),
                      ">=500k", YesNo(dec.decode_normalize_sps >= 500000)});
    } else {
      rows.push_back({"decode+normalize, spans/s/core", "failed", "-", "-", ">=500k", "n/a"});
    }
    j["decode_normalize"] = {{"spans_per_s", dec.decode_normalize_sps},
                             {"protobuf_parse_spans_per_s", dec.protobuf_parse_sps},
                             {"batch_spans", dec.spans_per_batch},
                             {"error", dec.error}};
  }

  // 4. bytes on disk
  if (flags.Run("disk")) {
    const bool ok = disk.error.empty() && disk.spans > 0 && disk.disk_bytes > 0;
    const double per_span = disk.spans ? static_cast<double>(disk.disk_bytes) / disk.spans : 0;
    const double raw_per_span = disk.spans ? static_cast<double>(disk.raw_bytes) / disk.spans : 0;
    if (ok) {
      rows.push_back({fmt::format("bytes on disk/span, {}-turn convs", flags.conv_turns),
                      fmt::format("{:.0f} B", per_span),
                      fmt::format("{:.0f} B (raw OTLP)", raw_per_span),
                      fmt::format("{:.3f}x", per_span / raw_per_span), "<=0.1x",
                      YesNo(per_span <= 0.1 * raw_per_span)});
    } else {
      rows.push_back({"bytes on disk/span", "failed", "-", "-", "<=0.1x", "n/a"});
    }
    j["bytes_on_disk"] = {
        {"spans", disk.spans},
        {"runs", disk.runs},
        {"llm_calls_per_run", disk.runs ? static_cast<double>(disk.llm_spans) / disk.runs : 0},
        {"raw_bytes", disk.raw_bytes},
        {"disk_bytes", disk.disk_bytes},
        {"bytes_per_span", per_span},
        {"raw_bytes_per_span", raw_per_span},
        {"ratio", raw_per_span > 0 ? per_span / raw_per_span : 0},
        {"ingest_seconds", disk.seconds},
        {"send", disk.send.ToJson()},
        {"readyz", disk.readyz},
        {"error", disk.error}};
  }

  // 5. peak RSS under overload
  if (flags.Run("overload")) {
    if (over.peak_rss > 0) {
      rows.push_back(
          {fmt::format("peak RSS, {} senders x {:.0f} s overload", over.senders, over.seconds),
           Mb(static_cast<double>(over.peak_rss)),
           Mb(static_cast<double>(over.idle_rss)) + " (idle)",
           fmt::format("{:.1f}x", over.idle_rss > 0
                                      ? static_cast<double>(over.peak_rss) / over.idle_rss
                                      : 0),
           "<=300 MB", YesNo(over.peak_rss <= 300LL * 1000 * 1000 && over.error.empty())});
    } else {
      rows.push_back({"peak RSS under overload", "failed", "-", "-", "<=300 MB", "n/a"});
    }
    j["overload"] = {
        {"senders", over.senders},
        {"seconds", over.seconds},
        {"idle_rss_bytes", over.idle_rss},
        {"peak_rss_bytes", over.peak_rss},
        {"max_sampled_rss_bytes", over.max_sampled_rss},
        {"accepted_spans_per_s", over.seconds > 0 ? over.send.spans.load() / over.seconds : 0},
        {"send", over.send.ToJson()},
        {"server_exit", over.exit},
        {"error", over.error}};
  }

  std::vector<Json> jrows;
  for (const auto& r : rows) {
    jrows.push_back({{"figure", r.figure}, {"measured", r.measured}, {"baseline", r.baseline},
                     {"ratio", r.ratio}, {"target", r.target}, {"met", r.met}});
  }
  j["table"] = jrows;
  j["ok"] = all_ok;

  if (flags.json) {
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("\nworkload: %lld runs, %lld spans (%lld llm, %lld tool, %lld retrieval, %lld retries, "
                "%lld error spans, %lld handoffs), %s raw OTLP in %zu requests of %d spans, "
                "%d connections\n\n",
                static_cast<long long>(traffic.runs), static_cast<long long>(traffic.spans),
                static_cast<long long>(traffic.llm_spans), static_cast<long long>(traffic.tool_spans),
                static_cast<long long>(traffic.retrieval_spans),
                static_cast<long long>(traffic.retry_spans),
                static_cast<long long>(traffic.error_spans), static_cast<long long>(traffic.handoffs),
                Mb(static_cast<double>(traffic.bytes)).c_str(), traffic.batches.size(),
                flags.spans_per_batch, flags.concurrency);
    PrintTable(rows);
    std::printf("\nretries: e2e %lld x 429, %lld x 503, %lld connection errors; overload %lld x 429, "
                "%lld x 503 (%s spans/s accepted)\n",
                static_cast<long long>(e2e.send.retry_429.load()),
                static_cast<long long>(e2e.send.retry_503.load()),
                static_cast<long long>(e2e.send.conn_errors.load()),
                static_cast<long long>(over.send.retry_429.load()),
                static_cast<long long>(over.send.retry_503.load()),
                Si(over.seconds > 0 ? over.send.spans.load() / over.seconds : 0).c_str());
    for (const std::string* err : std::initializer_list<const std::string*>{
             &base.error, &dec.error, &e2e.error, &e2e.probe.error, &disk.error, &over.error}) {
      if (!err->empty()) std::printf("error: %s\n", err->c_str());
    }
  }
  if (!flags.keep && flags.work_dir.empty()) {
    std::error_code ec;
    fs::remove_all(work, ec);
  } else {
    progress("data kept in " + work.string());
  }
  return all_ok ? 0 : 1;
}

}  // namespace
}  // namespace tracery::bench

int main(int argc, char** argv) { return tracery::bench::Main(argc, argv); }
