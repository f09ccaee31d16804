// rsa_keys_test.cc — RSA keys, the canonical id-RSASSA-PSS SPKI (RFC 9578
// §6.5) and private key encodings.
#include "yesno/blind_rsa.h"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include "crypto/rsa_internal.h"
#include "unit/large_test_keys.h"
#include "testing/test_util.h"

namespace yesno {
namespace {

using testing::FlipBit;
using testing::Hex;

// --- a tiny DER builder, independent of the one in core ---------------------

Bytes Der(uint8_t tag, std::initializer_list<ByteView> parts) {
  const Bytes content = Concat(parts);
  Bytes out{tag};
  const std::size_t n = content.size();
  if (n < 0x80) {
    out.push_back(static_cast<uint8_t>(n));
  } else if (n < 0x100) {
    out.push_back(0x81);
    out.push_back(static_cast<uint8_t>(n));
  } else {
    out.push_back(0x82);
    out.push_back(static_cast<uint8_t>(n >> 8));
    out.push_back(static_cast<uint8_t>(n));
  }
  out.insert(out.end(), content.begin(), content.end());
  return out;
}

const Bytes kOidRsaEncryption = Hex("06092a864886f70d010101");
const Bytes kOidRsassaPss = Hex("06092a864886f70d01010a");
const Bytes kOidMgf1 = Hex("06092a864886f70d010108");
const Bytes kOidSha256 = Hex("0609608648016503040201");
const Bytes kOidSha384 = Hex("0609608648016503040202");
const Bytes kNull = Hex("0500");
const Bytes kE65537 = Hex("010001");

// The AlgorithmIdentifier RFC 9578 §6.5 pins, as printed in its test vectors.
constexpr char kRfc9578PssAlgIdHex[] =
    "303d06092a864886f70d01010a3030a00d300b0609608648016503040202a11a301806092a864886f70d010108300b06096086"
    "48016503040202a203020130";

Bytes HashAlgId(const Bytes& oid, bool with_null) { return Der(0x30, {oid, with_null ? kNull : Bytes{}}); }

Bytes PssAlgId(const Bytes& hash_oid, bool hash_null, bool mgf_hash_null, uint8_t salt) {
  return Der(0x30, {kOidRsassaPss,
                    Der(0x30, {Der(0xa0, {HashAlgId(hash_oid, hash_null)}),
                               Der(0xa1, {Der(0x30, {kOidMgf1, HashAlgId(hash_oid, mgf_hash_null)})}),
                               Der(0xa2, {Der(0x02, {Bytes{salt}})})})});
}

Bytes CanonicalAlgId() { return PssAlgId(kOidSha384, false, false, 48); }

Bytes RsaPublicKeyDer(ByteView n, ByteView e) {
  const Bytes n_int = (n[0] & 0x80) ? Concat({Bytes{0x00}, n}) : ToBytes(n);
  return Der(0x30, {Der(0x02, {n_int}), Der(0x02, {e})});
}

Bytes BuildSpki(ByteView alg_id, ByteView rsa_public_key) {
  return Der(0x30, {alg_id, Der(0x03, {Bytes{0x00}, rsa_public_key})});
}

// FakeModulus is an odd number of exactly `bits` bits (not a real RSA modulus,
// which public-key parsing cannot tell).
Bytes FakeModulus(std::size_t bits, uint64_t seed) {
  testing::DeterministicRng rng(seed);
  Bytes n(bits / 8);
  rng.Fill(n);
  n.front() |= 0x80;
  n.back() |= 0x01;
  return n;
}

const RsaPublicKey& Pk() { return testing::TestKey2048().public_key(); }

void ExpectMalformedSpki(ByteView spki, const std::string& what) {
  auto r = RsaPublicKey::FromSpki(spki);
  ASSERT_FALSE(r.ok()) << what;
  EXPECT_EQ(r.error().code, ErrorCode::kMalformedInput) << what;
}

// --- public keys ------------------------------------------------------------

TEST(RsaPublicKeyTest, AlgIdBuilderMatchesRfc9578) {
  EXPECT_EQ(HexEncode(CanonicalAlgId()), kRfc9578PssAlgIdHex);
}

TEST(RsaPublicKeyTest, SpkiIsCanonicalPssEncoding) {
  const Bytes expected = BuildSpki(CanonicalAlgId(), RsaPublicKeyDer(Pk().Modulus(), kE65537));
  EXPECT_EQ(Pk().Spki(), expected);
  EXPECT_EQ(Pk().Spki().size(), 342u);
  EXPECT_EQ(HexEncode(ByteView(Pk().Spki()).subspan(4, 63)), kRfc9578PssAlgIdHex);
}

TEST(RsaPublicKeyTest, KeyIdIsSha256OfSpki) {
  EXPECT_EQ(Pk().KeyId(), Sha256(Pk().Spki()));
  EXPECT_EQ(Pk().KeyId().size(), 32u);
  EXPECT_NE(Pk().KeyId(), testing::OtherTestKey2048().public_key().KeyId());
}

TEST(RsaPublicKeyTest, ReportsSizes) {
  EXPECT_EQ(Pk().modulus_bits(), 2048u);
  EXPECT_EQ(Pk().modulus_bytes(), 256u);
  EXPECT_EQ(Pk().Modulus().size(), 256u);
  EXPECT_NE(Pk().Modulus()[0] & 0x80, 0);
}

TEST(RsaPublicKeyTest, FromSpkiRoundTrips) {
  auto r = RsaPublicKey::FromSpki(Pk().Spki());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->Spki(), Pk().Spki());
  EXPECT_EQ(r->KeyId(), Pk().KeyId());
  EXPECT_EQ(r->Modulus(), Pk().Modulus());
  EXPECT_EQ(r->RsaPublicKeyDer(), Pk().RsaPublicKeyDer());
}

TEST(RsaPublicKeyTest, FromSpkiAcceptsEveryAllowedSize) {
  for (std::size_t bits : {2048u, 3072u, 4096u}) {
    const Bytes n = FakeModulus(bits, bits);
    const Bytes spki = BuildSpki(CanonicalAlgId(), RsaPublicKeyDer(n, kE65537));
    auto r = RsaPublicKey::FromSpki(spki);
    ASSERT_TRUE(r.ok()) << bits << ": " << r.error().message;
    EXPECT_EQ(r->modulus_bits(), bits);
    EXPECT_EQ(r->Modulus(), n);
    EXPECT_EQ(r->Spki(), spki);
  }
}

TEST(RsaPublicKeyTest, FromSpkiRejectsRsaEncryptionSpki) {
  const Bytes rsa_encryption_alg_id = Der(0x30, {kOidRsaEncryption, kNull});
  ExpectMalformedSpki(BuildSpki(rsa_encryption_alg_id, Pk().RsaPublicKeyDer()), "rsaEncryption");
  ExpectMalformedSpki(BuildSpki(Der(0x30, {kOidRsaEncryption}), Pk().RsaPublicKeyDer()), "rsaEncryption, no NULL");

  // The same key as OpenSSL's i2d_PUBKEY writes it.
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(Pk().impl().pkey.get(), &der);
  ASSERT_GT(len, 0);
  const Bytes openssl_spki(der, der + len);
  OPENSSL_free(der);
  ExpectMalformedSpki(openssl_spki, "i2d_PUBKEY output");
}

TEST(RsaPublicKeyTest, FromSpkiRejectsNullParameterVariant) {
  const Bytes pub = Pk().RsaPublicKeyDer();
  ExpectMalformedSpki(BuildSpki(PssAlgId(kOidSha384, true, true, 48), pub), "NULL in both hash AlgIds");
  ExpectMalformedSpki(BuildSpki(PssAlgId(kOidSha384, true, false, 48), pub), "NULL in the hash AlgId");
  ExpectMalformedSpki(BuildSpki(PssAlgId(kOidSha384, false, true, 48), pub), "NULL in the MGF1 hash AlgId");
}

TEST(RsaPublicKeyTest, FromSpkiRejectsOtherSaltLengths) {
  for (int salt : {0, 32, 47, 49, 64}) {
    ExpectMalformedSpki(BuildSpki(PssAlgId(kOidSha384, false, false, static_cast<uint8_t>(salt)), Pk().RsaPublicKeyDer()),
                        "salt " + std::to_string(salt));
  }
}

TEST(RsaPublicKeyTest, FromSpkiRejectsOtherHash) {
  ExpectMalformedSpki(BuildSpki(PssAlgId(kOidSha256, false, false, 48), Pk().RsaPublicKeyDer()), "SHA-256");
}

TEST(RsaPublicKeyTest, FromSpkiRejectsTrailingByte) {
  Bytes spki = Pk().Spki();
  spki.push_back(0x00);
  ExpectMalformedSpki(spki, "trailing byte");
  // A trailing byte inside the BIT STRING, with lengths adjusted.
  ExpectMalformedSpki(BuildSpki(CanonicalAlgId(), Concat({Pk().RsaPublicKeyDer(), Bytes{0x00}})),
                      "trailing byte in subjectPublicKey");
}

TEST(RsaPublicKeyTest, FromSpkiRejectsEveryTruncation) {
  const Bytes& spki = Pk().Spki();
  for (std::size_t n = 0; n < spki.size(); ++n) {
    ExpectMalformedSpki(ByteView(spki).first(n), "prefix " + std::to_string(n));
  }
}

TEST(RsaPublicKeyTest, FromSpkiRejectsEveryBitFlipOutsideTheModulus) {
  const Bytes& spki = Pk().Spki();
  // SEQ hdr (4) | AlgId (63) | BIT STRING hdr (5) | SEQ hdr (4) | INTEGER hdr (5) | n (256) | e (5).
  constexpr std::size_t kModulusStart = 4 + 63 + 5 + 4 + 5;
  constexpr std::size_t kModulusEnd = kModulusStart + 256;
  ASSERT_EQ(spki.size(), kModulusEnd + 5);
  ASSERT_EQ(ToBytes(ByteView(spki).subspan(kModulusStart, 256)), Pk().Modulus());
  for (std::size_t bit = 0; bit < spki.size() * 8; ++bit) {
    const std::size_t byte = bit / 8;
    const Bytes flipped = FlipBit(spki, bit);
    auto r = RsaPublicKey::FromSpki(flipped);
    if (byte < kModulusStart || byte >= kModulusEnd) {
      EXPECT_FALSE(r.ok()) << "bit " << bit;
    } else if (r.ok()) {
      // Inside n a flip may give another valid-looking key, never the same one.
      EXPECT_NE(r->KeyId(), Pk().KeyId()) << "bit " << bit;
      EXPECT_EQ(r->Spki(), flipped) << "bit " << bit;
    }
  }
}

TEST(RsaPublicKeyTest, FromSpkiRejects1024BitKey) {
  ExpectMalformedSpki(BuildSpki(CanonicalAlgId(), RsaPublicKeyDer(FakeModulus(1024, 7), kE65537)), "1024-bit");
  ExpectMalformedSpki(BuildSpki(CanonicalAlgId(), RsaPublicKeyDer(FakeModulus(2040, 7), kE65537)), "2040-bit");
  ExpectMalformedSpki(BuildSpki(CanonicalAlgId(), RsaPublicKeyDer(FakeModulus(8192, 7), kE65537)), "8192-bit");
}

TEST(RsaPublicKeyTest, FromSpkiRejectsExponentOtherThan65537) {
  for (const char* e : {"03", "010003", "01000001", "00010001"}) {
    ExpectMalformedSpki(BuildSpki(CanonicalAlgId(), RsaPublicKeyDer(Pk().Modulus(), Hex(e))), e);
  }
}

TEST(RsaPublicKeyTest, FromSpkiRejectsEvenModulus) {
  Bytes n = Pk().Modulus();
  n.back() &= 0xfe;
  ExpectMalformedSpki(BuildSpki(CanonicalAlgId(), RsaPublicKeyDer(n, kE65537)), "even n");
}

TEST(RsaPublicKeyTest, FromSpkiRejectsNonMinimalDer) {
  const Bytes& n = Pk().Modulus();
  // Exponent length in long form (0x81 0x03) where short form is required.
  const Bytes long_form_e = Concat({Hex("028103"), kE65537});
  const Bytes pub1 = Der(0x30, {Der(0x02, {Bytes{0x00}, n}), long_form_e});
  ExpectMalformedSpki(BuildSpki(CanonicalAlgId(), pub1), "long-form length");
  // A redundant leading zero on the modulus.
  const Bytes pub2 = Der(0x30, {Der(0x02, {Bytes{0x00, 0x00}, n}), Der(0x02, {kE65537})});
  ExpectMalformedSpki(BuildSpki(CanonicalAlgId(), pub2), "extra leading zero");
  // A negative modulus (missing the 0x00 before a high bit).
  const Bytes pub3 = Der(0x30, {Der(0x02, {n}), Der(0x02, {kE65537})});
  ExpectMalformedSpki(BuildSpki(CanonicalAlgId(), pub3), "negative modulus");
  // A BIT STRING with unused bits declared.
  Bytes spki = Pk().Spki();
  spki[4 + 63 + 4] = 0x01;
  ExpectMalformedSpki(spki, "unused bits");
}

TEST(RsaPublicKeyTest, FromSpkiRejectsGarbage) {
  ExpectMalformedSpki(Bytes{}, "empty");
  ExpectMalformedSpki(Hex("3000"), "empty SEQUENCE");
  ExpectMalformedSpki(Bytes(342, 0x30), "0x30 fill");
  ExpectMalformedSpki(Pk().RsaPublicKeyDer(), "bare RSAPublicKey");
}

TEST(RsaPublicKeyTest, FromRsaPublicKeyDerRoundTrips) {
  const Bytes der = Pk().RsaPublicKeyDer();
  EXPECT_EQ(der, RsaPublicKeyDer(Pk().Modulus(), kE65537));
  auto r = RsaPublicKey::FromRsaPublicKeyDer(der);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->Spki(), Pk().Spki());
  EXPECT_EQ(r->RsaPublicKeyDer(), der);
}

