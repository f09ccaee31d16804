// main.cc — the `yesno` program: a table of subcommands, each a thin shell
// around one Result-returning call into yesno_core.
#include <CLI/CLI.hpp>
#include <functional>
#include <iostream>
#include <string>
#include <unistd.h>

#include "cli_util.h"
#include "native_host.h"
#include "token_command.h"
#include "wallet_commands.h"
#include "yesno/rng.h"

int main(int argc, char** argv) {
  using yesno::cli::kExitError;
  if (!yesno::InitCrypto().ok()) {
    std::cerr << "yesno: error: cannot initialise libsodium\n";
    return kExitError;
  }
  yesno::cli::Output out;
  out.out = &std::cout;
  out.err = &std::cerr;

  CLI::App app{
      "yesno — prove one yes/no fact (\"over 18\") to a website without telling it who you are.\n"
      "Exit codes: 0 yes/valid, 1 no/invalid, 2 error."};
  app.set_version_flag("--version", "yesno 0.1.0");
  app.add_flag("--json", out.json, "Machine-readable output (one JSON document)");
  app.require_subcommand(1);
  app.fallthrough();  // global options (--json) may also follow the subcommand

  yesno::SystemRng rng;
  yesno::SystemClock clock;
  yesno::cli::Env env;
  env.rng = &rng;
  env.clock = &clock;
  env.in = &std::cin;
  env.progress = isatty(STDERR_FILENO) != 0;
  if (isatty(STDIN_FILENO) != 0 && isatty(STDERR_FILENO) != 0) {
    // A person at a terminal can be asked (y/N); without one, consent needs --yes.
    env.confirm = [](const std::string& question) {
      std::cerr << question << " [y/N] " << std::flush;
      std::string line;
      if (!std::getline(std::cin, line)) return false;
      return line == "y" || line == "Y" || line == "yes" || line == "Yes";
    };
  }
  app.add_option("--wallet", env.global.wallet_path, "Wallet file (default: $XDG_DATA_HOME/yesno/wallet)");
  app.add_option("--key-file", env.global.key_file, "Unlock the wallet with this 32-byte key file instead of a passphrase");
  app.add_option("--ca-file", env.global.ca_file, "Trust this CA bundle for https instead of the system store");
  app.add_flag("--insecure-http", env.global.insecure_http, "Allow plain http to hosts other than loopback (testing only)");
  app.add_option("--timeout", env.global.timeout_seconds, "Seconds allowed for each network exchange")
      ->capture_default_str()
      ->check(CLI::Range(1, 300));

  std::function<int()> run;
  yesno::cli::AddWalletCommands(app, env, run);
  yesno::cli::AddTokenCommands(app, out, run);
  yesno::cli::AddBrowserCommands(app, env, run);

  if (auto stop = yesno::cli::ParseCommandLine(app, argc, argv, kExitError)) return *stop;
  env.out = out;
  if (!run) return kExitError;
  return run();
}
