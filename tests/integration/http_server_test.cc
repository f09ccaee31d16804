// http_server_test.cc — the shared Beast scaffold: routing, limits,
// timeouts, the connection cap, TLS, and graceful drain; driven by the
// project's HTTP client and by raw sockets for hostile input.
#include "http_server.h"

#include <boost/asio.hpp>
#include <future>
#include <thread>

#include "http_client.h"
#include "metrics.h"
#include "testing/process.h"
#include "testing/test_util.h"

namespace yesno::server {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

class ServerFixture {
 public:
  explicit ServerFixture(ServerOptions options, Handler handler) {
    options.listen = "127.0.0.1:0";
    auto s = HttpServer::Create(std::move(options), std::move(handler),
                                [this](const RequestLog& log, unsigned status, double secs) {
                                  metrics.ObserveRequest(log, status, secs);
                                });
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    server = std::move(*s);
    thread = std::thread([this] { server->Run(/*handle_signals=*/false); });
  }
  ~ServerFixture() {
    server->Stop();
    thread.join();
  }
  net::Url Url(const std::string& target) const {
    auto u = net::ParseUrl(server->url() + target);
    return *u;
  }
  Metrics metrics{"test"};
  std::unique_ptr<HttpServer> server;
  std::thread thread;
};

Router TestRouter(std::promise<void>* entered = nullptr, std::shared_future<void>* release = nullptr) {
  Router router;
  router.Add(http::verb::get, "/hello", [](const Request& req, RequestLog&) {
    return MakeResponse(req, http::status::ok, "text/plain", "hello");
  });
  router.Add(http::verb::post, "/echo", [](const Request& req, RequestLog&) {
    return MakeResponse(req, http::status::ok, "application/octet-stream", req.body());
  });
  router.Add(http::verb::get, "/slow", [entered, release](const Request& req, RequestLog&) {
    if (entered) entered->set_value();
    if (release) release->wait();
    return MakeResponse(req, http::status::ok, "text/plain", "done");
  });
  return router;
}

// RawExchange writes `bytes` on a fresh connection and reads until close.
std::string RawExchange(std::uint16_t port, const std::string& bytes, std::chrono::milliseconds pause = {}) {
  asio::io_context ioc;
  tcp::socket sock(ioc);
  sock.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  asio::write(sock, asio::buffer(bytes));
  if (pause.count() > 0) std::this_thread::sleep_for(pause);
  std::string out;
  boost::system::error_code ec;
  char buf[4096];
  while (true) {
    std::size_t n = sock.read_some(asio::buffer(buf), ec);
    if (ec) break;
    out.append(buf, n);
  }
  return out;
}

TEST(HttpServerTest, RoutesAndStatusCodes) {
  ServerFixture f(ServerOptions{}, TestRouter());
  net::HttpClient client;
  auto r = client.Get(f.Url("/hello"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 200u);
  EXPECT_EQ(r->body, "hello");
  EXPECT_EQ(r->content_type, "text/plain");
  r = client.Get(f.Url("/nope?token=secret"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 404u);
  EXPECT_EQ(r->body, "{\"error\":\"not_found\"}");
  r = client.Get(f.Url("/echo"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 405u);
  EXPECT_EQ(f.metrics.Get("requests_total", {{"route", "(unknown)"}, {"status", "404"}}), 1);
  EXPECT_EQ(f.metrics.Get("requests_total", {{"route", "/hello"}, {"status", "200"}}), 1);
}

TEST(MetricsTest, ObserveRequestCountsByRouteAndStatusAndRendersTheHistogram) {
  Metrics m{"t"};
  RequestLog log;
  log.route = "/verify";
  m.ObserveRequest(log, 200, 0.0003);
  m.ObserveRequest(log, 200, 0.002);
  m.ObserveRequest(log, 400, 3.0);
  log.route = "";
  m.ObserveRequest(log, 404, 0.0001);
  log.route = "/a\"b";
  m.ObserveRequest(log, 200, 0.0001);
  EXPECT_EQ(m.Get("requests_total", {{"route", "/verify"}, {"status", "200"}}), 2);
  EXPECT_EQ(m.Get("requests_total", {{"route", "/verify"}, {"status", "400"}}), 1);
  EXPECT_EQ(m.Get("requests_total", {{"route", "-"}, {"status", "404"}}), 1);
  EXPECT_EQ(m.Get("requests_total", {{"route", "/a\"b"}, {"status", "200"}}), 1);
  const std::string text = m.Render();
  EXPECT_NE(text.find("t_requests_total{route=\"/verify\",status=\"200\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("t_requests_total{route=\"/a\\\"b\",status=\"200\"} 1\n"), std::string::npos) << text;
  // Cumulative buckets: 0.0003 is under 0.0005, 0.002 under 0.0025, 3 s only in +Inf.
  EXPECT_NE(text.find("t_request_duration_seconds_bucket{route=\"/verify\",le=\"0.0005\"} 1\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("t_request_duration_seconds_bucket{route=\"/verify\",le=\"0.0025\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("t_request_duration_seconds_bucket{route=\"/verify\",le=\"2.5\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("t_request_duration_seconds_bucket{route=\"/verify\",le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("t_request_duration_seconds_count{route=\"/verify\"} 3\n"), std::string::npos);
}

TEST(HttpServerTest, BodyOverLimitGets413) {
  ServerOptions o;
  o.limits.max_body_bytes = 1024;
  ServerFixture f(o, TestRouter());
  net::HttpClient client;
  net::HttpRequest req;
  req.method = "POST";
  req.url = f.Url("/echo");
  req.body = std::string(1024, 'a');
  auto r = client.Send(req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200u);
  EXPECT_EQ(r->body.size(), 1024u);
  req.body = std::string(1025, 'a');
  r = client.Send(req);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 413u);
}

TEST(HttpServerTest, HeadersOverLimitGet431) {
  ServerFixture f(ServerOptions{}, TestRouter());
  const std::string big(9000, 'x');
  std::string reply = RawExchange(f.server->port(), "GET /hello HTTP/1.1\r\nHost: a\r\nX-Big: " + big + "\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 431", 0), 0u) << reply.substr(0, 80);
}

TEST(HttpServerTest, MalformedHttpGets400AndServerKeepsServing) {
  ServerFixture f(ServerOptions{}, TestRouter());
  std::string reply = RawExchange(f.server->port(), "GARBAGE\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0u) << reply.substr(0, 80);
  reply = RawExchange(f.server->port(), std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11));
  EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0u) << reply.substr(0, 80);
  net::HttpClient client;
  auto r = client.Get(f.Url("/hello"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200u);
}

TEST(HttpServerTest, SlowRequestIsCutOffAtTheReadTimeout) {
  ServerOptions o;
  o.limits.read_timeout = std::chrono::milliseconds(300);
  ServerFixture f(o, TestRouter());
  const auto start = std::chrono::steady_clock::now();
  // Half a request, then silence: the server closes without answering.
  std::string reply = RawExchange(f.server->port(), "GET /hello HTTP/1.1\r\nHo");
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(reply, "");
  EXPECT_LT(elapsed, std::chrono::seconds(3));
  EXPECT_GE(elapsed, std::chrono::milliseconds(250));
}

TEST(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  ServerFixture f(ServerOptions{}, TestRouter());
  std::string reply = RawExchange(f.server->port(),
                                  "GET /hello HTTP/1.1\r\nHost: a\r\n\r\nGET /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  std::size_t count = 0;
  for (std::size_t pos = 0; (pos = reply.find("HTTP/1.1 200", pos)) != std::string::npos; ++pos) ++count;
  EXPECT_EQ(count, 2u);
}

TEST(HttpServerTest, ConnectionCapRefusesExtraConnectionsAndRecovers) {
  ServerOptions o;
  o.limits.max_connections = 2;
  o.limits.read_timeout = std::chrono::milliseconds(500);
  ServerFixture f(o, TestRouter());
  asio::io_context ioc;
  std::vector<tcp::socket> idle;
  for (int i = 0; i < 2; ++i) {
    idle.emplace_back(ioc);
    idle.back().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), f.server->port()));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  net::HttpClient client;
  auto r = client.Get(f.Url("/hello"));
  EXPECT_FALSE(r.ok());  // refused while at the cap
  std::this_thread::sleep_for(std::chrono::milliseconds(800));  // idle ones time out
  r = client.Get(f.Url("/hello"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 200u);
}

TEST(HttpServerTest, StopDrainsAnInFlightRequest) {
  std::promise<void> entered;
  std::promise<void> release;
  std::shared_future<void> release_future = release.get_future().share();
  auto fixture = std::make_unique<ServerFixture>(ServerOptions{}, TestRouter(&entered, &release_future));
  const auto url = fixture->Url("/slow");
  auto pending = std::async(std::launch::async, [url] { return net::HttpClient().Get(url); });
  entered.get_future().wait();
  fixture->server->Stop();  // begins draining while /slow is being handled
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  release.set_value();
  auto r = pending.get();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 200u);
  EXPECT_EQ(r->body, "done");
  fixture.reset();  // Run() has returned: the thread joins
  // After the drain nothing listens any more.
  EXPECT_FALSE(net::HttpClient().Get(url).ok());
}

TEST(HttpServerTest, ServesTlsWithAGivenCertificate) {
  const std::string dir = ::testing::TempDir() + "/yesno_tls_" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  auto gen = testing::RunProcess({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                                  "ec_paramgen_curve:P-256", "-nodes", "-keyout", dir + "/key.pem", "-out",
                                  dir + "/cert.pem", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext",
                                  "subjectAltName=IP:127.0.0.1"});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  ServerOptions o;
  o.tls_cert_file = dir + "/cert.pem";
  o.tls_key_file = dir + "/key.pem";
  ServerFixture f(o, TestRouter());
  EXPECT_EQ(f.server->url().rfind("https://", 0), 0u);
  net::HttpClientOptions co;
  co.ca_file = dir + "/cert.pem";
  auto r = net::HttpClient(co).Get(f.Url("/hello"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->body, "hello");
  // Without the CA the certificate is not trusted.
  EXPECT_FALSE(net::HttpClient().Get(f.Url("/hello")).ok());
  std::filesystem::remove_all(dir);
}

TEST(PercentDecodeTest, DecodesEscapesAndPlusOnlyWhenAsked) {
  EXPECT_EQ(PercentDecode("%2Fa%3fb%20c", /*plus_is_space=*/false), "/a?b c");
  EXPECT_EQ(PercentDecode("a+b", /*plus_is_space=*/true), "a b");
  EXPECT_EQ(PercentDecode("a+b", /*plus_is_space=*/false), "a+b");
  EXPECT_EQ(PercentDecode("%2B", /*plus_is_space=*/true), "+");
  EXPECT_EQ(PercentDecode("", /*plus_is_space=*/true), "");
  EXPECT_EQ(PercentDecode("%00", /*plus_is_space=*/false), std::string(1, '\0'));
  // Cut off, not hex, or a lone '%': refused, never half-decoded.
  for (const char* bad : {"%", "%2", "a%2", "%G0", "%0g", "%%41", "%-1"}) {
    EXPECT_EQ(PercentDecode(bad, /*plus_is_space=*/true), std::nullopt) << bad;
  }
}

TEST(PercentDecodeTest, QueryParamDecodesPlusAndRefusesBadEscapes) {
  Request req{http::verb::get, "/gate?claim=age_over_18&q=a+b%21&empty=&bad=%2", 11};
  EXPECT_EQ(QueryParam(req, "q"), "a b!");
  EXPECT_EQ(QueryParam(req, "empty"), "");
  EXPECT_EQ(QueryParam(req, "bad"), std::nullopt);
  EXPECT_EQ(QueryParam(req, "missing"), std::nullopt);
}

TEST(HttpClientTest, RefusesPlainHttpOffLoopbackAndParsesUrls) {
  auto url = net::ParseUrl("http://example.com/x");
  ASSERT_TRUE(url.ok());
  auto r = net::HttpClient().Get(*url);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  auto u = net::ParseUrl("https://Shop.Example:443/a?b=c#frag");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->Origin(), "https://shop.example");
  EXPECT_EQ(u->target, "/a?b=c");
  EXPECT_EQ(net::ParseUrl("http://127.0.0.1:8080")->Origin(), "http://127.0.0.1:8080");
  EXPECT_FALSE(net::ParseUrl("ftp://x").ok());
  EXPECT_FALSE(net::ParseUrl("http://user:pw@x/").ok());
  EXPECT_FALSE(net::ParseUrl("http://x:99999/").ok());
  EXPECT_FALSE(net::ParseUrl("http:///path").ok());
}

}  // namespace
}  // namespace yesno::server
