// token_response_fuzzer.cc — ParseTokenResponse (RFC 9578 §6.2): never
// crashes, and whatever parses re-serializes byte for byte.
#include <cstddef>
#include <cstdint>

#include "fuzz_util.h"
#include "yesno/token.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const yesno::ByteView in(data, size);
  auto response = yesno::ParseTokenResponse(in);
  if (!response.ok()) return 0;
  auto wire = yesno::SerializeTokenResponse(*response);
  FUZZ_CHECK(wire.ok() && *wire == yesno::ToBytes(in));
  return 0;
}
