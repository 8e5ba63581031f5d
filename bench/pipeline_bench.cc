// Decode + normalize throughput per core (DESIGN.md: >= 500k spans/s/core), beside the
// libprotobuf ParseFromString of the same batch as baseline. BM_DecodeNormalizeStream is the
// figure to quote (see the comments on the cache below).
//   tracery_pipeline_bench [--benchmark_min_time=2] [google benchmark flags]
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>

#include "ingest/internal/redact_cache.h"
#include "ingest/normalizer.h"
#include "ingest/otlp_decode.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "traffic_gen.h"

namespace tracery::bench {
namespace {

// One 512-span batch (the first full one) of the default agent workload with chat messages of
// state.range(0)..state.range(1) bytes. Generated once per size, before timing.
const std::string& Batch(const benchmark::State& state, int* spans) {
  static std::map<std::pair<int64_t, int64_t>, Traffic>* cache =
      new std::map<std::pair<int64_t, int64_t>, Traffic>();
  auto key = std::make_pair(state.range(0), state.range(1));
  auto it = cache->find(key);
  if (it == cache->end()) {
    TrafficOptions o;
    o.runs = 80;  // > 512 spans
    o.spans_per_batch = 512;
    o.min_message_bytes = static_cast<int>(key.first);
    o.max_message_bytes = static_cast<int>(key.second);
    it = cache->emplace(key, GenerateTraffic(o)).first;
  }
  *spans = it->second.batch_spans.front();
  return it->second.batches.front();
}

// Default message sizes (200-2000 bytes: spans average ~6.5 KB) and short messages (20-200
// bytes, ~1 KB spans) to separate the per-span from the per-byte cost.
void Sizes(benchmark::internal::Benchmark* b) {
  b->Args({200, 2000})->Args({20, 200})->ArgNames({"msg_min", "msg_max"});
}

// DecodeTracesProto takes ownership of the body (the server moves the request body in); the
// copies are made with the timer paused so that the figure is decode + normalize only.
// Rates are per CPU second of this thread (the default), i.e. per core, so a busy machine does
// not skew them.
void BM_DecodeNormalize(benchmark::State& state) {
  int spans = 0;
  const std::string& batch = Batch(state, &spans);
  ingest::Normalizer normalizer{ingest::NormalizeOptions{}};
  constexpr size_t kCopies = 32;
  std::vector<std::string> bodies;
  size_t next = kCopies;
  for (auto _ : state) {
    if (next == kCopies) {
      state.PauseTiming();
      bodies.assign(kCopies, batch);
      next = 0;
      state.ResumeTiming();
    }
    ingest::TraceBatch decoded;
    Status st = ingest::DecodeTracesProto(std::move(bodies[next++]), &decoded);
    if (!st.ok()) {
      state.SkipWithError(st.ToString().c_str());
      break;
    }
    ingest::NormalizedBatch out;
    normalizer.NormalizeTraces(decoded, 1, &out);
    benchmark::DoNotOptimize(out.steps.data());
    if (out.steps.size() != static_cast<size_t>(spans)) {
      state.SkipWithError("normalizer returned a different number of steps than spans sent");
      break;
    }
  }
  state.counters["spans/s"] = benchmark::Counter(static_cast<double>(spans),
                                                 benchmark::Counter::kIsIterationInvariantRate);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(batch.size()));
}
BENCHMARK(BM_DecodeNormalize)->Apply(Sizes)->Unit(benchmark::kMicrosecond);

// The normalizer remembers content it already found clean (a process-wide cache), and the
// benchmark above re-normalizes one batch, so from its second iteration on every message is a
// cache hit: an upper bound. The two below bracket real traffic, where each call re-sends the
// conversation so far (seen before) plus one or two new messages (never seen).
//
// Cold: the cache is emptied before every batch, so only reuse inside the batch counts (runs
// cut by the batch boundary lose their earlier messages): a lower bound.
void BM_DecodeNormalizeColdCache(benchmark::State& state) {
  int spans = 0;
  const std::string& batch = Batch(state, &spans);
  ingest::Normalizer normalizer{ingest::NormalizeOptions{}};
  for (auto _ : state) {
    state.PauseTiming();
    ingest::internal::CleanContentCache::Global().Clear();
    std::string body = batch;
    state.ResumeTiming();
    ingest::TraceBatch decoded;
    Status st = ingest::DecodeTracesProto(std::move(body), &decoded);
    if (!st.ok()) {
      state.SkipWithError(st.ToString().c_str());
      break;
    }
    ingest::NormalizedBatch out;
    normalizer.NormalizeTraces(decoded, 1, &out);
    benchmark::DoNotOptimize(out.steps.data());
  }
  state.counters["spans/s"] = benchmark::Counter(static_cast<double>(spans),
                                                 benchmark::Counter::kIsIterationInvariantRate);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(batch.size()));
}
BENCHMARK(BM_DecodeNormalizeColdCache)->Apply(Sizes)->Unit(benchmark::kMicrosecond);

