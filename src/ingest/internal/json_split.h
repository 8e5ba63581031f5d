// Splits a JSON array into the byte ranges of its top-level elements without building a DOM.
// Internal to ingest; not a stable API.
#pragma once

#include <string_view>
#include <vector>

namespace tracery::ingest::internal {

// Appends to `out` the whitespace-trimmed bytes of each top-level element of the JSON array in
// `text` (whitespace around the array allowed). Only the structure is checked: strings (with
// escapes) are skipped and brackets balanced, but the elements themselves are NOT validated, so
// callers must validate each element (or know it valid) before trusting it. Returns false when
// `text` is not an array or its structure is broken (unterminated string, unbalanced or
// mismatched brackets at the top level, empty element, bytes after the closing bracket); `out`
// then holds whatever was found so far. No recursion: hostile nesting depth costs nothing extra.
bool SplitJsonArray(std::string_view text, std::vector<std::string_view>* out);

// `text` without leading/trailing JSON whitespace (space, tab, CR, LF).
std::string_view TrimJsonSpace(std::string_view text);

}  // namespace tracery::ingest::internal
