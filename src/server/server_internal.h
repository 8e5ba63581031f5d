// Knobs that are not user configuration but that tests need to turn (time-based behaviour is
// made fast instead of sleeping in tests).
#pragma once

#include <memory>

#include "core/status.h"
#include "server/server.h"

namespace tracery::server {

struct ServerTuning {
  int sse_heartbeat_ms = 15000;  // comment line sent on idle live streams
  size_t sse_queue_capacity = 256;  // runs buffered per live client before dropping the oldest
  int max_sse_clients = -1;      // -1: half of http_threads, so streams cannot starve ingest
  int grpc_workers = -1;         // -1: min(max_inflight_requests, 16)
};

Result<std::unique_ptr<Server>> CreateServerWithTuning(const ServerOptions& options,
                                                       const ingest::NormalizeOptions& normalize,
                                                       store::Store* store, const ServerTuning& tuning);

}  // namespace tracery::server
