// directory_test.cc — the issuer directory (RFC 9578 §4) and its signature.
#include "yesno/directory.h"

#include <nlohmann/json.hpp>

#include <string>

#include "testing/test_util.h"
#include "yesno/pop.h"

namespace yesno {
namespace {

using Json = nlohmann::ordered_json;
using testing::FlipBit;
using testing::Hex;

const Bytes kSeed = Hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");

IssuerDirectory SampleDirectory() {
  IssuerDirectory d;
  d.issuer_request_uri = "/token-request";
  d.issuer_name = "issuer.example";
  DirectoryKey a;
  a.token_key = testing::TestKey2048().public_key().Spki();
  a.not_before = 1700000000;
  a.not_after = 1702592000;
  a.claim = "age_over_18";
  a.issued = 12;
  DirectoryKey b;
  b.token_key = testing::OtherTestKey2048().public_key().Spki();
  b.not_before = 1702419200;
  b.not_after = 1705011200;
  b.claim = "verified_person";
  d.keys = {a, b};
  return d;
}

Json SampleJson() { return Json::parse(SerializeDirectory(SampleDirectory())); }

void ExpectMalformed(const std::string& body, const std::string& what) {
  auto r = ParseDirectory(body);
  ASSERT_FALSE(r.ok()) << what;
  EXPECT_EQ(r.error().code, ErrorCode::kMalformedInput) << what;
}

// --- serialize / parse ----------------------------------------------------------

TEST(DirectoryTest, SerializesCompactJsonInFixedOrder) {
  IssuerDirectory d;
  d.issuer_request_uri = "/token-request";
  d.issuer_name = "issuer.example";
  DirectoryKey k;
  k.token_key = Hex("0102");
  k.not_before = 1;
  k.not_after = 2;
  k.claim = "age_over_18";
  k.issued = 5;
  d.keys = {k};
  EXPECT_EQ(SerializeDirectory(d),
            R"({"issuer-request-uri":"/token-request","yesno-issuer-name":"issuer.example","token-keys":[)"
            R"({"token-type":2,"token-key":"AQI=","not-before":1,"not-after":2,"yesno-claim":"age_over_18",)"
            R"("yesno-issued":5}]})");
}

TEST(DirectoryTest, RoundTripsByteForByte) {
  const std::string body = SerializeDirectory(SampleDirectory());
  auto parsed = ParseDirectory(body);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->issuer_request_uri, "/token-request");
  EXPECT_EQ(parsed->issuer_name, "issuer.example");
  ASSERT_EQ(parsed->keys.size(), 2u);
  EXPECT_EQ(parsed->keys[0].token_type, 2);
  EXPECT_EQ(parsed->keys[0].token_key, testing::TestKey2048().public_key().Spki());
  EXPECT_EQ(parsed->keys[0].not_before, 1700000000);
  EXPECT_EQ(parsed->keys[0].not_after, 1702592000);
  EXPECT_EQ(parsed->keys[0].claim, "age_over_18");
  EXPECT_EQ(parsed->keys[0].issued, 12u);
  EXPECT_FALSE(parsed->keys[1].issued.has_value());
  EXPECT_EQ(SerializeDirectory(*parsed), body);
}

TEST(DirectoryTest, TokenKeyIsPaddedBase64UrlOfTheSpki) {
  const Json j = SampleJson();
  EXPECT_EQ(j["token-keys"][0]["token-key"], Base64UrlEncode(testing::TestKey2048().public_key().Spki()));
}

TEST(DirectoryTest, AcceptsUnpaddedKeysWhitespaceAndUnknownFields) {
  Json j = SampleJson();
  j["token-keys"][0]["token-key"] = Base64UrlEncode(testing::TestKey2048().public_key().Spki(), false);
  j["token-keys"][0]["future-field"] = {{"x", 1}};
  j["issuer-policy"] = "whatever";
  auto parsed = ParseDirectory(j.dump(2));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  ASSERT_EQ(parsed->keys.size(), 2u);
  EXPECT_EQ(parsed->keys[0].token_key, testing::TestKey2048().public_key().Spki());
}

TEST(DirectoryTest, EmptyKeyListIsValid) {
  Json j = SampleJson();
  j["token-keys"] = Json::array();
  auto parsed = ParseDirectory(j.dump());
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->keys.empty());
}

