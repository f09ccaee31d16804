// holder_privacy_test.cc — the wallet's side of DESIGN §8 and of the first
// hour, with the real binaries: presenting never reaches an issuer (a hostile
// verifier offering a foreign key gets nothing, the issuer sees no request),
// refills happen apart (`refill --if-due`, all claims together), directories
// breaking the key-consistency rules are refused, a tagging issuer (fresh
// keys signed with the issuer's real directory key) is caught at the first
// honest verifier, and every "cannot" says why in the person's terms.
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <thread>

#include "files.h"
#include "http_client.h"
#include "http_server.h"
#include "testing/child_process.h"
#include "testing/process.h"
#include "testing/test_util.h"
#include "wallet_world.h"
#include "yesno/auth_header.h"
#include "yesno/claims.h"
#include "yesno/directory.h"
#include "yesno/token.h"
#include "yesno/vnonce.h"
#include "yesno/wallet.h"

namespace yesno {
namespace {

using nlohmann::json;
using testing::ChildProcess;
using testing::PrivateDir;
using testing::ProcessResult;
using testing::RunProcess;
using testing::YearsAgo;

constexpr int kQuota = 6;

testing::WalletWorld* g_world = nullptr;

bool Has(const std::string& text, const std::string& words) { return text.find(words) != std::string::npos; }

// RequestCount sums a server's requests_total, leaving out its /metrics route
// (the count itself is read through it).
int64_t RequestCount(const std::string& base, const std::string& route_filter = "") {
  auto res = net::HttpClient().Get(*net::ParseUrl(base + "/metrics"));
  EXPECT_TRUE(res.ok());
  if (!res.ok()) return -1;
  int64_t total = 0;
  std::istringstream in(res->body);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#' || !Has(line, "_requests_total{") || Has(line, "route=\"/metrics\"")) continue;
    if (!route_filter.empty() && !Has(line, "route=\"" + route_filter + "\"")) continue;
    total += std::stoll(line.substr(line.rfind(' ') + 1));
  }
  return total;
}

// FakeServer is an in-process HTTP server standing in for a hostile verifier
// or an issuer double; it counts what reaches it.
struct FakeServer {
  server::Router router;
  std::unique_ptr<server::HttpServer> http;
  std::thread thread;
  std::atomic<int> posts{0};

  void Start() {
    server::ServerOptions options;
    options.listen = "127.0.0.1:0";
    auto s = server::HttpServer::Create(options, router);
    ASSERT_TRUE(s.ok());
    http = std::move(*s);
    thread = std::thread([this] { http->Run(false); });
  }
  ~FakeServer() {
    if (http) http->Stop();
    if (thread.joinable()) thread.join();
  }
  std::string url() const { return http->url(); }
};

server::Response Json(const server::Request& req, server::http::status status, const json& body) {
  return server::MakeResponse(req, status, "application/json", body.dump());
}

class HolderPrivacyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    g_world = new testing::WalletWorld;
    g_world->Start({"holder", "issuer.hp",
                    {"--claims", "age_over_18,age_over_21", "--attributes", "verified_person", "--quota",
                     std::to_string(kQuota)},
                    {"--claims", "age_over_18,age_over_21,verified_person", "--cache-dir", "none", "--spent-store",
                     "sqlite:@DIR@/spent.sqlite"}});
  }
  static void TearDownTestSuite() {
    delete g_world;
    g_world = nullptr;
  }

  static std::string Ticket(const std::string& birth, const std::vector<std::string>& attributes = {}) {
    return g_world->Ticket(birth, attributes);
  }
  static ProcessResult Yesno(const std::string& wallet_dir, std::vector<std::string> args,
                             const std::vector<std::string>& env = {}) {
    return testing::WalletWorld::Yesno(wallet_dir, std::move(args), env);
  }
  // NewWallet makes a key-file wallet enrolled at `issuer_url` (default: the real issuer).
  static std::string NewWallet(const std::string& name, const std::string& birth,
                               const std::vector<std::string>& attributes = {}, const std::string& issuer_url = "") {
    return g_world->NewWallet(name, birth, attributes, issuer_url);
  }
  static WalletContents ReadWallet(const std::string& w) { return testing::WalletWorld::ReadWallet(w); }

  static ProcessResult Prove(const std::string& w, const std::string& claim, const std::string& verifier = "") {
    return Yesno(w, {"prove", "--verifier", verifier.empty() ? g_world->verifier_url : verifier, "--claim", claim});
  }

  static SecretBytes SigningSeed() {
    auto seed = files::ReadSecretFile(g_world->dir + "/issuer/signing.key");
    EXPECT_TRUE(seed.ok());
    return seed.ok() ? std::move(*seed) : SecretBytes{};
  }

  static IssuerDirectory RealDirectory() {
    auto res = net::HttpClient().Get(*net::ParseUrl(g_world->issuer_url + kDirectoryPath));
    EXPECT_TRUE(res.ok());
    auto d = ParseDirectory(res->body);
    EXPECT_TRUE(d.ok());
    return d.ok() ? *d : IssuerDirectory{};
  }
};

