// Time formatting and parsing for the JSON API: ISO-8601 UTC with nanoseconds out, RFC 3339 or
// Unix milliseconds in, and human durations ("15m", "1h30m", "7d").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace tracery::query {

// "2026-11-22T01:02:03.123456789Z" (always 9 fraction digits). Any int64 is accepted
// (pre-1970 values format as earlier dates).
std::string FormatTimeNs(int64_t unix_ns);

// Accepts RFC 3339 ("2026-11-22T01:02:03Z", optional fraction of up to 9 digits, "Z" or
// "+hh:mm"/"-hh:mm", 'T' or ' ' separator), a bare date ("2026-11-22", midnight UTC) or Unix
// milliseconds (decimal digits only). Result: Unix nanoseconds. Errors say what was wrong, without
// naming the parameter (callers add it).
Result<int64_t> ParseTimeNs(std::string_view text);

// Positive duration: one or more <integer><unit> groups, unit one of ms, s, m, h, d, w
// ("90s", "1h30m", "7d"). Result in nanoseconds.
Result<int64_t> ParseDurationNs(std::string_view text);

}  // namespace tracery::query
