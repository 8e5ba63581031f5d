// The rubric DSL: `apiVersion: tracery.dev/v1` (and docket's `docket.dev/v1`, loaded unchanged),
// `kind: Rubric`. Parsing, imports (file:// and built-in URIs) with merge-by-id and cycle
// detection, and validation with key paths and line numbers.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "triage/types.h"

namespace tracery::triage {

// A detection tree node. `type` selects which fields are meaningful.
struct Detection {
  std::string type;  // regex | tool_call | metric_threshold | step | composite | llm_judge
  // regex
  std::string pattern;
  // tool_call: any-of `tools`; `form` = "any" (default), "sequence" (in this order, gaps allowed)
  // or "absent" (none of them was called)
  std::vector<std::string> tools;
  std::string form = "any";
  // metric_threshold
  std::string metric;
  std::string op;  // == != < <= > >=
  double threshold = 0;
  // step predicate: a step matches when every given field matches; the mode is positive when
  // at least `min_count` steps match.
  std::map<std::string, std::string> step_where;  // e.g. type: tool, status: error, failure_code: timeout
  int min_count = 1;
  // composite
  std::string bool_op;  // and | or | not
  std::vector<Detection> operands;
  // llm_judge
  std::string prompt;
  std::string output_schema_json;  // JSON Schema (object with boolean `positive`)
  std::string model;               // "provider:model" or "" (pipeline default)
  bool involves_judge() const;
};

struct Example {
  std::string trace_excerpt;
  std::string context;
  bool expected_positive = false;
  // Optional: a synthetic run (YAML `run:`) so deterministic detectors can be self-tested.
  std::shared_ptr<RunView> run;
};

struct Mode {
  std::string id;
  std::string name;
  std::string description;
  Severity severity = Severity::kMedium;
  Detection detection;
  std::vector<Example> examples;
  std::string source;  // file or URI the mode came from (after imports)
};

struct TriageSettings {
  std::string auto_post_threshold = "never";  // never | low | medium | high | critical
  std::map<std::string, std::string> severity_to_priority;  // critical -> P1 ...
};

struct Rubric {
  std::string api_version;  // tracery.dev/v1 or docket.dev/v1
  std::string name;
  std::string version;  // semver
  std::string description;
  std::vector<Mode> modes;
  ClusterOptions clustering;
  TriageSettings triage;
  std::string origin;  // path or URI it was loaded from
};

// Loads a rubric from a path, file:// URI or built-in URI (tracery.dev/builtin/agents/v1, also
// docket.dev/builtin/agents/v1 and the short form agents/v1). Errors name the file, line and key path.
Result<Rubric> LoadRubric(const std::string& path_or_uri);
// Parses YAML text; `origin` is used in messages and to resolve relative file:// imports.
Result<Rubric> ParseRubric(const std::string& yaml_text, const std::string& origin);

}  // namespace tracery::triage
