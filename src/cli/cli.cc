#include "cli/cli.h"

namespace tracery::cli {
int Main(int, char**) { return 1; }
}  // namespace tracery::cli
