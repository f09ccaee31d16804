// log.h — the servers' logs: one JSON line per request or event, on stderr.
//
// What may appear is fixed by the callers' types: server name, method, a
// fixed route name, status, latency and a fixed reason code. Never tokens,
// tickets, nonces, signatures, birth dates, query strings or client
// addresses.
#ifndef YESNO_SERVER_COMMON_LOG_H_
#define YESNO_SERVER_COMMON_LOG_H_

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "yesno/result.h"

namespace yesno::server {

// AccessLog writes the access log off the request path: a request appends
// its line to a buffer under a short lock; a writer thread writes the buffer
// in one write(2) every kFlushInterval, or sooner once it holds
// kFlushBytes. Lines written before a crash may be lost for up to
// kFlushInterval; on destruction everything is written.
class AccessLog {
 public:
  static constexpr std::size_t kFlushBytes = 64 * 1024;
  static constexpr std::size_t kMaxBufferedBytes = 4 * 1024 * 1024;  // beyond: lines are dropped and counted
  static constexpr auto kFlushInterval = std::chrono::milliseconds(100);

  // Open takes "stderr", "none" (nullptr: log nothing) or a file path
  // (created 0640 if needed, appended). kInvalidArgument if the file cannot
  // be opened.
  static Result<std::unique_ptr<AccessLog>> Open(std::string_view where);
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  // Request appends one line: the same fields as LogRequest.
  void Request(std::string_view server, std::string_view method, std::string_view route, unsigned status,
               double seconds, std::string_view reason);
  // Flush writes what is buffered now (tests, shutdown).
  void Flush();

 private:
  AccessLog(int fd, bool owns_fd);
  void Run();
  void WriteAll(const std::string& data);

  const int fd_;
  const bool owns_fd_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::string buffer_;
  std::size_t dropped_ = 0;
  bool stop_ = false;
  std::mutex write_mu_;
  std::thread writer_;
};

// LogRequest writes one request line to stderr at once (servers use AccessLog).
void LogRequest(std::string_view server, std::string_view method, std::string_view route, unsigned status,
                double seconds, std::string_view reason);
// LogEvent records a lifecycle event (start, drain, directory refresh...).
// `message` must not contain secrets.
void LogEvent(std::string_view server, std::string_view message);

}  // namespace yesno::server

#endif  // YESNO_SERVER_COMMON_LOG_H_
