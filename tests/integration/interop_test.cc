// interop_test.cc — yesno against the TypeScript Privacy Pass implementation
// (@cloudflare/privacypass-ts + @cloudflare/blindrsa-ts, versions pinned in
// tests/interop/package.json and package-lock.json), in both directions:
//
//   their issuer → our `yesno token verify` and our verifier's core, including
//                  their corrupted tokens (bit flips, wrong key id, wrong type,
//                  other challenges, PSSZERO salt, wrong lengths);
//   our client → their issuer → our verifier core (a full yes with the PoP);
//   our yesno-issuer via our wallet's finalize → their Origin.verify;
//   their Client → our yesno-issuer (/token-request and /token-request-batch,
//                  Bearer ticket) → their finalize → our verify;
//   RFC 9577 headers: ours (real yesno-verifier challenge, real wallet
//                  Authorization) through their parsers, theirs through ours.
//
// The Node side is tests/interop/interop.mjs. `npm ci` runs once into a copy
// of tests/interop under the build tree (YESNO_INTEROP_WORK_DIR; node_modules
// never lands in the source tree), guarded by a file lock because ctest runs
// each test in its own process, and is skipped when the lock file and
// node_modules are already current. Without node/npm, or when the registry
// cannot be reached and the cache cannot serve the lock file, every test here
// is SKIPPED with the reason (ctest prints it as "Skipped"), never passed.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "files.h"
#include "http_client.h"
#include "node_package.h"
#include "testing/child_process.h"
#include "testing/process.h"
#include "testing/test_util.h"
#include "yesno/auth_header.h"
#include "yesno/claims.h"
#include "yesno/directory.h"
#include "yesno/pop.h"
#include "yesno/token.h"
#include "yesno/verifier.h"
#include "yesno/vnonce.h"
#include "yesno/wallet.h"

namespace yesno {
namespace {

using Json = nlohmann::json;
using testing::ChildProcess;
using testing::NodePackage;
using testing::PrepareNodePackage;
using testing::PrivateDir;
using testing::TrimEnd;
using testing::ProcessResult;
using testing::RunProcess;

constexpr char kIssuerName[] = "issuer.interop";
constexpr char kClaim[] = "age_over_18";

int64_t Now() { return SystemClock().NowSeconds(); }

// --- the Node side, prepared once per build tree (node_package.h) -------------------

NodePackage* g_node = nullptr;

NodePackage PrepareNode() {
  return PrepareNodePackage({.tag = "interop",
                             .source_dir = YESNO_INTEROP_SOURCE_DIR,
                             .work_dir = YESNO_INTEROP_WORK_DIR,
                             .files = {"package.json", "package-lock.json", "interop.mjs"},
                             .installed_module = "@cloudflare/privacypass-ts",
                             .skip_on_any_install_failure = false});
}

// Node runs `node interop.mjs <command>` with `request` on stdin and returns
// its JSON answer (null on failure, with a test failure recorded).
Json Node(const std::string& command, const Json& request) {
  auto r = RunProcess({g_node->node, g_node->dir + "/interop.mjs", command}, request.dump(), std::chrono::seconds(120));
  EXPECT_EQ(r.exit_code, 0) << "interop.mjs " << command << ": " << r.err;
  if (r.exit_code != 0) return Json();
  auto doc = Json::parse(r.out, nullptr, false);
  EXPECT_TRUE(doc.is_object()) << r.out;
  return doc.is_object() ? doc : Json();
}

// --- our side -----------------------------------------------------------------------

ProcessResult TokenVerifyCli(const std::string& spki, const std::string& token, const std::string& challenge) {
  return RunProcess({YESNO_CLI_PATH, "token", "verify", "--key", spki, "--token", token, "--challenge", challenge});
}

class MemorySpent final : public SpentSet {
 public:
  Result<bool> CheckAndInsert(ByteView key_id, ByteView nonce, int64_t) override {
    Bytes k(key_id.begin(), key_id.end());
    k.insert(k.end(), nonce.begin(), nonce.end());
    return spent_.insert(k).second;
  }

