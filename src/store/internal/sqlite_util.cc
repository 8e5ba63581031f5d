#include "store/internal/sqlite_util.h"

#include <fmt/core.h>

#include <chrono>

#include "core/hex.h"

namespace tracery::store::internal {

Status SqliteError(int rc, std::string_view context, sqlite3* db) {
  std::string detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  std::string msg = fmt::format("sqlite: {}: {}", context, detail);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
      return UnavailableError(std::move(msg));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return DataLossError(std::move(msg));
    case SQLITE_INTERRUPT:  // a reader's progress handler: the query passed its deadline
      return DeadlineExceededError(fmt::format("sqlite: {}: the query ran longer than store.query_timeout_ms and was stopped",
                                               context));
    default:
      return InternalError(std::move(msg));
  }
}

int64_t SteadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int ReaderDeadlinePassed(void* deadline_ns) {
  const int64_t deadline = *static_cast<const int64_t*>(deadline_ns);
  return deadline != 0 && SteadyNowNs() > deadline ? 1 : 0;
}

Stmt& Stmt::operator=(Stmt&& o) noexcept {
  if (this != &o) {
    sqlite3_finalize(stmt_);
    db_ = o.db_;
    stmt_ = o.stmt_;
    o.stmt_ = nullptr;
  }
  return *this;
}

Result<bool> Stmt::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Status s = SqliteError(rc, "step", db_);
  sqlite3_reset(stmt_);
  return s;
}

Status Stmt::Run() {
  int rc = sqlite3_step(stmt_);
  Status s;
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) s = SqliteError(rc, sqlite3_sql(stmt_), db_);
  Reset();
  return s;
}

std::string_view Stmt::Text(int c) const {
  const unsigned char* p = sqlite3_column_text(stmt_, c);
  int n = sqlite3_column_bytes(stmt_, c);
  if (p == nullptr) return {};
  return {reinterpret_cast<const char*>(p), static_cast<size_t>(n)};
}

std::string_view Stmt::Blob(int c) const {
  const void* p = sqlite3_column_blob(stmt_, c);
  int n = sqlite3_column_bytes(stmt_, c);
  if (p == nullptr) return {};
  return {static_cast<const char*>(p), static_cast<size_t>(n)};
}

Db::~Db() { Close(); }

Status Db::Open(const std::string& path, int flags) {
  Close();
  path_ = path;
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Status s = SqliteError(rc, fmt::format("open {}", path), db_);
    Close();
    return s;
  }
  sqlite3_extended_result_codes(db_, 1);
  return OkStatus();
}

void Db::Close() {
  cache_.clear();
  if (db_ != nullptr) {
    sqlite3_close_v2(db_);
    db_ = nullptr;
  }
}

Status Db::Exec(std::string_view sql) {
  std::string s(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string detail = err != nullptr ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    Status st = SqliteError(rc, "exec", nullptr);
    return Status(st.code(), fmt::format("sqlite: {}: {}", detail, s.substr(0, 80)));
  }
  return OkStatus();
}

Result<Stmt> Db::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                              &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return SqliteError(rc, fmt::format("prepare \"{}\"", sql.substr(0, 60)), db_);
  }
  return Stmt(db_, stmt);
}

Result<Stmt*> Db::Cached(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) {
    it->second->Reset();
    return it->second.get();
  }
  if (cache_.size() >= 128) cache_.clear();
  TRACERY_ASSIGN_OR_RETURN(Stmt stmt, Prepare(sql));
  auto owned = std::make_unique<Stmt>(std::move(stmt));
  Stmt* raw = owned.get();
  cache_.emplace(sql, std::move(owned));
  return raw;
}

Result<int64_t> Db::QueryInt(std::string_view sql) {
  TRACERY_ASSIGN_OR_RETURN(Stmt stmt, Prepare(sql));
  TRACERY_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return InternalError(fmt::format("query returned no row: {}", sql));
  return stmt.Int(0);
}

namespace {

bool IsLowerHex(std::string_view s) {
  if (s.size() % 2 != 0) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

void BindId(Stmt& stmt, int i, std::string_view id) {
  if (IsLowerHex(id)) {
    std::string bytes;
    HexDecode(id, &bytes);
    stmt.BindBlob(i, bytes);
  } else {
    stmt.BindText(i, id);
  }
}

std::string EncodeId(std::string_view id) {
  std::string out;
  out.reserve(1 + id.size());
  if (IsLowerHex(id)) {
    std::string bytes;
    HexDecode(id, &bytes);
    out.push_back('b');
    out.append(bytes.data(), bytes.size());
  } else {
    out.push_back('t');
    out.append(id.data(), id.size());
  }
  return out;
}

bool DecodeIdKey(std::string_view key, bool* is_blob, std::string* bytes) {
  if (key.empty() || (key[0] != 'b' && key[0] != 't')) return false;
  *is_blob = key[0] == 'b';
  bytes->assign(key.substr(1));
  return true;
}

void BindIdKey(Stmt& stmt, int i, std::string_view key) {
  if (!key.empty() && key[0] == 'b') {
    stmt.BindBlob(i, key.substr(1));
  } else {
    stmt.BindText(i, key.empty() ? key : key.substr(1));
  }
}

std::string ReadId(const Stmt& stmt, int c) {
  switch (stmt.ColumnType(c)) {
    case SQLITE_BLOB:
      return HexEncode(stmt.Blob(c));
    case SQLITE_NULL:
      return {};
    default:
      return stmt.Str(c);
  }
}

ReadTxn::ReadTxn(Db* db) : db_(db) { status_ = db_->Exec("BEGIN"); }

ReadTxn::~ReadTxn() {
  if (status_.ok()) (void)db_->Exec("COMMIT");
}

}  // namespace tracery::store::internal
