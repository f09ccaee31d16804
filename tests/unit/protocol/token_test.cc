// token_test.cc — RFC 9577/9578 structures for type 0x0002 and issuance.
#include "yesno/token.h"

#include <string>

#include "testing/test_util.h"
#include "unit/large_test_keys.h"
#include "yesno/wire.h"

namespace yesno {
namespace {

using testing::FlipBit;
using testing::Hex;

const RsaPrivateKey& Sk() { return testing::TestKey2048(); }
const RsaPublicKey& Pk() { return testing::TestKey2048().public_key(); }

Bytes Nonce(uint8_t fill) { return Bytes(kNonceBytes, fill); }

// IssueToken runs the whole RFC 9578 issuance with TestKey2048.
Token IssueToken(std::string_view issuer_name, ByteView nonce, uint64_t seed = 1) {
  testing::DeterministicRng rng(seed);
  auto challenge = CrossOriginChallenge(issuer_name);
  EXPECT_TRUE(challenge.ok());
  auto issuance = BeginTokenIssuance(Pk(), *challenge, nonce, rng);
  EXPECT_TRUE(issuance.ok());
  auto response = SignTokenRequest(Sk(), issuance->request());
  EXPECT_TRUE(response.ok());
  auto token = FinalizeToken(Pk(), *issuance, *response);
  EXPECT_TRUE(token.ok()) << token.error().message;
  return *token;
}

template <typename T>
void ExpectMalformed(const Result<T>& r, const std::string& what) {
  ASSERT_FALSE(r.ok()) << what;
  EXPECT_EQ(r.error().code, ErrorCode::kMalformedInput) << what;
}

// --- TokenChallenge ------------------------------------------------------------

TokenChallenge FullChallenge() {
  TokenChallenge c;
  c.token_type = kTokenTypeBlindRsa;
  c.issuer_name = ToBytes("issuer.example");
  c.redemption_context = Bytes(32, 0xcc);
  c.origin_info = ToBytes("origin.example,other.example");
  return c;
}

TEST(TokenChallengeTest, SerializesRfc9577Layout) {
  auto wire = SerializeTokenChallenge(FullChallenge());
  ASSERT_TRUE(wire.ok());
  const Bytes expected = Concat({Hex("0002"), Hex("000e"), AsBytes("issuer.example"), Hex("20"), Bytes(32, 0xcc),
                                 Hex("001c"), AsBytes("origin.example,other.example")});
  EXPECT_EQ(*wire, expected);
}

TEST(TokenChallengeTest, RoundTripsByteForByte) {
  for (uint16_t type : {kTokenTypeVoprf, kTokenTypeBlindRsa}) {
    TokenChallenge c = FullChallenge();
    c.token_type = type;
    auto wire = SerializeTokenChallenge(c);
    ASSERT_TRUE(wire.ok());
    auto parsed = ParseTokenChallenge(*wire);
    ASSERT_TRUE(parsed.ok()) << type;
    EXPECT_EQ(parsed->token_type, type);
    EXPECT_EQ(parsed->issuer_name, c.issuer_name);
    EXPECT_EQ(parsed->redemption_context, c.redemption_context);
    EXPECT_EQ(parsed->origin_info, c.origin_info);
    auto again = SerializeTokenChallenge(*parsed);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, *wire);
  }
}

TEST(TokenChallengeTest, CrossOriginChallengeHasEmptyContextAndOrigin) {
  auto wire = CrossOriginChallenge("issuer.example");
  ASSERT_TRUE(wire.ok());
  EXPECT_EQ(*wire, Concat({Hex("0002000e"), AsBytes("issuer.example"), Hex("00"), Hex("0000")}));
  auto parsed = ParseTokenChallenge(*wire);
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->redemption_context.empty());
  EXPECT_TRUE(parsed->origin_info.empty());
  EXPECT_FALSE(CrossOriginChallenge("").ok());
}

TEST(TokenChallengeTest, ChallengeDigestIsSha256) {
  auto wire = CrossOriginChallenge("issuer.example");
  ASSERT_TRUE(wire.ok());
  EXPECT_EQ(ChallengeDigest(*wire), Sha256(*wire));
  EXPECT_EQ(ChallengeDigest(*wire).size(), kDigestBytes);
}

