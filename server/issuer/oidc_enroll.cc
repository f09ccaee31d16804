#include "oidc_enroll.h"

#include <sodium.h>

#include <algorithm>

#include "html.h"
#include "log.h"

namespace yesno::issuer {
namespace {

using Json = nlohmann::json;

constexpr char kPersonHashDomain[] = "yesno-enroll-limit-v1";
constexpr char kPersonKdfContext[crypto_kdf_CONTEXTBYTES + 1] = "yn-enlim";
constexpr std::size_t kSecretBytes = 32;  // state, nonce, PKCE verifier, binding: 256 bits each
constexpr std::size_t kMaxProviderResponseBytes = 256 * 1024;
constexpr char kCallbackSuffix[] = "/enroll/callback";

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

std::string StandardBase64(ByteView b) {
  std::string s = Base64UrlEncode(b, /*padding=*/true);
  for (char& c : s) c = c == '-' ? '+' : c == '_' ? '/' : c;
  return s;
}

SecretBytes RandomText(Rng& rng) {
  SecretBytes raw(kSecretBytes);
  rng.Fill(raw);
  const std::string text = Base64UrlEncode(View(raw), /*padding=*/false);
  SecretBytes out(text.begin(), text.end());
  internal::SecureWipe(const_cast<char*>(text.data()), text.size());
  return out;
}

std::string_view AsText(const SecretBytes& s) {
  return std::string_view(reinterpret_cast<const char*>(s.data()), s.size());
}

std::string StateKey(std::string_view state) { return HexEncode(Sha256(AsBytes(state))); }

OidcFailure Failure(unsigned status, std::string reason, std::string heading, std::string message) {
  return OidcFailure{status, std::move(reason), std::move(heading), std::move(message)};
}

OidcFailure Unreachable(const std::string& reason) {
  return Failure(503, reason, "The sign-in service cannot be reached",
                 "This issuer could not reach the identity provider just now. Nothing was saved. Please try again in a "
                 "few minutes.");
}

OidcFailure ProviderBroken(const std::string& reason) {
  return Failure(502, reason, "The identity provider's answer was not accepted",
                 "The identity provider answered, but its answer did not pass this issuer's checks, so no ticket was "
                 "made and nothing was saved. Please try again later; if it keeps happening, tell the issuer's "
                 "operator.");
}

// EndpointUrl parses a metadata endpoint: https, or http on loopback.
std::optional<net::Url> EndpointUrl(const Json& md, const char* name) {
  auto it = md.find(name);
  if (it == md.end() || !it->is_string() || it->get<std::string>().size() > 2048) return std::nullopt;
  auto url = net::ParseUrl(it->get<std::string>());
  if (!url.ok() || (url->scheme != "https" && !url->IsLoopback())) return std::nullopt;
  return *url;
}

// Claim returns the claim from the ID token, else from UserInfo.
const Json* Claim(const Json& id_claims, const Json* userinfo, const std::string& name) {
  if (auto it = id_claims.find(name); it != id_claims.end() && !it->is_null()) return &*it;
  if (userinfo != nullptr) {
    if (auto it = userinfo->find(name); it != userinfo->end() && !it->is_null()) return &*it;
  }
  return nullptr;
}

}  // namespace

Bytes PersonHash(const SecretBytes& key, std::string_view iss, std::string_view sub) {
  Bytes out(crypto_generichash_BYTES);
  crypto_generichash_state st;
  crypto_generichash_init(&st, key.data(), key.size(), out.size());
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(kPersonHashDomain), sizeof(kPersonHashDomain));
  for (std::string_view part : {iss, sub}) {
    const uint8_t len[2] = {static_cast<uint8_t>(part.size() >> 8), static_cast<uint8_t>(part.size() & 0xff)};
    crypto_generichash_update(&st, len, 2);
    crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(part.data()), part.size());
  }
  crypto_generichash_final(&st, out.data(), out.size());
  return out;
}

