// ossl_ptr.h — RAII for every OpenSSL object core touches.
#ifndef YESNO_SRC_CRYPTO_OSSL_PTR_H_
#define YESNO_SRC_CRYPTO_OSSL_PTR_H_

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/params.h>

#include <memory>

namespace yesno::internal {

template <auto Free>
struct OsslFree {
  template <class T>
  void operator()(T* p) const {
    Free(p);
  }
};

using BignumPtr = std::unique_ptr<BIGNUM, OsslFree<BN_clear_free>>;  // clears before free
using BnCtxPtr = std::unique_ptr<BN_CTX, OsslFree<BN_CTX_free>>;
using BnMontCtxPtr = std::unique_ptr<BN_MONT_CTX, OsslFree<BN_MONT_CTX_free>>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, OsslFree<EVP_PKEY_free>>;
using EvpPkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, OsslFree<EVP_PKEY_CTX_free>>;
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, OsslFree<EVP_MD_CTX_free>>;
using BioPtr = std::unique_ptr<BIO, OsslFree<BIO_free>>;
using OsslParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, OsslFree<OSSL_PARAM_BLD_free>>;
using OsslParamPtr = std::unique_ptr<OSSL_PARAM, OsslFree<OSSL_PARAM_free>>;

}  // namespace yesno::internal

#endif  // YESNO_SRC_CRYPTO_OSSL_PTR_H_
