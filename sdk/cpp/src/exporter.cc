#include "exporter.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <random>

#include <httplib.h>

#include "redact.h"

namespace tracery_sdk {
namespace internal {

// ---- helpers ------------------------------------------------------------------------------------

std::optional<double> ParseRetryAfter(std::string_view header, double now_unix_s) {
  while (!header.empty() && std::isspace(static_cast<unsigned char>(header.front())))
    header.remove_prefix(1);
  while (!header.empty() && std::isspace(static_cast<unsigned char>(header.back())))
    header.remove_suffix(1);
  if (header.empty()) return std::nullopt;
  if (std::all_of(header.begin(), header.end(),
                  [](char c) { return c >= '0' && c <= '9'; })) {
    if (header.size() > 9) return 1e9;  // absurdly long; capped by backoff_max anyway
    return static_cast<double>(std::stol(std::string(header)));
  }
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
  char wday[4] = {}, mon[4] = {}, zone[4] = {};
  int day = 0, year = 0, hh = 0, mm = 0, ss = 0;
  const std::string text(header);
  if (std::sscanf(text.c_str(), "%3[A-Za-z], %d %3[A-Za-z] %d %d:%d:%d %3s", wday, &day, mon,
                  &year, &hh, &mm, &ss, zone) != 8 ||
      std::strcmp(zone, "GMT") != 0) {
    return std::nullopt;
  }
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  int month = -1;
  for (int i = 0; i < 12; ++i)
    if (std::strcmp(mon, kMonths[i]) == 0) month = i;
  if (month < 0 || day < 1 || day > 31 || year < 1970 || year > 9999 || hh > 23 || mm > 59 ||
      ss > 60 || hh < 0 || mm < 0 || ss < 0) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month;
  tm.tm_mday = day;
  tm.tm_hour = hh;
  tm.tm_min = mm;
  tm.tm_sec = ss;
  const double when = static_cast<double>(timegm(&tm));
  return std::max(0.0, when - now_unix_s);
}

bool IsContentKey(std::string_view key) {
  static constexpr std::string_view kKeys[] = {
      "gen_ai.input.messages",     "gen_ai.output.messages",     "gen_ai.system_instructions",
      "gen_ai.tool.call.arguments", "gen_ai.tool.call.result",   "gen_ai.retrieval.documents",
      "gen_ai.retrieval.query.text", "gen_ai.tool.definitions",  "gen_ai.prompt",
      "gen_ai.completion",         "input.value",                "output.value",
      "input.mime_type",           "output.mime_type",
  };
  for (auto k : kKeys)
    if (k == key) return true;
  return false;
}

namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 when invalid (overlong, surrogate,
// > U+10FFFF, truncated, stray continuation).
std::size_t Utf8SeqLen(const std::string& s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return 1;
  std::size_t n;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
  return n;
}

void RedactValue(bool mask_pii, AttributeValue* value) {
  auto& v = value->storage();
  if (auto* s = std::get_if<std::string>(&v)) {
    Redact(mask_pii, s);
    SanitizeUtf8(s);
  } else if (auto* a = std::get_if<std::vector<std::string>>(&v)) {
    for (auto& e : *a) {
      Redact(mask_pii, &e);
      SanitizeUtf8(&e);
    }
  }
}

void FilterAttributes(Privacy mode, Attributes* attrs) {
  if (mode == Privacy::kMetadataOnly) {
    attrs->erase(std::remove_if(attrs->begin(), attrs->end(),
                                [](const auto& kv) { return IsContentKey(kv.first); }),
                 attrs->end());
  }
  for (auto& kv : *attrs) {
    SanitizeUtf8(&kv.first);
    RedactValue(mode != Privacy::kFull, &kv.second);
  }
}

}  // namespace

void SanitizeUtf8(std::string* s) {
  std::size_t i = 0;
  while (i < s->size()) {
    const std::size_t n = Utf8SeqLen(*s, i);
    if (n == 0) break;
    i += n;
  }
  if (i == s->size()) return;  // valid: no copy
  std::string out(*s, 0, i);
  while (i < s->size()) {
    const std::size_t n = Utf8SeqLen(*s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(*s, i, n);
      i += n;
    }
  }
  *s = std::move(out);
}

void FilterSpan(Privacy mode, SpanData* span) {
  FilterAttributes(mode, &span->attributes);
  SanitizeUtf8(&span->name);
  Redact(mode != Privacy::kFull, &span->status_message);
  SanitizeUtf8(&span->status_message);
  for (auto& e : span->events) {
    SanitizeUtf8(&e.name);
    FilterAttributes(mode, &e.attributes);
  }
}

bool Gzip(std::string_view data, std::string* out) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return false;
  out->resize(deflateBound(&zs, static_cast<uLong>(data.size())) + 32);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out->data());
  zs.avail_out = static_cast<uInt>(out->size());
  const int rc = deflate(&zs, Z_FINISH);
  out->resize(zs.total_out);
  deflateEnd(&zs);
  return rc == Z_STREAM_END;
}

