#include "triage/hdbscan.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <tuple>

namespace tracery::triage {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// Identical points have distance 0 (lambda = 1/0); a finite cap keeps stability sums finite.
constexpr double kMaxLambda = 1e12;

double Lambda(double distance) {
  if (!(distance > 0)) return kMaxLambda;  // also NaN-safe
  if (std::isinf(distance)) return 0;
  return std::min(kMaxLambda, 1.0 / distance);
}

struct Merge {
  int left, right;
  double distance;
  int size;
};

// One row of the condensed tree: `child` is a point (index < n) or a cluster (index into clusters).
struct CondensedEdge {
  int parent;  // cluster index
  int child;
  bool child_is_cluster;
  double lambda;
  int size;
};

}  // namespace

HdbscanResult Hdbscan(const std::vector<double>& distances, size_t n, const HdbscanOptions& options) {
  HdbscanResult result;
  result.labels.assign(n, -1);
  const int mcs = std::max(2, options.min_cluster_size);
  if (n < 2 || distances.size() < n * n || static_cast<size_t>(mcs) > n) return result;
  auto dist = [&](size_t a, size_t b) {
    double d = distances[a * n + b];
    return std::isnan(d) ? kInf : std::max(0.0, d);
  };

  // Core distance: distance to the min_samples-th nearest point, the point itself counted.
  const size_t k = std::clamp<size_t>(static_cast<size_t>(std::max(1, options.min_samples)), 1, n) - 1;
  std::vector<double> core(n);
  std::vector<double> row(n);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < n; ++j) row[j] = i == j ? 0.0 : dist(i, j);
    std::nth_element(row.begin(), row.begin() + static_cast<std::ptrdiff_t>(k), row.end());
    core[i] = row[k];
  }
  auto reach = [&](size_t a, size_t b) { return std::max({core[a], core[b], dist(a, b)}); };

  // Prim's minimum spanning tree over the mutual reachability graph (dense, O(n^2)).
  std::vector<std::tuple<double, int, int>> edges;
  edges.reserve(n - 1);
  {
    std::vector<bool> in_tree(n, false);
    std::vector<double> best(n, kInf);
    std::vector<int> from(n, 0);
    size_t current = 0;
    in_tree[0] = true;
    for (size_t step = 1; step < n; ++step) {
      size_t next = n;
      for (size_t j = 0; j < n; ++j) {
        if (in_tree[j]) continue;
        double r = reach(current, j);
        if (r < best[j]) {
          best[j] = r;
          from[j] = static_cast<int>(current);
        }
        if (next == n || best[j] < best[next]) next = j;
      }
      in_tree[next] = true;
      edges.emplace_back(best[next], from[next], static_cast<int>(next));
      current = next;
    }
  }
  std::stable_sort(edges.begin(), edges.end());

  // Single-linkage hierarchy: nodes 0..n-1 are points, n..2n-2 merges.
  const int num_nodes = static_cast<int>(2 * n - 1);
  std::vector<int> uf(static_cast<size_t>(num_nodes));
  std::iota(uf.begin(), uf.end(), 0);
  auto find = [&](int x) {
    int r = x;
    while (uf[static_cast<size_t>(r)] != r) r = uf[static_cast<size_t>(r)];
    while (uf[static_cast<size_t>(x)] != r) {
      int nx = uf[static_cast<size_t>(x)];
      uf[static_cast<size_t>(x)] = r;
      x = nx;
    }
    return r;
  };
  std::vector<Merge> merges;
  merges.reserve(n - 1);
  std::vector<int> node_size(static_cast<size_t>(num_nodes), 1);
  for (size_t i = 0; i < edges.size(); ++i) {
    auto [w, a, b] = edges[i];
    int ra = find(a), rb = find(b);
    int id = static_cast<int>(n + i);
    node_size[static_cast<size_t>(id)] = node_size[static_cast<size_t>(ra)] + node_size[static_cast<size_t>(rb)];
    merges.push_back({ra, rb, w, node_size[static_cast<size_t>(id)]});
    uf[static_cast<size_t>(ra)] = id;
    uf[static_cast<size_t>(rb)] = id;
  }
  auto is_point = [&](int node) { return node < static_cast<int>(n); };
  auto merge_of = [&](int node) -> const Merge& { return merges[static_cast<size_t>(node) - n]; };
  auto points_under = [&](int node, std::vector<int>* out) {
    std::vector<int> stack{node};
    while (!stack.empty()) {
      int x = stack.back();
      stack.pop_back();
      if (is_point(x)) {
        out->push_back(x);
      } else {
        stack.push_back(merge_of(x).right);
        stack.push_back(merge_of(x).left);
      }
    }
  };

  // Condensed tree. Cluster 0 is the root; children always get larger indices than parents.
  std::vector<CondensedEdge> condensed;
  std::vector<int> cluster_parent{-1};
  std::vector<double> cluster_birth{0.0};
  {
    std::vector<std::pair<int, int>> queue{{num_nodes - 1, 0}};  // (hierarchy node, cluster)
    for (size_t qi = 0; qi < queue.size(); ++qi) {
      auto [node, cluster] = queue[qi];
      if (is_point(node)) continue;
      const Merge& m = merge_of(node);
      double lambda = Lambda(m.distance);
      int ls = node_size[static_cast<size_t>(m.left)], rs = node_size[static_cast<size_t>(m.right)];
      auto fall_out = [&](int child) {
        std::vector<int> pts;
        points_under(child, &pts);
        for (int p : pts) condensed.push_back({cluster, p, false, lambda, 1});
      };
      if (ls >= mcs && rs >= mcs) {
        for (int child : {m.left, m.right}) {
          int c = static_cast<int>(cluster_parent.size());
          cluster_parent.push_back(cluster);
          cluster_birth.push_back(lambda);
          condensed.push_back({cluster, c, true, lambda, node_size[static_cast<size_t>(child)]});
          queue.emplace_back(child, c);
        }
      } else if (ls < mcs && rs < mcs) {
        fall_out(m.left);
        fall_out(m.right);
      } else if (ls < mcs) {
        fall_out(m.left);
        queue.emplace_back(m.right, cluster);
      } else {
        fall_out(m.right);
        queue.emplace_back(m.left, cluster);
      }
    }
  }
  const size_t num_clusters = cluster_parent.size();
  std::vector<std::vector<int>> child_clusters(num_clusters);
  for (size_t c = 1; c < num_clusters; ++c) child_clusters[static_cast<size_t>(cluster_parent[c])].push_back(static_cast<int>(c));

  // Stability: sum over everything leaving a cluster of (lambda - birth) * size.
  std::vector<double> stability(num_clusters, 0.0);
  std::vector<double> point_lambda(n, 0.0);
  std::vector<int> point_cluster(n, 0);
  std::vector<double> max_child_lambda(num_clusters, 0.0);
  for (const CondensedEdge& e : condensed) {
    stability[static_cast<size_t>(e.parent)] += (e.lambda - cluster_birth[static_cast<size_t>(e.parent)]) * e.size;
    max_child_lambda[static_cast<size_t>(e.parent)] = std::max(max_child_lambda[static_cast<size_t>(e.parent)], e.lambda);
    if (!e.child_is_cluster) {
      point_lambda[static_cast<size_t>(e.child)] = e.lambda;
      point_cluster[static_cast<size_t>(e.child)] = e.parent;
    }
  }

  // Excess of mass, leaves first.
  std::vector<bool> selected(num_clusters, true);
  if (!options.allow_single_cluster) selected[0] = false;
  auto deselect_descendants = [&](size_t c) {
    std::vector<int> stack(child_clusters[c].begin(), child_clusters[c].end());
    while (!stack.empty()) {
      int d = stack.back();
      stack.pop_back();
      selected[static_cast<size_t>(d)] = false;
      for (int x : child_clusters[static_cast<size_t>(d)]) stack.push_back(x);
    }
  };
  std::vector<double> subtree(stability);
  for (size_t c = num_clusters; c-- > 0;) {
    if (c == 0 && !options.allow_single_cluster) break;
    double children = 0;
    for (int ch : child_clusters[c]) children += subtree[static_cast<size_t>(ch)];
    if (!child_clusters[c].empty() && children > stability[c]) {
      selected[c] = false;
      subtree[c] = children;
    } else {
      selected[c] = true;
      deselect_descendants(c);
    }
  }

  // cluster_selection_epsilon: a selected cluster born below epsilon is replaced by its nearest
  // ancestor born above epsilon (the root only when single clusters are allowed).
  if (options.cluster_selection_epsilon > 0) {
    const double eps = options.cluster_selection_epsilon;
    auto birth_eps = [&](size_t c) {
      double l = cluster_birth[c];
      return l > 0 ? 1.0 / l : kInf;
    };
    std::vector<bool> eps_selected(num_clusters, false);
    std::vector<bool> processed(num_clusters, false);
    for (size_t c = 0; c < num_clusters; ++c) {
      if (!selected[c]) continue;
      if (c != 0 && birth_eps(c) < eps) {
        if (processed[c]) continue;
        size_t up = c;
        while (true) {
          size_t parent = static_cast<size_t>(cluster_parent[up]);
          if (parent == 0) {
            up = options.allow_single_cluster ? 0 : up;
            break;
          }
          if (birth_eps(parent) > eps) {
            up = parent;
            break;
          }
          up = parent;
        }
        eps_selected[up] = true;
        std::vector<int> stack(child_clusters[up].begin(), child_clusters[up].end());
        while (!stack.empty()) {
          int d = stack.back();
          stack.pop_back();
          processed[static_cast<size_t>(d)] = true;
          for (int x : child_clusters[static_cast<size_t>(d)]) stack.push_back(x);
        }
      } else {
        eps_selected[c] = true;
      }
    }
    // A cluster selected both directly and as an ancestor: keep the ancestor only.
    for (size_t c = 0; c < num_clusters; ++c) {
      if (!eps_selected[c]) continue;
      for (int p = cluster_parent[c]; p >= 0; p = cluster_parent[static_cast<size_t>(p)]) {
        if (eps_selected[static_cast<size_t>(p)]) {
          eps_selected[c] = false;
          break;
        }
      }
    }
    selected = eps_selected;
  }

  // Labels: a point belongs to the selected cluster it (or its cluster) descends from.
  int num_selected = 0;
  for (size_t c = 0; c < num_clusters; ++c) num_selected += selected[c] ? 1 : 0;
  std::map<int, int> label_of;
  for (size_t p = 0; p < n; ++p) {
    int c = point_cluster[p];
    while (c > 0 && !selected[static_cast<size_t>(c)]) c = cluster_parent[static_cast<size_t>(c)];
    if (c < 0 || !selected[static_cast<size_t>(c)]) continue;
    if (c == 0) {
      if (num_selected != 1 || !options.allow_single_cluster) continue;
      // The root as the single cluster keeps only points that were dense enough.
      double threshold = options.cluster_selection_epsilon > 0 ? 1.0 / options.cluster_selection_epsilon
                                                               : max_child_lambda[0];
      if (point_lambda[p] < threshold) continue;
    }
    auto [it, inserted] = label_of.emplace(c, static_cast<int>(label_of.size()));
    (void)inserted;
    result.labels[p] = it->second;
  }
  result.num_clusters = static_cast<int>(label_of.size());
  return result;
}

}  // namespace tracery::triage
