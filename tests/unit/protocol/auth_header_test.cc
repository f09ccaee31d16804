// auth_header_test.cc — RFC 9110 §11 challenge syntax and the PrivateToken
// scheme (RFC 9577 §2.1, §2.2) with yesno's parameters.
#include "yesno/auth_header.h"

#include <string>

#include "testing/test_util.h"
#include "yesno/token.h"

namespace yesno {
namespace {

using testing::Hex;

template <typename T>
void ExpectMalformed(const Result<T>& r, std::string_view what) {
  ASSERT_FALSE(r.ok()) << what;
  EXPECT_EQ(r.error().code, ErrorCode::kMalformedInput) << what;
}

Bytes Challenge(std::string_view issuer = "issuer.example") { return *CrossOriginChallenge(issuer); }
std::string ChallengeB64(std::string_view issuer = "issuer.example") { return Base64UrlEncode(Challenge(issuer)); }

// --- ParseAuthHeader ----------------------------------------------------------

TEST(ParseAuthHeaderTest, ParsesQuotedParams) {
  auto items = ParseAuthHeader(R"(PrivateToken challenge="abc", token-key="d-_=")");
  ASSERT_TRUE(items.ok()) << items.error().message;
  ASSERT_EQ(items->size(), 1u);
  const AuthChallengeItem& item = (*items)[0];
  EXPECT_EQ(item.scheme, "PrivateToken");
  EXPECT_TRUE(item.token68.empty());
  ASSERT_EQ(item.params.size(), 2u);
  EXPECT_EQ(item.Find("challenge"), "abc");
  EXPECT_EQ(item.Find("token-key"), "d-_=");
  EXPECT_FALSE(item.Find("missing").has_value());
}

TEST(ParseAuthHeaderTest, ParsesBareValuesWithPadding) {
  auto items = ParseAuthHeader("PrivateToken challenge=abc==, token-key=d-_=, max-age=10");
  ASSERT_TRUE(items.ok()) << items.error().message;
  ASSERT_EQ(items->size(), 1u);
  EXPECT_EQ((*items)[0].Find("challenge"), "abc==");
  EXPECT_EQ((*items)[0].Find("token-key"), "d-_=");
  EXPECT_EQ((*items)[0].Find("max-age"), "10");
}

TEST(ParseAuthHeaderTest, UnescapesQuotedPairs) {
  auto items = ParseAuthHeader(R"(Scheme a="x\"y\\z", b="with, comma and space")");
  ASSERT_TRUE(items.ok()) << items.error().message;
  ASSERT_EQ(items->size(), 1u);
  EXPECT_EQ((*items)[0].Find("a"), "x\"y\\z");
  EXPECT_EQ((*items)[0].Find("b"), "with, comma and space");
}

TEST(ParseAuthHeaderTest, LowercasesParamNames) {
  auto items = ParseAuthHeader(R"(PrivateToken CHALLENGE="a", Token-Key="b")");
  ASSERT_TRUE(items.ok());
  EXPECT_EQ((*items)[0].Find("challenge"), "a");
  EXPECT_EQ((*items)[0].Find("token-key"), "b");
  EXPECT_EQ((*items)[0].params[0].name, "challenge");
}

TEST(ParseAuthHeaderTest, AllowsWhitespaceAroundEqualsAndCommas) {
  auto items = ParseAuthHeader("PrivateToken  a = \"1\" ,\tb=2 ,, c=\"3\"  ");
  ASSERT_TRUE(items.ok()) << items.error().message;
  ASSERT_EQ(items->size(), 1u);
  EXPECT_EQ((*items)[0].Find("a"), "1");
  EXPECT_EQ((*items)[0].Find("b"), "2");
  EXPECT_EQ((*items)[0].Find("c"), "3");
}

TEST(ParseAuthHeaderTest, SplitsSeveralChallenges) {
  auto items = ParseAuthHeader(R"(PrivateToken a="1", b=2, Basic realm="x", PrivateToken a="3")");
  ASSERT_TRUE(items.ok()) << items.error().message;
  ASSERT_EQ(items->size(), 3u);
  EXPECT_EQ((*items)[0].scheme, "PrivateToken");
  EXPECT_EQ((*items)[0].params.size(), 2u);
  EXPECT_EQ((*items)[1].scheme, "Basic");
  EXPECT_EQ((*items)[1].Find("realm"), "x");
  EXPECT_EQ((*items)[2].Find("a"), "3");
}

TEST(ParseAuthHeaderTest, ParsesToken68Credentials) {
  for (const char* header : {"Negotiate YWJj", "Negotiate YWJjZA==", "Negotiate YWJjZGU=", "Bearer a.b-c_d~e+f/g"}) {
    auto items = ParseAuthHeader(header);
    ASSERT_TRUE(items.ok()) << header << ": " << items.error().message;
    ASSERT_EQ(items->size(), 1u) << header;
    EXPECT_EQ((*items)[0].token68, std::string_view(header).substr(std::string_view(header).find(' ') + 1)) << header;
    EXPECT_TRUE((*items)[0].params.empty()) << header;
  }
}

TEST(ParseAuthHeaderTest, NameWithEmptyValueIsToken68) {
  // "a=" cannot be an auth-param (a value is never empty) but is a token68.
  auto items = ParseAuthHeader("PrivateToken a=");
  ASSERT_TRUE(items.ok());
  ASSERT_EQ(items->size(), 1u);
  EXPECT_EQ((*items)[0].token68, "a=");
  ExpectMalformed(ParseWwwAuthenticate("PrivateToken a="), "no challenge");
  ExpectMalformed(ParseAuthorization("PrivateToken a="), "no token");
}

TEST(ParseAuthHeaderTest, SchemeWithoutParams) {
  auto items = ParseAuthHeader("Basic, PrivateToken a=1");
  ASSERT_TRUE(items.ok());
  ASSERT_EQ(items->size(), 2u);
  EXPECT_TRUE((*items)[0].params.empty());
}

TEST(ParseAuthHeaderTest, EmptyHeaderHasNoItems) {
  for (const char* header : {"", "   ", ",", " , ,"}) {
    auto items = ParseAuthHeader(header);
    ASSERT_TRUE(items.ok()) << header;
    EXPECT_TRUE(items->empty()) << header;
  }
}

TEST(ParseAuthHeaderTest, RejectsDuplicateParams) {
  ExpectMalformed(ParseAuthHeader(R"(PrivateToken a="1", a="2")"), "same case");
  ExpectMalformed(ParseAuthHeader(R"(PrivateToken challenge="1", Challenge=2)"), "other case");
}

TEST(ParseAuthHeaderTest, SameParamInTwoChallengesIsFine) {
  auto items = ParseAuthHeader(R"(PrivateToken a="1", PrivateToken a="2")");
  ASSERT_TRUE(items.ok());
  EXPECT_EQ(items->size(), 2u);
}

TEST(ParseAuthHeaderTest, RejectsUnterminatedQuote) {
  ExpectMalformed(ParseAuthHeader(R"(PrivateToken a="abc)"), "unterminated");
  ExpectMalformed(ParseAuthHeader(R"(PrivateToken a="abc\")"), "escaped final quote");
  ExpectMalformed(ParseAuthHeader(R"(PrivateToken a="abc\)"), "dangling backslash");
}

TEST(ParseAuthHeaderTest, RejectsMissingComma) {
  ExpectMalformed(ParseAuthHeader(R"(PrivateToken a="1" b="2")"), "between params");
  ExpectMalformed(ParseAuthHeader(R"(PrivateToken a="1" Basic realm="x")"), "between challenges");
  ExpectMalformed(ParseAuthHeader(R"(PrivateToken a="1"b="2")"), "no space either");
}

TEST(ParseAuthHeaderTest, RejectsBadValues) {
  ExpectMalformed(ParseAuthHeader("PrivateToken a=, b=1"), "empty bare value");
  ExpectMalformed(ParseAuthHeader("PrivateToken a=\"x\ny\""), "control character in quotes");
  ExpectMalformed(ParseAuthHeader("PrivateToken a=x\x01y"), "control character in bare value");
  ExpectMalformed(ParseAuthHeader("PrivateToken a=x\"y\""), "quote inside bare value");
  ExpectMalformed(ParseAuthHeader("Private@Token a=1"), "bad scheme character");
  ExpectMalformed(ParseAuthHeader("=abc"), "no scheme");
}

TEST(ParseAuthHeaderTest, RejectsOversizeHeader) {
  const std::string prefix = "PrivateToken a=\"";
  std::string exact = prefix + std::string(kMaxAuthHeaderBytes - prefix.size() - 1, 'x') + "\"";
  ASSERT_EQ(exact.size(), kMaxAuthHeaderBytes);
  auto ok = ParseAuthHeader(exact);
  ASSERT_TRUE(ok.ok());
  std::string over = prefix + std::string(kMaxAuthHeaderBytes - prefix.size(), 'x') + "\"";
  ASSERT_EQ(over.size(), kMaxAuthHeaderBytes + 1);
  ExpectMalformed(ParseAuthHeader(over), "8193 bytes");
  ExpectMalformed(ParseWwwAuthenticate(over), "8193 bytes");
  ExpectMalformed(ParseAuthorization(over), "8193 bytes");
}

// --- WWW-Authenticate -------------------------------------------------------------

PrivateTokenChallenge FullChallenge() {
  PrivateTokenChallenge ch;
  ch.challenge = Challenge();
  ch.token_key = Hex("30820156");
  ch.max_age = 30;
  ch.yesno_claim = "age_over_18";
  ch.yesno_vnonce = Bytes(40, 0x5a);
  return ch;
}

TEST(WwwAuthenticateTest, BuildsQuotedPaddedBase64Url) {
  PrivateTokenChallenge ch = FullChallenge();
  const std::string header = BuildWwwAuthenticate({ch});
  EXPECT_EQ(header, "PrivateToken challenge=\"" + Base64UrlEncode(ch.challenge) + "\", token-key=\"MIIBVg==\", " +
                        "max-age=30, yesno-claim=\"age_over_18\", yesno-vnonce=\"" +
                        Base64UrlEncode(ch.yesno_vnonce) + "\"");
}

TEST(WwwAuthenticateTest, RoundTripsSeveralChallenges) {
  PrivateTokenChallenge a = FullChallenge();
  PrivateTokenChallenge b;
  b.challenge = Challenge("other.example");
  const std::string header = BuildWwwAuthenticate({a, b});
  auto parsed = ParseWwwAuthenticate(header);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0].challenge, a.challenge);
  EXPECT_EQ((*parsed)[0].token_key, a.token_key);
  EXPECT_EQ((*parsed)[0].max_age, 30);
  EXPECT_EQ((*parsed)[0].yesno_claim, "age_over_18");
  EXPECT_EQ((*parsed)[0].yesno_vnonce, a.yesno_vnonce);
  EXPECT_EQ((*parsed)[1].challenge, b.challenge);
  EXPECT_TRUE((*parsed)[1].token_key.empty());
  EXPECT_FALSE((*parsed)[1].max_age.has_value());
  EXPECT_TRUE((*parsed)[1].yesno_claim.empty());
  EXPECT_TRUE((*parsed)[1].yesno_vnonce.empty());
  EXPECT_EQ(BuildWwwAuthenticate(*parsed), header);
}

TEST(WwwAuthenticateTest, EscapesQuotesAndBackslashesInValues) {
  // A parsed yesno-claim may hold '"' or '\' (from quoted-pairs); building it
  // must escape them so that the header parses back to the same value (found
  // by tests/fuzz/www_authenticate_fuzzer).
  auto parsed = ParseWwwAuthenticate("PrivateToken challenge=\"" + ChallengeB64() + "\", yesno-claim=\"a\\\"b\\\\c\"");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  ASSERT_EQ(parsed->size(), 1u);
  EXPECT_EQ((*parsed)[0].yesno_claim, "a\"b\\c");
  const std::string header = BuildWwwAuthenticate(*parsed);
  EXPECT_NE(header.find("yesno-claim=\"a\\\"b\\\\c\""), std::string::npos) << header;
  auto again = ParseWwwAuthenticate(header);
  ASSERT_TRUE(again.ok()) << again.error().message;
  ASSERT_EQ(again->size(), 1u);
  EXPECT_EQ((*again)[0].yesno_claim, "a\"b\\c");
}

TEST(WwwAuthenticateTest, AcceptsBareAndUnpaddedValues) {
  const std::string padded = Base64UrlEncode(Challenge());
  const std::string unpadded = Base64UrlEncode(Challenge(), false);
  for (const std::string& header : {"PrivateToken challenge=" + padded, "PrivateToken challenge=" + unpadded,
                                    "PrivateToken challenge=\"" + unpadded + "\""}) {
    auto parsed = ParseWwwAuthenticate(header);
    ASSERT_TRUE(parsed.ok()) << header;
    ASSERT_EQ(parsed->size(), 1u);
    EXPECT_EQ((*parsed)[0].challenge, Challenge());
  }
}

TEST(WwwAuthenticateTest, SchemeAndNamesAreCaseInsensitive) {
  auto parsed = ParseWwwAuthenticate("privatetoken CHALLENGE=\"" + ChallengeB64() + "\", Yesno-Claim=\"age_over_21\"");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  ASSERT_EQ(parsed->size(), 1u);
  EXPECT_EQ((*parsed)[0].yesno_claim, "age_over_21");
}

TEST(WwwAuthenticateTest, IgnoresUnknownParams) {
  auto parsed =
      ParseWwwAuthenticate("PrivateToken future-param=\"x\", challenge=\"" + ChallengeB64() + "\", other=1");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  ASSERT_EQ(parsed->size(), 1u);
  EXPECT_EQ((*parsed)[0].challenge, Challenge());
}

TEST(WwwAuthenticateTest, SkipsOtherSchemes) {
  const std::string pt = "PrivateToken challenge=\"" + ChallengeB64() + "\"";
  for (const std::string& header :
       {"Basic realm=\"x\", " + pt, pt + ", Basic realm=\"x\"", "Bearer, " + pt + ", Digest realm=\"a\", nonce=\"b\"",
        "Negotiate YWJjZGU=, " + pt, "Negotiate YWJjZA==, " + pt, pt + ", Negotiate YWJjZGU="}) {
    auto parsed = ParseWwwAuthenticate(header);
    ASSERT_TRUE(parsed.ok()) << header << ": " << parsed.error().message;
    ASSERT_EQ(parsed->size(), 1u) << header;
    EXPECT_EQ((*parsed)[0].challenge, Challenge()) << header;
  }
  auto none = ParseWwwAuthenticate("Basic realm=\"x\"");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(WwwAuthenticateTest, RejectsMissingOrBadChallenge) {
  ExpectMalformed(ParseWwwAuthenticate("PrivateToken token-key=\"MIIBVg==\""), "no challenge");
  ExpectMalformed(ParseWwwAuthenticate("PrivateToken challenge=\"not base64!\""), "not base64url");
  ExpectMalformed(ParseWwwAuthenticate("PrivateToken challenge=\"" + Base64UrlEncode(Hex("0002")) + "\""),
                  "not a TokenChallenge");
  ExpectMalformed(ParseWwwAuthenticate("PrivateToken challenge=\"+/+/\""), "standard alphabet");
  Bytes trailing = Challenge();
  trailing.push_back(0);
  ExpectMalformed(ParseWwwAuthenticate("PrivateToken challenge=\"" + Base64UrlEncode(trailing) + "\""),
                  "challenge with trailing byte");
}

TEST(WwwAuthenticateTest, RejectsBadOptionalParams) {
  const std::string pt = "PrivateToken challenge=\"" + ChallengeB64() + "\"";
  ExpectMalformed(ParseWwwAuthenticate(pt + ", token-key=\"a+b\""), "token-key not base64url");
  ExpectMalformed(ParseWwwAuthenticate(pt + ", yesno-vnonce=\"???\""), "vnonce not base64url");
  ExpectMalformed(ParseWwwAuthenticate(pt + ", max-age=-1"), "negative max-age");
  ExpectMalformed(ParseWwwAuthenticate(pt + ", max-age=ten"), "non-numeric max-age");
  ExpectMalformed(ParseWwwAuthenticate(pt + ", max-age=10s"), "max-age with suffix");
  ExpectMalformed(ParseWwwAuthenticate(pt + ", challenge=\"" + ChallengeB64() + "\""), "duplicate challenge");
}

// --- Authorization -----------------------------------------------------------------

PrivateTokenCredentials FullCredentials() {
  PrivateTokenCredentials c;
  c.token = Bytes(kTokenBytes, 0x42);
  c.yesno_vnonce = Bytes(40, 0x01);
  c.yesno_pop = Bytes(64, 0x02);
  return c;
}

TEST(AuthorizationTest, BuildsQuotedPaddedBase64Url) {
  const PrivateTokenCredentials c = FullCredentials();
  EXPECT_EQ(BuildAuthorization(c), "PrivateToken token=\"" + Base64UrlEncode(c.token) + "\", yesno-vnonce=\"" +
                                       Base64UrlEncode(c.yesno_vnonce) + "\", yesno-pop=\"" +
                                       Base64UrlEncode(c.yesno_pop) + "\"");
  PrivateTokenCredentials bare;
  bare.token = Bytes{1, 2, 3, 4};
  EXPECT_EQ(BuildAuthorization(bare), "PrivateToken token=\"AQIDBA==\"");
}

TEST(AuthorizationTest, RoundTrips) {
  const PrivateTokenCredentials c = FullCredentials();
  auto parsed = ParseAuthorization(BuildAuthorization(c));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->token, c.token);
  EXPECT_EQ(parsed->yesno_vnonce, c.yesno_vnonce);
  EXPECT_EQ(parsed->yesno_pop, c.yesno_pop);
  EXPECT_EQ(BuildAuthorization(*parsed), BuildAuthorization(c));
}

TEST(AuthorizationTest, AcceptsBarePaddedValuesAnyCaseAndUnknownParams) {
  auto parsed = ParseAuthorization("privateTOKEN Token=AQIDBA==, Yesno-Pop=AQ, extension=\"ignored\"");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->token, (Bytes{1, 2, 3, 4}));
  EXPECT_EQ(parsed->yesno_pop, (Bytes{1}));
  EXPECT_TRUE(parsed->yesno_vnonce.empty());
}

TEST(AuthorizationTest, RequiresExactlyOnePrivateTokenWithToken) {
  ExpectMalformed(ParseAuthorization(""), "empty");
  ExpectMalformed(ParseAuthorization("Basic dXNlcjpwYXNz"), "other scheme");
  ExpectMalformed(ParseAuthorization("PrivateToken yesno-pop=\"AQ==\""), "no token");
  ExpectMalformed(ParseAuthorization("PrivateToken token=\"AQ==\", PrivateToken token=\"Ag==\""), "two credentials");
  ExpectMalformed(ParseAuthorization("PrivateToken token=\"AQ==\", Basic realm=\"x\""), "two schemes");
  ExpectMalformed(ParseAuthorization("PrivateToken token=\"AQ==\", token=\"Ag==\""), "duplicate token");
  ExpectMalformed(ParseAuthorization("PrivateToken token=\"A Q==\""), "space in base64");
  ExpectMalformed(ParseAuthorization("PrivateToken token=\"AQ==\", yesno-pop=\"*\""), "pop not base64url");
  ExpectMalformed(ParseAuthorization("PrivateToken token=\"AQ==\", yesno-vnonce=\"a/b\""), "vnonce not base64url");
  ExpectMalformed(ParseAuthorization("PrivateToken token=\"AQ==\" yesno-pop=\"AQ==\""), "missing comma");
  ExpectMalformed(ParseAuthorization("PrivateToken token=\"AQ=="), "unterminated");
}

}  // namespace
}  // namespace yesno
