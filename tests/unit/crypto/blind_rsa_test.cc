// blind_rsa_test.cc — RFC 9474 round trips and negative cases.
#include "yesno/blind_rsa.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "crypto/rsa_internal.h"
#include "unit/large_test_keys.h"
#include "testing/test_util.h"

namespace yesno {
namespace {

using testing::FlipBit;

constexpr BlindRsaVariant kAllVariants[] = {
    BlindRsaVariant::kSha384PssRandomized,
    BlindRsaVariant::kSha384PssZeroRandomized,
    BlindRsaVariant::kSha384PssDeterministic,
    BlindRsaVariant::kSha384PssZeroDeterministic,
};

// Signature runs the whole protocol and returns (input_msg, signature).
struct Signed {
  Bytes input;
  Bytes sig;
};
Signed SignBlindly(const RsaPrivateKey& sk, BlindRsaVariant variant, ByteView msg, Rng& rng) {
  Signed out;
  out.input = BlindRsaPrepare(variant, msg, rng);
  auto blinded = BlindRsaBlind(sk.public_key(), variant, out.input, rng);
  if (!blinded.ok()) {
    ADD_FAILURE() << "Blind: " << blinded.error().message;
    return out;
  }
  auto blind_sig = BlindRsaBlindSign(sk, blinded->blinded_msg);
  if (!blind_sig.ok()) {
    ADD_FAILURE() << "BlindSign: " << blind_sig.error().message;
    return out;
  }
  auto sig = BlindRsaFinalize(sk.public_key(), variant, out.input, *blind_sig, blinded->inv);
  if (!sig.ok()) {
    ADD_FAILURE() << "Finalize: " << sig.error().message;
    return out;
  }
  out.sig = std::move(*sig);
  return out;
}

// AddSmall adds `delta` to a big-endian number of fixed width (no overflow
// out of the width in these tests).
Bytes AddSmall(Bytes v, int delta) {
  int carry = delta;
  for (std::size_t i = v.size(); i-- > 0 && carry != 0;) {
    const int sum = v[i] + carry;
    v[i] = static_cast<uint8_t>(sum & 0xff);
    carry = sum >> 8;  // arithmetic shift: -1 on borrow
  }
  return v;
}

// GetBn reads one big-endian parameter of an OpenSSL key.
Bytes GetBn(const EVP_PKEY* pkey, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1) {
    ADD_FAILURE() << "missing " << name;
    return {};
  }
  Bytes out(static_cast<std::size_t>(BN_num_bytes(bn)));
  BN_bn2bin(bn, out.data());
  BN_clear_free(bn);
  return out;
}

// ZeroRng returns only zero bytes: a broken randomness source.
class ZeroRng final : public Rng {
 public:
  void Fill(std::span<uint8_t> out) override { std::fill(out.begin(), out.end(), 0); }
};

class BlindRsaTest : public ::testing::TestWithParam<BlindRsaVariant> {};

TEST_P(BlindRsaTest, RoundTripVerifies) {
  const RsaPrivateKey& sk = testing::TestKey2048();
  SystemRng rng;
  const Bytes input = BlindRsaPrepare(GetParam(), ToBytes("hello"), rng);
  auto blinded = BlindRsaBlind(sk.public_key(), GetParam(), input, rng);
  ASSERT_TRUE(blinded.ok());
  EXPECT_EQ(blinded->blinded_msg.size(), 256u);
  EXPECT_EQ(blinded->inv.size(), 256u);
  auto blind_sig = BlindRsaBlindSign(sk, blinded->blinded_msg);
  ASSERT_TRUE(blind_sig.ok());
  auto sig = BlindRsaFinalize(sk.public_key(), GetParam(), input, *blind_sig, blinded->inv);
  ASSERT_TRUE(sig.ok()) << sig.error().message;
  EXPECT_EQ(sig->size(), 256u);
  EXPECT_TRUE(BlindRsaVerify(sk.public_key(), GetParam(), input, *sig).ok());
  EXPECT_FALSE(BlindRsaVerify(sk.public_key(), GetParam(), ToBytes("other"), *sig).ok());
  EXPECT_FALSE(BlindRsaVerify(testing::OtherTestKey2048().public_key(), GetParam(), input, *sig).ok());
  EXPECT_FALSE(BlindRsaVerify(sk.public_key(), GetParam(), input, FlipBit(*sig, 100)).ok());
}

TEST_P(BlindRsaTest, VerifyRejectsEveryBitFlipOfTheSignature) {
  const RsaPrivateKey& sk = testing::TestKey2048();
  testing::DeterministicRng rng(11);
  const Signed s = SignBlindly(sk, GetParam(), ToBytes("flip me"), rng);
  ASSERT_FALSE(s.sig.empty());
  for (std::size_t bit = 0; bit < s.sig.size() * 8; bit += 13) {
    Status st = BlindRsaVerify(sk.public_key(), GetParam(), s.input, FlipBit(s.sig, bit));
    EXPECT_FALSE(st.ok()) << bit;
  }
}

TEST_P(BlindRsaTest, VerifyRejectsAlteredMessage) {
  const RsaPrivateKey& sk = testing::TestKey2048();
  testing::DeterministicRng rng(12);
  const Signed s = SignBlindly(sk, GetParam(), ToBytes("message"), rng);
  for (std::size_t bit = 0; bit < s.input.size() * 8; ++bit) {
    EXPECT_FALSE(BlindRsaVerify(sk.public_key(), GetParam(), FlipBit(s.input, bit), s.sig).ok()) << bit;
  }
  EXPECT_FALSE(BlindRsaVerify(sk.public_key(), GetParam(), Concat({s.input, Bytes{0}}), s.sig).ok());
}

TEST_P(BlindRsaTest, VerifyRejectsWrongLengthSignature) {
  const RsaPrivateKey& sk = testing::TestKey2048();
  testing::DeterministicRng rng(13);
  const Signed s = SignBlindly(sk, GetParam(), ToBytes("len"), rng);
  for (ByteView bad : {ByteView(s.sig).first(255), ByteView(s.sig).first(1), ByteView()}) {
    Status st = BlindRsaVerify(sk.public_key(), GetParam(), s.input, bad);
    ASSERT_FALSE(st.ok()) << bad.size();
    EXPECT_EQ(st.error().code, ErrorCode::kMalformedInput) << bad.size();
  }
  const Bytes longer = Concat({Bytes{0}, s.sig});
  Status st = BlindRsaVerify(sk.public_key(), GetParam(), s.input, longer);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kMalformedInput);
}

