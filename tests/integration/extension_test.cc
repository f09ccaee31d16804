// extension_test.cc — the yesno browser extension (browser/extension/) and
// its native messaging host (`yesno native-host`), ctest -R Extension.
//
// * The host, fed raw frames: malformed JSON, unknown and missing types,
//   oversized, truncated and cut-off frames get {"type":"error",reason} and
//   never a crash or a damaged wallet; a gate session of another origin is
//   refused before any network request, for a prove and for a decline.
// * `yesno browser install|uninstall` for a custom profile.
// * Real Chromium (headless, playwright-core, tests/browser/extension.mjs)
//   with the extension loaded, nginx + yesno-verifier + yesno-issuer
//   (browser_site.h): consent → Share through the gate and through RFC 9577,
//   "remember", the popup, Don't share, a relaying page on another origin, a
//   16-year-old, a passphrase wallet; the gate page at 390 px and 1200×900.
//   Screenshots: <build>/tests/integration/extension-screenshots/.
// Without chromium or node/npm the browser test is SKIPPED loudly.
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iostream>

#include "browser_site.h"
#include "node_package.h"
#include "testing/process.h"
#include "testing/test_util.h"
#include "verifier_testing.h"

#if defined(YESNO_VERIFIER_PATH) && defined(YESNO_ISSUER_PATH) && defined(YESNO_CLI_PATH) && \
    defined(YESNO_BROWSER_WORK_DIR) && defined(YESNO_EXTENSION_SOURCE_DIR)

