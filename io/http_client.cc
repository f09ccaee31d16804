#include "http_client.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <charconv>
#include <memory>

namespace yesno::net {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

Error Unavailable(const std::string& what) { return MakeError(ErrorCode::kUnavailable, what); }

}  // namespace

Result<Url> ParseUrl(std::string_view text) {
  Url url;
  const auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) return MakeError(ErrorCode::kInvalidArgument, "URL needs http:// or https://");
  url.scheme = Lower(text.substr(0, scheme_end));
  if (url.scheme != "http" && url.scheme != "https") {
    return MakeError(ErrorCode::kInvalidArgument, "URL scheme must be http or https");
  }
  std::string_view rest = text.substr(scheme_end + 3);
  const auto path_start = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, path_start);
  std::string_view target = path_start == std::string_view::npos ? "/" : rest.substr(path_start);
  if (authority.find('@') != std::string_view::npos) return MakeError(ErrorCode::kInvalidArgument, "URL must not carry credentials");
  target = target.substr(0, target.find('#'));
  url.target = target.empty() || target[0] != '/' ? "/" + std::string(target) : std::string(target);
  std::string_view port_text;
  if (!authority.empty() && authority[0] == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return MakeError(ErrorCode::kInvalidArgument, "URL: bad IPv6 host");
    url.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return MakeError(ErrorCode::kInvalidArgument, "URL: bad port");
      port_text = authority.substr(close + 2);
    }
  } else {
    const auto colon = authority.rfind(':');
    url.host = Lower(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (url.host.empty()) return MakeError(ErrorCode::kInvalidArgument, "URL has no host");
  url.port = url.scheme == "https" ? 443 : 80;
  if (!port_text.empty()) {
    unsigned port = 0;
    auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port == 0 || port > 65535) {
      return MakeError(ErrorCode::kInvalidArgument, "URL: bad port");
    }
    url.port = static_cast<std::uint16_t>(port);
  }
  return url;
}

std::string Url::Origin() const {
  std::string out = scheme + "://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host);
  const bool default_port = (scheme == "https" && port == 443) || (scheme == "http" && port == 80);
  if (!default_port) out += ":" + std::to_string(port);
  return out;
}

Result<Url> Url::Resolve(std::string_view path_or_url) const {
  if (path_or_url.find("://") != std::string_view::npos) return ParseUrl(path_or_url);
  if (path_or_url.empty() || path_or_url[0] != '/') {
    return MakeError(ErrorCode::kInvalidArgument, "relative URL must start with '/'");
  }
  Url out = *this;
  out.target = std::string(path_or_url);
  return out;
}

bool Url::IsLoopback() const {
  if (host == "localhost" || host == "::1") return true;
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  return !ec && addr.is_loopback();
}

std::optional<std::string> HttpResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return std::nullopt;
}

Result<HttpResponse> HttpClient::Get(const Url& url, std::vector<std::pair<std::string, std::string>> headers) const {
  HttpRequest req;
  req.method = "GET";
  req.url = url;
  req.headers = std::move(headers);
  return Send(req);
}

