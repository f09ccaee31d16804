#include "key_store.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <filesystem>

#include "files.h"

namespace yesno::issuer {
namespace {

constexpr int kMaxCollisionRetries = 64;
constexpr std::size_t kMaxKeyFileBytes = 16 * 1024;

}  // namespace

bool KeyWindowsOverlap(const EpochKey& a, const EpochKey& b) {
  return a.publish_at < b.not_after && b.publish_at < a.not_after;
}

std::string KeyStore::PathFor(const std::string& claim, int64_t epoch) const {
  return keys_dir_ + "/" + claim + "." + std::to_string(epoch) + ".der";
}

int KeyStore::ClaimRank(const std::string& claim) const {
  const auto offered = config_.OfferedClaims();
  const auto it = std::find(offered.begin(), offered.end(), claim);
  return static_cast<int>(it - offered.begin());
}

std::shared_ptr<const EpochKey> KeyStore::MakeEntry(const std::string& claim, int64_t epoch, RsaPrivateKey key) const {
  auto e = std::make_shared<EpochKey>(EpochKey{claim, epoch, config_.KeyPublishAt(epoch), config_.KeyNotBefore(epoch),
                                               config_.EpochStart(epoch + 1), config_.KeyNotAfter(epoch),
                                               std::move(key)});
  return e;
}

Result<std::unique_ptr<KeyStore>> KeyStore::Load(const std::string& dir, const IssuerConfig& config) {
  std::unique_ptr<KeyStore> store(new KeyStore(dir + "/keys", config));
  const auto offered = config.OfferedClaims();
  std::error_code ec;
  std::filesystem::directory_iterator it(store->keys_dir_, ec);
  if (ec) return MakeError(ErrorCode::kUnavailable, "cannot list " + store->keys_dir_ + ": " + ec.message());
  for (const auto& entry : it) {
    const std::string file = entry.path().filename().string();
    // <claim>.<epoch>.der; temporary files (".name.tmpXXXXXX") and others are skipped.
    if (file.empty() || file[0] == '.' || file.size() < 5 || file.substr(file.size() - 4) != ".der") continue;
    const std::string stem = file.substr(0, file.size() - 4);
    const auto dot = stem.rfind('.');
    if (dot == std::string::npos) continue;
    const std::string claim = stem.substr(0, dot);
    const std::string epoch_text = stem.substr(dot + 1);
    int64_t epoch = 0;
    auto [ptr, perr] = std::from_chars(epoch_text.data(), epoch_text.data() + epoch_text.size(), epoch);
    if (perr != std::errc() || ptr != epoch_text.data() + epoch_text.size()) continue;
    if (std::find(offered.begin(), offered.end(), claim) == offered.end()) continue;  // no longer offered
    auto der = files::ReadSecretFile(entry.path().string(), kMaxKeyFileBytes);
    if (!der.ok()) return der.error();
    auto key = RsaPrivateKey::FromDer(View(*der));
    if (!key.ok() || key->public_key().modulus_bits() != 2048) {
      return MakeError(ErrorCode::kMalformedInput, "key file " + entry.path().string() + " is not an RSA-2048 key");
    }
    store->keys_.push_back(store->MakeEntry(claim, epoch, std::move(*key)));
  }
  for (std::size_t i = 0; i < store->keys_.size(); ++i) {
    for (std::size_t j = i + 1; j < store->keys_.size(); ++j) {
      const auto& a = *store->keys_[i];
      const auto& b = *store->keys_[j];
      if (KeyWindowsOverlap(a, b) && a.truncated_id() == b.truncated_id()) {
        return MakeError(ErrorCode::kMalformedInput, "keys " + a.claim + "." + std::to_string(a.epoch) + " and " +
                                                         b.claim + "." + std::to_string(b.epoch) +
                                                         " share their last key-id byte; the key directory is corrupt");
      }
    }
  }
  return store;
}

std::vector<std::pair<std::string, int64_t>> KeyStore::MissingKeys(
    int64_t now, const std::vector<std::shared_ptr<const EpochKey>>& have) const {
  // The current and next epoch, and any later epoch already inside its
  // publication window.
  const int64_t current = config_.EpochOf(now);
  const int64_t last = std::max(current + 1, config_.EpochOf(now + kPublishAheadSeconds));
  std::vector<std::pair<std::string, int64_t>> out;
  for (const auto& claim : config_.OfferedClaims()) {
    for (int64_t epoch = current; epoch <= last; ++epoch) {
      const bool present =
          std::any_of(have.begin(), have.end(), [&](const auto& k) { return k->claim == claim && k->epoch == epoch; });
      if (!present) out.emplace_back(claim, epoch);
    }
  }
  return out;
}

Result<std::shared_ptr<const EpochKey>> KeyStore::FreshKey(const std::string& claim, int64_t epoch,
                                                           const std::vector<std::shared_ptr<const EpochKey>>& others,
                                                           const KeyGenerator& generate) const {
  for (int attempt = 0; attempt < kMaxCollisionRetries; ++attempt) {
    auto key = generate();
    if (!key.ok()) return key.error();
    if (key->public_key().modulus_bits() != 2048) {
      return MakeError(ErrorCode::kInternal, "key generator made a key that is not RSA-2048");
    }
    auto candidate = MakeEntry(claim, epoch, std::move(*key));
    const bool collides = std::any_of(others.begin(), others.end(), [&](const auto& k) {
      return KeyWindowsOverlap(*k, *candidate) && k->truncated_id() == candidate->truncated_id();
    });
    if (!collides) return candidate;
  }
  return MakeError(ErrorCode::kInternal, "could not find a key with a free last key-id byte");
}

Result<KeyStore::MaintainReport> KeyStore::Maintain(int64_t now, const KeyGenerator& generate) {
  std::lock_guard<std::mutex> maintain_lock(maintain_mu_);
  if (vault_) return MaintainVault(now, generate);
  MaintainReport report;

  // 1. Drop keys past not-after (tokens under them are no longer accepted).
  std::vector<std::shared_ptr<const EpochKey>> expired;
  {
    std::unique_lock<std::shared_mutex> lock(mu_);
    auto keep = std::stable_partition(keys_.begin(), keys_.end(), [now](const auto& k) { return now < k->not_after; });
    expired.assign(keep, keys_.end());
    keys_.erase(keep, keys_.end());
  }
  for (const auto& k : expired) {
    if (unlink(PathFor(k->claim, k->epoch).c_str()) == 0 || errno == ENOENT) ++report.removed;
  }

  // 2. Generate the keys that must exist now.
  std::vector<std::shared_ptr<const EpochKey>> snapshot = All();
  for (const auto& [claim, epoch] : MissingKeys(now, snapshot)) {
    auto fresh = FreshKey(claim, epoch, snapshot, generate);
    if (!fresh.ok()) return fresh.error();
    auto der = (*fresh)->key.ToDer();
    if (!der.ok()) return der.error();
    if (Status s = files::WriteFileAtomic(PathFor(claim, epoch), View(*der), 0600); !s.ok()) return s.error();
    snapshot.push_back(*fresh);
    {
      std::unique_lock<std::shared_mutex> lock(mu_);
      keys_.push_back(*fresh);
    }
    ++report.generated;
  }
  return report;
}

Result<std::unique_ptr<KeyStore>> KeyStore::LoadFromVault(std::shared_ptr<KeyVault> vault, const IssuerConfig& config,
                                                          int64_t now) {
  std::unique_ptr<KeyStore> store(new KeyStore("", config));
  store->vault_ = std::move(vault);
  if (Status s = store->ReloadFromVault(now); !s.ok()) return s.error();
  return store;
}

Status KeyStore::ReloadFromVault(int64_t now) {
  auto stored = vault_->LoadKeys();
  if (!stored.ok()) return stored.error();
  const auto offered = config_.OfferedClaims();
  const auto current = All();
  std::vector<std::shared_ptr<const EpochKey>> fresh;
  for (const auto& row : *stored) {
    if (row.not_after <= now) continue;
    if (std::find(offered.begin(), offered.end(), row.claim) == offered.end()) continue;  // no longer offered
    // Keep the parsed key we already hold when the vault has the same one.
    auto same = std::find_if(current.begin(), current.end(), [&](const auto& k) {
      return k->claim == row.claim && k->epoch == row.epoch && k->key.public_key().KeyId() == row.key_id;
    });
    if (same != current.end()) {
      fresh.push_back(*same);
      continue;
    }
    auto key = RsaPrivateKey::FromDer(View(row.der));
    if (!key.ok() || key->public_key().modulus_bits() != 2048 || key->public_key().KeyId() != row.key_id) {
      return MakeError(ErrorCode::kMalformedInput, "stored key " + row.claim + "." + std::to_string(row.epoch) +
                                                       " is not the RSA-2048 key its row names");
    }
    fresh.push_back(MakeEntry(row.claim, row.epoch, std::move(*key)));
  }
  for (std::size_t i = 0; i < fresh.size(); ++i) {
    for (std::size_t j = i + 1; j < fresh.size(); ++j) {
      if (KeyWindowsOverlap(*fresh[i], *fresh[j]) && fresh[i]->truncated_id() == fresh[j]->truncated_id()) {
        return MakeError(ErrorCode::kMalformedInput, "stored keys " + fresh[i]->claim + "." +
                                                         std::to_string(fresh[i]->epoch) + " and " + fresh[j]->claim +
                                                         "." + std::to_string(fresh[j]->epoch) +
                                                         " share their last key-id byte");
      }
    }
  }
  std::unique_lock<std::shared_mutex> lock(mu_);
  keys_ = std::move(fresh);
  return Status::Ok();
}

Result<KeyStore::MaintainReport> KeyStore::MaintainVault(int64_t now, const KeyGenerator& generate) {
  MaintainReport report;
  // 1. Pick up what other instances made.
  if (Status s = ReloadFromVault(now); !s.ok()) return s.error();
  // 2. Make what is missing, under the fleet-wide lock, after re-reading.
  if (!MissingKeys(now, All()).empty()) {
    Status s = vault_->UnderKeyLock([&](const std::vector<StoredKey>& present) -> Result<std::vector<StoredKey>> {
      std::vector<std::shared_ptr<const EpochKey>> have;
      for (const auto& row : present) {
        auto key = RsaPrivateKey::FromDer(View(row.der));
        if (!key.ok()) return MakeError(ErrorCode::kMalformedInput, "a stored key does not parse");
        have.push_back(MakeEntry(row.claim, row.epoch, std::move(*key)));
      }
      std::vector<StoredKey> made;
      for (const auto& [claim, epoch] : MissingKeys(now, have)) {
        auto fresh = FreshKey(claim, epoch, have, generate);
        if (!fresh.ok()) return fresh.error();
        auto der = (*fresh)->key.ToDer();
        if (!der.ok()) return der.error();
        made.push_back(StoredKey{claim, epoch, (*fresh)->not_after, (*fresh)->key.public_key().KeyId(),
                                 std::move(*der)});
        have.push_back(*fresh);
      }
      report.generated = static_cast<int>(made.size());
      return made;
    });
    if (!s.ok()) return s.error();
    if (Status r = ReloadFromVault(now); !r.ok()) return r.error();
  }
  // 3. Delete expired keys (any instance may; the others drop them on reload).
  auto removed = vault_->DeleteExpiredKeys(now);
  if (!removed.ok()) return removed.error();
  report.removed = *removed;
  return report;
}

std::vector<std::shared_ptr<const EpochKey>> KeyStore::All() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return keys_;
}

std::vector<std::shared_ptr<const EpochKey>> KeyStore::Listed(int64_t now) const {
  std::vector<std::shared_ptr<const EpochKey>> out;
  {
    std::shared_lock<std::shared_mutex> lock(mu_);
    for (const auto& k : keys_) {
      if (k->Listed(now)) out.push_back(k);
    }
  }
  std::sort(out.begin(), out.end(), [this](const auto& a, const auto& b) {
    const int ra = ClaimRank(a->claim), rb = ClaimRank(b->claim);
    return ra != rb ? ra < rb : a->epoch < b->epoch;
  });
  return out;
}

std::shared_ptr<const EpochKey> KeyStore::LiveKey(uint8_t truncated_id, int64_t now) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  for (const auto& k : keys_) {
    if (k->Live(now) && k->truncated_id() == truncated_id) return k;
  }
  return nullptr;
}

std::shared_ptr<const EpochKey> KeyStore::LiveKeyFor(const std::string& claim, int64_t now) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  for (const auto& k : keys_) {
    if (k->Live(now) && k->claim == claim) return k;
  }
  return nullptr;
}

}  // namespace yesno::issuer
