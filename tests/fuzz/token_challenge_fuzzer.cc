// token_challenge_fuzzer.cc — ParseTokenChallenge (RFC 9577 §2.1): never
// crashes, and whatever parses re-serializes byte for byte.
#include <cstddef>
#include <cstdint>

#include "fuzz_util.h"
#include "yesno/token.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const yesno::ByteView in(data, size);
  auto challenge = yesno::ParseTokenChallenge(in);
  if (!challenge.ok()) return 0;
  auto wire = yesno::SerializeTokenChallenge(*challenge);
  FUZZ_CHECK(wire.ok() && *wire == yesno::ToBytes(in));
  return 0;
}
