"""Client-side privacy filter. Mode names match the server's (docs/privacy.md).

full: secrets (API keys, bearer tokens, passwords, JWTs, private keys) masked in string values.
mask: also PII (emails, phone numbers, Luhn-valid card numbers, SSNs).
metadata-only: like mask, and content attributes are dropped before export.
The server applies its own policy again; this filter keeps secrets from ever leaving the process.
"""
import re

MODES = ("full", "mask", "metadata-only")

# Attributes that carry prompt/response/tool payloads (see docs/conventions.md "Content").
CONTENT_KEYS = frozenset({
    "gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.system_instructions",
    "gen_ai.tool.call.arguments", "gen_ai.tool.call.result", "gen_ai.retrieval.documents",
    "gen_ai.retrieval.query.text", "gen_ai.tool.definitions", "gen_ai.prompt", "gen_ai.completion",
    "input.value", "output.value", "input.mime_type", "output.mime_type",
})

_SECRET_RULES = [
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)", re.S),
     lambda m: "[REDACTED:private_key]"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), lambda m: "[REDACTED:jwt]"),
    (re.compile(r"\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{20,}"), lambda m: "[REDACTED:api_key]"),
    (re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), lambda m: "[REDACTED:api_key]"),
    (re.compile(r"\b(?:ghp_|gho_|ghu_|ghs_|ghr_|github_pat_)[A-Za-z0-9_]{20,}"), lambda m: "[REDACTED:api_key]"),
    (re.compile(r"\bxox[bpars]-[A-Za-z0-9-]{10,}"), lambda m: "[REDACTED:api_key]"),
    (re.compile(r"\bAIza[0-9A-Za-z_-]{30,}"), lambda m: "[REDACTED:api_key]"),
    (re.compile(r"(?i)\b(api[_-]?key\s*[=:]\s*[\"']?)([^\s\"',;&]{6,})"),
     lambda m: m.group(1) + "[REDACTED:api_key]"),
    (re.compile(r"\b(Bearer\s+)([A-Za-z0-9._~+/=-]{16,}|(?=[A-Za-z0-9._~+/=-]*\d)[A-Za-z0-9._~+/=-]{8,})"),
     lambda m: m.group(1) + "[REDACTED:bearer_token]"),
    (re.compile(r"(?i)(\b(?:password|passwd|pwd|client_secret|secret)\"?\s*[=:]\s*\"?)([^\s\"',;&]+)"),
     lambda m: m.group(1) + "[REDACTED:password]"),
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://[^\s:/@]+:)([^\s@/]+)(@)"),
     lambda m: m.group(1) + "[REDACTED:password]" + m.group(3)),
]

_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
_SSN = re.compile(r"\b\d{3}-\d{2}-\d{4}\b")
_CARD = re.compile(r"\b\d(?:[ -]?\d){12,18}\b")
_PHONE = re.compile(r"(?:\+\d(?:[ .-]?\d){7,14}\b)|(?:\b1-\d{3}-\d{3}-\d{4}\b)|(?:\(\d{3}\) ?\d{3}-\d{4}\b)"
                    r"|(?:\b\d{3}[-.]\d{3}[-.]\d{4}\b)")


def _luhn_ok(digits):
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _mask_card(m):
    digits = re.sub(r"[ -]", "", m.group(0))
    return "[REDACTED:card]" if _luhn_ok(digits) else m.group(0)


def validate_mode(mode):
    if mode not in MODES:
        raise ValueError("privacy: unknown mode %r (expected one of %s)" % (mode, ", ".join(MODES)))
    return mode


def redact(text, mode):
    """Returns text with secrets (and, in mask/metadata-only, PII) replaced by [REDACTED:<kind>]."""
    if not text:
        return text
    for pattern, repl in _SECRET_RULES:
        text = pattern.sub(repl, text)
    if mode != "full":
        text = _EMAIL.sub("[REDACTED:email]", text)
        text = _SSN.sub("[REDACTED:ssn]", text)
        text = _CARD.sub(_mask_card, text)
        text = _PHONE.sub("[REDACTED:phone]", text)
    return text


def filter_attributes(attrs, mode):
    """Applies the mode to a {key: value} dict in place-free fashion; returns a new dict."""
    out = {}
    for key, value in attrs.items():
        if mode == "metadata-only" and key in CONTENT_KEYS:
            continue
        out[key] = _filter_value(value, mode)
    return out


def _filter_value(value, mode):
    if isinstance(value, str):
        return redact(value, mode)
    if isinstance(value, (list, tuple)):
        return [_filter_value(v, mode) for v in value]
    return value
