// pg.h — a thin RAII layer over libpq for the issuer fleet's shared store.
//
// One owner per PGconn (Connection) and per PGresult (Rows); statements are
// named, prepared once per connection and run with PQexecPrepared: no SQL
// is ever built from input. A small Pool hands out connections, opens new
// ones lazily (so a database restart costs only the requests that were in
// flight), drops broken ones, and bounds every statement with
// statement_timeout and every connect with connect_timeout.
//
// Errors are kUnavailable (cannot connect, connection lost, timeout) or
// kInternal (the database refused a statement); messages come from libpq
// and never contain parameter values.
#ifndef YESNO_SERVER_ISSUER_PG_H_
#define YESNO_SERVER_ISSUER_PG_H_

#include <libpq-fe.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "yesno/bytes.h"
#include "yesno/result.h"
#include "yesno/secret_bytes.h"

namespace yesno::pg {

struct ConnFree {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct ResultFree {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ConnPtr = std::unique_ptr<PGconn, ConnFree>;
using ResultPtr = std::unique_ptr<PGresult, ResultFree>;

// Statement is a named, constant SQL text with $n placeholders.
struct Statement {
  const char* name;
  const char* sql;
};

// Params holds one statement's parameters: integers and text in text
// format, bytes in binary format (bytea). Values are copied.
class Params {
 public:
  Params& Int(int64_t v);
  Params& Text(std::string_view v);
  Params& Bytes(ByteView v);
  int size() const { return static_cast<int>(values_.size()); }
  const char* const* values() const { return pointers_.data(); }
  const int* lengths() const { return lengths_.data(); }
  const int* formats() const { return formats_.data(); }

 private:
  Params& Push(std::string value, int format);
  std::deque<std::string> values_;  // stable addresses
  std::vector<const char*> pointers_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
};

// Rows is one statement's result (text format).
class Rows {
 public:
  explicit Rows(ResultPtr r) : r_(std::move(r)) {}
  int size() const { return PQntuples(r_.get()); }
  bool IsNull(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  int64_t Int(int row, int col) const;
  std::string Text(int row, int col) const;
  // Bytes decodes a bytea column (text format "\x<hex>"); empty on a bad value.
  yesno::Bytes Bytes(int row, int col) const;
  // Affected is PQcmdTuples as a number (rows changed by a write).
  int64_t Affected() const;

 private:
  ResultPtr r_;
};

// Connection is one PGconn with its set of prepared statements.
class Connection {
 public:
  explicit Connection(ConnPtr conn) : conn_(std::move(conn)) {}
  // Run prepares `st` on first use and executes it with `params`.
  Result<Rows> Run(const Statement& st, const Params& params = Params());
  // Exec runs a constant command without parameters (BEGIN, COMMIT, DDL).
  Status Exec(const char* sql);
  // broken tells whether the connection is lost and must be dropped.
  bool broken() const { return PQstatus(conn_.get()) != CONNECTION_OK; }
  // idle tells whether no transaction is open (or aborted).
  bool idle() const { return PQtransactionStatus(conn_.get()) == PQTRANS_IDLE; }

 private:
  Error Fail(const PGresult* r, std::string_view what) const;
  ConnPtr conn_;
  std::set<std::string> prepared_;
};

struct PoolOptions {
  std::string url;               // postgresql://user@host:port/db (no password: use PGPASSFILE)
  int size = 4;                  // connections at most
  int statement_timeout_ms = 3000;
  int connect_timeout_s = 3;
  std::chrono::milliseconds acquire_timeout{3000};
};

class Pool {
 public:
  explicit Pool(PoolOptions options) : options_(std::move(options)) {}
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Lease is a connection borrowed from the pool; it goes back on
  // destruction (or is dropped if it broke).
  class Lease {
   public:
    Lease(Pool* pool, std::unique_ptr<Connection> c) : pool_(pool), c_(std::move(c)) {}
    Lease(Lease&& o) noexcept : pool_(o.pool_), c_(std::move(o.c_)) {}
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (c_) pool_->Return(std::move(c_));
    }
    Connection* operator->() { return c_.get(); }
    Connection& operator*() { return *c_; }

   private:
    Pool* pool_;
    std::unique_ptr<Connection> c_;
  };

  // Acquire returns an idle connection, or opens a new one if fewer than
  // `size` are open; waits up to `acquire_timeout` otherwise.
  Result<Lease> Acquire();

 private:
  Result<std::unique_ptr<Connection>> Connect() const;
  void Return(std::unique_ptr<Connection> c);

  PoolOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> idle_;
  int open_ = 0;
};

}  // namespace yesno::pg

#endif  // YESNO_SERVER_ISSUER_PG_H_
