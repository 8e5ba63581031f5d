// Issue drafts (one per cluster) with machine-readable provenance, and the local draft queue.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "triage/rubric.h"
#include "triage/types.h"

namespace tracery::triage {

struct DraftContext {
  std::string ui_base_url = "http://127.0.0.1:4318";  // links to runs: <base>/#/runs/<run_id>
  std::string triage_run_id;
  int64_t runs_classified = 0;  // runs this mode was evaluated on in the triage run; 0 = unknown
};

IssueDraft MakeDraft(const Cluster& cluster, const Rubric& rubric, const Mode& mode,
                     const DraftContext& context);

struct Provenance {
  std::string rubric_name, rubric_version, mode_id, cluster_id, representative_run_id, triage_run_id;
  std::vector<std::string> member_run_ids;  // capped at 100
  bool member_run_ids_truncated = false;
};
// `<!-- tracery:provenance {json} -->`; also reads docket's `<!-- docket:provenance ... -->`
// (trace ids as run ids). The last such comment in the body wins. nullopt when none parses.
std::string ProvenanceComment(const Provenance& p);
std::optional<Provenance> ParseProvenance(const std::string& body);

// Tracker label normalisation: spaces become '-'; longer than 50 characters becomes the first 41
// + '-' + the first 8 hex of the label's SHA-256 (docket's rule, so both find the same issues).
std::string NormalizeLabel(const std::string& label);
// "tracery", "mode:<id>", "rubric:<name>@<version>", normalised.
std::vector<std::string> DraftLabels(const std::string& rubric_name, const std::string& rubric_version,
                                     const std::string& mode_id);
// Default when the rubric's severity map has no entry: critical P1, high P2, medium P3, low P4.
std::string PriorityFor(Severity severity, const TriageSettings& settings);

// The draft as JSON (the queue's .json file) and back. Errors name the missing/mistyped key.
std::string DraftToJson(const IssueDraft& draft);
Result<IssueDraft> DraftFromJson(const std::string& json);

// The queue's .md file: "# <title>", a header block (severity, mode, rubric, cluster,
// representative, members, labels), a line "---", then the body.
std::string DraftMarkdown(const IssueDraft& draft);
// Takes title and body from an edited .md (as written by DraftMarkdown). The provenance comment
// is re-appended when the edit removed it. kInvalidArgument when the title line or separator is gone.
Result<IssueDraft> ApplyEditedMarkdown(IssueDraft draft, const std::string& markdown);

// Drafts on disk: <dir>/<cluster_id>.json and <cluster_id>.md. Writes are atomic (temp + rename).
// Cluster ids are [A-Za-z0-9_-]{1,64}; anything else is kInvalidArgument (no path traversal).
class DraftQueue {
 public:
  explicit DraftQueue(std::string dir) : dir_(std::move(dir)) {}
  Status Put(const IssueDraft& draft);
  Result<std::vector<IssueDraft>> List() const;  // ordered by severity (highest first), then id
  Result<IssueDraft> Get(const std::string& cluster_id) const;  // kNotFound
  Status Remove(const std::string& cluster_id);
  Status Clear();  // removes every queued draft (not the posted/ archive)
  // Moves the draft to <dir>/posted/ (so it is never posted twice), recording the issue URL.
  Status MarkPosted(const std::string& cluster_id, const std::string& issue_url);
  std::string MarkdownPath(const std::string& cluster_id) const;
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

}  // namespace tracery::triage
