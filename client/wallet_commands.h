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
  // Confirm asks the person a yes/no question (a terminal's y/N); unset when
  // nobody can be asked (then commands that need consent want --yes).
  std::function<bool(const std::string& question)> confirm;

  std::string WalletPath() const;
  KeySource Keys() const;
  net::HttpClient Http() const;
};

struct EnrollArgs {
  std::string issuer;      // base URL
  std::string issuer_key;  // Ed25519 public key, base64url
  std::string ticket;      // "-" = stdin
};
inline constexpr int kDefaultRefillTarget = 32;
inline constexpr int kDefaultLowWater = 8;

struct RefillArgs {
  std::string claim;  // empty: every entitled claim
  int target = kDefaultRefillTarget;
  // if_due: refill an issuer's claims (all together) only when one is below
  // `low_water` unused tokens under the current key, or a new epoch's key is
  // live and the wallet holds none under it; otherwise do nothing, say so.
  bool if_due = false;
  int low_water = kDefaultLowWater;
};
struct ProveArgs {
  std::string verifier;  // base URL
  std::string claim;
  std::string session;   // a browser gate session URL (instead of verifier + claim)
  // expected_origin: the origin of the page that showed the session link (the
  // browser extension's tab); a session of another origin is refused before
  // any request.
  std::string expected_origin;
  bool assume_yes = false;  // consent given (--yes, or the extension's window)
  bool decline = false;     // --session: tell the page "no" without proving (--decline)
  // RFC 9577 mode: build the Authorization for a 401's WWW-Authenticate
  // value, naming the origin of `target_url`; nothing is sent anywhere.
  std::string www_authenticate;
  std::string target_url;
  std::string cookie_jar;         // write the session cookie of a yes here (Netscape format, curl -b)
  std::string save_presentation;  // developer: keep the sent Authorization value (replay tests)
};
struct StatusArgs {
  bool clear_warnings = false;
};

int RunInit(const Env& env);
int RunEnroll(const Env& env, const EnrollArgs& args);
int RunRefill(const Env& env, const RefillArgs& args);
// RunProve presents to a verifier (`verifier` + `claim`), to a browser gate
// session (`session`), or builds an RFC 9577 Authorization (`www_authenticate`
// + `target_url`); all go through one token-selection path. It never
// contacts an issuer (DESIGN §8): with no usable token it sends nothing and
// answers no (no_token), saying why and when more can be had.
int RunProve(const Env& env, const ProveArgs& args);
int RunStatus(const Env& env, const StatusArgs& args = {});

// AddWalletCommands registers the commands; `env` must outlive `app`.
void AddWalletCommands(CLI::App& app, Env& env, std::function<int()>& run);

}  // namespace yesno::cli

#endif  // YESNO_CLIENT_WALLET_COMMANDS_H_
