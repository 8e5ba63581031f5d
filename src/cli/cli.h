// `tracery <command>`: serve, ingest, runs, show, stats, sessions, agents, config print, version.
#pragma once

#include <functional>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

namespace tracery::cli {

// Entry point used by main(). Returns the process exit code: 0 ok, 1 failure, 2 usage.
int Main(int argc, char** argv);

// Where a command reads its environment and writes its output; lets tests run commands
// in-process and capture what they print.
struct Io {
  std::ostream& out;
  std::ostream& err;
  std::map<std::string, std::string> env;  // the process environment (TRACERY_*, NO_COLOR...)
  bool out_is_tty = false;                 // enables colour with --color=auto
  // Called by `serve` once both listeners are bound (tests use it to learn port-0 ports).
  std::function<void(int http_port, int grpc_port)> on_serving;
};

// Runs one command line (`args` excludes the program name). Same exit codes as Main.
int Run(const std::vector<std::string>& args, Io& io);

}  // namespace tracery::cli
