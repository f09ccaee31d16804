// pop_test.cc — Ed25519 keys and the yesno proof of possession.
#include "yesno/pop.h"

#include <sodium.h>

#include <string>

#include "testing/test_util.h"
#include "yesno/token.h"

namespace yesno {
namespace {

using testing::FlipBit;
using testing::Hex;

constexpr char kOrigin[] = "https://shop.example";

struct Fixture {
  Ed25519KeyPair kp;
  Bytes vnonce;
  Bytes token;
};

Fixture Make(uint64_t seed) {
  testing::DeterministicRng rng(seed);
  Fixture f;
  f.kp = GenerateEd25519KeyPair(rng);
  f.vnonce = Bytes(40);
  rng.Fill(f.vnonce);
  // A token whose nonce is the public key, as yesno issues them.
  f.token = Concat({Hex("0002"), f.kp.public_key, Bytes(32, 0x02), Bytes(32, 0x03), Bytes(kBlindRsaNk, 0x04)});
  return f;
}

// --- Ed25519 ----------------------------------------------------------------

TEST(Ed25519Test, Rfc8032TestVector1) {
  // RFC 8032 §7.1, TEST 1 (empty message).
  const Bytes seed = Hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
  auto kp = Ed25519KeyPairFromSeed(seed);
  ASSERT_TRUE(kp.ok());
  EXPECT_EQ(HexEncode(kp->public_key), "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  EXPECT_TRUE(ConstantTimeEquals(View(kp->seed), seed));
  auto sig = Ed25519Sign(seed, Bytes{});
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(HexEncode(*sig),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595b"
            "be24655141438e7a100b");
  EXPECT_TRUE(Ed25519Verify(kp->public_key, Bytes{}, *sig).ok());
}

TEST(Ed25519Test, RejectsBadLengths) {
  auto kp = Ed25519KeyPairFromSeed(Bytes(31));
  ASSERT_FALSE(kp.ok());
  EXPECT_EQ(kp.error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(Ed25519Sign(Bytes(33), Bytes{}).ok());
  Status s = Ed25519Verify(Bytes(31), Bytes{}, Bytes(64));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kMalformedInput);
  EXPECT_FALSE(Ed25519Verify(Bytes(32), Bytes{}, Bytes(63)).ok());
}

TEST(Ed25519Test, GeneratedKeysDiffer) {
  SystemRng rng;
  const Ed25519KeyPair a = GenerateEd25519KeyPair(rng);
  const Ed25519KeyPair b = GenerateEd25519KeyPair(rng);
  EXPECT_EQ(a.public_key.size(), kEd25519PublicKeyBytes);
  EXPECT_EQ(a.seed.size(), kEd25519SeedBytes);
  EXPECT_NE(a.public_key, b.public_key);
}

// --- PopMessage ------------------------------------------------------------------

TEST(PopMessageTest, LayoutIsByteExact) {
  const Bytes vnonce = Hex("0102030405");
  const Bytes token = Hex("aabbcc");
  auto msg = PopMessage("https://a.example", vnonce, token);
  ASSERT_TRUE(msg.ok());
  // "yesno-pop-v1" 0x00 u16(17) "https://a.example" u16(5) vnonce token
  const Bytes expected = Hex(
      "7965736e6f2d706f702d7631"                  // "yesno-pop-v1"
      "00"                                        // separator
      "0011"                                      // len(origin) = 17
      "68747470733a2f2f612e6578616d706c65"        // "https://a.example"
      "0005"                                      // len(vnonce) = 5
      "0102030405"                                // vnonce
      "aabbcc");                                  // token
  EXPECT_EQ(*msg, expected);
}

TEST(PopMessageTest, EmptyFieldsAreStillFramed) {
  auto msg = PopMessage("", Bytes{}, Bytes{});
  ASSERT_TRUE(msg.ok());
  EXPECT_EQ(*msg, Concat({AsBytes("yesno-pop-v1"), Hex("00" "0000" "0000")}));
}

TEST(PopMessageTest, FramingSeparatesOriginFromVnonce) {
  // Moving a byte between origin and vnonce changes the message.
  auto a = PopMessage("https://a.example", Hex("41"), Bytes{});
  auto b = PopMessage("https://a.exampleA", Bytes{}, Bytes{});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
}

TEST(PopMessageTest, RejectsOverlongFields) {
  const std::string long_origin(65536, 'a');
  auto a = PopMessage(long_origin, Bytes{}, Bytes{});
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(PopMessage("o", Bytes(65536), Bytes{}).ok());
  EXPECT_TRUE(PopMessage(std::string(65535, 'a'), Bytes(65535), Bytes{}).ok());
}

// --- SignPop / VerifyPop -----------------------------------------------------------

TEST(PopTest, SignVerifyRoundTrip) {
  const Fixture f = Make(1);
  auto pop = SignPop(View(f.kp.seed), kOrigin, f.vnonce, f.token);
  ASSERT_TRUE(pop.ok());
  EXPECT_EQ(pop->size(), kEd25519SignatureBytes);
  EXPECT_TRUE(VerifyPop(f.kp.public_key, *pop, kOrigin, f.vnonce, f.token).ok());
  // It is a plain Ed25519 signature over PopMessage.
  auto msg = PopMessage(kOrigin, f.vnonce, f.token);
  ASSERT_TRUE(msg.ok());
  EXPECT_EQ(crypto_sign_verify_detached(pop->data(), msg->data(), msg->size(), f.kp.public_key.data()), 0);
}

TEST(PopTest, OtherOriginFails) {
  const Fixture f = Make(2);
  auto pop = SignPop(View(f.kp.seed), kOrigin, f.vnonce, f.token);
  ASSERT_TRUE(pop.ok());
  for (const char* origin : {"https://evil.example", "http://shop.example", "https://shop.example:443",
                             "https://shop.example/", "https://Shop.example", ""}) {
    Status s = VerifyPop(f.kp.public_key, *pop, origin, f.vnonce, f.token);
    ASSERT_FALSE(s.ok()) << origin;
    EXPECT_EQ(s.error().code, ErrorCode::kVerificationFailed) << origin;
  }
}

TEST(PopTest, OtherVnonceFails) {
  const Fixture f = Make(3);
  auto pop = SignPop(View(f.kp.seed), kOrigin, f.vnonce, f.token);
  ASSERT_TRUE(pop.ok());
  for (std::size_t bit = 0; bit < f.vnonce.size() * 8; bit += 11) {
    EXPECT_FALSE(VerifyPop(f.kp.public_key, *pop, kOrigin, FlipBit(f.vnonce, bit), f.token).ok()) << bit;
  }
  EXPECT_FALSE(VerifyPop(f.kp.public_key, *pop, kOrigin, Make(4).vnonce, f.token).ok());
  EXPECT_FALSE(VerifyPop(f.kp.public_key, *pop, kOrigin, Bytes{}, f.token).ok());
}

TEST(PopTest, OtherTokenFails) {
  const Fixture f = Make(5);
  auto pop = SignPop(View(f.kp.seed), kOrigin, f.vnonce, f.token);
  ASSERT_TRUE(pop.ok());
  for (std::size_t bit = 0; bit < f.token.size() * 8; bit += 29) {
    EXPECT_FALSE(VerifyPop(f.kp.public_key, *pop, kOrigin, f.vnonce, FlipBit(f.token, bit)).ok()) << bit;
  }
  EXPECT_FALSE(VerifyPop(f.kp.public_key, *pop, kOrigin, f.vnonce, ByteView(f.token).first(f.token.size() - 1)).ok());
}

TEST(PopTest, FlippedSignatureFails) {
  const Fixture f = Make(6);
  auto pop = SignPop(View(f.kp.seed), kOrigin, f.vnonce, f.token);
  ASSERT_TRUE(pop.ok());
  for (std::size_t bit = 0; bit < pop->size() * 8; ++bit) {
    EXPECT_FALSE(VerifyPop(f.kp.public_key, FlipBit(*pop, bit), kOrigin, f.vnonce, f.token).ok()) << bit;
  }
}

TEST(PopTest, WrongKeyFails) {
  const Fixture f = Make(7);
  const Fixture g = Make(8);
  auto pop = SignPop(View(g.kp.seed), kOrigin, f.vnonce, f.token);  // signed by someone else
  ASSERT_TRUE(pop.ok());
  Status s = VerifyPop(f.kp.public_key, *pop, kOrigin, f.vnonce, f.token);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kVerificationFailed);
}

TEST(PopTest, WrongLengthPopOrNonceIsMalformed) {
  const Fixture f = Make(9);
  auto pop = SignPop(View(f.kp.seed), kOrigin, f.vnonce, f.token);
  ASSERT_TRUE(pop.ok());
  Status short_pop = VerifyPop(f.kp.public_key, ByteView(*pop).first(63), kOrigin, f.vnonce, f.token);
  ASSERT_FALSE(short_pop.ok());
  EXPECT_EQ(short_pop.error().code, ErrorCode::kMalformedInput);
  Status short_key = VerifyPop(ByteView(f.kp.public_key).first(31), *pop, kOrigin, f.vnonce, f.token);
  ASSERT_FALSE(short_key.ok());
  EXPECT_EQ(short_key.error().code, ErrorCode::kMalformedInput);
}

TEST(PopTest, SignPopRejectsBadSeed) {
  const Fixture f = Make(10);
  auto pop = SignPop(Bytes(31), kOrigin, f.vnonce, f.token);
  ASSERT_FALSE(pop.ok());
  EXPECT_EQ(pop.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace yesno
