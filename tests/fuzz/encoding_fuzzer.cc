// encoding_fuzzer.cc — Base64UrlDecode and HexDecode: never crash; whatever
// decodes is the canonical encoding of its bytes (base64url padded, or
// unpadded; hex in either case, after an optional "0x").
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "yesno/bytes.h"

namespace {

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto bytes = yesno::Base64UrlDecode(text); bytes.ok()) {
    const std::string padded = yesno::Base64UrlEncode(*bytes);
    const std::string bare = yesno::Base64UrlEncode(*bytes, /*padding=*/false);
    FUZZ_CHECK(text == padded || text == bare);
    auto again = yesno::Base64UrlDecode(text == padded ? bare : padded);
    FUZZ_CHECK(again.ok() && *again == *bytes);
  }
  if (auto bytes = yesno::HexDecode(text); bytes.ok()) {
    std::string_view digits = text;
    if (digits.size() >= 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) digits.remove_prefix(2);
    FUZZ_CHECK(EqualsIgnoringCase(yesno::HexEncode(*bytes), digits));
  }
  return 0;
}
