// yesno/verifier.h — the one-call presentation check (DESIGN §3, §5).
//
// VerifyPresentation answers yes, or no with exactly one reason code. It
// never touches the network: trusted keys are passed in, and the once-only
// spent set is an interface the caller implements (SQLite, Redis, memory).
#ifndef YESNO_VERIFIER_H_
#define YESNO_VERIFIER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "yesno/blind_rsa.h"
#include "yesno/bytes.h"
#include "yesno/result.h"
#include "yesno/secret_bytes.h"

namespace yesno {

// Reason is why a presentation got "no" (DESIGN §5). kNone means yes.
enum class Reason {
  kNone,
  kMalformed,
  kUnknownKey,
  kExpired,
  kBadSignature,
  kBadPop,
  kStaleNonce,
  kReplayed,
  kWrongClaim,
  kUnavailable,
};
// ReasonCode returns the wire code, e.g. "bad_pop" ("" for kNone).
std::string_view ReasonCode(Reason reason);

// TrustedKey is one issuer key a verifier accepts.
struct TrustedKey {
  RsaPublicKey key;
  std::string issuer_name;
  std::string claim;
  int64_t not_before = 0;
  int64_t not_after = 0;
};

// TrustedKeySet indexes trusted keys by token_key_id. Immutable once built;
// share it between threads behind a shared_ptr<const TrustedKeySet>.
class TrustedKeySet {
 public:
  // Add inserts a key; a second key with the same id replaces the first.
  void Add(TrustedKey key);
  // Find returns the key with `key_id`, or nullptr.
  const TrustedKey* Find(ByteView key_id) const;
  // ForClaim lists the keys for `claim` valid at `now`.
  std::vector<const TrustedKey*> ForClaim(std::string_view claim, int64_t now) const;
  std::size_t size() const { return keys_.size(); }

  struct Entry {
    TrustedKey key;
    Bytes challenge_digest;  // SHA-256 of the cross-origin TokenChallenge for key.issuer_name
  };
  const Entry* FindEntry(ByteView key_id) const;

 private:
  std::map<Bytes, Entry, std::less<>> keys_;
};

// SpentSet records spent tokens. CheckAndInsert must be atomic: it returns
// true if (key_id, nonce) was not yet spent and is now recorded (until
// `expires_at`, Unix seconds), false if it was spent before, or an error if
// the store cannot answer — which the verifier turns into "unavailable".
class SpentSet {
 public:
  virtual ~SpentSet() = default;
  virtual Result<bool> CheckAndInsert(ByteView key_id, ByteView nonce, int64_t expires_at) = 0;
};

// Presentation is what a wallet sends: the token, the verifier's vnonce and
// the proof of possession.
struct Presentation {
  Bytes token;
  Bytes vnonce;
  Bytes pop;
};

// VerifierContext is the verifier's own configuration.
struct VerifierContext {
  std::string origin;      // e.g. "https://shop.example": what PoPs must name
  SecretBytes vnonce_key;  // kVnonceKeyBytes
  // more_origins: other addresses of the same site (www and not, a second
  // host name); a PoP for any of them is accepted too.
  std::vector<std::string> more_origins = {};
};

struct VerifyOutcome {
  bool yes = false;
  Reason reason = Reason::kMalformed;
  std::string claim;        // the claim that holds (yes only)
  std::string issuer_name;  // who signed (yes only)
  int64_t key_not_after = 0;
};

// VerifyPresentation checks, in order: the token parses (malformed); its key
// is trusted (unknown_key); the key is for `claim` (wrong_claim) and inside
// its validity window (expired); the vnonce is fresh and for `claim`
// (stale_nonce); the RSA signature over the cross-origin challenge of the
// key's issuer (bad_signature); the PoP for `ctx.origin` or one of
// `ctx.more_origins` (bad_pop); and
// finally the once-only spent set (replayed, unavailable). Only when all hold
// is the token recorded as spent and the answer yes.
VerifyOutcome VerifyPresentation(const Presentation& presentation, const TrustedKeySet& keys, std::string_view claim,
                                 const VerifierContext& ctx, int64_t now, SpentSet& spent);

// VerifyAuthorization parses an "Authorization: PrivateToken ..." value and
// runs VerifyPresentation (malformed if it does not parse).
VerifyOutcome VerifyAuthorization(std::string_view authorization, const TrustedKeySet& keys, std::string_view claim,
                                  const VerifierContext& ctx, int64_t now, SpentSet& spent);

}  // namespace yesno

#endif  // YESNO_VERIFIER_H_
