// oidc_config.h — OpenID Connect enrollment settings (`yesno-issuer serve
// --oidc FILE`, `--enroll-limit N/DAYS`) and the OIDC `birthdate` rules.
//
// FILE is a JSON object (docs/operations.md, "Enrollment with OpenID
// Connect"):
//
//   {"issuer": "https://id.example",             the provider's issuer URL
//    "client_id": "yesno-issuer",
//    "client_secret_file": "oidc-client.secret",  relative to FILE's directory
//    "redirect_uri": "https://issuer.example/enroll/callback",
//    "scopes": ["openid", "profile"],             optional
//    "birthdate_claim": "birthdate",              optional
//    "attributes": {"email_verified": "verified_person"},  optional: claim true → attribute
//    "ticket_days": 365,                          optional
//    "ca_file": "/etc/ssl/provider-ca.pem",       optional: CA for the provider's TLS
//    "jwks_min_refetch_seconds": 60}              optional: unknown-kid refetch rate limit
//
// Unknown fields are errors. The provider must be reached over https unless
// its host is loopback (tests).
#ifndef YESNO_SERVER_ISSUER_OIDC_CONFIG_H_
#define YESNO_SERVER_ISSUER_OIDC_CONFIG_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "yesno/claims.h"
#include "yesno/result.h"
#include "yesno/secret_bytes.h"

namespace yesno::issuer {

inline constexpr std::size_t kMaxOidcConfigBytes = 16 * 1024;
inline constexpr std::size_t kMaxClientSecretBytes = 1024;

struct OidcConfig {
  std::string issuer;  // compared byte for byte with the ID token's `iss`
  std::string client_id;
  SecretBytes client_secret;  // never logged
  std::string redirect_uri;
  std::vector<std::string> scopes = {"openid", "profile"};
  std::string birthdate_claim = "birthdate";
  std::vector<std::pair<std::string, std::string>> attributes;  // provider claim -> attribute claim
  int ticket_days = 365;
  std::string ca_file;
  int64_t jwks_min_refetch_seconds = 60;
};

// ParseOidcConfig strictly reads the JSON of an --oidc file; the client
// secret is read from `client_secret_file`, resolved against `base_dir`.
Result<OidcConfig> ParseOidcConfig(std::string_view json, const std::string& base_dir);
// LoadOidcConfig reads FILE (at most 16 KiB) and parses it.
Result<OidcConfig> LoadOidcConfig(const std::string& path);

// EnrollLimit is "at most `count` tickets per person per `days` days".
struct EnrollLimit {
  int count = 3;
  int days = 365;
  int64_t window_seconds() const { return static_cast<int64_t>(days) * 86400; }
};
// ParseEnrollLimit reads "N/DAYS" (N 1..1000, DAYS 1..3660).
Result<EnrollLimit> ParseEnrollLimit(std::string_view text);

// BirthdateProblem says why a provider's birth date cannot make a ticket.
enum class BirthdateProblem { kMissing, kNotADate, kYearOnly, kYearZero, kFuture, kTooOld };
// BirthdateReason is the fixed reason code (logs, metrics): no_birthdate,
// bad_birthdate, birthdate_year_only, birthdate_year_zero,
// birthdate_in_future, birthdate_too_old.
std::string_view BirthdateReason(BirthdateProblem p);

// ParseOidcBirthdate reads an OIDC Core §5.1 `birthdate` value (`value` may
// be null when the claim is absent). Only a full YYYY-MM-DD date with a real
// year, not after `today` and at most 150 years back, makes a ticket.
std::variant<Date, BirthdateProblem> ParseOidcBirthdate(const nlohmann::json* value, const Date& today);

}  // namespace yesno::issuer

#endif  // YESNO_SERVER_ISSUER_OIDC_CONFIG_H_
