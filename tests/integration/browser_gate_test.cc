// browser_gate_test.cc — the browser gate in a real browser. A real
// yesno-issuer, yesno-verifier (--public-prefix /yesno) and nginx with the
// shipped deploy/nginx/yesno.conf protect /adult/; tests/browser/gate.mjs
// drives Debian's Chromium (headless, playwright-core) to the page, is sent
// to the gate, reads the session link off the page and runs
// `yesno prove --session LINK` with a 19-year-old's wallet (the page unlocks
// and shows /adult/) and then a 16-year-old's (the page says no).
// Screenshots: <build>/tests/integration/browser-screenshots/ (printed).
//
// The Node side is installed like interop_test.cc's: `npm ci` once into a
// copy of tests/browser under the build tree (YESNO_BROWSER_WORK_DIR; never
// node_modules in the source tree), guarded by a file lock. Without node/npm,
// Chromium, or the npm registry (and no cache), the test is SKIPPED loudly.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <thread>

#include "browser_site.h"
#include "files.h"
#include "http_client.h"
#include "node_package.h"
#include "testing/child_process.h"
#include "testing/process.h"
#include "testing/test_util.h"
#include "verifier_testing.h"
#include "yesno/claims.h"
#include "yesno/directory.h"

#if defined(YESNO_VERIFIER_PATH) && defined(YESNO_ISSUER_PATH) && defined(YESNO_CLI_PATH) && \
    defined(YESNO_BROWSER_WORK_DIR)

