// verifier_service.cc — challenges, presentations, auth_request, health.
#include "verifier_service.h"

#include <nlohmann/json.hpp>

#include "http_client.h"
#include "session_cookie.h"
#include "yesno/auth_header.h"
#include "yesno/claims.h"
#include "yesno/token.h"
#include "yesno/vnonce.h"

namespace yesno::verifier {

namespace http = server::http;
using server::Request;
using server::RequestLog;
using server::Response;

Result<std::string> CanonicalOrigin(std::string_view origin) {
  auto url = net::ParseUrl(origin);
  if (!url.ok()) return MakeError(ErrorCode::kInvalidArgument, "--origin: " + url.error().message);
  std::string_view rest = origin.substr(origin.find("://") + 3);
  if (rest.find_first_of("/?#") != std::string_view::npos) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "--origin must be scheme://host[:port] with no path, e.g. https://shop.example");
  }
  return url->Origin();
}

VerifierService::VerifierService(VerifierOptions options, std::shared_ptr<SpentSet> spent, const Clock& clock,
                                 Rng& rng)
    : cookie_key_(std::move(options.secrets.cookie_key)),
      public_prefix_(std::move(options.public_prefix)),
      gates_(std::make_unique<GateStore>(options.gate)),
      session_seconds_(int64_t{options.session_minutes} * 60),
      secure_(options.origin.rfind("https://", 0) == 0),
      spent_(std::move(spent)),
      clock_(clock),
      rng_(rng),
      metrics_(std::make_unique<server::Metrics>("yesno_verifier")),
      keys_(std::make_shared<const TrustedKeySet>()) {
  ctx_.origin = std::move(options.origin);
  ctx_.vnonce_key = std::move(options.secrets.vnonce_key);
  metrics_->Describe("verify_total", "counter", "Presentations by answer and reason");
  metrics_->Describe("challenges_total", "counter", "Challenges by result");
  metrics_->Describe("auth_total", "counter", "auth_request checks by result");
  metrics_->Describe("gate_sessions_total", "counter", "Browser gate sessions by event");
  metrics_->Describe("gate_sessions", "gauge", "Browser gate sessions held in memory");
  router_.Add(http::verb::get, "/challenge", [this](const Request& r, RequestLog& l) { return Challenge(r, l); });
  router_.Add(http::verb::post, "/verify", [this](const Request& r, RequestLog& l) { return Verify(r, l); });
  router_.Add(http::verb::get, "/auth", [this](const Request& r, RequestLog& l) { return Auth(r, l); });
  router_.Add(http::verb::get, "/gate", [this](const Request& r, RequestLog& l) { return Gate(r, l); });
  router_.Add(http::verb::get, "/healthz", [](const Request& r, RequestLog&) {
    return server::MakeResponse(r, http::status::ok, "application/json", "{\"status\":\"ok\"}");
  });
  router_.Add(http::verb::get, "/metrics", [this](const Request& r, RequestLog&) {
    PublishCounters();
    return server::MakeResponse(r, http::status::ok, "text/plain; version=0.0.4", metrics_->Render());
  });
}

void VerifierService::SetTrustedKeys(std::shared_ptr<const TrustedKeySet> keys) {
  if (keys) keys_.store(std::move(keys));
}

std::shared_ptr<const TrustedKeySet> VerifierService::TrustedKeys() const { return keys_.load(); }

