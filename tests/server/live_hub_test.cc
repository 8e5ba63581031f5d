#include "server/live_hub.h"

#include <thread>

#include "fake_store.h"
#include "testing/testing.h"

namespace tracery::server {
namespace {

using std::chrono::milliseconds;

model::Run MakeRun(const std::string& id, const std::string& agent, model::RunStatus status) {
  model::Run r;
  r.run_id = id;
  r.agent_id = agent;
  r.status = status;
  return r;
}

TEST(LiveHubTest, DeliversMatchingRunsOnly) {
  testing::FakeStore store;
  auto hub = LiveHub::Create(&store, 8, 4);
  LiveFilter filter;
  filter.agents = {"planner"};
  filter.statuses = {model::RunStatus::kFailed};
  ASSERT_OK_AND_ASSIGN(auto sub, hub->Subscribe(filter));
  hub->Publish(MakeRun("r1", "planner", model::RunStatus::kOk));
  hub->Publish(MakeRun("r2", "coder", model::RunStatus::kFailed));
  hub->Publish(MakeRun("r3", "planner", model::RunStatus::kFailed));
  auto item = sub->Next(milliseconds(1000));
  ASSERT_EQ(item.kind, LiveSubscriber::Kind::kRun);
  EXPECT_THAT(item.data, ::testing::HasSubstr("r3"));
  EXPECT_EQ(sub->Next(milliseconds(1)).kind, LiveSubscriber::Kind::kTimeout);
}

TEST(LiveHubTest, SlowSubscriberDropsOldestAndIsTold) {
  testing::FakeStore store;
  auto hub = LiveHub::Create(&store, 2, 4);
  ASSERT_OK_AND_ASSIGN(auto sub, hub->Subscribe({}));
  for (int i = 0; i < 5; ++i) hub->Publish(MakeRun("run" + std::to_string(i), "a", model::RunStatus::kOk));
  auto first = sub->Next(milliseconds(1000));
  ASSERT_EQ(first.kind, LiveSubscriber::Kind::kDropped);
  EXPECT_EQ(first.dropped, 3);
  auto a = sub->Next(milliseconds(1000));
  auto b = sub->Next(milliseconds(1000));
  ASSERT_EQ(a.kind, LiveSubscriber::Kind::kRun);
  ASSERT_EQ(b.kind, LiveSubscriber::Kind::kRun);
  EXPECT_THAT(a.data, ::testing::HasSubstr("run3"));
  EXPECT_THAT(b.data, ::testing::HasSubstr("run4"));
}

TEST(LiveHubTest, StoreListenerFeedsSubscribers) {
  testing::FakeStore store;
  auto hub = LiveHub::Create(&store, 8, 4);
  EXPECT_EQ(store.listener_count(), 1);
  ASSERT_OK_AND_ASSIGN(auto sub, hub->Subscribe({}));
  store::WriteBatch batch;
  model::Step s;
  s.run_id = "0123456789abcdef0123456789abcdef";
  s.step_id = "0123456789abcdef";
  batch.steps.push_back(s);
  ASSERT_OK(store.Write(std::move(batch)));
  auto item = sub->Next(milliseconds(1000));
  ASSERT_EQ(item.kind, LiveSubscriber::Kind::kRun);
  EXPECT_THAT(item.data, ::testing::HasSubstr("0123456789abcdef0123456789abcdef"));
  hub->Shutdown();
  EXPECT_EQ(store.listener_count(), 0);
}

TEST(LiveHubTest, LimitAndUnsubscribeFreeSlots) {
  testing::FakeStore store;
  auto hub = LiveHub::Create(&store, 8, 1);
  ASSERT_OK_AND_ASSIGN(auto sub, hub->Subscribe({}));
  EXPECT_STATUS(hub->Subscribe({}), StatusCode::kUnavailable);
  hub->Unsubscribe(sub);
  hub->Unsubscribe(sub);  // idempotent
  EXPECT_EQ(hub->subscriber_count(), 0);
  EXPECT_OK(hub->Subscribe({}));
}

TEST(LiveHubTest, ShutdownWakesWaitersAndRefusesNew) {
  testing::FakeStore store;
  auto hub = LiveHub::Create(&store, 8, 4);
  ASSERT_OK_AND_ASSIGN(auto sub, hub->Subscribe({}));
  LiveSubscriber::Kind got = LiveSubscriber::Kind::kTimeout;
  std::thread waiter([&] { got = sub->Next(milliseconds(60000)).kind; });
  hub->Shutdown();
  waiter.join();
  EXPECT_EQ(got, LiveSubscriber::Kind::kClosed);
  EXPECT_STATUS(hub->Subscribe({}), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace tracery::server
