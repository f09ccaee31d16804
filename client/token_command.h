// token_command.h — `yesno token verify|inspect`: developer tools for
// Privacy Pass type-0x0002 tokens.
#ifndef YESNO_CLIENT_TOKEN_COMMAND_H_
#define YESNO_CLIENT_TOKEN_COMMAND_H_

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "cli_util.h"

namespace yesno::cli {

struct TokenVerifyArgs {
  std::string key;        // SPKI, base64url
  std::string token;      // Token, base64url ("-" = stdin)
  std::string challenge;  // TokenChallenge, base64url; optional
};

struct TokenInspectArgs {
  std::string token;
};

// RunTokenVerify prints "valid" (exit 0) or "invalid: <reason>" (exit 1);
// unusable arguments exit 2.
int RunTokenVerify(const TokenVerifyArgs& args, const Output& out, std::istream& in);
// RunTokenInspect prints the token's fields as JSON (exit 0) or fails (2).
int RunTokenInspect(const TokenInspectArgs& args, const Output& out, std::istream& in);

// AddTokenCommands registers `token verify` and `token inspect` under `app`;
// the chosen command is stored into `run`.
void AddTokenCommands(CLI::App& app, const Output& out, std::function<int()>& run);

}  // namespace yesno::cli

#endif  // YESNO_CLIENT_TOKEN_COMMAND_H_
