// blind_rsa_test.cc — RFC 9474 round trips and negative cases.
#include "yesno/blind_rsa.h"

#include "testing/test_util.h"

namespace yesno {
namespace {

using testing::FlipBit;

class BlindRsaTest : public ::testing::TestWithParam<BlindRsaVariant> {};

TEST_P(BlindRsaTest, RoundTripVerifies) {
  const RsaPrivateKey& sk = testing::TestKey2048();
  SystemRng rng;
  const Bytes input = BlindRsaPrepare(GetParam(), ToBytes("hello"), rng);
  auto blinded = BlindRsaBlind(sk.public_key(), GetParam(), input, rng);
  ASSERT_TRUE(blinded.ok());
  auto blind_sig = BlindRsaBlindSign(sk, blinded->blinded_msg);
  ASSERT_TRUE(blind_sig.ok());
  auto sig = BlindRsaFinalize(sk.public_key(), GetParam(), input, *blind_sig, blinded->inv);
  ASSERT_TRUE(sig.ok()) << sig.error().message;
  EXPECT_TRUE(BlindRsaVerify(sk.public_key(), GetParam(), input, *sig).ok());
  EXPECT_FALSE(BlindRsaVerify(sk.public_key(), GetParam(), ToBytes("other"), *sig).ok());
  EXPECT_FALSE(BlindRsaVerify(testing::OtherTestKey2048().public_key(), GetParam(), input, *sig).ok());
  EXPECT_FALSE(BlindRsaVerify(sk.public_key(), GetParam(), input, FlipBit(*sig, 100)).ok());
}

INSTANTIATE_TEST_SUITE_P(AllVariants, BlindRsaTest,
                         ::testing::Values(BlindRsaVariant::kSha384PssRandomized,
                                           BlindRsaVariant::kSha384PssZeroRandomized,
                                           BlindRsaVariant::kSha384PssDeterministic,
                                           BlindRsaVariant::kSha384PssZeroDeterministic));

}  // namespace
}  // namespace yesno
