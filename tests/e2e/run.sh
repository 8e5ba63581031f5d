#!/usr/bin/env bash
# Runs the end-to-end suite against a built tracery binary.
#   tests/e2e/run.sh [test files...]        (default: every tests/e2e/*.test.mjs)
# Env: TRACERY_BIN (default build/tracery, relative to the repo root), UPDATE_GOLDENS=1.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
# (Re)install when node_modules is missing or older than the lock file.
stale() { [[ ! -f "$1/node_modules/.package-lock.json" || "$1/package-lock.json" -nt "$1/node_modules/.package-lock.json" ]]; }
if stale .; then
  npm ci --no-audit --no-fund
fi
# The README walkthrough's example is tested too (quickstart.test.mjs).
if stale ../../examples/quickstart; then
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
