// Normalization: decoded OTLP spans/logs of every convention (OTel GenAI current and deprecated,
// OpenInference, Langfuse, Traceloop/OpenLLMetry, Vercel AI SDK, OpenAI Agents, AutoGen, CrewAI,
// LangGraph, pydantic-ai/Logfire) -> model::Step / model::Event, privacy policy applied.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "ingest/otlp_view.h"
#include "ingest/pricing.h"
#include "ingest/privacy.h"
#include "model/model.h"

namespace tracery::ingest {

struct NormalizeOptions {
  PrivacyPolicy privacy;
  PriceTable prices;               // used when a step reports tokens but no explicit cost
  size_t max_content_part = 4 << 20;  // longer content parts are truncated with a marker
};

struct NormalizedBatch {
  std::vector<model::Step> steps;
  std::vector<model::Event> events;  // log-record events (span events stay on their Step)
  int64_t dropped_pending = 0;       // Logfire pending_span spans dropped
};

class Normalizer {
 public:
  explicit Normalizer(NormalizeOptions options);

  // Appends one Step per span (except dropped pending spans). `received_ns` stamps the steps.
  void NormalizeTraces(const TraceBatch& batch, int64_t received_ns, NormalizedBatch* out) const;
  // GenAI events and other log records -> Events keyed by (run_id, step_id). Log records that
  // carry exception / gen_ai.client.operation.exception also yield no Step (the step is the span).
  void NormalizeLogs(const LogBatch& batch, int64_t received_ns, NormalizedBatch* out) const;

  const NormalizeOptions& options() const { return options_; }

 private:
  NormalizeOptions options_;
};

}  // namespace tracery::ingest
