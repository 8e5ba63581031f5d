// The read side shared by the HTTP API and the CLI: request parameters in, JSON documents out.
// The CLI in data-dir mode and the server produce byte-identical JSON for the same query, so the
// CLI renders the same documents whether it reads a data dir or a running server.
#pragma once

#include <map>
#include <string>

#include "core/clock.h"
#include "core/status.h"
#include "model/model.h"
#include "store/store.h"

namespace tracery::query {

// Query-string parameters; a key may repeat (agent=a&agent=b) and values may be comma-separated.
using Params = std::multimap<std::string, std::string>;

class QueryService {
 public:
  explicit QueryService(store::Store* store) : store_(store), clock_(&Clock::Real()) {}
  // `clock` resolves relative times (`since`); it must outlive the service.
  QueryService(store::Store* store, const Clock* clock) : store_(store), clock_(clock) {}

  // GET /api/runs. Errors: kInvalidArgument naming the parameter and value.
  Result<std::string> ListRuns(const Params& params) const;
  // GET /api/runs/{id}?offset=&limit=. kNotFound when unknown.
  Result<std::string> GetRun(const std::string& run_id, const Params& params) const;
  // GET /api/runs/{id}/outline: every step's id, parent, name, type, agent, status, retry link and
  // timing as parallel arrays (docs/api.md). No parameters. kNotFound when unknown.
  Result<std::string> GetRunOutline(const std::string& run_id, const Params& params) const;
  // GET /api/runs/{id}/steps/{step_id}/content
  Result<std::string> GetStepContent(const std::string& run_id, const std::string& step_id) const;
  // GET /api/stats?group_by=...&bucket=...
  Result<std::string> Stats(const Params& params) const;
  // GET /api/sessions
  Result<std::string> Sessions(const Params& params) const;
  // GET /api/agents
  Result<std::string> Agents(const Params& params) const;
  // GET /api/runs/facets: counts per status, agent, version, environment, failure type/code, model
  // and tag over the runs matching the run filters (implemented in facets.cc).
  Result<std::string> Facets(const Params& params) const;

  // Parses the run-list filter parameters (shared with stats and agents). Keys that are not filter
  // keys are ignored here (each endpoint rejects unknown keys itself). `since` is relative to
  // `now_ns` (the real clock in the one-argument form). Exposed for tests and the CLI.
  static Result<store::RunFilter> ParseRunFilter(const Params& params);
  static Result<store::RunFilter> ParseRunFilter(const Params& params, int64_t now_ns);
  // The JSON object for one run summary (used in lists and the live stream).
  static std::string RunJson(const model::Run& run);

 private:
  store::Store* store_;
  const Clock* clock_;
};

}  // namespace tracery::query