TEST(TokenChallengeTest, RejectsEveryTruncation) {
  auto wire = SerializeTokenChallenge(FullChallenge());
  ASSERT_TRUE(wire.ok());
  for (std::size_t n = 0; n < wire->size(); ++n) {
    ExpectMalformed(ParseTokenChallenge(ByteView(*wire).first(n)), "prefix " + std::to_string(n));
  }
}

TEST(TokenChallengeTest, RejectsTrailingByte) {
  auto wire = SerializeTokenChallenge(FullChallenge());
  ASSERT_TRUE(wire.ok());
  wire->push_back(0x00);
  ExpectMalformed(ParseTokenChallenge(*wire), "trailing byte");
}

TEST(TokenChallengeTest, RejectsUnknownTokenType) {
  for (uint16_t type : {uint16_t{0x0000}, uint16_t{0x0003}, uint16_t{0x0202}, uint16_t{0xffff}}) {
    auto wire = SerializeTokenChallenge(FullChallenge());
    ASSERT_TRUE(wire.ok());
    (*wire)[0] = static_cast<uint8_t>(type >> 8);
    (*wire)[1] = static_cast<uint8_t>(type);
    ExpectMalformed(ParseTokenChallenge(*wire), "type " + std::to_string(type));
    TokenChallenge c = FullChallenge();
    c.token_type = type;
    auto ser = SerializeTokenChallenge(c);
    ASSERT_FALSE(ser.ok());
    EXPECT_EQ(ser.error().code, ErrorCode::kInvalidArgument);
  }
}

TEST(TokenChallengeTest, RejectsEmptyIssuerName) {
  ExpectMalformed(ParseTokenChallenge(Hex("0002" "0000" "00" "0000")), "empty issuer");
  TokenChallenge c = FullChallenge();
  c.issuer_name.clear();
  EXPECT_FALSE(SerializeTokenChallenge(c).ok());
}

TEST(TokenChallengeTest, RejectsRedemptionContextOtherThan0Or32) {
  for (std::size_t n : {1u, 16u, 31u, 33u, 64u}) {
    wire::Writer w;
    w.WriteU16(kTokenTypeBlindRsa);
    ASSERT_TRUE(w.WriteU16Prefixed(AsBytes("issuer.example")));
    ASSERT_TRUE(w.WriteU8Prefixed(Bytes(n, 0x01)));
    ASSERT_TRUE(w.WriteU16Prefixed(Bytes{}));
    ExpectMalformed(ParseTokenChallenge(w.bytes()), "context " + std::to_string(n));
    TokenChallenge c = FullChallenge();
    c.redemption_context = Bytes(n, 0x01);
    EXPECT_FALSE(SerializeTokenChallenge(c).ok()) << n;
  }
}

TEST(TokenChallengeTest, RejectsOverlongFieldsOnSerialize) {
  TokenChallenge c = FullChallenge();
  c.issuer_name = Bytes(65536, 'a');
  EXPECT_FALSE(SerializeTokenChallenge(c).ok());
  c = FullChallenge();
  c.origin_info = Bytes(65536, 'a');
  EXPECT_FALSE(SerializeTokenChallenge(c).ok());
}

// --- TokenRequest ----------------------------------------------------------------

TokenRequest SomeRequest() {
  TokenRequest req;
  req.truncated_token_key_id = 0x5e;
  req.blinded_msg = Bytes(kBlindRsaNk, 0x42);
  return req;
}

TEST(TokenRequestTest, SerializesRfc9578Layout) {
  auto wire = SerializeTokenRequest(SomeRequest());
  ASSERT_TRUE(wire.ok());
  EXPECT_EQ(*wire, Concat({Hex("00025e"), Bytes(kBlindRsaNk, 0x42)}));
}

TEST(TokenRequestTest, RoundTripsByteForByte) {
  auto wire = SerializeTokenRequest(SomeRequest());
  ASSERT_TRUE(wire.ok());
  auto parsed = ParseTokenRequest(*wire);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->token_type, kTokenTypeBlindRsa);
  EXPECT_EQ(parsed->truncated_token_key_id, 0x5e);
  EXPECT_EQ(parsed->blinded_msg, Bytes(kBlindRsaNk, 0x42));
  auto again = SerializeTokenRequest(*parsed);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *wire);
}

TEST(TokenRequestTest, RejectsEveryTruncation) {
  auto wire = SerializeTokenRequest(SomeRequest());
  ASSERT_TRUE(wire.ok());
  for (std::size_t n = 0; n < wire->size(); ++n) {
    ExpectMalformed(ParseTokenRequest(ByteView(*wire).first(n)), "prefix " + std::to_string(n));
  }
}

