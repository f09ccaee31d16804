// ticket_test.cc — sealed entitlement tickets (XChaCha20-Poly1305).
#include "yesno/ticket.h"

#include <sodium.h>

#include <algorithm>
#include <string>

#include "testing/test_util.h"

namespace yesno {
namespace {

constexpr char kIssuer[] = "issuer.example";
constexpr int64_t kExpiry = 1798761600;  // 2027-01-01

SecretBytes Key(uint8_t fill = 0x7e) { return SecretBytes(kTicketKeyBytes, fill); }

TicketContents Contents() {
  TicketContents c;
  c.ticket_id = Bytes(kTicketIdBytes, 0xd1);
  c.ticket_id[0] = 0x01;
  c.birth_date = Date{2008, 2, 29};
  c.attributes = {"verified_person", "resident_fr"};
  c.expires_at = kExpiry;
  return c;
}

std::string Seal(const TicketContents& c = Contents(), uint64_t seed = 1) {
  testing::DeterministicRng rng(seed);
  auto t = SealTicket(Key(), kIssuer, c, rng);
  EXPECT_TRUE(t.ok()) << t.error().message;
  return *t;
}

void ExpectContentsEqual(const TicketContents& a, const TicketContents& b) {
  EXPECT_EQ(a.ticket_id, b.ticket_id);
  EXPECT_EQ(a.birth_date, b.birth_date);
  EXPECT_EQ(a.attributes, b.attributes);
  EXPECT_EQ(a.expires_at, b.expires_at);
}

// OpenFails checks that `ticket` is refused with a rejection code.
void ExpectOpenFails(const SecretBytes& key, std::string_view issuer, std::string_view ticket, const std::string& what) {
  auto r = OpenTicket(key, issuer, ticket);
  ASSERT_FALSE(r.ok()) << what;
  EXPECT_TRUE(r.error().code == ErrorCode::kVerificationFailed || r.error().code == ErrorCode::kMalformedInput)
      << what << ": " << ErrorCodeName(r.error().code);
}

TEST(TicketTest, SealOpenRoundTrip) {
  const std::string ticket = Seal();
  EXPECT_EQ(ticket.rfind(kTicketPrefix, 0), 0u);
  auto opened = OpenTicket(Key(), kIssuer, ticket);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  ExpectContentsEqual(*opened, Contents());
}

TEST(TicketTest, RoundTripsWithoutAttributesAndWithTheMaximum) {
  TicketContents none = Contents();
  none.attributes.clear();
  auto a = OpenTicket(Key(), kIssuer, Seal(none));
  ASSERT_TRUE(a.ok());
  ExpectContentsEqual(*a, none);

  TicketContents full = Contents();
  full.attributes.clear();
  for (std::size_t i = 0; i < kMaxTicketAttributes; ++i) {
    full.attributes.push_back(std::string(kMaxClaimNameBytes - 2, 'a') + std::to_string(10 + i));
  }
  const std::string ticket = Seal(full);
  EXPECT_LE(ticket.size(), kMaxTicketBytes);
  auto b = OpenTicket(Key(), kIssuer, ticket);
  ASSERT_TRUE(b.ok()) << b.error().message;
  ExpectContentsEqual(*b, full);
}

TEST(TicketTest, FormatIsPrefixAndUnpaddedBase64UrlOfNonceCiphertextTag) {
  testing::ScriptedRng rng;
  const Bytes nonce(24, 0x99);
  rng.Push(nonce);
  auto ticket = SealTicket(Key(), kIssuer, Contents(), rng);
  ASSERT_TRUE(ticket.ok());
  ASSERT_EQ(ticket->substr(0, 4), "yn1.");
  const std::string body = ticket->substr(4);
  EXPECT_EQ(body.find('='), std::string::npos);
  auto sealed = Base64UrlDecode(body);
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(ToBytes(ByteView(*sealed).first(24)), nonce);

  // Decrypting independently with ad = "yesno-ticket-v1" || issuer_name works.
  const Bytes ad = Concat({AsBytes("yesno-ticket-v1"), AsBytes(kIssuer)});
  const SecretBytes key = Key();
  Bytes pt(sealed->size() - 24 - 16);
  unsigned long long pt_len = 0;
  ASSERT_EQ(crypto_aead_xchacha20poly1305_ietf_decrypt(pt.data(), &pt_len, nullptr, sealed->data() + 24,
                                                       sealed->size() - 24, ad.data(), ad.size(), nonce.data(),
                                                       key.data()),
            0);
  // The plaintext carries the ticket id, which never appears in the clear outside.
  const Bytes id = Contents().ticket_id;
  pt.resize(static_cast<std::size_t>(pt_len));
  EXPECT_NE(std::search(pt.begin(), pt.end(), id.begin(), id.end()), pt.end());
  EXPECT_EQ(std::search(sealed->begin(), sealed->end(), id.begin(), id.end()), sealed->end());
}

TEST(TicketTest, FreshNonceEveryTime) {
  SystemRng rng;
  auto a = SealTicket(Key(), kIssuer, Contents(), rng);
  auto b = SealTicket(Key(), kIssuer, Contents(), rng);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
}

TEST(TicketTest, WrongKeyFails) {
  const std::string ticket = Seal();
  auto r = OpenTicket(Key(0x7f), kIssuer, ticket);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kVerificationFailed);
}

TEST(TicketTest, WrongIssuerNameFails) {
  const std::string ticket = Seal();
  for (const char* issuer : {"issuer.example.", "other.example", "Issuer.example", ""}) {
    auto r = OpenTicket(Key(), issuer, ticket);
    ASSERT_FALSE(r.ok()) << issuer;
    EXPECT_EQ(r.error().code, ErrorCode::kVerificationFailed) << issuer;
  }
}

TEST(TicketTest, BitFlipAnywhereInTheTextFails) {
  const std::string ticket = Seal();
  for (std::size_t bit = 0; bit < ticket.size() * 8; ++bit) {
    const Bytes flipped = testing::FlipBit(AsBytes(ticket), bit);
    ExpectOpenFails(Key(), kIssuer, AsString(flipped), "text bit " + std::to_string(bit));
  }
}

TEST(TicketTest, BitFlipAnywhereInTheSealedBytesFails) {
  const std::string ticket = Seal();
  auto sealed = Base64UrlDecode(std::string_view(ticket).substr(4));
  ASSERT_TRUE(sealed.ok());
  for (std::size_t bit = 0; bit < sealed->size() * 8; ++bit) {
    const std::string forged = "yn1." + Base64UrlEncode(testing::FlipBit(*sealed, bit), false);
    auto r = OpenTicket(Key(), kIssuer, forged);
    ASSERT_FALSE(r.ok()) << bit;
    EXPECT_EQ(r.error().code, ErrorCode::kVerificationFailed) << bit;
  }
}

TEST(TicketTest, EveryTruncationFails) {
  const std::string ticket = Seal();
  for (std::size_t n = 0; n < ticket.size(); ++n) {
    ExpectOpenFails(Key(), kIssuer, std::string_view(ticket).substr(0, n), "prefix " + std::to_string(n));
  }
  auto sealed = Base64UrlDecode(std::string_view(ticket).substr(4));
  ASSERT_TRUE(sealed.ok());
  for (std::size_t n = 0; n < sealed->size(); ++n) {
    ExpectOpenFails(Key(), kIssuer, "yn1." + Base64UrlEncode(ByteView(*sealed).first(n), false),
                    "sealed prefix " + std::to_string(n));
  }
}

TEST(TicketTest, TrailingBytesFail) {
  const std::string ticket = Seal();
  ExpectOpenFails(Key(), kIssuer, ticket + "A", "extra character");
  ExpectOpenFails(Key(), kIssuer, ticket + "=", "padding");
  ExpectOpenFails(Key(), kIssuer, ticket + " ", "space");
  auto sealed = Base64UrlDecode(std::string_view(ticket).substr(4));
  ASSERT_TRUE(sealed.ok());
  sealed->push_back(0x00);
  ExpectOpenFails(Key(), kIssuer, "yn1." + Base64UrlEncode(*sealed, false), "extra sealed byte");
}

TEST(TicketTest, WrongPrefixFails) {
  const std::string ticket = Seal();
  const std::string body = ticket.substr(4);
  for (std::string_view prefix : {"yn2.", "YN1.", "yn1:", "yn1", "", "yn1.."}) {
    auto r = OpenTicket(Key(), kIssuer, std::string(prefix) + body);
    ASSERT_FALSE(r.ok()) << prefix;
    EXPECT_EQ(r.error().code, ErrorCode::kMalformedInput) << prefix;
  }
}

TEST(TicketTest, OversizeTicketIsMalformed) {
  const std::string huge = "yn1." + std::string(kMaxTicketBytes, 'A');
  auto r = OpenTicket(Key(), kIssuer, huge);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kMalformedInput);
}

