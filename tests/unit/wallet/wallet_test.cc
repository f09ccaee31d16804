// wallet_test.cc — the encrypted wallet format: round trip, wrong key,
// corruption anywhere, truncation, trailing bytes, other versions.
#include "yesno/wallet.h"

#include <sodium.h>

#include "testing/test_util.h"

namespace yesno {
namespace {

using testing::DeterministicRng;

WalletContents Sample() {
  WalletContents c;
  c.created_at = 1700000000;
  WalletIssuer i;
  i.name = "issuer.example";
  i.url = "https://issuer.example";
  i.public_key = Bytes(32, 7);
  i.ticket = ToSecret(AsBytes("yn1.abcdef"));
  i.directory = "{\"x\":1}";
  i.directory_signature = "sig==";
  i.directory_fetched_at = 1700000100;
  c.issuers.push_back(i);
  for (int n = 0; n < 3; ++n) {
    WalletToken t;
    t.issuer = "issuer.example";
    t.claim = n == 2 ? "verified_person" : "age_over_18";
    t.token = Bytes(354, static_cast<uint8_t>(n));
    t.seed = SecretBytes(32, static_cast<uint8_t>(n + 1));
    t.not_after = 1800000000 + n;
    t.spent = n == 1;
    t.spent_at = n == 1 ? 1700000200 : 0;
    c.tokens.push_back(std::move(t));
  }
  c.keys.push_back(WalletKeyRecord{"issuer.example", "age_over_18", 1699999200, 1703200000, Bytes(32, 9), 64, 61,
                                   1700000150});
  c.keys.push_back(WalletKeyRecord{"issuer.example", "verified_person", 1699999200, 1703200000, Bytes(32, 10), -1, -1,
                                   1700000160});
  c.warnings.push_back(WalletWarning{1700000300, "shop.example offered another key"});
  return c;
}

SecretBytes Key(uint8_t b) { return SecretBytes(32, b); }

TEST(WalletTest, RoundTripsEveryField) {
  DeterministicRng rng(1);
  auto file = SealWallet(Sample(), Key(1), NewKeyFileHeader(rng), rng);
  ASSERT_TRUE(file.ok());
  auto c = OpenWallet(*file, Key(1));
  ASSERT_TRUE(c.ok()) << c.error().message;
  const WalletContents s = Sample();
  EXPECT_EQ(c->created_at, s.created_at);
  ASSERT_EQ(c->issuers.size(), 1u);
  EXPECT_EQ(c->issuers[0].name, s.issuers[0].name);
  EXPECT_EQ(c->issuers[0].url, s.issuers[0].url);
  EXPECT_EQ(c->issuers[0].public_key, s.issuers[0].public_key);
  EXPECT_TRUE(ConstantTimeEquals(View(c->issuers[0].ticket), View(s.issuers[0].ticket)));
  EXPECT_EQ(c->issuers[0].directory, s.issuers[0].directory);
  EXPECT_EQ(c->issuers[0].directory_signature, s.issuers[0].directory_signature);
  EXPECT_EQ(c->issuers[0].directory_fetched_at, s.issuers[0].directory_fetched_at);
  ASSERT_EQ(c->tokens.size(), 3u);
  for (std::size_t n = 0; n < 3; ++n) {
    EXPECT_EQ(c->tokens[n].claim, s.tokens[n].claim);
    EXPECT_EQ(c->tokens[n].token, s.tokens[n].token);
    EXPECT_TRUE(ConstantTimeEquals(View(c->tokens[n].seed), View(s.tokens[n].seed)));
    EXPECT_EQ(c->tokens[n].not_after, s.tokens[n].not_after);
    EXPECT_EQ(c->tokens[n].spent, s.tokens[n].spent);
    EXPECT_EQ(c->tokens[n].spent_at, s.tokens[n].spent_at);
  }
  ASSERT_EQ(c->keys.size(), 2u);
  for (std::size_t n = 0; n < 2; ++n) {
    EXPECT_EQ(c->keys[n].issuer, s.keys[n].issuer);
    EXPECT_EQ(c->keys[n].claim, s.keys[n].claim);
    EXPECT_EQ(c->keys[n].not_before, s.keys[n].not_before);
    EXPECT_EQ(c->keys[n].not_after, s.keys[n].not_after);
    EXPECT_EQ(c->keys[n].key_id, s.keys[n].key_id);
    EXPECT_EQ(c->keys[n].quota_limit, s.keys[n].quota_limit);
    EXPECT_EQ(c->keys[n].quota_remaining, s.keys[n].quota_remaining);
    EXPECT_EQ(c->keys[n].refilled_at, s.keys[n].refilled_at);
  }
  ASSERT_EQ(c->warnings.size(), 1u);
  EXPECT_EQ(c->warnings[0].at, s.warnings[0].at);
  EXPECT_EQ(c->warnings[0].text, s.warnings[0].text);
}

// A wallet written before key records existed (plaintext version 1: issuers
// and tokens only) still opens, with no key records or warnings.
TEST(WalletTest, VersionOnePlaintextStillOpens) {
  DeterministicRng rng(11);
  WalletContents old = Sample();
  old.keys.clear();
  old.warnings.clear();
  auto file = SealWallet(old, Key(1), NewKeyFileHeader(rng), rng);
  ASSERT_TRUE(file.ok());
  // Decrypt, turn the plaintext into version 1 (drop the two empty v2
  // sections: u32 0 and u16 0) and encrypt it again under the same header.
  Bytes pt(file->size() - kWalletHeaderBytes - crypto_aead_xchacha20poly1305_ietf_ABYTES);
  unsigned long long pt_len = 0;
  const SecretBytes key = Key(1);
  auto header = ParseWalletHeader(*file);
  ASSERT_TRUE(header.ok());
  ASSERT_EQ(crypto_aead_xchacha20poly1305_ietf_decrypt(pt.data(), &pt_len, nullptr, file->data() + kWalletHeaderBytes,
                                                       file->size() - kWalletHeaderBytes, file->data(),
                                                       kWalletHeaderBytes, header->nonce.data(), key.data()),
            0);
  ASSERT_EQ(pt[0], 2);
  ASSERT_EQ(Bytes(pt.end() - 6, pt.end()), Bytes(6, 0));
  pt[0] = 1;
  pt.resize(pt.size() - 6);
  Bytes v1(file->begin(), file->begin() + kWalletHeaderBytes);
  v1.resize(kWalletHeaderBytes + pt.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES);
  unsigned long long ct_len = 0;
  ASSERT_EQ(crypto_aead_xchacha20poly1305_ietf_encrypt(v1.data() + kWalletHeaderBytes, &ct_len, pt.data(), pt.size(),
                                                       v1.data(), kWalletHeaderBytes, nullptr, header->nonce.data(),
                                                       key.data()),
            0);
  auto c = OpenWallet(v1, key);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->tokens.size(), 3u);
  EXPECT_TRUE(c->keys.empty());
  EXPECT_TRUE(c->warnings.empty());
  EXPECT_EQ(c->plaintext_version, 1);
  // The same version-1 bytes with a v2 tail appended are not a valid v1 file.
  pt.push_back(0);
  Bytes bad(file->begin(), file->begin() + kWalletHeaderBytes);
  bad.resize(kWalletHeaderBytes + pt.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES);
  ASSERT_EQ(crypto_aead_xchacha20poly1305_ietf_encrypt(bad.data() + kWalletHeaderBytes, &ct_len, pt.data(), pt.size(),
                                                       bad.data(), kWalletHeaderBytes, nullptr, header->nonce.data(),
                                                       key.data()),
            0);
  EXPECT_EQ(OpenWallet(bad, key).error().code, ErrorCode::kVerificationFailed);
}

TEST(WalletTest, PlaintextNeverAppearsInTheFile) {
  DeterministicRng rng(2);
  auto file = SealWallet(Sample(), Key(1), NewKeyFileHeader(rng), rng);
  ASSERT_TRUE(file.ok());
  const std::string bytes = AsString(*file);
  EXPECT_EQ(bytes.find("yn1.abcdef"), std::string::npos);
  EXPECT_EQ(bytes.find("issuer.example"), std::string::npos);
  EXPECT_EQ(bytes.find("age_over_18"), std::string::npos);
}

TEST(WalletTest, WrongKeyIsToldApartFromCorruption) {
  DeterministicRng rng(3);
  auto file = SealWallet(Sample(), Key(1), NewKeyFileHeader(rng), rng);
  ASSERT_TRUE(file.ok());
  auto wrong = OpenWallet(*file, Key(2));
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, ErrorCode::kInvalidArgument);
  // A flipped bit in the ciphertext is corruption (the key is right).
  Bytes flipped = testing::FlipBit(*file, (kWalletHeaderBytes + 5) * 8);
  auto corrupt = OpenWallet(flipped, Key(1));
  ASSERT_FALSE(corrupt.ok());
  EXPECT_EQ(corrupt.error().code, ErrorCode::kVerificationFailed);
}

