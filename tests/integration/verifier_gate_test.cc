// verifier_gate_test.cc — the browser gate (server/verifier/gate.h,
// verifier_gate.cc, qr.h): VerifierService in process with an injected clock
// for the page, the session JSON, the one answer, the cookie that only the
// opening browser can collect, expiry, capacity and every refusal; then the
// real binaries: `yesno prove --session` with a 19-year-old's and a
// 16-year-old's wallet against a real yesno-issuer and yesno-verifier.
#include <sys/stat.h>

#include <filesystem>

#include "files.h"
#include "gate.h"
#include "qr.h"
#include "secrets.h"
#include "session_cookie.h"
#include "spent_store.h"
#include "testing/process.h"
#include "testing/test_util.h"
#include "verifier_service.h"
#include "verifier_testing.h"
#include "yesno/claims.h"
#include "yesno/directory.h"

namespace yesno::verifier {
namespace {

using server::Request;
using server::RequestLog;
using server::Response;
using server::http::field;
using server::http::status;
using server::http::verb;
using testing::IssuedToken;
using testing::IssuerFixture;
using testing::MakeRequest;
using Json = nlohmann::json;

constexpr char kOrigin[] = "https://shop.example";
constexpr char kPrefix[] = "/yesno";
constexpr char kClaim[] = "age_over_18";
constexpr int64_t kNow = 1767225600 + 10 * 86400;  // 2026-01-11
constexpr int64_t kLifetime = 300;

struct World {
  IssuerFixture issuer{"issuer.example", 7};
  std::size_t adult = 0, over21 = 0;
  World() {
    adult = issuer.AddKey(kClaim, kNow - 10 * 86400, kNow + 27 * 86400, testing::TestKey2048());
    over21 = issuer.AddKey("age_over_21", kNow - 10 * 86400, kNow + 27 * 86400, testing::OtherTestKey2048());
  }
};
World& TheWorld() {
  static World* w = new World();
  return *w;
}

Json BodyJson(const Response& res) { return Json::parse(res.body(), nullptr, false); }

// SessionLinkAfter finds `prefix` + "/gate/session/" + a 22-character id in
// `text` (no std::regex: GCC 12 warns inside it in the sanitizer build) and
// returns {link, id}, or empty strings.
std::pair<std::string, std::string> SessionLinkAfter(const std::string& text, const std::string& prefix) {
  const std::string marker = prefix + "/gate/session/";
  const auto pos = text.find(marker);
  if (pos == std::string::npos || pos + marker.size() + kGateIdChars > text.size()) return {};
  const std::string id = text.substr(pos + marker.size(), kGateIdChars);
  if (!IsGateId(id)) return {};
  return {marker + id, id};
}

// What a browser holds after opening the gate page.
struct Opened {
  std::string id;
  std::string session_url;
  std::string binding_cookie;  // "yesno_gate_<id>=<key>"
  std::string set_cookie;      // the whole Set-Cookie value
  std::string html;
};

class VerifierGateTest : public ::testing::Test {
 public:  // the refusal cases below call these from lambdas
  VerifierGateTest() { Reset(GateLimits{}); }

  void Reset(GateLimits limits, int session_minutes = 60, std::string prefix = kPrefix) {
    auto secrets = RandomSecrets(rng_);
    ASSERT_TRUE(secrets.ok());
    store_ = std::make_shared<MemorySpentStore>();
    service_ = std::make_unique<VerifierService>(
        VerifierOptions{kOrigin, session_minutes, std::move(*secrets), std::move(prefix), limits}, store_, clock_, rng_);
    service_->SetTrustedKeys(std::make_shared<const TrustedKeySet>(TheWorld().issuer.TrustedKeys()));
  }

  Response Call(const Request& req) {
    RequestLog log;
    Response res = service_->HandleRequest(req, log);
    last_log_ = log;
    return res;
  }
  Response Get(const std::string& target, const std::string& cookie = "") {
    Request req = MakeRequest(verb::get, target);
    if (!cookie.empty()) req.set(field::cookie, cookie);
    return Call(req);
  }
  Response Post(const std::string& target, const std::string& authorization = "") {
    Request req = MakeRequest(verb::post, target);
    if (!authorization.empty()) req.set(field::authorization, authorization);
    return Call(req);
  }

  // Decline POSTs /gate/session/ID/decline with {"yesno-vnonce": vnonce}.
  Response Decline(const std::string& id, const Bytes& vnonce) {
    return DeclineBody(id, Json({{"yesno-vnonce", Base64UrlEncode(vnonce)}}).dump(), "application/json");
  }
  Response DeclineBody(const std::string& id, const std::string& body, const std::string& content_type) {
    Request req = MakeRequest(verb::post, "/gate/session/" + id + "/decline");
    if (!content_type.empty()) req.set(field::content_type, content_type);
    req.body() = body;
    req.prepare_payload();
    return Call(req);
  }

  // Open GETs the gate page and reads the session id, URL and binding cookie.
  Opened Open(const std::string& query = "claim=age_over_18&return=/adult/") {
    Opened o;
    Response res = Get("/gate?" + query);
    EXPECT_EQ(res.result(), status::ok) << res.body();
    o.html = res.body();
    auto [link, id] = SessionLinkAfter(o.html, "yesno prove --session https://shop.example/yesno");
    if (id.empty()) {
      ADD_FAILURE() << "no session URL on the page:\n" << o.html;
      return o;
    }
    o.id = id;
    o.session_url = link.substr(std::string("yesno prove --session ").size());
    o.set_cookie = std::string(res[field::set_cookie]);
    o.binding_cookie = o.set_cookie.substr(0, o.set_cookie.find(';'));
    return o;
  }

  // SessionVnonce GETs the session (as the wallet does) and returns its vnonce.
  Bytes SessionVnonce(const std::string& id) {
    Response res = Get("/gate/session/" + id);
    EXPECT_EQ(res.result(), status::ok) << res.body();
    auto body = BodyJson(res);
    if (!body.is_object() || !body.contains("challenges") || body["challenges"].empty()) return {};
    auto v = Base64UrlDecode(body["challenges"][0]["yesno-vnonce"].get<std::string>());
    return v.ok() ? *v : Bytes{};
  }

  // Answer presents a fresh token of key `key` to session `id`, PoP for `origin`.
  Response Answer(const std::string& id, std::size_t key, const std::string& origin = kOrigin) {
    const Bytes vnonce = SessionVnonce(id);
    const IssuedToken t = TheWorld().issuer.Issue(key, rng_);
    return Post("/gate/session/" + id, testing::AuthorizationFor(t, origin, vnonce));
  }

  std::string State(const std::string& id) {
    Response res = Get("/gate/status/" + id);
    if (res.result() != status::ok) return "http " + std::to_string(res.result_int());
    return BodyJson(res).value("state", "?");
  }

  Response Auth(const std::string& cookie) {
    Request req = MakeRequest(verb::get, std::string("/auth/") + kClaim);
    req.set(field::cookie, cookie);
    return Call(req);
  }

  std::string Metrics() { return Get("/metrics").body(); }

