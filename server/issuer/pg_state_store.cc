#include "pg_state_store.h"

#include <sodium.h>

namespace yesno::issuer {
namespace {

using pg::Params;
using pg::Statement;

constexpr std::size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;
static_assert(kKekBytes == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);

// Advisory lock ids (pg_advisory_xact_lock takes a bigint): "yn-schema" and
// "yn-keys" as ASCII, so they do not collide with another application's.
constexpr int64_t kSchemaLockId = 0x796e2d736368656d;
constexpr int64_t kKeyLockId = 0x796e2d6b657973;

// Migration n brings the schema from version n-1 to n. Append only: never
// edit a released migration.
struct Migration {
  int version;
  std::vector<const char*> statements;
};
const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> kMigrations = {
      {1,
       {R"sql(CREATE TABLE issuer_meta (
              singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
              issuer_name text NOT NULL,
              signing_public_key bytea NOT NULL,
              kek_check bytea NOT NULL))sql",
        R"sql(CREATE TABLE quota (
              ticket_hash bytea NOT NULL,
              claim text NOT NULL,
              epoch bigint NOT NULL,
              used integer NOT NULL,
              last_grant integer NOT NULL,
              PRIMARY KEY (ticket_hash, claim, epoch)))sql",
        R"sql(CREATE TABLE denylist (
              ticket_hash bytea PRIMARY KEY,
              expires_at bigint NOT NULL))sql",
        R"sql(CREATE TABLE issued (
              key_id bytea PRIMARY KEY,
              count bigint NOT NULL))sql",
        R"sql(CREATE TABLE token_keys (
              claim text NOT NULL,
              epoch bigint NOT NULL,
              not_after bigint NOT NULL,
              key_id bytea NOT NULL UNIQUE,
              sealed bytea NOT NULL,
              PRIMARY KEY (claim, epoch)))sql"}},
      {2,
       {R"sql(CREATE TABLE enroll_limit (
              person_hash bytea PRIMARY KEY,
              count integer NOT NULL,
              window_end bigint NOT NULL))sql",
        R"sql(CREATE INDEX enroll_limit_window_end ON enroll_limit (window_end))sql"}},
  };
  return kMigrations;
}

constexpr Statement kSchemaVersion{"schema_version", "SELECT coalesce(max(version), 0) FROM yesno_schema"};
constexpr Statement kSchemaRecord{"schema_record", "INSERT INTO yesno_schema (version) VALUES ($1::integer)"};
constexpr Statement kAdvisoryLock{"advisory_lock", "SELECT pg_advisory_xact_lock($1::bigint)"};
constexpr Statement kMetaRead{"meta_read", "SELECT issuer_name, signing_public_key, kek_check FROM issuer_meta"};
constexpr Statement kMetaWrite{"meta_write",
                               "INSERT INTO issuer_meta (issuer_name, signing_public_key, kek_check) "
                               "VALUES ($1, $2, $3)"};
constexpr Statement kIsRevoked{"is_revoked", "SELECT 1 FROM denylist WHERE ticket_hash = $1"};
constexpr Statement kRevoke{"revoke",
                            "INSERT INTO denylist (ticket_hash, expires_at) VALUES ($1, $2::bigint) "
                            "ON CONFLICT (ticket_hash) DO UPDATE "
                            "SET expires_at = GREATEST(denylist.expires_at, excluded.expires_at)"};
// In DO UPDATE, q.used is the row before the update: last_grant is what
// this statement added. No row comes back when the quota is already spent.
constexpr Statement kReserve{
    "reserve",
    "INSERT INTO quota AS q (ticket_hash, claim, epoch, used, last_grant) "
    "VALUES ($1, $2, $3::bigint, LEAST($4::integer, $5::integer), LEAST($4::integer, $5::integer)) "
    "ON CONFLICT (ticket_hash, claim, epoch) DO UPDATE "
    "SET used = LEAST(q.used + $4::integer, $5::integer), last_grant = LEAST(q.used + $4::integer, $5::integer) - q.used "
    "WHERE q.used < $5::integer "
    "RETURNING q.last_grant"};
constexpr Statement kQuotaUsed{"quota_used",
                               "SELECT used FROM quota WHERE ticket_hash = $1 AND claim = $2 AND epoch = $3::bigint"};