TEST(WalletTest, EveryBitFlipIsRejected) {
  DeterministicRng rng(4);
  WalletContents small;
  small.created_at = 1;
  auto file = SealWallet(small, Key(1), NewKeyFileHeader(rng), rng);
  ASSERT_TRUE(file.ok());
  for (std::size_t bit = 0; bit < file->size() * 8; ++bit) {
    EXPECT_FALSE(OpenWallet(testing::FlipBit(*file, bit), Key(1)).ok()) << "bit " << bit;
  }
}

TEST(WalletTest, TruncatedAndTrailingBytesAreRejected) {
  DeterministicRng rng(5);
  auto file = SealWallet(Sample(), Key(1), NewKeyFileHeader(rng), rng);
  ASSERT_TRUE(file.ok());
  for (std::size_t len : {std::size_t{0}, std::size_t{7}, std::size_t{40}, kWalletHeaderBytes - 1, kWalletHeaderBytes,
                          kWalletHeaderBytes + 15, file->size() - 1}) {
    EXPECT_FALSE(OpenWallet(ByteView(*file).first(len), Key(1)).ok()) << len;
  }
  Bytes longer = *file;
  longer.push_back(0);
  EXPECT_FALSE(OpenWallet(longer, Key(1)).ok());
}

TEST(WalletTest, HeaderChecks) {
  DeterministicRng rng(6);
  auto file = SealWallet(Sample(), Key(1), NewKeyFileHeader(rng), rng);
  ASSERT_TRUE(file.ok());
  Bytes other_version = *file;
  other_version[8] = 2;
  auto r = ParseWalletHeader(other_version);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kMalformedInput);
  Bytes other_kdf = *file;
  other_kdf[9] = 9;
  EXPECT_FALSE(ParseWalletHeader(other_kdf).ok());
  EXPECT_FALSE(ParseWalletHeader(ToBytes("not a wallet at all, really not")).ok());
  EXPECT_EQ(ParseWalletHeader(*file)->kdf, WalletKdf::kKeyFile);
}

