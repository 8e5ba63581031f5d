// Helpers shared by the server tests: OTLP payload builders and a started server on port 0.
#pragma once

#include <memory>
#include <string>

#include "fake_store.h"
#include "server/server.h"
#include "server/server_internal.h"

namespace tracery::server::testing {

// Options for a server on 127.0.0.1 with OS-chosen ports.
ServerOptions LocalOptions();

// ExportTraceServiceRequest with `valid` well-formed spans (one run, agent `agent`) and
// `invalid` spans with a 4-byte trace id.
std::string TraceRequestProto(int valid, int invalid = 0, const std::string& agent = "planner",
                              const std::string& trace_hex = "0af7651916cd43dd8448eb211c80319c");
std::string TraceRequestJson(const std::string& agent = "planner");
std::string LogsRequestProto();

// A gzip stream that inflates to about `inflated_gib` GiB of zeros while staying ~1000x
// smaller (built from repeated full-flush deflate blocks, so it is cheap to make).
std::string GzipBomb(int inflated_gib);
// zlib ("deflate" content coding).
std::string ZlibCompress(const std::string& data);

}  // namespace tracery::server::testing
