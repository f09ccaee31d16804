// oidc_enroll_test.cc — enrollment through OpenID Connect (issue 16), with
// the real yesno-issuer binary against a real OpenID Provider.
//
// The providers are tests/oidc/provider.mjs: npm oidc-provider 8.8.1 (panva,
// OpenID Certified; pinned in tests/oidc/package-lock.json) for the real
// flows, and a small fake provider in the same script for ID tokens no
// honest provider sends (tampered, wrong aud/iss/nonce, expired, alg none,
// HS256 with the client secret, a rotated key, another sub at UserInfo). The
// provider's development interactions (any login = the account, any
// password, then consent) are driven over HTTP with a small cookie jar; no
// browser is needed. `npm ci` runs into a copy under the build tree
// (node_package.h). Without node/npm or the registry the tests that need a
// provider are SKIPPED with the reason.
//
// Suites:
//   OidcEnrollRealProvider   adult/minor tickets and their refills, no or
//                            year-only birth date, replayed state and code,
//                            another browser, the enrollment limit, and the
//                            scan of the issuer's logs and state afterwards;
//   OidcEnrollFakeProvider   RS256/ES256/rotated key/UserInfo accepted, every
//                            bad ID token refused (TEST_P), provider errors
//                            and outage (502/503), a future birth date;
//   OidcEnrollIdToken        id_token.h in process: tokens signed with libcjose,
//                            every header, signature, key and claim check;
//   OidcEnrollParts          config file, --enroll-limit, birthdate rules and
//                            the limit counter in the state store (no node).
#include <thread>
#include <cjose/cjose.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "files.h"
#include "http_client.h"
#include "node_package.h"
#include "oidc_config.h"
#include "oidc_enroll.h"
#include "sqlite.h"
#include "state_store.h"
#include "testing/child_process.h"
#include "testing/process.h"
#include "testing/test_util.h"
#include "yesno/claims.h"
#include "yesno/rng.h"

#if defined(YESNO_ISSUER_PATH)

namespace yesno {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using testing::ChildProcess;
using testing::NodePackage;
using testing::PrivateDir;
using testing::ProcessResult;
using testing::RunProcess;
using testing::TrimEnd;
using testing::YearsAgo;

constexpr char kClientId[] = "yesno-issuer-test";

std::string Read(const std::string& path) {
  // Servers write their access log from a buffer every 100 ms: let it land.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto bytes = files::ReadFile(path);
  return bytes.ok() ? AsString(*bytes) : std::string();
}

bool Contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

// Between returns the text between `open` and the next `close`, or "".
std::string Between(const std::string& text, const std::string& open, const std::string& close) {
  const auto a = text.find(open);
  if (a == std::string::npos) return "";
  const auto b = text.find(close, a + open.size());
  if (b == std::string::npos) return "";
  return text.substr(a + open.size(), b - a - open.size());
}

std::string HtmlUnescape(std::string s) {
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"&quot;", "\""}, {"&#39;", "'"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}}) {
    for (auto pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
      s.replace(pos, from.size(), to);
    }
  }
  return s;
}