TEST(WalletTest, PassphraseKeysDeriveWithArgon2id) {
  DeterministicRng rng(7);
  WalletHeader h = NewPassphraseHeader(rng, crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN);
  auto k1 = DeriveWalletKey(AsBytes("correct horse"), h);
  auto k2 = DeriveWalletKey(AsBytes("correct horse"), h);
  auto k3 = DeriveWalletKey(AsBytes("wrong horse"), h);
  ASSERT_TRUE(k1.ok() && k2.ok() && k3.ok());
  EXPECT_TRUE(ConstantTimeEquals(View(*k1), View(*k2)));
  EXPECT_FALSE(ConstantTimeEquals(View(*k1), View(*k3)));
  auto file = SealWallet(Sample(), *k1, h, rng);
  ASSERT_TRUE(file.ok());
  EXPECT_TRUE(OpenWallet(*file, *k2).ok());
  EXPECT_EQ(OpenWallet(*file, *k3).error().code, ErrorCode::kInvalidArgument);
  // Absurd limits in a (tampered) header are refused before running Argon2id.
  WalletHeader huge = h;
  huge.memlimit = uint64_t{1} << 50;
  EXPECT_FALSE(DeriveWalletKey(AsBytes("x"), huge).ok());
  EXPECT_FALSE(DeriveWalletKey(AsBytes("x"), NewKeyFileHeader(rng)).ok());
  EXPECT_FALSE(WalletKeyFromKeyFile(Bytes(31, 0)).ok());
  EXPECT_TRUE(WalletKeyFromKeyFile(Bytes(32, 0)).ok());
}

}  // namespace
}  // namespace yesno
