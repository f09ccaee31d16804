// session_cookie.h — the verifier's session cookie (DESIGN §5).
//
//   yesno_<claim>=<expiry>.<base64url-nopad HMAC-SHA-256(cookie key, m)>
//   m = "yesno-cookie-v1" || 0x00 || u16(len(claim)) || claim || u64 BE expiry
//
// The cookie says only "this browser proved <claim> and may skip the proof
// until <expiry>". It carries no token, no issuer, nothing per person: two
// cookies for the same claim and expiry second are identical.
#ifndef YESNO_SERVER_VERIFIER_SESSION_COOKIE_H_
#define YESNO_SERVER_VERIFIER_SESSION_COOKIE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "yesno/secret_bytes.h"

namespace yesno::verifier {

inline constexpr char kCookieContext[] = "yesno-cookie-v1";
inline constexpr char kCookieNamePrefix[] = "yesno_";

// CookieName is "yesno_<claim>".
std::string CookieName(std::string_view claim);
// MakeCookieValue returns "<expiry>.<mac>" for `claim` (a valid claim name).
std::string MakeCookieValue(const SecretBytes& key, std::string_view claim, int64_t expiry);
// CheckCookieValue accepts a value made by MakeCookieValue with the same key
// and claim whose expiry is after `now` and at most `max_lifetime` seconds
// away (a lowered --session-minutes also shortens older cookies). The MAC is
// compared in constant time.
bool CheckCookieValue(const SecretBytes& key, std::string_view claim, std::string_view value, int64_t now,
                      int64_t max_lifetime);
// SetCookieHeader renders the Set-Cookie value: HttpOnly, SameSite=Lax,
// Path=/, Max-Age, and Secure when `secure`.
std::string SetCookieHeader(std::string_view claim, std::string_view value, int64_t max_age, bool secure);
// CookieValues returns the values of every cookie called `name` in one
// Cookie header ("a=1; b=2").
std::vector<std::string_view> CookieValues(std::string_view cookie_header, std::string_view name);

}  // namespace yesno::verifier

#endif  // YESNO_SERVER_VERIFIER_SESSION_COOKIE_H_
