#!/usr/bin/env bash
# Runs the end-to-end suite against a built tracery binary.
#   tests/e2e/run.sh [test files...]        (default: every tests/e2e/*.test.mjs)
# Env: TRACERY_BIN (default build/tracery, relative to the repo root), UPDATE_GOLDENS=1.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
if [[ ! -d node_modules ]]; then
  npm ci --no-audit --no-fund
fi
# The README walkthrough's example is tested too (quickstart.test.mjs).
if [[ ! -d ../../examples/quickstart/node_modules ]]; then
  (cd ../../examples/quickstart && npm ci --no-audit --no-fund)
fi
if [[ -n "${TRACERY_BIN:-}" ]]; then
  # Accept a path relative to the caller's directory.
  case "$TRACERY_BIN" in /*) ;; *) TRACERY_BIN="$OLDPWD/$TRACERY_BIN" ;; esac
  export TRACERY_BIN
fi
if [[ $# -eq 0 ]]; then
  set -- ./*.test.mjs
fi
exec node --test --test-concurrency=1 --test-timeout=240000 "$@"
