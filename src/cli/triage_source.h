// RunSource implementations for `tracery triage`: a data dir (the Store, in process) and a running
// server (the JSON API: /api/runs, /api/runs/{id}, step content, POST /api/annotations,
// /api/triage/state/{key}).
#pragma once

#include <memory>
#include <string>

#include "store/store.h"
#include "triage/types.h"

namespace tracery::cli {

class ApiClient;

// The store annotation a classification is stored as (verdict positive/negative/error).
store::Annotation ToAnnotation(const triage::Classification& c);

class StoreRunSource : public triage::RunSource {
 public:
  explicit StoreRunSource(store::Store* store) : store_(store) {}
  Result<std::vector<model::Run>> ListRuns(const triage::RunSelector& selector) override;
  Result<triage::RunView> LoadRun(const std::string& run_id) override;
  Result<std::vector<std::string>> ClassifiedRuns(const std::string& rubric_name, const std::string& rubric_version,
                                                  const std::vector<std::string>& run_ids) override;
  Status WriteClassifications(const std::vector<triage::Classification>& items) override;
  Result<std::optional<std::string>> GetState(const std::string& key) override;
  Status SetState(const std::string& key, const std::string& value) override;

 private:
  store::Store* store_;
};

// Server mode. Needs a server with the triage endpoints (docs/api.md); write calls use the
// API key (as ingest does).
Result<std::unique_ptr<triage::RunSource>> MakeServerRunSource(const std::string& url, const std::string& api_key);

}  // namespace tracery::cli
