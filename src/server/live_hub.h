// Fan-out of store commits to live-stream (SSE) subscribers. The store listener runs on the
// writer thread, so publishing never blocks: each subscriber has a bounded queue and a slow
// subscriber loses its oldest items (counted, reported as one `dropped` notice).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/status.h"
#include "model/model.h"
#include "store/store.h"

namespace tracery::server {

struct LiveFilter {
  std::vector<std::string> agents;          // empty = any
  std::vector<model::RunStatus> statuses;   // empty = any
  bool Matches(const model::Run& run) const;
};

class LiveSubscriber {
 public:
  enum class Kind { kRun, kDropped, kTimeout, kClosed };
  struct Item {
    Kind kind = Kind::kTimeout;
    std::string data;      // kRun: the run JSON
    int64_t dropped = 0;   // kDropped: how many runs were lost since the last notice
  };

  LiveSubscriber(LiveFilter filter, size_t capacity) : filter_(std::move(filter)), capacity_(capacity) {}

  // Waits up to `timeout` for the next item. A pending drop notice is delivered before the
  // queued runs that survived it. kClosed once the hub shuts down or the subscriber is closed.
  Item Next(std::chrono::milliseconds timeout);

  // Called by the hub (publisher side). Never blocks on a slow consumer.
  void Push(const std::string& run_json);
  void Close();
  const LiveFilter& filter() const { return filter_; }

 private:
  const LiveFilter filter_;
  const size_t capacity_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  int64_t dropped_ = 0;
  bool closed_ = false;
};

class LiveHub : public std::enable_shared_from_this<LiveHub> {
 public:
  // Creates the hub and registers a store listener. `store` must outlive the hub. The listener
  // holds only a weak reference, so a late notification after destruction is harmless.
  static std::shared_ptr<LiveHub> Create(store::Store* store, size_t queue_capacity, int max_subscribers);
  LiveHub(store::Store* store, size_t queue_capacity, int max_subscribers);  // use Create()
  ~LiveHub();
  LiveHub(const LiveHub&) = delete;
  LiveHub& operator=(const LiveHub&) = delete;

  // kUnavailable when shutting down or max_subscribers are connected.
  Result<std::shared_ptr<LiveSubscriber>> Subscribe(LiveFilter filter);
  // Idempotent.
  void Unsubscribe(const std::shared_ptr<LiveSubscriber>& sub);
  // Closes every subscriber (their Next returns kClosed), refuses new ones and removes the
  // store listener. Idempotent. Not to be called from the store listener itself.
  void Shutdown();
  int subscriber_count() const;

  // The store listener body (public for tests).
  void Publish(const model::Run& run);

 private:
  store::Store* store_;
  const size_t queue_capacity_;
  const int max_subscribers_;
  int listener_id_ = 0;
  bool listening_ = false;
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<LiveSubscriber>> subs_;
  bool shutdown_ = false;
};

}  // namespace tracery::server
