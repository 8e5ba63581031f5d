#include "cli/ingest_files.h"

#include <fmt/core.h>

#include <cctype>
#include <chrono>
#include <thread>

#include "cli/client.h"
#include "core/clock.h"
#include "core/compression.h"
#include "core/hex.h"
#include "ingest/otlp_decode.h"

namespace tracery::cli {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view TrimView(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// Which signal a JSON document carries. Keys appear quoted; inside a JSON string value the quotes
// would be escaped, so a literal match is a key.
bool JsonHasLogs(std::string_view body) {
  bool logs = body.find("\"resourceLogs\"") != std::string_view::npos ||
              body.find("\"resource_logs\"") != std::string_view::npos;
  bool spans = body.find("\"resourceSpans\"") != std::string_view::npos ||
               body.find("\"resource_spans\"") != std::string_view::npos;
  return logs && !spans;
}

// Collects run ids from decoded spans / log records.
template <typename Views>
void CollectRuns(const Views& views, std::set<std::string>* runs) {
  for (const auto& v : views) {
    if (v.trace_id.size() == 16) runs->insert(HexEncode(v.trace_id));
  }
}

Status Decode(const OtlpDocument& doc, std::string body, ingest::TraceBatch* traces, ingest::LogBatch* logs) {
  if (doc.logs) {
    return doc.json ? ingest::DecodeLogsJson(std::move(body), logs) : ingest::DecodeLogsProto(std::move(body), logs);
  }
  return doc.json ? ingest::DecodeTracesJson(std::move(body), traces)
                  : ingest::DecodeTracesProto(std::move(body), traces);
}

std::string Where(const OtlpDocument& doc) { return doc.line > 0 ? fmt::format("line {}: ", doc.line) : ""; }

class StoreSink : public IngestSink {
 public:
  StoreSink(store::Store* store, ingest::NormalizeOptions options)
      : store_(store), normalizer_(std::move(options)) {}

  Status Send(OtlpDocument doc, IngestCounts* counts) override {
    ingest::TraceBatch traces;
    ingest::LogBatch logs;
    Status s = Decode(doc, std::move(doc.body), &traces, &logs);
    if (!s.ok()) return s.WithContext(Where(doc) + "decode");
    ingest::NormalizedBatch normalized;
    int64_t now = Clock::Real().NowUnixNanos();
    if (doc.logs) {
      normalizer_.NormalizeLogs(logs, now, &normalized);
      counts->logs_accepted += static_cast<int64_t>(logs.records.size());
      counts->logs_rejected += logs.rejected_records;
      CollectRuns(logs.records, &counts->runs);
    } else {
      normalizer_.NormalizeTraces(traces, now, &normalized);
      counts->spans_accepted += static_cast<int64_t>(traces.spans.size());
      counts->spans_rejected += traces.rejected_spans;
      CollectRuns(traces.spans, &counts->runs);
    }
    // Chunks keep each write well under the store's queue limit.
    constexpr size_t kChunk = 2048;
    size_t i = 0;
    do {
      store::WriteBatch batch;
      size_t end = std::min(normalized.steps.size(), i + kChunk);
      batch.steps.assign(std::make_move_iterator(normalized.steps.begin() + static_cast<ptrdiff_t>(i)),
                         std::make_move_iterator(normalized.steps.begin() + static_cast<ptrdiff_t>(end)));
      if (end == normalized.steps.size()) batch.events = std::move(normalized.events);
      i = end;
      if (batch.steps.empty() && batch.events.empty()) break;
      TRACERY_ASSIGN_OR_RETURN(store::WriteStats stats, Write(std::move(batch)));
      counts->steps_duplicate += stats.steps_duplicate;
    } while (i < normalized.steps.size());
    return OkStatus();
  }

 private:
  // The CLI is the only writer, and each chunk is far below the queue limit, so a full queue is
  // not expected here; it is reported rather than retried (Write consumes the batch).
  Result<store::WriteStats> Write(store::WriteBatch batch) {
    auto r = store_->Write(std::move(batch));
    if (!r.ok()) return r.status().WithContext("store write");
    return r;
  }

  store::Store* store_;
  ingest::Normalizer normalizer_;
};

class RemoteSink : public IngestSink {
 public:
  explicit RemoteSink(std::unique_ptr<ApiClient> client) : client_(std::move(client)) {}

  Status Send(OtlpDocument doc, IngestCounts* counts) override {
    // Decode locally first: validates the file and gives the counts to report.
    ingest::TraceBatch traces;
    ingest::LogBatch logs;
    Status s = Decode(doc, doc.body, &traces, &logs);
    if (!s.ok()) return s.WithContext(Where(doc) + "decode");
    std::string path = doc.logs ? "/v1/logs" : "/v1/traces";
    std::string type = doc.json ? "application/json" : "application/x-protobuf";
    for (int attempt = 1;; ++attempt) {
      TRACERY_ASSIGN_OR_RETURN(HttpReply reply, client_->Post(path, doc.body, type));
      if (reply.status == 200) break;
      if ((reply.status == 429 || reply.status == 503) && attempt < 5) {
        int wait_s = std::clamp(std::atoi(reply.retry_after.c_str()), 1, 10);
        std::this_thread::sleep_for(std::chrono::seconds(wait_s));
        continue;
      }
      return StatusFromReply(reply).WithContext(Where(doc) + "POST " + path);
    }
    if (doc.logs) {
      counts->logs_accepted += static_cast<int64_t>(logs.records.size());
      counts->logs_rejected += logs.rejected_records;
      CollectRuns(logs.records, &counts->runs);
    } else {
      counts->spans_accepted += static_cast<int64_t>(traces.spans.size());
      counts->spans_rejected += traces.rejected_spans;
      CollectRuns(traces.spans, &counts->runs);
    }
    return OkStatus();
  }

 private:
  std::unique_ptr<ApiClient> client_;
};

}  // namespace

void IngestCounts::Add(const IngestCounts& o) {
  spans_accepted += o.spans_accepted;
  spans_rejected += o.spans_rejected;
  logs_accepted += o.logs_accepted;
  logs_rejected += o.logs_rejected;
  steps_duplicate += o.steps_duplicate;
  runs.insert(o.runs.begin(), o.runs.end());
}

Result<std::vector<OtlpDocument>> SplitOtlpFile(std::string data, size_t max_bytes) {
  if (data.size() >= 2 && static_cast<unsigned char>(data[0]) == 0x1f &&
      static_cast<unsigned char>(data[1]) == 0x8b) {
    std::string inflated;
    Status s = GunzipCapped(data, max_bytes, &inflated);
    if (!s.ok()) return s.WithContext("gunzip");
    data = std::move(inflated);
  } else if (data.size() > max_bytes) {
    return ResourceExhaustedError(fmt::format("file is larger than {} bytes", max_bytes));
  }
  std::vector<OtlpDocument> docs;
  size_t first = 0;
  while (first < data.size() && IsSpace(data[first])) ++first;
  if (first == data.size()) return InvalidArgumentError("empty file");
  if (data[first] != '{') {
    docs.push_back(OtlpDocument{false, false, 0, std::move(data)});
    return docs;
  }
  // JSON Lines when every non-empty line is a whole object (a pretty-printed document has lines
  // that are just "{" or "}," and fails this test).
  std::vector<std::pair<int, std::string_view>> lines;
  bool all_objects = true;
  std::string_view rest(data);
  int line_no = 0;
  while (!rest.empty() && all_objects) {
    size_t nl = rest.find('\n');
    std::string_view line = TrimView(rest.substr(0, nl));
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    ++line_no;
    if (line.empty()) continue;
    if (line.size() < 2 || line.front() != '{' || line.back() != '}') all_objects = false;
    lines.emplace_back(line_no, line);
  }
  if (all_objects && lines.size() >= 2) {
    for (const auto& [no, line] : lines) {
      docs.push_back(OtlpDocument{true, JsonHasLogs(line), no, std::string(line)});
    }
    return docs;
  }
  bool logs = JsonHasLogs(data);
  docs.push_back(OtlpDocument{true, logs, 0, std::move(data)});
  return docs;
}

std::unique_ptr<IngestSink> MakeStoreSink(store::Store* store, ingest::NormalizeOptions options) {
  return std::make_unique<StoreSink>(store, std::move(options));
}

Result<std::unique_ptr<IngestSink>> MakeRemoteSink(const std::string& base_url, const std::string& api_key) {
  TRACERY_ASSIGN_OR_RETURN(std::unique_ptr<ApiClient> client, ApiClient::Create(base_url, api_key));
  return std::unique_ptr<IngestSink>(std::make_unique<RemoteSink>(std::move(client)));
}

}  // namespace tracery::cli