SecretBytes DerivePersonKey(const SecretBytes& ticket_key) {
  SecretBytes key(crypto_generichash_KEYBYTES);
  crypto_kdf_derive_from_key(key.data(), key.size(), 1, kPersonKdfContext, ticket_key.data());
  return key;
}

OidcEnrollment::OidcEnrollment(OidcConfig config, SecretBytes person_key, net::HttpClientOptions http)
    : config_(std::move(config)), person_key_(std::move(person_key)), http_([&] {
        if (http.max_response_bytes > kMaxProviderResponseBytes) http.max_response_bytes = kMaxProviderResponseBytes;
        if (http.ca_file.empty()) http.ca_file = config_.ca_file;
        http.allow_insecure_http = false;  // http only to loopback
        return http;
      }()) {}

OidcEnrollment::~OidcEnrollment() = default;

std::string OidcEnrollment::PublicBase() const {
  return config_.redirect_uri.substr(0, config_.redirect_uri.size() - (sizeof(kCallbackSuffix) - 1));
}

std::string OidcEnrollment::ProviderName() const {
  auto url = net::ParseUrl(config_.issuer);
  return url.ok() ? url->Origin() : config_.issuer;
}

std::size_t OidcEnrollment::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pending_.size();
}

Result<OidcEnrollment::Metadata> OidcEnrollment::Discover(int64_t now) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (metadata_ && now - metadata_->fetched_at < kDiscoveryLifetimeSeconds) return *metadata_;
  }
  std::string issuer = config_.issuer;
  while (!issuer.empty() && issuer.back() == '/') issuer.pop_back();
  auto url = net::ParseUrl(issuer + "/.well-known/openid-configuration");
  if (!url.ok()) return url.error();
  auto res = http_.Get(*url, {{"Accept", "application/json"}});
  if (!res.ok()) return MakeError(ErrorCode::kUnavailable, "discovery: " + res.error().message);
  if (res->status != 200) {
    return MakeError(ErrorCode::kUnavailable, "discovery: HTTP " + std::to_string(res->status));
  }
  const Json md = Json::parse(res->body, nullptr, /*allow_exceptions=*/false);
  if (md.is_discarded() || !md.is_object()) return MakeError(ErrorCode::kMalformedInput, "discovery: not JSON");
  // OIDC Discovery §4.3: the document's issuer must be exactly ours.
  if (!md.contains("issuer") || !md["issuer"].is_string() || md["issuer"].get<std::string>() != config_.issuer) {
    return MakeError(ErrorCode::kMalformedInput, "discovery: issuer does not match the configured one");
  }
  if (auto methods = md.find("code_challenge_methods_supported"); methods != md.end()) {
    if (!methods->is_array() || std::find(methods->begin(), methods->end(), "S256") == methods->end()) {
      return MakeError(ErrorCode::kMalformedInput, "discovery: the provider does not support PKCE S256");
    }
  }
  Metadata m;
  auto authorization = EndpointUrl(md, "authorization_endpoint");
  auto token = EndpointUrl(md, "token_endpoint");
  auto jwks = EndpointUrl(md, "jwks_uri");
  if (!authorization || !token || !jwks) {
    return MakeError(ErrorCode::kMalformedInput,
                     "discovery: authorization_endpoint, token_endpoint and jwks_uri must be https URLs");
  }
  m.authorization = *authorization;
  m.token = *token;
  m.jwks = *jwks;
  m.userinfo = EndpointUrl(md, "userinfo_endpoint");
  m.fetched_at = now;
  std::lock_guard<std::mutex> lock(mu_);
  metadata_ = m;
  return m;
}

