#include "server/server.h"

#include <httplib.h>
#include <signal.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/compression.h"
#include "core/log.h"
#include "ingest/otlp_decode.h"
#include "query/annotations_api.h"
#include "query/query_service.h"
#include "server/auth.h"
#include "server/grpc_service.h"
#include "server/http_status.h"
#include "server/ingest_pipeline.h"
#include "server/live_hub.h"
#include "server/server_internal.h"
#include "server/ui_assets.h"

namespace tracery::server {
namespace {

using httplib::ContentReader;
using httplib::Request;
using httplib::Response;

constexpr const char* kOtlpTracesPath = "/v1/traces";
constexpr const char* kOtlpLogsPath = "/v1/logs";
constexpr const char* kLangfuseTracesPath = "/api/public/otel/v1/traces";
// Where the pre-routing handler moves Content-Encoding, so that httplib never inflates a body
// on its own (it would do so without any size cap: a gzip bomb would exhaust memory).
constexpr const char* kSavedEncodingHeader = "X-Tracery-Content-Encoding";
// Bodies we refuse are read and discarded up to this size to keep the connection usable, so
// the client gets to read our answer; larger ones close the connection instead.
constexpr size_t kDrainLimit = 4 << 20;

bool IsOtlpPath(const std::string& path) {
  return path == kOtlpTracesPath || path == kOtlpLogsPath || path == kLangfuseTracesPath;
}

bool HasBody(const Request& req) {
  if (req.has_header("Transfer-Encoding")) return true;
  return req.get_header_value<uint64_t>("Content-Length") > 0;
}

std::string JoinHeaderValues(const Request& req, const char* name) {
  std::string out;
  size_t n = req.get_header_value_count(name);
  for (size_t i = 0; i < n; ++i) {
    if (i) out += ",";
    out += req.get_header_value(name, i);
  }
  return out;
}

std::string HostPort(const std::string& host, int port) {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::vector<std::string> SplitParam(const Request& req, const char* key) {
  std::vector<std::string> out;
  size_t n = req.get_param_value_count(key);
  for (size_t i = 0; i < n; ++i) {
    std::string v = req.get_param_value(key, i);
    size_t start = 0;
    while (start <= v.size()) {
      size_t comma = v.find(',', start);
      if (comma == std::string::npos) comma = v.size();
      if (comma > start) out.push_back(v.substr(start, comma - start));
      start = comma + 1;
    }
  }
  return out;
}

// SSE "data:" lines cannot contain newlines; a multi-line payload becomes several data lines.
std::string SseEvent(std::string_view event, std::string_view data) {
  std::string out = "event: ";
  out += event;
  out += "\n";
  size_t start = 0;
  while (true) {
    size_t nl = data.find('\n', start);
    out += "data: ";
    out += data.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    out += "\n";
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  out += "\n";
  return out;
}

// Same rule as httplib's own response compression (a "gzip" token, q-values not weighed).
bool AcceptsGzip(const Request& req) {
  std::string accept = JoinHeaderValues(req, "Accept-Encoding");
  for (char& c : accept) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return accept.find("gzip") != std::string::npos;
}

// Response compression is ours, never httplib's. httplib 0.11 answers any client that offers
// "br" (every browser) with brotli at quality 11: 330 ms for a 290 KB run window and 4.5 s for
// the 5.3 MB outline of a 100,000-step run. We gzip compressible bodies of 1 KiB and more when
// the client takes gzip, at level 6 up to 1 MiB and level 1 beyond (about 30 ms for 5 MB, 8%
// larger than level 6), and hand the body to httplib as a sized content provider, which it
// sends as is. docs/decisions/0006-response-compression.md.
constexpr size_t kCompressMinBytes = 1024;
constexpr size_t kCompressFastAbove = size_t{1} << 20;

bool CompressibleType(std::string_view type) {
  return type.rfind("application/json", 0) == 0 || type.rfind("text/", 0) == 0 ||
         type.rfind("application/javascript", 0) == 0 || type.rfind("image/svg+xml", 0) == 0;
}

void FinishBody(const Request& req, Response& res) {
  if (res.body.empty() || res.content_provider_ || res.has_header("Content-Encoding")) return;
  std::string type = res.get_header_value("Content-Type");
  auto body = std::make_shared<std::string>(std::move(res.body));
  res.body.clear();
  res.headers.erase("Content-Type");
  if (body->size() >= kCompressMinBytes && CompressibleType(type)) {
    res.set_header("Vary", "Accept-Encoding");
    if (AcceptsGzip(req)) {
      *body = GzipCompress(*body, body->size() > kCompressFastAbove ? 1 : 6);
      res.set_header("Content-Encoding", "gzip");
    }
  }
  res.set_content_provider(body->size(), type, [body](size_t offset, size_t length, httplib::DataSink& sink) {
    return sink.write(body->data() + offset, std::min(length, body->size() - offset));
  });
}

// Embedded UI files: ETag revalidation (304), immutable caching for content-hashed assets, and
// the precompressed gzip body when the client takes it. The gzip body goes through a sized
// content provider because httplib would otherwise compress the text body a second time.
void ServeUiAsset(const UiAsset& asset, const Request& req, Response& res) {
  res.set_header("ETag", std::string(asset.etag));
  res.set_header("Cache-Control", asset.immutable ? "public, max-age=31536000, immutable" : "no-cache");
  res.set_header("X-Content-Type-Options", "nosniff");
  if (!asset.gzip.empty()) res.set_header("Vary", "Accept-Encoding");
  if (req.get_header_value("If-None-Match") == asset.etag) {
    res.status = 304;
    return;
  }
  res.status = 200;
  if (!asset.gzip.empty() && AcceptsGzip(req)) {
    res.set_header("Content-Encoding", "gzip");
    std::string_view body = asset.gzip;
    res.set_content_provider(body.size(), std::string(asset.content_type),
                             [body](size_t offset, size_t length, httplib::DataSink& sink) {
                               return sink.write(body.data() + offset, std::min(length, body.size() - offset));
                             });
    return;
  }
  res.set_content(asset.body.data(), asset.body.size(), std::string(asset.content_type));
}

class ServerImpl final : public Server {
 public:
  ServerImpl(const ServerOptions& options, const ingest::NormalizeOptions& normalize, store::Store* store,
             const ServerTuning& tuning, std::string http_host, int http_port_cfg, std::string grpc_host,
             int grpc_port_cfg)
      : options_(options),
        tuning_(tuning),
        store_(store),
        http_host_(std::move(http_host)),
        http_port_cfg_(http_port_cfg),
        grpc_host_(std::move(grpc_host)),
        grpc_port_cfg_(grpc_port_cfg),
        auth_(options.api_keys),
        pipeline_(normalize, store, options.max_inflight_requests, options.max_inflight_bytes),
        query_(store) {
    SetupHttp();
  }

  ~ServerImpl() override { Stop(); }

  Status Start() override {
    std::lock_guard<std::mutex> lock(lifecycle_mu_);
    if (started_) return FailedPreconditionError("server already started");
    if (stopped_) return FailedPreconditionError("server was stopped; create a new one");
    // Writes to a client that went away must fail with EPIPE, not kill the process.
    ::signal(SIGPIPE, SIG_IGN);
    LimitMallocArenas();
    int max_sse = tuning_.max_sse_clients >= 0 ? tuning_.max_sse_clients : std::max(1, options_.http_threads / 2);
    hub_ = LiveHub::Create(store_, tuning_.sse_queue_capacity, max_sse);

    const std::string http_addr = HostPort(http_host_, http_port_cfg_);
    if (http_port_cfg_ == 0) {
      http_port_ = http_.bind_to_any_port(http_host_);
    } else {
      http_port_ = http_.bind_to_port(http_host_, http_port_cfg_) ? http_port_cfg_ : -1;
    }
    if (http_port_ <= 0) {
      hub_->Shutdown();
      return UnavailableError("cannot listen for http on " + http_addr + " (address in use or not local?)");
    }
    http_thread_ = std::thread([this] {
      http_.listen_after_bind();
      http_exited_.store(true, std::memory_order_release);
    });
    // httplib's stop() is a no-op until the accept loop runs; wait for it so an early Stop()
    // cannot leave the loop blocked in accept() forever.
    while (!http_.is_running() && !http_exited_.load(std::memory_order_acquire)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }

    if (!grpc_host_.empty()) {
      int workers = tuning_.grpc_workers > 0 ? tuning_.grpc_workers
                                             : std::clamp(options_.max_inflight_requests, 1, 16);
      grpc_ = std::make_unique<GrpcIngestServer>(&pipeline_, &auth_, options_.max_request_bytes,
                                                 options_.retry_after_s, workers);
      Status st = grpc_->Start(grpc_host_, grpc_port_cfg_);
      if (!st.ok()) {
        grpc_.reset();
        http_.stop();
        http_thread_.join();
        hub_->Shutdown();
        return st;
      }
    }
    started_ = true;
    log::Info("tracery serving http={} grpc={}", HostPort(http_host_, http_port_),
              grpc_ ? HostPort(grpc_host_, grpc_->port()) : std::string("off"));
    return OkStatus();
  }

  int http_port() const override { return http_port_; }
  int grpc_port() const override { return grpc_ ? grpc_->port() : 0; }

  void Wait() override {
    std::unique_lock<std::mutex> lock(wait_mu_);
    wait_cv_.wait(lock, [&] { return done_; });
  }

  void Stop() override {
    std::lock_guard<std::mutex> lock(lifecycle_mu_);
    if (stopped_) return;
    stopped_ = true;
    stopping_.store(true, std::memory_order_release);
    if (started_) {
      hub_->Shutdown();  // ends every live stream, so HTTP workers become free
      if (grpc_) grpc_->Shutdown();
      http_.stop();
      if (http_thread_.joinable()) http_thread_.join();
      log::Info("tracery stopped");
    }
    {
      std::lock_guard<std::mutex> wl(wait_mu_);
      done_ = true;
    }
    wait_cv_.notify_all();
  }

 private:
  using Handler = std::function<void(const Request&, Response&)>;

  // Every handler runs inside this wrapper: an exception becomes a logged 500 JSON error.
  template <typename F>
  void Guarded(const char* route, Response& res, F&& fn) {
    try {
      fn();
    } catch (const std::exception& e) {
      log::Error("handler {} failed: {}", route, e.what());
      ReplyApiError(res, InternalError("internal error"));
    } catch (...) {
      log::Error("handler {} failed with an unknown exception", route);
      ReplyApiError(res, InternalError("internal error"));
    }
  }

  Handler Api(const char* route, std::function<void(const Request&, Response&)> fn) {
    return [this, route, fn = std::move(fn)](const Request& req, Response& res) {
      Guarded(route, res, [&] { fn(req, res); });
      FinishBody(req, res);
    };
  }

  void ReplyApiError(Response& res, const Status& st) {
    res.status = HttpStatusFor(st.code());
    if (IsRetryable(st.code())) res.set_header("Retry-After", std::to_string(options_.retry_after_s));
    if (st.code() == StatusCode::kUnauthenticated) {
      res.set_header("WWW-Authenticate", "Bearer realm=\"tracery\", Basic realm=\"tracery\"");
    }
    res.set_content(ApiErrorJson(st), "application/json");
  }

  void ReplyJson(Response& res, const Result<std::string>& doc) {
    if (doc.ok()) {
      res.status = 200;
      res.set_content(*doc, "application/json");
    } else {
      ReplyApiError(res, doc.status());
    }
  }

  // google.rpc.Status in the request's encoding (JSON when it is unknown).
  void ReplyOtlpError(Response& res, std::optional<Encoding> enc, int http_status, const Status& st) {
    res.status = http_status;
    int code = GrpcCodeFor(st.code());
    if (http_status == 429 || http_status == 503) {
      res.set_header("Retry-After", std::to_string(options_.retry_after_s));
    }
    if (http_status == 401) res.set_header("WWW-Authenticate", "Bearer realm=\"tracery\", Basic realm=\"tracery\"");
    if (enc == Encoding::kProto) {
      res.set_content(ingest::EncodeRpcStatusProto(code, st.message()), "application/x-protobuf");
    } else {
      res.set_content(ingest::EncodeRpcStatusJson(code, st.message()), "application/json");
    }
  }

  // For answers given without consuming the body: drain small bodies so the client can read
  // the answer on a clean connection, close the connection otherwise.
  void DrainOrClose(const Request& req, Response& res, const ContentReader& reader) {
    uint64_t len = req.get_header_value<uint64_t>("Content-Length");
    if (!req.has_header("Transfer-Encoding") && len > 0 && len <= kDrainLimit) {
      reader([](const char*, size_t) { return true; });
      return;
    }
    if (HasBody(req)) res.set_header("Connection", "close");
  }

  httplib::Server::HandlerResponse PreRoute(const Request& req, Response& res) {
    // httplib keeps the request in a mutable local; moving the header is well-defined.
    auto& mreq = const_cast<Request&>(req);
    mreq.headers.erase(kSavedEncodingHeader);
    if (mreq.has_header("Content-Encoding")) {
      std::string enc = JoinHeaderValues(req, "Content-Encoding");
      mreq.headers.erase("Content-Encoding");
      mreq.set_header(kSavedEncodingHeader, enc);
    }
    if (IsOtlpPath(req.path)) {
      if (req.method != "POST") {
        if (HasBody(req)) res.set_header("Connection", "close");
        res.set_header("Allow", "POST");
        ReplyOtlpError(res, std::nullopt, 405,
                       InvalidArgumentError("method not allowed, supported: [POST]"));
        return httplib::Server::HandlerResponse::Handled;
      }
      return httplib::Server::HandlerResponse::Unhandled;  // auth and the rest in HandleOtlp
    }
    // Triage write-back (POST /api/annotations[/classified], PUT /api/triage/state/{key}): the
    // write side's auth (ingest scope), then the handlers registered in SetupHttp.
    bool triage_write = (req.method == "POST" && (req.path == "/api/annotations" ||
                                                  req.path == "/api/annotations/classified")) ||
                        (req.method == "PUT" && req.path.rfind("/api/triage/state/", 0) == 0);
    if (triage_write) {
      Status st = auth_.Check(Credentials{req.get_header_value("Authorization"), req.get_header_value("x-api-key")},
                              Scope::kIngest);
      if (!st.ok()) {
        if (HasBody(req)) res.set_header("Connection", "close");
        ReplyApiError(res, st);
        return httplib::Server::HandlerResponse::Handled;
      }
      return httplib::Server::HandlerResponse::Unhandled;
    }
    if (req.path != "/healthz") {
      Status st = auth_.Check(Credentials{req.get_header_value("Authorization"), req.get_header_value("x-api-key")},
                              Scope::kRead);
      if (!st.ok()) {
        if (HasBody(req)) res.set_header("Connection", "close");
        ReplyApiError(res, st);
        return httplib::Server::HandlerResponse::Handled;
      }
    }
    if (req.method != "GET" && req.method != "HEAD") {
      if (HasBody(req)) res.set_header("Connection", "close");
      bool known = req.path == "/" || req.path == "/healthz" || req.path == "/readyz" ||
                   req.path.rfind("/api/", 0) == 0;
      if (known) {
        res.set_header("Allow", "GET, HEAD");
        res.status = 405;
        res.set_content(ApiErrorJson(InvalidArgumentError("method " + req.method + " not allowed on " + req.path +
                                                          ", supported: [GET, HEAD]")),
                        "application/json");
      } else {
        ReplyApiError(res, NotFoundError("no route for " + req.method + " " + req.path));
      }
      return httplib::Server::HandlerResponse::Handled;
    }
    if (HasBody(req)) {
      res.set_header("Connection", "close");
      ReplyApiError(res, InvalidArgumentError("unexpected request body on " + req.method + " " + req.path));
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  }

  void HandleOtlp(Signal signal, const Request& req, Response& res, const ContentReader& reader) {
    std::optional<Encoding> enc = ParseMediaType(req.get_header_value("Content-Type"));
    Status auth_st = auth_.Check(Credentials{req.get_header_value("Authorization"), req.get_header_value("x-api-key")},
                                 Scope::kIngest);
    if (!auth_st.ok()) {
      DrainOrClose(req, res, reader);
      ReplyOtlpError(res, enc, HttpStatusFor(auth_st.code()), auth_st);
      return;
    }
    if (!enc) {
      DrainOrClose(req, res, reader);
      ReplyOtlpError(res, std::nullopt, 415, InvalidArgumentError(std::string(kUnsupportedMediaType)));
      return;
    }
    std::string raw_encoding = req.get_header_value(kSavedEncodingHeader);
    std::optional<BodyEncoding> body_enc = ParseContentEncoding(raw_encoding);
    if (!body_enc) {
      DrainOrClose(req, res, reader);
      ReplyOtlpError(res, enc, 415,
                     InvalidArgumentError("unsupported content encoding \"" + raw_encoding +
                                          "\", supported: [gzip, deflate, identity]"));
      return;
    }
    const size_t max = options_.max_request_bytes;
    if (req.get_header_value<uint64_t>("Content-Length") > max) {
      res.set_header("Connection", "close");
      ReplyOtlpError(res, enc, 413,
                     ResourceExhaustedError("request body of " + req.get_header_value("Content-Length") +
                                            " bytes exceeds the limit of " + std::to_string(max) + " bytes"));
      return;
    }
    if (stopping_.load(std::memory_order_acquire)) {
      DrainOrClose(req, res, reader);
      ReplyOtlpError(res, enc, 503, UnavailableError("server is shutting down"));
      return;
    }
    InflightSlot slot = pipeline_.TryAcquire(req.get_header_value<uint64_t>("Content-Length"));
    if (!slot) {
      DrainOrClose(req, res, reader);
      ReplyOtlpError(res, enc, 503,
                     UnavailableError("too many concurrent ingest requests (" +
                                      std::to_string(options_.max_inflight_requests) + " requests or " +
                                      std::to_string(options_.max_inflight_bytes) + " bytes), retry later"));
      return;
    }
    // Raw (still compressed) bytes, capped as they arrive.
    std::string body;
    // One allocation of the announced size: growing by doubling would hold up to 2x, plus a
    // copy, per request.
    body.reserve(std::min<uint64_t>(req.get_header_value<uint64_t>("Content-Length"), max));
    bool too_large = false;
    bool over_budget = false;  // a body without Content-Length outgrew the in-flight byte budget
    bool read_ok = reader([&](const char* data, size_t n) {
      if (body.size() + n > max) {
        too_large = true;
        return false;
      }
      if (!slot.ReserveBytes(body.size() + n)) {
        over_budget = true;
        return false;
      }
      body.append(data, n);
      return true;
    });
    if (over_budget) {
      res.set_header("Connection", "close");
      ReplyOtlpError(res, enc, 503,
                     UnavailableError("too many request bytes in flight (limit " +
                                      std::to_string(options_.max_inflight_bytes) + "), retry later"));
      return;
    }
    if (too_large) {
      res.set_header("Connection", "close");
      ReplyOtlpError(res, enc, 413,
                     ResourceExhaustedError("request body exceeds the limit of " + std::to_string(max) + " bytes"));
      return;
    }
    if (!read_ok) {
      res.set_header("Connection", "close");
      ReplyOtlpError(res, enc, 400, InvalidArgumentError("could not read the request body (truncated or malformed)"));
      return;
    }
    if (*body_enc != BodyEncoding::kIdentity) {
      std::string inflated;
      Status st = GunzipCapped(body, max, &inflated);
      if (st.code() == StatusCode::kResourceExhausted) {
        ReplyOtlpError(res, enc, 413,
                       ResourceExhaustedError("decompressed request body exceeds the limit of " +
                                              std::to_string(max) + " bytes"));
        return;
      }
      if (!st.ok()) {
        ReplyOtlpError(res, enc, 400, InvalidArgumentError("invalid " + raw_encoding + " body: " + st.message()));
        return;
      }
      if (!slot.ReserveBytes(inflated.size())) {
        ReplyOtlpError(res, enc, 503,
                       UnavailableError("too many request bytes in flight (limit " +
                                        std::to_string(options_.max_inflight_bytes) + "), retry later"));
        return;
      }
      body = std::move(inflated);
    }
    Result<ExportOutcome> outcome = pipeline_.Export(signal, *enc, std::move(body));
    if (!outcome.ok()) {
      const Status& st = outcome.status();
      if (st.code() != StatusCode::kInvalidArgument) log::Warn("ingest failed: {}", st.ToString());
      ReplyOtlpError(res, enc, HttpStatusFor(st.code()), st);
      return;
    }
    res.status = 200;
    if (*enc == Encoding::kProto) {
      res.set_content(ingest::EncodeExportResponseProto(outcome->rejected, outcome->message), "application/x-protobuf");
    } else {
      res.set_content(ingest::EncodeExportResponseJson(outcome->rejected, outcome->message, signal == Signal::kLogs),
                      "application/json");
    }
  }

  void HandleLive(const Request& req, Response& res) {
    LiveFilter filter;
    filter.agents = SplitParam(req, "agent");
    for (const std::string& s : SplitParam(req, "status")) {
      auto st = model::ParseRunStatus(s);
      if (!st) {
        ReplyApiError(res, InvalidArgumentError("status: unknown run status \"" + s + "\""));
        return;
      }
      filter.statuses.push_back(*st);
    }
    auto sub = hub_->Subscribe(std::move(filter));
    if (!sub.ok()) {
      ReplyApiError(res, sub.status());
      return;
    }
    std::shared_ptr<LiveSubscriber> subscriber = *sub;
    std::shared_ptr<LiveHub> hub = hub_;
    const auto heartbeat = std::chrono::milliseconds(tuning_.sse_heartbeat_ms);
    res.status = 200;
    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Accel-Buffering", "no");
    auto first = std::make_shared<bool>(true);
    res.set_chunked_content_provider(
        "text/event-stream",
        [subscriber, heartbeat, first](size_t, httplib::DataSink& sink) {
          std::string out;
          if (*first) {
            *first = false;
            out = "retry: 3000\n: connected\n\n";
          } else {
            LiveSubscriber::Item item = subscriber->Next(heartbeat);
            switch (item.kind) {
              case LiveSubscriber::Kind::kRun: out = SseEvent("run", item.data); break;
              case LiveSubscriber::Kind::kDropped:
                out = SseEvent("dropped", "{\"dropped\":" + std::to_string(item.dropped) + "}");
                break;
              case LiveSubscriber::Kind::kTimeout: out = ": heartbeat\n\n"; break;
              case LiveSubscriber::Kind::kClosed: sink.done(); return true;
            }
          }
          // A failed write means the client went away; returning false frees the slot.
          return sink.write(out.data(), out.size());
        },
        [hub, subscriber](bool) { hub->Unsubscribe(subscriber); });
  }

  void HandleReady(Response& res) {
    if (stopping_.load(std::memory_order_acquire)) {
      res.status = 503;
      res.set_content(R"({"status":"stopping"})", "application/json");
      return;
    }
    auto info = store_->GetInfo();
    nlohmann::json j;
    if (!info.ok()) {
      j["status"] = "unavailable";
      j["error"] = info.status().message();
      res.status = 503;
      res.set_header("Retry-After", std::to_string(options_.retry_after_s));
    } else {
      j["status"] = "ready";
      j["store"] = {{"runs", info->runs},
                    {"steps", info->steps},
                    {"content_blobs", info->content_blobs},
                    {"content_bytes_raw", info->content_bytes_raw},
                    {"content_bytes_stored", info->content_bytes_stored},
                    {"db_bytes", info->db_bytes},
                    {"queue_bytes", info->queue_bytes}};
      j["ingest_inflight"] = pipeline_.inflight();
      j["ingest_inflight_bytes"] = pipeline_.inflight_bytes();
      j["live_clients"] = hub_ ? hub_->subscriber_count() : 0;
      res.status = 200;
    }
    res.set_content(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
  }

  void SetupHttp() {
    const int threads = std::max(1, options_.http_threads);
    http_.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
    http_.set_read_timeout(options_.read_timeout_s, 0);
    http_.set_write_timeout(options_.write_timeout_s, 0);
    http_.set_payload_max_length(options_.max_request_bytes);
    http_.set_keep_alive_timeout(5);
    http_.set_tcp_nodelay(true);
    // httplib's default adds SO_REUSEPORT, which would let a second server bind the same port
    // and silently take half the traffic. Keep only SO_REUSEADDR (fast restarts).
    http_.set_socket_options([](socket_t sock) {
      int yes = 1;
      ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    });
    if (!options_.ui_dir.empty()) {
      http_.set_mount_point("/", options_.ui_dir);
      http_.set_file_request_handler([](const Request& req, Response& res) { FinishBody(req, res); });
    }

    http_.set_pre_routing_handler([this](const Request& req, Response& res) {
      httplib::Server::HandlerResponse out = httplib::Server::HandlerResponse::Unhandled;
      Guarded("pre-routing", res, [&] { out = PreRoute(req, res); });
      if (res.status >= 500) out = httplib::Server::HandlerResponse::Handled;
      if (out == httplib::Server::HandlerResponse::Handled) FinishBody(req, res);
      return out;
    });
    // Bodies for errors httplib produces itself (404 for unknown routes, 400 for bad requests).
    http_.set_error_handler(httplib::Server::HandlerWithResponse([](const Request& req, Response& res) {
      if (!res.body.empty() || res.content_provider_) return httplib::Server::HandlerResponse::Unhandled;
      StatusCode code = res.status == 404   ? StatusCode::kNotFound
                        : res.status < 500 ? StatusCode::kInvalidArgument
                                           : StatusCode::kInternal;
      std::string msg = res.status == 404 ? "no route for " + req.method + " " + req.path
                                          : "request failed with http status " + std::to_string(res.status);
      res.set_content(ApiErrorJson(Status(code, msg)), "application/json");
      FinishBody(req, res);
      return httplib::Server::HandlerResponse::Handled;
    }));
    http_.set_exception_handler([](const Request& req, Response& res, std::exception_ptr) {
      log::Error("unhandled exception in {} {}", req.method, req.path);
      res.status = 500;
      res.set_content(ApiErrorJson(InternalError("internal error")), "application/json");
      FinishBody(req, res);
    });

    for (auto [path, signal] : {std::pair{kOtlpTracesPath, Signal::kTraces}, std::pair{kOtlpLogsPath, Signal::kLogs},
                                std::pair{kLangfuseTracesPath, Signal::kTraces}}) {
      const char* route = path;
      Signal sig = signal;
      http_.Post(path, [this, route, sig](const Request& req, Response& res, const ContentReader& reader) {
        Guarded(route, res, [&] { HandleOtlp(sig, req, res, reader); });
        FinishBody(req, res);
      });
    }

    http_.Get("/healthz", Api("/healthz", [](const Request&, Response& res) {
                res.set_content(R"({"status":"ok"})", "application/json");
              }));
    http_.Get("/readyz", Api("/readyz", [this](const Request&, Response& res) { HandleReady(res); }));
    http_.Get("/api/runs", Api("/api/runs", [this](const Request& req, Response& res) {
                ReplyJson(res, query_.ListRuns(req.params));
              }));
    // Before /api/runs/{id}: httplib matches routes in registration order.
    http_.Get("/api/runs/facets", Api("/api/runs/facets", [this](const Request& req, Response& res) {
                ReplyJson(res, query_.Facets(req.params));
              }));
    http_.Get(R"(/api/runs/([^/]+))", Api("/api/runs/{id}", [this](const Request& req, Response& res) {
                ReplyJson(res, query_.GetRun(req.matches[1].str(), req.params));
              }));
    http_.Get(R"(/api/runs/([^/]+)/outline)", Api("/api/runs/{id}/outline", [this](const Request& req, Response& res) {
                ReplyJson(res, query_.GetRunOutline(req.matches[1].str(), req.params));
              }));
    http_.Get(R"(/api/runs/([^/]+)/steps/([^/]+)/content)",
              Api("/api/runs/{id}/steps/{step_id}/content", [this](const Request& req, Response& res) {
                ReplyJson(res, query_.GetStepContent(req.matches[1].str(), req.matches[2].str()));
              }));
    http_.Get("/api/stats", Api("/api/stats", [this](const Request& req, Response& res) {
                ReplyJson(res, query_.Stats(req.params));
              }));
    http_.Get("/api/sessions", Api("/api/sessions", [this](const Request& req, Response& res) {
                ReplyJson(res, query_.Sessions(req.params));
              }));
    http_.Get("/api/agents", Api("/api/agents", [this](const Request& req, Response& res) {
                ReplyJson(res, query_.Agents(req.params));
              }));
    http_.Get("/api/live", Api("/api/live", [this](const Request& req, Response& res) { HandleLive(req, res); }));
    // Triage annotations and state (docs/api.md); writes were authorized in PreRoute.
    http_.Post("/api/annotations", Api("/api/annotations", [this](const Request& req, Response& res) {
                 ReplyJson(res, query::PostAnnotations(store_, req.body));
               }));
    http_.Post("/api/annotations/classified", Api("/api/annotations/classified", [this](const Request& req, Response& res) {
                 ReplyJson(res, query::PostClassifiedRuns(store_, req.body));
               }));
    http_.Get(R"(/api/triage/state/([^/]+))", Api("/api/triage/state/{key}", [this](const Request& req, Response& res) {
                ReplyJson(res, query::GetTriageState(store_, req.matches[1].str()));
              }));
    http_.Put(R"(/api/triage/state/([^/]+))", Api("/api/triage/state/{key}", [this](const Request& req, Response& res) {
                ReplyJson(res, query::PutTriageState(store_, req.matches[1].str(), req.body));
              }));
    if (options_.ui_dir.empty()) {
      http_.Get("/", Api("/", [](const Request& req, Response& res) {
                  if (const UiAsset* index = FindUiAsset("/index.html")) {
                    ServeUiAsset(*index, req, res);
                    return;
                  }
                  res.set_header("Cache-Control", "no-cache");
                  res.set_content(std::string(IndexHtml()), "text/html; charset=utf-8");
                }));
      http_.Get(R"(/assets/[^/]+)", Api("/assets/*", [this](const Request& req, Response& res) {
                  const UiAsset* asset = FindUiAsset(req.path);
                  if (asset == nullptr) {
                    ReplyApiError(res, NotFoundError("no ui asset " + req.path));
                    return;
                  }
                  ServeUiAsset(*asset, req, res);
                }));
    }
  }

  const ServerOptions options_;
  const ServerTuning tuning_;
  store::Store* store_;
  const std::string http_host_;
  const int http_port_cfg_;
  const std::string grpc_host_;
  const int grpc_port_cfg_;
  Authenticator auth_;
  IngestPipeline pipeline_;
  query::QueryService query_;
  httplib::Server http_;
  std::thread http_thread_;
  std::unique_ptr<GrpcIngestServer> grpc_;
  std::shared_ptr<LiveHub> hub_;
  int http_port_ = 0;
  std::atomic<bool> http_exited_{false};
  std::atomic<bool> stopping_{false};

  std::mutex lifecycle_mu_;
  bool started_ = false;
  bool stopped_ = false;

  std::mutex wait_mu_;
  std::condition_variable wait_cv_;
  bool done_ = false;
};

}  // namespace

Result<std::unique_ptr<Server>> CreateServerWithTuning(const ServerOptions& options,
                                                       const ingest::NormalizeOptions& normalize,
                                                       store::Store* store, const ServerTuning& tuning) {
  if (store == nullptr) return InvalidArgumentError("store must not be null");
  std::string http_host, grpc_host;
  int http_port = 0, grpc_port = 0;
  TRACERY_RETURN_IF_ERROR(ParseHostPort(options.http_address, "http_address", &http_host, &http_port));
  if (!options.grpc_address.empty()) {
    TRACERY_RETURN_IF_ERROR(ParseHostPort(options.grpc_address, "grpc_address", &grpc_host, &grpc_port));
  }
  for (size_t i = 0; i < options.api_keys.size(); ++i) {
    const ApiKey& k = options.api_keys[i];
    if (k.key.empty()) return InvalidArgumentError("api_keys[" + std::to_string(i) + "].key: must not be empty");
    if (!k.ingest && !k.read) {
      return InvalidArgumentError("api_keys[" + std::to_string(i) + "]: grants no scope (set ingest and/or read)");
    }
  }
  if (options.api_keys.empty()) {
    const std::string* exposed = nullptr;
    if (!IsLoopbackHost(http_host)) exposed = &options.http_address;
    else if (!grpc_host.empty() && !IsLoopbackHost(grpc_host)) exposed = &options.grpc_address;
    if (exposed != nullptr) {
      return FailedPreconditionError("refusing to listen on non-loopback address " + *exposed +
                                     " without api keys: configure api_keys or bind 127.0.0.1");
    }
  }
  if (options.max_request_bytes == 0) return InvalidArgumentError("max_request_bytes: must be positive");
  if (options.max_inflight_requests < 1) return InvalidArgumentError("max_inflight_requests: must be at least 1");
  if (options.http_threads < 2) return InvalidArgumentError("http_threads: must be at least 2");
  if (options.read_timeout_s < 1) return InvalidArgumentError("read_timeout_s: must be at least 1");
  if (options.write_timeout_s < 1) return InvalidArgumentError("write_timeout_s: must be at least 1");
  if (options.retry_after_s < 0) return InvalidArgumentError("retry_after_s: must not be negative");
  if (!options.ui_dir.empty()) {
    std::error_code ec;
    if (!std::filesystem::is_directory(options.ui_dir, ec)) {
      return InvalidArgumentError("ui_dir \"" + options.ui_dir + "\": not a directory");
    }
  }
  if (tuning.sse_heartbeat_ms < 1) return InvalidArgumentError("sse_heartbeat_ms: must be positive");
  return std::unique_ptr<Server>(
      new ServerImpl(options, normalize, store, tuning, http_host, http_port, grpc_host, grpc_port));
}

Result<std::unique_ptr<Server>> CreateServer(const ServerOptions& options, const ingest::NormalizeOptions& normalize,
                                             store::Store* store) {
  return CreateServerWithTuning(options, normalize, store, ServerTuning{});
}

}  // namespace tracery::server
