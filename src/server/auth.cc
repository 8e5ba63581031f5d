#include "server/auth.h"

#include <charconv>
#include <cstdint>

namespace tracery::server {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Compares without an early exit on the first differing byte, so timing does not reveal how
// much of a guessed key was right.
bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  uint8_t diff = a.size() == b.size() ? 0 : 1;
  size_t n = a.size() < b.size() ? a.size() : b.size();
  for (size_t i = 0; i < n; ++i) diff |= static_cast<uint8_t>(a[i] ^ b[i]);
  return diff == 0;
}

const char* ScopeName(Scope s) { return s == Scope::kIngest ? "ingest" : "read"; }

}  // namespace

const ApiKey* Authenticator::Find(std::string_view candidate) const {
  const ApiKey* found = nullptr;
  for (const ApiKey& k : keys_) {
    if (ConstantTimeEquals(k.key, candidate) && found == nullptr) found = &k;
  }
  return found;
}

Status Authenticator::Check(const Credentials& creds, Scope scope) const {
  if (!enabled()) return OkStatus();
  std::vector<std::string> candidates;
  if (!creds.x_api_key.empty()) candidates.emplace_back(Trim(creds.x_api_key));
  std::string_view auth = Trim(creds.authorization);
  if (!auth.empty()) {
    size_t sp = auth.find(' ');
    std::string_view scheme = auth.substr(0, sp);
    std::string_view value = sp == std::string_view::npos ? std::string_view() : Trim(auth.substr(sp + 1));
    if (EqualsIgnoreCase(scheme, "bearer")) {
      candidates.emplace_back(value);
    } else if (EqualsIgnoreCase(scheme, "basic")) {
      std::string decoded;
      if (!Base64Decode(value, &decoded)) {
        return UnauthenticatedError("invalid basic credentials in authorization header");
      }
      size_t colon = decoded.find(':');
      if (colon != std::string::npos) candidates.push_back(decoded.substr(colon + 1));
      candidates.push_back(std::move(decoded));
    } else {
      return UnauthenticatedError("unsupported authorization scheme \"" + std::string(scheme) +
                                  "\", use Bearer or Basic");
    }
  }
  if (candidates.empty()) {
    return UnauthenticatedError("missing api key: send authorization: Bearer KEY or x-api-key");
  }
  for (const std::string& c : candidates) {
    if (c.empty()) continue;
    const ApiKey* key = Find(c);
    if (key == nullptr) continue;
    bool allowed = scope == Scope::kIngest ? key->ingest : key->read;
    if (!allowed) {
      return PermissionDeniedError(std::string("api key lacks the \"") + ScopeName(scope) + "\" scope");
    }
    return OkStatus();
  }
  return UnauthenticatedError("invalid api key");
}

bool Base64Decode(std::string_view in, std::string* out) {
  out->clear();
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '+' || c == '-') v = 62;
    else if (c == '/' || c == '_') v = 63;
    else return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  // A single leftover sextet cannot encode a byte.
  return bits < 6;
}

Status ParseHostPort(std::string_view address, std::string_view what, std::string* host, int* port) {
  auto bad = [&](std::string_view why) {
    return InvalidArgumentError(std::string(what) + " \"" + std::string(address) + "\": " + std::string(why));
  };
  std::string_view h, p;
  if (!address.empty() && address.front() == '[') {
    size_t close = address.find(']');
    if (close == std::string_view::npos) return bad("missing ']' after ipv6 host");
    h = address.substr(1, close - 1);
    if (close + 1 >= address.size() || address[close + 1] != ':') return bad("expected HOST:PORT");
    p = address.substr(close + 2);
  } else {
    size_t colon = address.rfind(':');
    if (colon == std::string_view::npos) return bad("expected HOST:PORT");
    h = address.substr(0, colon);
    p = address.substr(colon + 1);
    if (h.find(':') != std::string_view::npos) return bad("ipv6 hosts must be written [HOST]:PORT");
  }
  if (h.empty()) return bad("empty host");
  int value = -1;
  auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
  if (p.empty() || ec != std::errc() || ptr != p.data() + p.size() || value < 0 || value > 65535) {
    return bad("port must be a number in 0..65535");
  }
  *host = std::string(h);
  *port = value;
  return OkStatus();
}

bool IsLoopbackHost(std::string_view host) {
  if (EqualsIgnoreCase(host, "localhost") || host == "::1") return true;
  // 127.0.0.0/8 in dotted-quad form.
  if (host.substr(0, 4) != "127.") return false;
  int dots = 0;
  for (char c : host) {
    if (c == '.') ++dots;
    else if (c < '0' || c > '9') return false;
  }
  return dots == 3;
}

}  // namespace tracery::server
