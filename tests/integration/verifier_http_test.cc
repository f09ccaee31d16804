// verifier_http_test.cc — the real yesno-verifier binary over HTTP: a yes,
// replays (also across a restart on the SQLite store), malformed and
// oversized requests, background directory refresh, start-up failures and
// usage errors, and that its logs and store hold no token, nonce, PoP or
// cookie in clear.
#include <sys/stat.h>

#include <thread>

#include "testing/process.h"
#include "testing/test_util.h"
#include "verifier_testing.h"
#include "yesno/token.h"

#ifdef YESNO_VERIFIER_PATH

namespace yesno::testing {
namespace {

constexpr char kOrigin[] = "https://shop.example";
constexpr char kClaim[] = "age_over_18";

int64_t Now() { return SystemClock().NowSeconds(); }

// SecretSpellings lists how a secret value could appear in a file: raw,
// hex, base64url with and without padding.
std::vector<std::string> SecretSpellings(ByteView secret) {
  return {AsString(secret), HexEncode(secret), Base64UrlEncode(secret, true), Base64UrlEncode(secret, false)};
}

// ExpectNoSecrets checks that none of `secrets` (any spelling) is in `text`.
void ExpectNoSecrets(const std::string& what, const std::string& text, const std::vector<Bytes>& secrets) {
  for (const Bytes& s : secrets) {
    for (const std::string& spelling : SecretSpellings(s)) {
      EXPECT_EQ(text.find(spelling), std::string::npos) << what << " contains a secret value";
    }
  }
}

class VerifierHttpTest : public ::testing::Test {
 protected:
  VerifierHttpTest() : dir_("verifier_http") {
    key_ = issuer_.AddKey(kClaim, EpochWindow(Now()).first, EpochWindow(Now()).second, TestKey2048());
    directory_.Serve(issuer_);
    trust_ = dir_.File("trust.json");
    WriteTrustFile(trust_, {{&issuer_, directory_.url()}});
  }

  std::vector<std::string> Args(const std::string& store) const {
    return {"--origin", kOrigin, "--trust", trust_, "--spent-store", store, "--secret-file",
            dir_.File("verifier.secret")};
  }

  TempDir dir_;
  IssuerFixture issuer_{"issuer.example", 11};
  std::size_t key_ = 0;
  DirectoryServer directory_;
  std::string trust_;
};

TEST_F(VerifierHttpTest, YesThenReplayedAlsoAfterARestartAndNothingSecretIsKept) {
  const std::string store = "sqlite:" + dir_.File("spent.sqlite");
  const std::string log = dir_.File("verifier.log");
  auto v = VerifierProcess::Start(Args(store), log);
  ASSERT_TRUE(v.child);
  EXPECT_EQ(v.url.rfind("http://127.0.0.1:", 0), 0u) << v.url;

  const auto tokens = issuer_.IssueMany(key_, 2);
  const Bytes vnonce = FetchVnonce(v.url, kClaim);
  ASSERT_EQ(vnonce.size(), 40u);
  const std::string auth = AuthorizationFor(tokens[0], kOrigin, vnonce);
  auto r = PostVerify(v.url, kClaim, auth);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 200u);
  EXPECT_EQ(r->body, "{\"answer\":\"yes\",\"claim\":\"age_over_18\",\"issuer\":\"issuer.example\"}");
  auto set_cookie = r->Header("set-cookie");
  ASSERT_TRUE(set_cookie);
  const std::string cookie = set_cookie->substr(0, set_cookie->find(';'));

