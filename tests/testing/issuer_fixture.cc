#include "testing/issuer_fixture.h"

#include <gtest/gtest.h>

#include "testing/test_util.h"
#include "yesno/auth_header.h"
#include "yesno/token.h"

namespace yesno::testing {

IssuerFixture::IssuerFixture(std::string name, uint64_t seed) : name_(std::move(name)) {
  DeterministicRng rng(seed);
  signing_ = GenerateEd25519KeyPair(rng);
}

std::size_t IssuerFixture::AddKey(std::string claim, int64_t not_before, int64_t not_after,
                                  std::optional<RsaPrivateKey> key) {
  if (!key) {
    auto generated = RsaPrivateKey::Generate(2048);
    if (!generated.ok()) {
      ADD_FAILURE() << "RsaPrivateKey::Generate: " << generated.error().message;
      return 0;
    }
    key = std::move(*generated);
  }
  keys_.push_back(Key{std::move(*key), std::move(claim), not_before, not_after});
  return keys_.size() - 1;
}

IssuerDirectory IssuerFixture::Directory() const {
  IssuerDirectory dir;
  dir.issuer_request_uri = "/token-request";
  dir.issuer_name = name_;
  for (const auto& k : keys_) {
    DirectoryKey dk;
    dk.token_key = k.sk.public_key().Spki();
    dk.not_before = k.not_before;
    dk.not_after = k.not_after;
    dk.claim = k.claim;
    dir.keys.push_back(std::move(dk));
  }
  return dir;
}

std::string IssuerFixture::DirectorySignature(std::string_view body) const {
  auto sig = SignDirectory(View(signing_.seed), body);
  if (!sig.ok()) {
    ADD_FAILURE() << "SignDirectory: " << sig.error().message;
    return "";
  }
  return *sig;
}

nlohmann::json IssuerFixture::TrustEntry(const std::string& directory_url) const {
  return {{"name", name_}, {"directory", directory_url}, {"key", SigningPublicKeyB64()}};
}

TrustedKeySet IssuerFixture::TrustedKeys() const {
  TrustedKeySet set;
  for (const auto& k : keys_) set.Add(TrustedKey{k.sk.public_key(), name_, k.claim, k.not_before, k.not_after});
  return set;
}

IssuedToken IssuerFixture::Issue(std::size_t index, Rng& rng, std::optional<std::string> challenge_issuer) const {
  const Key& k = keys_.at(index);
  IssuedToken out;
  out.holder = GenerateEd25519KeyPair(rng);
  out.key_id = k.sk.public_key().KeyId();
  out.claim = k.claim;
  auto challenge = CrossOriginChallenge(challenge_issuer ? *challenge_issuer : name_);
  if (!challenge.ok()) {
    ADD_FAILURE() << "CrossOriginChallenge: " << challenge.error().message;
    return out;
  }
  auto issuance = BeginTokenIssuance(k.sk.public_key(), *challenge, out.holder.public_key, rng);
  if (!issuance.ok()) {
    ADD_FAILURE() << "BeginTokenIssuance: " << issuance.error().message;
    return out;
  }
  auto response = SignTokenRequest(k.sk, issuance->request());
  if (!response.ok()) {
    ADD_FAILURE() << "SignTokenRequest: " << response.error().message;
    return out;
  }
  auto token = FinalizeToken(k.sk.public_key(), *issuance, *response);
  if (!token.ok()) {
    ADD_FAILURE() << "FinalizeToken: " << token.error().message;
    return out;
  }
  out.token = *SerializeToken(*token);
  return out;
}

std::vector<IssuedToken> IssuerFixture::IssueMany(std::size_t index, std::size_t n) const {
  SystemRng rng;
  std::vector<IssuedToken> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) out.push_back(Issue(index, rng));
  return out;
}

Presentation PresentationFor(const IssuedToken& t, std::string_view origin, ByteView vnonce) {
  auto pop = SignPop(View(t.holder.seed), origin, vnonce, t.token);
  if (!pop.ok()) ADD_FAILURE() << "SignPop: " << pop.error().message;
  return Presentation{t.token, ToBytes(vnonce), pop.ok() ? *pop : Bytes()};
}

std::string AuthorizationFor(const IssuedToken& t, std::string_view origin, ByteView vnonce) {
  Presentation p = PresentationFor(t, origin, vnonce);
  return BuildAuthorization(PrivateTokenCredentials{p.token, p.vnonce, p.pop});
}

}  // namespace yesno::testing
