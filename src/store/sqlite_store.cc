// The embedded SQLite store: one writer thread with group commit, a pool of read-only
// connections, content-addressed dedup of step content. See docs/decisions/0002-sqlite-store.md.
#include <fmt/core.h>

#include <algorithm>
#include <filesystem>
#include <memory>

#include <zstd.h>

#include "core/clock.h"
#include "core/compression.h"
#include "core/log.h"
#include "model/summarize.h"
#include "store/internal/codec.h"
#include "store/internal/rows.h"
#include "store/internal/schema.h"
#include "store/internal/sqlite_store_impl.h"
#include "store/store.h"

namespace tracery::store {
namespace internal {
namespace {

// Queue accounting of a prepared batch: what it still holds in memory (raw content parts are
// gone, compressed blobs and encoded rows remain) plus per-object overhead.
size_t EstimateBytes(const WriteBatch& b, size_t prepared_bytes) {
  size_t n = prepared_bytes;
  for (const model::Step& s : b.steps) {
    n += sizeof(model::Step) + s.run_id.size() + s.step_id.size() + s.parent_id.size() + s.name.size() +
         s.attributes_json.size() + s.status_message.size() + s.agent.size() + s.model.size() +
         s.hints.metadata_json.size();
    for (const model::Event& e : s.events) {
      n += sizeof(model::Event) + e.name.size() + e.attributes_json.size() + e.body_json.size();
    }
  }
  for (const model::Event& e : b.events) {
    n += sizeof(model::Event) + e.name.size() + e.attributes_json.size() + e.body_json.size();
  }
  return n;
}

// zstd level 1 with a per-thread reusable context (a fresh context per call costs more than the
// compression of a typical message). Returns false when the output would reach max_out.
bool Compress(std::string_view in, std::string* out, size_t max_out) {
  thread_local std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx*)> ctx(ZSTD_createCCtx(), &ZSTD_freeCCtx);
  if (ctx == nullptr) return false;
  out->resize(ZSTD_compressBound(in.size()));
  size_t n = ZSTD_compressCCtx(ctx.get(), out->data(), out->size(), in.data(), in.size(), 1);
  if (ZSTD_isError(n) || n >= max_out) {
    out->clear();
    return false;
  }
  out->resize(n);
  out->shrink_to_fit();  // it waits in the queue: do not hold the bound-sized buffer
  return true;
}

int64_t NowNs() { return Clock::Real().NowUnixNanos(); }

constexpr int kContentCodecRaw = 0;
constexpr int kContentCodecZstd = 1;
// Parts smaller than this are stored raw: zstd's frame overhead eats the gain.
constexpr size_t kMinCompressBytes = 96;

}  // namespace

bool HashLru::Contains(const Hash128& h) {
  if (young_.count(h) != 0) return true;
  if (old_.count(h) != 0) {
    Insert(h);  // refresh
    return true;
  }
  return false;
}

void HashLru::Insert(const Hash128& h) {
  if (young_.size() >= half_) {
    old_ = std::move(young_);
    young_ = {};
  }
  young_.insert(h);
}

SqliteStore::SqliteStore(SqliteOptions options) : options_(std::move(options)) {
  query_timeout_ns_ = int64_t{options_.query_timeout_ms} * 1'000'000;
}

SqliteStore::~SqliteStore() { Close(); }

Status SqliteStore::Init() {
  std::error_code ec;
  std::filesystem::create_directories(options_.data_dir, ec);
  if (ec) return UnavailableError(fmt::format("cannot create data dir {}: {}", options_.data_dir, ec.message()));
  db_path_ = (std::filesystem::path(options_.data_dir) / "tracery.db").string();

  TRACERY_RETURN_IF_ERROR(writer_db_.Open(db_path_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
  // busy_timeout first: another process may hold the database.
  TRACERY_RETURN_IF_ERROR(writer_db_.Exec("PRAGMA busy_timeout = 5000"));
  auto mode_check = writer_db_.QueryInt("PRAGMA user_version");
  if (!mode_check.ok()) {
    return mode_check.status().WithContext(fmt::format("{} is not a usable tracery database", db_path_));
  }
  Status s = writer_db_.Exec("PRAGMA journal_mode = WAL");
  if (!s.ok()) return s.WithContext(fmt::format("{}: enabling WAL", db_path_));
  TRACERY_RETURN_IF_ERROR(writer_db_.Exec(options_.synchronous_full ? "PRAGMA synchronous = FULL"
                                                                    : "PRAGMA synchronous = NORMAL"));
  TRACERY_RETURN_IF_ERROR(writer_db_.Exec(
      "PRAGMA temp_store = MEMORY; PRAGMA cache_size = -32768; PRAGMA wal_autocheckpoint = 4000;"
      "PRAGMA journal_size_limit = 67108864;"));
  TRACERY_RETURN_IF_ERROR(Migrate(writer_db_));
  // Detect a damaged file early rather than at the first write. quick_check is O(db size), so
  // only the schema is read here; page-level damage surfaces as kDataLoss from later calls.
  auto tables = writer_db_.QueryInt("SELECT count(*) FROM sqlite_schema");
  if (!tables.ok()) return tables.status().WithContext(fmt::format("{} is damaged", db_path_));
  TRACERY_RETURN_IF_ERROR(PrepareWriterStatements());

  const int n = std::clamp(options_.reader_connections, 1, 64);
  for (int i = 0; i < n; ++i) {
    auto db = std::make_unique<Db>();
    TRACERY_RETURN_IF_ERROR(db->Open(db_path_, SQLITE_OPEN_READONLY));
    TRACERY_RETURN_IF_ERROR(db->Exec("PRAGMA busy_timeout = 5000; PRAGMA cache_size = -16384; PRAGMA temp_store = MEMORY"));
    // The query deadline: checked every 4096 VM instructions (a few microseconds of work).
    auto deadline = std::make_unique<int64_t>(0);
    sqlite3_progress_handler(db->get(), 4096, &ReaderDeadlinePassed, deadline.get());
    reader_deadlines_.emplace(db.get(), std::move(deadline));
    free_readers_.push_back(db.get());
    readers_.push_back(std::move(db));
  }
  writer_ = std::thread([this] { WriterLoop(); });
  return OkStatus();
}

Status SqliteStore::PrepareWriterStatements() {
  std::string step_params;
  for (int i = 0; i < StepColumnCount(); ++i) step_params += i == 0 ? "?" : ",?";
  TRACERY_ASSIGN_OR_RETURN(insert_step_, writer_db_.Prepare(fmt::format(
                                             "INSERT OR IGNORE INTO steps ({}) VALUES ({})", StepColumns(), step_params)));
  TRACERY_ASSIGN_OR_RETURN(insert_content_, writer_db_.Prepare(
                                                "INSERT OR IGNORE INTO content (hash, raw_size, codec, data) VALUES (?,?,?,?)"));
  TRACERY_ASSIGN_OR_RETURN(insert_event_, writer_db_.Prepare(
                                              "INSERT OR IGNORE INTO events (run_id, step_id, time_ns, name, attr_hash, "
                                              "attributes_json, body_json) VALUES (?,?,?,?,?,?,?)"));
  TRACERY_ASSIGN_OR_RETURN(
      load_digests_,
      writer_db_.Prepare("SELECT step_id, parent_id, name, type, COALESCE(agent_explicit, agent), start_ns, end_ns, status, model, tool_name, "
                         "tok_input, tok_output, tok_total, tok_cache_read, tok_cache_write, tok_reasoning, "
                         "tok_present, cost_usd, attempt_explicit, retry_of_explicit, handoff_to, handoff_from, "
                         "f_type, f_code, f_message, f_source, f_time_ns, f_error_type, hints_json, attempt, retry_of, agent, links, "
                         "max_attempts FROM steps WHERE run_id = ?"));
  std::string run_params, run_updates;
  {
    std::string cols = RunColumns();
    size_t start = 0;
    int i = 0;
    while (start <= cols.size()) {
      size_t comma = cols.find(", ", start);
      std::string col = cols.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      run_params += i == 0 ? "?" : ",?";
      if (col != "run_id") {
        if (!run_updates.empty()) run_updates += ", ";
        run_updates += fmt::format("{0} = excluded.{0}", col);
      }
      ++i;
      if (comma == std::string::npos) break;
      start = comma + 2;
    }
  }
  TRACERY_ASSIGN_OR_RETURN(upsert_run_, writer_db_.Prepare(fmt::format(
                                            "INSERT INTO runs ({}) VALUES ({}) ON CONFLICT(run_id) DO UPDATE SET {}",
                                            RunColumns(), run_params, run_updates)));
  TRACERY_ASSIGN_OR_RETURN(delete_agents_, writer_db_.Prepare("DELETE FROM run_agents WHERE run_id = ?"));
  TRACERY_ASSIGN_OR_RETURN(insert_agent_, writer_db_.Prepare(
                                              "INSERT OR REPLACE INTO run_agents (run_id, name, step_count, llm_count, "
                                              "tool_count, error_count, tok_input, tok_output, tok_total, tok_cache_read, "
                                              "tok_cache_write, tok_reasoning, tok_present, cost_usd, first_start_ns) "
                                              "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
  TRACERY_ASSIGN_OR_RETURN(delete_messages_, writer_db_.Prepare("DELETE FROM run_messages WHERE run_id = ?"));
  TRACERY_ASSIGN_OR_RETURN(insert_message_, writer_db_.Prepare(
                                                "INSERT INTO run_messages (run_id, seq, from_agent, to_agent, kind, "
                                                "step_id, time_ns) VALUES (?,?,?,?,?,?,?)"));
  TRACERY_ASSIGN_OR_RETURN(delete_failures_, writer_db_.Prepare("DELETE FROM run_failures WHERE run_id = ?"));
  TRACERY_ASSIGN_OR_RETURN(insert_failure_, writer_db_.Prepare(
                                                "INSERT INTO run_failures (run_id, seq, type, code, message, step_id, "
                                                "source, time_ns, error_type, recovered) VALUES (?,?,?,?,?,?,?,?,?,?)"));
  // `agent` holds the effective agent (own or inherited); the step's own value moves to
  // agent_explicit the first time an inherited one is written, so re-summaries start from it.
  TRACERY_ASSIGN_OR_RETURN(update_agent_,
                           writer_db_.Prepare("UPDATE steps SET agent_explicit = COALESCE(agent_explicit, agent), "
                                              "agent = ? WHERE run_id = ? AND step_id = ?"));
  TRACERY_ASSIGN_OR_RETURN(add_counter_, writer_db_.Prepare("UPDATE counters SET value = value + ? WHERE name = ?"));
  TRACERY_ASSIGN_OR_RETURN(update_retry_, writer_db_.Prepare(
                                              "UPDATE steps SET attempt = ?, retry_of = ? WHERE run_id = ? AND step_id = ?"));
  return OkStatus();
}

Result<WriteStats> SqliteStore::Write(WriteBatch batch) {
  for (size_t i = 0; i < batch.steps.size(); ++i) {
    const model::Step& s = batch.steps[i];
    if (s.run_id.empty()) return InvalidArgumentError(fmt::format("steps[{}]: empty run_id", i));
    if (s.step_id.empty()) return InvalidArgumentError(fmt::format("steps[{}]: empty step_id", i));
  }
  for (size_t i = 0; i < batch.events.size(); ++i) {
    if (batch.events[i].run_id.empty()) return InvalidArgumentError(fmt::format("events[{}]: empty run_id", i));
  }
  const bool empty = batch.steps.empty() && batch.events.empty();
  // Under mu_. Any batch takes at least one byte of accounting.
  auto check_room = [&](size_t bytes) -> Status {
    if (bytes > options_.max_queue_bytes) {
      return ResourceExhaustedError(
          fmt::format("write batch of {} bytes exceeds max_queue_bytes ({})", bytes, options_.max_queue_bytes));
    }
    if (queued_bytes_ + std::max<size_t>(bytes, 1) > options_.max_queue_bytes) {
      return ResourceExhaustedError(
          fmt::format("write queue full: {} of {} bytes pending", queued_bytes_, options_.max_queue_bytes));
    }
    return OkStatus();
  };
  {
    std::lock_guard lk(mu_);
    if (closing_) return UnavailableError("store is closed");
    // Fail fast, before spending CPU on preparing a batch that cannot be queued.
    if (!empty) TRACERY_RETURN_IF_ERROR(check_room(batch.approx_bytes));
  }
  if (empty) return WriteStats{};
  auto pending = std::make_shared<Pending>();
  const size_t given_bytes = batch.approx_bytes;
  pending->batch = std::move(batch);
  // The CPU-heavy part of a write runs here, on the caller's thread, so concurrent callers use
  // every core; the single writer thread only binds and steps SQLite.
  const size_t prepared_bytes = Prepare(pending.get());
  pending->bytes = given_bytes > 0 ? given_bytes : prepared_bytes;

  std::unique_lock lk(mu_);
  if (closing_) return UnavailableError("store is closed");
  TRACERY_RETURN_IF_ERROR(check_room(pending->bytes));
  queued_bytes_ += pending->bytes;
  waiting_bytes_ += pending->bytes;
  queue_.push_back(pending);
  work_cv_.notify_one();
  done_cv_.wait(lk, [&] { return pending->done; });
  if (!pending->status.ok()) return pending->status;
  return pending->stats;
}

std::chrono::steady_clock::time_point SqliteStore::DeferredDueAt(const BigRun& big) const {
  // The interval bounds the writer's time spent re-summarizing under continuous load; the idle
  // rule shows a big run's final summary soon after its spans stop arriving (a 100k-step run
  // stayed `running` for seconds waiting for its interval).
  return std::min(big.last + big.interval, last_batch_commit_ + std::max(idle_grace_, big.cost));
}

std::chrono::steady_clock::time_point SqliteStore::NextDeferredDeadline() const {
  auto next = std::chrono::steady_clock::time_point::max();
  for (const std::string& run : deferred_) {
    auto it = big_runs_.find(run);
    if (it == big_runs_.end()) return std::chrono::steady_clock::now();
    next = std::min(next, DeferredDueAt(it->second));
  }
  return next;
}

void SqliteStore::WriterLoop() {
  size_t expect_batches = 1;
  std::vector<model::Run> updated;
  std::unique_lock lk(mu_);
  while (true) {
    bool deferred_due = false;
    while (!stop_ && (paused_ || queue_.empty())) {
      if (!paused_ && !deferred_.empty()) {
        if (work_cv_.wait_until(lk, NextDeferredDeadline()) == std::cv_status::timeout) {
          deferred_due = true;
          break;
        }
      } else {
        work_cv_.wait(lk);
      }
    }
    if (queue_.empty() && stop_) break;
    if (queue_.empty() && !deferred_due) continue;
    // Group commit: when the last group had several batches (concurrent writers), give them up
    // to max_batch_wait_us to re-submit so they share one commit. A lone writer never waits.
    if (!stop_ && !queue_.empty() && queue_.size() < expect_batches && options_.max_batch_wait_us > 0) {
      work_cv_.wait_for(lk, std::chrono::microseconds(options_.max_batch_wait_us), [&] {
        return stop_ || queue_.size() >= expect_batches || waiting_bytes_ >= options_.max_group_bytes;
      });
    }
    std::vector<std::shared_ptr<Pending>> group;
    size_t group_bytes = 0;
    while (!queue_.empty() && (group.empty() || group_bytes + queue_.front()->bytes <= options_.max_group_bytes)) {
      group_bytes += queue_.front()->bytes;
      group.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    waiting_bytes_ -= group_bytes;
    lk.unlock();

    updated.clear();
    Status s = CommitGroup(group, /*flush_all=*/false, &updated);
    if (!s.ok()) log::Error("store: commit of {} batches failed: {}", group.size(), s.ToString());

    // Listeners run before the writers are released, so a caller that sees Write() return knows
    // every listener has seen the new summaries.
    if (s.ok()) NotifyListeners(updated);
    lk.lock();
    for (auto& p : group) {
      if (!s.ok()) p->status = s;
      p->done = true;
      queued_bytes_ -= p->bytes;
    }
    // Drop the writer's references while callers cannot wake yet: each caller then frees its own
    // batch on its own thread (freeing them here cost the writer ~10% in malloc bookkeeping).
    group.clear();
    if (s.ok()) ++groups_committed_;
    done_cv_.notify_all();
    expect_batches = std::max<size_t>(1, group.size());
  }
  lk.unlock();
  if (!deferred_.empty()) {
    std::vector<std::shared_ptr<Pending>> none;
    updated.clear();
    Status s = CommitGroup(none, /*flush_all=*/true, &updated);
    if (s.ok()) {
      NotifyListeners(updated);
    } else {
      log::Error("store: final summary of deferred runs failed: {}", s.ToString());
    }
  }
}

Status SqliteStore::CommitGroup(std::vector<std::shared_ptr<Pending>>& group, bool flush_all,
                                std::vector<model::Run>* updated) {
  int64_t big_steps;
  std::chrono::nanoseconds min_interval;
  {
    std::lock_guard pl(policy_mu_);
    big_steps = big_run_steps_;
    min_interval = big_run_min_interval_;
    idle_grace_ = big_run_idle_;
  }
  const auto now = std::chrono::steady_clock::now();
  std::set<std::string> to_summarize;
  const std::set<std::string> deferred_before = deferred_;
  for (auto it = deferred_.begin(); it != deferred_.end();) {
    auto big = big_runs_.find(*it);
    if (flush_all || big == big_runs_.end() || now >= DeferredDueAt(big->second)) {
      to_summarize.insert(*it);
      it = deferred_.erase(it);
    } else {
      ++it;
    }
  }
  if (group.empty() && to_summarize.empty()) return OkStatus();

  TRACERY_RETURN_IF_ERROR(writer_db_.Exec("BEGIN IMMEDIATE"));
  staged_hashes_.clear();
  content_blobs_added_ = content_raw_added_ = content_stored_added_ = 0;
  Status s;
  std::vector<WriteStats> stats(group.size());
  for (size_t g = 0; g < group.size() && s.ok(); ++g) {
    const WriteBatch& batch = group[g]->batch;
    std::set<std::string_view> runs;
    for (size_t i = 0; i < batch.steps.size(); ++i) {
      const model::Step& step = batch.steps[i];
      bool inserted = false;
      s = WriteStep(*group[g], i, &inserted);
      if (!s.ok()) break;
      runs.insert(step.run_id);
      if (inserted) {
        ++stats[g].steps_inserted;
        if (to_summarize.count(step.run_id) == 0 && deferred_.count(step.run_id) == 0) {
          auto big = big_runs_.find(step.run_id);
          if (big != big_runs_.end() && now < DeferredDueAt(big->second)) {
            deferred_.insert(step.run_id);
          } else {
            to_summarize.insert(step.run_id);
          }
        }
      } else {
        ++stats[g].steps_duplicate;
      }
    }
    for (const model::Event& e : batch.events) {
      if (!s.ok()) break;
      s = WriteEvent(e, e.run_id, e.step_id);
      runs.insert(e.run_id);
    }
    stats[g].runs_touched = static_cast<int64_t>(runs.size());
  }

  const int64_t commit_ns = NowNs();
  std::vector<std::pair<std::string, std::pair<size_t, std::chrono::nanoseconds>>> summarized;
  for (const std::string& run_id : to_summarize) {
    if (!s.ok()) break;
    model::Run run;
    size_t steps = 0;
    auto t0 = std::chrono::steady_clock::now();
    s = SummarizeInTxn(run_id, commit_ns, &run, &steps);
    if (s.ok()) {
      summarized.push_back({run_id, {steps, std::chrono::steady_clock::now() - t0}});
      updated->push_back(std::move(run));
    }
  }
  if (s.ok() && content_blobs_added_ > 0) {
    for (auto [name, delta] : {std::pair<const char*, int64_t>{"content_blobs", content_blobs_added_},
                               {"content_bytes_raw", content_raw_added_},
                               {"content_bytes_stored", content_stored_added_}}) {
      add_counter_.BindInt(1, delta);
      add_counter_.BindTextStatic(2, name);
      s = add_counter_.Run();
      if (!s.ok()) break;
    }
  }
  if (s.ok() && fail_next_commit_.exchange(false)) s = UnavailableError("injected commit failure");
  if (s.ok()) s = writer_db_.Exec("COMMIT");
  if (!s.ok()) {
    (void)writer_db_.Exec("ROLLBACK");
    deferred_ = deferred_before;
    // Retry deferred runs after their interval rather than spinning on a failing disk.
    for (const std::string& run : deferred_) {
      auto big = big_runs_.find(run);
      if (big != big_runs_.end()) big->second.last = now;
    }
    staged_hashes_.clear();
    updated->clear();
    return UnavailableError(fmt::format("store commit failed: {}", s.message()));
  }
  {
    std::lock_guard ll(lru_mu_);
    for (const Hash128& h : staged_hashes_) content_lru_.Insert(h);
  }
  staged_hashes_.clear();
  for (size_t g = 0; g < group.size(); ++g) group[g]->stats = stats[g];
  if (!group.empty()) last_batch_commit_ = std::chrono::steady_clock::now();
  for (const auto& [run_id, info] : summarized) {
    if (static_cast<int64_t>(info.first) > big_steps) {
      // Re-summarizing costs O(steps): keep it to a fraction of the writer's time.
      big_runs_[run_id] = BigRun{now, std::max(min_interval, info.second * 3), info.second};
    } else {
      big_runs_.erase(run_id);
    }
  }
  if (big_runs_.size() > 4096) {
    for (auto it = big_runs_.begin(); it != big_runs_.end();) {
      if (deferred_.count(it->first) == 0 && now - it->second.last > std::chrono::minutes(1)) {
        it = big_runs_.erase(it);
      } else {
        ++it;
      }
    }
  }
  return OkStatus();
}

size_t SqliteStore::Prepare(Pending* pending) {
  WriteBatch& batch = pending->batch;
  pending->steps.resize(batch.steps.size());
  // Distinct content of the batch: conversations re-send earlier messages, so most parts repeat.
  struct Part {
    Hash128 hash;
    const std::string* data;
  };
  std::unordered_map<Hash128, uint32_t, Hash128Hasher> index;  // hash -> slot in `distinct`
  std::vector<Part> distinct;
  std::vector<std::vector<uint32_t>> step_parts(batch.steps.size());
  std::vector<ManifestField> fields;
  for (size_t i = 0; i < batch.steps.size(); ++i) {
    const model::Step& step = batch.steps[i];
    PreparedStep& ps = pending->steps[i];
    if (!step.content.empty()) {
      fields.clear();
      fields.reserve(step.content.size());
      for (const model::ContentField& f : step.content) {
        ManifestField mf;
        mf.name = f.name;
        mf.is_list = f.is_list;
        mf.mime = f.mime;
        mf.parts.reserve(f.parts.size());
        for (const std::string& part : f.parts) {
          const Hash128 h = ContentHash(part);
          mf.parts.push_back({h, part.size()});
          auto [it, fresh] = index.emplace(h, static_cast<uint32_t>(distinct.size()));
          if (fresh) distinct.push_back({h, &part});
          step_parts[i].push_back(it->second);
        }
        fields.push_back(std::move(mf));
      }
      ps.manifest = EncodeManifest(fields);
    }
    const std::string_view attrs = step.attributes_json;
    if (attrs.size() > kCompressAttributesAbove && Compress(attrs, &ps.attributes, attrs.size())) {
      ps.attributes_compressed = true;
    }
    ps.hints_json = HintsToJson(step.hints);
    if (!step.linked_steps.empty()) ps.links = JoinLinks(step.linked_steps);
  }

  // Skip content the store already holds; one lock for the whole batch.
  std::vector<uint8_t> known(distinct.size(), 0);
  {
    std::lock_guard ll(lru_mu_);
    for (size_t k = 0; k < distinct.size(); ++k) known[k] = content_lru_.Contains(distinct[k].hash) ? 1 : 0;
  }
  constexpr uint32_t kNoBlob = UINT32_MAX;
  std::vector<uint32_t> blob_of(distinct.size(), kNoBlob);
  size_t bytes = 0;
  for (size_t k = 0; k < distinct.size(); ++k) {
    if (known[k] != 0) continue;
    const std::string& data = *distinct[k].data;
    PreparedBlob blob;
    blob.hash = distinct[k].hash;
    blob.raw_size = static_cast<int64_t>(data.size());
    // Keep the raw bytes unless compression saves at least 1/8.
    if (data.size() >= kMinCompressBytes && Compress(data, &blob.data, data.size() - data.size() / 8)) {
      blob.codec = kContentCodecZstd;
    } else {
      blob.codec = kContentCodecRaw;
      blob.data = data;
    }
    bytes += sizeof(PreparedBlob) + blob.data.size();
    blob_of[k] = static_cast<uint32_t>(pending->blobs.size());
    pending->blobs.push_back(std::move(blob));
  }
  for (size_t i = 0; i < batch.steps.size(); ++i) {
    PreparedStep& ps = pending->steps[i];
    for (uint32_t k : step_parts[i]) {
      if (blob_of[k] != kNoBlob) ps.blobs.push_back(blob_of[k]);
    }
    bytes += sizeof(PreparedStep) + ps.manifest.size() + ps.attributes.size() + ps.hints_json.size() + ps.links.size() +
             ps.blobs.size() * sizeof(uint32_t);
    model::Step& step = batch.steps[i];
    // The raw parts are now in blobs (or already stored): free them while the batch waits.
    step.content.clear();
    step.content.shrink_to_fit();
    if (ps.attributes_compressed) std::string().swap(step.attributes_json);
  }
  return EstimateBytes(batch, bytes);
}

Status SqliteStore::WriteStep(const Pending& pending, size_t index, bool* inserted) {
  const model::Step& step = pending.batch.steps[index];
  const PreparedStep& ps = pending.steps[index];
  StepRowExtras extras;
  if (ps.attributes_compressed) {
    extras.attributes = ps.attributes;
    extras.attributes_compressed = true;
  } else {
    extras.attributes = step.attributes_json.empty() ? std::string_view("{}") : std::string_view(step.attributes_json);
  }
  extras.hints_json = ps.hints_json;
  extras.manifest = ps.manifest;
  extras.links = ps.links;

  BindStep(insert_step_, 1, step, extras);
  TRACERY_RETURN_IF_ERROR(insert_step_.Run());
  *inserted = writer_db_.Changes() > 0;
  if (!*inserted) return OkStatus();  // duplicate: its content and events are already stored

  for (uint32_t b : ps.blobs) TRACERY_RETURN_IF_ERROR(PutContent(pending.blobs[b]));
  for (const model::Event& e : step.events) {
    TRACERY_RETURN_IF_ERROR(WriteEvent(e, step.run_id, step.step_id));
  }
  return OkStatus();
}

Status SqliteStore::WriteEvent(const model::Event& e, std::string_view run_id, std::string_view step_id) {
  std::string key = e.attributes_json;
  key.push_back('\0');
  key += e.body_json;
  insert_event_.Reset();
  BindId(insert_event_, 1, run_id);
  BindId(insert_event_, 2, step_id);
  insert_event_.BindInt(3, e.time_ns);
  insert_event_.BindTextStatic(4, e.name);
  insert_event_.BindInt(5, static_cast<int64_t>(Hash64(key)));
  insert_event_.BindTextStatic(6, e.attributes_json.empty() ? std::string_view("{}") : e.attributes_json);
  insert_event_.BindTextOrNull(7, e.body_json);
  return insert_event_.Run();
}

Status SqliteStore::PutContent(const PreparedBlob& blob) {
  // An LRU miss at Prepare() time is almost always a new blob; INSERT OR IGNORE settles the rare
  // old one (stored by a concurrent batch since) without an existence probe.
  if (!staged_hashes_.insert(blob.hash).second) return OkStatus();
  const std::string key = blob.hash.ToBytes();
  insert_content_.BindBlobStatic(1, key);
  insert_content_.BindInt(2, blob.raw_size);
  insert_content_.BindInt(3, blob.codec);
  insert_content_.BindBlobStatic(4, blob.data);
  Status s = insert_content_.Run();
  if (!s.ok()) {
    staged_hashes_.erase(blob.hash);
  } else if (writer_db_.Changes() > 0) {
    ++content_blobs_added_;
    content_raw_added_ += blob.raw_size;
    content_stored_added_ += static_cast<int64_t>(blob.data.size());
  }
  return s;
}

Status SqliteStore::SummarizeInTxn(const std::string& run_id, int64_t now_ns, model::Run* run, size_t* steps) {
  struct Current {
    int attempt;
    std::string retry_of;
    int explicit_attempt;
    std::string explicit_retry_of;
    std::string agent;  // effective agent currently stored
  };
  std::vector<model::StepDigest> digests;
  std::vector<Current> current;
  load_digests_.Reset();
  BindId(load_digests_, 1, run_id);
  while (true) {
    TRACERY_ASSIGN_OR_RETURN(bool row, load_digests_.Step());
    if (!row) break;
    const Stmt& q = load_digests_;
    model::StepDigest d;
    d.step_id = ReadId(q, 0);
    d.parent_id = ReadId(q, 1);
    d.name = q.Str(2);
    d.type = model::ParseStepType(q.Text(3)).value_or(model::StepType::kOther);
    d.agent = q.Str(4);
    d.start_ns = q.Int(5);
    d.end_ns = q.Int(6);
    d.status = model::ParseStepStatus(q.Text(7)).value_or(model::StepStatus::kUnset);
    d.model = q.Str(8);
    d.tool_name = q.Str(9);
    d.tokens = ReadTokens(q, 10);
    d.cost_usd = q.Double(17);
    d.attempt = static_cast<int>(q.Int(18));
    d.retry_of = q.Str(19);
    d.handoff_to = q.Str(20);
    d.handoff_from = q.Str(21);
    d.failure = ReadStepFailure(q, 22, d.step_id);
    if (!q.IsNull(28)) {
      Status hs = HintsFromJson(q.Text(28), &d.hints);
      if (!hs.ok()) log::Warn("store: run {} step {}: {}", run_id, d.step_id, hs.message());
    }
    d.linked_steps = SplitLinks(q.Text(32));
    d.max_attempts = static_cast<int>(q.Int(33));
    current.push_back(Current{static_cast<int>(q.Int(29)), q.Str(30), d.attempt, d.retry_of, q.Str(31)});
    digests.push_back(std::move(d));
  }
  load_digests_.Reset();
  *steps = digests.size();

  model::RunSummary summary = model::SummarizeRun(run_id, digests);
  summary.run.run_id = run_id;
  summary.run.updated_ns = now_ns;

  upsert_run_.Reset();
  BindRun(upsert_run_, 1, summary.run);
  TRACERY_RETURN_IF_ERROR(upsert_run_.Run());

  delete_agents_.Reset();
  BindId(delete_agents_, 1, run_id);
  TRACERY_RETURN_IF_ERROR(delete_agents_.Run());
  for (const model::Agent& a : summary.agents) {
    BindId(insert_agent_, 1, run_id);
    insert_agent_.BindText(2, a.name);
    insert_agent_.BindInt(3, a.step_count);
    insert_agent_.BindInt(4, a.llm_count);
    insert_agent_.BindInt(5, a.tool_count);
    insert_agent_.BindInt(6, a.error_count);
    BindTokens(insert_agent_, 7, a.tokens);
    insert_agent_.BindDouble(14, a.cost_usd);
    insert_agent_.BindInt(15, a.first_start_ns);
    TRACERY_RETURN_IF_ERROR(insert_agent_.Run());
  }
  delete_messages_.Reset();
  BindId(delete_messages_, 1, run_id);
  TRACERY_RETURN_IF_ERROR(delete_messages_.Run());
  for (size_t i = 0; i < summary.messages.size(); ++i) {
    const model::Message& m = summary.messages[i];
    BindId(insert_message_, 1, run_id);
    insert_message_.BindInt(2, static_cast<int64_t>(i));
    insert_message_.BindText(3, m.from_agent);
    insert_message_.BindText(4, m.to_agent);
    insert_message_.BindText(5, m.kind);
    insert_message_.BindText(6, m.step_id);
    insert_message_.BindInt(7, m.time_ns);
    TRACERY_RETURN_IF_ERROR(insert_message_.Run());
  }
  delete_failures_.Reset();
  BindId(delete_failures_, 1, run_id);
  TRACERY_RETURN_IF_ERROR(delete_failures_.Run());
  for (size_t i = 0; i < summary.failures.size(); ++i) {
    const model::Failure& f = summary.failures[i];
    BindId(insert_failure_, 1, run_id);
    insert_failure_.BindInt(2, static_cast<int64_t>(i));
    insert_failure_.BindText(3, model::ToString(f.type));
    insert_failure_.BindText(4, f.code);
    insert_failure_.BindText(5, f.message);
    insert_failure_.BindText(6, f.step_id);
    insert_failure_.BindText(7, model::ToString(f.source));
    insert_failure_.BindInt(8, f.time_ns);
    insert_failure_.BindText(9, f.error_type);
    insert_failure_.BindInt(10, f.recovered ? 1 : 0);
    TRACERY_RETURN_IF_ERROR(insert_failure_.Run());
  }

  // Persist inferred retry links, touching only rows whose link changed.
  std::unordered_map<std::string_view, const model::RetryLink*> links;
  for (const model::RetryLink& l : summary.retries) links.emplace(l.step_id, &l);
  for (size_t i = 0; i < digests.size(); ++i) {
    int want_attempt = current[i].explicit_attempt;
    std::string_view want_retry_of = current[i].explicit_retry_of;
    auto it = links.find(digests[i].step_id);
    if (it != links.end()) {
      want_attempt = it->second->attempt;
      want_retry_of = it->second->retry_of;
    }
    if (want_attempt == current[i].attempt && want_retry_of == current[i].retry_of) continue;
    update_retry_.BindInt(1, want_attempt);
    update_retry_.BindTextOrNull(2, want_retry_of);
    BindId(update_retry_, 3, run_id);
    BindId(update_retry_, 4, digests[i].step_id);
    TRACERY_RETURN_IF_ERROR(update_retry_.Run());
  }
  // Persist inherited agents, touching only rows whose effective agent changed.
  std::unordered_map<std::string_view, std::string_view> inherited;
  for (const model::StepAgentLink& l : summary.inherited_agents) inherited.emplace(l.step_id, l.agent);
  for (size_t i = 0; i < digests.size(); ++i) {
    std::string_view want = digests[i].agent;
    auto it = inherited.find(digests[i].step_id);
    if (it != inherited.end()) want = it->second;
    if (want == current[i].agent) continue;
    update_agent_.BindText(1, want);
    BindId(update_agent_, 2, run_id);
    BindId(update_agent_, 3, digests[i].step_id);
    TRACERY_RETURN_IF_ERROR(update_agent_.Run());
  }
  *run = std::move(summary.run);
  return OkStatus();
}

void SqliteStore::NotifyListeners(const std::vector<model::Run>& runs) {
  if (runs.empty()) return;
  std::lock_guard lk(listener_mu_);
  for (const auto& [id, listener] : listeners_) {
    for (const model::Run& r : runs) listener(r);
  }
}

int SqliteStore::AddListener(RunUpdateListener listener) {
  std::lock_guard lk(listener_mu_);
  int id = next_listener_id_++;
  listeners_.emplace(id, std::move(listener));
  return id;
}

void SqliteStore::RemoveListener(int id) {
  std::lock_guard lk(listener_mu_);
  listeners_.erase(id);
}

void SqliteStore::PauseWriterForTesting(bool paused) {
  std::lock_guard lk(mu_);
  paused_ = paused;
  work_cv_.notify_all();
}

void SqliteStore::SetQueryTimeoutForTesting(std::chrono::nanoseconds timeout) { query_timeout_ns_ = timeout.count(); }

void SqliteStore::SetBigRunPolicyForTesting(int64_t steps, std::chrono::nanoseconds min_interval,
                                            std::chrono::nanoseconds idle) {
  std::lock_guard lk(policy_mu_);
  big_run_steps_ = steps;
  big_run_min_interval_ = min_interval;
  big_run_idle_ = idle;
}

int64_t SqliteStore::GroupsCommittedForTesting() {
  std::lock_guard lk(mu_);
  return groups_committed_;
}

void SqliteStore::FailNextCommitForTesting() { fail_next_commit_ = true; }

void SqliteStore::Close() {
  std::lock_guard close_lock(close_mu_);
  if (closed_) return;
  closed_ = true;
  {
    std::lock_guard lk(mu_);
    closing_ = true;
    stop_ = true;
    paused_ = false;
    work_cv_.notify_all();
  }
  const bool writer_started = writer_.joinable();
  if (writer_started) writer_.join();
  {
    std::unique_lock lk(reader_mu_);
    readers_closed_ = true;
    reader_cv_.wait(lk, [&] { return free_readers_.size() == readers_.size(); });
    free_readers_.clear();
    readers_.clear();
  }
  if (writer_db_.get() != nullptr && writer_started) {
    insert_step_ = Stmt();
    insert_content_ = Stmt();
    insert_event_ = Stmt();
    load_digests_ = Stmt();
    upsert_run_ = Stmt();
    delete_agents_ = Stmt();
    insert_agent_ = Stmt();
    delete_messages_ = Stmt();
    insert_message_ = Stmt();
    delete_failures_ = Stmt();
    insert_failure_ = Stmt();
    update_retry_ = Stmt();
    update_agent_ = Stmt();
    add_counter_ = Stmt();
    Status s = writer_db_.Exec("PRAGMA wal_checkpoint(TRUNCATE)");
    if (!s.ok()) log::Warn("store: checkpoint at close failed: {}", s.message());
    writer_db_.Close();
  }
}

}  // namespace internal

Result<std::unique_ptr<Store>> OpenSqliteStore(const SqliteOptions& options) {
  if (options.max_queue_bytes == 0) return InvalidArgumentError("max_queue_bytes must be > 0");
  if (options.max_group_bytes == 0) return InvalidArgumentError("max_group_bytes must be > 0");
  if (options.max_batch_wait_us < 0) return InvalidArgumentError("max_batch_wait_us must be >= 0");
  if (options.reader_connections < 1) return InvalidArgumentError("reader_connections must be >= 1");
  if (options.query_timeout_ms < 0) return InvalidArgumentError("query_timeout_ms must be >= 0 (0 = no limit)");
  auto store = std::make_unique<internal::SqliteStore>(options);
  Status s = store->Init();
  if (!s.ok()) {
    store->Close();
    return s;
  }
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace tracery::store
