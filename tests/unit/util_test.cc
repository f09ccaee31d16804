// util_test.cc — errors, hex, base64url, hashes, constant-time comparison,
// SecretBytes zeroization, Rng and Clock.
#include "yesno/bytes.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "testing/test_util.h"
#include "yesno/result.h"
#include "yesno/rng.h"
#include "yesno/secret_bytes.h"

namespace yesno {
namespace {

using testing::Hex;

// --- Result / Status -------------------------------------------------------

TEST(ResultTest, HoldsValueOrError) {
  Result<int> good(7);
  ASSERT_TRUE(good.ok());
  EXPECT_TRUE(static_cast<bool>(good));
  EXPECT_EQ(*good, 7);
  Result<int> bad(MakeError(ErrorCode::kMalformedInput, "nope"));
  EXPECT_FALSE(bad.ok());
  EXPECT_FALSE(static_cast<bool>(bad));
  EXPECT_EQ(bad.error().code, ErrorCode::kMalformedInput);
  EXPECT_EQ(bad.error().message, "nope");
}

TEST(StatusTest, DefaultIsOkAndErrorIsNot) {
  EXPECT_TRUE(Status().ok());
  EXPECT_TRUE(Status::Ok().ok());
  Status s = MakeError(ErrorCode::kUnavailable, "store down");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kUnavailable);
}

TEST(ErrorCodeNameTest, NamesEveryCode) {
  EXPECT_EQ(ErrorCodeName(ErrorCode::kInvalidArgument), "invalid_argument");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kMalformedInput), "malformed_input");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kVerificationFailed), "verification_failed");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kCryptoFailure), "crypto_failure");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kUnavailable), "unavailable");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kInternal), "internal");
}

// --- Concat, hashes --------------------------------------------------------

TEST(ConcatTest, AppendsPartsInOrder) {
  const Bytes a = {1, 2}, b = {}, c = {3};
  EXPECT_EQ(Concat({a, b, c}), (Bytes{1, 2, 3}));
  EXPECT_TRUE(Concat({}).empty());
}

