// GET /api/runs/{id}/outline: the whole step tree of a run as compact parallel arrays, so the UI
// can lay out a 100,000-step tree and timeline without fetching every step's full document.
#include <iterator>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "query/json_writer.h"
#include "query/query_service.h"

namespace tracery::query {
namespace {

// Interns strings into a table; index of each distinct value in first-seen order.
class Interner {
 public:
  int Add(const std::string& s) {
    auto [it, inserted] = index_.emplace(s, static_cast<int>(values_.size()));
    if (inserted) values_.push_back(s);
    return it->second;
  }
  const std::vector<std::string>& values() const { return values_; }

 private:
  std::unordered_map<std::string, int> index_;
  std::vector<std::string> values_;
};

// Within each group of equal start times put every step after its parent and after the attempt
// it retries, as GET /api/runs/{id} orders its windows, so outline indices match window seqs.
void OrderParentsFirst(std::vector<store::OutlineStep>& steps) {
  size_t i = 0;
  while (i < steps.size()) {
    size_t j = i + 1;
    while (j < steps.size() && steps[j].start_ns == steps[i].start_ns) ++j;
    if (j - i > 1 && j - i <= 64) {  // same bound as the window ordering (hostile ties stay as stored)
      std::vector<store::OutlineStep> group(std::make_move_iterator(steps.begin() + static_cast<ptrdiff_t>(i)),
                                            std::make_move_iterator(steps.begin() + static_cast<ptrdiff_t>(j)));
      std::vector<char> placed(group.size(), 0);
      size_t out = i;
      for (size_t round = 0; round < group.size(); ++round) {
        size_t pick = group.size();
        for (size_t k = 0; k < group.size() && pick == group.size(); ++k) {
          if (placed[k]) continue;
          bool pending = false;
          for (size_t m = 0; m < group.size() && !pending; ++m) {
            pending = !placed[m] && m != k &&
                      (group[m].step_id == group[k].parent_id || group[m].step_id == group[k].retry_of);
          }
          if (!pending) pick = k;
        }
        if (pick == group.size()) {  // a cycle: keep the remaining order
          for (size_t k = 0; k < group.size() && pick == group.size(); ++k) {
            if (!placed[k]) pick = k;
          }
        }
        placed[pick] = 1;
        steps[out++] = std::move(group[pick]);
      }
    }
    i = j;
  }
}

void WriteStrings(JsonWriter& w, const char* key, const std::vector<std::string>& values) {
  w.Key(key);
  w.BeginArray();
  for (const auto& v : values) w.String(v);
  w.EndArray();
}

}  // namespace

Result<std::string> QueryService::GetRunOutline(const std::string& run_id, const Params& params) const {
  if (run_id.empty()) return InvalidArgumentError("run id is empty");
  if (run_id.size() > 256) return InvalidArgumentError("run id is longer than 256 characters");
  if (!params.empty()) return InvalidArgumentError("unknown parameter \"" + params.begin()->first + "\"");
  TRACERY_ASSIGN_OR_RETURN(std::vector<store::OutlineStep> rows, store_->GetRunOutline(run_id));
  // Offsets are from the earliest step (rows are in start order), which is the run's start.
  const int64_t run_start_ns = rows.empty() ? 0 : rows.front().start_ns;
  OrderParentsFirst(rows);
  Interner names;
  Interner types;
  Interner agents;
  Interner statuses;
  std::vector<int> name_idx, type_idx, agent_idx, status_idx;
  name_idx.reserve(rows.size());
  type_idx.reserve(rows.size());
  agent_idx.reserve(rows.size());
  status_idx.reserve(rows.size());
  for (const store::OutlineStep& r : rows) {
    name_idx.push_back(names.Add(r.name));
    type_idx.push_back(types.Add(std::string(model::ToString(r.type))));
    agent_idx.push_back(agents.Add(r.agent));
    status_idx.push_back(statuses.Add(std::string(model::ToString(r.status))));
  }
  // Parents and retries as row indices; -1 for the root, or a parent not (yet) stored.
  std::unordered_map<std::string_view, int> index;
  index.reserve(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) index.emplace(rows[i].step_id, static_cast<int>(i));
  auto lookup = [&](const std::string& id) {
    if (id.empty()) return -1;
    auto it = index.find(id);
    return it == index.end() ? -1 : it->second;
  };

  JsonWriter w;
  w.BeginObject();
  w.Key("run_id");
  w.String(run_id);
  w.Key("total_steps");
  w.Int(static_cast<int64_t>(rows.size()));
  w.Key("start_unix_nano");
  w.String(std::to_string(run_start_ns));
  WriteStrings(w, "names", names.values());
  WriteStrings(w, "types", types.values());
  WriteStrings(w, "agents", agents.values());
  WriteStrings(w, "statuses", statuses.values());
  w.Key("step_id");
  w.BeginArray();
  for (const store::OutlineStep& r : rows) w.String(r.step_id);
  w.EndArray();
  w.Key("parent");
  w.BeginArray();
  for (const store::OutlineStep& r : rows) w.Int(lookup(r.parent_id));
  w.EndArray();
  auto ints = [&](const char* key, auto get) {
    w.Key(key);
    w.BeginArray();
    for (size_t i = 0; i < rows.size(); ++i) w.Int(get(i));
    w.EndArray();
  };
  ints("name", [&](size_t i) { return int64_t{name_idx[i]}; });
  ints("type", [&](size_t i) { return int64_t{type_idx[i]}; });
  ints("agent", [&](size_t i) { return int64_t{agent_idx[i]}; });
  ints("status", [&](size_t i) { return int64_t{status_idx[i]}; });
  ints("failed", [&](size_t i) { return int64_t{rows[i].failed ? 1 : 0}; });
  ints("attempt", [&](size_t i) { return int64_t{rows[i].attempt}; });
  ints("retry_of", [&](size_t i) { return int64_t{lookup(rows[i].retry_of)}; });
  // Microseconds from the run start (integers are shorter than millisecond floats); -1 = open.
  ints("start_us", [&](size_t i) { return (rows[i].start_ns - run_start_ns) / 1000; });
  ints("duration_us", [&](size_t i) {
    return rows[i].end_ns == 0 ? int64_t{-1} : (rows[i].end_ns - rows[i].start_ns) / 1000;
  });
  w.EndObject();
  return w.Take();
}

}  // namespace tracery::query