namespace yesno {
namespace {

using testing::BrowserSite;
using testing::FindOnPath;
using testing::NodePackage;
using testing::PrivateDir;
using testing::ReadText;
using testing::RunProcess;
using testing::SourceTreePath;
using testing::TrimEnd;
using testing::WriteText;
using testing::YearsAgo;
using Json = nlohmann::json;

constexpr char kChromium[] = "/usr/bin/chromium";
constexpr char kExtensionId[] = "ipflpcnmdihkchpeckmhfjfappafdmbd";

std::string Frame(const std::string& body) {
  const auto n = static_cast<uint32_t>(body.size());
  std::string f;
  for (int i = 0; i < 4; ++i) f.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  return f + body;
}

// Replies splits the host's output into its JSON replies.
std::vector<Json> Replies(const std::string& out) {
  std::vector<Json> r;
  std::size_t pos = 0;
  while (pos + 4 <= out.size()) {
    uint32_t n = 0;
    for (int i = 3; i >= 0; --i) n = (n << 8) | static_cast<uint8_t>(out[pos + static_cast<std::size_t>(i)]);
    EXPECT_LE(n, 1000u * 1000u);
    if (pos + 4 + n > out.size()) {
      ADD_FAILURE() << "a reply frame is cut off";
      break;
    }
    r.push_back(Json::parse(out.substr(pos + 4, n), nullptr, false));
    pos += 4 + n;
  }
  EXPECT_EQ(pos, out.size()) << "bytes after the last frame";
  return r;
}

std::string KeyFileWallet(std::vector<std::string>& argv) {
  const std::string w = PrivateDir("extension", "host_wallet");
  argv = BrowserSite::WalletArgv(w);
  std::vector<std::string> init = argv;
  init.push_back("init");
  EXPECT_EQ(RunProcess(init).exit_code, 0);
  return w;
}

TEST(ExtensionTest, NativeHostAnswersMalformedOversizedUnknownAndTruncatedMessagesWithErrors) {
  std::vector<std::string> argv;
  const std::string w = KeyFileWallet(argv);
  const std::string before = ReadText(w + "/wallet");
  ASSERT_FALSE(before.empty());
  argv.push_back("native-host");
  argv.push_back(std::string("chrome-extension://") + kExtensionId + "/");

  std::string in = Frame(R"({"type":"info"})") + Frame(R"({"type":"status"})") + Frame(R"({"type":"launch_missiles"})") +
                   Frame("{not json") + Frame("[1,2]") + Frame(R"({"kind":"status"})") + Frame(R"({"type":7})") +
                   Frame("\xff\xfe\xfd") + Frame(R"({"type":"prove"})") + Frame(R"({"type":"status","passphrase":3})") +
                   Frame("");
  // Oversized: 2 MB announced and sent; skipped, answered, and the host goes on.
  in += Frame(std::string(2 * 1024 * 1024, 'x'));
  in += Frame(R"({"type":"info"})");
  // Truncated: 100 bytes announced, 10 sent, then the pipe ends.
  in += std::string("\x64\x00\x00\x00", 4) + R"({"type":"s)";
  auto r = RunProcess(argv, in, std::chrono::seconds(30));
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.signal, 0) << "the host crashed";
  EXPECT_EQ(r.exit_code, 2) << r.err;
  const auto replies = Replies(r.out);
  ASSERT_EQ(replies.size(), 14u) << r.out;
  EXPECT_EQ(replies[0]["type"], "info");
  EXPECT_EQ(replies[0]["unlock"], "key_file");
  EXPECT_EQ(replies[0]["wallet_exists"], true);
  EXPECT_EQ(replies[1]["type"], "status");
  EXPECT_EQ(replies[1]["issuers"], Json::array());
  const std::vector<std::string> reasons = {"unknown_type", "malformed_json", "malformed_message", "missing_type",
                                            "missing_type", "malformed_json", "bad_request", "bad_request",
                                            "malformed_json", "oversized"};
  for (std::size_t i = 0; i < reasons.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(replies[2 + i]["type"], "error") << replies[2 + i].dump();
    EXPECT_EQ(replies[2 + i]["reason"], reasons[i]) << replies[2 + i].dump();
    EXPECT_TRUE(replies[2 + i]["message"].is_string());
  }
  EXPECT_EQ(replies[12]["type"], "info") << "the host goes on after an oversized frame";
  EXPECT_EQ(replies[13]["reason"], "truncated");
  // A length cut off (2 of 4 bytes) is an error too.
  auto cut = RunProcess(argv, std::string("\x05\x00", 2), std::chrono::seconds(30));
  const auto cut_replies = Replies(cut.out);
  ASSERT_EQ(cut_replies.size(), 1u);
  EXPECT_EQ(cut_replies[0]["reason"], "truncated");
  // An empty input is a clean end.
  EXPECT_EQ(RunProcess(argv, "", std::chrono::seconds(30)).exit_code, 0);
  // The wallet is untouched and still opens.
  EXPECT_EQ(ReadText(w + "/wallet"), before);
  std::vector<std::string> status = BrowserSite::WalletArgv(w);
  status.push_back("status");
  EXPECT_EQ(RunProcess(status).exit_code, 0);
  std::filesystem::remove_all(w);
}