TEST(TokenRequestTest, RejectsTrailingByte) {
  auto wire = SerializeTokenRequest(SomeRequest());
  ASSERT_TRUE(wire.ok());
  wire->push_back(0x00);
  ExpectMalformed(ParseTokenRequest(*wire), "trailing byte");
}

TEST(TokenRequestTest, RejectsWrongTokenType) {
  for (const char* type : {"0001", "0003", "0000", "0200"}) {
    auto wire = SerializeTokenRequest(SomeRequest());
    ASSERT_TRUE(wire.ok());
    const Bytes t = Hex(type);
    (*wire)[0] = t[0];
    (*wire)[1] = t[1];
    ExpectMalformed(ParseTokenRequest(*wire), type);
  }
  TokenRequest req = SomeRequest();
  req.token_type = kTokenTypeVoprf;
  EXPECT_FALSE(SerializeTokenRequest(req).ok());
  req = SomeRequest();
  req.blinded_msg.pop_back();
  EXPECT_FALSE(SerializeTokenRequest(req).ok());
}

// --- TokenResponse ----------------------------------------------------------------

TEST(TokenResponseTest, RoundTripsExactlyNkBytes) {
  const Bytes sig(kBlindRsaNk, 0x17);
  auto parsed = ParseTokenResponse(sig);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->blind_sig, sig);
  auto again = SerializeTokenResponse(*parsed);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, sig);
}

TEST(TokenResponseTest, RejectsTruncationAndTrailingByte) {
  const Bytes sig(kBlindRsaNk + 1, 0x17);
  for (std::size_t n = 0; n < kBlindRsaNk; n += 5) {
    ExpectMalformed(ParseTokenResponse(ByteView(sig).first(n)), "prefix " + std::to_string(n));
  }
  ExpectMalformed(ParseTokenResponse(ByteView(sig).first(kBlindRsaNk - 1)), "Nk - 1");
  ExpectMalformed(ParseTokenResponse(sig), "trailing byte");
  EXPECT_FALSE(SerializeTokenResponse(TokenResponse{Bytes(kBlindRsaNk - 1)}).ok());
}

// --- Token ---------------------------------------------------------------------------

Token SomeToken() {
  Token t;
  t.nonce = Bytes(kNonceBytes, 0x01);
  t.challenge_digest = Bytes(kDigestBytes, 0x02);
  t.token_key_id = Bytes(kTokenKeyIdBytes, 0x03);
  t.authenticator = Bytes(kBlindRsaNk, 0x04);
  return t;
}

TEST(TokenTest, SerializesRfc9577Layout) {
  auto wire = SerializeToken(SomeToken());
  ASSERT_TRUE(wire.ok());
  ASSERT_EQ(wire->size(), kTokenBytes);
  EXPECT_EQ(kTokenBytes, 354u);
  EXPECT_EQ(*wire, Concat({Hex("0002"), Bytes(32, 0x01), Bytes(32, 0x02), Bytes(32, 0x03), Bytes(256, 0x04)}));
  EXPECT_EQ(TokenAuthenticatorInput(SomeToken()), ToBytes(ByteView(*wire).first(kTokenInputBytes)));
  EXPECT_EQ(kTokenInputBytes, 98u);
}

TEST(TokenTest, RoundTripsByteForByte) {
  const Token issued = IssueToken("issuer.example", Nonce(0x33));
  auto wire = SerializeToken(issued);
  ASSERT_TRUE(wire.ok());
  auto parsed = ParseToken(*wire);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->nonce, issued.nonce);
  EXPECT_EQ(parsed->challenge_digest, issued.challenge_digest);
  EXPECT_EQ(parsed->token_key_id, issued.token_key_id);
  EXPECT_EQ(parsed->authenticator, issued.authenticator);
  auto again = SerializeToken(*parsed);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *wire);
}

TEST(TokenTest, RejectsEveryTruncation) {
  auto wire = SerializeToken(SomeToken());
  ASSERT_TRUE(wire.ok());
  for (std::size_t n = 0; n < wire->size(); ++n) {
    ExpectMalformed(ParseToken(ByteView(*wire).first(n)), "prefix " + std::to_string(n));
  }
}

TEST(TokenTest, RejectsTrailingByte) {
  auto wire = SerializeToken(SomeToken());
  ASSERT_TRUE(wire.ok());
  wire->push_back(0x00);
  ExpectMalformed(ParseToken(*wire), "trailing byte");
}