std::string FormEncode(const std::string& s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

// Browser is a minimal user agent: a cookie jar per origin, no redirects
// followed by itself.
class Browser {
 public:
  Result<net::HttpResponse> Fetch(const std::string& method, const std::string& url_text, const std::string& form = "") {
    auto url = net::ParseUrl(url_text);
    if (!url.ok()) return url.error();
    net::HttpRequest req;
    req.method = method;
    req.url = *url;
    std::string cookie;
    for (const auto& [name, value] : jar_[url->Origin()]) cookie += (cookie.empty() ? "" : "; ") + name + "=" + value;
    if (!cookie.empty()) req.headers.emplace_back("Cookie", cookie);
    if (method == "POST") {
      req.content_type = "application/x-www-form-urlencoded";
      req.body = form;
    }
    auto res = net::HttpClient().Send(req);
    if (!res.ok()) return res;
    for (const auto& [k, v] : res->headers) {
      if (k != "set-cookie") continue;
      const std::string pair = v.substr(0, v.find(';'));
      const auto eq = pair.find('=');
      if (eq == std::string::npos) continue;
      if (Contains(v, "Max-Age=0") || Contains(v, "max-age=0") || Contains(v, "expires=Thu, 01 Jan 1970")) {
        jar_[url->Origin()].erase(pair.substr(0, eq));
      } else {
        jar_[url->Origin()][pair.substr(0, eq)] = pair.substr(eq + 1);
      }
    }
    return res;
  }
  void Forget(const std::string& origin) { jar_.erase(origin); }

 private:
  std::map<std::string, std::map<std::string, std::string>> jar_;
};

// Absolute resolves a Location header against `base`.
std::string Absolute(const std::string& base, const std::string& location) {
  if (Contains(location, "://")) return location;
  return net::ParseUrl(base)->Origin() + location;
}

// --- the Node side ----------------------------------------------------------------

NodePackage PrepareNode() {
  return testing::PrepareNodePackage({.tag = "oidc",
                                      .source_dir = YESNO_OIDC_SOURCE_DIR,
                                      .work_dir = YESNO_OIDC_WORK_DIR,
                                      .files = {"package.json", "package-lock.json", "provider.mjs"},
                                      .installed_module = "oidc-provider",
                                      .skip_on_any_install_failure = false});
}

struct Account {
  std::string login;
  std::string sub;
  Json claims;
};

// Providers runs provider.mjs (both providers) for the given issuer callback URLs.
class Providers {
 public:
  bool Start(const NodePackage& node, const std::string& dir, const std::vector<std::string>& redirect_uris,
             const std::vector<Account>& accounts, const std::string& fake_sub, const std::string& fake_birthdate) {
    Json accounts_json = Json::object();
    for (const auto& a : accounts) accounts_json[a.login] = {{"sub", a.sub}, {"claims", a.claims}};
    client_secret = "cs-" + HexEncode(Sha256(AsBytes(dir))).substr(0, 32);
    const Json config = {{"client_id", kClientId},         {"client_secret", client_secret},
                         {"redirect_uris", redirect_uris}, {"accounts", accounts_json},
                         {"fake_sub", fake_sub},           {"fake_birthdate", fake_birthdate}};
    child_ = ChildProcess::Start({node.node, node.dir + "/provider.mjs", config.dump()}, dir + "/provider.log");
    if (!child_) return false;
    auto line = child_->ReadLine(std::chrono::seconds(30));
    if (!line) return false;
    const Json urls = Json::parse(*line, nullptr, false);
    if (!urls.is_object()) return false;
    real = urls["real"].get<std::string>();
    fake = urls["fake"].get<std::string>();
    return true;
  }
  void Stop() {
    if (child_ && child_->running()) {
      child_->Signal(SIGTERM);
      child_->Wait();
    }
  }
  ~Providers() { Stop(); }
  void SetFakeMode(const std::string& mode) {
    auto res = net::HttpClient().Get(*net::ParseUrl(fake + "/_mode?m=" + mode));
    ASSERT_TRUE(res.ok());
    ASSERT_EQ(res->status, 204u);
  }

  std::string real, fake, client_secret;

 private:
  std::unique_ptr<ChildProcess> child_;
};

// Issuer is a real yesno-issuer with --oidc.
class Issuer {
 public:
  Issuer(const std::string& dir, int port) : dir_(dir), port_(port) {
    url = "http://127.0.0.1:" + std::to_string(port);
    redirect_uri = url + "/enroll/callback";
  }
  ~Issuer() { Stop(); }
  void Start(const std::string& provider, const std::string& client_secret, const std::string& claims,
             const std::string& limit = "3/365", const Json& extra = Json::object()) {
    auto init = RunProcess({YESNO_ISSUER_PATH, "init", "--state", state(), "--name", "issuer.oidc", "--claims", claims,
                            "--attributes", "verified_person"});
    ASSERT_EQ(init.exit_code, 0) << init.err;
    key = TrimEnd(init.out.substr(0, init.out.find('\n')));
    ASSERT_TRUE(files::WriteFileAtomic(dir_ + "/oidc-client.secret", AsBytes(client_secret + "\n")).ok());
    Json config = {{"issuer", provider},
                   {"client_id", kClientId},
                   {"client_secret_file", "oidc-client.secret"},
                   {"redirect_uri", redirect_uri}};
    for (const auto& [k, v] : extra.items()) config[k] = v;
    ASSERT_TRUE(files::WriteFileAtomic(dir_ + "/oidc.json", AsBytes(config.dump())).ok());
    child_ = ChildProcess::Start({YESNO_ISSUER_PATH, "serve", "--state", state(), "--listen",
                                  "127.0.0.1:" + std::to_string(port_), "--oidc", dir_ + "/oidc.json",
                                  "--enroll-limit", limit},
                                 log_path());
    ASSERT_TRUE(child_);
    ASSERT_TRUE(child_->WaitForListening()) << Read(log_path());
  }
  void Stop() {
    if (child_ && child_->running()) {
      child_->Signal(SIGTERM);
      child_->Wait();
    }
  }
  std::string state() const { return dir_ + "/state"; }
  std::string log_path() const { return dir_ + "/issuer.log"; }

  std::string url, redirect_uri, key;

 private:
  std::string dir_;
  int port_;
  std::unique_ptr<ChildProcess> child_;
};

// Outcome is the issuer's answer at the end of a sign-in.
struct Outcome {
  unsigned status = 0;
  std::string body;
  std::string ticket;            // from data-yesno-ticket, when there is one
  std::string callback_url;      // what the provider sent the browser back to
  net::HttpResponse response;
  std::map<std::string, std::string> secrets;  // state, nonce, code... seen on the way (for the scan)
};

// Param returns a query parameter of a URL (not decoded; our values are base64url).
std::string Param(const std::string& url, const std::string& name) {
  const auto q = url.find('?');
  if (q == std::string::npos) return "";
  std::string_view query = std::string_view(url).substr(q + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    if (part.substr(0, name.size() + 1) == name + "=") return std::string(part.substr(name.size() + 1));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return "";
}

// FinishAtIssuer loads the callback URL in the browser.
void FinishAtIssuer(Browser& browser, Outcome& out) {
  auto res = browser.Fetch("GET", out.callback_url);
  ASSERT_TRUE(res.ok()) << res.error().message;
  out.status = res->status;
  out.body = res->body;
  out.response = *res;
  out.ticket = HtmlUnescape(Between(res->body, "data-yesno-ticket=\"", "\""));
}

// SignIn runs GET /enroll at `issuer`, then the provider's pages until it
// redirects back to the issuer's callback (logging in as `login` at the
// real provider), then the callback. With `finish` false it stops before
// the callback (out.callback_url is set).
Outcome SignIn(Browser& browser, const Issuer& issuer, const std::string& login, bool finish = true) {
  Outcome out;
  auto start = browser.Fetch("GET", issuer.url + "/enroll");
  EXPECT_TRUE(start.ok());
  if (!start.ok()) return out;
  if (start->status != 302) {
    out.status = start->status;
    out.body = start->body;
    out.response = *start;
    return out;
  }
  std::string next = *start->Header("location");
  out.secrets["state"] = Param(next, "state");
  out.secrets["nonce"] = Param(next, "nonce");
  out.secrets["code_challenge"] = Param(next, "code_challenge");
  std::string method = "GET", form;
  for (int step = 0; step < 16; ++step) {
    if (next.rfind(issuer.redirect_uri, 0) == 0) {
      out.callback_url = next;
      out.secrets["code"] = Param(next, "code");
      if (finish) FinishAtIssuer(browser, out);
      return out;
    }
    auto res = browser.Fetch(method, next, form);
    EXPECT_TRUE(res.ok()) << next;
    if (!res.ok()) return out;
    method = "GET";
    form.clear();
    if (res->status >= 300 && res->status < 400) {
      next = Absolute(next, *res->Header("location"));
      continue;
    }
    EXPECT_EQ(res->status, 200u) << res->body.substr(0, 2000);
    if (res->status != 200) return out;
    // A development-interaction page: the login form or the consent form.
    const std::string action = HtmlUnescape(Between(res->body, "action=\"", "\""));
    EXPECT_FALSE(action.empty()) << res->body.substr(0, 2000);
    if (action.empty()) return out;
    next = Absolute(next, action);
    method = "POST";
    form = Contains(res->body, "name=\"login\"")
               ? "prompt=login&login=" + FormEncode(login) + "&password=anything-goes"
               : "prompt=consent";
  }
  ADD_FAILURE() << "the provider's pages did not lead back to the issuer";
  return out;
}

// Wallet runs the yesno CLI with a key-file wallet.
ProcessResult Wallet(const std::string& dir, std::vector<std::string> args) {
  std::vector<std::string> argv = {YESNO_CLI_PATH, "--wallet", dir + "/wallet", "--key-file", dir + "/wallet.key"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(argv);
}

// EnrollAndRefill stores `ticket` in a fresh wallet with the issuer's
// command and refills; returns the claims the refill added tokens for.
std::set<std::string> EnrollAndRefill(const std::string& dir, const Issuer& issuer, const std::string& ticket,
                                      const std::string& command) {
  std::set<std::string> claims;
  fs::create_directories(dir);
  chmod(dir.c_str(), 0700);
  EXPECT_EQ(Wallet(dir, {"init"}).exit_code, 0);
  // The page's command, word for word.
  EXPECT_EQ(command, "yesno enroll --issuer " + issuer.url + " --issuer-key " + issuer.key + " --ticket " + ticket);
  auto enroll = Wallet(dir, {"enroll", "--issuer", issuer.url, "--issuer-key", issuer.key, "--ticket", ticket});
  EXPECT_EQ(enroll.exit_code, 0) << enroll.err;
  auto refill = Wallet(dir, {"--json", "refill", "--target", "2", "--low-water", "1"});
  EXPECT_EQ(refill.exit_code, 0) << refill.err;
  auto doc = Json::parse(refill.out, nullptr, false);
  if (!doc.is_object() || !doc.contains("claims")) return claims;
  for (const auto& [claim, v] : doc["claims"].items()) {
    if (v.value("added", 0) > 0) claims.insert(claim);
  }
  return claims;
}

// --- fixtures ---------------------------------------------------------------------

class OidcEnrollFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    node_ = PrepareNode();
    if (node_.skip) GTEST_SKIP() << "OIDC enrollment tests need a real OpenID Provider: " << node_.why;
    ASSERT_TRUE(node_.ready) << node_.why;
    dir_ = PrivateDir("oidc", ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_ + "/a");
    fs::create_directories(dir_ + "/b");
    chmod((dir_ + "/a").c_str(), 0700);
    chmod((dir_ + "/b").c_str(), 0700);
    a_ = std::make_unique<Issuer>(dir_ + "/a", testing::FreePort());
    b_ = std::make_unique<Issuer>(dir_ + "/b", testing::FreePort());
    accounts_ = {
        {"adult", "sub-adult-" + Nonce(), {{"birthdate", YearsAgo(30)}, {"name", "Adaline Grownup"}}},
        {"minor", "sub-minor-" + Nonce(), {{"birthdate", YearsAgo(16)}, {"name", "Milo Younger"}}},
        {"nobirth", "sub-nobirth-" + Nonce(), {{"name", "Norbert Nodate"}}},
        {"yearonly", "sub-yearonly-" + Nonce(), {{"birthdate", "1984"}, {"name", "Yvette Yearly"}}},
    };
    fake_sub_ = "sub-fake-" + Nonce();
    fake_birthdate_ = YearsAgo(40);
    ASSERT_TRUE(providers_.Start(node_, dir_, {a_->redirect_uri, b_->redirect_uri}, accounts_, fake_sub_,
                                 fake_birthdate_))
        << Read(dir_ + "/provider.log");
  }
  void TearDown() override {
    if (a_) a_->Stop();
    if (b_) b_->Stop();
    providers_.Stop();
  }
  static std::string Nonce() {
    Bytes b(6);
    SystemRng().Fill(b);
    return HexEncode(b);
  }
  // Sub is the account's subject, which is also its login name at the
  // provider's development interactions (they make the login the account id).
  std::string Sub(const std::string& login) const { return Acct(login).sub; }
  const Account& Acct(const std::string& login) const {
    for (const auto& a : accounts_) {
      if (a.login == login) return a;
    }
    return accounts_.front();
  }

  NodePackage node_;
  std::string dir_;
  std::unique_ptr<Issuer> a_, b_;  // a: real provider, b: fake provider
  Providers providers_;
  std::vector<Account> accounts_;
  std::string fake_sub_, fake_birthdate_;
};

// ExpectPage checks the headers every enrollment page carries.
void ExpectPageHeaders(const net::HttpResponse& r) {
  EXPECT_EQ(r.Header("cache-control").value_or(""), "no-store");
  const std::string csp = r.Header("content-security-policy").value_or("");
  EXPECT_TRUE(Contains(csp, "default-src 'none'")) << csp;
  EXPECT_TRUE(Contains(csp, "script-src 'nonce-")) << csp;
  EXPECT_FALSE(Contains(csp, "http")) << "no third-party source allowed: " << csp;
  EXPECT_EQ(r.Header("referrer-policy").value_or(""), "no-referrer");
  EXPECT_EQ(r.content_type, "text/html");
  EXPECT_FALSE(Contains(r.body, "src=\"http")) << "no third-party content";
}

using OidcEnrollRealProvider = OidcEnrollFixture;

TEST_F(OidcEnrollRealProvider, AdultAndMinorGetTicketsThatRefillByAge) {
  a_->Start(providers_.real, providers_.client_secret, "age_over_16,age_over_18");
  Browser browser;
  Outcome adult = SignIn(browser, *a_, Sub("adult"));
  ASSERT_EQ(adult.status, 200u) << adult.body;
  ExpectPageHeaders(adult.response);
  EXPECT_EQ(adult.ticket.rfind("yn1.", 0), 0u);
  // The extension hook: hidden until the extension marks the page.
  EXPECT_TRUE(Contains(adult.body, "id=\"yesno-enroll\" hidden data-yesno-action=\"enroll\"")) << adult.body;
  EXPECT_TRUE(Contains(adult.body, "data-yesno-issuer=\"" + a_->url + "\""));
  EXPECT_TRUE(Contains(adult.body, "data-yesno-issuer-key=\"" + a_->key + "\""));
  EXPECT_TRUE(Contains(adult.body, "Copy the command"));
  // The flow-binding cookie is cleared; nothing personal in any cookie.
  for (const auto& [k, v] : adult.response.headers) {
    if (k == "set-cookie") {
      EXPECT_TRUE(Contains(v, "Max-Age=0")) << v;
    }
  }
  const std::string command = HtmlUnescape(Between(adult.body, "<code id=\"command\">", "</code>"));
  EXPECT_EQ(EnrollAndRefill(dir_ + "/w-adult", *a_, adult.ticket, command),
            (std::set<std::string>{"age_over_16", "age_over_18"}));

  Browser other;
  Outcome minor = SignIn(other, *a_, Sub("minor"));
  ASSERT_EQ(minor.status, 200u) << minor.body;
  const std::string minor_command = HtmlUnescape(Between(minor.body, "<code id=\"command\">", "</code>"));
  EXPECT_EQ(EnrollAndRefill(dir_ + "/w-minor", *a_, minor.ticket, minor_command),
            (std::set<std::string>{"age_over_16"}));
}

TEST_F(OidcEnrollRealProvider, NoBirthdateOrYearOnlyGivesNoTicket) {
  a_->Start(providers_.real, providers_.client_secret, "age_over_18");
  Browser browser, other;  // one browser per person: the provider keeps a session
  Outcome none = SignIn(browser, *a_, Sub("nobirth"));
  EXPECT_EQ(none.status, 422u);
  ExpectPageHeaders(none.response);
  EXPECT_TRUE(Contains(none.body, "did not share a birth date")) << none.body;
  EXPECT_FALSE(Contains(none.body, "yn1."));
  Outcome year = SignIn(other, *a_, Sub("yearonly"));
  EXPECT_EQ(year.status, 422u);
  EXPECT_TRUE(Contains(year.body, "only a year of birth")) << year.body;
  EXPECT_FALSE(Contains(year.body, "yn1."));
  const std::string log = Read(a_->log_path());
  EXPECT_TRUE(Contains(log, "no_birthdate")) << log;
  EXPECT_TRUE(Contains(log, "birthdate_year_only")) << log;
}

TEST_F(OidcEnrollRealProvider, ReplayedStateOrCodeAndOtherBrowserAreRefused) {
  a_->Start(providers_.real, providers_.client_secret, "age_over_18");
  Browser browser;
  Outcome first = SignIn(browser, *a_, Sub("adult"));
  ASSERT_EQ(first.status, 200u) << first.body;

  // The same callback again (a reload, or a stolen URL): the state is spent.
  Outcome replay = first;
  FinishAtIssuer(browser, replay);
  EXPECT_EQ(replay.status, 400u);
  EXPECT_TRUE(Contains(replay.body, "expired or was already used")) << replay.body;
  EXPECT_TRUE(replay.ticket.empty());

  // The old code with a fresh state: the provider refuses it (one use).
  Outcome fresh = SignIn(browser, *a_, Sub("adult"), /*finish=*/false);
  ASSERT_FALSE(fresh.callback_url.empty());
  std::string spliced = fresh.callback_url;
  spliced.replace(spliced.find("code=") + 5, Param(spliced, "code").size(), first.secrets["code"]);
  Outcome code_replay;
  code_replay.callback_url = spliced;
  FinishAtIssuer(browser, code_replay);
  EXPECT_EQ(code_replay.status, 400u) << code_replay.body;
  EXPECT_TRUE(Contains(code_replay.body, "already used or has expired")) << code_replay.body;
  EXPECT_TRUE(code_replay.ticket.empty());

  // A callback finished in another browser (no binding cookie) is refused.
  Outcome started = SignIn(browser, *a_, Sub("adult"), /*finish=*/false);
  Browser elsewhere;
  FinishAtIssuer(elsewhere, started);
  EXPECT_EQ(started.status, 400u);
  EXPECT_TRUE(Contains(started.body, "another browser")) << started.body;
  EXPECT_TRUE(started.ticket.empty());

  // Garbage and missing states.
  for (const std::string& q :
       std::vector<std::string>{"", "?state=AAAA&code=x", "?code=x", "?state=" + std::string(300, 'a')}) {
    Outcome junk;
    junk.callback_url = a_->redirect_uri + q;
    FinishAtIssuer(browser, junk);
    EXPECT_EQ(junk.status, 400u) << q;
  }
  const std::string log = Read(a_->log_path());
  EXPECT_TRUE(Contains(log, "unknown_state"));
  EXPECT_TRUE(Contains(log, "code_refused"));
  EXPECT_TRUE(Contains(log, "wrong_browser"));
}

TEST_F(OidcEnrollRealProvider, EnrollmentLimitReachedIsClearlyRefused) {
  a_->Start(providers_.real, providers_.client_secret, "age_over_18", "2/30");
  Browser browser;
  for (int i = 0; i < 2; ++i) {
    Outcome ok = SignIn(browser, *a_, Sub("adult"));
    ASSERT_EQ(ok.status, 200u) << ok.body;
    EXPECT_TRUE(Contains(ok.body, "at most 2 tickets here in 30 days"));
  }
  Outcome third = SignIn(browser, *a_, Sub("adult"));
  EXPECT_EQ(third.status, 429u);
  EXPECT_TRUE(Contains(third.body, "at most 2 tickets from this issuer in 30 days")) << third.body;
  EXPECT_TRUE(third.ticket.empty());
  // Someone else is not affected.
  Browser other;
  Outcome minor = SignIn(other, *a_, Sub("minor"));
  EXPECT_EQ(minor.status, 200u) << minor.body;
  // The limit survives a restart (it is in the state store).
  a_->Stop();
  auto again = ChildProcess::Start({YESNO_ISSUER_PATH, "serve", "--state", a_->state(), "--listen",
                                    a_->url.substr(7), "--oidc", dir_ + "/a/oidc.json", "--enroll-limit", "2/30"},
                                   a_->log_path());
  ASSERT_TRUE(again && again->WaitForListening());
  Outcome fourth = SignIn(browser, *a_, Sub("adult"));
  EXPECT_EQ(fourth.status, 429u);
  again->Signal(SIGTERM);
  again->Wait();
}

// ScanForPersonalData: after sign-ins of every kind, nothing about the
// people, and no provider secret or flow secret, is in the issuer's log or
// state directory.
TEST_F(OidcEnrollRealProvider, LogsAndStateHoldNothingAboutThePerson) {
  a_->Start(providers_.real, providers_.client_secret, "age_over_16,age_over_18");
  std::map<std::string, Browser> browsers;  // one per person: the provider keeps a session
  std::vector<Outcome> runs;
  for (const char* login : {"adult", "minor", "nobirth", "yearonly", "adult"}) {
    runs.push_back(SignIn(browsers[login], *a_, Sub(login)));
  }
  Browser& browser = browsers["adult"];
  ASSERT_EQ(runs[0].status, 200u);
  ASSERT_EQ(runs[1].status, 200u);
  Outcome replay = runs[0];
  FinishAtIssuer(browser, replay);
  a_->Stop();

  std::vector<std::pair<std::string, std::string>> needles;  // what, spelling
  for (const auto& a : accounts_) {
    needles.emplace_back("sub", a.sub);
    needles.emplace_back("name", a.claims["name"].get<std::string>());
    if (a.claims.contains("birthdate")) {
      const std::string b = a.claims["birthdate"].get<std::string>();
      needles.emplace_back("birthdate", b);
      if (b.size() == 10) {
        needles.emplace_back("birthdate", b.substr(0, 4) + b.substr(5, 2) + b.substr(8, 2));
        needles.emplace_back("birthdate", std::to_string(UnixSecondsFromDate(*ParseDate(b))));
      }
    }
  }
  needles.emplace_back("client secret", providers_.client_secret);
  for (const auto& r : runs) {
    for (const auto& [what, v] : r.secrets) {
      if (v.size() >= 16) needles.emplace_back(what, v);
    }
    if (!r.ticket.empty()) {
      needles.emplace_back("ticket", r.ticket);
      needles.emplace_back("ticket", r.ticket.substr(4, 24));
    }
  }
  std::vector<std::string> files = {a_->log_path()};
  for (const auto& e : fs::recursive_directory_iterator(a_->state())) {
    if (e.is_regular_file()) files.push_back(e.path().string());
  }
  ASSERT_GE(files.size(), 5u);
  const std::string log = Read(a_->log_path());
  EXPECT_TRUE(Contains(log, "/enroll/callback")) << "the log was written";
  for (const auto& f : files) {
    const std::string content = Read(f);
    for (const auto& [what, needle] : needles) {
      EXPECT_FALSE(Contains(content, needle)) << what << " '" << needle << "' found in " << f;
    }
    // The client secret file is outside the state directory; every state file is private.
    struct stat st {};
    ASSERT_EQ(stat(f.c_str(), &st), 0);
    if (f != a_->log_path()) {
      EXPECT_EQ(st.st_mode & 077, 0u) << f;
    }
  }
  // The limit counter is the only per-person record: one row per person who got a ticket.
  auto store = issuer::StateStore::Open(a_->state() + "/state.db");
  ASSERT_TRUE(store.ok());
  auto db = sql::Db::Open(a_->state() + "/state.db");
  ASSERT_TRUE(db.ok());
  auto rows = (*db)->Prepare("SELECT count FROM enroll_limit ORDER BY count");
  ASSERT_TRUE(rows.ok());
  std::vector<int64_t> counts;
  while (*rows->Step()) counts.push_back(rows->Int(0));
  EXPECT_EQ(counts, (std::vector<int64_t>{1, 2})) << "adult twice, minor once; refused sign-ins count nothing";
}

// --- the fake provider ---------------------------------------------------------------

using OidcEnrollFakeProvider = OidcEnrollFixture;

TEST_F(OidcEnrollFakeProvider, AcceptsRs256Es256UserInfoAndARotatedKeyRefetchedAtMostSoOften) {
  b_->Start(providers_.fake, providers_.client_secret, "age_over_18", "10/365", {{"jwks_min_refetch_seconds", 0}});
  Browser browser;
  for (const char* mode : {"ok", "es256", "userinfo", "rotated"}) {
    SCOPED_TRACE(mode);
    providers_.SetFakeMode(mode);
    Outcome r = SignIn(browser, *b_, "");
    EXPECT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(r.ticket.rfind("yn1.", 0), 0u);
  }
  // With the default interval (60 s) a second unknown kid right after a
  // fetch is not refetched: refused.
  a_->Start(providers_.fake, providers_.client_secret, "age_over_18");
  providers_.SetFakeMode("ok");
  EXPECT_EQ(SignIn(browser, *a_, "").status, 200u);  // JWKS fetched now (without the new key)
  providers_.SetFakeMode("rotated_again");
  Outcome r = SignIn(browser, *a_, "");
  EXPECT_EQ(r.status, 502u) << "no refetch within the interval";
  a_->Stop();
  EXPECT_TRUE(Contains(Read(a_->log_path()), "id_token_unknown_kid"));
}

// Every ID token a provider must not send is refused, with no ticket: one
// issuer and provider for all cases (the suite's time budget).
TEST_F(OidcEnrollFakeProvider, RefusesEveryBadIdTokenWithNoTicket) {
  b_->Start(providers_.fake, providers_.client_secret, "age_over_18");
  struct Case {
    const char* mode;
    const char* reason;  // in the log
  };
  const Case cases[] = {{"tampered", "id_token_bad_signature"},  {"wrong_aud", "id_token_wrong_audience"},
                        {"wrong_iss", "id_token_wrong_issuer"},  {"expired", "id_token_expired"},
                        {"none", "id_token_bad_alg"},            {"hs256", "id_token_bad_alg"},
                        {"wrong_nonce", "id_token_wrong_nonce"}, {"userinfo_other_sub", "userinfo_wrong_subject"}};
  Browser browser;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.mode);
    providers_.SetFakeMode(c.mode);
    Outcome r = SignIn(browser, *b_, "");
    EXPECT_EQ(r.status, 502u) << r.body;
    ExpectPageHeaders(r.response);
    EXPECT_TRUE(Contains(r.body, "did not pass this issuer")) << r.body;
    EXPECT_FALSE(Contains(r.body, "yn1."));
  }
  // A birth date in the future: the token is fine, the date is not.
  providers_.SetFakeMode("future_birthdate");
  Outcome future = SignIn(browser, *b_, "");
  EXPECT_EQ(future.status, 422u);
  EXPECT_TRUE(Contains(future.body, "in the future")) << future.body;
  EXPECT_FALSE(Contains(future.body, "yn1."));
  b_->Stop();
  const std::string log = Read(b_->log_path());
  for (const Case& c : cases) EXPECT_TRUE(Contains(log, c.reason)) << c.mode << ": " << log;
  EXPECT_TRUE(Contains(log, "birthdate_in_future"));
}