TEST(ExtensionTest, NativeHostRefusesAGateSessionOfAnotherOriginWithoutConnecting) {
  std::vector<std::string> argv;
  const std::string w = KeyFileWallet(argv);
  argv.push_back("native-host");
  // A listener that must see no connection: the session "lives" there.
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd, 4), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string session =
      "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/yesno/gate/session/AAAAAAAAAAAAAAAAAAAAAA";
  Json msg = {{"type", "prove"}, {"session", session}, {"origin", "http://relay.example"}, {"claim", "age_over_18"}};
  // A decline is checked the same way: a page cannot make the wallet say
  // "no" to another site's session either.
  Json no = {{"type", "decline"}, {"session", session}, {"origin", "http://relay.example"}};
  auto r = RunProcess(argv,
                      Frame(msg.dump()) + Frame(no.dump()) + Frame(R"({"type":"decline","origin":"http://relay.example"})") +
                          Frame(R"({"type":"decline","session":"not a url","origin":"http://relay.example"})"),
                      std::chrono::seconds(30));
  const auto replies = Replies(r.out);
  ASSERT_EQ(replies.size(), 4u) << r.out;
  for (std::size_t i : {0u, 1u}) {
    SCOPED_TRACE(i);
    EXPECT_EQ(replies[i]["type"], "error");
    EXPECT_EQ(replies[i]["reason"], "another_site");
    EXPECT_NE(replies[i].value("message", "").find("another site"), std::string::npos) << replies[i].dump();
  }
  EXPECT_EQ(replies[2]["reason"], "bad_request") << replies[2].dump();
  EXPECT_NE(replies[2].value("message", "").find("decline needs `session`"), std::string::npos) << replies[2].dump();
  EXPECT_EQ(replies[3]["reason"], "bad_request") << replies[3].dump();
  EXPECT_NE(replies[3].value("message", "").find("not a URL"), std::string::npos) << replies[3].dump();
  EXPECT_LT(accept(fd, nullptr, nullptr), 0) << "the wallet connected to the session of another site";
  close(fd);
  std::filesystem::remove_all(w);
}

TEST(ExtensionTest, BrowserInstallWritesTheHostManifestForAProfileAndUninstallRemovesIt) {
  std::vector<std::string> argv;
  const std::string w = KeyFileWallet(argv);
  const std::string profile = PrivateDir("extension", "profile");
  std::vector<std::string> install = argv;
  for (const char* a : {"--json", "browser", "install", "--user-data-dir"}) install.push_back(a);
  install.push_back(profile);
  auto r = RunProcess(install);
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  const Json out = Json::parse(r.out, nullptr, false);
  const std::string manifest_path =
      std::filesystem::path(profile + "/NativeMessagingHosts/org.yesno.wallet.json").lexically_normal().string();
  EXPECT_EQ(out["manifest"], manifest_path);
  EXPECT_EQ(out["extension_id"], kExtensionId);
  const Json manifest = Json::parse(ReadText(manifest_path), nullptr, false);
  EXPECT_EQ(manifest["name"], "org.yesno.wallet");
  EXPECT_EQ(manifest["type"], "stdio");
  EXPECT_EQ(manifest["allowed_origins"], Json::array({std::string("chrome-extension://") + kExtensionId + "/"}));
  const std::string wrapper = manifest["path"];
  EXPECT_EQ(wrapper.front(), '/');
  EXPECT_EQ(access(wrapper.c_str(), X_OK), 0);
  // The wrapper starts this wallet's host (Chrome passes the origin).
  auto host = RunProcess({wrapper, std::string("chrome-extension://") + kExtensionId + "/"}, Frame(R"({"type":"info"})"));
  const auto replies = Replies(host.out);
  ASSERT_EQ(replies.size(), 1u) << host.err;
  EXPECT_EQ(replies[0]["unlock"], "key_file");
  EXPECT_EQ(replies[0]["wallet_exists"], true);
  // The extension's manifest pins the same id (its `key`).
  const Json ext = Json::parse(ReadText(std::string(YESNO_EXTENSION_SOURCE_DIR) + "/manifest.json"), nullptr, false);
  ASSERT_TRUE(ext.is_object());
  EXPECT_TRUE(ext["key"].is_string());
  EXPECT_EQ(ext["manifest_version"], 3);
  // A wrong browser is refused; uninstall removes both files.
  std::vector<std::string> bad = argv;
  for (const char* a : {"browser", "install", "--browser", "netscape"}) bad.push_back(a);
  EXPECT_EQ(RunProcess(bad).exit_code, 2);
  std::vector<std::string> uninstall = argv;
  for (const char* a : {"browser", "uninstall", "--user-data-dir"}) uninstall.push_back(a);
  uninstall.push_back(profile);
  auto u = RunProcess(uninstall);
  EXPECT_EQ(u.exit_code, 0) << u.err;
  EXPECT_FALSE(std::filesystem::exists(manifest_path));
  EXPECT_FALSE(std::filesystem::exists(wrapper));
  std::filesystem::remove_all(profile);
  std::filesystem::remove_all(w);
}

// --- real Chromium ----------------------------------------------------------------------

void SkipLoudly(const std::string& why) {
  std::cerr << "\n************************************************************************\n"
               "** ExtensionTest (Chromium) SKIPPED: the real-browser test did not run.\n** "
            << why << "\n** Install chromium, nodejs and npm (scripts/bootstrap) to run it.\n"
                      "************************************************************************\n\n";
}

// The RFC 9577 path: a location that answers browsers with the 401
// challenge itself (no gate page: no error_page, so nginx passes on the
// verifier's 401 and its WWW-Authenticate from /auth/<claim>), and passes
// the verifier's cookie on. try_files serves /members/ as
// /members/index.html in this location: `index` would be an internal
// redirect, which runs auth_request a second time, and the verifier takes a
// presentation only once (the second check is a replay: 401).
constexpr char kRfc9577Location[] = R"(
    location /members/ {
        auth_request /_yesno/auth/age_over_18;
        auth_request_set $yesno_members_cookie $upstream_http_set_cookie;
        add_header Set-Cookie $yesno_members_cookie;
        try_files $uri ${uri}index.html =404;
    }
)";

