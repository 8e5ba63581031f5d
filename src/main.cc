#include "cli/cli.h"

int main(int argc, char** argv) { return tracery::cli::Main(argc, argv); }
