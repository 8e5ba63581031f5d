// The SQLite Store implementation. Internal to src/store: other subsystems use store/store.h.
// Tests include this header for the test hooks only.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/hash.h"
#include "store/internal/sqlite_util.h"
#include "store/store.h"

namespace tracery::store::internal {

struct Hash128Hasher {
  size_t operator()(const Hash128& h) const { return static_cast<size_t>(h.lo ^ (h.hi * 0x9e3779b97f4a7c15ULL)); }
};

// Approximate LRU set of content hashes known to be stored: two generations; when the young one
// fills up it becomes the old one and the old one is dropped. O(1), no per-entry list nodes.
class HashLru {
 public:
  explicit HashLru(size_t capacity) : half_(capacity / 2 + 1) {}
  bool Contains(const Hash128& h);
  void Insert(const Hash128& h);

 private:
  size_t half_;
  std::unordered_set<Hash128, Hash128Hasher> young_;
  std::unordered_set<Hash128, Hash128Hasher> old_;
};

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(SqliteOptions options);
  ~SqliteStore() override;

  // Opens the database, migrates it, opens the reader pool and starts the writer thread.
  Status Init();

  Result<WriteStats> Write(WriteBatch batch) override;
  Result<RunPage> ListRuns(const RunFilter& filter, const PageRequest& page) override;
  Result<RunDetail> GetRun(const std::string& run_id, const StepWindow& window) override;
  Result<std::vector<OutlineStep>> GetRunOutline(const std::string& run_id) override;  // outline_reader.cc
  Result<std::vector<model::ContentField>> GetStepContent(const std::string& run_id,
                                                          const std::string& step_id) override;
  Result<std::vector<StatsRow>> Stats(const StatsQuery& query) override;
  Result<SessionPage> ListSessions(const SessionFilter& filter) override;
  Result<std::vector<AgentSummary>> ListAgents(const RunFilter& filter) override;
  Result<std::vector<std::string>> FindRunIdsByPrefix(std::string_view hex_prefix, int limit) override;
  Result<std::vector<FacetScopeCounts>> CountRunFacets(const std::vector<FacetScope>& scopes,
                                                       int max_values) override;
  int AddListener(RunUpdateListener listener) override;
  void RemoveListener(int id) override;
  Result<Info> GetInfo() override;
  // Triage annotations and state (annotations.cc), on their own connection.
  Status WriteAnnotations(const std::vector<Annotation>& annotations) override;
  Result<std::vector<Annotation>> ListAnnotations(const std::string& run_id) override;
  Result<std::vector<std::string>> ClassifiedRuns(const std::string& rubric_name,
                                                  const std::string& rubric_version,
                                                  const std::vector<std::string>& run_ids) override;
  Result<std::optional<std::string>> GetState(const std::string& key) override;
  Status SetState(const std::string& key, const std::string& value) override;
  void Close() override;

  // Test hooks. A paused writer leaves batches queued (to fill the queue deterministically).
  void PauseWriterForTesting(bool paused);
  // Runs with more than `steps` steps are re-summarized at most once per `min_interval`, or
  // sooner once the writer has had no batch for `idle` (and for as long as the last summary took).
  void SetBigRunPolicyForTesting(int64_t steps, std::chrono::nanoseconds min_interval,
                                 std::chrono::nanoseconds idle = std::chrono::hours(1));
  // Query timeout for reads leased from now on (0 = none); options.query_timeout_ms otherwise.
  void SetQueryTimeoutForTesting(std::chrono::nanoseconds timeout);
  // Number of commit groups so far.
  int64_t GroupsCommittedForTesting();
  // Makes the next commit fail (as a full disk would): the group must be rolled back entirely.
  void FailNextCommitForTesting();

 private:
  // A content blob new to this batch, hashed and compressed on the caller's thread.
  struct PreparedBlob {
    Hash128 hash;
    int64_t raw_size = 0;
    int codec = 0;
    std::string data;  // stored bytes (raw or zstd)
  };
  // Everything about a step row that costs CPU, computed on the caller's thread.
  struct PreparedStep {
    std::string manifest;            // "" = no content
    std::string attributes;          // zstd bytes when attributes_compressed; else unused
    bool attributes_compressed = false;
    std::string hints_json;
    std::string links;               // JoinLinks(step.linked_steps)
    std::vector<uint32_t> blobs;     // indices into Pending::blobs this step references
  };
  struct Pending {
    WriteBatch batch;  // content parts are released once prepared
    std::vector<PreparedStep> steps;  // parallel to batch.steps
    std::vector<PreparedBlob> blobs;  // distinct content not known to be stored already
    size_t bytes = 0;
    bool done = false;
    Status status;
    WriteStats stats;
  };
  struct BigRun {
    std::chrono::steady_clock::time_point last;
    std::chrono::nanoseconds interval{0};
    std::chrono::nanoseconds cost{0};  // how long its last summary took
  };

