// auth_header_kat_test.cc — RFC 9577 §7 vectors: WWW-Authenticate headers
// (quoted and bare values, several challenges, unknown parameters) and the
// token authenticator input of five TokenChallenge variants.
#include "yesno/auth_header.h"

#include "testing/test_util.h"
#include "yesno/token.h"

namespace yesno {
namespace {

using testing::Hex;
using testing::LoadVectors;

// RunHeaderVectors counts into `run` (gtest ASSERTs need a void function).
void RunHeaderVectors(const char* file, int& run) {
  const auto vectors = LoadVectors(file);
  for (const auto& v : vectors) {
    SCOPED_TRACE(std::string(file) + " #" + std::to_string(run));
    const std::string header = v["WWW-Authenticate"];
    auto parsed = ParseWwwAuthenticate(header);
    EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().message);
    if (!parsed.ok()) continue;
    std::size_t expected = 0;
    while (v.contains("token-challenge-" + std::to_string(expected))) ++expected;
    EXPECT_GE(expected, 1u);
    ASSERT_EQ(parsed->size(), expected);
    for (std::size_t i = 0; i < expected; ++i) {
      const std::string n = std::to_string(i);
      const PrivateTokenChallenge& ch = (*parsed)[i];
      EXPECT_EQ(HexEncode(ch.challenge), v["token-challenge-" + n].get<std::string>());
      EXPECT_EQ(HexEncode(ch.token_key), v["token-key-" + n].get<std::string>());
      ASSERT_TRUE(ch.max_age.has_value());
      EXPECT_EQ(*ch.max_age, v["max-age-" + n].get<long>());
      auto tc = ParseTokenChallenge(ch.challenge);
      ASSERT_TRUE(tc.ok());
      EXPECT_EQ(tc->token_type, v["token-type-" + n].get<int>());
    }
    // Our builder's output parses back to the same challenges.
    auto reparsed = ParseWwwAuthenticate(BuildWwwAuthenticate(*parsed));
    ASSERT_TRUE(reparsed.ok());
    ASSERT_EQ(reparsed->size(), expected);
    for (std::size_t i = 0; i < expected; ++i) {
      EXPECT_EQ((*reparsed)[i].challenge, (*parsed)[i].challenge);
      EXPECT_EQ((*reparsed)[i].token_key, (*parsed)[i].token_key);
      EXPECT_EQ((*reparsed)[i].max_age, (*parsed)[i].max_age);
    }
    ++run;
  }
}

TEST(AuthHeaderKatTest, Rfc9577QuotedHeaderVectors) {
  int run = 0;
  RunHeaderVectors("privacypass-ts/auth_scheme_header_v14.json", run);
  EXPECT_EQ(run, 2);
}

TEST(AuthHeaderKatTest, BareValuesWithPaddingAndUnknownParameters) {
  int run = 0;
  RunHeaderVectors("privacypass-ts/auth_scheme_header_complicated.json", run);
  EXPECT_EQ(run, 1);
}

TEST(AuthHeaderKatTest, Rfc9577TokenAuthenticatorInput) {
  const auto vectors = LoadVectors("privacypass-ts/auth_scheme_token_v14.json");
  int run = 0;
  for (const auto& v : vectors) {
    SCOPED_TRACE(v["comment"].get<std::string>());
    TokenChallenge tc;
    tc.token_type = static_cast<uint16_t>(std::stoi(v["token_type"].get<std::string>(), nullptr, 16));
    tc.issuer_name = Hex(v["issuer_name"].get<std::string>());
    tc.redemption_context = Hex(v["redemption_context"].get<std::string>());
    tc.origin_info = Hex(v["origin_info"].get<std::string>());
    auto challenge = SerializeTokenChallenge(tc);
    ASSERT_TRUE(challenge.ok());
    auto reparsed = ParseTokenChallenge(*challenge);
    ASSERT_TRUE(reparsed.ok());
    EXPECT_EQ(*SerializeTokenChallenge(*reparsed), *challenge);

    Token t;
    t.token_type = tc.token_type;
    t.nonce = Hex(v["nonce"].get<std::string>());
    t.challenge_digest = ChallengeDigest(*challenge);
    t.token_key_id = Hex(v["token_key_id"].get<std::string>());
    EXPECT_EQ(HexEncode(TokenAuthenticatorInput(t)), v["token_authenticator_input"].get<std::string>());
    ++run;
  }
  EXPECT_EQ(run, 5);
}

}  // namespace
}  // namespace yesno
