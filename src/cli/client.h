// A small HTTP client for a running tracery server (remote mode of the CLI).
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "query/query_service.h"

namespace tracery::cli {

// "http://host:port[/prefix]" split into what httplib needs.
struct ServerUrl {
  std::string scheme_host_port;  // "http://host:port"
  std::string base_path;         // "" or "/prefix" (no trailing slash)
};
// kInvalidArgument naming the URL when it is not http(s)://HOST[:PORT][/PATH].
Result<ServerUrl> ParseServerUrl(const std::string& url);

struct HttpReply {
  int status = 0;
  std::string body;
  std::string content_type;
  std::string retry_after;
};

class ApiClient {
 public:
  // `api_key` is sent as "Authorization: Bearer KEY" when non-empty.
  static Result<std::unique_ptr<ApiClient>> Create(const std::string& url, const std::string& api_key);
  ~ApiClient();

  // GET base_path + path with the query parameters. Non-2xx replies become a Status carrying the
  // server's error message: 400 -> kInvalidArgument, 404 -> kNotFound, 401 -> kUnauthenticated,
  // 403 -> kPermissionDenied, 429 -> kResourceExhausted, others -> kUnavailable / kInternal.
  Result<std::string> GetJson(const std::string& path, const query::Params& params);
  // POST; returns the reply whatever its status (kUnavailable when the server cannot be reached).
  Result<HttpReply> Post(const std::string& path, const std::string& body, const std::string& content_type);

  const std::string& url() const { return url_; }

 private:
  struct Impl;
  ApiClient(std::unique_ptr<Impl> impl, std::string url);
  std::unique_ptr<Impl> impl_;
  std::string url_;
};

// Status for a non-2xx reply (the server's {"error": {"code","message"}} or google.rpc.Status
// JSON message when present).
Status StatusFromReply(const HttpReply& reply);

}  // namespace tracery::cli
