#include "server/server.h"

#include <arpa/inet.h>
#include <sys/resource.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "core/compression.h"
#include "google/rpc/status.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "server/server_internal.h"
#include "test_util.h"
#include "testing/testing.h"

namespace tracery::server {
namespace {

using ::testing::HasSubstr;
using testing::FakeStore;
using testing::LocalOptions;
using testing::TraceRequestJson;
using testing::TraceRequestProto;

constexpr const char* kProto = "application/x-protobuf";
constexpr const char* kJson = "application/json";

class ServerTest : public ::testing::Test {
 protected:
  void StartServer(ServerOptions opts = LocalOptions(), ServerTuning tuning = {}) {
    ASSERT_OK_AND_ASSIGN(server_, CreateServerWithTuning(opts, {}, &store_, tuning));
    ASSERT_OK(server_->Start());
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }
  httplib::Client Client() {
    httplib::Client c("127.0.0.1", server_->http_port());
    c.set_read_timeout(30, 0);
    c.set_write_timeout(30, 0);
    return c;
  }
  httplib::Result PostProto(const std::string& path, const std::string& body, httplib::Headers headers = {}) {
    return Client().Post(path.c_str(), headers, body, kProto);
  }

  FakeStore store_;
  std::unique_ptr<Server> server_;
};

google::rpc::Status ParseRpcStatus(const std::string& body) {
  google::rpc::Status st;
  EXPECT_TRUE(st.ParseFromString(body));
  return st;
}

TEST_F(ServerTest, HealthAndReady) {
  StartServer();
  auto res = Client().Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, R"({"status":"ok"})");
  res = Client().Get("/readyz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_THAT(res->body, HasSubstr(R"("status":"ready")"));
  EXPECT_THAT(res->body, HasSubstr(R"("runs":0)"));
}

TEST_F(ServerTest, HandlerExceptionBecomesJson500) {
  StartServer();
  store_.ThrowOnGetInfo(true);
  auto res = Client().Get("/readyz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 500);
  EXPECT_THAT(res->body, HasSubstr(R"("code":"INTERNAL")"));
  // ...and the server keeps serving.
  store_.ThrowOnGetInfo(false);
  EXPECT_EQ(Client().Get("/readyz")->status, 200);
}

TEST_F(ServerTest, LogsTheServingLine) {
  ::testing::internal::CaptureStderr();
  StartServer();
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_THAT(err, HasSubstr("tracery serving http=127.0.0.1:" + std::to_string(server_->http_port()) +
                             " grpc=127.0.0.1:" + std::to_string(server_->grpc_port())));
  EXPECT_GT(server_->http_port(), 0);
  EXPECT_GT(server_->grpc_port(), 0);
}

TEST_F(ServerTest, GrpcOffIsLogged) {
  ServerOptions opts = LocalOptions();
  opts.grpc_address = "";
  ::testing::internal::CaptureStderr();
  StartServer(opts);
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_THAT(err, HasSubstr("grpc=off"));
  EXPECT_EQ(server_->grpc_port(), 0);
}

TEST_F(ServerTest, StartTwiceAndPortInUse) {
  StartServer();
  EXPECT_STATUS(server_->Start(), StatusCode::kFailedPrecondition);
  ServerOptions opts = LocalOptions();
  opts.http_address = "127.0.0.1:" + std::to_string(server_->http_port());
  FakeStore other;
  ASSERT_OK_AND_ASSIGN(auto second, CreateServer(opts, {}, &other));
  Status st = second->Start();
  EXPECT_FALSE(st.ok());
  EXPECT_THAT(st.message(), HasSubstr(opts.http_address));
}

TEST_F(ServerTest, ProtobufIngestCommitsAndAnswersInProtobuf) {
  StartServer();
  auto res = PostProto("/v1/traces", TraceRequestProto(2));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(res->get_header_value("Content-Type"), kProto);
  opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse resp;
  ASSERT_TRUE(resp.ParseFromString(res->body));
  EXPECT_FALSE(resp.has_partial_success());
  auto steps = store_.steps();
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[0].run_id, "0af7651916cd43dd8448eb211c80319c");
}

TEST_F(ServerTest, JsonIngestAnswersInJson) {
  StartServer();
  auto res = Client().Post("/v1/traces", TraceRequestJson(), "application/json; charset=utf-8");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_THAT(res->get_header_value("Content-Type"), HasSubstr(kJson));
  EXPECT_THAT(res->body, ::testing::Not(HasSubstr("partialSuccess")));
  ASSERT_EQ(store_.steps().size(), 1u);
  EXPECT_EQ(store_.steps()[0].run_id, "5b8efff798038103d269b633813fc60c");
}

TEST_F(ServerTest, LangfusePathIsTheSameHandler) {
  StartServer();
  auto res = PostProto("/api/public/otel/v1/traces", TraceRequestProto(1));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(store_.steps().size(), 1u);
}

TEST_F(ServerTest, LogsIngest) {
  StartServer();
  auto res = PostProto("/v1/logs", testing::LogsRequestProto());
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  res = Client().Post("/v1/logs", "{}", kJson);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
}

TEST_F(ServerTest, GzipDeflateAndCaseInsensitiveEncoding) {
  StartServer();
  const std::string body = TraceRequestProto(1);
  auto res = PostProto("/v1/traces", GzipCompress(body), {{"Content-Encoding", "gzip"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  res = PostProto("/v1/traces", GzipCompress(TraceRequestProto(1, 0, "b", "1af7651916cd43dd8448eb211c80319c")),
                  {{"Content-Encoding", "GZIP"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  res = PostProto("/v1/traces", testing::ZlibCompress(TraceRequestProto(1, 0, "c", "2af7651916cd43dd8448eb211c80319c")),
                  {{"Content-Encoding", "deflate"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(store_.steps().size(), 3u);
}

TEST_F(ServerTest, CorruptGzipIs400) {
  StartServer();
  auto res = PostProto("/v1/traces", "\x1f\x8b\x08\x00garbage", {{"Content-Encoding", "gzip"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(ParseRpcStatus(res->body).code(), 3);
}

TEST_F(ServerTest, PartialSuccessReportsRejectedSpans) {
  StartServer();
  auto res = PostProto("/v1/traces", TraceRequestProto(1, 2));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse resp;
  ASSERT_TRUE(resp.ParseFromString(res->body));
  ASSERT_TRUE(resp.has_partial_success());
  EXPECT_EQ(resp.partial_success().rejected_spans(), 2);
  EXPECT_FALSE(resp.partial_success().error_message().empty());
  EXPECT_EQ(store_.steps().size(), 1u);
}

TEST_F(ServerTest, MalformedBodiesAre400InTheRequestEncoding) {
  StartServer();
  auto res = PostProto("/v1/traces", std::string("\xff\xff\xff\xff\x0f", 5));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(res->get_header_value("Content-Type"), kProto);
  google::rpc::Status st = ParseRpcStatus(res->body);
  EXPECT_EQ(st.code(), 3);
  EXPECT_FALSE(st.message().empty());

  res = Client().Post("/v1/traces", "{\"resourceSpans\": [", kJson);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_THAT(res->body, HasSubstr("\"code\""));
  EXPECT_TRUE(store_.steps().empty());
  // The server keeps serving.
  EXPECT_EQ(PostProto("/v1/traces", TraceRequestProto(1))->status, 200);
}

TEST_F(ServerTest, UnsupportedMediaTypeAndEncodingAre415) {
  StartServer();
  auto res = Client().Post("/v1/traces", "hello", "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 415);
  EXPECT_THAT(res->body,
              HasSubstr("unsupported media type, supported: [application/json, application/x-protobuf]"));
  res = PostProto("/v1/traces", "x", {{"Content-Encoding", "br"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 415);
  EXPECT_THAT(ParseRpcStatus(res->body).message(), HasSubstr("content encoding \"br\""));
}

TEST_F(ServerTest, WrongMethodIs405AndUnknownPathIs404) {
  StartServer();
  auto res = Client().Get("/v1/traces");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
  EXPECT_EQ(res->get_header_value("Allow"), "POST");
  res = Client().Put("/v1/logs", "x", kProto);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
  res = Client().Delete("/api/runs");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
  res = Client().Get("/no/such/path");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_THAT(res->body, HasSubstr(R"("code":"NOT_FOUND")"));
  res = Client().Post("/v1/metrics", "x", kProto);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
}

TEST_F(ServerTest, BodyOnGetIsRejected) {
  StartServer();
  httplib::Request req;
  req.method = "GET";
  req.path = "/api/runs";
  req.body = "payload";
  req.set_header("Content-Type", "text/plain");
  auto res = Client().send(req);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
}

TEST_F(ServerTest, OversizedBodyIs413) {
  ServerOptions opts = LocalOptions();
  opts.max_request_bytes = 1024;
  StartServer(opts);
  auto res = PostProto("/v1/traces", std::string(4096, 'x'));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  // Within the limit compressed, over it once inflated.
  res = PostProto("/v1/traces", GzipCompress(std::string(8192, 'x')), {{"Content-Encoding", "gzip"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  EXPECT_THAT(ParseRpcStatus(res->body).message(), HasSubstr("1024"));
}

TEST_F(ServerTest, GzipBombIs413WithBoundedMemory) {
  ServerOptions opts = LocalOptions();
  opts.max_request_bytes = 16 << 20;
  StartServer(opts);
  const std::string bomb = testing::GzipBomb(10);  // ~10 MiB on the wire, 10 GiB inflated
  ASSERT_LT(bomb.size(), opts.max_request_bytes);
  ASSERT_GT(bomb.size(), 5u << 20);
  rusage before{}, after{};
  getrusage(RUSAGE_SELF, &before);
  auto res = PostProto("/v1/traces", bomb, {{"Content-Encoding", "gzip"}});
  getrusage(RUSAGE_SELF, &after);
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 413);
  // Peak memory grows by about the capped buffers (raw + inflated <= 2 x 16 MiB), not by GiBs.
  EXPECT_LT(after.ru_maxrss - before.ru_maxrss, 256 * 1024) << "KiB";
  EXPECT_TRUE(store_.steps().empty());
  EXPECT_EQ(PostProto("/v1/traces", TraceRequestProto(1))->status, 200);
}

TEST_F(ServerTest, StoreOverloadIs429WithRetryAfter) {
  ServerOptions opts = LocalOptions();
  opts.retry_after_s = 7;
  StartServer(opts);
  store_.FailWritesWith(ResourceExhaustedError("write queue full"));
  auto res = PostProto("/v1/traces", TraceRequestProto(1));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 429);
  EXPECT_EQ(res->get_header_value("Retry-After"), "7");
  google::rpc::Status st = ParseRpcStatus(res->body);
  EXPECT_EQ(st.code(), 8);
  EXPECT_THAT(st.message(), HasSubstr("write queue full"));

  store_.FailWritesWith(UnavailableError("disk failed"));
  res = PostProto("/v1/traces", TraceRequestProto(1));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(res->get_header_value("Retry-After"), "7");
}

TEST_F(ServerTest, InflightLimitIs503WhileTheStoreIsBlocked) {
  ServerOptions opts = LocalOptions();
  opts.max_inflight_requests = 1;
  StartServer(opts);
  store_.BlockWrites(true);
  auto first = std::async(std::launch::async, [&] { return PostProto("/v1/traces", TraceRequestProto(1)); });
  store_.WaitForBlockedWriters(1);
  auto res = PostProto("/v1/traces", TraceRequestProto(1, 0, "other", "3af7651916cd43dd8448eb211c80319c"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(res->get_header_value("Retry-After"), "1");
  // Reads are not subject to the ingest limit.
  EXPECT_EQ(Client().Get("/healthz")->status, 200);
  store_.BlockWrites(false);
  auto first_res = first.get();
  ASSERT_TRUE(first_res);
  EXPECT_EQ(first_res->status, 200);
  // The slot was released.
  EXPECT_EQ(PostProto("/v1/traces", TraceRequestProto(1))->status, 200);
}

TEST_F(ServerTest, ApiRoutesUseQueryServiceAndMapErrors) {
  StartServer();
  ASSERT_EQ(PostProto("/v1/traces", TraceRequestProto(1))->status, 200);
  auto res = Client().Get("/api/runs");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_THAT(res->get_header_value("Content-Type"), HasSubstr(kJson));
  EXPECT_THAT(res->body, HasSubstr("0af7651916cd43dd8448eb211c80319c"));
  res = Client().Get("/api/runs/ffffffffffffffffffffffffffffffff");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_THAT(res->body, HasSubstr(R"("code":"NOT_FOUND")"));
  res = Client().Get("/api/runs/0af7651916cd43dd8448eb211c80319c/steps/1100000000000001/content");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  res = Client().Get("/api/runs?limit=notanumber");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_THAT(res->body, HasSubstr(R"("code":"INVALID_ARGUMENT")"));
  for (const char* path : {"/api/stats", "/api/sessions", "/api/agents"}) {
    res = Client().Get(path);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200) << path << ": " << res->body;
  }
}

// Browsers offer "br"; httplib would answer with brotli at quality 11 (seconds for a large run).
// Our responses are gzip when the client takes it, identity otherwise, and small ones stay plain.
TEST_F(ServerTest, ApiResponsesAreGzipOrIdentityNeverBrotli) {
  StartServer();
  for (int i = 0; i < 12; ++i) {
    const std::string trace = "0af7651916cd43dd8448eb211c8031" + std::string(i < 10 ? "0" : "") + std::to_string(i);
    ASSERT_EQ(PostProto("/v1/traces", TraceRequestProto(1, 0, "planner", trace))->status, 200);
  }
  const std::string path = "/api/runs";
  httplib::Client c = Client();
  c.set_decompress(false);
  auto plain = c.Get(path, {{"Accept-Encoding", "identity"}});
  ASSERT_TRUE(plain);
  ASSERT_EQ(plain->status, 200) << plain->body;
  ASSERT_GE(plain->body.size(), 1024u) << "the run document must be big enough to be compressed";
  EXPECT_FALSE(plain->has_header("Content-Encoding"));
  EXPECT_EQ(plain->get_header_value("Vary"), "Accept-Encoding");
  EXPECT_EQ(plain->get_header_value("Content-Type"), kJson);
  EXPECT_EQ(plain->get_header_value_count("Content-Type"), 1u);

  auto browser = c.Get(path, {{"Accept-Encoding", "gzip, deflate, br, zstd"}});
  ASSERT_TRUE(browser);
  EXPECT_EQ(browser->status, 200);
  EXPECT_EQ(browser->get_header_value("Content-Encoding"), "gzip");
  EXPECT_EQ(browser->get_header_value("Content-Length"), std::to_string(browser->body.size()));
  std::string inflated;
  ASSERT_OK(GunzipCapped(browser->body, plain->body.size() + 1, &inflated));
  EXPECT_EQ(inflated, plain->body);

  auto br_only = c.Get(path, {{"Accept-Encoding", "br"}});
  ASSERT_TRUE(br_only);
  EXPECT_FALSE(br_only->has_header("Content-Encoding"));
  EXPECT_EQ(br_only->body, plain->body);

  // Small bodies and errors are not worth compressing.
  auto small = c.Get("/healthz", {{"Accept-Encoding", "gzip, br"}});
  ASSERT_TRUE(small);
  EXPECT_FALSE(small->has_header("Content-Encoding"));
  EXPECT_EQ(small->body, R"({"status":"ok"})");
  auto missing = c.Get("/api/nothing-here", {{"Accept-Encoding", "gzip, br"}});
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_FALSE(missing->has_header("Content-Encoding"));
  EXPECT_THAT(missing->body, HasSubstr("NOT_FOUND"));
}

TEST_F(ServerTest, IndexPage) {
  StartServer();
  auto res = Client().Get("/");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_THAT(res->get_header_value("Content-Type"), HasSubstr("text/html"));
  EXPECT_THAT(res->body, HasSubstr("<title>Tracery</title>"));
  EXPECT_THAT(res->body, HasSubstr("/api/runs"));
  EXPECT_THAT(res->body, ::testing::Not(HasSubstr("https://cdn")));
}

// --- authentication -------------------------------------------------------------------------

class AuthServerTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerOptions opts = LocalOptions();
    opts.api_keys = {ApiKey{"ik", true, false}, ApiKey{"rk", false, true}};
    StartServer(opts);
  }
};

TEST_F(AuthServerTest, ReadRoutesNeedAReadKey) {
  auto res = Client().Get("/api/runs");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_THAT(res->body, HasSubstr("UNAUTHENTICATED"));
  EXPECT_FALSE(res->get_header_value("WWW-Authenticate").empty());
  res = Client().Get("/api/runs", {{"Authorization", "Bearer wrong"}});
  EXPECT_EQ(res->status, 401);
  res = Client().Get("/api/runs", {{"Authorization", "Bearer ik"}});
  EXPECT_EQ(res->status, 403);
  EXPECT_THAT(res->body, HasSubstr("PERMISSION_DENIED"));
  res = Client().Get("/api/runs", {{"x-api-key", "rk"}});
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(Client().Get("/")->status, 401);
  EXPECT_EQ(Client().Get("/readyz")->status, 401);
  // Health is open.
  EXPECT_EQ(Client().Get("/healthz")->status, 200);
}

TEST_F(AuthServerTest, IngestNeedsAnIngestKey) {
  auto res = PostProto("/v1/traces", TraceRequestProto(1));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(ParseRpcStatus(res->body).code(), 16);
  res = PostProto("/v1/traces", TraceRequestProto(1), {{"Authorization", "Bearer rk"}});
  EXPECT_EQ(res->status, 403);
  EXPECT_TRUE(store_.steps().empty());
  res = PostProto("/v1/traces", TraceRequestProto(1), {{"Authorization", "Bearer ik"}});
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(store_.steps().size(), 1u);
}

TEST_F(AuthServerTest, LangfuseBasicAuth) {
  httplib::Client c = Client();
  c.set_basic_auth("pk-lf-1234", "ik");
  auto res = c.Post("/api/public/otel/v1/traces", TraceRequestProto(1), kProto);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  c.set_basic_auth("pk-lf-1234", "nope");
  res = c.Post("/api/public/otel/v1/traces", TraceRequestProto(1), kProto);
  EXPECT_EQ(res->status, 401);
}

TEST(CreateServerTest, RefusesNonLoopbackWithoutKeys) {
  FakeStore store;
  ServerOptions opts = LocalOptions();
  opts.http_address = "0.0.0.0:0";
  auto s = CreateServer(opts, {}, &store);
  EXPECT_STATUS(s, StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.status().message(), HasSubstr("0.0.0.0:0"));
  opts = LocalOptions();
  opts.grpc_address = "[::]:0";
  EXPECT_STATUS(CreateServer(opts, {}, &store), StatusCode::kFailedPrecondition);
  opts.api_keys = {ApiKey{"k", true, true}};
  EXPECT_OK(CreateServer(opts, {}, &store));
}

TEST(CreateServerTest, ValidatesOptions) {
  FakeStore store;
  ServerOptions opts = LocalOptions();
  opts.http_address = "nonsense";
  EXPECT_STATUS(CreateServer(opts, {}, &store), StatusCode::kInvalidArgument);
  opts = LocalOptions();
  opts.api_keys = {ApiKey{"", true, true}};
  EXPECT_STATUS(CreateServer(opts, {}, &store), StatusCode::kInvalidArgument);
  opts.api_keys = {ApiKey{"k", false, false}};
  EXPECT_STATUS(CreateServer(opts, {}, &store), StatusCode::kInvalidArgument);
  opts = LocalOptions();
  opts.ui_dir = "/nonexistent/tracery-ui";
  EXPECT_STATUS(CreateServer(opts, {}, &store), StatusCode::kInvalidArgument);
  EXPECT_STATUS(CreateServer(LocalOptions(), {}, nullptr), StatusCode::kInvalidArgument);
}

// --- slow clients ---------------------------------------------------------------------------

int ConnectRaw(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

TEST_F(ServerTest, SlowClientsDoNotStarveIngestAndAreCutOff) {
  ServerOptions opts = LocalOptions();
  opts.http_threads = 4;
  opts.read_timeout_s = 1;
  StartServer(opts);
  const std::string partial =
      "POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
      "Content-Length: 100000\r\n\r\nhalf a bo";
  std::vector<int> fds;
  for (int i = 0; i < 2; ++i) {
    int fd = ConnectRaw(server_->http_port());
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::send(fd, partial.data(), partial.size(), MSG_NOSIGNAL), static_cast<ssize_t>(partial.size()));
    fds.push_back(fd);
  }
  // One that stalls inside the headers.
  int hfd = ConnectRaw(server_->http_port());
  ASSERT_GE(hfd, 0);
  ASSERT_GT(::send(hfd, "GET /api/runs HTTP/1.1\r\nHo", 26, MSG_NOSIGNAL), 0);
  fds.push_back(hfd);

  auto res = PostProto("/v1/traces", TraceRequestProto(1));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(store_.steps().size(), 1u);

  // The stalled connections are answered or closed by the server after its read timeout.
  for (int fd : fds) {
    timeval tv{30, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    char buf[512];
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    EXPECT_GE(n, 0) << "server did not cut off a stalled client";
    ::close(fd);
  }
  EXPECT_TRUE(store_.steps().size() == 1u);
}

// --- live stream ----------------------------------------------------------------------------

// Reads an SSE stream on its own thread and collects what arrives.
class SseReader {
 public:
  SseReader(int port, std::string path, httplib::Headers headers = {})
      : thread_([this, port, path, headers] {
          httplib::Client c("127.0.0.1", port);
          c.set_read_timeout(60, 0);
          auto res = c.Get(path.c_str(), headers, [&](const char* data, size_t n) {
            std::lock_guard<std::mutex> lock(mu_);
            text_.append(data, n);
            cv_.notify_all();
            return !cancel_.load();
          });
          std::lock_guard<std::mutex> lock(mu_);
          status_ = res ? res->status : -1;
          done_ = true;
          cv_.notify_all();
        }) {}
  ~SseReader() {
    cancel_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // Waits (bounded) until the collected text contains `needle`.
  bool WaitFor(const std::string& needle) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(30), [&] { return done_ || text_.find(needle) != std::string::npos; });
    return text_.find(needle) != std::string::npos;
  }
  bool WaitDone() {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(30), [&] { return done_; });
  }
  void Cancel() { cancel_ = true; }
  std::string text() {
    std::lock_guard<std::mutex> lock(mu_);
    return text_;
  }
  int status() {
    std::lock_guard<std::mutex> lock(mu_);
    return status_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::string text_;
  bool done_ = false;
  int status_ = 0;
  std::atomic<bool> cancel_{false};
  std::thread thread_;
};

TEST_F(ServerTest, LiveStreamReceivesRunAfterIngest) {
  ServerTuning tuning;
  tuning.sse_heartbeat_ms = 100;
  StartServer(LocalOptions(), tuning);
  SseReader reader(server_->http_port(), "/api/live");
  ASSERT_TRUE(reader.WaitFor(": connected"));
  ASSERT_EQ(PostProto("/v1/traces", TraceRequestProto(1))->status, 200);
  ASSERT_TRUE(reader.WaitFor("event: run\ndata: "));
  EXPECT_THAT(reader.text(), HasSubstr("0af7651916cd43dd8448eb211c80319c"));
  ASSERT_TRUE(reader.WaitFor(": heartbeat"));
}

TEST_F(ServerTest, LiveStreamFiltersByAgent) {
  ServerTuning tuning;
  tuning.sse_heartbeat_ms = 100;
  StartServer(LocalOptions(), tuning);
  SseReader reader(server_->http_port(), "/api/live?agent=coder");
  ASSERT_TRUE(reader.WaitFor(": connected"));
  ASSERT_EQ(PostProto("/v1/traces", TraceRequestProto(1, 0, "planner"))->status, 200);
  ASSERT_EQ(PostProto("/v1/traces", TraceRequestProto(1, 0, "coder", "4af7651916cd43dd8448eb211c80319c"))->status,
            200);
  ASSERT_TRUE(reader.WaitFor("4af7651916cd43dd8448eb211c80319c"));
  EXPECT_THAT(reader.text(), ::testing::Not(HasSubstr("0af7651916cd43dd8448eb211c80319c")));
  auto bad = Client().Get("/api/live?status=sideways");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
}

TEST_F(ServerTest, DisconnectedLiveClientFreesItsSlot) {
  ServerTuning tuning;
  tuning.sse_heartbeat_ms = 50;
  tuning.max_sse_clients = 1;
  StartServer(LocalOptions(), tuning);
  {
    SseReader first(server_->http_port(), "/api/live");
    ASSERT_TRUE(first.WaitFor(": connected"));
    auto full = Client().Get("/api/live");
    ASSERT_TRUE(full);
    EXPECT_EQ(full->status, 503);
    first.Cancel();
    ASSERT_TRUE(first.WaitDone());
  }
  // The server notices on its next write (a heartbeat) and frees the slot.
  bool reconnected = false;
  for (int i = 0; i < 200 && !reconnected; ++i) {
    SseReader again(server_->http_port(), "/api/live");
    if (again.WaitFor(": connected")) {
      reconnected = true;
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    again.Cancel();
  }
  EXPECT_TRUE(reconnected);
}

TEST_F(ServerTest, StopEndsOpenStreams) {
  StartServer();  // default 15 s heartbeat: only Stop() can end these streams promptly
  SseReader a(server_->http_port(), "/api/live");
  SseReader b(server_->http_port(), "/api/live?agent=x");
  ASSERT_TRUE(a.WaitFor(": connected"));
  ASSERT_TRUE(b.WaitFor(": connected"));
  server_->Stop();
  EXPECT_TRUE(a.WaitDone());
  EXPECT_TRUE(b.WaitDone());
  server_->Stop();  // idempotent
  // Wait() returns once stopped.
  server_->Wait();
}

TEST_F(ServerTest, StopWithIdleKeepAliveConnection) {
  StartServer();
  httplib::Client c("127.0.0.1", server_->http_port());
  c.set_keep_alive(true);
  ASSERT_EQ(c.Get("/healthz")->status, 200);
  auto t0 = std::chrono::steady_clock::now();
  server_->Stop();  // must not hang on the idle keep-alive connection
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  RecordProperty("stop_ms", static_cast<int>(ms));
  auto res = c.Get("/healthz");
  EXPECT_FALSE(res && res->status == 200);
}

}  // namespace
}  // namespace tracery::server