TEST_F(OidcEnrollFakeProvider, ProviderErrorAndOutageGive502And503) {
  b_->Start(providers_.fake, providers_.client_secret, "age_over_18");
  Browser browser;
  providers_.SetFakeMode("token_500");
  Outcome error = SignIn(browser, *b_, "");
  EXPECT_EQ(error.status, 502u) << error.body;
  EXPECT_TRUE(Contains(error.body, "reported an error"));

  // The provider goes down between the redirect and the callback.
  providers_.SetFakeMode("ok");
  Outcome started = SignIn(browser, *b_, "", /*finish=*/false);
  ASSERT_FALSE(started.callback_url.empty());
  providers_.Stop();
  FinishAtIssuer(browser, started);
  EXPECT_EQ(started.status, 503u) << started.body;
  ExpectPageHeaders(started.response);
  EXPECT_TRUE(Contains(started.body, "could not reach the identity provider"));

  // A provider that is not there at all (nothing listens).
  Issuer lonely(dir_ + "/a", testing::FreePort());
  lonely.Start("http://127.0.0.1:" + std::to_string(testing::FreePort()), "x", "age_over_18");
  Outcome down = SignIn(browser, lonely, "");
  EXPECT_EQ(down.status, 503u) << down.body;
  EXPECT_TRUE(Contains(down.body, "could not reach the identity provider"));
  // ... and the issuer keeps serving.
  auto health = net::HttpClient().Get(*net::ParseUrl(lonely.url + "/healthz"));
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->status, 200u);
}

