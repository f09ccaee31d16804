#include "browser_site.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "http_client.h"
#include "testing/process.h"
#include "testing/test_util.h"
#include "verifier_testing.h"
#include "yesno/directory.h"

namespace yesno::testing {

namespace {
constexpr char kNginx[] = "/usr/sbin/nginx";
}  // namespace

std::vector<std::string> BrowserSite::WalletArgv(const std::string& w, bool key_file) {
  std::vector<std::string> argv = {YESNO_CLI_PATH, "--wallet", w + "/wallet"};
  if (key_file) {
    argv.push_back("--key-file");
    argv.push_back(w + "/wallet.key");
  }
  return argv;
}

std::string BrowserSite::Start(const std::string& tag, const std::string& extra_locations) {
  if (!std::filesystem::exists(kNginx)) return std::string(kNginx) + " is missing: run scripts/bootstrap (Debian package nginx)";
  dir = PrivateDir(tag, "site");
  auto init = RunProcess({YESNO_ISSUER_PATH, "init", "--state", dir + "/issuer", "--name", "issuer.browser", "--claims",
                          "age_over_18"});
  if (init.exit_code != 0) return "yesno-issuer init: " + init.err;
  issuer_key = init.out.substr(0, init.out.find('\n'));
  issuer_ = ChildProcess::Start({YESNO_ISSUER_PATH, "serve", "--state", dir + "/issuer", "--listen", "127.0.0.1:0"},
                                dir + "/issuer.log");
  auto iu = issuer_ ? issuer_->WaitForListening() : std::nullopt;
  if (!iu) return "the issuer did not start: " + ReadText(dir + "/issuer.log");
  issuer_url = *iu;

  site_port = FreePort();
  site = "http://127.0.0.1:" + std::to_string(site_port);
  nlohmann::json trust =
      nlohmann::json::array({{{"name", "issuer.browser"}, {"directory", issuer_url + kDirectoryPath}, {"key", issuer_key}}});
  WriteText(dir + "/trust.json", trust.dump());
  verifier_ = ChildProcess::Start({YESNO_VERIFIER_PATH, "serve", "--origin", site, "--trust", dir + "/trust.json",
                                   "--listen", "127.0.0.1:0", "--spent-store", "memory:", "--public-prefix", "/yesno"},
                                  dir + "/verifier.log");
  auto vu = verifier_ ? verifier_->WaitForListening() : std::nullopt;
  if (!vu) return "the verifier did not start: " + ReadText(dir + "/verifier.log");
  verifier_url = *vu;

  // nginx with the shipped config, pointed at this verifier, port and files.
  std::string conf = ReadText(YESNO_NGINX_CONF_PATH);
  if (conf.empty()) return std::string("cannot read ") + YESNO_NGINX_CONF_PATH;
  ReplaceOnce(conf, "server 127.0.0.1:8081;", "server " + verifier_url.substr(std::string("http://").size()) + ";");
  ReplaceOnce(conf, "listen 127.0.0.1:8080;", "listen 127.0.0.1:" + std::to_string(site_port) + ";");
  ReplaceOnce(conf, "root /var/www/site;", "root " + dir + "/www;");
  ReplaceOnce(conf, "/var/log/nginx/yesno-site.access.log", dir + "/access.log");
  if (!extra_locations.empty()) {
    const std::string anchor = "    # --- the gated part of the site";
    const auto at = conf.find(anchor);
    if (at == std::string::npos) return "the shipped nginx config has no '" + anchor + "' line";
    conf.insert(at, extra_locations);
  }
  WriteText(dir + "/yesno.conf", conf);
  std::filesystem::create_directories(dir + "/www/adult");
  std::filesystem::create_directories(dir + "/www/members");
  std::filesystem::create_directories(dir + "/tmp");
  const std::string page =
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Members</title></head>"
      "<body><h1>Adults only</h1><p id=\"secret\">The protected content.</p></body></html>\n";
  WriteText(dir + "/www/adult/index.html", page);
  WriteText(dir + "/www/members/index.html", page);
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
  nginx_ = ChildProcess::Start(
      {kNginx, "-p", dir + "/", "-e", dir + "/error.log", "-c", dir + "/nginx.conf", "-g", "daemon off;"},
      dir + "/nginx.stderr");
  if (!nginx_) return "nginx did not start";
  net::HttpClient client;
  for (int i = 0; i < 100; ++i) {
    auto r = client.Get(MustUrl(site + "/index.html"));
    if (r.ok() && r->status == 200) return "";
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return "nginx did not come up:\n" + ReadText(dir + "/nginx.stderr") + ReadText(dir + "/error.log");
}

std::string BrowserSite::NewWallet(const std::string& name, const std::string& birth, std::string& why,
                                   const std::string& passphrase) {
  auto ticket = RunProcess({YESNO_ISSUER_PATH, "enroll", "--state", dir + "/issuer", "--birth-date", birth});
  if (ticket.exit_code != 0) {
    why = "yesno-issuer enroll: " + ticket.err;
    return "";
  }
  const std::string w = PrivateDir("browser", "wallet_" + name);
  const bool key_file = passphrase.empty();
  std::vector<std::string> env;
  if (!key_file) env.push_back("YESNO_PASSPHRASE=" + passphrase);
  std::vector<std::string> argv = WalletArgv(w, key_file);
  argv.push_back("init");
  if (auto r = RunProcess(argv, "", std::chrono::seconds(60), env); r.exit_code != 0) {
    why = "yesno init: " + r.err;
    return "";
  }
  argv = WalletArgv(w, key_file);
  for (const std::string& a : {std::string("enroll"), std::string("--issuer"), issuer_url, std::string("--issuer-key"),
                               issuer_key, std::string("--ticket"), ticket.out.substr(0, ticket.out.find('\n'))}) {
    argv.push_back(a);
  }
  if (auto r = RunProcess(argv, "", std::chrono::seconds(60), env); r.exit_code != 0) {
    why = "yesno enroll: " + r.err;
    return "";
  }
  return w;
}

std::string BrowserSite::Stop() {
  stopped_cleanly = true;
  if (nginx_) {
    nginx_->Signal(SIGQUIT);
    stopped_cleanly = nginx_->Wait(std::chrono::seconds(10)) == 0 && stopped_cleanly;
  }
  if (verifier_) {
    verifier_->Signal(SIGTERM);
    stopped_cleanly = verifier_->Wait(std::chrono::seconds(20)) == 0 && stopped_cleanly;
  }
  if (issuer_) {
    issuer_->Signal(SIGTERM);
    issuer_->Wait(std::chrono::seconds(20));
  }
  return ReadText(dir + "/access.log") + ReadText(dir + "/verifier.log");
}

}  // namespace yesno::testing