TEST(RsaPublicKeyTest, FromRsaPublicKeyDerRejectsTrailingAndTruncated) {
  const Bytes der = Pk().RsaPublicKeyDer();
  auto trailing = RsaPublicKey::FromRsaPublicKeyDer(Concat({der, Bytes{0x00}}));
  ASSERT_FALSE(trailing.ok());
  EXPECT_EQ(trailing.error().code, ErrorCode::kMalformedInput);
  for (std::size_t n = 0; n < der.size(); n += 7) {
    EXPECT_FALSE(RsaPublicKey::FromRsaPublicKeyDer(ByteView(der).first(n)).ok()) << n;
  }
  EXPECT_FALSE(RsaPublicKey::FromRsaPublicKeyDer(ByteView(der).first(der.size() - 1)).ok());
}

TEST(RsaPublicKeyTest, FromComponentsMatchesSpki) {
  auto r = RsaPublicKey::FromComponents(Pk().Modulus(), kE65537);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->KeyId(), Pk().KeyId());
  auto small = RsaPublicKey::FromComponents(FakeModulus(1024, 3), kE65537);
  ASSERT_FALSE(small.ok());
  EXPECT_EQ(small.error().code, ErrorCode::kMalformedInput);
  EXPECT_FALSE(RsaPublicKey::FromComponents(Pk().Modulus(), Hex("03")).ok());
}

