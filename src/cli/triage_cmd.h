// `tracery triage run|serve|validate|self-test|queue`. run and serve live here; validate and
// self-test are routed to triage_rubric_cmd, queue to triage_queue_cmd.
#pragma once

#include <string>
#include <vector>

#include "cli/cli.h"

namespace tracery::cli {

// `args` excludes "triage". Exit codes: 0 ok, 1 failure (including a budget abort and a dry run
// predicting one), 2 usage.
int RunTriageCommand(const std::vector<std::string>& args, Io& io);

}  // namespace tracery::cli
