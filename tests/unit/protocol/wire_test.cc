// wire_test.cc — strict reader/writer and QUIC varints (RFC 9000 §16).
#include "yesno/wire.h"

#include "testing/test_util.h"

namespace yesno::wire {
namespace {

using testing::Hex;

TEST(WireReaderTest, ReadsBigEndianIntegers) {
  const Bytes in = Hex("01" "0203" "0405060708090a0b");
  Reader r(in);
  uint8_t a = 0;
  uint16_t b = 0;
  uint64_t c = 0;
  ASSERT_TRUE(r.ReadU8(a));
  ASSERT_TRUE(r.ReadU16(b));
  ASSERT_TRUE(r.ReadU64(c));
  EXPECT_EQ(a, 0x01);
  EXPECT_EQ(b, 0x0203);
  EXPECT_EQ(c, 0x0405060708090a0bull);
  EXPECT_TRUE(r.empty());
}

TEST(WireReaderTest, RejectsShortReads) {
  const Bytes in = Hex("0102030405060708");
  for (std::size_t n = 0; n < in.size(); ++n) {
    Reader r(ByteView(in).first(n));
    uint64_t v = 0;
    EXPECT_FALSE(r.ReadU64(v)) << n;
    EXPECT_EQ(r.remaining(), n) << "a failed read must not consume input";
  }
  Reader r1(ByteView(in).first(1));
  uint16_t v16 = 0;
  EXPECT_FALSE(r1.ReadU16(v16));
  Reader r0(ByteView{});
  uint8_t v8 = 0;
  EXPECT_FALSE(r0.ReadU8(v8));
}

TEST(WireReaderTest, ReadBytesTakesExactlyN) {
  const Bytes in = Hex("aabbccdd");
  Reader r(in);
  Bytes out;
  ASSERT_TRUE(r.ReadBytes(3, out));
  EXPECT_EQ(out, Hex("aabbcc"));
  EXPECT_EQ(r.remaining(), 1u);
  EXPECT_FALSE(r.ReadBytes(2, out));
  ByteView view;
  ASSERT_TRUE(r.ReadView(1, view));
  EXPECT_EQ(ToBytes(view), Hex("dd"));
  EXPECT_TRUE(r.empty());
}

TEST(WireReaderTest, ReadsPrefixedOpaques) {
  const Bytes in = Hex("02aabb" "0003ccddee" "00" "0000");
  Reader r(in);
  Bytes a, b, c, d;
  ASSERT_TRUE(r.ReadU8Prefixed(a));
  ASSERT_TRUE(r.ReadU16Prefixed(b));
  ASSERT_TRUE(r.ReadU8Prefixed(c));
  ASSERT_TRUE(r.ReadU16Prefixed(d));
  EXPECT_EQ(a, Hex("aabb"));
  EXPECT_EQ(b, Hex("ccddee"));
  EXPECT_TRUE(c.empty());
  EXPECT_TRUE(d.empty());
  EXPECT_TRUE(r.empty());
}

TEST(WireReaderTest, RejectsPrefixLongerThanInput) {
  Bytes out;
  const Bytes in8 = Hex("03aabb"), in16 = Hex("0003aabb"), in16short = Hex("00");
  Reader r8(in8);
  EXPECT_FALSE(r8.ReadU8Prefixed(out));
  Reader r16(in16);
  EXPECT_FALSE(r16.ReadU16Prefixed(out));
  Reader r16short(in16short);
  EXPECT_FALSE(r16short.ReadU16Prefixed(out));
}

struct VarintCase {
  uint64_t value;
  const char* hex;
};

// Boundaries of every encoding length, plus RFC 9000 §A.1's examples.
constexpr VarintCase kVarints[] = {
    {0, "00"},
    {37, "25"},
    {63, "3f"},
    {64, "4040"},
    {15293, "7bbd"},
    {16383, "7fff"},
    {16384, "80004000"},
    {494878333, "9d7f3e7d"},
    {1073741823, "bfffffff"},
    {1073741824, "c000000040000000"},
    {151288809941952652ull, "c2197c5eff14e88c"},
    {kMaxVarint, "ffffffffffffffff"},
};

TEST(WireVarintTest, WritesMinimalEncoding) {
  for (const auto& c : kVarints) {
    Writer w;
    ASSERT_TRUE(w.WriteVarint(c.value));
    EXPECT_EQ(HexEncode(w.bytes()), c.hex) << c.value;
  }
}

TEST(WireVarintTest, ReadsMinimalEncoding) {
  for (const auto& c : kVarints) {
    const Bytes in = Hex(c.hex);
    Reader r(in);
    uint64_t v = 0;
    ASSERT_TRUE(r.ReadVarint(v)) << c.hex;
    EXPECT_EQ(v, c.value);
    EXPECT_TRUE(r.empty());
  }
}

TEST(WireVarintTest, RejectsNonMinimalEncoding) {
  // RFC 9000 §A.1: "0x40 0x25" decodes to 37 but is not minimal; the
  // batched-tokens draft requires the minimal form.
  for (const char* hex : {"4025", "4000", "403f", "80000025", "80003fff", "800000ff", "c000000000000025",
                          "c00000003fffffff", "c000000000000000"}) {
    const Bytes in = Hex(hex);
    Reader r(in);
    uint64_t v = 0;
    EXPECT_FALSE(r.ReadVarint(v)) << hex;
  }
}

TEST(WireVarintTest, RejectsTruncatedVarint) {
  for (const char* hex : {"", "40", "800000", "c0000000000000"}) {
    const Bytes in = Hex(hex);
    Reader r(in);
    uint64_t v = 0;
    EXPECT_FALSE(r.ReadVarint(v)) << hex;
  }
}

TEST(WireVarintTest, WriterRefusesValuesAbove62Bits) {
  Writer w;
  EXPECT_FALSE(w.WriteVarint(kMaxVarint + 1));
  EXPECT_FALSE(w.WriteVarint(UINT64_MAX));
  EXPECT_TRUE(w.bytes().empty());
}

TEST(WireVarintTest, PrefixedRoundTrip) {
  for (std::size_t n : {0u, 1u, 63u, 64u, 300u, 16383u, 16384u}) {
    Bytes payload(n, 0x42);
    Writer w;
    ASSERT_TRUE(w.WriteVarintPrefixed(payload));
    const Bytes wire = w.Take();
    Reader r(wire);
    ByteView out;
    ASSERT_TRUE(r.ReadVarintPrefixed(out)) << n;
    EXPECT_EQ(ToBytes(out), payload);
    EXPECT_TRUE(r.empty());
  }
}

TEST(WireVarintTest, PrefixedRejectsLengthBeyondInput) {
  const Bytes in = Hex("05aabbccdd");
  Reader r(in);
  ByteView out;
  EXPECT_FALSE(r.ReadVarintPrefixed(out));
  const Bytes huge = Hex("ffffffffffffffff00");
  Reader r2(huge);
  EXPECT_FALSE(r2.ReadVarintPrefixed(out));
}

TEST(WireWriterTest, WritesBigEndianAndPrefixes) {
  Writer w;
  w.WriteU8(0x01);
  w.WriteU16(0x0203);
  w.WriteU64(0x0405060708090a0bull);
  ASSERT_TRUE(w.WriteU8Prefixed(Hex("aabb")));
  ASSERT_TRUE(w.WriteU16Prefixed(Hex("cc")));
  EXPECT_EQ(HexEncode(w.bytes()), "01" "0203" "0405060708090a0b" "02aabb" "0001cc");
}

TEST(WireWriterTest, RefusesOverlongPrefixedFields) {
  Writer w;
  EXPECT_FALSE(w.WriteU8Prefixed(Bytes(256)));
  EXPECT_TRUE(w.WriteU8Prefixed(Bytes(255)));
  Writer w16;
  EXPECT_FALSE(w16.WriteU16Prefixed(Bytes(65536)));
  EXPECT_TRUE(w16.WriteU16Prefixed(Bytes(65535)));
  EXPECT_EQ(w16.bytes().size(), 2u + 65535u);
}

}  // namespace
}  // namespace yesno::wire
