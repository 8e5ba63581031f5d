#include "server/grpc_service.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/byte_buffer.h>

#include <atomic>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "core/log.h"
#include "ingest/otlp_decode.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.grpc.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "server/http_status.h"

namespace tracery::server {
namespace {

namespace trace_pb = opentelemetry::proto::collector::trace::v1;
namespace logs_pb = opentelemetry::proto::collector::logs::v1;

// Runs jobs on a fixed set of threads. Jobs are admitted by the in-flight limit, so the queue
// is bounded by max_inflight_requests.
class WorkerPool {
 public:
  explicit WorkerPool(int n) {
    for (int i = 0; i < n; ++i) threads_.emplace_back([this] { Loop(); });
  }
  ~WorkerPool() { Stop(); }
  void Submit(std::function<void()> job) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      jobs_.push_back(std::move(job));
    }
    cv_.notify_one();
  }
  // Runs the queued jobs, then joins. Idempotent.
  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  void Loop() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return stop_ || !jobs_.empty(); });
        if (jobs_.empty()) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

void PutVarint(std::string* out, uint64_t v) {
  do {
    uint8_t b = v & 0x7F;
    v >>= 7;
    out->push_back(static_cast<char>(v ? (b | 0x80) : b));
  } while (v);
}

void PutBytesField(std::string* out, int field, std::string_view bytes) {
  PutVarint(out, static_cast<uint64_t>(field) << 3 | 2);
  PutVarint(out, bytes.size());
  out->append(bytes);
}

// google.rpc.Status{code, message, details: [Any{google.rpc.RetryInfo{retry_delay}}]},
// hand-encoded: the vendored status.proto has no `details` and error_details.proto is not
// vendored.
std::string EncodeStatusWithRetryInfo(int code, std::string_view message, int retry_after_s) {
  std::string duration;  // google.protobuf.Duration{seconds}
  PutVarint(&duration, 1 << 3 | 0);
  PutVarint(&duration, static_cast<uint64_t>(retry_after_s < 0 ? 0 : retry_after_s));
  std::string retry_info;
  PutBytesField(&retry_info, 1, duration);
  std::string any;
  PutBytesField(&any, 1, "type.googleapis.com/google.rpc.RetryInfo");
  PutBytesField(&any, 2, retry_info);
  std::string status;
  PutVarint(&status, 1 << 3 | 0);
  PutVarint(&status, static_cast<uint64_t>(code));
  PutBytesField(&status, 2, message);
  PutBytesField(&status, 3, any);
  return status;
}

grpc::Status ToGrpcStatus(const Status& st, int retry_after_s) {
  auto code = static_cast<grpc::StatusCode>(GrpcCodeFor(st.code()));
  if (IsRetryable(st.code())) {
    // OTLP clients retry RESOURCE_EXHAUSTED only when RetryInfo is present.
    return grpc::Status(code, st.message(), EncodeStatusWithRetryInfo(static_cast<int>(code), st.message(), retry_after_s));
  }
  return grpc::Status(code, st.message());
}

std::string_view Metadata(const grpc::CallbackServerContext* ctx, std::string_view key) {
  const auto& md = ctx->client_metadata();
  auto it = md.find(grpc::string_ref(key.data(), key.size()));
  if (it == md.end()) return {};
  return std::string_view(it->second.data(), it->second.size());
}

}  // namespace

struct GrpcIngestServer::Impl {
  IngestPipeline* pipeline;
  const Authenticator* auth;
  size_t max_request_bytes;
  int retry_after_s;
  std::unique_ptr<WorkerPool> pool;
  std::atomic<bool> shutting_down{false};
  std::shared_ptr<void> services;  // declared before `server`: must outlive it
  std::unique_ptr<grpc::Server> server;
  int port = 0;
  std::once_flag shutdown_once;

