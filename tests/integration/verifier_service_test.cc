// verifier_service_test.cc — VerifierService in process: challenges, every
// reason code, session cookies and /auth, with an injected clock; plus the
// spent stores, secrets, the trust file and the directory refresher.
#include "verifier_service.h"

#include <sys/stat.h>

#include <atomic>
#include <thread>

#include "secrets.h"
#include "session_cookie.h"
#include "spent_store.h"
#include "testing/test_util.h"
#include "trust.h"
#include "verifier_testing.h"
#include "yesno/token.h"
#include "yesno/vnonce.h"

namespace yesno::verifier {
namespace {

using server::http::field;
using server::http::status;
using server::http::verb;
using server::Request;
using server::RequestLog;
using server::Response;
using testing::IssuedToken;
using testing::IssuerFixture;
using testing::MakeRequest;

constexpr char kOrigin[] = "https://shop.example";
constexpr char kClaim[] = "age_over_18";
constexpr int64_t kEpoch = 30 * 86400;
constexpr int64_t kNotBefore = 682 * kEpoch;  // 2026-01-07, on the 30-day epoch grid
constexpr int64_t kNow = kNotBefore + 10 * 86400;
constexpr int64_t kNotAfter = kNotBefore + kEpoch + kKeyGraceSeconds;  // kNow + 27 days

// FailingStore is a spent set whose backend is down.
class FailingStore final : public SpentSet {
 public:
  Result<bool> CheckAndInsert(ByteView, ByteView, int64_t) override {
    return MakeError(ErrorCode::kUnavailable, "down");
  }
};

// The issuers and tokens are made once for the whole suite (RSA keygen and
// issuance are the slow part).
struct World {
  IssuerFixture issuer{"issuer.example", 1};
  IssuerFixture other{"other.example", 2};
  std::size_t adult = 0, expired = 0, over21 = 0, other_key = 0;
  World() {
    adult = issuer.AddKey(kClaim, kNotBefore, kNotAfter, testing::TestKey2048());
    expired = issuer.AddKey(kClaim, kNotBefore - 2 * kEpoch, kNotBefore - kEpoch + kKeyGraceSeconds);
    over21 = issuer.AddKey("age_over_21", kNotBefore, kNotAfter, testing::OtherTestKey2048());
    other_key = other.AddKey(kClaim, kNotBefore, kNotAfter);
  }
};
World& TheWorld() {
  static World* w = new World();
  return *w;
}

class VerifierServiceTest : public ::testing::Test {
 protected:
  VerifierServiceTest() { Reset(kOrigin, std::make_shared<MemorySpentStore>()); }

  void Reset(const std::string& origin, std::shared_ptr<SpentSet> store, std::vector<std::string> claims = {}) {
    store_ = std::move(store);
    auto secrets = RandomSecrets(rng_);
    ASSERT_TRUE(secrets.ok());
    service_ = std::make_unique<VerifierService>(
        VerifierOptions{origin, 60, std::move(*secrets), "", GateLimits{}, std::move(claims)}, store_, clock_, rng_);
    service_->SetTrustedKeys(std::make_shared<const TrustedKeySet>(TheWorld().issuer.TrustedKeys()));
  }

  Response Call(const Request& req) {
    RequestLog log;
    Response res = service_->HandleRequest(req, log);
    last_log_ = log;
    return res;
  }

  Bytes Vnonce(const std::string& claim = kClaim) {
    Response res = Call(MakeRequest(verb::get, "/challenge?claim=" + claim));
    EXPECT_EQ(res.result(), status::unauthorized);
    auto challenges = ParseWwwAuthenticate(std::string(res[field::www_authenticate]));
    EXPECT_TRUE(challenges.ok());
    if (!challenges.ok() || challenges->empty()) return {};
    return (*challenges)[0].yesno_vnonce;
  }

  Response Present(const std::string& authorization, const std::string& claim = kClaim) {
    Request req = MakeRequest(verb::post, "/verify?claim=" + claim);
    if (!authorization.empty()) req.set(field::authorization, authorization);
    return Call(req);
  }

  // ExpectAnswer checks the JSON answer and that the log carries the reason.
  void ExpectNo(const Response& res, const std::string& reason, status want = status::ok) {
    EXPECT_EQ(res.result(), want) << res.body();
    auto body = nlohmann::json::parse(res.body(), nullptr, false);
    EXPECT_EQ(body.value("answer", ""), "no") << res.body();
    EXPECT_EQ(body.value("reason", ""), reason) << res.body();
    EXPECT_EQ(last_log_.reason, reason);
    EXPECT_EQ(res.count(field::set_cookie), 0u);
  }

  IssuedToken Token(std::size_t key) {
    return TheWorld().issuer.Issue(key, rng_);
  }

  Response Auth(const std::string& claim, const std::string& cookie, const std::string& authorization = "") {
    Request req = MakeRequest(verb::get, "/auth/" + claim);
    if (!cookie.empty()) req.set(field::cookie, cookie);
    if (!authorization.empty()) req.set(field::authorization, authorization);
    return Call(req);
  }

  // CookieOf extracts "name=value" from a Set-Cookie header.
  static std::string CookieOf(const Response& res) {
    std::string set(res[field::set_cookie]);
    return set.substr(0, set.find(';'));
  }

