// The tracery server: one HTTP listener (OTLP/HTTP, Langfuse-compatible OTLP path, JSON API, SSE,
// health, UI) and one OTLP/gRPC listener, wired to ingest -> store and query.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "ingest/normalizer.h"
#include "store/store.h"

namespace tracery::server {

struct ApiKey {
  std::string key;
  bool ingest = false;  // may send telemetry
  bool read = false;    // may read the API / UI
};

struct ServerOptions {
  std::string http_address = "127.0.0.1:4318";  // port 0 = pick a free port
  std::string grpc_address = "127.0.0.1:4317";  // "" disables gRPC; port 0 = pick a free port
  std::vector<ApiKey> api_keys;  // required (non-empty) when either address is not loopback
  size_t max_request_bytes = 64 << 20;  // after decompression (OTLP spec recommendation)
  int max_inflight_requests = 64;        // concurrent ingest requests before 503
  // Request body bytes (Content-Length, then decompressed size) being ingested at once before
  // 503; each request holds about 3-4x its body while decoded and normalized. 0 = no limit.
  size_t max_inflight_bytes = 64 << 20;
  int http_threads = 32;
  int read_timeout_s = 10;   // slow clients are cut off
  int write_timeout_s = 10;
  int retry_after_s = 1;     // Retry-After on 429/503
  std::string ui_dir;        // serve the UI from here instead of the embedded assets ("" = embedded)
};

class Server {
 public:
  virtual ~Server() = default;
  // Binds both listeners and starts serving in background threads. Errors name the address.
  virtual Status Start() = 0;
  // Actual bound ports (after Start), useful when configured with port 0.
  virtual int http_port() const = 0;
  virtual int grpc_port() const = 0;
  // Blocks until Stop() is called (from another thread or a signal handler).
  virtual void Wait() = 0;
  // Stops accepting, finishes in-flight requests, returns. Idempotent.
  virtual void Stop() = 0;
};

// `store` must outlive the server.
Result<std::unique_ptr<Server>> CreateServer(const ServerOptions& options,
                                             const ingest::NormalizeOptions& normalize,
                                             store::Store* store);

}  // namespace tracery::server
