// Row <-> model mapping for the runs, steps and per-run tables. Column lists and binders live
// together so the writer and the readers cannot drift apart.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "model/model.h"
#include "store/internal/codec.h"
#include "store/internal/sqlite_util.h"

namespace tracery::store::internal {

// Comma-separated column list of runs, in BindRun / ReadRun order.
const std::string& RunColumns();
int RunColumnCount();
// Binds every column of `run` starting at parameter `first`.
void BindRun(Stmt& stmt, int first, const model::Run& run);
// Reads a run from columns [first, first + RunColumnCount()).
model::Run ReadRun(const Stmt& stmt, int first);

// Comma-separated column list of steps, in BindStep / ReadStep order.
const std::string& StepColumns();
int StepColumnCount();
// Values computed by the writer for a step row.
struct StepRowExtras {
  std::string_view attributes;  // text, or zstd bytes when attributes_compressed
  bool attributes_compressed = false;
  std::string_view hints_json;  // "" = NULL
  std::string_view manifest;    // "" = NULL
  std::string_view links;       // JoinLinks(step.linked_steps); "" = NULL
};
// The `links` column: span ids comma-joined (ids containing ',' are dropped); empty parts skipped.
std::string JoinLinks(const std::vector<std::string>& ids);
std::vector<std::string> SplitLinks(std::string_view joined);
// Binds every column; string data is bound without copying and must outlive the next Step().
void BindStep(Stmt& stmt, int first, const model::Step& step, const StepRowExtras& extras);
// Reads a step (no content, no events). `manifest` receives the raw manifest bytes.
Status ReadStep(const Stmt& stmt, int first, model::Step* step, std::string* manifest);

void BindTokens(Stmt& stmt, int first, const model::TokenUsage& t);  // 7 columns
model::TokenUsage ReadTokens(const Stmt& stmt, int first);
// A step's failure from the 6 columns (type, code, message, source, time_ns, error_type);
// nullopt when `type` is NULL.
std::optional<model::Failure> ReadStepFailure(const Stmt& stmt, int first, const std::string& step_id);
// A run-level failure from the 8 columns (type, code, message, step_id, source, time_ns,
// error_type, recovered) used by runs and run_failures; nullopt when `type` is NULL.
std::optional<model::Failure> ReadFailureRow(const Stmt& stmt, int first);

// Attributes above this size are stored zstd-compressed.
inline constexpr size_t kCompressAttributesAbove = 1024;

}  // namespace tracery::store::internal
