// process.h — run the project's real binaries from tests.
#ifndef YESNO_TESTS_TESTING_PROCESS_H_
#define YESNO_TESTS_TESTING_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "testing/build_paths.h"

namespace yesno::testing {

struct ProcessResult {
  int exit_code = -1;  // -1 if killed by a signal or timed out
  int signal = 0;
  bool timed_out = false;
  std::string out;
  std::string err;
};

// RunProcess runs argv[0] (a path) with `argv`, feeds `input` to its stdin,
// collects stdout/stderr, and kills it after `timeout`.
ProcessResult RunProcess(const std::vector<std::string>& argv, const std::string& input = "",
                         std::chrono::milliseconds timeout = std::chrono::seconds(60),
                         const std::vector<std::string>& extra_env = {});

// TrimEnd drops trailing newlines, carriage returns and spaces (a command's
// one-line output).
std::string TrimEnd(std::string s);

}  // namespace yesno::testing

#endif  // YESNO_TESTS_TESTING_PROCESS_H_