TEST(DirectoryTest, SkipsKeysOfOtherTokenTypes) {
  Json j = SampleJson();
  // A type-1 key, even one without yesno's fields, is skipped, not an error.
  j["token-keys"].insert(j["token-keys"].begin(), Json{{"token-type", 1}, {"token-key", "AAAA"}});
  j["token-keys"].push_back(Json{{"token-type", 0xda7a}, {"token-key", 5}});
  auto parsed = ParseDirectory(j.dump());
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  ASSERT_EQ(parsed->keys.size(), 2u);
  EXPECT_EQ(parsed->keys[0].claim, "age_over_18");
  EXPECT_EQ(parsed->keys[1].claim, "verified_person");
}

TEST(DirectoryTest, RejectsMissingTopLevelFields) {
  for (const char* field : {"issuer-request-uri", "yesno-issuer-name", "token-keys"}) {
    Json j = SampleJson();
    j.erase(field);
    ExpectMalformed(j.dump(), std::string("missing ") + field);
  }
}

TEST(DirectoryTest, RejectsMissingKeyFields) {
  for (const char* field : {"token-type", "token-key", "not-before", "not-after", "yesno-claim"}) {
    Json j = SampleJson();
    j["token-keys"][1].erase(field);
    ExpectMalformed(j.dump(), std::string("missing ") + field);
  }
}

TEST(DirectoryTest, RejectsWrongJsonTypes) {
  const std::pair<const char*, Json> top[] = {
      {"issuer-request-uri", 5}, {"issuer-request-uri", nullptr}, {"yesno-issuer-name", Json::array()},
      {"yesno-issuer-name", true}, {"token-keys", Json::object()}, {"token-keys", "[]"},
  };
  for (const auto& [field, value] : top) {
    Json j = SampleJson();
    j[field] = value;
    ExpectMalformed(j.dump(), std::string(field) + " = " + value.dump());
  }
  const std::pair<const char*, Json> per_key[] = {
      {"token-type", "2"},        {"token-type", 2.0},          {"token-type", -2},
      {"token-type", 65538},      {"token-type", nullptr},      {"token-key", 7},
      {"token-key", Json::array()}, {"not-before", "1700000000"}, {"not-before", 1.7e9},
      {"not-before", -1},         {"not-after", "1702592000"},  {"not-after", true},
      {"not-after", 1.5},         {"yesno-claim", 18},          {"yesno-claim", nullptr},
      {"yesno-issued", "12"},     {"yesno-issued", -1},         {"yesno-issued", 1.5},
  };
  for (const auto& [field, value] : per_key) {
    Json j = SampleJson();
    j["token-keys"][0][field] = value;
    ExpectMalformed(j.dump(), std::string(field) + " = " + value.dump());
  }
  Json not_object = SampleJson();
  not_object["token-keys"].push_back("a key");
  ExpectMalformed(not_object.dump(), "key entry is a string");
}

TEST(DirectoryTest, RejectsNotAfterAtOrBeforeNotBefore) {
  Json j = SampleJson();
  j["token-keys"][0]["not-after"] = j["token-keys"][0]["not-before"];
  ExpectMalformed(j.dump(), "not-after == not-before");
  j["token-keys"][0]["not-after"] = j["token-keys"][0]["not-before"].get<int64_t>() - 1;
  ExpectMalformed(j.dump(), "not-after < not-before");
  j["token-keys"][0]["not-after"] = j["token-keys"][0]["not-before"].get<int64_t>() + 1;
  EXPECT_TRUE(ParseDirectory(j.dump()).ok());
}

TEST(DirectoryTest, RejectsInvalidClaimNames) {
  for (const char* claim : {"", "Age_over_18", "age over 18", "age-over-18", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}) {
    Json j = SampleJson();
    j["token-keys"][0]["yesno-claim"] = claim;
    ExpectMalformed(j.dump(), claim);
  }
}