constexpr char kPassphrase[] = "correct horse battery staple";

struct BrowserRun {
  bool skipped = false;
  Json result;
  std::string shots;
};

// RunExtensionScript starts the site, three wallets and extension.mjs.
void RunExtensionScript(BrowserSite& site, const std::string& mode, BrowserRun& run) {
  if (access(kChromium, X_OK) != 0) {
    SkipLoudly(std::string(kChromium) + " is missing (Debian package chromium)");
    run.skipped = true;
    return;
  }
  const NodePackage node = testing::PrepareNodePackage({.tag = "browser",
                                                        .source_dir = YESNO_BROWSER_SOURCE_DIR,
                                                        .work_dir = YESNO_BROWSER_WORK_DIR,
                                                        .files = {"package.json", "package-lock.json", "chromium.mjs", "gate.mjs",
                                                                  "extension.mjs"},
                                                        .installed_module = "playwright-core",
                                                        .skip_on_any_install_failure = true});
  if (node.skip) {
    SkipLoudly(node.why);
    run.skipped = true;
    return;
  }
  ASSERT_TRUE(node.ready) << node.why;
  const std::string up = site.Start("extension", kRfc9577Location);
  ASSERT_EQ(up, "") << up;
  std::string why;
  const std::string adult = site.NewWallet("adult", YearsAgo(19), why);
  ASSERT_FALSE(adult.empty()) << why;
  const std::string minor = site.NewWallet("minor", YearsAgo(16), why);
  ASSERT_FALSE(minor.empty()) << why;
  const std::string pass = site.NewWallet("pass", YearsAgo(30), why, kPassphrase);
  ASSERT_FALSE(pass.empty()) << why;
  for (const auto& [w, key] : {std::pair{adult, true}, std::pair{minor, true}}) {
    std::vector<std::string> refill = BrowserSite::WalletArgv(w, key);
    refill.push_back("refill");
    auto r = RunProcess(refill);
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
  {
    std::vector<std::string> refill = BrowserSite::WalletArgv(pass, false);
    refill.push_back("refill");
    auto r = RunProcess(refill, "", std::chrono::seconds(60), {std::string("YESNO_PASSPHRASE=") + kPassphrase});
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
  const std::string profile = site.dir + "/profile";
  auto install = [&](const std::string& w, bool key) {
    std::vector<std::string> argv = BrowserSite::WalletArgv(w, key);
    for (const char* a : {"browser", "install", "--user-data-dir"}) argv.push_back(a);
    argv.push_back(profile);
    return argv;
  };
  run.shots = std::string(YESNO_BROWSER_WORK_DIR) + "/../extension-screenshots";
  std::filesystem::remove_all(run.shots);
  Json config = {{"site", site.site},
                 {"relay_site", "http://localhost:" + std::to_string(site.site_port)},
                 {"page", "/adult/"},
                 {"rfc_page", "/members/"},
                 {"claim", "age_over_18"},
                 {"chromium", kChromium},
                 {"extension", YESNO_EXTENSION_SOURCE_DIR},
                 {"profile", profile},
                 {"www", site.dir + "/www"},
                 {"screenshots", run.shots},
                 {"wallets", {{"adult", install(adult, true)}, {"minor", install(minor, true)}, {"pass", install(pass, false)}}},
                 {"passphrase", kPassphrase},
                 {"mode", mode},
                 {"runs", 20}};
  auto r = RunProcess({node.node, node.dir + "/extension.mjs"}, config.dump(), std::chrono::seconds(110));
  std::cerr << r.err;
  ASSERT_EQ(r.exit_code, 0) << "extension.mjs failed (timed out: " << r.timed_out << "):\n" << r.out << r.err;
  run.result = Json::parse(r.out, nullptr, false);
  ASSERT_TRUE(run.result.is_object()) << r.out;
}

// The consent window's "why not" sentences (browser/extension/words.js), run
// with plain node: a minor is told the issuer does not vouch, an adult whose
// proofs are used up is told from when more come, never the other way round.
TEST(ExtensionTest, WordsTellAMinorFromUsedUpProofs) {
  const std::string node = FindOnPath("node");
  if (node.empty()) GTEST_SKIP() << "SKIPPED LOUDLY: node is not installed; the extension's words were not tested";
  auto r = RunProcess({node, SourceTreePath("tests/browser/words_test.mjs"), SourceTreePath("browser/extension/words.js")},
                      "", std::chrono::seconds(30));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("words.js: ok"), std::string::npos) << r.out << r.err;
}

TEST(ExtensionTest, ChromiumGateRfc9577RememberPopupDeclineRelayMinorAndPassphrase) {
  const auto started = std::chrono::steady_clock::now();
  BrowserSite site;
  BrowserRun run;
  RunExtensionScript(site, "test", run);
  if (run.skipped) GTEST_SKIP() << "chromium or node/npm missing: the real-browser test did not run";
  if (HasFatalFailure()) return;
  const Json& s = run.result["scenarios"];
  const std::string origin = site.site;
  EXPECT_EQ(run.result["extension_id"], kExtensionId);
  for (const auto& [name, o] : s.items()) {
    EXPECT_FALSE(o.contains("error")) << name << ": " << o.value("error", "") << "\n" << o.dump(2);
  }

  // 1. Gate + consent + Share.
  const Json& g = s["gate_share"];
  EXPECT_EQ(g["button"], "Prove with your yesno wallet");
  EXPECT_EQ(g["question"], "Are you over 18?");
  EXPECT_EQ(g["site"], origin);
  EXPECT_EQ(g["issuer"], "issuer.browser");
  EXPECT_EQ(g["share_claim"], "age_over_18");
  EXPECT_EQ(g["share_origin"], origin);
  EXPECT_EQ(g["decline_claim"], "age_over_18");
  EXPECT_EQ(g["passphrase_visible"], false);
  EXPECT_NE(g.value("kept", "").find("birth date"), std::string::npos);
  EXPECT_EQ(g.value("final_url", "").rfind(origin + "/adult/?visit=", 0), 0u) << g.dump();
  EXPECT_NE(g.value("body", "").find("The protected content."), std::string::npos);
  EXPECT_NE(g["cookies"].dump().find("yesno_age_over_18"), std::string::npos) << g["cookies"];

  // 2. Remembered: no window the second time.
  EXPECT_EQ(s["remembered"]["windows_opened"], 0);
  EXPECT_EQ(s["remembered"].value("final_url", "").rfind(origin + "/adult/?visit=", 0), 0u) << s["remembered"].dump();

  // 3. The popup.
  EXPECT_NE(s["popup"].value("counts", "").find("issuer.browser"), std::string::npos) << s["popup"].dump();
  EXPECT_NE(s["popup"].value("remembered", "").find(origin), std::string::npos) << s["popup"].dump();
  EXPECT_EQ(s["popup"]["remembered_after"], 0);
  EXPECT_EQ(s["popup"]["refill_note"], "Refilled.");

  // 4. Don't share.
  EXPECT_NE(s["decline"].value("status", "").find("answered no"), std::string::npos) << s["decline"].dump();
  EXPECT_EQ(s["decline"]["command_visible"], false) << "the used command stays on the page";
  EXPECT_EQ(s["decline"]["cookies"].dump().find("yesno_age_over_18"), std::string::npos);

  // 5. A relaying page: refused, no window, the real session untouched.
  EXPECT_EQ(s["relay"]["windows_opened"], 0);
  EXPECT_NE(s["relay"].value("status", "").find("another site"), std::string::npos) << s["relay"].dump();
  EXPECT_EQ(s["relay"]["session_state"], "pending");

  // 6. RFC 9577: one 401, one repeat with Authorization, then 200 + cookie; one-shot.
  const Json& f = s["rfc9577"];
  EXPECT_EQ(f["question"], "Are you over 18?");
  EXPECT_EQ(f["site"], origin);
  EXPECT_EQ(f["final_url"], origin + "/members/");
  EXPECT_NE(f.value("body", "").find("The protected content."), std::string::npos);
  EXPECT_NE(f["cookies"].dump().find("yesno_age_over_18"), std::string::npos) << f.dump();
  EXPECT_EQ(f["requests"], Json::array({false, true})) << f.dump();
  EXPECT_EQ(f["reload_requests"], Json::array({false})) << f.dump();
  EXPECT_EQ(f["reload_status"], 200);
  EXPECT_EQ(f["rules_left"], 0);

  // 7. A 16-year-old: the window says it cannot; the site says no.
  const Json& m = s["minor"];
  // The wallet's status says the issuer does not vouch (not "empty wallet").
  EXPECT_NE(m.value("cannot", "").find("does not vouch that you are over 18"), std::string::npos) << m.dump();
  EXPECT_NE(m.value("cannot", "").find(origin + " was told \u201cno\u201d"), std::string::npos) << m.dump();
  EXPECT_EQ(m["share_visible"], false);
  EXPECT_NE(m.value("status", "").find("answered no"), std::string::npos) << m.dump();
  EXPECT_EQ(m["cookies"].dump().find("yesno_age_over_18"), std::string::npos);

  // 8. A passphrase wallet.
  const Json& p = s["passphrase"];
  EXPECT_EQ(p["passphrase_visible"], true);
  EXPECT_NE(p.value("wrong_error", "").find("passphrase does not open the wallet"), std::string::npos) << p.dump();
  EXPECT_EQ(p.value("final_url", "").rfind(origin + "/adult/?visit=", 0), 0u) << p.dump();

  // 9. The gate page: no horizontal scroll at 390 px; status in view at 1200×900.
  EXPECT_LE(s["gate_layout"].value("scroll_width_390", 9999), 390) << s["gate_layout"].dump();
  EXPECT_LE(s["gate_layout"].value("status_bottom_1200x900", 9999.0), 900.0) << s["gate_layout"].dump();

  std::cout << "[extension] Chromium " << run.result.value("browser", "?") << "; screenshots: " << run.shots
            << "/consent.png, " << run.shots << "/unlocked.png\n";
  const std::string logs = site.Stop();
  std::cout << "[extension] took "
            << std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started).count()
            << " s\n";
  std::filesystem::remove_all(site.dir);
}

