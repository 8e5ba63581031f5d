// The Store interface: everything storage-specific sits behind it, so a ClickHouse backend can
// implement it without touching ingest, query, server or CLI code. Implementations are
// thread-safe: many writers and readers may call concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "model/model.h"

namespace tracery::store {

// A unit of ingest: normalized steps and log events from one request.
struct WriteBatch {
  std::vector<model::Step> steps;
  std::vector<model::Event> events;
  // Approximate in-memory size, used for queue accounting (set by the caller; 0 = estimate).
  size_t approx_bytes = 0;
};

struct WriteStats {
  int64_t steps_inserted = 0;    // new steps
  int64_t steps_duplicate = 0;   // already stored (idempotent re-send)
  int64_t runs_touched = 0;
};

// Filters for run lists and stats. Empty / unset fields do not filter.
struct RunFilter {
  int64_t from_ns = 0;  // run start >= from_ns (0 = no bound)
  int64_t to_ns = 0;    // run start < to_ns (0 = no bound)
  std::vector<std::string> agent_ids;
  std::vector<std::string> agent_versions;
  std::vector<std::string> environments;
  std::vector<model::RunStatus> statuses;
  std::vector<std::string> failure_types;
  std::vector<std::string> failure_codes;
  std::vector<std::string> models;  // any step used one of these models
  std::string session_id;
  std::string user_id;
  std::vector<std::string> tags;  // all must be present
  std::string text;               // substring over run name, agent, failure message, step names
  int64_t min_duration_ns = -1;
  int64_t max_duration_ns = -1;
  double min_cost_usd = -1;
  double max_cost_usd = -1;
  int64_t updated_since_ns = 0;  // runs updated at or after (for live polling)
  // Triage annotations, all must match: "<mode>" (positive), "<mode>:positive|negative|error|any".
  std::vector<std::string> annotations;
};

enum class RunSort { kStartDesc, kStartAsc, kDurationDesc, kDurationAsc, kCostDesc, kTokensDesc, kUpdatedDesc };

struct PageRequest {
  int limit = 50;      // 1..1000
  std::string cursor;  // opaque, from a previous RunPage::next_cursor ("" = first page)
  RunSort sort = RunSort::kStartDesc;
};

struct RunPage {
  std::vector<model::Run> runs;
  std::string next_cursor;  // "" when there are no more
  int64_t total = -1;       // total matching runs (-1 when not computed)
};

// A window of a run's steps in execution order (start time, then step_id). `seq` of the first
// returned step is `offset`.
struct StepWindow {
  int64_t offset = 0;
  int limit = 1000;  // 1..10000
};

struct StoredStep {
  int64_t seq = 0;
  model::Step step;  // content parts are NOT loaded (content is fetched on demand); events are
  // Content field names present, with total byte size, so clients know what to fetch.
  struct ContentInfo {
    std::string name;
    int64_t bytes = 0;
    int64_t parts = 0;
  };
  std::vector<ContentInfo> content_info;
};

struct RunDetail {
  model::Run run;
  std::vector<StoredStep> steps;  // the requested window
  int64_t total_steps = 0;
  std::vector<model::Agent> agents;
  std::vector<model::Message> messages;
  std::vector<model::Failure> failures;
};

// One step of a run outline (Store::GetRunOutline): the structural fields only, so a
// 100,000-step run's whole tree costs tens of bytes per step rather than a full Step.
struct OutlineStep {
  std::string step_id;
  std::string parent_id;
  std::string name;
  std::string agent;
  std::string retry_of;
  int64_t start_ns = 0;
  int64_t end_ns = 0;  // 0 while open
  int attempt = 0;
  model::StepType type = model::StepType::kOther;
  model::StepStatus status = model::StepStatus::kUnset;
  bool failed = false;  // the step has a semantic failure
};

enum class GroupBy {
  kNone,
  kAgent,
  kVersion,
  kModel,
  kStepType,
  kFailureType,
  kFailureCode,
  kEnvironment,
  kStepName,
  kToolName,  // tool steps by their tool name (step-level; tool steps without a name group as "")
};

// Run facets (Store::CountRunFacets): per-value run counts of one run field.
enum class FacetDimension { kStatus, kAgent, kVersion, kEnvironment, kFailureType, kFailureCode, kModel, kTag };

struct FacetValue {
  std::string value;
  int64_t count = 0;
};

// Runs matching `filter`, counted per distinct non-empty value of each dimension. Model and tag
// are multi-valued: a run counts once per distinct model / tag it has.
struct FacetScope {
  RunFilter filter;
  std::vector<FacetDimension> dimensions;
};

struct FacetScopeCounts {
  int64_t matched = 0;  // runs matching the scope's filter
  // Parallel to FacetScope::dimensions: by count descending, then value ascending (bytewise).
  std::vector<std::vector<FacetValue>> values;
};

struct StatsQuery {
  RunFilter filter;
  GroupBy group_by = GroupBy::kNone;
  // For time series: bucket width (0 = no time bucketing).
  int64_t bucket_ns = 0;
};

struct StatsRow {
  std::string group;      // "" when group_by = kNone
  int64_t bucket_start_ns = 0;
  int64_t runs = 0;       // runs (or steps, for step-level groupings: model, step type, step name)
  int64_t ok = 0;
  int64_t failed = 0;
  int64_t partial = 0;
  int64_t running = 0;
  double success_rate = 0;  // (ok + partial) / finished, 0..1
  double p50_ms = 0;
  double p95_ms = 0;
  double p99_ms = 0;
  model::TokenUsage tokens;
  double cost_usd = 0;
};

struct SessionFilter {
  int64_t from_ns = 0;
  int64_t to_ns = 0;
  std::string user_id;
  int limit = 50;
  std::string cursor;
};

struct SessionPage {
  std::vector<model::Session> sessions;
  std::string next_cursor;
};

// A triage classification stored on a run (one per run, rubric name, rubric version and mode:
// writing the same key again replaces it).
struct Annotation {
  std::string run_id;
  std::string rubric_name;
  std::string rubric_version;
  std::string mode_id;
  std::string severity;  // low | medium | high | critical
  std::string verdict;   // positive | negative | error
  double confidence = 1.0;
  std::vector<std::string> evidence_step_ids;
  std::string excerpt;
  std::string detector;
  std::string triage_run_id;
  std::string error;     // when verdict is error
  int64_t created_ns = 0;  // set by the store when 0
};

struct AgentSummary {
  std::string agent_id;
  std::vector<std::string> versions;
  int64_t runs = 0;
  int64_t failed = 0;
  int64_t last_seen_ns = 0;
};

// Notification sent after a commit, one per touched run, with its new summary.
using RunUpdateListener = std::function<void(const model::Run&)>;

class Store {
 public:
  virtual ~Store() = default;

