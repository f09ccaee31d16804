// rsa_keys.cc — RSA public/private keys and the canonical id-RSASSA-PSS SPKI.
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <array>

#include "crypto/ossl_ptr.h"
#include "crypto/rsa_internal.h"
#include "yesno/blind_rsa.h"

namespace yesno {

using internal::BignumPtr;
using internal::BioPtr;
using internal::BnCtxPtr;
using internal::BnMontCtxPtr;
using internal::EvpPkeyCtxPtr;
using internal::EvpPkeyPtr;
using internal::OsslParamBldPtr;
using internal::OsslParamPtr;

namespace {

// The AlgorithmIdentifier of RFC 9578 §6.5: id-RSASSA-PSS with
// RSASSA-PSS-params { sha384 (no NULL), mgf1(sha384 (no NULL)), saltLength 48 }.
constexpr std::array<uint8_t, 63> kPssSha384AlgId = {
    0x30, 0x3d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30, 0x30, 0xa0,
    0x0d, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0xa1, 0x1a,
    0x30, 0x18, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30, 0x0b, 0x06,
    0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0xa2, 0x03, 0x02, 0x01, 0x30};

constexpr uint8_t kTagInteger = 0x02;
constexpr uint8_t kTagBitString = 0x03;
constexpr uint8_t kTagSequence = 0x30;

void DerAppendTlv(Bytes& out, uint8_t tag, ByteView content) {
  out.push_back(tag);
  const std::size_t n = content.size();
  if (n < 0x80) {
    out.push_back(static_cast<uint8_t>(n));
  } else {
    uint8_t len_bytes[sizeof(std::size_t)];
    int k = 0;
    for (std::size_t v = n; v != 0; v >>= 8) len_bytes[k++] = static_cast<uint8_t>(v);
    out.push_back(static_cast<uint8_t>(0x80 | k));
    while (k > 0) out.push_back(len_bytes[--k]);
  }
  out.insert(out.end(), content.begin(), content.end());
}

// DerUnsignedInteger encodes a non-negative big-endian magnitude minimally.
Bytes DerUnsignedInteger(ByteView magnitude) {
  std::size_t skip = 0;
  while (skip + 1 < magnitude.size() && magnitude[skip] == 0) ++skip;
  Bytes content;
  if (magnitude.empty() || (magnitude[skip] & 0x80) != 0) content.push_back(0x00);
  content.insert(content.end(), magnitude.begin() + static_cast<std::ptrdiff_t>(skip), magnitude.end());
  Bytes out;
  DerAppendTlv(out, kTagInteger, content);
  return out;
}

// DerRead reads one TLV with tag `tag` (short or long length form, up to 4
// length bytes); the caller compares re-serializations for canonicality.
bool DerRead(ByteView& in, uint8_t tag, ByteView& content) {
  if (in.size() < 2 || in[0] != tag) return false;
  std::size_t len = in[1];
  std::size_t header = 2;
  if (len >= 0x80) {
    const std::size_t k = len & 0x7f;
    if (k == 0 || k > 4 || in.size() < 2 + k) return false;
    len = 0;
    for (std::size_t i = 0; i < k; ++i) len = (len << 8) | in[2 + i];
    header += k;
  }
  if (in.size() - header < len) return false;
  content = in.subspan(header, len);
  in = in.subspan(header + len);
  return true;
}

Bytes BnToBytes(const BIGNUM* bn) {
  Bytes out(static_cast<std::size_t>(BN_num_bytes(bn)));
  BN_bn2bin(bn, out.data());
  return out;
}

Bytes BuildRsaPublicKeyDer(ByteView n, ByteView e) {
  Bytes body = DerUnsignedInteger(n);
  Bytes e_der = DerUnsignedInteger(e);
  body.insert(body.end(), e_der.begin(), e_der.end());
  Bytes out;
  DerAppendTlv(out, kTagSequence, body);
  return out;
}

Bytes BuildPssSpki(ByteView rsa_public_key_der) {
  Bytes bit_string{0x00};  // no unused bits
  bit_string.insert(bit_string.end(), rsa_public_key_der.begin(), rsa_public_key_der.end());
  Bytes body(kPssSha384AlgId.begin(), kPssSha384AlgId.end());
  DerAppendTlv(body, kTagBitString, bit_string);
  Bytes out;
  DerAppendTlv(out, kTagSequence, body);
  return out;
}

// ParseRsaPublicKeyDer extracts (n, e) from an RSAPublicKey; strictness comes
// from the caller's byte comparison with the rebuilt encoding.
bool ParseRsaPublicKeyDer(ByteView der, ByteView& n, ByteView& e) {
  ByteView seq;
  if (!DerRead(der, kTagSequence, seq) || !der.empty()) return false;
  return DerRead(seq, kTagInteger, n) && DerRead(seq, kTagInteger, e) && seq.empty();
}

bool IsAllowedModulusBits(int bits) { return bits == 2048 || bits == 3072 || bits == 4096; }

}  // namespace

namespace internal {

const EVP_MD* Sha384Md() {
  static const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA384", nullptr);
  return md;
}

Result<RsaPublicKey> MakeRsaPublicKey(ByteView n_bytes, ByteView e_bytes) {
  BignumPtr n(BN_bin2bn(n_bytes.data(), static_cast<int>(n_bytes.size()), nullptr));
  BignumPtr e(BN_bin2bn(e_bytes.data(), static_cast<int>(e_bytes.size()), nullptr));
  if (!n || !e) return MakeError(ErrorCode::kCryptoFailure, "RSA: allocation failed");
  if (!IsAllowedModulusBits(BN_num_bits(n.get())) || !BN_is_odd(n.get())) {
    return MakeError(ErrorCode::kMalformedInput, "RSA: modulus must be an odd 2048-, 3072- or 4096-bit number");
  }
  if (!BN_is_word(e.get(), RSA_F4)) return MakeError(ErrorCode::kMalformedInput, "RSA: public exponent must be 65537");

  auto impl = std::make_shared<RsaPublicKey::Impl>();
  OsslParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
    return MakeError(ErrorCode::kCryptoFailure, "RSA: param build failed");
  }
  OsslParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return MakeError(ErrorCode::kCryptoFailure, "RSA: key import failed");
  }
  impl->pkey.reset(raw);

