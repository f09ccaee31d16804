// token_cli_test.cc — the real `yesno token verify|inspect` binary against
// the RFC 9578 vectors: exit codes, output, and its negative cases.
#include "testing/process.h"
#include "testing/test_util.h"
#include "yesno/token.h"

namespace yesno {
namespace {

using testing::Hex;
using testing::RunProcess;

class TokenCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto v = testing::LoadVectors("privacypass-ts/pub_verif_rfc9578.go.json")[0];
    key_ = Base64UrlEncode(Hex(v["pkS"].get<std::string>()));
    token_bytes_ = Hex(v["token"].get<std::string>());
    token_ = Base64UrlEncode(token_bytes_);
    challenge_ = Base64UrlEncode(Hex(v["token_challenge"].get<std::string>()));
    const auto other = testing::LoadVectors("privacypass-ts/pub_verif_rfc9578.rust.json")[0];
    other_key_ = Base64UrlEncode(Hex(other["pkS"].get<std::string>()));
    other_challenge_ = Base64UrlEncode(Hex(other["token_challenge"].get<std::string>()));
  }
  testing::ProcessResult Verify(std::vector<std::string> extra, const std::string& input = "") {
    std::vector<std::string> argv = {YESNO_CLI_PATH, "token", "verify"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunProcess(argv, input);
  }
  std::string key_, token_, challenge_, other_key_, other_challenge_;
  Bytes token_bytes_;
};

TEST_F(TokenCliTest, ValidTokenPrintsValidAndExitsZero) {
  auto r = Verify({"--key", key_, "--token", token_});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "valid\n");
  r = Verify({"--key", key_, "--token", token_, "--challenge", challenge_});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "valid\n");
}

TEST_F(TokenCliTest, ReadsTokenFromStdinAndPrintsJson) {
  auto r = Verify({"--json", "--key", key_, "--token", "-"}, token_ + "\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "{\"valid\":true}\n");
}

TEST_F(TokenCliTest, BitFlipAnywhereIsInvalid) {
  for (std::size_t bit : {20u * 8, 50u * 8, 80u * 8, 200u * 8 + 3, 353u * 8 + 7}) {
    auto r = Verify({"--key", key_, "--token", Base64UrlEncode(testing::FlipBit(token_bytes_, bit))});
    EXPECT_EQ(r.exit_code, 1) << "bit " << bit;
    EXPECT_EQ(r.out.rfind("invalid: ", 0), 0u) << r.out;
  }
}

TEST_F(TokenCliTest, TruncatedTrailingByteAndWrongTypeAreInvalid) {
  Bytes truncated(token_bytes_.begin(), token_bytes_.end() - 1);
  Bytes trailing = token_bytes_;
  trailing.push_back(0);
  Bytes wrong_type = token_bytes_;
  wrong_type[1] = 0x01;
  for (const Bytes& t : {truncated, trailing}) {
    auto r = Verify({"--key", key_, "--token", Base64UrlEncode(t)});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out.rfind("invalid: malformed", 0), 0u) << r.out;
  }
  auto r = Verify({"--key", key_, "--token", Base64UrlEncode(wrong_type)});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out.rfind("invalid: wrong token type", 0), 0u) << r.out;
  r = Verify({"--key", key_, "--token", "not*base64"});
  EXPECT_EQ(r.exit_code, 1);
}

TEST_F(TokenCliTest, WrongKeyAndWrongChallengeAreInvalid) {
  auto r = Verify({"--key", other_key_, "--token", token_});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "invalid: token_key_id does not match --key\n");
  r = Verify({"--key", key_, "--token", token_, "--challenge", other_challenge_});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "invalid: challenge_digest does not match --challenge\n");
}

TEST_F(TokenCliTest, UnusableArgumentsExitTwo) {
  EXPECT_EQ(Verify({"--key", "AAAA", "--token", token_}).exit_code, 2);
  EXPECT_EQ(Verify({"--key", key_, "--token", token_, "--challenge", "AAAA"}).exit_code, 2);
  EXPECT_EQ(Verify({"--token", token_}).exit_code, 2);  // --key missing
  auto r = RunProcess({YESNO_CLI_PATH, "frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
}

TEST_F(TokenCliTest, InspectPrintsFields) {
  auto r = RunProcess({YESNO_CLI_PATH, "token", "inspect", "--token", token_});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["token_type"], 2);
  EXPECT_EQ(doc["length"], 354);
  EXPECT_EQ(doc["nonce"], HexEncode(ByteView(token_bytes_).subspan(2, 32)));
  EXPECT_EQ(doc["token_key_id"], HexEncode(ByteView(token_bytes_).subspan(66, 32)));
  EXPECT_EQ(RunProcess({YESNO_CLI_PATH, "token", "inspect", "--token", "AAAA"}).exit_code, 2);
}

TEST_F(TokenCliTest, HelpTeaches) {
  auto r = RunProcess({YESNO_CLI_PATH, "token", "verify", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--challenge"), std::string::npos);
  EXPECT_NE(r.out.find("exit 1"), std::string::npos);
}

}  // namespace
}  // namespace yesno
