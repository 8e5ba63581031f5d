#include "query/facets.h"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <map>
#include <string_view>
#include <utility>
#include <vector>

#include "query/json_writer.h"
#include "query/params.h"
#include "query/query_service.h"

namespace tracery::query {
namespace {

enum Dim { kStatus, kAgent, kVersion, kEnvironment, kFailureType, kFailureCode, kModel, kTag, kDimCount };

constexpr std::array<std::string_view, kDimCount> kDimNames = {
    "status", "agent", "version", "environment", "failure_type", "failure_code", "model", "tag"};

// Values shown per dimension; the rest are rare by construction (sorted by count).
constexpr size_t kMaxValuesPerFacet = 100;
constexpr int kPageSize = 1000;

using Counts = std::array<std::map<std::string, int64_t>, kDimCount>;

bool HasFilter(const store::RunFilter& f, Dim d) {
  switch (d) {
    case kStatus: return !f.statuses.empty();
    case kAgent: return !f.agent_ids.empty();
    case kVersion: return !f.agent_versions.empty();
    case kEnvironment: return !f.environments.empty();
    case kFailureType: return !f.failure_types.empty();
    case kFailureCode: return !f.failure_codes.empty();
    case kModel: return !f.models.empty();
    case kTag: return !f.tags.empty();
    case kDimCount: break;
  }
  return false;
}

store::RunFilter Without(store::RunFilter f, Dim d) {
  switch (d) {
    case kStatus: f.statuses.clear(); break;
    case kAgent: f.agent_ids.clear(); break;
    case kVersion: f.agent_versions.clear(); break;
    case kEnvironment: f.environments.clear(); break;
    case kFailureType: f.failure_types.clear(); break;
    case kFailureCode: f.failure_codes.clear(); break;
    case kModel: f.models.clear(); break;
    case kTag: f.tags.clear(); break;
    case kDimCount: break;
  }
  return f;
}

void CountRun(const model::Run& r, Counts& c) {
  auto add = [&](Dim d, const std::string& v) {
    if (!v.empty()) ++c[d][v];
  };
  add(kStatus, std::string(model::ToString(r.status)));
  add(kAgent, r.agent_id);
  add(kVersion, r.agent_version);
  add(kEnvironment, r.environment);
  if (r.failure) {
    add(kFailureType, std::string(model::ToString(r.failure->type)));
    add(kFailureCode, r.failure->code);
  }
  // A run counts once per distinct model / tag even if the store repeated one.
  std::vector<std::string> models = r.models;
  std::sort(models.begin(), models.end());
  models.erase(std::unique(models.begin(), models.end()), models.end());
  for (const auto& m : models) add(kModel, m);
  std::vector<std::string> tags = r.tags;
  std::sort(tags.begin(), tags.end());
  tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
  for (const auto& t : tags) add(kTag, t);
}

store::FacetDimension StoreDim(Dim d) {
  switch (d) {
    case kStatus: return store::FacetDimension::kStatus;
    case kAgent: return store::FacetDimension::kAgent;
    case kVersion: return store::FacetDimension::kVersion;
    case kEnvironment: return store::FacetDimension::kEnvironment;
    case kFailureType: return store::FacetDimension::kFailureType;
    case kFailureCode: return store::FacetDimension::kFailureCode;
    case kModel: return store::FacetDimension::kModel;
    case kTag: return store::FacetDimension::kTag;
    case kDimCount: break;
  }
  return store::FacetDimension::kStatus;
}

struct Scan {
  Counts counts;
  int64_t scanned = 0;
  bool truncated = false;
};

Result<Scan> ScanRuns(store::Store& store, const store::RunFilter& filter, int64_t max_runs) {
  Scan scan;
  store::PageRequest page;
  page.sort = store::RunSort::kStartDesc;
  while (scan.scanned < max_runs) {
    page.limit = static_cast<int>(std::min<int64_t>(kPageSize, max_runs - scan.scanned));
    TRACERY_ASSIGN_OR_RETURN(store::RunPage result, store.ListRuns(filter, page));
    for (const auto& run : result.runs) CountRun(run, scan.counts);
    scan.scanned += static_cast<int64_t>(result.runs.size());
    // A store that answers an empty page with a cursor would loop forever; stop instead.
    if (result.next_cursor.empty() || result.runs.empty()) return scan;
    page.cursor = std::move(result.next_cursor);
  }
  scan.truncated = true;
  return scan;
}

using Values = std::vector<store::FacetValue>;

// Sorted by count descending, then value (bytewise), at most kMaxValuesPerFacet.
void SortAndCap(Values& values) {
  std::stable_sort(values.begin(), values.end(), [](const store::FacetValue& a, const store::FacetValue& b) {
    return a.count != b.count ? a.count > b.count : a.value < b.value;
  });
  if (values.size() > kMaxValuesPerFacet) values.resize(kMaxValuesPerFacet);
}

Values FromMap(const std::map<std::string, int64_t>& counts) {
  Values out;
  out.reserve(counts.size());
  for (const auto& [value, count] : counts) out.push_back(store::FacetValue{value, count});
  return out;
}

std::string FacetsDocument(std::array<Values, kDimCount>& facets, int64_t scanned, bool truncated) {
  JsonWriter w;
  w.BeginObject();
  w.Key("facets");
  w.BeginObject();
  for (int d = 0; d < kDimCount; ++d) {
    w.Key(kDimNames[d]);
    SortAndCap(facets[d]);
    w.BeginArray();
    for (const auto& v : facets[d]) {
      w.BeginObject();
      w.Key("value");
      w.String(v.value);
      w.Key("count");
      w.Int(v.count);
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
  w.Key("scanned");
  w.Int(scanned);
  w.Key("truncated");
  w.Bool(truncated);
  w.EndObject();
  return w.Take();
}

// Exact counts by the store's aggregate: one scope for the filter (every dimension without a
// filter of its own) and one per filtered dimension, with that dimension's filter lifted.
// kUnimplemented when the store has no aggregate.
Result<std::string> FacetsBySql(store::Store& store, const store::RunFilter& filter) {
  std::vector<store::FacetScope> scopes(1);
  scopes[0].filter = filter;
  std::vector<std::vector<Dim>> scope_dims(1);  // parallel to scopes[i].dimensions
  for (int d = 0; d < kDimCount; ++d) {
    const Dim dim = static_cast<Dim>(d);
    if (!HasFilter(filter, dim)) {
      scopes[0].dimensions.push_back(StoreDim(dim));
      scope_dims[0].push_back(dim);
      continue;
    }
    store::FacetScope scope;
    scope.filter = Without(filter, dim);
    scope.dimensions.push_back(StoreDim(dim));
    scopes.push_back(std::move(scope));
    scope_dims.push_back({dim});
  }
  TRACERY_ASSIGN_OR_RETURN(std::vector<store::FacetScopeCounts> counts,
                           store.CountRunFacets(scopes, static_cast<int>(kMaxValuesPerFacet)));
  if (counts.size() != scopes.size()) {
    return InternalError(fmt::format("store answered {} facet scopes for {}", counts.size(), scopes.size()));
  }
  std::array<Values, kDimCount> facets;
  for (size_t s = 0; s < scopes.size(); ++s) {
    if (counts[s].values.size() != scopes[s].dimensions.size()) {
      return InternalError("store answered a facet scope with the wrong number of dimensions");
    }
    for (size_t k = 0; k < scopes[s].dimensions.size(); ++k) {
      facets[scope_dims[s][k]] = std::move(counts[s].values[k]);
    }
  }
  return FacetsDocument(facets, counts[0].matched, false);
}

}  // namespace

Result<std::string> RunFacetsJsonByScan(store::Store& store, const store::RunFilter& filter, int64_t max_runs) {
  if (max_runs < 1) return InvalidArgumentError("facet scan limit must be positive");
  TRACERY_ASSIGN_OR_RETURN(Scan main, ScanRuns(store, filter, max_runs));
  Counts counts = std::move(main.counts);
  bool truncated = main.truncated;
  for (int d = 0; d < kDimCount; ++d) {
    Dim dim = static_cast<Dim>(d);
    if (!HasFilter(filter, dim)) continue;
    TRACERY_ASSIGN_OR_RETURN(Scan other, ScanRuns(store, Without(filter, dim), max_runs));
    counts[dim] = std::move(other.counts[dim]);
    truncated = truncated || other.truncated;
  }
  std::array<Values, kDimCount> facets;
  for (int d = 0; d < kDimCount; ++d) facets[d] = FromMap(counts[d]);
  return FacetsDocument(facets, main.scanned, truncated);
}

Result<std::string> RunFacetsJson(store::Store& store, const store::RunFilter& filter, int64_t max_runs) {
  if (max_runs < 1) return InvalidArgumentError("facet scan limit must be positive");
  Result<std::string> exact = FacetsBySql(store, filter);
  // Only a store without the aggregate falls back; any other error is the answer.
  if (exact.ok() || exact.status().code() != StatusCode::kUnimplemented) return exact;
  return RunFacetsJsonByScan(store, filter, max_runs);
}

Result<std::string> QueryService::Facets(const Params& params) const {
  TRACERY_RETURN_IF_ERROR(CheckKnownParams(params, {TRACERY_RUN_FILTER_KEYS}));
  TRACERY_ASSIGN_OR_RETURN(store::RunFilter filter, ParseRunFilter(params, clock_->NowUnixNanos()));
  return RunFacetsJson(*store_, filter, kFacetScanLimit);
}

}  // namespace tracery::query
