#include "load_client.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <chrono>
#include <mutex>
#include <thread>

#include "bench_util.h"
#include "testing/child_process.h"

namespace yesno::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

LoadResult RunLoad(const LoadOptions& options, const std::function<const std::string&(std::size_t)>& request,
                   const std::function<bool(const http::response<http::string_body>&)>& on_response) {
  LoadResult result;
  std::this_thread::sleep_for(std::chrono::duration<double>(options.settle_seconds));  // settle before "idle"
  result.rss_idle_kib = testing::RssKib(options.server_pid);

  std::atomic<bool> sampling{true};
  std::atomic<long> rss_max{result.rss_idle_kib};
  std::thread sampler([&] {
    while (sampling) {
      rss_max = std::max(rss_max.load(), testing::RssKib(options.server_pid));
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });

  std::atomic<std::size_t> next{0};
  std::mutex mu;
  const double cpu_before = testing::CpuSeconds(options.server_pid);
  const auto start = SteadyClock::now();
  const auto deadline =
      start + std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(options.max_seconds));
  std::vector<std::thread> clients;
  for (int c = 0; c < options.connections; ++c) {
    clients.emplace_back([&] {
      if (options.client_cpu >= 0) PinThisThread(options.client_cpu);
      asio::io_context ioc;
      tcp::socket sock(ioc);
      boost::system::error_code ec;
      sock.connect(tcp::endpoint(asio::ip::make_address(options.host), options.port), ec);
      if (ec) Die("connect: " + ec.message());
      sock.set_option(tcp::no_delay(true));
      timeval tv{options.read_timeout_seconds, 0};
      setsockopt(sock.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
      beast::flat_buffer buffer;
      // Reads resume where a would-block left them: the parser and buffer
      // keep what arrived so far.
      const auto read_response = [&](http::response_parser<http::string_body>& parser) {
        if (!options.poll) {
          http::read(sock, buffer, parser, ec);
          return;
        }
        const auto give_up = SteadyClock::now() + std::chrono::seconds(options.read_timeout_seconds);
        do {
          http::read(sock, buffer, parser, ec);
        } while (ec == asio::error::would_block && SteadyClock::now() < give_up);
      };
      std::vector<double> mine;
      if (options.poll) sock.non_blocking(true);
      while (SteadyClock::now() < deadline) {
        const std::size_t i = next.fetch_add(1);
        if (i >= options.count) break;
        const auto t0 = SteadyClock::now();
        // (A request fits the socket's send buffer; a polling client's
        // non-blocking write still retries a would-block.)
        std::size_t sent = 0;
        const std::string& bytes = request(i);
        do {
          sent += asio::write(sock, asio::buffer(bytes.data() + sent, bytes.size() - sent), ec);
        } while (ec == asio::error::would_block && sent < bytes.size());
        if (ec) break;
        http::response_parser<http::string_body> parser;
        parser.body_limit(options.body_limit);
        read_response(parser);
        if (ec) break;
        const double us = Seconds(SteadyClock::now() - t0) * 1e6;
        if (!on_response(parser.get())) break;
        mine.push_back(us);
      }
      std::lock_guard<std::mutex> lock(mu);
      result.latencies_us.insert(result.latencies_us.end(), mine.begin(), mine.end());
    });
  }
  for (auto& c : clients) c.join();
  result.seconds = Seconds(SteadyClock::now() - start);
  result.server_cpu_seconds = testing::CpuSeconds(options.server_pid) - cpu_before;
  sampling = false;
  sampler.join();
  result.rss_load_kib = rss_max.load();
  result.done = result.latencies_us.size();
  result.started = std::min(next.load(), options.count);
  std::sort(result.latencies_us.begin(), result.latencies_us.end());
  return result;
}

}  // namespace yesno::bench
