// id_token.h — OpenID Connect ID token checks on libcjose (Debian's
// libcjose-dev): the provider's JWKS, and the JWS signature and claims of an
// ID token (OIDC Core §3.1.3.7).
//
// Only RS256 (RSA keys of at least 2048 bits) and ES256 (P-256) are
// accepted. The header is parsed here, strictly, *before* libcjose sees the
// token: `none`, HMAC (HS*) and every other algorithm, a `crit` header, a
// JWE, or a key of the wrong type for the algorithm are refused without any
// verification attempt.
#ifndef YESNO_SERVER_ISSUER_ID_TOKEN_H_
#define YESNO_SERVER_ISSUER_ID_TOKEN_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "yesno/result.h"
#include "yesno/secret_bytes.h"

namespace yesno::issuer {

inline constexpr std::size_t kMaxIdTokenBytes = 16 * 1024;
inline constexpr std::size_t kMaxJwksKeys = 32;
inline constexpr int64_t kIdTokenSkewSeconds = 120;
// An ID token issued longer ago than this (plus skew) is refused even if
// its `exp` is later: it belongs to an old sign-in.
inline constexpr int64_t kIdTokenMaxAgeSeconds = 600;

// Jwks is a provider's key set: the RS256/ES256 signing keys of a JWKS
// document, each imported with libcjose. Keys with "use" other than "sig",
// other key types and curves, and RSA keys under 2048 bits are skipped.
class Jwks {
 public:
  // Parse reads {"keys": [...]} (at most 32 keys).
  static Result<Jwks> Parse(std::string_view json);

  struct Key;
  Jwks();
  Jwks(Jwks&&) noexcept;
  Jwks& operator=(Jwks&&) noexcept;
  ~Jwks();

  std::size_t size() const;
  bool HasKid(std::string_view kid) const;
  // Candidates are the keys that may have signed a token with `alg`
  // (RS256/ES256) and `kid` (empty: every key of the right type).
  std::vector<const Key*> Candidates(std::string_view alg, std::string_view kid) const;

 private:
  std::vector<std::unique_ptr<Key>> keys_;
};

// JwsAlg returns the "alg" of a compact JWS's protected header, and its
// "kid" (empty if absent), after the strict header checks above. Errors
// carry a reason code as message: malformed, bad_alg.
struct JwsHeader {
  std::string alg;
  std::string kid;
};
Result<JwsHeader> ParseJwsHeader(std::string_view compact);

struct IdTokenExpectations {
  std::string issuer;     // exact `iss`
  std::string client_id;  // must be in `aud`; `azp`, if present, must equal it
  const SecretBytes* nonce = nullptr;  // compared in constant time
  int64_t now = 0;
};

// VerifyIdToken checks the signature with the key named by `kid` (or, without
// a kid, any key of the algorithm's type), then iss, aud/azp, exp and iat
// (with kIdTokenSkewSeconds), nonce and a non-empty `sub`, and returns the
// claims. Errors carry a fixed reason code as message: malformed, bad_alg,
// unknown_kid (refetch the JWKS and retry), bad_signature, wrong_issuer,
// wrong_audience, expired, issued_in_future, wrong_nonce, no_subject.
Result<nlohmann::json> VerifyIdToken(std::string_view compact, const Jwks& jwks, const IdTokenExpectations& expect);

}  // namespace yesno::issuer

#endif  // YESNO_SERVER_ISSUER_ID_TOKEN_H_
