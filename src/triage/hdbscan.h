// HDBSCAN over a precomputed distance matrix (Campello, Moulavi, Sander 2013; the
// scikit-learn / hdbscan-library semantics): core distances with min_samples, mutual
// reachability, minimum spanning tree, single-linkage hierarchy, condensed tree, excess-of-mass
// selection, cluster_selection_epsilon and allow_single_cluster. O(n^2) time and memory.
#pragma once

#include <cstddef>
#include <vector>

namespace tracery::triage {

struct HdbscanOptions {
  int min_cluster_size = 5;   // >= 2
  int min_samples = 1;        // neighbourhood size for the core distance, the point itself included
  double cluster_selection_epsilon = 0.0;  // clusters closer than this are not split
  bool allow_single_cluster = false;       // the root may be selected
};

struct HdbscanResult {
  std::vector<int> labels;  // per point: 0..k-1, or -1 for noise; labels ordered by first point
  int num_clusters = 0;
};

// `distances` is n*n row-major, symmetric, zero diagonal, non-negative (NaN counts as +inf).
// Deterministic for a given input.
HdbscanResult Hdbscan(const std::vector<double>& distances, size_t n, const HdbscanOptions& options);

}  // namespace tracery::triage
