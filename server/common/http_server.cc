// http_server.cc — listener, sessions (plain and TLS), limits, drain.
#include "http_server.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <strings.h>

#include <atomic>
#include <charconv>
#include <list>
#include <mutex>
#include <thread>
#include <vector>

#include "log.h"

namespace yesno::server {

namespace beast = boost::beast;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

class SessionBase;

struct HttpServer::Impl {
  ServerOptions options;
  Handler handler;
  Observer observer;
  net::io_context ioc;
  std::optional<ssl::context> ssl_ctx;
  tcp::acceptor acceptor;
  net::signal_set signals;
  net::steady_timer drain_timer;
  std::atomic<bool> draining{false};
  std::atomic<std::size_t> active{0};
  std::mutex sessions_mu;
  std::list<std::weak_ptr<SessionBase>> sessions;
  std::uint16_t port = 0;
  bool tls = false;
  std::unique_ptr<AccessLog> access_log;  // null: --access-log none

  explicit Impl(int threads)
      : ioc(threads), acceptor(net::make_strand(ioc)), signals(ioc), drain_timer(ioc) {}

  void DoAccept();
  void OnAccept(beast::error_code ec, tcp::socket socket);
  void BeginDrain();
  void SessionEnded();
};

// --- sessions -----------------------------------------------------------------

class SessionBase : public std::enable_shared_from_this<SessionBase> {
 public:
  virtual ~SessionBase() = default;
  // RequestShutdown closes the connection if it is waiting for a request;
  // a request in progress finishes first (its response says Connection: close).
  virtual void RequestShutdown() = 0;
  std::list<std::weak_ptr<SessionBase>>::iterator registry_pos;
};

template <class Derived>
class HttpSession : public SessionBase {
 public:
  explicit HttpSession(HttpServer::Impl& server) : server_(server) {}
  ~HttpSession() override {
    {
      std::lock_guard<std::mutex> lock(server_.sessions_mu);
      server_.sessions.erase(registry_pos);
    }
    server_.SessionEnded();
  }

  void RequestShutdown() override {
    net::dispatch(derived().stream().get_executor(), [self = derived().shared_from_this()] {
      self->draining_ = true;
      if (self->reading_ && (!self->parser_ || !self->parser_->got_some())) self->derived().Close();
    });
  }

 protected:
  Derived& derived() { return static_cast<Derived&>(*this); }

  void DoRead() {
    if (draining_ || server_.draining) return derived().Close();
    parser_.emplace();
    parser_->body_limit(server_.options.limits.max_body_bytes);
    parser_->header_limit(server_.options.limits.max_header_bytes);
    beast::get_lowest_layer(derived().stream()).expires_after(server_.options.limits.read_timeout);
    reading_ = true;
    http::async_read(derived().stream(), buffer_, *parser_,
                     beast::bind_front_handler(&HttpSession::OnRead, derived().shared_from_this()));
  }

  void OnRead(beast::error_code ec, std::size_t) {
    reading_ = false;
    const auto start = Clock::now();
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == net::error::operation_aborted ||
        ec == net::error::connection_reset || ec == net::error::eof) {
      return derived().Close();
    }
    if (ec) {
      // The request did not parse or broke a limit: answer once, then close.
      http::status status = http::status::bad_request;
      std::string reason = "malformed_http";
      if (ec == http::error::body_limit) {
        status = http::status::payload_too_large;
        reason = "body_too_large";
      } else if (ec == http::error::header_limit) {
        status = http::status::request_header_fields_too_large;
        reason = "headers_too_large";
      } else if (ec.category() != http::make_error_code(http::error::bad_target).category()) {
        return derived().Close();  // transport error: nobody to answer
      }
      Response res{status, 11};
      res.set(http::field::content_type, "application/json");
      res.set(http::field::server, server_.options.name);
      res.body() = "{\"error\":\"" + reason + "\"}";
      res.keep_alive(false);
      res.prepare_payload();
      RequestLog log{"-", reason};
      Finish(std::move(res), log, "-", start);
      return;
    }
    Request req = parser_->release();
    RequestLog log;
    Response res;
    try {
      res = server_.handler(req, log);
    } catch (const std::exception&) {
      // Handlers return errors as values; an exception is a bug. Answer 500
      // without detail and keep serving.
      log.reason = "internal";
      res = MakeResponse(req, http::status::internal_server_error, "application/json", "{\"error\":\"internal\"}");
    }
    res.set(http::field::server, server_.options.name);
    if (draining_ || server_.draining) res.keep_alive(false);
    res.prepare_payload();
    // HEAD: the GET answer's headers (Content-Length included), no body (RFC 9110 §9.3.2).
    if (req.method() == http::verb::head) res.body().clear();
    Finish(std::move(res), log, std::string(req.method_string()), start);
  }