namespace {

// Exchange runs one request on a private io_context; every step is bounded
// by the stream's deadline.
template <class Stream>
Result<HttpResponse> Exchange(asio::io_context& ioc, Stream& stream, const HttpRequest& request,
                              const tcp::resolver::results_type& endpoints, const HttpClientOptions& options,
                              bool tls) {
  auto& tcp_layer = beast::get_lowest_layer(stream);
  tcp_layer.expires_after(options.timeout);
  beast::error_code ec;
  bool done = false;

  http::request<http::string_body> req{http::string_to_verb(request.method), request.url.target, 11};
  // RFC 9110 §7.2: the port is part of Host unless it is the scheme's default
  // (servers that build absolute URLs from Host, e.g. OpenID Providers, need it).
  std::string host = request.url.host.find(':') != std::string::npos ? "[" + request.url.host + "]" : request.url.host;
  const bool default_port = request.url.port == (request.url.scheme == "https" ? 443 : 80);
  if (!default_port) host += ":" + std::to_string(request.url.port);
  req.set(http::field::host, host);
  req.set(http::field::user_agent, "yesno/0.1");
  for (const auto& [k, v] : request.headers) req.set(k, v);
  if (!request.content_type.empty()) req.set(http::field::content_type, request.content_type);
  if (!request.body.empty() || request.method == "POST") {
    req.body() = request.body;
    req.prepare_payload();
  }
  req.keep_alive(false);

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(options.max_response_bytes);
  parser.header_limit(16 * 1024);

  auto on_read = [&](beast::error_code e, std::size_t) {
    ec = e;
    done = true;
  };
  auto on_write = [&](beast::error_code e, std::size_t) {
    if (e) {
      ec = e;
      done = true;
      return;
    }
    http::async_read(stream, buffer, parser, on_read);
  };
  auto on_ready = [&](beast::error_code e) {
    if (e) {
      ec = e;
      done = true;
      return;
    }
    http::async_write(stream, req, on_write);
  };
  tcp_layer.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) {
    if (e || !tls) return on_ready(e);
    if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
      stream.async_handshake(ssl::stream_base::client, on_ready);
    }
  });
  ioc.run();
  if (!done) return Unavailable("request did not complete");
  if (ec == beast::error::timeout) return Unavailable("timed out after " + std::to_string(options.timeout.count()) + " ms");
  if (ec == http::error::body_limit) return Unavailable("response larger than " + std::to_string(options.max_response_bytes) + " bytes");
  if (ec) return Unavailable(ec.message());

  auto res = parser.release();
  HttpResponse out;
  out.status = res.result_int();
  for (const auto& field : res) {
    out.headers.emplace_back(Lower(std::string_view(field.name_string().data(), field.name_string().size())),
                             std::string(field.value().data(), field.value().size()));
  }
  if (auto ct = out.Header("content-type")) {
    std::string_view v = *ct;
    v = v.substr(0, v.find(';'));
    while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
    out.content_type = Lower(v);
  }
  out.body = std::move(res.body());
  return out;
}

}  // namespace

Result<HttpResponse> HttpClient::Send(const HttpRequest& request) const {
  const Url& url = request.url;
  const bool tls = url.scheme == "https";
  if (!tls && !url.IsLoopback() && !options_.allow_insecure_http) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "refusing plain http to " + url.host + " (use https, or --insecure-http for testing)");
  }
  asio::io_context ioc;
  tcp::resolver resolver(ioc);
  boost::system::error_code ec;
  auto endpoints = resolver.resolve(url.host == "localhost" ? "127.0.0.1" : url.host, std::to_string(url.port), ec);
  if (ec) return Unavailable("cannot resolve " + url.host + ": " + ec.message());

  if (!tls) {
    beast::tcp_stream stream(ioc);
    return Exchange(ioc, stream, request, endpoints, options_, false);
  }
  ssl::context ctx(ssl::context::tls_client);
  ctx.set_options(ssl::context::no_sslv2 | ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  if (options_.ca_file.empty()) {
    ctx.set_default_verify_paths(ec);
  } else {
    ctx.load_verify_file(options_.ca_file, ec);
  }
  if (ec) return MakeError(ErrorCode::kInvalidArgument, "cannot load CA certificates: " + ec.message());
  ctx.set_verify_mode(ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
  SSL* ssl_handle = stream.native_handle();
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl_handle);
  boost::system::error_code addr_ec;
  asio::ip::make_address(url.host, addr_ec);
  if (!addr_ec) {
    X509_VERIFY_PARAM_set1_ip_asc(param, url.host.c_str());
  } else {
    // SNI (SSL_set_tlsext_host_name without its C cast).
    SSL_ctrl(ssl_handle, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>(url.host.c_str()));
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    X509_VERIFY_PARAM_set1_host(param, url.host.c_str(), 0);
  }
  return Exchange(ioc, stream, request, endpoints, options_, true);
}

}  // namespace yesno::net