// A hostile verifier offers a key the wallet has no token under. The wallet
// answers no without sending it anything, and the issuer receives no request
// at all: nothing a verifier sends causes issuer traffic.
TEST_F(HolderPrivacyTest, AHostileVerifierOfferingAForeignKeyGetsNoAndTheIssuerSeesNothing) {
  const std::string w = NewWallet("hostile", YearsAgo(30));
  ASSERT_EQ(Yesno(w, {"refill", "--target", "3"}).exit_code, 0);

  for (const std::string issuer_name : {"other.example", "issuer.hp"}) {
    FakeServer hostile;
    const RsaPublicKey foreign = testing::TestKey2048().public_key();
    hostile.router.Add(server::http::verb::get, "/challenge", [&](const server::Request& req, server::RequestLog&) {
      json ch = {{"issuer", issuer_name},
                 {"challenge", Base64UrlEncode(*CrossOriginChallenge(issuer_name))},
                 {"token-key", Base64UrlEncode(foreign.Spki())},
                 {"token-key-id", HexEncode(foreign.KeyId())},
                 {"yesno-vnonce", Base64UrlEncode(Bytes(48, 7))}};
      return Json(req, server::http::status::unauthorized, {{"claim", "age_over_18"}, {"challenges", json::array({ch})}});
    });
    hostile.router.Add(server::http::verb::post, "/verify", [&](const server::Request& req, server::RequestLog&) {
      ++hostile.posts;
      return Json(req, server::http::status::ok, {{"answer", "no"}});
    });
    hostile.Start();

    const int64_t issuer_before = RequestCount(g_world->issuer_url);
    auto r = Prove(w, "age_over_18", hostile.url());
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_EQ(r.out, "no (no_token)\n");
    EXPECT_EQ(hostile.posts.load(), 0) << "the wallet sent the hostile verifier something";
    EXPECT_EQ(RequestCount(g_world->issuer_url), issuer_before) << "prove made the issuer see a request";
    if (issuer_name == "other.example") {
      EXPECT_TRUE(Has(r.err, "accepts proofs from other.example only")) << r.err;
    }
    EXPECT_TRUE(Has(r.err, "Nothing was sent")) << r.err;
  }
  // The wallet kept its three tokens per claim, none spent.
  for (const auto& t : ReadWallet(w).tokens) EXPECT_FALSE(t.spent);
}

// A wallet with no token never refills while proving: the site and the
// issuer are sent nothing, and the person is told to refill.
TEST_F(HolderPrivacyTest, ProveNeverRefillsAndSaysHowToGetTokens) {
  const std::string w = NewWallet("empty", YearsAgo(30), {"verified_person"});
  const int64_t issuer_before = RequestCount(g_world->issuer_url);
  const int64_t verify_before = RequestCount(g_world->verifier_url, "/verify");
  auto r = Prove(w, "verified_person");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(r.out, "no (no_token)\n");
  EXPECT_TRUE(Has(r.err, "yesno refill")) << r.err;
  EXPECT_EQ(RequestCount(g_world->issuer_url), issuer_before);
  EXPECT_EQ(RequestCount(g_world->verifier_url, "/verify"), verify_before);
  EXPECT_TRUE(ReadWallet(w).tokens.empty());

  auto j = Yesno(w, {"--json", "prove", "--verifier", g_world->verifier_url, "--claim", "verified_person"});
  EXPECT_EQ(j.exit_code, 1);
  auto doc = json::parse(j.out);
  EXPECT_EQ(doc["answer"], "no");
  EXPECT_EQ(doc["reason"], "no_token");
  EXPECT_TRUE(Has(doc["message"].get<std::string>(), "yesno refill"));

  ASSERT_EQ(Yesno(w, {"refill", "--target", "2"}).exit_code, 0);
  r = Prove(w, "verified_person");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "yes\n");
}

