// issuer_fixture.h — an in-test issuer: keys, a signed directory, and valid
// tokens and presentations, built with yesno_core alone (no server).
//
//   testing::IssuerFixture issuer("issuer.example");
//   const std::size_t k = issuer.AddKey("age_over_18", now - 86400, now + 30 * 86400);
//   std::string body = issuer.DirectoryBody();                 // serve with
//   std::string sig = issuer.DirectorySignature(body);         // Yesno-Directory-Signature
//   std::vector<testing::IssuedToken> tokens = issuer.IssueMany(k, 100);
//   std::string auth = testing::AuthorizationFor(tokens[0], "https://shop.example", vnonce);
//
// Tokens come from the real RFC 9578 flow (BeginTokenIssuance, SignTokenRequest,
// FinalizeToken); each nonce is a fresh Ed25519 public key whose seed the
// IssuedToken keeps for the proof of possession.
#ifndef YESNO_TESTS_TESTING_ISSUER_FIXTURE_H_
#define YESNO_TESTS_TESTING_ISSUER_FIXTURE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "yesno/blind_rsa.h"
#include "yesno/bytes.h"
#include "yesno/directory.h"
#include "yesno/pop.h"
#include "yesno/rng.h"
#include "yesno/verifier.h"

namespace yesno::testing {

// EpochWindow is {not-before, not-after} of the key for the epoch `offset`
// epochs after the one holding `now`, on a grid of `epoch_seconds` (DESIGN
// §4): the windows a real issuer publishes and CheckDirectoryKeyConsistency
// accepts.
inline std::pair<int64_t, int64_t> EpochWindow(int64_t now, int64_t offset = 0, int64_t epoch_seconds = 30 * 86400) {
  const int64_t start = (now / epoch_seconds + offset) * epoch_seconds;
  return {start, start + epoch_seconds + kKeyGraceSeconds};
}

// IssuedToken is one token as a wallet holds it.
struct IssuedToken {
  Bytes token;             // serialized Token (354 bytes)
  Ed25519KeyPair holder;   // the key behind the token's nonce
  Bytes key_id;            // token_key_id
  std::string claim;
};

class IssuerFixture {
 public:
  // `name` is the issuer name (directory yesno-issuer-name and TokenChallenge
  // issuer_name). The directory signing key is derived from `seed`.
  explicit IssuerFixture(std::string name, uint64_t seed = 1);

  // AddKey publishes an RSA-2048 key for `claim`, valid [not_before,
  // not_after). Without `key` a fresh one is generated (~0.1 s). Returns
  // the key's index.
  std::size_t AddKey(std::string claim, int64_t not_before, int64_t not_after,
                     std::optional<RsaPrivateKey> key = std::nullopt);

  const std::string& name() const { return name_; }
  const RsaPrivateKey& key(std::size_t index) const { return keys_.at(index).sk; }
  // SigningPublicKey is the issuer's pinned Ed25519 public key.
  const Bytes& SigningPublicKey() const { return signing_.public_key; }
  std::string SigningPublicKeyB64() const { return Base64UrlEncode(signing_.public_key); }

  IssuerDirectory Directory() const;
  std::string DirectoryBody() const { return SerializeDirectory(Directory()); }
  // DirectorySignature signs `body` with this issuer's directory key.
  std::string DirectorySignature(std::string_view body) const;
  // TrustEntry is this issuer's entry for a verifier's trust file.
  nlohmann::json TrustEntry(const std::string& directory_url) const;
  // TrustedKeys is the TrustedKeySet a verifier builds from this directory.
  TrustedKeySet TrustedKeys() const;

  // Issue runs issuance against key `index`. `challenge_issuer` replaces the
  // issuer name in the TokenChallenge (a token "for another issuer").
  IssuedToken Issue(std::size_t index, Rng& rng, std::optional<std::string> challenge_issuer = std::nullopt) const;
  // IssueMany issues `n` tokens with a system Rng.
  std::vector<IssuedToken> IssueMany(std::size_t index, std::size_t n) const;

 private:
  struct Key {
    RsaPrivateKey sk;
    std::string claim;
    int64_t not_before;
    int64_t not_after;
  };
  std::string name_;
  Ed25519KeyPair signing_;
  std::vector<Key> keys_;
};

// AuthorizationFor builds the "PrivateToken token=..., yesno-vnonce=...,
// yesno-pop=..." header value presenting `t` to a verifier at `origin`.
std::string AuthorizationFor(const IssuedToken& t, std::string_view origin, ByteView vnonce);
// PresentationFor is the same as a core Presentation.
Presentation PresentationFor(const IssuedToken& t, std::string_view origin, ByteView vnonce);

}  // namespace yesno::testing

#endif  // YESNO_TESTS_TESTING_ISSUER_FIXTURE_H_
