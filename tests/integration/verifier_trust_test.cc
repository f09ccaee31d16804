// verifier_trust_test.cc — what the verifier does with its issuers'
// directories (server/verifier/trust.h): every rule of "one key for everyone"
// (CheckDirectoryKeyConsistency) refused by the refresher with the last good
// directory kept, a tagging issuer caught by the real binary, the directory
// cache (restart while the issuer is down, no cache and the issuer comes
// back), trust-file errors that point at the mistake, and several --origin.
#include <sys/stat.h>

#include <thread>

#include "secrets.h"
#include "spent_store.h"
#include "testing/process.h"
#include "testing/test_util.h"
#include "trust.h"
#include "verifier_service.h"
#include "verifier_testing.h"
#include "yesno/vnonce.h"

namespace yesno::verifier {
namespace {

using testing::EpochWindow;
using testing::IssuerFixture;

constexpr char kClaim[] = "age_over_18";
constexpr int64_t kEpoch = 30 * 86400;
constexpr int64_t kStart = 682 * kEpoch;  // an epoch boundary (2026-01-07)
constexpr int64_t kNow = kStart + 10 * 86400;

// Keys are made once (RSA key generation is the slow part).
const RsaPrivateKey& Key(std::size_t i) {
  static std::vector<RsaPrivateKey>* keys = [] {
    auto* v = new std::vector<RsaPrivateKey>{testing::TestKey2048(), testing::OtherTestKey2048()};
    for (int k = 0; k < 3; ++k) {
      auto sk = RsaPrivateKey::Generate(2048);
      EXPECT_TRUE(sk.ok());
      v->push_back(std::move(*sk));
    }
    return v;
  }();
  return keys->at(i);
}

TrustEntry EntryFor(const IssuerFixture& issuer, const std::string& url) {
  TrustEntry entry{issuer.name(), *net::ParseUrl(url + "/"), issuer.SigningPublicKey()};
  entry.directory.target = kDirectoryPath;
  return entry;
}

// --- one key for everyone, rule by rule -------------------------------------------------

TEST(VerifierKeyConsistencyTest, EachRuleRefusedAndTheLastGoodDirectoryKept) {
  IssuerFixture good("issuer.example", 41);
  good.AddKey(kClaim, kStart, kStart + kEpoch + kKeyGraceSeconds, Key(0));
  testing::DirectoryServer server;
  server.Serve(good);
  FixedClock clock(kNow);
  std::shared_ptr<const TrustedKeySet> published;
  DirectoryRefresher refresher({EntryFor(good, server.url())}, net::HttpClientOptions{},
                               [&](std::shared_ptr<const TrustedKeySet> keys) { published = std::move(keys); });
  refresher.SetClock(&clock);
  ASSERT_EQ(refresher.RefreshOnce(), 1u) << refresher.LastErrors();
  ASSERT_TRUE(published);
  const Bytes good_id = good.key(0).public_key().KeyId();

  struct Case {
    const char* rule;
    std::function<void(IssuerFixture&)> add;  // what the issuer adds to its good directory
    const char* words;                        // in the refusal
  };
  const std::vector<Case> cases = {
      {"a window off the grid (not-before not on an epoch boundary)",
       [](IssuerFixture& d) { d.AddKey("age_over_21", kStart + 86400, kStart + 86400 + kEpoch + kKeyGraceSeconds, Key(1)); },
       "off the issuer's epoch grid"},
      {"a window of the wrong length",
       [](IssuerFixture& d) { d.AddKey("age_over_21", kStart, kStart + kEpoch, Key(1)); }, "off the issuer's epoch grid"},
      {"two epoch lengths in one directory",
       [](IssuerFixture& d) {
         d.AddKey("age_over_21", (kNow / (14 * 86400)) * 14 * 86400, (kNow / (14 * 86400)) * 14 * 86400 + 21 * 86400,
                  Key(1));
       },
       "one epoch length"},
      {"one key under two claims",
       [](IssuerFixture& d) { d.AddKey("age_over_21", kStart, kStart + kEpoch + kKeyGraceSeconds, Key(0)); },
       "under two claims"},
      {"two keys for one claim and epoch (a tag)",
       [](IssuerFixture& d) { d.AddKey(kClaim, kStart, kStart + kEpoch + kKeyGraceSeconds, Key(1)); }, "in one epoch"},
      {"more keys for a claim than rotation produces",
       [](IssuerFixture& d) {
         d.AddKey(kClaim, kStart - kEpoch, kStart + kKeyGraceSeconds, Key(1));
         d.AddKey(kClaim, kStart - 2 * kEpoch, kStart - kEpoch + kKeyGraceSeconds, Key(2));
         d.AddKey(kClaim, kStart - 3 * kEpoch, kStart - 2 * kEpoch + kKeyGraceSeconds, Key(3));
       },
       "than key rotation produces"},
      {"a key listed long before its epoch",
       [](IssuerFixture& d) { d.AddKey(kClaim, kStart + 2 * kEpoch, kStart + 3 * kEpoch + kKeyGraceSeconds, Key(1)); },
       "before its publication time"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.rule);
    IssuerFixture bad = good;  // the same, real directory key signs the bad directory
    c.add(bad);
    server.Serve(bad);
    const auto before = published;
    EXPECT_EQ(refresher.RefreshOnce(), 1u) << "the last good directory is kept";
    EXPECT_NE(refresher.LastErrors().find("inconsistent keys"), std::string::npos) << refresher.LastErrors();
    EXPECT_NE(refresher.LastErrors().find(c.words), std::string::npos) << refresher.LastErrors();
    // What is served is the last good directory's key, nothing of the bad one.
    EXPECT_EQ(published->size(), 1u);
    EXPECT_NE(published->Find(good_id), nullptr);
    for (std::size_t i = 1; i < 5; ++i) EXPECT_EQ(published->Find(Key(i).public_key().KeyId()), nullptr);
    EXPECT_TRUE(refresher.Missing().empty());
  }
  // The next epoch's key, listed on time, is what rotation produces: taken.
  IssuerFixture next = good;
  next.AddKey(kClaim, kStart + kEpoch, kStart + 2 * kEpoch + kKeyGraceSeconds, Key(1));
  server.Serve(next);
  clock.Set(kStart + kEpoch - 2 * 86400);
  EXPECT_EQ(refresher.RefreshOnce(), 1u);
  EXPECT_EQ(refresher.LastErrors(), "");
  EXPECT_EQ(published->size(), 2u);
}

TEST(VerifierKeyConsistencyTest, AnInconsistentFirstDirectoryLeavesTheIssuerMissing) {
  IssuerFixture bad("issuer.example", 42);
  bad.AddKey(kClaim, kStart, kStart + kEpoch + kKeyGraceSeconds, Key(0));
  bad.AddKey(kClaim, kStart, kStart + kEpoch + kKeyGraceSeconds, Key(1));
  testing::DirectoryServer server;
  server.Serve(bad);
  FixedClock clock(kNow);
  bool published = false;
  std::size_t missing = 0;
  DirectoryRefresher refresher({EntryFor(bad, server.url())}, net::HttpClientOptions{},
                               [&](std::shared_ptr<const TrustedKeySet>) { published = true; });
  refresher.SetClock(&clock);
  refresher.SetOnMissing([&](std::size_t n) { missing = n; });
  EXPECT_EQ(refresher.RefreshOnce(), 0u);
  EXPECT_FALSE(published);
  EXPECT_EQ(missing, 1u);
  EXPECT_EQ(refresher.Missing(), std::vector<std::string>{"issuer.example"});
}

// --- the directory cache, in process -------------------------------------------------------

TEST(VerifierCacheTest, CacheIsReCheckedAndExpiredKeysDropped) {
  testing::TempDir dir("verifier_cache");
  IssuerFixture issuer("issuer.example", 43);
  issuer.AddKey(kClaim, kStart, kStart + kEpoch + kKeyGraceSeconds, Key(0));
  issuer.AddKey(kClaim, kStart - kEpoch, kStart + kKeyGraceSeconds, Key(1));  // the previous epoch's, in its grace
  testing::DirectoryServer server;
  server.Serve(issuer);
  const TrustEntry entry = EntryFor(issuer, server.url());
  FixedClock clock(kNow - 5 * 86400);
  {
    DirectoryRefresher refresher({entry}, net::HttpClientOptions{}, [](std::shared_ptr<const TrustedKeySet>) {});
    refresher.SetClock(&clock);
    ASSERT_TRUE(refresher.SetCacheDir(dir.File("cache")).ok());
    ASSERT_EQ(refresher.RefreshOnce(), 1u);
  }
  const std::string file = dir.File("cache/" + CacheFileName(entry));
  ASSERT_TRUE(std::filesystem::exists(file));
  struct stat st {};
  ASSERT_EQ(stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(CacheFileName(entry).find("issuer.example"), std::string::npos) << "the file is named by a hash";

  // A later start: the previous epoch's key has run out, the current one is kept.
  clock.Set(kNow);
  std::shared_ptr<const TrustedKeySet> published;
  DirectoryRefresher later({entry}, net::HttpClientOptions{},
                           [&](std::shared_ptr<const TrustedKeySet> keys) { published = std::move(keys); });
  later.SetClock(&clock);
  ASSERT_TRUE(later.SetCacheDir(dir.File("cache")).ok());
  EXPECT_EQ(later.LoadCache(), 1u);
  ASSERT_TRUE(published);
  EXPECT_EQ(published->size(), 1u);
  EXPECT_NE(published->Find(Key(0).public_key().KeyId()), nullptr);
  EXPECT_TRUE(later.Missing().empty());

  // Everything expired, a tampered body, another pin, or junk: not taken.
  auto load = [&](const TrustEntry& e) {
    DirectoryRefresher r({e}, net::HttpClientOptions{}, [](std::shared_ptr<const TrustedKeySet>) {});
    r.SetClock(&clock);
    EXPECT_TRUE(r.SetCacheDir(dir.File("cache")).ok());
    return r.LoadCache();
  };
  clock.Set(kStart + kEpoch + kKeyGraceSeconds);
  EXPECT_EQ(load(entry), 0u);
  clock.Set(kNow);
  const std::string original = testing::ReadText(file);
  std::string tampered = original;
  testing::ReplaceOnce(tampered, "age_over_18", "age_over_16");
  testing::WriteText(file, tampered);
  EXPECT_EQ(load(entry), 0u);
  testing::WriteText(file, "{not json");
  EXPECT_EQ(load(entry), 0u);
  testing::WriteText(file, original);
  EXPECT_EQ(load(entry), 1u);
  TrustEntry other_pin = entry;
  other_pin.public_key = IssuerFixture("issuer.example", 99).SigningPublicKey();
  EXPECT_EQ(load(other_pin), 0u) << "another pin reads another file";
  // An unusable cache directory is a usage error.
  DirectoryRefresher r({entry}, net::HttpClientOptions{}, [](std::shared_ptr<const TrustedKeySet>) {});
  testing::WriteText(dir.File("a-file"), "x");
  EXPECT_FALSE(r.SetCacheDir(dir.File("a-file")).ok());
}

// --- trust-file errors ------------------------------------------------------------------------

TEST(VerifierTrustFileTest, ErrorsNameThePlaceAndTheField) {
  const std::string key = Base64UrlEncode(Bytes(32, 7));
  struct Case {
    std::string json;
    std::vector<std::string> words;
  };
  const std::vector<Case> cases = {
      {"[\n  {\"name\": \"i\", \"directory\": \"https://i.example\", \"key\": \"" + key + "\"},\n]\n",
       {"JSON syntax error", "line 3, column 1"}},
      {"[{\"name\": \"i\",\n \"directory\": \"https://i.example\"\n \"key\": \"k\"}]", {"JSON syntax error", "line 3"}},
      {"", {"JSON syntax error", "line 1, column 1"}},
      {"{\"name\": \"i\"}", {"expected a JSON array"}},
      {"[{\"name\": \"i\", \"directroy\": \"https://i.example\", \"key\": \"" + key + "\"}]",
       {"entry 0", "unknown field \"directroy\"", "did you mean \"directory\"?"}},
      {"[{\"name\": \"i\", \"directory\": \"https://i.example\", \"key\": \"" + key + "\", \"comment\": 1}]",
       {"unknown field \"comment\""}},
      {"[{\"name\": \"i\", \"key\": \"" + key + "\"}]", {"entry 0", "missing field \"directory\""}},
      {"[{\"directory\": \"https://i.example\", \"key\": \"" + key + "\"}]", {"missing field \"name\""}},
      {"[{\"name\": \"i\", \"directory\": \"https://i.example\"}]", {"missing field \"key\""}},
      {"[{\"name\": \"i\", \"directory\": \"ftp://i.example\", \"key\": \"" + key + "\"}]", {"\"directory\""}},
      {"[{\"name\": \"i\", \"directory\": \"https://i.example\", \"key\": \"AAAA\"}]", {"not 32 bytes"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.json);
    auto r = ParseTrustFile(c.json);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    for (const std::string& w : c.words) EXPECT_NE(r.error().message.find(w), std::string::npos) << r.error().message;
  }
  EXPECT_TRUE(ParseTrustFile("[{\"name\": \"i\", \"directory\": \"https://i.example\", \"key\": \"" + key + "\"}]").ok());
}

// --- several origins ---------------------------------------------------------------------------

TEST(VerifierOriginsTest, TrailingSlashIsNormalisedAndPathsRefused) {
  EXPECT_EQ(*CanonicalOrigin("https://Shop.Example/"), "https://shop.example");
  EXPECT_EQ(*CanonicalOrigin("https://shop.example:443"), "https://shop.example");
  EXPECT_EQ(*CanonicalOrigin("http://127.0.0.1:8080/"), "http://127.0.0.1:8080");
  for (const char* bad : {"https://shop.example/a", "https://shop.example//", "https://shop.example/?x", "shop.example",
                          "ftp://shop.example", "https://shop.example/#"}) {
    EXPECT_FALSE(CanonicalOrigin(bad).ok()) << bad;
  }
}

TEST(VerifierOriginsTest, APopForAnyGivenOriginIsAccepted) {
  IssuerFixture issuer("issuer.example", 44);
  const std::size_t k = issuer.AddKey(kClaim, kStart, kStart + kEpoch + kKeyGraceSeconds, Key(0));
  SystemRng rng;
  FixedClock clock(kNow);
  auto secrets = RandomSecrets(rng);
  ASSERT_TRUE(secrets.ok());
  VerifierService service(VerifierOptions{"https://shop.example", 60, std::move(*secrets), "", GateLimits{}, {},
                                          {"https://www.shop.example", "http://localhost:8080"}},
                          std::make_shared<MemorySpentStore>(), clock, rng);
  service.SetTrustedKeys(std::make_shared<const TrustedKeySet>(issuer.TrustedKeys()));
  auto present = [&](const std::string& origin) {
    server::RequestLog log;
    auto challenge = service.HandleRequest(testing::MakeRequest(server::http::verb::get, "/challenge?claim=age_over_18"), log);
    auto parsed = ParseWwwAuthenticate(std::string(challenge[server::http::field::www_authenticate]));
    EXPECT_TRUE(parsed.ok());
    server::Request req = testing::MakeRequest(server::http::verb::post, "/verify?claim=age_over_18");
    req.set(server::http::field::authorization,
            testing::AuthorizationFor(issuer.Issue(k, rng), origin, (*parsed)[0].yesno_vnonce));
    return service.HandleRequest(req, log).body();
  };
  for (const char* origin : {"https://shop.example", "https://www.shop.example", "http://localhost:8080"}) {
    EXPECT_NE(present(origin).find("\"answer\":\"yes\""), std::string::npos) << origin;
  }
  EXPECT_NE(present("https://evil.example").find("bad_pop"), std::string::npos);
  EXPECT_NE(present("http://localhost:8081").find("bad_pop"), std::string::npos);
}

}  // namespace
}  // namespace yesno::verifier

// --- the real binary --------------------------------------------------------------------------

#ifdef YESNO_VERIFIER_PATH

namespace yesno::testing {
namespace {

constexpr char kSiteOrigin[] = "https://shop.example";

int64_t Now() { return SystemClock().NowSeconds(); }

// Serving waits until `v` answers /healthz (it handles SIGTERM from then on).
void Serving(const VerifierProcess& v) {
  for (int i = 0; i < 100; ++i) {
    auto r = net::HttpClient().Get(MustUrl(v.url + "/healthz"));
    if (r.ok() && r->status == 200) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ADD_FAILURE() << "the verifier does not answer /healthz";
}

// WaitForStatus polls GET `url` until it answers `want` (up to ~10 s).
unsigned WaitForStatus(const std::string& url, unsigned want) {
  unsigned status = 0;
  for (int i = 0; i < 100 && status != want; ++i) {
    auto r = net::HttpClient().Get(MustUrl(url));
    status = r.ok() ? r->status : 0;
    if (status != want) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return status;
}

std::string Present(const std::string& base, const IssuedToken& token, const std::string& origin = kSiteOrigin) {
  auto r = PostVerify(base, "age_over_18", AuthorizationFor(token, origin, FetchVnonce(base, "age_over_18")));
  return r.ok() ? r->body : r.error().message;
}

// A tagging issuer: every fetch of its directory hands out one more key for
// age_over_18 in the same epoch (one per wallet, to single it out), and lists
// all it handed out so far so that a colluding verifier can tell them apart.
// It signs with its real, pinned directory key.
TEST(VerifierKeyConsistencyTest, TaggingIssuerIsCaughtByTheRealVerifier) {
  TempDir dir("verifier_tagging");
  const auto [nb, na] = EpochWindow(Now());
  IssuerFixture base("issuer.example", 45);
  std::vector<IssuerFixture> views;
  views.push_back(base);
  views.back().AddKey("age_over_18", nb, na, TestKey2048());
  views.push_back(views.back());
  views.back().AddKey("age_over_18", nb, na, OtherTestKey2048());
  std::vector<std::pair<std::string, std::string>> served;
  for (const auto& v : views) served.emplace_back(v.DirectoryBody(), v.DirectorySignature(v.DirectoryBody()));
  std::mutex mu;
  std::size_t fetches = 0;
  server::Router router;
  router.Add(server::http::verb::get, kDirectoryPath, [&](const server::Request& req, server::RequestLog&) {
    std::lock_guard<std::mutex> lock(mu);
    const auto& [body, sig] = served[std::min(fetches++, served.size() - 1)];
    auto res = server::MakeResponse(req, server::http::status::ok, kMediaTypeDirectory, body);
    res.set(kDirectorySignatureHeader, sig);
    return res;
  });
  server::ServerOptions options;
  options.name = "tagging-issuer";
  options.listen = "127.0.0.1:0";
  options.threads = 1;
  auto http = server::HttpServer::Create(options, router);
  ASSERT_TRUE(http.ok());
  std::thread thread([&] { (*http)->Run(/*handle_signals=*/false); });
  WriteTrustFile(dir.File("trust.json"), {{&base, (*http)->url()}});

  // The verifier's first fetch sees one key (the "first wallet's"); its
  // refresh sees that key and the second wallet's, for one claim and epoch.
  auto v = VerifierProcess::Start({"--origin", kSiteOrigin, "--trust", dir.File("trust.json"), "--spent-store",
                                   "memory:", "--refresh-seconds", "1"},
                                  dir.File("verifier.log"));
  ASSERT_TRUE(v.child);
  std::string log;
  for (int i = 0; i < 100 && log.find("inconsistent keys") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    log = ReadText(v.log_path);
  }
  EXPECT_NE(log.find("directory of issuer issuer.example ignored (keeping the last good one): inconsistent keys: "
                     "the directory lists two keys for age_over_18 in one epoch"),
            std::string::npos)
      << log;
  // Only the first key is offered and accepted; a token under the tag key is not.
  auto challenge = net::HttpClient().Get(MustUrl(v.url + "/challenge?claim=age_over_18"));
  ASSERT_TRUE(challenge.ok());
  EXPECT_EQ(challenge->body.find(HexEncode(OtherTestKey2048().public_key().KeyId())), std::string::npos);
  EXPECT_NE(challenge->body.find(HexEncode(TestKey2048().public_key().KeyId())), std::string::npos);
  SystemRng rng;
  EXPECT_NE(Present(v.url, views[1].Issue(1, rng)).find("unknown_key"), std::string::npos);
  EXPECT_NE(Present(v.url, views[0].Issue(0, rng)).find("\"answer\":\"yes\""), std::string::npos);
  EXPECT_EQ(v.Stop(), 0);
  (*http)->Stop();
  thread.join();
}

// Issue 14: a restart while the issuer is down starts from the cache and
// says yes; without a cache the verifier serves, answers unavailable, and
// recovers when the issuer comes back.
TEST(VerifierCacheTest, RestartWhileTheIssuerIsDownStartsFromTheCache) {
  TempDir dir("verifier_cache_restart");
  IssuerFixture issuer("issuer.example", 46);
  const auto [nb, na] = EpochWindow(Now());
  const std::size_t key = issuer.AddKey("age_over_18", nb, na, TestKey2048());
  const std::vector<std::string> args = {"--origin", kSiteOrigin, "--trust", dir.File("trust.json"), "--spent-store",
                                         "memory:", "--cache-dir", dir.File("cache"), "--refresh-seconds", "1"};
  {
    DirectoryServer directory;
    directory.Serve(issuer);
    WriteTrustFile(dir.File("trust.json"), {{&issuer, directory.url()}});
    auto v = VerifierProcess::Start(args, dir.File("first.log"));
    ASSERT_TRUE(v.child);
    Serving(v);
    EXPECT_EQ(v.Stop(), 0);
  }  // the issuer goes down
  auto v = VerifierProcess::Start(args, dir.File("second.log"));
  ASSERT_TRUE(v.child);
  const std::string log = ReadText(v.log_path);
  EXPECT_NE(log.find("directory of issuer issuer.example: running from cache"), std::string::npos) << log;
  EXPECT_EQ(log.find("WARNING"), std::string::npos) << log;
  EXPECT_NE(Present(v.url, issuer.IssueMany(key, 1)[0]).find("\"answer\":\"yes\""), std::string::npos);
  EXPECT_EQ(v.Stop(), 0);
}

TEST(VerifierCacheTest, WithoutCacheItServesUnavailableUntilTheIssuerComesBack) {
  TempDir dir("verifier_cache_none");
  IssuerFixture issuer("issuer.example", 47);
  const auto [nb, na] = EpochWindow(Now());
  const std::size_t key = issuer.AddKey("age_over_18", nb, na, TestKey2048());
  const std::string listen = "127.0.0.1:" + std::to_string(FreePort());
  WriteTrustFile(dir.File("trust.json"), {{&issuer, "http://" + listen}});
  auto v = VerifierProcess::Start({"--origin", kSiteOrigin, "--trust", dir.File("trust.json"), "--spent-store",
                                   "memory:", "--cache-dir", dir.File("cache"), "--refresh-seconds", "1",
                                   "--directory-timeout", "1"},
                                  dir.File("verifier.log"));
  ASSERT_TRUE(v.child) << "the verifier serves while its only issuer is down";
  std::string log = ReadText(v.log_path);
  EXPECT_NE(log.find("WARNING: serving without a directory for issuer.example"), std::string::npos) << log;
  EXPECT_EQ(log.find("keeping the last good one"), std::string::npos) << log;
  auto r = net::HttpClient().Get(MustUrl(v.url + "/challenge?claim=age_over_18"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 503u);
  EXPECT_EQ(r->body, "{\"error\":\"unavailable\"}");
  // A presentation under a key it cannot know yet: unavailable, not unknown_key.
  auto no = PostVerify(v.url, "age_over_18", AuthorizationFor(issuer.IssueMany(key, 1)[0], kSiteOrigin, Bytes(kVnonceBytes, 1)));
  ASSERT_TRUE(no.ok());
  EXPECT_EQ(no->status, 503u);
  EXPECT_EQ(no->body, "{\"answer\":\"no\",\"reason\":\"unavailable\"}");
  r = net::HttpClient().Get(MustUrl(v.url + "/gate?claim=age_over_18&return=/"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 503u);
  // The issuer comes back where it was: the next refresh takes it.
  DirectoryServer directory(listen);
  directory.Serve(issuer);
  EXPECT_EQ(WaitForStatus(v.url + "/challenge?claim=age_over_18", 401u), 401u);
  EXPECT_NE(Present(v.url, issuer.IssueMany(key, 1)[0]).find("\"answer\":\"yes\""), std::string::npos);
  log = ReadText(v.log_path);
  EXPECT_NE(log.find("directory of issuer issuer.example: verified"), std::string::npos) << log;
  EXPECT_EQ(log.find("keeping the last good one"), std::string::npos) << log;
  EXPECT_EQ(v.Stop(), 0);
  EXPECT_TRUE(std::filesystem::exists(dir.File("cache")));
}

TEST(VerifierOriginsTest, SeveralOriginsOnTheCommandLine) {
  TempDir dir("verifier_origins");
  IssuerFixture issuer("issuer.example", 48);
  const auto [nb, na] = EpochWindow(Now());
  const std::size_t key = issuer.AddKey("age_over_18", nb, na, TestKey2048());
  DirectoryServer directory;
  directory.Serve(issuer);
  WriteTrustFile(dir.File("trust.json"), {{&issuer, directory.url()}});
  auto v = VerifierProcess::Start({"--origin", "https://shop.example/", "--origin", "https://www.shop.example",
                                   "--trust", dir.File("trust.json"), "--spent-store", "memory:"},
                                  dir.File("verifier.log"));
  ASSERT_TRUE(v.child);
  const auto tokens = issuer.IssueMany(key, 3);
  EXPECT_NE(Present(v.url, tokens[0], "https://shop.example").find("yes"), std::string::npos);
  EXPECT_NE(Present(v.url, tokens[1], "https://www.shop.example").find("yes"), std::string::npos);
  EXPECT_NE(Present(v.url, tokens[2], "https://other.example").find("bad_pop"), std::string::npos);
  EXPECT_NE(ReadText(v.log_path).find("serving origin https://shop.example, https://www.shop.example"),
            std::string::npos);
  EXPECT_EQ(v.Stop(), 0);
}

}  // namespace
}  // namespace yesno::testing

#endif  // YESNO_VERIFIER_PATH
