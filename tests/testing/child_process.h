// child_process.h — start a server binary in the background for a test, read
// its "listening on URL" line, signal it, and always reap it.
#ifndef YESNO_TESTS_TESTING_CHILD_PROCESS_H_
#define YESNO_TESTS_TESTING_CHILD_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "testing/build_paths.h"

namespace yesno::testing {

class ChildProcess {
 public:
  // Start runs argv[0] (a path). stdout is a pipe read by ReadLine; stderr
  // goes to `stderr_path` (appended; empty = inherited).
  static std::unique_ptr<ChildProcess> Start(const std::vector<std::string>& argv, const std::string& stderr_path = "",
                                             const std::vector<std::string>& extra_env = {});
  ~ChildProcess();  // SIGKILL if still running, then reap

  // ReadLine returns the next stdout line (without '\n') or nullopt on
  // timeout/EOF.
  std::optional<std::string> ReadLine(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // WaitForListening reads lines until one contains "listening on " and
  // returns the URL after it.
  std::optional<std::string> WaitForListening(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  void Signal(int sig);
  // Wait returns the exit code (-1 if killed by a signal or timed out).
  int Wait(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  bool running() const { return running_; }
  pid_t pid() const { return pid_; }
  int term_signal() const { return term_signal_; }

 private:
  ChildProcess() = default;
  pid_t pid_ = -1;
  int out_fd_ = -1;
  bool running_ = false;
  int term_signal_ = 0;
  std::string pending_;
};

// FreePort asks the kernel for a currently free loopback TCP port.
int FreePort();

// RssKib is a process's resident set size in KiB (/proc/PID/status VmRSS),
// or -1 if it cannot be read.
long RssKib(pid_t pid);
// CpuSeconds is the CPU time a process (all its threads) has used so far:
// from its CPU clock (nanoseconds, the same clock CLOCK_THREAD_CPUTIME_ID
// reads for one thread), else /proc/PID/stat user + system (clock ticks);
// 0 if neither can be read.
double CpuSeconds(pid_t pid);
// UserSystemSeconds splits a process's CPU time into user and system
// (kernel) time, from /proc/PID/stat (clock ticks); {0, 0} if unreadable.
std::pair<double, double> UserSystemSeconds(pid_t pid);

}  // namespace yesno::testing

#endif  // YESNO_TESTS_TESTING_CHILD_PROCESS_H_
