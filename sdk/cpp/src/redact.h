// Secret/PII masking used by the SDK's privacy filter (same rules as the server, see redact.cc).
#pragma once

#include <string>

namespace tracery_sdk {
namespace internal {

// Masks secrets (always) and, when mask_pii, PII inside *text; returns the replacement count.
// Replacements are "[REDACTED:<kind>]".
int Redact(bool mask_pii, std::string* text);

}  // namespace internal
}  // namespace tracery_sdk