TEST_P(BlindRsaTest, FinalizeRejectsWrongLengthBlindSig) {
  const RsaPrivateKey& sk = testing::TestKey2048();
  testing::DeterministicRng rng(14);
  const Bytes input = BlindRsaPrepare(GetParam(), ToBytes("x"), rng);
  auto blinded = BlindRsaBlind(sk.public_key(), GetParam(), input, rng);
  ASSERT_TRUE(blinded.ok());
  auto blind_sig = BlindRsaBlindSign(sk, blinded->blinded_msg);
  ASSERT_TRUE(blind_sig.ok());
  for (const Bytes& bad : {Bytes(blind_sig->begin(), blind_sig->end() - 1), Concat({*blind_sig, Bytes{0}}), Bytes{}}) {
    auto r = BlindRsaFinalize(sk.public_key(), GetParam(), input, bad, blinded->inv);
    ASSERT_FALSE(r.ok()) << bad.size();
    EXPECT_EQ(r.error().code, ErrorCode::kMalformedInput) << bad.size();
  }
}

TEST_P(BlindRsaTest, FinalizeRejectsBlindSigFromAnotherKey) {
  const RsaPrivateKey& sk = testing::TestKey2048();
  const RsaPrivateKey& other = testing::OtherTestKey2048();
  testing::DeterministicRng rng(15);
  const Bytes input = BlindRsaPrepare(GetParam(), ToBytes("x"), rng);
  auto blinded = BlindRsaBlind(sk.public_key(), GetParam(), input, rng);
  ASSERT_TRUE(blinded.ok());
  // The other key can sign the blinded message only if it is below its modulus.
  Bytes msg = blinded->blinded_msg;
  msg[0] = 0x00;
  auto foreign = BlindRsaBlindSign(other, msg);
  ASSERT_TRUE(foreign.ok());
  auto r = BlindRsaFinalize(sk.public_key(), GetParam(), input, *foreign, blinded->inv);
  ASSERT_FALSE(r.ok());
  const bool in_range = *foreign < sk.public_key().Modulus();  // big-endian, same length
  EXPECT_EQ(r.error().code, in_range ? ErrorCode::kVerificationFailed : ErrorCode::kMalformedInput);
}

