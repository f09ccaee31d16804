// authorization_fuzzer.cc — ParseAuthorization (RFC 9577 §2.2 credentials
// with yesno's parameters): never crashes; parsed credentials survive
// BuildAuthorization -> ParseAuthorization unchanged, and building them again
// gives the same header.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "yesno/auth_header.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string_view header(reinterpret_cast<const char*>(data), size);
  auto creds = yesno::ParseAuthorization(header);
  if (!creds.ok()) return 0;
  const std::string built = yesno::BuildAuthorization(*creds);
  if (built.size() > yesno::kMaxAuthHeaderBytes) return 0;  // quoting and padding can pass the cap
  auto again = yesno::ParseAuthorization(built);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->token == creds->token && again->yesno_vnonce == creds->yesno_vnonce &&
             again->yesno_pop == creds->yesno_pop);
  FUZZ_CHECK(yesno::BuildAuthorization(*again) == built);
  return 0;
}
