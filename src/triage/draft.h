// Issue drafts (one per cluster) with machine-readable provenance, and the local draft queue.
#pragma once

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

// Drafts on disk: <dir>/<cluster_id>.json and <cluster_id>.md.
class DraftQueue {
 public:
  explicit DraftQueue(std::string dir) : dir_(std::move(dir)) {}
  Status Put(const IssueDraft& draft);
  Result<std::vector<IssueDraft>> List() const;
  Result<IssueDraft> Get(const std::string& cluster_id) const;  // kNotFound
  Status Remove(const std::string& cluster_id);
  Status Clear();
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

}  // namespace tracery::triage
