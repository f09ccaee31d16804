// wallet_world.h — one real yesno-issuer and one real yesno-verifier on
// loopback, shared by a test suite that drives the wallet CLI against them
// (wallet_e2e_test.cc, holder_privacy_test.cc): start and stop, tickets,
// wallets made and read, the CLI run with a key-file wallet.
#ifndef YESNO_TESTS_INTEGRATION_WALLET_WORLD_H_
#define YESNO_TESTS_INTEGRATION_WALLET_WORLD_H_

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "files.h"
#include "testing/child_process.h"
#include "testing/process.h"
#include "testing/test_util.h"
#include "yesno/directory.h"
#include "yesno/wallet.h"

namespace yesno::testing {

struct WalletWorldOptions {
  std::string tag;          // PrivateDir's test name: where the world and its wallets live
  std::string issuer_name;  // --name of `yesno-issuer init`
  std::vector<std::string> init_args;      // more `yesno-issuer init` flags (--claims, --quota, ...)
  // More `yesno-verifier serve` flags (--spent-store, --claims, ...); "@DIR@"
  // in one stands for the world's directory.
  std::vector<std::string> verifier_args;
};

class WalletWorld {
 public:
  // Start makes the issuer's state, serves it, writes the verifier's trust
  // file (the issuer's directory and key) and serves the verifier. Check
  // HasFatalFailure() after it.
  void Start(WalletWorldOptions options) {
    options_ = std::move(options);
    dir = PrivateDir(options_.tag, "world");
    std::vector<std::string> init = {YESNO_ISSUER_PATH, "init", "--state", dir + "/issuer", "--name",
                                     options_.issuer_name};
    init.insert(init.end(), options_.init_args.begin(), options_.init_args.end());
    auto made = RunProcess(init);
    ASSERT_EQ(made.exit_code, 0) << made.err;
    issuer_key = made.out.substr(0, made.out.find('\n'));
    issuer = ChildProcess::Start({YESNO_ISSUER_PATH, "serve", "--state", dir + "/issuer", "--listen", "127.0.0.1:0"},
                                 dir + "/issuer.log");
    ASSERT_TRUE(issuer);
    auto url = issuer->WaitForListening();
    ASSERT_TRUE(url);
    issuer_url = *url;
    const nlohmann::json trust = nlohmann::json::array(
        {{{"name", options_.issuer_name}, {"directory", issuer_url + kDirectoryPath}, {"key", issuer_key}}});
    ASSERT_TRUE(files::WriteFileAtomic(dir + "/trust.json", AsBytes(trust.dump())).ok());
    const int port = FreePort();
    verifier_url = "http://127.0.0.1:" + std::to_string(port);
    std::vector<std::string> serve = {YESNO_VERIFIER_PATH, "serve", "--origin", verifier_url, "--trust",
                                      dir + "/trust.json", "--listen", "127.0.0.1:" + std::to_string(port)};
    for (std::string arg : options_.verifier_args) {
      if (const auto at = arg.find("@DIR@"); at != std::string::npos) arg.replace(at, 5, dir);
      serve.push_back(std::move(arg));
    }
    verifier = ChildProcess::Start(serve, dir + "/verifier.log");
    ASSERT_TRUE(verifier);
    ASSERT_TRUE(verifier->WaitForListening());
  }
  ~WalletWorld() {
    issuer.reset();
    verifier.reset();
    if (!dir.empty()) std::filesystem::remove_all(dir);
  }

  // Ticket enrolls someone born `birth` (optionally with attributes) with
  // `yesno-issuer enroll` and returns the ticket.
  std::string Ticket(const std::string& birth, const std::vector<std::string>& attributes = {}) const {
    std::vector<std::string> argv = {YESNO_ISSUER_PATH, "enroll", "--state", dir + "/issuer", "--birth-date", birth};
    for (const auto& a : attributes) {
      argv.push_back("--attribute");
      argv.push_back(a);
    }
    auto r = RunProcess(argv);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out.substr(0, r.out.find('\n'));
  }

  // Yesno runs the wallet CLI with the key-file wallet in `wallet_dir`.
  static ProcessResult Yesno(const std::string& wallet_dir, std::vector<std::string> args,
                             const std::vector<std::string>& env = {}) {
    std::vector<std::string> argv = {YESNO_CLI_PATH, "--wallet", wallet_dir + "/wallet", "--key-file",
                                     wallet_dir + "/wallet.key"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProcess(argv, "", std::chrono::seconds(60), env);
  }

  // NewWallet makes a key-file wallet for someone born `birth`, enrolled at
  // `at_issuer` (default: this world's issuer).
  std::string NewWallet(const std::string& name, const std::string& birth,
                        const std::vector<std::string>& attributes = {}, const std::string& at_issuer = "") const {
    const std::string w = PrivateDir(options_.tag, "wallet_" + name);
    EXPECT_EQ(Yesno(w, {"init"}).exit_code, 0);
    auto r = Yesno(w, {"enroll", "--issuer", at_issuer.empty() ? issuer_url : at_issuer, "--issuer-key", issuer_key,
                       "--ticket", Ticket(birth, attributes)});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return w;
  }

  // ReadWallet opens the key-file wallet in `w`.
  static WalletContents ReadWallet(const std::string& w) {
    auto bytes = files::ReadFile(w + "/wallet");
    EXPECT_TRUE(bytes.ok());
    auto key = files::ReadSecretFile(w + "/wallet.key");
    EXPECT_TRUE(key.ok());
    if (!bytes.ok() || !key.ok()) return WalletContents{};
    auto c = OpenWallet(*bytes, *key);
    EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
    return c.ok() ? std::move(*c) : WalletContents{};
  }

  std::string dir, issuer_key, issuer_url, verifier_url;
  std::unique_ptr<ChildProcess> issuer, verifier;

 private:
  WalletWorldOptions options_;
};

}  // namespace yesno::testing

#endif  // YESNO_TESTS_INTEGRATION_WALLET_WORLD_H_