// Stream: the batches of 600 runs in order (every message is new the first time it is sent and
// seen again on the later calls of its run, as in production); the cache is emptied whenever
// the sequence starts over so that nothing is seen twice more than real traffic would.
void BM_DecodeNormalizeStream(benchmark::State& state) {
  static std::map<std::pair<int64_t, int64_t>, Traffic>* cache =
      new std::map<std::pair<int64_t, int64_t>, Traffic>();
  auto key = std::make_pair(state.range(0), state.range(1));
  auto it = cache->find(key);
  if (it == cache->end()) {
    TrafficOptions o;
    o.runs = 600;
    o.spans_per_batch = 512;
    o.min_message_bytes = static_cast<int>(key.first);
    o.max_message_bytes = static_cast<int>(key.second);
    it = cache->emplace(key, GenerateTraffic(o)).first;
  }
  const Traffic& traffic = it->second;
  ingest::Normalizer normalizer{ingest::NormalizeOptions{}};
  size_t next = 0;
  int64_t spans = 0, bytes = 0;
  for (auto _ : state) {
    state.PauseTiming();
    if (next == traffic.batches.size()) next = 0;
    if (next == 0) ingest::internal::CleanContentCache::Global().Clear();
    std::string body = traffic.batches[next];
    const int batch_spans = traffic.batch_spans[next];
    ++next;
    state.ResumeTiming();
    bytes += static_cast<int64_t>(body.size());
    ingest::TraceBatch decoded;
    Status st = ingest::DecodeTracesProto(std::move(body), &decoded);
    if (!st.ok()) {
      state.SkipWithError(st.ToString().c_str());
      break;
    }
    ingest::NormalizedBatch out;
    normalizer.NormalizeTraces(decoded, 1, &out);
    benchmark::DoNotOptimize(out.steps.data());
    spans += batch_spans;
  }
  state.counters["spans/s"] = benchmark::Counter(static_cast<double>(spans), benchmark::Counter::kIsRate);
  state.SetBytesProcessed(bytes);
}
BENCHMARK(BM_DecodeNormalizeStream)->Apply(Sizes)->Unit(benchmark::kMicrosecond);

// Decode only (our zero-copy decoder), to split the figure above.
void BM_DecodeOnly(benchmark::State& state) {
  int spans = 0;
  const std::string& batch = Batch(state, &spans);
  constexpr size_t kCopies = 32;
  std::vector<std::string> bodies;
  size_t next = kCopies;
  for (auto _ : state) {
    if (next == kCopies) {
      state.PauseTiming();
      bodies.assign(kCopies, batch);
      next = 0;
      state.ResumeTiming();
    }
    ingest::TraceBatch decoded;
    Status st = ingest::DecodeTracesProto(std::move(bodies[next++]), &decoded);
    if (!st.ok()) {
      state.SkipWithError(st.ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(decoded.spans.data());
  }
  state.counters["spans/s"] = benchmark::Counter(static_cast<double>(spans),
                                                 benchmark::Counter::kIsIterationInvariantRate);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(batch.size()));
}
BENCHMARK(BM_DecodeOnly)->Apply(Sizes)->Unit(benchmark::kMicrosecond);

// Baseline: libprotobuf's generated parser on the same bytes (copies every string).
void BM_ProtobufParse(benchmark::State& state) {
  int spans = 0;
  const std::string& batch = Batch(state, &spans);
  for (auto _ : state) {
    opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest req;
    if (!req.ParseFromString(batch)) {
      state.SkipWithError("libprotobuf failed to parse the batch");
      break;
    }
    benchmark::DoNotOptimize(req.resource_spans_size());
  }
  state.counters["spans/s"] = benchmark::Counter(static_cast<double>(spans),
                                                 benchmark::Counter::kIsIterationInvariantRate);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(batch.size()));
}
BENCHMARK(BM_ProtobufParse)->Apply(Sizes)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace tracery::bench

BENCHMARK_MAIN();
