// postgres_server.h — a throwaway PostgreSQL 15 for tests and benches.
//
// Debian's postgresql-15 refuses to run as root, so when the test runs as
// root, initdb, pg_ctl and the server run as the `postgres` system user
// (runuser) in a temp directory owned by it; otherwise as the current user.
// The server listens on 127.0.0.1 at a free port with trust authentication
// for the role `yesno`, and is stopped (and its directory removed) by the
// destructor. Stop/Start restart it on the same port and data.
#ifndef YESNO_TESTS_TESTING_POSTGRES_SERVER_H_
#define YESNO_TESTS_TESTING_POSTGRES_SERVER_H_

#include <string>

namespace yesno::testing {

inline constexpr char kPostgresBinDir[] = "/usr/lib/postgresql/15/bin";

class PostgresServer {
 public:
  // MissingReason is empty when PostgreSQL 15 can be started here, else
  // why not (for GTEST_SKIP).
  static std::string MissingReason();

  PostgresServer();  // initdb + start; check ready()
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  bool ready() const { return ready_; }
  const std::string& error() const { return error_; }
  int port() const { return port_; }
  // Url is the postgresql:// URL of database `db` for the role yesno.
  std::string Url(const std::string& db) const;

  // Stop shuts the server down (fast: open connections are cut); Start
  // brings it back on the same port. Both return false on failure.
  bool Stop();
  bool Start();
  // Sql runs `sql` with psql in `db` and returns its unaligned output
  // (tuples only), or "ERROR: ..." with the message when it fails.
  std::string Sql(const std::string& db, const std::string& sql) const;
  // CreateDatabase makes an empty database (name: [a-z0-9_]).
  bool CreateDatabase(const std::string& db) const;
  // Dump is pg_dump of `db` as plain SQL (data included).
  std::string Dump(const std::string& db) const;
  // ServerCpuSeconds is the user + system CPU time of the postmaster's
  // children now alive (backends, WAL writer, checkpointer...): benches take
  // the difference over a run while the client connections stay open.
  double ServerCpuSeconds() const;
  // Log is the server log so far (for failure messages).
  std::string Log() const;

 private:
  std::string dir_;  // owned by the server's user
  std::string data_;
  int port_ = 0;
  bool ready_ = false;
  bool as_postgres_ = false;
  std::string error_;
};

}  // namespace yesno::testing

#endif  // YESNO_TESTS_TESTING_POSTGRES_SERVER_H_
