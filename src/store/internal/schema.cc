#include "store/internal/schema.h"

#include <fmt/core.h>

#include <string_view>
#include <vector>

namespace tracery::store::internal {
namespace {

// Ordered list of migrations. Never edit a released entry: append a new one.
const std::vector<std::string_view>& Migrations() {
  static const std::vector<std::string_view> kMigrations = {
      // 1: initial schema.
      R"sql(
CREATE TABLE runs (
  run_id BLOB PRIMARY KEY,
  name TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  agent_version TEXT NOT NULL,
  environment TEXT NOT NULL,
  session_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  service_name TEXT NOT NULL,
  start_ns INTEGER NOT NULL,
  end_ns INTEGER NOT NULL,
  duration_ns INTEGER NOT NULL,
  status TEXT NOT NULL,
  root_seen INTEGER NOT NULL,
  f_type TEXT, f_code TEXT, f_message TEXT, f_step_id TEXT, f_source TEXT,
  f_time_ns INTEGER, f_error_type TEXT, f_recovered INTEGER,
  step_count INTEGER NOT NULL, llm_count INTEGER NOT NULL, tool_count INTEGER NOT NULL,
  retry_count INTEGER NOT NULL, error_count INTEGER NOT NULL, agent_count INTEGER NOT NULL,
  tok_input INTEGER NOT NULL, tok_output INTEGER NOT NULL, tok_total INTEGER NOT NULL,
  tok_cache_read INTEGER NOT NULL, tok_cache_write INTEGER NOT NULL, tok_reasoning INTEGER NOT NULL,
  tok_present INTEGER NOT NULL,
  cost_usd REAL NOT NULL,
  models_json TEXT NOT NULL,
  tags_json TEXT NOT NULL,
  metadata_json TEXT NOT NULL,
  updated_ns INTEGER NOT NULL
);
CREATE INDEX runs_by_start ON runs(start_ns, run_id);
CREATE INDEX runs_by_updated ON runs(updated_ns, run_id);
CREATE INDEX runs_by_duration ON runs(duration_ns, run_id);
CREATE INDEX runs_by_cost ON runs(cost_usd, run_id);
CREATE INDEX runs_by_tokens ON runs(tok_total, run_id);
CREATE INDEX runs_by_agent ON runs(agent_id, start_ns);
CREATE INDEX runs_by_status ON runs(status, start_ns);
CREATE INDEX runs_by_environment ON runs(environment, start_ns);
CREATE INDEX runs_by_session ON runs(session_id, start_ns);

CREATE TABLE steps (
  run_id BLOB NOT NULL,
  step_id BLOB NOT NULL,
  parent_id BLOB NOT NULL,
  name TEXT NOT NULL,
  type TEXT NOT NULL,
  agent TEXT NOT NULL,         -- effective agent: own, or inherited from the nearest ancestor
  agent_explicit TEXT,         -- the step's own agent, set once an inherited one replaced it
  start_ns INTEGER NOT NULL,
  end_ns INTEGER NOT NULL,
  status TEXT NOT NULL,
  status_message TEXT,
  model TEXT NOT NULL,
  provider TEXT,
  tool_name TEXT NOT NULL,
  finish_reason TEXT,
  tok_input INTEGER NOT NULL, tok_output INTEGER NOT NULL, tok_total INTEGER NOT NULL,
  tok_cache_read INTEGER NOT NULL, tok_cache_write INTEGER NOT NULL, tok_reasoning INTEGER NOT NULL,
  tok_present INTEGER NOT NULL,
  cost_usd REAL NOT NULL,
  cost_explicit INTEGER NOT NULL,
  attempt_explicit INTEGER NOT NULL,
  retry_of_explicit TEXT,
  attempt INTEGER NOT NULL,
  retry_of TEXT,
  handoff_to TEXT,
  handoff_from TEXT,
  links TEXT,       -- same-trace span links: hex span ids, comma-joined; NULL when none
  attributes BLOB,  -- TEXT, or zstd BLOB when large
  scope_name TEXT,
  f_type TEXT, f_code TEXT, f_message TEXT, f_source TEXT, f_time_ns INTEGER, f_error_type TEXT,
  hints_json TEXT,
  content BLOB,
  received_ns INTEGER NOT NULL,
  UNIQUE (run_id, step_id)
);
-- A rowid table, not WITHOUT ROWID: LLM step rows are ~1.7 KB, which spills to overflow pages
-- in an index b-tree (44% page fill) but fits a table leaf. The UNIQUE index keeps inserts
-- idempotent; see docs/decisions/0002-sqlite-store.md.
CREATE INDEX steps_by_order ON steps(run_id, start_ns, step_id);

CREATE TABLE events (
  run_id BLOB NOT NULL,
  step_id BLOB NOT NULL,
  time_ns INTEGER NOT NULL,
  name TEXT NOT NULL,
  attr_hash INTEGER NOT NULL,
  attributes_json TEXT NOT NULL,
  body_json TEXT,
  PRIMARY KEY (run_id, step_id, time_ns, name, attr_hash)
) WITHOUT ROWID;

CREATE TABLE run_agents (
  run_id BLOB NOT NULL,
  name TEXT NOT NULL,
  step_count INTEGER NOT NULL, llm_count INTEGER NOT NULL, tool_count INTEGER NOT NULL,
  error_count INTEGER NOT NULL,
  tok_input INTEGER NOT NULL, tok_output INTEGER NOT NULL, tok_total INTEGER NOT NULL,
  tok_cache_read INTEGER NOT NULL, tok_cache_write INTEGER NOT NULL, tok_reasoning INTEGER NOT NULL,
  tok_present INTEGER NOT NULL,
  cost_usd REAL NOT NULL,
  first_start_ns INTEGER NOT NULL,
  PRIMARY KEY (run_id, name)
) WITHOUT ROWID;

CREATE TABLE run_messages (
  run_id BLOB NOT NULL,
  seq INTEGER NOT NULL,
  from_agent TEXT NOT NULL, to_agent TEXT NOT NULL, kind TEXT NOT NULL, step_id TEXT NOT NULL,
  time_ns INTEGER NOT NULL,
  PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

CREATE TABLE run_failures (
  run_id BLOB NOT NULL,
  seq INTEGER NOT NULL,
  type TEXT NOT NULL, code TEXT NOT NULL, message TEXT NOT NULL, step_id TEXT NOT NULL,
  source TEXT NOT NULL, time_ns INTEGER NOT NULL, error_type TEXT NOT NULL, recovered INTEGER NOT NULL,
  PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

CREATE TABLE content (
  hash BLOB PRIMARY KEY,
  raw_size INTEGER NOT NULL,
  codec INTEGER NOT NULL,
  data BLOB NOT NULL
);
)sql",
      // 2: triage annotations and state.
      R"sql(
CREATE TABLE annotations (
  run_id BLOB NOT NULL,
  rubric_name TEXT NOT NULL,
  rubric_version TEXT NOT NULL,
  mode_id TEXT NOT NULL,
  severity TEXT NOT NULL,
  verdict TEXT NOT NULL,
  confidence REAL NOT NULL,
  evidence_json TEXT NOT NULL,
  excerpt TEXT NOT NULL,
  detector TEXT NOT NULL,
  triage_run_id TEXT NOT NULL,
  error TEXT NOT NULL,
  created_ns INTEGER NOT NULL,
  PRIMARY KEY (run_id, rubric_name, rubric_version, mode_id)
) WITHOUT ROWID;
CREATE INDEX annotations_by_mode ON annotations(mode_id, verdict, run_id);
CREATE TABLE triage_state (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_ns INTEGER NOT NULL
) WITHOUT ROWID;
)sql",
      // 3: the retry budget a step reports (tracery.step.max_attempts; 0 = unknown).
      R"sql(
ALTER TABLE steps ADD COLUMN max_attempts INTEGER NOT NULL DEFAULT 0;
)sql",
      // 4: running content totals for /readyz (kept by the writer in each commit), so store info
      // never scans the content table. An existing store is counted once, here.
      R"sql(
CREATE TABLE counters (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO counters SELECT 'content_blobs', count(*) FROM content;
INSERT INTO counters SELECT 'content_bytes_raw', coalesce(sum(raw_size), 0) FROM content;
INSERT INTO counters SELECT 'content_bytes_stored', coalesce(sum(length(data)), 0) FROM content;
)sql",
  };
  return kMigrations;
}

}  // namespace

int LatestSchemaVersion() { return static_cast<int>(Migrations().size()); }

Status Migrate(Db& db) {
  auto version = db.QueryInt("PRAGMA user_version");
  if (!version.ok()) return version.status().WithContext(fmt::format("reading schema version of {}", db.path()));
  const int latest = LatestSchemaVersion();
  if (*version > latest) {
    return FailedPreconditionError(fmt::format(
        "database {} has schema version {}, newer than this binary supports ({}); upgrade tracery",
        db.path(), *version, latest));
  }
  if (*version < 0) {
    return FailedPreconditionError(fmt::format("database {} has invalid schema version {}", db.path(), *version));
  }
  for (int v = static_cast<int>(*version); v < latest; ++v) {
    TRACERY_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
    Status s = db.Exec(Migrations()[static_cast<size_t>(v)]);
    if (s.ok()) s = db.Exec(fmt::format("PRAGMA user_version = {}", v + 1));
    if (s.ok()) s = db.Exec("COMMIT");
    if (!s.ok()) {
      (void)db.Exec("ROLLBACK");
      return s.WithContext(fmt::format("migrating {} to schema version {}", db.path(), v + 1));
    }
  }
  return OkStatus();
}

}  // namespace tracery::store::internal