TEST(TicketTest, ExpiryIsCheckedSeparately) {
  const std::string ticket = Seal();
  auto opened = OpenTicket(Key(), kIssuer, ticket);  // opens regardless of the time
  ASSERT_TRUE(opened.ok());
  EXPECT_FALSE(TicketExpired(*opened, kExpiry - 1));
  EXPECT_TRUE(TicketExpired(*opened, kExpiry));
  EXPECT_TRUE(TicketExpired(*opened, kExpiry + 1));
}

TEST(TicketTest, SealRejectsBadContents) {
  testing::DeterministicRng rng(3);
  auto try_seal = [&rng](const TicketContents& c) { return SealTicket(Key(), kIssuer, c, rng); };
  TicketContents c = Contents();
  c.ticket_id.pop_back();
  EXPECT_FALSE(try_seal(c).ok());
  c = Contents();
  c.birth_date = Date{2023, 2, 29};
  EXPECT_FALSE(try_seal(c).ok());
  c = Contents();
  c.attributes.push_back("Bad Name");
  EXPECT_FALSE(try_seal(c).ok());
  c = Contents();
  c.attributes.assign(kMaxTicketAttributes + 1, "a");
  EXPECT_FALSE(try_seal(c).ok());
  c = Contents();
  c.expires_at = 0;
  EXPECT_FALSE(try_seal(c).ok());
  auto short_key = SealTicket(SecretBytes(16, 1), kIssuer, Contents(), rng);
  ASSERT_FALSE(short_key.ok());
  EXPECT_EQ(short_key.error().code, ErrorCode::kInvalidArgument);
  auto open_short_key = OpenTicket(SecretBytes(16, 1), kIssuer, Seal());
  ASSERT_FALSE(open_short_key.ok());
  EXPECT_EQ(open_short_key.error().code, ErrorCode::kInvalidArgument);
}