 private:
  std::set<Bytes> spent_;
};

// CoreVerifier is the verifier's core around one trusted key.
struct CoreVerifier {
  TrustedKeySet keys;
  VerifierContext ctx;
  MemorySpent spent;
  SystemRng rng;

  CoreVerifier(const RsaPublicKey& key, const std::string& issuer_name) {
    keys.Add(TrustedKey{key, issuer_name, kClaim, Now() - 3600, Now() + 86400});
    ctx.origin = "https://shop.example";
    ctx.vnonce_key = SecretBytes(kVnonceKeyBytes, 0x42);
  }
  Bytes Vnonce() {
    auto v = CreateVnonce(ctx.vnonce_key, kClaim, Now(), rng);
    EXPECT_TRUE(v.ok());
    return v.ok() ? *v : Bytes{};
  }
  // Bare checks a Privacy Pass token that has no holder key behind its nonce.
  VerifyOutcome Bare(const Bytes& token) {
    Presentation p{token, Vnonce(), Bytes(kEd25519SignatureBytes, 0)};
    return VerifyPresentation(p, keys, kClaim, ctx, Now(), spent);
  }
  VerifyOutcome WithPop(const Bytes& token, const SecretBytes& seed) {
    const Bytes vnonce = Vnonce();
    auto pop = SignPop(View(seed), ctx.origin, vnonce, token);
    EXPECT_TRUE(pop.ok());
    return VerifyPresentation(Presentation{token, vnonce, pop.ok() ? *pop : Bytes{}}, keys, kClaim, ctx, Now(), spent);
  }
};

Bytes B64(const Json& v) {
  auto b = Base64UrlDecode(v.get<std::string>());
  EXPECT_TRUE(b.ok()) << v;
  return b.ok() ? *b : Bytes{};
}

// OurServers runs the real yesno-issuer (and optionally yesno-verifier) on
// loopback, and wallets against them.
class OurServers {
 public:
  explicit OurServers(bool with_verifier) {
    dir_ = PrivateDir("interop", "servers");
    auto init = RunProcess({YESNO_ISSUER_PATH, "init", "--state", dir_ + "/issuer", "--name", kIssuerName, "--claims",
                            kClaim});
    EXPECT_EQ(init.exit_code, 0) << init.err;
    issuer_key_ = TrimEnd(init.out.substr(0, init.out.find('\n')));
    issuer_ = ChildProcess::Start({YESNO_ISSUER_PATH, "serve", "--state", dir_ + "/issuer", "--listen", "127.0.0.1:0"},
                                  dir_ + "/issuer.log");
    auto url = issuer_ ? issuer_->WaitForListening() : std::nullopt;
    EXPECT_TRUE(url.has_value()) << "yesno-issuer did not start";
    issuer_url_ = url.value_or("");
    if (!with_verifier) return;
    Json trust = Json::array({{{"name", kIssuerName}, {"directory", issuer_url_ + kDirectoryPath}, {"key", issuer_key_}}});
    EXPECT_TRUE(files::WriteFileAtomic(dir_ + "/trust.json", AsBytes(trust.dump())).ok());
    const int port = testing::FreePort();
    verifier_url_ = "http://127.0.0.1:" + std::to_string(port);
    verifier_ = ChildProcess::Start({YESNO_VERIFIER_PATH, "serve", "--origin", verifier_url_, "--trust",
                                     dir_ + "/trust.json", "--listen", "127.0.0.1:" + std::to_string(port),
                                     "--spent-store", "memory:"},
                                    dir_ + "/verifier.log");
    EXPECT_TRUE(verifier_ && verifier_->WaitForListening()) << "yesno-verifier did not start";
  }
  ~OurServers() {
    for (auto* c : {issuer_.get(), verifier_.get()}) {
      if (c != nullptr && c->running()) {
        c->Signal(SIGTERM);
        c->Wait();
      }
    }
    std::filesystem::remove_all(dir_);
  }