void VerifierService::PublishCounters() const {
  auto set = [this](std::string_view name, const server::Labels& labels, const std::atomic<uint64_t>& v) {
    const uint64_t n = v.load(std::memory_order_relaxed);
    if (n > 0) metrics_->Set(name, labels, static_cast<double>(n));
  };
  for (int r = 0; r <= static_cast<int>(Reason::kUnavailable); ++r) {
    const auto reason = static_cast<Reason>(r);
    set("verify_total", {{"answer", reason == Reason::kNone ? "yes" : "no"}, {"reason", std::string(ReasonCode(reason))}},
        counters_.verify[r]);
  }
  set("auth_total", {{"result", "ok"}}, counters_.auth_ok);
  set("auth_total", {{"result", "no_session"}}, counters_.auth_no_session);
  set("auth_total", {{"result", "bad_session"}}, counters_.auth_bad_session);
  set("auth_total", {{"result", "no_claim_header"}}, counters_.auth_no_claim);
  set("challenges_total", {{"result", "ok"}}, counters_.challenge_ok);
  set("challenges_total", {{"result", "bad_claim"}}, counters_.challenge_bad_claim);
  set("challenges_total", {{"result", "unknown_claim"}}, counters_.challenge_unknown_claim);
  set("gate_sessions_total", {{"event", "opened"}}, counters_.gate_opened);
  set("gate_sessions_total", {{"event", "evicted"}}, counters_.gate_evicted);
  set("gate_sessions_total", {{"event", "satisfied"}}, counters_.gate_satisfied);
  set("gate_sessions_total", {{"event", "refused"}}, counters_.gate_refused);
  set("gate_sessions_total", {{"event", "collected"}}, counters_.gate_collected);
  metrics_->Set("gate_sessions", {}, static_cast<double>(gates_->size()));
}

Response VerifierService::HandleRequest(const Request& req, RequestLog& log) const {
  const std::string_view path = server::PathOf(req);
  if (path.starts_with("/gate/")) return GateRoute(req, path, log);
  return router_(req, log);
}

server::Handler VerifierService::Handler() const {
  return [this](const Request& req, RequestLog& log) { return HandleRequest(req, log); };
}

// --- GET /challenge ---------------------------------------------------------------

std::optional<VerifierService::ChallengeParts> VerifierService::ChallengeBody(const std::string& claim,
                                                                              int64_t now) const {
  const auto keys = TrustedKeys();
  const auto acceptable = keys->ForClaim(claim, now);
  if (acceptable.empty()) return std::nullopt;
  auto vnonce = CreateVnonce(ctx_.vnonce_key, claim, now, rng_);
  if (!vnonce.ok()) return std::nullopt;

  std::vector<PrivateTokenChallenge> challenges;
  nlohmann::json list = nlohmann::json::array();
  const std::string vnonce_b64 = Base64UrlEncode(*vnonce);
  for (const TrustedKey* key : acceptable) {
    auto challenge = CrossOriginChallenge(key->issuer_name);
    if (!challenge.ok()) continue;
    challenges.push_back(PrivateTokenChallenge{*challenge, key->key.Spki(), std::nullopt, claim, *vnonce});
    list.push_back({{"issuer", key->issuer_name},
                    {"challenge", Base64UrlEncode(*challenge)},
                    {"token-key", Base64UrlEncode(key->key.Spki())},
                    {"token-key-id", HexEncode(key->key.KeyId())},
                    {"yesno-vnonce", vnonce_b64},
                    {"not-before", key->not_before},
                    {"not-after", key->not_after}});
  }
  nlohmann::json body = {{"claim", claim}, {"challenges", std::move(list)}};
  return ChallengeParts{std::move(body), BuildWwwAuthenticate(challenges), std::move(*vnonce)};
}

