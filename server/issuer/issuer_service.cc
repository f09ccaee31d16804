#include "issuer_service.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "log.h"
#include "yesno/batch.h"
#include "yesno/directory.h"
#include "yesno/token.h"

namespace yesno::issuer {
namespace {

using Json = nlohmann::ordered_json;
using server::http::status;
using server::http::verb;
using server::Request;
using server::RequestLog;
using server::Response;

constexpr char kCacheControlDirectory[] = "public, max-age=300";
constexpr char kMediaTypeJson[] = "application/json";
constexpr char kMediaTypePrometheus[] = "text/plain; version=0.0.4";

}  // namespace

unsigned StatusForReason(std::string_view reason) {
  if (reason == "missing_ticket" || reason == "bad_ticket" || reason == "unauthorized") return 401;
  if (reason == "ticket_expired" || reason == "revoked" || reason == "not_entitled") return 403;
  if (reason == "quota_exceeded") return 429;
  if (reason == "unsupported_media_type") return 415;
  if (reason == "unavailable") return 503;
  if (reason == "internal") return 500;
  // malformed, unknown_key, too_many_requests, unknown_attribute,
  // bad_birth_date, bad_valid_days
  return 422;
}

std::variant<EnrollResult, EnrollError> Enroll(const IssuerConfig& config, const SecretBytes& ticket_key,
                                               const EnrollRequest& request, int64_t now, Rng& rng) {
  const Date today = DateFromUnixSeconds(now);
  if (!IsValidDate(request.birth_date) || request.birth_date > today ||
      AgeOn(request.birth_date, today) > kMaxAgeClaim) {
    return EnrollError{"bad_birth_date", "the birth date must be a real date, not in the future, at most 150 years ago"};
  }
  if (request.valid_days < 1 || request.valid_days > kMaxValidDays) {
    return EnrollError{"bad_valid_days", "valid days must be 1..3660"};
  }
  std::vector<std::string> attributes;
  for (const auto& a : request.attributes) {
    if (std::find(config.attributes.begin(), config.attributes.end(), a) == config.attributes.end()) {
      return EnrollError{"unknown_attribute", "attribute '" + (IsValidClaimName(a) ? a : std::string("?")) +
                                                  "' is not in this issuer's policy"};
    }
    if (std::find(attributes.begin(), attributes.end(), a) == attributes.end()) attributes.push_back(a);
  }
  TicketContents contents;
  contents.ticket_id.resize(kTicketIdBytes);
  rng.Fill(contents.ticket_id);
  contents.birth_date = request.birth_date;
  contents.attributes = std::move(attributes);
  contents.expires_at = now + static_cast<int64_t>(request.valid_days) * kDaySeconds;
  auto ticket = SealTicket(ticket_key, config.name, contents, rng);
  if (!ticket.ok()) return EnrollError{"internal", "cannot seal the ticket: " + ticket.error().message};
  return EnrollResult{std::move(*ticket), contents.expires_at};
}

Result<std::unique_ptr<IssuerService>> IssuerService::Open(const std::string& dir, const Clock& clock, Rng& rng,
                                                           KeyGenerator generate, const StoreOptions& store) {
  if (Status s = CheckStateDir(dir); !s.ok()) return s.error();
  auto config = LoadConfig(dir);
  if (!config.ok()) return config.error();
  auto secrets = LoadSecrets(dir);
  if (!secrets.ok()) return secrets.error();
  auto stores = OpenIssuerStores(dir, *config, *secrets, store);
  if (!stores.ok()) return stores.error();
  auto keys = stores->vault ? KeyStore::LoadFromVault(stores->vault, *config, clock.NowSeconds())
                            : KeyStore::Load(dir, *config);
  if (!keys.ok()) return keys.error();
  if (!generate) generate = DefaultKeyGenerator(config->rsa_bits);
  return std::unique_ptr<IssuerService>(new IssuerService(dir, std::move(*config), std::move(*secrets),
                                                          std::move(*keys), std::move(*stores), clock, rng,
                                                          std::move(generate)));
}

IssuerService::IssuerService(std::string dir, IssuerConfig config, IssuerSecrets secrets,
                             std::unique_ptr<KeyStore> keys, IssuerStores stores, const Clock& clock, Rng& rng,
                             KeyGenerator generate)
    : dir_(std::move(dir)),
      config_(std::move(config)),
      secrets_(std::move(secrets)),
      keys_(std::move(keys)),
      state_(std::move(stores.state)),
      store_kind_(std::move(stores.kind)),
      clock_(clock),
      rng_(rng),
      generate_(std::move(generate)) {
  metrics_.Describe("tokens_issued_total", "counter", "Tokens blind-signed, by claim");
  metrics_.Describe("refusals_total", "counter", "Refused requests and batch elements, by reason code");
  metrics_.Describe("enrollments_total", "counter", "Tickets issued (CLI enrollments are not counted here)");
  metrics_.Describe("keys_listed", "gauge", "Token keys listed in the directory at the last request");
  for (const auto& claim : config_.OfferedClaims()) metrics_.Add("tokens_issued_total", {{"claim", claim}}, 0);
  metrics_.Add("enrollments_total", {}, 0);

  auto bind = [this](Response (IssuerService::*fn)(const Request&, RequestLog&)) {
    return [this, fn](const Request& req, RequestLog& log) { return (this->*fn)(req, log); };
  };
  router_.Add(verb::get, kDirectoryPath, bind(&IssuerService::HandleDirectory));
  router_.Add(verb::post, "/token-request", bind(&IssuerService::HandleTokenRequest));
  router_.Add(verb::post, "/token-request-batch", bind(&IssuerService::HandleBatch));
  router_.Add(verb::post, "/entitlements", bind(&IssuerService::HandleEntitlements));
  router_.Add(verb::post, "/admin/enroll", bind(&IssuerService::HandleEnroll));
  router_.Add(verb::get, "/healthz", bind(&IssuerService::HandleHealth));
  router_.Add(verb::get, "/metrics", bind(&IssuerService::HandleMetrics));
}

Response IssuerService::HandleRequest(const Request& req, RequestLog& log) { return router_(req, log); }

void IssuerService::Observe(const RequestLog& log, unsigned status_code, double seconds) {
  metrics_.ObserveRequest(log, status_code, seconds);
}

Result<KeyStore::MaintainReport> IssuerService::Maintain() {
  const int64_t now = clock_.NowSeconds();
  auto report = keys_->Maintain(now, generate_);
  if (!report.ok()) {
    server::LogEvent(kServerName, "key maintenance failed: " + report.error().message);
    return report;
  }
  if (report->generated > 0 || report->removed > 0) {
    server::LogEvent(kServerName, "key maintenance: generated " + std::to_string(report->generated) +
                                      ", removed " + std::to_string(report->removed) + " expired");
  }
  std::vector<Bytes> keep;
  for (const auto& k : keys_->All()) keep.push_back(k->key.public_key().KeyId());
  if (Status s = state_->Prune(config_.EpochOf(now), now, keep); !s.ok()) {
    server::LogEvent(kServerName, "state pruning failed: " + s.error().message);
  }
  if (oidc_) {
    if (Status s = state_->PruneEnrollments(now); !s.ok()) {
      server::LogEvent(kServerName, "enrollment-limit pruning failed: " + s.error().message);
    }
  }
  return report;
}

Response IssuerService::Refuse(const Request& req, std::string_view reason, RequestLog& log) {
  metrics_.Add("refusals_total", {{"reason", std::string(reason)}});
  Response res = server::JsonError(req, static_cast<status>(StatusForReason(reason)), reason, log);
  if (res.result() == status::unauthorized) res.set(server::http::field::www_authenticate, "Bearer realm=\"yesno-issuer\"");
  return res;
}

std::optional<IssuerService::OpenedTicket> IssuerService::CheckTicket(const Request& req, RequestLog& log, int64_t now,
                                                                      Response& error) {
  auto bearer = server::BearerToken(req);
  if (!bearer) {
    error = Refuse(req, "missing_ticket", log);
    return std::nullopt;
  }
  auto contents = OpenTicket(secrets_.ticket_key, config_.name, *bearer);
  if (!contents.ok()) {
    error = Refuse(req, "bad_ticket", log);
    return std::nullopt;
  }
  if (TicketExpired(*contents, now)) {
    error = Refuse(req, "ticket_expired", log);
    return std::nullopt;
  }
  OpenedTicket t{std::move(*contents), {}};
  t.hash = TicketHash(secrets_.ticket_hash_key, t.contents.ticket_id);
  auto revoked = state_->IsRevoked(t.hash);
  if (!revoked.ok()) {
    server::LogEvent(kServerName, "state database: " + revoked.error().message);
    error = Refuse(req, "unavailable", log);
    return std::nullopt;
  }
  if (*revoked) {
    error = Refuse(req, "revoked", log);
    return std::nullopt;
  }
  return t;
}

Response IssuerService::HandleDirectory(const Request& req, RequestLog& log) {
  const int64_t now = clock_.NowSeconds();
  IssuerDirectory dir;
  dir.issuer_request_uri = "/token-request";
  dir.issuer_name = config_.name;
  const auto listed = keys_->Listed(now);
  for (const auto& k : listed) {
    DirectoryKey entry;
    entry.token_type = kTokenTypeBlindRsa;
    entry.token_key = k->key.public_key().Spki();
    entry.not_before = k->not_before;
    entry.not_after = k->not_after;
    entry.claim = k->claim;
    auto issued = state_->Issued(k->key.public_key().KeyId());
    if (issued.ok()) entry.issued = static_cast<uint64_t>(*issued);  // optional: omitted if the store is down
    dir.keys.push_back(std::move(entry));
  }
  metrics_.Set("keys_listed", {}, static_cast<double>(listed.size()));
  std::string body = SerializeDirectory(dir);
  auto sig = SignDirectory(View(secrets_.signing_seed), body);
  if (!sig.ok()) return Refuse(req, "internal", log);
  Response res = server::MakeResponse(req, status::ok, kMediaTypeDirectory, std::move(body));
  res.set(kDirectorySignatureHeader, *sig);
  res.set(server::http::field::cache_control, kCacheControlDirectory);
  return res;
}

Response IssuerService::HandleTokenRequest(const Request& req, RequestLog& log) {
  const int64_t now = clock_.NowSeconds();
  if (!server::HasContentType(req, kMediaTypeTokenRequest)) return Refuse(req, "unsupported_media_type", log);
  Response error;
  auto ticket = CheckTicket(req, log, now, error);
  if (!ticket) return error;
  auto tr = ParseTokenRequest(AsBytes(req.body()));
  if (!tr.ok()) return Refuse(req, "malformed", log);
  auto key = keys_->LiveKey(tr->truncated_token_key_id, now);
  if (!key) return Refuse(req, "unknown_key", log);
  const Date today = DateFromUnixSeconds(now);
  if (!ClaimHolds(key->claim, ticket->contents.birth_date, ticket->contents.attributes, today)) {
    return Refuse(req, "not_entitled", log);
  }
  auto granted = state_->ReserveQuota(ticket->hash, config_.EpochOf(now), {{key->claim, 1}}, config_.quota);
  if (!granted.ok()) {
    server::LogEvent(kServerName, "state database: " + granted.error().message);
    return Refuse(req, "unavailable", log);
  }
  if ((*granted)[key->claim] < 1) return Refuse(req, "quota_exceeded", log);
  auto response = SignTokenRequest(key->key, *tr);
  if (!response.ok()) {
    return Refuse(req, response.error().code == ErrorCode::kMalformedInput ? "malformed" : "internal", log);
  }
  auto body = SerializeTokenResponse(*response);
  if (!body.ok()) return Refuse(req, "internal", log);
  if (Status s = state_->AddIssued({{key->key.public_key().KeyId(), 1}}); !s.ok()) {
    server::LogEvent(kServerName, "state database: cannot count issued tokens: " + s.error().message);
  }
  metrics_.Add("tokens_issued_total", {{"claim", key->claim}});
  return server::MakeResponse(req, status::ok, kMediaTypeTokenResponse, AsString(*body));
}

Response IssuerService::HandleBatch(const Request& req, RequestLog& log) {
  const int64_t now = clock_.NowSeconds();
  if (!server::HasContentType(req, kMediaTypeBatchRequest)) return Refuse(req, "unsupported_media_type", log);
  Response error;
  auto ticket = CheckTicket(req, log, now, error);
  if (!ticket) return error;
  auto batch = ParseGenericBatchTokenRequest(AsBytes(req.body()));
  if (!batch.ok() || batch->requests.empty()) return Refuse(req, "malformed", log);
  if (batch->requests.size() > kMaxBatchRequests) return Refuse(req, "too_many_requests", log);

  struct Item {
    std::shared_ptr<const EpochKey> key;
    TokenRequest request;
    std::string refusal;  // empty while the element may still be signed
  };
  const Date today = DateFromUnixSeconds(now);
  std::vector<Item> items(batch->requests.size());
  std::map<std::string, int> wanted;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const auto& generic = batch->requests[i];
    Item& item = items[i];
    if (generic.token_type != kTokenTypeBlindRsa) {  // a known type this issuer does not issue
      item.refusal = "unknown_key";
      continue;
    }
    auto tr = ParseTokenRequest(generic.token_request);
    if (!tr.ok()) {
      item.refusal = "malformed";
      continue;
    }
    item.request = std::move(*tr);
    item.key = keys_->LiveKey(item.request.truncated_token_key_id, now);
    if (!item.key) {
      item.refusal = "unknown_key";
    } else if (!ClaimHolds(item.key->claim, ticket->contents.birth_date, ticket->contents.attributes, today)) {
      item.refusal = "not_entitled";
    } else {
      ++wanted[item.key->claim];
    }
  }
  std::map<std::string, int> granted;
  if (!wanted.empty()) {
    auto g = state_->ReserveQuota(ticket->hash, config_.EpochOf(now), wanted, config_.quota);
    if (!g.ok()) {
      server::LogEvent(kServerName, "state database: " + g.error().message);
      return Refuse(req, "unavailable", log);
    }
    granted = std::move(*g);
  }

