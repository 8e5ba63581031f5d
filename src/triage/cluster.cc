#include "triage/cluster.h"

#include <openssl/sha.h>

#include <algorithm>

#include "core/hex.h"
#include "triage/hdbscan.h"

namespace tracery::triage {
namespace {

bool RepresentativeOrder(const Classification& a, const Classification& b) {
  if (a.confidence != b.confidence) return a.confidence > b.confidence;
  return a.run_id < b.run_id;
}

Cluster MakeCluster(const std::string& mode_id, Severity severity, std::vector<Classification> members) {
  std::sort(members.begin(), members.end(), RepresentativeOrder);
  Cluster c;
  c.mode_id = mode_id;
  c.severity = severity;
  std::vector<std::string> ids;
  double sum = 0;
  c.min_confidence = members.empty() ? 0 : members.front().confidence;
  c.max_confidence = c.min_confidence;
  for (const auto& m : members) {
    ids.push_back(m.run_id);
    sum += m.confidence;
    c.min_confidence = std::min(c.min_confidence, m.confidence);
    c.max_confidence = std::max(c.max_confidence, m.confidence);
  }
  c.mean_confidence = members.empty() ? 0 : sum / static_cast<double>(members.size());
  c.cluster_id = ClusterId(mode_id, std::move(ids));
  c.members = std::move(members);
  return c;
}

}  // namespace

std::string ClusterId(const std::string& mode_id, std::vector<std::string> member_run_ids) {
  std::sort(member_run_ids.begin(), member_run_ids.end());
  std::string key = mode_id;
  for (const auto& id : member_run_ids) key += "|" + id;
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), digest);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(digest), sizeof(digest))).substr(0, 12);
}

ClusterReport ClusterPositivesDetailed(const std::string& mode_id, Severity severity,
                                       const std::vector<Classification>& positives,
                                       const std::map<std::string, std::string>& fallback_text,
                                       const ClusterOptions& options, const ClusterRunOptions& run_options) {
  ClusterReport report;
  report.embedding = "local:char-ngram-tfidf";
  // One entry per run (highest confidence), in run id order so input order never matters.
  std::map<std::string, Classification> by_run;
  for (const auto& p : positives) {
    auto [it, inserted] = by_run.emplace(p.run_id, p);
    if (!inserted && RepresentativeOrder(p, it->second)) it->second = p;
  }
  std::vector<Classification> items;
  for (auto& [id, c] : by_run) items.push_back(std::move(c));
  report.positives = items.size();
  const size_t min_size = static_cast<size_t>(std::max(2, options.min_cluster_size));
  if (items.size() < min_size) {
    report.noise = items.size();
    return report;
  }
  if (run_options.max_members > 0 && items.size() > run_options.max_members) {
    std::sort(items.begin(), items.end(), RepresentativeOrder);
    report.unclustered = items.size() - run_options.max_members;
    items.resize(run_options.max_members);
    std::sort(items.begin(), items.end(),
              [](const Classification& a, const Classification& b) { return a.run_id < b.run_id; });
  }

  if (options.strategy == "mode-only" || options.strategy == "mode_only") {
    report.clusters.push_back(MakeCluster(mode_id, severity, std::move(items)));
    return report;
  }

  std::vector<std::string> texts;
  texts.reserve(items.size());
  for (const auto& c : items) {
    // A deterministic detector's positives share their mechanism by construction; what tells
    // one failure from another is where it showed (agent, step), not the wording of the match
    // (a regex's alternatives share few characters). Judge excerpts are free text: embed those.
    if (!c.signature.empty() && c.detector != "llm_judge") {
      texts.push_back("detector=" + c.detector + " " + c.signature);
    } else if (!c.excerpt.empty()) {
      texts.push_back(c.excerpt);
    } else if (auto it = fallback_text.find(c.run_id); it != fallback_text.end() && !it->second.empty()) {
      texts.push_back(it->second);
    } else {
      texts.push_back("run:" + c.run_id + " mode:" + mode_id);
    }
  }
  std::vector<double> distances;
  if (!run_options.remote.base_url.empty()) {
    auto dense = EmbedRemote(texts, run_options.remote);
    if (dense.ok()) {
      distances = DistanceMatrix(*dense);
      report.embedding = "remote:" + run_options.remote.model;
    } else {
      report.error = "remote embedding failed, used the local one: " + dense.status().message();
    }
  }
  if (distances.empty()) distances = DistanceMatrix(EmbedTfIdf(texts));

  HdbscanOptions h;
  h.min_cluster_size = static_cast<int>(min_size);
  h.min_samples = 1;
  h.cluster_selection_epsilon = std::clamp(1.0 - options.similarity_threshold, 0.0, 1.0);
  h.allow_single_cluster = true;
  HdbscanResult r = Hdbscan(distances, items.size(), h);
  std::vector<std::vector<Classification>> groups(static_cast<size_t>(r.num_clusters));
  for (size_t i = 0; i < items.size(); ++i) {
    if (r.labels[i] < 0) {
      ++report.noise;
    } else {
      groups[static_cast<size_t>(r.labels[i])].push_back(items[i]);
    }
  }
  for (auto& g : groups) {
    if (g.size() < min_size) {
      report.noise += g.size();
      continue;
    }
    report.clusters.push_back(MakeCluster(mode_id, severity, std::move(g)));
  }
  std::sort(report.clusters.begin(), report.clusters.end(), [](const Cluster& a, const Cluster& b) {
    if (a.members.size() != b.members.size()) return a.members.size() > b.members.size();
    return a.cluster_id < b.cluster_id;
  });
  return report;
}

std::vector<Cluster> ClusterPositives(const std::string& mode_id, Severity severity,
                                      const std::vector<Classification>& positives,
                                      const std::map<std::string, std::string>& fallback_text,
                                      const ClusterOptions& options) {
  return ClusterPositivesDetailed(mode_id, severity, positives, fallback_text, options, {}).clusters;
}

}  // namespace tracery::triage