  BnCtxPtr bn_ctx(BN_CTX_new());
  impl->mont.reset(BN_MONT_CTX_new());
  if (!bn_ctx || !impl->mont || BN_MONT_CTX_set(impl->mont.get(), n.get(), bn_ctx.get()) != 1) {
    return MakeError(ErrorCode::kCryptoFailure, "RSA: Montgomery setup failed");
  }
  impl->bits = static_cast<std::size_t>(BN_num_bits(n.get()));
  impl->modulus_bytes = (impl->bits + 7) / 8;
  impl->spki = BuildPssSpki(BuildRsaPublicKeyDer(BnToBytes(n.get()), BnToBytes(e.get())));
  impl->key_id = Sha256(impl->spki);
  impl->n = std::move(n);
  impl->e = std::move(e);
  return RsaPublicKey(std::shared_ptr<const RsaPublicKey::Impl>(std::move(impl)));
}

}  // namespace internal

Result<RsaPublicKey> RsaPublicKey::FromComponents(ByteView n, ByteView e) { return internal::MakeRsaPublicKey(n, e); }

Result<RsaPublicKey> RsaPublicKey::FromRsaPublicKeyDer(ByteView der) {
  ByteView n, e;
  if (!ParseRsaPublicKeyDer(der, n, e)) return MakeError(ErrorCode::kMalformedInput, "RSAPublicKey: bad DER");
  auto key = internal::MakeRsaPublicKey(n, e);
  if (!key.ok()) return key.error();
  if (key->RsaPublicKeyDer() != Bytes(der.begin(), der.end())) {
    return MakeError(ErrorCode::kMalformedInput, "RSAPublicKey: not canonical DER");
  }
  return key;
}

