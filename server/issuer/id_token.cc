#include "id_token.h"

#include <cjose/cjose.h>

#include <algorithm>

#include "yesno/bytes.h"

namespace yesno::issuer {
namespace {

using Json = nlohmann::json;

Error Reason(const char* code) { return MakeError(ErrorCode::kVerificationFailed, code); }
Error Malformed() { return MakeError(ErrorCode::kMalformedInput, "malformed"); }

struct JwkRelease {
  void operator()(cjose_jwk_t* k) const { cjose_jwk_release(k); }
};
struct JwsRelease {
  void operator()(cjose_jws_t* j) const { cjose_jws_release(j); }
};
using JwkPtr = std::unique_ptr<cjose_jwk_t, JwkRelease>;
using JwsPtr = std::unique_ptr<cjose_jws_t, JwsRelease>;

bool IsRsa(std::string_view alg) { return alg == "RS256"; }
bool IsEc(std::string_view alg) { return alg == "ES256"; }

// Segments splits a compact JWS into its three parts.
bool Segments(std::string_view compact, std::string_view out[3]) {
  std::size_t start = 0;
  for (int i = 0; i < 3; ++i) {
    const std::size_t dot = compact.find('.', start);
    if (i < 2 && dot == std::string_view::npos) return false;
    if (i == 2 && dot != std::string_view::npos) return false;  // a JWE has five parts
    out[i] = compact.substr(start, i < 2 ? dot - start : std::string_view::npos);
    start = dot + 1;
  }
  return !out[0].empty() && !out[1].empty();
}

Result<Json> DecodeJsonSegment(std::string_view segment) {
  if (segment.find('=') != std::string_view::npos) return Malformed();  // JWS uses unpadded base64url
  auto bytes = Base64UrlDecode(segment);
  if (!bytes.ok()) return Malformed();
  Json doc = Json::parse(bytes->begin(), bytes->end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return Malformed();
  return doc;
}

bool IntClaim(const Json& claims, const char* name, int64_t& out) {
  auto it = claims.find(name);
  if (it == claims.end() || !it->is_number()) return false;
  if (it->is_number_float()) {
    const double d = it->get<double>();
    if (!(d > -1e15 && d < 1e15)) return false;
    out = static_cast<int64_t>(d);
    return true;
  }
  if (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) return false;
  out = it->get<int64_t>();
  return true;
}

}  // namespace

struct Jwks::Key {
  JwkPtr jwk;
  std::string kid;
  bool rsa = false;  // else EC P-256
};

Jwks::Jwks() = default;
Jwks::Jwks(Jwks&&) noexcept = default;
Jwks& Jwks::operator=(Jwks&&) noexcept = default;
Jwks::~Jwks() = default;

std::size_t Jwks::size() const { return keys_.size(); }

bool Jwks::HasKid(std::string_view kid) const {
  return std::any_of(keys_.begin(), keys_.end(), [&](const auto& k) { return k->kid == kid; });
}

std::vector<const Jwks::Key*> Jwks::Candidates(std::string_view alg, std::string_view kid) const {
  std::vector<const Key*> out;
  for (const auto& k : keys_) {
    if (k->rsa != IsRsa(alg)) continue;
    if (!kid.empty() && k->kid != kid) continue;
    out.push_back(k.get());
  }
  return out;
}

Result<Jwks> Jwks::Parse(std::string_view json) {
  const Json doc = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return MakeError(ErrorCode::kMalformedInput, "JWKS: not a JSON object");
  auto keys = doc.find("keys");
  if (keys == doc.end() || !keys->is_array()) return MakeError(ErrorCode::kMalformedInput, "JWKS: no \"keys\" array");
  if (keys->size() > kMaxJwksKeys) return MakeError(ErrorCode::kMalformedInput, "JWKS: more than 32 keys");
  Jwks out;
  for (const auto& k : *keys) {
    if (!k.is_object()) continue;
    auto kty = k.find("kty");
    if (kty == k.end() || !kty->is_string()) continue;
    if (auto use = k.find("use"); use != k.end() && (!use->is_string() || use->get<std::string>() != "sig")) continue;
    if (auto alg = k.find("alg"); alg != k.end() && (!alg->is_string() || (alg->get<std::string>() != "RS256" &&
                                                                           alg->get<std::string>() != "ES256"))) {
      continue;
    }
    // Only public parts go to libcjose: a JWKS has no business holding
    // private keys, and we never want to handle one.
    Json pub;
    auto copy = [&](std::initializer_list<const char*> fields) {
      for (const char* f : fields) {
        auto v = k.find(f);
        if (v == k.end() || !v->is_string()) return false;
        pub[f] = *v;
      }
      return true;
    };
    if (kty->get<std::string>() == "RSA") {
      if (!copy({"kty", "n", "e"})) continue;
    } else if (kty->get<std::string>() == "EC") {
      if (!copy({"kty", "crv", "x", "y"}) || pub["crv"] != "P-256") continue;
    } else {
      continue;  // "oct" (HMAC) and others are never signing keys for us
    }
    {
      const std::string text = pub.dump();
      cjose_err err;
      JwkPtr jwk(cjose_jwk_import(text.c_str(), text.size(), &err));
      if (!jwk) continue;
      const cjose_jwk_kty_t type = cjose_jwk_get_kty(jwk.get(), &err);
      auto key = std::make_unique<Key>();
      if (type == CJOSE_JWK_KTY_RSA) {
        if (cjose_jwk_get_keysize(jwk.get(), &err) < 2048) continue;
        key->rsa = true;
      } else if (type == CJOSE_JWK_KTY_EC) {
        if (cjose_jwk_EC_get_curve(jwk.get(), &err) != CJOSE_JWK_EC_P_256) continue;
        key->rsa = false;
      } else {
        continue;
      }
      if (auto kid = k.find("kid"); kid != k.end() && kid->is_string()) key->kid = kid->get<std::string>();
      key->jwk = std::move(jwk);
      out.keys_.push_back(std::move(key));
    }
  }
  return out;
}

Result<JwsHeader> ParseJwsHeader(std::string_view compact) {
  if (compact.empty() || compact.size() > kMaxIdTokenBytes) return Malformed();
  std::string_view seg[3];
  if (!Segments(compact, seg)) return Malformed();
  auto header = DecodeJsonSegment(seg[0]);
  if (!header.ok()) return header.error();
  auto alg = header->find("alg");
  if (alg == header->end() || !alg->is_string()) return Malformed();
  JwsHeader out;
  out.alg = alg->get<std::string>();
  // `none`, HS256/384/512 and anything else we do not verify are refused
  // here, before any key is looked at.
  if (!IsRsa(out.alg) && !IsEc(out.alg)) return Reason("bad_alg");
  if (header->contains("crit") || header->contains("enc") || header->contains("jku") || header->contains("jwk") ||
      header->contains("x5u")) {
    return Reason("bad_alg");  // no header may choose the key or add semantics
  }
  if (auto kid = header->find("kid"); kid != header->end()) {
    if (!kid->is_string() || kid->get<std::string>().size() > 256) return Malformed();
    out.kid = kid->get<std::string>();
  }
  if (seg[2].empty()) return Reason("bad_signature");
  return out;
}

Result<Json> VerifyIdToken(std::string_view compact, const Jwks& jwks, const IdTokenExpectations& expect) {
  auto header = ParseJwsHeader(compact);
  if (!header.ok()) return header.error();
  const auto candidates = jwks.Candidates(header->alg, header->kid);
  if (candidates.empty()) return Reason(header->kid.empty() ? "bad_signature" : "unknown_kid");

  cjose_err err;
  JwsPtr jws(cjose_jws_import(compact.data(), compact.size(), &err));
  if (!jws) return Malformed();
  bool verified = false;
  for (const Jwks::Key* k : candidates) {
    if (cjose_jws_verify(jws.get(), k->jwk.get(), &err)) {
      verified = true;
      break;
    }
  }
  if (!verified) return Reason("bad_signature");
  uint8_t* plain = nullptr;
  size_t plain_len = 0;
  if (!cjose_jws_get_plaintext(jws.get(), &plain, &plain_len, &err) || plain == nullptr) return Malformed();
  const Json claims = Json::parse(plain, plain + plain_len, nullptr, /*allow_exceptions=*/false);
  if (claims.is_discarded() || !claims.is_object()) return Malformed();

  auto iss = claims.find("iss");
  if (iss == claims.end() || !iss->is_string() || iss->get<std::string>() != expect.issuer) {
    return Reason("wrong_issuer");
  }
  auto aud = claims.find("aud");
  bool aud_ok = false;
  std::size_t audiences = 0;
  if (aud != claims.end() && aud->is_string()) {
    aud_ok = aud->get<std::string>() == expect.client_id;
    audiences = 1;
  } else if (aud != claims.end() && aud->is_array()) {
    audiences = aud->size();
    for (const auto& a : *aud) aud_ok = aud_ok || (a.is_string() && a.get<std::string>() == expect.client_id);
  }
  if (!aud_ok) return Reason("wrong_audience");
  auto azp = claims.find("azp");
  if (azp != claims.end() && (!azp->is_string() || azp->get<std::string>() != expect.client_id)) {
    return Reason("wrong_audience");
  }
  if (audiences > 1 && azp == claims.end()) return Reason("wrong_audience");  // OIDC Core §3.1.3.7 (4, 5)

  int64_t exp = 0, iat = 0;
  if (!IntClaim(claims, "exp", exp) || !IntClaim(claims, "iat", iat)) return Malformed();
  if (expect.now >= exp + kIdTokenSkewSeconds) return Reason("expired");
  if (iat > expect.now + kIdTokenSkewSeconds) return Reason("issued_in_future");
  if (iat < expect.now - kIdTokenMaxAgeSeconds - kIdTokenSkewSeconds) return Reason("expired");

  auto nonce = claims.find("nonce");
  if (expect.nonce == nullptr || nonce == claims.end() || !nonce->is_string() ||
      !ConstantTimeEquals(AsBytes(nonce->get_ref<const std::string&>()), View(*expect.nonce))) {
    return Reason("wrong_nonce");
  }
  auto sub = claims.find("sub");
  if (sub == claims.end() || !sub->is_string() || sub->get<std::string>().empty() ||
      sub->get<std::string>().size() > 255) {
    return Reason("no_subject");
  }
  return claims;
}

}  // namespace yesno::issuer
