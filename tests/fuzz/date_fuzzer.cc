// date_fuzzer.cc — ParseDate and the claim-name parsers (yesno/claims.h):
// never crash; a parsed date formats back to the same text and survives the
// trip through Unix seconds; a parsed age claim names itself again.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_util.h"
#include "yesno/claims.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto date = yesno::ParseDate(text); date.ok()) {
    FUZZ_CHECK(yesno::IsValidDate(*date));
    FUZZ_CHECK(yesno::FormatDate(*date) == text);
    FUZZ_CHECK(yesno::DateFromUnixSeconds(yesno::UnixSecondsFromDate(*date)) == *date);
    FUZZ_CHECK(yesno::AgeOn(*date, *date) == 0);
  }
  const bool valid = yesno::IsValidClaimName(text);
  if (auto n = yesno::AgeClaimThreshold(text)) {
    FUZZ_CHECK(valid && *n >= 1 && *n <= yesno::kMaxAgeClaim);
    FUZZ_CHECK(yesno::AgeClaimName(*n) == text);
  }
  return 0;
}