  // The session cookie opens /auth.
  net::HttpClient client;
  auto a = client.Get(MustUrl(v.url + "/auth/" + kClaim), {{"Cookie", cookie}});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->status, 204u);
  a = client.Get(MustUrl(v.url + "/auth/" + kClaim));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->status, 401u);

  // Replay on the same verifier.
  r = PostVerify(v.url, kClaim, auth);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, "{\"answer\":\"no\",\"reason\":\"replayed\"}");

  // Malformed header: 400; other reasons through the binary too.
  r = PostVerify(v.url, kClaim, "PrivateToken token=\"%%%\"");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 400u);
  EXPECT_EQ(r->body, "{\"answer\":\"no\",\"reason\":\"malformed\"}");
  r = PostVerify(v.url, kClaim, "");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 400u);
  r = PostVerify(v.url, kClaim, AuthorizationFor(tokens[1], "https://elsewhere.example", vnonce));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, "{\"answer\":\"no\",\"reason\":\"bad_pop\"}");

  // Oversized body: 413 from the listener, and the verifier keeps serving.
  net::HttpRequest big;
  big.method = "POST";
  big.url = MustUrl(v.url + "/verify?claim=age_over_18");
  big.headers.emplace_back("Authorization", auth);
  big.content_type = "application/octet-stream";
  big.body = std::string(64 * 1024 + 1, 'x');
  auto b = client.Send(big);
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(b->status, 413u);
  auto h = client.Get(MustUrl(v.url + "/healthz"));
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->status, 200u);

  auto m = client.Get(MustUrl(v.url + "/metrics"));
  ASSERT_TRUE(m.ok());
  EXPECT_NE(m->body.find("yesno_verifier_trusted_keys 1"), std::string::npos) << m->body;
  EXPECT_NE(m->body.find("yesno_verifier_verify_total{answer=\"yes\",reason=\"\"} 1"), std::string::npos);

  EXPECT_EQ(v.Stop(), 0);

  // Restarted on the same store and secret: still spent; cookie still good.
  auto v2 = VerifierProcess::Start(Args(store), log);
  ASSERT_TRUE(v2.child);
  const Bytes vnonce2 = FetchVnonce(v2.url, kClaim);
  r = PostVerify(v2.url, kClaim, AuthorizationFor(tokens[0], kOrigin, vnonce2));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, "{\"answer\":\"no\",\"reason\":\"replayed\"}");
  // The first vnonce is still fresh and the secret is shared: it works here.
  r = PostVerify(v2.url, kClaim, AuthorizationFor(tokens[1], kOrigin, vnonce));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200u) << r->body;
  a = client.Get(MustUrl(v2.url + "/auth/" + kClaim), {{"Cookie", cookie}});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->status, 204u);
  EXPECT_EQ(v2.Stop(), 0);

  // Nothing secret in the logs or the store files.
  std::vector<Bytes> secrets = {vnonce, vnonce2};
  for (const auto& t : tokens) {
    secrets.push_back(t.token);
    secrets.push_back(Bytes(t.token.begin() + 2, t.token.begin() + 2 + kNonceBytes));  // the nonce
    secrets.push_back(PresentationFor(t, kOrigin, vnonce).pop);
  }
  const std::string mac = cookie.substr(cookie.find('.') + 1);
  const std::string logs = ReadText(log);
  EXPECT_NE(logs.find("\"route\":\"/verify\""), std::string::npos);
  ExpectNoSecrets("verifier log", logs, secrets);
  EXPECT_EQ(logs.find(mac), std::string::npos);
  EXPECT_EQ(logs.find("127.0.0.1:"), std::string::npos) << "no addresses in logs";
  std::string store_files;
  for (const auto& e : std::filesystem::directory_iterator(dir_.path())) {
    if (e.path().filename().string().rfind("spent.sqlite", 0) == 0) store_files += ReadText(e.path());
  }
  EXPECT_FALSE(store_files.empty());
  ExpectNoSecrets("spent store", store_files, secrets);
  EXPECT_EQ(store_files.find(mac), std::string::npos);
}

