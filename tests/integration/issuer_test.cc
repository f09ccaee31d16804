// issuer_test.cc — the real `yesno-issuer` binary: init → serve → enroll (CLI
// and HTTP) → entitlements → batch issuance that finalizes and verifies with
// the core; age limits; quota exhaustion; revoked, forged, altered and
// expired tickets; the signed directory; restart keeps keys and counters;
// SIGTERM drains; logs hold no tickets, birth dates or addresses.
#include <signal.h>
#include <sys/stat.h>

#include <utility>  // boost/asio/awaitable.hpp uses std::exchange without it

#include <boost/asio.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "files.h"
#include "http_client.h"
#include "issuer_test_util.h"
#include "testing/child_process.h"
#include "testing/process.h"
#include "testing/test_util.h"
#include "yesno/claims.h"
#include "yesno/directory.h"
#include "yesno/ticket.h"

namespace yesno {
namespace {

using issuer_testing::CountTrue;
using issuer_testing::IssuingKey;
using issuer_testing::Pending;
using issuer_testing::ScratchDir;
using Json = nlohmann::json;
using testing::ChildProcess;
using testing::RunProcess;
using testing::TrimEnd;

constexpr char kName[] = "issuer.example";
constexpr char kBatchType[] = "application/private-token-generic-batch-request";
constexpr char kSingleType[] = "application/private-token-request";
const std::vector<std::string> kClaims = {"age_over_13", "age_over_16", "age_over_18"};

int64_t Now() { return SystemClock().NowSeconds(); }

// The issuer directory made once by `yesno-issuer init` (RSA keygen is the
// slow part); every test serves its own copy.
class IssuerBinaryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    template_dir_ = new ScratchDir("template");
    auto r = RunProcess({YESNO_ISSUER_PATH, "init", "--state", template_dir_->path(), "--name", kName, "--claims",
                         "age_over_13,age_over_16,age_over_18", "--attributes", "verified_person"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    init_stdout_ = new std::string(r.out);
  }
  static void TearDownTestSuite() {
    delete template_dir_;
    template_dir_ = nullptr;
    delete init_stdout_;
    init_stdout_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(template_dir_, nullptr);
    std::filesystem::copy(template_dir_->path(), state_.path(), std::filesystem::copy_options::recursive);
    std::filesystem::permissions(state_.path(), std::filesystem::perms::owner_all);
    auto pk = Base64UrlDecode(TrimEnd(*init_stdout_));
    ASSERT_TRUE(pk.ok());
    public_key_ = *pk;
    auto admin = files::ReadFile(state_.path() + "/admin.secret");
    ASSERT_TRUE(admin.ok());
    admin_ = TrimEnd(AsString(*admin));
    log_path_ = state_.path() + ".stderr.log";
  }
  void TearDown() override {
    if (server_ && server_->running()) {
      server_->Signal(SIGTERM);
      server_->Wait();
    }
    std::filesystem::remove(log_path_);
  }

  void Serve() {
    server_ = ChildProcess::Start({YESNO_ISSUER_PATH, "serve", "--state", state_.path(), "--listen", "127.0.0.1:0"},
                                  log_path_);
    ASSERT_NE(server_, nullptr);
    auto url = server_->WaitForListening();
    ASSERT_TRUE(url.has_value()) << "the issuer did not start";
    url_ = *url;
  }
  // Stop sends SIGTERM and returns the exit code.
  int Stop() {
    server_->Signal(SIGTERM);
    return server_->Wait();
  }

  net::Url Url(const std::string& path) const { return *net::ParseUrl(url_ + path); }
  net::HttpResponse Send(const std::string& method, const std::string& path, const std::string& content_type = "",
                         const std::string& body = "", const std::string& bearer = "") const {
    net::HttpRequest req;
    req.method = method;
    req.url = Url(path);
    req.content_type = content_type;
    req.body = body;
    if (!bearer.empty()) req.headers.emplace_back("Authorization", "Bearer " + bearer);
    auto res = net::HttpClient().Send(req);
    EXPECT_TRUE(res.ok()) << (res.ok() ? "" : res.error().message);
    return res.ok() ? *res : net::HttpResponse{};
  }
  static std::string Error(const net::HttpResponse& res) {
    auto doc = Json::parse(res.body, nullptr, false);
    return doc.is_object() && doc.contains("error") ? doc["error"].get<std::string>() : "(none)";
  }

  std::string EnrollCli(const std::string& birth_date, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {YESNO_ISSUER_PATH, "enroll", "--state", state_.path(), "--birth-date", birth_date};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto r = RunProcess(argv);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return TrimEnd(r.out);
  }
  std::string EnrollHttp(const std::string& birth_date, const std::vector<std::string>& attributes = {}) {
    Json body = {{"birth_date", birth_date}, {"attributes", attributes}};
    auto res = Send("POST", "/admin/enroll", "application/json", body.dump(), admin_);
    EXPECT_EQ(res.status, 200u) << res.body;
    auto doc = Json::parse(res.body, nullptr, false);
    return doc.is_object() && doc.contains("ticket") ? doc["ticket"].get<std::string>() : "";
  }
  Json Entitlements(const std::string& ticket) {
    auto res = Send("POST", "/entitlements", "", "", ticket);
    EXPECT_EQ(res.status, 200u) << res.body;
    return Json::parse(res.body, nullptr, false);
  }
  struct Dir {
    IssuerDirectory directory;
    std::string body;
    std::string signature;
  };
  Dir Directory() {
    auto res = Send("GET", kDirectoryPath);
    EXPECT_EQ(res.status, 200u);
    Dir d{{}, res.body, res.Header("yesno-directory-signature").value_or("")};
    EXPECT_TRUE(VerifyDirectorySignature(public_key_, d.body, d.signature).ok());
    auto parsed = ParseDirectory(d.body);
    EXPECT_TRUE(parsed.ok());
    if (parsed.ok()) d.directory = *parsed;
    return d;
  }
  RsaPublicKey KeyFor(const std::string& claim) {
    auto key = IssuingKey(Directory().directory, claim, Now());
    EXPECT_TRUE(key.has_value()) << claim;
    return key ? *key : testing::TestKey2048().public_key();
  }
  std::string Log() const {
    auto bytes = files::ReadFile(log_path_);
    return bytes.ok() ? AsString(*bytes) : "";
  }

  static ScratchDir* template_dir_;
  static std::string* init_stdout_;
  ScratchDir state_{"state"};
  std::string log_path_;
  Bytes public_key_;
  std::string admin_;
  std::string url_;
  std::unique_ptr<ChildProcess> server_;
  SystemRng rng_;
};
ScratchDir* IssuerBinaryTest::template_dir_ = nullptr;
std::string* IssuerBinaryTest::init_stdout_ = nullptr;

TEST_F(IssuerBinaryTest, InitPrintsThePublicKeyAndMakesPrivateFiles) {
  EXPECT_EQ(public_key_.size(), 32u);
  auto pk = RunProcess({YESNO_ISSUER_PATH, "public-key", "--state", state_.path()});
  EXPECT_EQ(pk.exit_code, 0);
  EXPECT_EQ(pk.out, *init_stdout_);
  struct stat st {};
  ASSERT_EQ(stat(template_dir_->path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  int key_files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(template_dir_->path())) {
    ASSERT_EQ(stat(e.path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 077, 0u) << e.path();
    if (e.path().extension() == ".der") ++key_files;
  }
  EXPECT_EQ(key_files, 8);  // 4 claims x (current, next)
  for (const char* f : {"issuer.json", "signing.key", "ticket.key", "admin.secret", "state.db"}) {
    EXPECT_TRUE(files::Exists(state_.path() + "/" + f)) << f;
  }
  // A second init on the same directory refuses; bad options exit 2 with a message.
  auto again = RunProcess({YESNO_ISSUER_PATH, "init", "--state", state_.path(), "--name", kName});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("already holds an issuer"), std::string::npos) << again.err;
  ScratchDir other("other");
  auto bad = RunProcess({YESNO_ISSUER_PATH, "init", "--state", other.path(), "--name", kName, "--rsa-bits", "3072"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("2048"), std::string::npos) << bad.err;
  bad = RunProcess({YESNO_ISSUER_PATH, "init", "--state", other.path(), "--name", kName, "--claims", "over18"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_FALSE(files::Exists(other.path() + "/issuer.json"));
  bad = RunProcess({YESNO_ISSUER_PATH, "serve", "--state", other.path()});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("init"), std::string::npos) << bad.err;
  bad = RunProcess({YESNO_ISSUER_PATH, "serve", "--state", state_.path(), "--listen", "0.0.0.0:0"});
  EXPECT_EQ(bad.exit_code, 2);  // plain HTTP off loopback needs TLS or --allow-plain-http
  EXPECT_EQ(RunProcess({YESNO_ISSUER_PATH, "frobnicate"}).exit_code, 2);
  // enroll: bad input exits 2 and prints no ticket; the birth date may come on stdin.
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{"--birth-date", "1990-02-30"}, {"--birth-date", "2999-01-01"},
        {"--birth-date", "1990-01-01", "--attribute", "resident_fr"},
        {"--birth-date", "1990-01-01", "--valid-days", "0"}}) {
    std::vector<std::string> argv = {YESNO_ISSUER_PATH, "enroll", "--state", state_.path()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto r = RunProcess(argv);
    EXPECT_EQ(r.exit_code, 2) << extra[1];
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find("error:"), std::string::npos);
  }
  auto piped = RunProcess({YESNO_ISSUER_PATH, "enroll", "--state", state_.path(), "--birth-date", "-"}, "1990-01-01\n");
  EXPECT_EQ(piped.exit_code, 0) << piped.err;
  EXPECT_EQ(piped.out.rfind("yn1.", 0), 0u);
  auto help = RunProcess({YESNO_ISSUER_PATH, "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("enroll"), std::string::npos);
  help = RunProcess({YESNO_ISSUER_PATH, "init", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--epoch-days"), std::string::npos);
}

TEST_F(IssuerBinaryTest, EnrollServeAndIssueABatchOf32TokensThatVerify) {
  ASSERT_NO_FATAL_FAILURE(Serve());
  const std::string cli_ticket = EnrollCli("1990-01-01", {"--attribute", "verified_person", "--valid-days", "30"});
  ASSERT_EQ(cli_ticket.rfind("yn1.", 0), 0u);
  const std::string http_ticket = EnrollHttp("1990-01-01");
  ASSERT_EQ(http_ticket.rfind("yn1.", 0), 0u);

  Json ent = Entitlements(cli_ticket);
  EXPECT_EQ(ent["claims"], Json::array({"age_over_13", "age_over_16", "age_over_18", "verified_person"}));
  EXPECT_NEAR(ent["expires_at"].get<double>(), static_cast<double>(Now() + 30 * 86400), 60);
  EXPECT_EQ(ent["quota"]["age_over_18"]["remaining"], 64);
  ent = Entitlements(http_ticket);
  EXPECT_EQ(ent["claims"], Json::array({"age_over_13", "age_over_16", "age_over_18"}));

  const RsaPublicKey key = KeyFor("age_over_18");
  Pending p;
  p.Add(key, kName, 32, rng_);
  auto res = Send("POST", "/token-request-batch", kBatchType, p.BatchBody(), http_ticket);
  ASSERT_EQ(res.status, 200u) << res.body;
  EXPECT_EQ(res.content_type, "application/private-token-generic-batch-response");
  EXPECT_EQ(CountTrue(p.FinalizeBatch(res.body)), 32);

  // One single request too (RFC 9578 §6).
  Pending single;
  single.Add(KeyFor("verified_person"), kName, 1, rng_);
  res = Send("POST", "/token-request", kSingleType, single.SingleBody(0), cli_ticket);
  ASSERT_EQ(res.status, 200u) << res.body;
  EXPECT_EQ(res.content_type, "application/private-token-response");
  EXPECT_TRUE(single.FinalizeSingle(0, res.body));

  // The directory counts the crowd; /metrics counts tokens per claim.
  for (const auto& k : Directory().directory.keys) {
    auto pk = RsaPublicKey::FromSpki(k.token_key);
    ASSERT_TRUE(pk.ok());
    if (pk->KeyId() == key.KeyId()) {
      EXPECT_EQ(k.issued, 32u);
    }
  }
  auto metrics = Send("GET", "/metrics");
  EXPECT_EQ(metrics.status, 200u);
  EXPECT_NE(metrics.body.find("yesno_issuer_tokens_issued_total{claim=\"age_over_18\"} 32"), std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("yesno_issuer_requests_total{route=\"/token-request-batch\",status=\"200\"} 1"),
            std::string::npos);
  EXPECT_NE(metrics.body.find("yesno_issuer_request_duration_seconds_bucket"), std::string::npos);
  auto health = Send("GET", "/healthz");
  EXPECT_EQ(health.status, 200u);
  EXPECT_EQ(health.body, "{\"status\":\"ok\"}");
  EXPECT_EQ(Stop(), 0);
}

TEST_F(IssuerBinaryTest, HolderBornJune2010GetsAgeOver13And16ButNotAgeOver18) {
  ASSERT_NO_FATAL_FAILURE(Serve());
  const std::string ticket = EnrollCli("2010-06-01");
  const Date today = DateFromUnixSeconds(Now());
  ASSERT_LT(today, (Date{2028, 6, 1})) << "this holder has turned 18; move the birth date";
  ASSERT_GE(today, (Date{2026, 6, 1}));
  Json ent = Entitlements(ticket);
  EXPECT_EQ(ent["claims"], Json::array({"age_over_13", "age_over_16"}));
  EXPECT_FALSE(ent["quota"].contains("age_over_18"));

  Pending adult;
  adult.Add(KeyFor("age_over_18"), kName, 1, rng_);
  auto res = Send("POST", "/token-request", kSingleType, adult.SingleBody(0), ticket);
  EXPECT_EQ(res.status, 403u);
  EXPECT_EQ(Error(res), "not_entitled");
  res = Send("POST", "/token-request-batch", kBatchType, adult.BatchBody(), ticket);
  EXPECT_EQ(res.status, 400u);
  EXPECT_EQ(Error(res), "not_entitled");

  Pending teen;
  teen.Add(KeyFor("age_over_16"), kName, 2, rng_);
  teen.Add(KeyFor("age_over_18"), kName, 1, rng_);
  teen.Add(KeyFor("age_over_13"), kName, 1, rng_);
  res = Send("POST", "/token-request-batch", kBatchType, teen.BatchBody(), ticket);
  ASSERT_EQ(res.status, 206u) << res.body;
  EXPECT_EQ(teen.FinalizeBatch(res.body), (std::vector<bool>{true, true, false, true}));
}

TEST_F(IssuerBinaryTest, QuotaRunsDryPerClaimAndEpoch) {
  ASSERT_NO_FATAL_FAILURE(Serve());
  const std::string ticket = EnrollHttp("1990-01-01");
  const RsaPublicKey key = KeyFor("age_over_18");
  for (int round = 0; round < 2; ++round) {
    Pending p;
    p.Add(key, kName, 32, rng_);
    auto res = Send("POST", "/token-request-batch", kBatchType, p.BatchBody(), ticket);
    ASSERT_EQ(res.status, 200u) << res.body;
    EXPECT_EQ(CountTrue(p.FinalizeBatch(res.body)), 32);
  }
  Pending more;
  more.Add(key, kName, 2, rng_);
  auto res = Send("POST", "/token-request", kSingleType, more.SingleBody(0), ticket);
  EXPECT_EQ(res.status, 429u);
  EXPECT_EQ(Error(res), "quota_exceeded");
  res = Send("POST", "/token-request-batch", kBatchType, more.BatchBody(), ticket);
  EXPECT_EQ(res.status, 400u);
  EXPECT_EQ(Error(res), "quota_exceeded");
  Json ent = Entitlements(ticket);
  EXPECT_EQ(ent["quota"]["age_over_18"]["used"], 64);
  EXPECT_EQ(ent["quota"]["age_over_18"]["remaining"], 0);
  EXPECT_EQ(ent["quota"]["age_over_13"]["remaining"], 64);
  // Other claims and other tickets are unaffected.
  Pending other;
  other.Add(KeyFor("age_over_13"), kName, 1, rng_);
  EXPECT_EQ(Send("POST", "/token-request", kSingleType, other.SingleBody(0), ticket).status, 200u);
  EXPECT_EQ(Send("POST", "/token-request", kSingleType, more.SingleBody(1), EnrollCli("1990-01-01")).status, 200u);
}

TEST_F(IssuerBinaryTest, RevokedForgedAlteredAndExpiredTicketsAreRefused) {
  ASSERT_NO_FATAL_FAILURE(Serve());
  const std::string ticket = EnrollCli("1990-01-01");
  const std::string keeper = EnrollCli("1990-01-01");
  Pending p;
  p.Add(KeyFor("age_over_18"), kName, 1, rng_);
  const std::string body = p.SingleBody(0);
  ASSERT_EQ(Send("POST", "/token-request", kSingleType, body, ticket).status, 200u);

  // Revoke through the CLI (ticket on stdin) while the server runs.
  auto revoke = RunProcess({YESNO_ISSUER_PATH, "revoke", "--state", state_.path(), "--ticket", "-"}, ticket + "\n");
  ASSERT_EQ(revoke.exit_code, 0) << revoke.err;
  auto res = Send("POST", "/token-request", kSingleType, body, ticket);
  EXPECT_EQ(res.status, 403u);
  EXPECT_EQ(Error(res), "revoked");
  res = Send("POST", "/entitlements", "", "", ticket);
  EXPECT_EQ(res.status, 403u);
  EXPECT_EQ(Error(res), "revoked");
  EXPECT_EQ(Send("POST", "/token-request", kSingleType, body, keeper).status, 200u);
  revoke = RunProcess({YESNO_ISSUER_PATH, "revoke", "--state", state_.path(), "--ticket", "yn1.notaticket"});
  EXPECT_EQ(revoke.exit_code, 2);

  // Forged: sealed under another key. Altered: one character changed.
  SecretBytes wrong_key(kTicketKeyBytes, 0x42);
  TicketContents contents{Bytes(kTicketIdBytes, 9), Date{1990, 1, 1}, {}, Now() + 86400};
  res = Send("POST", "/token-request", kSingleType, body, *SealTicket(wrong_key, kName, contents, rng_));
  EXPECT_EQ(res.status, 401u);
  EXPECT_EQ(Error(res), "bad_ticket");
  std::string altered = keeper;
  altered[20] = altered[20] == 'x' ? 'y' : 'x';
  res = Send("POST", "/token-request", kSingleType, body, altered);
  EXPECT_EQ(res.status, 401u);
  EXPECT_EQ(Error(res), "bad_ticket");
  res = Send("POST", "/token-request", kSingleType, body);
  EXPECT_EQ(res.status, 401u);
  EXPECT_EQ(Error(res), "missing_ticket");

  // Expired: a genuine ticket (sealed with this issuer's ticket key) whose
  // expiry has passed.
  auto key = files::ReadSecretFile(state_.path() + "/ticket.key");
  ASSERT_TRUE(key.ok());
  contents.expires_at = Now() - 1;
  res = Send("POST", "/token-request", kSingleType, body, *SealTicket(*key, kName, contents, rng_));
  EXPECT_EQ(res.status, 403u);
  EXPECT_EQ(Error(res), "ticket_expired");
  contents.expires_at = Now() + 3600;
  EXPECT_EQ(Send("POST", "/token-request", kSingleType, body, *SealTicket(*key, kName, contents, rng_)).status, 200u);
}

TEST_F(IssuerBinaryTest, DirectorySignatureVerifiesAndFailsAfterOneByteChanged) {
  ASSERT_NO_FATAL_FAILURE(Serve());
  auto res = Send("GET", kDirectoryPath);
  ASSERT_EQ(res.status, 200u);
  EXPECT_EQ(res.content_type, "application/private-token-issuer-directory");
  EXPECT_EQ(res.Header("cache-control").value_or(""), "public, max-age=300");
  const std::string sig = res.Header("yesno-directory-signature").value_or("");
  ASSERT_TRUE(VerifyDirectorySignature(public_key_, res.body, sig).ok());
  for (std::size_t pos : {std::size_t{0}, res.body.size() / 2, res.body.size() - 1}) {
    std::string changed = res.body;
    changed[pos] = static_cast<char>(changed[pos] ^ 0x01);
    EXPECT_FALSE(VerifyDirectorySignature(public_key_, changed, sig).ok()) << pos;
  }
  auto sig_bytes = Base64UrlDecode(sig);
  ASSERT_TRUE(sig_bytes.ok());
  EXPECT_FALSE(VerifyDirectorySignature(public_key_, res.body, Base64UrlEncode(testing::FlipBit(*sig_bytes, 9))).ok());
  Bytes other_pk = public_key_;
  other_pk[0] ^= 0x80;
  EXPECT_FALSE(VerifyDirectorySignature(other_pk, res.body, sig).ok());

  auto dir = ParseDirectory(res.body);
  ASSERT_TRUE(dir.ok());
  EXPECT_EQ(dir->issuer_name, kName);
  EXPECT_EQ(dir->issuer_request_uri, "/token-request");
  const int64_t now = Now();
  std::set<std::string> claims;
  std::set<uint8_t> last_bytes;
  for (const auto& k : dir->keys) {
    EXPECT_LE(k.not_before - 2 * 86400, now);
    EXPECT_GT(k.not_after, now);
    EXPECT_EQ(k.not_after - k.not_before, 37 * 86400);
    auto pk = RsaPublicKey::FromSpki(k.token_key);
    ASSERT_TRUE(pk.ok());
    EXPECT_TRUE(last_bytes.insert(pk->KeyId().back()).second);
    claims.insert(k.claim);
  }
  EXPECT_EQ(claims, (std::set<std::string>{"age_over_13", "age_over_16", "age_over_18", "verified_person"}));
}

TEST_F(IssuerBinaryTest, RestartKeepsKeysAndCounters) {
  ASSERT_NO_FATAL_FAILURE(Serve());
  const std::string ticket = EnrollHttp("1990-01-01");
  const RsaPublicKey key = KeyFor("age_over_18");
  Pending p;
  p.Add(key, kName, 5, rng_);
  auto res = Send("POST", "/token-request-batch", kBatchType, p.BatchBody(), ticket);
  ASSERT_EQ(res.status, 200u);
  EXPECT_EQ(CountTrue(p.FinalizeBatch(res.body)), 5);
  const Dir before = Directory();
  ASSERT_EQ(Stop(), 0);

  ASSERT_NO_FATAL_FAILURE(Serve());
  const Dir after = Directory();
  EXPECT_EQ(after.directory.keys.size(), before.directory.keys.size());
  for (std::size_t i = 0; i < after.directory.keys.size() && i < before.directory.keys.size(); ++i) {
    EXPECT_EQ(after.directory.keys[i].token_key, before.directory.keys[i].token_key);
  }
  EXPECT_EQ(KeyFor("age_over_18").KeyId(), key.KeyId());
  for (const auto& k : after.directory.keys) {
    if (RsaPublicKey::FromSpki(k.token_key)->KeyId() == key.KeyId()) {
      EXPECT_EQ(k.issued, 5u);
    }
  }
  Json ent = Entitlements(ticket);  // the ticket still opens: same ticket key
  EXPECT_EQ(ent["quota"]["age_over_18"]["used"], 5);
  Pending q;
  q.Add(key, kName, 1, rng_);
  res = Send("POST", "/token-request", kSingleType, q.SingleBody(0), ticket);
  ASSERT_EQ(res.status, 200u);
  EXPECT_TRUE(q.FinalizeSingle(0, res.body));
  EXPECT_EQ(Stop(), 0);
}

TEST_F(IssuerBinaryTest, SigtermDrainsAnInFlightRequestAndExitsZero) {
  ASSERT_NO_FATAL_FAILURE(Serve());
  const std::string ticket = EnrollHttp("1990-01-01");
  Pending p;
  p.Add(KeyFor("age_over_18"), kName, 4, rng_);
  const std::string body = p.BatchBody();
  const std::string head = "POST /token-request-batch HTTP/1.1\r\nHost: issuer\r\nAuthorization: Bearer " + ticket +
                           "\r\nContent-Type: " + kBatchType + "\r\nContent-Length: " + std::to_string(body.size()) +
                           "\r\n\r\n";
  namespace asio = boost::asio;
  asio::io_context ioc;
  asio::ip::tcp::socket sock(ioc);
  const auto port = static_cast<unsigned short>(Url("/").port);
  sock.connect({asio::ip::make_address("127.0.0.1"), port});
  // Half the request, then SIGTERM, then the rest: the request is in
  // flight, so the server finishes it before exiting.
  asio::write(sock, asio::buffer(head + body.substr(0, 100)));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  server_->Signal(SIGTERM);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(net::HttpClient().Get(Url("/healthz")).ok());  // no new connections while draining
  asio::write(sock, asio::buffer(body.substr(100)));
  std::string reply;
  boost::system::error_code ec;
  char buf[4096];
  while (true) {
    const std::size_t n = sock.read_some(asio::buffer(buf), ec);
    if (ec) break;
    reply.append(buf, n);
  }
  EXPECT_EQ(reply.rfind("HTTP/1.1 200", 0), 0u) << reply.substr(0, 200);
  const auto split = reply.find("\r\n\r\n");
  ASSERT_NE(split, std::string::npos);
  EXPECT_EQ(CountTrue(p.FinalizeBatch(reply.substr(split + 4))), 4);
  EXPECT_EQ(server_->Wait(), 0);
  EXPECT_NE(Log().find("draining"), std::string::npos);
}

TEST_F(IssuerBinaryTest, ServesHttpsWithTheGivenCertificate) {
  const std::string cert = state_.path() + ".cert.pem", key = state_.path() + ".key.pem";
  auto gen = RunProcess({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                         "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext",
                         "subjectAltName=IP:127.0.0.1"});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  server_ = ChildProcess::Start({YESNO_ISSUER_PATH, "serve", "--state", state_.path(), "--listen", "127.0.0.1:0",
                                 "--tls-cert", cert, "--tls-key", key},
                                log_path_);
  ASSERT_NE(server_, nullptr);
  auto url = server_->WaitForListening();
  ASSERT_TRUE(url.has_value());
  EXPECT_EQ(url->rfind("https://127.0.0.1:", 0), 0u) << *url;
  net::HttpClientOptions options;
  options.ca_file = cert;
  auto res = net::HttpClient(options).Get(*net::ParseUrl(*url + kDirectoryPath));
  ASSERT_TRUE(res.ok()) << res.error().message;
  EXPECT_EQ(res->status, 200u);
  EXPECT_TRUE(VerifyDirectorySignature(public_key_, res->body, res->Header("yesno-directory-signature").value_or(""))
                  .ok());
  EXPECT_EQ(Stop(), 0);
  std::filesystem::remove(cert);
  std::filesystem::remove(key);
}

TEST_F(IssuerBinaryTest, HeadOfTheDirectoryHasItsHeadersButNoBody) {
  ASSERT_NO_FATAL_FAILURE(Serve());
  namespace asio = boost::asio;
  asio::io_context ioc;
  asio::ip::tcp::socket sock(ioc);
  sock.connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(Url("/").port)});
  const std::string path = kDirectoryPath;
  asio::write(sock, asio::buffer("HEAD " + path + " HTTP/1.1\r\nHost: a\r\n\r\nGET /healthz HTTP/1.1\r\nHost: a\r\n"
                                 "Connection: close\r\n\r\n"));
  std::string reply;
  boost::system::error_code ec;
  char buf[4096];
  while (true) {
    const std::size_t n = sock.read_some(asio::buffer(buf), ec);
    if (ec) break;
    reply.append(buf, n);
  }
  // The HEAD answer ends at its blank line; the next bytes are the next response.
  const auto end_of_head = reply.find("\r\n\r\n");
  ASSERT_NE(end_of_head, std::string::npos);
  EXPECT_NE(reply.substr(0, end_of_head).find("Yesno-Directory-Signature: "), std::string::npos);
  EXPECT_EQ(reply.substr(end_of_head + 4).rfind("HTTP/1.1 200", 0), 0u) << reply;
  EXPECT_NE(reply.find("{\"status\":\"ok\"}"), std::string::npos);
}

TEST_F(IssuerBinaryTest, LimitsAndFixedReasonCodesOverHttp) {
  ASSERT_NO_FATAL_FAILURE(Serve());
  const std::string ticket = EnrollHttp("1990-01-01");
  auto res = Send("POST", "/token-request-batch", kBatchType, std::string(64 * 1024 + 1, 'a'), ticket);
  EXPECT_EQ(res.status, 413u);
  res = Send("POST", "/token-request-batch", "application/octet-stream", "x", ticket);
  EXPECT_EQ(res.status, 415u);
  EXPECT_EQ(Error(res), "unsupported_media_type");
  res = Send("GET", "/no/such/route?ticket=" + ticket);
  EXPECT_EQ(res.status, 404u);
  EXPECT_EQ(Error(res), "not_found");
  Pending p;
  p.Add(KeyFor("age_over_18"), kName, 1, rng_);
  GenericBatchTokenRequest big;
  for (int i = 0; i < 65; ++i) big.requests.push_back(GenericTokenRequest{2, ToBytes(AsBytes(p.SingleBody(0)))});
  res = Send("POST", "/token-request-batch", kBatchType, AsString(*SerializeGenericBatchTokenRequest(big)), ticket);
  EXPECT_EQ(res.status, 422u);
  EXPECT_EQ(Error(res), "too_many_requests");
  const std::string batch = p.BatchBody();
  res = Send("POST", "/token-request-batch", kBatchType, batch.substr(0, batch.size() - 1), ticket);
  EXPECT_EQ(res.status, 422u);
  EXPECT_EQ(Error(res), "malformed");
  res = Send("POST", "/admin/enroll", "application/json", "{\"birth_date\":\"1990-01-01\"}", "not-the-secret");
  EXPECT_EQ(res.status, 401u);
  EXPECT_EQ(res.body, "{\"error\":\"unauthorized\"}");
  res = Send("POST", "/admin/enroll", "application/json",
             "{\"birth_date\":\"1990-01-01\",\"attributes\":[\"resident_fr\"]}", admin_);
  EXPECT_EQ(res.status, 422u);
  EXPECT_EQ(Error(res), "unknown_attribute");
  EXPECT_EQ(Send("GET", "/healthz").status, 200u);  // and it still serves
}

TEST_F(IssuerBinaryTest, LogsHoldNoTicketsBirthDatesSecretsOrAddresses) {
  ASSERT_NO_FATAL_FAILURE(Serve());
  const std::string birth = "1987-06-05";
  const std::string ticket = EnrollHttp(birth, {"verified_person"});
  Pending p;
  p.Add(KeyFor("verified_person"), kName, 2, rng_);
  EXPECT_EQ(Send("POST", "/token-request-batch", kBatchType, p.BatchBody(), ticket).status, 200u);
  Send("POST", "/token-request", kSingleType, p.SingleBody(0), ticket + "x");
  Send("POST", "/admin/enroll", "application/json", "{\"birth_date\":\"" + birth + "\"}", "wrong-secret");
  Send("GET", "/nope?ticket=" + ticket);
  EXPECT_EQ(Stop(), 0);
  const std::string log = Log();
  ASSERT_FALSE(log.empty());
  EXPECT_NE(log.find("\"route\":\"/token-request-batch\""), std::string::npos);
  EXPECT_NE(log.find("\"reason\":\"bad_ticket\""), std::string::npos);
  EXPECT_NE(log.find("\"reason\":\"unauthorized\""), std::string::npos);
  for (const std::string& secret : {ticket, ticket.substr(4, 20), std::string("yn1."), birth, std::string("1987"),
                                    admin_, std::string("127.0.0.1"), std::string("wrong-secret"),
                                    Base64UrlEncode(AsBytes(p.SingleBody(0))).substr(0, 20)}) {
    EXPECT_EQ(log.find(secret), std::string::npos) << "the log contains " << secret;
  }
  // Every line is one JSON object with only the allowed fields.
  std::size_t start = 0;
  while (start < log.size()) {
    const auto end = log.find('\n', start);
    const auto line = Json::parse(log.substr(start, end - start), nullptr, false);
    ASSERT_TRUE(line.is_object()) << log.substr(start, end - start);
    for (const auto& [k, v] : line.items()) {
      EXPECT_TRUE((std::set<std::string>{"ts", "server", "method", "route", "status", "latency_ms", "reason",
                                         "event"}
                       .count(k)))
          << k;
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
}

}  // namespace
}  // namespace yesno
