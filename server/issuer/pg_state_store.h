// pg_state_store.h — the state a fleet of issuer instances shares, in
// PostgreSQL: quota counters, the deny-list, issued counts and the token
// keys (StateStore + KeyVault).
//
// Quotas: one INSERT ... ON CONFLICT ... DO UPDATE ... WHERE used < limit
// RETURNING statement per claim (a transaction when a batch spans several
// claims), committed before signing, so N instances together never exceed a
// ticket's quota. Keys: each private key is sealed with XChaCha20-Poly1305
// under the key-encryption key (KEK) of the state directory, with the
// issuer name, claim, epoch and key id as associated data; the database
// never sees a private key in clear. New keys are made under a
// transaction-scoped advisory lock (one maker for the fleet).
//
// Schema: numbered migrations recorded in yesno_schema; Open applies the
// missing ones under an advisory lock and refuses a database whose schema
// is newer than this program. The issuer_meta row binds the database to one
// issuer (name, Ed25519 public key, a KEK check value): an instance of
// another issuer, or with another KEK, is refused at start.
//
// Nothing about a person is stored: tickets appear only as TicketHash.
#ifndef YESNO_SERVER_ISSUER_PG_STATE_STORE_H_
#define YESNO_SERVER_ISSUER_PG_STATE_STORE_H_

#include <memory>
#include <string>

#include "key_store.h"
#include "pg.h"
#include "state_store.h"

namespace yesno::issuer {

// kPgSchemaVersion is the newest schema this program knows.
inline constexpr int kPgSchemaVersion = 2;  // 2: enroll_limit (OIDC enrollment-limit counters)
inline constexpr std::size_t kKekBytes = 32;

struct PgStoreOptions {
  pg::PoolOptions pool;
  std::string issuer_name;
  Bytes public_key;  // the issuer's Ed25519 public key
  SecretBytes kek;   // 32 bytes from DIR/store.kek
  bool create = false;  // init: claim an empty database for this issuer
};

class PgStateStore final : public StateStore, public KeyVault {
 public:
  // Open connects, migrates the schema and checks (or, with `create`,
  // writes) the issuer binding. kUnavailable when the database cannot be
  // reached; kInvalidArgument with an operator-facing message for a newer
  // schema, another issuer's database, or a KEK that does not match.
  static Result<std::unique_ptr<PgStateStore>> Open(PgStoreOptions options);

  Status Ping() override;
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

  Result<std::vector<StoredKey>> LoadKeys() override;
  Status UnderKeyLock(const KeyMaker& make) override;
  Result<int> DeleteExpiredKeys(int64_t now) override;

  // SchemaVersion reads the database's schema version (tests, diagnostics).
  Result<int> SchemaVersion();

 private:
  explicit PgStateStore(PgStoreOptions options)
      : options_(std::move(options)), pool_(std::make_unique<pg::Pool>(options_.pool)) {}
  Status Migrate();
  Status CheckBinding();
  Bytes SealKey(const StoredKey& key);
  Result<std::vector<StoredKey>> ReadKeys(pg::Connection& c);
  // WithConnection runs `fn` on a pooled connection; when the connection
  // turns out to be lost (a database restart), it retries once on a new
  // one. A retried write can only cost quota, never exceed it.
  template <typename T, typename Fn>
  Result<T> WithConnection(Fn&& fn);

  PgStoreOptions options_;
  std::unique_ptr<pg::Pool> pool_;
};

}  // namespace yesno::issuer

#endif  // YESNO_SERVER_ISSUER_PG_STATE_STORE_H_
