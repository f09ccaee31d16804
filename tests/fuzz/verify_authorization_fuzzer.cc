// verify_authorization_fuzzer.cc — VerifyAuthorization, the verifier's whole
// check of an "Authorization: PrivateToken ..." value, over a fixed trusted
// key (fuzz_util.h), a fixed vnonce key, origin and clock, and an in-memory
// spent set. Properties: it never crashes, and it never answers yes: a yes
// needs a PoP made with the token's Ed25519 key for this verifier's origin,
// and no input the fuzzer can make carries one (the seeds' PoPs name another
// origin). Every "no" carries a reason.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <set>
#include <string_view>

#include "fuzz_util.h"
#include "yesno/verifier.h"

namespace {

class MemorySpentSet final : public yesno::SpentSet {
 public:
  yesno::Result<bool> CheckAndInsert(yesno::ByteView key_id, yesno::ByteView nonce, int64_t) override {
    return spent_.insert(yesno::Concat({key_id, nonce})).second;
  }

 private:
  std::set<yesno::Bytes> spent_;
};

struct Fixture {
  yesno::TrustedKeySet keys;
  yesno::VerifierContext ctx;
  MemorySpentSet spent;
};

Fixture* g_fixture = nullptr;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  FUZZ_CHECK(yesno::InitCrypto().ok());
  auto sk = yesno::RsaPrivateKey::FromPem(yesno::fuzz::kFixtureRsaKeyPem);
  FUZZ_CHECK(sk.ok());
  g_fixture = new Fixture;
  g_fixture->keys.Add(yesno::TrustedKey{sk->public_key(), std::string(yesno::fuzz::kIssuerName),
                                        std::string(yesno::fuzz::kClaim), yesno::fuzz::kKeyNotBefore,
                                        yesno::fuzz::kKeyNotAfter});
  g_fixture->ctx.origin = std::string(yesno::fuzz::kOrigin);
  g_fixture->ctx.vnonce_key = yesno::fuzz::FixedKey(yesno::fuzz::kVnonceKeyFill);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string_view authorization(reinterpret_cast<const char*>(data), size);
  const yesno::VerifyOutcome outcome = yesno::VerifyAuthorization(
      authorization, g_fixture->keys, yesno::fuzz::kClaim, g_fixture->ctx, yesno::fuzz::kNow, g_fixture->spent);
  FUZZ_CHECK(!outcome.yes);
  FUZZ_CHECK(outcome.reason != yesno::Reason::kNone && !yesno::ReasonCode(outcome.reason).empty());
  return 0;
}