  GenericBatchTokenResponse out;
  std::map<Bytes, int64_t> issued;
  std::map<std::string, int> signed_by_claim;
  std::size_t signed_count = 0;
  std::string first_refusal;
  for (auto& item : items) {
    std::optional<GenericTokenResponse> response;
    if (item.refusal.empty()) {
      int& left = granted[item.key->claim];
      if (left <= 0) {
        item.refusal = "quota_exceeded";
      } else {
        --left;  // the quota is spent whether or not signing succeeds
        auto sig = SignTokenRequest(item.key->key, item.request);
        if (sig.ok()) {
          response = GenericTokenResponse{kTokenTypeBlindRsa, std::move(sig->blind_sig)};
          ++issued[item.key->key.public_key().KeyId()];
          ++signed_by_claim[item.key->claim];
          ++signed_count;
        } else {
          item.refusal = sig.error().code == ErrorCode::kMalformedInput ? "malformed" : "internal";
        }
      }
    }
    if (!item.refusal.empty()) {
      metrics_.Add("refusals_total", {{"reason", item.refusal}});
      if (first_refusal.empty()) first_refusal = item.refusal;
    }
    out.responses.push_back(std::move(response));
  }
  if (Status s = state_->AddIssued(issued); !s.ok()) {
    server::LogEvent(kServerName, "state database: cannot count issued tokens: " + s.error().message);
  }
  for (const auto& [claim, n] : signed_by_claim) metrics_.Add("tokens_issued_total", {{"claim", claim}}, n);

