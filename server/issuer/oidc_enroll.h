// oidc_enroll.h — enrollment through an OpenID Connect provider (DESIGN §10,
// docs/operations.md "Enrollment with OpenID Connect").
//
//   GET /enroll           → a fresh state, nonce and PKCE (S256) verifier,
//                           kept here in memory, and a redirect to the
//                           provider's authorization endpoint;
//   GET /enroll/callback  → the state checked (once), the code exchanged at the
//                           token endpoint (client_secret_basic), the ID token
//                           verified (id_token.h), the birth date read from
//                           the ID token or else UserInfo (same `sub`).
//
// OidcEnrollment does the protocol; IssuerService counts the enrollment
// (StateStore::CountEnrollment), seals the ticket and renders the pages
// (OidcTicketPage, OidcProblemPage). Nothing about the person outlives the
// callback: provider tokens, `sub` and claims are dropped at its end; the
// only record is PersonHash(iss, sub), a keyed hash, in the limit counter.
//
// Pending sign-ins live in this process's memory (bounded: kMaxPendingFlows,
// kFlowLifetimeSeconds): a callback must reach the instance that started the
// flow, and a restart forgets flows in progress (the person starts again).
#ifndef YESNO_SERVER_ISSUER_OIDC_ENROLL_H_
#define YESNO_SERVER_ISSUER_OIDC_ENROLL_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "http_client.h"
#include "id_token.h"
#include "oidc_config.h"
#include "yesno/bytes.h"
#include "yesno/claims.h"
#include "yesno/rng.h"
#include "yesno/secret_bytes.h"

namespace yesno::issuer {

inline constexpr std::size_t kMaxPendingFlows = 10000;
inline constexpr int64_t kFlowLifetimeSeconds = 600;
inline constexpr int64_t kDiscoveryLifetimeSeconds = 3600;
inline constexpr int64_t kJwksLifetimeSeconds = 3600;
inline constexpr char kEnrollCookieName[] = "yesno_enroll";

// OidcFailure is what the person is told, and the fixed reason code logged.
struct OidcFailure {
  unsigned status = 502;
  std::string reason;   // fixed code for logs and metrics
  std::string heading;  // plain language
  std::string message;  // plain language; never contains provider data
};

// VerifiedPerson is what a completed sign-in established. It lives only for
// the rest of the callback request.
struct VerifiedPerson {
  Date birth_date;
  std::vector<std::string> attributes;
  Bytes person_hash;  // PersonHash(iss, sub)
};

struct OidcStarted {
  std::string location;  // the provider's authorization URL
  std::string binding;   // random value for the flow-binding cookie (nothing personal)
};

// CallbackQuery is the callback's query string, decoded.
struct CallbackQuery {
  std::optional<std::string> code, state, iss, error;
};

// PersonHash is keyed BLAKE2b-256 under `key` over
// "yesno-enroll-limit-v1" || 0x00 || u16(len iss) || iss || u16(len sub) || sub.
Bytes PersonHash(const SecretBytes& key, std::string_view iss, std::string_view sub);
// DerivePersonKey derives the limit-counter key from the ticket key
// (libsodium KDF, context "yn-enlim").
SecretBytes DerivePersonKey(const SecretBytes& ticket_key);

class OidcEnrollment {
 public:
  // `person_key` keys PersonHash. `http` bounds every provider request.
  OidcEnrollment(OidcConfig config, SecretBytes person_key, net::HttpClientOptions http);
  ~OidcEnrollment();

  // Begin starts a sign-in: discovery (cached), fresh secrets, the pending
  // entry. Fails with 503 when the provider cannot be reached or too many
  // sign-ins are pending.
  std::variant<OidcStarted, OidcFailure> Begin(int64_t now, Rng& rng);

  // Complete finishes a sign-in. The state is looked up and consumed first
  // (a replay finds nothing); `binding_cookie` must match the flow's.
  std::variant<VerifiedPerson, OidcFailure> Complete(const CallbackQuery& query, std::string_view binding_cookie,
                                                     int64_t now);

  const OidcConfig& config() const { return config_; }
  // PublicBase is this issuer's URL as the browser reaches it
  // (redirect_uri without "/enroll/callback").
  std::string PublicBase() const;
  // ProviderName is the provider's host, for pages.
  std::string ProviderName() const;
  std::size_t pending() const;

 private:
  struct Metadata {
    net::Url authorization;
    net::Url token;
    std::optional<net::Url> userinfo;
    net::Url jwks;
    int64_t fetched_at = 0;
  };
  struct Pending {
    SecretBytes state;
    SecretBytes code_verifier;
    SecretBytes nonce;
    SecretBytes binding;
    int64_t expires_at = 0;
  };

  Result<Metadata> Discover(int64_t now);
  // VerifyWithJwks verifies the ID token, refetching the JWKS once on an
  // unknown kid (at most every jwks_min_refetch_seconds).
  Result<nlohmann::json> VerifyWithJwks(const Metadata& md, std::string_view id_token, const SecretBytes& nonce,
                                        int64_t now);
  Result<std::shared_ptr<const Jwks>> FetchJwks(const Metadata& md, int64_t now);
  std::optional<Pending> TakePending(std::string_view state, int64_t now);

  OidcConfig config_;
  SecretBytes person_key_;
  net::HttpClient http_;

  mutable std::mutex mu_;
  std::optional<Metadata> metadata_;
  std::shared_ptr<const Jwks> jwks_;
  int64_t jwks_fetched_at_ = 0;
  std::map<std::string, Pending> pending_;  // key: hex SHA-256 of the state
};

// OidcTicketPage is the callback's success page: the ticket (shown once),
// the `yesno enroll` command with a copy button, and the hidden
// data-yesno-action="enroll" button for the browser extension
// (docs/api.md). `script_nonce` is the CSP nonce for its style and script.
std::string OidcTicketPage(const std::string& issuer_url, const std::string& issuer_key, const std::string& ticket,
                           const std::string& provider, int64_t expires_at, int limit_count, int limit_days,
                           const std::string& script_nonce);
// OidcProblemPage says what went wrong and offers to start again.
std::string OidcProblemPage(const std::string& heading, const std::string& message, const std::string& start_url,
                            const std::string& style_nonce);
// OidcContentSecurityPolicy allows only the page's own nonce-tagged style
// and script; nothing from elsewhere.
std::string OidcContentSecurityPolicy(std::string_view nonce);

}  // namespace yesno::issuer

#endif  // YESNO_SERVER_ISSUER_OIDC_ENROLL_H_
