// issuer_files.h — the issuer's state directory: layout, `init`, and the
// long-term secrets.
//
//   DIR/                 0700
//     issuer.json        policy (IssuerConfig), written last by init
//     signing.key        Ed25519 seed (32 bytes) that signs the directory
//     ticket.key         XChaCha20-Poly1305 key (32 bytes) that seals tickets
//     admin.secret       operator bearer secret for POST /admin/enroll (text);
//                        delete it to turn HTTP enrollment off
//     keys/<claim>.<epoch>.der   RSA token keys (PKCS#8 DER)
//     state.db           SQLite: quota counters, deny-list, issued counts,
//                        OIDC enrollment-limit counters (keyed hashes)
//                        (embedded default)
//     store.kek          with a PostgreSQL store: the 32-byte key-encryption
//                        key that seals the token keys kept in the database
//                        (instead of keys/ and state.db)
//
// Every file is 0600. Nothing in DIR describes a person.
#ifndef YESNO_SERVER_ISSUER_ISSUER_FILES_H_
#define YESNO_SERVER_ISSUER_ISSUER_FILES_H_

#include <optional>
#include <string>

#include "issuer_config.h"
#include "key_store.h"
#include "state_store.h"
#include "yesno/bytes.h"
#include "yesno/result.h"
#include "yesno/rng.h"
#include "yesno/secret_bytes.h"

namespace yesno::issuer {

inline constexpr char kConfigFile[] = "issuer.json";
inline constexpr char kSigningKeyFile[] = "signing.key";
inline constexpr char kTicketKeyFile[] = "ticket.key";
inline constexpr char kAdminSecretFile[] = "admin.secret";
inline constexpr char kKeysDir[] = "keys";
inline constexpr char kStateDbFile[] = "state.db";
inline constexpr char kKekFile[] = "store.kek";

inline std::string StatePath(const std::string& dir, const char* file) { return dir + "/" + file; }

struct IssuerSecrets {
  SecretBytes signing_seed;     // Ed25519 seed, 32 bytes
  Bytes public_key;             // its public key, 32 bytes (the issuer's identity)
  SecretBytes ticket_key;       // 32 bytes
  SecretBytes ticket_hash_key;  // derived from ticket_key (libsodium KDF, context "yn-tkhsh")
  std::optional<SecretBytes> admin_secret;  // absent when admin.secret is absent
};

// StoreOptions chooses and tunes the state store.
struct StoreOptions {
  std::string override_spec;  // serve --store: replaces the config's store when set
  int pool_size = 4;          // PostgreSQL connections per process
  int statement_timeout_ms = 3000;
};

// IssuerStores is the opened state store and, for a fleet, the key vault
// (null: keys are files in DIR/keys).
struct IssuerStores {
  std::shared_ptr<StateStore> state;
  std::shared_ptr<KeyVault> vault;
  std::string kind;  // "sqlite" or "postgresql" (for logs; never the URL)
};

// OpenIssuerStores opens the store `config.store` (or `options.override_spec`)
// names: SQLite in DIR, or PostgreSQL with DIR/store.kek. With `create`
// (init) an empty PostgreSQL database is claimed for this issuer.
Result<IssuerStores> OpenIssuerStores(const std::string& dir, const IssuerConfig& config,
                                      const IssuerSecrets& secrets, const StoreOptions& options, bool create = false);

// InitState creates `dir` (0700) with fresh secrets, RSA keys for the current
// and next epoch of every offered claim, an empty state database, and the
// config. With a PostgreSQL `config.store` it also writes DIR/store.kek,
// creates the schema and keeps the keys (sealed) in the database. Refuses a directory that already holds an issuer. Returns the
// issuer's public signing key.
Result<Bytes> InitState(const std::string& dir, const IssuerConfig& config, int64_t now, Rng& rng,
                        const KeyGenerator& generate);

// CheckStateDir checks that `dir` is an initialised issuer directory that
// no other user can read.
Status CheckStateDir(const std::string& dir);
Result<IssuerConfig> LoadConfig(const std::string& dir);
Result<IssuerSecrets> LoadSecrets(const std::string& dir);

// TicketHash is the state database's key for a ticket: keyed BLAKE2b-256 of
// the ticket id under `ticket_hash_key`. It reveals nothing about the holder.
Bytes TicketHash(const SecretBytes& ticket_hash_key, ByteView ticket_id);

// AdminSecretMatches compares a presented bearer secret with the stored one
// in constant time (both are hashed first, so not even the length leaks).
bool AdminSecretMatches(const SecretBytes& stored, std::string_view presented);

// DefaultKeyGenerator makes RSA-2048 keys with OpenSSL.
KeyGenerator DefaultKeyGenerator(int bits);

}  // namespace yesno::issuer

#endif  // YESNO_SERVER_ISSUER_ISSUER_FILES_H_
