// state_store.h — the issuer's only mutable state: per-(ticket, claim,
// epoch) quota counters, the ticket deny-list, per-key issued counts and the
// OIDC enrollment-limit counters (a keyed hash of the provider's iss+sub, a
// count and a window end). StateStore is the interface; SqliteStateStore
// (SQLite, WAL, synchronous=FULL, one file in the state directory) is the
// embedded default, PgStateStore (pg_state_store.h) the shared store of a fleet.
//
// Tickets appear only as TicketHash(ticket id) — a keyed hash — never as the
// ticket, a birth date or attributes. Quota rows of past epochs and deny-list
// rows of expired tickets are pruned.
#ifndef YESNO_SERVER_ISSUER_STATE_STORE_H_
#define YESNO_SERVER_ISSUER_STATE_STORE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "sqlite.h"
#include "yesno/bytes.h"
#include "yesno/result.h"

namespace yesno::issuer {

class StateStore {
 public:
  virtual ~StateStore() = default;

  // Open opens or creates the SQLite database and its schema (the embedded
  // default; OpenIssuerStores in issuer_store.h picks the store by config).
  static Result<std::unique_ptr<StateStore>> Open(const std::string& path);

  // Every method fails with kUnavailable when the store cannot answer; the
  // service then refuses with 503 `unavailable` and signs nothing.
  virtual Result<bool> IsRevoked(ByteView ticket_hash) = 0;
  // Ping checks that the store answers now (GET /healthz). The embedded
  // SQLite store is a local file that is always there.
  virtual Status Ping() { return Status::Ok(); }
  // Revoke adds a ticket to the deny-list (idempotent). `expires_at` is the
  // ticket's own expiry, after which the row may be pruned.
  virtual Status Revoke(ByteView ticket_hash, int64_t expires_at) = 0;

  // ReserveQuota atomically (one transaction, committed before any signing)
  // grants up to `wanted[claim]` tokens per claim within `limit` for
  // (ticket, claim, epoch) and counts them as used. Returns the granted
  // count per claim. A crash after this point can only lose tokens, never
  // exceed the quota; several processes sharing one store never exceed it
  // together.
  virtual Result<std::map<std::string, int>> ReserveQuota(ByteView ticket_hash, int64_t epoch,
                                                           const std::map<std::string, int>& wanted, int limit) = 0;
  // QuotaUsed reads the used count (0 if none).
  virtual Result<int64_t> QuotaUsed(ByteView ticket_hash, const std::string& claim, int64_t epoch) = 0;

  // AddIssued adds signed-token counts per token key id.
  virtual Status AddIssued(const std::map<Bytes, int64_t>& by_key_id) = 0;
  // Issued returns the count for `key_id` (0 if none).
  virtual Result<int64_t> Issued(ByteView key_id) = 0;

  // CountEnrollment is the OIDC enrollment limit (docs/threat-model.md: the
  // only per-person record). `person_hash` is a keyed hash of the provider's
  // (iss, sub). In one atomic statement it counts one more ticket for the
  // person if fewer than `limit` were counted in the current window (which
  // starts at the person's first counted ticket and lasts `window_seconds`;
  // an elapsed window starts again at `now`). Returns false, counting
  // nothing, when the limit is reached.
  virtual Result<bool> CountEnrollment(ByteView person_hash, int limit, int64_t window_seconds, int64_t now) = 0;
  // PruneEnrollments deletes the counters whose window ended before `now`.
  virtual Status PruneEnrollments(int64_t now) = 0;

  // Prune removes quota rows of epochs before `current_epoch`, deny-list
  // rows of tickets expired before `now`, and issued counts of keys not in
  // `keep_key_ids` (a shared store keeps the counts of every key it holds).
  virtual Status Prune(int64_t current_epoch, int64_t now, const std::vector<Bytes>& keep_key_ids) = 0;
};

// SqliteStateStore keeps the state in one SQLite file (one process).
class SqliteStateStore final : public StateStore {
 public:
  static Result<std::unique_ptr<SqliteStateStore>> Open(const std::string& path);

  Result<bool> IsRevoked(ByteView ticket_hash) override;
  Status Revoke(ByteView ticket_hash, int64_t expires_at) override;
  Result<std::map<std::string, int>> ReserveQuota(ByteView ticket_hash, int64_t epoch,
                                                   const std::map<std::string, int>& wanted, int limit) override;
  Result<int64_t> QuotaUsed(ByteView ticket_hash, const std::string& claim, int64_t epoch) override;
  Status AddIssued(const std::map<Bytes, int64_t>& by_key_id) override;
  Result<int64_t> Issued(ByteView key_id) override;
  Status Prune(int64_t current_epoch, int64_t now, const std::vector<Bytes>& keep_key_ids) override;
  Result<bool> CountEnrollment(ByteView person_hash, int limit, int64_t window_seconds, int64_t now) override;
  Status PruneEnrollments(int64_t now) override;

 private:
  explicit SqliteStateStore(std::unique_ptr<sql::Db> db) : db_(std::move(db)) {}
  // One connection shared by the server threads: a transaction must not
  // interleave with another thread's statements, so every method locks.
  std::mutex mu_;
  std::unique_ptr<sql::Db> db_;
};

}  // namespace yesno::issuer

#endif  // YESNO_SERVER_ISSUER_STATE_STORE_H_
