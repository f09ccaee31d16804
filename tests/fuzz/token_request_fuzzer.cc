// token_request_fuzzer.cc — ParseTokenRequest (RFC 9578 §6.1): never crashes,
// and whatever parses re-serializes byte for byte.
#include <cstddef>
#include <cstdint>

#include "fuzz_util.h"
#include "yesno/token.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const yesno::ByteView in(data, size);
  auto request = yesno::ParseTokenRequest(in);
  if (!request.ok()) return 0;
  auto wire = yesno::SerializeTokenRequest(*request);
  FUZZ_CHECK(wire.ok() && *wire == yesno::ToBytes(in));
  return 0;
}
