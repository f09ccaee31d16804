// load_client.h — the HTTP load client of yesno_verifier_bench and
// yesno_system_bench: keep-alive connections on loopback to a server this
// process started, one thread each, while the server's RSS is sampled and its
// CPU time measured.
#ifndef YESNO_BENCH_LOAD_CLIENT_H_
#define YESNO_BENCH_LOAD_CLIENT_H_

#include <sys/types.h>

#include <boost/beast/http.hpp>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace yesno::bench {

struct LoadOptions {
  pid_t server_pid = -1;          // whose RSS and CPU are measured
  std::string host = "127.0.0.1";
  unsigned short port = 0;
  int connections = 2;            // keep-alive connections, one client thread each
  double max_seconds = 5;         // stop sending after this long...
  std::size_t count = 0;          // ...or after this many requests, whichever comes first
  std::size_t body_limit = 64 * 1024;
  int read_timeout_seconds = 5;   // bounds every read
  // poll: wait for each response by retrying non-blocking reads instead of
  // sleeping in the kernel. On loopback the server's send runs the client's
  // TCP receive path and, if a client thread sleeps, its wake-up (an
  // inter-processor interrupt: on this guest a hypervisor exit), all counted
  // as the server's CPU; over a network that is the client machine's work.
  bool poll = false;
  int client_cpu = -1;            // >= 0: the client threads run on this CPU only
  double settle_seconds = 0.3;    // idle wait before the run (the "idle" RSS sample)
};

struct LoadResult {
  std::size_t done = 0;             // responses read and accepted by `on_response`
  std::size_t started = 0;          // request indices handed out (<= count)
  double seconds = 0;               // wall time of the run
  std::vector<double> latencies_us; // per request, sorted
  double server_cpu_seconds = 0;    // the server's user + system CPU during the run
  long rss_idle_kib = 0;            // the server's RSS before the run
  long rss_load_kib = 0;            // its largest RSS during the run (20 ms samples)
};

// RunLoad sends request(i) for i = 0, 1, ... (each i once, across all
// connections) and reads each response. `on_response` runs on the client
// threads (concurrently); returning false stops that connection. A
// connection also stops at a write or read error (the server closed it).
LoadResult RunLoad(const LoadOptions& options, const std::function<const std::string&(std::size_t)>& request,
                   const std::function<bool(const boost::beast::http::response<boost::beast::http::string_body>&)>&
                       on_response);

}  // namespace yesno::bench

#endif  // YESNO_BENCH_LOAD_CLIENT_H_
