// Privacy policy applied at ingest, before anything is stored.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <optional>

namespace tracery::ingest {

enum class PrivacyMode {
  kFull,          // keep content; secrets (API keys, bearer tokens, passwords in URLs...) always masked
  kMask,          // also mask PII: emails, phone numbers, card numbers, SSNs, account numbers (IBAN)
  kMetadataOnly,  // drop all content (prompts, completions, tool args/results, documents)
};

std::string_view ToString(PrivacyMode m);
std::optional<PrivacyMode> ParsePrivacyMode(std::string_view s);  // "full" | "mask" | "metadata-only"

struct PrivacyPolicy {
  PrivacyMode default_mode = PrivacyMode::kFull;
  // Overrides by service.name and by agent name (agent wins over service).
  std::map<std::string, PrivacyMode, std::less<>> by_service;
  std::map<std::string, PrivacyMode, std::less<>> by_agent;

  PrivacyMode ModeFor(std::string_view service, std::string_view agent) const;
};

// Masks secrets (always) and, in kMask mode, PII inside `text`, in place. Returns the number of
// replacements. Replacements are "[REDACTED:<kind>]" (kind: api_key, bearer_token, password,
// private_key, jwt, email, phone, card, ssn, iban, account).
int Redact(PrivacyMode mode, std::string* text);

// True when Redact(mode, &copy) would replace anything in `text`; allocates nothing on the
// common no-match path.
bool NeedsRedaction(PrivacyMode mode, std::string_view text);

}  // namespace tracery::ingest