TEST(RsaPublicKeyTest, CopiesShareTheKey) {
  RsaPublicKey copy = Pk();
  EXPECT_EQ(&copy.impl(), &Pk().impl());
  EXPECT_EQ(copy.KeyId(), Pk().KeyId());
}

// --- private keys -----------------------------------------------------------

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

// SignsLike checks that two private keys compute the same raw signature.
void ExpectSameSigner(const RsaPrivateKey& a, const RsaPrivateKey& b) {
  Bytes m = a.public_key().Modulus();
  m[0] = 0x01;  // some value below n
  auto sa = BlindRsaBlindSign(a, m);
  auto sb = BlindRsaBlindSign(b, m);
  ASSERT_TRUE(sa.ok());
  ASSERT_TRUE(sb.ok());
  EXPECT_EQ(*sa, *sb);
}

TEST(RsaPrivateKeyTest, GenerateRejectsUnsupportedSizes) {
  for (int bits : {0, 512, 1024, 2047, 2049, 8192}) {
    auto r = RsaPrivateKey::Generate(bits);
    ASSERT_FALSE(r.ok()) << bits;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << bits;
  }
}

TEST(RsaPrivateKeyTest, GeneratedKeysAreRsa2048WithE65537) {
  const RsaPrivateKey& sk = testing::TestKey2048();
  EXPECT_EQ(sk.public_key().modulus_bits(), 2048u);
  EXPECT_EQ(GetBn(sk.impl().pkey.get(), OSSL_PKEY_PARAM_RSA_E), kE65537);
}