// ---- exporter -----------------------------------------------------------------------------------

namespace {

bool Retryable(int status) { return status == 429 || status == 502 || status == 503 || status == 504; }

double NowUnixSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

Exporter::Exporter(const TracerOptions& options, Attributes resource)
    : options_(options), resource_(std::move(resource)) {
  std::string endpoint = options_.endpoint;
  if (endpoint.find("://") == std::string::npos) endpoint = "http://" + endpoint;
  const std::size_t slash = endpoint.find('/', endpoint.find("://") + 3);
  host_ = endpoint.substr(0, slash);
  std::string prefix = slash == std::string::npos ? "" : endpoint.substr(slash);
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  path_ = prefix + "/v1/traces";
}

Exporter::~Exporter() {
  if (thread_.joinable()) {
    // The thread holds a reference, so this runs on it only when it is the last owner.
    if (thread_.get_id() == std::this_thread::get_id()) {
      thread_.detach();
    } else {
      thread_.join();
    }
  }
}

void Exporter::Start() {
  auto self = shared_from_this();
  thread_ = std::thread([self] { self->Run(); });
}

void Exporter::Enqueue(SpanData span) {
  bool notify = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_ || queue_.size() >= std::max<std::size_t>(1, options_.max_queue_size)) {
      ++stats_.spans_dropped_queue_full;
      return;
    }
    queue_.push_back(std::move(span));
    ++pushed_;
    ++stats_.spans_enqueued;
    notify = queue_.size() == std::max<std::size_t>(1, options_.max_batch_size);
  }
  if (notify) work_cv_.notify_one();
}

bool Exporter::Flush(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  const std::uint64_t target = pushed_;
  if (thread_exited_) return done_ >= target;
  if (done_ >= target) return true;
  flush_target_ = std::max(flush_target_, target);
  work_cv_.notify_one();
  return done_cv_.wait_for(lock, timeout, [&] { return done_ >= target || thread_exited_; }) &&
         done_ >= target;
}

bool Exporter::Shutdown(std::chrono::milliseconds timeout) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return true;
  }
  const bool ok = Flush(timeout);
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    stop_ = true;
  }
  work_cv_.notify_all();
  // An HTTP call in flight is bounded by export_timeout; don't hold the caller that long.
  std::unique_lock<std::mutex> lock(mu_);
  const bool exited =
      done_cv_.wait_for(lock, std::chrono::seconds(1), [&] { return thread_exited_; });
  lock.unlock();
  if (thread_.joinable()) {
    if (exited) {
      thread_.join();
    } else {
      thread_.detach();  // it owns a reference to this exporter
    }
  }
  return ok;
}

ExportStats Exporter::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  ExportStats s = stats_;
  s.spans_dropped = s.spans_dropped_queue_full + s.spans_dropped_export;
  s.queue_size = queue_.size();
  return s;
}

void Exporter::Drop(std::size_t n, const std::string& error) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.spans_dropped_export += n;
    stats_.last_error = error;
  }
  if (options_.log_errors) {
    std::fprintf(stderr, "tracery_sdk: dropped %zu spans: %s\n", n, error.c_str());
  }
}

