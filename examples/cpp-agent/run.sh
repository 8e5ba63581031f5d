#!/usr/bin/env bash
# Builds (CMake) and runs the example agent. Usage: examples/cpp-agent/run.sh [endpoint]
# BUILD_DIR overrides the build directory (default examples/cpp-agent/build).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${BUILD_DIR:-$here/build}"
gen=(); command -v ninja >/dev/null && gen=(-G Ninja)
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$here" -B "$build" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release >&2
fi
cmake --build "$build" -j2 >&2
exec "$build/cpp_agent" "${1:-${TRACERY_ENDPOINT:-http://127.0.0.1:4318}}"
