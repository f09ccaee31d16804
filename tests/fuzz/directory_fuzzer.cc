// directory_fuzzer.cc — ParseDirectory (RFC 9578 §4 + yesno fields): never
// crashes (nor throws: nlohmann::json runs without exceptions here), and a
// parsed directory survives SerializeDirectory -> ParseDirectory unchanged;
// the serialization is then a fixed point.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "yesno/claims.h"
#include "yesno/directory.h"

namespace {

bool Same(const yesno::IssuerDirectory& a, const yesno::IssuerDirectory& b) {
  if (a.issuer_request_uri != b.issuer_request_uri || a.issuer_name != b.issuer_name || a.keys.size() != b.keys.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.keys.size(); ++i) {
    const auto& x = a.keys[i];
    const auto& y = b.keys[i];
    if (x.token_type != y.token_type || x.token_key != y.token_key || x.not_before != y.not_before ||
        x.not_after != y.not_after || x.claim != y.claim || x.issued != y.issued) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto dir = yesno::ParseDirectory(body);
  if (!dir.ok()) return 0;
  FUZZ_CHECK(!dir->issuer_name.empty());
  for (const auto& k : dir->keys) {
    FUZZ_CHECK(k.token_type == 2 && !k.token_key.empty() && yesno::IsValidClaimName(k.claim));
    FUZZ_CHECK(k.not_before >= 0 && k.not_after > k.not_before);
  }
  const std::string json = yesno::SerializeDirectory(*dir);
  if (json.size() > yesno::kMaxDirectoryBytes) return 0;  // compact JSON can still grow (escapes, padding)
  auto again = yesno::ParseDirectory(json);
  FUZZ_CHECK(again.ok() && Same(*again, *dir));
  FUZZ_CHECK(yesno::SerializeDirectory(*again) == json);
  return 0;
}
