// sqlite.h — a thin RAII layer over SQLite for the servers' state (issuer
// quotas and deny-list, verifier spent set). WAL journal, busy timeout, and
// prepared statements only: no SQL is ever built from input.
#ifndef YESNO_SERVER_COMMON_SQLITE_H_
#define YESNO_SERVER_COMMON_SQLITE_H_

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "yesno/bytes.h"
#include "yesno/result.h"

namespace yesno::sql {

class Statement;

class Db {
 public:
  // Open opens (creating with mode 0600) a database in WAL mode with a busy
  // timeout, `synchronous=FULL`, and foreign keys on.
  static Result<std::unique_ptr<Db>> Open(const std::string& path, int busy_timeout_ms = 5000);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Exec runs SQL without parameters (schema, BEGIN/COMMIT).
  Status Exec(std::string_view sql);
  Result<Statement> Prepare(std::string_view sql);
  // Changes is sqlite3_changes() of the last statement.
  int Changes() const;
  sqlite3* handle() { return db_; }

 private:
  explicit Db(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

// Statement is one prepared statement; Bind* use 1-based indexes.
class Statement {
 public:
  Statement(Statement&& other) noexcept : stmt_(other.stmt_), db_(other.db_) { other.stmt_ = nullptr; }
  Statement& operator=(Statement&&) = delete;
  ~Statement();

  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, std::string_view text);
  Statement& Bind(int index, ByteView blob);
  // Step returns true while a row is available, false when done.
  Result<bool> Step();
  // Run steps to completion (for writes).
  Status Run();
  int64_t Int(int column) const;
  std::string Text(int column) const;
  Bytes Blob(int column) const;
  void Reset();

 private:
  friend class Db;
  Statement(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}
  sqlite3_stmt* stmt_;
  sqlite3* db_;
  Status bind_status_;
};

}  // namespace yesno::sql

#endif  // YESNO_SERVER_COMMON_SQLITE_H_
