// `tracery ingest`: reading OTLP files (protobuf, JSON, JSON Lines, any of them gzipped) and
// sending their contents to a data dir or a running server.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/status.h"
#include "ingest/normalizer.h"
#include "store/store.h"

namespace tracery::cli {

// One OTLP export request found in a file.
struct OtlpDocument {
  bool json = false;  // else protobuf
  bool logs = false;  // ExportLogsServiceRequest (JSON with resourceLogs); else traces
  int line = 0;       // 1-based line for JSON Lines, 0 otherwise
  std::string body;
};

// Largest decompressed file accepted (guards against gzip bombs).
inline constexpr size_t kMaxFileBytes = size_t{1} << 30;

// Splits file contents into documents. Gzip (magic 1f 8b) is inflated first (capped at
// max_bytes). First non-space byte '{' means JSON: one document, or JSON Lines when every
// non-empty line is a complete {...} object and there are several; anything else is protobuf
// (traces). Empty input -> kInvalidArgument.
Result<std::vector<OtlpDocument>> SplitOtlpFile(std::string data, size_t max_bytes = kMaxFileBytes);

// What one file (or all files) contributed.
struct IngestCounts {
  int64_t spans_accepted = 0;
  int64_t spans_rejected = 0;
  int64_t logs_accepted = 0;
  int64_t logs_rejected = 0;
  int64_t steps_duplicate = 0;  // local mode only: already stored
  std::set<std::string> runs;   // run ids (hex trace ids) touched

  void Add(const IngestCounts& o);
};

// Destination of decoded documents.
class IngestSink {
 public:
  virtual ~IngestSink() = default;
  // Decodes `doc` (validating it) and delivers it; adds to `counts`. Errors name what was wrong.
  virtual Status Send(OtlpDocument doc, IngestCounts* counts) = 0;
};

// Writes into a store directly: decode -> normalize (privacy, prices) -> Store::Write, in chunks.
std::unique_ptr<IngestSink> MakeStoreSink(store::Store* store, ingest::NormalizeOptions options);
// POSTs each document to base_url + /v1/traces or /v1/logs (Bearer api_key when non-empty).
Result<std::unique_ptr<IngestSink>> MakeRemoteSink(const std::string& base_url, const std::string& api_key);

}  // namespace tracery::cli
