#include "cli/triage_cmd.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "cli/cli_util.h"
#include "cli/config.h"
#include "cli/triage_queue_cmd.h"
#include "cli/triage_rubric_cmd.h"
#include "cli/triage_source.h"
#include "core/clock.h"
#include "ingest/privacy.h"
#include "query/time_util.h"
#include "store/store.h"
#include "triage/daemon.h"
#include "triage/pipeline.h"
#include "triage/report.h"
#include "triage/rubric.h"
#include "triage/tracker.h"


namespace tracery::cli {
namespace {

constexpr int kOk = 0, kFailure = 1, kUsage = 2;

std::atomic<bool> g_triage_stop{false};
extern "C" void OnTriageStop(int) { g_triage_stop.store(true); }

// io.env holds TRACERY_* only (and what tests inject); API keys are read from the process too.


struct TriageFlags {
  std::string rubric;
  std::string since, from, to;
  std::vector<std::string> agents, envs, tags;
  std::string sample = "uniform";
  int64_t sample_size = 0;
  std::string stratify_by = "status";
  int64_t max_runs = 1000;
  double max_cost_usd = 0;
  bool dry_run = false;
  std::string judge_url, judge_model, judge_provider = "openai", judge_api_key_env;
  int judge_concurrency = 8, judge_batch = 1, judge_timeout_s = 60;
  std::string judge_cache;
  bool no_judge_cache = false;
  bool no_judge = false;
  std::string price_table;
  std::string queue, report;
  bool json = false;
  std::string data_dir, server, api_key, config;
  std::string tracker, tracker_url, tracker_project, auto_post_threshold;
  std::string ui_url;
  // serve
  std::string interval = "1h";
  int64_t max_ticks = 0;
};

void AddCommonFlags(CLI::App* app, TriageFlags* f) {
  app->add_option("--rubric", f->rubric, "rubric file or URI (tracery.dev/builtin/agents/v1)")->required();
  app->add_option("--agent", f->agents, "only runs of these agents (repeat or comma-separate)");
  app->add_option("--env", f->envs, "only runs of these environments");
  app->add_option("--tag", f->tags, "only runs with all these tags");
  app->add_option("--sample", f->sample, "uniform | errors-only | stratified (default uniform)");
  app->add_option("--sample-size", f->sample_size, "keep at most N runs (seeded by the triage run id)");
  app->add_option("--stratify-by", f->stratify_by, "status | latency_bucket | tag:<key> (default status)");
  app->add_option("--max-runs", f->max_runs, "abort when more runs are selected (default 1000; 0 = no limit)");
  app->add_option("--max-cost-usd", f->max_cost_usd, "abort when the pre-flight judge cost estimate exceeds X");
  app->add_option("--judge-url", f->judge_url, "judge endpoint base (OpenAI-compatible or Anthropic)");
  app->add_option("--judge-model", f->judge_model, "judge model (default gpt-4o-mini / claude-haiku-4-5)");
  app->add_option("--judge-provider", f->judge_provider, "openai | anthropic (default openai)");
  app->add_option("--judge-api-key-env", f->judge_api_key_env,
                  "environment variable holding the judge API key (default OPENAI_API_KEY / ANTHROPIC_API_KEY)");
  app->add_option("--judge-concurrency", f->judge_concurrency, "parallel judge calls (1..64, default 8)");
  app->add_option("--judge-batch", f->judge_batch, "runs per judge call (1..32, default 1)");
  app->add_option("--judge-timeout", f->judge_timeout_s, "seconds per judge call (default 60)");
  app->add_option("--judge-cache", f->judge_cache, "judge response cache dir (default <data-dir>/triage-cache)");
  app->add_flag("--no-judge-cache", f->no_judge_cache, "do not cache judge responses");
  app->add_flag("--no-judge", f->no_judge,
                "deterministic modes only: skip modes that need an LLM judge (recorded as rubric version <v>+no-judge)");
  app->add_option("--price-table", f->price_table, "JSON {model: {input, output}} USD per 1M tokens");
  app->add_option("--queue", f->queue, "draft queue dir (default ./tracery-triage/queue)");
  app->add_option("--report", f->report, "write report.md and report.json here");
  app->add_flag("--json", f->json, "print the report JSON on stdout");
  app->add_option("--data-dir", f->data_dir, "data directory (default ./tracery-data)");
  app->add_option("--server", f->server, "use a running server instead, e.g. http://127.0.0.1:4318");
  app->add_option("--api-key", f->api_key, "API key for --server (default $TRACERY_API_KEY)");
  app->add_option("--config", f->config, "YAML configuration (privacy policy)");
  app->add_option("--tracker", f->tracker, "github | jira | linear (post / dedup drafts)");
  app->add_option("--tracker-url", f->tracker_url, "tracker API base URL");
  app->add_option("--tracker-project", f->tracker_project, "owner/repo, Jira project key or Linear team id");
  app->add_option("--auto-post-threshold", f->auto_post_threshold,
                  "never | low | medium | high | critical (default: the rubric's)");
  app->add_option("--ui-url", f->ui_url, "UI base URL for links in drafts (default the server URL)");
}

Status CheckFlags(const TriageFlags& f) {
  if (!f.data_dir.empty() && !f.server.empty()) return InvalidArgumentError("--data-dir and --server are exclusive");
  if (f.judge_concurrency < 1 || f.judge_concurrency > 64) return InvalidArgumentError("--judge-concurrency: must be 1..64");
  if (f.judge_batch < 1 || f.judge_batch > 32) return InvalidArgumentError("--judge-batch: must be 1..32");
  if (f.judge_timeout_s < 1) return InvalidArgumentError("--judge-timeout: must be >= 1");
  if (f.max_runs < 0) return InvalidArgumentError("--max-runs: must be >= 0");
  if (f.max_cost_usd < 0) return InvalidArgumentError("--max-cost-usd: must be >= 0");
  if (f.sample_size < 0) return InvalidArgumentError("--sample-size: must be >= 0");
  if (f.judge_provider != "openai" && f.judge_provider != "anthropic") {
    return InvalidArgumentError("--judge-provider: '" + f.judge_provider + "' is not openai or anthropic");
  }
  if (!f.auto_post_threshold.empty() && f.auto_post_threshold != "never" &&
      !triage::ParseSeverity(f.auto_post_threshold)) {
    return InvalidArgumentError("--auto-post-threshold: '" + f.auto_post_threshold + "' is not never|low|medium|high|critical");
  }
  triage::SampleOptions s;
  s.strategy = f.sample;
  s.stratify_by = f.stratify_by;
  return triage::ValidateSampleOptions(s);
}

// Everything a triage run needs that outlives one window.
struct Session {
  triage::Rubric rubric;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<triage::RunSource> source;
  std::unique_ptr<triage::JudgeTransport> transport;
  std::unique_ptr<triage::Tracker> tracker;
  triage::PipelineOptions options;
  std::string report_dir;
};

Result<std::unique_ptr<Session>> Prepare(const TriageFlags& f, Io& io) {
  TRACERY_RETURN_IF_ERROR(CheckFlags(f));
  auto s = std::make_unique<Session>();
  {
    Result<triage::Rubric> r = triage::LoadRubric(f.rubric);
    if (!r.ok()) return Status(StatusCode::kFailedPrecondition, r.status().message());
    s->rubric = std::move(r).value();
  }
  if (f.no_judge) {
    // Judge modes are left out, and the annotations carry a distinct version (semver build
    // metadata), so a later run with a judge still classifies these runs in full.
    std::vector<std::string> skipped;
    std::vector<triage::Mode> kept;
    for (triage::Mode& m : s->rubric.modes) {
      if (m.detection.involves_judge()) {
        skipped.push_back(m.id);
      } else {
        kept.push_back(std::move(m));
      }
    }
    if (kept.empty()) {
      return FailedPreconditionError(fmt::format("--no-judge: every mode of rubric {} needs a judge", s->rubric.name));
    }
    s->rubric.modes = std::move(kept);
    s->rubric.version += "+no-judge";
    if (!skipped.empty()) {
      io.err << fmt::format("note: --no-judge: skipping {} judge mode(s): {}\n", skipped.size(), fmt::join(skipped, ", "));
    }
  }
  ConfigInputs in;
  in.config_file = f.config;
  in.env = io.env;
  if (!f.data_dir.empty()) in.flags["data_dir"] = f.data_dir;
  TRACERY_ASSIGN_OR_RETURN(Config config, LoadConfig(in));

  std::string server = f.server.empty() ? EnvValue(io, "TRACERY_SERVER") : f.server;
  if (!f.server.empty()) {
    std::string key = f.api_key.empty() ? EnvValue(io, "TRACERY_API_KEY") : f.api_key;
    TRACERY_ASSIGN_OR_RETURN(s->source, MakeServerRunSource(f.server, key));
  } else {
    TRACERY_ASSIGN_OR_RETURN(s->store, store::OpenSqliteStore(config.ToSqliteOptions()));
    s->source = std::make_unique<StoreRunSource>(s->store.get());
  }

  triage::PipelineOptions& o = s->options;
  o.selector.agent_ids = SplitCommas(f.agents);
  o.selector.environments = SplitCommas(f.envs);
  o.selector.tags = SplitCommas(f.tags);
  o.sample.strategy = f.sample;
  o.sample.size = f.sample_size;
  o.sample.stratify_by = f.stratify_by;
  o.limits.max_runs = f.max_runs;
  o.limits.max_cost_usd = f.max_cost_usd;
  o.dry_run = f.dry_run;
  if (!f.price_table.empty()) TRACERY_RETURN_IF_ERROR(o.prices.LoadFile(f.price_table));

  // Judge input and stored excerpts are masked (secrets and PII) whatever the ingest policy.
  auto redact = [](std::string* text) { ingest::Redact(ingest::PrivacyMode::kMask, text); };
  o.redact = redact;
  o.judge.redact = redact;
  o.judge.model = !f.judge_model.empty() ? f.judge_model
                                         : (f.judge_provider == "anthropic" ? "claude-haiku-4-5" : "gpt-4o-mini");
  o.judge.batch = f.judge_batch;
  o.judge.concurrency = f.judge_concurrency;
  if (!f.no_judge_cache) {
    o.judge.cache_dir = !f.judge_cache.empty() ? f.judge_cache
                        : f.server.empty()     ? config.data_dir + "/triage-cache"
                                               : "";
  }
  if (triage::CountJudgeModes(s->rubric) > 0) {
    triage::JudgeClientConfig jc;
    jc.provider = f.judge_provider;
    jc.base_url = f.judge_url;
    std::string key_env = !f.judge_api_key_env.empty() ? f.judge_api_key_env
                          : f.judge_provider == "anthropic" ? "ANTHROPIC_API_KEY"
                                                            : "OPENAI_API_KEY";
    jc.api_key = EnvValue(io, key_env);
    jc.timeout_ms = f.judge_timeout_s * 1000;
    // A hosted endpoint without a key cannot work; a local server (--judge-url) may not need one.
    if (jc.api_key.empty() && f.judge_url.empty() && !f.dry_run) {
      return FailedPreconditionError(fmt::format(
          "rubric {} has {} judge mode(s): set ${}, or --judge-url (a local OpenAI-compatible server), "
          "or --no-judge (deterministic modes only)",
          s->rubric.name, triage::CountJudgeModes(s->rubric), key_env));
    }
    TRACERY_ASSIGN_OR_RETURN(s->transport, triage::MakeJudgeTransport(jc));
    o.transport = s->transport.get();
  }

  o.queue_dir = f.queue.empty() ? "./tracery-triage/queue" : f.queue;
  o.draft_context.ui_base_url = !f.ui_url.empty() ? f.ui_url : (!f.server.empty() ? f.server : "http://" + config.http);
  if (!f.tracker.empty()) {
    triage::TrackerConfig tc;
    tc.kind = f.tracker;
    tc.base_url = f.tracker_url;
    tc.project = f.tracker_project;
    if (f.tracker == "github") tc.token = EnvValue(io, "GITHUB_TOKEN");
    if (f.tracker == "jira") {
      tc.token = EnvValue(io, "JIRA_TOKEN");
      tc.user = EnvValue(io, "JIRA_USER");
    }
    if (f.tracker == "linear") tc.token = EnvValue(io, "LINEAR_API_KEY");
    TRACERY_ASSIGN_OR_RETURN(s->tracker, triage::MakeTracker(tc));
    o.tracker = s->tracker.get();
  }
  o.auto_post_threshold = f.auto_post_threshold;
  s->report_dir = f.report;
  return s;
}

int Fail(Io& io, const std::string& cmd, const Status& s) {
  io.err << "tracery triage " << cmd << ": " << s.message() << "\n";
  return s.code() == StatusCode::kInvalidArgument ? kUsage : kFailure;
}

// Runs one window and prints / writes its report. Returns the exit code.
// `failed_to_run` (optional): set when the pipeline itself failed (source unreachable, write
// error...), as opposed to a completed run or a budget abort; the daemon retries such windows.
int RunWindow(Session& s, int64_t from_ns, int64_t to_ns, bool json, Io& io, const std::string& cmd,
              bool* failed_to_run = nullptr) {
  triage::PipelineOptions o = s.options;
  o.selector.from_ns = from_ns;
  o.selector.to_ns = to_ns;
  Result<triage::TriageReport> r = triage::RunTriage(s.rubric, *s.source, o);
  if (failed_to_run) *failed_to_run = !r.ok();
  if (!r.ok()) return Fail(io, cmd, r.status());
  if (!s.report_dir.empty()) {
    Status w = triage::WriteReport(*r, s.report_dir);
    if (!w.ok()) return Fail(io, cmd, w);
  }
  if (json) {
    io.out << triage::ReportJson(*r) << "\n";
  } else {
    io.out << triage::ReportSummary(*r);
  }
  if (r->aborted) {
    io.err << "tracery triage " << cmd << ": aborted: " << r->abort_reason << "\n";
    return kFailure;
  }
  return kOk;
}

int Run(const TriageFlags& f, Io& io) {
  int64_t now = Clock::Real().NowUnixNanos();
  int64_t from = 0, to = now;
  if (!f.since.empty() && (!f.from.empty() || !f.to.empty())) {
    return Fail(io, "run", InvalidArgumentError("--since and --from/--to are exclusive"));
  }
  if (!f.since.empty()) {
    Result<int64_t> d = query::ParseDurationNs(f.since);
    if (!d.ok()) return Fail(io, "run", InvalidArgumentError("--since: " + d.status().message()));
    from = now - *d;
  } else if (!f.from.empty()) {
    Result<int64_t> t = query::ParseTimeNs(f.from);
    if (!t.ok()) return Fail(io, "run", InvalidArgumentError("--from: " + t.status().message()));
    from = *t;
    if (!f.to.empty()) {
      Result<int64_t> t2 = query::ParseTimeNs(f.to);
      if (!t2.ok()) return Fail(io, "run", InvalidArgumentError("--to: " + t2.status().message()));
      to = *t2;
    }
    if (to <= from) return Fail(io, "run", InvalidArgumentError("--to must be after --from"));
  } else {
    return Fail(io, "run", InvalidArgumentError("a window is required: --since 1h or --from T [--to T]"));
  }
  Result<std::unique_ptr<Session>> s = Prepare(f, io);
  if (!s.ok()) return Fail(io, "run", s.status());
  int code = RunWindow(**s, from, to, f.json, io, "run");
  if ((*s)->store) (*s)->store->Close();
  return code;
}

int Serve(const TriageFlags& f, Io& io) {
  Result<int64_t> interval = query::ParseDurationNs(f.interval);
  if (!interval.ok()) return Fail(io, "serve", InvalidArgumentError("--interval: " + interval.status().message()));
  if (f.max_ticks < 0) return Fail(io, "serve", InvalidArgumentError("--max-ticks: must be >= 0"));
  Result<std::unique_ptr<Session>> s = Prepare(f, io);
  if (!s.ok()) return Fail(io, "serve", s.status());
  Session& session = **s;
  g_triage_stop.store(false);
  std::signal(SIGTERM, OnTriageStop);
  std::signal(SIGINT, OnTriageStop);
  triage::DaemonOptions d;
  d.interval_ns = *interval;
  d.state_key = "triage.serve." + session.rubric.name;
  d.max_ticks = f.max_ticks;
  auto window = [&](int64_t from, int64_t to) -> Status {
    bool failed = false;
    RunWindow(session, from, to, f.json, io, "serve", &failed);
    io.out.flush();
    // A budget abort is reported and not retried (it would abort again); a pipeline failure is.
    return failed ? UnavailableError("window failed") : OkStatus();
  };
  auto wait = [](int64_t until_ns) {
    while (!g_triage_stop.load()) {
      int64_t now = Clock::Real().NowUnixNanos();
      if (now >= until_ns) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>((until_ns - now) / 1000000 + 1, 200)));
    }
    return false;
  };
  Result<triage::DaemonStats> st = triage::RunDaemon(*session.source, Clock::Real(), d, window, wait);
  std::signal(SIGTERM, SIG_DFL);
  std::signal(SIGINT, SIG_DFL);
  if (session.store) session.store->Close();
  if (!st.ok()) return Fail(io, "serve", st.status());
  io.err << fmt::format("tracery triage serve: stopped after {} window(s), {} failed attempt(s)\n", st->windows_ok,
                        st->windows_failed);
  return kOk;
}

}  // namespace

