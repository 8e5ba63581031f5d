// The OTLP ingest pipeline shared by the HTTP and gRPC listeners:
// decode (protobuf or JSON) -> Normalizer -> Store::Write (blocks until committed).
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "ingest/normalizer.h"
#include "store/store.h"

namespace tracery::server {

enum class Signal { kTraces, kLogs };
enum class Encoding { kProto, kJson };

// Parses a Content-Type (parameters ignored, case-insensitive). nullopt for anything other
// than application/x-protobuf or application/json.
std::optional<Encoding> ParseMediaType(std::string_view content_type);

enum class BodyEncoding { kIdentity, kGzip, kDeflate };
// Parses Content-Encoding: "", identity, gzip, x-gzip, deflate (case-insensitive). nullopt otherwise.
std::optional<BodyEncoding> ParseContentEncoding(std::string_view content_encoding);

inline constexpr std::string_view kUnsupportedMediaType =
    "unsupported media type, supported: [application/json, application/x-protobuf]";

struct ExportOutcome {
  int64_t rejected = 0;  // spans / log records dropped by validation (partial_success)
  std::string message;   // "" when nothing was rejected
  int64_t steps = 0;     // steps written (for logs and tests)
  int64_t events = 0;
};

// Caps glibc malloc arenas at the core count (min 2) unless MALLOC_ARENA_MAX is set. Ingest
// allocates multi-MB bodies and batches on many pool threads; with the default 8 arenas per core
// each arena keeps its own high-water mark and peak RSS under overload grew ~1.7x (measured,
// docs/decisions/0002-sqlite-store.md). Process-wide; call before the pool threads start.
void LimitMallocArenas();

class IngestPipeline;

// Holds one in-flight ingest slot and the request bytes reserved with it; releases both on
// destruction.
class InflightSlot {
 public:
  InflightSlot() = default;
  InflightSlot(InflightSlot&& o) noexcept : owner_(o.owner_), bytes_(o.bytes_) { o.owner_ = nullptr; }
  InflightSlot& operator=(InflightSlot&& o) noexcept {
    if (this != &o) {
      Release();
      owner_ = o.owner_;
      bytes_ = o.bytes_;
      o.owner_ = nullptr;
    }
    return *this;
  }
  InflightSlot(const InflightSlot&) = delete;
  InflightSlot& operator=(const InflightSlot&) = delete;
  ~InflightSlot() { Release(); }
  explicit operator bool() const { return owner_ != nullptr; }

  // Grows the reservation to `total` bytes (no-op when it already holds that many). False, with
  // the reservation unchanged, when that would exceed the pipeline's in-flight byte budget.
  bool ReserveBytes(size_t total);
  size_t reserved_bytes() const { return owner_ != nullptr ? bytes_ : 0; }

 private:
  friend class IngestPipeline;
  InflightSlot(IngestPipeline* owner, size_t bytes) : owner_(owner), bytes_(bytes) {}
  void Release();
  IngestPipeline* owner_ = nullptr;
  size_t bytes_ = 0;
};

class IngestPipeline {
 public:
  // `store` must outlive the pipeline. max_inflight <= 0 means no request-count limit;
  // max_inflight_bytes == 0 means no byte limit.
  IngestPipeline(ingest::NormalizeOptions normalize, store::Store* store, int max_inflight,
                 size_t max_inflight_bytes = 0);

  // Takes a slot with `bytes` reserved (the request's Content-Length, or 0 when unknown) if
  // fewer than max_inflight requests are running and the reserved bytes of all requests stay
  // within max_inflight_bytes. A request alone in flight is always admitted (and may grow), so
  // one body of up to max_request_bytes always gets through. An empty slot otherwise (the caller
  // answers 503 / RESOURCE_EXHAUSTED): the bodies, their decoded views and normalized steps
  // (3-4x the body) are what bounds the server's memory.
  InflightSlot TryAcquire(size_t bytes = 0);
  int inflight() const { return inflight_.load(std::memory_order_acquire); }
  size_t inflight_bytes() const { return inflight_bytes_.load(std::memory_order_acquire); }
  size_t max_inflight_bytes() const { return max_inflight_bytes_; }

  // Runs the whole pipeline on a decompressed body. kInvalidArgument for undecodable input,
  // the store's status (kResourceExhausted, kUnavailable, ...) when the write fails.
  Result<ExportOutcome> Export(Signal signal, Encoding encoding, std::string body) const;

 private:
  friend class InflightSlot;
  // Adds `more` reserved bytes to a request already holding `own`, unless over budget (see
  // TryAcquire).
  bool TryAddBytes(size_t own, size_t more);

  ingest::Normalizer normalizer_;
  store::Store* store_;
  int max_inflight_;
  size_t max_inflight_bytes_;
  std::atomic<int> inflight_{0};
  std::atomic<size_t> inflight_bytes_{0};
};

}  // namespace tracery::server
