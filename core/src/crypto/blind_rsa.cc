// blind_rsa.cc — RFC 9474 Prepare, Blind, BlindSign, Finalize, Verify.
#include "yesno/blind_rsa.h"

#include <openssl/err.h>
#include <openssl/rsa.h>

#include "crypto/emsa_pss.h"
#include "crypto/ossl_ptr.h"
#include "crypto/rsa_internal.h"

namespace yesno {

using internal::BignumPtr;
using internal::BnCtxPtr;
using internal::EvpPkeyCtxPtr;

namespace {

constexpr std::size_t kMsgPrefixBytes = 32;
constexpr int kMaxBlindAttempts = 64;

// SecretBn makes a BIGNUM for secret values: secure heap, constant-time flag.
BignumPtr SecretBn() {
  BignumPtr bn(BN_secure_new());
  if (bn) BN_set_flags(bn.get(), BN_FLG_CONSTTIME);
  return bn;
}

Error CryptoError(const char* what) { return MakeError(ErrorCode::kCryptoFailure, what); }

}  // namespace

std::string_view BlindRsaVariantName(BlindRsaVariant variant) {
  switch (variant) {
    case BlindRsaVariant::kSha384PssRandomized: return "RSABSSA-SHA384-PSS-Randomized";
    case BlindRsaVariant::kSha384PssZeroRandomized: return "RSABSSA-SHA384-PSSZERO-Randomized";
    case BlindRsaVariant::kSha384PssDeterministic: return "RSABSSA-SHA384-PSS-Deterministic";
    case BlindRsaVariant::kSha384PssZeroDeterministic: return "RSABSSA-SHA384-PSSZERO-Deterministic";
  }
  return "";
}

std::size_t BlindRsaSaltLength(BlindRsaVariant variant) {
  return (variant == BlindRsaVariant::kSha384PssRandomized || variant == BlindRsaVariant::kSha384PssDeterministic)
             ? 48
             : 0;
}

bool BlindRsaIsRandomized(BlindRsaVariant variant) {
  return variant == BlindRsaVariant::kSha384PssRandomized || variant == BlindRsaVariant::kSha384PssZeroRandomized;
}

Bytes BlindRsaPrepare(BlindRsaVariant variant, ByteView msg, Rng& rng) {
  if (!BlindRsaIsRandomized(variant)) return Bytes(msg.begin(), msg.end());
  Bytes out(kMsgPrefixBytes + msg.size());
  rng.Fill(std::span<uint8_t>(out.data(), kMsgPrefixBytes));
  std::copy(msg.begin(), msg.end(), out.begin() + kMsgPrefixBytes);
  return out;
}

Result<BlindingResult> BlindRsaBlind(const RsaPublicKey& pk, BlindRsaVariant variant, ByteView input_msg,
                                     Rng& rng) {
  const RsaPublicKey::Impl& key = pk.impl();
  const std::size_t k = key.modulus_bytes;

  SecretBytes salt(BlindRsaSaltLength(variant));
  if (!salt.empty()) rng.Fill(std::span<uint8_t>(salt.data(), salt.size()));
  auto encoded = internal::EmsaPssEncode(internal::Sha384Md(), input_msg, key.bits - 1, View(salt));
  if (!encoded.ok()) return encoded.error();

  BnCtxPtr ctx(BN_CTX_secure_new());
  BignumPtr m = SecretBn(), gcd(BN_new()), r = SecretBn(), inv = SecretBn(), x = SecretBn(), z(BN_new());
  if (!ctx || !m || !gcd || !r || !inv || !x || !z) return CryptoError("Blind: allocation failed");
  if (BN_bin2bn(encoded->data(), static_cast<int>(encoded->size()), m.get()) == nullptr) {
    return CryptoError("Blind: bignum conversion failed");
  }
  // RFC 9474 §4.2 steps 4-5: m must be coprime to n.
  if (BN_gcd(gcd.get(), m.get(), key.n.get(), ctx.get()) != 1) return CryptoError("Blind: gcd failed");
  if (!BN_is_one(gcd.get())) return MakeError(ErrorCode::kInvalidArgument, "Blind: invalid input (m not coprime to n)");

  // Steps 6-8: r uniform in [1, n) by rejection sampling, with its inverse.
  SecretBytes r_bytes(k);
  const std::size_t excess_bits = 8 * k - key.bits;
  bool found = false;
  for (int attempt = 0; attempt < kMaxBlindAttempts && !found; ++attempt) {
    rng.Fill(std::span<uint8_t>(r_bytes.data(), r_bytes.size()));
    r_bytes[0] &= static_cast<uint8_t>(0xff >> excess_bits);
    if (BN_bin2bn(r_bytes.data(), static_cast<int>(k), r.get()) == nullptr) return CryptoError("Blind: bignum");
    if (BN_is_zero(r.get()) || BN_cmp(r.get(), key.n.get()) >= 0) continue;
    ERR_set_mark();
    found = BN_mod_inverse(inv.get(), r.get(), key.n.get(), ctx.get()) != nullptr;  // "blinding error": retry
    ERR_pop_to_mark();
  }
  if (!found) return MakeError(ErrorCode::kCryptoFailure, "Blind: no usable blinding factor (bad rng?)");

  // Steps 9-11: x = r^e mod n, z = m * x mod n.
  if (BN_mod_exp_mont(x.get(), r.get(), key.e.get(), key.n.get(), ctx.get(), key.mont.get()) != 1 ||
      BN_mod_mul(z.get(), m.get(), x.get(), key.n.get(), ctx.get()) != 1) {
    return CryptoError("Blind: modular arithmetic failed");
  }
  BlindingResult out;
  out.blinded_msg.resize(k);
  out.inv.resize(k);
  if (BN_bn2binpad(z.get(), out.blinded_msg.data(), static_cast<int>(k)) != static_cast<int>(k) ||
      BN_bn2binpad(inv.get(), out.inv.data(), static_cast<int>(k)) != static_cast<int>(k)) {
    return CryptoError("Blind: encoding failed");
  }
  return out;
}

Result<Bytes> BlindRsaBlindSign(const RsaPrivateKey& sk, ByteView blinded_msg) {
  const RsaPublicKey::Impl& pub = sk.public_key().impl();
  const std::size_t k = pub.modulus_bytes;
  if (blinded_msg.size() != k) return MakeError(ErrorCode::kMalformedInput, "BlindSign: blinded_msg has the wrong length");

  BnCtxPtr ctx(BN_CTX_new());
  BignumPtr m(BN_bin2bn(blinded_msg.data(), static_cast<int>(k), nullptr)), check(BN_new());
  if (!ctx || !m || !check) return CryptoError("BlindSign: allocation failed");
  if (BN_cmp(m.get(), pub.n.get()) >= 0) {
    return MakeError(ErrorCode::kMalformedInput, "BlindSign: message representative out of range");
  }

  // s = RSASP1(sk, m): the raw private operation (CRT and blinding inside OpenSSL).
  EvpPkeyCtxPtr pctx(EVP_PKEY_CTX_new_from_pkey(nullptr, sk.impl().pkey.get(), nullptr));
  Bytes s(k);
  std::size_t s_len = k;
  if (!pctx || EVP_PKEY_decrypt_init(pctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(pctx.get(), RSA_NO_PADDING) != 1 ||
      EVP_PKEY_decrypt(pctx.get(), s.data(), &s_len, blinded_msg.data(), k) != 1 || s_len != k) {
    return MakeError(ErrorCode::kCryptoFailure, "BlindSign: signing failure");
  }

  // RFC 9474 §4.3 steps 3-4: m' = RSAVP1(pk, s) must equal m.
  BignumPtr s_bn(BN_bin2bn(s.data(), static_cast<int>(k), nullptr));
  if (!s_bn || BN_mod_exp_mont(check.get(), s_bn.get(), pub.e.get(), pub.n.get(), ctx.get(), pub.mont.get()) != 1) {
    return CryptoError("BlindSign: verification exponentiation failed");
  }
  if (BN_cmp(check.get(), m.get()) != 0) return MakeError(ErrorCode::kCryptoFailure, "BlindSign: signing failure (s^e != m)");
  return s;
}

Result<Bytes> BlindRsaFinalize(const RsaPublicKey& pk, BlindRsaVariant variant, ByteView input_msg,
                               ByteView blind_sig, const SecretBytes& inv) {
  const RsaPublicKey::Impl& key = pk.impl();
  const std::size_t k = key.modulus_bytes;
  if (blind_sig.size() != k) return MakeError(ErrorCode::kMalformedInput, "Finalize: unexpected input size");
  if (inv.size() != k) return MakeError(ErrorCode::kInvalidArgument, "Finalize: inverse has the wrong length");

  BnCtxPtr ctx(BN_CTX_secure_new());
  BignumPtr z(BN_bin2bn(blind_sig.data(), static_cast<int>(k), nullptr)), inv_bn = SecretBn(), s(BN_new());
  if (!ctx || !z || !inv_bn || !s || BN_bin2bn(inv.data(), static_cast<int>(k), inv_bn.get()) == nullptr) {
    return CryptoError("Finalize: allocation failed");
  }
  if (BN_cmp(z.get(), key.n.get()) >= 0) return MakeError(ErrorCode::kMalformedInput, "Finalize: blind_sig out of range");
  if (BN_mod_mul(s.get(), z.get(), inv_bn.get(), key.n.get(), ctx.get()) != 1) {
    return CryptoError("Finalize: modular multiplication failed");
  }
  Bytes sig(k);
  if (BN_bn2binpad(s.get(), sig.data(), static_cast<int>(k)) != static_cast<int>(k)) return CryptoError("Finalize: encoding");
  Status verified = BlindRsaVerify(pk, variant, input_msg, sig);
  if (!verified.ok()) return MakeError(ErrorCode::kVerificationFailed, "Finalize: invalid signature");
  return sig;
}

namespace internal {

EvpPkeyCtxPtr PssVerifyCtxPool::Take(int salt_length) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = idle_.rbegin(); it != idle_.rend(); ++it) {
    if (it->first != salt_length) continue;
    EvpPkeyCtxPtr ctx = std::move(it->second);
    idle_.erase(std::next(it).base());
    return ctx;
  }
  return nullptr;
}

void PssVerifyCtxPool::Put(int salt_length, EvpPkeyCtxPtr ctx) {
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_.size() < kMaxIdle) idle_.emplace_back(salt_length, std::move(ctx));
}

}  // namespace internal