  if (signed_count == 0) {
    // Nothing signed: 400 with the first element's reason (already counted).
    log.reason = first_refusal;
    return server::MakeResponse(req, status::bad_request, kMediaTypeJson, "{\"error\":\"" + first_refusal + "\"}");
  }
  auto body = SerializeGenericBatchTokenResponse(out);
  if (!body.ok()) return Refuse(req, "internal", log);
  if (signed_count < items.size()) log.reason = "partial";
  return server::MakeResponse(req, signed_count == items.size() ? status::ok : status::partial_content,
                              kMediaTypeBatchResponse, AsString(*body));
}

Response IssuerService::HandleEntitlements(const Request& req, RequestLog& log) {
  const int64_t now = clock_.NowSeconds();
  Response error;
  auto ticket = CheckTicket(req, log, now, error);
  if (!ticket) return error;
  const Date today = DateFromUnixSeconds(now);
  const int64_t epoch = config_.EpochOf(now);
  Json claims = Json::array();
  Json quota = Json::object();
  for (const auto& claim : config_.OfferedClaims()) {
    if (!ClaimHolds(claim, ticket->contents.birth_date, ticket->contents.attributes, today)) continue;
    auto used = state_->QuotaUsed(ticket->hash, claim, epoch);
    if (!used.ok()) return Refuse(req, "unavailable", log);
    const int64_t u = std::min<int64_t>(*used, config_.quota);
    claims.push_back(claim);
    quota[claim] = {{"epoch", epoch}, {"limit", config_.quota}, {"used", u}, {"remaining", config_.quota - u}};
  }
  Json doc;
  doc["claims"] = std::move(claims);
  doc["expires_at"] = ticket->contents.expires_at;
  doc["quota"] = std::move(quota);
  return server::MakeResponse(req, status::ok, kMediaTypeJson, doc.dump());
}

