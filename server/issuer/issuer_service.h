// issuer_service.h — the yesno issuer as a pure-ish request handler.
//
// IssuerService owns the policy, the secrets, the key store and the state
// store, and answers HTTP requests (docs/api.md, "Issuer") without touching
// sockets: HandleRequest(Request) -> Response, so tests drive it in process
// with a FixedClock. Time and randomness are injected.
//
// What it keeps about people: nothing. A ticket is opened for the duration
// of one request; the state database sees only a keyed hash of its id. With
// OIDC enrollment (EnableOidc) the one per-person record is the enrollment
// limit counter, keyed by a keyed hash of the provider's (iss, sub).
#ifndef YESNO_SERVER_ISSUER_ISSUER_SERVICE_H_
#define YESNO_SERVER_ISSUER_ISSUER_SERVICE_H_

#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "http_server.h"
#include "issuer_config.h"
#include "issuer_files.h"
#include "key_store.h"
#include "metrics.h"
#include "oidc_config.h"
#include "oidc_enroll.h"
#include "state_store.h"
#include "yesno/claims.h"
#include "yesno/rng.h"
#include "yesno/ticket.h"

namespace yesno::issuer {

inline constexpr std::size_t kMaxBatchRequests = 64;
inline constexpr char kServerName[] = "yesno-issuer";

// EnrollRequest is what the operator's identity proofing established.
struct EnrollRequest {
  Date birth_date;
  std::vector<std::string> attributes;
  int valid_days = kDefaultValidDays;
};

struct EnrollResult {
  std::string ticket;  // "yn1...": a bearer credential, never log it
  int64_t expires_at = 0;
};

// EnrollError is a fixed reason code plus a message for the CLI.
struct EnrollError {
  std::string reason;  // bad_birth_date | unknown_attribute | bad_valid_days | internal
  std::string message;
};

// Enroll seals a ticket for `request` (shared by the CLI and POST
// /admin/enroll). The birth date must be a real date, not in the future;
// attributes must be in the policy; valid_days 1..3660.
std::variant<EnrollResult, EnrollError> Enroll(const IssuerConfig& config, const SecretBytes& ticket_key,
                                               const EnrollRequest& request, int64_t now, Rng& rng);

class IssuerService {
 public:
  // Open loads DIR (config, secrets, keys, state). It does not generate
  // keys: call Maintain() before serving. HandleRequest and Maintain may run
  // on several threads at once; `rng` must then be thread-safe (SystemRng
  // is) and `clock` must outlive the service.
  // `store` picks and tunes the state store (default: the one issuer.json
  // names). With a PostgreSQL store the keys come from the database.
  static Result<std::unique_ptr<IssuerService>> Open(const std::string& dir, const Clock& clock, Rng& rng,
                                                     KeyGenerator generate = {}, const StoreOptions& store = {});

  // HandleRequest answers one request; it never throws for bad input.
  server::Response HandleRequest(const server::Request& req, server::RequestLog& log);

  // Maintain generates due keys, deletes expired ones and prunes the state
  // database. Call at startup and periodically. With a shared store it
  // first loads the keys other instances made.
  Result<KeyStore::MaintainReport> Maintain();

  // EnableOidc turns on GET /enroll and /enroll/callback (oidc_enroll.h)
  // with `limit` tickets per person. Call before serving. Fails when an
  // attribute of `config` is not in the issuer's policy.
  Status EnableOidc(OidcConfig config, EnrollLimit limit, net::HttpClientOptions http = {});

  // Observe is the HttpServer observer (request metrics).
  void Observe(const server::RequestLog& log, unsigned status, double seconds);

  const IssuerConfig& config() const { return config_; }
  const Bytes& public_key() const { return secrets_.public_key; }
  KeyStore& keys() { return *keys_; }
  StateStore& state() { return *state_; }
  const std::string& store_kind() const { return store_kind_; }
  server::Metrics& metrics() { return metrics_; }

 private:
  IssuerService(std::string dir, IssuerConfig config, IssuerSecrets secrets, std::unique_ptr<KeyStore> keys,
                IssuerStores stores, const Clock& clock, Rng& rng, KeyGenerator generate);

  // TicketCheck opens and checks the bearer ticket; on failure it fills
  // `error` with the response to send.
  struct OpenedTicket {
    TicketContents contents;
    Bytes hash;
  };
  std::optional<OpenedTicket> CheckTicket(const server::Request& req, server::RequestLog& log, int64_t now,
                                          server::Response& error);
  server::Response Refuse(const server::Request& req, std::string_view reason, server::RequestLog& log);

  server::Response HandleDirectory(const server::Request& req, server::RequestLog& log);
  server::Response HandleTokenRequest(const server::Request& req, server::RequestLog& log);
  server::Response HandleBatch(const server::Request& req, server::RequestLog& log);
  server::Response HandleEntitlements(const server::Request& req, server::RequestLog& log);
  server::Response HandleEnroll(const server::Request& req, server::RequestLog& log);
  server::Response HandleOidcStart(const server::Request& req, server::RequestLog& log);
  server::Response HandleOidcCallback(const server::Request& req, server::RequestLog& log);
  server::Response OidcPage(const server::Request& req, unsigned status, std::string body, const std::string& nonce);
  server::Response OidcProblem(const server::Request& req, const OidcFailure& failure, server::RequestLog& log);
  server::Response HandleHealth(const server::Request& req, server::RequestLog& log);
  server::Response HandleMetrics(const server::Request& req, server::RequestLog& log);

  std::string dir_;
  IssuerConfig config_;
  IssuerSecrets secrets_;
  std::unique_ptr<KeyStore> keys_;
  std::shared_ptr<StateStore> state_;
  std::string store_kind_;
  const Clock& clock_;
  Rng& rng_;
  KeyGenerator generate_;
  server::Metrics metrics_{"yesno_issuer"};
  server::Router router_;
  std::unique_ptr<OidcEnrollment> oidc_;
  EnrollLimit enroll_limit_;
};

// StatusForReason maps a refusal reason code to its HTTP status
// (docs/api.md).
unsigned StatusForReason(std::string_view reason);

}  // namespace yesno::issuer

#endif  // YESNO_SERVER_ISSUER_ISSUER_SERVICE_H_
