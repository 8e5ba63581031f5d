// `tracery triage queue list|show|post|clear|review`: the local queue of issue drafts.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "cli/cli.h"

namespace tracery::cli {

// list [--json]; show ID [--json]; post [ID...] --tracker github|jira|linear --project P
// [--base-url U] [--auto-post-threshold S] [--review] [--json]; clear; review (= post --review);
// all take [--queue DIR] (default ./tracery-triage/queue). Tokens come from the environment:
// GITHUB_TOKEN, JIRA_TOKEN (+ JIRA_USER for Jira cloud), LINEAR_API_KEY. `args` excludes
// "triage queue". Exit 0 ok, 1 failure (a tracker action failed, missing token...), 2 usage.
int RunTriageQueue(const std::vector<std::string>& args, Io& io);
// The same, reading the --review answers from `in` (tests).
int RunTriageQueue(const std::vector<std::string>& args, Io& io, std::istream& in);

}  // namespace tracery::cli
