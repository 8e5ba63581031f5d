// One triage run: list → skip already classified (same rubric version) → sample → budget gates
// (--max-runs, --max-cost-usd on a pre-flight estimate; abort loudly, never truncate) → classify
// (deterministic first; judge questions batched through the two-pass JudgeOracle design) → write
// annotations → cluster per mode → drafts to the queue → tracker sync → report.
#pragma once

#include <functional>
#include <string>

#include "core/clock.h"
#include "core/status.h"
#include "triage/budget.h"
#include "triage/draft.h"
#include "triage/judge.h"
#include "triage/report.h"
#include "triage/rubric.h"
#include "triage/sampling.h"
#include "triage/tracker.h"
#include "triage/types.h"

namespace tracery::triage {

struct PipelineOptions {
  RunSelector selector;  // window and filters (errors_only is set from the sample strategy)
  SampleOptions sample;  // seed is set to the triage run id
  BudgetLimits limits;
  bool dry_run = false;
  // Judge: null transport = judge-involving modes error on runs that need them ("no judge
  // configured"); deterministic modes still run.
  JudgeTransport* transport = nullptr;
  JudgeOptions judge;  // model, batch, concurrency, cache_dir, redact
  PriceTable prices = PriceTable::Default();
  TokenAssumptions assumptions;
  // Drafts: written to queue_dir when non-empty.
  std::string queue_dir;
  DraftContext draft_context;
  Tracker* tracker = nullptr;
  std::string auto_post_threshold;  // "" = the rubric's triage.auto_post_threshold
  // Redacts excerpts before they are stored (the CLI passes the privacy policy's Redact).
  std::function<void(std::string*)> redact;
  const Clock* clock = nullptr;  // elapsed time; nullptr = real clock
  int max_judge_rounds = 8;      // composites may need several judge nodes in sequence
};

// First 16 hex of XXH3-128("<name>@<version>|<from_ns>|<to_ns>"): re-running a window upserts.
std::string TriageRunId(const std::string& rubric_name, const std::string& rubric_version,
                        int64_t from_ns, int64_t to_ns);

// Errors: the source failed to list/classify/write, invalid options, unknown judge model with a
// --max-cost-usd gate. A budget refusal is not an error: report.aborted is set.
Result<TriageReport> RunTriage(const Rubric& rubric, RunSource& source, const PipelineOptions& options);

}  // namespace tracery::triage
