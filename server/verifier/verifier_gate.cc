// verifier_gate.cc — VerifierService's browser gate routes (gate.h; the
// contract is in docs/api.md, "Browser gate").
//
// Who gets what:
//   the page (browser)  HTML with the session URL and its QR code: no token, no secret;
//                       a cookie yesno_gate_<id> (random, Path=<prefix>/gate/done/<id>)
//                       that binds the session to this browser;
//   the wallet          GET: the same challenge JSON as /challenge; POST: yes or no,
//                       never a cookie;
//   the browser again   /gate/done/<id> with its binding cookie, after a yes: 303 to
//                       the return path with the yesno_<claim> session cookie, once.
// A session id is 16 random bytes; its log route is the pattern, never the id.
#include <nlohmann/json.hpp>
#include <optional>

#include "qr.h"
#include "session_cookie.h"
#include "verifier_service.h"
#include "yesno/auth_header.h"
#include "yesno/claims.h"

namespace yesno::verifier {

namespace http = server::http;
using server::Request;
using server::RequestLog;
using server::Response;

namespace {

constexpr int kQrPixels = 232;

std::string GateCookieName(const std::string& id) { return std::string(kGateCookiePrefix) + id; }

// BrowserKeyMatches looks for yesno_gate_<id> among the request's cookies
// and compares it with the session's key in constant time.
bool BrowserKeyMatches(const Request& req, const GateSession& s) {
  const std::string name = GateCookieName(s.id);
  for (auto [it, end] = req.equal_range(http::field::cookie); it != end; ++it) {
    const std::string_view header(it->value().data(), it->value().size());
    for (std::string_view value : CookieValues(header, name)) {
      auto key = Base64UrlDecode(value);
      if (key.ok() && ConstantTimeEquals(*key, View(s.browser_key))) return true;
    }
  }
  return false;
}

Response JsonBody(const Request& req, http::status status, const nlohmann::json& body) {
  return server::MakeResponse(req, status, "application/json",
                              body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

// PendingClaim is what a request could do with a session found (or not) by
// GateStore::Find: answer it only while it is pending.
GateStore::Claim PendingClaim(const std::optional<GateSession>& s) {
  if (!s) return GateStore::Claim::kUnknown;
  if (s->state == GateState::kExpired) return GateStore::Claim::kExpired;
  if (s->state != GateState::kPending) return GateStore::Claim::kClosed;
  return GateStore::Claim::kOk;
}

// RefuseAnswer is the answer to a request that may not answer a gate
// session (unknown, expired, already answered), or nullopt when BeginAnswer
// gave this request the session's one answer.
std::optional<Response> RefuseAnswer(const Request& req, GateStore::Claim claim, RequestLog& log) {
  switch (claim) {
    case GateStore::Claim::kOk:
      return std::nullopt;
    case GateStore::Claim::kUnknown:
      return server::JsonError(req, http::status::not_found, "unknown_session", log);
    case GateStore::Claim::kExpired:
      return server::JsonError(req, http::status::gone, "session_expired", log);
    case GateStore::Claim::kClosed:
      return server::JsonError(req, http::status::conflict, "session_closed", log);
    case GateStore::Claim::kUnavailable:
      return server::JsonError(req, http::status::service_unavailable, "unavailable", log);
  }
  return server::JsonError(req, http::status::conflict, "session_closed", log);  // not reached
}

}  // namespace

std::string VerifierService::NewNonce() const {
  uint8_t bytes[16];
  rng_.Fill(bytes);
  return Base64UrlEncode(ByteView(bytes, sizeof bytes), /*padding=*/false);
}

std::string VerifierService::GateDoneUrl(const std::string& id) const { return public_prefix_ + "/gate/done/" + id; }

// The binding cookie goes only to this session's done URL, and only from this
// site's own pages (SameSite=Strict); max_age 0 with an empty value clears it.
std::string VerifierService::BindingCookie(const std::string& id, const std::string& value, int64_t max_age) const {
  std::string cookie = GateCookieName(id) + "=" + value + "; Max-Age=" + std::to_string(max_age) +
                       "; Path=" + GateDoneUrl(id) + "; HttpOnly; SameSite=Strict";
  if (secure_) cookie += "; Secure";
  return cookie;
}

std::string VerifierService::GateRetryUrl(const std::string& claim, const std::string& return_path) const {
  return public_prefix_ + "/gate?claim=" + claim + "&return=" + PercentEncode(return_path);
}

Response VerifierService::GateHtml(const Request& req, http::status status, const std::string& nonce,
                                   std::string body) const {
  Response res = server::MakeResponse(req, status, "text/html; charset=utf-8", std::move(body));
  res.set("Content-Security-Policy", GateContentSecurityPolicy(nonce));
  res.set("X-Frame-Options", "DENY");
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Referrer-Policy", "no-referrer");
  return res;
}

Response VerifierService::GateProblem(const Request& req, http::status status, std::string_view reason,
                                      const std::string& heading, const std::string& text,
                                      const std::string& retry_url, RequestLog& log) const {
  log.reason = std::string(reason);
  const std::string nonce = NewNonce();
  GateMessage m;
  m.title = heading;
  m.heading = heading;
  m.paragraphs = {text};
  if (!retry_url.empty()) {
    m.link_url = retry_url;
    m.link_text = "Start again";
  }
  m.script_nonce = nonce;
  return GateHtml(req, status, nonce, RenderGateMessage(m));
}

Response VerifierService::GatePageResponse(const Request& req, const std::string& id, const std::string& claim,
                                           const std::string& return_path) const {
  GatePage page;
  page.claim = claim;
  page.session_url = ctx_.origin + public_prefix_ + "/gate/session/" + id;
  auto qr = EncodeQr(page.session_url);
  if (qr.ok()) page.qr_svg = QrSvg(*qr, kQrPixels, "QR code of the link for your wallet");
  page.status_url = public_prefix_ + "/gate/status/" + id;
  page.done_url = GateDoneUrl(id);
  page.return_url = return_path;
  page.retry_url = GateRetryUrl(claim, return_path);
  page.lifetime_seconds = gates_->limits().lifetime_seconds;
  page.script_nonce = NewNonce();
  return GateHtml(req, http::status::ok, page.script_nonce, RenderGatePage(page));
}

// --- GET /gate?claim=C&return=PATH ----------------------------------------------------

Response VerifierService::Gate(const Request& req, RequestLog& log) const {
  // HEAD would open a session nobody sees.
  if (req.method() != http::verb::get) return server::JsonError(req, http::status::method_not_allowed, "method_not_allowed", log);
  if (session_seconds_ <= 0) {
    // --session-minutes 0: there is no session cookie to hand out, so the
    // gate could only send the browser round in circles.
    return GateProblem(req, http::status::not_found, "gate_disabled", "This site has no browser gate",
                       "The site is set up for wallets only (it sets no session cookie).", "", log);
  }
  const auto claim = server::QueryParam(req, "claim");
  if (!claim || !IsValidClaimName(*claim)) {
    return GateProblem(req, http::status::bad_request, "bad_claim", "This link is not valid",
                       "The page that sent you here asked for something this site cannot check.", "", log);
  }
  const std::string target(req.target().data(), req.target().size());
  const std::string return_path = GateReturnParam(target).value_or("/");
  if (!IsSafeReturnPath(return_path)) {
    return GateProblem(req, http::status::bad_request, "bad_return", "This link is not valid",
                       "The page that sent you here named a place to return to that is not on this site.", "", log);
  }
  const int64_t now = clock_.NowSeconds();
  if (ClaimAsked(*claim) && TrustedKeys()->ForClaim(*claim, now).empty() && IssuerMissing()) {
    return GateProblem(req, http::status::service_unavailable, "unavailable", "This site cannot check that right now",
                       "The site cannot reach the service that vouches for " + ClaimPhrase(*claim) +
                           " at the moment. Please try again in a few minutes.",
                       "", log);
  }
  if (!ClaimAsked(*claim) || TrustedKeys()->ForClaim(*claim, now).empty()) {
    return GateProblem(req, http::status::not_found, "unknown_claim", "This site cannot check that right now",
                       "No issuer this site trusts vouches for " + ClaimPhrase(*claim) + " at the moment.", "", log);
  }

  uint8_t id_bytes[kGateIdBytes];
  rng_.Fill(id_bytes);
  GateSession session;
  session.id = Base64UrlEncode(ByteView(id_bytes, sizeof id_bytes), /*padding=*/false);
  session.claim = *claim;
  session.return_path = return_path;
  session.browser_key.resize(kGateBrowserKeyBytes);
  rng_.Fill(session.browser_key);
  const std::string id = session.id;
  const std::string browser_key = Base64UrlEncode(View(session.browser_key), /*padding=*/false);
  auto evicted = gates_->OpenSession(std::move(session), now);
  if (!evicted.ok()) {
    return GateProblem(req, http::status::service_unavailable, "unavailable", "This site cannot check that right now",
                       "Please try again in a moment.", "", log);
  }
  counters_.gate_evicted += *evicted;
  ++counters_.gate_opened;

  Response res = GatePageResponse(req, id, *claim, return_path);
  res.set(http::field::set_cookie, BindingCookie(id, browser_key, gates_->limits().lifetime_seconds));
  return res;
}

// --- /gate/... ----------------------------------------------------------------------

Response VerifierService::GateRoute(const Request& req, std::string_view path, RequestLog& log) const {
  struct Pattern {
    std::string_view prefix;
    std::string_view suffix;
    http::verb method;
    Response (VerifierService::*handler)(const Request&, const std::string&, RequestLog&) const;
    const char* route;
  };
  static constexpr Pattern kPatterns[] = {
      {"/gate/session/", "", http::verb::get, &VerifierService::GateSessionGet, "/gate/session/{id}"},
      {"/gate/session/", "", http::verb::post, &VerifierService::GateSessionPost, "/gate/session/{id}"},
      {"/gate/session/", "/decline", http::verb::post, &VerifierService::GateDecline, "/gate/session/{id}/decline"},
      {"/gate/status/", "", http::verb::get, &VerifierService::GateStatus, "/gate/status/{id}"},
      {"/gate/done/", "", http::verb::get, &VerifierService::GateDone, "/gate/done/{id}"},
  };
  const char* known = nullptr;
  for (const Pattern& p : kPatterns) {
    if (!path.starts_with(p.prefix) || !path.ends_with(p.suffix) || path.size() < p.prefix.size() + p.suffix.size()) {
      continue;
    }
    const std::string_view id = path.substr(p.prefix.size(), path.size() - p.prefix.size() - p.suffix.size());
    if (!IsGateId(id)) continue;
    known = p.route;
    // HEAD is served like GET, except on /gate/done, which collects the cookie.
    const bool head_ok = p.method == http::verb::get && p.handler != &VerifierService::GateDone;
    if (req.method() == p.method || (head_ok && req.method() == http::verb::head)) {
      log.route = p.route;
      return (this->*p.handler)(req, std::string(id), log);
    }
  }
  if (known != nullptr) {
    log.route = known;
    return server::JsonError(req, http::status::method_not_allowed, "method_not_allowed", log);
  }
  log.route = "(unknown)";
  return server::JsonError(req, http::status::not_found, "not_found", log);
}

// --- the wallet's side --------------------------------------------------------------

Response VerifierService::GateSessionGet(const Request& req, const std::string& id, RequestLog& log) const {
  const int64_t now = clock_.NowSeconds();
  auto s = gates_->Find(id, now);
  if (auto refused = RefuseAnswer(req, PendingClaim(s), log)) return std::move(*refused);
  auto parts = ChallengeBody(s->claim, now);
  if (!parts && IssuerMissing()) return server::JsonError(req, http::status::service_unavailable, "unavailable", log);
  if (!parts) return server::JsonError(req, http::status::not_found, "unknown_claim", log);
  // Only challenges handed out for this session are honoured by its POST,
  // and a session hands out only a few: past the cap it refuses rather than
  // forget one it gave out (which may be the wallet's).
  switch (gates_->AddVnonce(id, parts->vnonce, now)) {
    case GateStore::AddVnonceResult::kAdded:
      break;
    case GateStore::AddVnonceResult::kNotPending:
      return server::JsonError(req, http::status::conflict, "session_closed", log);
    case GateStore::AddVnonceResult::kFull:
      return server::JsonError(req, http::status::too_many_requests, "too_many_challenges", log);
    case GateStore::AddVnonceResult::kUnavailable:
      return server::JsonError(req, http::status::service_unavailable, "unavailable", log);
  }
  parts->json["expires_at"] = s->expires_at;
  return JsonBody(req, http::status::ok, parts->json);
}

Response VerifierService::GateSessionPost(const Request& req, const std::string& id, RequestLog& log) const {
  const int64_t now = clock_.NowSeconds();
  // A request that is not a presentation for this session leaves it open:
  // only a real attempt (right shape, one of this session's challenges) takes
  // the session's one answer, so a stray or garbled POST cannot close it.
  auto current = gates_->Find(id, now);
  if (auto refused = RefuseAnswer(req, PendingClaim(current), log)) return std::move(*refused);
  if (req.count(http::field::authorization) != 1) {
    return VerifyAnswer(req, http::status::bad_request, Reason::kMalformed, log);
  }
  const auto header = req[http::field::authorization];
  auto creds = ParseAuthorization(std::string_view(header.data(), header.size()));
  if (!creds.ok()) return VerifyAnswer(req, http::status::bad_request, Reason::kMalformed, log);
  // The vnonce must be one this session handed out: a presentation made for
  // another session (or /challenge) cannot answer this one.
  bool ours = false;
  for (const Bytes& v : current->vnonces) ours = ours || ConstantTimeEquals(v, creds->yesno_vnonce);
  if (!ours) return VerifyAnswer(req, http::status::ok, Reason::kStaleNonce, log);

  GateSession s;
  if (auto refused = RefuseAnswer(req, gates_->BeginAnswer(id, now, s), log)) return std::move(*refused);
  // From here on this request owns the session's one answer.
  const Presentation presentation{std::move(creds->token), std::move(creds->yesno_vnonce),
                                  std::move(creds->yesno_pop)};
  const VerifyOutcome out = Check(presentation, s.claim, now);
  if (out.reason == Reason::kUnavailable) {
    // Our spent store is down: not the wallet's fault. The session stays
    // open so the wallet can try again.
    gates_->AbandonAnswer(id);
    return VerifyAnswer(req, http::status::service_unavailable, out.reason, log);
  }
  if (!out.yes) {
    gates_->FinishAnswer(id, false, ReasonCode(out.reason));
    ++counters_.gate_refused;
    return VerifyAnswer(req, http::status::ok, out.reason, log);
  }
  gates_->FinishAnswer(id, true, "");
  ++counters_.gate_satisfied;
  ++counters_.verify[static_cast<int>(Reason::kNone)];
  // No cookie here: the wallet is not the browser. The browser collects it
  // at /gate/done/<id>.
  return JsonBody(req, http::status::ok, {{"answer", "yes"}, {"claim", out.claim}, {"issuer", out.issuer_name}});
}

namespace {

// DeclineVnonce reads the body of POST /gate/session/ID/decline:
// {"yesno-vnonce": "<base64url>"} (application/json), one of the session's
// challenges. Anything else: nullopt.
std::optional<Bytes> DeclineVnonce(const Request& req) {
  if (req.body().size() > kMaxDeclineBodyBytes) return std::nullopt;
  const auto type = req[http::field::content_type];
  const std::string_view content_type(type.data(), type.size());
  if (!content_type.starts_with("application/json")) return std::nullopt;
  const auto doc = nlohmann::json::parse(req.body(), nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || doc.size() != 1) return std::nullopt;
  const auto it = doc.find("yesno-vnonce");
  if (it == doc.end() || !it->is_string()) return std::nullopt;
  auto vnonce = Base64UrlDecode(it->get<std::string>());
  if (!vnonce.ok() || vnonce->empty()) return std::nullopt;
  return std::move(*vnonce);
}

}  // namespace

Response VerifierService::GateDecline(const Request& req, const std::string& id, RequestLog& log) const {
  const int64_t now = clock_.NowSeconds();
  // Like an answer, a decline must carry one of the challenges this session
  // handed out: whoever merely saw the link cannot cancel it.
  auto current = gates_->Find(id, now);
  if (auto refused = RefuseAnswer(req, PendingClaim(current), log)) return std::move(*refused);
  const auto vnonce = DeclineVnonce(req);
  if (!vnonce) return server::JsonError(req, http::status::bad_request, "malformed", log);
  bool ours = false;
  for (const Bytes& v : current->vnonces) ours = ours || ConstantTimeEquals(v, *vnonce);
  if (!ours) return server::JsonError(req, http::status::forbidden, "stale_nonce", log);
  GateSession s;
  if (auto refused = RefuseAnswer(req, gates_->BeginAnswer(id, now, s), log)) return std::move(*refused);
  gates_->FinishAnswer(id, false, "declined");
  ++counters_.gate_refused;
  log.reason = "declined";
  return JsonBody(req, http::status::ok, {{"answer", "no"}, {"reason", "declined"}});
}

// --- the browser's side -------------------------------------------------------------

Response VerifierService::GateStatus(const Request& req, const std::string& id, RequestLog& log) const {
  auto s = gates_->Find(id, clock_.NowSeconds());
  if (!s) return server::JsonError(req, http::status::not_found, "unknown_session", log);
  nlohmann::json body = {{"state", GateStateName(s->state)}};
  if (s->state == GateState::kPending) body["expires_at"] = s->expires_at;
  if (s->state == GateState::kRefused) {
    body["reason"] = s->reason;
    body["message"] = RefusalMessage(s->reason, s->claim);
  }
  log.reason = std::string(GateStateName(s->state));
  return JsonBody(req, http::status::ok, body);
}

Response VerifierService::GateDone(const Request& req, const std::string& id, RequestLog& log) const {
  const int64_t now = clock_.NowSeconds();
  auto s = gates_->Find(id, now);
  if (!s) {
    return GateProblem(req, http::status::not_found, "unknown_session", "This request has expired",
                       "It is no longer known here. Go back to the page you wanted and start again.", "", log);
  }
  const std::string retry = GateRetryUrl(s->claim, s->return_path);
  auto used = [&] {
    return GateProblem(req, http::status::gone, "session_used", "This request was already used",
                       "Each request unlocks the site once. If you are not in yet, start again.", retry, log);
  };
  if (s->state == GateState::kExpired) {
    // Said before the browser check: the binding cookie expires with the
    // session, so a page left open without JavaScript comes back without it.
    return GateProblem(req, http::status::gone, "session_expired", "This request has expired",
                       "Requests are valid for a few minutes. Start again to get a new one.", retry, log);
  }
  if (!BrowserKeyMatches(req, *s)) {
    return GateProblem(req, http::status::forbidden, "wrong_browser", "This request belongs to another browser",
                       "Only the browser that opened this request can continue with it. Start again here.", retry,
                       log);
  }
  switch (s->state) {
    case GateState::kSatisfied:
      break;
    case GateState::kPending:
    case GateState::kVerifying: {
      // Not yet: show the same page again (the no-JavaScript path refreshes here).
      log.reason = "pending";
      return GatePageResponse(req, id, s->claim, s->return_path);
    }
    case GateState::kRefused:
      return GateProblem(req, http::status::forbidden, s->reason,
                         "Not proved", RefusalMessage(s->reason, s->claim), retry, log);
    case GateState::kCollected:
      return used();
    case GateState::kExpired:
      return GateProblem(req, http::status::gone, "session_expired", "This request has expired",
                         "Requests are valid for a few minutes. Start again to get a new one.", retry, log);
  }
  if (!gates_->Collect(id, now)) {
    return used();  // another request collected it first
  }
  ++counters_.gate_collected;
  Response res{http::status::see_other, req.version()};
  res.set(http::field::location, s->return_path);
  res.set(http::field::cache_control, "no-store");
  res.set("Referrer-Policy", "no-referrer");
  res.keep_alive(req.keep_alive());
  SetSessionCookie(res, s->claim, now);
  res.insert(http::field::set_cookie, BindingCookie(id, "", 0));  // clears it
  log.reason = "collected";
  return res;
}

}  // namespace yesno::verifier