Result<RsaPublicKey> RsaPublicKey::FromSpki(ByteView spki) {
  ByteView in = spki, body, bit_string;
  if (!DerRead(in, kTagSequence, body) || !in.empty() || body.size() < kPssSha384AlgId.size() ||
      !std::equal(kPssSha384AlgId.begin(), kPssSha384AlgId.end(), body.begin())) {
    return MakeError(ErrorCode::kMalformedInput, "SPKI: not id-RSASSA-PSS with SHA-384/MGF1-SHA-384/salt 48");
  }
  body = body.subspan(kPssSha384AlgId.size());
  ByteView n, e;
  if (!DerRead(body, kTagBitString, bit_string) || !body.empty() || bit_string.empty() || bit_string[0] != 0 ||
      !ParseRsaPublicKeyDer(bit_string.subspan(1), n, e)) {
    return MakeError(ErrorCode::kMalformedInput, "SPKI: bad subjectPublicKey");
  }
  auto key = internal::MakeRsaPublicKey(n, e);
  if (!key.ok()) return key.error();
  if (key->Spki() != Bytes(spki.begin(), spki.end())) {
    return MakeError(ErrorCode::kMalformedInput, "SPKI: not the canonical encoding");
  }
  return key;
}

std::size_t RsaPublicKey::modulus_bytes() const { return impl_->modulus_bytes; }
std::size_t RsaPublicKey::modulus_bits() const { return impl_->bits; }
const Bytes& RsaPublicKey::Spki() const { return impl_->spki; }
const Bytes& RsaPublicKey::KeyId() const { return impl_->key_id; }
Bytes RsaPublicKey::Modulus() const {
  Bytes out(impl_->modulus_bytes);
  BN_bn2binpad(impl_->n.get(), out.data(), static_cast<int>(out.size()));
  return out;
}
Bytes RsaPublicKey::RsaPublicKeyDer() const {
  return BuildRsaPublicKeyDer(BnToBytes(impl_->n.get()), BnToBytes(impl_->e.get()));
}

// --- private keys ---------------------------------------------------------

namespace {

Result<RsaPrivateKey> FromPkey(EvpPkeyPtr pkey) {
  if (!pkey || EVP_PKEY_get_base_id(pkey.get()) != EVP_PKEY_RSA) {
    return MakeError(ErrorCode::kMalformedInput, "RSA private key: not an rsaEncryption key");
  }
  BIGNUM* n = nullptr;
  BIGNUM* e = nullptr;
  if (EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
      EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_RSA_E, &e) != 1) {
    BN_free(n);
    return MakeError(ErrorCode::kMalformedInput, "RSA private key: missing n or e");
  }
  BignumPtr n_owned(n), e_owned(e);
  auto pub = internal::MakeRsaPublicKey(BnToBytes(n), BnToBytes(e));
  if (!pub.ok()) return pub.error();
  BIGNUM* d = nullptr;
  if (EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_RSA_D, &d) != 1) {
    return MakeError(ErrorCode::kMalformedInput, "RSA private key: no private exponent");
  }
  BN_clear_free(d);
  auto impl = std::make_shared<RsaPrivateKey::Impl>();
  impl->pkey = std::move(pkey);
  return RsaPrivateKey(std::move(impl), std::move(*pub));
}

}  // namespace

Result<RsaPrivateKey> RsaPrivateKey::Generate(int bits) {
  if (!IsAllowedModulusBits(bits)) return MakeError(ErrorCode::kInvalidArgument, "RSA: key size must be 2048, 3072 or 4096");
  EvpPkeyPtr pkey(EVP_RSA_gen(static_cast<unsigned int>(bits)));
  if (!pkey) return MakeError(ErrorCode::kCryptoFailure, "RSA: key generation failed");
  return FromPkey(std::move(pkey));
}

Result<RsaPrivateKey> RsaPrivateKey::FromDer(ByteView der) {
  const unsigned char* p = der.data();
  EvpPkeyPtr pkey(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(der.size())));
  if (!pkey || p != der.data() + der.size()) {
    return MakeError(ErrorCode::kMalformedInput, "RSA private key: bad DER");
  }
  return FromPkey(std::move(pkey));
}

