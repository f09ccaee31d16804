// main.cc — the `yesno` program: a table of subcommands, each a thin shell
// around one Result-returning call into yesno_core.
#include <CLI/CLI.hpp>
#include <functional>
#include <iostream>

#include "cli_util.h"
#include "token_command.h"
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

  std::function<int()> run;
  yesno::cli::AddTokenCommands(app, out, run);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitError;
  }
  if (!run) return kExitError;
  return run();
}
