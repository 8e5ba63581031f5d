// Clustering of one mode's positives with a local embedding (no API key): hashed character
// n-gram TF-IDF vectors, cosine distance, and HDBSCAN over the distance matrix.
#pragma once

#include <map>
#include <string>
#include <vector>

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

}  // namespace tracery::triage
