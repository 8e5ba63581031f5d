// Test hook for the redaction scanner. Internal to ingest; not a stable API.
#pragma once

#include <string>

#include "ingest/privacy.h"

namespace tracery::ingest::internal {

// Redact() through the byte-at-a-time scanner, which the block (SIMD) scanner must match.
int RedactScalarForTest(PrivacyMode mode, std::string* text);

}  // namespace tracery::ingest::internal