TEST(RsaPrivateKeyTest, ToDerFromDerRoundTrips) {
  const RsaPrivateKey& sk = testing::TestKey2048();
  auto der = sk.ToDer();
  ASSERT_TRUE(der.ok());
  auto back = RsaPrivateKey::FromDer(View(*der));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->public_key().Spki(), sk.public_key().Spki());
  ExpectSameSigner(sk, *back);
  auto again = back->ToDer();
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(ConstantTimeEquals(View(*again), View(*der)));
}

TEST(RsaPrivateKeyTest, FromDerAcceptsPkcs1) {
  const RsaPrivateKey& sk = testing::TestKey2048();
  unsigned char* buf = nullptr;
  const int len = i2d_PrivateKey(sk.impl().pkey.get(), &buf);  // RSAPrivateKey for RSA keys
  ASSERT_GT(len, 0);
  SecretBytes der(buf, buf + len);
  OPENSSL_clear_free(buf, static_cast<std::size_t>(len));
  auto back = RsaPrivateKey::FromDer(View(der));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->public_key().KeyId(), sk.public_key().KeyId());
}

TEST(RsaPrivateKeyTest, FromDerRejectsTrailingByteAndTruncation) {
  auto der = testing::TestKey2048().ToDer();
  ASSERT_TRUE(der.ok());
  SecretBytes trailing = *der;
  trailing.push_back(0x00);
  auto r = RsaPrivateKey::FromDer(View(trailing));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kMalformedInput);
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{10}, der->size() / 2, der->size() - 1}) {
    EXPECT_FALSE(RsaPrivateKey::FromDer(View(*der).first(n)).ok()) << n;
  }
  EXPECT_FALSE(RsaPrivateKey::FromDer(Bytes(100, 0x30)).ok());
}