  SystemRng rng_;
  FixedClock clock_{kNow};
  std::shared_ptr<SpentSet> store_;
  std::unique_ptr<VerifierService> service_;
  RequestLog last_log_;
};

TEST_F(VerifierServiceTest, ChallengeListsEveryAcceptableKeyInHeaderAndJson) {
  Response res = Call(MakeRequest(verb::get, "/challenge?claim=age_over_18"));
  ASSERT_EQ(res.result(), status::unauthorized);
  EXPECT_EQ(res[field::cache_control], "no-store");
  auto challenges = ParseWwwAuthenticate(std::string(res[field::www_authenticate]));
  ASSERT_TRUE(challenges.ok());
  // The expired key is not offered; the age_over_21 key is for another claim.
  ASSERT_EQ(challenges->size(), 1u);
  const auto& c = (*challenges)[0];
  EXPECT_EQ(c.yesno_claim, kClaim);
  EXPECT_EQ(c.yesno_vnonce.size(), kVnonceBytes);
  EXPECT_EQ(c.token_key, TheWorld().issuer.key(TheWorld().adult).public_key().Spki());
  EXPECT_EQ(c.challenge, *CrossOriginChallenge("issuer.example"));
  auto body = nlohmann::json::parse(res.body());
  EXPECT_EQ(body["claim"], kClaim);
  ASSERT_EQ(body["challenges"].size(), 1u);
  EXPECT_EQ(body["challenges"][0]["issuer"], "issuer.example");
  EXPECT_EQ(body["challenges"][0]["yesno-vnonce"], Base64UrlEncode(c.yesno_vnonce));
  EXPECT_EQ(body["challenges"][0]["token-key"], Base64UrlEncode(c.token_key));
  EXPECT_EQ(body["challenges"][0]["challenge"], Base64UrlEncode(c.challenge));
  EXPECT_EQ(body["challenges"][0]["token-key-id"],
            HexEncode(TheWorld().issuer.key(TheWorld().adult).public_key().KeyId()));
  EXPECT_EQ(body["challenges"][0]["not-after"], kNotAfter);
}

TEST_F(VerifierServiceTest, ChallengeRejectsBadAndUnknownClaims) {
  Response res = Call(MakeRequest(verb::get, "/challenge?claim=Age-Over-18"));
  EXPECT_EQ(res.result(), status::bad_request);
  EXPECT_EQ(res.body(), "{\"error\":\"bad_claim\"}");
  res = Call(MakeRequest(verb::get, "/challenge"));
  EXPECT_EQ(res.result(), status::bad_request);
  res = Call(MakeRequest(verb::get, "/challenge?claim=" + std::string(33, 'a')));
  EXPECT_EQ(res.result(), status::bad_request);
  res = Call(MakeRequest(verb::get, "/challenge?claim=age_over_99"));
  EXPECT_EQ(res.result(), status::not_found);
  EXPECT_EQ(res.body(), "{\"error\":\"unknown_claim\"}");
  res = Call(MakeRequest(verb::post, "/challenge?claim=age_over_18"));
  EXPECT_EQ(res.result(), status::method_not_allowed);
}

TEST_F(VerifierServiceTest, ValidPresentationIsYesAndSetsASessionCookie) {
  const IssuedToken t = Token(TheWorld().adult);
  Response res = Present(testing::AuthorizationFor(t, kOrigin, Vnonce()));
  ASSERT_EQ(res.result(), status::ok) << res.body();
  EXPECT_EQ(res.body(), "{\"answer\":\"yes\",\"claim\":\"age_over_18\",\"issuer\":\"issuer.example\"}");
  EXPECT_EQ(last_log_.reason, "");
  const std::string set_cookie(res[field::set_cookie]);
  EXPECT_EQ(set_cookie.rfind("yesno_age_over_18=" + std::to_string(kNow + 3600) + ".", 0), 0u) << set_cookie;
  EXPECT_NE(set_cookie.find("; Max-Age=3600; Path=/; HttpOnly; SameSite=Lax; Secure"), std::string::npos)
      << set_cookie;
  EXPECT_NE(Call(MakeRequest(verb::get, "/metrics")).body().find("yesno_verifier_verify_total{answer=\"yes\",reason=\"\"} 1"),
            std::string::npos);
  EXPECT_EQ(service_->metrics().Get("verify_total", {{"answer", "yes"}, {"reason", ""}}), 1);  // published by /metrics

  // The cookie opens /auth for that claim only, until it expires.
  const std::string cookie = CookieOf(res);
  EXPECT_EQ(Auth(kClaim, "other=1; " + cookie + "; x=y").result(), status::no_content);
  EXPECT_EQ(Auth("age_over_21", cookie).result(), status::unauthorized);
  clock_.Advance(3599);
  EXPECT_EQ(Auth(kClaim, cookie).result(), status::no_content);
  clock_.Advance(1);
  EXPECT_EQ(Auth(kClaim, cookie).result(), status::unauthorized);
  EXPECT_EQ(last_log_.reason, "bad_session");
}

TEST_F(VerifierServiceTest, PlainHttpOriginCookieIsNotSecure) {
  Reset("http://127.0.0.1:8080", std::make_shared<MemorySpentStore>());
  const IssuedToken t = Token(TheWorld().adult);
  Response res = Present(testing::AuthorizationFor(t, "http://127.0.0.1:8080", Vnonce()));
  ASSERT_EQ(res.result(), status::ok) << res.body();
  EXPECT_EQ(std::string(res[field::set_cookie]).find("Secure"), std::string::npos);
}

TEST_F(VerifierServiceTest, AuthRejectsMissingForgedAndForeignCookies) {
  const IssuedToken t = Token(TheWorld().adult);
  Response yes = Present(testing::AuthorizationFor(t, kOrigin, Vnonce()));
  ASSERT_EQ(yes.result(), status::ok);
  const std::string cookie = CookieOf(yes);
  EXPECT_EQ(Auth(kClaim, "").result(), status::unauthorized);
  EXPECT_EQ(last_log_.reason, "no_session");
  EXPECT_EQ(Auth("", cookie).result(), status::not_found);
  EXPECT_EQ(last_log_.reason, "unknown_claim");
  EXPECT_EQ(Auth("Bad%20Claim", cookie).result(), status::not_found);
  EXPECT_EQ(Auth("age_over_18/x", cookie).result(), status::not_found);
  // One changed MAC character, a changed expiry, a padded MAC, a bare name.
  std::string forged = cookie;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(Auth(kClaim, forged).result(), status::unauthorized);
  const auto eq = cookie.find('=');
  const auto dot = cookie.find('.');
  const std::string later = cookie.substr(0, eq + 1) + std::to_string(kNow + 3000) + cookie.substr(dot);
  EXPECT_EQ(Auth(kClaim, later).result(), status::unauthorized);
  EXPECT_EQ(Auth(kClaim, cookie + "=").result(), status::unauthorized);
  EXPECT_EQ(Auth(kClaim, "yesno_age_over_18").result(), status::unauthorized);
  EXPECT_EQ(Auth(kClaim, "yesno_age_over_18=").result(), status::unauthorized);
  // A cookie made by another verifier secret is worthless here.
  auto other = RandomSecrets(rng_);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(Auth(kClaim, "yesno_age_over_18=" + MakeCookieValue(other->cookie_key, kClaim, kNow + 60)).result(),
            status::unauthorized);
  // A cookie claiming a lifetime beyond --session-minutes is refused even
  // with a valid MAC (made here with the service's key is impossible, so
  // check CheckCookieValue directly).
  EXPECT_FALSE(CheckCookieValue(other->cookie_key, kClaim, MakeCookieValue(other->cookie_key, kClaim, kNow + 7200),
                                kNow, 3600));
  EXPECT_TRUE(CheckCookieValue(other->cookie_key, kClaim, MakeCookieValue(other->cookie_key, kClaim, kNow + 3600),
                               kNow, 3600));
  EXPECT_EQ(Auth(kClaim, cookie).result(), status::no_content);
}

TEST_F(VerifierServiceTest, AuthTakesTheClaimFromThePathOnly) {
  const IssuedToken t = Token(TheWorld().adult);
  const std::string cookie = CookieOf(Present(testing::AuthorizationFor(t, kOrigin, Vnonce())));
  ASSERT_FALSE(cookie.empty());
  // The old header is not read: /auth alone is no route, and a header naming
  // another claim changes nothing.
  EXPECT_EQ(Call(MakeRequest(verb::get, "/auth")).result(), status::not_found);
  Request req = MakeRequest(verb::get, "/auth/age_over_21");
  req.set("X-Yesno-Claim", kClaim);
  req.set(field::cookie, cookie);
  EXPECT_EQ(Call(req).result(), status::unauthorized);
  EXPECT_EQ(last_log_.route, "/auth/{claim}");
  EXPECT_EQ(Call(MakeRequest(verb::post, "/auth/age_over_18")).result(), status::method_not_allowed);
  // 401 carries fresh challenges for that claim (RFC 9577), and no cookie.
  Response res = Auth(kClaim, "");
  ASSERT_EQ(res.result(), status::unauthorized);
  EXPECT_EQ(res.body(), "{\"error\":\"no_session\"}");
  auto challenges = ParseWwwAuthenticate(std::string(res[field::www_authenticate]));
  ASSERT_TRUE(challenges.ok()) << res[field::www_authenticate];
  ASSERT_EQ(challenges->size(), 1u);
  EXPECT_EQ((*challenges)[0].yesno_claim, kClaim);
  EXPECT_EQ(res.count(field::set_cookie), 0u);
}

TEST_F(VerifierServiceTest, AuthAcceptsAPresentationOnceAndSetsTheCookie) {
  const IssuedToken t = Token(TheWorld().adult);
  const std::string authorization = testing::AuthorizationFor(t, kOrigin, Vnonce());
  Response res = Auth(kClaim, "", authorization);
  ASSERT_EQ(res.result(), status::no_content) << res.body();
  EXPECT_EQ(last_log_.reason, "presented");
  const std::string cookie = CookieOf(res);
  EXPECT_EQ(cookie.rfind("yesno_age_over_18=", 0), 0u) << cookie;
  EXPECT_EQ(Auth(kClaim, cookie).result(), status::no_content);
  // Once: the same presentation again is a replay, with fresh challenges.
  res = Auth(kClaim, "", authorization);
  EXPECT_EQ(res.result(), status::unauthorized);
  EXPECT_EQ(res.body(), "{\"error\":\"replayed\"}");
  EXPECT_FALSE(std::string(res[field::www_authenticate]).empty());
  EXPECT_EQ(res.count(field::set_cookie), 0u);
  // A valid cookie wins without spending the token that comes with it.
  const IssuedToken u = Token(TheWorld().adult);
  const std::string unspent = testing::AuthorizationFor(u, kOrigin, Vnonce());
  EXPECT_EQ(Auth(kClaim, cookie, unspent).result(), status::no_content);
  EXPECT_EQ(last_log_.reason, "session");
  EXPECT_NE(Present(unspent).body().find("\"answer\":\"yes\""), std::string::npos);
  // Every refusal of /verify holds here too, each a 401 without a cookie.
  struct Case {
    std::string authorization;
    std::string claim;
    const char* reason;
  };
  const IssuedToken w = Token(TheWorld().over21);
  const IssuedToken x = Token(TheWorld().adult);
  const std::vector<Case> cases = {
      {"PrivateToken token=AAAA", kClaim, "malformed"},
      {"Bearer abc", kClaim, "malformed"},
      {testing::AuthorizationFor(w, kOrigin, Vnonce("age_over_21")), kClaim, "wrong_claim"},
      {testing::AuthorizationFor(x, "https://evil.example", Vnonce()), kClaim, "bad_pop"},
      {testing::AuthorizationFor(x, kOrigin, Vnonce("age_over_21")), kClaim, "stale_nonce"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.reason);
    res = Auth(c.claim, "", c.authorization);
    EXPECT_EQ(res.result(), status::unauthorized);
    EXPECT_EQ(res.body(), std::string("{\"error\":\"") + c.reason + "\"}");
    EXPECT_EQ(last_log_.reason, c.reason);
    EXPECT_EQ(res.count(field::set_cookie), 0u);
  }
  // Two Authorization headers: malformed.
  Request two = MakeRequest(verb::get, "/auth/age_over_18");
  two.insert(field::authorization, authorization);
  two.insert(field::authorization, authorization);
  EXPECT_EQ(Call(two).result(), status::unauthorized);
  EXPECT_EQ(last_log_.reason, "malformed");
  // The spent store down: 503, never a 204.
  Reset(kOrigin, std::make_shared<FailingStore>());
  res = Auth(kClaim, "", testing::AuthorizationFor(Token(TheWorld().adult), kOrigin, Vnonce()));
  EXPECT_EQ(res.result(), status::service_unavailable);
  EXPECT_EQ(res.count(field::set_cookie), 0u);
  const std::string metrics = Call(MakeRequest(verb::get, "/metrics")).body();
  EXPECT_NE(metrics.find("yesno_verifier_auth_total{result=\"presented\"} 1"), std::string::npos) << metrics;
}

TEST_F(VerifierServiceTest, ClaimsFlagLimitsChallengesAuthAndTheGate) {
  Reset(kOrigin, std::make_shared<MemorySpentStore>(), {"age_over_21"});
  // age_over_18 is vouched for by the issuer but not asked by this site.
  Response res = Call(MakeRequest(verb::get, "/challenge?claim=age_over_18"));
  EXPECT_EQ(res.result(), status::not_found);
  // The claims the site asks, so a wallet can say which to use.
  EXPECT_EQ(res.body(), "{\"claims\":[\"age_over_21\"],\"error\":\"unknown_claim\"}");
  res = Auth(kClaim, "");
  EXPECT_EQ(res.result(), status::not_found);
  EXPECT_EQ(res.body(), "{\"error\":\"unknown_claim\"}");
  res = Call(MakeRequest(verb::get, "/gate?claim=age_over_18&return=/"));
  EXPECT_EQ(res.result(), status::not_found);
  EXPECT_EQ(last_log_.reason, "unknown_claim");
  // The asked claim works.
  EXPECT_FALSE(Vnonce("age_over_21").empty());
  EXPECT_EQ(Auth("age_over_21", "").result(), status::unauthorized);
  EXPECT_EQ(Call(MakeRequest(verb::get, "/gate?claim=age_over_21&return=/")).result(), status::ok);
}

TEST_F(VerifierServiceTest, UnknownKeyFromAnUntrustedIssuer) {
  const IssuedToken t = TheWorld().other.Issue(TheWorld().other_key, rng_);
  ExpectNo(Present(testing::AuthorizationFor(t, kOrigin, Vnonce())), "unknown_key");
}

TEST_F(VerifierServiceTest, TokenForAnotherIssuersChallengeIsBadSignature) {
  // Signed by a trusted key, but over another issuer's TokenChallenge.
  const IssuedToken t = TheWorld().issuer.Issue(TheWorld().adult, rng_, "other.example");
  ExpectNo(Present(testing::AuthorizationFor(t, kOrigin, Vnonce())), "bad_signature");
}

TEST_F(VerifierServiceTest, ExpiredKey) {
  const IssuedToken t = Token(TheWorld().expired);
  ExpectNo(Present(testing::AuthorizationFor(t, kOrigin, Vnonce())), "expired");
}

TEST_F(VerifierServiceTest, KeyThatExpiresLaterIsExpiredThen) {
  const IssuedToken t = Token(TheWorld().adult);
  clock_.Set(kNotAfter - 60);
  const Bytes vnonce = Vnonce();
  clock_.Set(kNotAfter);
  ExpectNo(Present(testing::AuthorizationFor(t, kOrigin, vnonce)), "expired");
}

TEST_F(VerifierServiceTest, WrongClaim) {
  const IssuedToken t = Token(TheWorld().over21);
  ExpectNo(Present(testing::AuthorizationFor(t, kOrigin, Vnonce())), "wrong_claim");
}

TEST_F(VerifierServiceTest, BadSignature) {
  IssuedToken t = Token(TheWorld().adult);
  t.token = testing::FlipBit(t.token, (kTokenBytes - 10) * 8);
  ExpectNo(Present(testing::AuthorizationFor(t, kOrigin, Vnonce())), "bad_signature");
}

TEST_F(VerifierServiceTest, BadPopAndPopForAnotherOrigin) {
  const IssuedToken t = Token(TheWorld().adult);
  const Bytes vnonce = Vnonce();
  Presentation p = testing::PresentationFor(t, kOrigin, vnonce);
  p.pop = testing::FlipBit(p.pop, 5);
  ExpectNo(Present(BuildAuthorization({p.token, p.vnonce, p.pop})), "bad_pop");
  ExpectNo(Present(testing::AuthorizationFor(t, "https://evil.example", vnonce)), "bad_pop");
  ExpectNo(Present(testing::AuthorizationFor(t, "http://shop.example", vnonce)), "bad_pop");
  // A PoP by another key than the token's nonce.
  IssuedToken stolen = t;
  stolen.holder = GenerateEd25519KeyPair(rng_);
  ExpectNo(Present(testing::AuthorizationFor(stolen, kOrigin, vnonce)), "bad_pop");
  // None of the failures spent the token.
  Response res = Present(testing::AuthorizationFor(t, kOrigin, vnonce));
  EXPECT_EQ(res.result(), status::ok) << res.body();
}

TEST_F(VerifierServiceTest, StaleForgedAndOtherClaimVnonces) {
  const IssuedToken t = Token(TheWorld().adult);
  const Bytes vnonce = Vnonce();
  clock_.Advance(kVnonceLifetimeSeconds + 1);
  ExpectNo(Present(testing::AuthorizationFor(t, kOrigin, vnonce)), "stale_nonce");
  clock_.Set(kNow);
  Bytes forged = vnonce;
  forged.back() ^= 1;
  ExpectNo(Present(testing::AuthorizationFor(t, kOrigin, forged)), "stale_nonce");
  // A vnonce made with another verifier's secret.
  SecretBytes other_key(kVnonceKeyBytes, 7);
  auto foreign = CreateVnonce(other_key, kClaim, kNow, rng_);
  ASSERT_TRUE(foreign.ok());
  ExpectNo(Present(testing::AuthorizationFor(t, kOrigin, *foreign)), "stale_nonce");
  // A vnonce for another claim (served because the age_over_21 key exists).
  ExpectNo(Present(testing::AuthorizationFor(t, kOrigin, Vnonce("age_over_21"))), "stale_nonce");
  // Within the window the same vnonce still works.
  clock_.Advance(kVnonceLifetimeSeconds - 1);
  EXPECT_EQ(Present(testing::AuthorizationFor(t, kOrigin, vnonce)).result(), status::ok);
}

TEST_F(VerifierServiceTest, ReplayedTokenIsNoEvenWithAFreshChallenge) {
  const IssuedToken t = Token(TheWorld().adult);
  EXPECT_EQ(Present(testing::AuthorizationFor(t, kOrigin, Vnonce())).result(), status::ok);
  ExpectNo(Present(testing::AuthorizationFor(t, kOrigin, Vnonce())), "replayed");
  clock_.Advance(30);
  ExpectNo(Present(testing::AuthorizationFor(t, kOrigin, Vnonce())), "replayed");
}

TEST_F(VerifierServiceTest, MalformedRequestsGet400OrMalformed) {
  const IssuedToken t = Token(TheWorld().adult);
  const Bytes vnonce = Vnonce();
  ExpectNo(Present(""), "malformed", status::bad_request);
  ExpectNo(Present("Bearer abc"), "malformed", status::bad_request);
  ExpectNo(Present("PrivateToken"), "malformed", status::bad_request);
  ExpectNo(Present("PrivateToken token=\"!!!\""), "malformed", status::bad_request);
  ExpectNo(Present("PrivateToken token=\"" + Base64UrlEncode(t.token) + "\", token=\"x\""), "malformed",
           status::bad_request);
  ExpectNo(Present(std::string(9000, 'A')), "malformed", status::bad_request);
  // Missing claim, or a bad claim name.
  ExpectNo(Present(testing::AuthorizationFor(t, kOrigin, vnonce), ""), "malformed", status::bad_request);
  ExpectNo(Present(testing::AuthorizationFor(t, kOrigin, vnonce), "AGE"), "malformed", status::bad_request);
  // Well-formed header, wrong lengths inside: answered as no/malformed.
  Presentation p = testing::PresentationFor(t, kOrigin, vnonce);
  ExpectNo(Present(BuildAuthorization({p.token, {}, p.pop})), "malformed");
  ExpectNo(Present(BuildAuthorization({p.token, p.vnonce, {}})), "malformed");
  Bytes truncated(p.token.begin(), p.token.end() - 1);
  ExpectNo(Present(BuildAuthorization({truncated, p.vnonce, p.pop})), "malformed");
  Bytes longer = p.token;
  longer.push_back(0);
  ExpectNo(Present(BuildAuthorization({longer, p.vnonce, p.pop})), "malformed");
  // Two Authorization fields.
  Request two = MakeRequest(verb::post, "/verify?claim=age_over_18");
  two.insert(field::authorization, testing::AuthorizationFor(t, kOrigin, vnonce));
  two.insert(field::authorization, testing::AuthorizationFor(t, kOrigin, vnonce));
  ExpectNo(Call(two), "malformed", status::bad_request);
  // GET /verify is the wrong method.
  EXPECT_EQ(Call(MakeRequest(verb::get, "/verify?claim=age_over_18")).result(), status::method_not_allowed);
  // After all that, the token is still good.
  EXPECT_EQ(Present(testing::AuthorizationFor(t, kOrigin, vnonce)).result(), status::ok);
}

TEST_F(VerifierServiceTest, UnreachableStoreIsNoUnavailableNeverYes) {
  Reset(kOrigin, std::make_shared<FailingStore>());
  const IssuedToken t = Token(TheWorld().adult);
  ExpectNo(Present(testing::AuthorizationFor(t, kOrigin, Vnonce())), "unavailable", status::service_unavailable);
}

TEST_F(VerifierServiceTest, HealthAndMetrics) {
  Response res = Call(MakeRequest(verb::get, "/healthz"));
  EXPECT_EQ(res.result(), status::ok);
  EXPECT_EQ(res.body(), "{\"status\":\"ok\"}");
  const IssuedToken t = Token(TheWorld().adult);
  (void)Present(testing::AuthorizationFor(t, kOrigin, Vnonce()));
  (void)Present(testing::AuthorizationFor(t, kOrigin, Vnonce()));
  res = Call(MakeRequest(verb::get, "/metrics"));
  EXPECT_EQ(res.result(), status::ok);
  EXPECT_NE(res.body().find("yesno_verifier_verify_total{answer=\"no\",reason=\"replayed\"} 1"), std::string::npos)
      << res.body();
  EXPECT_NE(res.body().find("yesno_verifier_challenges_total{result=\"ok\"} 2"), std::string::npos);
  EXPECT_EQ(Call(MakeRequest(verb::get, "/nope")).result(), status::not_found);
}

TEST_F(VerifierServiceTest, ConcurrentPresentationsOfOneTokenYieldExactlyOneYes) {
  const IssuedToken t = Token(TheWorld().adult);
  const std::string auth = testing::AuthorizationFor(t, kOrigin, Vnonce());
  std::atomic<int> yes{0}, replayed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 5; ++j) {
        Request req = MakeRequest(verb::post, "/verify?claim=age_over_18");
        req.set(field::authorization, auth);
        RequestLog log;
        Response res = service_->HandleRequest(req, log);
        if (res.body().find("\"yes\"") != std::string::npos) ++yes;
        if (log.reason == "replayed") ++replayed;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(yes.load(), 1);
  EXPECT_EQ(replayed.load(), 39);
}

// --- session cookie -------------------------------------------------------------

TEST(VerifierCookieTest, FormatAndParsing) {
  const SecretBytes key(kCookieKeyBytes, 9);
  const std::string v = MakeCookieValue(key, "age_over_18", 1800000000);
  EXPECT_EQ(v.rfind("1800000000.", 0), 0u);
  EXPECT_EQ(v.size(), 11u + 43u);
  EXPECT_TRUE(CheckCookieValue(key, "age_over_18", v, 1800000000 - 10, 3600));
  EXPECT_FALSE(CheckCookieValue(key, "age_over_21", v, 1800000000 - 10, 3600));
  EXPECT_FALSE(CheckCookieValue(key, "age_over_18", "0" + v, 1800000000 - 10, 3600));
  EXPECT_FALSE(CheckCookieValue(key, "age_over_18", "+" + v, 1800000000 - 10, 3600));
  EXPECT_FALSE(CheckCookieValue(key, "age_over_18", v.substr(0, v.size() - 1), 1800000000 - 10, 3600));
  EXPECT_EQ(SetCookieHeader("age_over_18", v, 60, false),
            "yesno_age_over_18=" + v + "; Max-Age=60; Path=/; HttpOnly; SameSite=Lax");
  auto values = CookieValues("a=1; yesno_x=2;yesno_x=\"3\"; yesno_xy=4", "yesno_x");
  ASSERT_EQ(values.size(), 2u);
  EXPECT_EQ(values[0], "2");
  EXPECT_EQ(values[1], "3");
}

TEST(VerifierOriginTest, CanonicalOrigin) {
  EXPECT_EQ(*CanonicalOrigin("https://Shop.Example"), "https://shop.example");
  EXPECT_EQ(*CanonicalOrigin("https://shop.example:443"), "https://shop.example");
  EXPECT_EQ(*CanonicalOrigin("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
  EXPECT_EQ(*CanonicalOrigin("https://shop.example/"), "https://shop.example");  // a trailing slash is normalised
  EXPECT_FALSE(CanonicalOrigin("https://shop.example/x").ok());
  EXPECT_FALSE(CanonicalOrigin("shop.example").ok());
  EXPECT_FALSE(CanonicalOrigin("ftp://shop.example").ok());
}

// --- spent stores -----------------------------------------------------------------

void ExpectOnceOnly(SpentStore& store) {
  const Bytes id(32, 1), nonce(32, 2), other(32, 3);
  auto r = store.CheckAndInsert(id, nonce, kNotAfter);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(*r);
  r = store.CheckAndInsert(id, nonce, kNotAfter);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r);
  r = store.CheckAndInsert(id, other, kNotAfter);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(*r);
  r = store.CheckAndInsert(other, nonce, kNow + 10);  // same nonce, other key: a different token
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(*r);
  // Purge drops what expired, keeps the rest.
  auto purged = store.Purge(kNow + 10);
  ASSERT_TRUE(purged.ok());
  if (store.Kind() != "redis") {
    EXPECT_EQ(*purged, 1u);
  }
  r = store.CheckAndInsert(id, nonce, kNotAfter);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r);
}

void ExpectConcurrentOnceOnly(SpentStore& store) {
  std::atomic<int> fresh{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (uint8_t i = 0; i < 50; ++i) {
        auto r = store.CheckAndInsert(Bytes(32, 0xaa), Bytes(32, i), kNotAfter);
        if (r.ok() && *r) ++fresh;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(fresh.load(), 50);
}

TEST(VerifierSpentStoreTest, MemoryStoreAcceptsEachTokenOnce) {
  MemorySpentStore store;
  ExpectOnceOnly(store);
  ExpectConcurrentOnceOnly(store);
}

TEST(VerifierSpentStoreTest, SqliteStoreIsOnceOnlyDurableAndHoldsOnlyHashes) {
  testing::TempDir dir("spent_sqlite");
  const std::string path = dir.File("spent.sqlite");
  const Bytes id(32, 0x11);
  const Bytes nonce = *HexDecode("6e6f6e63652d6e6f6e63652d6e6f6e63652d6e6f6e63652d6e6f6e63652d3132");
  {
    auto store = SqliteSpentStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.error().message;
    ExpectOnceOnly(**store);
    ExpectConcurrentOnceOnly(**store);
    auto r = (*store)->CheckAndInsert(id, nonce, kNotAfter);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(*r);
  }
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto reopened = SqliteSpentStore::Open(path);
  ASSERT_TRUE(reopened.ok());
  auto r = (*reopened)->CheckAndInsert(id, nonce, kNotAfter);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r) << "a restart must not forget spent tokens";
  EXPECT_EQ(*(*reopened)->Count(), 2u + 50u + 1u);
  auto purged = (*reopened)->Purge(kNotAfter);
  ASSERT_TRUE(purged.ok());
  EXPECT_EQ(*(*reopened)->Count(), 0u);
  reopened->reset();
  // Only hashes are stored: neither the nonce nor its hex is in the files.
  std::string files;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) files += testing::ReadText(e.path());
  EXPECT_EQ(files.find(AsString(nonce)), std::string::npos);
  EXPECT_EQ(files.find(HexEncode(nonce)), std::string::npos);
  EXPECT_EQ(files.find(Base64UrlEncode(nonce)), std::string::npos);
}

TEST(VerifierSpentStoreTest, OpenSpentStoreParsesSpecs) {
  EXPECT_EQ((*OpenSpentStore("memory:"))->Kind(), "memory");
  testing::TempDir dir("spec");
  EXPECT_EQ((*OpenSpentStore("sqlite:" + dir.File("s.db")))->Kind(), "sqlite");
  EXPECT_EQ((*OpenSpentStore("redis://127.0.0.1:6390"))->Kind(), "redis");
  for (const char* bad : {"", "sqlite:", "postgres://x", "redis://", "redis://host:0", "redis://host:x",
                          "redis://u@host:1", "memory"}) {
    auto s = OpenSpentStore(bad);
    EXPECT_FALSE(s.ok()) << bad;
    if (!s.ok()) {
      EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument) << bad;
    }
  }
  EXPECT_FALSE(OpenSpentStore("sqlite:/nonexistent/dir/x.db").ok());
}

TEST(VerifierSpentStoreTest, UnreachableRedisIsAnErrorNotAnAnswer) {
  RedisOptions o;
  o.port = testing::FreePort();  // nothing listens there
  o.timeout = std::chrono::milliseconds(300);
  RedisSpentStore store(o);
  auto r = store.CheckAndInsert(Bytes(32, 1), Bytes(32, 2), kNotAfter);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_FALSE(store.Ping().ok());
}

// --- secrets ----------------------------------------------------------------------

TEST(VerifierSecretsTest, SecretFileIsCreatedPrivateAndSharedByReplicas) {
  testing::TempDir dir("secret");
  const std::string path = dir.File("verifier.secret");
  SystemRng rng;
  auto a = LoadOrCreateSecretFile(path, rng);
  ASSERT_TRUE(a.ok()) << a.error().message;
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 32);
  auto b = LoadOrCreateSecretFile(path, rng);
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(ConstantTimeEquals(View(a->vnonce_key), View(b->vnonce_key)));
  EXPECT_TRUE(ConstantTimeEquals(View(a->cookie_key), View(b->cookie_key)));
  EXPECT_FALSE(ConstantTimeEquals(View(a->vnonce_key), View(a->cookie_key)));
  auto fresh = RandomSecrets(rng);
  ASSERT_TRUE(fresh.ok());
  EXPECT_FALSE(ConstantTimeEquals(View(a->vnonce_key), View(fresh->vnonce_key)));
  ASSERT_EQ(chmod(path.c_str(), 0644), 0);
  EXPECT_FALSE(LoadOrCreateSecretFile(path, rng).ok());
  testing::WriteText(path, "short");
  ASSERT_EQ(chmod(path.c_str(), 0600), 0);
  EXPECT_FALSE(LoadOrCreateSecretFile(path, rng).ok());
}

