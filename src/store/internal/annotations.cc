// Triage annotations and the small key/value state of the SQLite store. They are written on a
// connection of their own (not through the ingest writer queue): they are few, small, and must
// be visible as soon as the call returns.
#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "store/internal/sqlite_store_impl.h"

namespace tracery::store::internal {
namespace {

bool ValidVerdict(const std::string& v) { return v == "positive" || v == "negative" || v == "error"; }

std::string EvidenceJson(const std::vector<std::string>& ids) { return nlohmann::json(ids).dump(); }

std::vector<std::string> ParseEvidence(std::string_view text) {
  std::vector<std::string> out;
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_array()) return out;
  for (const auto& v : j) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

}  // namespace

Status SqliteStore::OpenAnnotationDbLocked() {
  if (annotation_db_open_) return OkStatus();
  if (db_path_.empty()) return UnavailableError("store is not open");
  TRACERY_RETURN_IF_ERROR(annotation_db_.Open(db_path_, SQLITE_OPEN_READWRITE));
  TRACERY_RETURN_IF_ERROR(annotation_db_.Exec("PRAGMA busy_timeout = 10000"));
  annotation_db_open_ = true;
  return OkStatus();
}

Status SqliteStore::WriteAnnotations(const std::vector<Annotation>& annotations) {
  for (size_t i = 0; i < annotations.size(); ++i) {
    const Annotation& a = annotations[i];
    if (a.run_id.empty() || a.rubric_name.empty() || a.rubric_version.empty() || a.mode_id.empty()) {
      return InvalidArgumentError(fmt::format("annotations[{}]: run_id, rubric_name, rubric_version and mode_id are required", i));
    }
    if (!ValidVerdict(a.verdict)) {
      return InvalidArgumentError(fmt::format("annotations[{}].verdict: '{}' is not positive, negative or error", i, a.verdict));
    }
  }
  if (annotations.empty()) return OkStatus();
  std::lock_guard<std::mutex> lock(annotation_mu_);
  TRACERY_RETURN_IF_ERROR(OpenAnnotationDbLocked());
  Db& db = annotation_db_;
  TRACERY_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
  int64_t now = Clock::Real().NowUnixNanos();
  Status s = [&]() -> Status {
    TRACERY_ASSIGN_OR_RETURN(Stmt * exists, db.Cached("SELECT 1 FROM runs WHERE run_id = ?"));
    TRACERY_ASSIGN_OR_RETURN(
        Stmt * upsert,
        db.Cached("INSERT OR REPLACE INTO annotations (run_id, rubric_name, rubric_version, mode_id, severity, "
                  "verdict, confidence, evidence_json, excerpt, detector, triage_run_id, error, created_ns) "
                  "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"));
    std::string last_checked;
    for (const Annotation& a : annotations) {
      if (a.run_id != last_checked) {
        exists->Reset();
        BindId(*exists, 1, a.run_id);
        TRACERY_ASSIGN_OR_RETURN(bool found, exists->Step());
        exists->Reset();
        if (!found) return NotFoundError("annotation for unknown run " + a.run_id);
        last_checked = a.run_id;
      }
      upsert->Reset();
      BindId(*upsert, 1, a.run_id);
      upsert->BindText(2, a.rubric_name);
      upsert->BindText(3, a.rubric_version);
      upsert->BindText(4, a.mode_id);
      upsert->BindText(5, a.severity);
      upsert->BindText(6, a.verdict);
      upsert->BindDouble(7, a.confidence);
      upsert->BindText(8, EvidenceJson(a.evidence_step_ids));
      upsert->BindText(9, a.excerpt);
      upsert->BindText(10, a.detector);
      upsert->BindText(11, a.triage_run_id);
      upsert->BindText(12, a.error);
      upsert->BindInt(13, a.created_ns > 0 ? a.created_ns : now);
      TRACERY_RETURN_IF_ERROR(upsert->Run());
    }
    return OkStatus();
  }();
  if (s.ok()) s = db.Exec("COMMIT");
  if (!s.ok()) (void)db.Exec("ROLLBACK");
  return s;
}

Result<std::vector<Annotation>> SqliteStore::ListAnnotations(const std::string& run_id) {
  TRACERY_ASSIGN_OR_RETURN(ReaderLease db, AcquireReader());
  TRACERY_ASSIGN_OR_RETURN(
      Stmt * q, db->Cached("SELECT rubric_name, rubric_version, mode_id, severity, verdict, confidence, evidence_json, "
                           "excerpt, detector, triage_run_id, error, created_ns FROM annotations WHERE run_id = ? "
                           "ORDER BY rubric_name, rubric_version, mode_id"));
  BindId(*q, 1, run_id);
  std::vector<Annotation> out;
  while (true) {
    TRACERY_ASSIGN_OR_RETURN(bool row, q->Step());
    if (!row) break;
    Annotation a;
    a.run_id = run_id;
    a.rubric_name = q->Str(0);
    a.rubric_version = q->Str(1);
    a.mode_id = q->Str(2);
    a.severity = q->Str(3);
    a.verdict = q->Str(4);
    a.confidence = q->Double(5);
    a.evidence_step_ids = ParseEvidence(q->Text(6));
    a.excerpt = q->Str(7);
    a.detector = q->Str(8);
    a.triage_run_id = q->Str(9);
    a.error = q->Str(10);
    a.created_ns = q->Int(11);
    out.push_back(std::move(a));
  }
  q->Reset();
  return out;
}

Result<std::vector<std::string>> SqliteStore::ClassifiedRuns(const std::string& rubric_name,
                                                             const std::string& rubric_version,
                                                             const std::vector<std::string>& run_ids) {
  TRACERY_ASSIGN_OR_RETURN(ReaderLease db, AcquireReader());
  TRACERY_ASSIGN_OR_RETURN(
      Stmt * q, db->Cached("SELECT count(*), sum(verdict = 'error') FROM annotations "
                           "WHERE run_id = ? AND rubric_name = ? AND rubric_version = ?"));
  std::vector<std::string> out;
  for (const std::string& id : run_ids) {
    q->Reset();
    BindId(*q, 1, id);
    q->BindText(2, rubric_name);
    q->BindText(3, rubric_version);
    TRACERY_ASSIGN_OR_RETURN(bool row, q->Step());
    if (row && q->Int(0) > 0 && q->Int(1) == 0) out.push_back(id);
  }
  q->Reset();
  return out;
}

Result<std::optional<std::string>> SqliteStore::GetState(const std::string& key) {
  TRACERY_ASSIGN_OR_RETURN(ReaderLease db, AcquireReader());
  TRACERY_ASSIGN_OR_RETURN(Stmt * q, db->Cached("SELECT value FROM triage_state WHERE key = ?"));
  q->BindText(1, key);
  TRACERY_ASSIGN_OR_RETURN(bool row, q->Step());
  std::optional<std::string> out;
  if (row) out = q->Str(0);
  q->Reset();
  return out;
}

Status SqliteStore::SetState(const std::string& key, const std::string& value) {
  if (key.empty()) return InvalidArgumentError("state key is empty");
  std::lock_guard<std::mutex> lock(annotation_mu_);
  TRACERY_RETURN_IF_ERROR(OpenAnnotationDbLocked());
  TRACERY_ASSIGN_OR_RETURN(Stmt * q, annotation_db_.Cached(
                                          "INSERT OR REPLACE INTO triage_state (key, value, updated_ns) VALUES (?,?,?)"));
  q->BindText(1, key);
  q->BindText(2, value);
  q->BindInt(3, Clock::Real().NowUnixNanos());
  return q->Run();
}

}  // namespace tracery::store::internal
