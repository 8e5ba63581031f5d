// Facet counts for the run list: how many matching runs have each status, agent, version,
// environment, failure type/code, model and tag (GET /api/runs/facets).
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "store/store.h"

namespace tracery::query {

// Runs examined per scan when the store cannot count facets itself (Store::CountRunFacets answers
// kUnimplemented); beyond it counts cover the newest runs only ("truncated": true).
inline constexpr int64_t kFacetScanLimit = 20000;

// The facets document for `filter`. Counts are disjunctive: each dimension is counted with its
// own filter removed (so with status=failed the status facet still shows how many runs are ok),
// every other filter applied. Counts are exact when the store implements CountRunFacets;
// otherwise each dimension scans at most `max_runs` runs through ListRuns, newest first.
Result<std::string> RunFacetsJson(store::Store& store, const store::RunFilter& filter, int64_t max_runs);

// The same document, always by paging through ListRuns (the fallback; exposed for tests and the
// benchmark baseline).
Result<std::string> RunFacetsJsonByScan(store::Store& store, const store::RunFilter& filter, int64_t max_runs);

}  // namespace tracery::query
