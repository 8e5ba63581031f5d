#include "server/ingest_pipeline.h"

#include <utility>

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

IngestPipeline::IngestPipeline(ingest::NormalizeOptions normalize, store::Store* store, int max_inflight)
    : normalizer_(std::move(normalize)), store_(store), max_inflight_(max_inflight) {}

InflightSlot IngestPipeline::TryAcquire() {
  int now = inflight_.fetch_add(1, std::memory_order_acq_rel) + 1;
  if (max_inflight_ > 0 && now > max_inflight_) {
    inflight_.fetch_sub(1, std::memory_order_acq_rel);
    return InflightSlot();
  }
  return InflightSlot(&inflight_);
}

Result<ExportOutcome> IngestPipeline::Export(Signal signal, Encoding encoding, std::string body) const {
  const size_t body_bytes = body.size();
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
  wb.approx_bytes = body_bytes;  // the decompressed request is a fair proxy for the batch
  auto written = store_->Write(std::move(wb));
  if (!written.ok()) return written.status();
  return outcome;
}

}  // namespace tracery::server
