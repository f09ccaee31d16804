// yesno/vnonce.h — the verifier's stateless challenge nonce (DESIGN §3).
//
//   vnonce = issued_at (u64 BE seconds) || random[16] || tag[16]
//   tag    = BLAKE2b-128 keyed with the verifier secret over
//            "yesno-vnonce-v1" || issued_at || random || claim
//
// A vnonce is fresh for 120 s after issued_at (and up to 5 s before, for
// clock skew between verifier replicas). It is bound to one claim.
#ifndef YESNO_VNONCE_H_
#define YESNO_VNONCE_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "yesno/bytes.h"
#include "yesno/result.h"
#include "yesno/rng.h"
#include "yesno/secret_bytes.h"

namespace yesno {

inline constexpr std::size_t kVnonceBytes = 40;
inline constexpr std::size_t kVnonceKeyBytes = 32;
inline constexpr int64_t kVnonceLifetimeSeconds = 120;
inline constexpr int64_t kVnonceMaxSkewSeconds = 5;

// CreateVnonce makes a fresh vnonce for `claim` at time `now`. `key` must be
// kVnonceKeyBytes long.
Result<Bytes> CreateVnonce(const SecretBytes& key, std::string_view claim, int64_t now, Rng& rng);

// CheckVnonce verifies the tag (constant time) and the freshness window.
// Fails with kMalformedInput for a wrong length and kVerificationFailed for
// a forged, stale, future or other-claim vnonce.
Status CheckVnonce(const SecretBytes& key, ByteView vnonce, std::string_view claim, int64_t now);

}  // namespace yesno

#endif  // YESNO_VNONCE_H_
