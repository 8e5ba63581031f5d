// Shared vocabulary of the triage subsystem: what the rubric loader, the detectors, the pipeline,
// the clusterer, the drafter and the tracker clients pass to each other. Plain data only.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "model/model.h"

namespace tracery::triage {

enum class Severity { kLow = 1, kMedium = 2, kHigh = 3, kCritical = 4 };
std::string_view ToString(Severity s);               // "low" … "critical"
std::optional<Severity> ParseSeverity(std::string_view s);

// One run as the detectors see it: the summary, every step in execution order (with content
// loaded), agents, messages and failures. Built by a RunSource.
struct RunView {
  model::Run run;
  std::vector<model::Step> steps;  // execution order (seq), content loaded
  std::vector<model::Agent> agents;
  std::vector<model::Message> messages;
  std::vector<model::Failure> failures;
};

// The verdict of one mode on one run.
struct Classification {
  std::string run_id;
  std::string mode_id;
  std::string rubric_name;
  std::string rubric_version;       // semver of the rubric (metadata.version)
  Severity severity = Severity::kMedium;
  bool positive = false;
  double confidence = 1.0;          // 0..1; deterministic detectors give 1.0
  std::vector<std::string> evidence_step_ids;
  std::string excerpt;              // short evidence text (regex match, judge excerpt…), redacted
  std::string detector;             // "regex", "tool_call", "metric_threshold", "step", "composite", "llm_judge"
  std::string triage_run_id;
  std::string error;                // non-empty: the mode errored on this run (neither positive nor negative)
  std::string agent_version;        // copied from the run, for drafts ("affected versions")
  // Where the failure showed: agent, step type and step name of the first evidence step. For
  // deterministic detectors the clusterer embeds this instead of the excerpt, so variants of one
  // failure at the same place (different wording, same step) land in one cluster.
  std::string signature;
  int64_t run_start_ns = 0;
};

// Where the pipeline reads runs and writes results: a data dir (the Store) or a running server
// (the JSON API). Implemented outside triage (cli), so triage depends only on core and model.
struct RunSelector {
  int64_t from_ns = 0;  // run start >= from_ns
  int64_t to_ns = 0;    // run start < to_ns (0 = no bound)
  bool errors_only = false;  // pushed down: status failed or partial
  std::vector<std::string> agent_ids;
  std::vector<std::string> environments;
  std::vector<std::string> tags;
};

class RunSource {
 public:
  virtual ~RunSource() = default;
  // Every matching run summary (all pages), oldest first.
  virtual Result<std::vector<model::Run>> ListRuns(const RunSelector& selector) = 0;
  virtual Result<RunView> LoadRun(const std::string& run_id) = 0;
  // Runs among `run_ids` already classified with this rubric name and version.
  virtual Result<std::vector<std::string>> ClassifiedRuns(const std::string& rubric_name,
                                                          const std::string& rubric_version,
                                                          const std::vector<std::string>& run_ids) = 0;
  // Stores classifications as run annotations (idempotent on run_id|rubric|version|mode).
  virtual Status WriteClassifications(const std::vector<Classification>& items) = 0;
  // A small persistent key/value for the daemon's window checkpoint. nullopt when unset.
  virtual Result<std::optional<std::string>> GetState(const std::string& key) = 0;
  virtual Status SetState(const std::string& key, const std::string& value) = 0;
};

// Clustering of one mode's positives.
struct ClusterOptions {
  std::string strategy = "per_mode_embedding";  // or "mode-only"
  double similarity_threshold = 0.82;            // 0..1
  int min_cluster_size = 3;                      // >= 2
};

struct Cluster {
  std::string cluster_id;  // stable: hash of mode id + sorted member run ids (12 hex)
  std::string mode_id;
  Severity severity = Severity::kMedium;
  std::vector<Classification> members;  // representative first (highest confidence)
  double min_confidence = 0, max_confidence = 0, mean_confidence = 0;
};

// One issue draft per cluster.
struct IssueDraft {
  std::string cluster_id;
  std::string mode_id;
  std::string rubric_name;
  std::string rubric_version;
  std::string triage_run_id;
  Severity severity = Severity::kMedium;
  std::string priority;  // e.g. "P2" from the rubric's severity map
  std::string representative_run_id;
  std::vector<std::string> member_run_ids;
  std::vector<std::string> labels;  // "tracery", "mode:<id>", "rubric:<name>@<version>"
  std::string title;
  std::string body;  // Markdown, ends with the provenance comment
};

// What the tracker step did with one draft.
enum class TrackerOutcome { kSkipped, kCommented, kCreated, kReopened, kNeedsCreate, kFailed };
std::string_view ToString(TrackerOutcome o);

struct TrackerAction {
  std::string cluster_id;
  TrackerOutcome outcome = TrackerOutcome::kNeedsCreate;
  std::string issue_url;  // when commented/created/reopened
  std::string detail;     // error text or reason
};

}  // namespace tracery::triage
