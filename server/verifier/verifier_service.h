// verifier_service.h — the yesno-verifier's request handling, in process.
//
// VerifierService is the pure part of the verifier (Beast's handle_request):
// it maps one HTTP request to one response using the current trusted keys,
// the spent store, an injected Clock and Rng, and nothing else. The network
// listener (server/common) and the directory refresher (trust.h) run around
// it; tests drive it directly.
//
//   GET  /challenge?claim=C  401 + WWW-Authenticate: PrivateToken ... (and JSON)
//   POST /verify?claim=C     Authorization: PrivateToken token=, yesno-vnonce=, yesno-pop=
//                            -> {"claim":C,"answer":"yes","issuer":I} + Set-Cookie
//                            or {"answer":"no","reason":R}
//   GET  /auth               nginx auth_request: 204 with a valid session cookie
//                            for the claim in X-Yesno-Claim, else 401
//   GET  /healthz, /metrics
//
// The browser gate (gate.h): a page a person unlocks with their wallet.
//   GET  /gate?claim=C&return=PATH         HTML: opens a gate session, shows
//                                          `yesno prove --session URL` and a QR code
//   GET  /gate/session/ID                  wallet: {"claim":C,"challenges":[...]} (as /challenge)
//   POST /gate/session/ID                  wallet: Authorization: PrivateToken ... -> yes/no (no cookie)
//   POST /gate/session/ID/decline          wallet: "I cannot prove it" -> the page shows a refusal
//   GET  /gate/status/ID                   browser: {"state":"pending|satisfied|refused|used|expired"}
//   GET  /gate/done/ID                     browser: 303 to PATH + the session cookie, once
//
// Exact statuses and bodies are in docs/api.md.
#ifndef YESNO_SERVER_VERIFIER_VERIFIER_SERVICE_H_
#define YESNO_SERVER_VERIFIER_VERIFIER_SERVICE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "gate.h"
#include "http_server.h"
#include "metrics.h"
#include "secrets.h"
#include "yesno/rng.h"
#include "yesno/verifier.h"

namespace yesno::verifier {

inline constexpr char kClaimHeader[] = "X-Yesno-Claim";

struct VerifierOptions {
  // origin is what PoPs must name: scheme://host[:port], exactly as the
  // browser/wallet sees the site (behind nginx: the site's origin).
  std::string origin;
  int session_minutes = 60;  // session cookie lifetime; 0 = never set a cookie
  VerifierSecrets secrets;
  // public_prefix is the path under which the site exposes the verifier
  // ("/yesno" behind the shipped nginx config; "" when it is reached
  // directly): the gate page prints origin + public_prefix + "/gate/...".
  std::string public_prefix;
  GateLimits gate;
};

// CanonicalOrigin checks that `origin` is scheme://host[:port] (http or
// https, no path, query or credentials) and returns its canonical spelling
// (lowercase host, default port omitted).
Result<std::string> CanonicalOrigin(std::string_view origin);

class VerifierService {
 public:
  // `clock` and `rng` must outlive the service and be safe to use from
  // several threads (SystemClock and SystemRng are).
  VerifierService(VerifierOptions options, std::shared_ptr<SpentSet> spent, const Clock& clock, Rng& rng);
  VerifierService(const VerifierService&) = delete;
  VerifierService& operator=(const VerifierService&) = delete;

  // SetTrustedKeys atomically replaces the key set (from any thread).
  void SetTrustedKeys(std::shared_ptr<const TrustedKeySet> keys);
  std::shared_ptr<const TrustedKeySet> TrustedKeys() const;

  // HandleRequest answers one request; safe to call from many threads.
  server::Response HandleRequest(const server::Request& req, server::RequestLog& log) const;
  // Handler adapts HandleRequest for server::HttpServer.
  server::Handler Handler() const;

  // UseGateStore replaces the in-process gate session store (e.g. by
  // RedisGateStore for a fleet). Call before serving.
  void UseGateStore(std::shared_ptr<GateSessionStore> store) {
    if (store) gates_ = std::move(store);
  }

