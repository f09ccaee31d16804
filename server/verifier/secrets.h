// secrets.h — the verifier's two secrets: the vnonce key (challenge nonces,
// DESIGN §3) and the session-cookie MAC key.
//
// By default both are random per process. With --secret-file a fleet of
// verifiers shares them (a challenge issued by one replica is then accepted
// by another, and so is a session cookie): the file holds a 32-byte master
// secret, mode 0600, created with random content if missing, and the two
// keys are derived from it with libsodium's crypto_kdf (BLAKE2b):
//   vnonce key = KDF(master, id 1, "yesnovfy"), cookie key = KDF(master, id 2, "yesnovfy").
#ifndef YESNO_SERVER_VERIFIER_SECRETS_H_
#define YESNO_SERVER_VERIFIER_SECRETS_H_

#include <cstddef>
#include <string>

#include "yesno/result.h"
#include "yesno/rng.h"
#include "yesno/secret_bytes.h"

namespace yesno::verifier {

inline constexpr std::size_t kMasterSecretBytes = 32;
inline constexpr std::size_t kCookieKeyBytes = 32;

struct VerifierSecrets {
  SecretBytes vnonce_key;  // kVnonceKeyBytes
  SecretBytes cookie_key;  // kCookieKeyBytes
};

// DeriveSecrets derives both keys from a kMasterSecretBytes master secret.
Result<VerifierSecrets> DeriveSecrets(const SecretBytes& master);
// RandomSecrets draws a fresh master secret from `rng` and derives the keys.
Result<VerifierSecrets> RandomSecrets(Rng& rng);
// LoadOrCreateSecretFile reads the master secret from `path`, or, if the file
// does not exist, writes a new random one there (0600, atomically) first.
// Fails if the file is not exactly kMasterSecretBytes long or is readable by
// group or others.
Result<VerifierSecrets> LoadOrCreateSecretFile(const std::string& path, Rng& rng);

}  // namespace yesno::verifier

#endif  // YESNO_SERVER_VERIFIER_SECRETS_H_