TEST_P(BlindRsaTest, FinalizeRejectsAlteredBlindSigOrWrongInverse) {
  const RsaPrivateKey& sk = testing::TestKey2048();
  testing::DeterministicRng rng(16);
  const Bytes input = BlindRsaPrepare(GetParam(), ToBytes("x"), rng);
  auto blinded = BlindRsaBlind(sk.public_key(), GetParam(), input, rng);
  auto blinded2 = BlindRsaBlind(sk.public_key(), GetParam(), input, rng);
  ASSERT_TRUE(blinded.ok());
  ASSERT_TRUE(blinded2.ok());
  auto blind_sig = BlindRsaBlindSign(sk, blinded->blinded_msg);
  ASSERT_TRUE(blind_sig.ok());

  auto flipped = BlindRsaFinalize(sk.public_key(), GetParam(), input, FlipBit(*blind_sig, 2047), blinded->inv);
  ASSERT_FALSE(flipped.ok());
  EXPECT_EQ(flipped.error().code, ErrorCode::kVerificationFailed);

  auto wrong_inv = BlindRsaFinalize(sk.public_key(), GetParam(), input, *blind_sig, blinded2->inv);
  ASSERT_FALSE(wrong_inv.ok());
  EXPECT_EQ(wrong_inv.error().code, ErrorCode::kVerificationFailed);

  auto wrong_msg = BlindRsaFinalize(sk.public_key(), GetParam(), ToBytes("y"), *blind_sig, blinded->inv);
  ASSERT_FALSE(wrong_msg.ok());
  EXPECT_EQ(wrong_msg.error().code, ErrorCode::kVerificationFailed);

  SecretBytes short_inv(blinded->inv.begin(), blinded->inv.end() - 1);
  auto bad_inv_len = BlindRsaFinalize(sk.public_key(), GetParam(), input, *blind_sig, short_inv);
  ASSERT_FALSE(bad_inv_len.ok());
  EXPECT_EQ(bad_inv_len.error().code, ErrorCode::kInvalidArgument);
}

TEST_P(BlindRsaTest, BlindingHidesTheMessage) {
  // Two blindings of the same message look unrelated; the same rng replays.
  const RsaPublicKey& pk = testing::TestKey2048().public_key();
  testing::DeterministicRng rng_a(17), rng_b(18), rng_a2(17);
  const Bytes input = ToBytes("same message");
  auto a = BlindRsaBlind(pk, GetParam(), input, rng_a);
  auto b = BlindRsaBlind(pk, GetParam(), input, rng_b);
  auto a2 = BlindRsaBlind(pk, GetParam(), input, rng_a2);
  ASSERT_TRUE(a.ok() && b.ok() && a2.ok());
  EXPECT_NE(a->blinded_msg, b->blinded_msg);
  EXPECT_EQ(a->blinded_msg, a2->blinded_msg);
}

