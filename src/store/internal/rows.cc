#include "store/internal/rows.h"

#include <fmt/core.h>

#include "core/compression.h"

namespace tracery::store::internal {
namespace {

std::string Join(const std::vector<std::string_view>& cols) {
  std::string out;
  for (std::string_view c : cols) {
    if (!out.empty()) out += ", ";
    out += c;
  }
  return out;
}

const std::vector<std::string_view>& RunColumnList() {
  static const std::vector<std::string_view> kCols = {
      "run_id",      "name",        "agent_id",     "agent_version", "environment",    "session_id",
      "user_id",     "service_name", "start_ns",    "end_ns",        "duration_ns",    "status",
      "root_seen",   "f_type",      "f_code",       "f_message",     "f_step_id",      "f_source",
      "f_time_ns",   "f_error_type", "f_recovered", "step_count",    "llm_count",      "tool_count",
      "retry_count", "error_count", "agent_count",  "tok_input",     "tok_output",     "tok_total",
      "tok_cache_read", "tok_cache_write", "tok_reasoning", "tok_present", "cost_usd", "models_json",
      "tags_json",   "metadata_json", "updated_ns"};
  return kCols;
}

const std::vector<std::string_view>& StepColumnList() {
  static const std::vector<std::string_view> kCols = {
      "run_id",         "step_id",        "parent_id",     "name",          "type",
      "agent",          "start_ns",       "end_ns",        "status",        "status_message",
      "model",          "provider",       "tool_name",     "finish_reason", "tok_input",
      "tok_output",     "tok_total",      "tok_cache_read", "tok_cache_write", "tok_reasoning",
      "tok_present",    "cost_usd",       "cost_explicit", "attempt_explicit", "retry_of_explicit",
      "attempt",        "retry_of",       "handoff_to",    "handoff_from",  "attributes",
      "scope_name",     "f_type",         "f_code",        "f_message",     "f_source",
      "f_time_ns",      "f_error_type",   "hints_json",    "content",       "received_ns",
      "links",          "max_attempts"};
  return kCols;
}

void BindStaticOrNull(Stmt& stmt, int i, std::string_view v) {
  if (v.empty()) {
    stmt.BindNull(i);
  } else {
    stmt.BindTextStatic(i, v);
  }
}

}  // namespace

const std::string& RunColumns() {
  static const std::string kJoined = Join(RunColumnList());
  return kJoined;
}
int RunColumnCount() { return static_cast<int>(RunColumnList().size()); }
const std::string& StepColumns() {
  static const std::string kJoined = Join(StepColumnList());
  return kJoined;
}
int StepColumnCount() { return static_cast<int>(StepColumnList().size()); }

std::string JoinLinks(const std::vector<std::string>& ids) {
  std::string out;
  for (const std::string& id : ids) {
    if (id.empty() || id.find(',') != std::string::npos) continue;  // cannot round-trip
    if (!out.empty()) out += ',';
    out += id;
  }
  return out;
}

std::vector<std::string> SplitLinks(std::string_view joined) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < joined.size()) {
    size_t comma = joined.find(',', start);
    if (comma == std::string_view::npos) comma = joined.size();
    if (comma > start) out.emplace_back(joined.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

void BindTokens(Stmt& stmt, int i, const model::TokenUsage& t) {
  stmt.BindInt(i, t.input);
  stmt.BindInt(i + 1, t.output);
  stmt.BindInt(i + 2, t.total);
  stmt.BindInt(i + 3, t.cache_read);
  stmt.BindInt(i + 4, t.cache_write);
  stmt.BindInt(i + 5, t.reasoning);
  stmt.BindInt(i + 6, t.present ? 1 : 0);
}

std::optional<model::Failure> ReadStepFailure(const Stmt& stmt, int first, const std::string& step_id) {
  if (stmt.IsNull(first)) return std::nullopt;
  model::Failure f;
  f.type = model::ParseFailureType(stmt.Text(first)).value_or(model::FailureType::kUnknown);
  f.code = stmt.Str(first + 1);
  f.message = stmt.Str(first + 2);
  f.source = model::ParseFailureSource(stmt.Text(first + 3)).value_or(model::FailureSource::kSpanStatus);
  f.time_ns = stmt.Int(first + 4);
  f.error_type = stmt.Str(first + 5);
  f.step_id = step_id;
  return f;
}

std::optional<model::Failure> ReadFailureRow(const Stmt& stmt, int first) {
  if (stmt.IsNull(first)) return std::nullopt;
  model::Failure f;
  f.type = model::ParseFailureType(stmt.Text(first)).value_or(model::FailureType::kUnknown);
  f.code = stmt.Str(first + 1);
  f.message = stmt.Str(first + 2);
  f.step_id = stmt.Str(first + 3);
  f.source = model::ParseFailureSource(stmt.Text(first + 4)).value_or(model::FailureSource::kSpanStatus);
  f.time_ns = stmt.Int(first + 5);
  f.error_type = stmt.Str(first + 6);
  f.recovered = stmt.Int(first + 7) != 0;
  return f;
}

model::TokenUsage ReadTokens(const Stmt& stmt, int i) {
  model::TokenUsage t;
  t.input = stmt.Int(i);
  t.output = stmt.Int(i + 1);
  t.total = stmt.Int(i + 2);
  t.cache_read = stmt.Int(i + 3);
  t.cache_write = stmt.Int(i + 4);
  t.reasoning = stmt.Int(i + 5);
  t.present = stmt.Int(i + 6) != 0;
  return t;
}

void BindRun(Stmt& stmt, int i, const model::Run& r) {
  BindId(stmt, i, r.run_id);
  stmt.BindText(i + 1, r.name);
  stmt.BindText(i + 2, r.agent_id);
  stmt.BindText(i + 3, r.agent_version);
  stmt.BindText(i + 4, r.environment);
  stmt.BindText(i + 5, r.session_id);
  stmt.BindText(i + 6, r.user_id);
  stmt.BindText(i + 7, r.service_name);
  stmt.BindInt(i + 8, r.start_ns);
  stmt.BindInt(i + 9, r.end_ns);
  stmt.BindInt(i + 10, r.end_ns > r.start_ns ? r.end_ns - r.start_ns : 0);
  stmt.BindText(i + 11, model::ToString(r.status));
  stmt.BindInt(i + 12, r.root_seen ? 1 : 0);
  if (r.failure) {
    const model::Failure& f = *r.failure;
    stmt.BindText(i + 13, model::ToString(f.type));
    stmt.BindText(i + 14, f.code);
    stmt.BindText(i + 15, f.message);
    stmt.BindText(i + 16, f.step_id);
    stmt.BindText(i + 17, model::ToString(f.source));
    stmt.BindInt(i + 18, f.time_ns);
    stmt.BindText(i + 19, f.error_type);
    stmt.BindInt(i + 20, f.recovered ? 1 : 0);
  } else {
    for (int k = 13; k <= 20; ++k) stmt.BindNull(i + k);
  }
  stmt.BindInt(i + 21, r.step_count);
  stmt.BindInt(i + 22, r.llm_count);
  stmt.BindInt(i + 23, r.tool_count);
  stmt.BindInt(i + 24, r.retry_count);
  stmt.BindInt(i + 25, r.error_count);
  stmt.BindInt(i + 26, r.agent_count);
  BindTokens(stmt, i + 27, r.tokens);
  stmt.BindDouble(i + 34, r.cost_usd);
  stmt.BindText(i + 35, StringListToJson(r.models));
  stmt.BindText(i + 36, StringListToJson(r.tags));
  stmt.BindText(i + 37, r.metadata_json.empty() ? std::string_view("{}") : std::string_view(r.metadata_json));
  stmt.BindInt(i + 38, r.updated_ns);
}

model::Run ReadRun(const Stmt& stmt, int i) {
  model::Run r;
  r.run_id = ReadId(stmt, i);
  r.name = stmt.Str(i + 1);
  r.agent_id = stmt.Str(i + 2);
  r.agent_version = stmt.Str(i + 3);
  r.environment = stmt.Str(i + 4);
  r.session_id = stmt.Str(i + 5);
  r.user_id = stmt.Str(i + 6);
  r.service_name = stmt.Str(i + 7);
  r.start_ns = stmt.Int(i + 8);
  r.end_ns = stmt.Int(i + 9);
  r.status = model::ParseRunStatus(stmt.Text(i + 11)).value_or(model::RunStatus::kRunning);
  r.root_seen = stmt.Int(i + 12) != 0;
  r.failure = ReadFailureRow(stmt, i + 13);
  r.step_count = stmt.Int(i + 21);
  r.llm_count = stmt.Int(i + 22);
  r.tool_count = stmt.Int(i + 23);
  r.retry_count = stmt.Int(i + 24);
  r.error_count = stmt.Int(i + 25);
  r.agent_count = stmt.Int(i + 26);
  r.tokens = ReadTokens(stmt, i + 27);
  r.cost_usd = stmt.Double(i + 34);
  r.models = StringListFromJson(stmt.Text(i + 35));
  r.tags = StringListFromJson(stmt.Text(i + 36));
  r.metadata_json = stmt.Str(i + 37);
  r.updated_ns = stmt.Int(i + 38);
  return r;
}

void BindStep(Stmt& stmt, int i, const model::Step& s, const StepRowExtras& x) {
  BindId(stmt, i, s.run_id);
  BindId(stmt, i + 1, s.step_id);
  BindId(stmt, i + 2, s.parent_id);
  stmt.BindTextStatic(i + 3, s.name);
  stmt.BindTextStatic(i + 4, model::ToString(s.type));
  stmt.BindTextStatic(i + 5, s.agent);
  stmt.BindInt(i + 6, s.start_ns);
  stmt.BindInt(i + 7, s.end_ns);
  stmt.BindTextStatic(i + 8, model::ToString(s.status));
  BindStaticOrNull(stmt, i + 9, s.status_message);
  stmt.BindTextStatic(i + 10, s.model);
  BindStaticOrNull(stmt, i + 11, s.provider);
  stmt.BindTextStatic(i + 12, s.tool_name);
  BindStaticOrNull(stmt, i + 13, s.finish_reason);
  BindTokens(stmt, i + 14, s.tokens);
  stmt.BindDouble(i + 21, s.cost_usd);
  stmt.BindInt(i + 22, s.cost_explicit ? 1 : 0);
  stmt.BindInt(i + 23, s.attempt);
  BindStaticOrNull(stmt, i + 24, s.retry_of);
  // Effective retry link: the explicit one until the summarizer infers otherwise.
  stmt.BindInt(i + 25, s.attempt);
  BindStaticOrNull(stmt, i + 26, s.retry_of);
  BindStaticOrNull(stmt, i + 27, s.handoff_to);
  BindStaticOrNull(stmt, i + 28, s.handoff_from);
  if (x.attributes_compressed) {
    stmt.BindBlobStatic(i + 29, x.attributes);
  } else {
    stmt.BindTextStatic(i + 29, x.attributes);
  }
  BindStaticOrNull(stmt, i + 30, s.scope_name);
  if (s.failure) {
    const model::Failure& f = *s.failure;
    stmt.BindTextStatic(i + 31, model::ToString(f.type));
    stmt.BindTextStatic(i + 32, f.code);
    stmt.BindTextStatic(i + 33, f.message);
    stmt.BindTextStatic(i + 34, model::ToString(f.source));
    stmt.BindInt(i + 35, f.time_ns);
    stmt.BindTextStatic(i + 36, f.error_type);
  } else {
    for (int k = 31; k <= 36; ++k) stmt.BindNull(i + k);
  }
  BindStaticOrNull(stmt, i + 37, x.hints_json);
  if (x.manifest.empty()) {
    stmt.BindNull(i + 38);
  } else {
    stmt.BindBlobStatic(i + 38, x.manifest);
  }
  stmt.BindInt(i + 39, s.received_ns);
  BindStaticOrNull(stmt, i + 40, x.links);
  stmt.BindInt(i + 41, s.max_attempts);
}

Status ReadStep(const Stmt& stmt, int i, model::Step* out, std::string* manifest) {
  model::Step& s = *out;
  s.run_id = ReadId(stmt, i);
  s.step_id = ReadId(stmt, i + 1);
  s.parent_id = ReadId(stmt, i + 2);
  s.name = stmt.Str(i + 3);
  s.type = model::ParseStepType(stmt.Text(i + 4)).value_or(model::StepType::kOther);
  s.agent = stmt.Str(i + 5);
  s.start_ns = stmt.Int(i + 6);
  s.end_ns = stmt.Int(i + 7);
  s.status = model::ParseStepStatus(stmt.Text(i + 8)).value_or(model::StepStatus::kUnset);
  s.status_message = stmt.Str(i + 9);
  s.model = stmt.Str(i + 10);
  s.provider = stmt.Str(i + 11);
  s.tool_name = stmt.Str(i + 12);
  s.finish_reason = stmt.Str(i + 13);
  s.tokens = ReadTokens(stmt, i + 14);
  s.cost_usd = stmt.Double(i + 21);
  s.cost_explicit = stmt.Int(i + 22) != 0;
  s.attempt = static_cast<int>(stmt.Int(i + 25));
  s.retry_of = stmt.Str(i + 26);
  s.handoff_to = stmt.Str(i + 27);
  s.handoff_from = stmt.Str(i + 28);
  if (stmt.ColumnType(i + 29) == SQLITE_BLOB) {
    Status st = ZstdDecompress(stmt.Blob(i + 29), 256u << 20, &s.attributes_json);
    if (!st.ok()) return st.WithContext(fmt::format("step {} attributes", s.step_id));
  } else {
    s.attributes_json = stmt.Str(i + 29);
  }
  s.scope_name = stmt.Str(i + 30);
  s.failure = ReadStepFailure(stmt, i + 31, s.step_id);
  if (!stmt.IsNull(i + 37)) {
    Status st = HintsFromJson(stmt.Text(i + 37), &s.hints);
    if (!st.ok()) return st.WithContext(fmt::format("step {}", s.step_id));
  }
  if (manifest != nullptr) manifest->assign(stmt.Blob(i + 38));
  s.received_ns = stmt.Int(i + 39);
  s.linked_steps = SplitLinks(stmt.Text(i + 40));
  s.max_attempts = static_cast<int>(stmt.Int(i + 41));
  return OkStatus();
}

}  // namespace tracery::store::internal
