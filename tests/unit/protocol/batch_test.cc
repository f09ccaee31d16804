// batch_test.cc — generic batched token requests and responses
// (draft-ietf-privacypass-batched-tokens §6).
#include "yesno/batch.h"

#include <string>

#include "testing/test_util.h"
#include "yesno/token.h"

namespace yesno {
namespace {

using testing::Hex;

template <typename T>
void ExpectMalformed(const Result<T>& r, const std::string& what) {
  ASSERT_FALSE(r.ok()) << what;
  EXPECT_EQ(r.error().code, ErrorCode::kMalformedInput) << what;
}

GenericTokenRequest BlindRsaRequest(uint8_t fill) {
  TokenRequest req;
  req.truncated_token_key_id = fill;
  req.blinded_msg = Bytes(kBlindRsaNk, fill);
  return GenericTokenRequest{kTokenTypeBlindRsa, *SerializeTokenRequest(req)};
}

GenericTokenRequest VoprfRequest(uint8_t fill) {
  Bytes body = Hex("0001");
  body.push_back(fill);                      // truncated key id
  body.insert(body.end(), 49, fill);         // blinded element (P-384)
  return GenericTokenRequest{kTokenTypeVoprf, body};
}

GenericBatchTokenRequest MixedRequest() {
  GenericBatchTokenRequest batch;
  batch.requests = {BlindRsaRequest(1), VoprfRequest(2), BlindRsaRequest(3)};
  return batch;
}

GenericBatchTokenResponse MixedResponse() {
  GenericBatchTokenResponse batch;
  batch.responses.push_back(GenericTokenResponse{kTokenTypeBlindRsa, Bytes(kBlindRsaNk, 0x11)});
  batch.responses.push_back(std::nullopt);
  batch.responses.push_back(GenericTokenResponse{kTokenTypeVoprf, Bytes(49 + 96, 0x22)});
  batch.responses.push_back(GenericTokenResponse{kTokenTypeBlindRsa, Bytes(kBlindRsaNk, 0x33)});
  return batch;
}

TEST(BatchSizesTest, KnownTypesOnly) {
  EXPECT_EQ(TokenRequestSize(kTokenTypeBlindRsa), 259u);
  EXPECT_EQ(TokenRequestSize(kTokenTypeVoprf), 52u);
  EXPECT_EQ(TokenRequestSize(0x0003), 0u);
  EXPECT_EQ(TokenRequestSize(0x0000), 0u);
  EXPECT_EQ(TokenResponseSize(kTokenTypeBlindRsa), 256u);
  EXPECT_EQ(TokenResponseSize(kTokenTypeVoprf), 145u);
  EXPECT_EQ(TokenResponseSize(0xffff), 0u);
}

// --- requests ----------------------------------------------------------------

TEST(GenericBatchTokenRequestTest, SerializesVarintPrefixedConcatenation) {
  auto wire = SerializeGenericBatchTokenRequest(MixedRequest());
  ASSERT_TRUE(wire.ok());
  const std::size_t len = 259 + 52 + 259;  // 570: a two-byte varint
  const Bytes expected = Concat({Bytes{static_cast<uint8_t>(0x40 | (len >> 8)), static_cast<uint8_t>(len & 0xff)},
                                 BlindRsaRequest(1).token_request, VoprfRequest(2).token_request,
                                 BlindRsaRequest(3).token_request});
  EXPECT_EQ(*wire, expected);
}

TEST(GenericBatchTokenRequestTest, RoundTripsByteForByte) {
  auto wire = SerializeGenericBatchTokenRequest(MixedRequest());
  ASSERT_TRUE(wire.ok());
  auto parsed = ParseGenericBatchTokenRequest(*wire);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  ASSERT_EQ(parsed->requests.size(), 3u);
  EXPECT_EQ(parsed->requests[0].token_type, kTokenTypeBlindRsa);
  EXPECT_EQ(parsed->requests[1].token_type, kTokenTypeVoprf);
  EXPECT_EQ(parsed->requests[1].token_request, VoprfRequest(2).token_request);
  EXPECT_EQ(parsed->requests[2].token_request, BlindRsaRequest(3).token_request);
  auto again = SerializeGenericBatchTokenRequest(*parsed);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *wire);
  // Each element is a TokenRequest in its own right.
  auto inner = ParseTokenRequest(parsed->requests[2].token_request);
  ASSERT_TRUE(inner.ok());
  EXPECT_EQ(inner->truncated_token_key_id, 3);
}

TEST(GenericBatchTokenRequestTest, EmptyBatchIsOneZeroByte) {
  auto wire = SerializeGenericBatchTokenRequest(GenericBatchTokenRequest{});
  ASSERT_TRUE(wire.ok());
  EXPECT_EQ(*wire, Hex("00"));
  auto parsed = ParseGenericBatchTokenRequest(*wire);
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->requests.empty());
}