TEST(HashTest, Sha256MatchesFips180Vector) {
  EXPECT_EQ(HexEncode(Sha256(AsBytes("abc"))), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(HashTest, Sha384MatchesFips180Vector) {
  EXPECT_EQ(HexEncode(Sha384(AsBytes("abc"))),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7");
}

// --- hex -------------------------------------------------------------------

TEST(HexTest, EncodesLowercase) {
  EXPECT_EQ(HexEncode(Bytes{0x00, 0x01, 0xab, 0xff}), "0001abff");
  EXPECT_EQ(HexEncode(Bytes{}), "");
}

TEST(HexTest, DecodesEitherCaseAndPrefix) {
  for (const char* in : {"0001abff", "0001ABFF", "0x0001abff", "0X0001AbFf"}) {
    auto r = HexDecode(in);
    ASSERT_TRUE(r.ok()) << in;
    EXPECT_EQ(*r, (Bytes{0x00, 0x01, 0xab, 0xff})) << in;
  }
  auto empty = HexDecode("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  auto prefix_only = HexDecode("0x");
  ASSERT_TRUE(prefix_only.ok());
  EXPECT_TRUE(prefix_only->empty());
}

TEST(HexTest, RejectsOddLength) {
  auto r = HexDecode("abc");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kMalformedInput);
}

TEST(HexTest, RejectsNonHexCharacters) {
  for (const char* in : {"zz", "0g", "g0", "00 1", "0 01", "-1", "0x0x00", "00\n", "aa:bb"}) {
    auto r = HexDecode(in);
    ASSERT_FALSE(r.ok()) << in;
    EXPECT_EQ(r.error().code, ErrorCode::kMalformedInput) << in;
  }
}

TEST(HexTest, RoundTripsEveryByteValue) {
  Bytes all(256);
  for (int i = 0; i < 256; ++i) all[static_cast<std::size_t>(i)] = static_cast<uint8_t>(i);
  auto r = HexDecode(HexEncode(all));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, all);
}

// --- base64url -------------------------------------------------------------

struct Base64Case {
  const char* plain;
  const char* padded;
  const char* unpadded;
};

constexpr Base64Case kRfc4648Cases[] = {
    {"", "", ""},           {"f", "Zg==", "Zg"},         {"fo", "Zm8=", "Zm8"},
    {"foo", "Zm9v", "Zm9v"}, {"foob", "Zm9vYg==", "Zm9vYg"}, {"fooba", "Zm9vYmE=", "Zm9vYmE"},
    {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
};

TEST(Base64UrlTest, EncodesRfc4648VectorsWithAndWithoutPadding) {
  for (const auto& c : kRfc4648Cases) {
    EXPECT_EQ(Base64UrlEncode(AsBytes(c.plain)), c.padded) << c.plain;
    EXPECT_EQ(Base64UrlEncode(AsBytes(c.plain), /*padding=*/false), c.unpadded) << c.plain;
  }
}

TEST(Base64UrlTest, DecodesPaddedAndUnpadded) {
  for (const auto& c : kRfc4648Cases) {
    auto padded = Base64UrlDecode(c.padded);
    ASSERT_TRUE(padded.ok()) << c.padded;
    EXPECT_EQ(AsString(*padded), c.plain);
    auto unpadded = Base64UrlDecode(c.unpadded);
    ASSERT_TRUE(unpadded.ok()) << c.unpadded;
    EXPECT_EQ(AsString(*unpadded), c.plain);
  }
}

TEST(Base64UrlTest, UsesUrlSafeAlphabet) {
  EXPECT_EQ(Base64UrlEncode(Bytes{0xfb, 0xff, 0xbf}), "-_-_");
  EXPECT_EQ(Base64UrlEncode(Bytes{0xff, 0xef}), "_-8=");
  auto r = Base64UrlDecode("-_-_");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (Bytes{0xfb, 0xff, 0xbf}));
}

TEST(Base64UrlTest, RejectsStandardAlphabet) {
  for (const char* in : {"+/+/", "_-8/", "+-8="}) {
    auto r = Base64UrlDecode(in);
    ASSERT_FALSE(r.ok()) << in;
    EXPECT_EQ(r.error().code, ErrorCode::kMalformedInput);
  }
}

TEST(Base64UrlTest, RejectsWhitespace) {
  for (const char* in : {"Zm9v ", " Zm9v", "Zm 9v", "Zm9v\n", "Zm9v\r\nYmFy"}) {
    EXPECT_FALSE(Base64UrlDecode(in).ok()) << in;
  }
}

TEST(Base64UrlTest, RejectsNonAsciiBytes) {
  // libsodium 1.0.18 decodes some bytes >= 0x80 as '-' or '_' (found by
  // tests/fuzz/encoding_fuzzer): "\xfe" must not stand in for '_'.
  EXPECT_TRUE(Base64UrlDecode("_303").ok());
  for (const char* in : {"\xfe" "303", "Zm9\xfe", "\x99\x99\x99\x99", "Zg\xbd="}) {
    auto r = Base64UrlDecode(in);
    ASSERT_FALSE(r.ok()) << in;
    EXPECT_EQ(r.error().code, ErrorCode::kMalformedInput);
  }
}

TEST(Base64UrlTest, RejectsBadPadding) {
  // Too little, too much, or padding in the middle.
  for (const char* in : {"Zg=", "Zg===", "Zm8==", "Zm9v=", "Zg==Zg==", "=", "==", "Z===", "Zm=8"}) {
    EXPECT_FALSE(Base64UrlDecode(in).ok()) << in;
  }
}

TEST(Base64UrlTest, RejectsImpossibleLength) {
  for (const char* in : {"Z", "Zm9vY"}) EXPECT_FALSE(Base64UrlDecode(in).ok()) << in;
}

TEST(Base64UrlTest, RejectsNonCanonicalTrailingBits) {
  // "f" is "Zg"; "Zh".."Zv" decode to the same byte with nonzero spare bits.
  for (const char* in : {"Zh==", "Zh", "Zv", "Zm9=", "Zm9"}) {
    EXPECT_FALSE(Base64UrlDecode(in).ok()) << in;
  }
}

TEST(Base64UrlTest, RoundTripsEveryLengthUpTo64) {
  testing::DeterministicRng rng(1);
  for (std::size_t n = 0; n <= 64; ++n) {
    Bytes in(n);
    rng.Fill(in);
    for (bool padding : {true, false}) {
      const std::string enc = Base64UrlEncode(in, padding);
      if (padding) {
        EXPECT_EQ(enc.size() % 4, 0u);
      } else {
        EXPECT_EQ(enc.find('='), std::string::npos);
      }
      auto dec = Base64UrlDecode(enc);
      ASSERT_TRUE(dec.ok()) << enc;
      EXPECT_EQ(*dec, in);
    }
  }
}

// --- ConstantTimeEquals ----------------------------------------------------

TEST(ConstantTimeEqualsTest, EqualInputsCompareEqual) {
  const Bytes a = Hex("00112233445566778899aabbccddeeff");
  EXPECT_TRUE(ConstantTimeEquals(a, Bytes(a)));
  EXPECT_TRUE(ConstantTimeEquals(Bytes{}, Bytes{}));
}

TEST(ConstantTimeEqualsTest, AnyDifferingByteCompareUnequal) {
  const Bytes a = Hex("00112233445566778899aabbccddeeff");
  for (std::size_t bit = 0; bit < a.size() * 8; ++bit) {
    EXPECT_FALSE(ConstantTimeEquals(a, testing::FlipBit(a, bit))) << bit;
  }
}

TEST(ConstantTimeEqualsTest, DifferentLengthsCompareUnequal) {
  const Bytes a = Hex("0011223344");
  EXPECT_FALSE(ConstantTimeEquals(a, ByteView(a).first(4)));
  EXPECT_FALSE(ConstantTimeEquals(ByteView(a).first(4), a));
  EXPECT_FALSE(ConstantTimeEquals(a, Bytes{}));
  EXPECT_FALSE(ConstantTimeEquals(Bytes{}, a));
}

// --- SecretBytes zeroization -----------------------------------------------

// WipeRecord is what the hook saw of one freed buffer.
struct WipeRecord {
  const void* ptr;
  std::size_t size;
  bool all_zero;
};
std::vector<WipeRecord>* g_wipes = nullptr;

void RecordWipe(const void* p, std::size_t n) {
  if (g_wipes == nullptr) return;
  const auto* bytes = static_cast<const uint8_t*>(p);
  g_wipes->push_back(WipeRecord{p, n, std::all_of(bytes, bytes + n, [](uint8_t b) { return b == 0; })});
}

class SecretBytesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    g_wipes = &wipes_;
    internal::SetWipeHookForTesting(&RecordWipe);
  }
  void TearDown() override {
    internal::SetWipeHookForTesting(nullptr);
    g_wipes = nullptr;
  }
  const WipeRecord* FindWipe(const void* p) const {
    for (const auto& w : wipes_) {
      if (w.ptr == p) return &w;
    }
    return nullptr;
  }
  std::vector<WipeRecord> wipes_;
};

