// http_server.h — the one Beast scaffold both yesno servers run on.
//
// A multi-threaded asynchronous HTTP/1.1 server (Beast's callback style, as in
// advanced_server.cpp) with every network input limited in size and time:
// bodies ≤ 64 KiB, headers ≤ 8 KiB, a deadline for each request and each
// response, an idle keep-alive timeout, and a connection cap. Optional TLS.
// Requests go to one synchronous handler (a Router); every request is logged
// in one line without client addresses, tokens or query strings.
// SIGTERM/SIGINT stop accepting, let in-flight requests finish, and return.
#ifndef YESNO_SERVER_COMMON_HTTP_SERVER_H_
#define YESNO_SERVER_COMMON_HTTP_SERVER_H_

#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "yesno/result.h"

namespace yesno::server {

namespace http = boost::beast::http;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

struct ServerLimits {
  std::size_t max_body_bytes = 64 * 1024;
  std::uint32_t max_header_bytes = 8 * 1024;
  // A request must arrive completely within read_timeout of the connection
  // opening or of the previous response (so idle keep-alive connections and
  // slow senders are both cut off).
  std::chrono::milliseconds read_timeout{10'000};
  std::chrono::milliseconds write_timeout{10'000};
  std::size_t max_connections = 1024;
  std::chrono::milliseconds drain_timeout{10'000};    // after SIGTERM, then force-close
};

struct ServerOptions {
  std::string name = "yesno";        // for logs: "yesno-issuer", "yesno-verifier"
  std::string listen = "127.0.0.1:0";
  int threads = 2;
  std::string tls_cert_file;         // both empty: plain HTTP
  std::string tls_key_file;
  // access_log: "stderr" (default), "none", or a file path (appended). The
  // lines are written by a background thread (log.h, AccessLog).
  std::string access_log = "stderr";
  ServerLimits limits;
};

// RequestLog is filled by handlers with what the access log may say.
struct RequestLog {
  std::string route;   // a fixed route name; never the raw target
  std::string reason;  // a fixed reason code, or empty
};

using Handler = std::function<Response(const Request&, RequestLog&)>;
// Observer sees every finished request (metrics): route, status, seconds.
using Observer = std::function<void(const RequestLog&, unsigned status, double seconds)>;

class HttpServer {
 public:
  // Create binds `options.listen` ("host:port", port 0 = ephemeral) and loads
  // TLS files if given. Nothing runs until Run().
  static Result<std::unique_ptr<HttpServer>> Create(ServerOptions options, Handler handler, Observer observer = {});
  ~HttpServer();

  // port is the bound port (useful with port 0).
  std::uint16_t port() const;
  // url is "http(s)://host:port".
  std::string url() const;

  // Run serves on `threads` threads until Stop() (or SIGTERM/SIGINT when
  // `handle_signals`) has drained the in-flight requests. Returns 0.
  int Run(bool handle_signals = true);
  // Stop begins a graceful shutdown; safe from any thread.
  void Stop();

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// --- response helpers -------------------------------------------------------

// MakeResponse builds a response with the request's version and keep-alive.
Response MakeResponse(const Request& req, http::status status, std::string content_type, std::string body);
// JsonError is {"error": reason} with `status`; the reason is also logged.
Response JsonError(const Request& req, http::status status, std::string_view reason, RequestLog& log);
// PathOf returns the target without its query string.
std::string_view PathOf(const Request& req);
// PercentDecode decodes %XX escapes (nullopt on a bad or cut-off escape);
// with `plus_is_space` (query strings, form encoding) '+' becomes ' '.
std::optional<std::string> PercentDecode(std::string_view in, bool plus_is_space);
// QueryParam returns the percent-decoded value of `name` in the query string.
std::optional<std::string> QueryParam(const Request& req, std::string_view name);
// BearerToken returns the token of "Authorization: Bearer <token>", if any.
std::optional<std::string> BearerToken(const Request& req);
// HasContentType compares the media type of Content-Type, ignoring parameters
// and case.
bool HasContentType(const Request& req, std::string_view media_type);

// Router maps (method, path) to handlers: unknown path → 404, known path with
// another method → 405. Routes are exact paths.
class Router {
 public:
  void Add(http::verb method, std::string path, Handler handler);
  Response operator()(const Request& req, RequestLog& log) const;

 private:
  struct Route {
    http::verb method;
    std::string path;
    Handler handler;
  };
  std::vector<Route> routes_;
};

// ParseListen splits "host:port".
Result<std::pair<std::string, std::uint16_t>> ParseListen(std::string_view listen);

}  // namespace yesno::server

#endif  // YESNO_SERVER_COMMON_HTTP_SERVER_H_