TEST(DirectoryTest, RejectsBadTokenKeyEncoding) {
  for (const char* key : {"", "a+b/", "not base64", "AAA=A"}) {
    Json j = SampleJson();
    j["token-keys"][0]["token-key"] = key;
    ExpectMalformed(j.dump(), key);
  }
}

TEST(DirectoryTest, RejectsEmptyOrOverlongIssuerName) {
  Json j = SampleJson();
  j["yesno-issuer-name"] = "";
  ExpectMalformed(j.dump(), "empty issuer name");
  j["yesno-issuer-name"] = std::string(65536, 'a');
  ExpectMalformed(j.dump(), "65536-byte issuer name");
}

TEST(DirectoryTest, RejectsNonObjectsAndBadJson) {
  for (const char* body : {"", "[]", "null", "\"x\"", "{", "{}x", "{\"token-keys\": []", "not json"}) {
    ExpectMalformed(body, body);
  }
  ExpectMalformed("{}", "empty object");
}

TEST(DirectoryTest, RejectsBodyOver64KiB) {
  const std::string body = SerializeDirectory(SampleDirectory());
  std::string exact = body + std::string(kMaxDirectoryBytes - body.size(), ' ');
  ASSERT_EQ(exact.size(), kMaxDirectoryBytes);
  EXPECT_TRUE(ParseDirectory(exact).ok());
  ExpectMalformed(exact + " ", "64 KiB + 1");
}

TEST(DirectoryTest, RejectsEveryTruncation) {
  const std::string body = SerializeDirectory(SampleDirectory());
  for (std::size_t n = 0; n < body.size(); ++n) {
    EXPECT_FALSE(ParseDirectory(std::string_view(body).substr(0, n)).ok()) << n;
  }
}

// --- signature -------------------------------------------------------------------

TEST(DirectorySignatureTest, SignVerifyRoundTrip) {
  const std::string body = SerializeDirectory(SampleDirectory());
  auto sig = SignDirectory(kSeed, body);
  ASSERT_TRUE(sig.ok());
  auto decoded = Base64UrlDecode(*sig);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->size(), kEd25519SignatureBytes);
  EXPECT_EQ(sig->back(), '=');  // 64 bytes need padding, which the header carries
  auto kp = Ed25519KeyPairFromSeed(kSeed);
  ASSERT_TRUE(kp.ok());
  EXPECT_TRUE(VerifyDirectorySignature(kp->public_key, body, *sig).ok());
  EXPECT_TRUE(Ed25519Verify(kp->public_key, AsBytes(body), *decoded).ok());
}

TEST(DirectorySignatureTest, AnyChangeToTheBodyFails) {
  const std::string body = SerializeDirectory(SampleDirectory());
  auto sig = SignDirectory(kSeed, body);
  ASSERT_TRUE(sig.ok());
  auto kp = Ed25519KeyPairFromSeed(kSeed);
  ASSERT_TRUE(kp.ok());
  for (std::size_t bit = 0; bit < body.size() * 8; bit += 37) {
    const std::string altered = AsString(FlipBit(AsBytes(body), bit));
    Status s = VerifyDirectorySignature(kp->public_key, altered, *sig);
    ASSERT_FALSE(s.ok()) << bit;
    EXPECT_EQ(s.error().code, ErrorCode::kVerificationFailed) << bit;
  }
  EXPECT_FALSE(VerifyDirectorySignature(kp->public_key, body + " ", *sig).ok());
  EXPECT_FALSE(VerifyDirectorySignature(kp->public_key, body.substr(0, body.size() - 1), *sig).ok());
}

