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

using testing::ChildProcess;
using testing::NodePackage;
using testing::PrepareNodePackage;
using testing::PrivateDir;
using testing::ProcessResult;
using testing::ReadText;
using testing::ReplaceOnce;
using testing::RunProcess;
using testing::TrimEnd;
using testing::WriteText;
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
                             .files = {"package.json", "package-lock.json", "gate.mjs"},
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

std::vector<std::string> WalletArgv(const std::string& w) {
  return {YESNO_CLI_PATH, "--wallet", w + "/wallet", "--key-file", w + "/wallet.key"};
}

// NewWallet enrolls someone born `birth` with the issuer at `issuer_url`.
std::string NewWallet(const std::string& state, const std::string& issuer_url, const std::string& issuer_key,
                      const std::string& name, const std::string& birth) {
  auto ticket = RunProcess({YESNO_ISSUER_PATH, "enroll", "--state", state, "--birth-date", birth});
  EXPECT_EQ(ticket.exit_code, 0) << ticket.err;
  const std::string w = PrivateDir("browser", "wallet_" + name);
  std::vector<std::string> argv = WalletArgv(w);
  argv.push_back("init");
  EXPECT_EQ(RunProcess(argv).exit_code, 0);
  argv = WalletArgv(w);
  for (const std::string& a : {std::string("enroll"), std::string("--issuer"), issuer_url, std::string("--issuer-key"),
                               issuer_key, std::string("--ticket"), ticket.out.substr(0, ticket.out.find('\n'))}) {
    argv.push_back(a);
  }
  auto r = RunProcess(argv);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  argv = WalletArgv(w);
  argv.insert(argv.end(), {"refill", "--target", "2"});  // apart from any visit: prove never refills
  r = RunProcess(argv);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return w;
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

  const std::string dir = PrivateDir("browser", "site");
  // The issuer.
  auto init = RunProcess({YESNO_ISSUER_PATH, "init", "--state", dir + "/issuer", "--name", "issuer.browser", "--claims",
                          "age_over_18"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  const std::string issuer_key = init.out.substr(0, init.out.find('\n'));
  auto issuer = ChildProcess::Start({YESNO_ISSUER_PATH, "serve", "--state", dir + "/issuer", "--listen", "127.0.0.1:0"},
                                    dir + "/issuer.log");
  ASSERT_TRUE(issuer);
  auto issuer_url = issuer->WaitForListening();
  ASSERT_TRUE(issuer_url);

  // The verifier, behind the site's origin under /yesno.
  const int site_port = testing::FreePort();
  const std::string site = "http://127.0.0.1:" + std::to_string(site_port);
  Json trust = Json::array({{{"name", "issuer.browser"}, {"directory", *issuer_url + kDirectoryPath}, {"key", issuer_key}}});
  WriteText(dir + "/trust.json", trust.dump());
  auto verifier = ChildProcess::Start({YESNO_VERIFIER_PATH, "serve", "--origin", site, "--trust", dir + "/trust.json",
                                       "--listen", "127.0.0.1:0", "--spent-store", "memory:", "--public-prefix",
                                       "/yesno"},
                                      dir + "/verifier.log");
  ASSERT_TRUE(verifier);
  auto verifier_url = verifier->WaitForListening();
  ASSERT_TRUE(verifier_url) << ReadText(dir + "/verifier.log");

  // nginx with the shipped config, pointed at this test's verifier, port and files.
  std::string conf = ReadText(YESNO_NGINX_CONF_PATH);
  ASSERT_FALSE(conf.empty()) << YESNO_NGINX_CONF_PATH;
  ReplaceOnce(conf, "server 127.0.0.1:8081;", "server " + verifier_url->substr(std::string("http://").size()) + ";");
  ReplaceOnce(conf, "listen 127.0.0.1:8080;", "listen 127.0.0.1:" + std::to_string(site_port) + ";");
  ReplaceOnce(conf, "root /var/www/site;", "root " + dir + "/www;");
  ReplaceOnce(conf, "/var/log/nginx/yesno-site.access.log", dir + "/access.log");
  WriteText(dir + "/yesno.conf", conf);
  std::filesystem::create_directories(dir + "/www/adult");
  std::filesystem::create_directories(dir + "/tmp");
  WriteText(dir + "/www/adult/index.html",
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Members</title></head>"
            "<body><h1>Adults only</h1><p id=\"secret\">The protected content.</p></body></html>\n");
  WriteText(dir + "/www/index.html", "welcome\n");
  WriteText(dir + "/www/favicon.ico", "");  // Chromium asks for it; a 404 would show up as a console error
  const std::string main_conf = std::string(geteuid() == 0 ? "user root;\n" : "") +
                                "worker_processes 1;\n"
                                "pid " + dir + "/nginx.pid;\n"
                                "error_log " + dir + "/error.log info;\n"
                                "events { worker_connections 64; }\n"
                                "http {\n"
                                "  default_type text/html;\n"
                                "  client_body_temp_path " + dir + "/tmp/body;\n"
                                "  proxy_temp_path " + dir + "/tmp/proxy;\n"
                                "  fastcgi_temp_path " + dir + "/tmp/fastcgi;\n"
                                "  uwsgi_temp_path " + dir + "/tmp/uwsgi;\n"
                                "  scgi_temp_path " + dir + "/tmp/scgi;\n"
                                "  include " + dir + "/yesno.conf;\n"
                                "}\n";
  WriteText(dir + "/nginx.conf", main_conf);
  auto nginx = ChildProcess::Start(
      {kNginx, "-p", dir + "/", "-e", dir + "/error.log", "-c", dir + "/nginx.conf", "-g", "daemon off;"},
      dir + "/nginx.stderr");
  ASSERT_TRUE(nginx);
  net::HttpClient client;
  bool up = false;
  for (int i = 0; i < 100 && !up; ++i) {
    auto r = client.Get(testing::MustUrl(site + "/index.html"));
    up = r.ok() && r->status == 200;
    if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(up) << "nginx did not come up:\n" << ReadText(dir + "/nginx.stderr") << ReadText(dir + "/error.log");

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
  const std::string adult = NewWallet(dir + "/issuer", *issuer_url, issuer_key, "adult", YearsAgo(19));
  const std::string minor = NewWallet(dir + "/issuer", *issuer_url, issuer_key, "minor", YearsAgo(16));

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

  nginx->Signal(SIGQUIT);
  EXPECT_EQ(nginx->Wait(std::chrono::seconds(10)), 0);
  verifier->Signal(SIGTERM);
  EXPECT_EQ(verifier->Wait(std::chrono::seconds(20)), 0);
  issuer->Signal(SIGTERM);
  issuer->Wait(std::chrono::seconds(20));

  // The logs (nginx's private format and the verifier's) hold no session id.
  const std::string logs = ReadText(dir + "/access.log") + ReadText(dir + "/verifier.log");
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