namespace yesno {
namespace {

using testing::NodePackage;
using testing::PrepareNodePackage;
using testing::RunProcess;
using testing::TrimEnd;
using testing::YearsAgo;
using Json = nlohmann::json;

constexpr char kNginx[] = "/usr/sbin/nginx";
constexpr char kChromium[] = "/usr/bin/chromium";

// PrepareNode: node + playwright-core installed under the build tree
// (node_package.h). The issue: skipped, loudly, whenever the browser side
// cannot be installed.
NodePackage PrepareNode() {
  return PrepareNodePackage({.tag = "browser",
                             .source_dir = YESNO_BROWSER_SOURCE_DIR,
                             .work_dir = YESNO_BROWSER_WORK_DIR,
                             .files = {"package.json", "package-lock.json", "chromium.mjs", "gate.mjs"},
                             .installed_module = "playwright-core",
                             .skip_on_any_install_failure = true});
}

void SkipLoudly(const std::string& why) {
  std::cerr << "\n"
               "************************************************************************\n"
               "** BrowserGateTest SKIPPED: the real-browser test did not run.\n"
               "** "
            << why
            << "\n"
               "** Install chromium, nodejs and npm (scripts/bootstrap) to run it.\n"
               "************************************************************************\n\n";
}

std::vector<std::string> WalletArgv(const std::string& w) { return testing::BrowserSite::WalletArgv(w); }

// Refill fills a wallet apart from any visit (prove never refills).
void Refill(const std::string& w) {
  std::vector<std::string> argv = WalletArgv(w);
  argv.insert(argv.end(), {"refill", "--target", "2"});
  auto r = RunProcess(argv);
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(BrowserGateTest, ChromiumUnlocksWithA19YearOldsWalletAndIsRefusedWithA16YearOlds) {
  const auto started = std::chrono::steady_clock::now();
  if (access(kChromium, X_OK) != 0) {
    SkipLoudly(std::string(kChromium) + " is missing (Debian package chromium)");
    GTEST_SKIP() << kChromium << " is missing (Debian package chromium): the real-browser test did not run";
  }
  const NodePackage node = PrepareNode();
  if (node.skip) {
    SkipLoudly(node.why);
    GTEST_SKIP() << node.why;
  }
  ASSERT_TRUE(node.ready) << node.why;
  ASSERT_TRUE(std::filesystem::exists(kNginx)) << kNginx << " is missing: run scripts/bootstrap (Debian package nginx)";

  // The issuer, the verifier behind the site's origin under /yesno, nginx with the shipped config.
  testing::BrowserSite site_env;
  const std::string site_error = site_env.Start("browser");
  ASSERT_EQ(site_error, "") << site_error;
  const std::string dir = site_env.dir;
  const std::string site = site_env.site;
  net::HttpClient client;

  // Without a browser's Accept, the site still answers with the challenge (wallets, curl).
  auto r = client.Get(testing::MustUrl(site + "/adult/"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 401u);
  EXPECT_TRUE(r->Header("www-authenticate"));
  // A browser's Accept is sent to the gate, with the page to come back to.
  r = client.Get(testing::MustUrl(site + "/adult/?a=1&b=2"), {{"Accept", "text/html,application/xhtml+xml,*/*;q=0.8"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 302u);
  EXPECT_EQ(r->Header("location"), "/yesno/gate?claim=age_over_18&return=/adult/?a=1&b=2");

  // The two people.
  std::string why;
  const std::string adult = site_env.NewWallet("adult", YearsAgo(19), why);
  ASSERT_FALSE(adult.empty()) << why;
  const std::string minor = site_env.NewWallet("minor", YearsAgo(16), why);
  ASSERT_FALSE(minor.empty()) << why;
  Refill(adult);
  Refill(minor);

  const std::string shots = YESNO_BROWSER_SCREENSHOT_DIR;
  std::filesystem::remove_all(shots);
  Json config = {{"site", site},
                 {"page", "/adult/"},
                 {"claim", "age_over_18"},
                 {"chromium", kChromium},
                 {"screenshots", shots},
                 {"runs", Json::array({{{"name", "adult19"}, {"prove", WalletArgv(adult)}, {"answer", {"--yes"}},
                                        {"expect", "unlock"}},
                                       {{"name", "minor16"}, {"prove", WalletArgv(minor)}, {"answer", {"--decline"}},
                                        {"expect", "refuse"}}})}};
  std::cerr << "[browser] Chromium (headless) drives " << site << "/adult/; screenshots go to " << shots << "\n";
  auto run = RunProcess({node.node, node.dir + "/gate.mjs"}, config.dump(), std::chrono::seconds(90));
  std::cerr << run.err;
  ASSERT_EQ(run.exit_code, 0) << "gate.mjs failed (timed out: " << run.timed_out << "):\n" << run.out << run.err;
  const Json result = Json::parse(run.out, nullptr, false);
  ASSERT_TRUE(result.is_object()) << run.out;
  ASSERT_EQ(result["runs"].size(), 2u);
  std::cout << "[browser] Chromium " << result.value("browser", "?") << "; screenshots in " << shots << ":\n";
  for (const auto& run_obs : result["runs"]) {
    for (const auto& s : run_obs["screenshots"]) std::cout << "  " << s.get<std::string>() << "\n";
  }

  for (const auto& o : result["runs"]) {
    SCOPED_TRACE(o.value("name", "?"));
    ASSERT_FALSE(o.contains("error")) << o["error"].get<std::string>() << "\n" << o.dump(2);
    // Redirected from the protected page to the gate, which names the way back.
    EXPECT_EQ(o["redirects"], Json::array({site + "/adult/"})) << o.dump(2);
    EXPECT_EQ(o["gate_url"], site + "/yesno/gate?claim=age_over_18&return=/adult/");
    EXPECT_EQ(o["gate_status"], 200);
    EXPECT_EQ(o["h1"], "Prove that you are over 18");
    EXPECT_NE(o.value("shared", "").find("Only that you are over 18"), std::string::npos) << o["shared"];
    EXPECT_NE(o.value("kept", "").find("Your name, your birth date or your exact age"), std::string::npos);
    EXPECT_TRUE(o["has_svg"].get<bool>());
    EXPECT_EQ(o["status_before"], "Waiting for your wallet\u2026");
    const std::string link = o.value("link", "");
    EXPECT_EQ(link.rfind(site + "/yesno/gate/session/", 0), 0u) << link;
    EXPECT_EQ(link.size(), (site + "/yesno/gate/session/").size() + 22) << link;
    EXPECT_EQ(o["qr_caption"], link);
    // The phone, holding only the link, got neither in nor a cookie.
    EXPECT_EQ(o["phone_done_status"], 403);
    EXPECT_EQ(o["phone_h1"], "This request belongs to another browser");
    EXPECT_EQ(o["phone_cookies"], Json::array());
    // Nothing but the site itself was contacted.
    EXPECT_EQ(o["external_requests"], Json::array()) << o.dump(2);
    EXPECT_FALSE(o.contains("console_errors")) << o["console_errors"].dump() << o.value("failed_responses", Json()).dump();
  }

  // The QR code on the screenshot decodes to the session link (when zbarimg,
  // Debian zbar-tools, is there; it is not a required package).
  if (access("/usr/bin/zbarimg", X_OK) == 0) {
    for (const auto& o : result["runs"]) {
      const std::string png = o["screenshots"][0];
      auto qr = RunProcess({"/usr/bin/zbarimg", "-q", "--raw", png}, "", std::chrono::seconds(30));
      EXPECT_EQ(qr.exit_code, 0) << png << ": " << qr.err;
      EXPECT_EQ(TrimEnd(qr.out), o.value("link", "")) << png;
    }
  } else {
    std::cout << "[browser] /usr/bin/zbarimg not installed: the QR code was not decoded from the screenshot\n";
  }

  const Json& yes = result["runs"][0];
  EXPECT_EQ(yes["prove"]["code"], 0) << yes["prove"].dump();
  EXPECT_EQ(yes["prove"]["out"], "yes");
  EXPECT_EQ(yes["final_url"], site + "/adult/");
  EXPECT_NE(yes.value("body", "").find("The protected content."), std::string::npos) << yes["body"];
  EXPECT_EQ(yes["revisit_status"], 200);
  EXPECT_EQ(yes["revisit_url"], site + "/adult/");
  bool session_cookie = false;
  for (const auto& c : yes["cookies"]) {
    const std::string name = c["name"];
    EXPECT_EQ(name.rfind("yesno_gate_", 0), std::string::npos) << "the binding cookie should be gone";
    if (name == "yesno_age_over_18") {
      session_cookie = true;
      EXPECT_EQ(c["path"], "/");
      EXPECT_TRUE(c["httpOnly"].get<bool>());
      EXPECT_EQ(c["sameSite"], "Lax");
    }
  }
  EXPECT_TRUE(session_cookie) << yes["cookies"].dump();
  std::cout << "[browser] unlocked " << yes.value("seconds_to_unlock", -1.0) << " s after `yesno prove --session`\n";

  const Json& no = result["runs"][1];
  EXPECT_EQ(no["prove"]["code"], 1) << no["prove"].dump();
  EXPECT_EQ(no["prove"]["out"], "no (declined): nothing was shared");
  EXPECT_EQ(no["status_after"], "Your wallet answered no: it holds no proof that you are over 18. Nothing else was shared.");
  EXPECT_TRUE(no["retry_visible"].get<bool>());
  EXPECT_FALSE(no["continue_visible"].get<bool>());
  EXPECT_EQ(no.value("final_url", "").rfind(site + "/yesno/gate?", 0), 0u);
  for (const auto& c : no["cookies"]) EXPECT_NE(c["name"], "yesno_age_over_18");
  EXPECT_EQ(no.value("revisit_url", "").rfind(site + "/yesno/gate?claim=age_over_18&return=/adult/", 0), 0u)
      << no["revisit_url"];

  // The logs (nginx's private format and the verifier's) hold no session id.
  const std::string logs = site_env.Stop();
  EXPECT_TRUE(site_env.stopped_cleanly) << "nginx or the verifier did not exit cleanly";
  EXPECT_NE(logs.find("/adult/"), std::string::npos);
  EXPECT_NE(logs.find("\"GET /yesno/gate/done/{id}\" 303"), std::string::npos) << logs;
  for (const auto& o : result["runs"]) {
    const std::string link = o.value("link", "");
    const std::string id = link.substr(link.rfind('/') + 1);
    ASSERT_EQ(id.size(), 22u);
    EXPECT_EQ(logs.find(id), std::string::npos) << "a gate session id in a log";
  }
  std::filesystem::remove_all(dir);
  std::filesystem::remove_all(adult);
  std::filesystem::remove_all(minor);
  std::cout << "[browser] took "
            << std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started).count()
            << " s\n";
}

}  // namespace
}  // namespace yesno

#endif