TEST(TokenTest, RejectsWrongTokenType) {
  for (const char* type : {"0001", "0003", "0000", "0200"}) {
    auto wire = SerializeToken(SomeToken());
    ASSERT_TRUE(wire.ok());
    const Bytes t = Hex(type);
    (*wire)[0] = t[0];
    (*wire)[1] = t[1];
    ExpectMalformed(ParseToken(*wire), type);
  }
}

TEST(TokenTest, SerializeRejectsWrongFieldSizes) {
  Token t = SomeToken();
  t.nonce.pop_back();
  EXPECT_FALSE(SerializeToken(t).ok());
  t = SomeToken();
  t.challenge_digest.push_back(0);
  EXPECT_FALSE(SerializeToken(t).ok());
  t = SomeToken();
  t.token_key_id.clear();
  EXPECT_FALSE(SerializeToken(t).ok());
  t = SomeToken();
  t.authenticator.pop_back();
  EXPECT_FALSE(SerializeToken(t).ok());
  t = SomeToken();
  t.token_type = kTokenTypeVoprf;
  EXPECT_FALSE(SerializeToken(t).ok());
}

// --- issuance ---------------------------------------------------------------------------

TEST(TokenIssuanceTest, FullIssuanceVerifies) {
  testing::DeterministicRng rng(7);
  auto challenge = CrossOriginChallenge("issuer.example");
  ASSERT_TRUE(challenge.ok());
  const Bytes nonce = Nonce(0xab);
  auto issuance = BeginTokenIssuance(Pk(), *challenge, nonce, rng);
  ASSERT_TRUE(issuance.ok()) << issuance.error().message;

  // The request is what RFC 9578 §6.1 says.
  const TokenRequest& req = issuance->request();
  EXPECT_EQ(req.token_type, kTokenTypeBlindRsa);
  EXPECT_EQ(req.truncated_token_key_id, Pk().KeyId().back());
  EXPECT_EQ(req.blinded_msg.size(), kBlindRsaNk);
  EXPECT_EQ(issuance->token_input(), Concat({Hex("0002"), nonce, Sha256(*challenge), Pk().KeyId()}));

  // It survives the wire.
  auto req_wire = SerializeTokenRequest(req);
  ASSERT_TRUE(req_wire.ok());
  auto req_parsed = ParseTokenRequest(*req_wire);
  ASSERT_TRUE(req_parsed.ok());
  auto response = SignTokenRequest(Sk(), *req_parsed);
  ASSERT_TRUE(response.ok()) << response.error().message;
  auto resp_wire = SerializeTokenResponse(*response);
  ASSERT_TRUE(resp_wire.ok());
  auto resp_parsed = ParseTokenResponse(*resp_wire);
  ASSERT_TRUE(resp_parsed.ok());

  auto token = FinalizeToken(Pk(), *issuance, *resp_parsed);
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_EQ(token->token_type, kTokenTypeBlindRsa);
  EXPECT_EQ(token->nonce, nonce);
  EXPECT_EQ(token->challenge_digest, Sha256(*challenge));
  EXPECT_EQ(token->token_key_id, Pk().KeyId());
  EXPECT_TRUE(VerifyToken(Pk(), *token).ok());
  // The authenticator is an RSABSSA-SHA384-PSS-Deterministic signature over the 98-byte input.
  EXPECT_TRUE(BlindRsaVerify(Pk(), BlindRsaVariant::kSha384PssDeterministic, TokenAuthenticatorInput(*token),
                             token->authenticator)
                  .ok());
}

TEST(TokenIssuanceTest, FinalizeTwiceFails) {
  testing::DeterministicRng rng(8);
  auto challenge = CrossOriginChallenge("issuer.example");
  ASSERT_TRUE(challenge.ok());
  auto issuance = BeginTokenIssuance(Pk(), *challenge, Nonce(1), rng);
  ASSERT_TRUE(issuance.ok());
  auto response = SignTokenRequest(Sk(), issuance->request());
  ASSERT_TRUE(response.ok());
  ASSERT_TRUE(FinalizeToken(Pk(), *issuance, *response).ok());
  auto second = FinalizeToken(Pk(), *issuance, *response);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, ErrorCode::kInvalidArgument);
}

