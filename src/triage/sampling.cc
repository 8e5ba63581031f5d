#include "triage/sampling.h"

#include <algorithm>
#include <map>
#include <numeric>

#include "core/hash.h"

namespace tracery::triage {
namespace {

uint64_t SampleKey(const std::string& seed, const std::string& run_id) {
  return Hash64(seed + "|" + run_id);
}

// Indices (into `runs`) of the `n` members of `candidates` with the smallest keys.
std::vector<size_t> PickSmallest(const std::vector<model::Run>& runs, std::vector<size_t> candidates,
                                 size_t n, const std::string& seed) {
  if (candidates.size() <= n) return candidates;
  std::vector<std::pair<uint64_t, size_t>> keyed;
  keyed.reserve(candidates.size());
  for (size_t i : candidates) keyed.emplace_back(SampleKey(seed, runs[i].run_id), i);
  std::nth_element(keyed.begin(), keyed.begin() + static_cast<std::ptrdiff_t>(n), keyed.end());
  std::vector<size_t> out;
  out.reserve(n);
  for (size_t k = 0; k < n; ++k) out.push_back(keyed[k].second);
  return out;
}

bool IsError(const model::Run& run) {
  return run.status == model::RunStatus::kFailed || run.status == model::RunStatus::kPartial;
}

}  // namespace

Status ValidateSampleOptions(const SampleOptions& options) {
  if (options.strategy != "uniform" && options.strategy != "errors-only" &&
      options.strategy != "stratified") {
    return InvalidArgumentError("--sample: unknown strategy '" + options.strategy +
                                "' (uniform, errors-only, stratified)");
  }
  if (options.strategy == "stratified") {
    const std::string& by = options.stratify_by;
    bool tag = by.rfind("tag:", 0) == 0 && by.size() > 4;
    if (by != "status" && by != "latency_bucket" && !tag) {
      return InvalidArgumentError("--stratify-by: unknown key '" + by +
                                  "' (status, latency_bucket, tag:<key>)");
    }
  }
  return OkStatus();
}

std::string StratumOf(const model::Run& run, const std::string& stratify_by) {
  if (stratify_by == "status") return std::string(model::ToString(run.status));
  if (stratify_by == "latency_bucket") {
    if (run.end_ns <= 0 || run.end_ns < run.start_ns) return "running";
    int64_t ms = (run.end_ns - run.start_ns) / 1000000;
    if (ms < 1000) return "<1s";
    if (ms < 10000) return "1-10s";
    if (ms < 60000) return "10-60s";
    return ">=60s";
  }
  if (stratify_by.rfind("tag:", 0) == 0) {
    std::string key = stratify_by.substr(4);
    for (const std::string& tag : run.tags) {
      if (tag == key) return "present";
      if (tag.size() > key.size() && tag.compare(0, key.size(), key) == 0 &&
          (tag[key.size()] == ':' || tag[key.size()] == '=')) {
        return tag.substr(key.size() + 1);
      }
    }
    return "(none)";
  }
  return "";
}

Result<std::vector<model::Run>> SampleRuns(const std::vector<model::Run>& runs,
                                           const SampleOptions& options) {
  TRACERY_RETURN_IF_ERROR(ValidateSampleOptions(options));
  std::vector<size_t> candidates;
  candidates.reserve(runs.size());
  for (size_t i = 0; i < runs.size(); ++i) {
    if (options.strategy == "errors-only" && !IsError(runs[i])) continue;
    candidates.push_back(i);
  }
  std::vector<size_t> chosen;
  size_t n = options.size <= 0 ? candidates.size() : static_cast<size_t>(options.size);
  if (options.strategy != "stratified" || candidates.size() <= n) {
    chosen = PickSmallest(runs, std::move(candidates), n, options.seed);
  } else {
    std::map<std::string, std::vector<size_t>> strata;  // ordered: deterministic allocation
    for (size_t i : candidates) strata[StratumOf(runs[i], options.stratify_by)].push_back(i);
    // Water-filling: strata smaller than the equal share are taken whole, the remainder is
    // re-split among the larger ones.
    std::map<std::string, size_t> quota;
    size_t remaining = n;
    std::vector<std::string> open;
    for (auto& [name, members] : strata) open.push_back(name);
    while (!open.empty() && remaining > 0) {
      size_t share = remaining / open.size();
      std::vector<std::string> still_open;
      bool any_small = false;
      for (const std::string& name : open) {
        if (strata[name].size() <= share) {
          quota[name] = strata[name].size();
          remaining -= strata[name].size();
          any_small = true;
        } else {
          still_open.push_back(name);
        }
      }
      if (!any_small) {
        // Everyone takes the share; the leftover goes one each in stratum order.
        size_t extra = remaining - share * still_open.size();
        for (const std::string& name : still_open) {
          quota[name] = share + (extra > 0 ? 1 : 0);
          if (extra > 0) --extra;
        }
        remaining = 0;
        still_open.clear();
      }
      open = std::move(still_open);
    }
    for (auto& [name, members] : strata) {
      auto it = quota.find(name);
      if (it == quota.end() || it->second == 0) continue;
      std::vector<size_t> picked = PickSmallest(runs, members, it->second, options.seed);
      chosen.insert(chosen.end(), picked.begin(), picked.end());
    }
  }
  std::sort(chosen.begin(), chosen.end());  // keep input order
  std::vector<model::Run> out;
  out.reserve(chosen.size());
  for (size_t i : chosen) out.push_back(runs[i]);
  return out;
}

}  // namespace tracery::triage
