#include "state_store.h"

#include <algorithm>

namespace yesno::issuer {
namespace {

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS quota (
  ticket_hash BLOB NOT NULL,
  claim TEXT NOT NULL,
  epoch INTEGER NOT NULL,
  used INTEGER NOT NULL,
  PRIMARY KEY (ticket_hash, claim, epoch)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS denylist (
  ticket_hash BLOB PRIMARY KEY,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS enroll_limit (
  person_hash BLOB PRIMARY KEY,
  count INTEGER NOT NULL,
  window_end INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS enroll_limit_window_end ON enroll_limit (window_end);
CREATE TABLE IF NOT EXISTS issued (
  key_id BLOB PRIMARY KEY,
  count INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

// Transaction runs BEGIN IMMEDIATE and rolls back unless committed.
class Transaction {
 public:
  explicit Transaction(sql::Db& db) : db_(db) { status_ = db_.Exec("BEGIN IMMEDIATE"); }
  ~Transaction() {
    if (status_.ok() && !done_) (void)db_.Exec("ROLLBACK");
  }
  const Status& status() const { return status_; }
  Status Commit() {
    done_ = true;
    Status s = db_.Exec("COMMIT");
    if (!s.ok()) (void)db_.Exec("ROLLBACK");
    return s;
  }

 private:
  sql::Db& db_;
  Status status_;
  bool done_ = false;
};

}  // namespace

Result<std::unique_ptr<StateStore>> StateStore::Open(const std::string& path) {
  auto store = SqliteStateStore::Open(path);
  if (!store.ok()) return store.error();
  return std::unique_ptr<StateStore>(std::move(*store));
}

Result<std::unique_ptr<SqliteStateStore>> SqliteStateStore::Open(const std::string& path) {
  auto db = sql::Db::Open(path);
  if (!db.ok()) return db.error();
  if (Status s = (*db)->Exec(kSchema); !s.ok()) return s.error();
  return std::unique_ptr<SqliteStateStore>(new SqliteStateStore(std::move(*db)));
}

Result<bool> SqliteStateStore::IsRevoked(ByteView ticket_hash) {
  std::lock_guard<std::mutex> lock(mu_);
  auto stmt = db_->Prepare("SELECT 1 FROM denylist WHERE ticket_hash = ?1");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, ticket_hash);
  return stmt->Step();
}

Status SqliteStateStore::Revoke(ByteView ticket_hash, int64_t expires_at) {
  std::lock_guard<std::mutex> lock(mu_);
  auto stmt = db_->Prepare(
      "INSERT INTO denylist (ticket_hash, expires_at) VALUES (?1, ?2) "
      "ON CONFLICT (ticket_hash) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, ticket_hash).Bind(2, expires_at);
  return stmt->Run();
}

Result<std::map<std::string, int>> SqliteStateStore::ReserveQuota(ByteView ticket_hash, int64_t epoch,
                                                            const std::map<std::string, int>& wanted, int limit) {
  std::lock_guard<std::mutex> lock(mu_);
  Transaction tx(*db_);
  if (!tx.status().ok()) return tx.status().error();
  std::map<std::string, int> granted;
  for (const auto& [claim, want] : wanted) {
    auto read = db_->Prepare("SELECT used FROM quota WHERE ticket_hash = ?1 AND claim = ?2 AND epoch = ?3");
    if (!read.ok()) return read.error();
    read->Bind(1, ticket_hash).Bind(2, claim).Bind(3, epoch);
    auto row = read->Step();
    if (!row.ok()) return row.error();
    const int64_t used = *row ? read->Int(0) : 0;
    const int64_t left = std::max<int64_t>(0, limit - used);
    const int grant = static_cast<int>(std::min<int64_t>(std::max(want, 0), left));
    granted[claim] = grant;
    if (grant == 0) continue;
    auto write = db_->Prepare(
        "INSERT INTO quota (ticket_hash, claim, epoch, used) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT (ticket_hash, claim, epoch) DO UPDATE SET used = used + excluded.used");
    if (!write.ok()) return write.error();
    write->Bind(1, ticket_hash).Bind(2, claim).Bind(3, epoch).Bind(4, static_cast<int64_t>(grant));
    if (Status s = write->Run(); !s.ok()) return s.error();
  }
  if (Status s = tx.Commit(); !s.ok()) return s.error();
  return granted;
}

Result<int64_t> SqliteStateStore::QuotaUsed(ByteView ticket_hash, const std::string& claim, int64_t epoch) {
  std::lock_guard<std::mutex> lock(mu_);
  auto read = db_->Prepare("SELECT used FROM quota WHERE ticket_hash = ?1 AND claim = ?2 AND epoch = ?3");
  if (!read.ok()) return read.error();
  read->Bind(1, ticket_hash).Bind(2, claim).Bind(3, epoch);
  auto row = read->Step();
  if (!row.ok()) return row.error();
  return *row ? read->Int(0) : int64_t{0};
}

Status SqliteStateStore::AddIssued(const std::map<Bytes, int64_t>& by_key_id) {
  if (by_key_id.empty()) return Status::Ok();
  std::lock_guard<std::mutex> lock(mu_);
  Transaction tx(*db_);
  if (!tx.status().ok()) return tx.status();
  for (const auto& [key_id, n] : by_key_id) {
    auto write = db_->Prepare(
        "INSERT INTO issued (key_id, count) VALUES (?1, ?2) "
        "ON CONFLICT (key_id) DO UPDATE SET count = count + excluded.count");
    if (!write.ok()) return write.error();
    write->Bind(1, key_id).Bind(2, n);
    if (Status s = write->Run(); !s.ok()) return s;
  }
  return tx.Commit();
}

Result<int64_t> SqliteStateStore::Issued(ByteView key_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto read = db_->Prepare("SELECT count FROM issued WHERE key_id = ?1");
  if (!read.ok()) return read.error();
  read->Bind(1, key_id);
  auto row = read->Step();
  if (!row.ok()) return row.error();
  return *row ? read->Int(0) : int64_t{0};
}

Result<bool> SqliteStateStore::CountEnrollment(ByteView person_hash, int limit, int64_t window_seconds, int64_t now) {
  std::lock_guard<std::mutex> lock(mu_);
  // One statement: a new person starts a window with count 1; an elapsed
  // window restarts; otherwise the count grows only while under the limit.
  // No row comes back when the limit is reached.
  auto stmt = db_->Prepare(
      "INSERT INTO enroll_limit (person_hash, count, window_end) VALUES (?1, 1, ?2 + ?3) "
      "ON CONFLICT (person_hash) DO UPDATE SET "
      "count = CASE WHEN window_end <= ?2 THEN 1 ELSE count + 1 END, "
      "window_end = CASE WHEN window_end <= ?2 THEN excluded.window_end ELSE window_end END "
      "WHERE window_end <= ?2 OR count < ?4 "
      "RETURNING count");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, person_hash).Bind(2, now).Bind(3, window_seconds).Bind(4, static_cast<int64_t>(limit));
  auto row = stmt->Step();
  if (!row.ok()) return row.error();
  const bool counted = *row;
  if (counted) {
    auto done = stmt->Step();  // finish the statement so its write commits now
    if (!done.ok()) return done.error();
  }
  return counted;
}

Status SqliteStateStore::PruneEnrollments(int64_t now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto del = db_->Prepare("DELETE FROM enroll_limit WHERE window_end <= ?1");
  if (!del.ok()) return del.error();
  del->Bind(1, now);
  return del->Run();
}

Status SqliteStateStore::Prune(int64_t current_epoch, int64_t now, const std::vector<Bytes>& keep_key_ids) {
  std::lock_guard<std::mutex> lock(mu_);
  Transaction tx(*db_);
  if (!tx.status().ok()) return tx.status();
  auto quota = db_->Prepare("DELETE FROM quota WHERE epoch < ?1");
  if (!quota.ok()) return quota.error();
  quota->Bind(1, current_epoch);
  if (Status s = quota->Run(); !s.ok()) return s;
  auto deny = db_->Prepare("DELETE FROM denylist WHERE expires_at < ?1");
  if (!deny.ok()) return deny.error();
  deny->Bind(1, now);
  if (Status s = deny->Run(); !s.ok()) return s;
  // Issued counts of keys that are gone: read the ids, delete the others.
  std::vector<Bytes> stale;
  {
    auto ids = db_->Prepare("SELECT key_id FROM issued");
    if (!ids.ok()) return ids.error();
    while (true) {
      auto row = ids->Step();
      if (!row.ok()) return row.error();
      if (!*row) break;
      Bytes id = ids->Blob(0);
      if (std::find(keep_key_ids.begin(), keep_key_ids.end(), id) == keep_key_ids.end()) stale.push_back(std::move(id));
    }
  }
  for (const auto& id : stale) {
    auto del = db_->Prepare("DELETE FROM issued WHERE key_id = ?1");
    if (!del.ok()) return del.error();
    del->Bind(1, id);
    if (Status s = del->Run(); !s.ok()) return s;
  }
  return tx.Commit();
}

}  // namespace yesno::issuer