// --- trust file, directories, refresher -------------------------------------------

TEST(VerifierTrustTest, ParseTrustFile) {
  const std::string key = Base64UrlEncode(Bytes(32, 5));
  auto ok = ParseTrustFile(R"([{"name":"issuer.example","directory":"https://issuer.example","key":")" + key +
                           R"("},{"name":"b","directory":"http://127.0.0.1:9/d/dir.json","key":")" + key + R"("}])");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  ASSERT_EQ(ok->size(), 2u);
  EXPECT_EQ((*ok)[0].directory.target, kDirectoryPath);
  EXPECT_EQ((*ok)[1].directory.target, "/d/dir.json");
  for (const std::string& bad : std::vector<std::string>{
       std::string("{}"), std::string("[]"), std::string("not json"),
        R"([{"name":"a","directory":"https://a","key":"AAAA"}])",
        R"([{"name":"a","directory":"ftp://a","key":")" + key + R"("}])",
        R"([{"directory":"https://a","key":")" + key + R"("}])",
        R"([{"name":"a","directory":"https://a","key":")" + key + R"("},{"name":"a","directory":"https://b","key":")" +
            key + R"("}])"}) {
    auto r = ParseTrustFile(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    }
  }
}

TEST(VerifierTrustTest, DirectoryMustBeSignedByThePinnedKeyAndNameTheIssuer) {
  World& w = TheWorld();
  TrustEntry entry{"issuer.example", *net::ParseUrl("http://127.0.0.1:1/"), w.issuer.SigningPublicKey()};
  const std::string body = w.issuer.DirectoryBody();
  auto dir = CheckDirectory(entry, body, w.issuer.DirectorySignature(body));
  ASSERT_TRUE(dir.ok()) << dir.error().message;
  EXPECT_EQ(dir->keys.size(), 3u);
  EXPECT_FALSE(CheckDirectory(entry, body, "").ok());
  EXPECT_FALSE(CheckDirectory(entry, body + " ", w.issuer.DirectorySignature(body)).ok());
  EXPECT_FALSE(CheckDirectory(entry, body, w.other.DirectorySignature(body)).ok());
  // Correctly signed by the other issuer's key, but we pinned that key for
  // "issuer.example": the name inside must match.
  TrustEntry pinned_other{"issuer.example", entry.directory, w.other.SigningPublicKey()};
  const std::string other_body = w.other.DirectoryBody();
  EXPECT_FALSE(CheckDirectory(pinned_other, other_body, w.other.DirectorySignature(other_body)).ok());
}

