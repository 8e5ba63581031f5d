#include "cli/client.h"

#include <fmt/core.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

namespace tracery::cli {

struct ApiClient::Impl {
  explicit Impl(const std::string& scheme_host_port) : client(scheme_host_port) {}
  httplib::Client client;
  std::string base_path;
  httplib::Headers headers;
};

Result<ServerUrl> ParseServerUrl(const std::string& url) {
  auto bad = [&](std::string_view why) {
    return InvalidArgumentError(fmt::format("invalid server URL \"{}\": {}", url, why));
  };
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return bad("expected http://HOST:PORT");
  std::string scheme = url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") return bad("the scheme must be http or https");
  size_t host_start = scheme_end + 3;
  size_t path_start = url.find('/', host_start);
  std::string host_port = url.substr(host_start, path_start == std::string::npos ? std::string::npos
                                                                                  : path_start - host_start);
  if (host_port.empty()) return bad("missing host");
  if (host_port.find_first_of("?#@ ") != std::string::npos) return bad("unexpected character in host");
  ServerUrl out;
  out.scheme_host_port = scheme + "://" + host_port;
  if (path_start != std::string::npos) {
    out.base_path = url.substr(path_start);
    if (out.base_path.find_first_of("?#") != std::string::npos) return bad("query strings are not allowed");
    while (!out.base_path.empty() && out.base_path.back() == '/') out.base_path.pop_back();
  }
  return out;
}

Status StatusFromReply(const HttpReply& reply) {
  std::string message;
  auto json = nlohmann::json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
  if (json.is_object()) {
    if (json.contains("error") && json["error"].is_object() && json["error"].contains("message") &&
        json["error"]["message"].is_string()) {
      message = json["error"]["message"].get<std::string>();
    } else if (json.contains("message") && json["message"].is_string()) {
      message = json["message"].get<std::string>();
    }
  }
  if (message.empty()) {
    message = reply.body.size() <= 200 && reply.content_type.find("text") != std::string::npos
                  ? reply.body
                  : fmt::format("HTTP {}", reply.status);
  } else {
    message = fmt::format("{} (HTTP {})", message, reply.status);
  }
  switch (reply.status) {
    case 400: return InvalidArgumentError(message);
    case 401: return UnauthenticatedError(message);
    case 403: return PermissionDeniedError(message);
    case 404: return NotFoundError(message);
    case 413: return ResourceExhaustedError(message);
    case 429: return ResourceExhaustedError(message);
    case 503: return UnavailableError(message);
    default: return InternalError(message);
  }
}

ApiClient::ApiClient(std::unique_ptr<Impl> impl, std::string url) : impl_(std::move(impl)), url_(std::move(url)) {}
ApiClient::~ApiClient() = default;

Result<std::unique_ptr<ApiClient>> ApiClient::Create(const std::string& url, const std::string& api_key) {
  TRACERY_ASSIGN_OR_RETURN(ServerUrl parsed, ParseServerUrl(url));
  auto impl = std::make_unique<Impl>(parsed.scheme_host_port);
  if (!impl->client.is_valid()) return InvalidArgumentError(fmt::format("invalid server URL \"{}\"", url));
  impl->base_path = parsed.base_path;
  impl->client.set_connection_timeout(5);
  impl->client.set_read_timeout(60);
  impl->client.set_write_timeout(60);
  if (!api_key.empty()) impl->headers.emplace("Authorization", "Bearer " + api_key);
  return std::unique_ptr<ApiClient>(new ApiClient(std::move(impl), url));
}

Result<std::string> ApiClient::GetJson(const std::string& path, const query::Params& params) {
  httplib::Params p(params.begin(), params.end());
  auto res = impl_->client.Get(impl_->base_path + path, p, impl_->headers);
  if (!res) {
    return UnavailableError(fmt::format("cannot reach {}: {}", url_, httplib::to_string(res.error())));
  }
  if (res->status < 200 || res->status >= 300) {
    HttpReply reply{res->status, res->body, res->get_header_value("Content-Type"), ""};
    return StatusFromReply(reply);
  }
  return std::move(res->body);
}

Result<HttpReply> ApiClient::Post(const std::string& path, const std::string& body, const std::string& content_type) {
  auto res = impl_->client.Post(impl_->base_path + path, impl_->headers, body, content_type);
  if (!res) {
    return UnavailableError(fmt::format("cannot reach {}: {}", url_, httplib::to_string(res.error())));
  }
  HttpReply reply;
  reply.status = res->status;
  reply.body = std::move(res->body);
  reply.content_type = res->get_header_value("Content-Type");
  reply.retry_after = res->get_header_value("Retry-After");
  return reply;
}

}  // namespace tracery::cli
