#include "triage/hdbscan.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <set>

#include "testing/testing.h"

namespace tracery::triage {
namespace {

struct Point {
  double x, y;
};

// Deterministic pseudo-random points (no std::random_device: results must be reproducible).
class Lcg {
 public:
  explicit Lcg(uint64_t seed) : state_(seed) {}
  double Uniform() {  // [0, 1)
    state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(state_ >> 11) / static_cast<double>(1ULL << 53);
  }

 private:
  uint64_t state_;
};

void AddBlob(std::vector<Point>* pts, double cx, double cy, double radius, int count, Lcg* rng) {
  for (int i = 0; i < count; ++i) pts->push_back({cx + (rng->Uniform() - 0.5) * radius, cy + (rng->Uniform() - 0.5) * radius});
}

std::vector<double> Euclidean(const std::vector<Point>& pts) {
  size_t n = pts.size();
  std::vector<double> d(n * n);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j) d[i * n + j] = std::hypot(pts[i].x - pts[j].x, pts[i].y - pts[j].y);
  return d;
}

std::set<int> LabelsOf(const HdbscanResult& r, size_t from, size_t to) {
  std::set<int> s;
  for (size_t i = from; i < to; ++i) s.insert(r.labels[i]);
  return s;
}

TEST(HdbscanTest, TwoSeparatedBlobsAndNoise) {
  Lcg rng(7);
  std::vector<Point> pts;
  AddBlob(&pts, 0, 0, 1.0, 20, &rng);
  AddBlob(&pts, 50, 50, 1.0, 20, &rng);
  // Far from both blobs and from each other. (A point closer to a blob than the blobs are to each
  // other would fall out of that blob's cluster after its birth, and so belong to it.)
  pts.push_back({500, -300});
  pts.push_back({-400, 600});
  pts.push_back({900, 900});
  HdbscanOptions o;
  o.min_cluster_size = 5;
  HdbscanResult r = Hdbscan(Euclidean(pts), pts.size(), o);
  ASSERT_EQ(r.labels.size(), pts.size());
  EXPECT_EQ(r.num_clusters, 2);
  std::set<int> a = LabelsOf(r, 0, 20), b = LabelsOf(r, 20, 40);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_NE(*a.begin(), -1);
  EXPECT_NE(*b.begin(), -1);
  EXPECT_NE(*a.begin(), *b.begin());
  EXPECT_EQ(r.labels[40], -1);
  EXPECT_EQ(r.labels[41], -1);
  EXPECT_EQ(r.labels[42], -1);
  // Labels are numbered by first point.
  EXPECT_EQ(r.labels[0], 0);
  EXPECT_EQ(r.labels[20], 1);
}

TEST(HdbscanTest, ThreeBlobsOfDifferentDensity) {
  Lcg rng(11);
  std::vector<Point> pts;
  AddBlob(&pts, 0, 0, 0.5, 15, &rng);
  AddBlob(&pts, 30, 0, 4.0, 15, &rng);
  AddBlob(&pts, 0, 30, 2.0, 15, &rng);
  HdbscanOptions o;
  o.min_cluster_size = 5;
  HdbscanResult r = Hdbscan(Euclidean(pts), pts.size(), o);
  EXPECT_EQ(r.num_clusters, 3);
  for (size_t blob = 0; blob < 3; ++blob) {
    std::set<int> l = LabelsOf(r, blob * 15, blob * 15 + 15);
    EXPECT_EQ(l.size(), 1u) << "blob " << blob;
    EXPECT_EQ(l.count(-1), 0u) << "blob " << blob;
  }
}

TEST(HdbscanTest, SingleBlobNeedsAllowSingleCluster) {
  Lcg rng(3);
  std::vector<Point> pts;
  AddBlob(&pts, 0, 0, 1.0, 12, &rng);
  HdbscanOptions o;
  o.min_cluster_size = 3;
  o.allow_single_cluster = true;
  o.cluster_selection_epsilon = 5.0;  // nothing inside the blob is split at this scale
  HdbscanResult single = Hdbscan(Euclidean(pts), pts.size(), o);
  EXPECT_EQ(single.num_clusters, 1);
  EXPECT_EQ(LabelsOf(single, 0, pts.size()), std::set<int>{0});

  o.allow_single_cluster = false;
  HdbscanResult no_root = Hdbscan(Euclidean(pts), pts.size(), o);
  // Without the root there is never one cluster holding every point.
  EXPECT_FALSE(no_root.num_clusters == 1 && LabelsOf(no_root, 0, pts.size()) == std::set<int>{0});
}

TEST(HdbscanTest, EpsilonKeepsNearbyBlobsTogether) {
  Lcg rng(5);
  std::vector<Point> pts;
  AddBlob(&pts, 0, 0, 0.2, 10, &rng);
  AddBlob(&pts, 3, 0, 0.2, 10, &rng);
  HdbscanOptions o;
  o.min_cluster_size = 4;
  o.allow_single_cluster = true;
  HdbscanResult split = Hdbscan(Euclidean(pts), pts.size(), o);
  EXPECT_EQ(split.num_clusters, 2);
  o.cluster_selection_epsilon = 5.0;  // the blobs are 3 apart: closer than epsilon, not split
  HdbscanResult merged = Hdbscan(Euclidean(pts), pts.size(), o);
  EXPECT_EQ(merged.num_clusters, 1);
  EXPECT_EQ(LabelsOf(merged, 0, pts.size()), std::set<int>{0});
}

TEST(HdbscanTest, IdenticalPointsFormOneCluster) {
  size_t n = 6;
  std::vector<double> d(n * n, 0.0);
  HdbscanOptions o;
  o.min_cluster_size = 3;
  o.allow_single_cluster = true;
  o.cluster_selection_epsilon = 0.1;
  HdbscanResult r = Hdbscan(d, n, o);
  EXPECT_EQ(r.num_clusters, 1);
  for (int l : r.labels) EXPECT_EQ(l, 0);
}

TEST(HdbscanTest, TooFewPointsAreNoise) {
  std::vector<double> d = {0, 1, 1, 0};
  HdbscanOptions o;
  o.min_cluster_size = 3;
  HdbscanResult r = Hdbscan(d, 2, o);
  EXPECT_EQ(r.num_clusters, 0);
  EXPECT_EQ(r.labels, (std::vector<int>{-1, -1}));
  EXPECT_EQ(Hdbscan({}, 0, o).labels.size(), 0u);
}

TEST(HdbscanTest, HostileMatricesDoNotCrash) {
  HdbscanOptions o;
  o.min_cluster_size = 2;
  o.allow_single_cluster = true;
  // Too short for n.
  EXPECT_EQ(Hdbscan(std::vector<double>(3, 0.0), 4, o).num_clusters, 0);
  // NaN, infinity and negative entries.
  double nan = std::numeric_limits<double>::quiet_NaN();
  double inf = std::numeric_limits<double>::infinity();
  std::vector<double> d = {0, nan, inf, -1, nan, 0, 1, 1, inf, 1, 0, 1, -1, 1, 1, 0};
  HdbscanResult r = Hdbscan(d, 4, o);
  EXPECT_EQ(r.labels.size(), 4u);
  for (int l : r.labels) EXPECT_GE(l, -1);
  // min_samples larger than n and min_cluster_size below 2 are clamped.
  o.min_samples = 100;
  o.min_cluster_size = 0;
  EXPECT_EQ(Hdbscan(d, 4, o).labels.size(), 4u);
}

TEST(HdbscanTest, PermutationGivesTheSamePartition) {
  Lcg rng(9);
  std::vector<Point> pts;
  AddBlob(&pts, 0, 0, 1, 10, &rng);
  AddBlob(&pts, 20, 0, 1, 10, &rng);
  AddBlob(&pts, 0, 20, 1, 10, &rng);
  HdbscanOptions o;
  o.min_cluster_size = 4;
  HdbscanResult a = Hdbscan(Euclidean(pts), pts.size(), o);
  std::vector<Point> rev(pts.rbegin(), pts.rend());
  HdbscanResult b = Hdbscan(Euclidean(rev), rev.size(), o);
  ASSERT_EQ(a.num_clusters, b.num_clusters);
  size_t n = pts.size();
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j)
      EXPECT_EQ(a.labels[i] == a.labels[j], b.labels[n - 1 - i] == b.labels[n - 1 - j]) << i << "," << j;
}

TEST(HdbscanTest, MinSamplesWidensCoreDistance) {
  // A chain of points 1 apart and a tight group: with min_samples 1 the chain is one cluster;
  // with a large min_samples every chain point's core distance grows and the group stands out.
  std::vector<Point> pts;
  for (int i = 0; i < 8; ++i) pts.push_back({static_cast<double>(i) * 1.0, 0});
  for (int i = 0; i < 8; ++i) pts.push_back({100 + 0.01 * i, 0});
  HdbscanOptions o;
  o.min_cluster_size = 4;
  HdbscanResult r1 = Hdbscan(Euclidean(pts), pts.size(), o);
  EXPECT_EQ(r1.num_clusters, 2);
  EXPECT_EQ(LabelsOf(r1, 0, 8).size(), 1u);
  EXPECT_EQ(LabelsOf(r1, 8, 16).size(), 1u);
}

}  // namespace
}  // namespace tracery::triage