  // Writer thread.
  void WriterLoop();
  Status PrepareWriterStatements();
  // Writes the batches (may be empty: then only due deferred summaries run) in one transaction.
  // `flush_all` re-summarizes every deferred run regardless of its interval (Close()).
  Status CommitGroup(std::vector<std::shared_ptr<Pending>>& group, bool flush_all,
                     std::vector<model::Run>* updated);
  // Caller's thread: hashes and compresses content, encodes manifests, hints and attributes,
  // then drops the raw content parts from the batch. Returns the queue accounting size.
  size_t Prepare(Pending* pending);
  Status WriteStep(const Pending& pending, size_t index, bool* inserted);
  Status WriteEvent(const model::Event& event, std::string_view run_id, std::string_view step_id);
  Status PutContent(const PreparedBlob& blob);
  Status SummarizeInTxn(const std::string& run_id, int64_t now_ns, model::Run* run, size_t* steps);
  void NotifyListeners(const std::vector<model::Run>& runs);
  std::chrono::steady_clock::time_point NextDeferredDeadline() const;
  // When a deferred big run's summary is due: its interval has passed, or the writer has been idle
  // (no batch committed) for the idle grace and at least as long as that summary costs.
  std::chrono::steady_clock::time_point DeferredDueAt(const BigRun& big) const;

  // Reader pool.
  class ReaderLease {
   public:
    ReaderLease(SqliteStore* store, Db* db) : store_(store), db_(db) {}
    ReaderLease(ReaderLease&& o) noexcept : store_(o.store_), db_(o.db_) { o.db_ = nullptr; }
    ReaderLease(const ReaderLease&) = delete;
    ReaderLease& operator=(const ReaderLease&) = delete;
    ReaderLease& operator=(ReaderLease&&) = delete;
    ~ReaderLease();
    Db* operator->() const { return db_; }
    Db* get() const { return db_; }

   private:
    SqliteStore* store_;
    Db* db_;
  };
  Result<ReaderLease> AcquireReader();
  void ReleaseReader(Db* db);

  const SqliteOptions options_;
  std::string db_path_;

  // Write queue, guarded by mu_.
  std::mutex mu_;
  std::condition_variable work_cv_;  // writer waits for work
  std::condition_variable done_cv_;  // Write() callers wait for their group
  std::deque<std::shared_ptr<Pending>> queue_;
  size_t queued_bytes_ = 0;  // queued + in-flight
  size_t waiting_bytes_ = 0;  // queued only
  bool closing_ = false;
  bool stop_ = false;
  bool paused_ = false;
  int64_t groups_committed_ = 0;
  std::atomic<bool> fail_next_commit_{false};
  std::thread writer_;
  std::mutex close_mu_;
  bool closed_ = false;

  // Hashes of content known to be committed. Read by callers in Prepare() (to skip compressing
  // content already stored), filled by the writer after each successful commit. Content is never
  // deleted, so a hit is always safe to skip.
  std::mutex lru_mu_;
  HashLru content_lru_{1 << 17};

  // Writer-thread state (no lock: only the writer thread touches it after Init()).
  Db writer_db_;
  Stmt insert_step_, insert_content_, insert_event_, load_digests_, upsert_run_,
      delete_agents_, insert_agent_, delete_messages_, insert_message_, delete_failures_,
      insert_failure_, update_retry_, update_agent_, add_counter_;
  // Content inserted by the open transaction, added to the counters table before it commits.
  int64_t content_blobs_added_ = 0, content_raw_added_ = 0, content_stored_added_ = 0;
  std::unordered_set<Hash128, Hash128Hasher> staged_hashes_;  // written in the open transaction
  std::set<std::string> deferred_;                            // dirty big runs awaiting re-summary
  std::unordered_map<std::string, BigRun> big_runs_;
  std::chrono::steady_clock::time_point last_batch_commit_{};  // last group that wrote batches
  std::chrono::nanoseconds idle_grace_ = std::chrono::milliseconds(200);  // copy of big_run_idle_
  std::mutex policy_mu_;
  int64_t big_run_steps_ = 5000;
  std::chrono::nanoseconds big_run_min_interval_ = std::chrono::milliseconds(250);
  std::chrono::nanoseconds big_run_idle_ = std::chrono::milliseconds(200);

  // Listeners.
  std::mutex listener_mu_;
  std::map<int, RunUpdateListener> listeners_;
  int next_listener_id_ = 1;

  // Annotation/state connection, opened on first use (annotations.cc).
  Status OpenAnnotationDbLocked();
  std::mutex annotation_mu_;
  Db annotation_db_;
  bool annotation_db_open_ = false;

  // Readers.
  std::mutex reader_mu_;
  std::condition_variable reader_cv_;
  std::vector<std::unique_ptr<Db>> readers_;
  std::vector<Db*> free_readers_;
  // Per reader: the steady-clock nanosecond deadline of the lease's queries (0 = none), read by
  // its progress handler. Filled in Init() and never changed after, so lookups need no lock.
  std::unordered_map<Db*, std::unique_ptr<int64_t>> reader_deadlines_;
  std::atomic<int64_t> query_timeout_ns_{0};
  bool readers_closed_ = false;
};

}  // namespace tracery::store::internal
