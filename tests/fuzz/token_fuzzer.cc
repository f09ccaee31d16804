// token_fuzzer.cc — ParseToken (RFC 9577 §2.2, type 0x0002): never crashes,
// whatever parses re-serializes byte for byte, and the authenticator input
// is the token's first 98 bytes.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "fuzz_util.h"
#include "yesno/token.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const yesno::ByteView in(data, size);
  auto token = yesno::ParseToken(in);
  if (!token.ok()) return 0;
  auto wire = yesno::SerializeToken(*token);
  FUZZ_CHECK(wire.ok() && *wire == yesno::ToBytes(in));
  const yesno::Bytes input = yesno::TokenAuthenticatorInput(*token);
  FUZZ_CHECK(input.size() == yesno::kTokenInputBytes && std::equal(input.begin(), input.end(), in.begin()));
  return 0;
}
