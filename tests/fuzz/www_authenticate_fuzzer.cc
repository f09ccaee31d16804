// www_authenticate_fuzzer.cc — ParseAuthHeader and ParseWwwAuthenticate
// (RFC 9110 §11.6.1, RFC 9577 §2.1): never crash; the challenges a header
// parses into survive BuildWwwAuthenticate -> ParseWwwAuthenticate unchanged,
// and building them again gives the same header.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_util.h"
#include "yesno/auth_header.h"

namespace {

bool Same(const yesno::PrivateTokenChallenge& a, const yesno::PrivateTokenChallenge& b) {
  return a.challenge == b.challenge && a.token_key == b.token_key && a.max_age == b.max_age &&
         a.yesno_claim == b.yesno_claim && a.yesno_vnonce == b.yesno_vnonce;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string_view header(reinterpret_cast<const char*>(data), size);
  auto items = yesno::ParseAuthHeader(header);
  if (items.ok()) {
    for (const auto& item : *items) {
      FUZZ_CHECK(!item.scheme.empty());
      FUZZ_CHECK(item.token68.empty() || item.params.empty());
    }
  }
  auto challenges = yesno::ParseWwwAuthenticate(header);
  if (!challenges.ok()) return 0;
  FUZZ_CHECK(items.ok());
  const std::string built = yesno::BuildWwwAuthenticate(*challenges);
  // Builders quote and pad every value, so a header near the 8 KiB cap may
  // grow past it; the cap is then the only reason for a refusal.
  if (built.size() > yesno::kMaxAuthHeaderBytes) return 0;
  auto again = yesno::ParseWwwAuthenticate(built);
  FUZZ_CHECK(again.ok() && again->size() == challenges->size());
  for (std::size_t i = 0; i < again->size(); ++i) FUZZ_CHECK(Same((*again)[i], (*challenges)[i]));
  FUZZ_CHECK(yesno::BuildWwwAuthenticate(*again) == built);
  return 0;
}
