// The result of one triage run and its renderings: report.md, report.json and a stdout summary.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "triage/budget.h"
#include "triage/types.h"

namespace tracery::triage {

struct ModeTally {
  std::string mode_id;
  Severity severity = Severity::kMedium;
  bool judge = false;  // the mode involves an llm_judge node
  int64_t positive = 0;
  int64_t negative = 0;
  int64_t error = 0;
  int64_t judge_calls = 0;  // judge questions this mode asked (before batching and cache)
};

struct TriageReport {
  std::string triage_run_id;
  std::string rubric_name;
  std::string rubric_version;
  int64_t from_ns = 0;
  int64_t to_ns = 0;
  bool dry_run = false;
  bool aborted = false;      // a budget gate refused the run (nothing was classified)
  std::string abort_reason;
  int64_t runs_listed = 0;
  int64_t runs_skipped_classified = 0;  // already classified with this rubric version
  int64_t runs_sampled = 0;             // after sampling: what the gates see
  int64_t runs_classified = 0;
  int64_t runs_failed = 0;              // fetch errors
  CostEstimate estimate;
  BudgetDecision budget;
  std::vector<ModeTally> modes;
  int64_t annotations_written = 0;
  std::vector<Cluster> clusters;
  std::vector<IssueDraft> drafts;
  std::vector<TrackerAction> tracker_actions;
  CostLedger::Totals judge;  // actual calls, tokens, cost
  std::vector<std::string> errors;  // per run / per mode errors (capped)
  int64_t elapsed_ms = 0;
};

std::string ReportJson(const TriageReport& report);  // pretty JSON, stable key order
std::string ReportMarkdown(const TriageReport& report);
std::string ReportSummary(const TriageReport& report);  // a few lines for stdout
// Writes <dir>/report.md and <dir>/report.json (dir created).
Status WriteReport(const TriageReport& report, const std::string& dir);

}  // namespace tracery::triage