TEST(RsaPrivateKeyTest, FromDerRejects1024BitKey) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> small(EVP_RSA_gen(1024), &EVP_PKEY_free);
  ASSERT_TRUE(small);
  unsigned char* buf = nullptr;
  const int len = i2d_PrivateKey(small.get(), &buf);
  ASSERT_GT(len, 0);
  const Bytes der(buf, buf + len);
  OPENSSL_free(buf);
  auto r = RsaPrivateKey::FromDer(der);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kMalformedInput);
}

TEST(RsaPrivateKeyTest, FromDerRejectsNonRsaKey) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> ec(EVP_EC_gen("P-256"), &EVP_PKEY_free);
  ASSERT_TRUE(ec);
  PKCS8_PRIV_KEY_INFO* p8 = EVP_PKEY2PKCS8(ec.get());
  ASSERT_NE(p8, nullptr);
  unsigned char* buf = nullptr;
  const int len = i2d_PKCS8_PRIV_KEY_INFO(p8, &buf);
  PKCS8_PRIV_KEY_INFO_free(p8);
  ASSERT_GT(len, 0);
  const Bytes der(buf, buf + len);
  OPENSSL_free(buf);
  EXPECT_FALSE(RsaPrivateKey::FromDer(der).ok());
}

std::string ToPem(const RsaPrivateKey& sk, bool traditional) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  const int ok = traditional
                     ? PEM_write_bio_PrivateKey_traditional(bio.get(), sk.impl().pkey.get(), nullptr, nullptr, 0,
                                                            nullptr, nullptr)
                     : PEM_write_bio_PrivateKey(bio.get(), sk.impl().pkey.get(), nullptr, nullptr, 0, nullptr, nullptr);
  if (ok != 1) return "";
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

