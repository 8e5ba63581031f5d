// Background exporter: bounded queue -> batches -> privacy filter -> protobuf -> gzip -> POST.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tracery_sdk/otlp.h"
#include "tracery_sdk/tracery_sdk.h"

namespace tracery_sdk {
namespace internal {

// Retry-After (delay-seconds or IMF-fixdate HTTP-date) -> seconds >= 0 from now_unix_s, or
// nullopt when absent or invalid.
std::optional<double> ParseRetryAfter(std::string_view header, double now_unix_s);

// Privacy filter + UTF-8 sanitizing applied to each span on the export thread.
void FilterSpan(Privacy mode, SpanData* span);
// Invalid UTF-8 sequences become U+FFFD, in place (protobuf strings must be valid UTF-8).
void SanitizeUtf8(std::string* s);
// Attributes that carry prompts/responses/tool payloads (dropped in metadata-only).
bool IsContentKey(std::string_view key);

// gzip (RFC 1952) of data; false on zlib failure.
bool Gzip(std::string_view data, std::string* out);

class Exporter : public std::enable_shared_from_this<Exporter> {
 public:
  Exporter(const TracerOptions& options, Attributes resource);
  ~Exporter();
  void Start();  // starts the thread (which holds a shared_ptr to this)

  // Agent thread: never blocks on I/O; drops (and counts) when full or closed.
  void Enqueue(SpanData span);
  bool Flush(std::chrono::milliseconds timeout);
  bool Shutdown(std::chrono::milliseconds timeout);
  ExportStats Stats() const;

 private:
  void Run();
  void ExportBatch(std::vector<SpanData> batch);
  void Drop(std::size_t n, const std::string& error);
  // Sleeps up to `d`, returning early when stopping; false if stopping.
  bool Sleep(std::chrono::duration<double> d);

  const TracerOptions options_;
  const Attributes resource_;
  std::string host_;  // scheme://host:port
  std::string path_;  // /prefix/v1/traces

  mutable std::mutex mu_;
  std::condition_variable work_cv_;  // export thread waits for spans / flush / stop
  std::condition_variable done_cv_;  // Flush waits for done_ to advance
  std::deque<SpanData> queue_;
  std::uint64_t pushed_ = 0;        // spans accepted into the queue, ever
  std::uint64_t done_ = 0;          // spans exported or dropped after being queued
  std::uint64_t flush_target_ = 0;  // export now (no schedule delay) until done_ reaches it
  bool closed_ = false;
  bool stop_ = false;
  bool thread_exited_ = false;
  ExportStats stats_;
  std::thread thread_;
};

}  // namespace internal
}  // namespace tracery_sdk
