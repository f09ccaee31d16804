// log.h — the servers' logs: one JSON line per request or event, on stderr.
//
// What may appear is fixed by the callers' types: server name, method, a
// fixed route name, status, latency and a fixed reason code. Never tokens,
// tickets, nonces, signatures, birth dates, query strings or client
// addresses.
#ifndef YESNO_SERVER_COMMON_LOG_H_
#define YESNO_SERVER_COMMON_LOG_H_

#include <string_view>

namespace yesno::server {

void LogRequest(std::string_view server, std::string_view method, std::string_view route, unsigned status,
                double seconds, std::string_view reason);
// LogEvent records a lifecycle event (start, drain, directory refresh...).
// `message` must not contain secrets.
void LogEvent(std::string_view server, std::string_view message);

}  // namespace yesno::server

#endif  // YESNO_SERVER_COMMON_LOG_H_
