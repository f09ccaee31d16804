// rsa_internal.h — the insides of RsaPublicKey / RsaPrivateKey.
#ifndef YESNO_SRC_CRYPTO_RSA_INTERNAL_H_
#define YESNO_SRC_CRYPTO_RSA_INTERNAL_H_

#include <openssl/evp.h>

#include <mutex>
#include <utility>
#include <vector>

#include "crypto/ossl_ptr.h"
#include "yesno/blind_rsa.h"

namespace yesno {
namespace internal {

// PssVerifyCtxPool keeps EVP_PKEY_CTXs of one key already set up for
// RSASSA-PSS verify (padding, SHA-384, MGF1-SHA-384 and a salt length), so
// BlindRsaVerify does not pay OpenSSL's per-call setup (a provider fetch and
// four parameter calls: about a quarter of a 2048-bit verify). Take hands a
// context to one caller, who gives it back with Put: a context is never used
// by two threads at once. Thread-safe; at most kMaxIdle contexts are kept.
class PssVerifyCtxPool {
 public:
  static constexpr std::size_t kMaxIdle = 32;
  // Take returns an idle context prepared for `salt_length`, or null if none.
  EvpPkeyCtxPtr Take(int salt_length);
  // Put returns a context that Take (or the caller) prepared for `salt_length`.
  void Put(int salt_length, EvpPkeyCtxPtr ctx);

 private:
  std::mutex mu_;
  std::vector<std::pair<int, EvpPkeyCtxPtr>> idle_;
};

}  // namespace internal

struct RsaPublicKey::Impl {
  internal::EvpPkeyPtr pkey;     // rsaEncryption public key, for RSASSA-PSS verify
  internal::BignumPtr n;
  internal::BignumPtr e;
  internal::BnMontCtxPtr mont;   // Montgomery context for n (read-only after setup)
  std::size_t bits = 0;
  std::size_t modulus_bytes = 0;
  Bytes spki;    // canonical id-RSASSA-PSS SPKI
  Bytes key_id;  // SHA-256(spki)
  // A cache, not part of the key's value: declared last, so its contexts
  // (which hold references to `pkey`) go first.
  mutable internal::PssVerifyCtxPool pss_verify_ctxs;
};

struct RsaPrivateKey::Impl {
  internal::EvpPkeyPtr pkey;  // rsaEncryption key pair; raw private op via RSA_NO_PADDING
};

namespace internal {

// Sha384Md is the fetched SHA-384 implementation (fetched once).
const EVP_MD* Sha384Md();
// MakeRsaPublicKey validates (n, e) and builds the key and its SPKI.
Result<RsaPublicKey> MakeRsaPublicKey(ByteView n, ByteView e);

}  // namespace internal
}  // namespace yesno

#endif  // YESNO_SRC_CRYPTO_RSA_INTERNAL_H_