  SystemRng rng_;
  FixedClock clock_{kNow};
  std::shared_ptr<SpentSet> store_;
  std::unique_ptr<VerifierService> service_;
  RequestLog last_log_;
};

// --- the page -------------------------------------------------------------------------

TEST_F(VerifierGateTest, PageShowsCommandQrAndPlainWordsWithoutExternalAssets) {
  Response res = Get("/gate?claim=age_over_18&return=/adult/");
  ASSERT_EQ(res.result(), status::ok);
  EXPECT_EQ(res[field::content_type], "text/html; charset=utf-8");
  EXPECT_EQ(res[field::cache_control], "no-store");
  EXPECT_EQ(res["X-Frame-Options"], "DENY");
  EXPECT_EQ(res["Referrer-Policy"], "no-referrer");
  const std::string csp(res["Content-Security-Policy"]);
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
  EXPECT_EQ(last_log_.route, "/gate");

  const std::string html = res.body();
  const auto [command, id] = SessionLinkAfter(html, "yesno prove --session https://shop.example/yesno");
  ASSERT_FALSE(id.empty()) << html;
  const std::string url = command.substr(std::string("yesno prove --session ").size());
  // The id is 16 random bytes.
  auto raw = Base64UrlDecode(id);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->size(), kGateIdBytes);
  // An inline SVG QR code, labelled.
  EXPECT_NE(html.find("<svg xmlns=\"http://www.w3.org/2000/svg\""), std::string::npos);
  EXPECT_NE(html.find("aria-label=\"QR code of the link for your wallet\""), std::string::npos);
  // Plain words: what is shared, and what is not.
  EXPECT_NE(html.find("<h1>Prove that you are over 18</h1>"), std::string::npos);
  EXPECT_NE(html.find("<strong>Only that you are over 18</strong>"), std::string::npos);
  EXPECT_NE(html.find("What it will not learn"), std::string::npos);
  EXPECT_NE(html.find("Your name, your birth date or your exact age"), std::string::npos);
  EXPECT_NE(html.find("role=\"status\" aria-live=\"polite\""), std::string::npos);
  EXPECT_NE(html.find("<html lang=\"en\">"), std::string::npos);
  // No external assets: no src, no stylesheet links, no url(), no other origin.
  for (const char* bad : {" src=", "<link", "@import", "url(", "<iframe", "<img", "href=\"http", "href=\"//"}) {
    EXPECT_EQ(html.find(bad), std::string::npos) << bad;
  }
  // The only absolute URLs are the session link and the SVG namespace.
  for (auto pos = html.find("http"); pos != std::string::npos; pos = html.find("http", pos + 1)) {
    if (html.compare(pos, 7, "http://") != 0 && html.compare(pos, 8, "https://") != 0) continue;
    const std::string u = html.substr(pos, html.find_first_of("\"< \n\t", pos) - pos);
    EXPECT_TRUE(u == url || u == "http://www.w3.org/2000/svg") << u;
  }
  // The inline style and script carry the CSP nonce.
  const std::string nonce = csp.substr(csp.find("'nonce-") + 7, 22);
  EXPECT_NE(html.find("<script nonce=\"" + nonce + "\">"), std::string::npos);
  EXPECT_NE(html.find("<style nonce=\"" + nonce + "\">"), std::string::npos);
  // Status and done links are same-origin paths under the prefix.
  EXPECT_NE(html.find("data-status=\"/yesno/gate/status/" + id + "\""), std::string::npos);
  EXPECT_NE(html.find("data-done=\"/yesno/gate/done/" + id + "\""), std::string::npos);
  // The page the visitor asked for: where the page goes once the done URL,
  // fetched, has set the cookie (one navigation instead of two).
  EXPECT_NE(html.find("data-return=\"/adult/\""), std::string::npos);

  // The binding cookie: random, only for this session's done URL, not for scripts or other sites.
  const std::string set_cookie(res[field::set_cookie]);
  const std::string prefix = std::string(kGateCookiePrefix) + id + "=";
  ASSERT_EQ(set_cookie.rfind(prefix, 0), 0u) << set_cookie;
  auto key = Base64UrlDecode(set_cookie.substr(prefix.size(), set_cookie.find(';') - prefix.size()));
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->size(), kGateBrowserKeyBytes);
  EXPECT_NE(set_cookie.find("; Max-Age=300; Path=/yesno/gate/done/" + id + "; HttpOnly; SameSite=Strict; Secure"),
            std::string::npos)
      << set_cookie;
  // The key appears nowhere on the page.
  EXPECT_EQ(html.find(Base64UrlEncode(*key, false)), std::string::npos);

  // Two pages, two sessions.
  Opened other = Open();
  EXPECT_NE(other.id, id);
  EXPECT_NE(other.binding_cookie, prefix + Base64UrlEncode(*key, false));
}

TEST_F(VerifierGateTest, SessionJsonHandsOutChallengesForTheSessionClaim) {
  Opened o = Open();
  Response res = Get("/gate/session/" + o.id);
  ASSERT_EQ(res.result(), status::ok);
  EXPECT_EQ(res[field::content_type], "application/json");
  EXPECT_EQ(res.count(field::set_cookie), 0u);
  EXPECT_EQ(last_log_.route, "/gate/session/{id}");
  auto body = BodyJson(res);
  EXPECT_EQ(body["claim"], kClaim);
  EXPECT_EQ(body["expires_at"], kNow + kLifetime);
  ASSERT_EQ(body["challenges"].size(), 1u);  // only the age_over_18 key
  EXPECT_EQ(body["challenges"][0]["issuer"], "issuer.example");
  EXPECT_EQ(body["challenges"][0]["token-key-id"], HexEncode(TheWorld().issuer.key(TheWorld().adult).public_key().KeyId()));
  // Each GET hands out a fresh vnonce.
  EXPECT_NE(Get("/gate/session/" + o.id).body(), res.body());

  res = Get("/gate/status/" + o.id);
  ASSERT_EQ(res.result(), status::ok);
  EXPECT_EQ(BodyJson(res), Json({{"state", "pending"}, {"expires_at", kNow + kLifetime}}));
  EXPECT_EQ(last_log_.route, "/gate/status/{id}");
}

// --- the one answer and the cookie ---------------------------------------------------------

