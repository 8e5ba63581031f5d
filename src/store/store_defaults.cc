// Default implementations of optional Store methods, in terms of the required ones.
#include <utility>

#include "store/store.h"

namespace tracery::store {

Result<std::vector<OutlineStep>> Store::GetRunOutline(const std::string& run_id) {
  std::vector<OutlineStep> out;
  StepWindow window;
  window.limit = 10000;
  while (true) {
    TRACERY_ASSIGN_OR_RETURN(RunDetail detail, GetRun(run_id, window));
    if (out.empty()) out.reserve(static_cast<size_t>(detail.total_steps));
    for (StoredStep& ss : detail.steps) {
      model::Step& s = ss.step;
      OutlineStep o;
      o.step_id = std::move(s.step_id);
      o.parent_id = std::move(s.parent_id);
      o.name = std::move(s.name);
      o.agent = std::move(s.agent);
      o.retry_of = std::move(s.retry_of);
      o.start_ns = s.start_ns;
      o.end_ns = s.end_ns;
      o.attempt = s.attempt;
      o.type = s.type;
      o.status = s.status;
      o.failed = s.failure.has_value();
      out.push_back(std::move(o));
    }
    window.offset += static_cast<int64_t>(detail.steps.size());
    if (detail.steps.size() < static_cast<size_t>(window.limit) || window.offset >= detail.total_steps) break;
  }
  return out;
}

}  // namespace tracery::store
