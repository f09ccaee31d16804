// key_store.h — the issuer's RSA token keys, one per (claim, epoch).
//
// Files: DIR/keys/<claim>.<epoch>.der, PKCS#8 DER, mode 0600, written with
// WriteFileAtomic. Maintain() keeps keys for the current epoch and for every
// epoch whose publication has begun (at least the next one), regenerates a
// fresh key whose last key-id byte collides with any key listed at the same
// time, and deletes keys past their not-after. Lookups compute everything
// from `now`, so a key is never listed or used outside its window even if
// Maintain has not run yet.
//
// A fleet keeps its keys in a KeyVault instead (the PostgreSQL store, keys
// encrypted under the state directory's key-encryption key): Maintain then
// reloads every key from the vault, and generates missing ones only under
// the vault's fleet-wide lock, after re-reading what is there, so exactly
// one instance makes each key and every instance serves the same keys.
#ifndef YESNO_SERVER_ISSUER_KEY_STORE_H_
#define YESNO_SERVER_ISSUER_KEY_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "issuer_config.h"
#include "yesno/blind_rsa.h"
#include "yesno/result.h"
#include "yesno/secret_bytes.h"

namespace yesno::issuer {

// EpochKey is one token key and its validity window.
struct EpochKey {
  std::string claim;
  int64_t epoch = 0;
  int64_t publish_at = 0;  // listed from here ...
  int64_t not_before = 0;  // ... live for signing in [not_before, epoch end) ...
  int64_t epoch_end = 0;
  int64_t not_after = 0;   // ... listed (tokens accepted) until here
  RsaPrivateKey key;

  uint8_t truncated_id() const { return key.public_key().KeyId().back(); }
  bool Listed(int64_t now) const { return publish_at <= now && now < not_after; }
  bool Live(int64_t now) const { return not_before <= now && now < epoch_end; }
};

// KeyGenerator makes a fresh RSA key (injectable so tests can force a
// last-byte collision).
using KeyGenerator = std::function<Result<RsaPrivateKey>()>;

// StoredKey is one token key as a KeyVault holds it (decrypted).
struct StoredKey {
  std::string claim;
  int64_t epoch = 0;
  int64_t not_after = 0;
  Bytes key_id;    // token_key_id (public)
  SecretBytes der;  // PKCS#8 DER of the private key
};

// KeyVault is shared storage for the token keys of a fleet of instances.
class KeyVault {
 public:
  virtual ~KeyVault() = default;
  // LoadKeys returns every stored key, decrypted; it fails if one does not
  // decrypt (wrong key-encryption key or a tampered row).
  virtual Result<std::vector<StoredKey>> LoadKeys() = 0;
  // UnderKeyLock holds the fleet-wide key lock, reads the stored keys, and
  // stores the keys `make` returns for them before releasing the lock.
  using KeyMaker = std::function<Result<std::vector<StoredKey>>(const std::vector<StoredKey>& present)>;
  virtual Status UnderKeyLock(const KeyMaker& make) = 0;
  // DeleteExpiredKeys removes keys whose not-after is at or before `now`
  // and returns how many.
  virtual Result<int> DeleteExpiredKeys(int64_t now) = 0;
};

class KeyStore {
 public:
  // Load reads every key file of the configured claims in `dir`/keys. It
  // fails if a file is unreadable or not a 2048-bit key, or if two keys that
  // are listed at the same time share a last key-id byte.
  static Result<std::unique_ptr<KeyStore>> Load(const std::string& dir, const IssuerConfig& config);
  // LoadFromVault reads every key of the configured claims from `vault`.
  static Result<std::unique_ptr<KeyStore>> LoadFromVault(std::shared_ptr<KeyVault> vault, const IssuerConfig& config,
                                                         int64_t now);

  struct MaintainReport {
    int generated = 0;
    int removed = 0;
  };
  // Maintain generates the missing keys for `now` (current epoch, next
  // epoch, and any epoch already in its publication window) and removes
  // expired ones. Safe to call from any thread; calls are serialized and
  // key generation runs outside the lookup lock.
  Result<MaintainReport> Maintain(int64_t now, const KeyGenerator& generate);

  // Listed returns the keys a directory lists at `now`, ordered by claim (in
  // config order) and epoch.
  std::vector<std::shared_ptr<const EpochKey>> Listed(int64_t now) const;
  // LiveKey returns the key live for signing at `now` whose last key-id byte
  // is `truncated_id`, or nullptr.
  std::shared_ptr<const EpochKey> LiveKey(uint8_t truncated_id, int64_t now) const;
  // LiveKeyFor returns `claim`'s live key at `now`, or nullptr.
  std::shared_ptr<const EpochKey> LiveKeyFor(const std::string& claim, int64_t now) const;
  // All returns every key held (tests, diagnostics).
  std::vector<std::shared_ptr<const EpochKey>> All() const;

 private:
  KeyStore(std::string keys_dir, IssuerConfig config) : keys_dir_(std::move(keys_dir)), config_(std::move(config)) {}
  Result<MaintainReport> MaintainVault(int64_t now, const KeyGenerator& generate);
  // ReloadFromVault replaces the keys held by those in the vault (not
  // expired at `now`, of offered claims).
  Status ReloadFromVault(int64_t now);
  // MissingKeys lists the (claim, epoch) pairs that must exist at `now`
  // and are not in `have`.
  std::vector<std::pair<std::string, int64_t>> MissingKeys(
      int64_t now, const std::vector<std::shared_ptr<const EpochKey>>& have) const;
  // FreshKey generates a key for (claim, epoch) whose last key-id byte
  // collides with none of `others` listed at the same time.
  Result<std::shared_ptr<const EpochKey>> FreshKey(const std::string& claim, int64_t epoch,
                                                   const std::vector<std::shared_ptr<const EpochKey>>& others,
                                                   const KeyGenerator& generate) const;
  std::shared_ptr<const EpochKey> MakeEntry(const std::string& claim, int64_t epoch, RsaPrivateKey key) const;
  std::string PathFor(const std::string& claim, int64_t epoch) const;
  int ClaimRank(const std::string& claim) const;

  std::string keys_dir_;
  IssuerConfig config_;
  std::shared_ptr<KeyVault> vault_;  // null: files in keys_dir_
  std::mutex maintain_mu_;
  mutable std::shared_mutex mu_;
  std::vector<std::shared_ptr<const EpochKey>> keys_;
};

// KeyWindowsOverlap tells whether two keys can be listed at the same time.
bool KeyWindowsOverlap(const EpochKey& a, const EpochKey& b);

}  // namespace yesno::issuer

#endif  // YESNO_SERVER_ISSUER_KEY_STORE_H_
