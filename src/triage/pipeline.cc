#include "triage/pipeline.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "core/hash.h"
#include "core/log.h"
#include "triage/cluster.h"
#include "triage/detect.h"

namespace tracery::triage {
namespace {

// "agent=<a> type=<t> step=<name>" of the first evidence step that exists ("" when none).
std::string EvidenceSignature(const RunView& v, const std::vector<std::string>& evidence) {
  for (const std::string& id : evidence) {
    for (const model::Step& st : v.steps) {
      if (st.step_id != id) continue;
      return "agent=" + st.agent + " type=" + std::string(model::ToString(st.type)) + " step=" + st.name;
    }
  }
  return "";
}


constexpr size_t kMaxReportedErrors = 200;
constexpr size_t kWriteChunk = 500;

// Two-pass oracle: answers from known verdicts, otherwise records the question and defers.
class BatchingOracle : public JudgeOracle {
 public:
  using Key = std::tuple<std::string, std::string, const Detection*>;  // run, mode, node
  explicit BatchingOracle(bool have_judge) : have_judge_(have_judge) {}

  std::optional<Result<JudgeVerdict>> Ask(const Mode& mode, const Detection& node,
                                          const RunView& run) override {
    if (!have_judge_) {
      return Result<JudgeVerdict>(FailedPreconditionError(
          "mode " + mode.id + " needs an llm judge, none configured (--judge-url/--judge-model)"));
    }
    Key key{run.run.run_id, mode.id, &node};
    auto it = answers_.find(key);
    if (it != answers_.end()) return it->second;
    if (asked_.insert(key).second) questions_.push_back({&mode, &node, &run});
    return std::nullopt;
  }

  struct Question {
    const Mode* mode;
    const Detection* node;
    const RunView* run;
  };
  std::vector<Question> TakeQuestions() {
    std::vector<Question> q;
    q.swap(questions_);
    return q;
  }
  void Answer(const Question& q, Result<JudgeVerdict> verdict) {
    answers_.insert_or_assign(Key{q.run->run.run_id, q.mode->id, q.node}, std::move(verdict));
  }