TEST(TokenIssuanceTest, FailedFinalizeStillConsumesTheIssuance) {
  testing::DeterministicRng rng(9);
  auto challenge = CrossOriginChallenge("issuer.example");
  ASSERT_TRUE(challenge.ok());
  auto issuance = BeginTokenIssuance(Pk(), *challenge, Nonce(1), rng);
  ASSERT_TRUE(issuance.ok());
  auto response = SignTokenRequest(Sk(), issuance->request());
  ASSERT_TRUE(response.ok());
  TokenResponse bad = *response;
  bad.blind_sig = FlipBit(bad.blind_sig, 2040);
  auto first = FinalizeToken(Pk(), *issuance, bad);
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error().code, ErrorCode::kVerificationFailed);
  auto second = FinalizeToken(Pk(), *issuance, *response);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, ErrorCode::kInvalidArgument);
}

TEST(TokenIssuanceTest, BeginRejectsBadNonceAndNon2048Key) {
  testing::DeterministicRng rng(10);
  auto challenge = CrossOriginChallenge("issuer.example");
  ASSERT_TRUE(challenge.ok());
  for (std::size_t n : {0u, 31u, 33u}) {
    auto r = BeginTokenIssuance(Pk(), *challenge, Bytes(n, 1), rng);
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  }
  auto big = BeginTokenIssuance(testing::TestKey3072().public_key(), *challenge, Nonce(1), rng);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code, ErrorCode::kInvalidArgument);
}

TEST(TokenIssuanceTest, SignTokenRequestRefusesWrongTruncatedKeyId) {
  testing::DeterministicRng rng(11);
  auto challenge = CrossOriginChallenge("issuer.example");
  ASSERT_TRUE(challenge.ok());
  auto issuance = BeginTokenIssuance(Pk(), *challenge, Nonce(1), rng);
  ASSERT_TRUE(issuance.ok());
  TokenRequest req = issuance->request();
  req.truncated_token_key_id = static_cast<uint8_t>(req.truncated_token_key_id + 1);
  auto r = SignTokenRequest(Sk(), req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
}

TEST(TokenIssuanceTest, SignTokenRequestRefusesBadTypeOrSize) {
  testing::DeterministicRng rng(12);
  auto challenge = CrossOriginChallenge("issuer.example");
  ASSERT_TRUE(challenge.ok());
  auto issuance = BeginTokenIssuance(Pk(), *challenge, Nonce(1), rng);
  ASSERT_TRUE(issuance.ok());
  TokenRequest req = issuance->request();
  req.token_type = kTokenTypeVoprf;
  EXPECT_FALSE(SignTokenRequest(Sk(), req).ok());
  req = issuance->request();
  req.blinded_msg.pop_back();
  EXPECT_FALSE(SignTokenRequest(Sk(), req).ok());
  req = issuance->request();
  req.blinded_msg = Pk().Modulus();  // >= n
  EXPECT_FALSE(SignTokenRequest(Sk(), req).ok());
}

TEST(TokenIssuanceTest, ResponseFromAnotherKeyFailsFinalize) {
  testing::DeterministicRng rng(13);
  auto challenge = CrossOriginChallenge("issuer.example");
  ASSERT_TRUE(challenge.ok());
  auto issuance = BeginTokenIssuance(Pk(), *challenge, Nonce(1), rng);
  ASSERT_TRUE(issuance.ok());
  Bytes blinded = issuance->request().blinded_msg;
  blinded[0] = 0x00;  // below the other key's modulus
  auto foreign = BlindRsaBlindSign(testing::OtherTestKey2048(), blinded);
  ASSERT_TRUE(foreign.ok());
  auto token = FinalizeToken(Pk(), *issuance, TokenResponse{*foreign});
  ASSERT_FALSE(token.ok());
  const bool in_range = *foreign < Pk().Modulus();
  EXPECT_EQ(token.error().code, in_range ? ErrorCode::kVerificationFailed : ErrorCode::kMalformedInput);
}

TEST(TokenIssuanceTest, FinalizeWithAnotherPublicKeyFails) {
  testing::DeterministicRng rng(14);
  auto challenge = CrossOriginChallenge("issuer.example");
  ASSERT_TRUE(challenge.ok());
  auto issuance = BeginTokenIssuance(Pk(), *challenge, Nonce(1), rng);
  ASSERT_TRUE(issuance.ok());
  auto response = SignTokenRequest(Sk(), issuance->request());
  ASSERT_TRUE(response.ok());
  EXPECT_FALSE(FinalizeToken(testing::OtherTestKey2048().public_key(), *issuance, *response).ok());
}

TEST(TokenIssuanceTest, TokensAreUnlinkableToRequests) {
  // Two issuances of the same nonce give different blinded messages, and the
  // signer sees none of the token's bytes.
  testing::DeterministicRng rng(15);
  auto challenge = CrossOriginChallenge("issuer.example");
  ASSERT_TRUE(challenge.ok());
  auto a = BeginTokenIssuance(Pk(), *challenge, Nonce(9), rng);
  auto b = BeginTokenIssuance(Pk(), *challenge, Nonce(9), rng);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->request().blinded_msg, b->request().blinded_msg);
  auto resp = SignTokenRequest(Sk(), a->request());
  ASSERT_TRUE(resp.ok());
  auto token = FinalizeToken(Pk(), *a, *resp);
  ASSERT_TRUE(token.ok());
  EXPECT_NE(token->authenticator, resp->blind_sig);
}

