#include "cli/triage_rubric_cmd.h"

#include <ostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ingest/privacy.h"
#include "triage/budget.h"
#include "triage/detect.h"
#include "triage/judge.h"
#include "triage/rubric.h"
#include "triage/rubric_selftest.h"

namespace tracery::cli {
namespace {

using Json = nlohmann::json;

constexpr const char* kValidateUsage =
    "usage: tracery triage validate RUBRIC [--json]\n"
    "  RUBRIC: a file, file://PATH, or a built-in URI (tracery.dev/builtin/agents/v1, agents/v1)\n"
    "  Checks the rubric and its imports. Exit 0 when valid, 1 with file:line errors otherwise.\n";

constexpr const char* kSelfTestUsage =
    "usage: tracery triage self-test RUBRIC [--judge-url URL] [--judge-model M]\n"
    "                                [--judge-provider openai|anthropic] [--judge-api-key-env VAR] [--json]\n"
    "  Runs every mode's examples through its detector: PASS / FAIL / SKIP per example.\n"
    "  Judge examples SKIP without --judge-url. Exit 1 iff any example FAILs.\n";

struct Args {
  std::string rubric;
  std::string judge_url;
  std::string judge_model = "gpt-4o-mini";
  std::string judge_provider = "openai";
  std::string judge_key_env;
  bool json = false;
  bool help = false;
};

// Returns "" or a usage error message.
std::string Parse(const std::vector<std::string>& args, bool judge_flags, Args* out) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string* dst) -> std::string {
      const auto eq = a.find('=');
      if (eq != std::string::npos) {
        *dst = a.substr(eq + 1);
        return "";
      }
      if (i + 1 >= args.size()) return fmt::format("{} needs a value", a);
      *dst = args[++i];
      return "";
    };
    auto is = [&](std::string_view flag) {
      return a == flag || (a.size() > flag.size() && a.compare(0, flag.size() + 1, std::string(flag) + "=") == 0);
    };
    std::string err;
    if (a == "--help" || a == "-h") {
      out->help = true;
    } else if (a == "--json") {
      out->json = true;
    } else if (judge_flags && is("--judge-url")) {
      err = value(&out->judge_url);
    } else if (judge_flags && is("--judge-model")) {
      err = value(&out->judge_model);
    } else if (judge_flags && is("--judge-provider")) {
      err = value(&out->judge_provider);
      if (err.empty() && out->judge_provider != "openai" && out->judge_provider != "anthropic") {
        err = fmt::format("--judge-provider must be openai or anthropic, got \"{}\"", out->judge_provider);
      }
    } else if (judge_flags && is("--judge-api-key-env")) {
      err = value(&out->judge_key_env);
    } else if (!a.empty() && a[0] == '-') {
      err = fmt::format("unknown option {}", a);
    } else if (out->rubric.empty()) {
      out->rubric = a;
    } else {
      err = fmt::format("unexpected argument \"{}\"", a);
    }
    if (!err.empty()) return err;
  }
  if (!out->help && out->rubric.empty()) return "missing RUBRIC";
  return "";
}

// Answers judge nodes one at a time through the pipeline's Judge (cache off, redaction on).
class SyncOracle : public triage::JudgeOracle {
 public:
  explicit SyncOracle(triage::Judge* judge) : judge_(judge) {}
  std::optional<Result<triage::JudgeVerdict>> Ask(const triage::Mode& mode, const triage::Detection& node,
                                                  const triage::RunView& run) override {
    triage::JudgeItem item;
    item.mode = &mode;
    item.node = &node;
    item.run_id = run.run.run_id;
    item.run_text = triage::TextProjection(run);
    auto results = judge_->Run({item});
    if (results.empty()) return Result<triage::JudgeVerdict>(InternalError("judge returned no verdict"));
    return std::move(results.front());
  }

 private:
  triage::Judge* judge_;
};

}  // namespace