Response IssuerService::HandleEnroll(const Request& req, RequestLog& log) {
  auto bearer = server::BearerToken(req);
  if (!secrets_.admin_secret || !bearer || !AdminSecretMatches(*secrets_.admin_secret, *bearer)) {
    return Refuse(req, "unauthorized", log);
  }
  if (!server::HasContentType(req, kMediaTypeJson)) return Refuse(req, "unsupported_media_type", log);
  const Json doc = Json::parse(req.body(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return Refuse(req, "malformed", log);
  for (const auto& [k, v] : doc.items()) {
    if (k != "birth_date" && k != "attributes" && k != "valid_days") return Refuse(req, "malformed", log);
  }
  EnrollRequest request;
  auto birth = doc.find("birth_date");
  if (birth == doc.end() || !birth->is_string()) return Refuse(req, "malformed", log);
  auto date = ParseDate(birth->get<std::string>());
  if (!date.ok()) return Refuse(req, "bad_birth_date", log);
  request.birth_date = *date;
  if (auto a = doc.find("attributes"); a != doc.end()) {
    if (!a->is_array() || a->size() > kMaxTicketAttributes) return Refuse(req, "malformed", log);
    for (const auto& v : *a) {
      if (!v.is_string()) return Refuse(req, "malformed", log);
      request.attributes.push_back(v.get<std::string>());
    }
  }
  if (auto d = doc.find("valid_days"); d != doc.end()) {
    if (!d->is_number_integer()) return Refuse(req, "malformed", log);
    const int64_t days = d->get<int64_t>();
    if (days < 1 || days > kMaxValidDays) return Refuse(req, "bad_valid_days", log);
    request.valid_days = static_cast<int>(days);
  }
  auto result = Enroll(config_, secrets_.ticket_key, request, clock_.NowSeconds(), rng_);
  if (auto* e = std::get_if<EnrollError>(&result)) return Refuse(req, e->reason, log);
  const auto& ok = std::get<EnrollResult>(result);
  metrics_.Add("enrollments_total", {});
  Json out;
  out["ticket"] = ok.ticket;
  out["expires_at"] = ok.expires_at;
  return server::MakeResponse(req, status::ok, kMediaTypeJson, out.dump());
}

Status IssuerService::EnableOidc(OidcConfig config, EnrollLimit limit, net::HttpClientOptions http) {
  for (const auto& [provider_claim, attr] : config.attributes) {
    if (std::find(config_.attributes.begin(), config_.attributes.end(), attr) == config_.attributes.end()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "--oidc: attribute '" + attr + "' is not in this issuer's policy (init --attributes)");
    }
  }
  http.timeout = std::chrono::milliseconds(10'000);
  oidc_ = std::make_unique<OidcEnrollment>(std::move(config), DerivePersonKey(secrets_.ticket_key), std::move(http));
  enroll_limit_ = limit;
  metrics_.Describe("oidc_refusals_total", "counter", "OIDC enrollments refused, by reason code");
  auto bind = [this](Response (IssuerService::*fn)(const Request&, RequestLog&)) {
    return [this, fn](const Request& req, RequestLog& log) { return (this->*fn)(req, log); };
  };
  router_.Add(verb::get, "/enroll", bind(&IssuerService::HandleOidcStart));
  router_.Add(verb::get, "/enroll/callback", bind(&IssuerService::HandleOidcCallback));
  return Status::Ok();
}

namespace {

std::string PageNonce(Rng& rng) {
  Bytes n(18);
  rng.Fill(n);
  return Base64UrlEncode(n, /*padding=*/false);
}

// EnrollCookie returns the flow-binding cookie's value from the request.
std::string EnrollCookie(const Request& req) {
  const std::string prefix = std::string(kEnrollCookieName) + "=";
  for (auto [it, end] = req.equal_range(server::http::field::cookie); it != end; ++it) {
    std::string_view v(it->value().data(), it->value().size());
    while (!v.empty()) {
      const auto semi = v.find(';');
      std::string_view part = v.substr(0, semi);
      while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
      if (part.substr(0, prefix.size()) == prefix) return std::string(part.substr(prefix.size()));
      if (semi == std::string_view::npos) break;
      v.remove_prefix(semi + 1);
    }
  }
  return "";
}

}  // namespace

Response IssuerService::OidcPage(const Request& req, unsigned status_code, std::string body, const std::string& nonce) {
  Response res = server::MakeResponse(req, static_cast<status>(status_code), "text/html; charset=utf-8", std::move(body));
  res.set(server::http::field::cache_control, "no-store");
  res.set(server::http::field::pragma, "no-cache");
  res.set("Content-Security-Policy", OidcContentSecurityPolicy(nonce));
  res.set("X-Frame-Options", "DENY");
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Referrer-Policy", "no-referrer");
  return res;
}

Response IssuerService::OidcProblem(const Request& req, const OidcFailure& failure, RequestLog& log) {
  log.reason = failure.reason;
  metrics_.Add("oidc_refusals_total", {{"reason", failure.reason}});
  const std::string nonce = PageNonce(rng_);
  return OidcPage(req, failure.status,
                  OidcProblemPage(failure.heading, failure.message, oidc_->PublicBase() + "/enroll", nonce), nonce);
}

Response IssuerService::HandleOidcStart(const Request& req, RequestLog& log) {
  auto started = oidc_->Begin(clock_.NowSeconds(), rng_);
  if (auto* f = std::get_if<OidcFailure>(&started)) return OidcProblem(req, *f, log);
  const auto& ok = std::get<OidcStarted>(started);
  Response res = server::MakeResponse(req, status::found, "text/plain; charset=utf-8", "");
  res.set(server::http::field::location, ok.location);
  res.set(server::http::field::cache_control, "no-store");
  res.set("Referrer-Policy", "no-referrer");
  // A random value binding the flow to this browser: nothing personal.
  // SameSite=Lax: the provider's redirect back is a top-level GET.
  std::string cookie = std::string(kEnrollCookieName) + "=" + ok.binding + "; Max-Age=" +
                       std::to_string(kFlowLifetimeSeconds) + "; Path=/; HttpOnly; SameSite=Lax";
  if (oidc_->config().redirect_uri.rfind("https://", 0) == 0) cookie += "; Secure";
  res.set(server::http::field::set_cookie, cookie);
  return res;
}

Response IssuerService::HandleOidcCallback(const Request& req, RequestLog& log) {
  const int64_t now = clock_.NowSeconds();
  CallbackQuery q;
  q.code = server::QueryParam(req, "code");
  q.state = server::QueryParam(req, "state");
  q.iss = server::QueryParam(req, "iss");
  q.error = server::QueryParam(req, "error");
  auto done = oidc_->Complete(q, EnrollCookie(req), now);
  if (auto* f = std::get_if<OidcFailure>(&done)) return OidcProblem(req, *f, log);
  auto& person = std::get<VerifiedPerson>(done);

  auto counted =
      state_->CountEnrollment(person.person_hash, enroll_limit_.count, enroll_limit_.window_seconds(), now);
  if (!counted.ok()) {
    server::LogEvent(kServerName, "state database: " + counted.error().message);
    return OidcProblem(req,
                       OidcFailure{503, "unavailable", "The issuer cannot make tickets right now",
                                   "This issuer's database is not reachable. Nothing was saved. Please try again "
                                   "in a few minutes."},
                       log);
  }
  if (!*counted) {
    return OidcProblem(
        req,
        OidcFailure{429, "enroll_limit", "You already have the most tickets allowed",
                    "One person can get at most " + std::to_string(enroll_limit_.count) + " tickets from this issuer in " +
                        std::to_string(enroll_limit_.days) +
                        " days, and this sign-in has reached that limit. Use a ticket you already have (your wallet "
                        "keeps it), or try again when the period has passed."},
        log);
  }
  auto result = Enroll(config_, secrets_.ticket_key,
                       EnrollRequest{person.birth_date, person.attributes, oidc_->config().ticket_days}, now, rng_);
  if (auto* e = std::get_if<EnrollError>(&result)) {
    return OidcProblem(req,
                       OidcFailure{e->reason == "internal" ? 500u : 422u, e->reason, "No ticket could be made",
                                   "This issuer could not make a ticket from what the identity provider shared."},
                       log);
  }
  const auto& ok = std::get<EnrollResult>(result);
  metrics_.Add("enrollments_total", {});
  const std::string nonce = PageNonce(rng_);
  Response res =
      OidcPage(req, 200,
               OidcTicketPage(oidc_->PublicBase(), Base64UrlEncode(secrets_.public_key), ok.ticket,
                              oidc_->ProviderName(), ok.expires_at, enroll_limit_.count, enroll_limit_.days, nonce),
               nonce);
  // The flow is over: clear the binding cookie.
  res.set(server::http::field::set_cookie,
          std::string(kEnrollCookieName) + "=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax");
  return res;
}

Response IssuerService::HandleHealth(const Request& req, RequestLog& log) {
  const int64_t now = clock_.NowSeconds();
  for (const auto& claim : config_.OfferedClaims()) {
    if (!keys_->LiveKeyFor(claim, now)) {
      log.reason = "no_live_key";
      return server::MakeResponse(req, status::service_unavailable, kMediaTypeJson,
                                  "{\"status\":\"degraded\",\"error\":\"no_live_key\"}");
    }
  }
  // A fleet's shared store (PostgreSQL) that does not answer: this instance
  // can sign nothing, so a load balancer should send requests elsewhere.
  if (!state_->Ping().ok()) {
    log.reason = "state_unavailable";
    return server::MakeResponse(req, status::service_unavailable, kMediaTypeJson,
                                "{\"status\":\"degraded\",\"error\":\"state_unavailable\"}");
  }
  return server::MakeResponse(req, status::ok, kMediaTypeJson, "{\"status\":\"ok\"}");
}

Response IssuerService::HandleMetrics(const Request& req, RequestLog&) {
  return server::MakeResponse(req, status::ok, kMediaTypePrometheus, metrics_.Render());
}

}  // namespace yesno::issuer