constexpr Statement kAddIssued{"add_issued",
                               "INSERT INTO issued (key_id, count) VALUES ($1, $2::bigint) "
                               "ON CONFLICT (key_id) DO UPDATE SET count = issued.count + excluded.count"};
constexpr Statement kPing{"ping", "SELECT 1"};
constexpr Statement kIssued{"issued", "SELECT count FROM issued WHERE key_id = $1"};
constexpr Statement kPruneQuota{"prune_quota", "DELETE FROM quota WHERE epoch < $1::bigint"};
constexpr Statement kPruneDeny{"prune_deny", "DELETE FROM denylist WHERE expires_at < $1::bigint"};
// The OIDC enrollment limit, in one statement shared by the fleet: a new
// person starts a window with count 1, an elapsed window restarts, otherwise
// the count grows only while under the limit (no row back when reached).
constexpr Statement kCountEnrollment{
    "count_enrollment",
    "INSERT INTO enroll_limit AS e (person_hash, count, window_end) VALUES ($1, 1, $2::bigint + $3::bigint) "
    "ON CONFLICT (person_hash) DO UPDATE SET "
    "count = CASE WHEN e.window_end <= $2::bigint THEN 1 ELSE e.count + 1 END, "
    "window_end = CASE WHEN e.window_end <= $2::bigint THEN excluded.window_end ELSE e.window_end END "
    "WHERE e.window_end <= $2::bigint OR e.count < $4::integer "
    "RETURNING count"};
constexpr Statement kPruneEnrollments{"prune_enrollments", "DELETE FROM enroll_limit WHERE window_end <= $1::bigint"};
constexpr Statement kPruneIssued{"prune_issued",
                                 "DELETE FROM issued WHERE key_id NOT IN (SELECT key_id FROM token_keys)"};
constexpr Statement kKeysRead{"keys_read",
                              "SELECT claim, epoch, not_after, key_id, sealed FROM token_keys ORDER BY claim, epoch"};
constexpr Statement kKeyInsert{"key_insert",
                               "INSERT INTO token_keys (claim, epoch, not_after, key_id, sealed) "
                               "VALUES ($1, $2::bigint, $3::bigint, $4, $5)"};
constexpr Statement kKeysDelete{"keys_delete", "DELETE FROM token_keys WHERE not_after <= $1::bigint"};

Error Invalid(std::string message) { return MakeError(ErrorCode::kInvalidArgument, std::move(message)); }

// KeyAd binds a sealed key to its place: issuer, claim, epoch, key id.
Bytes KeyAd(const std::string& issuer, const StoredKey& key) {
  std::string ad = "yesno-token-key-v1";
  ad.push_back('\0');
  ad += issuer;
  ad.push_back('\0');
  ad += key.claim;
  ad.push_back('\0');
  ad += std::to_string(key.epoch);
  ad.push_back('\0');
  Bytes out = ToBytes(ad);
  out.insert(out.end(), key.key_id.begin(), key.key_id.end());
  return out;
}

Bytes KekCheckAd(const std::string& issuer) {
  std::string ad = "yesno-kek-check-v1";
  ad.push_back('\0');
  ad += issuer;
  return ToBytes(ad);
}

Bytes Seal(const SecretBytes& kek, ByteView plaintext, ByteView ad) {
  Bytes out(kNonceBytes + plaintext.size() + kTagBytes);
  randombytes_buf(out.data(), kNonceBytes);
  unsigned long long ct_len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out.data() + kNonceBytes, &ct_len, plaintext.data(), plaintext.size(),
                                             ad.data(), ad.size(), nullptr, out.data(), kek.data());
  out.resize(kNonceBytes + static_cast<std::size_t>(ct_len));
  return out;
}

Result<SecretBytes> Unseal(const SecretBytes& kek, ByteView sealed, ByteView ad) {
  if (sealed.size() < kNonceBytes + kTagBytes) return MakeError(ErrorCode::kMalformedInput, "sealed value too short");
  SecretBytes pt(sealed.size() - kNonceBytes - kTagBytes);
  unsigned long long pt_len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(pt.data(), &pt_len, nullptr, sealed.data() + kNonceBytes,
                                                 sealed.size() - kNonceBytes, ad.data(), ad.size(), sealed.data(),
                                                 kek.data()) != 0) {
    return MakeError(ErrorCode::kVerificationFailed, "does not open with this key-encryption key");
  }
  pt.resize(static_cast<std::size_t>(pt_len));
  return pt;
}

}  // namespace