TEST_F(SecretBytesTest, DestroyedBufferIsWipedBeforeFree) {
  const void* data = nullptr;
  std::size_t capacity = 0;
  {
    SecretBytes secret(48, 0xa5);
    secret[0] = 0x01;
    data = secret.data();
    capacity = secret.capacity();
    ASSERT_NE(data, nullptr);
  }
  const WipeRecord* w = FindWipe(data);
  ASSERT_NE(w, nullptr) << "the buffer of a destroyed SecretBytes never reached the allocator's wipe";
  EXPECT_EQ(w->size, capacity);
  EXPECT_TRUE(w->all_zero) << "freed secret buffer still held non-zero bytes";
}

TEST_F(SecretBytesTest, ReallocationWipesTheOldBuffer) {
  SecretBytes secret(16, 0x5a);
  secret.shrink_to_fit();
  const void* old_data = secret.data();
  const std::size_t old_capacity = secret.capacity();
  for (int i = 0; i < 64; ++i) secret.push_back(0x77);  // forces at least one reallocation
  ASSERT_NE(secret.data(), old_data);
  const WipeRecord* w = FindWipe(old_data);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->size, old_capacity);
  EXPECT_TRUE(w->all_zero);
  EXPECT_EQ(secret[0], 0x5a);  // contents moved intact
}

TEST_F(SecretBytesTest, ToSecretCopiesAndViewSeesTheBytes) {
  const Bytes plain = Hex("0102030405");
  const void* data = nullptr;
  {
    SecretBytes s = ToSecret(plain);
    data = s.data();
    EXPECT_TRUE(ConstantTimeEquals(View(s), plain));
  }
  const WipeRecord* w = FindWipe(data);
  ASSERT_NE(w, nullptr);
  EXPECT_TRUE(w->all_zero);
}

TEST(SecureWipeTest, ZeroesTheBuffer) {
  uint8_t buf[32];
  std::memset(buf, 0xff, sizeof(buf));
  internal::SecureWipe(buf, sizeof(buf));
  EXPECT_TRUE(std::all_of(std::begin(buf), std::end(buf), [](uint8_t b) { return b == 0; }));
  internal::SecureWipe(nullptr, 0);  // a no-op, not a crash
}

// --- Rng, Clock ------------------------------------------------------------

TEST(SystemRngTest, FillsWithFreshBytes) {
  SystemRng rng;
  Bytes a(32), b(32);
  rng.Fill(a);
  rng.Fill(b);
  EXPECT_NE(a, Bytes(32, 0));
  EXPECT_NE(a, b);
}

TEST(InitCryptoTest, SucceedsAndIsIdempotent) {
  EXPECT_TRUE(InitCrypto().ok());
  EXPECT_TRUE(InitCrypto().ok());
}

TEST(FixedClockTest, SetAndAdvance) {
  FixedClock clock(1000);
  EXPECT_EQ(clock.NowSeconds(), 1000);
  clock.Advance(5);
  EXPECT_EQ(clock.NowSeconds(), 1005);
  clock.Set(-3);
  EXPECT_EQ(clock.NowSeconds(), -3);
}

TEST(SystemClockTest, IsAfter2024) { EXPECT_GT(SystemClock().NowSeconds(), 1704067200); }

}  // namespace
}  // namespace yesno
