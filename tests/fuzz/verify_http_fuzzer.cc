// verify_http_fuzzer.cc — the verifier's whole HTTP request handling, without
// sockets: fuzz bytes → Beast's request parser (the server's limits: headers
// ≤ 8 KiB, body ≤ 64 KiB) → VerifierService::HandleRequest → response, for up
// to kMaxRequests requests sent back to back (pipelined) on one fresh service.
//
// The service is the real one (server/verifier): trusted fixture key
// (fuzz_util.h), fixed vnonce and cookie keys, fixed clock, deterministic
// rng and an in-memory spent store, all made afresh for every input so a run
// is reproducible from its input alone. So that the fuzzer can follow the
// flows that need values only the server knows, the placeholders @ID@ (the
// last browser-gate session id a response named) and @COOKIE@ (every cookie
// the responses set so far, "n=v; n=v") are replaced in the target, the
// header values and the body of each request before it is handled.
//
// Properties (a violation traps):
//   * never a 5xx: with an in-memory store nothing is unavailable, so any 5xx
//     is a bug answering client input (a thrown exception is a crash too);
//   * never "yes" without a valid PoP: a yes must come from POST /verify or
//     POST /gate/session/ID carrying exactly one Authorization header whose
//     token verifies under the fixture key and whose PoP verifies for this
//     verifier's origin, vnonce and token (checked here with core's
//     VerifyToken and VerifyPop), and each token says yes at most once;
//   * a session cookie (yesno_<claim>) is set only after a yes, /auth answers
//     204 only to a request that carries a cookie some earlier response set,
//     and /gate/done answers 303 only after a yes.
// The seeds (corpus/verify_http) hold one valid presentation for this origin
// (made by seed_gen.cc), so the yes path, the replay and the cookie are
// reached from the start.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz_util.h"
#include "spent_store.h"
#include "verifier_service.h"
#include "yesno/auth_header.h"
#include "yesno/blind_rsa.h"
#include "yesno/pop.h"
#include "yesno/token.h"
#include "yesno/verifier.h"

namespace {

namespace http = boost::beast::http;
using yesno::server::Request;
using yesno::server::Response;

constexpr int kMaxRequests = 8;
constexpr std::size_t kMaxHeaderBytes = 8 * 1024;  // server/common ServerLimits
constexpr std::size_t kMaxBodyBytes = 64 * 1024;

struct Fixture {
  std::optional<yesno::RsaPublicKey> pk;
  std::shared_ptr<const yesno::TrustedKeySet> keys;
};
Fixture* g_fixture = nullptr;

void ReplaceAll(std::string& s, std::string_view from, const std::string& to) {
  if (to.empty() && from.empty()) return;
  std::size_t pos = 0;
  while ((pos = s.find(from, pos)) != std::string::npos) {
    s.replace(pos, from.size(), to);
    pos += to.size();
  }
}

struct Session {
  std::string gate_id;                // last /gate/session/<id> a response named
  std::vector<std::string> cookies;   // "name=value" of every Set-Cookie so far
  std::set<yesno::Bytes> yes_nonces;  // tokens that got a yes
  bool session_cookie_set = false;