TEST_F(VerifierGateTest, YesThenOnlyTheOpeningBrowserCollectsTheCookieOnce) {
  Opened o = Open("claim=age_over_18&return=/adult/?page=2&sort=new");
  ASSERT_FALSE(o.id.empty());
  // Before the answer, done shows the page again (the no-JavaScript path).
  Response res = Get("/gate/done/" + o.id, o.binding_cookie);
  EXPECT_EQ(res.result(), status::ok);
  EXPECT_NE(res.body().find("yesno prove --session " + o.session_url), std::string::npos);
  EXPECT_EQ(res.count(field::set_cookie), 0u);

  res = Answer(o.id, TheWorld().adult);
  ASSERT_EQ(res.result(), status::ok) << res.body();
  EXPECT_EQ(BodyJson(res), Json({{"answer", "yes"}, {"claim", kClaim}, {"issuer", "issuer.example"}}));
  EXPECT_EQ(res.count(field::set_cookie), 0u) << "the wallet is not the browser: it gets no cookie";
  EXPECT_EQ(State(o.id), "satisfied");

  // Someone who knows only the session URL (the phone, a shoulder surfer)
  // cannot collect the cookie: no binding cookie, another session's, or a forged one.
  res = Get("/gate/done/" + o.id);
  EXPECT_EQ(res.result(), status::forbidden);
  EXPECT_EQ(last_log_.reason, "wrong_browser");
  EXPECT_EQ(res.count(field::set_cookie), 0u);
  Opened stranger = Open();
  res = Get("/gate/done/" + o.id, stranger.binding_cookie);
  EXPECT_EQ(res.result(), status::forbidden);
  const std::string value = o.binding_cookie.substr(o.binding_cookie.find('=') + 1);
  res = Get("/gate/done/" + o.id, std::string(kGateCookiePrefix) + o.id + "=" + stranger.binding_cookie.substr(
                                      stranger.binding_cookie.find('=') + 1));
  EXPECT_EQ(res.result(), status::forbidden);
  std::string forged = value;
  forged[0] = forged[0] == 'A' ? 'B' : 'A';
  res = Get("/gate/done/" + o.id, std::string(kGateCookiePrefix) + o.id + "=" + forged);
  EXPECT_EQ(res.result(), status::forbidden);
  EXPECT_EQ(State(o.id), "satisfied") << "failed attempts leave the session for its browser";

  // HEAD never collects.
  res = Call([&] {
    Request req = MakeRequest(verb::head, "/gate/done/" + o.id);
    req.set(field::cookie, o.binding_cookie);
    return req;
  }());
  EXPECT_EQ(res.result(), status::method_not_allowed);
  EXPECT_EQ(State(o.id), "satisfied");

  // The opening browser: 303 back to the page, the site's session cookie, the binding cookie cleared.
  res = Get("/gate/done/" + o.id, "other=1; " + o.binding_cookie);
  ASSERT_EQ(res.result(), status::see_other) << res.body();
  EXPECT_EQ(res[field::location], "/adult/?page=2&sort=new");
  EXPECT_EQ(res[field::cache_control], "no-store");
  EXPECT_EQ(last_log_.route, "/gate/done/{id}");
  EXPECT_EQ(last_log_.reason, "collected");
  std::vector<std::string> cookies;
  for (auto [it, end] = res.equal_range(field::set_cookie); it != end; ++it) cookies.emplace_back(it->value());
  ASSERT_EQ(cookies.size(), 2u);
  EXPECT_EQ(cookies[0].rfind("yesno_age_over_18=", 0), 0u) << cookies[0];
  EXPECT_NE(cookies[0].find("; Path=/; HttpOnly; SameSite=Lax; Secure"), std::string::npos) << cookies[0];
  EXPECT_EQ(cookies[1], std::string(kGateCookiePrefix) + o.id + "=; Max-Age=0; Path=/yesno/gate/done/" + o.id +
                            "; HttpOnly; SameSite=Strict; Secure");
  const std::string session_cookie = cookies[0].substr(0, cookies[0].find(';'));
  EXPECT_EQ(Auth(session_cookie).result(), status::no_content);
  EXPECT_EQ(State(o.id), "used");

  // Once: the same browser again gets 410, and a second wallet answer is refused.
  res = Get("/gate/done/" + o.id, o.binding_cookie);
  EXPECT_EQ(res.result(), status::gone);
  EXPECT_EQ(res.count(field::set_cookie), 0u);
  EXPECT_NE(res.body().find("already used"), std::string::npos);
  res = Post("/gate/session/" + o.id, testing::AuthorizationFor(TheWorld().issuer.Issue(TheWorld().adult, rng_),
                                                                  kOrigin, Bytes(32, 1)));
  EXPECT_EQ(res.result(), status::conflict);
  EXPECT_EQ(BodyJson(res), Json({{"error", "session_closed"}}));
  res = Get("/gate/session/" + o.id);
  EXPECT_EQ(res.result(), status::conflict);
  res = Post("/gate/session/" + o.id + "/decline");
  EXPECT_EQ(res.result(), status::conflict);
  EXPECT_EQ(State(o.id), "used");

  const std::string metrics = Metrics();
  EXPECT_NE(metrics.find("yesno_verifier_gate_sessions_total{event=\"satisfied\"} 1"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("yesno_verifier_gate_sessions_total{event=\"collected\"} 1"), std::string::npos) << metrics;
}

TEST_F(VerifierGateTest, ASecondAnswerCannotOverwriteTheFirst) {
  Opened o = Open();
  const Bytes v1 = SessionVnonce(o.id);
  const Bytes v2 = SessionVnonce(o.id);
  const IssuedToken a = TheWorld().issuer.Issue(TheWorld().adult, rng_);
  const IssuedToken b = TheWorld().issuer.Issue(TheWorld().adult, rng_);
  Response res = Post("/gate/session/" + o.id, testing::AuthorizationFor(a, kOrigin, v1));
  ASSERT_EQ(res.result(), status::ok);
  EXPECT_EQ(BodyJson(res)["answer"], "yes");
  res = Post("/gate/session/" + o.id, testing::AuthorizationFor(b, kOrigin, v2));
  EXPECT_EQ(res.result(), status::conflict);
  // A refusal after the yes cannot undo it either.
  res = Post("/gate/session/" + o.id + "/decline");
  EXPECT_EQ(res.result(), status::conflict);
  EXPECT_EQ(State(o.id), "satisfied");
  // And the unused second token was not spent by the refused attempt.
  Response challenge = Get("/challenge?claim=age_over_18");
  auto parsed = ParseWwwAuthenticate(std::string(challenge[field::www_authenticate]));
  ASSERT_TRUE(parsed.ok());
  res = Post("/verify?claim=age_over_18", testing::AuthorizationFor(b, kOrigin, (*parsed)[0].yesno_vnonce));
  EXPECT_EQ(BodyJson(res)["answer"], "yes") << res.body();
}

TEST_F(VerifierGateTest, StrayOrGarbledPostsDoNotCloseTheSession) {
  Opened o = Open();
  Response res = Post("/gate/session/" + o.id);
  EXPECT_EQ(res.result(), status::bad_request);
  EXPECT_EQ(BodyJson(res), Json({{"answer", "no"}, {"reason", "malformed"}}));
  res = Post("/gate/session/" + o.id, "Bearer abc");
  EXPECT_EQ(res.result(), status::bad_request);
  res = Post("/gate/session/" + o.id, "PrivateToken token=nope");
  EXPECT_EQ(BodyJson(res)["answer"], "no") << res.body();
  // A presentation made for /challenge (not one of this session's vnonces).
  Response challenge = Get("/challenge?claim=age_over_18");
  auto parsed = ParseWwwAuthenticate(std::string(challenge[field::www_authenticate]));
  ASSERT_TRUE(parsed.ok());
  const IssuedToken t = TheWorld().issuer.Issue(TheWorld().adult, rng_);
  res = Post("/gate/session/" + o.id, testing::AuthorizationFor(t, kOrigin, (*parsed)[0].yesno_vnonce));
  EXPECT_EQ(BodyJson(res), Json({{"answer", "no"}, {"reason", "stale_nonce"}}));
  // A vnonce of another session.
  Opened other = Open();
  const Bytes foreign = SessionVnonce(other.id);
  res = Post("/gate/session/" + o.id, testing::AuthorizationFor(t, kOrigin, foreign));
  EXPECT_EQ(BodyJson(res), Json({{"answer", "no"}, {"reason", "stale_nonce"}}));
  EXPECT_EQ(State(o.id), "pending");
  EXPECT_EQ(State(other.id), "pending");
  // The real answer still works, with the token that was shown around (never accepted).
  const Bytes mine = SessionVnonce(o.id);
  res = Post("/gate/session/" + o.id, testing::AuthorizationFor(t, kOrigin, mine));
  EXPECT_EQ(BodyJson(res)["answer"], "yes") << res.body();
  EXPECT_EQ(State(o.id), "satisfied");
  EXPECT_EQ(State(other.id), "pending");
}

TEST_F(VerifierGateTest, DeclineNeedsOneOfTheSessionsChallenges) {
  Opened o = Open();
  const Bytes mine = SessionVnonce(o.id);
  // Without a vnonce, or with a body of the wrong shape: 400, the session stays open.
  const std::vector<std::pair<std::string, std::string>> malformed = {
      {"", ""},
      {"", "application/json"},
      {"{}", "application/json"},
      {"[]", "application/json"},
      {"{\"yesno-vnonce\":", "application/json"},
      {"{\"yesno-vnonce\":7}", "application/json"},
      {"{\"yesno-vnonce\":\"***\"}", "application/json"},
      {"{\"yesno-vnonce\":\"\"}", "application/json"},
      {Json({{"yesno-vnonce", Base64UrlEncode(mine)}, {"x", 1}}).dump(), "application/json"},
      {Json({{"yesno-vnonce", Base64UrlEncode(mine)}}).dump(), "text/plain"},
      {"yesno-vnonce=" + Base64UrlEncode(mine), "application/x-www-form-urlencoded"},
      {Json({{"yesno-vnonce", Base64UrlEncode(mine)}}).dump() + std::string(kMaxDeclineBodyBytes, ' '),
       "application/json"},  // too large
  };
  for (const auto& [body, type] : malformed) {
    SCOPED_TRACE(body.substr(0, 60) + " as " + type);
    Response res = DeclineBody(o.id, body, type);
    EXPECT_EQ(res.result(), status::bad_request);
    EXPECT_EQ(BodyJson(res), Json({{"error", "malformed"}}));
    EXPECT_EQ(State(o.id), "pending");
  }
  // A vnonce from /challenge or from another session: 403, the session stays open.
  Response challenge = Get("/challenge?claim=age_over_18");
  auto parsed = ParseWwwAuthenticate(std::string(challenge[field::www_authenticate]));
  ASSERT_TRUE(parsed.ok());
  Response res = Decline(o.id, (*parsed)[0].yesno_vnonce);
  EXPECT_EQ(res.result(), status::forbidden);
  EXPECT_EQ(BodyJson(res), Json({{"error", "stale_nonce"}}));
  Opened other = Open();
  res = Decline(o.id, SessionVnonce(other.id));
  EXPECT_EQ(res.result(), status::forbidden);
  EXPECT_EQ(State(o.id), "pending");
  EXPECT_EQ(State(other.id), "pending");
  // The session's own challenge (padded or not) declines it, once.
  res = DeclineBody(o.id, Json({{"yesno-vnonce", Base64UrlEncode(mine, /*padding=*/false)}}).dump(),
                    "application/json; charset=utf-8");
  ASSERT_EQ(res.result(), status::ok) << res.body();
  EXPECT_EQ(BodyJson(res), Json({{"answer", "no"}, {"reason", "declined"}}));
  EXPECT_EQ(State(o.id), "refused");
  EXPECT_EQ(Decline(o.id, mine).result(), status::conflict);
}

TEST_F(VerifierGateTest, ChallengesPastTheCapAreRefusedNotEvicted) {
  Opened o = Open();
  const Bytes wallets = SessionVnonce(o.id);
  // Somebody else who saw the link fetches challenges until the cap.
  for (std::size_t i = 1; i < kGateVnoncesKept; ++i) EXPECT_FALSE(SessionVnonce(o.id).empty());
  Response res = Get("/gate/session/" + o.id);
  EXPECT_EQ(res.result(), status::too_many_requests);
  EXPECT_EQ(BodyJson(res), Json({{"error", "too_many_challenges"}}));
  EXPECT_EQ(last_log_.reason, "too_many_challenges");
  EXPECT_EQ(State(o.id), "pending");
  // The wallet's first challenge is still honoured.
  const IssuedToken t = TheWorld().issuer.Issue(TheWorld().adult, rng_);
  res = Post("/gate/session/" + o.id, testing::AuthorizationFor(t, kOrigin, wallets));
  EXPECT_EQ(BodyJson(res)["answer"], "yes") << res.body();
  // The store itself never evicts a vnonce.
  GateStore store(GateLimits{});
  GateSession s;
  s.id = "AAAAAAAAAAAAAAAAAAAAAA";
  store.Open(s, 1000);
  for (std::size_t i = 0; i < kGateVnoncesKept; ++i) {
    EXPECT_EQ(store.AddVnonce(s.id, Bytes(32, static_cast<uint8_t>(i)), 1000), GateStore::AddVnonceResult::kAdded);
  }
  EXPECT_EQ(store.AddVnonce(s.id, Bytes(32, 99), 1000), GateStore::AddVnonceResult::kFull);
  EXPECT_EQ(store.Find(s.id, 1000)->vnonces.front(), Bytes(32, 0));
  EXPECT_EQ(store.AddVnonce("BBBBBBBBBBBBBBBBBBBBBB", Bytes(32, 1), 1000), GateStore::AddVnonceResult::kNotPending);
}

// --- refusals ---------------------------------------------------------------------------

TEST_F(VerifierGateTest, RefusalsAreShownAndFinal) {
  struct Case {
    const char* name;
    std::function<Response(VerifierGateTest&, const std::string&)> answer;
    const char* reason;
    const char* words;  // part of what the page says
  };
  const std::vector<Case> cases = {
      {"declined", [](VerifierGateTest& t, const std::string& id) { return t.Decline(id, t.SessionVnonce(id)); },
       "declined", "Your wallet answered no: it holds no proof that you are over 18. Nothing else was shared."},
      {"wrong claim", [](VerifierGateTest& t, const std::string& id) { return t.Answer(id, TheWorld().over21); },
       "wrong_claim", "Your wallet proved something other than that you are over 18."},
      {"other origin",
       [](VerifierGateTest& t, const std::string& id) { return t.Answer(id, TheWorld().adult, "https://evil.example"); },
       "bad_pop", "made for another website"},
      {"replayed",
       [](VerifierGateTest& t, const std::string& id) {
         const IssuedToken tok = TheWorld().issuer.Issue(TheWorld().adult, t.rng_);
         Opened first = t.Open();
         const Bytes v1 = t.SessionVnonce(first.id);
         EXPECT_EQ(BodyJson(t.Post("/gate/session/" + first.id, testing::AuthorizationFor(tok, kOrigin, v1)))["answer"],
                   "yes");
         const Bytes v2 = t.SessionVnonce(id);
         return t.Post("/gate/session/" + id, testing::AuthorizationFor(tok, kOrigin, v2));
       },
       "replayed", "had been used before"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Opened o = Open();
    Response res = c.answer(*this, o.id);
    ASSERT_EQ(res.result(), status::ok) << res.body();
    EXPECT_EQ(BodyJson(res)["answer"], "no");
    EXPECT_EQ(BodyJson(res)["reason"], c.reason);
    EXPECT_EQ(res.count(field::set_cookie), 0u);
    res = Get("/gate/status/" + o.id);
    auto body = BodyJson(res);
    EXPECT_EQ(body["state"], "refused");
    EXPECT_EQ(body["reason"], c.reason);
    EXPECT_NE(body.value("message", "").find(c.words), std::string::npos) << body.dump();
    // The browser sees the refusal, gets no cookie, and is offered a fresh start.
    res = Get("/gate/done/" + o.id, o.binding_cookie);
    EXPECT_EQ(res.result(), status::forbidden);
    EXPECT_EQ(res.count(field::set_cookie), 0u);
    EXPECT_NE(res.body().find("<h1>Not proved</h1>"), std::string::npos) << res.body();
    EXPECT_NE(res.body().find(HtmlEscape(c.words)), std::string::npos) << res.body();
    EXPECT_NE(res.body().find("href=\"/yesno/gate?claim=age_over_18&amp;return=%2Fadult%2F\""), std::string::npos)
        << res.body();
    // Refused is final: a good answer afterwards changes nothing.
    res = Post("/gate/session/" + o.id, testing::AuthorizationFor(TheWorld().issuer.Issue(TheWorld().adult, rng_),
                                                                    kOrigin, Bytes(32, 1)));
    EXPECT_EQ(res.result(), status::conflict);
    EXPECT_EQ(State(o.id), "refused");
  }
}

TEST_F(VerifierGateTest, SpentStoreDownLeavesTheSessionOpen) {
  class Down final : public SpentSet {
   public:
    Result<bool> CheckAndInsert(ByteView, ByteView, int64_t) override {
      return MakeError(ErrorCode::kUnavailable, "down");
    }
  };
  auto secrets = RandomSecrets(rng_);
  ASSERT_TRUE(secrets.ok());
  service_ = std::make_unique<VerifierService>(VerifierOptions{kOrigin, 60, std::move(*secrets), kPrefix, GateLimits{}},
                                               std::make_shared<Down>(), clock_, rng_);
  service_->SetTrustedKeys(std::make_shared<const TrustedKeySet>(TheWorld().issuer.TrustedKeys()));
  Opened o = Open();
  Response res = Answer(o.id, TheWorld().adult);
  EXPECT_EQ(res.result(), status::service_unavailable);
  EXPECT_EQ(BodyJson(res), Json({{"answer", "no"}, {"reason", "unavailable"}}));
  EXPECT_EQ(State(o.id), "pending");
}

// --- expiry, unknown ids, capacity ---------------------------------------------------------------

TEST_F(VerifierGateTest, SessionsExpire) {
  Opened unanswered = Open();
  Opened uncollected = Open();
  ASSERT_EQ(BodyJson(Answer(uncollected.id, TheWorld().adult))["answer"], "yes");
  const Bytes vnonce = SessionVnonce(unanswered.id);
  clock_.Advance(kLifetime - 1);
  EXPECT_EQ(State(unanswered.id), "pending");
  clock_.Advance(1);
  EXPECT_EQ(State(unanswered.id), "expired");
  EXPECT_EQ(State(uncollected.id), "expired");
  Response res = Get("/gate/session/" + unanswered.id);
  EXPECT_EQ(res.result(), status::gone);
  EXPECT_EQ(BodyJson(res), Json({{"error", "session_expired"}}));
  const IssuedToken t = TheWorld().issuer.Issue(TheWorld().adult, rng_);
  res = Post("/gate/session/" + unanswered.id, testing::AuthorizationFor(t, kOrigin, vnonce));
  EXPECT_EQ(res.result(), status::gone);
  res = Post("/gate/session/" + unanswered.id + "/decline");
  EXPECT_EQ(res.result(), status::gone);
  // A yes that was not collected in time is lost.
  res = Get("/gate/done/" + uncollected.id, uncollected.binding_cookie);
  EXPECT_EQ(res.result(), status::gone);
  EXPECT_EQ(res.count(field::set_cookie), 0u);
  EXPECT_NE(res.body().find("This request has expired"), std::string::npos);
  // After one more lifetime the sessions are forgotten: 404.
  clock_.Advance(kLifetime);
  Open();  // purging happens when sessions are opened
  EXPECT_EQ(State(unanswered.id), "http 404");
  res = Get("/gate/done/" + uncollected.id, uncollected.binding_cookie);
  EXPECT_EQ(res.result(), status::not_found);
}

TEST_F(VerifierGateTest, UnknownAndMalformedIdsAndMethods) {
  const std::string unknown = Base64UrlEncode(Bytes(kGateIdBytes, 7), false);
  for (const std::string& target : {"/gate/session/" + unknown, "/gate/status/" + unknown}) {
    Response res = Get(target);
    EXPECT_EQ(res.result(), status::not_found) << target;
    EXPECT_EQ(BodyJson(res), Json({{"error", "unknown_session"}}));
  }
  Response res = Post("/gate/session/" + unknown, "PrivateToken token=x");
  EXPECT_EQ(res.result(), status::not_found);
  res = Post("/gate/session/" + unknown + "/decline");
  EXPECT_EQ(res.result(), status::not_found);
  res = Get("/gate/done/" + unknown);
  EXPECT_EQ(res.result(), status::not_found);
  EXPECT_EQ(res[field::content_type], "text/html; charset=utf-8");
  // Wrong shapes are not routes at all; the log never carries the target.
  for (const std::string& target : std::vector<std::string>{"/gate/session/short", "/gate/session/" + unknown + "x", "/gate/status/../../x",
                                   "/gate/done/" + unknown.substr(0, 21) + "!", "/gate/", "/gate/session/"}) {
    res = Get(target);
    EXPECT_EQ(res.result(), status::not_found) << target;
    EXPECT_EQ(last_log_.route, "(unknown)") << target;
  }
  Opened o = Open();
  res = Call(MakeRequest(verb::put, "/gate/session/" + o.id));
  EXPECT_EQ(res.result(), status::method_not_allowed);
  EXPECT_EQ(last_log_.route, "/gate/session/{id}");
  res = Post("/gate/status/" + o.id);
  EXPECT_EQ(res.result(), status::method_not_allowed);
  res = Get("/gate/session/" + o.id + "/decline");
  EXPECT_EQ(res.result(), status::method_not_allowed);
  res = Post("/gate?claim=age_over_18");
  EXPECT_EQ(res.result(), status::method_not_allowed);
  res = Call(MakeRequest(verb::head, "/gate?claim=age_over_18"));
  EXPECT_EQ(res.result(), status::method_not_allowed) << "HEAD opens no session";
  EXPECT_EQ(State(o.id), "pending");
}

TEST_F(VerifierGateTest, CapacityEvictsTheOldestSession) {
  Reset(GateLimits{3, kLifetime});
  std::vector<Opened> opened;
  for (int i = 0; i < 5; ++i) opened.push_back(Open());
  EXPECT_EQ(State(opened[0].id), "http 404");
  EXPECT_EQ(State(opened[1].id), "http 404");
  for (int i = 2; i < 5; ++i) EXPECT_EQ(State(opened[static_cast<std::size_t>(i)].id), "pending");
  // The evicted session's browser learns it is gone; the wallet too.
  EXPECT_EQ(Get("/gate/done/" + opened[0].id, opened[0].binding_cookie).result(), status::not_found);
  EXPECT_EQ(Get("/gate/session/" + opened[0].id).result(), status::not_found);
  const std::string metrics = Metrics();
  EXPECT_NE(metrics.find("yesno_verifier_gate_sessions 3"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("yesno_verifier_gate_sessions_total{event=\"evicted\"} 2"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("yesno_verifier_gate_sessions_total{event=\"opened\"} 5"), std::string::npos) << metrics;
  // A survivor still works end to end.
  ASSERT_EQ(BodyJson(Answer(opened[4].id, TheWorld().adult))["answer"], "yes");
  EXPECT_EQ(Get("/gate/done/" + opened[4].id, opened[4].binding_cookie).result(), status::see_other);
}

// --- the page's inputs ------------------------------------------------------------------

TEST_F(VerifierGateTest, ReturnPathMustStayOnTheSite) {
  const std::vector<std::string> bad = {
      "//evil.example/",
      "//evil.example",
      "/\\evil.example",
      "\\\\evil.example",
      "https://evil.example/",
      "http:evil.example",
      "javascript:alert(1)",
      "evil.example/x",
      "",
      "%2F%2Fevil.example",
      "%2f%2Fevil.example",
      "%2F%5Cevil.example",
      "%2F%09%2Fevil.example",  // browsers drop tabs: "/\t/evil" would become "//evil"
      "%2Fa%0D%0ASet-Cookie:%20x=1",
      "%2Fa%00b",
      "%2F%ZZ",
      "%2F%",
      "/a b",
      "/\t/evil.example",
      "/caf\xc3\xa9",
      "/" + std::string(kMaxReturnPathBytes, 'a'),
  };
  for (const std::string& r : bad) {
    SCOPED_TRACE("return=" + r);
    Response res = Get("/gate?claim=age_over_18&return=" + r);
    EXPECT_EQ(res.result(), status::bad_request);
    EXPECT_EQ(last_log_.reason, "bad_return");
    EXPECT_EQ(res.count(field::set_cookie), 0u);
    EXPECT_EQ(res.count(field::location), 0u);
    EXPECT_EQ(res.body().find("/gate/session/"), std::string::npos);
  }
  EXPECT_EQ(Metrics().find("gate_sessions_total{event=\"opened\"}"), std::string::npos) << "no session was opened";

  // Good ones come back exactly (percent-encoded once is decoded once).
  const std::vector<std::pair<std::string, std::string>> good = {
      {"/adult/", "/adult/"},
      {"/adult/?a=1&b=2", "/adult/?a=1&b=2"},
      {"/a/%2F%2Fb", "/a/%2F%2Fb"},
      {"%2Fadult%2F%3Fa%3D1%26b%3D2", "/adult/?a=1&b=2"},
      {"/.//x", "/.//x"},
      {"/", "/"},
  };
  for (const auto& [param, want] : good) {
    SCOPED_TRACE("return=" + param);
    Opened o = Open("claim=age_over_18&return=" + param);
    ASSERT_EQ(BodyJson(Answer(o.id, TheWorld().adult))["answer"], "yes");
    Response res = Get("/gate/done/" + o.id, o.binding_cookie);
    ASSERT_EQ(res.result(), status::see_other);
    EXPECT_EQ(res[field::location], want);
  }
  // No return at all: the site's root.
  Opened o = Open("claim=age_over_18");
  ASSERT_EQ(BodyJson(Answer(o.id, TheWorld().adult))["answer"], "yes");
  EXPECT_EQ(Get("/gate/done/" + o.id, o.binding_cookie)[field::location], "/");
}

TEST_F(VerifierGateTest, EverythingOnThePageIsEscaped) {
  // A return path may hold characters that mean something in HTML; the page
  // prints it only percent-encoded (in the "start again" link).
  Opened o = Open("claim=age_over_18&return=/a\"><script>alert(1)</script>'&x=<b>");
  ASSERT_FALSE(o.id.empty());
  EXPECT_EQ(o.html.find("<script>alert"), std::string::npos);
  EXPECT_EQ(o.html.find("<b>"), std::string::npos);
  EXPECT_NE(o.html.find("return=%2Fa%22%3E%3Cscript%3Ealert%281%29%3C%2Fscript%3E%27%26x%3D%3Cb%3E"), std::string::npos)
      << o.html;
  ASSERT_EQ(BodyJson(Decline(o.id, SessionVnonce(o.id)))["answer"], "no");
  Response res = Get("/gate/done/" + o.id, o.binding_cookie);
  EXPECT_EQ(res.body().find("<script>alert"), std::string::npos);
  // And the helpers.
  EXPECT_EQ(HtmlEscape("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  EXPECT_EQ(PercentEncode("/a b?c=d&e"), "%2Fa%20b%3Fc%3Dd%26e");
  EXPECT_EQ(ClaimPhrase("age_over_21"), "over 21");
  EXPECT_EQ(ClaimPhrase("verified_person"), "\u201cverified_person\u201d");
}

TEST_F(VerifierGateTest, BadClaimUnknownClaimAndDisabledGate) {
  Response res = Get("/gate?claim=Age%20Over&return=/");
  EXPECT_EQ(res.result(), status::bad_request);
  EXPECT_EQ(last_log_.reason, "bad_claim");
  res = Get("/gate?return=/");
  EXPECT_EQ(res.result(), status::bad_request);
  res = Get("/gate?claim=age_over_65&return=/");
  EXPECT_EQ(res.result(), status::not_found);
  EXPECT_EQ(last_log_.reason, "unknown_claim");
  EXPECT_NE(res.body().find("over 65"), std::string::npos);
  EXPECT_EQ(res.count(field::set_cookie), 0u);
  // Another claim the issuer vouches for gets its own words.
  Opened o = Open("claim=age_over_21&return=/wine/");
  EXPECT_NE(o.html.find("<strong>Only that you are over 21</strong>"), std::string::npos);
  EXPECT_EQ(BodyJson(Get("/gate/session/" + o.id))["claim"], "age_over_21");
  // Without session cookies there is nothing for a gate to hand out.
  Reset(GateLimits{}, /*session_minutes=*/0);
  res = Get("/gate?claim=age_over_18&return=/");
  EXPECT_EQ(res.result(), status::not_found);
  EXPECT_EQ(last_log_.reason, "gate_disabled");
}

TEST_F(VerifierGateTest, WithoutAPrefixAndOverPlainHttp) {
  auto secrets = RandomSecrets(rng_);
  ASSERT_TRUE(secrets.ok());
  service_ = std::make_unique<VerifierService>(
      VerifierOptions{"http://127.0.0.1:8081", 60, std::move(*secrets), "", GateLimits{}}, store_, clock_, rng_);
  service_->SetTrustedKeys(std::make_shared<const TrustedKeySet>(TheWorld().issuer.TrustedKeys()));
  Response res = Get("/gate?claim=age_over_18&return=/adult/");
  ASSERT_EQ(res.result(), status::ok);
  const auto [link, id] = SessionLinkAfter(res.body(), "yesno prove --session http://127.0.0.1:8081");
  ASSERT_FALSE(id.empty()) << res.body();
  const std::string set_cookie(res[field::set_cookie]);
  EXPECT_NE(set_cookie.find("; Path=/gate/done/" + id + "; HttpOnly; SameSite=Strict"), std::string::npos);
  EXPECT_EQ(set_cookie.find("Secure"), std::string::npos);
}

// --- helpers and the QR code ------------------------------------------------------------

TEST(GateHelpersTest, ChecksAndReturnParameter) {
  EXPECT_TRUE(IsGateId("AAAAAAAAAAAAAAAAAAAA-_"));
  EXPECT_FALSE(IsGateId("AAAAAAAAAAAAAAAAAAAA-="));
  EXPECT_FALSE(IsGateId("AAAAAAAAAAAAAAAAAAAAA"));
  EXPECT_EQ(GateReturnParam("/gate?claim=x&return=/a/?b=1&c=2"), "/a/?b=1&c=2");
  EXPECT_EQ(GateReturnParam("/gate?return=%2Fa%3Fb"), "/a?b");
  EXPECT_EQ(GateReturnParam("/gate?return=%2Fa+b%2Bc"), "/a+b+c");  // a path keeps its '+'
  EXPECT_EQ(GateReturnParam("/gate?claim=x&noreturn=/a"), std::nullopt);
  EXPECT_EQ(GateReturnParam("/gate?claim=x"), std::nullopt);
  EXPECT_EQ(GateReturnParam("/gate"), std::nullopt);
  EXPECT_TRUE(IsValidPublicPrefix(""));
  EXPECT_TRUE(IsValidPublicPrefix("/yesno"));
  EXPECT_TRUE(IsValidPublicPrefix("/a/b-c.d_e~f"));
  for (const char* bad : {"yesno", "/yesno/", "//yesno", "/a//b", "/a b", "/a?b", "/a\"b", "/<x>"}) {
    EXPECT_FALSE(IsValidPublicPrefix(bad)) << bad;
  }
  EXPECT_FALSE(IsValidPublicPrefix("/" + std::string(kMaxPublicPrefixBytes, 'a')));
}

TEST(GateStoreTest, OneAnswerOneCollection) {
  GateStore store(GateLimits{2, 100});
  GateSession s;
  s.id = "AAAAAAAAAAAAAAAAAAAAAA";
  s.claim = kClaim;
  EXPECT_EQ(store.Open(s, 1000), 0u);
  EXPECT_FALSE(store.Collect(s.id, 1001)) << "pending cannot be collected";
  GateSession copy;
  EXPECT_EQ(store.BeginAnswer(s.id, 1001, copy), GateStore::Claim::kOk);
  EXPECT_EQ(store.Find(s.id, 1001)->state, GateState::kVerifying);
  EXPECT_EQ(GateStateName(GateState::kVerifying), "pending");
  EXPECT_EQ(store.BeginAnswer(s.id, 1001, copy), GateStore::Claim::kClosed) << "only one answer at a time";
  store.AbandonAnswer(s.id);
  EXPECT_EQ(store.BeginAnswer(s.id, 1001, copy), GateStore::Claim::kOk);
  store.FinishAnswer(s.id, true, "");
  store.FinishAnswer(s.id, false, "declined");  // ignored: not verifying
  EXPECT_EQ(store.Find(s.id, 1002)->state, GateState::kSatisfied);
  EXPECT_TRUE(store.Collect(s.id, 1002));
  EXPECT_FALSE(store.Collect(s.id, 1002));
  EXPECT_EQ(store.Find(s.id, 1500)->state, GateState::kCollected) << "used stays used";
  EXPECT_EQ(store.BeginAnswer("BBBBBBBBBBBBBBBBBBBBBB", 1002, copy), GateStore::Claim::kUnknown);
  // Capacity 2: a third evicts the oldest.
  s.id = "CCCCCCCCCCCCCCCCCCCCCC";
  EXPECT_EQ(store.Open(s, 1003), 0u);
  s.id = "DDDDDDDDDDDDDDDDDDDDDD";
  EXPECT_EQ(store.Open(s, 1004), 1u);
  EXPECT_EQ(store.size(), 2u);
  EXPECT_FALSE(store.Find("AAAAAAAAAAAAAAAAAAAAAA", 1004));
  EXPECT_EQ(store.BeginAnswer("CCCCCCCCCCCCCCCCCCCCCC", 1103, copy), GateStore::Claim::kExpired);
  // Purged one lifetime after expiry.
  s.id = "EEEEEEEEEEEEEEEEEEEEEE";
  store.Open(s, 1305);
  EXPECT_FALSE(store.Find("CCCCCCCCCCCCCCCCCCCCCC", 1305));
  EXPECT_FALSE(store.Find("DDDDDDDDDDDDDDDDDDDDDD", 1305));
  EXPECT_EQ(store.size(), 1u);
}

TEST(GateQrTest, EncodesTheUrlAsAnSvgWithFinderPatterns) {
  const std::string url = "https://shop.example/yesno/gate/session/AAAAAAAAAAAAAAAAAAAAAA";
  auto m = EncodeQr(url);
  ASSERT_TRUE(m.ok()) << m.error().message;
  ASSERT_GE(m->size, 21);
  EXPECT_EQ((m->size - 17) % 4, 0) << "QR sizes are 17 + 4·version";
  EXPECT_EQ(m->dark.size(), static_cast<std::size_t>(m->size * m->size));
  // The three 7×7 finder patterns: a dark ring, a light ring, a dark 3×3 core.
  auto finder_at = [&](int x0, int y0) {
    for (int y = 0; y < 7; ++y) {
      for (int x = 0; x < 7; ++x) {
        const bool ring = x == 0 || y == 0 || x == 6 || y == 6;
        const bool core = x >= 2 && x <= 4 && y >= 2 && y <= 4;
        if (m->at(x0 + x, y0 + y) != (ring || core)) return false;
      }
    }
    return true;
  };
  EXPECT_TRUE(finder_at(0, 0));
  EXPECT_TRUE(finder_at(m->size - 7, 0));
  EXPECT_TRUE(finder_at(0, m->size - 7));
  EXPECT_FALSE(finder_at(m->size - 7, m->size - 7));
  // Deterministic, and different text gives a different code.
  auto again = EncodeQr(url);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->dark, m->dark);
  EXPECT_NE(EncodeQr(url + "B")->dark, m->dark);

  const std::string svg = QrSvg(*m, 232, "a <label> & \"quotes\"");
  const std::string total = std::to_string(m->size + 2 * kQrQuietZone);
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + total + " " + total + "\" width=\"232\"",
                      0),
            0u)
      << svg.substr(0, 200);
  EXPECT_NE(svg.find("<title>a &lt;label&gt; &amp; &quot;quotes&quot;</title>"), std::string::npos);
  EXPECT_NE(svg.find("<rect width=\"" + total + "\" height=\"" + total + "\" fill=\"#fff\"/>"), std::string::npos);
  // The top-left finder's first row: one run of 7 dark modules after the quiet zone.
  EXPECT_NE(svg.find("d=\"M4 4h7v1h-7z"), std::string::npos) << svg.substr(0, 400);
  EXPECT_EQ(svg.substr(svg.size() - 9), "\"/></svg>");
  // Count dark modules drawn == dark modules in the matrix.
  long drawn = 0;
  for (auto pos = svg.find('h'); pos != std::string::npos; pos = svg.find('h', pos + 1)) {
    std::size_t end = pos + 1;
    while (end < svg.size() && svg[end] >= '0' && svg[end] <= '9') ++end;
    if (end > pos + 1 && svg.compare(end, 2, "v1") == 0) drawn += std::stol(svg.substr(pos + 1, end - pos - 1));
  }
  EXPECT_EQ(drawn, std::count(m->dark.begin(), m->dark.end(), true));

  EXPECT_FALSE(EncodeQr("").ok());
  EXPECT_FALSE(EncodeQr(std::string(1025, 'a')).ok());
}

}  // namespace
}  // namespace yesno::verifier

// --- the real binaries ------------------------------------------------------------------

#if defined(YESNO_VERIFIER_PATH) && defined(YESNO_ISSUER_PATH) && defined(YESNO_CLI_PATH)
namespace yesno {
namespace {

using testing::ChildProcess;
using testing::ProcessResult;
using testing::RunProcess;
using testing::PrivateDir;
using testing::YearsAgo;
using Json = nlohmann::json;

struct GateStory {
  std::string dir, issuer_key, issuer_url, verifier_url;
  std::unique_ptr<ChildProcess> issuer, verifier;
  std::string adult_wallet, minor_wallet;
};
GateStory* g_gate = nullptr;

class GateBinariesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    g_gate = new GateStory;
    GateStory& s = *g_gate;
    s.dir = PrivateDir("gate", "story");
    auto init = RunProcess({YESNO_ISSUER_PATH, "init", "--state", s.dir + "/issuer", "--name", "issuer.gate",
                            "--claims", "age_over_18"});
    ASSERT_EQ(init.exit_code, 0) << init.err;
    s.issuer_key = init.out.substr(0, init.out.find('\n'));
    s.issuer = ChildProcess::Start({YESNO_ISSUER_PATH, "serve", "--state", s.dir + "/issuer", "--listen", "127.0.0.1:0"},
                                   s.dir + "/issuer.log");
    ASSERT_TRUE(s.issuer);
    auto url = s.issuer->WaitForListening();
    ASSERT_TRUE(url);
    s.issuer_url = *url;
    Json trust = Json::array({{{"name", "issuer.gate"}, {"directory", s.issuer_url + kDirectoryPath}, {"key", s.issuer_key}}});
    ASSERT_TRUE(files::WriteFileAtomic(s.dir + "/trust.json", AsBytes(trust.dump())).ok());
    const int port = testing::FreePort();
    s.verifier_url = "http://127.0.0.1:" + std::to_string(port);
    s.verifier = ChildProcess::Start({YESNO_VERIFIER_PATH, "serve", "--origin", s.verifier_url, "--trust",
                                      s.dir + "/trust.json", "--listen", "127.0.0.1:" + std::to_string(port),
                                      "--spent-store", "memory:", "--gate-seconds", "60", "--gate-capacity", "100"},
                                     s.dir + "/verifier.log");
    ASSERT_TRUE(s.verifier);
    ASSERT_TRUE(s.verifier->WaitForListening());
    s.adult_wallet = NewWallet("adult", YearsAgo(19));
    s.minor_wallet = NewWallet("minor", YearsAgo(16));
  }
  static void TearDownTestSuite() {
    if (g_gate != nullptr) {
      std::filesystem::remove_all(g_gate->dir);
      std::filesystem::remove_all(g_gate->adult_wallet);
      std::filesystem::remove_all(g_gate->minor_wallet);
      delete g_gate;
      g_gate = nullptr;
    }
  }

  static ProcessResult Yesno(const std::string& wallet_dir, std::vector<std::string> args) {
    std::vector<std::string> argv = {YESNO_CLI_PATH, "--wallet", wallet_dir + "/wallet", "--key-file",
                                     wallet_dir + "/wallet.key"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProcess(argv, "", std::chrono::seconds(60));
  }
  static std::string NewWallet(const std::string& name, const std::string& birth) {
    auto ticket = RunProcess({YESNO_ISSUER_PATH, "enroll", "--state", g_gate->dir + "/issuer", "--birth-date", birth});
    EXPECT_EQ(ticket.exit_code, 0) << ticket.err;
    const std::string w = PrivateDir("gate", "wallet_" + name);
    EXPECT_EQ(Yesno(w, {"init"}).exit_code, 0);
    auto r = Yesno(w, {"enroll", "--issuer", g_gate->issuer_url, "--issuer-key", g_gate->issuer_key, "--ticket",
                       ticket.out.substr(0, ticket.out.find('\n'))});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    r = Yesno(w, {"refill", "--target", "4"});  // apart from any visit: prove never refills
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return w;
  }

  // OpenGate is the browser: GET /gate, the session URL and the binding cookie.
  struct Browser {
    std::string id, session_url, binding_cookie;
  };
  static Browser OpenGate(const std::string& ret) {
    Browser b;
    auto r = net::HttpClient().Get(*net::ParseUrl(g_gate->verifier_url + "/gate?claim=age_over_18&return=" + ret),
                                   {{"Accept", "text/html"}});
    EXPECT_TRUE(r.ok());
    if (!r.ok()) return b;
    EXPECT_EQ(r->status, 200u) << r->body;
    const auto [link, id] = verifier::SessionLinkAfter(r->body, g_gate->verifier_url);
    if (id.empty()) {
      ADD_FAILURE() << r->body;
      return b;
    }
    b.session_url = link;
    b.id = id;
    auto set_cookie = r->Header("set-cookie");
    EXPECT_TRUE(set_cookie);
    if (set_cookie) b.binding_cookie = set_cookie->substr(0, set_cookie->find(';'));
    return b;
  }
  static Json Status(const std::string& id) {
    auto r = net::HttpClient().Get(*net::ParseUrl(g_gate->verifier_url + "/gate/status/" + id));
    EXPECT_TRUE(r.ok());
    return r.ok() ? Json::parse(r->body, nullptr, false) : Json();
  }
  static Result<net::HttpResponse> Done(const std::string& id, const std::string& cookie) {
    std::vector<std::pair<std::string, std::string>> headers;
    if (!cookie.empty()) headers.emplace_back("Cookie", cookie);
    return net::HttpClient().Get(*net::ParseUrl(g_gate->verifier_url + "/gate/done/" + id), headers);
  }
};

TEST_F(GateBinariesTest, HelpExplainsTheGate) {
  auto r = RunProcess({YESNO_CLI_PATH, "prove", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--session"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("yesno prove --session https://shop.example/yesno/gate/session/ID"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("the browser that shows the page is let in"), std::string::npos) << r.out;
  r = RunProcess({YESNO_VERIFIER_PATH, "serve", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* flag : {"--public-prefix", "--gate-seconds", "--gate-capacity"}) {
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag << "\n" << r.out;
  }
  r = RunProcess({YESNO_VERIFIER_PATH, "--help"});
  EXPECT_NE(r.out.find("GET /gate?claim=C&return=PATH"), std::string::npos) << r.out;
  // Bad gate flags are usage errors.
  for (const std::vector<std::string>& bad : std::vector<std::vector<std::string>>{
           {"--public-prefix", "/yesno/"}, {"--public-prefix", "yesno"}, {"--gate-seconds", "5"},
           {"--gate-capacity", "0"}}) {
    std::vector<std::string> argv = {YESNO_VERIFIER_PATH, "serve", "--origin", "http://127.0.0.1:1", "--trust",
                                     g_gate->dir + "/trust.json", "--spent-store", "memory:"};
    argv.insert(argv.end(), bad.begin(), bad.end());
    auto b = RunProcess(argv, "", std::chrono::seconds(20));
    EXPECT_EQ(b.exit_code, 2) << bad[0] << " " << bad[1] << ": " << b.err;
  }
  // --session is checked before anything is sent.
  auto w = Yesno(g_gate->adult_wallet, {"prove", "--yes", "--session", g_gate->verifier_url + "/challenge?claim=age_over_18"});
  EXPECT_EQ(w.exit_code, 2);
  w = Yesno(g_gate->adult_wallet, {"prove", "--yes", "--session", g_gate->verifier_url + "/gate/session/x", "--verifier",
                                   g_gate->verifier_url});
  EXPECT_EQ(w.exit_code, 2);
  w = Yesno(g_gate->adult_wallet, {"prove", "--yes", "--session", g_gate->verifier_url + "/gate/session/x", "--cookie-jar",
                                   g_gate->dir + "/jar"});
  EXPECT_EQ(w.exit_code, 2);
  EXPECT_NE(w.err.find("the browser that showed the link gets the cookie"), std::string::npos) << w.err;
}

TEST_F(GateBinariesTest, AdultWalletUnlocksTheOpeningBrowserOnly) {
  Browser b = OpenGate("/adult/?x=1");
  ASSERT_FALSE(b.id.empty());
  EXPECT_EQ(Status(b.id)["state"], "pending");

  auto r = Yesno(g_gate->adult_wallet, {"prove", "--yes", "--session", b.session_url});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "yes\n");
  EXPECT_EQ(Status(b.id)["state"], "satisfied");

  // The phone knows the URL but not the binding cookie.
  auto done = Done(b.id, "");
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->status, 403u);
  EXPECT_FALSE(done->Header("set-cookie"));
  done = Done(b.id, b.binding_cookie);
  ASSERT_TRUE(done.ok());
  ASSERT_EQ(done->status, 303u) << done->body;
  EXPECT_EQ(done->Header("location"), "/adult/?x=1");
  auto set_cookie = done->Header("set-cookie");
  ASSERT_TRUE(set_cookie);
  ASSERT_EQ(set_cookie->rfind("yesno_age_over_18=", 0), 0u) << *set_cookie;
  const std::string cookie = set_cookie->substr(0, set_cookie->find(';'));
  auto auth = net::HttpClient().Get(*net::ParseUrl(g_gate->verifier_url + "/auth/age_over_18"),
                                    {{"Cookie", cookie}});
  ASSERT_TRUE(auth.ok());
  EXPECT_EQ(auth->status, 204u);
  EXPECT_EQ(Status(b.id)["state"], "used");

  // Once: the link cannot be answered again, nor collected again.
  r = Yesno(g_gate->adult_wallet, {"prove", "--yes", "--session", b.session_url});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.err.find("already answered"), std::string::npos) << r.err;
  done = Done(b.id, b.binding_cookie);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->status, 410u);

  // An unknown session is an error, not a "no".
  r = Yesno(g_gate->adult_wallet,
            {"prove", "--yes", "--session", g_gate->verifier_url + "/gate/session/" + Base64UrlEncode(Bytes(16, 1), false)});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("expired or is unknown"), std::string::npos) << r.err;

  // The verifier's log names routes, never ids, cookies or keys.
  const std::string log = testing::ReadLogOnceItHas(g_gate->dir + "/verifier.log", "/gate/done/{id}");
  EXPECT_NE(log.find("/gate/session/{id}"), std::string::npos) << log;
  EXPECT_NE(log.find("/gate/done/{id}"), std::string::npos) << log;
  EXPECT_EQ(log.find(b.id), std::string::npos);
  EXPECT_EQ(log.find(b.binding_cookie.substr(b.binding_cookie.find('=') + 1)), std::string::npos);
  EXPECT_EQ(log.find(cookie.substr(cookie.find('=') + 1)), std::string::npos);
}