TEST(DirectorySignatureTest, FlippedSignatureFails) {
  const std::string body = SerializeDirectory(SampleDirectory());
  auto sig = SignDirectory(kSeed, body);
  ASSERT_TRUE(sig.ok());
  auto raw = Base64UrlDecode(*sig);
  ASSERT_TRUE(raw.ok());
  auto kp = Ed25519KeyPairFromSeed(kSeed);
  ASSERT_TRUE(kp.ok());
  for (std::size_t bit = 0; bit < raw->size() * 8; ++bit) {
    EXPECT_FALSE(VerifyDirectorySignature(kp->public_key, body, Base64UrlEncode(FlipBit(*raw, bit))).ok()) << bit;
  }
}

TEST(DirectorySignatureTest, WrongPinnedKeyFails) {
  const std::string body = SerializeDirectory(SampleDirectory());
  auto sig = SignDirectory(kSeed, body);
  ASSERT_TRUE(sig.ok());
  auto other = Ed25519KeyPairFromSeed(Bytes(32, 0x01));
  ASSERT_TRUE(other.ok());
  Status s = VerifyDirectorySignature(other->public_key, body, *sig);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kVerificationFailed);
}

TEST(DirectorySignatureTest, MissingOrMalformedSignatureFails) {
  const std::string body = SerializeDirectory(SampleDirectory());
  auto kp = Ed25519KeyPairFromSeed(kSeed);
  ASSERT_TRUE(kp.ok());
  auto sig = SignDirectory(kSeed, body);
  ASSERT_TRUE(sig.ok());
  for (const std::string& bad : {std::string(""), std::string("!!!!"), std::string("AAAA"),
                                 sig->substr(0, sig->size() - 4), *sig + "AAAA", std::string(" ") + *sig}) {
    Status s = VerifyDirectorySignature(kp->public_key, body, bad);
    ASSERT_FALSE(s.ok()) << '"' << bad << '"';
    EXPECT_NE(s.error().code, ErrorCode::kInternal);
  }
  EXPECT_FALSE(VerifyDirectorySignature(Bytes(31), body, *sig).ok());
}

TEST(DirectorySignatureTest, SignRejectsBadSeed) {
  auto sig = SignDirectory(Bytes(16), "{}");
  ASSERT_FALSE(sig.ok());
  EXPECT_EQ(sig.error().code, ErrorCode::kInvalidArgument);
}

// --- key consistency (DESIGN §8: one key for everyone) ----------------------------

constexpr int64_t kEpoch = 30 * kKeyDaySeconds;
constexpr int64_t kNow = 667 * kEpoch - kKeyDaySeconds;  // one day before epoch 667 starts

DirectoryKey GridKey(const std::string& claim, int64_t epoch, uint8_t id) {
  DirectoryKey k;
  k.token_key = Bytes{0x30, id};
  k.not_before = epoch * kEpoch;
  k.not_after = (epoch + 1) * kEpoch + kKeyGraceSeconds;
  k.claim = claim;
  return k;
}

// What the issuer's own rotation lists the day before epoch 667: the previous
// key in its grace, the current one and the next one, for two claims.
IssuerDirectory RotatingDirectory() {
  IssuerDirectory d;
  d.issuer_request_uri = "/token-request";
  d.issuer_name = "issuer.example";
  d.keys = {GridKey("age_over_18", 665, 1), GridKey("age_over_18", 666, 2), GridKey("age_over_18", 667, 3),
            GridKey("age_over_21", 666, 4), GridKey("age_over_21", 667, 5)};
  return d;
}

void ExpectInconsistent(const IssuerDirectory& d, const std::string& words) {
  Status s = CheckDirectoryKeyConsistency(d, kNow);
  ASSERT_FALSE(s.ok()) << words;
  EXPECT_EQ(s.error().code, ErrorCode::kVerificationFailed);
  EXPECT_NE(s.error().message.find(words), std::string::npos) << s.error().message;
}