int RunTriageCommand(const std::vector<std::string>& args, Io& io) {
  if (!args.empty()) {
    const std::string& sub = args[0];
    std::vector<std::string> rest(args.begin() + 1, args.end());
    if (sub == "validate") return RunTriageValidate(rest, io);
    if (sub == "self-test") return RunTriageSelfTest(rest, io);
    if (sub == "queue") return RunTriageQueue(rest, io);
  }
  CLI::App app("failure triage: classify runs against a rubric, cluster, draft issues", "tracery triage");
  app.require_subcommand(1);
  TriageFlags run_flags, serve_flags;
  CLI::App* run = app.add_subcommand("run", "triage one window of runs");
  AddCommonFlags(run, &run_flags);
  run->add_option("--since", run_flags.since, "window: the last D (e.g. 1h, 7d)");
  run->add_option("--from", run_flags.from, "window start (RFC 3339 or Unix ms)");
  run->add_option("--to", run_flags.to, "window end (default now)");
  run->add_flag("--dry-run", run_flags.dry_run, "print the selection, estimate and gates; exit 1 iff a real run would abort");
  CLI::App* serve = app.add_subcommand("serve", "triage every --interval window, checkpointed in the store");
  AddCommonFlags(serve, &serve_flags);
  serve->add_option("--interval", serve_flags.interval, "window length (default 1h)");
  serve->add_option("--max-ticks", serve_flags.max_ticks, "stop after N windows (0 = until SIGTERM)");
  app.add_subcommand("validate", "check a rubric (exit 0/1)");
  app.add_subcommand("self-test", "run a rubric's examples through its detectors");
  app.add_subcommand("queue", "list|show|post|clear queued issue drafts");
  std::vector<const char*> argv = {"tracery triage"};
  for (const auto& a : args) argv.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e, io.out, io.err);
  } catch (const CLI::ParseError& e) {
    io.err << "tracery triage: " << e.what() << "\n";
    return kUsage;
  }
  if (run->parsed()) return Run(run_flags, io);
  if (serve->parsed()) return Serve(serve_flags, io);
  return kUsage;  // validate / self-test / queue were routed above
}

}  // namespace tracery::cli