  void Finish(Response res, const RequestLog& log, const std::string& method, Clock::time_point start) {
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (server_.access_log) {
      server_.access_log->Request(server_.options.name, method, log.route.empty() ? "-" : log.route,
                                  res.result_int(), seconds, log.reason);
    }
    if (server_.observer) server_.observer(log, res.result_int(), seconds);
    res_ = std::move(res);
    beast::get_lowest_layer(derived().stream()).expires_after(server_.options.limits.write_timeout);
    http::async_write(derived().stream(), res_,
                      beast::bind_front_handler(&HttpSession::OnWrite, derived().shared_from_this()));
  }

  void OnWrite(beast::error_code ec, std::size_t) {
    if (ec) return derived().Close();
    if (!res_.keep_alive()) return derived().Close();
    res_ = {};
    DoRead();
  }

  HttpServer::Impl& server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Response res_;
  bool reading_ = false;
  bool draining_ = false;
};

class PlainSession : public HttpSession<PlainSession> {
 public:
  PlainSession(HttpServer::Impl& server, tcp::socket&& socket)
      : HttpSession<PlainSession>(server), stream_(std::move(socket)) {}
  beast::tcp_stream& stream() { return stream_; }
  std::shared_ptr<PlainSession> shared_from_this() {
    return std::static_pointer_cast<PlainSession>(SessionBase::shared_from_this());
  }
  void Start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->DoRead(); });
  }
  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

 private:
  beast::tcp_stream stream_;
};

class TlsSession : public HttpSession<TlsSession> {
 public:
  TlsSession(HttpServer::Impl& server, tcp::socket&& socket, ssl::context& ctx)
      : HttpSession<TlsSession>(server), stream_(std::move(socket), ctx) {}
  beast::ssl_stream<beast::tcp_stream>& stream() { return stream_; }
  std::shared_ptr<TlsSession> shared_from_this() {
    return std::static_pointer_cast<TlsSession>(SessionBase::shared_from_this());
  }
  void Start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      beast::get_lowest_layer(self->stream_).expires_after(self->server_.options.limits.read_timeout);
      self->reading_ = true;
      self->stream_.async_handshake(ssl::stream_base::server,
                                    [self](beast::error_code ec) {
                                      self->reading_ = false;
                                      if (ec) return self->CloseNow();
                                      self->DoRead();
                                    });
    });
  }
  void Close() {
    if (closing_) return;
    closing_ = true;
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
    stream_.async_shutdown([self = shared_from_this()](beast::error_code) { self->CloseNow(); });
  }
  void CloseNow() { beast::get_lowest_layer(stream_).close(); }

 private:
  beast::ssl_stream<beast::tcp_stream> stream_;
  bool closing_ = false;
};

// --- listener -------------------------------------------------------------------

void HttpServer::Impl::DoAccept() {
  acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    OnAccept(ec, std::move(socket));
  });
}

void HttpServer::Impl::OnAccept(beast::error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || draining) return;
  if (!ec) {
    if (active.load() >= options.limits.max_connections) {
      beast::error_code ignored;
      socket.close(ignored);  // over the cap: refuse at once, keep serving the rest
    } else {
      active.fetch_add(1);
      std::shared_ptr<SessionBase> session;
      if (tls) {
        auto s = std::make_shared<TlsSession>(*this, std::move(socket), *ssl_ctx);
        session = s;
        {
          std::lock_guard<std::mutex> lock(sessions_mu);
          s->registry_pos = sessions.insert(sessions.end(), session);
        }
        s->Start();
      } else {
        auto s = std::make_shared<PlainSession>(*this, std::move(socket));
        session = s;
        {
          std::lock_guard<std::mutex> lock(sessions_mu);
          s->registry_pos = sessions.insert(sessions.end(), session);
        }
        s->Start();
      }
    }
  } else if (ec == net::error::no_descriptors) {
    // Out of file descriptors: back off briefly instead of spinning.
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  DoAccept();
}

