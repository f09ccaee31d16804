// secrets_scan_test.cc — after a full story with the three real binaries,
// nothing secret is left in clear where it does not belong (issue 7).
//
// Story: yesno-issuer init / serve, a ticket enrolled at the desk (CLI) and
// one over HTTP with the admin secret, yesno-verifier serve (SQLite store,
// --secret-file), yesno init / enroll / refill / prove yes / prove no /
// status, a replay of the used presentation, /auth with the session cookie.
//
// Then every file the system wrote — server logs, the issuer's state
// directory, the verifier's spent store, the wallet directory — and every
// output of the CLI commands is scanned for each secret: tickets, tokens and
// their nonces, the holder keys behind them, vnonces, PoPs, the session
// cookie, the issuer's private keys (token keys, signing key, ticket key),
// the admin secret, the verifier's master secret, the wallet key, and the
// birth dates (YYYY-MM-DD and other spellings). Byte secrets are looked for
// raw and as hex (both cases), base64url (padded or not) and standard
// base64, whole and as their first 16 bytes. A secret may appear only in
// the one file that is its home (a key in its key file). Modes: the state
// directory 0700 and every file in it 0600, the wallet and its key file
// 0600, the verifier's secret file and store 0600.
//
// The existing log checks (wallet_e2e_test.cc ServerLogsHoldNoTickets...,
// issuer_test.cc LogsHoldNo..., verifier_redis_test.cc) look at logs only,
// for a few spellings; this one covers state, stores, wallet and CLI output
// too. Runtime: about 5 s.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "files.h"
#include "http_client.h"
#include "testing/child_process.h"
#include "testing/process.h"
#include "testing/test_util.h"
#include "yesno/auth_header.h"
#include "yesno/claims.h"
#include "yesno/directory.h"
#include "yesno/token.h"
#include "yesno/wallet.h"

#if defined(YESNO_ISSUER_PATH) && defined(YESNO_VERIFIER_PATH)

namespace yesno {
namespace {

namespace fs = std::filesystem;
using testing::ChildProcess;
using testing::ProcessResult;
using testing::RunProcess;
using testing::YearsAgo;

std::string Read(const std::string& path) {
  auto bytes = files::ReadFile(path);
  return bytes.ok() ? AsString(*bytes) : std::string();
}

std::string StandardBase64(ByteView b) {
  std::string s = Base64UrlEncode(b);
  for (char& c : s) c = c == '-' ? '+' : c == '_' ? '/' : c;
  return s;
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// Secret is one value that must not leak, with the files allowed to hold it.
struct Secret {
  std::string what;
  std::vector<std::string> needles;  // the spellings looked for
  std::set<std::string> homes;       // files (absolute paths) that may contain it
};

void AddBytes(std::vector<Secret>& out, const std::string& what, ByteView b, std::set<std::string> homes = {}) {
  if (b.size() < 8) return;
  Secret s{what, {}, std::move(homes)};
  auto spellings = [&](ByteView v) {
    s.needles.push_back(AsString(v));
    s.needles.push_back(HexEncode(v));
    s.needles.push_back(Upper(HexEncode(v)));
    s.needles.push_back(Base64UrlEncode(v, /*padding=*/false));
    s.needles.push_back(StandardBase64(v));
  };
  spellings(b);
  if (b.size() > 16) spellings(b.first(16));
  out.push_back(std::move(s));
}

void AddText(std::vector<Secret>& out, const std::string& what, const std::vector<std::string>& spellings,
             std::set<std::string> homes = {}) {
  out.push_back(Secret{what, spellings, std::move(homes)});
}

// BirthDateSpellings: 1986-07-14, 19860714, 14/07/1986, 07/14/1986, 1986/07/14,
// 14.07.1986, 14-07-1986 and the day's Unix seconds.
std::vector<std::string> BirthDateSpellings(const std::string& iso) {
  const std::string y = iso.substr(0, 4), m = iso.substr(5, 2), d = iso.substr(8, 2);
  std::vector<std::string> out = {iso,           y + m + d,     d + "/" + m + "/" + y, m + "/" + d + "/" + y,
                                  y + "/" + m + "/" + d, d + "." + m + "." + y, d + "-" + m + "-" + y};
  auto date = ParseDate(iso);
  if (date.ok()) out.push_back(std::to_string(UnixSecondsFromDate(*date)));
  return out;
}

class SecretsScanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = ::testing::TempDir() + "/yesno_secrets_" + std::to_string(getpid());
    fs::remove_all(root_);
    fs::create_directories(root_ + "/wallet");
    fs::create_directories(root_ + "/verifier");
    fs::create_directories(root_ + "/evidence");  // what the test itself keeps; not scanned
    chmod((root_ + "/wallet").c_str(), 0700);
    chmod((root_ + "/verifier").c_str(), 0700);
  }
  void TearDown() override {
    for (auto* c : {issuer_.get(), verifier_.get()}) {
      if (c && c->running()) {
        c->Signal(SIGTERM);
        c->Wait();
      }
    }
    fs::remove_all(root_);
  }