INSTANTIATE_TEST_SUITE_P(AllVariants, BlindRsaTest, ::testing::ValuesIn(kAllVariants),
                         [](const ::testing::TestParamInfo<BlindRsaVariant>& param_info) {
                           std::string name(BlindRsaVariantName(param_info.param));
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

// --- variant properties ------------------------------------------------------

TEST(BlindRsaVariantTest, NamesSaltsAndPreparation) {
  EXPECT_EQ(BlindRsaVariantName(BlindRsaVariant::kSha384PssRandomized), "RSABSSA-SHA384-PSS-Randomized");
  EXPECT_EQ(BlindRsaVariantName(BlindRsaVariant::kSha384PssZeroRandomized), "RSABSSA-SHA384-PSSZERO-Randomized");
  EXPECT_EQ(BlindRsaVariantName(BlindRsaVariant::kSha384PssDeterministic), "RSABSSA-SHA384-PSS-Deterministic");
  EXPECT_EQ(BlindRsaVariantName(BlindRsaVariant::kSha384PssZeroDeterministic),
            "RSABSSA-SHA384-PSSZERO-Deterministic");
  EXPECT_EQ(BlindRsaSaltLength(BlindRsaVariant::kSha384PssRandomized), 48u);
  EXPECT_EQ(BlindRsaSaltLength(BlindRsaVariant::kSha384PssZeroRandomized), 0u);
  EXPECT_EQ(BlindRsaSaltLength(BlindRsaVariant::kSha384PssDeterministic), 48u);
  EXPECT_EQ(BlindRsaSaltLength(BlindRsaVariant::kSha384PssZeroDeterministic), 0u);
  EXPECT_TRUE(BlindRsaIsRandomized(BlindRsaVariant::kSha384PssRandomized));
  EXPECT_TRUE(BlindRsaIsRandomized(BlindRsaVariant::kSha384PssZeroRandomized));
  EXPECT_FALSE(BlindRsaIsRandomized(BlindRsaVariant::kSha384PssDeterministic));
  EXPECT_FALSE(BlindRsaIsRandomized(BlindRsaVariant::kSha384PssZeroDeterministic));
}

TEST(BlindRsaPrepareTest, IdentityReturnsMessageUnchanged) {
  testing::ScriptedRng rng;  // empty: Prepare must not draw randomness
  const Bytes msg = ToBytes("message");
  EXPECT_EQ(BlindRsaPrepare(BlindRsaVariant::kSha384PssDeterministic, msg, rng), msg);
  EXPECT_EQ(BlindRsaPrepare(BlindRsaVariant::kSha384PssZeroDeterministic, msg, rng), msg);
}

TEST(BlindRsaPrepareTest, RandomizePrefixes32RandomBytes) {
  const Bytes prefix(32, 0xab);
  const Bytes msg = ToBytes("message");
  for (BlindRsaVariant v : {BlindRsaVariant::kSha384PssRandomized, BlindRsaVariant::kSha384PssZeroRandomized}) {
    testing::ScriptedRng rng;
    rng.Push(prefix);
    EXPECT_EQ(BlindRsaPrepare(v, msg, rng), Concat({prefix, msg}));
    EXPECT_EQ(rng.remaining(), 0u);
  }
}

// --- salt pinning -------------------------------------------------------------

TEST(BlindRsaVerifyTest, PssSignatureFailsUnderPssZeroAndViceVersa) {
  const RsaPrivateKey& sk = testing::TestKey2048();
  testing::DeterministicRng rng(21);
  const Bytes msg = ToBytes("salt pinning");
  const Signed pss = SignBlindly(sk, BlindRsaVariant::kSha384PssDeterministic, msg, rng);
  const Signed zero = SignBlindly(sk, BlindRsaVariant::kSha384PssZeroDeterministic, msg, rng);
  ASSERT_EQ(pss.input, zero.input);
  EXPECT_TRUE(BlindRsaVerify(sk.public_key(), BlindRsaVariant::kSha384PssDeterministic, pss.input, pss.sig).ok());
  EXPECT_TRUE(BlindRsaVerify(sk.public_key(), BlindRsaVariant::kSha384PssZeroDeterministic, zero.input, zero.sig).ok());
  Status a = BlindRsaVerify(sk.public_key(), BlindRsaVariant::kSha384PssZeroDeterministic, pss.input, pss.sig);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().code, ErrorCode::kVerificationFailed);
  Status b = BlindRsaVerify(sk.public_key(), BlindRsaVariant::kSha384PssDeterministic, zero.input, zero.sig);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code, ErrorCode::kVerificationFailed);
}

