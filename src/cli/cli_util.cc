#include "cli/cli_util.h"

#include <cstdlib>

namespace tracery::cli {

std::string EnvValue(const Io& io, const std::string& name) {
  auto it = io.env.find(name);
  if (it != io.env.end()) return it->second;
  const char* v = std::getenv(name.c_str());
  return v ? v : "";
}

std::vector<std::string> SplitCommas(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const auto& v : values) {
    size_t start = 0;
    while (start <= v.size()) {
      size_t comma = v.find(',', start);
      std::string item = v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (!item.empty()) out.push_back(item);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return out;
}

}  // namespace tracery::cli
