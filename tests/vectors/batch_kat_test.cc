// batch_kat_test.cc — draft-ietf-privacypass-batched-tokens generic batch
// vectors (Go set: 5, Rust set: 2). Every request and response parses and
// re-serializes byte for byte; every type-0x0002 element is reproduced by
// our issuance (blinded request, blind signature, final token). Type 0x0001
// (VOPRF) elements are checked structurally only: yesno does not issue them.
#include "yesno/batch.h"

#include "testing/test_util.h"
#include "yesno/token.h"

namespace yesno {
namespace {

using testing::Hex;
using testing::LoadVectors;
using testing::ScriptedRng;

struct BatchCounts {
  int batches = 0;
  int type2 = 0;
  int type1 = 0;
};

// RunBatchVectors counts into `counts` (gtest ASSERTs need a void function).
void RunBatchVectors(const char* file, BatchCounts& counts) {
  const auto vectors = LoadVectors(file);
  for (const auto& v : vectors) {
    SCOPED_TRACE(std::string(file) + " #" + std::to_string(counts.batches));
    const Bytes request_bytes = Hex(v["token_request"].get<std::string>());
    const Bytes response_bytes = Hex(v["token_response"].get<std::string>());
    auto request = ParseGenericBatchTokenRequest(request_bytes);
    auto response = ParseGenericBatchTokenResponse(response_bytes);
    EXPECT_TRUE(request.ok());
    EXPECT_TRUE(response.ok());
    if (!request.ok() || !response.ok()) continue;
    EXPECT_EQ(*SerializeGenericBatchTokenRequest(*request), request_bytes);
    EXPECT_EQ(*SerializeGenericBatchTokenResponse(*response), response_bytes);

    const auto& issuance = v["issuance"];
    EXPECT_EQ(request->requests.size(), issuance.size());
    EXPECT_EQ(response->responses.size(), issuance.size());
    for (std::size_t i = 0; i < issuance.size() && i < request->requests.size() && i < response->responses.size(); ++i) {
      const auto& item = issuance[i];
      const std::string type_hex = item.contains("type") ? item["type"] : item["token_type"];
      const uint16_t type = static_cast<uint16_t>(std::stoi(type_hex, nullptr, 16));
      EXPECT_EQ(request->requests[i].token_type, type);
      ASSERT_TRUE(response->responses[i].has_value());
      EXPECT_EQ(response->responses[i]->token_type, type);
      if (type != kTokenTypeBlindRsa) {
        ++counts.type1;
        continue;
      }
      // Reproduce the type-0x0002 element.
      auto sk = RsaPrivateKey::FromPem(AsString(Hex(item["skS"].get<std::string>())));
      ASSERT_TRUE(sk.ok());
      auto pk = RsaPublicKey::FromSpki(Hex(item["pkS"].get<std::string>()));
      ASSERT_TRUE(pk.ok());
      ScriptedRng rng;
      rng.Push(Hex(item["salt"].get<std::string>()));
      rng.Push(Hex(item["blind"].get<std::string>()));  // the blinding factor r
      auto begun = BeginTokenIssuance(*pk, Hex(item["token_challenge"].get<std::string>()),
                                      Hex(item["nonce"].get<std::string>()), rng);
      ASSERT_TRUE(begun.ok());
      EXPECT_EQ(*SerializeTokenRequest(begun->request()), request->requests[i].token_request);
      auto signed_response = SignTokenRequest(*sk, *ParseTokenRequest(request->requests[i].token_request));
      ASSERT_TRUE(signed_response.ok());
      EXPECT_EQ(signed_response->blind_sig, response->responses[i]->token_response);
      auto token = FinalizeToken(*pk, *begun, *ParseTokenResponse(response->responses[i]->token_response));
      ASSERT_TRUE(token.ok());
      EXPECT_EQ(HexEncode(*SerializeToken(*token)), item["token"].get<std::string>());
      ++counts.type2;
    }
    ++counts.batches;
  }
}

TEST(BatchKatTest, GenericBatchGoVectors) {
  BatchCounts c;
  RunBatchVectors("privacypass-ts/generic_batched_tokens_v6_go.json", c);
  EXPECT_EQ(c.batches, 5);
  EXPECT_EQ(c.type2, 4);
  EXPECT_EQ(c.type1, 4);
}

TEST(BatchKatTest, GenericBatchRustVectors) {
  BatchCounts c;
  RunBatchVectors("privacypass-ts/generic_batched_tokens_v6_rs.json", c);
  EXPECT_EQ(c.batches, 2);
  EXPECT_EQ(c.type2, 2);
  EXPECT_EQ(c.type1, 2);
}

}  // namespace
}  // namespace yesno