Result<RsaPrivateKey> RsaPrivateKey::FromPem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return MakeError(ErrorCode::kCryptoFailure, "RSA private key: allocation failed");
  EvpPkeyPtr pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!pkey) return MakeError(ErrorCode::kMalformedInput, "RSA private key: bad PEM");
  return FromPkey(std::move(pkey));
}

Result<RsaPrivateKey> RsaPrivateKey::FromComponents(ByteView n, ByteView e, ByteView d, ByteView p, ByteView q) {
  auto secret = [](ByteView v) {
    BIGNUM* bn = BN_secure_new();
    if (bn != nullptr && BN_bin2bn(v.data(), static_cast<int>(v.size()), bn) == nullptr) {
      BN_clear_free(bn);
      bn = nullptr;
    }
    return BignumPtr(bn);
  };
  BignumPtr bn_n(BN_bin2bn(n.data(), static_cast<int>(n.size()), nullptr));
  BignumPtr bn_e(BN_bin2bn(e.data(), static_cast<int>(e.size()), nullptr));
  BignumPtr bn_d = secret(d), bn_p = secret(p), bn_q = secret(q);
  BignumPtr dp(BN_secure_new()), dq(BN_secure_new()), qinv(BN_secure_new()), tmp(BN_secure_new());
  BnCtxPtr ctx(BN_CTX_secure_new());
  if (!bn_n || !bn_e || !bn_d || !bn_p || !bn_q || !dp || !dq || !qinv || !tmp || !ctx) {
    return MakeError(ErrorCode::kCryptoFailure, "RSA: allocation failed");
  }
  // dp = d mod (p-1), dq = d mod (q-1), qinv = q^-1 mod p.
  if (BN_sub(tmp.get(), bn_p.get(), BN_value_one()) != 1 || BN_mod(dp.get(), bn_d.get(), tmp.get(), ctx.get()) != 1 ||
      BN_sub(tmp.get(), bn_q.get(), BN_value_one()) != 1 || BN_mod(dq.get(), bn_d.get(), tmp.get(), ctx.get()) != 1 ||
      BN_mod_inverse(qinv.get(), bn_q.get(), bn_p.get(), ctx.get()) == nullptr) {
    return MakeError(ErrorCode::kMalformedInput, "RSA: inconsistent private components");
  }
  OsslParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_D, bn_d.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_FACTOR1, bn_p.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_FACTOR2, bn_q.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_EXPONENT1, dp.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_EXPONENT2, dq.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_COEFFICIENT1, qinv.get()) != 1) {
    return MakeError(ErrorCode::kCryptoFailure, "RSA: param build failed");
  }
  OsslParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  EvpPkeyCtxPtr pctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !pctx || EVP_PKEY_fromdata_init(pctx.get()) != 1 ||
      EVP_PKEY_fromdata(pctx.get(), &raw, EVP_PKEY_KEYPAIR, params.get()) != 1) {
    return MakeError(ErrorCode::kMalformedInput, "RSA: private key import failed");
  }
  return FromPkey(EvpPkeyPtr(raw));
}

Result<SecretBytes> RsaPrivateKey::ToDer() const {
  PKCS8_PRIV_KEY_INFO* p8 = EVP_PKEY2PKCS8(impl_->pkey.get());
  if (p8 == nullptr) return MakeError(ErrorCode::kCryptoFailure, "RSA: PKCS#8 conversion failed");
  unsigned char* buf = nullptr;
  const int len = i2d_PKCS8_PRIV_KEY_INFO(p8, &buf);
  PKCS8_PRIV_KEY_INFO_free(p8);
  if (len <= 0 || buf == nullptr) return MakeError(ErrorCode::kCryptoFailure, "RSA: PKCS#8 encoding failed");
  SecretBytes out(buf, buf + len);
  OPENSSL_clear_free(buf, static_cast<std::size_t>(len));
  return out;
}

}  // namespace yesno