 private:
  bool have_judge_;
  std::map<Key, Result<JudgeVerdict>> answers_;
  std::set<Key> asked_;
  std::vector<Question> questions_;
};

void AddError(TriageReport& r, std::string e) {
  if (r.errors.size() < kMaxReportedErrors) r.errors.push_back(std::move(e));
}

}  // namespace

std::string TriageRunId(const std::string& rubric_name, const std::string& rubric_version,
                        int64_t from_ns, int64_t to_ns) {
  return ContentHash(fmt::format("{}@{}|{}|{}", rubric_name, rubric_version, from_ns, to_ns))
      .ToHex()
      .substr(0, 16);
}

Result<TriageReport> RunTriage(const Rubric& rubric, RunSource& source, const PipelineOptions& options) {
  const Clock& clock = options.clock ? *options.clock : Clock::Real();
  int64_t started_ns = clock.NowUnixNanos();
  TriageReport report;
  report.rubric_name = rubric.name;
  report.rubric_version = rubric.version;
  report.from_ns = options.selector.from_ns;
  report.to_ns = options.selector.to_ns;
  report.dry_run = options.dry_run;
  report.triage_run_id = TriageRunId(rubric.name, rubric.version, report.from_ns, report.to_ns);
  for (const Mode& m : rubric.modes) {
    ModeTally t;
    t.mode_id = m.id;
    t.severity = m.severity;
    t.judge = m.detection.involves_judge();
    report.modes.push_back(t);
  }

  SampleOptions sample = options.sample;
  sample.seed = report.triage_run_id;
  TRACERY_RETURN_IF_ERROR(ValidateSampleOptions(sample));
  RunSelector selector = options.selector;
  selector.errors_only = selector.errors_only || sample.strategy == "errors-only";

  // 1. list, 2. skip classified, 3. sample.
  TRACERY_ASSIGN_OR_RETURN(std::vector<model::Run> listed, source.ListRuns(selector));
  report.runs_listed = static_cast<int64_t>(listed.size());
  std::vector<std::string> ids;
  ids.reserve(listed.size());
  for (const model::Run& r : listed) ids.push_back(r.run_id);
  std::vector<std::string> done;
  if (!ids.empty()) {
    TRACERY_ASSIGN_OR_RETURN(done, source.ClassifiedRuns(rubric.name, rubric.version, ids));
  }
  std::set<std::string> done_set(done.begin(), done.end());
  std::vector<model::Run> pending;
  for (model::Run& r : listed) {
    if (done_set.count(r.run_id)) {
      ++report.runs_skipped_classified;
    } else {
      pending.push_back(std::move(r));
    }
  }
  TRACERY_ASSIGN_OR_RETURN(std::vector<model::Run> sampled, SampleRuns(pending, sample));
  report.runs_sampled = static_cast<int64_t>(sampled.size());

  // 4. budget gates, before any fetch.
  std::string model = options.judge.model;
  Result<CostEstimate> estimate = EstimateCost(rubric, report.runs_sampled, options.judge.batch, model,
                                               options.prices, options.assumptions);
  if (estimate.ok()) {
    report.estimate = *estimate;
  } else if (options.limits.max_cost_usd > 0) {
    return estimate.status().WithContext("--max-cost-usd");
  } else {
    // Unpriced model (e.g. a local server) and no dollar gate: count calls, cost unknown.
    PriceTable unpriced = options.prices;
    for (const std::string& m : JudgeModels(rubric, model)) {
      if (!unpriced.Lookup(m).ok()) unpriced.Set(m, {0, 0});
    }
    TRACERY_ASSIGN_OR_RETURN(report.estimate, EstimateCost(rubric, report.runs_sampled, options.judge.batch,
                                                           model, unpriced, options.assumptions));
    AddError(report, estimate.status().message() + "; calls to unpriced models are left out of the cost estimate");
  }
  report.budget = CheckBudget(report.runs_sampled, report.estimate, options.limits);
  if (!report.budget.ok()) {
    report.aborted = true;
    report.abort_reason = !report.budget.runs_ok ? report.budget.runs_message : report.budget.cost_message;
  }
  if (report.aborted || options.dry_run) {
    report.elapsed_ms = (clock.NowUnixNanos() - started_ns) / 1000000;
    return report;
  }

  // 5. fetch.
  std::vector<RunView> views;
  views.reserve(sampled.size());
  for (const model::Run& r : sampled) {
    Result<RunView> v = source.LoadRun(r.run_id);
    if (!v.ok()) {
      ++report.runs_failed;
      AddError(report, "run " + r.run_id + ": " + v.status().message());
      continue;
    }
    views.push_back(std::move(v).value());
  }
  report.runs_classified = static_cast<int64_t>(views.size());

  // 6. classify: deterministic answers now, judge questions batched per round.
  BatchingOracle oracle(options.transport != nullptr);
  CostLedger ledger(options.prices);
  JudgeOptions jopts = options.judge;
  jopts.rubric_version = rubric.version;
  std::unique_ptr<Judge> judge;
  if (options.transport) judge = std::make_unique<Judge>(jopts, options.transport, &ledger);

  const size_t nm = rubric.modes.size();
  std::vector<ModeEvaluation> evals(views.size() * nm);
  std::vector<size_t> open;  // indices into evals still pending
  for (size_t r = 0; r < views.size(); ++r) {
    for (size_t m = 0; m < nm; ++m) {
      size_t k = r * nm + m;
      evals[k] = EvaluateMode(rubric.modes[m], views[r], &oracle);
      if (evals[k].pending) open.push_back(k);
    }
  }
  std::map<std::string, std::string> texts;  // run id → text projection, computed once
  for (int round = 0; !open.empty() && judge && round < options.max_judge_rounds; ++round) {
    std::vector<BatchingOracle::Question> questions = oracle.TakeQuestions();
    std::vector<JudgeItem> items;
    items.reserve(questions.size());
    for (const auto& q : questions) {
      auto [it, inserted] = texts.try_emplace(q.run->run.run_id);
      if (inserted) it->second = TextProjection(*q.run);
      items.push_back({q.mode, q.node, q.run->run.run_id, it->second});
    }
    std::vector<Result<JudgeVerdict>> answers = judge->Run(items);
    for (size_t i = 0; i < questions.size(); ++i) oracle.Answer(questions[i], std::move(answers[i]));
    std::vector<size_t> still;
    for (size_t k : open) {
      int before = evals[k].judge_calls;
      evals[k] = EvaluateMode(rubric.modes[k % nm], views[k / nm], &oracle);
      evals[k].judge_calls = std::max(evals[k].judge_calls, before);
      if (evals[k].pending) still.push_back(k);
    }
    open.swap(still);
  }
  for (size_t k : open) {
    evals[k].pending = false;
    evals[k].error = "judge answer still pending after " + std::to_string(options.max_judge_rounds) + " rounds";
  }

  std::vector<Classification> items;
  items.reserve(evals.size());
  std::map<std::string, std::vector<Classification>> positives;  // by mode
  std::map<std::string, std::string> fallback;                   // run id → final response
  for (size_t k = 0; k < evals.size(); ++k) {
    const RunView& v = views[k / nm];
    const Mode& mode = rubric.modes[k % nm];
    ModeTally& tally = report.modes[k % nm];
    const ModeEvaluation& e = evals[k];
    Classification c;
    c.run_id = v.run.run_id;
    c.mode_id = mode.id;
    c.rubric_name = rubric.name;
    c.rubric_version = rubric.version;
    c.severity = mode.severity;
    c.positive = e.error.empty() && e.positive;
    c.confidence = e.confidence;
    c.evidence_step_ids = e.evidence_step_ids;
    c.excerpt = e.excerpt.substr(0, 2000);
    if (options.redact) options.redact(&c.excerpt);
    c.detector = e.detector;
    c.triage_run_id = report.triage_run_id;
    c.error = e.error;
    c.agent_version = v.run.agent_version;
    c.run_start_ns = v.run.start_ns;
    c.signature = EvidenceSignature(v, c.evidence_step_ids);
    tally.judge_calls += e.judge_calls;
    if (!c.error.empty()) {
      ++tally.error;
      AddError(report, "run " + c.run_id + ", mode " + mode.id + ": " + c.error);
    } else if (c.positive) {
      ++tally.positive;
      positives[mode.id].push_back(c);
      if (!fallback.count(c.run_id)) fallback[c.run_id] = FinalResponse(v);
    } else {
      ++tally.negative;
    }
    items.push_back(std::move(c));
  }
  report.judge = ledger.totals();

  // 7. annotations (errored modes too: the store does not count such runs as classified, so a
  // re-run retries them).
  for (size_t s = 0; s < items.size(); s += kWriteChunk) {
    std::vector<Classification> chunk(items.begin() + static_cast<std::ptrdiff_t>(s),
                                      items.begin() + static_cast<std::ptrdiff_t>(std::min(items.size(), s + kWriteChunk)));
    TRACERY_RETURN_IF_ERROR(source.WriteClassifications(chunk).WithContext("writing annotations"));
    report.annotations_written += static_cast<int64_t>(chunk.size());
  }
  views.clear();

  // 8. clusters, 9. drafts, 10. tracker.
  DraftContext ctx = options.draft_context;
  ctx.triage_run_id = report.triage_run_id;
  ctx.runs_classified = report.runs_classified;
  for (const Mode& mode : rubric.modes) {
    auto it = positives.find(mode.id);
    if (it == positives.end()) continue;
    std::vector<Cluster> clusters =
        ClusterPositives(mode.id, mode.severity, it->second, fallback, rubric.clustering);
    for (Cluster& c : clusters) {
      report.drafts.push_back(MakeDraft(c, rubric, mode, ctx));
      report.clusters.push_back(std::move(c));
    }
  }
  std::optional<DraftQueue> queue;
  if (!options.queue_dir.empty()) {
    queue.emplace(options.queue_dir);
    for (const IssueDraft& d : report.drafts) {
      Status s = queue->Put(d);
      if (!s.ok()) AddError(report, "queue " + options.queue_dir + ": " + s.message());
    }
  }
  if (options.tracker && !report.drafts.empty()) {
    std::string threshold = options.auto_post_threshold.empty() ? rubric.triage.auto_post_threshold
                                                                : options.auto_post_threshold;
    report.tracker_actions = SyncDrafts(*options.tracker, report.drafts, threshold);
    for (const TrackerAction& a : report.tracker_actions) {
      // Drafts the tracker now tracks leave the queue (archived under posted/, never posted twice).
      bool handled = a.outcome == TrackerOutcome::kCreated || a.outcome == TrackerOutcome::kCommented ||
                     a.outcome == TrackerOutcome::kReopened || a.outcome == TrackerOutcome::kSkipped;
      if (handled && queue) {
        Status s = queue->MarkPosted(a.cluster_id, a.issue_url);
        if (!s.ok() && s.code() != StatusCode::kNotFound) AddError(report, "queue: " + s.message());
      }
      if (a.outcome == TrackerOutcome::kFailed) AddError(report, "tracker, cluster " + a.cluster_id + ": " + a.detail);
    }
  }
  report.elapsed_ms = (clock.NowUnixNanos() - started_ns) / 1000000;
  return report;
}

}  // namespace tracery::triage