// --- parts, without a provider ---------------------------------------------------------

TEST(OidcEnrollParts, BirthdateRules) {
  const Date today{2026, 6, 15};
  auto parse = [&](const Json& v) { return issuer::ParseOidcBirthdate(&v, today); };
  using P = issuer::BirthdateProblem;
  EXPECT_EQ(std::get<Date>(parse("2008-06-15")), (Date{2008, 6, 15}));
  EXPECT_EQ(std::get<P>(parse("1984")), P::kYearOnly);
  EXPECT_EQ(std::get<P>(parse("0000")), P::kYearZero);
  EXPECT_EQ(std::get<P>(parse("0000-03-04")), P::kYearZero);
  EXPECT_EQ(std::get<P>(parse("2026-06-16")), P::kFuture);
  EXPECT_EQ(std::get<P>(parse("1870-01-01")), P::kTooOld);
  EXPECT_EQ(std::get<P>(parse("2001-02-29")), P::kNotADate);
  EXPECT_EQ(std::get<P>(parse("01/02/2001")), P::kNotADate);
  EXPECT_EQ(std::get<P>(parse(20010203)), P::kNotADate);
  EXPECT_EQ(std::get<P>(parse("")), P::kMissing);
  EXPECT_EQ(std::get<P>(issuer::ParseOidcBirthdate(nullptr, today)), P::kMissing);
  EXPECT_EQ(std::get<P>(parse(nullptr)), P::kMissing);
}

