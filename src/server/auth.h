// API-key authentication and the bind-address safety rule.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "server/server.h"

namespace tracery::server {

enum class Scope { kIngest, kRead };

// Credentials as received; empty when the header was absent.
struct Credentials {
  std::string_view authorization;  // "Bearer KEY" or "Basic base64(user:pass)"
  std::string_view x_api_key;
};

class Authenticator {
 public:
  explicit Authenticator(std::vector<ApiKey> keys) : keys_(std::move(keys)) {}

  // False when no keys are configured: every request is allowed.
  bool enabled() const { return !keys_.empty(); }

  // OK when a presented key matches a configured key that has `scope`. A key is accepted from
  // `Authorization: Bearer KEY`, `x-api-key: KEY`, or Basic auth whose password (or the whole
  // `user:pass`) equals KEY — Langfuse SDKs send Basic pk:sk, so the secret key is the API key.
  // kUnauthenticated without a key or with an unknown key; kPermissionDenied when the key
  // lacks the scope.
  Status Check(const Credentials& creds, Scope scope) const;

 private:
  // The configured key equal to `candidate`, or nullptr. Constant time per configured key.
  const ApiKey* Find(std::string_view candidate) const;

  std::vector<ApiKey> keys_;
};

// Standard base64 (padding optional). nullopt-like: returns false on invalid input.
bool Base64Decode(std::string_view in, std::string* out);

// Splits "host:port" / "[v6]:port". kInvalidArgument naming `what` and the value on error.
Status ParseHostPort(std::string_view address, std::string_view what, std::string* host, int* port);

// True for 127.0.0.0/8, ::1 and "localhost".
bool IsLoopbackHost(std::string_view host);

}  // namespace tracery::server
