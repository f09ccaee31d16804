// yesno/bytes.h — byte strings and their text encodings (hex, base64url).
#ifndef YESNO_BYTES_H_
#define YESNO_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "yesno/result.h"

namespace yesno {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

// AsBytes views the characters of `s` as bytes (no copy; `s` must outlive it).
inline ByteView AsBytes(std::string_view s) {
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}
// ToBytes copies `s` into a Bytes.
inline Bytes ToBytes(std::string_view s) { return Bytes(s.begin(), s.end()); }
// ToBytes copies `v` into a Bytes.
inline Bytes ToBytes(ByteView v) { return Bytes(v.begin(), v.end()); }
// AsString copies bytes into a std::string. Not for secrets.
inline std::string AsString(ByteView v) { return std::string(v.begin(), v.end()); }

// Concat appends every part in order.
Bytes Concat(std::initializer_list<ByteView> parts);

// HexEncode returns lowercase hex.
std::string HexEncode(ByteView in);
// HexDecode accepts upper or lower case and an optional "0x" prefix; fails on
// odd length or a non-hex character.
Result<Bytes> HexDecode(std::string_view in);

// Base64UrlEncode returns RFC 4648 §5 base64url. With `padding` (the default,
// as RFC 9577 and RFC 9578 require) the output ends in '=' as needed.
std::string Base64UrlEncode(ByteView in, bool padding = true);
// Base64UrlDecode accepts base64url with correct padding, or with none at all;
// rejects standard-alphabet characters, whitespace, and non-canonical trailing
// bits.
Result<Bytes> Base64UrlDecode(std::string_view in);

// Sha256 and Sha384 hash `in` with OpenSSL.
Bytes Sha256(ByteView in);
Bytes Sha384(ByteView in);

}  // namespace yesno

#endif  // YESNO_BYTES_H_