template <typename T, typename Fn>
Result<T> PgStateStore::WithConnection(Fn&& fn) {
  for (int attempt = 0;; ++attempt) {
    auto lease = pool_->Acquire();
    if (!lease.ok()) return lease.error();
    Result<T> r = fn(**lease);
    if (r.ok() || !(*lease)->broken() || attempt == 1) return r;
  }
}

Result<std::unique_ptr<PgStateStore>> PgStateStore::Open(PgStoreOptions options) {
  if (options.kek.size() != kKekBytes) return Invalid("the key-encryption key must be 32 bytes");
  std::unique_ptr<PgStateStore> store(new PgStateStore(std::move(options)));
  if (Status s = store->Migrate(); !s.ok()) return s.error();
  if (Status s = store->CheckBinding(); !s.ok()) return s.error();
  return store;
}

Status PgStateStore::Migrate() {
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.error();
  pg::Connection& c = **lease;
  if (Status s = c.Exec("BEGIN"); !s.ok()) return s;
  if (auto r = c.Run(kAdvisoryLock, Params().Int(kSchemaLockId)); !r.ok()) return r.error();
  if (Status s = c.Exec("CREATE TABLE IF NOT EXISTS yesno_schema (version integer PRIMARY KEY, "
                        "applied_at timestamptz NOT NULL DEFAULT now())");
      !s.ok()) {
    return s;
  }
  auto version = c.Run(kSchemaVersion);
  if (!version.ok()) return version.error();
  const int64_t current = version->Int(0, 0);
  if (current > kPgSchemaVersion) {
    return Invalid("the database schema is version " + std::to_string(current) + ", newer than this yesno-issuer (" +
                   std::to_string(kPgSchemaVersion) +
                   "): another instance runs a newer release. Upgrade this yesno-issuer; do not downgrade the "
                   "database");
  }
  for (const auto& m : Migrations()) {
    if (m.version <= current) continue;
    for (const char* sql : m.statements) {
      if (Status s = c.Exec(sql); !s.ok()) return s;
    }
    if (auto r = c.Run(kSchemaRecord, Params().Int(m.version)); !r.ok()) return r.error();
  }
  return c.Exec("COMMIT");
}

Status PgStateStore::CheckBinding() {
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.error();
  pg::Connection& c = **lease;
  auto meta = c.Run(kMetaRead);
  if (!meta.ok()) return meta.error();
  const Bytes check_ad = KekCheckAd(options_.issuer_name);
  if (meta->size() == 0) {
    if (!options_.create) {
      return Invalid("the database holds no issuer: create it with `yesno-issuer init --store URL` (or point --store "
                     "at the database of this state directory)");
    }
    const Bytes check = Seal(options_.kek, {}, check_ad);
    auto w = c.Run(kMetaWrite, Params().Text(options_.issuer_name).Bytes(options_.public_key).Bytes(check));
    if (!w.ok()) return w.error();
    return Status::Ok();
  }
  if (options_.create) {
    return Invalid("the database already holds issuer '" + meta->Text(0, 0) +
                   "': to add an instance, copy the state directory of an existing one instead of running init again");
  }
  if (meta->Text(0, 0) != options_.issuer_name || meta->Bytes(0, 1) != options_.public_key) {
    return Invalid("the database belongs to another issuer ('" + meta->Text(0, 0) +
                   "' or another signing key): refusing to share it");
  }
  const Bytes check = meta->Bytes(0, 2);
  if (!Unseal(options_.kek, check, check_ad).ok()) {
    return Invalid("store.kek in the state directory is not the key-encryption key of this database: copy store.kek "
                   "from the state directory of an existing instance");
  }
  return Status::Ok();
}

Result<int> PgStateStore::SchemaVersion() {
  return WithConnection<int>([](pg::Connection& c) -> Result<int> {
    auto r = c.Run(kSchemaVersion);
    if (!r.ok()) return r.error();
    return static_cast<int>(r->Int(0, 0));
  });
}