  // Durably commits the batch (group commit). Returns only after the data is committed and
  // visible to readers. kResourceExhausted when the write queue is full (caller answers 429 /
  // RESOURCE_EXHAUSTED), kUnavailable when shutting down or the disk fails.
  virtual Result<WriteStats> Write(WriteBatch batch) = 0;

  virtual Result<RunPage> ListRuns(const RunFilter& filter, const PageRequest& page) = 0;
  // kNotFound when the run does not exist.
  virtual Result<RunDetail> GetRun(const std::string& run_id, const StepWindow& window) = 0;
  // The step's content fields, reassembled (is_list fields as their parts). kNotFound when missing.
  // Every step of the run in execution order (start time, then step id), structural fields only.
  // kNotFound when the run is unknown. The default pages through GetRun; stores override it with
  // a lean read.
  virtual Result<std::vector<OutlineStep>> GetRunOutline(const std::string& run_id);
  virtual Result<std::vector<model::ContentField>> GetStepContent(const std::string& run_id,
                                                                  const std::string& step_id) = 0;
  virtual Result<std::vector<StatsRow>> Stats(const StatsQuery& query) = 0;
  virtual Result<SessionPage> ListSessions(const SessionFilter& filter) = 0;
  virtual Result<std::vector<AgentSummary>> ListAgents(const RunFilter& filter) = 0;

