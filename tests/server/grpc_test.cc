// OTLP/gRPC listener tests, against a real Server with a grpc++ client.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <future>

#include "google/rpc/status.pb.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.grpc.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "server/server.h"
#include "server/server_internal.h"
#include "test_util.h"
#include "testing/testing.h"

namespace tracery::server {
namespace {

using ::testing::HasSubstr;
namespace trace_pb = opentelemetry::proto::collector::trace::v1;
namespace logs_pb = opentelemetry::proto::collector::logs::v1;

class GrpcTest : public ::testing::Test {
 protected:
  void Start(ServerOptions opts = testing::LocalOptions()) {
    ASSERT_OK_AND_ASSIGN(server_, CreateServer(opts, {}, &store_));
    ASSERT_OK(server_->Start());
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->grpc_port()),
                                   grpc::InsecureChannelCredentials());
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }
  grpc::Status Export(const std::string& serialized, trace_pb::ExportTraceServiceResponse* resp,
                      const std::string& bearer = "", bool gzip = false) {
    trace_pb::ExportTraceServiceRequest req;
    EXPECT_TRUE(req.ParseFromString(serialized));
    auto stub = trace_pb::TraceService::NewStub(channel_);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    if (!bearer.empty()) ctx.AddMetadata("authorization", "Bearer " + bearer);
    if (gzip) ctx.set_compression_algorithm(GRPC_COMPRESS_GZIP);
    return stub->Export(&ctx, req, resp);
  }
  // Sends arbitrary bytes as the request message.
  grpc::Status ExportRaw(const std::string& bytes) {
    grpc::GenericStub stub(channel_);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    grpc::Slice slice(bytes.data(), bytes.size());
    grpc::ByteBuffer req(&slice, 1), resp;
    std::promise<grpc::Status> done;
    stub.UnaryCall(&ctx, "/opentelemetry.proto.collector.trace.v1.TraceService/Export", grpc::StubOptions(), &req,
                   &resp, [&](grpc::Status s) { done.set_value(std::move(s)); });
    return done.get_future().get();
  }

  testing::FakeStore store_;
  std::unique_ptr<Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(GrpcTest, ExportCommits) {
  Start();
  trace_pb::ExportTraceServiceResponse resp;
  grpc::Status st = Export(testing::TraceRequestProto(2), &resp);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_FALSE(resp.has_partial_success());
  EXPECT_EQ(store_.steps().size(), 2u);
}

TEST_F(GrpcTest, GzipAndPartialSuccess) {
  Start();
  trace_pb::ExportTraceServiceResponse resp;
  grpc::Status st = Export(testing::TraceRequestProto(1, 3), &resp, "", /*gzip=*/true);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_TRUE(resp.has_partial_success());
  EXPECT_EQ(resp.partial_success().rejected_spans(), 3);
  EXPECT_EQ(store_.steps().size(), 1u);
}

TEST_F(GrpcTest, LogsExport) {
  Start();
  logs_pb::ExportLogsServiceRequest req;
  ASSERT_TRUE(req.ParseFromString(testing::LogsRequestProto()));
  logs_pb::ExportLogsServiceResponse resp;
  auto stub = logs_pb::LogsService::NewStub(channel_);
  grpc::ClientContext ctx;
  grpc::Status st = stub->Export(&ctx, req, &resp);
  EXPECT_TRUE(st.ok()) << st.error_message();
}

TEST_F(GrpcTest, InvalidBytesAreInvalidArgument) {
  Start();
  grpc::Status st = ExportRaw(std::string("\xff\xff\xff\xff\x0f", 5));
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << st.error_message();
  EXPECT_FALSE(st.error_message().empty());
  EXPECT_TRUE(store_.steps().empty());
}

TEST_F(GrpcTest, OverloadIsResourceExhaustedWithRetryInfo) {
  Start();
  store_.FailWritesWith(ResourceExhaustedError("write queue full"));
  trace_pb::ExportTraceServiceResponse resp;
  grpc::Status st = Export(testing::TraceRequestProto(1), &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(st.error_message(), HasSubstr("write queue full"));
  google::rpc::Status details;  // the vendored message has code + message; details stay unknown fields
  ASSERT_TRUE(details.ParseFromString(st.error_details()));
  EXPECT_EQ(details.code(), 8);
  EXPECT_THAT(st.error_details(), HasSubstr("type.googleapis.com/google.rpc.RetryInfo"));
}

TEST_F(GrpcTest, InflightLimitIsResourceExhausted) {
  ServerOptions opts = testing::LocalOptions();
  opts.max_inflight_requests = 1;
  Start(opts);
  store_.BlockWrites(true);
  auto first = std::async(std::launch::async, [&] {
    trace_pb::ExportTraceServiceResponse r;
    return Export(testing::TraceRequestProto(1), &r);
  });
  store_.WaitForBlockedWriters(1);
  trace_pb::ExportTraceServiceResponse resp;
  grpc::Status st = Export(testing::TraceRequestProto(1), &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  store_.BlockWrites(false);
  EXPECT_TRUE(first.get().ok());
}

TEST_F(GrpcTest, OversizedMessageIsRejected) {
  ServerOptions opts = testing::LocalOptions();
  opts.max_request_bytes = 1024;
  Start(opts);
  trace_pb::ExportTraceServiceResponse resp;
  grpc::Status st = Export(testing::TraceRequestProto(40), &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << st.error_message();
  // The limit holds after grpc-encoding: gzip decompression too (the payload compresses well).
  st = Export(testing::TraceRequestProto(40), &resp, "", /*gzip=*/true);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << st.error_message();
  EXPECT_TRUE(store_.steps().empty());
}

TEST_F(GrpcTest, ApiKeysViaMetadata) {
  ServerOptions opts = testing::LocalOptions();
  opts.api_keys = {ApiKey{"ik", true, false}, ApiKey{"rk", false, true}};
  Start(opts);
  trace_pb::ExportTraceServiceResponse resp;
  EXPECT_EQ(Export(testing::TraceRequestProto(1), &resp).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Export(testing::TraceRequestProto(1), &resp, "rk").error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(Export(testing::TraceRequestProto(1), &resp, "ik").ok());
  // x-api-key works too.
  trace_pb::ExportTraceServiceRequest req;
  ASSERT_TRUE(req.ParseFromString(testing::TraceRequestProto(1)));
  auto stub = trace_pb::TraceService::NewStub(channel_);
  grpc::ClientContext ctx;
  ctx.AddMetadata("x-api-key", "ik");
  EXPECT_TRUE(stub->Export(&ctx, req, &resp).ok());
}

TEST_F(GrpcTest, StopWithBlockedExportFinishesIt) {
  Start();
  store_.BlockWrites(true);
  auto first = std::async(std::launch::async, [&] {
    trace_pb::ExportTraceServiceResponse r;
    return Export(testing::TraceRequestProto(1), &r);
  });
  store_.WaitForBlockedWriters(1);
  auto stopper = std::async(std::launch::async, [&] { server_->Stop(); });
  store_.BlockWrites(false);
  stopper.get();
  EXPECT_TRUE(first.get().ok());
}

}  // namespace
}  // namespace tracery::server