Result<bool> PgStateStore::IsRevoked(ByteView ticket_hash) {
  return WithConnection<bool>([&](pg::Connection& c) -> Result<bool> {
    auto r = c.Run(kIsRevoked, Params().Bytes(ticket_hash));
    if (!r.ok()) return r.error();
    return r->size() > 0;
  });
}

Status PgStateStore::Revoke(ByteView ticket_hash, int64_t expires_at) {
  auto r = WithConnection<bool>([&](pg::Connection& c) -> Result<bool> {
    auto w = c.Run(kRevoke, Params().Bytes(ticket_hash).Int(expires_at));
    if (!w.ok()) return w.error();
    return true;
  });
  if (!r.ok()) return r.error();
  return Status::Ok();
}

Result<std::map<std::string, int>> PgStateStore::ReserveQuota(ByteView ticket_hash, int64_t epoch,
                                                              const std::map<std::string, int>& wanted, int limit) {
  using Granted = std::map<std::string, int>;
  return WithConnection<Granted>([&](pg::Connection& c) -> Result<Granted> {
    int claims = 0;
    for (const auto& entry : wanted) claims += entry.second > 0 ? 1 : 0;
    // One claim (the usual batch): one autocommitted statement. Several:
    // one transaction, so a failure grants nothing.
    const bool tx = claims > 1;
    if (tx) {
      if (Status s = c.Exec("BEGIN"); !s.ok()) return s.error();
    }
    Granted granted;
    for (const auto& [claim, want] : wanted) {
      granted[claim] = 0;
      if (want <= 0) continue;
      auto r = c.Run(kReserve, Params().Bytes(ticket_hash).Text(claim).Int(epoch).Int(want).Int(limit));
      if (!r.ok()) return r.error();
      if (r->size() == 1) granted[claim] = static_cast<int>(r->Int(0, 0));
    }
    if (tx) {
      if (Status s = c.Exec("COMMIT"); !s.ok()) return s.error();
    }
    return granted;
  });
}

Result<int64_t> PgStateStore::QuotaUsed(ByteView ticket_hash, const std::string& claim, int64_t epoch) {
  return WithConnection<int64_t>([&](pg::Connection& c) -> Result<int64_t> {
    auto r = c.Run(kQuotaUsed, Params().Bytes(ticket_hash).Text(claim).Int(epoch));
    if (!r.ok()) return r.error();
    return r->size() > 0 ? r->Int(0, 0) : int64_t{0};
  });
}

Status PgStateStore::AddIssued(const std::map<Bytes, int64_t>& by_key_id) {
  if (by_key_id.empty()) return Status::Ok();
  auto r = WithConnection<bool>([&](pg::Connection& c) -> Result<bool> {
    const bool tx = by_key_id.size() > 1;
    if (tx) {
      if (Status s = c.Exec("BEGIN"); !s.ok()) return s.error();
    }
    for (const auto& [key_id, n] : by_key_id) {
      auto w = c.Run(kAddIssued, Params().Bytes(key_id).Int(n));
      if (!w.ok()) return w.error();
    }
    if (tx) {
      if (Status s = c.Exec("COMMIT"); !s.ok()) return s.error();
    }
    return true;
  });
  if (!r.ok()) return r.error();
  return Status::Ok();
}

Status PgStateStore::Ping() {
  auto r = WithConnection<bool>([&](pg::Connection& c) -> Result<bool> {
    if (auto w = c.Run(kPing); !w.ok()) return w.error();
    return true;
  });
  if (!r.ok()) return r.error();
  return Status::Ok();
}

Result<int64_t> PgStateStore::Issued(ByteView key_id) {
  return WithConnection<int64_t>([&](pg::Connection& c) -> Result<int64_t> {
    auto r = c.Run(kIssued, Params().Bytes(key_id));
    if (!r.ok()) return r.error();
    return r->size() > 0 ? r->Int(0, 0) : int64_t{0};
  });
}