// `refill --if-due` does nothing while every claim is above the low-water
// mark, and otherwise tops up every claim of the issuer with the same batch
// size, so the traffic does not show which claim ran low.
TEST_F(HolderPrivacyTest, RefillIfDueRefillsEveryClaimTogetherOnlyWhenDue) {
  const std::string w = NewWallet("ifdue", YearsAgo(30), {"verified_person"});
  auto r = Yesno(w, {"--json", "refill", "--if-due", "--target", "3", "--low-water", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto doc = json::parse(r.out);
  EXPECT_EQ(doc["claims"]["age_over_18"]["added"], 3);
  EXPECT_EQ(doc["claims"]["verified_person"]["added"], 3);

  int64_t batches = RequestCount(g_world->issuer_url, "/token-request-batch");
  r = Yesno(w, {"refill", "--if-due", "--target", "3", "--low-water", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Has(r.out, "nothing due")) << r.out;
  EXPECT_EQ(RequestCount(g_world->issuer_url, "/token-request-batch"), batches);

  ASSERT_EQ(Prove(w, "age_over_18").exit_code, 0);  // age_over_18 drops below the mark
  r = Yesno(w, {"--json", "refill", "--if-due", "--target", "3", "--low-water", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  doc = json::parse(r.out);
  EXPECT_EQ(doc["claims"]["age_over_18"]["added"], 1);
  EXPECT_EQ(doc["claims"]["verified_person"]["added"], 1) << "only the low claim was refilled: traffic shows it";
  EXPECT_EQ(doc["claims"]["age_over_21"]["added"], 1);
  EXPECT_EQ(RequestCount(g_world->issuer_url, "/token-request-batch"), batches + 3);  // one per entitled claim

  r = Yesno(w, {"refill", "--if-due", "--claim", "age_over_18"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Has(r.err, "drop --claim")) << r.err;
}

// The issuer double serves a signed directory (the issuer's real directory
// key) that breaks one rule; entitlements and batches are passed to the real
// issuer and counted.
struct DirectoryDouble {
  FakeServer server;
  std::mutex mu;
  std::string body;
  std::string signature;
  std::atomic<int> batches{0};

  void Serve(const IssuerDirectory& d, const SecretBytes& seed) {
    std::lock_guard<std::mutex> lock(mu);
    body = SerializeDirectory(d);
    signature = *SignDirectory(View(seed), body);
  }
  void Start() {
    server.router.Add(server::http::verb::get, kDirectoryPath, [this](const server::Request& req, server::RequestLog&) {
      std::lock_guard<std::mutex> lock(mu);
      auto res = server::MakeResponse(req, server::http::status::ok, kMediaTypeDirectory, body);
      res.set(kDirectorySignatureHeader, signature);
      return res;
    });
    auto forward = [this](const server::Request& req, server::RequestLog&) {
      if (std::string(req.target()).find("batch") != std::string::npos) ++batches;
      net::HttpRequest out;
      out.method = "POST";
      out.url = *net::ParseUrl(g_world->issuer_url + std::string(req.target()));
      for (const auto& f : req) {
        const std::string name(f.name_string());
        if (name == "Authorization" || name == "Accept") out.headers.emplace_back(name, std::string(f.value()));
        if (name == "Content-Type") out.content_type = std::string(f.value());
      }
      out.body = req.body();
      auto res = net::HttpClient().Send(out);
      return server::MakeResponse(req, static_cast<server::http::status>(res->status), res->content_type, res->body);
    };
    server.router.Add(server::http::verb::post, "/entitlements", forward);
    server.router.Add(server::http::verb::post, "/token-request-batch", forward);
    server.Start();
  }
};

TEST_F(HolderPrivacyTest, TheWalletRefusesDirectoriesBreakingTheKeyConsistencyRules) {
  const SecretBytes seed = SigningSeed();
  const IssuerDirectory real = RealDirectory();
  DirectoryDouble dbl;
  dbl.Serve(real, seed);
  dbl.Start();
  const std::string w = NewWallet("rules", YearsAgo(30), {}, dbl.server.url());

  const DirectoryKey* current = nullptr;
  for (const auto& k : real.keys) {
    if (k.claim == "age_over_18" && (current == nullptr || k.not_before > current->not_before)) current = &k;
  }
  ASSERT_NE(current, nullptr);
  const Bytes other_spki = testing::OtherTestKey2048().public_key().Spki();
  std::vector<std::pair<std::string, IssuerDirectory>> broken;
  {
    IssuerDirectory d = real;  // the tagging attack: a second key for the same claim and epoch
    DirectoryKey k = *current;
    k.token_key = other_spki;
    d.keys.push_back(k);
    broken.emplace_back("two keys for age_over_18 in one epoch", d);
  }
  {
    IssuerDirectory d = real;  // one key under two claims
    DirectoryKey k = *current;
    k.claim = "verified_person";
    d.keys.push_back(k);
    broken.emplace_back("under two claims", d);
  }
  {
    IssuerDirectory d = real;  // a window off the epoch grid
    DirectoryKey k = *current;
    k.token_key = other_spki;
    k.claim = "age_over_50";
    k.not_before += 3600;
    d.keys.push_back(k);
    broken.emplace_back("epoch grid", d);
  }
  {
    IssuerDirectory d = real;  // more keys for a claim than rotation produces: older epochs not listed yet
    const int64_t epoch = current->not_after - current->not_before - kKeyGraceSeconds;
    int64_t oldest = current->not_before;
    for (const auto& k : real.keys) {
      if (k.claim == "age_over_18") oldest = std::min(oldest, k.not_before);
    }
    for (int back = 1; back <= 3; ++back) {
      DirectoryKey k = *current;
      k.token_key = Bytes{0x30, static_cast<uint8_t>(back)};
      k.not_before = oldest - back * epoch;
      k.not_after = k.not_before + epoch + kKeyGraceSeconds;
      d.keys.push_back(k);
    }
    broken.emplace_back("more keys for age_over_18", d);
  }
  {
    IssuerDirectory d = real;  // a key published long before its epoch
    const int64_t epoch = current->not_after - current->not_before - kKeyGraceSeconds;
    DirectoryKey k = *current;
    k.token_key = other_spki;
    k.not_before += 3 * epoch;
    k.not_after += 3 * epoch;
    d.keys.push_back(k);
    broken.emplace_back("before its publication time", d);
  }
  for (const auto& [rule, d] : broken) {
    dbl.Serve(d, seed);
    auto r = Yesno(w, {"refill", "--target", "2"});
    EXPECT_EQ(r.exit_code, 2) << rule << ": " << r.out;
    EXPECT_TRUE(Has(r.err, "key-consistency")) << r.err;
    EXPECT_TRUE(Has(r.err, rule)) << r.err;
    EXPECT_EQ(dbl.batches.load(), 0) << rule;
    // Enrolling there is refused too.
    const std::string other = PrivateDir("holder", "wallet_rules_enroll");
    ASSERT_EQ(Yesno(other, {"init"}).exit_code, 0);
    r = Yesno(other, {"enroll", "--issuer", dbl.server.url(), "--issuer-key", g_world->issuer_key, "--ticket",
                      Ticket(YearsAgo(30))});
    EXPECT_EQ(r.exit_code, 2) << rule;
    EXPECT_TRUE(Has(r.err, "key-consistency")) << r.err;
    std::filesystem::remove_all(other);
  }
  dbl.Serve(real, seed);
  EXPECT_EQ(Yesno(w, {"refill", "--target", "2"}).exit_code, 0);
  EXPECT_EQ(dbl.batches.load(), 2);  // age_over_18 and age_over_21
}

// A tagging issuer: a second instance with the issuer's real identity (same
// directory signing key, ticket key and name) but token keys of its own,
// served to one wallet. The honest verifier mirrors the real keys: the wallet
// presents nothing, answers key_mismatch and keeps a warning until cleared.
TEST_F(HolderPrivacyTest, ATaggingIssuerIsCaughtAtTheFirstHonestVerifier) {
  const std::string tag_dir = g_world->dir + "/tagging";
  std::filesystem::copy(g_world->dir + "/issuer", tag_dir, std::filesystem::copy_options::recursive);
  std::filesystem::remove_all(tag_dir + "/keys");  // keys of its own, generated at start
  std::filesystem::create_directory(tag_dir + "/keys");
  std::filesystem::permissions(tag_dir + "/keys", std::filesystem::perms::owner_all);
  auto tagging = ChildProcess::Start({YESNO_ISSUER_PATH, "serve", "--state", tag_dir, "--listen", "127.0.0.1:0"},
                                     g_world->dir + "/tagging.log");
  ASSERT_TRUE(tagging);
  auto tag_url = tagging->WaitForListening();
  ASSERT_TRUE(tag_url);

  const std::string w = NewWallet("tagged", YearsAgo(30), {}, *tag_url);
  ASSERT_EQ(Yesno(w, {"refill", "--target", "2"}).exit_code, 0);
  ASSERT_EQ(ReadWallet(w).tokens.size(), 4u);  // age_over_18 and age_over_21, under the double's keys

  const int64_t verify_before = RequestCount(g_world->verifier_url, "/verify");
  auto r = Prove(w, "age_over_18");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(r.out, "no (key_mismatch)\n");
  EXPECT_TRUE(Has(r.err, "key of its own")) << r.err;
  EXPECT_EQ(RequestCount(g_world->verifier_url, "/verify"), verify_before) << "the wallet presented a tagged token";
  for (const auto& t : ReadWallet(w).tokens) EXPECT_FALSE(t.spent);

  r = Yesno(w, {"status"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(Has(r.out, "WARNING")) << r.out;
  EXPECT_TRUE(Has(r.out, "key of its own")) << r.out;
  r = Yesno(w, {"--json", "status"});
  EXPECT_EQ(json::parse(r.out)["warnings"].size(), 1u);
  r = Yesno(w, {"status", "--clear-warnings"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_FALSE(Has(r.out, "WARNING")) << r.out;
  EXPECT_TRUE(json::parse(Yesno(w, {"--json", "status"}).out)["warnings"].empty());

  // An honest wallet at the same verifier is unaffected.
  const std::string honest = NewWallet("honest", YearsAgo(30));
  ASSERT_EQ(Yesno(honest, {"refill", "--target", "1"}).exit_code, 0);
  EXPECT_EQ(Prove(honest, "age_over_18").out, "yes\n");
}

// An adult whose wallet has used this period's quota is told so, with the
// date more can be had; the site is sent nothing. With quota left, the
// message says `yesno refill` gets more now.
TEST_F(HolderPrivacyTest, UsedUpQuotaIsExplainedWithTheDateMoreCanBeHad) {
  const std::string w = NewWallet("quota", YearsAgo(30));
  ASSERT_EQ(Yesno(w, {"refill", "--target", "2"}).exit_code, 0);
  ASSERT_EQ(Prove(w, "age_over_18").exit_code, 0);
  ASSERT_EQ(Prove(w, "age_over_18").exit_code, 0);
  auto r = Prove(w, "age_over_18");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Has(r.err, "`yesno refill` gets more now")) << r.err;
  EXPECT_TRUE(Has(r.err, std::to_string(kQuota - 2) + " left")) << r.err;

  r = Yesno(w, {"refill", "--target", "32"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Has(r.out, "age_over_18: +" + std::to_string(kQuota - 2))) << r.out;
  for (int i = 0; i < kQuota - 2; ++i) ASSERT_EQ(Prove(w, "age_over_18").exit_code, 0);

  const int64_t verify_before = RequestCount(g_world->verifier_url, "/verify");
  r = Prove(w, "age_over_18");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "no (no_token)\n");
  EXPECT_TRUE(Has(r.err, "no age_over_18 token left")) << r.err;
  EXPECT_TRUE(Has(r.err, "this wallet's " + std::to_string(kQuota) + " for this period are used; more from 20")) << r.err;
  EXPECT_EQ(RequestCount(g_world->verifier_url, "/verify"), verify_before);

  r = Yesno(w, {"--json", "refill"});
  ASSERT_EQ(r.exit_code, 0);
  auto doc = json::parse(r.out);
  EXPECT_EQ(doc["claims"]["age_over_18"]["added"], 0);
  bool noted = false;
  for (const auto& n : doc["notes"]) noted = noted || Has(n.get<std::string>(), "are used; more from");
  EXPECT_TRUE(noted) << r.out;
  r = Yesno(w, {"status"});
  EXPECT_TRUE(Has(r.out, "quota for this period used, more from")) << r.out;
  // The same in --json, for the browser extension's "used up; more from DATE".
  r = Yesno(w, {"--json", "status"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json claim = json::parse(r.out)["issuers"][0]["claims"]["age_over_18"];
  EXPECT_EQ(claim["unused"], 0) << claim.dump();
  EXPECT_EQ(claim["quota_remaining"], 0) << claim.dump();
  EXPECT_EQ(claim["quota_limit"], kQuota) << claim.dump();
  ASSERT_TRUE(claim.contains("more_from") && claim["more_from"].is_string()) << claim.dump();
  EXPECT_EQ(claim["more_from"].get<std::string>().rfind("20", 0), 0u) << claim.dump();
  EXPECT_FALSE(claim.contains("vouched")) << claim.dump();
}

TEST_F(HolderPrivacyTest, AMinorIsToldTheIssuerDoesNotVouchNotThatTheWalletIsEmpty) {
  const std::string w = NewWallet("minor", YearsAgo(16));
  auto r = Yesno(w, {"refill", "--target", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Has(r.out, "age_over_18: issuer.hp does not vouch for this with your ticket")) << r.out;
  r = Prove(w, "age_over_18");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "no (no_token)\n");
  EXPECT_TRUE(Has(r.err, "does not vouch for age_over_18")) << r.err;
  // `status` lists the claim it holds nothing for, and says why.
  r = Yesno(w, {"status"});
  EXPECT_TRUE(Has(r.out, "age_over_18: 0 unused")) << r.out;
  EXPECT_TRUE(Has(r.out, "issuer.hp does not vouch for this with this wallet's ticket")) << r.out;
  r = Yesno(w, {"--json", "status"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json claim = json::parse(r.out)["issuers"][0]["claims"]["age_over_18"];
  EXPECT_EQ(claim["unused"], 0) << claim.dump();
  EXPECT_EQ(claim["vouched"], false) << claim.dump();
  EXPECT_EQ(claim["quota_limit"], 0) << claim.dump();
  EXPECT_FALSE(claim.contains("more_from")) << claim.dump();
  // Nothing to refill this period: a timer's `refill --if-due` leaves the issuer alone.
  const int64_t issuer_before = RequestCount(g_world->issuer_url);
  r = Yesno(w, {"refill", "--if-due"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Has(r.out, "nothing due (no claim this ticket is entitled to this period)")) << r.out;
  EXPECT_EQ(RequestCount(g_world->issuer_url), issuer_before);
}

// Setup mistakes are errors (exit 2) that say what to do, never a "no".
TEST_F(HolderPrivacyTest, SetupMistakesAreErrorsThatSayWhatToDo) {
  const std::string w = NewWallet("mistakes", YearsAgo(30));
  ASSERT_EQ(Yesno(w, {"refill", "--target", "1"}).exit_code, 0);

  auto r = Prove(w, "age_over_18", g_world->issuer_url);  // not a verifier
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_TRUE(Has(r.err, "not a yesno verifier")) << r.err;
  EXPECT_TRUE(Has(r.err, "/yesno")) << r.err;

  r = Prove(w, "over_18");  // a claim the site does not ask
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_TRUE(Has(r.err, "this verifier asks for age_over_18, age_over_21, verified_person; not over_18")) << r.err;

  // Another address of the same server than the site is set up for: the
  // wallet stops before using a token (the verifier lists its origins).
  const std::string port = g_world->verifier_url.substr(g_world->verifier_url.rfind(':') + 1);
  r = Prove(w, "age_over_18", "http://localhost:" + port);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_TRUE(Has(r.err, "the site is set up for " + g_world->verifier_url)) << r.err;
  EXPECT_TRUE(Has(r.err, "no token was used")) << r.err;

  r = Yesno(w, {"prove", "--verifier", g_world->verifier_url});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Has(r.err, "--claim is required")) << r.err;
  EXPECT_TRUE(Has(r.err, "age_over_18")) << r.err;

  r = Prove(w, "Over 18");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Has(r.err, "not a claim name")) << r.err;

  const std::string plain = g_world->verifier_url.substr(std::string("http://").size());
  r = Prove(w, "age_over_18", "https://" + plain);  // https to a plain-http port
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Has(r.err, "does not speak https")) << r.err;

  r = Prove(w, "age_over_18", "http://127.0.0.1:" + std::to_string(testing::FreePort()));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Has(r.err, "nothing answers")) << r.err;
  for (const auto& t : ReadWallet(w).tokens) EXPECT_FALSE(t.spent) << "a setup mistake cost a token";
}

TEST_F(HolderPrivacyTest, EnrollMistakesSayWhatIsWrongInTheUsersTerms) {
  const std::string w = PrivateDir("holder", "wallet_enroll");
  ASSERT_EQ(Yesno(w, {"init"}).exit_code, 0);
  const std::string ticket = Ticket(YearsAgo(30));

  std::string typo = ticket;
  typo[typo.size() / 2] = typo[typo.size() / 2] == 'A' ? 'B' : 'A';
  auto r = Yesno(w, {"enroll", "--issuer", g_world->issuer_url, "--issuer-key", g_world->issuer_key, "--ticket", typo});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Has(r.err, "mistyped")) << r.err;
  EXPECT_TRUE(Has(r.err, "issuer.hp")) << r.err;

  const std::string wrong_key = Base64UrlEncode(Bytes(32, 9));
  r = Yesno(w, {"enroll", "--issuer", g_world->issuer_url, "--issuer-key", wrong_key, "--ticket", ticket});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Has(r.err, "--issuer-key")) << r.err;
  EXPECT_TRUE(Has(r.err, "copied the whole key")) << r.err;

  r = Yesno(w, {"enroll", "--issuer", g_world->issuer_url + "/nowhere", "--issuer-key", g_world->issuer_key, "--ticket",
                ticket});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Has(r.err, "base URL")) << r.err;

  // The directory URL is accepted for --issuer (and stored as the base URL).
  r = Yesno(w, {"enroll", "--issuer", g_world->issuer_url + kDirectoryPath, "--issuer-key", g_world->issuer_key, "--ticket",
                ticket});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadWallet(w).issuers.at(0).url, g_world->issuer_url);
  EXPECT_TRUE(Has(r.out, "yesno refill")) << r.out;

  // Enrolling again says what it replaced.
  r = Yesno(w, {"enroll", "--issuer", "http://localhost:" + g_world->issuer_url.substr(g_world->issuer_url.rfind(':') + 1),
                "--issuer-key", g_world->issuer_key, "--ticket", Ticket(YearsAgo(31))});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Has(r.out, "replaced the ticket for issuer.hp")) << r.out;
  EXPECT_TRUE(Has(r.out, "address changes from " + g_world->issuer_url)) << r.out;
}

TEST_F(HolderPrivacyTest, StatusSaysEachCountOnceAndInitHelpShowsKeyFile) {
  const std::string w = NewWallet("status", YearsAgo(30));
  ASSERT_EQ(Yesno(w, {"refill", "--target", "4"}).exit_code, 0);
  auto r = Yesno(w, {"status"});
  ASSERT_EQ(r.exit_code, 0);
  const std::string line = r.out.substr(r.out.find("  age_over_18:"));
  const std::string first = line.substr(0, line.find('\n'));
  EXPECT_EQ(first.rfind("  age_over_18: 4 unused (until 20", 0), 0u) << first;
  EXPECT_TRUE(Has(first, "), 0 spent; 2 more to refill this period")) << first;
  EXPECT_NE(first.back(), ';');

  r = RunProcess({YESNO_CLI_PATH, "init", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(Has(r.out, "--key-file")) << r.out;
}

// A passphrase wallet: Argon2id limits calibrated for this machine and kept
// in the header; a short passphrase gets a warning.
TEST_F(HolderPrivacyTest, PassphraseWalletsWarnOnShortPassphrasesAndStoreTheirLimits) {
  const std::string dir = PrivateDir("holder", "wallet_pass");
  auto r = RunProcess({YESNO_CLI_PATH, "--wallet", dir + "/short", "init"}, "", std::chrono::seconds(60),
                      {"YESNO_PASSPHRASE=hunter2"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Has(r.err, "shorter than 12 characters")) << r.err;
  r = RunProcess({YESNO_CLI_PATH, "--wallet", dir + "/long", "init"}, "", std::chrono::seconds(60),
                 {"YESNO_PASSPHRASE=correct horse battery staple"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(Has(r.err, "warning")) << r.err;
  auto bytes = files::ReadFile(dir + "/long");
  ASSERT_TRUE(bytes.ok());
  auto header = ParseWalletHeader(*bytes);
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(header->kdf, WalletKdf::kArgon2id);
  EXPECT_GE(header->opslimit, 2u);
  EXPECT_LE(header->opslimit, kMaxWalletOpslimit);
  EXPECT_EQ(header->memlimit, 64ull << 20);
  r = RunProcess({YESNO_CLI_PATH, "--wallet", dir + "/long", "status"}, "", std::chrono::seconds(60),
                 {"YESNO_PASSPHRASE=correct horse battery staple"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = RunProcess({YESNO_CLI_PATH, "--wallet", dir + "/long", "status"}, "", std::chrono::seconds(60),
                 {"YESNO_PASSPHRASE=wrong"});
  EXPECT_EQ(r.exit_code, 2);
}

// RFC 9577 mode: the Authorization for a 401's WWW-Authenticate, built
// without contacting anyone, says yes at the verifier once.
TEST_F(HolderPrivacyTest, WwwAuthenticateModeBuildsAnAuthorizationAndSendsNothing) {
  const std::string w = NewWallet("rfc9577", YearsAgo(30));
  ASSERT_EQ(Yesno(w, {"refill", "--target", "1"}).exit_code, 0);
  auto challenge = net::HttpClient().Get(*net::ParseUrl(g_world->verifier_url + "/challenge?claim=age_over_18"));
  ASSERT_TRUE(challenge.ok());
  auto www = challenge->Header("www-authenticate");
  ASSERT_TRUE(www);
  const int64_t issuer_before = RequestCount(g_world->issuer_url);
  auto r = Yesno(w, {"--json", "prove", "--www-authenticate", *www, "--url", g_world->verifier_url + "/adult/"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto doc = json::parse(r.out);
  EXPECT_EQ(doc["claim"], "age_over_18");
  EXPECT_EQ(doc["origin"], g_world->verifier_url);
  EXPECT_EQ(RequestCount(g_world->issuer_url), issuer_before);
  net::HttpRequest req;
  req.method = "POST";
  req.url = *net::ParseUrl(g_world->verifier_url + "/verify?claim=age_over_18");
  req.headers.emplace_back("Authorization", doc["authorization"].get<std::string>());
  auto answer = net::HttpClient().Send(req);
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(json::parse(answer->body)["answer"], "yes");
  // The only token is used: the next one is a "no" built locally.
  r = Yesno(w, {"prove", "--www-authenticate", *www, "--url", g_world->verifier_url + "/adult/"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "no (no_token)\n");
  r = Yesno(w, {"prove", "--www-authenticate", "Basic realm=x", "--url", g_world->verifier_url});
  EXPECT_EQ(r.exit_code, 2);
  r = Yesno(w, {"prove", "--www-authenticate", *www});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Has(r.err, "--url")) << r.err;
}

// A decline is reported as told only when the verifier took it: a session
// answered or expired between the wallet's read and its "no" refuses it,
// and the person (and, through the host, the extension's window) hears so.
TEST_F(HolderPrivacyTest, ADeclineIsToldOnlyWhenTheVerifierTakesIt) {
  const std::string w = NewWallet("decline", YearsAgo(30));
  for (const auto& [status, told] : std::vector<std::pair<server::http::status, bool>>{
           {server::http::status::ok, true}, {server::http::status::conflict, false}}) {
    FakeServer gate;
    std::string posted;
    const std::string vnonce = Base64UrlEncode(Bytes(48, 9));
    gate.router.Add(server::http::verb::get, "/yesno/gate/session/abc", [&](const server::Request& req, server::RequestLog&) {
      json ch = {{"token-key-id", HexEncode(testing::TestKey2048().public_key().KeyId())}, {"yesno-vnonce", vnonce}};
      return Json(req, server::http::status::ok, {{"claim", "age_over_18"}, {"challenges", json::array({ch})}});
    });
    gate.router.Add(server::http::verb::post, "/yesno/gate/session/abc/decline",
                    [&, status = status](const server::Request& req, server::RequestLog&) {
                      posted = req.body();
                      return Json(req, status, status == server::http::status::ok
                                                   ? json{{"answer", "no"}, {"reason", "declined"}}
                                                   : json{{"error", "already_answered"}});
                    });
    gate.Start();
    auto r = Yesno(w, {"--json", "prove", "--decline", "--session", gate.url() + "/yesno/gate/session/abc"});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    const json doc = json::parse(r.out, nullptr, false);
    ASSERT_TRUE(doc.is_object()) << r.out;
    EXPECT_EQ(doc["reason"], "declined");
    EXPECT_EQ(doc["told"], told) << r.out;
    EXPECT_EQ(json::parse(posted, nullptr, false), json({{"yesno-vnonce", vnonce}})) << "only the vnonce is sent";
    EXPECT_EQ(doc.contains("message"), !told) << r.out;
    if (!told) {
      const std::string message = doc.value("message", "");
      EXPECT_TRUE(Has(message, "could not tell the page")) << message;
      EXPECT_TRUE(Has(message, "409") || Has(message, "already_answered")) << message;
      r = Yesno(w, {"prove", "--decline", "--session", gate.url() + "/yesno/gate/session/abc"});
      EXPECT_EQ(r.exit_code, 1);
      EXPECT_EQ(r.out, "no (declined): nothing was shared; the page was not told\n");
      EXPECT_TRUE(Has(r.err, "could not tell the page")) << r.err;
    }
  }
}

}  // namespace
}  // namespace yesno
