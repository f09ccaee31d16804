// secrets.cc — vnonce and cookie keys, random or from a shared secret file.
#include "secrets.h"

#include <sodium.h>
#include <sys/stat.h>

#include "files.h"
#include "yesno/vnonce.h"

namespace yesno::verifier {
namespace {

constexpr char kKdfContext[crypto_kdf_CONTEXTBYTES + 1] = "yesnovfy";
constexpr uint64_t kVnonceKeyId = 1;
constexpr uint64_t kCookieKeyId = 2;
static_assert(kMasterSecretBytes == crypto_kdf_KEYBYTES);
static_assert(kVnonceKeyBytes >= crypto_kdf_BYTES_MIN && kVnonceKeyBytes <= crypto_kdf_BYTES_MAX);
static_assert(kCookieKeyBytes >= crypto_kdf_BYTES_MIN && kCookieKeyBytes <= crypto_kdf_BYTES_MAX);

}  // namespace

Result<VerifierSecrets> DeriveSecrets(const SecretBytes& master) {
  if (master.size() != kMasterSecretBytes) {
    return MakeError(ErrorCode::kInvalidArgument, "verifier master secret must be 32 bytes");
  }
  if (Status s = InitCrypto(); !s.ok()) return s.error();
  VerifierSecrets out;
  out.vnonce_key.resize(kVnonceKeyBytes);
  out.cookie_key.resize(kCookieKeyBytes);
  if (crypto_kdf_derive_from_key(out.vnonce_key.data(), out.vnonce_key.size(), kVnonceKeyId, kKdfContext,
                                 master.data()) != 0 ||
      crypto_kdf_derive_from_key(out.cookie_key.data(), out.cookie_key.size(), kCookieKeyId, kKdfContext,
                                 master.data()) != 0) {
    return MakeError(ErrorCode::kCryptoFailure, "crypto_kdf_derive_from_key failed");
  }
  return out;
}

Result<VerifierSecrets> RandomSecrets(Rng& rng) {
  SecretBytes master(kMasterSecretBytes);
  rng.Fill(master);
  return DeriveSecrets(master);
}

Result<VerifierSecrets> LoadOrCreateSecretFile(const std::string& path, Rng& rng) {
  if (!files::Exists(path)) {
    SecretBytes master(kMasterSecretBytes);
    rng.Fill(master);
    if (Status s = files::WriteFileAtomic(path, View(master), 0600); !s.ok()) return s.error();
  }
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return MakeError(ErrorCode::kUnavailable, "cannot stat --secret-file " + path);
  if ((st.st_mode & 077) != 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "--secret-file " + path + " is readable by other users; chmod 600 it first");
  }
  // Re-read even a file we just wrote: if two replicas raced to create it,
  // both end up with whichever write won.
  auto master = files::ReadSecretFile(path, kMasterSecretBytes + 1);
  if (!master.ok()) return master.error();
  if (master->size() != kMasterSecretBytes) {
    return MakeError(ErrorCode::kInvalidArgument, "--secret-file " + path + " must hold exactly 32 bytes");
  }
  return DeriveSecrets(*master);
}

}  // namespace yesno::verifier
