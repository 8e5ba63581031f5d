#include "triage/tracker_http.h"

#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <thread>

namespace tracery::triage::internal {
namespace {

constexpr size_t kMaxResponseBytes = 16u << 20;  // a tracker page is far smaller; hostile peers are cut off

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string HttpResponse::Header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? "" : it->second;
}

HttpApi::~HttpApi() = default;

Result<std::unique_ptr<HttpApi>> HttpApi::Make(const std::string& base_url, int timeout_ms) {
  std::string url = base_url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return InvalidArgumentError("base url '" + base_url + "' has no scheme (http:// or https://)");
  std::string scheme = Lower(url.substr(0, scheme_end));
  if (scheme != "http" && scheme != "https") return InvalidArgumentError("base url '" + base_url + "' must be http:// or https://");
  size_t host_start = scheme_end + 3;
  size_t path_start = url.find('/', host_start);
  std::string host = url.substr(host_start, path_start == std::string::npos ? std::string::npos : path_start - host_start);
  if (host.empty() || host.find_first_of("?#@ ") != std::string::npos) return InvalidArgumentError("base url '" + base_url + "' has no valid host");
  auto api = std::unique_ptr<HttpApi>(new HttpApi());
  api->origin_ = scheme + "://" + host;
  api->prefix_ = path_start == std::string::npos ? "" : url.substr(path_start);
  if (api->prefix_.find_first_of("?#") != std::string::npos) return InvalidArgumentError("base url '" + base_url + "' must not carry a query");
  api->timeout_ms_ = timeout_ms > 0 ? timeout_ms : 10000;
  return api;
}

Result<HttpResponse> HttpApi::Send(const std::string& method, const std::string& target, const std::string& body,
                                   const std::string& content_type) {
  std::string path;
  if (target.rfind("http://", 0) == 0 || target.rfind("https://", 0) == 0) {
    // Pagination links are absolute; only follow them on our own origin (never leak the token).
    size_t host_start = target.find("://") + 3;
    size_t path_start = target.find('/', host_start);
    std::string origin = Lower(target.substr(0, path_start));
    if (origin != Lower(origin_)) return InvalidArgumentError("refusing to follow a link to another origin: " + origin);
    path = path_start == std::string::npos ? "/" : target.substr(path_start);
  } else {
    path = prefix_ + target;
  }
  httplib::Client client(origin_);
  if (!client.is_valid()) return InvalidArgumentError("cannot make an http client for " + origin_);
  time_t sec = timeout_ms_ / 1000;
  time_t usec = (timeout_ms_ % 1000) * 1000;
  client.set_connection_timeout(sec, usec);
  client.set_read_timeout(sec, usec);
  client.set_write_timeout(sec, usec);
  client.set_follow_location(false);
  httplib::Request req;
  req.method = method;
  req.path = path;
  for (const auto& [k, v] : headers_) req.headers.emplace(k, v);
  if (!body.empty() || method == "POST" || method == "PATCH" || method == "PUT") {
    req.body = body;
    req.headers.emplace("Content-Type", content_type);
  }
  std::string received;
  bool too_big = false;
  req.content_receiver = [&](const char* data, size_t len, uint64_t, uint64_t) {
    if (received.size() + len > kMaxResponseBytes) {
      too_big = true;
      return false;
    }
    received.append(data, len);
    return true;
  };
  httplib::Response res;
  httplib::Error error = httplib::Error::Success;
  bool ok = false;
  try {
    ok = client.send(req, res, error);
  } catch (const std::exception& e) {
    return UnavailableError(method + " " + origin_ + path + ": " + e.what());
  }
  if (too_big) return ResourceExhaustedError(method + " " + origin_ + path + ": response larger than 16 MiB");
  if (!ok) return UnavailableError(method + " " + origin_ + path + ": " + httplib::to_string(error));
  HttpResponse out;
  out.status = res.status;
  out.body = received.empty() ? res.body : std::move(received);
  for (const auto& [k, v] : res.headers) out.headers.emplace(Lower(k), v);
  return out;
}

Status HttpError(const std::string& what, const HttpResponse& r) {
  std::string snippet = r.body.substr(0, 300);
  std::string msg = what + ": http " + std::to_string(r.status) + (snippet.empty() ? "" : ": " + snippet);
  bool rate_limited = r.status == 429 || (r.status == 403 && (r.Header("x-ratelimit-remaining") == "0" ||
                                                              !r.Header("retry-after").empty() ||
                                                              snippet.find("rate limit") != std::string::npos));
  if (rate_limited) {
    std::string reset = r.Header("x-ratelimit-reset");
    std::string retry = r.Header("retry-after");
    if (!retry.empty()) msg += " (retry after " + retry + " s)";
    else if (!reset.empty()) msg += " (rate limit resets at unix time " + reset + ")";
    return ResourceExhaustedError("rate limited: " + msg);
  }
  if (r.status == 401) return UnauthenticatedError(msg);
  if (r.status == 403) return PermissionDeniedError(msg);
  if (r.status == 404) return NotFoundError(msg);
  if (r.status >= 500) return UnavailableError(msg);
  return InvalidArgumentError(msg);
}

Result<HttpResponse> SendIdempotent(HttpApi& api, const std::string& method, const std::string& target,
                                    const std::string& body, const TrackerConfig& config) {
  int backoff = std::max(0, config.retry_backoff_ms);
  for (int attempt = 0;; ++attempt) {
    auto r = api.Send(method, target, body);
    bool transient = !r.ok() ? r.status().code() == StatusCode::kUnavailable : r->status >= 500;
    if (!transient || attempt >= config.max_retries) return r;
    std::this_thread::sleep_for(std::chrono::milliseconds(backoff));
    backoff *= 2;
  }
}

std::string UrlEncode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string Base64(const std::string& s) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < s.size(); i += 3) {
    uint32_t v = (static_cast<uint8_t>(s[i]) << 16) | (static_cast<uint8_t>(s[i + 1]) << 8) | static_cast<uint8_t>(s[i + 2]);
    for (int k = 3; k >= 0; --k) out += kAlphabet[(v >> (6 * k)) & 63];
  }
  if (i + 1 == s.size()) {
    uint32_t v = static_cast<uint8_t>(s[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == s.size()) {
    uint32_t v = (static_cast<uint8_t>(s[i]) << 16) | (static_cast<uint8_t>(s[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

}  // namespace tracery::triage::internal