std::variant<OidcStarted, OidcFailure> OidcEnrollment::Begin(int64_t now, Rng& rng) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = pending_.begin(); it != pending_.end();) {
      it = it->second.expires_at <= now ? pending_.erase(it) : std::next(it);
    }
    if (pending_.size() >= kMaxPendingFlows) {
      return Failure(503, "too_many_pending", "Too many sign-ins right now",
                     "This issuer has too many sign-ins in progress. Please try again in a few minutes.");
    }
  }
  auto md = Discover(now);
  if (!md.ok()) {
    server::LogEvent("yesno-issuer", "OIDC " + md.error().message);
    return md.error().code == ErrorCode::kUnavailable ? Unreachable("provider_unreachable")
                                                      : ProviderBroken("bad_discovery");
  }
  Pending p;
  p.state = RandomText(rng);
  p.nonce = RandomText(rng);
  p.code_verifier = RandomText(rng);
  p.binding = RandomText(rng);
  p.expires_at = now + kFlowLifetimeSeconds;
  const std::string challenge = Base64UrlEncode(Sha256(View(p.code_verifier)), /*padding=*/false);
  std::string scope;
  for (const auto& s : config_.scopes) scope += (scope.empty() ? "" : " ") + s;

  std::string location = md->authorization.Origin() + md->authorization.target;
  location += md->authorization.target.find('?') == std::string::npos ? "?" : "&";
  location += "response_type=code&client_id=" + PercentEncode(config_.client_id) +
              "&redirect_uri=" + PercentEncode(config_.redirect_uri) + "&scope=" + PercentEncode(scope) +
              "&state=" + std::string(AsText(p.state)) + "&nonce=" + std::string(AsText(p.nonce)) +
              "&code_challenge=" + challenge + "&code_challenge_method=S256";
  OidcStarted out{std::move(location), std::string(AsText(p.binding))};
  std::lock_guard<std::mutex> lock(mu_);
  pending_.emplace(StateKey(AsText(p.state)), std::move(p));
  return out;
}

std::optional<OidcEnrollment::Pending> OidcEnrollment::TakePending(std::string_view state, int64_t now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pending_.find(StateKey(state));
  if (it == pending_.end()) return std::nullopt;
  Pending p = std::move(it->second);
  pending_.erase(it);  // one use, whatever happens next
  if (!ConstantTimeEquals(AsBytes(state), View(p.state)) || p.expires_at <= now) return std::nullopt;
  return p;
}

Result<std::shared_ptr<const Jwks>> OidcEnrollment::FetchJwks(const Metadata& md, int64_t now) {
  auto res = http_.Get(md.jwks, {{"Accept", "application/json"}});
  if (!res.ok()) return MakeError(ErrorCode::kUnavailable, "JWKS: " + res.error().message);
  if (res->status != 200) return MakeError(ErrorCode::kUnavailable, "JWKS: HTTP " + std::to_string(res->status));
  auto jwks = Jwks::Parse(res->body);
  if (!jwks.ok()) return jwks.error();
  auto shared = std::make_shared<const Jwks>(std::move(*jwks));
  std::lock_guard<std::mutex> lock(mu_);
  jwks_ = shared;
  jwks_fetched_at_ = now;
  return shared;
}

Result<Json> OidcEnrollment::VerifyWithJwks(const Metadata& md, std::string_view id_token, const SecretBytes& nonce,
                                            int64_t now) {
  std::shared_ptr<const Jwks> jwks;
  int64_t fetched_at = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    jwks = jwks_;
    fetched_at = jwks_fetched_at_;
  }
  if (!jwks || now - fetched_at >= kJwksLifetimeSeconds) {
    auto fresh = FetchJwks(md, now);
    if (!fresh.ok()) return fresh.error();
    jwks = *fresh;
    fetched_at = now;
  }
  const IdTokenExpectations expect{config_.issuer, config_.client_id, &nonce, now};
  auto claims = VerifyIdToken(id_token, *jwks, expect);
  if (claims.ok() || claims.error().message != "unknown_kid") return claims;
  // The provider may have rotated its keys: refetch, but not more often
  // than jwks_min_refetch_seconds (a stream of made-up kids must not make
  // us hammer the provider).
  if (now - fetched_at < config_.jwks_min_refetch_seconds) return claims;
  auto fresh = FetchJwks(md, now);
  if (!fresh.ok()) return fresh.error();
  return VerifyIdToken(id_token, **fresh, expect);
}

