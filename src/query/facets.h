// Facet counts for the run list: how many matching runs have each status, agent, version,
// environment, failure type/code, model and tag (GET /api/runs/facets).
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "store/store.h"

namespace tracery::query {

// Runs examined per scan; beyond it counts cover the newest runs only ("truncated": true).
inline constexpr int64_t kFacetScanLimit = 20000;

// The facets document for `filter`. Counts are disjunctive: each dimension is counted with its
// own filter removed (so with status=failed the status facet still shows how many runs are ok),
// every other filter applied. Each scan reads at most `max_runs` runs, newest first.
Result<std::string> RunFacetsJson(store::Store& store, const store::RunFilter& filter, int64_t max_runs);

}  // namespace tracery::query
