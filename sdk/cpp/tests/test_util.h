// Test helpers: a real `tracery serve` child process and an in-process fake OTLP collector.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace tracery_sdk::testing {

std::string Gunzip(const std::string& data);

// `tracery serve --data-dir <tmp> --http 127.0.0.1:0 --grpc off`; base() is http://HOST:PORT.
class ServerProcess {
 public:
  ServerProcess();
  ~ServerProcess();
  bool ok() const { return !base_.empty(); }
  const std::string& base() const { return base_; }
  const std::string& error() const { return error_; }
  // GET base+path; parsed JSON, or null with *status set.
  nlohmann::json Get(const std::string& path, int* status = nullptr) const;
  // Polls /api/runs/{id} until the run has steps and a final status (ingest is asynchronous).
  nlohmann::json WaitRun(const std::string& run_id, std::size_t min_steps = 1) const;

 private:
  std::string dir_;
  std::string base_;
  std::string error_;
  pid_t pid_ = -1;
};

struct Received {
  std::chrono::steady_clock::time_point at;
  httplib::Headers headers;
  std::string path;
  opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest request;
};

// In-process OTLP/HTTP receiver. respond(n) gives the status and headers of the n-th (0-based)
// request; default 200.
class FakeCollector {
 public:
  using Responder = std::function<int(int n, httplib::Response* res)>;
  explicit FakeCollector(Responder respond = nullptr);
  ~FakeCollector();
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<Received> received() const;
  // All spans received so far, flattened.
  std::vector<opentelemetry::proto::trace::v1::Span> spans() const;
  int requests() const;

 private:
  Responder respond_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mu_;
  int count_ = 0;
  std::vector<Received> received_;
};

// Attribute lookup on a decoded span; nullptr when absent.
const opentelemetry::proto::common::v1::AnyValue* FindAttr(
    const opentelemetry::proto::trace::v1::Span& span, const std::string& key);

}  // namespace tracery_sdk::testing