// A ticket sealed correctly but with a plaintext the parser must refuse: the
// issuer key holder is the only one who could make one, but the parser is
// still strict.
std::string SealRaw(ByteView plaintext) {
  const Bytes nonce(24, 0x01);
  const Bytes ad = Concat({AsBytes("yesno-ticket-v1"), AsBytes(kIssuer)});
  const SecretBytes key = Key();
  Bytes sealed(24 + plaintext.size() + 16);
  std::copy(nonce.begin(), nonce.end(), sealed.begin());
  unsigned long long ct_len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(sealed.data() + 24, &ct_len, plaintext.data(), plaintext.size(),
                                             ad.data(), ad.size(), nullptr, nonce.data(), key.data());
  return "yn1." + Base64UrlEncode(sealed, false);
}

Bytes ValidPlaintext() {
  // version | id[16] | year u16 | month | day | expires_at u64 | n_attrs | (u8 len, name)*
  //   0        1..16    17..18     19      20    21..28           29        30, 31..33
  return Concat({testing::Hex("01"), Bytes(16, 0xd1), testing::Hex("07d8" "02" "1d"),
                 testing::Hex("000000006b3dc600"), testing::Hex("01" "03"), AsBytes("abc")});
}

TEST(TicketTest, ParsesIndependentlyBuiltPlaintext) {
  auto opened = OpenTicket(Key(), kIssuer, SealRaw(ValidPlaintext()));
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(opened->ticket_id, Bytes(16, 0xd1));
  EXPECT_EQ(opened->birth_date, (Date{2008, 2, 29}));
  EXPECT_EQ(opened->expires_at, 1799210496);
  EXPECT_EQ(opened->attributes, std::vector<std::string>{"abc"});
}

TEST(TicketTest, RejectsBadPlaintexts) {
  const Bytes good = ValidPlaintext();
  auto with = [&good](std::initializer_list<std::pair<std::size_t, uint8_t>> edits) {
    Bytes p = good;
    for (const auto& [index, value] : edits) p.at(index) = value;
    return p;
  };
  const std::pair<Bytes, const char*> cases[] = {
      {with({{0, 2}}), "version 2"},
      {with({{0, 0}}), "version 0"},
      {with({{17, 0}, {18, 0}}), "year 0"},
      {with({{19, 13}}), "month 13"},
      {with({{19, 0}}), "month 0"},
      {with({{20, 30}}), "30 February"},
      {with({{20, 0}}), "day 0"},
      {with({{29, 2}}), "two attributes, one present"},
      {with({{29, 33}}), "33 attributes"},
      {with({{30, 4}}), "attribute length past the end"},
      {with({{30, 0}}), "empty attribute"},
      {with({{31, 'A'}}), "uppercase attribute"},
      {Concat({good, Bytes{0}}), "trailing byte"},
      {Bytes(good.begin(), good.end() - 1), "truncated attribute"},
      {Bytes(good.begin(), good.begin() + 20), "truncated"},
      {Bytes{}, "empty"},
      {Concat({ByteView(good).first(21), Bytes(8, 0), Bytes{0}}), "expiry zero"},
      {Concat({ByteView(good).first(21), testing::Hex("8000000000000000"), Bytes{0}}), "negative expiry"},
  };
  for (const auto& [plaintext, what] : cases) {
    auto r = OpenTicket(Key(), kIssuer, SealRaw(plaintext));
    ASSERT_FALSE(r.ok()) << what;
    EXPECT_EQ(r.error().code, ErrorCode::kVerificationFailed) << what;
  }
}

}  // namespace
}  // namespace yesno
