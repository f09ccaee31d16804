// cli_util.h — what every `yesno` subcommand shares: exit codes, output in
// text or JSON, reading arguments that may come from stdin; and the command
// line parsing of all three programs.
#ifndef YESNO_IO_CLI_UTIL_H_
#define YESNO_IO_CLI_UTIL_H_

#include <CLI/CLI.hpp>
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "yesno/result.h"

namespace yesno::cli {

// Exit codes of the `yesno` program.
inline constexpr int kExitYes = 0;    // valid / yes / success
inline constexpr int kExitNo = 1;     // invalid / no
inline constexpr int kExitError = 2;  // usage, I/O, network, wallet errors

// Output carries the global --json choice and the streams.
struct Output {
  bool json = false;
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;

  // Result prints `doc` as one JSON line in JSON mode, else `text` + newline.
  void Result(const nlohmann::json& doc, std::string_view text) const;
  // Fail prints an error (JSON {"error": ...} or "yesno: error: ...") and
  // returns kExitError.
  int Fail(std::string_view message) const;
};

// ReadArgument returns `value`, or all of standard input (trimmed) when
// `value` is "-".
Result<std::string> ReadArgument(const std::string& value, std::istream& in);

// ParseCommandLine parses argv into `app` the way all three programs do:
// --help, --help-all and --version print and give exit code 0; a usage
// error prints CLI11's message and gives `usage_exit`. Returns the exit code
// when the program should stop now, nothing when it should go on.
std::optional<int> ParseCommandLine(CLI::App& app, int argc, char** argv, int usage_exit);

}  // namespace yesno::cli

#endif  // YESNO_IO_CLI_UTIL_H_