  std::string CookieHeader() const {
    std::string out;
    for (const auto& c : cookies) {
      if (!out.empty()) out += "; ";
      out += c;
    }
    return out;
  }
  void Substitute(std::string& s) const {
    ReplaceAll(s, "@ID@", gate_id);
    ReplaceAll(s, "@COOKIE@", CookieHeader());
  }
};

// ValidPresentation is the oracle for "yes": the request's one Authorization
// header holds a token of the fixture key with a PoP for this origin.
std::optional<yesno::Bytes> ValidPresentation(const Request& req) {
  if (req.count(http::field::authorization) != 1) return std::nullopt;
  const auto header = req[http::field::authorization];
  auto creds = yesno::ParseAuthorization(std::string_view(header.data(), header.size()));
  if (!creds.ok()) return std::nullopt;
  auto token = yesno::ParseToken(creds->token);
  if (!token.ok() || !yesno::VerifyToken(*g_fixture->pk, *token).ok()) return std::nullopt;
  if (!yesno::VerifyPop(token->nonce, creds->yesno_pop, yesno::fuzz::kOrigin, creds->yesno_vnonce, creds->token).ok()) {
    return std::nullopt;
  }
  return token->nonce;
}

void CheckResponse(const Request& req, const Response& res, Session& session) {
  const unsigned status = res.result_int();
  FUZZ_CHECK(status >= 100 && status < 500);
  const std::string_view path = [&] {
    const std::string_view t(req.target().data(), req.target().size());
    return t.substr(0, t.find('?'));
  }();
  const bool yes = res.body().find("\"answer\":\"yes\"") != std::string::npos;
  // /auth/<claim> takes a presentation too: 204 with a new session cookie.
  const bool auth_presented = path.starts_with("/auth/") && status == 204 && res.count(http::field::set_cookie) > 0;
  if (yes) {
    FUZZ_CHECK(req.method() == http::verb::post);
    FUZZ_CHECK(path == "/verify" || path.starts_with("/gate/session/"));
  }
  if (yes || auth_presented) {
    const auto nonce = ValidPresentation(req);
    FUZZ_CHECK(nonce.has_value());
    FUZZ_CHECK(session.yes_nonces.insert(*nonce).second);  // once per token
  }
  if (path.starts_with("/auth/") && status == 204 && !auth_presented) {
    FUZZ_CHECK(session.session_cookie_set);
  }
  if (path.starts_with("/gate/done/") && status == 303) {
    FUZZ_CHECK(!session.yes_nonces.empty());
  }
  for (auto [it, end] = res.equal_range(http::field::set_cookie); it != end; ++it) {
    const std::string value(it->value().data(), it->value().size());
    const std::string pair = value.substr(0, value.find(';'));
    const bool gate_cookie = pair.starts_with(yesno::verifier::kGateCookiePrefix);
    if (!gate_cookie) {
      FUZZ_CHECK(!session.yes_nonces.empty());  // a session cookie only after a yes
      session.session_cookie_set = true;
    }
    session.cookies.push_back(pair);
  }
  // The gate page names its session: remember it for @ID@.
  constexpr std::string_view kSessionPath = "/gate/session/";
  const std::size_t at = res.body().rfind(kSessionPath);
  if (at != std::string::npos) {
    const std::size_t start = at + kSessionPath.size();
    std::size_t end = start;
    const std::string& b = res.body();
    while (end < b.size() && (std::isalnum(static_cast<unsigned char>(b[end])) || b[end] == '-' || b[end] == '_')) {
      ++end;
    }
    if (end > start) session.gate_id = b.substr(start, end - start);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  FUZZ_CHECK(yesno::InitCrypto().ok());
  auto sk = yesno::RsaPrivateKey::FromPem(yesno::fuzz::kFixtureRsaKeyPem);
  FUZZ_CHECK(sk.ok());
  g_fixture = new Fixture;
  g_fixture->pk = sk->public_key();
  auto keys = std::make_shared<yesno::TrustedKeySet>();
  keys->Add(yesno::TrustedKey{sk->public_key(), std::string(yesno::fuzz::kIssuerName),
                              std::string(yesno::fuzz::kClaim), yesno::fuzz::kKeyNotBefore,
                              yesno::fuzz::kKeyNotAfter});
  g_fixture->keys = std::move(keys);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const yesno::FixedClock clock(yesno::fuzz::kNow);
  yesno::fuzz::DeterministicRng rng(0x5e);
  yesno::verifier::VerifierOptions options;
  options.origin = std::string(yesno::fuzz::kOrigin);
  options.secrets.vnonce_key = yesno::fuzz::FixedKey(yesno::fuzz::kVnonceKeyFill);
  options.secrets.cookie_key = yesno::fuzz::FixedKey(0x43);
  options.gate.capacity = 4;
  yesno::verifier::VerifierService service(std::move(options),
                                           std::make_shared<yesno::verifier::MemorySpentStore>(), clock, rng);
  service.SetTrustedKeys(g_fixture->keys);

  Session session;
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  for (int n = 0; n < kMaxRequests && !rest.empty(); ++n) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(kMaxHeaderBytes);
    parser.body_limit(kMaxBodyBytes);
    parser.eager(true);
    boost::beast::error_code ec;
    const std::size_t used = parser.put(boost::asio::buffer(rest.data(), rest.size()), ec);
    if (ec || !parser.is_done()) {
      // The server answers 400/413/431 itself and closes: the handler never
      // sees such a request. An incomplete request would wait for more bytes.
      break;
    }
    FUZZ_CHECK(used > 0 && used <= rest.size());
    rest.remove_prefix(used);
    Request req = parser.release();

    std::string target(req.target().data(), req.target().size());
    session.Substitute(target);
    req.target(target);
    std::vector<std::pair<std::string, std::string>> fields;
    bool changed = false;
    for (const auto& field : req) {
      std::string value(field.value().data(), field.value().size());
      if (value.find('@') != std::string::npos) {
        session.Substitute(value);
        changed = true;
      }
      fields.emplace_back(std::string(field.name_string()), std::move(value));
    }
    if (changed) {  // rebuild the header list in order, duplicates kept
      for (const auto& [name, value] : fields) req.erase(name);
      for (const auto& [name, value] : fields) req.insert(name, value);
    }
    session.Substitute(req.body());

    yesno::server::RequestLog log;
    const Response res = service.HandleRequest(req, log);
    static const bool debug = std::getenv("YESNO_FUZZ_DEBUG") != nullptr;  // print the exchange (reproducing)
    if (debug) {
      std::fprintf(stderr, "%s %s -> %u %s\n", std::string(req.method_string()).c_str(), target.c_str(),
                   res.result_int(), res.body().substr(0, 100).c_str());
    }
    CheckResponse(req, res, session);
    if (!req.keep_alive()) break;  // the server closes after this answer
  }
  return 0;
}