TEST(RsaPrivateKeyTest, FromPemRoundTripsPkcs8AndPkcs1) {
  const RsaPrivateKey& sk = testing::TestKey2048();
  for (bool traditional : {false, true}) {
    const std::string pem = ToPem(sk, traditional);
    ASSERT_NE(pem.find(traditional ? "BEGIN RSA PRIVATE KEY" : "BEGIN PRIVATE KEY"), std::string::npos);
    auto back = RsaPrivateKey::FromPem(pem);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->public_key().Spki(), sk.public_key().Spki());
    ExpectSameSigner(sk, *back);
  }
}

TEST(RsaPrivateKeyTest, FromPemRejectsGarbageAndPublicKeys) {
  for (std::string_view pem : {std::string_view(""), std::string_view("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
                               std::string_view("not a pem")}) {
    auto r = RsaPrivateKey::FromPem(pem);
    ASSERT_FALSE(r.ok()) << pem;
    EXPECT_EQ(r.error().code, ErrorCode::kMalformedInput);
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  ASSERT_EQ(PEM_write_bio_PUBKEY(bio.get(), testing::TestKey2048().impl().pkey.get()), 1);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  EXPECT_FALSE(RsaPrivateKey::FromPem(std::string_view(data, static_cast<std::size_t>(len))).ok());
}

TEST(RsaPrivateKeyTest, FromComponentsRebuildsTheKey) {
  const RsaPrivateKey& sk = testing::TestKey2048();
  const EVP_PKEY* pkey = sk.impl().pkey.get();
  auto rebuilt = RsaPrivateKey::FromComponents(
      GetBn(pkey, OSSL_PKEY_PARAM_RSA_N), GetBn(pkey, OSSL_PKEY_PARAM_RSA_E), GetBn(pkey, OSSL_PKEY_PARAM_RSA_D),
      GetBn(pkey, OSSL_PKEY_PARAM_RSA_FACTOR1), GetBn(pkey, OSSL_PKEY_PARAM_RSA_FACTOR2));
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.error().message;
  EXPECT_EQ(rebuilt->public_key().KeyId(), sk.public_key().KeyId());
  ExpectSameSigner(sk, *rebuilt);
}

TEST(RsaPrivateKeyTest, LargeKeysHaveTheirSizes) {
  EXPECT_EQ(testing::TestKey3072().public_key().modulus_bits(), 3072u);
  EXPECT_EQ(testing::TestKey3072().public_key().modulus_bytes(), 384u);
  EXPECT_EQ(testing::TestKey4096().public_key().modulus_bits(), 4096u);
  EXPECT_EQ(testing::TestKey4096().public_key().modulus_bytes(), 512u);
  auto spki = RsaPublicKey::FromSpki(testing::TestKey4096().public_key().Spki());
  ASSERT_TRUE(spki.ok());
  EXPECT_EQ(spki->KeyId(), testing::TestKey4096().public_key().KeyId());
}

}  // namespace
}  // namespace yesno
