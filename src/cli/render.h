// Human-readable rendering of the JSON API documents (the same documents `--json` prints), so
// local and remote modes look identical.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace tracery::cli {

struct RenderOptions {
  bool color = false;  // ANSI colours (stdout is a TTY, or --color=always)
};

// Each takes the JSON document of the matching API endpoint. kInvalidArgument when the text is
// not JSON of the expected shape. Missing optional fields render as "-".
Result<std::string> RenderRunsTable(std::string_view json, const RenderOptions& options);
Result<std::string> RenderRunDetail(std::string_view json, const RenderOptions& options);
Result<std::string> RenderStatsTable(std::string_view json, const RenderOptions& options);
Result<std::string> RenderSessionsTable(std::string_view json, const RenderOptions& options);
Result<std::string> RenderAgentsTable(std::string_view json, const RenderOptions& options);

// The document re-indented (2 spaces), with a final newline. Deterministic: the same input text
// gives the same output, whether it came from a data dir or a server.
Result<std::string> PrettyJson(std::string_view json);

// "850ms", "1.25s", "2m05s", "1h02m"; "-" for negative.
std::string FormatDurationMs(double ms);
// "$0.0123", "$12.50"; "-" for 0.
std::string FormatCost(double usd);
// Terminal columns taken by UTF-8 text, ignoring ANSI escape sequences.
size_t DisplayWidth(std::string_view text);

}  // namespace tracery::cli
