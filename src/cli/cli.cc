#include "cli/cli.h"
#include "cli/cli_util.h"

#include <fmt/core.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <charconv>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "cli/client.h"
#include "cli/config.h"
#include "cli/ingest_files.h"
#include "cli/render.h"
#include "cli/triage_cmd.h"
#include "core/log.h"
#include "model/model.h"
#include "query/query_service.h"
#include "server/server.h"
#include "store/store.h"

#ifndef TRACERY_VERSION
#define TRACERY_VERSION "0.0.0"
#endif

extern char** environ;

namespace tracery::cli {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

// A command-level error: message plus exit code.
struct CommandError {
  int code;
  std::string message;
};

int ExitCodeFor(const Status& s) {
  return s.code() == StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
}

std::string Join(const std::vector<std::string_view>& items) {
  std::string out;
  for (auto i : items) {
    if (!out.empty()) out += ", ";
    out += i;
  }
  return out;
}


// Options shared by the commands that read configuration.
struct CommonFlags {
  std::string config;
  std::string data_dir;
  std::string http;
  std::string grpc;
  std::string log_level;
  std::string log_format;
  std::string server;
  std::string api_key;
  std::string color = "auto";
  bool json = false;
};

Result<Config> BuildConfig(const CommonFlags& f, const Io& io) {
  ConfigInputs in;
  in.config_file = f.config;
  in.env = io.env;
  if (!f.data_dir.empty()) in.flags["data_dir"] = f.data_dir;
  if (!f.http.empty()) in.flags["http"] = f.http;
  if (!f.grpc.empty()) in.flags["grpc"] = f.grpc;
  if (!f.log_level.empty()) in.flags["log.level"] = f.log_level;
  if (!f.log_format.empty()) in.flags["log.format"] = f.log_format;
  return LoadConfig(in);
}

void ApplyLogging(const Config& c, bool serving) {
  log::Level level = log::Level::kInfo;
  if (c.log_level == "debug") level = log::Level::kDebug;
  if (c.log_level == "warn") level = log::Level::kWarn;
  if (c.log_level == "error") level = log::Level::kError;
  // One-shot commands keep stderr for their own messages unless debugging.
  if (!serving && level == log::Level::kInfo) level = log::Level::kWarn;
  log::SetLevel(level);
  log::SetJson(c.log_format == "json");
}

// ---- serve ----

std::atomic<bool> g_stop_requested{false};
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void OnStopSignal(int) { g_stop_requested.store(true); }

int Serve(const CommonFlags& flags, Io& io) {
  auto config = BuildConfig(flags, io);
  if (!config.ok()) {
    io.err << "tracery serve: " << config.status().message() << "\n";
    return ExitCodeFor(config.status());
  }
  ApplyLogging(*config, true);
  auto store = store::OpenSqliteStore(config->ToSqliteOptions());
  if (!store.ok()) {
    io.err << fmt::format("tracery serve: cannot open data dir \"{}\": {}\n", config->data_dir,
                          store.status().message());
    return kExitFailure;
  }
  auto server = server::CreateServer(config->ToServerOptions(), config->ToNormalizeOptions(), store->get());
  if (!server.ok()) {
    io.err << "tracery serve: " << server.status().message() << "\n";
    (*store)->Close();
    return kExitFailure;
  }
  g_stop_requested.store(false);
  struct sigaction action {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  struct sigaction old_int {}, old_term {};
  sigaction(SIGINT, &action, &old_int);
  sigaction(SIGTERM, &action, &old_term);
  auto restore = [&] {
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGTERM, &old_term, nullptr);
  };
  Status started = (*server)->Start();
  if (!started.ok()) {
    restore();
    io.err << "tracery serve: " << started.message() << "\n";
    (*server)->Stop();
    (*store)->Close();
    return kExitFailure;
  }
  if (io.on_serving) io.on_serving((*server)->http_port(), (*server)->grpc_port());
  // A signal handler may only set a flag; this thread turns the flag into a graceful Stop().
  std::atomic<bool> done{false};
  server::Server* srv = server->get();
  std::thread watcher([&done, srv] {
    while (!done.load()) {
      if (g_stop_requested.load()) {
        log::Info("tracery stopping (signal)");
        srv->Stop();
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  (*server)->Wait();
  done.store(true);
  watcher.join();
  (*server)->Stop();
  server->reset();
  (*store)->Close();
  restore();
  return kExitOk;
}

// ---- ingest ----

Result<std::string> ReadFile(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return InvalidArgumentError("is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("cannot open file");
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  if (size < 0) return InvalidArgumentError("cannot read file");
  if (static_cast<uint64_t>(size) > kMaxFileBytes) {
    return ResourceExhaustedError(fmt::format("file is larger than {} bytes", kMaxFileBytes));
  }
  in.seekg(0);
  std::string data(static_cast<size_t>(size), '\0');
  in.read(data.data(), size);
  if (!in) return InvalidArgumentError("cannot read file");
  return data;
}

int Ingest(const CommonFlags& flags, const std::vector<std::string>& files, Io& io) {
  auto config = BuildConfig(flags, io);
  if (!config.ok()) {
    io.err << "tracery ingest: " << config.status().message() << "\n";
    return ExitCodeFor(config.status());
  }
  ApplyLogging(*config, false);
  std::unique_ptr<store::Store> store;
  std::unique_ptr<IngestSink> sink;
  std::string api_key = flags.api_key;
  if (api_key.empty() && io.env.count("TRACERY_API_KEY")) api_key = io.env.at("TRACERY_API_KEY");
  if (!flags.server.empty()) {
    auto remote = MakeRemoteSink(flags.server, api_key);
    if (!remote.ok()) {
      io.err << "tracery ingest: " << remote.status().message() << "\n";
      return ExitCodeFor(remote.status());
    }
    sink = std::move(*remote);
  } else {
    auto opened = store::OpenSqliteStore(config->ToSqliteOptions());
    if (!opened.ok()) {
      io.err << fmt::format("tracery ingest: cannot open data dir \"{}\": {}\n", config->data_dir,
                            opened.status().message());
      return kExitFailure;
    }
    store = std::move(*opened);
    sink = MakeStoreSink(store.get(), config->ToNormalizeOptions());
  }

  IngestCounts total;
  int failed = 0;
  nlohmann::json errors = nlohmann::json::array();
  const bool progress = files.size() > 1;
  for (size_t i = 0; i < files.size(); ++i) {
    const std::string& file = files[i];
    IngestCounts counts;
    Status s = [&]() -> Status {
      TRACERY_ASSIGN_OR_RETURN(std::string data, ReadFile(file));
      TRACERY_ASSIGN_OR_RETURN(std::vector<OtlpDocument> docs, SplitOtlpFile(std::move(data)));
      for (auto& doc : docs) TRACERY_RETURN_IF_ERROR(sink->Send(std::move(doc), &counts));
      return OkStatus();
    }();
    // Partial files count what was delivered before the error.
    total.Add(counts);
    if (!s.ok()) {
      ++failed;
      io.err << fmt::format("tracery ingest: {}: {}\n", file, s.message());
      errors.push_back({{"file", file}, {"error", s.message()}});
    } else if (progress && !flags.json) {
      io.err << fmt::format("[{}/{}] {}: {} spans, {} rejected, {} log records\n", i + 1, files.size(), file,
                            counts.spans_accepted, counts.spans_rejected, counts.logs_accepted);
    }
  }
  if (store) store->Close();

  if (flags.json) {
    nlohmann::json j = {{"files", files.size()},
                        {"files_failed", failed},
                        {"spans_accepted", total.spans_accepted},
                        {"spans_rejected", total.spans_rejected},
                        {"log_records_accepted", total.logs_accepted},
                        {"log_records_rejected", total.logs_rejected},
                        {"runs_touched", total.runs.size()},
                        {"errors", errors}};
    if (flags.server.empty()) j["steps_duplicate"] = total.steps_duplicate;
    io.out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    io.out << fmt::format("{} file{}{}: {} spans accepted, {} rejected, {} log records, {} run{} touched\n",
                          files.size(), files.size() == 1 ? "" : "s",
                          failed > 0 ? fmt::format(" ({} failed)", failed) : "", total.spans_accepted,
                          total.spans_rejected, total.logs_accepted, total.runs.size(),
                          total.runs.size() == 1 ? "" : "s");
  }
  return failed > 0 ? kExitFailure : kExitOk;
}

// ---- read commands ----

enum class Endpoint { kRuns, kRun, kStats, kSessions, kAgents };

// Reads from a data dir (through QueryService) or a server (through the API): same documents.
class Reader {
 public:
  static Result<std::unique_ptr<Reader>> Open(const CommonFlags& flags, const Io& io) {
    auto reader = std::unique_ptr<Reader>(new Reader());
    if (!flags.server.empty()) {
      std::string key = flags.api_key;
      if (key.empty() && io.env.count("TRACERY_API_KEY")) key = io.env.at("TRACERY_API_KEY");
      TRACERY_ASSIGN_OR_RETURN(reader->client_, ApiClient::Create(flags.server, key));
      return reader;
    }
    TRACERY_ASSIGN_OR_RETURN(Config config, BuildConfig(flags, io));
    ApplyLogging(config, false);
    std::error_code ec;
    if (!std::filesystem::exists(std::filesystem::path(config.data_dir) / "tracery.db", ec)) {
      return NotFoundError(fmt::format("no tracery data in \"{}\" (set --data-dir, or use --server URL)",
                                       config.data_dir));
    }
    auto store = store::OpenSqliteStore(config.ToSqliteOptions());
    if (!store.ok()) {
      return store.status().WithContext(fmt::format("cannot open data dir \"{}\"", config.data_dir));
    }
    reader->store_ = std::move(*store);
    reader->service_ = std::make_unique<query::QueryService>(reader->store_.get());
    return reader;
  }

  ~Reader() {
    if (store_) store_->Close();
  }

  Result<std::string> Fetch(Endpoint e, const query::Params& params, const std::string& run_id = "") {
    if (client_) {
      switch (e) {
        case Endpoint::kRuns: return client_->GetJson("/api/runs", params);
        case Endpoint::kRun: return client_->GetJson("/api/runs/" + run_id, params);
        case Endpoint::kStats: return client_->GetJson("/api/stats", params);
        case Endpoint::kSessions: return client_->GetJson("/api/sessions", params);
        case Endpoint::kAgents: return client_->GetJson("/api/agents", params);
      }
    }
    switch (e) {
      case Endpoint::kRuns: return service_->ListRuns(params);
      case Endpoint::kRun: return service_->GetRun(run_id, params);
      case Endpoint::kStats: return service_->Stats(params);
      case Endpoint::kSessions: return service_->Sessions(params);
      case Endpoint::kAgents: return service_->Agents(params);
    }
    return InternalError("unknown endpoint");
  }

 private:
  Reader() = default;
  std::unique_ptr<ApiClient> client_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<query::QueryService> service_;
};

// Filter flags shared by runs, stats and agents; they map 1:1 onto the API parameters.
struct FilterFlags {
  std::string since, from, to, query, sort, limit, cursor;
  std::string min_duration_ms, max_duration_ms, min_cost, max_cost;
  std::vector<std::string> agent, version, env, status, failure_type, failure_code, model, session, user, tag;
};

void AddFilterFlags(CLI::App* app, FilterFlags* f, bool paging) {
  app->add_option("--since", f->since, "only runs started within this duration (15m, 1h, 7d)");
  app->add_option("--from", f->from, "runs started at or after (RFC 3339 or Unix ms)");
  app->add_option("--to", f->to, "runs started before (RFC 3339 or Unix ms)");
  app->add_option("--agent", f->agent, "agent id (repeatable, or comma-separated)")->allow_extra_args(false);
  app->add_option("--version", f->version, "agent version (repeatable)")->allow_extra_args(false);
  app->add_option("--env", f->env, "deployment environment (repeatable)")->allow_extra_args(false);
  app->add_option("--status", f->status, "running|ok|failed|partial|abandoned (repeatable)")
      ->allow_extra_args(false);
  app->add_option("--failure-type", f->failure_type, "tool|model|retrieval|orchestration|guardrail|unknown")
      ->allow_extra_args(false);
  app->add_option("--failure-code", f->failure_code, "failure code, e.g. timeout (repeatable)")
      ->allow_extra_args(false);
  app->add_option("--model", f->model, "model used by any step (repeatable)")->allow_extra_args(false);
  app->add_option("--session", f->session, "session id")->allow_extra_args(false);
  app->add_option("--user", f->user, "user id")->allow_extra_args(false);
  app->add_option("--tag", f->tag, "tag that must be present (repeatable)")->allow_extra_args(false);
  app->add_option("-q,--query", f->query, "text search over names, agents and failure messages");
  app->add_option("--min-duration-ms", f->min_duration_ms, "minimum run duration in ms");
  app->add_option("--max-duration-ms", f->max_duration_ms, "maximum run duration in ms");
  app->add_option("--min-cost", f->min_cost, "minimum run cost in USD");
  app->add_option("--max-cost", f->max_cost, "maximum run cost in USD");
  if (paging) {
    app->add_option("--sort", f->sort,
                    "start_desc|start_asc|duration_desc|duration_asc|cost_desc|tokens_desc|updated_desc");
    app->add_option("--limit", f->limit, "runs per page (1..1000, default 50)");
    app->add_option("--cursor", f->cursor, "page cursor from a previous listing");
  }
}

Status CheckOneOf(std::string_view flag, const std::vector<std::string>& values,
                  const std::vector<std::string_view>& allowed) {
  for (const auto& v : values) {
    if (std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
      return InvalidArgumentError(fmt::format("invalid {} \"{}\": expected one of {}", flag, v, Join(allowed)));
    }
  }
  return OkStatus();
}

Status CheckInt(std::string_view flag, const std::string& value, int64_t min, int64_t max) {
  if (value.empty()) return OkStatus();
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || ptr != value.data() + value.size() || v < min || v > max) {
    return InvalidArgumentError(
        fmt::format("invalid {} \"{}\": expected an integer in {}..{}", flag, value, min, max));
  }
  return OkStatus();
}

Result<query::Params> FilterParams(const FilterFlags& f) {
  query::Params p;
  auto one = [&](const char* key, const std::string& v) {
    if (!v.empty()) p.emplace(key, v);
  };
  auto many = [&](const char* key, const std::vector<std::string>& values) {
    for (const auto& v : SplitCommas(values)) p.emplace(key, v);
  };
  TRACERY_RETURN_IF_ERROR(CheckOneOf("--status", SplitCommas(f.status),
                                     {"running", "ok", "failed", "partial", "abandoned"}));
  TRACERY_RETURN_IF_ERROR(CheckOneOf("--failure-type", SplitCommas(f.failure_type),
                                     {"tool", "model", "retrieval", "orchestration", "guardrail", "unknown"}));
  if (!f.sort.empty()) {
    TRACERY_RETURN_IF_ERROR(CheckOneOf(
        "--sort", {f.sort},
        {"start_desc", "start_asc", "duration_desc", "duration_asc", "cost_desc", "tokens_desc", "updated_desc"}));
  }
  TRACERY_RETURN_IF_ERROR(CheckInt("--limit", f.limit, 1, 1000));
  one("since", f.since);
  one("from", f.from);
  one("to", f.to);
  many("agent", f.agent);
  many("version", f.version);
  many("environment", f.env);
  many("status", f.status);
  many("failure_type", f.failure_type);
  many("failure_code", f.failure_code);
  many("model", f.model);
  many("session", f.session);
  many("user", f.user);
  many("tag", f.tag);
  one("q", f.query);
  one("min_duration_ms", f.min_duration_ms);
  one("max_duration_ms", f.max_duration_ms);
  one("min_cost", f.min_cost);
  one("max_cost", f.max_cost);
  one("sort", f.sort);
  one("limit", f.limit);
  one("cursor", f.cursor);
  return p;
}

using Renderer = Result<std::string> (*)(std::string_view, const RenderOptions&);

int Print(const std::string& command, const CommonFlags& flags, Io& io, Endpoint endpoint,
          Result<query::Params> params, Renderer render, const std::string& run_id = "") {
  auto fail = [&](const Status& s) {
    io.err << "tracery " << command << ": " << s.message() << "\n";
    return ExitCodeFor(s);
  };
  if (!params.ok()) return fail(params.status());
  if (flags.color != "auto" && flags.color != "always" && flags.color != "never") {
    return fail(InvalidArgumentError(
        fmt::format("invalid --color \"{}\": expected one of auto, always, never", flags.color)));
  }
  auto reader = Reader::Open(flags, io);
  if (!reader.ok()) return fail(reader.status());
  auto doc = (*reader)->Fetch(endpoint, *params, run_id);
  if (!doc.ok()) {
    Status s = doc.status();
    if (s.code() == StatusCode::kNotFound && endpoint == Endpoint::kRun) {
      std::string hint = run_id.size() < 4 ? " (give at least 4 hex digits of the run id)"
                         : run_id.size() < 32 ? " (no run id starts with it)"
                                              : "";
      s = NotFoundError(fmt::format("run \"{}\" not found{}", run_id, hint));
    }
    return fail(s);
  }
  Result<std::string> text = InternalError("unset");
  if (flags.json) {
    text = PrettyJson(*doc);
  } else {
    RenderOptions options;
    options.color = flags.color == "always" || (flags.color == "auto" && io.out_is_tty && !io.env.count("NO_COLOR"));
    text = render(*doc, options);
  }
  if (!text.ok()) return fail(text.status());
  io.out << *text;
  return kExitOk;
}

void AddReadFlags(CLI::App* app, CommonFlags* f) {
  app->add_option("--data-dir", f->data_dir, "data directory to read (default ./tracery-data)");
  app->add_option("--config", f->config, "YAML configuration file");
  app->add_option("--server", f->server, "read from a running server instead, e.g. http://127.0.0.1:4318");
  app->add_option("--api-key", f->api_key, "API key for --server (default $TRACERY_API_KEY)");
  app->add_flag("--json", f->json, "print the API's JSON document");
  app->add_option("--color", f->color, "auto|always|never (default auto)");
}

void AddServerConfigFlags(CLI::App* app, CommonFlags* f) {
  app->add_option("--data-dir", f->data_dir, "data directory (default ./tracery-data)");
  app->add_option("--http", f->http, "HTTP listen address HOST:PORT (default 127.0.0.1:4318)");
  app->add_option("--grpc", f->grpc, "gRPC listen address HOST:PORT, or off (default 127.0.0.1:4317)");
  app->add_option("--config", f->config, "YAML configuration file (default $TRACERY_CONFIG)");
  app->add_option("--log-level", f->log_level, "debug|info|warn|error");
  app->add_option("--log-format", f->log_format, "text|json");
}

// The first unexpected argument, named the way a user typed it.
std::string DescribeExtra(const std::string& arg) {
  if (arg.size() > 1 && arg[0] == '-') {
    return fmt::format("unknown flag {}", arg.substr(0, arg.find('=')));
  }
  return fmt::format("unexpected argument \"{}\"", arg);
}

std::string CommandName(const CLI::App& app) {
  std::string name;
  for (const CLI::App* a = &app; a != nullptr && a->get_parent() != nullptr; a = a->get_parent()) {
    name = a->get_name() + (name.empty() ? "" : " " + name);
  }
  return name.empty() ? "tracery" : "tracery " + name;
}

const CLI::App* Deepest(const CLI::App& app) {
  const CLI::App* cur = &app;
  while (true) {
    auto subs = cur->get_subcommands();
    if (subs.empty()) return cur;
    cur = subs.front();
  }
}

}  // namespace

int Run(const std::vector<std::string>& args, Io& io) {
  // `tracery triage ...` has its own parser (cli/triage_cmd.cc).
  if (!args.empty() && args[0] == "triage") {
    return RunTriageCommand(std::vector<std::string>(args.begin() + 1, args.end()), io);
  }
  CLI::App app("tracery: observability and failure triage for LLM agents", "tracery");
  app.allow_extras();
  app.set_help_all_flag("", "");
  app.footer("Run `tracery COMMAND --help` for a command's flags. Exit codes: 0 ok, 1 failure, 2 usage.");

  CommonFlags flags;
  FilterFlags filters;
  std::vector<std::string> files;
  std::string run_id, offset, step_limit, group_by, bucket;

  CLI::App* serve = app.add_subcommand("serve", "run the server (OTLP ingest, API, UI)");
  AddServerConfigFlags(serve, &flags);

  CLI::App* ingest = app.add_subcommand("ingest", "load OTLP files (JSON, JSON Lines, protobuf, gzip)");
  ingest->add_option("FILE", files, "OTLP files")->required();
  ingest->add_option("--data-dir", flags.data_dir, "data directory to write (default ./tracery-data)");
  ingest->add_option("--config", flags.config, "YAML configuration file (privacy, pricing)");
  ingest->add_option("--server", flags.server, "POST to a running server instead, e.g. http://127.0.0.1:4318");
  ingest->add_option("--api-key", flags.api_key, "API key for --server (default $TRACERY_API_KEY)");
  ingest->add_flag("--json", flags.json, "print the summary as JSON");

  CLI::App* runs = app.add_subcommand("runs", "list runs");
  AddReadFlags(runs, &flags);
  AddFilterFlags(runs, &filters, true);

  CLI::App* show = app.add_subcommand("show", "show a run: summary, failure and step tree");
  show->add_option("RUN_ID", run_id, "the run id (32 hex characters)")->required();
  show->add_option("--offset", offset, "first step to show (default 0)");
  show->add_option("--limit", step_limit, "steps to show (1..10000, default 1000)");
  AddReadFlags(show, &flags);

  CLI::App* stats = app.add_subcommand("stats", "aggregates: success rate, latency, tokens, cost");
  AddReadFlags(stats, &flags);
  AddFilterFlags(stats, &filters, false);
  stats->add_option("--group-by", group_by,
                    "none|agent|version|model|step_type|failure_type|failure_code|environment|step_name");
  stats->add_option("--bucket", bucket, "time bucket width, e.g. 1h or 1d");

  CLI::App* sessions = app.add_subcommand("sessions", "list sessions");
  AddReadFlags(sessions, &flags);
  sessions->add_option("--from", filters.from, "sessions active at or after (RFC 3339 or Unix ms)");
  sessions->add_option("--to", filters.to, "sessions active before (RFC 3339 or Unix ms)");
  sessions->add_option("--user", filters.user, "user id")->allow_extra_args(false);
  sessions->add_option("--limit", filters.limit, "sessions per page (1..1000, default 50)");
  sessions->add_option("--cursor", filters.cursor, "page cursor from a previous listing");

  CLI::App* agents = app.add_subcommand("agents", "list agents and their versions");
  AddReadFlags(agents, &flags);
  AddFilterFlags(agents, &filters, false);

  CLI::App* config = app.add_subcommand("config", "configuration tools");
  CLI::App* config_print = config->add_subcommand("print", "print the effective configuration as YAML");
  AddServerConfigFlags(config_print, &flags);
  config->require_subcommand(1);

  CLI::App* version = app.add_subcommand("version", "print the version");

  for (CLI::App* sub : app.get_subcommands({})) sub->allow_extras();
  config_print->allow_extras();

  std::vector<const char*> argv = {"tracery"};
  for (const auto& a : args) argv.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e, io.out, io.err);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e, io.out, io.err);
  } catch (const CLI::ParseError& e) {
    io.err << CommandName(*Deepest(app)) << ": " << e.what() << "\n";
    return kExitUsage;
  }

  // Unknown flags and stray arguments, reported for the command they were given to.
  for (const CLI::App* a = &app; a != nullptr;) {
    auto extras = a->remaining(false);
    if (!extras.empty()) {
      if (a == &app && app.get_subcommands().empty() && extras.front().front() != '-') {
        io.err << fmt::format("tracery: unknown command \"{}\" (see tracery --help)\n", extras.front());
      } else {
        io.err << CommandName(*a) << ": " << DescribeExtra(extras.front()) << "\n";
      }
      return kExitUsage;
    }
    auto subs = a->get_subcommands();
    a = subs.empty() ? nullptr : subs.front();
  }

  if (app.get_subcommands().empty()) {
    io.err << app.help();
    return kExitUsage;
  }
  const CLI::App* cmd = app.get_subcommands().front();
  if (cmd == serve) return Serve(flags, io);
  if (cmd == ingest) return Ingest(flags, files, io);
  if (cmd == runs) return Print("runs", flags, io, Endpoint::kRuns, FilterParams(filters), RenderRunsTable);
  if (cmd == show) {
    query::Params p;
    Status s = CheckInt("--offset", offset, 0, std::numeric_limits<int64_t>::max());
    if (s.ok()) s = CheckInt("--limit", step_limit, 1, 10000);
    bool id_ok = !run_id.empty() && run_id.size() <= 128 &&
                 std::all_of(run_id.begin(), run_id.end(), [](char c) {
                   return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
                 });
    if (s.ok() && !id_ok) s = InvalidArgumentError(fmt::format("invalid run id \"{}\"", run_id));
    if (!offset.empty()) p.emplace("offset", offset);
    if (!step_limit.empty()) p.emplace("limit", step_limit);
    Result<query::Params> params = s.ok() ? Result<query::Params>(p) : Result<query::Params>(s);
    // Ids are lower-case hex; accept what users paste.
    std::string id = run_id;
    for (char& c : id) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return Print("show", flags, io, Endpoint::kRun, std::move(params), RenderRunDetail, id);
  }
  if (cmd == stats) {
    Result<query::Params> params = FilterParams(filters);
    if (params.ok() && !group_by.empty()) {
      Status s = CheckOneOf("--group-by", {group_by},
                            {"none", "agent", "version", "model", "step_type", "failure_type", "failure_code",
                             "environment", "step_name"});
      if (s.ok()) {
        params->emplace("group_by", group_by);
      } else {
        params = s;
      }
    }
    if (params.ok() && !bucket.empty()) params->emplace("bucket", bucket);
    return Print("stats", flags, io, Endpoint::kStats, std::move(params), RenderStatsTable);
  }
  if (cmd == sessions) {
    query::Params p;
    Status s = CheckInt("--limit", filters.limit, 1, 1000);
    if (!filters.from.empty()) p.emplace("from", filters.from);
    if (!filters.to.empty()) p.emplace("to", filters.to);
    for (const auto& u : filters.user) p.emplace("user", u);
    if (!filters.limit.empty()) p.emplace("limit", filters.limit);
    if (!filters.cursor.empty()) p.emplace("cursor", filters.cursor);
    Result<query::Params> params = s.ok() ? Result<query::Params>(p) : Result<query::Params>(s);
    return Print("sessions", flags, io, Endpoint::kSessions, std::move(params), RenderSessionsTable);
  }
  if (cmd == agents) {
    return Print("agents", flags, io, Endpoint::kAgents, FilterParams(filters), RenderAgentsTable);
  }
  if (cmd == config) {
    auto c = BuildConfig(flags, io);
    if (!c.ok()) {
      io.err << "tracery config print: " << c.status().message() << "\n";
      return ExitCodeFor(c.status());
    }
    io.out << RenderConfigYaml(*c);
    return kExitOk;
  }
  if (cmd == version) {
    io.out << "tracery " << TRACERY_VERSION << "\n";
    return kExitOk;
  }
  io.err << app.help();
  return kExitUsage;
}

int Main(int argc, char** argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  Io io{std::cout, std::cerr, {}, isatty(STDOUT_FILENO) != 0, nullptr};
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv(*e);
    size_t eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view name = kv.substr(0, eq);
    if (name.starts_with("TRACERY_") || name == "NO_COLOR") io.env.emplace(name, kv.substr(eq + 1));
  }
  try {
    int code = Run(args, io);
    std::cout.flush();
    return code;
  } catch (const std::exception& e) {
    std::cerr << "tracery: internal error: " << e.what() << "\n";
    return kExitFailure;
  }
}

}  // namespace tracery::cli
