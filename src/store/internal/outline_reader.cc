// SqliteStore::GetRunOutline: one index-ordered scan of the run's steps reading only the
// structural columns (no attributes, content manifests or events), for the UI's run outline.
#include <fmt/core.h>

#include "store/internal/sqlite_store_impl.h"

namespace tracery::store::internal {

Result<std::vector<OutlineStep>> SqliteStore::GetRunOutline(const std::string& run_id) {
  TRACERY_ASSIGN_OR_RETURN(ReaderLease db, AcquireReader());
  ReadTxn txn(db.get());
  TRACERY_RETURN_IF_ERROR(txn.status());
  {
    TRACERY_ASSIGN_OR_RETURN(Stmt * q, db->Cached("SELECT step_count FROM runs WHERE run_id = ?"));
    BindId(*q, 1, run_id);
    TRACERY_ASSIGN_OR_RETURN(bool row, q->Step());
    if (!row) return NotFoundError(fmt::format("run {} not found", run_id));
    q->Reset();
  }
  std::vector<OutlineStep> out;
  TRACERY_ASSIGN_OR_RETURN(
      Stmt * q, db->Cached("SELECT step_id, parent_id, name, agent, retry_of, start_ns, end_ns, attempt, type, status, "
                           "f_type IS NOT NULL FROM steps WHERE run_id = ? ORDER BY start_ns, step_id"));
  BindId(*q, 1, run_id);
  while (true) {
    TRACERY_ASSIGN_OR_RETURN(bool row, q->Step());
    if (!row) break;
    OutlineStep s;
    s.step_id = ReadId(*q, 0);
    s.parent_id = ReadId(*q, 1);
    s.name = q->Str(2);
    s.agent = q->Str(3);
    if (!q->IsNull(4)) s.retry_of = q->Str(4);
    s.start_ns = q->Int(5);
    s.end_ns = q->Int(6);
    s.attempt = static_cast<int>(q->Int(7));
    s.type = model::ParseStepType(q->Text(8)).value_or(model::StepType::kOther);
    s.status = model::ParseStepStatus(q->Text(9)).value_or(model::StepStatus::kUnset);
    s.failed = q->Int(10) != 0;
    out.push_back(std::move(s));
  }
  q->Reset();
  return out;
}

}  // namespace tracery::store::internal
