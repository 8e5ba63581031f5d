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

class IngestPipeline;

// Holds one in-flight ingest slot; releases it on destruction.
class InflightSlot {
 public:
  InflightSlot() = default;
  explicit InflightSlot(std::atomic<int>* counter) : counter_(counter) {}
  InflightSlot(InflightSlot&& o) noexcept : counter_(o.counter_) { o.counter_ = nullptr; }
  InflightSlot& operator=(InflightSlot&& o) noexcept {
    if (this != &o) {
      Release();
      counter_ = o.counter_;
      o.counter_ = nullptr;
    }
    return *this;
  }
  InflightSlot(const InflightSlot&) = delete;
  InflightSlot& operator=(const InflightSlot&) = delete;
  ~InflightSlot() { Release(); }
  explicit operator bool() const { return counter_ != nullptr; }

 private:
  void Release() {
    if (counter_ != nullptr) counter_->fetch_sub(1, std::memory_order_acq_rel);
    counter_ = nullptr;
  }
  std::atomic<int>* counter_ = nullptr;
};

class IngestPipeline {
 public:
  // `store` must outlive the pipeline. max_inflight <= 0 means no limit.
  IngestPipeline(ingest::NormalizeOptions normalize, store::Store* store, int max_inflight);

  // Takes a slot if fewer than max_inflight requests are running; an empty slot otherwise
  // (the caller answers 503 / RESOURCE_EXHAUSTED).
  InflightSlot TryAcquire();
  int inflight() const { return inflight_.load(std::memory_order_acquire); }

  // Runs the whole pipeline on a decompressed body. kInvalidArgument for undecodable input,
  // the store's status (kResourceExhausted, kUnavailable, ...) when the write fails.
  Result<ExportOutcome> Export(Signal signal, Encoding encoding, std::string body) const;

 private:
  ingest::Normalizer normalizer_;
  store::Store* store_;
  int max_inflight_;
  std::atomic<int> inflight_{0};
};

}  // namespace tracery::server