TEST(OidcEnrollParts, EnrollLimitFlag) {
  auto l = issuer::ParseEnrollLimit("3/365");
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->count, 3);
  EXPECT_EQ(l->window_seconds(), 365 * 86400);
  for (const char* bad : {"", "3", "/365", "3/", "0/365", "3/0", "1001/1", "3/3661", "a/b", "3/365/1", "-1/5", "3 /365"}) {
    EXPECT_FALSE(issuer::ParseEnrollLimit(bad).ok()) << bad;
  }
}

TEST(OidcEnrollParts, LimitCounterCountsAtomicallyAndRestartsAfterTheWindow) {
  const std::string dir = PrivateDir("oidc", "limit_counter");
  auto store = issuer::StateStore::Open(dir + "/state.db");
  ASSERT_TRUE(store.ok());
  const Bytes alice(32, 0xa1), bob(32, 0xb0);
  const int64_t t0 = 1'800'000'000, window = 10 * 86400;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(*(*store)->CountEnrollment(alice, 3, window, t0 + i));
  EXPECT_FALSE(*(*store)->CountEnrollment(alice, 3, window, t0 + 10));
  EXPECT_FALSE(*(*store)->CountEnrollment(alice, 3, window, t0 + window - 1));
  EXPECT_TRUE(*(*store)->CountEnrollment(bob, 3, window, t0 + 10));
  // The window (from the first ticket) has passed: counting starts again.
  EXPECT_TRUE(*(*store)->CountEnrollment(alice, 3, window, t0 + window));
  EXPECT_TRUE(*(*store)->CountEnrollment(alice, 3, window, t0 + window + 1));
  // Pruning removes only counters whose window is over.
  auto db = sql::Db::Open(dir + "/state.db");
  ASSERT_TRUE(db.ok());
  auto rows = [&] {
    auto n = (*db)->Prepare("SELECT count(*) FROM enroll_limit");
    EXPECT_TRUE(n.ok() && *n->Step());
    return n.ok() ? n->Int(0) : -1;
  };
  ASSERT_TRUE((*store)->PruneEnrollments(t0 + window + 5).ok());  // bob's window ends at t0 + 10 + window
  EXPECT_EQ(rows(), 2);
  ASSERT_TRUE((*store)->PruneEnrollments(t0 + window + 10).ok());
  EXPECT_EQ(rows(), 1);
  ASSERT_TRUE((*store)->PruneEnrollments(t0 + 2 * window).ok());  // alice's second window ends
  EXPECT_EQ(rows(), 0);
}

