// vnonce_test.cc — the verifier's stateless challenge nonce.
#include "yesno/vnonce.h"

#include <sodium.h>

#include "testing/test_util.h"
#include "yesno/wire.h"

namespace yesno {
namespace {

using testing::FlipBit;
using testing::Hex;

constexpr int64_t kNow = 1767225600;  // 2026-01-01T00:00:00Z
constexpr char kClaim[] = "age_over_18";

SecretBytes Key(uint8_t fill = 0x4b) { return SecretBytes(kVnonceKeyBytes, fill); }

Bytes Create(int64_t now = kNow, std::string_view claim = kClaim, uint64_t seed = 1) {
  testing::DeterministicRng rng(seed);
  auto v = CreateVnonce(Key(), claim, now, rng);
  EXPECT_TRUE(v.ok());
  return *v;
}

void ExpectRejected(const Status& s, ErrorCode code, const char* what) {
  ASSERT_FALSE(s.ok()) << what;
  EXPECT_EQ(s.error().code, code) << what;
}

TEST(VnonceTest, LayoutIsIssuedAtRandomTag) {
  testing::ScriptedRng rng;
  const Bytes random = Hex("000102030405060708090a0b0c0d0e0f");
  rng.Push(random);
  auto v = CreateVnonce(Key(), kClaim, kNow, rng);
  ASSERT_TRUE(v.ok());
  ASSERT_EQ(v->size(), kVnonceBytes);
  wire::Writer w;
  w.WriteU64(static_cast<uint64_t>(kNow));
  EXPECT_EQ(ToBytes(ByteView(*v).first(8)), w.bytes());
  EXPECT_EQ(ToBytes(ByteView(*v).subspan(8, 16)), random);

  // tag = BLAKE2b-128(key, "yesno-vnonce-v1" || issued_at || random || claim).
  const Bytes tagged = Concat({AsBytes("yesno-vnonce-v1"), ByteView(*v).first(24), AsBytes(kClaim)});
  Bytes tag(16);
  const SecretBytes key = Key();
  ASSERT_EQ(crypto_generichash(tag.data(), tag.size(), tagged.data(), tagged.size(), key.data(), key.size()), 0);
  EXPECT_EQ(ToBytes(ByteView(*v).subspan(24)), tag);
}

TEST(VnonceTest, FreshVnonceChecks) {
  EXPECT_TRUE(CheckVnonce(Key(), Create(), kClaim, kNow).ok());
}

TEST(VnonceTest, TwoVnoncesDiffer) {
  EXPECT_NE(Create(kNow, kClaim, 1), Create(kNow, kClaim, 2));
}

TEST(VnonceTest, FreshAt120SecondsStaleAt121) {
  const Bytes v = Create();
  EXPECT_TRUE(CheckVnonce(Key(), v, kClaim, kNow + 120).ok());
  ExpectRejected(CheckVnonce(Key(), v, kClaim, kNow + 121), ErrorCode::kVerificationFailed, "121 s");
  ExpectRejected(CheckVnonce(Key(), v, kClaim, kNow + 86400), ErrorCode::kVerificationFailed, "a day");
}

TEST(VnonceTest, FutureBeyondFiveSecondSkewIsRejected) {
  const Bytes v = Create();
  EXPECT_TRUE(CheckVnonce(Key(), v, kClaim, kNow - 5).ok());
  ExpectRejected(CheckVnonce(Key(), v, kClaim, kNow - 6), ErrorCode::kVerificationFailed, "6 s early");
  ExpectRejected(CheckVnonce(Key(), v, kClaim, 0), ErrorCode::kVerificationFailed, "epoch");
}

TEST(VnonceTest, ForgedTagIsRejected) {
  const Bytes v = Create();
  for (std::size_t bit = 0; bit < v.size() * 8; ++bit) {
    ExpectRejected(CheckVnonce(Key(), FlipBit(v, bit), kClaim, kNow), ErrorCode::kVerificationFailed, "bit flip");
  }
}

TEST(VnonceTest, MovedIssuedAtIsRejected) {
  // Rewriting issued_at to look fresh breaks the tag.
  const Bytes old = Create(kNow - 1000);
  Bytes moved = old;
  wire::Writer w;
  w.WriteU64(static_cast<uint64_t>(kNow));
  std::copy(w.bytes().begin(), w.bytes().end(), moved.begin());
  ExpectRejected(CheckVnonce(Key(), moved, kClaim, kNow), ErrorCode::kVerificationFailed, "moved");
}

TEST(VnonceTest, OtherClaimIsRejected) {
  const Bytes v = Create();
  for (const char* claim : {"age_over_21", "age_over_1", "age_over_180", "", "verified_person"}) {
    ExpectRejected(CheckVnonce(Key(), v, claim, kNow), ErrorCode::kVerificationFailed, claim);
  }
}

TEST(VnonceTest, OtherKeyIsRejected) {
  const Bytes v = Create();
  ExpectRejected(CheckVnonce(Key(0x4c), v, kClaim, kNow), ErrorCode::kVerificationFailed, "other key");
  SecretBytes almost = Key();
  almost[31] ^= 0x01;
  ExpectRejected(CheckVnonce(almost, v, kClaim, kNow), ErrorCode::kVerificationFailed, "one bit off");
}

TEST(VnonceTest, WrongLengthIsMalformed) {
  const Bytes v = Create();
  for (std::size_t n : {std::size_t{0}, std::size_t{8}, std::size_t{39}}) {
    ExpectRejected(CheckVnonce(Key(), ByteView(v).first(n), kClaim, kNow), ErrorCode::kMalformedInput, "short");
  }
  ExpectRejected(CheckVnonce(Key(), Concat({v, Bytes{0}}), kClaim, kNow), ErrorCode::kMalformedInput, "long");
}

TEST(VnonceTest, BadKeyOrTimeIsInvalidArgument) {
  testing::DeterministicRng rng(1);
  auto short_key = CreateVnonce(SecretBytes(16, 1), kClaim, kNow, rng);
  ASSERT_FALSE(short_key.ok());
  EXPECT_EQ(short_key.error().code, ErrorCode::kInvalidArgument);
  auto negative = CreateVnonce(Key(), kClaim, -1, rng);
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.error().code, ErrorCode::kInvalidArgument);
  ExpectRejected(CheckVnonce(SecretBytes(31, 1), Create(), kClaim, kNow), ErrorCode::kInvalidArgument, "short key");
}

// TaggedVnonce builds a vnonce with a valid tag for any issued_at, as only
// the key holder could.
Bytes TaggedVnonce(const SecretBytes& key, uint64_t issued_at, std::string_view claim) {
  wire::Writer w;
  w.WriteU64(issued_at);
  w.WriteBytes(Bytes(16, 0x42));
  const Bytes tagged = Concat({AsBytes("yesno-vnonce-v1"), w.bytes(), AsBytes(claim)});
  Bytes tag(16);
  EXPECT_EQ(crypto_generichash(tag.data(), tag.size(), tagged.data(), tagged.size(), key.data(), key.size()), 0);
  w.WriteBytes(tag);
  return w.Take();
}

TEST(VnonceTest, TaggedVnonceHelperMatchesCreateVnonce) {
  EXPECT_TRUE(CheckVnonce(Key(), TaggedVnonce(Key(), kNow, kClaim), kClaim, kNow).ok());
}

TEST(VnonceTest, HugeIssuedAtWithValidTagIsRejected) {
  // issued_at beyond INT64_MAX must neither wrap into the window nor overflow.
  for (uint64_t issued_at : {UINT64_MAX, uint64_t{1} << 63, (uint64_t{1} << 63) + 120,
                             static_cast<uint64_t>(INT64_MAX)}) {
    const Bytes v = TaggedVnonce(Key(), issued_at, kClaim);
    for (int64_t now : {int64_t{-1}, int64_t{0}, kNow, INT64_MAX}) {
      const bool fresh = issued_at == static_cast<uint64_t>(INT64_MAX) && now == INT64_MAX;
      Status s = CheckVnonce(Key(), v, kClaim, now);
      EXPECT_EQ(s.ok(), fresh) << issued_at << " at " << now;
    }
  }
}

}  // namespace
}  // namespace yesno
