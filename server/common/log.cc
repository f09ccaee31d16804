#include "log.h"

#include <chrono>
#include <cstdio>
#include <ctime>
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

void LogEvent(std::string_view server, std::string_view message) {
  Emit({{"ts", Timestamp()}, {"server", server}, {"event", message}});
}

}  // namespace yesno::server