  ProcessResult Run(std::vector<std::string> argv, const std::string& input = "") {
    ProcessResult r = RunProcess(argv, input);
    outputs_.push_back(argv[1] + " " + (argv.size() > 2 ? argv[2] : "") + ": " + r.out + r.err);
    return r;
  }
  ProcessResult Yesno(std::vector<std::string> args) {
    std::vector<std::string> argv = {YESNO_CLI_PATH, "--wallet", root_ + "/wallet/wallet", "--key-file",
                                     root_ + "/wallet/wallet.key"};
    argv.insert(argv.end(), args.begin(), args.end());
    ProcessResult r = RunProcess(argv);
    outputs_.push_back("yesno " + args[0] + ": " + r.out + r.err);
    return r;
  }

  std::string root_;
  std::unique_ptr<ChildProcess> issuer_, verifier_;
  std::vector<std::string> outputs_;  // stdout+stderr of every CLI run that is not meant to print a secret
};

TEST_F(SecretsScanTest, NoSecretInClearInLogsStateStoresWalletOrOutput) {
  const std::string state = root_ + "/issuer";
  // --- the story ---
  auto init = RunProcess({YESNO_ISSUER_PATH, "init", "--state", state, "--name", "issuer.secrets", "--claims",
                          "age_over_18,age_over_21"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  const std::string issuer_key = init.out.substr(0, init.out.find('\n'));
  issuer_ = ChildProcess::Start({YESNO_ISSUER_PATH, "serve", "--state", state, "--listen", "127.0.0.1:0"},
                                root_ + "/issuer.log");
  ASSERT_TRUE(issuer_);
  auto issuer_url = issuer_->WaitForListening();
  ASSERT_TRUE(issuer_url);
  nlohmann::json trust = nlohmann::json::array(
      {{{"name", "issuer.secrets"}, {"directory", *issuer_url + kDirectoryPath}, {"key", issuer_key}}});
  ASSERT_TRUE(files::WriteFileAtomic(root_ + "/evidence/trust.json", AsBytes(trust.dump())).ok());
  const int port = testing::FreePort();
  const std::string verifier_url = "http://127.0.0.1:" + std::to_string(port);
  verifier_ = ChildProcess::Start({YESNO_VERIFIER_PATH, "serve", "--origin", verifier_url, "--trust",
                                   root_ + "/evidence/trust.json", "--listen", "127.0.0.1:" + std::to_string(port),
                                   "--spent-store", "sqlite:" + root_ + "/verifier/spent.sqlite", "--secret-file",
                                   root_ + "/verifier/verifier.secret"},
                                  root_ + "/verifier.log");
  ASSERT_TRUE(verifier_);
  ASSERT_TRUE(verifier_->WaitForListening());

  // Two holders: one enrolled at the desk (CLI, birth date on stdin), one over HTTP.
  const std::string birth_cli = YearsAgo(38);
  const std::string birth_http = YearsAgo(19);
  auto enroll = RunProcess({YESNO_ISSUER_PATH, "enroll", "--state", state, "--birth-date", "-"}, birth_cli + "\n");
  ASSERT_EQ(enroll.exit_code, 0) << enroll.err;
  const std::string ticket_cli = enroll.out.substr(0, enroll.out.find('\n'));
  const std::string admin = [&] {
    std::string a = Read(state + "/admin.secret");
    while (!a.empty() && (a.back() == '\n' || a.back() == '\r')) a.pop_back();
    return a;
  }();
  std::string ticket_http;
  {
    net::HttpRequest req;
    req.method = "POST";
    req.url = *net::ParseUrl(*issuer_url + "/admin/enroll");
    req.content_type = "application/json";
    req.body = nlohmann::json({{"birth_date", birth_http}, {"attributes", nlohmann::json::array()}}).dump();
    req.headers.emplace_back("Authorization", "Bearer " + admin);
    auto res = net::HttpClient().Send(req);
    ASSERT_TRUE(res.ok());
    ASSERT_EQ(res->status, 200u) << res->body;
    ticket_http = nlohmann::json::parse(res->body)["ticket"].get<std::string>();
  }

  ASSERT_EQ(Yesno({"init"}).exit_code, 0);
  auto r = Yesno({"enroll", "--issuer", *issuer_url, "--issuer-key", issuer_key, "--ticket", ticket_cli});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Yesno({"refill"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Yesno({"prove", "--verifier", verifier_url, "--claim", "age_over_18", "--save-presentation",
             root_ + "/evidence/presentation", "--cookie-jar", root_ + "/evidence/cookies"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(r.out, "yes\n");
  r = Yesno({"prove", "--verifier", verifier_url, "--claim", "age_over_21", "--save-presentation",
             root_ + "/evidence/presentation_21"});
  EXPECT_EQ(r.exit_code, 0) << r.err;  // 38 years old: yes for 21 too
  r = Yesno({"--json", "status"});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  const std::string presentation = Read(root_ + "/evidence/presentation");
  net::HttpRequest replay;
  replay.method = "POST";
  replay.url = *net::ParseUrl(verifier_url + "/verify?claim=age_over_18");
  replay.headers.emplace_back("Authorization", presentation);
  auto replayed = net::HttpClient().Send(replay);
  ASSERT_TRUE(replayed.ok());
  EXPECT_EQ(replayed->body, "{\"answer\":\"no\",\"reason\":\"replayed\"}");
  const std::string jar = Read(root_ + "/evidence/cookies");
  const auto tab = jar.rfind('\t');
  ASSERT_NE(tab, std::string::npos) << jar;
  const std::string cookie_value = jar.substr(tab + 1, jar.find('\n', tab) - tab - 1);
  auto auth = net::HttpClient().Get(*net::ParseUrl(verifier_url + "/auth/age_over_18"),
                                    {{"Cookie", "yesno_age_over_18=" + cookie_value}});
  ASSERT_TRUE(auth.ok());
  EXPECT_EQ(auth->status, 204u);

  // Stop both servers cleanly so that every log line and store page is written.
  issuer_->Signal(SIGTERM);
  EXPECT_EQ(issuer_->Wait(), 0);
  verifier_->Signal(SIGTERM);
  EXPECT_EQ(verifier_->Wait(), 0);

  // --- the secrets ---
  auto wallet_bytes = files::ReadFile(root_ + "/wallet/wallet");
  ASSERT_TRUE(wallet_bytes.ok());
  auto wallet_key = files::ReadSecretFile(root_ + "/wallet/wallet.key");
  ASSERT_TRUE(wallet_key.ok());
  auto wallet = OpenWallet(*wallet_bytes, *wallet_key);
  ASSERT_TRUE(wallet.ok()) << wallet.error().message;
  ASSERT_GE(wallet->tokens.size(), 32u);

  std::vector<Secret> secrets;
  for (const std::string& t : {ticket_cli, ticket_http}) {
    AddText(secrets, "ticket", {t, t.substr(0, 24), t.substr(4, 24)});
    auto sealed = Base64UrlDecode(std::string_view(t).substr(4));
    ASSERT_TRUE(sealed.ok());
    AddBytes(secrets, "sealed ticket bytes", *sealed);
  }
  std::size_t n = 0;
  for (const auto& t : wallet->tokens) {
    const std::string i = " #" + std::to_string(n++);
    AddBytes(secrets, "token" + i, t.token);
    auto parsed = ParseToken(t.token);
    ASSERT_TRUE(parsed.ok());
    AddBytes(secrets, "token nonce" + i, parsed->nonce);
    AddBytes(secrets, "token authenticator" + i, parsed->authenticator);
    AddBytes(secrets, "holder key seed" + i, View(t.seed));
  }
  for (const char* file : {"presentation", "presentation_21"}) {
    auto creds = ParseAuthorization(Read(root_ + "/evidence/" + file));
    ASSERT_TRUE(creds.ok()) << file;
    AddText(secrets, std::string(file) + " header", {Read(root_ + "/evidence/" + file).substr(0, 60)});
    AddBytes(secrets, std::string(file) + " vnonce", creds->yesno_vnonce);
    AddBytes(secrets, std::string(file) + " pop", creds->yesno_pop);
  }
  AddText(secrets, "session cookie", {cookie_value, cookie_value.substr(0, 20)});
  AddText(secrets, "admin secret", {admin}, {state + "/admin.secret"});
  for (const std::string& iso : {birth_cli, birth_http}) AddText(secrets, "birth date " + iso, BirthDateSpellings(iso));
  // Private key material, allowed only in its own file.
  for (const auto& e : fs::recursive_directory_iterator(state)) {
    if (!e.is_regular_file()) continue;
    const std::string name = e.path().filename().string();
    if (name == "signing.key" || name == "ticket.key" || e.path().extension() == ".der") {
      const std::string key = Read(e.path().string());
      ASSERT_GE(key.size(), 32u) << name;
      // For a DER private key, its last 64 bytes are inside the private part.
      const ByteView bytes = AsBytes(key);
      AddBytes(secrets, "issuer private key " + name, name.ends_with(".der") ? bytes.last(64) : bytes,
               {e.path().string()});
    }
  }
  AddBytes(secrets, "verifier master secret", AsBytes(Read(root_ + "/verifier/verifier.secret")),
           {root_ + "/verifier/verifier.secret"});
  AddBytes(secrets, "wallet key", View(*wallet_key), {root_ + "/wallet/wallet.key"});
  for (const auto& issuer : wallet->issuers) AddBytes(secrets, "wallet's ticket", View(issuer.ticket));

  // --- the scan ---
  std::map<std::string, std::string> haystacks;  // name -> content
  haystacks[root_ + "/issuer.log"] = Read(root_ + "/issuer.log");
  haystacks[root_ + "/verifier.log"] = Read(root_ + "/verifier.log");
  for (const std::string& dir : {state, root_ + "/verifier", root_ + "/wallet"}) {
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
      if (e.is_regular_file()) haystacks[e.path().string()] = Read(e.path().string());
    }
  }
  for (std::size_t i = 0; i < outputs_.size(); ++i) haystacks["cli output #" + std::to_string(i)] = outputs_[i];
  EXPECT_NE(haystacks[root_ + "/issuer.log"].find("token-request"), std::string::npos) << "the issuer logged nothing?";
  EXPECT_NE(haystacks[root_ + "/verifier.log"].find("verify"), std::string::npos) << "the verifier logged nothing?";
  EXPECT_TRUE(haystacks.count(root_ + "/verifier/spent.sqlite"));
  EXPECT_TRUE(haystacks.count(state + "/state.db"));

  std::size_t checks = 0;
  for (const auto& [name, text] : haystacks) {
    for (const Secret& s : secrets) {
      if (s.homes.count(name)) continue;
      for (const std::string& needle : s.needles) {
        ++checks;
        EXPECT_EQ(text.find(needle), std::string::npos) << s.what << " found in " << name;
      }
    }
  }
  std::printf("[secrets] %zu secrets (%zu spellings checked per file) over %zu files and outputs: none in clear\n",
              secrets.size(), checks / haystacks.size(), haystacks.size());

  // --- modes ---
  auto mode = [](const std::string& path) {
    struct stat st {};
    EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
  };
  EXPECT_EQ(mode(state), 0700u);
  for (const auto& e : fs::recursive_directory_iterator(state)) {
    const std::string p = e.path().string();
    if (e.is_directory()) {
      EXPECT_EQ(mode(p), 0700u) << p;
    } else if (e.is_regular_file()) {
      EXPECT_EQ(mode(p), 0600u) << p;
    }
  }
  EXPECT_EQ(mode(root_ + "/wallet/wallet"), 0600u);
  EXPECT_EQ(mode(root_ + "/wallet/wallet.key"), 0600u);
  EXPECT_EQ(mode(root_ + "/verifier/verifier.secret"), 0600u);
  for (const auto& e : fs::directory_iterator(root_ + "/verifier")) {
    if (e.path().filename().string().rfind("spent.sqlite", 0) == 0) {
      EXPECT_EQ(mode(e.path().string()), 0600u) << e.path();
    }
  }
}

}  // namespace
}  // namespace yesno

#endif  // YESNO_ISSUER_PATH && YESNO_VERIFIER_PATH
