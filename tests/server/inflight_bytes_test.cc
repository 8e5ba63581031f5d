// The in-flight request byte budget: the unit behaviour of IngestPipeline slots, and the HTTP
// listener answering 503 + Retry-After past it.
#include <httplib.h>

#include <future>
#include <string>

#include "core/compression.h"
#include "server/ingest_pipeline.h"
#include "server/server.h"
#include "server/server_internal.h"
#include "test_util.h"
#include "testing/testing.h"

namespace tracery::server {
namespace {

using ::testing::HasSubstr;
using testing::FakeStore;
using testing::LocalOptions;
using testing::TraceRequestProto;

TEST(InflightBytesTest, SlotsReserveAndReleaseBytes) {
  FakeStore store;
  IngestPipeline pipeline({}, &store, /*max_inflight=*/0, /*max_inflight_bytes=*/100);
  {
    InflightSlot a = pipeline.TryAcquire(40);
    ASSERT_TRUE(a);
    EXPECT_EQ(pipeline.inflight_bytes(), 40u);
    EXPECT_FALSE(pipeline.TryAcquire(61));  // 40 + 61 > 100
    EXPECT_EQ(pipeline.inflight_bytes(), 40u);
    EXPECT_EQ(pipeline.inflight(), 1);  // the refused request holds no slot
    InflightSlot b = pipeline.TryAcquire(60);  // exactly at the budget
    ASSERT_TRUE(b);
    EXPECT_EQ(pipeline.inflight_bytes(), 100u);
    EXPECT_FALSE(b.ReserveBytes(61));  // growing past the budget with others in flight
    EXPECT_EQ(b.reserved_bytes(), 60u);
    InflightSlot moved = std::move(b);
    EXPECT_EQ(moved.reserved_bytes(), 60u);
    EXPECT_EQ(pipeline.inflight_bytes(), 100u);
  }
  EXPECT_EQ(pipeline.inflight_bytes(), 0u);
  EXPECT_EQ(pipeline.inflight(), 0);
}

TEST(InflightBytesTest, ARequestAloneIsAdmittedAndMayGrow) {
  FakeStore store;
  IngestPipeline pipeline({}, &store, 0, 100);
  InflightSlot big = pipeline.TryAcquire(500);  // alone: larger than the budget still passes
  ASSERT_TRUE(big);
  EXPECT_TRUE(big.ReserveBytes(800));  // e.g. its gzip body inflated
  EXPECT_EQ(pipeline.inflight_bytes(), 800u);
  EXPECT_FALSE(pipeline.TryAcquire(1));
  InflightSlot unknown = pipeline.TryAcquire(0);  // no Content-Length: admitted, grows as read
  ASSERT_TRUE(unknown);
  EXPECT_FALSE(unknown.ReserveBytes(1));  // ...but cannot grow while another holds the budget
  unknown = InflightSlot();
  big = InflightSlot();
  EXPECT_EQ(pipeline.inflight_bytes(), 0u);
  InflightSlot chunked = pipeline.TryAcquire(0);
  ASSERT_TRUE(chunked);
  EXPECT_TRUE(chunked.ReserveBytes(30));
  InflightSlot other = pipeline.TryAcquire(50);
  ASSERT_TRUE(other);
  EXPECT_TRUE(chunked.ReserveBytes(50));
  EXPECT_FALSE(chunked.ReserveBytes(51));
  EXPECT_EQ(pipeline.inflight_bytes(), 100u);
}

TEST(InflightBytesTest, ZeroBudgetMeansNoByteLimit) {
  FakeStore store;
  IngestPipeline pipeline({}, &store, 0, 0);
  InflightSlot a = pipeline.TryAcquire(1u << 30);
  InflightSlot b = pipeline.TryAcquire(1u << 30);
  EXPECT_TRUE(a);
  EXPECT_TRUE(b);
  EXPECT_TRUE(b.ReserveBytes(3u << 30));
}

class InflightBytesServerTest : public ::testing::Test {
 protected:
  void TearDown() override {
    store_.BlockWrites(false);
    if (server_) server_->Stop();
  }
  httplib::Result PostProto(const std::string& body, httplib::Headers headers = {}) {
    httplib::Client c("127.0.0.1", server_->http_port());
    c.set_read_timeout(30, 0);
    c.set_write_timeout(30, 0);
    return c.Post("/v1/traces", headers, body, "application/x-protobuf");
  }
  FakeStore store_;
  std::unique_ptr<Server> server_;
};

TEST_F(InflightBytesServerTest, OverTheByteBudgetIs503WithRetryAfter) {
  const std::string first_body = TraceRequestProto(1);
  const std::string second_body = TraceRequestProto(1, 0, "other", "3af7651916cd43dd8448eb211c80319c");
  ServerOptions opts = LocalOptions();
  opts.max_inflight_requests = 8;  // the count limit is not what refuses below
  opts.max_inflight_bytes = first_body.size() + second_body.size() - 1;
  opts.retry_after_s = 3;
  ASSERT_OK_AND_ASSIGN(server_, CreateServer(opts, {}, &store_));
  ASSERT_OK(server_->Start());
  store_.BlockWrites(true);
  auto first = std::async(std::launch::async, [&] { return PostProto(first_body); });
  store_.WaitForBlockedWriters(1);
  auto res = PostProto(second_body);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(res->get_header_value("Retry-After"), "3");
  EXPECT_THAT(res->body, HasSubstr("bytes"));
  store_.BlockWrites(false);
  auto first_res = first.get();
  ASSERT_TRUE(first_res);
  EXPECT_EQ(first_res->status, 200);
  // The bytes were released: the same request now fits.
  res = PostProto(second_body);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST_F(InflightBytesServerTest, GzipBodiesCountTheirInflatedSize) {
  const std::string first_body = TraceRequestProto(1);
  const std::string second_plain = TraceRequestProto(1, 0, "other", "3af7651916cd43dd8448eb211c80319c");
  const std::string second_zipped = GzipCompress(second_plain);
  ASSERT_LT(second_zipped.size(), second_plain.size());
  ServerOptions opts = LocalOptions();
  // Room for the compressed second body, not for its inflated size.
  opts.max_inflight_bytes = first_body.size() + second_zipped.size();
  ASSERT_OK_AND_ASSIGN(server_, CreateServer(opts, {}, &store_));
  ASSERT_OK(server_->Start());
  store_.BlockWrites(true);
  auto first = std::async(std::launch::async, [&] { return PostProto(first_body); });
  store_.WaitForBlockedWriters(1);
  auto res = PostProto(second_zipped, {{"Content-Encoding", "gzip"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(res->get_header_value("Retry-After"), "1");
  store_.BlockWrites(false);
  ASSERT_EQ(first.get()->status, 200);
  res = PostProto(second_zipped, {{"Content-Encoding", "gzip"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

}  // namespace
}  // namespace tracery::server