// --- VerifyToken ------------------------------------------------------------------------

TEST(VerifyTokenTest, AcceptsIssuedToken) {
  EXPECT_TRUE(VerifyToken(Pk(), IssueToken("issuer.example", Nonce(0x55))).ok());
}

TEST(VerifyTokenTest, RejectsAnotherKey) {
  const Token t = IssueToken("issuer.example", Nonce(0x55));
  Status s = VerifyToken(testing::OtherTestKey2048().public_key(), t);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kVerificationFailed);
  // Even with the key id rewritten to the other key's, the signature fails.
  Token forged = t;
  forged.token_key_id = testing::OtherTestKey2048().public_key().KeyId();
  Status s2 = VerifyToken(testing::OtherTestKey2048().public_key(), forged);
  ASSERT_FALSE(s2.ok());
  EXPECT_EQ(s2.error().code, ErrorCode::kVerificationFailed);
}

TEST(VerifyTokenTest, RejectsFlippedAuthenticator) {
  const Token t = IssueToken("issuer.example", Nonce(0x55));
  for (std::size_t bit = 0; bit < kBlindRsaNk * 8; bit += 97) {
    Token bad = t;
    bad.authenticator = FlipBit(t.authenticator, bit);
    EXPECT_FALSE(VerifyToken(Pk(), bad).ok()) << bit;
  }
}

TEST(VerifyTokenTest, RejectsAlteredNonce) {
  const Token t = IssueToken("issuer.example", Nonce(0x55));
  for (std::size_t bit = 0; bit < kNonceBytes * 8; ++bit) {
    Token bad = t;
    bad.nonce = FlipBit(t.nonce, bit);
    EXPECT_FALSE(VerifyToken(Pk(), bad).ok()) << bit;
  }
}

TEST(VerifyTokenTest, RejectsAlteredChallengeDigest) {
  const Token t = IssueToken("issuer.example", Nonce(0x55));
  Token bad = t;
  bad.challenge_digest = FlipBit(t.challenge_digest, 0);
  EXPECT_FALSE(VerifyToken(Pk(), bad).ok());
  auto other = CrossOriginChallenge("other.example");
  ASSERT_TRUE(other.ok());
  bad.challenge_digest = ChallengeDigest(*other);
  EXPECT_FALSE(VerifyToken(Pk(), bad).ok());
}

TEST(VerifyTokenTest, RejectsAlteredKeyIdOrType) {
  const Token t = IssueToken("issuer.example", Nonce(0x55));
  Token bad = t;
  bad.token_key_id = FlipBit(t.token_key_id, 3);
  Status s = VerifyToken(Pk(), bad);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kVerificationFailed);
  bad = t;
  bad.token_type = kTokenTypeVoprf;
  EXPECT_FALSE(VerifyToken(Pk(), bad).ok());
}

TEST(VerifyTokenTest, RejectsEveryBitFlipOfTheSerializedToken) {
  const Token t = IssueToken("issuer.example", Nonce(0x55));
  auto wire = SerializeToken(t);
  ASSERT_TRUE(wire.ok());
  for (std::size_t bit = 0; bit < wire->size() * 8; bit += 7) {
    auto parsed = ParseToken(FlipBit(*wire, bit));
    if (!parsed.ok()) continue;  // the type bytes: rejected by the parser
    EXPECT_FALSE(VerifyToken(Pk(), *parsed).ok()) << bit;
  }
}

}  // namespace
}  // namespace yesno