  // Registers a listener called (on the writer thread, must not block) after each commit.
  // Returns an id for RemoveListener.
  virtual int AddListener(RunUpdateListener listener) = 0;
  virtual void RemoveListener(int id) = 0;

  // Storage facts for /readyz and the benchmark.
  struct Info {
    int64_t runs = 0;
    int64_t steps = 0;
    int64_t content_blobs = 0;
    int64_t content_bytes_raw = 0;     // before compression, distinct blobs
    int64_t content_bytes_stored = 0;  // after compression
    int64_t db_bytes = 0;              // file sizes on disk (db + wal)
    int64_t queue_bytes = 0;           // pending writes
  };
  virtual Result<Info> GetInfo() = 0;

  // Run ids starting with `hex_prefix` (1..32 lower-case hex digits), in id order, at most `limit`
  // (1..100). Ids stored as non-hex text never match. Default: kUnimplemented.
  virtual Result<std::vector<std::string>> FindRunIdsByPrefix(std::string_view hex_prefix, int limit) {
    (void)hex_prefix, (void)limit;
    return UnimplementedError("run id prefixes are not supported by this store");
  }

  // Exact facet counts, every scope read in one snapshot; at most `max_values` (1..10000) values
  // per dimension. kUnimplemented (the default, or a store that cannot express some filter)
  // makes the caller page through ListRuns instead, for that request only.
  virtual Result<std::vector<FacetScopeCounts>> CountRunFacets(const std::vector<FacetScope>& scopes,
                                                                int max_values) {
    (void)scopes, (void)max_values;
    return UnimplementedError("facet counts are not supported by this store");
  }

  // Triage annotations and state. Defaults answer kUnimplemented, so other stores and test fakes
  // need not implement them.
  // Upserts all or nothing; kNotFound naming the run when a run does not exist, kInvalidArgument
  // for an unknown verdict or an empty key field.
  virtual Status WriteAnnotations(const std::vector<Annotation>& annotations) {
    (void)annotations;
    return UnimplementedError("annotations are not supported by this store");
  }
  // A run's annotations, ordered by rubric, version, mode. Empty when none (or no such run).
  virtual Result<std::vector<Annotation>> ListAnnotations(const std::string& run_id) {
    (void)run_id;
    return UnimplementedError("annotations are not supported by this store");
  }
  // Those of `run_ids` that carry annotations of this rubric name and version and none with
  // verdict error (runs with an errored mode are classified again).
  virtual Result<std::vector<std::string>> ClassifiedRuns(const std::string& rubric_name,
                                                          const std::string& rubric_version,
                                                          const std::vector<std::string>& run_ids) {
    (void)rubric_name, (void)rubric_version, (void)run_ids;
    return UnimplementedError("annotations are not supported by this store");
  }
  // Small persistent key/value (the triage daemon's window checkpoint). nullopt when unset.
  virtual Result<std::optional<std::string>> GetState(const std::string& key) {
    (void)key;
    return UnimplementedError("state is not supported by this store");
  }
  virtual Status SetState(const std::string& key, const std::string& value) {
    (void)key, (void)value;
    return UnimplementedError("state is not supported by this store");
  }

  // Stops accepting writes, drains the queue, and closes. Idempotent.
  virtual void Close() = 0;
};

struct SqliteOptions {
  std::string data_dir = "./tracery-data";  // created if missing; database at data_dir/tracery.db
  size_t max_queue_bytes = 64 << 20;         // pending write bytes before kResourceExhausted
  int max_batch_wait_us = 2000;              // group commit: wait this long to gather writes
  size_t max_group_bytes = 32 << 20;         // max bytes per commit group
  int reader_connections = 4;
  // A read (API query) running longer than this is interrupted with kDeadlineExceeded, so a
  // pathological query cannot hold a reader and a server thread indefinitely. 0 = no limit.
  int query_timeout_ms = 30000;
  bool synchronous_full = false;  // false: WAL + synchronous=NORMAL... see docs/decisions
};

// Opens (creating / migrating as needed) the embedded SQLite store.
Result<std::unique_ptr<Store>> OpenSqliteStore(const SqliteOptions& options);

}  // namespace tracery::store
