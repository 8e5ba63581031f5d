#include "query/params.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace tracery::query {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Parameter values are echoed in errors: keep them short and printable.
std::string Shorten(std::string_view v) {
  std::string out;
  for (char c : v.substr(0, 100)) {
    auto u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7f ? '?' : c);
  }
  if (v.size() > 100) out += "...";
  return out;
}

}  // namespace

Status BadParam(std::string_view key, std::string_view value, std::string_view why) {
  return InvalidArgumentError("invalid value \"" + Shorten(value) + "\" for parameter \"" + std::string(key) +
                              "\": " + std::string(why));
}

Status CheckKnownParams(const Params& params, std::initializer_list<std::string_view> allowed) {
  for (const auto& [key, value] : params) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return InvalidArgumentError("unknown parameter \"" + Shorten(key) + "\"");
    }
  }
  return OkStatus();
}

std::vector<std::string> GetList(const Params& params, const std::string& key) {
  std::vector<std::string> out;
  auto [lo, hi] = params.equal_range(key);
  for (auto it = lo; it != hi; ++it) {
    std::string_view v = it->second;
    size_t start = 0;
    while (start <= v.size()) {
      size_t comma = v.find(',', start);
      if (comma == std::string_view::npos) comma = v.size();
      std::string_view item = Trim(v.substr(start, comma - start));
      if (!item.empty() && std::find(out.begin(), out.end(), item) == out.end()) out.emplace_back(item);
      start = comma + 1;
    }
  }
  return out;
}

Result<std::optional<std::string>> GetSingle(const Params& params, const std::string& key) {
  std::optional<std::string> out;
  auto [lo, hi] = params.equal_range(key);
  for (auto it = lo; it != hi; ++it) {
    std::string_view v = Trim(it->second);
    if (v.empty()) continue;
    if (out.has_value() && *out != v) {
      return InvalidArgumentError("parameter \"" + key + "\" given more than once");
    }
    out = std::string(v);
  }
  return out;
}

Result<std::optional<int64_t>> GetInt(const Params& params, const std::string& key, int64_t min, int64_t max) {
  TRACERY_ASSIGN_OR_RETURN(std::optional<std::string> v, GetSingle(params, key));
  if (!v.has_value()) return std::optional<int64_t>();
  const std::string& s = *v;
  std::string range = "expected an integer in " + std::to_string(min) + ".." + std::to_string(max);
  size_t i = s[0] == '-' ? 1 : 0;
  if (i == s.size()) return BadParam(key, s, range);
  for (size_t k = i; k < s.size(); ++k) {
    if (s[k] < '0' || s[k] > '9') return BadParam(key, s, range);
  }
  errno = 0;
  char* end = nullptr;
  long long n = std::strtoll(s.c_str(), &end, 10);
  if (errno == ERANGE || n < min || n > max) return BadParam(key, s, range);
  return std::optional<int64_t>(n);
}

Result<std::optional<double>> GetDouble(const Params& params, const std::string& key, double min) {
  TRACERY_ASSIGN_OR_RETURN(std::optional<std::string> v, GetSingle(params, key));
  if (!v.has_value()) return std::optional<double>();
  const std::string& s = *v;
  // Plain decimal only: no hex floats, inf or nan.
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E')) {
      return BadParam(key, s, "expected a number");
    }
  }
  errno = 0;
  char* end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || errno == ERANGE || !std::isfinite(d)) {
    return BadParam(key, s, "expected a number");
  }
  if (d < min) return BadParam(key, s, "must be >= " + std::to_string(static_cast<int64_t>(min)));
  return std::optional<double>(d);
}

}  // namespace tracery::query
