#!/usr/bin/env bash
# Regenerates sdk/cpp/src/redact.cc from the server's scanner in src/ingest/privacy.cc (the
# anonymous namespace between "namespace {" and "}  // namespace"). Run from anywhere.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
src="$here/../../src/ingest/privacy.cc"
out="$here/src/redact.cc"
{
  cat <<'HDR'
// Redaction scanner for the C++ SDK's client-side privacy filter: a verbatim copy of the scanner
// in src/ingest/privacy.cc (server), so both sides mask exactly the same things. The SDK is a
// standalone project and cannot link the server's code; sdk/cpp/tests/privacy_test.cc checks,
// when built inside the main project, that this copy and the server's agree on a corpus.
// Regenerate with: sdk/cpp/tools/sync_redact.sh
#include "redact.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace tracery_sdk {
namespace internal {

HDR
  awk '/^namespace \{$/ {on=1} on {print} on && /^\}  \/\/ namespace$/ {exit}' "$src"
  cat <<'FTR'

int Redact(bool mask_pii, std::string* text) {
  if (text == nullptr || text->empty()) return 0;
  Scanner scanner(*text, mask_pii);
  int n = scanner.Run();
  if (n > 0) *text = scanner.Take();
  return n;
}

}  // namespace internal
}  // namespace tracery_sdk
FTR
} > "$out.tmp"
mv "$out.tmp" "$out"
