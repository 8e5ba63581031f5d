// The rubric DSL: `apiVersion: tracery.dev/v1` (and docket's `docket.dev/v1`, loaded unchanged),
// `kind: Rubric`. Parsing, imports (file:// and built-in URIs) with merge-by-id and cycle
// detection, and validation with key paths and line numbers.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
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
  std::vector<std::string> tools;  // YAML key `tool_calls` (docket's name)
  std::string form = "any";
  // metric_threshold
  std::string metric;
  std::string op;  // == != < <= > >= (YAML key `operator`)
  double threshold = 0;
  // step predicate: a step matches when every given field matches; the mode is positive when
  // at least `min_count` steps match. Keys are `field` plus an optional operator suffix
  // (`!=`, `>`, `>=`, `<`, `<=`, `~` RE2 search, `!~`), e.g. `duration_ms>: 5000`,
  // `attr.gen_ai.request.model: gpt-4o`; fields and semantics in docs/rubrics.md.
  std::map<std::string, std::string> step_where;  // e.g. type: tool, status: error, failure_code: timeout
  int min_count = 1;
  // composite
  std::string bool_op;  // and | or | not (YAML key `operator`)
  std::vector<Detection> operands;
  // llm_judge
  std::string prompt;
  std::string output_schema_json;  // JSON Schema (object with boolean `positive`)
  std::string model;               // "provider:model" or "" (pipeline default)
  bool involves_judge() const;
  int line = 0;  // 1-based line of the node in its file (0 when unknown), for messages
};

struct Example {
  std::string trace_excerpt;
  std::string context;
  bool expected_positive = false;
  // Optional: a synthetic run (YAML `run:`) so deterministic detectors can be self-tested.
  std::shared_ptr<RunView> run;
  int line = 0;  // 1-based line of the example in its file
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
  std::vector<std::string> authors;
  std::string embedding_model;  // clustering.embedding_model ("" = clusterer default)
  std::vector<std::string> imports;  // as written, in order
};

// Loads a rubric from a path, file:// URI or built-in URI (tracery.dev/builtin/agents/v1, also
// docket.dev/builtin/agents/v1 and the short form agents/v1). Errors name the file, line and key path.
Result<Rubric> LoadRubric(const std::string& path_or_uri);
// Parses YAML text; `origin` is used in messages and to resolve relative file:// imports.
Result<Rubric> ParseRubric(const std::string& yaml_text, const std::string& origin);

// Built-in rubrics (embedded from src/triage/builtin/<name>.yaml by builtin_rubrics.cc).
// Names: agents, rag, routing, multi-agent, mast.
std::vector<std::string> BuiltinRubricNames();
// The YAML text of built-in `name` ("agents"), nullopt when unknown.
std::optional<std::string_view> BuiltinRubricYaml(std::string_view name);
// "tracery.dev/builtin/agents/v1", "docket.dev/builtin/agents/v1" or "agents/v1" -> "agents";
// nullopt when `uri` is not of a built-in form or names no built-in.
std::optional<std::string> BuiltinNameFromUri(std::string_view uri);

// Limits that bound the work done on hostile input.
inline constexpr size_t kMaxRubricBytes = 4 << 20;   // per file
inline constexpr int kMaxRubricNodes = 50000;        // YAML nodes visited, aliases expanded
inline constexpr int kMaxDetectionDepth = 32;        // composite nesting
inline constexpr int kMaxImportDepth = 16;

}  // namespace tracery::triage
