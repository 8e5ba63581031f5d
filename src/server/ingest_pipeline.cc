#include "server/ingest_pipeline.h"

#include <cstdlib>
#include <thread>
#include <utility>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "core/clock.h"
#include "ingest/otlp_decode.h"
#include "ingest/otlp_view.h"

namespace tracery::server {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<Encoding> ParseMediaType(std::string_view content_type) {
  std::string type = Lower(Trim(content_type.substr(0, content_type.find(';'))));
  if (type == "application/x-protobuf" || type == "application/protobuf") return Encoding::kProto;
  if (type == "application/json") return Encoding::kJson;
  return std::nullopt;
}

std::optional<BodyEncoding> ParseContentEncoding(std::string_view content_encoding) {
  std::string enc = Lower(Trim(content_encoding));
  if (enc.empty() || enc == "identity") return BodyEncoding::kIdentity;
  if (enc == "gzip" || enc == "x-gzip") return BodyEncoding::kGzip;
  if (enc == "deflate") return BodyEncoding::kDeflate;
  return std::nullopt;
}

void LimitMallocArenas() {
#if defined(__GLIBC__)
  if (std::getenv("MALLOC_ARENA_MAX") != nullptr) return;  // the operator's choice wins
  const unsigned cores = std::thread::hardware_concurrency();
  mallopt(M_ARENA_MAX, static_cast<int>(cores < 2 ? 2 : cores));
#endif
}

IngestPipeline::IngestPipeline(ingest::NormalizeOptions normalize, store::Store* store, int max_inflight,
                               size_t max_inflight_bytes)
    : normalizer_(std::move(normalize)),
      store_(store),
      max_inflight_(max_inflight),
      max_inflight_bytes_(max_inflight_bytes) {}

bool IngestPipeline::TryAddBytes(size_t own, size_t more) {
  if (more == 0) return true;
  size_t cur = inflight_bytes_.load(std::memory_order_acquire);
  while (true) {
    // A request alone in flight may grow to any size: the request size cap is
    // max_request_bytes' job, and refusing it would only make its sender retry forever.
    const bool alone = cur <= own;
    if (max_inflight_bytes_ > 0 && !alone && (cur + more > max_inflight_bytes_ || cur + more < cur)) return false;
    if (inflight_bytes_.compare_exchange_weak(cur, cur + more, std::memory_order_acq_rel)) return true;
  }
}

InflightSlot IngestPipeline::TryAcquire(size_t bytes) {
  int now = inflight_.fetch_add(1, std::memory_order_acq_rel) + 1;
  if (max_inflight_ > 0 && now > max_inflight_) {
    inflight_.fetch_sub(1, std::memory_order_acq_rel);
    return InflightSlot();
  }
  if (!TryAddBytes(0, bytes)) {
    inflight_.fetch_sub(1, std::memory_order_acq_rel);
    return InflightSlot();
  }
  return InflightSlot(this, bytes);
}

bool InflightSlot::ReserveBytes(size_t total) {
  if (owner_ == nullptr) return false;
  if (total <= bytes_) return true;
  if (!owner_->TryAddBytes(bytes_, total - bytes_)) return false;
  bytes_ = total;
  return true;
}

void InflightSlot::Release() {
  if (owner_ == nullptr) return;
  owner_->inflight_bytes_.fetch_sub(bytes_, std::memory_order_acq_rel);
  owner_->inflight_.fetch_sub(1, std::memory_order_acq_rel);
  owner_ = nullptr;
  bytes_ = 0;
}

Result<ExportOutcome> IngestPipeline::Export(Signal signal, Encoding encoding, std::string body) const {
  const int64_t received_ns = Clock::Real().NowUnixNanos();
  ingest::NormalizedBatch normalized;
  ExportOutcome outcome;
  if (signal == Signal::kTraces) {
    ingest::TraceBatch batch;
    Status st = encoding == Encoding::kProto ? ingest::DecodeTracesProto(std::move(body), &batch)
                                             : ingest::DecodeTracesJson(std::move(body), &batch);
    TRACERY_RETURN_IF_ERROR(st);
    outcome.rejected = batch.rejected_spans;
    outcome.message = batch.reject_message;
    normalizer_.NormalizeTraces(batch, received_ns, &normalized);
  } else {
    ingest::LogBatch batch;
    Status st = encoding == Encoding::kProto ? ingest::DecodeLogsProto(std::move(body), &batch)
                                             : ingest::DecodeLogsJson(std::move(body), &batch);
    TRACERY_RETURN_IF_ERROR(st);
    outcome.rejected = batch.rejected_records;
    outcome.message = batch.reject_message;
    normalizer_.NormalizeLogs(batch, received_ns, &normalized);
  }
  if (outcome.rejected > 0 && outcome.message.empty()) {
    outcome.message = signal == Signal::kTraces ? "spans rejected by validation" : "log records rejected by validation";
  }
  outcome.steps = static_cast<int64_t>(normalized.steps.size());
  outcome.events = static_cast<int64_t>(normalized.events.size());
  // An empty export is a success with nothing to commit (OTLP: receivers MAY drop it).
  if (normalized.steps.empty() && normalized.events.empty()) return outcome;
  store::WriteBatch wb;
  wb.steps = std::move(normalized.steps);
  wb.events = std::move(normalized.events);
  // approx_bytes stays 0: the store measures the batch after preparing it (content compressed,
  // raw parts released), which is what actually waits in its queue.
  auto written = store_->Write(std::move(wb));
  if (!written.ok()) return written.status();
  return outcome;
}

}  // namespace tracery::server