  const std::string& issuer_url() const { return issuer_url_; }
  const std::string& verifier_url() const { return verifier_url_; }
  const std::string& dir() const { return dir_; }

  std::string Ticket(const std::string& birth = "1990-01-01") const {
    auto r = RunProcess({YESNO_ISSUER_PATH, "enroll", "--state", dir_ + "/issuer", "--birth-date", birth});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return TrimEnd(r.out.substr(0, r.out.find('\n')));
  }
  // IssuingKey is the directory's current key for kClaim (what a wallet uses).
  RsaPublicKey IssuingKey() const {
    auto res = net::HttpClient().Get(*net::ParseUrl(issuer_url_ + kDirectoryPath));
    EXPECT_TRUE(res.ok() && res->status == 200u);
    auto dir = ParseDirectory(res.ok() ? res->body : "");
    EXPECT_TRUE(dir.ok());
    const DirectoryKey* best = nullptr;
    if (dir.ok()) {
      for (const auto& k : dir->keys) {
        if (k.claim != kClaim || Now() < k.not_before || Now() >= k.not_after) continue;
        if (best == nullptr || k.not_before > best->not_before) best = &k;
      }
    }
    EXPECT_NE(best, nullptr);
    auto key = best ? RsaPublicKey::FromSpki(best->token_key) : Result<RsaPublicKey>(Error{ErrorCode::kInvalidArgument, "no key"});
    EXPECT_TRUE(key.ok());
    return key.ok() ? *key : testing::TestKey2048().public_key();
  }