TEST(DirectoryConsistencyTest, TheIssuersOwnRotationPasses) {
  EXPECT_TRUE(CheckDirectoryKeyConsistency(RotatingDirectory(), kNow).ok());
  IssuerDirectory d = RotatingDirectory();
  for (auto& k : d.keys) {  // a 7-day grid (the shortest an issuer allows) passes too
    const int64_t epoch = k.not_before / kEpoch;
    k.not_before = epoch * kMinKeyEpochSeconds;
    k.not_after = (epoch + 1) * kMinKeyEpochSeconds + kKeyGraceSeconds;
  }
  EXPECT_TRUE(CheckDirectoryKeyConsistency(d, d.keys[2].not_before - kKeyDaySeconds).ok());
  EXPECT_TRUE(CheckDirectoryKeyConsistency(IssuerDirectory{}, kNow).ok());
}

TEST(DirectoryConsistencyTest, AKeyOffTheEpochGridIsRefused) {
  IssuerDirectory d = RotatingDirectory();
  d.keys[1].not_before += 3600;  // shifted start, same end: window not S + grace
  ExpectInconsistent(d, "epoch grid");
  d = RotatingDirectory();
  d.keys[1].not_before += kKeyDaySeconds;  // whole window shifted by a day: not a multiple of S
  d.keys[1].not_after += kKeyDaySeconds;
  ExpectInconsistent(d, "epoch grid");
  d = RotatingDirectory();
  d.keys[1].not_after = d.keys[1].not_before + 6 * kKeyDaySeconds + kKeyGraceSeconds;  // a 6-day epoch
  ExpectInconsistent(d, "epoch grid");
  d = RotatingDirectory();
  d.keys[1].not_after += 1;  // not whole days
  ExpectInconsistent(d, "epoch grid");
}

TEST(DirectoryConsistencyTest, KeysOnTwoEpochLengthsAreRefused) {
  IssuerDirectory d = RotatingDirectory();
  DirectoryKey week;
  week.token_key = Bytes{0x30, 9};
  week.not_before = (kNow / kMinKeyEpochSeconds) * kMinKeyEpochSeconds;
  week.not_after = week.not_before + kMinKeyEpochSeconds + kKeyGraceSeconds;
  week.claim = "verified_person";
  d.keys.push_back(week);
  ExpectInconsistent(d, "one epoch length");
}

TEST(DirectoryConsistencyTest, OneKeyUnderTwoClaimsOrListedTwiceIsRefused) {
  IssuerDirectory d = RotatingDirectory();
  d.keys[4].token_key = d.keys[2].token_key;  // age_over_21's next key is age_over_18's
  ExpectInconsistent(d, "under two claims");
  d = RotatingDirectory();
  d.keys.push_back(d.keys[1]);
  ExpectInconsistent(d, "listed twice");
}

TEST(DirectoryConsistencyTest, TwoKeysForOneClaimInOneEpochAreRefused) {
  // The tagging attack: a second current key for the same claim.
  IssuerDirectory d = RotatingDirectory();
  d.keys.push_back(GridKey("age_over_18", 666, 7));
  ExpectInconsistent(d, "two keys for age_over_18 in one epoch");
}

TEST(DirectoryConsistencyTest, MoreKeysPerClaimThanRotationProducesAreRefused) {
  IssuerDirectory d = RotatingDirectory();
  d.keys.push_back(GridKey("age_over_18", 664, 8));  // a fourth, long expired epoch
  ExpectInconsistent(d, "more keys for age_over_18");
}

TEST(DirectoryConsistencyTest, AKeyListedBeforeItsPublicationTimeIsRefused) {
  IssuerDirectory d = RotatingDirectory();
  d.keys = {GridKey("age_over_18", 666, 2), GridKey("age_over_18", 668, 3)};  // two epochs ahead
  ExpectInconsistent(d, "before its publication time");
  // Epoch 667 starts one day after kNow: listed 2 days ahead is on time.
  d.keys = {GridKey("age_over_18", 666, 2), GridKey("age_over_18", 667, 3)};
  EXPECT_TRUE(CheckDirectoryKeyConsistency(d, kNow).ok());
  EXPECT_FALSE(CheckDirectoryKeyConsistency(d, 667 * kEpoch - kKeyPublishAheadSeconds - 2 * kKeyClockSkewSeconds).ok());
}

}  // namespace
}  // namespace yesno
