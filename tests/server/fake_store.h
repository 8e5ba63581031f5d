// An in-memory store::Store for server tests: records writes, can fail or block writes on
// demand, and notifies listeners like the real store does after a commit.
#pragma once

#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "store/store.h"

namespace tracery::server::testing {

class FakeStore : public store::Store {
 public:
  Result<store::WriteStats> Write(store::WriteBatch batch) override;
  Result<store::RunPage> ListRuns(const store::RunFilter& filter, const store::PageRequest& page) override;
  Result<store::RunDetail> GetRun(const std::string& run_id, const store::StepWindow& window) override;
  Result<std::vector<model::ContentField>> GetStepContent(const std::string& run_id,
                                                          const std::string& step_id) override;
  Result<std::vector<store::StatsRow>> Stats(const store::StatsQuery& query) override;
  Result<store::SessionPage> ListSessions(const store::SessionFilter& filter) override;
  Result<std::vector<store::AgentSummary>> ListAgents(const store::RunFilter& filter) override;
  int AddListener(store::RunUpdateListener listener) override;
  void RemoveListener(int id) override;
  Result<Info> GetInfo() override;
  void Close() override {}

  // Test controls.
  void FailWritesWith(Status st);
  void BlockWrites(bool block);
  // Waits until `n` writers are blocked inside Write.
  void WaitForBlockedWriters(int n);
  void ThrowOnGetInfo(bool v) { throw_on_info_ = v; }
  std::vector<model::Step> steps() const;
  std::vector<model::Event> events() const;
  int listener_count() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  Status write_status_;
  bool block_ = false;
  int blocked_ = 0;
  bool throw_on_info_ = false;
  std::vector<model::Step> steps_;
  std::vector<model::Event> events_;
  std::map<std::string, model::Run> runs_;
  std::map<int, store::RunUpdateListener> listeners_;
  int next_listener_ = 1;
};

}  // namespace tracery::server::testing
