// wallet_commands.h — `yesno init|enroll|refill|prove|status`.
#ifndef YESNO_CLIENT_WALLET_COMMANDS_H_
#define YESNO_CLIENT_WALLET_COMMANDS_H_

#include <CLI/CLI.hpp>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>

#include "cli_util.h"
#include "http_client.h"
#include "wallet_file.h"
#include "yesno/rng.h"

namespace yesno::cli {

struct GlobalOptions {
  std::string wallet_path;  // empty: DefaultWalletPath()
  std::string key_file;
  std::string ca_file;
  bool insecure_http = false;
  int timeout_seconds = 15;
};

// Env is what a wallet command runs with; tests build their own.
struct Env {
  Output out;
  GlobalOptions global;
  Rng* rng = nullptr;
  Clock* clock = nullptr;
  std::istream* in = nullptr;
  bool progress = false;  // progress lines on stderr (a terminal)
  std::function<Result<SecretBytes>(bool)> read_passphrase;  // default: env or tty

  std::string WalletPath() const;
  KeySource Keys() const;
  net::HttpClient Http() const;
};

struct EnrollArgs {
  std::string issuer;      // base URL
  std::string issuer_key;  // Ed25519 public key, base64url
  std::string ticket;      // "-" = stdin
};
struct RefillArgs {
  std::string claim;  // empty: every entitled claim
  int target = 32;
};
struct ProveArgs {
  std::string verifier;  // base URL
  std::string claim;
  std::string session;   // a browser gate session URL (instead of verifier + claim)
  int refill_target = 32;
  std::string cookie_jar;         // write the session cookie of a yes here (Netscape format, curl -b)
  std::string save_presentation;  // developer: keep the sent Authorization value (replay tests)
};

int RunInit(const Env& env);
int RunEnroll(const Env& env, const EnrollArgs& args);
int RunRefill(const Env& env, const RefillArgs& args);
// RunProve presents to a verifier (`verifier` + `claim`) or to a browser gate
// session (`session`); both go through one token-selection/present path.
int RunProve(const Env& env, const ProveArgs& args);
int RunStatus(const Env& env);

// AddWalletCommands registers the commands; `env` must outlive `app`.
void AddWalletCommands(CLI::App& app, Env& env, std::function<int()>& run);

}  // namespace yesno::cli

#endif  // YESNO_CLIENT_WALLET_COMMANDS_H_
