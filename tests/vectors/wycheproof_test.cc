// wycheproof_test.cc — RSASSA-PSS verification against Wycheproof.
//
// yesno pins SHA-384, MGF1-SHA-384 and a 48-byte salt (RFC 9578 type
// 0x0002). For the two parameter-matched files every "valid" case must verify
// and every "invalid" case must be rejected. For the two "misc" files (150
// parameter sets, one signature each, all valid under their own parameters)
// only the set equal to ours may verify.
#include "yesno/blind_rsa.h"

#include <iostream>

#include "testing/test_util.h"

namespace yesno {
namespace {

using testing::Hex;
using testing::LoadVectors;

constexpr BlindRsaVariant kOurs = BlindRsaVariant::kSha384PssDeterministic;

struct Counts {
  int total = 0, valid = 0, invalid = 0, accepted = 0;
};

// KeyFromGroup builds the key from the group's PKCS#1 RSAPublicKey.
Result<RsaPublicKey> KeyFromGroup(const nlohmann::json& group) {
  return RsaPublicKey::FromRsaPublicKeyDer(Hex(group["publicKeyAsn"].get<std::string>()));
}

Counts RunMatchedFile(const char* file, int expected_bits) {
  const auto doc = LoadVectors(file);
  Counts c;
  for (const auto& group : doc["testGroups"]) {
    EXPECT_EQ(group["sha"], "SHA-384");
    EXPECT_EQ(group["mgfSha"], "SHA-384");
    EXPECT_EQ(group["sLen"], 48);
    auto key = KeyFromGroup(group);
    EXPECT_TRUE(key.ok()) << file;
    if (!key.ok()) continue;
    EXPECT_EQ(key->modulus_bits(), static_cast<std::size_t>(expected_bits));
    for (const auto& t : group["tests"]) {
      const int id = t["tcId"];
      const std::string result = t["result"];
      const bool ok = BlindRsaVerify(*key, kOurs, Hex(t["msg"].get<std::string>()), Hex(t["sig"].get<std::string>())).ok();
      ++c.total;
      if (result == "valid") {
        ++c.valid;
        EXPECT_TRUE(ok) << file << " tcId " << id << ": valid signature rejected (" << t["comment"] << ")";
      } else {
        ++c.invalid;
        EXPECT_EQ(result, "invalid") << file << " tcId " << id;
        EXPECT_FALSE(ok) << file << " tcId " << id << ": invalid signature accepted (" << t["comment"] << ")";
      }
      if (ok) ++c.accepted;
    }
  }
  EXPECT_EQ(c.total, doc["numberOfTests"].get<int>());
  std::cout << file << ": " << c.total << " cases, " << c.valid << " valid, " << c.invalid << " invalid, "
            << c.accepted << " accepted\n";
  return c;
}

TEST(WycheproofTest, RsaPss2048Sha384Mgf1Salt48) {
  Counts c = RunMatchedFile("wycheproof/rsa_pss_2048_sha384_mgf1_48_test.json", 2048);
  EXPECT_EQ(c.total, 141);
  EXPECT_EQ(c.valid, 95);
  EXPECT_EQ(c.invalid, 46);
  EXPECT_EQ(c.accepted, 95);
}

TEST(WycheproofTest, RsaPss4096Sha384Mgf1Salt48) {
  Counts c = RunMatchedFile("wycheproof/rsa_pss_4096_sha384_mgf1_48_test.json", 4096);
  EXPECT_EQ(c.total, 141);
  EXPECT_EQ(c.valid, 95);
  EXPECT_EQ(c.invalid, 46);
  EXPECT_EQ(c.accepted, 95);
}

bool IsOurParameterSet(const nlohmann::json& group) {
  return group["sha"] == "SHA-384" && group["mgf"] == "MGF1" && group["mgfSha"] == "SHA-384" && group["sLen"] == 48;
}

// RunMiscFile verifies every case with our pinned parameters and returns the
// number of parameter sets equal to ours and the number accepted.
std::pair<int, int> RunMiscFile(const char* file, int& total) {
  const auto doc = LoadVectors(file);
  int ours = 0, accepted = 0;
  total = 0;
  for (const auto& group : doc["testGroups"]) {
    auto key = KeyFromGroup(group);
    EXPECT_TRUE(key.ok());
    if (!key.ok()) continue;
    const bool same_params = IsOurParameterSet(group);
    if (same_params) ++ours;
    for (const auto& t : group["tests"]) {
      ++total;
      const bool ok = BlindRsaVerify(*key, kOurs, Hex(t["msg"].get<std::string>()), Hex(t["sig"].get<std::string>())).ok();
      if (ok) ++accepted;
      EXPECT_EQ(ok, same_params) << file << " tcId " << t["tcId"] << " params " << group["sha"] << "/" << group["mgfSha"]
                                 << "/" << group["sLen"];
    }
  }
  EXPECT_EQ(total, doc["numberOfTests"].get<int>());
  return {ours, accepted};
}

TEST(WycheproofTest, RsaPssMiscOnlyOurParametersVerify) {
  int total = 0;
  auto [ours, accepted] = RunMiscFile("wycheproof/rsa_pss_misc_test.json", total);
  EXPECT_EQ(total, 150);
  EXPECT_EQ(ours, 1);
  EXPECT_EQ(accepted, 1);
}

TEST(WycheproofTest, RsaPssMiscParamsOnlyOurParametersVerify) {
  int total = 0;
  auto [ours, accepted] = RunMiscFile("wycheproof/rsa_pss_misc_params_test.json", total);
  EXPECT_EQ(total, 150);
  EXPECT_EQ(ours, 1);
  EXPECT_EQ(accepted, 1);
}

TEST(WycheproofTest, MiscParamsSpkisAreNotCanonicalAndAreRejected) {
  // Wycheproof's id-RSASSA-PSS SPKIs carry NULL parameters in the hash
  // AlgorithmIdentifiers, which yields another token_key_id (RFC 9578 §6.5).
  // FromSpki accepts only the canonical encoding, so all 150 are rejected,
  // including the one whose parameters equal ours.
  const auto doc = LoadVectors("wycheproof/rsa_pss_misc_params_test.json");
  int rejected = 0, total = 0;
  for (const auto& group : doc["testGroups"]) {
    ++total;
    if (!RsaPublicKey::FromSpki(Hex(group["publicKeyDer"].get<std::string>())).ok()) ++rejected;
  }
  EXPECT_EQ(total, 150);
  EXPECT_EQ(rejected, 150);
}

TEST(WycheproofTest, RsaEncryptionSpkisAreRejected) {
  const auto doc = LoadVectors("wycheproof/rsa_pss_2048_sha384_mgf1_48_test.json");
  for (const auto& group : doc["testGroups"]) {
    EXPECT_FALSE(RsaPublicKey::FromSpki(Hex(group["publicKeyDer"].get<std::string>())).ok());
  }
}

}  // namespace
}  // namespace yesno
