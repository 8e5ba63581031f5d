// Internal to triage-loop: a small HTTP(S) JSON client over cpp-httplib for the tracker clients
// and the remote embedding endpoint. Base URLs may carry a path prefix (GitHub Enterprise
// `/api/v3`, Jira data center `/jira`). Never throws.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "core/status.h"
#include "triage/tracker.h"

namespace tracery::triage::internal {

struct HttpResponse {
  int status = 0;
  std::string body;
  std::multimap<std::string, std::string> headers;  // names lower-cased
  std::string Header(const std::string& lower_name) const;
};

class HttpApi {
 public:
  // base_url: scheme://host[:port][/prefix]. kInvalidArgument naming the URL when malformed.
  static Result<std::unique_ptr<HttpApi>> Make(const std::string& base_url, int timeout_ms);
  ~HttpApi();

  void SetHeader(const std::string& name, const std::string& value) { headers_[name] = value; }
  // `target` is a path (prefix prepended) or an absolute URL on the same origin (used as is).
  // Transport failures are kUnavailable; HTTP errors are returned as responses.
  Result<HttpResponse> Send(const std::string& method, const std::string& target,
                            const std::string& body = "", const std::string& content_type = "application/json");
  const std::string& origin() const { return origin_; }
  const std::string& prefix() const { return prefix_; }

 private:
  HttpApi() = default;
  std::string origin_;  // scheme://host:port
  std::string prefix_;  // "" or "/path"
  int timeout_ms_ = 10000;
  std::map<std::string, std::string> headers_;
};

// Maps a non-2xx response to a Status: 401 → kUnauthenticated, 403/429 with rate limiting →
// kResourceExhausted (with the reset time when given), 403 → kPermissionDenied, 404 → kNotFound,
// 400/409/422 → kInvalidArgument, 5xx → kUnavailable. `what` prefixes the message ("github: POST …").
Status HttpError(const std::string& what, const HttpResponse& response);

// Send with retries on transport errors and 5xx, for idempotent requests only (a retried POST
// could create a second issue).
Result<HttpResponse> SendIdempotent(HttpApi& api, const std::string& method, const std::string& target,
                                    const std::string& body, const TrackerConfig& config);

std::string UrlEncode(const std::string& s);
std::string Base64(const std::string& s);

Result<std::unique_ptr<Tracker>> MakeGithubTracker(const TrackerConfig& config);
Result<std::unique_ptr<Tracker>> MakeJiraTracker(const TrackerConfig& config);
Result<std::unique_ptr<Tracker>> MakeLinearTracker(const TrackerConfig& config);

}  // namespace tracery::triage::internal