Response VerifierService::Challenge(const Request& req, RequestLog& log) const {
  const auto claim = server::QueryParam(req, "claim");
  if (!claim || !IsValidClaimName(*claim)) {
    ++counters_.challenge_bad_claim;
    return server::JsonError(req, http::status::bad_request, "bad_claim", log);
  }
  auto parts = ChallengeBody(*claim, clock_.NowSeconds());
  if (!parts) {
    ++counters_.challenge_unknown_claim;
    return server::JsonError(req, http::status::not_found, "unknown_claim", log);
  }
  Response res = server::MakeResponse(req, http::status::unauthorized, "application/json",
                                      parts->json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  res.set(http::field::www_authenticate, parts->www_authenticate);
  ++counters_.challenge_ok;
  return res;
}

// --- POST /verify -----------------------------------------------------------------

Response VerifierService::VerifyAnswer(const Request& req, http::status status, Reason reason, RequestLog& log) const {
  const std::string code(ReasonCode(reason));
  log.reason = code;
  ++counters_.verify[static_cast<int>(reason)];
  // Reason codes are fixed [a-z_] words: no escaping needed.
  return server::MakeResponse(req, status, "application/json", "{\"answer\":\"no\",\"reason\":\"" + code + "\"}");
}

Response VerifierService::Verify(const Request& req, RequestLog& log) const {
  const auto claim = server::QueryParam(req, "claim");
  if (!claim || !IsValidClaimName(*claim) || req.count(http::field::authorization) != 1) {
    return VerifyAnswer(req, http::status::bad_request, Reason::kMalformed, log);
  }
  const auto header = req[http::field::authorization];
  auto creds = ParseAuthorization(std::string_view(header.data(), header.size()));
  if (!creds.ok()) return VerifyAnswer(req, http::status::bad_request, Reason::kMalformed, log);

  const Presentation presentation{std::move(creds->token), std::move(creds->yesno_vnonce),
                                  std::move(creds->yesno_pop)};
  const int64_t now = clock_.NowSeconds();
  const auto keys = TrustedKeys();
  const VerifyOutcome out = VerifyPresentation(presentation, *keys, *claim, ctx_, now, *spent_);
  if (!out.yes) {
    const http::status status =
        out.reason == Reason::kUnavailable ? http::status::service_unavailable : http::status::ok;
    return VerifyAnswer(req, status, out.reason, log);
  }
  ++counters_.verify[static_cast<int>(Reason::kNone)];
  // The claim is a checked [a-z0-9_] name; the issuer name comes from a
  // directory, so it goes through the JSON encoder.
  Response res = server::MakeResponse(
      req, http::status::ok, "application/json",
      "{\"answer\":\"yes\",\"claim\":\"" + out.claim + "\",\"issuer\":" +
          nlohmann::json(out.issuer_name).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "}");
  SetSessionCookie(res, out.claim, now);
  return res;
}

void VerifierService::SetSessionCookie(Response& res, const std::string& claim, int64_t now) const {
  if (session_seconds_ <= 0) return;
  const std::string value = MakeCookieValue(cookie_key_, claim, now + session_seconds_);
  res.insert(http::field::set_cookie, SetCookieHeader(claim, value, session_seconds_, secure_));
}

// --- GET /auth ----------------------------------------------------------------------

Response VerifierService::Auth(const Request& req, RequestLog& log) const {
  auto deny = [&](std::string_view reason) {
    log.reason = std::string(reason);
    ++(reason == "no_claim_header" ? counters_.auth_no_claim
       : reason == "bad_session"   ? counters_.auth_bad_session
                                   : counters_.auth_no_session);
    return server::MakeResponse(req, http::status::unauthorized, "application/json",
                                "{\"error\":\"" + std::string(reason) + "\"}");
  };
  if (req.count(kClaimHeader) != 1) return deny("no_claim_header");
  const auto claim_field = req[kClaimHeader];
  const std::string_view claim(claim_field.data(), claim_field.size());
  if (!IsValidClaimName(claim)) return deny("no_claim_header");
  const std::string name = CookieName(claim);
  const int64_t now = clock_.NowSeconds();
  bool present = false;
  for (auto [it, end] = req.equal_range(http::field::cookie); it != end; ++it) {
    const std::string_view header(it->value().data(), it->value().size());
    for (std::string_view value : CookieValues(header, name)) {
      present = true;
      if (CheckCookieValue(cookie_key_, claim, value, now, session_seconds_)) {
        ++counters_.auth_ok;
        Response res{http::status::no_content, req.version()};
        res.set(http::field::cache_control, "no-store");
        res.keep_alive(req.keep_alive());
        return res;
      }
    }
  }
  return deny(present ? "bad_session" : "no_session");
}

}  // namespace yesno::verifier