std::variant<VerifiedPerson, OidcFailure> OidcEnrollment::Complete(const CallbackQuery& query,
                                                                   std::string_view binding_cookie, int64_t now) {
  const OidcFailure stale =
      Failure(400, "unknown_state", "This sign-in link has expired or was already used",
              "Each sign-in link works once, for ten minutes, in the browser that started it. Start again to get a "
              "new one.");
  if (!query.state || query.state->empty() || query.state->size() > 256) return stale;
  auto pending = TakePending(*query.state, now);
  if (!pending) return stale;
  if (!ConstantTimeEquals(AsBytes(binding_cookie), View(pending->binding))) {
    return Failure(400, "wrong_browser", "This sign-in was started in another browser",
                   "For your safety, a sign-in must finish in the browser that started it (the one with this "
                   "issuer's sign-in cookie). Start again here.");
  }
  if (query.error) {
    if (*query.error == "access_denied") {
      return Failure(403, "access_denied", "Sign-in cancelled",
                     "The identity provider says the sign-in was cancelled or not allowed, so no ticket was made.");
    }
    return Failure(502, "provider_error", "The identity provider reported an error",
                   "The identity provider could not complete the sign-in, so no ticket was made. Please try again "
                   "later.");
  }
  // RFC 9207: when the provider names itself, it must be the configured one.
  if (query.iss && *query.iss != config_.issuer) {
    return Failure(400, "wrong_issuer", "This answer came from another identity provider",
                   "The sign-in answer names a provider this issuer does not use, so it was refused.");
  }
  if (!query.code || query.code->empty() || query.code->size() > 2048) {
    return Failure(400, "malformed", "The sign-in answer is incomplete", "The sign-in answer carried no code. Start again.");
  }
  auto md = Discover(now);
  if (!md.ok()) {
    server::LogEvent("yesno-issuer", "OIDC " + md.error().message);
    return md.error().code == ErrorCode::kUnavailable ? Unreachable("provider_unreachable")
                                                      : ProviderBroken("bad_discovery");
  }

  // Code exchange, client_secret_basic (RFC 6749 §2.3.1: form-encode both parts).
  std::string basic_raw = PercentEncode(config_.client_id) + ":";
  basic_raw.append(PercentEncode(AsText(config_.client_secret)));
  net::HttpRequest token_req;
  token_req.method = "POST";
  token_req.url = md->token;
  token_req.content_type = "application/x-www-form-urlencoded";
  token_req.headers.emplace_back("Authorization", "Basic " + StandardBase64(AsBytes(basic_raw)));
  token_req.headers.emplace_back("Accept", "application/json");
  token_req.body = "grant_type=authorization_code&code=" + PercentEncode(*query.code) +
                   "&redirect_uri=" + PercentEncode(config_.redirect_uri) +
                   "&code_verifier=" + std::string(AsText(pending->code_verifier));
  auto token_res = http_.Send(token_req);
  internal::SecureWipe(basic_raw.data(), basic_raw.size());
  for (auto& [k, v] : token_req.headers) internal::SecureWipe(v.data(), v.size());
  internal::SecureWipe(token_req.body.data(), token_req.body.size());
  if (!token_res.ok()) {
    server::LogEvent("yesno-issuer", "OIDC token endpoint: " + token_res.error().message);
    return Unreachable("provider_unreachable");
  }
  Json token_doc = Json::parse(token_res->body, nullptr, /*allow_exceptions=*/false);
  internal::SecureWipe(token_res->body.data(), token_res->body.size());
  if (token_res->status == 400 || token_res->status == 401) {
    const bool grant = token_doc.is_object() && token_doc.contains("error") && token_doc["error"] == "invalid_grant";
    if (grant) {
      return Failure(400, "code_refused", "This sign-in was already used or has expired",
                     "The identity provider did not accept this sign-in (each one works once, for a short time). "
                     "Start again.");
    }
    return ProviderBroken("token_refused");
  }
  if (token_res->status != 200) {
    return token_res->status >= 500 ? Failure(502, "provider_error", "The identity provider reported an error",
                                              "The identity provider could not complete the sign-in, so no ticket was "
                                              "made. Please try again later.")
                                    : ProviderBroken("token_refused");
  }
  if (token_doc.is_discarded() || !token_doc.is_object() || !token_doc.contains("id_token") ||
      !token_doc["id_token"].is_string()) {
    return ProviderBroken("bad_token_response");
  }
  SecretBytes access_token;
  if (auto at = token_doc.find("access_token"); at != token_doc.end() && at->is_string()) {
    auto type = token_doc.find("token_type");
    std::string t = type != token_doc.end() && type->is_string() ? type->get<std::string>() : "";
    std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (t == "bearer") {
      const std::string& a = at->get_ref<const std::string&>();
      access_token.assign(a.begin(), a.end());
    }
  }
  std::string id_token = token_doc["id_token"].get<std::string>();
  token_doc = Json();  // refresh and other tokens dropped here

  auto claims = VerifyWithJwks(*md, id_token, pending->nonce, now);
  internal::SecureWipe(id_token.data(), id_token.size());
  if (!claims.ok()) {
    if (claims.error().code == ErrorCode::kUnavailable) {
      server::LogEvent("yesno-issuer", "OIDC " + claims.error().message);
      return Unreachable("provider_unreachable");
    }
    if (claims.error().code == ErrorCode::kMalformedInput && claims.error().message != "malformed") {
      server::LogEvent("yesno-issuer", "OIDC " + claims.error().message);  // a JWKS problem (no personal data)
      return ProviderBroken("bad_jwks");
    }
    return ProviderBroken("id_token_" + claims.error().message);
  }
  const std::string& sub = (*claims)["sub"].get_ref<const std::string&>();

  // UserInfo, when the ID token lacks a claim we need (OIDC Core §5.3.2:
  // its `sub` must be the ID token's).
  bool need_userinfo = Claim(*claims, nullptr, config_.birthdate_claim) == nullptr;
  for (const auto& [provider_claim, attr] : config_.attributes) {
    need_userinfo = need_userinfo || Claim(*claims, nullptr, provider_claim) == nullptr;
  }
  std::optional<Json> userinfo;
  if (need_userinfo && md->userinfo && !access_token.empty()) {
    std::string bearer = "Bearer ";
    bearer.append(AsText(access_token));
    auto ui = http_.Get(*md->userinfo, {{"Authorization", bearer}, {"Accept", "application/json"}});
    internal::SecureWipe(bearer.data(), bearer.size());
    if (!ui.ok()) {
      server::LogEvent("yesno-issuer", "OIDC UserInfo: " + ui.error().message);
      return Unreachable("provider_unreachable");
    }
    if (ui->status >= 500) return ProviderBroken("userinfo_error");
    if (ui->status != 200 || ui->content_type != "application/json") return ProviderBroken("userinfo_refused");
    Json doc = Json::parse(ui->body, nullptr, /*allow_exceptions=*/false);
    internal::SecureWipe(ui->body.data(), ui->body.size());
    if (doc.is_discarded() || !doc.is_object()) return ProviderBroken("userinfo_malformed");
    auto ui_sub = doc.find("sub");
    if (ui_sub == doc.end() || !ui_sub->is_string() ||
        !ConstantTimeEquals(AsBytes(ui_sub->get_ref<const std::string&>()), AsBytes(sub))) {
      return ProviderBroken("userinfo_wrong_subject");
    }
    userinfo = std::move(doc);
  }
  access_token.clear();

  VerifiedPerson person;
  const Date today = DateFromUnixSeconds(now);
  auto birth = ParseOidcBirthdate(Claim(*claims, userinfo ? &*userinfo : nullptr, config_.birthdate_claim), today);
  if (auto* problem = std::get_if<BirthdateProblem>(&birth)) {
    std::string why;
    switch (*problem) {
      case BirthdateProblem::kMissing:
        why = "The identity provider did not share a birth date, so this issuer cannot tell your age. Check that "
              "your account there has a birth date and that you allowed sharing it.";
        break;
      case BirthdateProblem::kYearOnly:
        why = "The identity provider shared only a year of birth. A full date is needed to tell your age on any "
              "given day.";
        break;
      case BirthdateProblem::kYearZero:
        why = "The identity provider withheld the year of birth, so this issuer cannot tell your age.";
        break;
      case BirthdateProblem::kFuture:
        why = "The identity provider's birth date lies in the future, so it cannot be right.";
        break;
      case BirthdateProblem::kTooOld:
        why = "The identity provider's birth date is more than 150 years ago, so it cannot be right.";
        break;
      case BirthdateProblem::kNotADate:
        why = "The identity provider's birth date is not a date this issuer can read.";
        break;
    }
    return Failure(422, std::string(BirthdateReason(*problem)), "No ticket: your birth date could not be used",
                   why + " Nothing about you was saved.");
  }
  person.birth_date = std::get<Date>(birth);
  for (const auto& [provider_claim, attr] : config_.attributes) {
    const Json* v = Claim(*claims, userinfo ? &*userinfo : nullptr, provider_claim);
    if (v != nullptr && ((v->is_boolean() && v->get<bool>()) || (v->is_string() && v->get<std::string>() == "true"))) {
      if (std::find(person.attributes.begin(), person.attributes.end(), attr) == person.attributes.end()) {
        person.attributes.push_back(attr);
      }
    }
  }
  person.person_hash = PersonHash(person_key_, config_.issuer, sub);
  return person;
}

