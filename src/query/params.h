// Query-string parameter access with strict validation: unknown keys, repeated single-valued
// keys and malformed values are kInvalidArgument errors naming the parameter and the value.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "query/query_service.h"

namespace tracery::query {

// The run-filter parameter names (QueryService::ParseRunFilter), accepted by every endpoint that
// filters runs: /api/runs, /api/runs/facets, /api/stats, /api/agents.
#define TRACERY_RUN_FILTER_KEYS                                                                               \
  "since", "from", "to", "updated_since", "agent", "version", "environment", "status", "failure_type",        \
      "failure_code", "model", "session", "user", "tag", "q", "min_duration_ms", "max_duration_ms", "min_cost", \
      "max_cost", "annotation"

// kInvalidArgument `unknown parameter "x"` for the first key (in key order) not in `allowed`.
Status CheckKnownParams(const Params& params, std::initializer_list<std::string_view> allowed);

// All values of a multi-valued key: repeated keys and comma lists, trimmed, empties dropped.
std::vector<std::string> GetList(const Params& params, const std::string& key);

// A single-valued key: nullopt when absent or empty; error when given twice with different values.
Result<std::optional<std::string>> GetSingle(const Params& params, const std::string& key);

// Integer in [min, max]; nullopt when absent.
Result<std::optional<int64_t>> GetInt(const Params& params, const std::string& key, int64_t min, int64_t max);
// Finite number >= min; nullopt when absent.
Result<std::optional<double>> GetDouble(const Params& params, const std::string& key, double min);

// `invalid value "v" for parameter "k": why`
Status BadParam(std::string_view key, std::string_view value, std::string_view why);

}  // namespace tracery::query
