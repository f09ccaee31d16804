// blind_rsa_kat_test.cc — RFC 9474 Appendix A, byte for byte, plus the
// EMSA-PSS and pre-RFC extra vectors.
#include "yesno/blind_rsa.h"

#include <openssl/bn.h>
#include <openssl/evp.h>

#include "crypto/emsa_pss.h"
#include "crypto/ossl_ptr.h"
#include "testing/test_util.h"

namespace yesno {
namespace {

using testing::Hex;
using testing::LoadVectors;
using testing::ScriptedRng;

std::optional<BlindRsaVariant> VariantByName(std::string_view name) {
  for (auto v : {BlindRsaVariant::kSha384PssRandomized, BlindRsaVariant::kSha384PssZeroRandomized,
                 BlindRsaVariant::kSha384PssDeterministic, BlindRsaVariant::kSha384PssZeroDeterministic}) {
    if (BlindRsaVariantName(v) == name) return v;
  }
  return std::nullopt;
}

// RFromInv returns r = inv^-1 mod n, as modulus_len big-endian bytes: what
// Blind must draw from the Rng to reproduce the vector.
Bytes RFromInv(ByteView inv, ByteView n) {
  internal::BignumPtr inv_bn(BN_bin2bn(inv.data(), static_cast<int>(inv.size()), nullptr));
  internal::BignumPtr n_bn(BN_bin2bn(n.data(), static_cast<int>(n.size()), nullptr));
  internal::BignumPtr r(BN_new());
  internal::BnCtxPtr ctx(BN_CTX_new());
  EXPECT_NE(BN_mod_inverse(r.get(), inv_bn.get(), n_bn.get(), ctx.get()), nullptr);
  Bytes out(n.size());
  BN_bn2binpad(r.get(), out.data(), static_cast<int>(out.size()));
  return out;
}

TEST(BlindRsaKatTest, Rfc9474AppendixAAllFourVariants) {
  const auto vectors = LoadVectors("blindrsa-ts/test_vectors_rfc9474.json");
  ASSERT_TRUE(vectors.is_array());
  int run = 0;
  std::set<std::string> names;
  for (const auto& v : vectors) {
    const std::string name = v["name"];
    SCOPED_TRACE(name);
    auto variant = VariantByName(name);
    ASSERT_TRUE(variant.has_value());
    names.insert(name);
    const Bytes n = Hex(v["n"].get<std::string>()), e = Hex(v["e"].get<std::string>());
    auto sk = RsaPrivateKey::FromComponents(n, e, Hex(v["d"].get<std::string>()), Hex(v["p"].get<std::string>()),
                                            Hex(v["q"].get<std::string>()));
    ASSERT_TRUE(sk.ok()) << sk.error().message;
    const RsaPublicKey& pk = sk->public_key();
    EXPECT_EQ(pk.modulus_bits(), 4096u);

    const Bytes msg = Hex(v["msg"].get<std::string>());
    const Bytes salt = Hex(v["salt"].get<std::string>());
    const Bytes inv = Hex(v["inv"].get<std::string>());
    EXPECT_EQ(salt.size(), BlindRsaSaltLength(*variant));

    // Prepare: the randomized variants draw the 32-byte msg_prefix.
    ScriptedRng prepare_rng;
    Bytes expected_input = msg;
    if (BlindRsaIsRandomized(*variant)) {
      const Bytes prefix = Hex(v["msg_prefix"].get<std::string>());
      prepare_rng.Push(prefix);
      expected_input = Concat({prefix, msg});
    }
    const Bytes input_msg = BlindRsaPrepare(*variant, msg, prepare_rng);
    EXPECT_EQ(HexEncode(input_msg), HexEncode(Hex(v["input_msg"].get<std::string>())));
    EXPECT_EQ(input_msg, expected_input);

    // Blind with the vector's salt and r = inv^-1.
    ScriptedRng blind_rng;
    blind_rng.Push(salt);
    blind_rng.Push(RFromInv(inv, n));
    auto blinded = BlindRsaBlind(pk, *variant, input_msg, blind_rng);
    ASSERT_TRUE(blinded.ok()) << blinded.error().message;
    EXPECT_EQ(blind_rng.remaining(), 0u);
    EXPECT_EQ(HexEncode(blinded->blinded_msg), HexEncode(Hex(v["blinded_msg"].get<std::string>())));
    Bytes inv_padded(pk.modulus_bytes() - inv.size(), 0);
    inv_padded.insert(inv_padded.end(), inv.begin(), inv.end());
    EXPECT_TRUE(ConstantTimeEquals(View(blinded->inv), inv_padded));

    auto blind_sig = BlindRsaBlindSign(*sk, blinded->blinded_msg);
    ASSERT_TRUE(blind_sig.ok()) << blind_sig.error().message;
    EXPECT_EQ(HexEncode(*blind_sig), HexEncode(Hex(v["blind_sig"].get<std::string>())));

    auto sig = BlindRsaFinalize(pk, *variant, input_msg, *blind_sig, blinded->inv);
    ASSERT_TRUE(sig.ok()) << sig.error().message;
    EXPECT_EQ(HexEncode(*sig), HexEncode(Hex(v["sig"].get<std::string>())));
    EXPECT_TRUE(BlindRsaVerify(pk, *variant, input_msg, *sig).ok());
    ++run;
  }
  EXPECT_EQ(run, 4);
  EXPECT_EQ(names.size(), 4u);
}

TEST(BlindRsaKatTest, EmsaPssEncodeWithFixedSalt) {
  // RFC 8017-style vector (SHA-1, 1024-bit modulus, 20-byte salt).
  const auto v = LoadVectors("blindrsa-ts/emsa_pss_vectors.json");
  auto em = internal::EmsaPssEncode(EVP_sha1(), Hex(v["msg"].get<std::string>()), 1023, Hex(v["salt"].get<std::string>()));
  ASSERT_TRUE(em.ok());
  EXPECT_EQ(HexEncode(*em), v["expected"].get<std::string>());
}

TEST(BlindRsaKatTest, PreRfcDraftVectorsReproduce) {
  // The old draft set (deterministic preparation; salt 48 or 0). Its first
  // entry is the RFC's PSS-Deterministic vector; the second uses another
  // 4096-bit key and an empty salt.
  const auto vectors = LoadVectors("cfrg-rsa-blind-signatures/test_vectors.json");
  int run = 0;
  for (const auto& v : vectors) {
    SCOPED_TRACE(run);
    const Bytes n = Hex(v["n"].get<std::string>()), salt = Hex(v["salt"].get<std::string>());
    const BlindRsaVariant variant =
        salt.empty() ? BlindRsaVariant::kSha384PssZeroDeterministic : BlindRsaVariant::kSha384PssDeterministic;
    auto sk = RsaPrivateKey::FromComponents(n, Hex(v["e"].get<std::string>()), Hex(v["d"].get<std::string>()),
                                            Hex(v["p"].get<std::string>()), Hex(v["q"].get<std::string>()));
    ASSERT_TRUE(sk.ok()) << sk.error().message;
    const Bytes msg = Hex(v["msg"].get<std::string>());
    auto em = internal::EmsaPssEncode(EVP_sha384(), msg, sk->public_key().modulus_bits() - 1, salt);
    ASSERT_TRUE(em.ok());
    EXPECT_EQ(HexEncode(*em), v["encoded_msg"].get<std::string>());

    ScriptedRng rng;
    rng.Push(salt);
    rng.Push(RFromInv(Hex(v["inv"].get<std::string>()), n));
    auto blinded = BlindRsaBlind(sk->public_key(), variant, msg, rng);
    ASSERT_TRUE(blinded.ok());
    EXPECT_EQ(HexEncode(blinded->blinded_msg), v["blinded_msg"].get<std::string>());
    auto blind_sig = BlindRsaBlindSign(*sk, blinded->blinded_msg);
    ASSERT_TRUE(blind_sig.ok());
    EXPECT_EQ(HexEncode(*blind_sig), v["blind_sig"].get<std::string>());
    auto sig = BlindRsaFinalize(sk->public_key(), variant, msg, *blind_sig, blinded->inv);
    ASSERT_TRUE(sig.ok());
    EXPECT_EQ(HexEncode(*sig), v["sig"].get<std::string>());
    ++run;
  }
  EXPECT_EQ(run, 2);
}

}  // namespace
}  // namespace yesno
