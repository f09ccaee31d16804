// verifier_testing.h — helpers shared by the verifier*_test.cc files: an
// in-process issuer directory server, a temporary directory, the real
// yesno-verifier started as a child process, and small HTTP helpers.
#ifndef YESNO_TESTS_INTEGRATION_VERIFIER_TESTING_H_
#define YESNO_TESTS_INTEGRATION_VERIFIER_TESTING_H_

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "http_client.h"
#include "http_server.h"
#include "testing/child_process.h"
#include "testing/issuer_fixture.h"
#include "yesno/auth_header.h"
#include "yesno/directory.h"

namespace yesno::testing {

// TempDir is a fresh directory removed at the end of the test.
class TempDir {
 public:
  explicit TempDir(const std::string& tag) {
    static int counter = 0;
    path_ = ::testing::TempDir() + "/yesno_" + tag + "_" + std::to_string(getpid()) + "_" + std::to_string(++counter);
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// ReadLogOnceItHas reads a running server's log once `needle` is in it (the
// access log is written from a buffer every 100 ms), waiting up to `timeout`,
// and then once more a flush later so the lines around it have landed too.
// A server that was stopped has written everything: read it with ReadText.
inline std::string ReadLogOnceItHas(const std::string& path, std::string_view needle,
                                    std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (ReadText(path).find(needle) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  return ReadText(path);
}

inline void WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// DirectoryServer serves one issuer directory (body + signature header) from
// an in-process HttpServer, as a yesno-issuer would. Both can be swapped
// while it runs (e.g. to a mis-signed body). `listen` picks the address
// (a fixed port lets a test bring an "issuer" back where it was).
class DirectoryServer {
 public:
  explicit DirectoryServer(const std::string& listen = "127.0.0.1:0") {
    server::Router router;
    router.Add(server::http::verb::get, kDirectoryPath, [this](const server::Request& req, server::RequestLog&) {
      std::lock_guard<std::mutex> lock(mu_);
      ++fetches_;
      auto res = server::MakeResponse(req, server::http::status::ok, kMediaTypeDirectory, body_);
      if (!signature_.empty()) res.set(kDirectorySignatureHeader, signature_);
      return res;
    });
    server::ServerOptions options;
    options.name = "test-issuer";
    options.listen = listen;
    options.threads = 1;
    auto s = server::HttpServer::Create(options, router);
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    server_ = std::move(*s);
    thread_ = std::thread([this] { server_->Run(/*handle_signals=*/false); });
  }
  ~DirectoryServer() {
    server_->Stop();
    thread_.join();
  }
  // Serve publishes `issuer`'s current directory, correctly signed.
  void Serve(const IssuerFixture& issuer) {
    const std::string body = issuer.DirectoryBody();
    Set(body, issuer.DirectorySignature(body));
  }
  void Set(std::string body, std::string signature) {
    std::lock_guard<std::mutex> lock(mu_);
    body_ = std::move(body);
    signature_ = std::move(signature);
  }
  int fetches() const {
    std::lock_guard<std::mutex> lock(mu_);
    return fetches_;
  }
  std::string url() const { return server_->url(); }

 private:
  mutable std::mutex mu_;
  std::string body_;
  std::string signature_;
  int fetches_ = 0;
  std::unique_ptr<server::HttpServer> server_;
  std::thread thread_;
};

// WriteTrustFile writes a trust file for `issuers` served at `urls`.
inline void WriteTrustFile(const std::string& path, const std::vector<std::pair<const IssuerFixture*, std::string>>& issuers) {
  nlohmann::json doc = nlohmann::json::array();
  for (const auto& [issuer, url] : issuers) doc.push_back(issuer->TrustEntry(url));
  WriteText(path, doc.dump(2));
}

#ifdef YESNO_VERIFIER_PATH
// VerifierProcess runs the real yesno-verifier binary.
struct VerifierProcess {
  std::unique_ptr<ChildProcess> child;
  std::string url;
  std::string log_path;

  // Start runs `yesno-verifier serve --listen 127.0.0.1:0 <args>` and waits
  // for its "listening on" line. On failure `child` is null.
  static VerifierProcess Start(const std::vector<std::string>& args, const std::string& log_path) {
    std::vector<std::string> argv = {YESNO_VERIFIER_PATH, "serve", "--listen", "127.0.0.1:0"};
    argv.insert(argv.end(), args.begin(), args.end());
    // The directory cache goes next to the log, never into $HOME.
    if (std::find(args.begin(), args.end(), "--cache-dir") == args.end()) {
      argv.insert(argv.end(), {"--cache-dir", std::filesystem::path(log_path).parent_path().string() + "/verifier-cache"});
    }
    VerifierProcess p;
    p.log_path = log_path;
    p.child = ChildProcess::Start(argv, log_path);
    if (!p.child) {
      ADD_FAILURE() << "cannot start " << YESNO_VERIFIER_PATH;
      return p;
    }
    auto url = p.child->WaitForListening(std::chrono::seconds(20));
    if (!url) {
      ADD_FAILURE() << "yesno-verifier did not report listening; log:\n" << ReadText(log_path);
      p.child.reset();
      return p;
    }
    p.url = *url;
    return p;
  }
  // Stop sends SIGTERM and returns the exit code.
  int Stop() {
    if (!child) return -1;
    child->Signal(SIGTERM);
    return child->Wait(std::chrono::seconds(20));
  }
};
#endif

inline net::Url MustUrl(const std::string& url) {
  auto u = net::ParseUrl(url);
  EXPECT_TRUE(u.ok()) << url;
  return u.ok() ? *u : net::Url{};
}

// FetchVnonce GETs /challenge?claim= at `base` and returns the vnonce of
// the first challenge (empty on failure).
inline Bytes FetchVnonce(const std::string& base, const std::string& claim) {
  auto r = net::HttpClient().Get(MustUrl(base + "/challenge?claim=" + claim));
  if (!r.ok() || r->status != 401) {
    ADD_FAILURE() << "challenge failed: " << (r.ok() ? std::to_string(r->status) : r.error().message);
    return {};
  }
  auto header = r->Header("www-authenticate");
  if (!header) return {};
  auto challenges = ParseWwwAuthenticate(*header);
  if (!challenges.ok() || challenges->empty()) return {};
  return (*challenges)[0].yesno_vnonce;
}

// PostVerify POSTs /verify?claim= with `authorization` at `base`.
inline Result<net::HttpResponse> PostVerify(const std::string& base, const std::string& claim,
                                            const std::string& authorization) {
  net::HttpRequest req;
  req.method = "POST";
  req.url = MustUrl(base + "/verify?claim=" + claim);
  if (!authorization.empty()) req.headers.emplace_back("Authorization", authorization);
  return net::HttpClient().Send(req);
}

// MakeRequest is a request for an in-process VerifierService, Host
// shop.example.
inline server::Request MakeRequest(server::http::verb method, const std::string& target) {
  server::Request req{method, target, 11};
  req.set(server::http::field::host, "shop.example");
  return req;
}

// ReplaceOnce replaces the first `from` in `text` (a copy of
// deploy/nginx/yesno.conf) or fails the test if the config no longer has it.
inline void ReplaceOnce(std::string& text, const std::string& from, const std::string& to) {
  const auto pos = text.find(from);
  ASSERT_NE(pos, std::string::npos) << "deploy/nginx/yesno.conf no longer contains: " << from;
  text.replace(pos, from.size(), to);
}

}  // namespace yesno::testing

#endif  // YESNO_TESTS_INTEGRATION_VERIFIER_TESTING_H_