TEST(OidcEnrollParts, PersonHashIsKeyedAndUnambiguous) {
  const SecretBytes k1(32, 1), k2(32, 2);
  const Bytes h = issuer::PersonHash(k1, "https://id.example", "alice");
  EXPECT_EQ(h.size(), 32u);
  EXPECT_NE(h, issuer::PersonHash(k2, "https://id.example", "alice"));
  EXPECT_NE(h, issuer::PersonHash(k1, "https://id.example", "alicf"));
  EXPECT_NE(h, issuer::PersonHash(k1, "https://other.example", "alice"));
  EXPECT_NE(issuer::PersonHash(k1, "ab", "c"), issuer::PersonHash(k1, "a", "bc"));
  EXPECT_FALSE(Contains(HexEncode(h), HexEncode(AsBytes("alice"))));
}

TEST(OidcEnrollParts, ConfigFileIsStrict) {
  const std::string dir = PrivateDir("oidc", "config");
  ASSERT_TRUE(files::WriteFileAtomic(dir + "/secret", AsBytes("s3cret\n")).ok());
  const Json good = {{"issuer", "https://id.example"},
                     {"client_id", "yesno"},
                     {"client_secret_file", "secret"},
                     {"redirect_uri", "https://issuer.example/enroll/callback"}};
  auto c = issuer::ParseOidcConfig(good.dump(), dir);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->scopes, (std::vector<std::string>{"openid", "profile"}));
  EXPECT_EQ(c->birthdate_claim, "birthdate");
  EXPECT_EQ(AsString(View(c->client_secret)), "s3cret");
  EXPECT_EQ(c->ticket_days, 365);

  auto bad = [&](const char* what, Json doc, const char* words) {
    auto r = issuer::ParseOidcConfig(doc.dump(), dir);
    ASSERT_FALSE(r.ok()) << what;
    EXPECT_TRUE(Contains(r.error().message, words)) << what << ": " << r.error().message;
  };
  Json j = good;
  j["extra"] = 1;
  bad("unknown field", j, "unknown field");
  j = good;
  j["issuer"] = "http://id.example";
  bad("http off loopback", j, "https");
  j = good;
  j.erase("client_id");
  bad("no client id", j, "client_id");
  j = good;
  j["redirect_uri"] = "https://issuer.example/elsewhere";
  bad("redirect not the callback", j, "/enroll/callback");
  j = good;
  j["client_secret_file"] = "missing";
  bad("no secret file", j, "client_secret_file");
  j = good;
  j["scopes"] = {"profile"};
  bad("no openid scope", j, "openid");
  j = good;
  j["attributes"] = {{"email_verified", "age_over_18"}};
  bad("age claim as attribute", j, "attribute");
  j = good;
  j["ticket_days"] = 0;
  bad("ticket days", j, "ticket_days");
  bad("not an object", Json::array(), "object");
  EXPECT_FALSE(issuer::ParseOidcConfig("{", dir).ok());
  j = good;
  j["issuer"] = "http://127.0.0.1:9";  // loopback may be http (tests)
  EXPECT_TRUE(issuer::ParseOidcConfig(j.dump(), dir).ok());
}

