// The triage write-back API (docs/api.md "Triage annotations"): POST /api/annotations,
// POST /api/annotations/classified, GET/PUT /api/triage/state/{key}, and the annotations array
// of GET /api/runs/{id}. Request bodies are JSON; errors name the offending field.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "store/store.h"

namespace tracery::query {

// [{"rubric_name", "rubric_version", "mode_id", "severity", "verdict", "confidence",
//   "evidence_step_ids", "excerpt", "detector", "triage_run_id", "error", "time", "time_unix_nano"}]
std::string AnnotationsJson(const std::vector<store::Annotation>& annotations);

// Body {"annotations": [{run_id, rubric_name, rubric_version, mode_id, verdict, ...}]} (at most
// 10,000). Reply {"written": N}.
Result<std::string> PostAnnotations(store::Store* store, const std::string& body);
// Body {"rubric_name", "rubric_version", "run_ids": [...]} (at most 10,000). Reply {"run_ids": [...]}.
Result<std::string> PostClassifiedRuns(store::Store* store, const std::string& body);
// Keys: 1..200 characters of [A-Za-z0-9._:-]. GET: {"key", "value"} or kNotFound. PUT body {"value": "..."}.
Result<std::string> GetTriageState(store::Store* store, const std::string& key);
Result<std::string> PutTriageState(store::Store* store, const std::string& key, const std::string& body);

}  // namespace tracery::query