// The Share → page latency (scripts/bench runs it; ctest lists it as disabled):
// 20 runs through the gate with consent (from the click event in the consent
// window to the protected page's load event, both taken in the browser),
// plus the host's start-up time and the CPU a `prove` costs in the host.
TEST(ExtensionTest, DISABLED_BenchShareToProtectedPage) {
  BrowserSite site;
  BrowserRun run;
  RunExtensionScript(site, "bench", run);
  if (run.skipped) GTEST_SKIP() << "chromium or node/npm missing";
  if (HasFatalFailure()) return;
  std::vector<double> ms = run.result["share_to_page_ms"].get<std::vector<double>>();
  ASSERT_EQ(ms.size(), 20u);
  std::sort(ms.begin(), ms.end());
  std::printf("[bench] Share clicked -> protected page loaded (Chromium %s, 20 runs): median %.1f ms, p95 %.1f ms\n",
              run.result.value("browser", "?").c_str(), (ms[9] + ms[10]) / 2, ms[18]);
  std::vector<double> answer = run.result["share_to_answer_ms"].get<std::vector<double>>();
  if (answer.size() == 20) {
    std::sort(answer.begin(), answer.end());
    std::printf("[bench]   of which Share -> the gate page told the wallet said yes: median %.1f ms, p95 %.1f ms\n",
                (answer[9] + answer[10]) / 2, answer[18]);
  }
  std::vector<double> driver = run.result["driver_ms"].get<std::vector<double>>();
  if (driver.size() == 20) {
    std::sort(driver.begin(), driver.end());
    std::printf("[bench]   the same seen by the test driver (Playwright click to its polling seeing the page): "
                "median %.1f ms, p95 %.1f ms\n",
                (driver[9] + driver[10]) / 2, driver[18]);
  }

  // Host start-up (an `info` round trip through the installed wrapper) and
  // the CPU of a gate `prove` in the host (children's rusage).
  const std::string wrapper = site.dir + "/profile/NativeMessagingHosts/org.yesno.wallet-host.sh";
  std::vector<double> start_ms;
  for (int i = 0; i < 20; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    auto r = RunProcess({wrapper, "chrome-extension://x/"}, Frame(R"({"type":"info"})"));
    start_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    ASSERT_EQ(r.exit_code, 0);
  }
  std::sort(start_ms.begin(), start_ms.end());
  // The browser runs spent 20 tokens: refill (through the host) for 20 more proves.
  auto refill = RunProcess({wrapper, "chrome-extension://x/"}, Frame(R"({"type":"refill"})"), std::chrono::seconds(60));
  ASSERT_NE(refill.out.find("\"type\":\"refill\""), std::string::npos) << refill.out << refill.err;
  std::vector<double> cpu_ms;
  std::vector<double> wall_ms;
  net::HttpClient http;
  for (int i = 0; i < 20; ++i) {
    auto gate = http.Get(testing::MustUrl(site.site + "/yesno/gate?claim=age_over_18&return=/adult/"));
    ASSERT_TRUE(gate.ok());
    const auto at = gate->body.find("data-yesno-session=\"");
    ASSERT_NE(at, std::string::npos);
    const std::string link = gate->body.substr(at + 20, gate->body.find('"', at + 20) - at - 20);
    Json msg = {{"type", "prove"}, {"session", link}, {"origin", site.site}, {"claim", "age_over_18"}};
    rusage before{};
    getrusage(RUSAGE_CHILDREN, &before);
    const auto t0 = std::chrono::steady_clock::now();
    auto r = RunProcess({wrapper, "chrome-extension://x/"}, Frame(msg.dump()));
    wall_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    rusage after{};
    getrusage(RUSAGE_CHILDREN, &after);
    ASSERT_NE(r.out.find("\"answer\":\"yes\""), std::string::npos) << r.out;
    auto secs = [](const rusage& u) {
      return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
             static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
    };
    cpu_ms.push_back((secs(after) - secs(before)) * 1000);
  }
  std::sort(cpu_ms.begin(), cpu_ms.end());
  std::printf("[bench] native host start-up (info round trip, 20 runs): median %.1f ms, p95 %.1f ms\n",
              (start_ms[9] + start_ms[10]) / 2, start_ms[18]);
  std::sort(wall_ms.begin(), wall_ms.end());
  std::printf("[bench] native host prove (gate session, key-file wallet) CPU: median %.1f ms, p95 %.1f ms; "
              "wall: median %.1f ms, p95 %.1f ms\n",
              (cpu_ms[9] + cpu_ms[10]) / 2, cpu_ms[18], (wall_ms[9] + wall_ms[10]) / 2, wall_ms[18]);
  site.Stop();
  std::filesystem::remove_all(site.dir);
}

}  // namespace
}  // namespace yesno

#endif