TEST(OidcEnrollParts, ServeRefusesBadOidcFlags) {
  const std::string dir = PrivateDir("oidc", "serve_flags");
  auto init = RunProcess({YESNO_ISSUER_PATH, "init", "--state", dir + "/state", "--name", "issuer.flags", "--claims",
                          "age_over_18"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  ASSERT_TRUE(files::WriteFileAtomic(dir + "/secret", AsBytes("x")).ok());
  const Json config = {{"issuer", "http://127.0.0.1:9"},
                       {"client_id", "c"},
                       {"client_secret_file", "secret"},
                       {"redirect_uri", "http://127.0.0.1:9/enroll/callback"},
                       {"attributes", {{"email_verified", "verified_person"}}}};
  ASSERT_TRUE(files::WriteFileAtomic(dir + "/oidc.json", AsBytes(config.dump())).ok());
  auto r = RunProcess({YESNO_ISSUER_PATH, "serve", "--state", dir + "/state", "--oidc", dir + "/oidc.json"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "not in this issuer's policy")) << r.err;
  r = RunProcess({YESNO_ISSUER_PATH, "serve", "--state", dir + "/state", "--oidc", dir + "/missing.json"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "cannot read")) << r.err;
  r = RunProcess({YESNO_ISSUER_PATH, "serve", "--state", dir + "/state", "--enroll-limit", "0/10"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "--enroll-limit")) << r.err;
}

// --- ID token checks in process (id_token.h), tokens signed with libcjose ----------

// Signer holds a libcjose key pair and signs compact JWS for the tests.
class Signer {
 public:
  static Signer Rsa(int bits = 2048) {
    static const uint8_t kE[] = {1, 0, 1};
    return Signer(cjose_jwk_create_RSA_random(static_cast<size_t>(bits), kE, sizeof(kE), nullptr));
  }
  static Signer Ec() { return Signer(cjose_jwk_create_EC_random(CJOSE_JWK_EC_P_256, nullptr)); }
  Signer(Signer&& o) noexcept : jwk_(o.jwk_) { o.jwk_ = nullptr; }
  ~Signer() { cjose_jwk_release(jwk_); }

  // PublicJwk is the key's public JWK with `kid`.
  Json PublicJwk(const std::string& kid) const {
    char* text = cjose_jwk_to_json(jwk_, false, nullptr);
    Json j = Json::parse(text);
    free(text);
    if (!kid.empty()) j["kid"] = kid;
    return j;
  }
  std::string Sign(const std::string& alg, const std::string& kid, const Json& claims) const {
    cjose_header_t* h = cjose_header_new(nullptr);
    cjose_header_set(h, CJOSE_HDR_ALG, alg.c_str(), nullptr);
    if (!kid.empty()) cjose_header_set(h, CJOSE_HDR_KID, kid.c_str(), nullptr);
    const std::string payload = claims.dump();
    cjose_jws_t* jws = cjose_jws_sign(jwk_, h, reinterpret_cast<const uint8_t*>(payload.data()), payload.size(), nullptr);
    const char* compact = nullptr;
    std::string out;
    if (jws != nullptr && cjose_jws_export(jws, &compact, nullptr)) out = compact;
    cjose_jws_release(jws);
    cjose_header_release(h);
    return out;
  }

 private:
  explicit Signer(cjose_jwk_t* jwk) : jwk_(jwk) {}
  cjose_jwk_t* jwk_;
};

std::string B64Json(const Json& j) { return Base64UrlEncode(AsBytes(j.dump()), /*padding=*/false); }

class OidcEnrollIdToken : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    rsa_ = new Signer(Signer::Rsa());
    ec_ = new Signer(Signer::Ec());
  }
  static void TearDownTestSuite() {
    delete rsa_;
    delete ec_;
  }
  issuer::Jwks Keys() const {
    auto jwks = issuer::Jwks::Parse(Json{{"keys", {rsa_->PublicJwk("r1"), ec_->PublicJwk("e1")}}}.dump());
    EXPECT_TRUE(jwks.ok());
    EXPECT_EQ(jwks->size(), 2u);
    return std::move(*jwks);
  }
  Json Claims() const {
    return {{"iss", "https://id.example"}, {"sub", "s-123"},  {"aud", kClientId},
            {"iat", now_ - 5},             {"exp", now_ + 300}, {"nonce", std::string(AsText(nonce_))}};
  }
  // Check verifies and returns "ok" or the reason code.
  std::string Check(const std::string& token, int64_t now = 0) const {
    const issuer::IdTokenExpectations expect{"https://id.example", kClientId, &nonce_, now == 0 ? now_ : now};
    auto r = issuer::VerifyIdToken(token, keys_, expect);
    return r.ok() ? "ok" : r.error().message;
  }
  static std::string_view AsText(const SecretBytes& s) {
    return std::string_view(reinterpret_cast<const char*>(s.data()), s.size());
  }

  static Signer* rsa_;
  static Signer* ec_;
  const int64_t now_ = 1'800'000'000;
  const SecretBytes nonce_ = ToSecret(AsBytes("n0nce-n0nce-n0nce-n0nce-n0nce-n0nce-n0nce"));
  issuer::Jwks keys_ = Keys();
};
Signer* OidcEnrollIdToken::rsa_ = nullptr;
Signer* OidcEnrollIdToken::ec_ = nullptr;

TEST_F(OidcEnrollIdToken, AcceptsRs256AndEs256ByKidOrWithoutKid) {
  EXPECT_EQ(Check(rsa_->Sign("RS256", "r1", Claims())), "ok");
  EXPECT_EQ(Check(ec_->Sign("ES256", "e1", Claims())), "ok");
  EXPECT_EQ(Check(rsa_->Sign("RS256", "", Claims())), "ok");
  auto claims = issuer::VerifyIdToken(rsa_->Sign("RS256", "r1", Claims()), keys_,
                                      {"https://id.example", kClientId, &nonce_, now_});
  ASSERT_TRUE(claims.ok());
  EXPECT_EQ((*claims)["sub"], "s-123");
  // exp is allowed 120 s of skew, not more.
  EXPECT_EQ(Check(rsa_->Sign("RS256", "r1", Claims()), now_ + 300 + 119), "ok");
  EXPECT_EQ(Check(rsa_->Sign("RS256", "r1", Claims()), now_ + 300 + 120), "expired");
}

