// The server wired to the real embedded SQLite store: what is acknowledged is queryable.
#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "server/server.h"
#include "server/server_internal.h"
#include "store/store.h"
#include "test_util.h"
#include "testing/testing.h"

namespace tracery::server {
namespace {

using ::testing::HasSubstr;

class SqliteServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::SqliteOptions so;
    so.data_dir = dir_.path() + "/data";
    ASSERT_OK_AND_ASSIGN(store_, store::OpenSqliteStore(so));
    ServerTuning tuning;
    tuning.sse_heartbeat_ms = 100;
    ASSERT_OK_AND_ASSIGN(server_, CreateServerWithTuning(testing::LocalOptions(), {}, store_.get(), tuning));
    ASSERT_OK(server_->Start());
  }
  void TearDown() override {
    if (server_) server_->Stop();
    if (store_) store_->Close();
  }
  httplib::Client Client() {
    httplib::Client c("127.0.0.1", server_->http_port());
    c.set_read_timeout(30, 0);
    return c;
  }

  tracery::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Server> server_;
};

TEST_F(SqliteServerTest, AcknowledgedIngestIsQueryable) {
  const std::string run_id = "0af7651916cd43dd8448eb211c80319c";
  auto res = Client().Post("/v1/traces", testing::TraceRequestProto(3), "application/x-protobuf");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  res = Client().Get("/api/runs");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_THAT(res->body, HasSubstr(run_id));
  res = Client().Get(("/api/runs/" + run_id).c_str());
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_THAT(res->body, HasSubstr("1100000000000003"));  // the third step's id
  res = Client().Get("/readyz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_THAT(res->body, HasSubstr(R"("runs":1)"));
  EXPECT_THAT(res->body, HasSubstr(R"("steps":3)"));
}

TEST_F(SqliteServerTest, JsonAndGrpcIngestAreQueryable) {
  auto res = Client().Post("/v1/traces", testing::TraceRequestJson("coder"), "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;

  namespace trace_pb = opentelemetry::proto::collector::trace::v1;
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->grpc_port()),
                                     grpc::InsecureChannelCredentials());
  auto stub = trace_pb::TraceService::NewStub(channel);
  trace_pb::ExportTraceServiceRequest req;
  ASSERT_TRUE(req.ParseFromString(testing::TraceRequestProto(2, 0, "grpc", "6af7651916cd43dd8448eb211c80319c")));
  trace_pb::ExportTraceServiceResponse resp;
  grpc::ClientContext ctx;
  ctx.set_compression_algorithm(GRPC_COMPRESS_GZIP);
  grpc::Status st = stub->Export(&ctx, req, &resp);
  ASSERT_TRUE(st.ok()) << st.error_message();

  res = Client().Get("/api/runs");
  ASSERT_TRUE(res);
  EXPECT_THAT(res->body, HasSubstr("5b8efff798038103d269b633813fc60c"));
  EXPECT_THAT(res->body, HasSubstr("6af7651916cd43dd8448eb211c80319c"));
}

TEST_F(SqliteServerTest, LiveStreamSeesCommits) {
  std::mutex mu;
  std::condition_variable cv;
  std::string text;
  std::atomic<bool> cancel{false};
  std::thread reader([&] {
    httplib::Client c("127.0.0.1", server_->http_port());
    c.set_read_timeout(30, 0);
    c.Get("/api/live", [&](const char* d, size_t n) {
      std::lock_guard<std::mutex> lock(mu);
      text.append(d, n);
      cv.notify_all();
      return !cancel.load();
    });
  });
  auto wait_for = [&](const std::string& needle) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(30), [&] { return text.find(needle) != std::string::npos; });
  };
  ASSERT_TRUE(wait_for(": connected"));
  ASSERT_EQ(Client().Post("/v1/traces", testing::TraceRequestProto(1), "application/x-protobuf")->status, 200);
  EXPECT_TRUE(wait_for("event: run"));
  EXPECT_TRUE(wait_for("0af7651916cd43dd8448eb211c80319c"));
  cancel = true;
  reader.join();
}

}  // namespace
}  // namespace tracery::server
