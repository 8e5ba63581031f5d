// The one place where a Status becomes an HTTP status, a gRPC code, or an API error body.
#pragma once

#include <string>

#include "core/status.h"

namespace tracery::server {

// kInvalidArgument 400, kNotFound 404, kUnauthenticated 401, kPermissionDenied 403,
// kResourceExhausted 429, kUnavailable 503, anything else 500.
int HttpStatusFor(StatusCode code);

// Canonical gRPC code number (as used by grpc::StatusCode and google.rpc.Status.code).
int GrpcCodeFor(StatusCode code);

// {"error": {"code": "INVALID_ARGUMENT", "message": "..."}}
std::string ApiErrorJson(const Status& status);

// True for statuses a client should retry after a delay (answered with Retry-After).
bool IsRetryable(StatusCode code);

}  // namespace tracery::server
