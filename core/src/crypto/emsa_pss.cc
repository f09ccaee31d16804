// emsa_pss.cc — EMSA-PSS-ENCODE and MGF1 over OpenSSL digests.
#include "crypto/emsa_pss.h"

#include <cstdlib>

#include "crypto/ossl_ptr.h"

namespace yesno::internal {
namespace {

// HashParts hashes the concatenation of `parts` with `md`.
Bytes HashParts(const EVP_MD* md, std::initializer_list<ByteView> parts) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  Bytes out(static_cast<std::size_t>(EVP_MD_get_size(md)));
  unsigned int len = 0;
  bool ok = ctx != nullptr && EVP_DigestInit_ex(ctx.get(), md, nullptr) == 1;
  for (ByteView p : parts) ok = ok && EVP_DigestUpdate(ctx.get(), p.data(), p.size()) == 1;
  ok = ok && EVP_DigestFinal_ex(ctx.get(), out.data(), &len) == 1;
  if (!ok) std::abort();  // only on allocation failure; no safe result exists
  return out;
}

}  // namespace

Bytes Mgf1(const EVP_MD* md, ByteView seed, std::size_t len) {
  Bytes out;
  out.reserve(len + static_cast<std::size_t>(EVP_MD_get_size(md)));
  for (uint32_t counter = 0; out.size() < len; ++counter) {
    const uint8_t c[4] = {static_cast<uint8_t>(counter >> 24), static_cast<uint8_t>(counter >> 16),
                          static_cast<uint8_t>(counter >> 8), static_cast<uint8_t>(counter)};
    Bytes block = HashParts(md, {seed, ByteView(c, 4)});
    out.insert(out.end(), block.begin(), block.end());
  }
  out.resize(len);
  return out;
}

Result<Bytes> EmsaPssEncode(const EVP_MD* md, ByteView msg, std::size_t em_bits, ByteView salt) {
  const std::size_t h_len = static_cast<std::size_t>(EVP_MD_get_size(md));
  const std::size_t em_len = (em_bits + 7) / 8;
  if (em_bits == 0 || em_len < h_len + salt.size() + 2) {
    return MakeError(ErrorCode::kInvalidArgument, "EMSA-PSS: encoding error (modulus too small)");
  }
  static constexpr uint8_t kZeros[8] = {0};
  const Bytes m_hash = HashParts(md, {msg});
  const Bytes h = HashParts(md, {ByteView(kZeros, 8), m_hash, salt});

  const std::size_t db_len = em_len - h_len - 1;
  Bytes em = Mgf1(md, h, db_len);  // dbMask, XORed in place with DB below
  const std::size_t ps_len = em_len - salt.size() - h_len - 2;
  em[ps_len] ^= 0x01;
  for (std::size_t i = 0; i < salt.size(); ++i) em[ps_len + 1 + i] ^= salt[i];
  em[0] &= static_cast<uint8_t>(0xff >> (8 * em_len - em_bits));
  em.insert(em.end(), h.begin(), h.end());
  em.push_back(0xbc);
  return em;
}

}  // namespace yesno::internal
