#include "pg.h"

#include <charconv>

namespace yesno::pg {

Params& Params::Push(std::string value, int format) {
  values_.push_back(std::move(value));
  pointers_.clear();
  lengths_.clear();
  for (const auto& v : values_) {
    pointers_.push_back(v.data());
    lengths_.push_back(static_cast<int>(v.size()));
  }
  formats_.push_back(format);
  return *this;
}

Params& Params::Int(int64_t v) { return Push(std::to_string(v), 0); }
Params& Params::Text(std::string_view v) { return Push(std::string(v), 0); }
Params& Params::Bytes(ByteView v) { return Push(std::string(v.begin(), v.end()), 1); }

int64_t Rows::Int(int row, int col) const {
  const char* v = PQgetvalue(r_.get(), row, col);
  const std::size_t n = static_cast<std::size_t>(PQgetlength(r_.get(), row, col));
  int64_t out = 0;
  std::from_chars(v, v + n, out);
  return out;
}

std::string Rows::Text(int row, int col) const {
  return std::string(PQgetvalue(r_.get(), row, col), static_cast<std::size_t>(PQgetlength(r_.get(), row, col)));
}

yesno::Bytes Rows::Bytes(int row, int col) const {
  const std::string t = Text(row, col);
  if (t.size() < 2 || t[0] != '\\' || t[1] != 'x') return {};
  auto b = HexDecode(std::string_view(t).substr(2));
  return b.ok() ? std::move(*b) : yesno::Bytes();
}

int64_t Rows::Affected() const {
  const char* v = PQcmdTuples(r_.get());
  int64_t out = 0;
  std::from_chars(v, v + std::char_traits<char>::length(v), out);
  return out;
}

Error Connection::Fail(const PGresult* r, std::string_view what) const {
  std::string message = "postgresql: " + std::string(what) + ": ";
  const char* detail = r != nullptr ? PQresultErrorMessage(r) : PQerrorMessage(conn_.get());
  message += detail != nullptr ? detail : "unknown error";
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  // Lost connections, timeouts (57014 query_canceled) and server shutdown
  // (57P01..57P03) are outages; anything else is a refusal by the database.
  const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  const std::string_view sqlstate = state != nullptr ? state : "";
  const bool outage = broken() || sqlstate.empty() || sqlstate.substr(0, 2) == "08" || sqlstate.substr(0, 2) == "57" ||
                      sqlstate.substr(0, 2) == "53";
  return MakeError(outage ? ErrorCode::kUnavailable : ErrorCode::kInternal, std::move(message));
}

Result<Rows> Connection::Run(const Statement& st, const Params& params) {
  if (prepared_.count(st.name) == 0) {
    ResultPtr prep(PQprepare(conn_.get(), st.name, st.sql, 0, nullptr));
    if (!prep || PQresultStatus(prep.get()) != PGRES_COMMAND_OK) return Fail(prep.get(), st.name);
    prepared_.insert(st.name);
  }
  ResultPtr r(PQexecPrepared(conn_.get(), st.name, params.size(), params.values(), params.lengths(),
                             params.formats(), /*resultFormat=*/0));
  if (!r) return Fail(nullptr, st.name);
  const ExecStatusType status = PQresultStatus(r.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return Fail(r.get(), st.name);
  return Rows(std::move(r));
}

Status Connection::Exec(const char* sql) {
  ResultPtr r(PQexecParams(conn_.get(), sql, 0, nullptr, nullptr, nullptr, nullptr, 0));
  if (!r) return Fail(nullptr, "command");
  const ExecStatusType status = PQresultStatus(r.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return Fail(r.get(), "command");
  return Status::Ok();
}

Pool::~Pool() {
  std::lock_guard<std::mutex> lock(mu_);
  idle_.clear();
}

Result<std::unique_ptr<Connection>> Pool::Connect() const {
  const std::string options = "-c statement_timeout=" + std::to_string(options_.statement_timeout_ms) +
                              " -c lock_timeout=" + std::to_string(options_.statement_timeout_ms) +
                              " -c idle_in_transaction_session_timeout=60000";
  const std::string connect_timeout = std::to_string(options_.connect_timeout_s);
  // The URL comes first and is expanded; the keywords after it override.
  const char* keys[] = {"dbname",   "connect_timeout", "options", "application_name", "keepalives_idle",
                        "keepalives_interval", "keepalives_count", "client_encoding", nullptr};
  const char* values[] = {options_.url.c_str(), connect_timeout.c_str(), options.c_str(), "yesno-issuer", "10", "5",
                          "3", "UTF8", nullptr};
  ConnPtr conn(PQconnectdbParams(keys, values, /*expand_dbname=*/1));
  if (!conn) return MakeError(ErrorCode::kUnavailable, "postgresql: out of memory");
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    std::string message = PQerrorMessage(conn.get());
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    return MakeError(ErrorCode::kUnavailable, "postgresql: cannot connect: " + message);
  }
  // Notices ("relation already exists, skipping") would go to stderr.
  PQsetNoticeProcessor(conn.get(), [](void*, const char*) {}, nullptr);
  return std::make_unique<Connection>(std::move(conn));
}

Result<Pool::Lease> Pool::Acquire() {
  std::unique_lock<std::mutex> lock(mu_);
  const bool got = cv_.wait_for(lock, options_.acquire_timeout,
                                [this] { return !idle_.empty() || open_ < options_.size; });
  if (!got) return MakeError(ErrorCode::kUnavailable, "postgresql: every pooled connection is busy");
  if (!idle_.empty()) {
    auto c = std::move(idle_.back());
    idle_.pop_back();
    return Lease(this, std::move(c));
  }
  ++open_;
  lock.unlock();
  auto c = Connect();
  if (!c.ok()) {
    lock.lock();
    --open_;
    cv_.notify_one();
    return c.error();
  }
  return Lease(this, std::move(*c));
}

void Pool::Return(std::unique_ptr<Connection> c) {
  // A connection left inside a transaction (a failed statement) is rolled
  // back; one that is lost or cannot roll back is dropped.
  if (!c->broken() && !c->idle()) (void)c->Exec("ROLLBACK");
  std::lock_guard<std::mutex> lock(mu_);
  if (c->broken() || !c->idle()) {
    --open_;
  } else {
    idle_.push_back(std::move(c));
  }
  cv_.notify_one();
}

}  // namespace yesno::pg
