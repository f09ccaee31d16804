// batch_response_fuzzer.cc — ParseGenericBatchTokenResponse
// (draft-ietf-privacypass-batched-tokens): never crashes, whatever parses
// re-serializes byte for byte, and every type-0x0002 element is itself a
// TokenResponse that parses.
#include <cstddef>
#include <cstdint>

#include "fuzz_util.h"
#include "yesno/batch.h"
#include "yesno/token.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const yesno::ByteView in(data, size);
  auto batch = yesno::ParseGenericBatchTokenResponse(in);
  if (!batch.ok()) return 0;
  auto wire = yesno::SerializeGenericBatchTokenResponse(*batch);
  FUZZ_CHECK(wire.ok() && *wire == yesno::ToBytes(in));
  for (const auto& item : batch->responses) {
    if (!item) continue;
    FUZZ_CHECK(item->token_response.size() == yesno::TokenResponseSize(item->token_type));
    if (item->token_type == yesno::kTokenTypeBlindRsa) FUZZ_CHECK(yesno::ParseTokenResponse(item->token_response).ok());
  }
  return 0;
}
