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

Result<KeyStore::MaintainReport> KeyStore::Maintain(int64_t now, const KeyGenerator& generate) {
  std::lock_guard<std::mutex> maintain_lock(maintain_mu_);
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

  // 2. Which (claim, epoch) keys must exist now: the current and next epoch,
  // and any later epoch already inside its publication window.
  const int64_t current = config_.EpochOf(now);
  const int64_t last = std::max(current + 1, config_.EpochOf(now + kPublishAheadSeconds));
  std::vector<std::shared_ptr<const EpochKey>> snapshot = All();
  for (const auto& claim : config_.OfferedClaims()) {
    for (int64_t epoch = current; epoch <= last; ++epoch) {
      const bool have = std::any_of(snapshot.begin(), snapshot.end(),
                                    [&](const auto& k) { return k->claim == claim && k->epoch == epoch; });
      if (have) continue;
      std::shared_ptr<const EpochKey> fresh;
      for (int attempt = 0; attempt < kMaxCollisionRetries && !fresh; ++attempt) {
        auto key = generate();
        if (!key.ok()) return key.error();
        if (key->public_key().modulus_bits() != 2048) {
          return MakeError(ErrorCode::kInternal, "key generator made a key that is not RSA-2048");
        }
        auto candidate = MakeEntry(claim, epoch, std::move(*key));
        const bool collides = std::any_of(snapshot.begin(), snapshot.end(), [&](const auto& k) {
          return KeyWindowsOverlap(*k, *candidate) && k->truncated_id() == candidate->truncated_id();
        });
        if (!collides) fresh = std::move(candidate);
      }
      if (!fresh) return MakeError(ErrorCode::kInternal, "could not find a key with a free last key-id byte");
      auto der = fresh->key.ToDer();
      if (!der.ok()) return der.error();
      if (Status s = files::WriteFileAtomic(PathFor(claim, epoch), View(*der), 0600); !s.ok()) return s.error();
      snapshot.push_back(fresh);
      {
        std::unique_lock<std::shared_mutex> lock(mu_);
        keys_.push_back(fresh);
      }
      ++report.generated;
    }
  }
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