void HttpServer::Impl::BeginDrain() {
  if (draining.exchange(true)) return;
  LogEvent(options.name, "draining: no new connections, finishing in-flight requests");
  net::post(acceptor.get_executor(), [this] {
    beast::error_code ec;
    acceptor.close(ec);
  });
  beast::error_code ec;
  signals.cancel(ec);
  std::vector<std::shared_ptr<SessionBase>> live;
  {
    std::lock_guard<std::mutex> lock(sessions_mu);
    for (auto& w : sessions) {
      if (auto s = w.lock()) live.push_back(std::move(s));
    }
  }
  for (auto& s : live) s->RequestShutdown();
  live.clear();
  drain_timer.expires_after(options.limits.drain_timeout);
  drain_timer.async_wait([this](beast::error_code wait_ec) {
    if (!wait_ec) {
      LogEvent(options.name, "drain timeout: closing remaining connections");
      ioc.stop();
    }
  });
  if (active.load() == 0) drain_timer.cancel();
}

void HttpServer::Impl::SessionEnded() {
  if (active.fetch_sub(1) == 1 && draining) {
    net::post(ioc, [this] { drain_timer.cancel(); });
  }
}

// --- HttpServer -----------------------------------------------------------------

Result<std::pair<std::string, std::uint16_t>> ParseListen(std::string_view listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return MakeError(ErrorCode::kInvalidArgument, "--listen must be HOST:PORT, e.g. 127.0.0.1:8080");
  }
  std::string host(listen.substr(0, colon));
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host == "localhost") host = "127.0.0.1";
  unsigned port = 0;
  const std::string_view port_text = listen.substr(colon + 1);
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port > 65535) {
    return MakeError(ErrorCode::kInvalidArgument, "--listen port must be 0..65535");
  }
  return std::make_pair(host, static_cast<std::uint16_t>(port));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() = default;

Result<std::unique_ptr<HttpServer>> HttpServer::Create(ServerOptions options, Handler handler, Observer observer) {
  auto listen = ParseListen(options.listen);
  if (!listen.ok()) return listen.error();
  beast::error_code ec;
  const auto address = net::ip::make_address(listen->first, ec);
  if (ec) return MakeError(ErrorCode::kInvalidArgument, "--listen host must be an IP address: " + listen->first);
  if (options.threads < 1) options.threads = 1;

  auto impl = std::make_unique<Impl>(options.threads);
  auto access_log = AccessLog::Open(options.access_log);
  if (!access_log.ok()) return access_log.error();
  impl->access_log = std::move(*access_log);
  impl->handler = std::move(handler);
  impl->observer = std::move(observer);

  if (!options.tls_cert_file.empty() || !options.tls_key_file.empty()) {
    if (options.tls_cert_file.empty() || options.tls_key_file.empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "--tls-cert and --tls-key go together");
    }
    impl->ssl_ctx.emplace(ssl::context::tls_server);
    impl->ssl_ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                               ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
    impl->ssl_ctx->use_certificate_chain_file(options.tls_cert_file, ec);
    if (ec) return MakeError(ErrorCode::kInvalidArgument, "cannot load --tls-cert " + options.tls_cert_file);
    impl->ssl_ctx->use_private_key_file(options.tls_key_file, ssl::context::pem, ec);
    if (ec) return MakeError(ErrorCode::kInvalidArgument, "cannot load --tls-key " + options.tls_key_file);
    impl->tls = true;
  }

  const tcp::endpoint endpoint(address, listen->second);
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return MakeError(ErrorCode::kUnavailable, "cannot listen on " + options.listen + ": " + ec.message());
  impl->port = impl->acceptor.local_endpoint().port();
  impl->options = std::move(options);
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

