// session_cookie.cc — HMAC-SHA-256 session cookies (libsodium).
#include "session_cookie.h"

#include <sodium.h>

#include <charconv>

#include "secrets.h"
#include "yesno/bytes.h"

namespace yesno::verifier {
namespace {

static_assert(kCookieKeyBytes == crypto_auth_hmacsha256_KEYBYTES);
constexpr std::size_t kMaxExpiryDigits = 19;

Bytes CookieMessage(std::string_view claim, int64_t expiry) {
  // Claim names are at most 32 bytes, so the u16 length always fits.
  std::string m(kCookieContext);
  m.push_back('\0');
  m.push_back(static_cast<char>((claim.size() >> 8) & 0xff));
  m.push_back(static_cast<char>(claim.size() & 0xff));
  m.append(claim);
  const auto e = static_cast<uint64_t>(expiry);
  for (int shift = 56; shift >= 0; shift -= 8) m.push_back(static_cast<char>((e >> shift) & 0xff));
  return ToBytes(std::string_view(m));
}

}  // namespace

std::string CookieName(std::string_view claim) { return std::string(kCookieNamePrefix) + std::string(claim); }

std::string MakeCookieValue(const SecretBytes& key, std::string_view claim, int64_t expiry) {
  const Bytes m = CookieMessage(claim, expiry);
  uint8_t mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256(mac, m.data(), m.size(), key.data());
  return std::to_string(expiry) + "." + Base64UrlEncode(ByteView(mac), /*padding=*/false);
}

bool CheckCookieValue(const SecretBytes& key, std::string_view claim, std::string_view value, int64_t now,
                      int64_t max_lifetime) {
  if (key.size() != kCookieKeyBytes) return false;
  const auto dot = value.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot > kMaxExpiryDigits) return false;
  const std::string_view digits = value.substr(0, dot);
  if (digits.size() > 1 && digits[0] == '0') return false;  // one spelling per expiry
  int64_t expiry = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), expiry);
  if (ec != std::errc() || ptr != digits.data() + digits.size() || expiry <= now || expiry - now > max_lifetime) {
    return false;
  }
  const std::string_view mac_text = value.substr(dot + 1);
  if (mac_text.size() != 43) return false;  // 32 bytes, unpadded
  auto mac = Base64UrlDecode(mac_text);
  if (!mac.ok() || mac->size() != crypto_auth_hmacsha256_BYTES) return false;
  const Bytes m = CookieMessage(claim, expiry);
  return crypto_auth_hmacsha256_verify(mac->data(), m.data(), m.size(), key.data()) == 0;
}

std::string SetCookieHeader(std::string_view claim, std::string_view value, int64_t max_age, bool secure) {
  std::string out = CookieName(claim) + "=" + std::string(value) + "; Max-Age=" + std::to_string(max_age) +
                    "; Path=/; HttpOnly; SameSite=Lax";
  if (secure) out += "; Secure";
  return out;
}

std::vector<std::string_view> CookieValues(std::string_view header, std::string_view name) {
  std::vector<std::string_view> out;
  while (!header.empty()) {
    const auto semi = header.find(';');
    std::string_view pair = header.substr(0, semi);
    while (!pair.empty() && (pair.front() == ' ' || pair.front() == '\t')) pair.remove_prefix(1);
    while (!pair.empty() && (pair.back() == ' ' || pair.back() == '\t')) pair.remove_suffix(1);
    const auto eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
      std::string_view v = pair.substr(eq + 1);
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
      out.push_back(v);
    }
    if (semi == std::string_view::npos) break;
    header.remove_prefix(semi + 1);
  }
  return out;
}

}  // namespace yesno::verifier
