#include "server/live_hub.h"

#include <algorithm>

#include "core/log.h"
#include "query/query_service.h"

namespace tracery::server {

bool LiveFilter::Matches(const model::Run& run) const {
  if (!agents.empty() && std::find(agents.begin(), agents.end(), run.agent_id) == agents.end()) return false;
  if (!statuses.empty() && std::find(statuses.begin(), statuses.end(), run.status) == statuses.end()) return false;
  return true;
}

LiveSubscriber::Item LiveSubscriber::Next(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return closed_ || dropped_ > 0 || !queue_.empty(); });
  Item item;
  if (closed_) {
    item.kind = Kind::kClosed;
  } else if (dropped_ > 0) {
    item.kind = Kind::kDropped;
    item.dropped = dropped_;
    dropped_ = 0;
  } else if (!queue_.empty()) {
    item.kind = Kind::kRun;
    item.data = std::move(queue_.front());
    queue_.pop_front();
  }
  return item;
}

void LiveSubscriber::Push(const std::string& run_json) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return;
    if (queue_.size() >= capacity_) {
      queue_.pop_front();
      ++dropped_;
    }
    queue_.push_back(run_json);
  }
  cv_.notify_one();
}

void LiveSubscriber::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    queue_.clear();
  }
  cv_.notify_all();
}

std::shared_ptr<LiveHub> LiveHub::Create(store::Store* store, size_t queue_capacity, int max_subscribers) {
  auto hub = std::make_shared<LiveHub>(store, queue_capacity, max_subscribers);
  std::weak_ptr<LiveHub> weak = hub;
  int id = store->AddListener([weak](const model::Run& run) {
    if (auto h = weak.lock()) h->Publish(run);
  });
  std::lock_guard<std::mutex> lock(hub->mu_);
  hub->listener_id_ = id;
  hub->listening_ = true;
  return hub;
}

LiveHub::LiveHub(store::Store* store, size_t queue_capacity, int max_subscribers)
    : store_(store), queue_capacity_(std::max<size_t>(1, queue_capacity)), max_subscribers_(max_subscribers) {}

LiveHub::~LiveHub() { Shutdown(); }

Result<std::shared_ptr<LiveSubscriber>> LiveHub::Subscribe(LiveFilter filter) {
  std::lock_guard<std::mutex> lock(mu_);
  if (shutdown_) return UnavailableError("server is shutting down");
  if (static_cast<int>(subs_.size()) >= max_subscribers_) {
    return UnavailableError("too many live-stream clients (" + std::to_string(max_subscribers_) + ")");
  }
  auto sub = std::make_shared<LiveSubscriber>(std::move(filter), queue_capacity_);
  subs_.push_back(sub);
  return sub;
}

void LiveHub::Unsubscribe(const std::shared_ptr<LiveSubscriber>& sub) {
  if (!sub) return;
  sub->Close();
  std::lock_guard<std::mutex> lock(mu_);
  subs_.erase(std::remove(subs_.begin(), subs_.end(), sub), subs_.end());
}

void LiveHub::Shutdown() {
  std::vector<std::shared_ptr<LiveSubscriber>> subs;
  bool was_listening = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    shutdown_ = true;
    subs.swap(subs_);
    std::swap(was_listening, listening_);
  }
  if (was_listening) store_->RemoveListener(listener_id_);
  for (auto& s : subs) s->Close();
}

int LiveHub::subscriber_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(subs_.size());
}

void LiveHub::Publish(const model::Run& run) {
  // Snapshot under the lock, render and push outside it: the writer thread only ever waits
  // for short critical sections.
  std::vector<std::shared_ptr<LiveSubscriber>> targets;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& s : subs_) {
      if (s->filter().Matches(run)) targets.push_back(s);
    }
  }
  if (targets.empty()) return;
  // This runs on the store's writer thread: nothing may escape into it.
  try {
    const std::string json = query::QueryService::RunJson(run);
    for (auto& s : targets) s->Push(json);
  } catch (const std::exception& e) {
    log::Error("live stream: could not render run {}: {}", run.run_id, e.what());
  }
}

}  // namespace tracery::server
