// `tracery <command>`: serve, ingest, runs, show, stats, sessions, agents, config print.
#pragma once

namespace tracery::cli {

// Entry point used by main(). Returns the process exit code: 0 ok, 1 failure, 2 usage.
int Main(int argc, char** argv);

}  // namespace tracery::cli
