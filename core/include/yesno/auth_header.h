// yesno/auth_header.h — the PrivateToken HTTP authentication scheme (RFC 9577)
// and yesno's parameters on it.
//
//   WWW-Authenticate: PrivateToken challenge="<b64url>", token-key="<b64url>",
//                     yesno-claim="age_over_18", yesno-vnonce="<b64url>"
//   Authorization:    PrivateToken token="<b64url>", yesno-vnonce="<b64url>",
//                     yesno-pop="<b64url>"
//
// Builders quote every value and use base64url with padding. Parsers accept
// quoted or bare values (bare values may carry '=' padding, as RFC 9577's own
// examples do), several challenges in one header, parameter names in any
// case, and ignore unknown parameters. Duplicate parameters are malformed.
#ifndef YESNO_AUTH_HEADER_H_
#define YESNO_AUTH_HEADER_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "yesno/bytes.h"
#include "yesno/result.h"

namespace yesno {

inline constexpr std::size_t kMaxAuthHeaderBytes = 8192;

// AuthParam is one name=value pair after unquoting; `name` is lowercased.
struct AuthParam {
  std::string name;
  std::string value;
};

// AuthChallengeItem is one "scheme params..." item of a header.
struct AuthChallengeItem {
  std::string scheme;  // as written
  std::string token68;  // for "Scheme token68" items (other schemes); empty otherwise
  std::vector<AuthParam> params;
  // Find returns the value of `name` (lowercase), if present.
  std::optional<std::string_view> Find(std::string_view name) const;
};

// ParseAuthHeader splits a WWW-Authenticate or Authorization field value into
// challenge items (RFC 9110 §11.6.1 syntax, leniently for bare values).
Result<std::vector<AuthChallengeItem>> ParseAuthHeader(std::string_view header);

// PrivateTokenChallenge is one PrivateToken challenge (RFC 9577 §2.1) with
// yesno's optional parameters.
struct PrivateTokenChallenge {
  Bytes challenge;                 // serialized TokenChallenge
  Bytes token_key;                 // SPKI; may be empty
  std::optional<long> max_age;     // seconds
  std::string yesno_claim;         // empty if absent
  Bytes yesno_vnonce;              // empty if absent
};

// BuildWwwAuthenticate renders one or more challenges into one field value
// ("PrivateToken ..., PrivateToken ...").
std::string BuildWwwAuthenticate(const std::vector<PrivateTokenChallenge>& challenges);
// ParseWwwAuthenticate returns every PrivateToken challenge in the header;
// items of other schemes are skipped. Fails if a PrivateToken item lacks a
// valid "challenge" or has a value that is not base64url.
Result<std::vector<PrivateTokenChallenge>> ParseWwwAuthenticate(std::string_view header);

// PrivateTokenCredentials is the Authorization: PrivateToken value.
struct PrivateTokenCredentials {
  Bytes token;         // serialized Token
  Bytes yesno_vnonce;  // empty if absent
  Bytes yesno_pop;     // empty if absent
};
std::string BuildAuthorization(const PrivateTokenCredentials& credentials);
// ParseAuthorization requires exactly one PrivateToken item with a token.
Result<PrivateTokenCredentials> ParseAuthorization(std::string_view header);

}  // namespace yesno

#endif  // YESNO_AUTH_HEADER_H_