TEST(BlindRsaVerifyTest, SaltStaysPinnedAcrossRepeatedCalls) {
  // Verify may reuse prepared state per key: interleaving variants, and
  // failures with successes, must never let one call's salt leak into another.
  const RsaPrivateKey& sk = testing::TestKey2048();
  testing::DeterministicRng rng(24);
  const Bytes msg = ToBytes("interleaved");
  const Signed pss = SignBlindly(sk, BlindRsaVariant::kSha384PssDeterministic, msg, rng);
  const Signed zero = SignBlindly(sk, BlindRsaVariant::kSha384PssZeroDeterministic, msg, rng);
  const auto kPss = BlindRsaVariant::kSha384PssDeterministic;
  const auto kZero = BlindRsaVariant::kSha384PssZeroDeterministic;
  for (int i = 0; i < 20; ++i) {
    EXPECT_TRUE(BlindRsaVerify(sk.public_key(), kPss, msg, pss.sig).ok()) << i;
    EXPECT_FALSE(BlindRsaVerify(sk.public_key(), kZero, msg, pss.sig).ok()) << i;
    EXPECT_TRUE(BlindRsaVerify(sk.public_key(), kZero, msg, zero.sig).ok()) << i;
    EXPECT_FALSE(BlindRsaVerify(sk.public_key(), kPss, msg, zero.sig).ok()) << i;
    EXPECT_FALSE(BlindRsaVerify(sk.public_key(), kPss, msg, FlipBit(pss.sig, 5)).ok()) << i;
    EXPECT_TRUE(BlindRsaVerify(sk.public_key(), kPss, msg, pss.sig).ok()) << i;
  }
}

TEST(BlindRsaVerifyTest, ConcurrentVerifiesGiveCorrectAnswers) {
  // RsaPublicKey is documented as safe to use from several threads at once.
  const RsaPrivateKey& sk = testing::TestKey2048();
  testing::DeterministicRng rng(25);
  const Bytes msg = ToBytes("threads");
  const Signed pss = SignBlindly(sk, BlindRsaVariant::kSha384PssDeterministic, msg, rng);
  const Signed zero = SignBlindly(sk, BlindRsaVariant::kSha384PssZeroDeterministic, msg, rng);
  const RsaPublicKey pk = sk.public_key();  // a copy shares the same key
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        const bool use_zero = ((i + t) % 2) == 0;
        const auto v = use_zero ? BlindRsaVariant::kSha384PssZeroDeterministic : BlindRsaVariant::kSha384PssDeterministic;
        const Bytes& good = use_zero ? zero.sig : pss.sig;
        const Bytes& other = use_zero ? pss.sig : zero.sig;
        if (!BlindRsaVerify(pk, v, msg, good).ok()) ++wrong;
        if (BlindRsaVerify(pk, v, msg, other).ok()) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(BlindRsaVerifyTest, SignatureIsStandardRsassaPss) {
  // An independent verifier (OpenSSL, salt 48, SHA-384, MGF1-SHA-384) accepts it.
  const RsaPrivateKey& sk = testing::TestKey2048();
  testing::DeterministicRng rng(22);
  const Signed s = SignBlindly(sk, BlindRsaVariant::kSha384PssDeterministic, ToBytes("interop"), rng);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  ASSERT_EQ(EVP_DigestVerifyInit(ctx, &pctx, EVP_sha384(), nullptr, sk.public_key().impl().pkey.get()), 1);
  ASSERT_EQ(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
  ASSERT_EQ(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha384()), 1);
  ASSERT_EQ(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 48), 1);
  EXPECT_EQ(EVP_DigestVerify(ctx, s.sig.data(), s.sig.size(), s.input.data(), s.input.size()), 1);
  EVP_MD_CTX_free(ctx);
}