TEST(GenericBatchTokenRequestTest, RejectsEveryTruncation) {
  auto wire = SerializeGenericBatchTokenRequest(MixedRequest());
  ASSERT_TRUE(wire.ok());
  for (std::size_t n = 0; n < wire->size(); ++n) {
    ExpectMalformed(ParseGenericBatchTokenRequest(ByteView(*wire).first(n)), "prefix " + std::to_string(n));
  }
}

TEST(GenericBatchTokenRequestTest, RejectsTrailingByte) {
  auto wire = SerializeGenericBatchTokenRequest(MixedRequest());
  ASSERT_TRUE(wire.ok());
  wire->push_back(0x00);
  ExpectMalformed(ParseGenericBatchTokenRequest(*wire), "trailing byte after the list");
}

TEST(GenericBatchTokenRequestTest, RejectsTrailingByteInsideList) {
  // The length covers one byte more than the elements: a truncated element.
  const Bytes item = BlindRsaRequest(1).token_request;
  const std::size_t len = item.size() + 1;
  const Bytes wire = Concat({Bytes{static_cast<uint8_t>(0x40 | (len >> 8)), static_cast<uint8_t>(len & 0xff)}, item,
                             Bytes{0x00}});
  ExpectMalformed(ParseGenericBatchTokenRequest(wire), "stray byte in list");
}

TEST(GenericBatchTokenRequestTest, RejectsNonMinimalVarint) {
  // An empty list with a two-byte length, and a one-element list with a
  // four-byte length.
  ExpectMalformed(ParseGenericBatchTokenRequest(Hex("4000")), "0x4000");
  const Bytes item = VoprfRequest(7).token_request;  // 52 bytes: fits a one-byte varint
  ExpectMalformed(ParseGenericBatchTokenRequest(Concat({Hex("4034"), item})), "two-byte 52");
  ExpectMalformed(ParseGenericBatchTokenRequest(Concat({Hex("80000034"), item})), "four-byte 52");
  auto minimal = ParseGenericBatchTokenRequest(Concat({Hex("34"), item}));
  ASSERT_TRUE(minimal.ok());
  EXPECT_EQ(minimal->requests.size(), 1u);
}

TEST(GenericBatchTokenRequestTest, RejectsUnknownTokenType) {
  Bytes item = BlindRsaRequest(1).token_request;
  item[1] = 0x03;  // type 0x0003
  const std::size_t len = item.size();
  const Bytes wire = Concat({Bytes{static_cast<uint8_t>(0x40 | (len >> 8)), static_cast<uint8_t>(len & 0xff)}, item});
  ExpectMalformed(ParseGenericBatchTokenRequest(wire), "type 3");
  ExpectMalformed(ParseGenericBatchTokenRequest(Hex("0400000000")), "type 0");
}

TEST(GenericBatchTokenRequestTest, SerializeRejectsInconsistentItems) {
  GenericBatchTokenRequest batch;
  GenericTokenRequest item = BlindRsaRequest(1);
  item.token_type = kTokenTypeVoprf;  // disagrees with the bytes
  batch.requests = {item};
  EXPECT_FALSE(SerializeGenericBatchTokenRequest(batch).ok());
  item = BlindRsaRequest(1);
  item.token_request.pop_back();
  batch.requests = {item};
  EXPECT_FALSE(SerializeGenericBatchTokenRequest(batch).ok());
  batch.requests = {GenericTokenRequest{0x0003, Hex("0003")}};
  EXPECT_FALSE(SerializeGenericBatchTokenRequest(batch).ok());
}

TEST(GenericBatchTokenRequestTest, SixtyFourRequestsRoundTrip) {
  GenericBatchTokenRequest batch;
  for (int i = 0; i < 64; ++i) batch.requests.push_back(BlindRsaRequest(static_cast<uint8_t>(i)));
  auto wire = SerializeGenericBatchTokenRequest(batch);
  ASSERT_TRUE(wire.ok());
  EXPECT_EQ(wire->size(), 4u + 64u * 259u);  // 16576 bytes needs a four-byte varint
  EXPECT_EQ((*wire)[0] >> 6, 2);
  auto parsed = ParseGenericBatchTokenRequest(*wire);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->requests.size(), 64u);
}

// --- responses -----------------------------------------------------------------

TEST(GenericBatchTokenResponseTest, SerializesPresenceTypeAndBody) {
  GenericBatchTokenResponse batch;
  batch.responses.push_back(std::nullopt);
  batch.responses.push_back(GenericTokenResponse{kTokenTypeBlindRsa, Bytes(kBlindRsaNk, 0x11)});
  auto wire = SerializeGenericBatchTokenResponse(batch);
  ASSERT_TRUE(wire.ok());
  const std::size_t len = 1 + 1 + 2 + 256;
  EXPECT_EQ(*wire, Concat({Bytes{static_cast<uint8_t>(0x40 | (len >> 8)), static_cast<uint8_t>(len & 0xff)},
                           Hex("00" "01" "0002"), Bytes(kBlindRsaNk, 0x11)}));
}

