// Shared by the fuzz targets: checks invariants every successful decode must satisfy, so the
// fuzzer finds wrong results, not only crashes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "ingest/otlp_view.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace tracery::fuzz {

inline void FuzzCheck(bool cond) {
  if (!cond) std::abort();
}

inline void TouchValue(const ingest::AnyValueView& v, int depth) {
  FuzzCheck(depth <= 64);
  volatile size_t sink = v.str.size();
  for (const auto& e : v.array) TouchValue(e, depth + 1);
  for (const auto& kv : v.kvlist) {
    sink = sink + kv.key.size();
    TouchValue(kv.value, depth + 1);
  }
  (void)sink;
}

inline void CheckBatch(const ingest::TraceBatch& b) {
  for (const auto& s : b.spans) {
    FuzzCheck(s.trace_id.size() == 16 && s.span_id.size() == 8);
    FuzzCheck(s.parent_span_id.empty() || s.parent_span_id.size() == 8);
    FuzzCheck(s.resource != nullptr && s.scope != nullptr);
    for (const auto& kv : s.attributes) TouchValue(kv.value, 0);
    for (const auto& kv : s.resource->attributes) TouchValue(kv.value, 0);
    for (const auto& e : s.events) {
      for (const auto& kv : e.attributes) TouchValue(kv.value, 0);
    }
  }
  FuzzCheck(b.rejected_spans >= 0);
}

inline void CheckBatch(const ingest::LogBatch& b) {
  for (const auto& r : b.records) {
    FuzzCheck(r.trace_id.empty() || r.trace_id.size() == 16);
    FuzzCheck(r.span_id.empty() || r.span_id.size() == 8);
    FuzzCheck(r.resource != nullptr && r.scope != nullptr);
    TouchValue(r.body, 0);
    for (const auto& kv : r.attributes) TouchValue(kv.value, 0);
  }
  FuzzCheck(b.rejected_records >= 0);
}

}  // namespace tracery::fuzz