TEST(BlindRsaVerifyTest, PssZeroDeterministicSignaturesAreUnique) {
  // With no salt and no randomized prefix the signature depends on the message
  // only; with a salt it does not.
  const RsaPrivateKey& sk = testing::TestKey2048();
  testing::DeterministicRng rng(23);
  const Bytes msg = ToBytes("m");
  EXPECT_EQ(SignBlindly(sk, BlindRsaVariant::kSha384PssZeroDeterministic, msg, rng).sig,
            SignBlindly(sk, BlindRsaVariant::kSha384PssZeroDeterministic, msg, rng).sig);
  EXPECT_NE(SignBlindly(sk, BlindRsaVariant::kSha384PssDeterministic, msg, rng).sig,
            SignBlindly(sk, BlindRsaVariant::kSha384PssDeterministic, msg, rng).sig);
}

TEST(BlindRsaVerifyTest, RejectsOutOfRangeSignatures) {
  const RsaPublicKey& pk = testing::TestKey2048().public_key();
  const Bytes msg = ToBytes("m");
  EXPECT_FALSE(BlindRsaVerify(pk, BlindRsaVariant::kSha384PssDeterministic, msg, pk.Modulus()).ok());
  EXPECT_FALSE(BlindRsaVerify(pk, BlindRsaVariant::kSha384PssDeterministic, msg, Bytes(256, 0xff)).ok());
  EXPECT_FALSE(BlindRsaVerify(pk, BlindRsaVariant::kSha384PssDeterministic, msg, Bytes(256, 0x00)).ok());
}

// --- Blind ---------------------------------------------------------------------

TEST(BlindRsaBlindTest, DrawsSaltThenRejectionSamplesR) {
  const RsaPrivateKey& sk = testing::TestKey2048();
  const BlindRsaVariant v = BlindRsaVariant::kSha384PssDeterministic;
  testing::DeterministicRng source(31);
  Bytes salt(48), r(256);
  source.Fill(salt);
  source.Fill(r);
  r[0] &= 0x3f;  // well below n, whose top bit is set
  testing::ScriptedRng rng;
  rng.Push(salt);
  rng.Push(Bytes(256, 0xff));  // >= n: rejected
  rng.Push(Bytes(256, 0x00));  // zero: rejected
  rng.Push(r);
  const Bytes input = ToBytes("rejection sampling");
  auto blinded = BlindRsaBlind(sk.public_key(), v, input, rng);
  ASSERT_TRUE(blinded.ok()) << blinded.error().message;
  EXPECT_EQ(rng.remaining(), 0u);
  auto blind_sig = BlindRsaBlindSign(sk, blinded->blinded_msg);
  ASSERT_TRUE(blind_sig.ok());
  auto sig = BlindRsaFinalize(sk.public_key(), v, input, *blind_sig, blinded->inv);
  ASSERT_TRUE(sig.ok()) << sig.error().message;

  // The same salt and r give the same blinded message.
  testing::ScriptedRng replay;
  replay.Push(salt);
  replay.Push(r);
  auto again = BlindRsaBlind(sk.public_key(), v, input, replay);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->blinded_msg, blinded->blinded_msg);
}

TEST(BlindRsaBlindTest, FailsInsteadOfLoopingOnBrokenRng) {
  ZeroRng rng;
  auto blinded = BlindRsaBlind(testing::TestKey2048().public_key(), BlindRsaVariant::kSha384PssDeterministic,
                               ToBytes("m"), rng);
  ASSERT_FALSE(blinded.ok());
  EXPECT_EQ(blinded.error().code, ErrorCode::kCryptoFailure);
}

// --- BlindSign -------------------------------------------------------------------

TEST(BlindRsaBlindSignTest, RejectsWrongLength) {
  const RsaPrivateKey& sk = testing::TestKey2048();
  for (std::size_t n : {0u, 1u, 255u, 257u, 512u}) {
    auto r = BlindRsaBlindSign(sk, Bytes(n, 0x01));
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.error().code, ErrorCode::kMalformedInput) << n;
  }
}

