// verifier_nginx_test.cc — the shipped deploy/nginx/yesno.conf in a real
// nginx: /adult/ answers 401 (with the PrivateToken challenge) without a
// session, the verifier is reached under /yesno/ on the site's origin, and
// the cookie from a successful presentation opens /adult/.
#include <unistd.h>

#include <thread>

#include "testing/test_util.h"
#include "verifier_testing.h"
#include "yesno/auth_header.h"

#ifdef YESNO_VERIFIER_PATH

namespace yesno::testing {
namespace {

constexpr char kClaim[] = "age_over_18";
constexpr char kNginx[] = "/usr/sbin/nginx";

int64_t Now() { return SystemClock().NowSeconds(); }

std::string ShippedConfigPath() {
  // YESNO_VECTOR_DIR is <source>/tests/vectors/data.
  return (std::filesystem::path(YESNO_VECTOR_DIR).parent_path().parent_path().parent_path() / "deploy" / "nginx" /
          "yesno.conf")
      .string();
}

TEST(VerifierNginxTest, AuthRequestGateOpensWithTheSessionCookie) {
  ASSERT_TRUE(std::filesystem::exists(kNginx)) << kNginx << " is missing: run scripts/bootstrap (Debian package nginx)";
  TempDir dir("verifier_nginx");
  const int port = FreePort();
  const std::string origin = "http://127.0.0.1:" + std::to_string(port);

  IssuerFixture issuer("issuer.example", 31);
  const std::size_t key = issuer.AddKey(kClaim, EpochWindow(Now()).first, EpochWindow(Now()).second, TestKey2048());
  DirectoryServer directory;
  directory.Serve(issuer);
  WriteTrustFile(dir.File("trust.json"), {{&issuer, directory.url()}});
  auto v = VerifierProcess::Start({"--origin", origin, "--trust", dir.File("trust.json"), "--spent-store", "memory:"},
                                  dir.File("verifier.log"));
  ASSERT_TRUE(v.child);
  const std::string verifier_hostport = v.url.substr(std::string("http://").size());

  // The shipped config, pointed at this test's verifier, port and files.
  std::string site = ReadText(ShippedConfigPath());
  ASSERT_FALSE(site.empty()) << ShippedConfigPath();
  ReplaceOnce(site, "server 127.0.0.1:8081;", "server " + verifier_hostport + ";");
  ReplaceOnce(site, "listen 127.0.0.1:8080;", "listen 127.0.0.1:" + std::to_string(port) + ";");
  ReplaceOnce(site, "root /var/www/site;", "root " + dir.File("site") + ";");
  ReplaceOnce(site, "/var/log/nginx/yesno-site.access.log", dir.File("access.log"));
  WriteText(dir.File("yesno.conf"), site);
  std::filesystem::create_directories(dir.File("site/adult"));
  std::filesystem::create_directories(dir.File("tmp"));
  WriteText(dir.File("site/adult/index.html"), "adults only\n");
  WriteText(dir.File("site/index.html"), "welcome\n");
  const std::string main_conf = std::string(geteuid() == 0 ? "user root;\n" : "") +
                                "worker_processes 1;\n"
                                "pid " + dir.File("nginx.pid") + ";\n"
                                "error_log " + dir.File("error.log") + " info;\n"
                                "events { worker_connections 64; }\n"
                                "http {\n"
                                "  default_type text/html;\n"
                                "  access_log " + dir.File("access.log") + ";\n"
                                "  client_body_temp_path " + dir.File("tmp/body") + ";\n"
                                "  proxy_temp_path " + dir.File("tmp/proxy") + ";\n"
                                "  fastcgi_temp_path " + dir.File("tmp/fastcgi") + ";\n"
                                "  uwsgi_temp_path " + dir.File("tmp/uwsgi") + ";\n"
                                "  scgi_temp_path " + dir.File("tmp/scgi") + ";\n"
                                "  include " + dir.File("yesno.conf") + ";\n"
                                "}\n";
  WriteText(dir.File("nginx.conf"), main_conf);
  auto nginx = ChildProcess::Start({kNginx, "-p", dir.path() + "/", "-e", dir.File("error.log"), "-c",
                                    dir.File("nginx.conf"), "-g", "daemon off;"},
                                   dir.File("nginx.stderr"));
  ASSERT_TRUE(nginx);
  net::HttpClient client;
  bool up = false;
  for (int i = 0; i < 100 && !up; ++i) {
    auto r = client.Get(MustUrl(origin + "/index.html"));
    up = r.ok() && r->status == 200;
    if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(up) << "nginx did not come up:\n"
                  << ReadText(dir.File("nginx.stderr")) << ReadText(dir.File("error.log"));

  // 1. No cookie: 401, carrying the verifier's PrivateToken challenge.
  auto r = client.Get(MustUrl(origin + "/adult/"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 401u);
  int www_count = 0;
  for (const auto& [name, value] : r->headers) www_count += name == "www-authenticate" ? 1 : 0;
  EXPECT_EQ(www_count, 1) << "one challenge header, not /auth's and the challenge location's";
  auto www = r->Header("www-authenticate");
  ASSERT_TRUE(www) << r->body;
  auto challenges = ParseWwwAuthenticate(*www);
  ASSERT_TRUE(challenges.ok());
  ASSERT_EQ(challenges->size(), 1u);
  EXPECT_EQ((*challenges)[0].yesno_claim, kClaim);
  const Bytes vnonce = (*challenges)[0].yesno_vnonce;

  // 2. Present through nginx, for the site's origin.
  const auto tokens = issuer.IssueMany(key, 1);
  auto yes = PostVerify(origin + "/yesno", kClaim, AuthorizationFor(tokens[0], origin, vnonce));
  ASSERT_TRUE(yes.ok()) << yes.error().message;
  EXPECT_EQ(yes->status, 200u) << yes->body;
  EXPECT_NE(yes->body.find("\"answer\":\"yes\""), std::string::npos) << yes->body;
  auto set_cookie = yes->Header("set-cookie");
  ASSERT_TRUE(set_cookie);
  EXPECT_NE(set_cookie->find("; Path=/; HttpOnly; SameSite=Lax"), std::string::npos) << *set_cookie;
  const std::string cookie = set_cookie->substr(0, set_cookie->find(';'));

  // 3. With the cookie: 200 and the page.
  r = client.Get(MustUrl(origin + "/adult/"), {{"Cookie", cookie}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200u);
  EXPECT_EQ(r->body, "adults only\n");
  // Without it, with a forged one, or with a header trying to pick the claim: 401.
  r = client.Get(MustUrl(origin + "/adult/"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 401u);
  std::string forged = cookie;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  r = client.Get(MustUrl(origin + "/adult/"), {{"Cookie", forged}, {"X-Yesno-Claim", "age_over_1"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 401u);
  // The same token cannot be presented again through the site.
  auto again = PostVerify(origin + "/yesno", kClaim, AuthorizationFor(tokens[0], origin, vnonce));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->body, "{\"answer\":\"no\",\"reason\":\"replayed\"}");
  // A proof made for the verifier's own address is for the wrong origin.
  const auto more = issuer.IssueMany(key, 1);
  auto wrong = PostVerify(origin + "/yesno", kClaim, AuthorizationFor(more[0], v.url, vnonce));
  ASSERT_TRUE(wrong.ok());
  EXPECT_EQ(wrong->body, "{\"answer\":\"no\",\"reason\":\"bad_pop\"}");
  // The verifier's internal routes are not exposed by the site.
  r = client.Get(MustUrl(origin + "/yesno/metrics"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 404u);
  for (const char* path : {"/yesno/auth", "/yesno/auth/age_over_18", "/yesno/auth/"}) {
    r = client.Get(MustUrl(origin + path), {{"Cookie", cookie}});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, 404u) << path;
  }
  // RFC 9577: the gated page itself, with a presentation in Authorization
  // (auth_request hands it to /auth/age_over_18), once.
  const auto direct = issuer.IssueMany(key, 1);
  const std::string direct_auth = AuthorizationFor(direct[0], origin, FetchVnonce(origin + "/yesno", kClaim));
  // (A file, not the directory: nginx's index module redirects internally
  // and runs auth_request again, which would see the same token twice.)
  r = client.Get(MustUrl(origin + "/adult/index.html"), {{"Authorization", direct_auth}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200u) << r->body << ReadText(v.log_path);
  EXPECT_EQ(r->body, "adults only\n");
  r = client.Get(MustUrl(origin + "/adult/index.html"), {{"Authorization", direct_auth}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 401u) << "a presentation is accepted once";
  r = client.Get(MustUrl(origin + "/yesno/challenge?claim=age_over_18"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 401u);

  nginx->Signal(SIGQUIT);
  EXPECT_EQ(nginx->Wait(std::chrono::seconds(10)), 0);
  EXPECT_EQ(v.Stop(), 0);

  // The site's access log (shipped format) and the verifier's log hold no
  // cookie, token or address.
  const std::string logs = ReadText(dir.File("access.log")) + ReadText(v.log_path);
  EXPECT_NE(logs.find("/adult/"), std::string::npos);
  EXPECT_EQ(logs.find(cookie.substr(cookie.find('.') + 1)), std::string::npos);
  EXPECT_EQ(logs.find(Base64UrlEncode(tokens[0].token)), std::string::npos);
  EXPECT_EQ(logs.find(Base64UrlEncode(vnonce)), std::string::npos);
}

}  // namespace
}  // namespace yesno::testing

#endif  // YESNO_VERIFIER_PATH