TEST_F(VerifierHttpTest, DirectoriesAreRefreshedInTheBackground) {
  std::vector<std::string> args = Args("memory:");
  args.insert(args.end(), {"--refresh-seconds", "1"});
  auto v = VerifierProcess::Start(args, dir_.File("verifier.log"));
  ASSERT_TRUE(v.child);
  net::HttpClient client;
  auto r = client.Get(MustUrl(v.url + "/challenge?claim=verified_person"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 404u);

  // A mis-signed directory with a new key is ignored...
  IssuerFixture next = issuer_;
  next.AddKey("verified_person", EpochWindow(Now()).first, EpochWindow(Now()).second, OtherTestKey2048());
  const std::string body = next.DirectoryBody();
  directory_.Set(body, IssuerFixture("issuer.example", 99).DirectorySignature(body));
  const int fetches = directory_.fetches();
  for (int i = 0; i < 60 && directory_.fetches() < fetches + 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  r = client.Get(MustUrl(v.url + "/challenge?claim=verified_person"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 404u);
  r = client.Get(MustUrl(v.url + "/challenge?claim=age_over_18"));  // the last good one is kept
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 401u);

  // ... and a correctly signed one is taken without a restart.
  directory_.Serve(next);
  unsigned status = 0;
  for (int i = 0; i < 60 && status != 401; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    r = client.Get(MustUrl(v.url + "/challenge?claim=verified_person"));
    status = r.ok() ? r->status : 0;
  }
  EXPECT_EQ(status, 401u);
  EXPECT_NE(ReadText(v.log_path).find("ignored (keeping the last good one)"), std::string::npos);
  EXPECT_EQ(v.Stop(), 0);
}

TEST_F(VerifierHttpTest, ServesWhenNoDirectoryVerifiesAndAnswersUnavailable) {
  const std::string body = issuer_.DirectoryBody();
  directory_.Set(body, IssuerFixture("impostor", 77).DirectorySignature(body));
  std::vector<std::string> args = Args("memory:");
  args.insert(args.end(), {"--cache-dir", "none"});
  auto v = VerifierProcess::Start(args, dir_.File("verifier.log"));
  ASSERT_TRUE(v.child);
  net::HttpClient client;
  auto r = client.Get(MustUrl(v.url + "/challenge?claim=age_over_18"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 503u);
  EXPECT_EQ(r->body, "{\"error\":\"unavailable\"}");
  const std::string log = ReadText(v.log_path);
  EXPECT_NE(log.find("WARNING: serving without a directory for issuer.example"), std::string::npos) << log;
  EXPECT_NE(log.find("directory signature does not verify"), std::string::npos) << log;
  EXPECT_NE(log.find("answer no (unavailable)"), std::string::npos) << log;
  EXPECT_EQ(log.find("keeping the last good one"), std::string::npos) << "there is no last good one:\n" << log;
  EXPECT_EQ(v.Stop(), 0);
}

TEST_F(VerifierHttpTest, BadUsageExitsWithTwoAndAClearMessage) {
  const std::string bin = YESNO_VERIFIER_PATH;
  struct Case {
    std::vector<std::string> argv;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{bin}, "subcommand"},
      {{bin, "serve", "--trust", trust_}, "--origin"},
      {{bin, "serve", "--origin", "https://shop.example/path", "--trust", trust_}, "no path"},
      {{bin, "serve", "--origin", kOrigin, "--trust", dir_.File("missing.json")}, "cannot read --trust"},
      {{bin, "serve", "--origin", kOrigin, "--trust", trust_, "--spent-store", "postgres://x"}, "--spent-store"},
      {{bin, "serve", "--origin", kOrigin, "--trust", trust_, "--threads", "0"}, "--threads"},
      {{bin, "serve", "--origin", kOrigin, "--trust", trust_, "--listen", "nowhere", "--spent-store", "memory:"},
       "--listen"},
      {{bin, "serve", "--origin", kOrigin, "--trust", trust_, "--spent-store", "memory:", "--listen", "[::1]:x"},
       "--listen"},
  };
  for (const auto& c : cases) {
    auto r = RunProcess(c.argv, "", std::chrono::seconds(30));
    EXPECT_EQ(r.exit_code, 2) << c.argv.back() << ": " << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
  }
  auto help = RunProcess({bin, "serve", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--spent-store"), std::string::npos);
  EXPECT_NE(help.out.find("--secret-file"), std::string::npos);
}

}  // namespace
}  // namespace yesno::testing

#endif  // YESNO_VERIFIER_PATH
