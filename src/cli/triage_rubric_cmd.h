// `tracery triage validate RUBRIC` and `tracery triage self-test RUBRIC`.
#pragma once

#include <string>
#include <vector>

#include "cli/cli.h"

namespace tracery::cli {

// validate RUBRIC [--json]: exit 0 and `OK: <name> v<version> (<n> modes)`, or 1 with one
// `file:line: key.path: message` per error on stderr; 2 on usage errors. `args` excludes
// "triage validate".
int RunTriageValidate(const std::vector<std::string>& args, Io& io);

// self-test RUBRIC [--judge-url URL --judge-model M --judge-provider openai|anthropic
// --judge-api-key-env VAR] [--json]: one PASS/FAIL/SKIP line per example; judge examples SKIP
// without a judge. Exit 1 iff the rubric does not load or any example FAILs; 2 on usage errors.
int RunTriageSelfTest(const std::vector<std::string>& args, Io& io);

}  // namespace tracery::cli
