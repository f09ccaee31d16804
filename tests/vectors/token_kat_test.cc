// token_kat_test.cc — RFC 9578 §8.2 type-0x0002 issuance vectors (5) and the
// independent Rust set (5): issuance reproduces blinded_msg, blind_sig and
// the token byte for byte; the token verifies; parsers round-trip.
#include "yesno/token.h"

#include "testing/test_util.h"

namespace yesno {
namespace {

using testing::Hex;
using testing::LoadVectors;
using testing::ScriptedRng;

int RunIssuanceVectors(const char* file) {
  const auto vectors = LoadVectors(file);
  int run = 0;
  for (const auto& v : vectors) {
    SCOPED_TRACE(std::string(file) + " #" + std::to_string(run));
    const Bytes pem = Hex(v["skS"].get<std::string>());
    auto sk = RsaPrivateKey::FromPem(AsString(pem));
    EXPECT_TRUE(sk.ok());
    if (!sk.ok()) continue;
    const Bytes spki = Hex(v["pkS"].get<std::string>());
    auto pk = RsaPublicKey::FromSpki(spki);
    EXPECT_TRUE(pk.ok()) << (pk.ok() ? "" : pk.error().message);
    if (!pk.ok()) continue;
    EXPECT_EQ(pk->Spki(), sk->public_key().Spki());
    EXPECT_EQ(spki.size(), 342u);

    const Bytes challenge = Hex(v["token_challenge"].get<std::string>());
    auto parsed_challenge = ParseTokenChallenge(challenge);
    EXPECT_TRUE(parsed_challenge.ok());
    if (parsed_challenge.ok()) {
      EXPECT_EQ(*SerializeTokenChallenge(*parsed_challenge), challenge);
    }

    ScriptedRng rng;
    rng.Push(Hex(v["salt"].get<std::string>()));
    rng.Push(Hex(v["blind"].get<std::string>()));  // "blind" is the blinding factor r itself
    auto issuance = BeginTokenIssuance(*pk, challenge, Hex(v["nonce"].get<std::string>()), rng);
    EXPECT_TRUE(issuance.ok());
    if (!issuance.ok()) continue;
    auto request = SerializeTokenRequest(issuance->request());
    EXPECT_EQ(HexEncode(*request), v["token_request"].get<std::string>());

    auto parsed_request = ParseTokenRequest(*request);
    EXPECT_TRUE(parsed_request.ok());
    auto response = SignTokenRequest(*sk, *parsed_request);
    EXPECT_TRUE(response.ok());
    if (!response.ok()) continue;
    EXPECT_EQ(HexEncode(*SerializeTokenResponse(*response)), v["token_response"].get<std::string>());

    auto token = FinalizeToken(*pk, *issuance, *ParseTokenResponse(Hex(v["token_response"].get<std::string>())));
    EXPECT_TRUE(token.ok());
    if (!token.ok()) continue;
    EXPECT_EQ(HexEncode(*SerializeToken(*token)), v["token"].get<std::string>());

    auto parsed_token = ParseToken(Hex(v["token"].get<std::string>()));
    EXPECT_TRUE(parsed_token.ok());
    if (parsed_token.ok()) {
      EXPECT_TRUE(VerifyToken(*pk, *parsed_token).ok());
    }
    ++run;
  }
  return run;
}

TEST(TokenKatTest, Rfc9578Section82TypeTwoVectors) { EXPECT_EQ(RunIssuanceVectors("privacypass-ts/pub_verif_rfc9578.go.json"), 5); }

TEST(TokenKatTest, IndependentRustTypeTwoVectors) {
  EXPECT_EQ(RunIssuanceVectors("privacypass-ts/pub_verif_rfc9578.rust.json"), 5);
}

}  // namespace
}  // namespace yesno
