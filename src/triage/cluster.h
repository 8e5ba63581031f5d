// Clustering of one mode's positives with a local embedding (no API key): hashed character
// n-gram TF-IDF vectors, cosine distance, and HDBSCAN over the distance matrix.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "triage/embed.h"
#include "triage/types.h"

namespace tracery::triage {

// Clusters `positives` (all of one mode). The text of a member is its excerpt, else `fallback_text`
// given per run id (e.g. the final response), else "run:<id> mode:<id>". Groups smaller than
// options.min_cluster_size and noise are dropped. Deterministic: same input, same clusters and ids.
std::vector<Cluster> ClusterPositives(const std::string& mode_id, Severity severity,
                                      const std::vector<Classification>& positives,
                                      const std::map<std::string, std::string>& fallback_text,
                                      const ClusterOptions& options);

// cluster_id = first 12 hex of SHA-256 or XXH3 of mode_id + "|" + sorted member run ids joined by "|".
std::string ClusterId(const std::string& mode_id, std::vector<std::string> member_run_ids);

// Options beyond the rubric's ClusterOptions (set by the pipeline / CLI).
struct ClusterRunOptions {
  RemoteEmbeddingOptions remote;  // remote.base_url empty: local TF-IDF embedding
  // HDBSCAN is O(n^2): above this many positives of one mode, only the `max_members` with the
  // highest confidence (ties by run id) are clustered and the rest are reported as unclustered.
  size_t max_members = 4000;
};

struct ClusterReport {
  std::vector<Cluster> clusters;  // largest first, then by cluster id
  size_t positives = 0;           // distinct runs given
  size_t noise = 0;               // clustered but in no group of at least min_cluster_size
  size_t unclustered = 0;         // beyond max_members
  std::string embedding;          // "local:char-ngram-tfidf" or "remote:<model>"
  std::string error;              // the remote embedding failed (the local one was used instead)
};

// ClusterPositives with the extras and the bookkeeping the report needs. Positives with the same
// run id count once (highest confidence kept).
ClusterReport ClusterPositivesDetailed(const std::string& mode_id, Severity severity,
                                       const std::vector<Classification>& positives,
                                       const std::map<std::string, std::string>& fallback_text,
                                       const ClusterOptions& options, const ClusterRunOptions& run_options);

}  // namespace tracery::triage