  // Shared by both services.
  grpc::ServerUnaryReactor* Handle(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response, Signal signal) {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    if (shutting_down.load(std::memory_order_acquire)) {
      reactor->Finish(ToGrpcStatus(UnavailableError("server is shutting down"), retry_after_s));
      return reactor;
    }
    Status auth_st = auth->Check(Credentials{Metadata(ctx, "authorization"), Metadata(ctx, "x-api-key")},
                                 Scope::kIngest);
    if (!auth_st.ok()) {
      reactor->Finish(ToGrpcStatus(auth_st, retry_after_s));
      return reactor;
    }
    InflightSlot slot = pipeline->TryAcquire(request->Length());
    if (!slot) {
      reactor->Finish(ToGrpcStatus(
          ResourceExhaustedError("too many concurrent ingest requests, retry later"), retry_after_s));
      return reactor;
    }
    std::string body;
    std::vector<grpc::Slice> slices;
    if (!request->Dump(&slices).ok()) {
      reactor->Finish(ToGrpcStatus(InvalidArgumentError("unreadable request message"), retry_after_s));
      return reactor;
    }
    body.reserve(request->Length());
    for (const grpc::Slice& s : slices) body.append(reinterpret_cast<const char*>(s.begin()), s.size());
    if (body.size() > max_request_bytes) {  // normally enforced by grpc's receive limit already
      reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                   "request of " + std::to_string(body.size()) + " bytes exceeds the limit of " +
                                       std::to_string(max_request_bytes)));
      return reactor;
    }
    auto job = std::make_shared<InflightSlot>(std::move(slot));
    pool->Submit([this, reactor, response, signal, job, b = std::move(body)]() mutable {
      grpc::Status result;
      try {
        auto outcome = pipeline->Export(signal, Encoding::kProto, std::move(b));
        if (outcome.ok()) {
          std::string out = ingest::EncodeExportResponseProto(outcome->rejected, outcome->message);
          grpc::Slice slice(out.data(), out.size());
          *response = grpc::ByteBuffer(&slice, 1);
        } else {
          result = ToGrpcStatus(outcome.status(), retry_after_s);
        }
      } catch (const std::exception& e) {
        log::Error("grpc export failed with an exception: {}", e.what());
        result = grpc::Status(grpc::StatusCode::INTERNAL, "internal error");
      } catch (...) {
        log::Error("grpc export failed with an unknown exception");
        result = grpc::Status(grpc::StatusCode::INTERNAL, "internal error");
      }
      job.reset();  // free the slot before answering so a client's next call is admitted
      reactor->Finish(result);
    });
    return reactor;
  }
};

namespace {

class TraceServiceImpl final : public trace_pb::TraceService::WithRawCallbackMethod_Export<trace_pb::TraceService::Service> {
 public:
  explicit TraceServiceImpl(GrpcIngestServer::Impl* impl) : impl_(impl) {}
  grpc::ServerUnaryReactor* Export(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override {
    return impl_->Handle(ctx, request, response, Signal::kTraces);
  }

 private:
  GrpcIngestServer::Impl* impl_;
};

class LogsServiceImpl final : public logs_pb::LogsService::WithRawCallbackMethod_Export<logs_pb::LogsService::Service> {
 public:
  explicit LogsServiceImpl(GrpcIngestServer::Impl* impl) : impl_(impl) {}
  grpc::ServerUnaryReactor* Export(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override {
    return impl_->Handle(ctx, request, response, Signal::kLogs);
  }

 private:
  GrpcIngestServer::Impl* impl_;
};

struct GrpcServices {
  std::unique_ptr<TraceServiceImpl> trace;
  std::unique_ptr<LogsServiceImpl> logs;
};

}  // namespace

GrpcIngestServer::GrpcIngestServer(IngestPipeline* pipeline, const Authenticator* auth, size_t max_request_bytes,
                                   int retry_after_s, int workers)
    : impl_(std::make_unique<Impl>()) {
  impl_->pipeline = pipeline;
  impl_->auth = auth;
  impl_->max_request_bytes = max_request_bytes;
  impl_->retry_after_s = retry_after_s;
  impl_->pool = std::make_unique<WorkerPool>(workers < 1 ? 1 : workers);
}

GrpcIngestServer::~GrpcIngestServer() { Shutdown(); }

Status GrpcIngestServer::Start(const std::string& host, int port) {
  std::string address = (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
  auto services = std::make_shared<GrpcServices>();
  services->trace = std::make_unique<TraceServiceImpl>(impl_.get());
  services->logs = std::make_unique<LogsServiceImpl>(impl_.get());
  grpc::ServerBuilder builder;
  int selected = 0;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &selected);
  builder.RegisterService(services->trace.get());
  builder.RegisterService(services->logs.get());
  int max = impl_->max_request_bytes > static_cast<size_t>(INT_MAX) ? INT_MAX : static_cast<int>(impl_->max_request_bytes);
  builder.SetMaxReceiveMessageSize(max);
  // One port per listener: refuse to share a port with another process.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || selected == 0) {
    return UnavailableError("cannot listen for grpc on " + address);
  }
  impl_->server = std::move(server);
  impl_->port = selected;
  impl_->services = services;
  return OkStatus();
}

int GrpcIngestServer::port() const { return impl_->port; }

void GrpcIngestServer::Shutdown() {
  std::call_once(impl_->shutdown_once, [this] {
    impl_->shutting_down.store(true, std::memory_order_release);
    if (impl_->server) {
      // In-flight exports finish; anything still running after the grace period is cancelled.
      impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    }
    impl_->pool->Stop();
    if (impl_->server) impl_->server->Wait();
  });
}

}  // namespace tracery::server
