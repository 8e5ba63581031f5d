// The OTLP/gRPC listener: TraceService/Export and LogsService/Export as raw-bytes callback
// methods, so our own zero-copy decoder parses the request bytes (no libprotobuf parse).
// The blocking pipeline runs on a small worker pool, never on gRPC's callback threads.
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "server/auth.h"
#include "server/ingest_pipeline.h"

namespace tracery::server {

class GrpcIngestServer {
 public:
  // `pipeline` and `auth` must outlive the server.
  GrpcIngestServer(IngestPipeline* pipeline, const Authenticator* auth, size_t max_request_bytes,
                   int retry_after_s, int workers);
  ~GrpcIngestServer();
  GrpcIngestServer(const GrpcIngestServer&) = delete;
  GrpcIngestServer& operator=(const GrpcIngestServer&) = delete;

  // Binds host:port (port 0 = any free port). kUnavailable naming the address when binding fails.
  Status Start(const std::string& host, int port);
  int port() const;
  // New calls get UNAVAILABLE; in-flight calls finish (bounded by a grace period). Idempotent.
  void Shutdown();

  struct Impl;  // implementation detail (keeps grpc++ out of this header)

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace tracery::server
