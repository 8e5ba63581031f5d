// Small helpers shared by the CLI's commands.
#pragma once

#include <string>
#include <vector>

#include "cli/cli.h"

namespace tracery::cli {

// The variable from `io.env` (tests inject it), else the process environment, else "".
std::string EnvValue(const Io& io, const std::string& name);
// Flag values that may repeat and may be comma-separated ("a,b" "c" -> a b c); empty items dropped.
std::vector<std::string> SplitCommas(const std::vector<std::string>& values);

}  // namespace tracery::cli
