// rsa_internal.h — the insides of RsaPublicKey / RsaPrivateKey.
#ifndef YESNO_SRC_CRYPTO_RSA_INTERNAL_H_
#define YESNO_SRC_CRYPTO_RSA_INTERNAL_H_

#include <openssl/evp.h>

#include "crypto/ossl_ptr.h"
#include "yesno/blind_rsa.h"

namespace yesno {

struct RsaPublicKey::Impl {
  internal::EvpPkeyPtr pkey;     // rsaEncryption public key, for RSASSA-PSS verify
  internal::BignumPtr n;
  internal::BignumPtr e;
  internal::BnMontCtxPtr mont;   // Montgomery context for n (read-only after setup)
  std::size_t bits = 0;
  std::size_t modulus_bytes = 0;
  Bytes spki;    // canonical id-RSASSA-PSS SPKI
  Bytes key_id;  // SHA-256(spki)
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
