// batch_request_fuzzer.cc — ParseGenericBatchTokenRequest
// (draft-ietf-privacypass-batched-tokens): never crashes, whatever parses
// re-serializes byte for byte, and every type-0x0002 element is itself a
// TokenRequest that parses.
#include <cstddef>
#include <cstdint>

#include "fuzz_util.h"
#include "yesno/batch.h"
#include "yesno/token.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const yesno::ByteView in(data, size);
  auto batch = yesno::ParseGenericBatchTokenRequest(in);
  if (!batch.ok()) return 0;
  auto wire = yesno::SerializeGenericBatchTokenRequest(*batch);
  FUZZ_CHECK(wire.ok() && *wire == yesno::ToBytes(in));
  for (const auto& item : batch->requests) {
    FUZZ_CHECK(item.token_request.size() == yesno::TokenRequestSize(item.token_type));
    if (item.token_type == yesno::kTokenTypeBlindRsa) FUZZ_CHECK(yesno::ParseTokenRequest(item.token_request).ok());
  }
  return 0;
}
