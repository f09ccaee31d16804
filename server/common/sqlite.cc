#include "sqlite.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace yesno::sql {
namespace {

Error SqlError(sqlite3* db, const std::string& what) {
  const int code = sqlite3_errcode(db);
  const ErrorCode ec = (code == SQLITE_BUSY || code == SQLITE_LOCKED || code == SQLITE_IOERR || code == SQLITE_FULL ||
                        code == SQLITE_CANTOPEN)
                           ? ErrorCode::kUnavailable
                           : ErrorCode::kInternal;
  return MakeError(ec, what + ": " + sqlite3_errmsg(db));
}

}  // namespace

Result<std::unique_ptr<Db>> Db::Open(const std::string& path, int busy_timeout_ms) {
  // Create the file 0600 ourselves so SQLite never makes it world-readable.
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return MakeError(ErrorCode::kUnavailable, "cannot open " + path);
  close(fd);
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                                 nullptr);
  std::unique_ptr<Db> db(new Db(raw));
  if (rc != SQLITE_OK) return SqlError(raw, "cannot open " + path);
  sqlite3_busy_timeout(raw, busy_timeout_ms);
  for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON"}) {
    if (Status s = db->Exec(pragma); !s.ok()) return s.error();
  }
  return db;
}

Db::~Db() { sqlite3_close_v2(db_); }

Status Db::Exec(std::string_view sql) {
  char* err = nullptr;
  const std::string text(sql);
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    Error e = SqlError(db_, "sql");
    sqlite3_free(err);
    return e;
  }
  return Status::Ok();
}

Result<Statement> Db::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) != SQLITE_OK) {
    return SqlError(db_, "prepare");
  }
  return Statement(stmt, db_);
}

int Db::Changes() const { return sqlite3_changes(db_); }

Statement::~Statement() {
  if (stmt_ != nullptr) sqlite3_finalize(stmt_);
}

Statement& Statement::Bind(int index, int64_t value) {
  if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK) bind_status_ = SqlError(db_, "bind");
  return *this;
}

Statement& Statement::Bind(int index, std::string_view text) {
  if (sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT) != SQLITE_OK) {
    bind_status_ = SqlError(db_, "bind");
  }
  return *this;
}

Statement& Statement::Bind(int index, ByteView blob) {
  if (sqlite3_bind_blob(stmt_, index, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT) != SQLITE_OK) {
    bind_status_ = SqlError(db_, "bind");
  }
  return *this;
}

Result<bool> Statement::Step() {
  if (!bind_status_.ok()) return bind_status_.error();
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqlError(db_, "step");
}

Status Statement::Run() {
  while (true) {
    auto r = Step();
    if (!r.ok()) return r.error();
    if (!*r) return Status::Ok();
  }
}

int64_t Statement::Int(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string Statement::Text(int column) const {
  const auto* p = sqlite3_column_text(stmt_, column);
  return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p),
                                                    static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
}

Bytes Statement::Blob(int column) const {
  const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(stmt_, column));
  return p == nullptr ? Bytes() : Bytes(p, p + sqlite3_column_bytes(stmt_, column));
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_status_ = Status::Ok();
}

}  // namespace yesno::sql