// --- pages ---------------------------------------------------------------------------

namespace {

using server::HtmlEscape;

constexpr char kStyle[] = R"css(
:root{color-scheme:light dark;--fg:#1b1b1f;--bg:#fafaf7;--muted:#55555f;--card:#fff;--line:#d9d9de;--ok:#0b6b2f;--no:#a11a1a;--accent:#2748b3}
@media (prefers-color-scheme:dark){:root{--fg:#ececf0;--bg:#16161a;--muted:#b4b4bf;--card:#1f1f25;--line:#3a3a44;--ok:#5fd38a;--no:#ff8a8a;--accent:#9db3ff}}
*{box-sizing:border-box}
[hidden]{display:none!important}
body{margin:0;font:1.05rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:46rem;margin:0 auto;padding:1.5rem 1.25rem 3rem}
h1{font-size:1.7rem;line-height:1.25;margin:.5rem 0 1rem}
h2{font-size:1.15rem;margin:0 0 .5rem}
section{background:var(--card);border:1px solid var(--line);border-radius:.75rem;padding:1rem 1.25rem;margin:1rem 0}
pre{white-space:pre-wrap;word-break:break-all;background:var(--bg);border:1px solid var(--line);border-radius:.5rem;padding:.6rem .75rem;margin:.5rem 0;font-size:.9rem}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.muted{color:var(--muted);font-size:.95rem}
.warn{color:var(--no);font-weight:600}
a{color:var(--accent)}
button,a.button{display:inline-block;padding:.55rem 1rem;border:2px solid var(--accent);border-radius:.5rem;background:none;color:var(--accent);font:inherit;font-weight:600;text-decoration:none;cursor:pointer}
button:focus-visible,a.button:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
)css";

// The copy button, and the extension hook: the button with
// data-yesno-action="enroll" stays hidden unless the yesno browser extension
// marks the page (<html data-yesno-wallet>, or a "yesno-wallet" event on
// document). Nothing is sent anywhere by this script.
constexpr char kScript[] = R"js(
(function () {
  var copy = document.getElementById("copy");
  var status = document.getElementById("copy-status");
  copy.hidden = !(navigator.clipboard && navigator.clipboard.writeText);
  copy.addEventListener("click", function () {
    navigator.clipboard.writeText(document.getElementById("command").textContent).then(
      function () { status.textContent = "Copied. Paste it into a terminal on this computer."; },
      function () { status.textContent = "Could not copy: select the command and copy it by hand."; });
  });
  var add = document.getElementById("yesno-enroll");
  function reveal() { add.hidden = false; }
  if (document.documentElement.hasAttribute("data-yesno-wallet")) reveal();
  document.addEventListener("yesno-wallet", reveal);
  new MutationObserver(function () {
    if (document.documentElement.hasAttribute("data-yesno-wallet")) reveal();
  }).observe(document.documentElement, {attributes: true, attributeFilter: ["data-yesno-wallet"]});
})();
)js";

std::string Head(const std::string& title, const std::string& nonce) {
  return "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         "<meta name=\"referrer\" content=\"no-referrer\">\n<meta name=\"robots\" content=\"noindex\">\n"
         "<title>" + HtmlEscape(title) + "</title>\n<style nonce=\"" + HtmlEscape(nonce) + "\">" + kStyle +
         "</style>\n</head>\n";
}

}  // namespace

std::string OidcContentSecurityPolicy(std::string_view nonce) {
  const std::string n(nonce);
  return "default-src 'none'; style-src 'nonce-" + n + "'; script-src 'nonce-" + n +
         "'; img-src 'none'; connect-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
}

std::string OidcTicketPage(const std::string& issuer_url, const std::string& issuer_key, const std::string& ticket,
                           const std::string& provider, int64_t expires_at, int limit_count, int limit_days,
                           const std::string& script_nonce) {
  const std::string command =
      "yesno enroll --issuer " + issuer_url + " --issuer-key " + issuer_key + " --ticket " + ticket;
  std::string html = Head("Your yesno ticket", script_nonce);
  html += "<body>\n<main>\n<h1>Your yesno ticket is ready</h1>\n";
  html += "<p>You signed in with <strong>" + HtmlEscape(provider) +
          "</strong>. It told this issuer your birth date once; the date is sealed inside the ticket below, which "
          "only this issuer can open. The issuer keeps no record of who you are.</p>\n";
  html += "<section>\n<h2>Add it to your wallet</h2>\n";
  html += "<p><button type=\"button\" id=\"yesno-enroll\" hidden data-yesno-action=\"enroll\" data-yesno-issuer=\"" +
          HtmlEscape(issuer_url) + "\" data-yesno-issuer-key=\"" + HtmlEscape(issuer_key) + "\" data-yesno-ticket=\"" +
          HtmlEscape(ticket) + "\">Add to my yesno wallet</button></p>\n";
  html += "<p>With the yesno wallet on this computer, run:</p>\n<pre><code id=\"command\">" + HtmlEscape(command) +
          "</code></pre>\n<p><button type=\"button\" id=\"copy\" hidden>Copy the command</button> <span "
          "id=\"copy-status\" class=\"muted\" role=\"status\"></span></p>\n";
  html += "<p class=\"warn\">This page shows the ticket once. Anyone who has the ticket can use it as you: do not "
          "share it, and close this page when you are done.</p>\n";
  html += "<p class=\"muted\">The ticket is valid until " + FormatDate(DateFromUnixSeconds(expires_at)) +
          " (UTC). One person can get at most " + std::to_string(limit_count) + " tickets here in " +
          std::to_string(limit_days) + " days.</p>\n</section>\n";
  html += "</main>\n<script nonce=\"" + HtmlEscape(script_nonce) + "\">" + kScript + "</script>\n</body>\n</html>\n";
  return html;
}

std::string OidcProblemPage(const std::string& heading, const std::string& message, const std::string& start_url,
                            const std::string& style_nonce) {
  std::string html = Head(heading, style_nonce);
  html += "<body>\n<main>\n<h1>" + HtmlEscape(heading) + "</h1>\n<section>\n<p>" + HtmlEscape(message) +
          "</p>\n<p><a class=\"button\" href=\"" + HtmlEscape(start_url) + "\">Start again</a></p>\n</section>\n</main>\n</body>\n</html>\n";
  return html;
}

}  // namespace yesno::issuer
