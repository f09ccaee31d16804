// verifier_test.cc — the one-call presentation check and every reason code.
#include "yesno/verifier.h"

#include <set>
#include <string>
#include <utility>

#include "testing/test_util.h"
#include "yesno/auth_header.h"
#include "yesno/pop.h"
#include "yesno/token.h"
#include "yesno/vnonce.h"

namespace yesno {
namespace {

using testing::FlipBit;

constexpr char kIssuer[] = "issuer.example";
constexpr char kClaim[] = "age_over_18";
constexpr char kOrigin[] = "https://shop.example";
constexpr int64_t kNotBefore = 1767225600;  // 2026-01-01
constexpr int64_t kNotAfter = kNotBefore + 37 * 86400;
constexpr int64_t kNow = kNotBefore + 10 * 86400;

// FakeSpentSet is an in-memory spent set that can be switched to failing.
class FakeSpentSet final : public SpentSet {
 public:
  Result<bool> CheckAndInsert(ByteView key_id, ByteView nonce, int64_t expires_at) override {
    ++calls_;
    if (fail_) return MakeError(ErrorCode::kUnavailable, "store down");
    last_expires_at_ = expires_at;
    return spent_.emplace(ToBytes(key_id), ToBytes(nonce)).second;
  }
  void set_fail(bool fail) { fail_ = fail; }
  std::size_t size() const { return spent_.size(); }
  int calls() const { return calls_; }
  int64_t last_expires_at() const { return last_expires_at_; }
  bool Contains(ByteView key_id, ByteView nonce) const {
    return spent_.count({ToBytes(key_id), ToBytes(nonce)}) != 0;
  }

 private:
  std::set<std::pair<Bytes, Bytes>> spent_;
  bool fail_ = false;
  int calls_ = 0;
  int64_t last_expires_at_ = 0;
};

// Wallet holds one issued token and the Ed25519 key behind its nonce.
struct Wallet {
  Ed25519KeyPair kp;
  Token token;
  Bytes token_bytes;
};

Wallet Issue(const RsaPrivateKey& sk, std::string_view issuer, uint64_t seed) {
  testing::DeterministicRng rng(seed);
  Wallet w;
  w.kp = GenerateEd25519KeyPair(rng);
  auto challenge = CrossOriginChallenge(issuer);
  EXPECT_TRUE(challenge.ok());
  auto issuance = BeginTokenIssuance(sk.public_key(), *challenge, w.kp.public_key, rng);
  EXPECT_TRUE(issuance.ok());
  auto response = SignTokenRequest(sk, issuance->request());
  EXPECT_TRUE(response.ok());
  auto token = FinalizeToken(sk.public_key(), *issuance, *response);
  EXPECT_TRUE(token.ok());
  w.token = *token;
  w.token_bytes = *SerializeToken(w.token);
  return w;
}

class VerifierTest : public ::testing::Test {
 protected:
  VerifierTest() {
    keys_.Add(TrustedKey{testing::TestKey2048().public_key(), kIssuer, kClaim, kNotBefore, kNotAfter});
    ctx_.origin = kOrigin;
    ctx_.vnonce_key = SecretBytes(kVnonceKeyBytes, 0x3c);
  }

  Bytes Vnonce(int64_t issued_at = kNow, std::string_view claim = kClaim) {
    auto v = CreateVnonce(ctx_.vnonce_key, claim, issued_at, rng_);
    EXPECT_TRUE(v.ok());
    return *v;
  }

  Presentation Present(const Wallet& w, ByteView vnonce, std::string_view origin = kOrigin) {
    auto pop = SignPop(View(w.kp.seed), origin, vnonce, w.token_bytes);
    EXPECT_TRUE(pop.ok());
    return Presentation{w.token_bytes, ToBytes(vnonce), *pop};
  }

  VerifyOutcome Verify(const Presentation& p, int64_t now = kNow, std::string_view claim = kClaim) {
    return VerifyPresentation(p, keys_, claim, ctx_, now, spent_);
  }

