// Thin RAII wrappers over the SQLite C API: a connection, prepared statements and a statement
// cache. SQLite errors become Status values; nothing here throws. Not thread-safe: each
// connection is used by one thread at a time (the store enforces that).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace tracery::store::internal {

// Maps an SQLite result code to a Status: busy/locked/full/I/O -> kUnavailable,
// corrupt/not-a-database -> kDataLoss, everything else -> kInternal.
Status SqliteError(int rc, std::string_view context, sqlite3* db);

class Stmt {
 public:
  Stmt() = default;
  Stmt(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(Stmt&& o) noexcept : db_(o.db_), stmt_(o.stmt_) { o.stmt_ = nullptr; }
  Stmt& operator=(Stmt&& o) noexcept;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  sqlite3_stmt* get() const { return stmt_; }
  // Resets and clears bindings so the statement can be reused.
  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  // Bind indexes are 1-based, as in SQLite. Text and blobs are copied (SQLITE_TRANSIENT) unless
  // the *Static variant is used, whose data must outlive the next Step().
  void BindInt(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void BindDouble(int i, double v) { sqlite3_bind_double(stmt_, i, v); }
  void BindNull(int i) { sqlite3_bind_null(stmt_, i); }
  void BindText(int i, std::string_view v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void BindTextStatic(int i, std::string_view v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  }
  void BindBlob(int i, std::string_view v) {
    sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void BindBlobStatic(int i, std::string_view v) {
    sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  }
  // Binds NULL for an empty string.
  void BindTextOrNull(int i, std::string_view v) {
    if (v.empty()) {
      BindNull(i);
    } else {
      BindText(i, v);
    }
  }

  // true: a row is available; false: done.
  Result<bool> Step();
  // Steps a statement that returns no rows (or ignores them), then resets it.
  Status Run();

  int ColumnType(int c) const { return sqlite3_column_type(stmt_, c); }
  bool IsNull(int c) const { return ColumnType(c) == SQLITE_NULL; }
  int64_t Int(int c) const { return sqlite3_column_int64(stmt_, c); }
  double Double(int c) const { return sqlite3_column_double(stmt_, c); }
  std::string_view Text(int c) const;
  std::string_view Blob(int c) const;
  std::string Str(int c) const { return std::string(Text(c)); }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

class Db {
 public:
  Db() = default;
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // flags: SQLITE_OPEN_* (NOMUTEX is added: the store serializes use of each connection).
  Status Open(const std::string& path, int flags);
  void Close();
  sqlite3* get() const { return db_; }
  const std::string& path() const { return path_; }

  Status Exec(std::string_view sql);
  Result<Stmt> Prepare(std::string_view sql);
  // A statement cached by its SQL text, reset and ready to bind. Valid until the next
  // ClearCache() / Close(). The cache is bounded: when full it is cleared.
  Result<Stmt*> Cached(const std::string& sql);
  void ClearCache() { cache_.clear(); }
  Result<int64_t> QueryInt(std::string_view sql);
  int64_t Changes() const { return sqlite3_changes64(db_); }

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
  std::map<std::string, std::unique_ptr<Stmt>, std::less<>> cache_;
};

// Ids are lower-case hex by contract (run_id 32 chars, step_id 16). They are stored as raw bytes
// (BLOB), halving every index that holds them; any other text is stored as TEXT so it still
// round-trips exactly.
void BindId(Stmt& stmt, int i, std::string_view id);
// The encoded form BindId stores, as a (is_blob, bytes) pair folded into one string:
// first byte 'b' or 't', then the bytes. Used by cursors.
std::string EncodeId(std::string_view id);
// Inverse of EncodeId; false when malformed.
bool DecodeIdKey(std::string_view key, bool* is_blob, std::string* bytes);
void BindIdKey(Stmt& stmt, int i, std::string_view key);
// Steady-clock nanoseconds (for query deadlines).
int64_t SteadyNowNs();
// sqlite3_progress_handler callback: non-zero (interrupt) once *(int64_t*)deadline_ns, when
// non-zero, has passed.
int ReaderDeadlinePassed(void* deadline_ns);

// Reads an id column written by BindId.
std::string ReadId(const Stmt& stmt, int c);

// A read transaction on a reader connection: BEGIN on construction, COMMIT on destruction, so
// multi-query reads see one snapshot.
class ReadTxn {
 public:
  explicit ReadTxn(Db* db);
  ~ReadTxn();
  ReadTxn(const ReadTxn&) = delete;
  ReadTxn& operator=(const ReadTxn&) = delete;
  const Status& status() const { return status_; }

 private:
  Db* db_;
  Status status_;
};

}  // namespace tracery::store::internal
