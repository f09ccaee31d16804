// yesno/directory.h — the issuer directory (RFC 9578 §4) with yesno's fields
// and its Ed25519 signature.
//
//   {"issuer-request-uri": "/token-request",
//    "yesno-issuer-name": "issuer.example",
//    "token-keys": [{"token-type": 2, "token-key": "<b64url SPKI>",
//                    "not-before": 1700000000, "not-after": 1702592000,
//                    "yesno-claim": "age_over_18", "yesno-issued": 12}]}
//
// The issuer's long-term Ed25519 key signs the exact bytes of the body; the
// signature travels in the header `Yesno-Directory-Signature: <b64url>`.
// Holders and verifiers pin that key and reject unsigned or mis-signed bodies.
#ifndef YESNO_DIRECTORY_H_
#define YESNO_DIRECTORY_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "yesno/bytes.h"
#include "yesno/result.h"
#include "yesno/secret_bytes.h"

namespace yesno {

inline constexpr char kMediaTypeDirectory[] = "application/private-token-issuer-directory";
inline constexpr char kDirectoryPath[] = "/.well-known/private-token-issuer-directory";
inline constexpr char kDirectorySignatureHeader[] = "Yesno-Directory-Signature";
inline constexpr std::size_t kMaxDirectoryBytes = 64 * 1024;

// Key epochs (DESIGN §4): an issuer's keys for a claim follow one grid of
// epochs of S seconds (7..365 days, whole days): epoch e's key has
// not-before = e*S and not-after = (e+1)*S + kKeyGraceSeconds, and is listed
// from kKeyPublishAheadSeconds before its epoch.
inline constexpr int64_t kKeyDaySeconds = 86400;
inline constexpr int64_t kKeyGraceSeconds = 7 * kKeyDaySeconds;
inline constexpr int64_t kKeyPublishAheadSeconds = 2 * kKeyDaySeconds;
inline constexpr int64_t kMinKeyEpochSeconds = 7 * kKeyDaySeconds;
inline constexpr int64_t kMaxKeyEpochSeconds = 365 * kKeyDaySeconds;
// Clock skew tolerated between an issuer and the parties checking it.
inline constexpr int64_t kKeyClockSkewSeconds = 3600;
// At most this many keys per claim are listed at once: the previous epoch's
// (in its grace), the current one's and the next one's.
inline constexpr std::size_t kMaxKeysPerClaim = 3;

struct DirectoryKey {
  uint16_t token_type = 2;
  Bytes token_key;      // canonical id-RSASSA-PSS SPKI
  int64_t not_before = 0;
  int64_t not_after = 0;
  std::string claim;
  std::optional<uint64_t> issued;  // tokens signed under this key so far
};

struct IssuerDirectory {
  std::string issuer_request_uri;
  std::string issuer_name;  // the TokenChallenge issuer_name of this issuer
  std::vector<DirectoryKey> keys;
};

// SerializeDirectory renders compact JSON with a fixed field order.
std::string SerializeDirectory(const IssuerDirectory& directory);
// ParseDirectory reads the JSON. Required: issuer-request-uri, yesno-issuer-
// name, token-keys; per key: token-type, token-key (base64url), not-before,
// not-after, yesno-claim (a valid claim name). Keys of token types other
// than 0x0002 are skipped; unknown fields are ignored; wrong JSON types,
// not-after <= not-before or a body over 64 KiB fail with kMalformedInput.
Result<IssuerDirectory> ParseDirectory(std::string_view body);

// CheckDirectoryKeyConsistency enforces "one key for everyone" (DESIGN §8)
// on a parsed directory at time `now`: every key sits on one epoch grid
// (window = S + grace, not-before a multiple of S, S whole days in 7..365),
// no key is listed twice or under two claims, a claim has at most one key
// per epoch and at most kMaxKeysPerClaim keys, and no key is listed earlier
// than kKeyPublishAheadSeconds (+ skew) before its epoch. An issuer that
// breaks a rule could be handing out keys that single out their holders.
// Fails with kVerificationFailed and a message naming the rule and claim.
Status CheckDirectoryKeyConsistency(const IssuerDirectory& directory, int64_t now);

// SignDirectory signs the body bytes with the issuer's Ed25519 seed and
// returns the base64url signature (padded) for the header.
Result<std::string> SignDirectory(ByteView signing_seed, std::string_view body);
// VerifyDirectorySignature checks the header value against the pinned key.
Status VerifyDirectorySignature(ByteView issuer_public_key, std::string_view body, std::string_view signature_b64);

}  // namespace yesno

#endif  // YESNO_DIRECTORY_H_