  server::Metrics& metrics() const { return *metrics_; }
  bool secure_cookies() const { return secure_; }

 private:
  server::Response Challenge(const server::Request& req, server::RequestLog& log) const;
  server::Response Verify(const server::Request& req, server::RequestLog& log) const;
  server::Response Auth(const server::Request& req, server::RequestLog& log) const;
  server::Response VerifyAnswer(const server::Request& req, server::http::status status, Reason reason,
                                server::RequestLog& log) const;
  // ChallengeBody builds the /challenge JSON (and header) for `claim` with a
  // fresh vnonce; nullopt if no trusted key serves the claim now.
  struct ChallengeParts {
    nlohmann::json json;
    std::string www_authenticate;
    Bytes vnonce;
  };
  std::optional<ChallengeParts> ChallengeBody(const std::string& claim, int64_t now) const;
  // SetSessionCookie adds the yesno_<claim> cookie after a yes.
  void SetSessionCookie(server::Response& res, const std::string& claim, int64_t now) const;

  // The browser gate.
  server::Response Gate(const server::Request& req, server::RequestLog& log) const;
  server::Response GateRoute(const server::Request& req, std::string_view path, server::RequestLog& log) const;
  server::Response GateSessionGet(const server::Request& req, const std::string& id, server::RequestLog& log) const;
  server::Response GateSessionPost(const server::Request& req, const std::string& id, server::RequestLog& log) const;
  server::Response GateDecline(const server::Request& req, const std::string& id, server::RequestLog& log) const;
  server::Response GateStatus(const server::Request& req, const std::string& id, server::RequestLog& log) const;
  server::Response GateDone(const server::Request& req, const std::string& id, server::RequestLog& log) const;
  server::Response GateHtml(const server::Request& req, server::http::status status, const std::string& nonce,
                            std::string body) const;
  server::Response GateProblem(const server::Request& req, server::http::status status, std::string_view reason,
                               const std::string& heading, const std::string& text, const std::string& retry_url,
                               server::RequestLog& log) const;
  server::Response GatePageResponse(const server::Request& req, const std::string& id, const std::string& claim,
                                    const std::string& return_path) const;
  std::string GateRetryUrl(const std::string& claim, const std::string& return_path) const;
  std::string GateDoneUrl(const std::string& id) const;
  // BindingCookie is the Set-Cookie value of yesno_gate_<id> (empty value
  // and max_age 0 clear it).
  std::string BindingCookie(const std::string& id, const std::string& value, int64_t max_age) const;
  std::string NewNonce() const;

  // Hot-path counters are atomics (no lock per request); /metrics copies
  // them into metrics_ when it renders.
  struct Counters {
    std::atomic<uint64_t> verify[static_cast<int>(Reason::kUnavailable) + 1] = {};  // by Reason (kNone = yes)
    std::atomic<uint64_t> auth_ok{0}, auth_no_session{0}, auth_bad_session{0}, auth_no_claim{0};
    std::atomic<uint64_t> challenge_ok{0}, challenge_bad_claim{0}, challenge_unknown_claim{0};
    std::atomic<uint64_t> gate_opened{0}, gate_evicted{0}, gate_satisfied{0}, gate_refused{0}, gate_collected{0};
  };
  void PublishCounters() const;

  VerifierContext ctx_;
  SecretBytes cookie_key_;
  std::string public_prefix_;
  std::shared_ptr<GateSessionStore> gates_;
  int64_t session_seconds_;
  bool secure_;
  std::shared_ptr<SpentSet> spent_;
  const Clock& clock_;
  Rng& rng_;
  std::unique_ptr<server::Metrics> metrics_;
  mutable Counters counters_;
  std::atomic<std::shared_ptr<const TrustedKeySet>> keys_;
  server::Router router_;
};

}  // namespace yesno::verifier

#endif  // YESNO_SERVER_VERIFIER_VERIFIER_SERVICE_H_
