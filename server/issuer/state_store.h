// state_store.h — the issuer's only mutable state, in SQLite (WAL,
// synchronous=FULL): per-(ticket, claim, epoch) quota counters, the ticket
// deny-list, per-key issued counts and the OIDC enrollment-limit counters
// (a keyed hash of the provider's iss+sub, a count and a window end).
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
  // Open opens or creates the database and its schema.
  static Result<std::unique_ptr<StateStore>> Open(const std::string& path);

  Result<bool> IsRevoked(ByteView ticket_hash);
  // Revoke adds a ticket to the deny-list (idempotent). `expires_at` is the
  // ticket's own expiry, after which the row may be pruned.
  Status Revoke(ByteView ticket_hash, int64_t expires_at);

  // ReserveQuota atomically (one IMMEDIATE transaction, committed before any
  // signing) grants up to `wanted[claim]` tokens per claim within `limit`
  // for (ticket, claim, epoch) and counts them as used. Returns the granted
  // count per claim. A crash after this point can only lose tokens, never
  // exceed the quota.
  Result<std::map<std::string, int>> ReserveQuota(ByteView ticket_hash, int64_t epoch,
                                                   const std::map<std::string, int>& wanted, int limit);
  // QuotaUsed reads the used count (0 if none).
  Result<int64_t> QuotaUsed(ByteView ticket_hash, const std::string& claim, int64_t epoch);

  // AddIssued adds signed-token counts per token key id.
  Status AddIssued(const std::map<Bytes, int64_t>& by_key_id);
  // Issued returns the count for `key_id` (0 if none).
  Result<int64_t> Issued(ByteView key_id);

  // CountEnrollment is the OIDC enrollment limit (docs/threat-model.md: the
  // only per-person record). `person_hash` is a keyed hash of the provider's
  // (iss, sub). In one atomic statement it counts one more ticket for the
  // person if fewer than `limit` were counted in the current window (which
  // starts at the person's first counted ticket and lasts `window_seconds`;
  // an elapsed window starts again at `now`). Returns false, counting
  // nothing, when the limit is reached.
  Result<bool> CountEnrollment(ByteView person_hash, int limit, int64_t window_seconds, int64_t now);
  // PruneEnrollments deletes the counters whose window ended before `now`.
  Status PruneEnrollments(int64_t now);

  // Prune removes quota rows of epochs before `current_epoch`, deny-list
  // rows of tickets expired before `now`, and issued counts of keys not in
  // `keep_key_ids`.
  Status Prune(int64_t current_epoch, int64_t now, const std::vector<Bytes>& keep_key_ids);

 private:
  explicit StateStore(std::unique_ptr<sql::Db> db) : db_(std::move(db)) {}
  // One connection shared by the server threads: a transaction must not
  // interleave with another thread's statements, so every method locks.
  std::mutex mu_;
  std::unique_ptr<sql::Db> db_;
};

}  // namespace yesno::issuer

#endif  // YESNO_SERVER_ISSUER_STATE_STORE_H_