  void ExpectNo(const VerifyOutcome& out, Reason reason, const std::string& what) {
    EXPECT_FALSE(out.yes) << what;
    EXPECT_EQ(out.reason, reason) << what << ": got " << ReasonCode(out.reason);
    EXPECT_TRUE(out.claim.empty()) << what;
    EXPECT_TRUE(out.issuer_name.empty()) << what;
  }

  const Wallet& Good() {
    static const Wallet w = Issue(testing::TestKey2048(), kIssuer, 100);
    return w;
  }

  TrustedKeySet keys_;
  VerifierContext ctx_;
  FakeSpentSet spent_;
  testing::DeterministicRng rng_{42};
};

TEST_F(VerifierTest, ValidPresentationIsYes) {
  const VerifyOutcome out = Verify(Present(Good(), Vnonce()));
  EXPECT_TRUE(out.yes);
  EXPECT_EQ(out.reason, Reason::kNone);
  EXPECT_EQ(out.claim, kClaim);
  EXPECT_EQ(out.issuer_name, kIssuer);
  EXPECT_EQ(out.key_not_after, kNotAfter);
  EXPECT_EQ(ReasonCode(out.reason), "");
  // The token is now spent, until its key expires.
  EXPECT_TRUE(spent_.Contains(Good().token.token_key_id, Good().token.nonce));
  EXPECT_EQ(spent_.last_expires_at(), kNotAfter);
}

TEST_F(VerifierTest, YesAtTheEdgesOfTheWindows) {
  Wallet a = Issue(testing::TestKey2048(), kIssuer, 101);
  EXPECT_TRUE(Verify(Present(a, Vnonce(kNotBefore)), kNotBefore).yes);
  Wallet b = Issue(testing::TestKey2048(), kIssuer, 102);
  EXPECT_TRUE(Verify(Present(b, Vnonce(kNotAfter - 1)), kNotAfter - 1).yes);
  Wallet c = Issue(testing::TestKey2048(), kIssuer, 103);
  EXPECT_TRUE(Verify(Present(c, Vnonce(kNow - 120)), kNow).yes);
}

TEST_F(VerifierTest, MalformedToken) {
  const Presentation good = Present(Good(), Vnonce());
  Presentation p = good;
  p.token.pop_back();
  ExpectNo(Verify(p), Reason::kMalformed, "truncated token");
  p = good;
  p.token.push_back(0);
  ExpectNo(Verify(p), Reason::kMalformed, "trailing byte");
  p = good;
  p.token[1] = 0x01;  // token type 0x0001
  ExpectNo(Verify(p), Reason::kMalformed, "type 1");
  p = good;
  p.token = ToBytes("garbage");
  ExpectNo(Verify(p), Reason::kMalformed, "garbage");
  ExpectNo(Verify(Presentation{}), Reason::kMalformed, "empty");
  EXPECT_EQ(spent_.calls(), 0);
}

TEST_F(VerifierTest, MalformedVnonceOrPopLength) {
  const Presentation good = Present(Good(), Vnonce());
  Presentation p = good;
  p.vnonce.pop_back();
  ExpectNo(Verify(p), Reason::kMalformed, "short vnonce");
  p = good;
  p.vnonce.push_back(0);
  ExpectNo(Verify(p), Reason::kMalformed, "long vnonce");
  p = good;
  p.pop.pop_back();
  ExpectNo(Verify(p), Reason::kMalformed, "short pop");
  p = good;
  p.pop.clear();
  ExpectNo(Verify(p), Reason::kMalformed, "no pop (bare Privacy Pass token)");
  EXPECT_EQ(spent_.calls(), 0);
}

TEST_F(VerifierTest, UnknownKey) {
  const Wallet other = Issue(testing::OtherTestKey2048(), kIssuer, 104);
  ExpectNo(Verify(Present(other, Vnonce())), Reason::kUnknownKey, "untrusted key");
  Presentation p = Present(Good(), Vnonce());
  p.token[2 + 32 + 32] ^= 0x01;  // first byte of token_key_id
  ExpectNo(Verify(p), Reason::kUnknownKey, "altered key id");
  TrustedKeySet empty;
  ExpectNo(VerifyPresentation(Present(Good(), Vnonce()), empty, kClaim, ctx_, kNow, spent_), Reason::kUnknownKey,
           "empty key set");
}

TEST_F(VerifierTest, WrongClaim) {
  // The token's key is for age_over_18; the verifier asks for age_over_21.
  ExpectNo(Verify(Present(Good(), Vnonce(kNow, "age_over_21")), kNow, "age_over_21"), Reason::kWrongClaim,
           "age_over_21");
  ExpectNo(Verify(Present(Good(), Vnonce(kNow, "age_over_1")), kNow, "age_over_1"), Reason::kWrongClaim,
           "age_over_1 (weaker, but another key)");
}

TEST_F(VerifierTest, ExpiredBeforeNotBeforeAndFromNotAfter) {
  ExpectNo(Verify(Present(Good(), Vnonce(kNotBefore - 1)), kNotBefore - 1), Reason::kExpired, "not yet valid");
  ExpectNo(Verify(Present(Good(), Vnonce(kNotAfter)), kNotAfter), Reason::kExpired, "at not_after");
  ExpectNo(Verify(Present(Good(), Vnonce(kNotAfter + 86400)), kNotAfter + 86400), Reason::kExpired, "after");
  EXPECT_EQ(spent_.calls(), 0);
}

TEST_F(VerifierTest, StaleNonce) {
  ExpectNo(Verify(Present(Good(), Vnonce(kNow - 121))), Reason::kStaleNonce, "121 s old");
  ExpectNo(Verify(Present(Good(), Vnonce(kNow + 6))), Reason::kStaleNonce, "6 s in the future");
  ExpectNo(Verify(Present(Good(), Vnonce(kNow, "age_over_21"))), Reason::kStaleNonce, "vnonce for another claim");
  // A vnonce from another verifier (another key).
  testing::DeterministicRng rng(7);
  auto foreign = CreateVnonce(SecretBytes(kVnonceKeyBytes, 0x99), kClaim, kNow, rng);
  ASSERT_TRUE(foreign.ok());
  ExpectNo(Verify(Present(Good(), *foreign)), Reason::kStaleNonce, "other verifier's vnonce");
  // A forged vnonce, correctly signed over by the wallet.
  ExpectNo(Verify(Present(Good(), FlipBit(Vnonce(), 100))), Reason::kStaleNonce, "forged vnonce");
  EXPECT_EQ(spent_.calls(), 0);
}

TEST_F(VerifierTest, BadSignatureFlippedAuthenticator) {
  Wallet w = Good();
  w.token.authenticator = FlipBit(w.token.authenticator, 1000);
  w.token_bytes = *SerializeToken(w.token);
  ExpectNo(Verify(Present(w, Vnonce())), Reason::kBadSignature, "flipped authenticator");
  EXPECT_EQ(spent_.calls(), 0);
}

TEST_F(VerifierTest, BadSignatureForAnotherIssuersChallenge) {
  // Signed by the trusted key, but for the challenge of "other.example".
  const Wallet w = Issue(testing::TestKey2048(), "other.example", 105);
  ExpectNo(Verify(Present(w, Vnonce())), Reason::kBadSignature, "other issuer's challenge");
  EXPECT_EQ(spent_.calls(), 0);
}

TEST_F(VerifierTest, BadSignatureForAlteredNonce) {
  // A thief swaps in their own Ed25519 key as the nonce: the RSA signature breaks.
  testing::DeterministicRng rng(9);
  Wallet w = Good();
  w.kp = GenerateEd25519KeyPair(rng);
  w.token.nonce = w.kp.public_key;
  w.token_bytes = *SerializeToken(w.token);
  ExpectNo(Verify(Present(w, Vnonce())), Reason::kBadSignature, "swapped nonce");
}

TEST_F(VerifierTest, BadPop) {
  const Bytes vnonce = Vnonce();
  ExpectNo(Verify(Present(Good(), vnonce, "https://evil.example")), Reason::kBadPop, "other origin");
  Presentation p = Present(Good(), vnonce);
  p.pop = FlipBit(p.pop, 9);
  ExpectNo(Verify(p), Reason::kBadPop, "flipped pop");
  // A PoP over another vnonce, presented with this one.
  p = Present(Good(), Vnonce());
  p.vnonce = vnonce;
  ExpectNo(Verify(p), Reason::kBadPop, "pop for another vnonce");
  // A stolen token without its key: the thief signs with their own key.
  testing::DeterministicRng rng(10);
  Wallet thief = Good();
  thief.kp = GenerateEd25519KeyPair(rng);
  ExpectNo(Verify(Present(thief, vnonce)), Reason::kBadPop, "stolen token");
  EXPECT_EQ(spent_.calls(), 0);
}

TEST_F(VerifierTest, FailuresDoNotSpendTheToken) {
  ExpectNo(Verify(Present(Good(), Vnonce(), "https://evil.example")), Reason::kBadPop, "bad pop first");
  EXPECT_EQ(spent_.size(), 0u);
  EXPECT_TRUE(Verify(Present(Good(), Vnonce())).yes);
}

TEST_F(VerifierTest, ReplayedOnSecondUse) {
  const Presentation p = Present(Good(), Vnonce());
  EXPECT_TRUE(Verify(p).yes);
  ExpectNo(Verify(p), Reason::kReplayed, "same presentation");
  // Even with a fresh vnonce and a fresh PoP by the rightful holder.
  ExpectNo(Verify(Present(Good(), Vnonce())), Reason::kReplayed, "fresh vnonce");
  EXPECT_EQ(spent_.size(), 1u);
}

TEST_F(VerifierTest, UnavailableStoreIsNeverYes) {
  spent_.set_fail(true);
  const Presentation p = Present(Good(), Vnonce());
  ExpectNo(Verify(p), Reason::kUnavailable, "store down");
  ExpectNo(Verify(p), Reason::kUnavailable, "still down");
  EXPECT_EQ(spent_.calls(), 2);
  // Nothing was recorded, so once the store is back the token still works once.
  spent_.set_fail(false);
  EXPECT_TRUE(Verify(p).yes);
  ExpectNo(Verify(p), Reason::kReplayed, "after recovery");
}

TEST_F(VerifierTest, ChecksRunInTheDocumentedOrder) {
  // Expired key and stale vnonce and bad PoP: expired wins.
  ExpectNo(Verify(Present(Good(), Vnonce(kNow - 1000), "https://evil.example"), kNotAfter), Reason::kExpired,
           "expired first");
  // Stale vnonce and bad PoP: stale_nonce wins.
  ExpectNo(Verify(Present(Good(), Vnonce(kNow - 1000), "https://evil.example")), Reason::kStaleNonce,
           "stale before pop");
  // Wrong claim and stale vnonce: wrong_claim wins.
  ExpectNo(Verify(Present(Good(), Vnonce(kNow - 1000)), kNow, "age_over_21"), Reason::kWrongClaim,
           "claim before nonce");
}

// --- VerifyAuthorization ----------------------------------------------------------

TEST_F(VerifierTest, VerifyAuthorizationWithBuiltHeader) {
  const Presentation p = Present(Good(), Vnonce());
  const std::string header = BuildAuthorization(PrivateTokenCredentials{p.token, p.vnonce, p.pop});
  const VerifyOutcome out = VerifyAuthorization(header, keys_, kClaim, ctx_, kNow, spent_);
  EXPECT_TRUE(out.yes);
  EXPECT_EQ(out.issuer_name, kIssuer);
  ExpectNo(VerifyAuthorization(header, keys_, kClaim, ctx_, kNow, spent_), Reason::kReplayed, "header replayed");
}

TEST_F(VerifierTest, VerifyAuthorizationRejectsGarbage) {
  for (const char* header : {"", "garbage", "Basic dXNlcjpwYXNz", "PrivateToken token=\"!!\"",
                             "PrivateToken token=\"AAAA\", token=\"AAAA\"", "PrivateToken token=\"AAAA"}) {
    ExpectNo(VerifyAuthorization(header, keys_, kClaim, ctx_, kNow, spent_), Reason::kMalformed, header);
  }
  // A bare Privacy Pass token without yesno's vnonce and PoP.
  const std::string bare = BuildAuthorization(PrivateTokenCredentials{Good().token_bytes, {}, {}});
  ExpectNo(VerifyAuthorization(bare, keys_, kClaim, ctx_, kNow, spent_), Reason::kMalformed, "bare token");
  EXPECT_EQ(spent_.calls(), 0);
}

// --- ReasonCode, TrustedKeySet ------------------------------------------------------

TEST(ReasonCodeTest, WireCodes) {
  EXPECT_EQ(ReasonCode(Reason::kNone), "");
  EXPECT_EQ(ReasonCode(Reason::kMalformed), "malformed");
  EXPECT_EQ(ReasonCode(Reason::kUnknownKey), "unknown_key");
  EXPECT_EQ(ReasonCode(Reason::kExpired), "expired");
  EXPECT_EQ(ReasonCode(Reason::kBadSignature), "bad_signature");
  EXPECT_EQ(ReasonCode(Reason::kBadPop), "bad_pop");
  EXPECT_EQ(ReasonCode(Reason::kStaleNonce), "stale_nonce");
  EXPECT_EQ(ReasonCode(Reason::kReplayed), "replayed");
  EXPECT_EQ(ReasonCode(Reason::kWrongClaim), "wrong_claim");
  EXPECT_EQ(ReasonCode(Reason::kUnavailable), "unavailable");
}

TEST(TrustedKeySetTest, FindAndForClaim) {
  TrustedKeySet keys;
  const RsaPublicKey& a = testing::TestKey2048().public_key();
  const RsaPublicKey& b = testing::OtherTestKey2048().public_key();
  keys.Add(TrustedKey{a, kIssuer, kClaim, 100, 200});
  keys.Add(TrustedKey{b, kIssuer, "verified_person", 150, 300});
  EXPECT_EQ(keys.size(), 2u);
  ASSERT_NE(keys.Find(a.KeyId()), nullptr);
  EXPECT_EQ(keys.Find(a.KeyId())->claim, kClaim);
  EXPECT_EQ(keys.Find(FlipBit(a.KeyId(), 0)), nullptr);
  EXPECT_EQ(keys.Find(Bytes{}), nullptr);
  const auto* entry = keys.FindEntry(a.KeyId());
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->challenge_digest, ChallengeDigest(*CrossOriginChallenge(kIssuer)));

  EXPECT_TRUE(keys.ForClaim(kClaim, 99).empty());
  EXPECT_EQ(keys.ForClaim(kClaim, 100).size(), 1u);
  EXPECT_EQ(keys.ForClaim(kClaim, 199).size(), 1u);
  EXPECT_TRUE(keys.ForClaim(kClaim, 200).empty());
  EXPECT_EQ(keys.ForClaim("verified_person", 250).size(), 1u);
  EXPECT_TRUE(keys.ForClaim("age_over_21", 150).empty());
}

TEST(TrustedKeySetTest, AddReplacesTheSameKeyId) {
  TrustedKeySet keys;
  const RsaPublicKey& a = testing::TestKey2048().public_key();
  keys.Add(TrustedKey{a, kIssuer, kClaim, 100, 200});
  keys.Add(TrustedKey{a, "issuer2.example", kClaim, 100, 400});
  EXPECT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys.Find(a.KeyId())->not_after, 400);
  EXPECT_EQ(keys.Find(a.KeyId())->issuer_name, "issuer2.example");
}

}  // namespace
}  // namespace yesno