TEST_F(OidcEnrollIdToken, RefusesNoneHmacAndForeignHeadersBeforeVerifying) {
  const std::string body = B64Json(Claims());
  EXPECT_EQ(Check(B64Json({{"alg", "none"}}) + "." + body + "."), "bad_alg");
  EXPECT_EQ(Check(B64Json({{"alg", "none"}}) + "." + body + ".c2ln"), "bad_alg");
  for (const char* alg : {"HS256", "HS384", "HS512", "RS384", "PS256", "ES384", "EdDSA", "rs256", ""}) {
    EXPECT_EQ(Check(B64Json({{"alg", alg}, {"kid", "r1"}}) + "." + body + ".c2ln"), "bad_alg") << alg;
  }
  const std::string sig = rsa_->Sign("RS256", "r1", Claims());
  const std::string tail = sig.substr(sig.find('.'));
  for (const char* extra : {"crit", "jku", "jwk", "x5u", "enc"}) {
    EXPECT_EQ(Check(B64Json({{"alg", "RS256"}, {"kid", "r1"}, {extra, "x"}}) + tail), "bad_alg") << extra;
  }
}

TEST_F(OidcEnrollIdToken, RefusesBadSignaturesKeysAndShapes) {
  const std::string good = rsa_->Sign("RS256", "r1", Claims());
  // Another payload under the same signature, a flipped signature bit.
  const auto d1 = good.find('.'), d2 = good.rfind('.');
  Json forged = Claims();
  forged["sub"] = "someone-else";
  EXPECT_EQ(Check(good.substr(0, d1 + 1) + B64Json(forged) + good.substr(d2)), "bad_signature");
  std::string flipped = good;
  flipped[d2 + 5] = flipped[d2 + 5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(Check(flipped), "bad_signature");
  // A key that is not in the JWKS, a kid naming a key of the other type.
  Signer stranger = Signer::Rsa();
  EXPECT_EQ(Check(stranger.Sign("RS256", "r9", Claims())), "unknown_kid");
  EXPECT_EQ(Check(stranger.Sign("RS256", "", Claims())), "bad_signature");
  EXPECT_EQ(Check(rsa_->Sign("RS256", "e1", Claims())), "unknown_kid");  // e1 is not an RSA key
  // Shapes.
  EXPECT_EQ(Check(""), "malformed");
  EXPECT_EQ(Check("abc"), "malformed");
  EXPECT_EQ(Check(good + ".x.y"), "malformed");  // five parts (JWE)
  EXPECT_EQ(Check(good.substr(0, d2)), "malformed");
  EXPECT_EQ(Check("=" + good), "malformed");
  EXPECT_EQ(Check(good.substr(0, d2 + 1)), "bad_signature");  // empty signature
  EXPECT_EQ(Check(B64Json(Json::array({1})) + good.substr(d1)), "malformed");
  EXPECT_EQ(Check(std::string(issuer::kMaxIdTokenBytes + 1, 'a')), "malformed");
  // A payload that is not a JSON object, signed properly.
  EXPECT_EQ(Check(rsa_->Sign("RS256", "r1", Json::array({1, 2}))), "malformed");
}

TEST_F(OidcEnrollIdToken, ChecksIssuerAudienceTimesNonceAndSubject) {
  auto with = [&](const char* field, Json value) {
    Json c = Claims();
    if (value.is_null()) {
      c.erase(field);
    } else {
      c[field] = value;
    }
    return Check(rsa_->Sign("RS256", "r1", c));
  };
  EXPECT_EQ(with("iss", "https://id.example/"), "wrong_issuer");
  EXPECT_EQ(with("iss", nullptr), "wrong_issuer");
  EXPECT_EQ(with("aud", "someone-else"), "wrong_audience");
  EXPECT_EQ(with("aud", Json::array({"someone-else"})), "wrong_audience");
  EXPECT_EQ(with("aud", Json::array({kClientId})), "ok");
  EXPECT_EQ(with("aud", Json::array({kClientId, "other"})), "wrong_audience");  // several audiences need azp
  {
    Json c = Claims();
    c["aud"] = Json::array({kClientId, "other"});
    c["azp"] = kClientId;
    EXPECT_EQ(Check(rsa_->Sign("RS256", "r1", c)), "ok");
    c["azp"] = "other";
    EXPECT_EQ(Check(rsa_->Sign("RS256", "r1", c)), "wrong_audience");
  }
  EXPECT_EQ(with("exp", now_ - 200), "expired");
  EXPECT_EQ(with("exp", "soon"), "malformed");
  EXPECT_EQ(with("iat", nullptr), "malformed");
  EXPECT_EQ(with("iat", now_ + 500), "issued_in_future");
  EXPECT_EQ(with("iat", now_ - 3600), "expired");  // an old sign-in, even if exp is later
  EXPECT_EQ(with("nonce", "n0nce-n0nce-n0nce-n0nce-n0nce-n0nce-n0ncE"), "wrong_nonce");
  EXPECT_EQ(with("nonce", nullptr), "wrong_nonce");
  EXPECT_EQ(with("nonce", 5), "wrong_nonce");
  EXPECT_EQ(with("sub", ""), "no_subject");
  EXPECT_EQ(with("sub", nullptr), "no_subject");
  EXPECT_EQ(with("sub", std::string(256, 's')), "no_subject");
}

TEST_F(OidcEnrollIdToken, JwksKeepsOnlyUsableSigningKeys) {
  Signer small = Signer::Rsa(1024);
  Json oct = {{"kty", "oct"}, {"k", "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0"}, {"kid", "h1"}};
  Json enc = rsa_->PublicJwk("enc1");
  enc["use"] = "enc";
  Json p384 = ec_->PublicJwk("p384");
  p384["crv"] = "P-384";
  Json hs_alg = rsa_->PublicJwk("hs");
  hs_alg["alg"] = "HS256";
  auto jwks = issuer::Jwks::Parse(
      Json{{"keys", {oct, enc, p384, hs_alg, small.PublicJwk("small"), rsa_->PublicJwk("r1"), "junk", 7}}}.dump());
  ASSERT_TRUE(jwks.ok());
  EXPECT_EQ(jwks->size(), 1u);
  EXPECT_TRUE(jwks->HasKid("r1"));
  EXPECT_FALSE(jwks->HasKid("small"));
  EXPECT_FALSE(jwks->HasKid("h1"));
  // An HS256 token "signed" with the oct key's secret has no key to check against.
  EXPECT_FALSE(issuer::Jwks::Parse("[]").ok());
  EXPECT_FALSE(issuer::Jwks::Parse("{\"keys\":{}}").ok());
  EXPECT_FALSE(issuer::Jwks::Parse("{").ok());
  Json many = Json::array();
  for (int i = 0; i < 33; ++i) many.push_back(rsa_->PublicJwk("k" + std::to_string(i)));
  EXPECT_FALSE(issuer::Jwks::Parse(Json{{"keys", many}}.dump()).ok());
}

}  // namespace
}  // namespace yesno

#endif  // YESNO_ISSUER_PATH