int RunTriageValidate(const std::vector<std::string>& args, Io& io) {
  Args a;
  if (std::string err = Parse(args, /*judge_flags=*/false, &a); !err.empty()) {
    io.err << "error: " << err << "\n" << kValidateUsage;
    return 2;
  }
  if (a.help) {
    io.out << kValidateUsage;
    return 0;
  }
  Result<triage::Rubric> r = triage::LoadRubric(a.rubric);
  if (!r.ok()) {
    if (a.json) {
      Json errors = Json::array();
      std::string line;
      for (char c : r.status().message() + "\n") {
        if (c == '\n') {
          if (!line.empty()) errors.push_back(line);
          line.clear();
        } else {
          line += c;
        }
      }
      io.out << Json{{"ok", false}, {"errors", errors}}.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    } else {
      io.err << r.status().message() << "\n";
    }
    return 1;
  }
  if (a.json) {
    Json modes = Json::array();
    for (const auto& m : r->modes) {
      modes.push_back({{"id", m.id},
                       {"severity", std::string(triage::ToString(m.severity))},
                       {"detection", m.detection.type},
                       {"judge", m.detection.involves_judge()},
                       {"examples", m.examples.size()},
                       {"source", m.source}});
    }
    io.out << Json{{"ok", true}, {"name", r->name}, {"version", r->version}, {"api_version", r->api_version},
                   {"modes", modes}}
                  .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
           << "\n";
  } else {
    io.out << fmt::format("OK: {} v{} ({} modes)\n", r->name, r->version, r->modes.size());
  }
  return 0;
}

int RunTriageSelfTest(const std::vector<std::string>& args, Io& io) {
  Args a;
  if (std::string err = Parse(args, /*judge_flags=*/true, &a); !err.empty()) {
    io.err << "error: " << err << "\n" << kSelfTestUsage;
    return 2;
  }
  if (a.help) {
    io.out << kSelfTestUsage;
    return 0;
  }
  Result<triage::Rubric> r = triage::LoadRubric(a.rubric);
  if (!r.ok()) {
    io.err << r.status().message() << "\n";
    return 1;
  }
  std::unique_ptr<triage::JudgeTransport> transport;
  std::unique_ptr<triage::Judge> judge;
  std::unique_ptr<SyncOracle> oracle;
  triage::CostLedger ledger;
  if (!a.judge_url.empty()) {
    triage::JudgeClientConfig cfg;
    cfg.provider = a.judge_provider;
    cfg.base_url = a.judge_url;
    std::string env = a.judge_key_env;
    if (env.empty()) env = a.judge_provider == "anthropic" ? "ANTHROPIC_API_KEY" : "OPENAI_API_KEY";
    if (auto it = io.env.find(env); it != io.env.end()) cfg.api_key = it->second;
    auto t = triage::MakeJudgeTransport(cfg);
    if (!t.ok()) {
      io.err << "error: " << t.status().message() << "\n";
      return 1;
    }
    transport = std::move(t).value();
    triage::JudgeOptions opts;
    opts.model = a.judge_model;
    opts.batch = 1;
    opts.concurrency = 1;
    opts.rubric_version = r->version;
    opts.redact = [](std::string* text) { ingest::Redact(ingest::PrivacyMode::kMask, text); };
    judge = std::make_unique<triage::Judge>(opts, transport.get(), &ledger);
    oracle = std::make_unique<SyncOracle>(judge.get());
  }
  std::vector<triage::SelfTestResult> results = triage::SelfTest(*r, oracle.get());
  int pass = 0, fail = 0, skip = 0;
  Json items = Json::array();
  for (const auto& res : results) {
    switch (res.outcome) {
      case triage::SelfTestOutcome::kPass: ++pass; break;
      case triage::SelfTestOutcome::kFail: ++fail; break;
      case triage::SelfTestOutcome::kSkip: ++skip; break;
    }
    if (a.json) {
      items.push_back({{"mode", res.mode_id},
                       {"example", res.example_index + 1},
                       {"line", res.line},
                       {"expected", res.expected_positive ? "positive" : "negative"},
                       {"outcome", std::string(triage::ToString(res.outcome))},
                       {"detail", res.detail}});
    } else {
      io.out << fmt::format("{} {} example {} (expected {}, line {}){}\n", triage::ToString(res.outcome),
                            res.mode_id, res.example_index + 1, res.expected_positive ? "positive" : "negative",
                            res.line, res.detail.empty() ? "" : ": " + res.detail);
    }
  }
  if (a.json) {
    io.out << Json{{"rubric", r->name}, {"version", r->version}, {"passed", pass}, {"failed", fail},
                   {"skipped", skip}, {"results", items}}
                  .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
           << "\n";
  } else {
    io.out << fmt::format("{} v{}: {} passed, {} failed, {} skipped\n", r->name, r->version, pass, fail, skip);
  }
  return fail > 0 ? 1 : 0;
}

}  // namespace tracery::cli
