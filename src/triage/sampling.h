// Run sampling for a triage run. Sampling caps the count (it is not a quota): when the sample
// size is at least the number of runs listed, everything is kept. Selection is seeded (by the
// triage run id) and independent of list order; the output keeps the input order.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "model/model.h"

namespace tracery::triage {

struct SampleOptions {
  std::string strategy = "uniform";  // uniform | errors-only | stratified
  int64_t size = 0;                  // <= 0: no sampling (keep all)
  std::string stratify_by = "status";  // status | latency_bucket | tag:<key>
  std::string seed;                    // the triage run id
};

// kInvalidArgument naming the parameter for an unknown strategy or stratify key.
Status ValidateSampleOptions(const SampleOptions& options);

// The stratum of a run: status name; latency bucket ("<1s", "1-10s", "10-60s", ">=60s",
// "running"); or for tag:<key> the value of the first tag "<key>:<v>" / "<key>=<v>" (a bare tag
// equal to <key> gives "present"), "(none)" when absent.
std::string StratumOf(const model::Run& run, const std::string& stratify_by);

// uniform: the `size` runs with the smallest seeded hash. errors-only: only failed/partial runs
// (normally already pushed down to the listing), then uniform. stratified: equal allocation across
// strata (a stratum smaller than its share gives the rest to the others), so rare strata are seen.
Result<std::vector<model::Run>> SampleRuns(const std::vector<model::Run>& runs,
                                           const SampleOptions& options);

}  // namespace tracery::triage
