// Validates raw JSON and decides whether redaction would change it, without building an
// nlohmann DOM. Internal to ingest; not a stable API.
#pragma once

#include <string_view>

#include "ingest/privacy.h"

namespace tracery::ingest::internal {

enum class JsonCheck {
  kClean,           // valid JSON (and UTF-8); RedactJson would change nothing: use the bytes as is
  kNeedsRedaction,  // valid, but some string value would be masked
  kUnknown,         // simdjson rejected it (invalid JSON, or e.g. a number it cannot represent):
                    // the caller must take the exact (nlohmann) path
};

// Mirrors the normalizer's RedactJson: every string value is scanned with `mode`, and a string
// value under a secret-looking key (IsSecretKey) is always masked.
JsonCheck CheckJson(std::string_view json, PrivacyMode mode);

// True when simdjson accepts `json` (valid JSON and UTF-8). False is not proof of invalidity
// (e.g. numbers simdjson cannot represent): confirm with ParseJson when it matters.
bool IsValidJson(std::string_view json);

// Key names whose string values are masked whole (password, secret, authorization, api keys);
// `kind` receives the redaction kind. Case-insensitive substring match.
bool IsSecretKey(std::string_view key, std::string_view* kind);

}  // namespace tracery::ingest::internal
