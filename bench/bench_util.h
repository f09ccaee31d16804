// bench_util.h — small helpers shared by yesno_verifier_bench and
// yesno_system_bench: fail-fast unwrapping, CPU clocks and order statistics.
#ifndef YESNO_BENCH_BENCH_UTIL_H_
#define YESNO_BENCH_BENCH_UTIL_H_

#include <sched.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <filesystem>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "yesno/result.h"

namespace yesno::bench {

// Die prints "<program>: <what>" and exits 1: a benchmark cannot measure
// anything meaningful after a failed step.
[[noreturn]] inline void Die(const std::string& what) {
  std::fprintf(stderr, "%s: %s\n", program_invocation_short_name, what.c_str());
  std::exit(1);
}

template <class T>
T Must(Result<T> r, const std::string& what) {
  if (!r.ok()) Die(what + ": " + r.error().message);
  return std::move(*r);
}

inline double Seconds(std::chrono::steady_clock::duration d) { return std::chrono::duration<double>(d).count(); }

// ThreadCpuSeconds is this thread's CPU time: single-threaded in-process and
// ceiling figures use it, so time spent preempted by other work on the
// machine does not count (as in yesno_core_bench).
inline double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// ChildrenCpuSeconds is the user + system CPU time of the reaped children.
inline double ChildrenCpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_CHILDREN, &ru);
  auto s = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) * 1e-6; };
  return s(ru.ru_utime) + s(ru.ru_stime);
}

// PinThisThread keeps the calling thread on `cpu`; PinProcess keeps every
// thread of process `pid` on `cpu`. Pinning the server to one CPU and the
// load client to the other fixes where the scheduler puts them, which
// otherwise changes from run to run (and with it the server's CPU per
// request: a client thread sharing its CPU costs it context switches).
inline void PinThisThread(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof(set), &set) != 0) Die("sched_setaffinity: cannot use CPU " + std::to_string(cpu));
}
// PinnedThread keeps the calling thread on `cpu` for its lifetime, then
// gives it back the CPUs it had.
class PinnedThread {
 public:
  explicit PinnedThread(int cpu) {
    sched_getaffinity(0, sizeof(saved_), &saved_);
    PinThisThread(cpu);
  }
  ~PinnedThread() { sched_setaffinity(0, sizeof(saved_), &saved_); }
  PinnedThread(const PinnedThread&) = delete;
  PinnedThread& operator=(const PinnedThread&) = delete;

 private:
  cpu_set_t saved_;
};
inline void PinProcess(int pid, int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    const int tid = std::atoi(task.path().filename().c_str());
    if (tid > 0 && sched_setaffinity(tid, sizeof(set), &set) != 0) {
      Die("sched_setaffinity: cannot move the server to CPU " + std::to_string(cpu));
    }
  }
  if (ec) Die("cannot list the threads of process " + std::to_string(pid));
}

inline double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// Percentile of an already sorted vector, p in [0, 1].
inline double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  return sorted[static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1))];
}

}  // namespace yesno::bench

#endif  // YESNO_BENCH_BENCH_UTIL_H_
