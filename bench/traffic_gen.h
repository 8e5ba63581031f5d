// Deterministic agent-traffic generator for the benchmarks: realistic multi-step agent runs
// encoded as OTLP protobuf ExportTraceServiceRequest batches, plus the per-span rows the raw
// SQLite baseline inserts. Same options (and seed) -> byte-identical output.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace opentelemetry::proto::collector::trace::v1 {
class ExportTraceServiceRequest;
}

namespace tracery::bench {

struct TrafficOptions {
  uint64_t seed = 0x7ACE5EEDULL;
  int runs = 1000;
  // Spans per run, root included (a run may end a span or two over this to finish its turn).
  int steps_per_run = 12;
  // Each chat message body is uniformly sized in [min, max] bytes.
  int min_message_bytes = 200;
  int max_message_bytes = 2000;
  int spans_per_batch = 512;  // spans per ExportTraceServiceRequest; runs span batch boundaries
  // Probabilities (0..1).
  double retry_probability = 0.08;    // per LLM call: a failed attempt (429) then a success
  double tool_probability = 0.5;      // per turn: the model calls a tool
  double retrieval_probability = 0.25;  // per turn: a retrieval step
  double handoff_probability = 0.2;   // per run: delegates part of the work to a sub-agent
  double error_probability = 0.12;    // per run: ends with one failure of several types
  int64_t base_time_ns = 1767225600LL * 1000000000LL;  // 2026-01-01T00:00:00Z
};

struct Traffic {
  std::vector<std::string> batches;  // serialized ExportTraceServiceRequest, ready to POST
  std::vector<int> batch_spans;      // spans in each batch
  int64_t spans = 0;
  int64_t runs = 0;
  int64_t bytes = 0;  // sum of batch sizes (raw OTLP protobuf bytes)
  // Counts by kind, for the report and the tests.
  int64_t llm_spans = 0;
  int64_t tool_spans = 0;
  int64_t retrieval_spans = 0;
  int64_t retry_spans = 0;    // second attempts
  int64_t error_spans = 0;    // spans with status ERROR
  int64_t handoffs = 0;
  int64_t failed_runs = 0;
};

// Generates the whole workload in memory.
Traffic GenerateTraffic(const TrafficOptions& options);

// One row per span, holding what the store keeps per step: ids (hex), name, times, status,
// non-content attributes as a JSON object and content attributes inline (a JSON object).
struct SpanRow {
  std::string run_id;
  std::string step_id;
  std::string parent_id;
  std::string name;
  int64_t start_ns = 0;
  int64_t end_ns = 0;
  int status = 0;
  std::string attributes_json;
  std::string content_json;
};

// Converts a serialized batch into rows. False when `batch` does not parse.
bool RowsFromBatch(std::string_view batch, std::vector<SpanRow>* rows);

// Content attributes (prompts, completions, tool arguments/results, documents): kept inline in
// the baseline's content column rather than in its attributes column.
bool IsContentAttribute(std::string_view key);

// Offsets of every span's trace id in a serialized batch, so that a sender can replay the batch as
// new runs by rewriting the ids in place instead of re-encoding. Empty when `batch` does not parse.
std::vector<size_t> TraceIdOffsets(const std::string& batch);
// XORs `cycle` into the last 4 bytes of each trace id at `offsets`; cycle 0 leaves `body` as is.
// Distinct cycles give distinct ids, and spans of one run stay together.
void RewriteTraceIds(const std::vector<size_t>& offsets, uint32_t cycle, std::string* body);

// A single-span run (an `invoke_agent probe` root) with the given 16-byte trace id, for the
// ingest-to-visible latency probe.
std::string MakeProbeRequest(std::string_view trace_id, std::string_view span_id,
                             int64_t start_ns);

}  // namespace tracery::bench