namespace {

// NewPssVerifyCtx pins everything OpenSSL would otherwise take from defaults
// or the key: PSS padding, SHA-384, MGF1-SHA-384 and the exact salt length.
EvpPkeyCtxPtr NewPssVerifyCtx(EVP_PKEY* pkey, int salt_length) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PSS_PADDING) != 1 ||
      EVP_PKEY_CTX_set_signature_md(ctx.get(), internal::Sha384Md()) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), internal::Sha384Md()) != 1 ||
      EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx.get(), salt_length) != 1) {
    return nullptr;
  }
  return ctx;
}

}  // namespace

Status BlindRsaVerify(const RsaPublicKey& pk, BlindRsaVariant variant, ByteView input_msg, ByteView sig) {
  const RsaPublicKey::Impl& key = pk.impl();
  if (sig.size() != key.modulus_bytes) return MakeError(ErrorCode::kMalformedInput, "Verify: signature has the wrong length");
  const Bytes m_hash = Sha384(input_msg);
  const int salt_length = static_cast<int>(BlindRsaSaltLength(variant));
  // A context prepared by an earlier call (same key, same pinned parameters)
  // saves the setup; contexts are set up only by NewPssVerifyCtx.
  EvpPkeyCtxPtr ctx = key.pss_verify_ctxs.Take(salt_length);
  if (!ctx) ctx = NewPssVerifyCtx(key.pkey.get(), salt_length);
  if (!ctx) return CryptoError("Verify: context setup failed");
  ERR_set_mark();
  const int rc = EVP_PKEY_verify(ctx.get(), sig.data(), sig.size(), m_hash.data(), m_hash.size());
  ERR_pop_to_mark();
  // Only a context whose last verify succeeded goes back to the pool; after a
  // failure it is dropped, so a failed call can never leave state behind.
  if (rc != 1) return MakeError(ErrorCode::kVerificationFailed, "Verify: invalid signature");
  key.pss_verify_ctxs.Put(salt_length, std::move(ctx));
  return Status::Ok();
}

}  // namespace yesno
