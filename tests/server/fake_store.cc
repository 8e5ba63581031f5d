#include "fake_store.h"

#include <stdexcept>

namespace tracery::server::testing {

Result<store::WriteStats> FakeStore::Write(store::WriteBatch batch) {
  std::vector<model::Run> touched;
  std::vector<store::RunUpdateListener> listeners;
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (!write_status_.ok()) return write_status_;
    ++blocked_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return !block_; });
    --blocked_;
    store::WriteStats stats;
    for (model::Step& s : batch.steps) {
      model::Run& run = runs_[s.run_id];
      run.run_id = s.run_id;
      if (!s.hints.agent_id.empty()) run.agent_id = s.hints.agent_id;
      if (run.agent_id.empty()) run.agent_id = s.agent;
      run.name = s.name;
      run.status = model::RunStatus::kOk;
      run.step_count++;
      touched.push_back(run);
      steps_.push_back(std::move(s));
      stats.steps_inserted++;
    }
    for (model::Event& e : batch.events) events_.push_back(std::move(e));
    for (auto& [id, l] : listeners_) listeners.push_back(l);
    stats.runs_touched = static_cast<int64_t>(touched.size());
    // Like the real store, listeners run after the commit, outside the lock.
    lock.unlock();
    for (const model::Run& r : touched) {
      for (auto& l : listeners) l(r);
    }
    return stats;
  }
}

Result<store::RunPage> FakeStore::ListRuns(const store::RunFilter&, const store::PageRequest&) {
  std::lock_guard<std::mutex> lock(mu_);
  store::RunPage page;
  for (auto& [id, r] : runs_) page.runs.push_back(r);
  page.total = static_cast<int64_t>(page.runs.size());
  return page;
}

Result<store::RunDetail> FakeStore::GetRun(const std::string& run_id, const store::StepWindow&) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = runs_.find(run_id);
  if (it == runs_.end()) return NotFoundError("run " + run_id + " not found");
  store::RunDetail d;
  d.run = it->second;
  return d;
}

Result<std::vector<model::ContentField>> FakeStore::GetStepContent(const std::string& run_id, const std::string& step_id) {
  return NotFoundError("step " + run_id + "/" + step_id + " not found");
}

Result<std::vector<store::StatsRow>> FakeStore::Stats(const store::StatsQuery&) {
  return std::vector<store::StatsRow>{};
}

Result<store::SessionPage> FakeStore::ListSessions(const store::SessionFilter&) { return store::SessionPage{}; }

Result<std::vector<store::AgentSummary>> FakeStore::ListAgents(const store::RunFilter&) {
  return std::vector<store::AgentSummary>{};
}

int FakeStore::AddListener(store::RunUpdateListener listener) {
  std::lock_guard<std::mutex> lock(mu_);
  int id = next_listener_++;
  listeners_[id] = std::move(listener);
  return id;
}

void FakeStore::RemoveListener(int id) {
  std::lock_guard<std::mutex> lock(mu_);
  listeners_.erase(id);
}

Result<store::Store::Info> FakeStore::GetInfo() {
  if (throw_on_info_) throw std::runtime_error("injected failure");
  std::lock_guard<std::mutex> lock(mu_);
  Info info;
  info.runs = static_cast<int64_t>(runs_.size());
  info.steps = static_cast<int64_t>(steps_.size());
  return info;
}

void FakeStore::FailWritesWith(Status st) {
  std::lock_guard<std::mutex> lock(mu_);
  write_status_ = std::move(st);
}

void FakeStore::BlockWrites(bool block) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    block_ = block;
  }
  cv_.notify_all();
}

void FakeStore::WaitForBlockedWriters(int n) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return blocked_ >= n && block_; });
}

std::vector<model::Step> FakeStore::steps() const {
  std::lock_guard<std::mutex> lock(mu_);
  return steps_;
}

std::vector<model::Event> FakeStore::events() const {
  std::lock_guard<std::mutex> lock(mu_);
  return events_;
}

int FakeStore::listener_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(listeners_.size());
}

}  // namespace tracery::server::testing
