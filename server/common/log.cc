#include "log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>

namespace yesno::server {
namespace {

std::mutex g_log_mu;

std::string Timestamp() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

void Emit(const nlohmann::json& line) {
  const std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::lock_guard<std::mutex> lock(g_log_mu);
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

}  // namespace

void LogRequest(std::string_view server, std::string_view method, std::string_view route, unsigned status,
                double seconds, std::string_view reason) {
  nlohmann::json line = {{"ts", Timestamp()},
                         {"server", server},
                         {"method", method},
                         {"route", route},
                         {"status", status},
                         {"latency_ms", static_cast<double>(static_cast<long long>(seconds * 1e6)) / 1e3}};
  if (!reason.empty()) line["reason"] = reason;
  Emit(line);
}

// --- AccessLog ---------------------------------------------------------------------

namespace {

// AppendJsonString appends `s` as a JSON string. The fields are fixed codes,
// but escape anyway.
void AppendJsonString(std::string& out, std::string_view s) {
  out.push_back('"');
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20 || u >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

// AppendTimestamp formats the time, reusing the date and time of day while
// the second has not changed (per thread).
void AppendTimestamp(std::string& out) {
  thread_local std::time_t cached_second = -1;
  thread_local char cached[64];
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  if (t != cached_second) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::snprintf(cached, sizeof cached, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    cached_second = t;
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  char buf[96];
  std::snprintf(buf, sizeof buf, "\"%s.%03dZ\"", cached, static_cast<int>(ms));
  out += buf;
}

}  // namespace

Result<std::unique_ptr<AccessLog>> AccessLog::Open(std::string_view where) {
  if (where == "none") return std::unique_ptr<AccessLog>();
  if (where == "stderr" || where.empty()) return std::unique_ptr<AccessLog>(new AccessLog(STDERR_FILENO, false));
  const std::string path(where);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) {
    return MakeError(ErrorCode::kInvalidArgument, "--access-log: cannot open " + path + ": " + std::strerror(errno));
  }
  return std::unique_ptr<AccessLog>(new AccessLog(fd, true));
}

AccessLog::AccessLog(int fd, bool owns_fd) : fd_(fd), owns_fd_(owns_fd) {
  buffer_.reserve(kFlushBytes * 2);
  writer_ = std::thread([this] { Run(); });
}

AccessLog::~AccessLog() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  writer_.join();
  Flush();
  if (owns_fd_) ::close(fd_);
}

void AccessLog::Request(std::string_view server, std::string_view method, std::string_view route, unsigned status,
                        double seconds, std::string_view reason) {
  // Keys in the order LogRequest (nlohmann::json) prints them.
  std::string line;
  line.reserve(192);
  char latency[32];
  std::snprintf(latency, sizeof latency, "%.3f", static_cast<double>(static_cast<long long>(seconds * 1e6)) / 1e3);
  line += "{\"latency_ms\":";
  line += latency;
  line += ",\"method\":";
  AppendJsonString(line, method);
  if (!reason.empty()) {
    line += ",\"reason\":";
    AppendJsonString(line, reason);
  }
  line += ",\"route\":";
  AppendJsonString(line, route);
  line += ",\"server\":";
  AppendJsonString(line, server);
  line += ",\"status\":";
  line += std::to_string(status);
  line += ",\"ts\":";
  AppendTimestamp(line);
  line += "}\n";
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (buffer_.size() + line.size() > kMaxBufferedBytes) {
      ++dropped_;
      return;
    }
    buffer_ += line;
    wake = buffer_.size() >= kFlushBytes;
  }
  if (wake) cv_.notify_one();
}

void AccessLog::WriteAll(const std::string& data) {
  std::size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::write(fd_, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere to log to: drop, never block requests
    off += static_cast<std::size_t>(n);
  }
}

void AccessLog::Flush() {
  std::lock_guard<std::mutex> write_lock(write_mu_);
  std::string out;
  std::size_t dropped = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    out.swap(buffer_);
    buffer_.reserve(kFlushBytes * 2);
    dropped = dropped_;
    dropped_ = 0;
  }
  if (dropped > 0) {
    out += "{\"event\":\"access log: " + std::to_string(dropped) + " lines dropped (writer behind)\",\"ts\":";
    AppendTimestamp(out);
    out += "}\n";
  }
  if (!out.empty()) WriteAll(out);
}

void AccessLog::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, kFlushInterval, [this] { return stop_ || buffer_.size() >= kFlushBytes; });
    lock.unlock();
    Flush();
    lock.lock();
  }
}

void LogEvent(std::string_view server, std::string_view message) {
  Emit({{"ts", Timestamp()}, {"server", server}, {"event", message}});
}

}  // namespace yesno::server
