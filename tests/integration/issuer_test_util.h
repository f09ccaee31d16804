// issuer_test_util.h — the holder's side of issuance for the issuer tests:
// build single and batched token requests, finalize and verify the answers,
// pick the issuing key from a directory.
#ifndef YESNO_TESTS_INTEGRATION_ISSUER_TEST_UTIL_H_
#define YESNO_TESTS_INTEGRATION_ISSUER_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "yesno/batch.h"
#include "yesno/blind_rsa.h"
#include "yesno/directory.h"
#include "yesno/pop.h"
#include "yesno/token.h"

namespace yesno::issuer_testing {

// ScratchDir is a fresh directory under the test temp dir, removed at the end.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& tag) {
    static int counter = 0;
    path_ = ::testing::TempDir() + "/yesno_issuer_" + tag + "_" + std::to_string(getpid()) + "_" +
            std::to_string(++counter);
    std::filesystem::remove_all(path_);
  }
  ~ScratchDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Pending is the holder's state for a set of token requests; element i was
// blinded for keys[i].
struct Pending {
  std::vector<RsaPublicKey> keys;
  std::vector<TokenIssuance> issuances;

  void Add(const RsaPublicKey& key, std::string_view issuer_name, int n, Rng& rng) {
    auto challenge = CrossOriginChallenge(issuer_name);
    ASSERT_TRUE(challenge.ok());
    for (int i = 0; i < n; ++i) {
      Ed25519KeyPair kp = GenerateEd25519KeyPair(rng);
      auto issuance = BeginTokenIssuance(key, *challenge, kp.public_key, rng);
      ASSERT_TRUE(issuance.ok()) << issuance.error().message;
      keys.push_back(key);
      issuances.push_back(std::move(*issuance));
    }
  }
  std::size_t size() const { return issuances.size(); }

  // BatchBody serializes every element as a generic batch request.
  std::string BatchBody() const {
    GenericBatchTokenRequest batch;
    for (const auto& is : issuances) {
      auto req = SerializeTokenRequest(is.request());
      EXPECT_TRUE(req.ok());
      batch.requests.push_back(GenericTokenRequest{kTokenTypeBlindRsa, *req});
    }
    auto body = SerializeGenericBatchTokenRequest(batch);
    EXPECT_TRUE(body.ok());
    return AsString(*body);
  }
  // SingleBody serializes element `i` as an RFC 9578 TokenRequest.
  std::string SingleBody(std::size_t i) const {
    auto req = SerializeTokenRequest(issuances.at(i).request());
    EXPECT_TRUE(req.ok());
    return AsString(*req);
  }

  // FinalizeBatch finalizes every present response of a batch answer and
  // verifies each token with the core; returns which elements were signed.
  std::vector<bool> FinalizeBatch(std::string_view body) {
    std::vector<bool> present(issuances.size(), false);
    auto parsed = ParseGenericBatchTokenResponse(AsBytes(body));
    EXPECT_TRUE(parsed.ok());
    if (!parsed.ok()) return present;
    EXPECT_EQ(parsed->responses.size(), issuances.size());
    for (std::size_t i = 0; i < parsed->responses.size() && i < issuances.size(); ++i) {
      if (!parsed->responses[i]) continue;
      EXPECT_EQ(parsed->responses[i]->token_type, kTokenTypeBlindRsa);
      auto response = ParseTokenResponse(parsed->responses[i]->token_response);
      EXPECT_TRUE(response.ok());
      if (!response.ok()) continue;
      present[i] = FinalizeOne(i, *response);
    }
    return present;
  }
  // FinalizeSingle finalizes element `i` from a single TokenResponse body.
  bool FinalizeSingle(std::size_t i, std::string_view body) {
    auto response = ParseTokenResponse(AsBytes(body));
    EXPECT_TRUE(response.ok());
    return response.ok() && FinalizeOne(i, *response);
  }

 private:
  bool FinalizeOne(std::size_t i, const TokenResponse& response) {
    auto token = FinalizeToken(keys[i], issuances[i], response);
    EXPECT_TRUE(token.ok()) << token.error().message;
    if (!token.ok()) return false;
    const Status s = VerifyToken(keys[i], *token);
    EXPECT_TRUE(s.ok());
    return s.ok();
  }
};

inline int CountTrue(const std::vector<bool>& v) {
  int n = 0;
  for (bool b : v) n += b ? 1 : 0;
  return n;
}

// IssuingKey returns the key a wallet would use for `claim` at `now`: in its
// window, latest not-before.
inline std::optional<RsaPublicKey> IssuingKey(const IssuerDirectory& dir, std::string_view claim, int64_t now) {
  const DirectoryKey* best = nullptr;
  for (const auto& k : dir.keys) {
    if (k.claim != claim || now < k.not_before || now >= k.not_after) continue;
    if (best == nullptr || k.not_before > best->not_before) best = &k;
  }
  if (best == nullptr) return std::nullopt;
  auto key = RsaPublicKey::FromSpki(best->token_key);
  if (!key.ok()) return std::nullopt;
  return *key;
}

}  // namespace yesno::issuer_testing

#endif  // YESNO_TESTS_INTEGRATION_ISSUER_TEST_UTIL_H_