TEST_F(GateBinariesTest, UnderAgeWalletSendsNothingAndADeclineShowsOnThePage) {
  Browser b = OpenGate("/adult/");
  ASSERT_FALSE(b.id.empty());
  // The 16-year-old's wallet cannot prove it: it says why and sends the site
  // nothing (the session stays open: no "not over 18" for a wallet problem).
  auto r = Yesno(g_gate->minor_wallet, {"prove", "--yes", "--session", b.session_url});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(r.out, "no (no_token)\n");
  EXPECT_NE(r.err.find("does not vouch for age_over_18"), std::string::npos) << r.err;
  EXPECT_EQ(Status(b.id)["state"], "pending");
  // Without a terminal to ask and without --yes, answering needs consent.
  r = Yesno(g_gate->adult_wallet, {"prove", "--session", b.session_url});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.err.find("--yes"), std::string::npos) << r.err;
  // A link of another site than the page's is refused before any request.
  r = Yesno(g_gate->adult_wallet, {"prove", "--yes", "--page-origin", "https://other.example", "--session", b.session_url});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.err.find("another site"), std::string::npos) << r.err;
  EXPECT_EQ(Status(b.id)["state"], "pending");
  // The person declines: the page is told no, and nothing else.
  r = Yesno(g_gate->minor_wallet, {"prove", "--decline", "--session", b.session_url});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(r.out.rfind("no (declined)", 0), 0u) << r.out;
  Json s = Status(b.id);
  EXPECT_EQ(s["state"], "refused");
  EXPECT_EQ(s["reason"], "declined");
  EXPECT_EQ(s["message"], "Your wallet answered no: it holds no proof that you are over 18. Nothing else was shared.");
  auto done = Done(b.id, b.binding_cookie);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->status, 403u);
  EXPECT_FALSE(done->Header("set-cookie"));
  EXPECT_NE(done->body.find("Your wallet answered no"), std::string::npos) << done->body;
  // The 16-year-old's wallet holds no age_over_18 token and sent none.
  auto status = Yesno(g_gate->minor_wallet, {"--json", "status"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  const Json doc = Json::parse(status.out, nullptr, false);
  ASSERT_TRUE(doc.is_object()) << status.out;
  for (const auto& issuer : doc["issuers"]) {
    const Json claims = issuer.value("claims", Json::object());
    if (!claims.contains("age_over_18")) continue;
    EXPECT_EQ(claims["age_over_18"].value("unused", -1), 0) << status.out;
    EXPECT_EQ(claims["age_over_18"].value("spent", -1), 0) << status.out;
  }
  // The adult's wallet cannot answer that session any more either.
  r = Yesno(g_gate->adult_wallet, {"prove", "--yes", "--session", b.session_url});
  EXPECT_EQ(r.exit_code, 2);
}

}  // namespace
}  // namespace yesno
#endif