std::uint16_t HttpServer::port() const { return impl_->port; }

std::string HttpServer::url() const {
  auto listen = ParseListen(impl_->options.listen);
  std::string host = listen.ok() ? listen->first : "127.0.0.1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return std::string(impl_->tls ? "https" : "http") + "://" + host + ":" + std::to_string(impl_->port);
}

int HttpServer::Run(bool handle_signals) {
  Impl& s = *impl_;
  if (handle_signals) {
    s.signals.add(SIGINT);
    s.signals.add(SIGTERM);
    s.signals.async_wait([&s](beast::error_code ec, int) {
      if (!ec) s.BeginDrain();
    });
  }
  s.DoAccept();
  std::vector<std::thread> threads;
  for (int i = 1; i < s.options.threads; ++i) threads.emplace_back([&s] { s.ioc.run(); });
  s.ioc.run();
  for (auto& t : threads) t.join();
  if (s.access_log) s.access_log->Flush();
  LogEvent(s.options.name, "stopped");
  return 0;
}

void HttpServer::Stop() {
  net::post(impl_->ioc, [impl = impl_.get()] { impl->BeginDrain(); });
}

// --- helpers ----------------------------------------------------------------------

Response MakeResponse(const Request& req, http::status status, std::string content_type, std::string body) {
  Response res{status, req.version()};
  res.set(http::field::content_type, std::move(content_type));
  res.set(http::field::cache_control, "no-store");
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

Response JsonError(const Request& req, http::status status, std::string_view reason, RequestLog& log) {
  log.reason = std::string(reason);
  return MakeResponse(req, status, "application/json", "{\"error\":\"" + std::string(reason) + "\"}");
}

std::string_view PathOf(const Request& req) {
  std::string_view target(req.target().data(), req.target().size());
  return target.substr(0, target.find('?'));
}

namespace {
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::optional<std::string> PercentDecode(std::string_view in, bool plus_is_space) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%') {
      if (i + 2 >= in.size()) return std::nullopt;
      const int hi = HexValue(in[i + 1]), lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (plus_is_space && in[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

std::optional<std::string> QueryParam(const Request& req, std::string_view name) {
  std::string_view target(req.target().data(), req.target().size());
  const auto q = target.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      return eq == std::string_view::npos ? std::string() : PercentDecode(pair.substr(eq + 1), /*plus_is_space=*/true);
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

std::optional<std::string> BearerToken(const Request& req) {
  auto it = req.find(http::field::authorization);
  if (it == req.end()) return std::nullopt;
  std::string_view v(it->value().data(), it->value().size());
  constexpr std::string_view kBearer = "Bearer ";
  if (v.size() <= kBearer.size() || strncasecmp(v.data(), kBearer.data(), kBearer.size()) != 0) return std::nullopt;
  v.remove_prefix(kBearer.size());
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  if (v.empty()) return std::nullopt;
  return std::string(v);
}

bool HasContentType(const Request& req, std::string_view media_type) {
  auto it = req.find(http::field::content_type);
  if (it == req.end()) return false;
  std::string_view v(it->value().data(), it->value().size());
  v = v.substr(0, v.find(';'));
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  return v.size() == media_type.size() && strncasecmp(v.data(), media_type.data(), v.size()) == 0;
}

void Router::Add(http::verb method, std::string path, Handler handler) {
  routes_.push_back(Route{method, std::move(path), std::move(handler)});
}

Response Router::operator()(const Request& req, RequestLog& log) const {
  const std::string_view path = PathOf(req);
  bool path_known = false;
  for (const auto& r : routes_) {
    if (r.path != path) continue;
    path_known = true;
    if (r.method == req.method() || (r.method == http::verb::get && req.method() == http::verb::head)) {
      log.route = r.path;
      return r.handler(req, log);
    }
  }
  if (path_known) {
    log.route = std::string(path);
    return JsonError(req, http::status::method_not_allowed, "method_not_allowed", log);
  }
  log.route = "(unknown)";  // never log an arbitrary target
  return JsonError(req, http::status::not_found, "not_found", log);
}

}  // namespace yesno::server
