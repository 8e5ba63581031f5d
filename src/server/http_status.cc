#include "server/http_status.h"

#include <nlohmann/json.hpp>

namespace tracery::server {

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kUnauthenticated: return 401;
    case StatusCode::kPermissionDenied: return 403;
    case StatusCode::kResourceExhausted: return 429;
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kDeadlineExceeded: return 503;  // a read stopped at store.query_timeout_ms
    default: return 500;
  }
}

int GrpcCodeFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 0;
    case StatusCode::kInvalidArgument: return 3;
    case StatusCode::kDeadlineExceeded: return 4;
    case StatusCode::kNotFound: return 5;
    case StatusCode::kAlreadyExists: return 6;
    case StatusCode::kPermissionDenied: return 7;
    case StatusCode::kResourceExhausted: return 8;
    case StatusCode::kFailedPrecondition: return 9;
    case StatusCode::kOutOfRange: return 11;
    case StatusCode::kUnimplemented: return 12;
    case StatusCode::kInternal: return 13;
    case StatusCode::kUnavailable: return 14;
    case StatusCode::kDataLoss: return 15;
    case StatusCode::kUnauthenticated: return 16;
  }
  return 2;  // UNKNOWN
}

std::string ApiErrorJson(const Status& status) {
  nlohmann::json j;
  j["error"]["code"] = std::string(StatusCodeName(status.code()));
  j["error"]["message"] = status.message();
  // Replace invalid UTF-8 (messages may quote client input) instead of throwing.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool IsRetryable(StatusCode code) {
  return code == StatusCode::kResourceExhausted || code == StatusCode::kUnavailable;
}

}  // namespace tracery::server