Status PgStateStore::Prune(int64_t current_epoch, int64_t now, const std::vector<Bytes>& /*keep_key_ids*/) {
  // The fleet's key table, not this instance's view, decides which issued
  // counts are kept: another instance may hold a key this one has not
  // loaded yet.
  auto r = WithConnection<bool>([&](pg::Connection& c) -> Result<bool> {
    if (auto w = c.Run(kPruneQuota, Params().Int(current_epoch)); !w.ok()) return w.error();
    if (auto w = c.Run(kPruneDeny, Params().Int(now)); !w.ok()) return w.error();
    if (auto w = c.Run(kPruneIssued); !w.ok()) return w.error();
    return true;
  });
  if (!r.ok()) return r.error();
  return Status::Ok();
}

Result<bool> PgStateStore::CountEnrollment(ByteView person_hash, int limit, int64_t window_seconds, int64_t now) {
  return WithConnection<bool>([&](pg::Connection& c) -> Result<bool> {
    auto rows = c.Run(kCountEnrollment, Params().Bytes(person_hash).Int(now).Int(window_seconds).Int(limit));
    if (!rows.ok()) return rows.error();
    return rows->size() == 1;
  });
}

Status PgStateStore::PruneEnrollments(int64_t now) {
  auto r = WithConnection<bool>([&](pg::Connection& c) -> Result<bool> {
    if (auto w = c.Run(kPruneEnrollments, Params().Int(now)); !w.ok()) return w.error();
    return true;
  });
  if (!r.ok()) return r.error();
  return Status::Ok();
}

Bytes PgStateStore::SealKey(const StoredKey& key) {
  return Seal(options_.kek, View(key.der), KeyAd(options_.issuer_name, key));
}

Result<std::vector<StoredKey>> PgStateStore::ReadKeys(pg::Connection& c) {
  auto rows = c.Run(kKeysRead);
  if (!rows.ok()) return rows.error();
  std::vector<StoredKey> out;
  for (int i = 0; i < rows->size(); ++i) {
    StoredKey k;
    k.claim = rows->Text(i, 0);
    k.epoch = rows->Int(i, 1);
    k.not_after = rows->Int(i, 2);
    k.key_id = rows->Bytes(i, 3);
    auto der = Unseal(options_.kek, rows->Bytes(i, 4), KeyAd(options_.issuer_name, k));
    if (!der.ok()) {
      return MakeError(ErrorCode::kMalformedInput, "stored key " + k.claim + "." + std::to_string(k.epoch) +
                                                       " does not open with store.kek (wrong KEK or a tampered row)");
    }
    k.der = std::move(*der);
    out.push_back(std::move(k));
  }
  return out;
}

Result<std::vector<StoredKey>> PgStateStore::LoadKeys() {
  return WithConnection<std::vector<StoredKey>>([&](pg::Connection& c) { return ReadKeys(c); });
}

Status PgStateStore::UnderKeyLock(const KeyMaker& make) {
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.error();
  pg::Connection& c = **lease;
  if (Status s = c.Exec("BEGIN"); !s.ok()) return s;
  // Another instance may hold the lock while it generates RSA keys (about a
  // second): wait longer than the per-statement default for this one.
  if (Status s = c.Exec("SET LOCAL statement_timeout = 60000"); !s.ok()) return s;
  if (Status s = c.Exec("SET LOCAL lock_timeout = 60000"); !s.ok()) return s;
  if (auto r = c.Run(kAdvisoryLock, Params().Int(kKeyLockId)); !r.ok()) return r.error();
  auto present = ReadKeys(c);
  if (!present.ok()) return present.error();
  auto made = make(*present);
  if (!made.ok()) return made.error();
  for (const auto& k : *made) {
    auto w = c.Run(kKeyInsert, Params().Text(k.claim).Int(k.epoch).Int(k.not_after).Bytes(k.key_id).Bytes(SealKey(k)));
    if (!w.ok()) return w.error();
  }
  return c.Exec("COMMIT");
}

Result<int> PgStateStore::DeleteExpiredKeys(int64_t now) {
  return WithConnection<int>([&](pg::Connection& c) -> Result<int> {
    auto r = c.Run(kKeysDelete, Params().Int(now));
    if (!r.ok()) return r.error();
    return static_cast<int>(r->Affected());
  });
}

}  // namespace yesno::issuer
