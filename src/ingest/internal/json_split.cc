#include "ingest/internal/json_split.h"

#include <cstring>

namespace tracery::ingest::internal {

namespace {

inline bool IsJsonSpace(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

// Index just past the closing quote of the string whose opening quote is at `open`, or npos.
// memchr finds candidate quotes (vectorized in libc); a quote preceded by an odd run of
// backslashes is escaped.
size_t SkipString(std::string_view s, size_t open) {
  const char* base = s.data();
  size_t i = open + 1;
  while (i < s.size()) {
    const void* hit = std::memchr(base + i, '"', s.size() - i);
    if (hit == nullptr) return std::string_view::npos;
    size_t q = static_cast<size_t>(static_cast<const char*>(hit) - base);
    size_t k = q;
    while (k > open + 1 && base[k - 1] == '\\') --k;
    if (((q - k) & 1) == 0) return q + 1;
    i = q + 1;
  }
  return std::string_view::npos;
}

}  // namespace

std::string_view TrimJsonSpace(std::string_view text) {
  while (!text.empty() && IsJsonSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsJsonSpace(text.back())) text.remove_suffix(1);
  return text;
}

bool SplitJsonArray(std::string_view text, std::vector<std::string_view>* out) {
  const size_t n = text.size();
  size_t i = 0;
  while (i < n && IsJsonSpace(text[i])) ++i;
  if (i == n || text[i] != '[') return false;
  ++i;
  while (i < n && IsJsonSpace(text[i])) ++i;
  if (i < n && text[i] == ']') {  // empty array
    ++i;
    while (i < n && IsJsonSpace(text[i])) ++i;
    return i == n;
  }
  while (true) {
    while (i < n && IsJsonSpace(text[i])) ++i;
    const size_t begin = i;
    size_t depth = 0;
    char stop = 0;
    while (i < n) {
      const char c = text[i];
      if (c == '"') {
        i = SkipString(text, i);
        if (i == std::string_view::npos) return false;
        continue;
      }
      if (c == '[' || c == '{') {
        ++depth;
      } else if (c == ']' || c == '}') {
        if (depth == 0) {
          stop = c;
          break;
        }
        --depth;
      } else if (c == ',' && depth == 0) {
        stop = c;
        break;
      }
      ++i;
    }
    if (stop == 0) return false;  // ran off the end: unterminated array
    size_t end = i;
    while (end > begin && IsJsonSpace(text[end - 1])) --end;
    if (end == begin) return false;  // "[,", "[1,]", "[1,,2]"
    out->push_back(text.substr(begin, end - begin));
    ++i;
    if (stop == ',') continue;
    if (stop != ']') return false;  // "[1}"
    break;
  }
  while (i < n && IsJsonSpace(text[i])) ++i;
  return i == n;
}

}  // namespace tracery::ingest::internal
