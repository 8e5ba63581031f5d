// Helpers shared by the store tests: id makers, step builders and a store opener.
#pragma once

#include <fmt/core.h>

#include <memory>
#include <string>

#include "model/model.h"
#include "store/internal/sqlite_store_impl.h"
#include "store/store.h"
#include "testing/testing.h"

namespace tracery::store::testutil {

inline std::string RunId(int n) { return fmt::format("{:032x}", 0xabc000000 + n); }
inline std::string StepId(int n) { return fmt::format("{:016x}", 0x5000 + n); }

inline model::Step MakeStep(const std::string& run, int id, int parent, std::string name, model::StepType type,
                            int64_t start, int64_t end) {
  model::Step s;
  s.run_id = run;
  s.step_id = StepId(id);
  s.parent_id = parent < 0 ? "" : StepId(parent);
  s.name = std::move(name);
  s.type = type;
  s.start_ns = start;
  s.end_ns = end;
  s.status = model::StepStatus::kOk;
  return s;
}

inline SqliteOptions TestOptions(const std::string& dir) {
  SqliteOptions o;
  o.data_dir = dir + "/data";
  o.max_batch_wait_us = 0;
  o.reader_connections = 2;
  return o;
}

inline internal::SqliteStore* Impl(Store* s) { return dynamic_cast<internal::SqliteStore*>(s); }

inline WriteBatch Batch(std::vector<model::Step> steps) {
  WriteBatch b;
  b.steps = std::move(steps);
  return b;
}

}  // namespace tracery::store::testutil