  ProcessResult Yesno(const std::string& wallet, std::vector<std::string> args) const {
    std::vector<std::string> argv = {YESNO_CLI_PATH, "--wallet", wallet + "/wallet", "--key-file", wallet + "/wallet.key"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProcess(argv);
  }
  // RefilledWallet makes, enrolls and refills a wallet of someone born in 1990.
  std::string RefilledWallet(const std::string& name) const {
    const std::string w = PrivateDir("interop", "wallet_" + name);
    EXPECT_EQ(Yesno(w, {"init"}).exit_code, 0);
    auto r = Yesno(w, {"enroll", "--issuer", issuer_url_, "--issuer-key", issuer_key_, "--ticket", Ticket()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    r = Yesno(w, {"refill"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return w;
  }
  static WalletContents Open(const std::string& w) {
    auto bytes = files::ReadFile(w + "/wallet");
    auto key = files::ReadSecretFile(w + "/wallet.key");
    EXPECT_TRUE(bytes.ok() && key.ok());
    auto c = bytes.ok() && key.ok() ? OpenWallet(*bytes, *key) : Result<WalletContents>(Error{ErrorCode::kInvalidArgument, "unreadable"});
    EXPECT_TRUE(c.ok());
    return c.ok() ? std::move(*c) : WalletContents{};
  }

 private:
  std::string dir_, issuer_key_, issuer_url_, verifier_url_;
  std::unique_ptr<ChildProcess> issuer_, verifier_;
};

class InteropTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (g_node == nullptr) g_node = new NodePackage(PrepareNode());
    if (g_node->skip) {
      std::cerr << "\n*** INTEROP TESTS SKIPPED: " << g_node->why
                << "\n*** (yesno was NOT checked against @cloudflare/privacypass-ts)\n\n";
    }
  }
  void SetUp() override {
    ASSERT_NE(g_node, nullptr);
    if (g_node->skip) GTEST_SKIP() << "INTEROP SKIPPED: " << g_node->why;
    ASSERT_TRUE(g_node->ready) << g_node->why;
  }
};

// --- their issuer → us --------------------------------------------------------------

// What our checks must say about each of their corrupted tokens: the CLI's
// reason (a substring of "invalid: ...") and VerifyPresentation's code.
const std::map<std::string, std::pair<std::string, Reason>>& Corruptions() {
  static const auto* m = new std::map<std::string, std::pair<std::string, Reason>>{
      {"bitflip_authenticator_last", {"bad signature", Reason::kBadSignature}},
      {"bitflip_authenticator_first", {"bad signature", Reason::kBadSignature}},
      {"bitflip_nonce", {"bad signature", Reason::kBadSignature}},
      {"bitflip_challenge_digest", {"challenge_digest does not match", Reason::kBadSignature}},
      {"bitflip_key_id", {"token_key_id does not match", Reason::kUnknownKey}},
      {"bitflip_type", {"wrong token type", Reason::kMalformed}},
      {"wrong_type_0x0001", {"wrong token type", Reason::kMalformed}},
      {"wrong_type_0xda7a", {"wrong token type", Reason::kMalformed}},
      {"wrong_key_other_issuer_key", {"token_key_id does not match", Reason::kUnknownKey}},
      {"wrong_key_id_swapped", {"token_key_id does not match", Reason::kUnknownKey}},
      {"other_challenge_issuer_name", {"challenge_digest does not match", Reason::kBadSignature}},
      {"other_challenge_per_origin", {"challenge_digest does not match", Reason::kBadSignature}},
      {"psszero_salt", {"bad signature", Reason::kBadSignature}},
      {"truncated", {"malformed", Reason::kMalformed}},
      {"trailing_byte", {"malformed", Reason::kMalformed}},
      {"empty_authenticator", {"malformed", Reason::kMalformed}},
  };
  return *m;
}

void CheckTheirIssuance(const Json& issued, const RsaPublicKey* our_key, std::size_t want_tokens) {
  const std::string spki = issued["spki"];
  const std::string challenge = issued["challenge"];
  // Their SPKI is our canonical encoding, and their key id is ours.
  auto key = RsaPublicKey::FromSpki(B64(issued["spki"]));
  ASSERT_TRUE(key.ok()) << "their SPKI is not the canonical id-RSASSA-PSS encoding";
  EXPECT_EQ(HexEncode(key->KeyId()), issued["key_id"].get<std::string>());
  if (our_key != nullptr) {
    EXPECT_EQ(key->Spki(), our_key->Spki()) << "their SPKI for our key differs from ours";
  }
  // Their challenge is our cross-origin challenge for the same issuer name.
  EXPECT_EQ(B64(issued["challenge"]), *CrossOriginChallenge(kIssuerName));

  CoreVerifier core(*key, kIssuerName);
  ASSERT_EQ(issued["tokens"].size(), want_tokens);
  for (const auto& t : issued["tokens"]) {
    auto cli = TokenVerifyCli(spki, t, challenge);
    EXPECT_EQ(cli.exit_code, 0) << cli.out << cli.err;
    EXPECT_EQ(cli.out, "valid\n");
    auto token = ParseToken(B64(t));
    ASSERT_TRUE(token.ok());
    EXPECT_TRUE(VerifyToken(*key, *token).ok());
    // The verifier's core passes it through every check up to and including
    // the signature over our challenge; it then wants the holder's PoP,
    // which a plain Privacy Pass token (random nonce) cannot give.
    EXPECT_EQ(core.Bare(B64(t)).reason, Reason::kBadPop);
  }
  if (!issued.contains("corrupted")) return;
  std::size_t checked = 0;
  for (const auto& [name, want] : Corruptions()) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(issued["corrupted"].contains(name));
    const std::string t = issued["corrupted"][name];
    auto cli = TokenVerifyCli(spki, t, challenge);
    EXPECT_EQ(cli.exit_code, 1) << cli.out << cli.err;
    EXPECT_NE(cli.out.find("invalid: " + want.first), std::string::npos) << cli.out;
    auto token = ParseToken(B64(issued["corrupted"][name]));
    if (token.ok()) {
      const bool ok = VerifyToken(*key, *token).ok() && token->challenge_digest == ChallengeDigest(B64(issued["challenge"]));
      EXPECT_FALSE(ok);
    }
    EXPECT_EQ(core.Bare(B64(issued["corrupted"][name])).reason, want.second)
        << ReasonCode(core.Bare(B64(issued["corrupted"][name])).reason);
    ++checked;
  }
  EXPECT_EQ(checked, issued["corrupted"].size()) << "a corruption has no expectation here";
  // Sanity: the other-key token is genuine, only not under this key.
  auto other = TokenVerifyCli(issued["other_spki"], issued["corrupted"]["wrong_key_other_issuer_key"], challenge);
  EXPECT_EQ(other.out, "valid\n");
  std::cerr << "[interop] their issuer: " << want_tokens << " tokens valid with yesno token verify and core; " << checked
            << " corrupted variants rejected by both\n";
}

TEST_F(InteropTest, TheirIssuerWithTheirKeyVerifiesHereAndTheirCorruptionsAreRejected) {
  Json issued = Node("issue", {{"issuer_name", kIssuerName}, {"n", 4}, {"corrupt", true}});
  ASSERT_TRUE(issued.is_object());
  CheckTheirIssuance(issued, nullptr, 4);
}

TEST_F(InteropTest, TheirIssuerWithOurKeyVerifiesHere) {
  const RsaPrivateKey& sk = testing::TestKey2048();
  auto der = sk.ToDer();
  ASSERT_TRUE(der.ok());
  Json issued = Node("issue", {{"issuer_name", kIssuerName}, {"n", 3}, {"key_pkcs8", Base64UrlEncode(View(*der))}});
  ASSERT_TRUE(issued.is_object());
  CheckTheirIssuance(issued, &sk.public_key(), 3);
}

// Our client (Ed25519 holder keys as nonces) → their issuer's blind signature
// → our finalize → a full presentation our verifier's core answers yes to.
TEST_F(InteropTest, OurClientTheirIssuerFullPresentationSaysYes) {
  const RsaPrivateKey& sk = testing::TestKey2048();
  auto der = sk.ToDer();
  ASSERT_TRUE(der.ok());
  const Bytes challenge = *CrossOriginChallenge(kIssuerName);
  SystemRng rng;
  std::vector<Ed25519KeyPair> holders;
  std::vector<TokenIssuance> issuances;
  Json requests = Json::array();
  for (int i = 0; i < 4; ++i) {
    holders.push_back(GenerateEd25519KeyPair(rng));
    auto is = BeginTokenIssuance(sk.public_key(), challenge, holders.back().public_key, rng);
    ASSERT_TRUE(is.ok());
    requests.push_back(Base64UrlEncode(*SerializeTokenRequest(is->request())));
    issuances.push_back(std::move(*is));
  }
  Json signed_ = Node("sign", {{"key_pkcs8", Base64UrlEncode(View(*der))}, {"requests", requests}});
  ASSERT_TRUE(signed_.is_object());
  ASSERT_EQ(signed_["responses"].size(), issuances.size());
  CoreVerifier core(sk.public_key(), kIssuerName);
  for (std::size_t i = 0; i < issuances.size(); ++i) {
    auto response = ParseTokenResponse(B64(signed_["responses"][i]));
    ASSERT_TRUE(response.ok());
    auto token = FinalizeToken(sk.public_key(), issuances[i], *response);
    ASSERT_TRUE(token.ok()) << token.error().message;
    const Bytes bytes = *SerializeToken(*token);
    auto yes = core.WithPop(bytes, holders[i].seed);
    EXPECT_TRUE(yes.yes) << ReasonCode(yes.reason);
    EXPECT_EQ(core.WithPop(bytes, holders[i].seed).reason, Reason::kReplayed);
  }
}

// --- our issuer → them --------------------------------------------------------------

TEST_F(InteropTest, OurIssuerTokensFromOurWalletVerifyWithTheirOrigin) {
  OurServers ours(false);
  const std::string w = ours.RefilledWallet("refill");
  WalletContents c = OurServers::Open(w);
  ASSERT_EQ(c.issuers.size(), 1u);
  auto dir = ParseDirectory(c.issuers[0].directory);
  ASSERT_TRUE(dir.ok());
  const RsaPublicKey key = ours.IssuingKey();
  Json tokens = Json::array();
  for (const auto& t : c.tokens) {
    if (t.claim == kClaim) tokens.push_back(Base64UrlEncode(t.token));
  }
  ASSERT_GE(tokens.size(), 1u);
  const std::string challenge = Base64UrlEncode(*CrossOriginChallenge(kIssuerName));
  Json answer = Node("verify", {{"spki", Base64UrlEncode(key.Spki())}, {"challenge", challenge}, {"tokens", tokens}});
  ASSERT_TRUE(answer.is_object());
  EXPECT_EQ(answer["key_id"], HexEncode(key.KeyId()));
  ASSERT_EQ(answer["results"].size(), tokens.size());
  std::size_t valid = 0;
  for (const auto& r : answer["results"]) {
    EXPECT_TRUE(r["valid"].get<bool>()) << r.dump();
    valid += r["valid"].get<bool>() ? 1 : 0;
  }
  // Their verifier is not a rubber stamp: our tokens with one bit flipped fail there.
  Json flipped = Json::array();
  for (std::size_t bit : {7u * 8u, 40u * 8u, 80u * 8u, 200u * 8u, 353u * 8u}) {
    flipped.push_back(Base64UrlEncode(testing::FlipBit(B64(tokens[0]), bit)));
  }
  Json bad = Node("verify", {{"spki", Base64UrlEncode(key.Spki())}, {"challenge", challenge}, {"tokens", flipped}});
  for (const auto& r : bad["results"]) EXPECT_FALSE(r["valid"].get<bool>()) << r.dump();
  std::cerr << "[interop] our issuer (via our wallet's refill/finalize): " << valid << "/" << tokens.size()
            << " tokens valid with their Origin.verify; " << flipped.size() << " bit-flipped copies rejected\n";
}

TEST_F(InteropTest, TheirClientsRequestsAreSignedByOurIssuerAndFinalizeThere) {
  OurServers ours(false);
  const RsaPublicKey key = ours.IssuingKey();
  const std::string spki = Base64UrlEncode(key.Spki());
  const std::string challenge = Base64UrlEncode(*CrossOriginChallenge(kIssuerName));
  const std::string ticket = ours.Ticket();
  std::size_t total = 0;
  for (bool batch : {false, true}) {
    SCOPED_TRACE(batch ? "generic batch" : "single");
    const int n = batch ? 8 : 3;
    Json got = Node("client", {{"issuer_url", ours.issuer_url()},
                               {"ticket", ticket},
                               {"spki", spki},
                               {"issuer_name", kIssuerName},
                               {"n", n},
                               {"batch", batch}});
    ASSERT_TRUE(got.is_object());
    EXPECT_EQ(got["challenge"], challenge);
    ASSERT_EQ(got["tokens"].size(), static_cast<std::size_t>(n));
    for (std::size_t i = 0; i < got["tokens"].size(); ++i) {
      // Their TokenRequest is a valid RFC 9578 request to our parser.
      auto req = ParseTokenRequest(B64(got["requests"][i]));
      ASSERT_TRUE(req.ok());
      EXPECT_EQ(req->truncated_token_key_id, key.KeyId().back());
      ASSERT_TRUE(got["tokens"][i].is_string()) << "our issuer did not sign element " << i;
      auto cli = TokenVerifyCli(spki, got["tokens"][i], challenge);
      EXPECT_EQ(cli.out, "valid\n") << cli.err;
      auto token = ParseToken(B64(got["tokens"][i]));
      ASSERT_TRUE(token.ok());
      EXPECT_TRUE(VerifyToken(key, *token).ok());
      ++total;
    }
  }
  // Without a ticket our issuer refuses their client (and their code says so).
  auto r = RunProcess({g_node->node, g_node->dir + "/interop.mjs", "client"},
                      Json{{"issuer_url", ours.issuer_url()}, {"ticket", "yn1.bogus"}, {"spki", spki},
                           {"issuer_name", kIssuerName}, {"n", 1}}
                          .dump());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("tokenRequest failed with code:401"), std::string::npos) << r.err;
  std::cerr << "[interop] their client → our yesno-issuer: " << total
            << " tokens (3 single, 8 in one generic batch) finalized by them, valid here\n";
}

// --- RFC 9577 headers, both ways ----------------------------------------------------

TEST_F(InteropTest, HeadersOursParseWithTheirsAndTheirsWithOurs) {
  OurServers ours(true);
  const RsaPublicKey key = ours.IssuingKey();
  const Bytes challenge = *CrossOriginChallenge(kIssuerName);

  // 1. The real verifier's challenge and the real wallet's Authorization.
  auto res = net::HttpClient().Get(*net::ParseUrl(ours.verifier_url() + "/challenge?claim=" + kClaim));
  ASSERT_TRUE(res.ok());
  ASSERT_EQ(res->status, 401u);
  const std::string www = res->Header("www-authenticate").value_or("");
  ASSERT_NE(www.find("yesno-vnonce="), std::string::npos) << www;
  auto ours_parsed = ParseWwwAuthenticate(www);
  ASSERT_TRUE(ours_parsed.ok());

  const std::string w = ours.RefilledWallet("prove");
  auto prove = ours.Yesno(w, {"prove", "--verifier", ours.verifier_url(), "--claim", kClaim, "--save-presentation",
                              w + "/presentation"});
  ASSERT_EQ(prove.exit_code, 0) << prove.err;
  auto saved = files::ReadFile(w + "/presentation");
  ASSERT_TRUE(saved.ok());
  const std::string authorization = AsString(*saved);
  auto our_auth = ParseAuthorization(authorization);
  ASSERT_TRUE(our_auth.ok());
  ASSERT_FALSE(our_auth->yesno_pop.empty());

  // Our challenges plus one more in one header, and ours behind another scheme.
  std::vector<PrivateTokenChallenge> two = *ours_parsed;
  two.push_back(ours_parsed->front());
  const std::string www_two = BuildWwwAuthenticate(two);
  const std::string www_basic = "Basic realm=\"shop\", " + www;

  const std::string challenge_b64 = Base64UrlEncode(challenge);
  const std::string key_b64 = Base64UrlEncode(key.Spki());
  const std::string token_b64 = Base64UrlEncode(our_auth->token);
  Json request = Json::object();
  request["parse_www"] = Json::array({www, www_two, www_basic});
  request["parse_auth"] = Json::array({authorization});
  request["build_www"] = Json::array({Json::object({{"challenge", challenge_b64}, {"token_key", key_b64}}),
                                      Json::object({{"challenge", challenge_b64},
                                                    {"token_key", key_b64},
                                                    {"max_age", 600},
                                                    {"quoted", true}})});
  request["build_auth"] = Json::array(
      {Json::object({{"token", token_b64}}), Json::object({{"token", token_b64}, {"quoted", true}})});
  Json theirs = Node("headers", request);
  ASSERT_TRUE(theirs.is_object());

  // Their parser reads our challenges, ignoring yesno-claim and yesno-vnonce.
  const std::vector<std::size_t> want_items = {ours_parsed->size(), two.size(), ours_parsed->size()};
  std::size_t their_parsed = 0;
  for (std::size_t h = 0; h < want_items.size(); ++h) {
    SCOPED_TRACE("our WWW-Authenticate #" + std::to_string(h));
    const Json& p = theirs["parse_www"][h];
    ASSERT_TRUE(p["ok"].get<bool>()) << p.dump();
    ASSERT_EQ(p["items"].size(), want_items[h]);
    for (const auto& item : p["items"]) {
      EXPECT_EQ(B64(item["challenge"]), challenge);
      EXPECT_EQ(item["token_type"], 2);
      EXPECT_EQ(item["issuer_name"], kIssuerName);
      EXPECT_EQ(item["redemption_context"], "");
      EXPECT_TRUE(item["origin_info"].is_null());
      auto k = RsaPublicKey::FromSpki(B64(item["token_key"]));
      EXPECT_TRUE(k.ok());
      ++their_parsed;
    }
  }
  // ... and our wallet's Authorization, ignoring yesno-vnonce and yesno-pop;
  // the token in it verifies with their Origin.
  ASSERT_TRUE(theirs["parse_auth"][0]["ok"].get<bool>()) << theirs["parse_auth"][0].dump();
  ASSERT_EQ(theirs["parse_auth"][0]["items"].size(), 1u);
  EXPECT_EQ(B64(theirs["parse_auth"][0]["items"][0]["token"]), our_auth->token);
  Json v = Node("verify", {{"spki", Base64UrlEncode(key.Spki())},
                           {"challenge", Base64UrlEncode(challenge)},
                           {"tokens", Json::array({theirs["parse_auth"][0]["items"][0]["token"]})}});
  EXPECT_TRUE(v["results"][0]["valid"].get<bool>()) << v.dump();

  // 2. Their builders (bare values with '=' padding, and quoted) through ours,
  //    plus parameters we do not know (their `extensions`, anything else).
  std::vector<std::string> their_www = theirs["build_www"];
  their_www.push_back(their_www[0] + ",extensions=\"AAA=\", foo=bar");
  for (std::size_t i = 0; i < their_www.size(); ++i) {
    SCOPED_TRACE(their_www[i]);
    auto p = ParseWwwAuthenticate(their_www[i]);
    ASSERT_TRUE(p.ok()) << p.error().message;
    ASSERT_EQ(p->size(), 1u);
    EXPECT_EQ((*p)[0].challenge, challenge);
    EXPECT_EQ((*p)[0].token_key, key.Spki());
    EXPECT_EQ((*p)[0].max_age, i == 1 ? std::optional<long>(600) : std::nullopt);
    EXPECT_TRUE((*p)[0].yesno_claim.empty());
  }
  std::vector<std::string> their_auth = theirs["build_auth"];
  their_auth.push_back(their_auth[1] + ", extensions=\"AAA=\"");
  for (const auto& h : their_auth) {
    SCOPED_TRACE(h);
    auto p = ParseAuthorization(h);
    ASSERT_TRUE(p.ok()) << p.error().message;
    EXPECT_EQ(p->token, our_auth->token);
    EXPECT_TRUE(p->yesno_pop.empty());
  }
  // A bare Privacy Pass Authorization (no PoP) gets a fixed "no" from our
  // verifier: yesno requires the holder binding.
  net::HttpRequest req;
  req.method = "POST";
  req.url = *net::ParseUrl(ours.verifier_url() + "/verify?claim=" + kClaim);
  req.headers.emplace_back("Authorization", their_auth[0]);
  auto answer = net::HttpClient().Send(req);
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->body, "{\"answer\":\"no\",\"reason\":\"malformed\"}");
  std::cerr << "[interop] headers: their parser read " << their_parsed << " of our challenges in 3 headers and our "
            << "wallet's Authorization; ours read " << their_www.size() << " of their WWW-Authenticate and "
            << their_auth.size() << " Authorization values\n";
}

}  // namespace
}  // namespace yesno
