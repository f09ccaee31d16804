// verifier_no_nginx_test.cc — docs/api.md "Integrating without nginx", run
// as written: docs/examples/no_nginx_app.py (python3's http.server) in front
// of the real yesno-verifier. The app exposes only the public routes, checks
// every gated request with GET /auth/<claim>, and passes the verifier's
// challenge, cookie and gate redirect on.
#include <filesystem>
#include <thread>

#include "testing/test_util.h"
#include "verifier_testing.h"
#include "yesno/auth_header.h"

#ifdef YESNO_VERIFIER_PATH

namespace yesno::testing {
namespace {

constexpr char kClaim[] = "age_over_18";
constexpr char kPython[] = "/usr/bin/python3";

int64_t Now() { return SystemClock().NowSeconds(); }

std::string RecipePath() {
  // YESNO_VECTOR_DIR is <source>/tests/vectors/data.
  return (std::filesystem::path(YESNO_VECTOR_DIR).parent_path().parent_path().parent_path() / "docs" / "examples" /
          "no_nginx_app.py")
      .string();
}

TEST(VerifierNoNginxTest, PythonAppRunsTheRecipe) {
  if (!std::filesystem::exists(kPython)) GTEST_SKIP() << "SKIPPED LOUDLY: " << kPython << " is missing (Debian python3)";
  ASSERT_TRUE(std::filesystem::exists(RecipePath())) << RecipePath();
  TempDir dir("verifier_no_nginx");
  const int port = FreePort();
  const std::string origin = "http://127.0.0.1:" + std::to_string(port);

  IssuerFixture issuer("issuer.example", 51);
  const auto [nb, na] = EpochWindow(Now());
  const std::size_t key = issuer.AddKey(kClaim, nb, na, TestKey2048());
  DirectoryServer directory;
  directory.Serve(issuer);
  WriteTrustFile(dir.File("trust.json"), {{&issuer, directory.url()}});
  auto v = VerifierProcess::Start({"--origin", origin, "--trust", dir.File("trust.json"), "--spent-store", "memory:",
                                   "--public-prefix", "/yesno", "--claims", kClaim},
                                  dir.File("verifier.log"));
  ASSERT_TRUE(v.child);
  auto app = ChildProcess::Start({kPython, RecipePath(), "127.0.0.1:" + std::to_string(port),
                                  v.url.substr(std::string("http://").size())},
                                 dir.File("app.log"));
  ASSERT_TRUE(app);
  auto listening = app->WaitForListening(std::chrono::seconds(20));
  ASSERT_TRUE(listening) << ReadText(dir.File("app.log"));
  EXPECT_EQ(*listening, origin);
  net::HttpClient client;

  // 1. Not proved yet: a script gets 401 with the PrivateToken challenge.
  auto r = client.Get(MustUrl(origin + "/adult/"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 401u);
  auto www = r->Header("www-authenticate");
  ASSERT_TRUE(www) << r->body;
  auto challenges = ParseWwwAuthenticate(*www);
  ASSERT_TRUE(challenges.ok());
  ASSERT_EQ(challenges->size(), 1u);
  EXPECT_EQ((*challenges)[0].yesno_claim, kClaim);

  // 2. A presentation through the app's /yesno/verify: yes and the cookie.
  const auto tokens = issuer.IssueMany(key, 3);
  auto yes = PostVerify(origin + "/yesno", kClaim, AuthorizationFor(tokens[0], origin, (*challenges)[0].yesno_vnonce));
  ASSERT_TRUE(yes.ok());
  EXPECT_NE(yes->body.find("\"answer\":\"yes\""), std::string::npos) << yes->body;
  auto set_cookie = yes->Header("set-cookie");
  ASSERT_TRUE(set_cookie);
  const std::string cookie = set_cookie->substr(0, set_cookie->find(';'));
  r = client.Get(MustUrl(origin + "/adult/"), {{"Cookie", cookie}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200u);
  EXPECT_EQ(r->body, "adults only\n");

  // 3. RFC 9577 on the page itself: Authorization on /adult/ -> the page and the cookie, once.
  const std::string direct = AuthorizationFor(tokens[1], origin, FetchVnonce(origin + "/yesno", kClaim));
  r = client.Get(MustUrl(origin + "/adult/"), {{"Authorization", direct}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200u) << ReadText(v.log_path);
  EXPECT_TRUE(r->Header("set-cookie"));
  r = client.Get(MustUrl(origin + "/adult/"), {{"Authorization", direct}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 401u) << "a presentation counts once";
  // A proof for another origin is refused.
  r = client.Get(MustUrl(origin + "/adult/"),
                 {{"Authorization", AuthorizationFor(tokens[2], "http://evil.example", FetchVnonce(origin + "/yesno", kClaim))}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 401u);

  // 4. A browser is sent to the gate, whose page names the app's origin.
  r = client.Get(MustUrl(origin + "/adult/?x=1"), {{"Accept", "text/html"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 302u);
  auto location = r->Header("location");
  ASSERT_TRUE(location);
  EXPECT_EQ(*location, "/yesno/gate?claim=age_over_18&return=%2Fadult%2F%3Fx%3D1");
  r = client.Get(MustUrl(origin + *location), {{"Accept", "text/html"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200u);
  EXPECT_NE(r->body.find("yesno prove --session " + origin + "/yesno/gate/session/"), std::string::npos);
  EXPECT_TRUE(r->Header("set-cookie"));

  // 5. The private routes are not reachable through the app, and a client
  // header cannot pick the claim.
  for (const char* path : {"/yesno/auth/age_over_18", "/yesno/metrics", "/yesno/healthz", "/yesno/auth"}) {
    r = client.Get(MustUrl(origin + path), {{"Cookie", cookie}});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, 404u) << path;
  }
  r = client.Get(MustUrl(origin + "/adult/"), {{"X-Yesno-Claim", "age_over_1"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 401u);

  // 6. The verifier down: the app fails closed.
  EXPECT_EQ(v.Stop(), 0);
  r = client.Get(MustUrl(origin + "/adult/"), {{"Cookie", cookie}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 503u);
  app->Signal(SIGTERM);
  app->Wait(std::chrono::seconds(10));
  // The verifier's log holds no cookie or token.
  const std::string log = ReadText(v.log_path);
  EXPECT_EQ(log.find(cookie.substr(cookie.find('.') + 1)), std::string::npos);
  EXPECT_EQ(log.find(Base64UrlEncode(tokens[0].token)), std::string::npos);
}

}  // namespace
}  // namespace yesno::testing

#endif  // YESNO_VERIFIER_PATH