TEST(GenericBatchTokenResponseTest, RoundTripsByteForByte) {
  auto wire = SerializeGenericBatchTokenResponse(MixedResponse());
  ASSERT_TRUE(wire.ok());
  auto parsed = ParseGenericBatchTokenResponse(*wire);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  ASSERT_EQ(parsed->responses.size(), 4u);
  ASSERT_TRUE(parsed->responses[0].has_value());
  EXPECT_EQ(parsed->responses[0]->token_type, kTokenTypeBlindRsa);
  EXPECT_EQ(parsed->responses[0]->token_response, Bytes(kBlindRsaNk, 0x11));
  EXPECT_FALSE(parsed->responses[1].has_value());
  ASSERT_TRUE(parsed->responses[2].has_value());
  EXPECT_EQ(parsed->responses[2]->token_type, kTokenTypeVoprf);
  auto again = SerializeGenericBatchTokenResponse(*parsed);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *wire);
}

TEST(GenericBatchTokenResponseTest, AllRefusedAndEmpty) {
  auto empty = ParseGenericBatchTokenResponse(Hex("00"));
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->responses.empty());
  auto refused = ParseGenericBatchTokenResponse(Hex("03000000"));
  ASSERT_TRUE(refused.ok());
  ASSERT_EQ(refused->responses.size(), 3u);
  for (const auto& r : refused->responses) EXPECT_FALSE(r.has_value());
}

TEST(GenericBatchTokenResponseTest, RejectsEveryTruncation) {
  auto wire = SerializeGenericBatchTokenResponse(MixedResponse());
  ASSERT_TRUE(wire.ok());
  for (std::size_t n = 0; n < wire->size(); ++n) {
    ExpectMalformed(ParseGenericBatchTokenResponse(ByteView(*wire).first(n)), "prefix " + std::to_string(n));
  }
}

TEST(GenericBatchTokenResponseTest, RejectsTrailingByte) {
  auto wire = SerializeGenericBatchTokenResponse(MixedResponse());
  ASSERT_TRUE(wire.ok());
  wire->push_back(0x00);
  ExpectMalformed(ParseGenericBatchTokenResponse(*wire), "trailing byte");
}

TEST(GenericBatchTokenResponseTest, RejectsPresenceOctetOtherThan0Or1) {
  for (uint8_t presence : {uint8_t{2}, uint8_t{3}, uint8_t{0x80}, uint8_t{0xff}}) {
    ExpectMalformed(ParseGenericBatchTokenResponse(Bytes{0x01, presence}), "presence " + std::to_string(presence));
  }
  // Presence 2 in front of an otherwise valid response.
  const std::size_t len = 1 + 2 + 256;
  const Bytes wire = Concat({Bytes{static_cast<uint8_t>(0x40 | (len >> 8)), static_cast<uint8_t>(len & 0xff)},
                             Hex("02" "0002"), Bytes(kBlindRsaNk, 0x11)});
  ExpectMalformed(ParseGenericBatchTokenResponse(wire), "presence 2 with body");
}

TEST(GenericBatchTokenResponseTest, RejectsUnknownTokenType) {
  const std::size_t len = 1 + 2 + 256;
  const Bytes wire = Concat({Bytes{static_cast<uint8_t>(0x40 | (len >> 8)), static_cast<uint8_t>(len & 0xff)},
                             Hex("01" "0003"), Bytes(kBlindRsaNk, 0x11)});
  ExpectMalformed(ParseGenericBatchTokenResponse(wire), "type 3");
}

TEST(GenericBatchTokenResponseTest, RejectsNonMinimalVarint) {
  ExpectMalformed(ParseGenericBatchTokenResponse(Hex("4000")), "0x4000");
  ExpectMalformed(ParseGenericBatchTokenResponse(Hex("400100")), "two-byte 1");
  ExpectMalformed(ParseGenericBatchTokenResponse(Hex("8000000100")), "four-byte 1");
}

TEST(GenericBatchTokenResponseTest, SerializeRejectsInconsistentItems) {
  GenericBatchTokenResponse batch;
  batch.responses.push_back(GenericTokenResponse{kTokenTypeBlindRsa, Bytes(kBlindRsaNk - 1)});
  EXPECT_FALSE(SerializeGenericBatchTokenResponse(batch).ok());
  batch.responses = {GenericTokenResponse{0x0003, Bytes{}}};
  EXPECT_FALSE(SerializeGenericBatchTokenResponse(batch).ok());
}

}  // namespace
}  // namespace yesno
