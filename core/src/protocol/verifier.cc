// verifier.cc — the one-call presentation check.
#include "yesno/verifier.h"

#include "yesno/auth_header.h"
#include "yesno/pop.h"
#include "yesno/token.h"
#include "yesno/vnonce.h"

namespace yesno {

std::string_view ReasonCode(Reason reason) {
  switch (reason) {
    case Reason::kNone: return "";
    case Reason::kMalformed: return "malformed";
    case Reason::kUnknownKey: return "unknown_key";
    case Reason::kExpired: return "expired";
    case Reason::kBadSignature: return "bad_signature";
    case Reason::kBadPop: return "bad_pop";
    case Reason::kStaleNonce: return "stale_nonce";
    case Reason::kReplayed: return "replayed";
    case Reason::kWrongClaim: return "wrong_claim";
    case Reason::kUnavailable: return "unavailable";
  }
  return "malformed";
}

void TrustedKeySet::Add(TrustedKey key) {
  Bytes id = key.key.KeyId();
  auto challenge = CrossOriginChallenge(key.issuer_name);
  Entry entry{std::move(key), challenge.ok() ? ChallengeDigest(*challenge) : Bytes{}};
  keys_.insert_or_assign(std::move(id), std::move(entry));
}

const TrustedKeySet::Entry* TrustedKeySet::FindEntry(ByteView key_id) const {
  auto it = keys_.find(Bytes(key_id.begin(), key_id.end()));
  return it == keys_.end() ? nullptr : &it->second;
}

const TrustedKey* TrustedKeySet::Find(ByteView key_id) const {
  const Entry* e = FindEntry(key_id);
  return e == nullptr ? nullptr : &e->key;
}

std::vector<const TrustedKey*> TrustedKeySet::ForClaim(std::string_view claim, int64_t now) const {
  std::vector<const TrustedKey*> out;
  for (const auto& [id, entry] : keys_) {
    if (entry.key.claim == claim && now >= entry.key.not_before && now < entry.key.not_after) out.push_back(&entry.key);
  }
  return out;
}

namespace {
VerifyOutcome No(Reason reason) {
  VerifyOutcome out;
  out.yes = false;
  out.reason = reason;
  return out;
}
}  // namespace

VerifyOutcome VerifyPresentation(const Presentation& p, const TrustedKeySet& keys, std::string_view claim,
                                 const VerifierContext& ctx, int64_t now, SpentSet& spent) {
  auto token = ParseToken(p.token);
  if (!token.ok() || p.vnonce.size() != kVnonceBytes || p.pop.size() != kEd25519SignatureBytes) {
    return No(Reason::kMalformed);
  }
  const TrustedKeySet::Entry* entry = keys.FindEntry(token->token_key_id);
  if (entry == nullptr || entry->challenge_digest.empty()) return No(Reason::kUnknownKey);
  const TrustedKey& key = entry->key;
  if (key.claim != claim) return No(Reason::kWrongClaim);
  if (now < key.not_before || now >= key.not_after) return No(Reason::kExpired);
  if (!CheckVnonce(ctx.vnonce_key, p.vnonce, claim, now).ok()) return No(Reason::kStaleNonce);

  // The token must be for the cross-origin challenge of the key's issuer: a
  // token for any other challenge fails here as a bad signature.
  if (token->challenge_digest != entry->challenge_digest) return No(Reason::kBadSignature);
  if (!VerifyToken(key.key, *token).ok()) return No(Reason::kBadSignature);
  bool pop_ok = VerifyPop(token->nonce, p.pop, ctx.origin, p.vnonce, p.token).ok();
  for (std::size_t i = 0; !pop_ok && i < ctx.more_origins.size(); ++i) {
    pop_ok = VerifyPop(token->nonce, p.pop, ctx.more_origins[i], p.vnonce, p.token).ok();
  }
  if (!pop_ok) return No(Reason::kBadPop);

  auto fresh = spent.CheckAndInsert(token->token_key_id, token->nonce, key.not_after);
  if (!fresh.ok()) return No(Reason::kUnavailable);
  if (!*fresh) return No(Reason::kReplayed);

  VerifyOutcome out;
  out.yes = true;
  out.reason = Reason::kNone;
  out.claim = std::string(claim);
  out.issuer_name = key.issuer_name;
  out.key_not_after = key.not_after;
  return out;
}

VerifyOutcome VerifyAuthorization(std::string_view authorization, const TrustedKeySet& keys, std::string_view claim,
                                  const VerifierContext& ctx, int64_t now, SpentSet& spent) {
  auto creds = ParseAuthorization(authorization);
  if (!creds.ok()) return No(Reason::kMalformed);
  Presentation p{std::move(creds->token), std::move(creds->yesno_vnonce), std::move(creds->yesno_pop)};
  return VerifyPresentation(p, keys, claim, ctx, now, spent);
}

}  // namespace yesno
