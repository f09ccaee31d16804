// emsa_pss.h — EMSA-PSS-ENCODE (RFC 8017 §9.1.1) with a caller-supplied salt.
//
// OpenSSL 3.0 only offers PSS encoding through the deprecated
// RSA_padding_add_PKCS1_PSS_mgf1, which draws its own salt from RAND_bytes;
// RFC 9474's Blind needs the encoded message itself, and the known-answer
// tests need an injected salt. Hashing is OpenSSL's; this file only lays out
// the bytes.
#ifndef YESNO_SRC_CRYPTO_EMSA_PSS_H_
#define YESNO_SRC_CRYPTO_EMSA_PSS_H_

#include <openssl/evp.h>

#include <cstddef>

#include "yesno/bytes.h"
#include "yesno/result.h"

namespace yesno::internal {

// Mgf1 returns `len` bytes of MGF1(seed) with hash `md` (RFC 8017 §B.2.1).
Bytes Mgf1(const EVP_MD* md, ByteView seed, std::size_t len);

// EmsaPssEncode encodes `msg` into ceil(em_bits / 8) bytes.
Result<Bytes> EmsaPssEncode(const EVP_MD* md, ByteView msg, std::size_t em_bits, ByteView salt);

}  // namespace yesno::internal

#endif  // YESNO_SRC_CRYPTO_EMSA_PSS_H_