TEST(VerifierTrustTest, KeyListedByTwoIssuersIsDropped) {
  World& w = TheWorld();
  IssuerFixture copycat("copycat.example", 3);
  copycat.AddKey(kClaim, kNotBefore, kNotAfter, w.issuer.key(w.adult));  // claims issuer.example's key
  std::map<std::string, IssuerDirectory> dirs = {{"issuer.example", w.issuer.Directory()},
                                                 {"copycat.example", copycat.Directory()}};
  auto set = BuildKeySet(dirs);
  EXPECT_EQ(set->size(), 2u);  // expired + over21 of issuer.example
  EXPECT_EQ(set->Find(w.issuer.key(w.adult).public_key().KeyId()), nullptr);
}

TEST(VerifierTrustTest, RefresherKeepsTheLastGoodDirectory) {
  World& w = TheWorld();
  testing::DirectoryServer server;
  server.Serve(w.issuer);
  TrustEntry entry{"issuer.example", *net::ParseUrl(server.url() + "/"), w.issuer.SigningPublicKey()};
  entry.directory.target = kDirectoryPath;
  std::mutex mu;
  std::shared_ptr<const TrustedKeySet> published;
  int publishes = 0;
  DirectoryRefresher refresher({entry}, net::HttpClientOptions{}, [&](std::shared_ptr<const TrustedKeySet> keys) {
    std::lock_guard<std::mutex> lock(mu);
    published = std::move(keys);
    ++publishes;
  });
  ASSERT_EQ(refresher.RefreshOnce(), 1u);
  ASSERT_TRUE(published);
  EXPECT_EQ(published->size(), 3u);

  // A new directory with one more key, but mis-signed: ignored.
  IssuerFixture changed = w.issuer;
  changed.AddKey("verified_person", kNotBefore, kNotAfter, w.other.key(w.other_key));  // a key of its own
  const std::string body = changed.DirectoryBody();
  server.Set(body, w.other.DirectorySignature(body));
  EXPECT_EQ(refresher.RefreshOnce(), 1u);
  EXPECT_NE(refresher.LastErrors().find("signature"), std::string::npos) << refresher.LastErrors();
  EXPECT_EQ(published->size(), 3u);
  // Unsigned: ignored too.
  server.Set(body, "");
  EXPECT_EQ(refresher.RefreshOnce(), 1u);
  EXPECT_EQ(published->ForClaim("verified_person", kNow).size(), 0u);
  // Correctly signed: taken, in the background.
  server.Set(body, changed.DirectorySignature(body));
  refresher.Start(std::chrono::milliseconds(50));
  for (int i = 0; i < 200; ++i) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (published->ForClaim("verified_person", kNow).size() == 1) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  refresher.Stop();
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(published->ForClaim("verified_person", kNow).size(), 1u);
}

TEST(VerifierTrustTest, NothingPublishedWhenNoDirectoryEverVerified) {
  World& w = TheWorld();
  testing::DirectoryServer server;
  const std::string body = w.issuer.DirectoryBody();
  server.Set(body, w.other.DirectorySignature(body));
  TrustEntry entry{"issuer.example", *net::ParseUrl(server.url() + "/"), w.issuer.SigningPublicKey()};
  entry.directory.target = kDirectoryPath;
  bool published = false;
  DirectoryRefresher refresher({entry}, net::HttpClientOptions{},
                               [&](std::shared_ptr<const TrustedKeySet>) { published = true; });
  EXPECT_EQ(refresher.RefreshOnce(), 0u);
  EXPECT_FALSE(published);
}

}  // namespace
}  // namespace yesno::verifier