TEST(BlindRsaBlindSignTest, RejectsValueAtOrAboveModulus) {
  const RsaPrivateKey& sk = testing::TestKey2048();
  const Bytes n = sk.public_key().Modulus();
  for (const Bytes& m : {n, AddSmall(n, 1), AddSmall(n, 1000), Bytes(256, 0xff)}) {
    auto r = BlindRsaBlindSign(sk, m);
    ASSERT_FALSE(r.ok()) << HexEncode(m);
    EXPECT_EQ(r.error().code, ErrorCode::kMalformedInput);
  }
  EXPECT_TRUE(BlindRsaBlindSign(sk, AddSmall(n, -1)).ok());  // n - 1 is the largest valid value
}

TEST(BlindRsaBlindSignTest, DetectsAFaultyPrivateKey) {
  // RFC 9474 §4.3: BlindSign checks s^e == m and never returns a wrong value
  // (which could leak the key). A corrupted private exponent must fail.
  const RsaPrivateKey& sk = testing::TestKey2048();
  const EVP_PKEY* pkey = sk.impl().pkey.get();
  Bytes d = GetBn(pkey, OSSL_PKEY_PARAM_RSA_D);
  d.back() ^= 0x02;
  auto faulty = RsaPrivateKey::FromComponents(GetBn(pkey, OSSL_PKEY_PARAM_RSA_N), GetBn(pkey, OSSL_PKEY_PARAM_RSA_E), d,
                                              GetBn(pkey, OSSL_PKEY_PARAM_RSA_FACTOR1),
                                              GetBn(pkey, OSSL_PKEY_PARAM_RSA_FACTOR2));
  ASSERT_TRUE(faulty.ok()) << faulty.error().message;
  Bytes m = sk.public_key().Modulus();
  m[0] = 0x12;
  auto r = BlindRsaBlindSign(*faulty, m);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kCryptoFailure);
}

// --- larger keys ---------------------------------------------------------------

TEST(BlindRsaLargeKeyTest, RoundTripWith3072BitKey) {
  const RsaPrivateKey& sk = testing::TestKey3072();
  testing::DeterministicRng rng(41);
  const Signed s = SignBlindly(sk, BlindRsaVariant::kSha384PssDeterministic, ToBytes("3072"), rng);
  ASSERT_EQ(s.sig.size(), 384u);
  EXPECT_TRUE(BlindRsaVerify(sk.public_key(), BlindRsaVariant::kSha384PssDeterministic, s.input, s.sig).ok());
  EXPECT_FALSE(
      BlindRsaVerify(sk.public_key(), BlindRsaVariant::kSha384PssDeterministic, s.input, FlipBit(s.sig, 7)).ok());
  auto short_sig = BlindRsaVerify(sk.public_key(), BlindRsaVariant::kSha384PssDeterministic, s.input,
                                  ByteView(s.sig).first(256));
  EXPECT_FALSE(short_sig.ok());
}

TEST(BlindRsaLargeKeyTest, RoundTripWith4096BitKey) {
  const RsaPrivateKey& sk = testing::TestKey4096();
  testing::DeterministicRng rng(42);
  const Signed s = SignBlindly(sk, BlindRsaVariant::kSha384PssRandomized, ToBytes("4096"), rng);
  ASSERT_EQ(s.sig.size(), 512u);
  EXPECT_TRUE(BlindRsaVerify(sk.public_key(), BlindRsaVariant::kSha384PssRandomized, s.input, s.sig).ok());
  EXPECT_FALSE(BlindRsaVerify(sk.public_key(), BlindRsaVariant::kSha384PssZeroRandomized, s.input, s.sig).ok());
  auto wrong_len = BlindRsaBlindSign(sk, Bytes(256, 0x01));
  ASSERT_FALSE(wrong_len.ok());
  EXPECT_EQ(wrong_len.error().code, ErrorCode::kMalformedInput);
}

}  // namespace
}  // namespace yesno