bool Exporter::Sleep(std::chrono::duration<double> d) {
  std::unique_lock<std::mutex> lock(mu_);
  return !work_cv_.wait_for(lock, d, [&] { return stop_; });
}

void Exporter::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  const std::size_t max_batch = std::max<std::size_t>(1, options_.max_batch_size);
  while (!stop_) {
    const auto deadline = std::chrono::steady_clock::now() + options_.schedule_delay;
    work_cv_.wait_until(lock, deadline, [&] {
      return stop_ || queue_.size() >= max_batch || (!queue_.empty() && flush_target_ > done_);
    });
    if (stop_ || queue_.empty()) continue;
    std::vector<SpanData> batch;
    const std::size_t n = std::min(max_batch, queue_.size());
    batch.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    lock.unlock();
    ExportBatch(std::move(batch));
    lock.lock();
    done_ += n;
    done_cv_.notify_all();
  }
  // Shutdown already flushed; whatever is left was enqueued too late.
  stats_.spans_dropped_export += queue_.size();
  done_ += queue_.size();
  queue_.clear();
  thread_exited_ = true;
  done_cv_.notify_all();
}

void Exporter::ExportBatch(std::vector<SpanData> batch) {
  const std::size_t n = batch.size();
  const std::string url = host_ + path_;
  std::string body;
  try {
    std::string raw;
    for (auto& span : batch) FilterSpan(options_.privacy, &span);
    EncodeExportRequest(resource_, "tracery_sdk", kVersion, batch, &raw);
    if (!Gzip(raw, &body)) {
      Drop(n, "gzip failed");
      return;
    }
  } catch (const std::exception& e) {  // e.g. bad_alloc: never let the thread die
    Drop(n, std::string("encode: ") + e.what());
    return;
  }
  httplib::Headers headers = {
      {"Content-Encoding", "gzip"},
      {"User-Agent", std::string("tracery-sdk-cpp/") + kVersion},
  };
  if (!options_.api_key.empty()) headers.emplace("Authorization", "Bearer " + options_.api_key);
  for (const auto& h : options_.headers) headers.emplace(h.first, h.second);

  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_real_distribution<double> jitter(0.5, 1.0);
  for (int attempt = 0;; ++attempt) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.export_attempts;
    }
    std::optional<double> retry_after;
    std::string error;
    bool retryable = true;
    try {
      httplib::Client client(host_);
      const auto t = options_.export_timeout.count();
      client.set_connection_timeout(t / 1000, (t % 1000) * 1000);
      client.set_read_timeout(t / 1000, (t % 1000) * 1000);
      client.set_write_timeout(t / 1000, (t % 1000) * 1000);
      if (!client.is_valid()) {
        Drop(n, "endpoint: invalid url " + options_.endpoint);
        return;
      }
      auto res = client.Post(path_.c_str(), headers, body, "application/x-protobuf");
      if (res && res->status >= 200 && res->status < 300) {
        std::lock_guard<std::mutex> lock(mu_);
        stats_.spans_exported += n;
        ++stats_.batches_sent;
        return;
      }
      if (res) {
        retry_after = ParseRetryAfter(res->get_header_value("Retry-After"), NowUnixSeconds());
        error = "http " + std::to_string(res->status) + " from " + url + ": " +
                res->body.substr(0, 512);
        retryable = Retryable(res->status);
      } else {
        error = "post " + url + ": " + httplib::to_string(res.error());
      }
    } catch (const std::exception& e) {
      error = "post " + url + ": " + e.what();
    }
    bool stopping;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping = stop_;
    }
    if (!retryable || attempt >= options_.max_retries || stopping) {
      Drop(n, error);
      return;
    }
    const double base = std::chrono::duration<double>(options_.backoff_base).count();
    const double cap = std::chrono::duration<double>(options_.backoff_max).count();
    double delay = std::min(cap, base * std::pow(2.0, attempt)) * jitter(rng);
    if (retry_after) delay = std::min(std::max(delay, *retry_after), cap);
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.retries;
    }
    if (!Sleep(std::chrono::duration<double>(delay))) {
      Drop(n, error + " (shutdown during retry backoff)");
      return;
    }
  }
}

}  // namespace internal
}  // namespace tracery_sdk
