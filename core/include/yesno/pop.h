// yesno/pop.h — holder binding: Ed25519 proof of possession (DESIGN §3).
//
// A yesno token's 32-byte nonce is a fresh Ed25519 public key. Presenting the
// token, the wallet signs, with that key,
//   "yesno-pop-v1" || 0x00 || u16(len(origin)) || origin
//                  || u16(len(vnonce)) || vnonce || token
// so a stolen token is useless without its key, and a presentation cannot be
// replayed at another origin or against another challenge.
#ifndef YESNO_POP_H_
#define YESNO_POP_H_

#include <cstddef>
#include <string_view>

#include "yesno/bytes.h"
#include "yesno/result.h"
#include "yesno/rng.h"
#include "yesno/secret_bytes.h"

namespace yesno {

inline constexpr std::size_t kEd25519PublicKeyBytes = 32;
inline constexpr std::size_t kEd25519SeedBytes = 32;
inline constexpr std::size_t kEd25519SecretKeyBytes = 64;
inline constexpr std::size_t kEd25519SignatureBytes = 64;
inline constexpr char kPopContext[] = "yesno-pop-v1";

// Ed25519KeyPair holds a public key and its 32-byte seed.
struct Ed25519KeyPair {
  Bytes public_key;  // 32 bytes
  SecretBytes seed;  // 32 bytes
};

// GenerateEd25519KeyPair draws a seed from `rng`.
Ed25519KeyPair GenerateEd25519KeyPair(Rng& rng);
// Ed25519KeyPairFromSeed derives the key pair of a 32-byte seed.
Result<Ed25519KeyPair> Ed25519KeyPairFromSeed(ByteView seed);
// Ed25519Sign signs `message` with the key of `seed` (64-byte signature).
Result<Bytes> Ed25519Sign(ByteView seed, ByteView message);
// Ed25519Verify checks a 64-byte signature under a 32-byte public key.
Status Ed25519Verify(ByteView public_key, ByteView message, ByteView signature);

// PopMessage builds the exact signed message; fails if origin or vnonce is
// longer than 65535 bytes.
Result<Bytes> PopMessage(std::string_view origin, ByteView vnonce, ByteView token);
// SignPop signs PopMessage(origin, vnonce, token) with the token's key seed.
Result<Bytes> SignPop(ByteView seed, std::string_view origin, ByteView vnonce, ByteView token);
// VerifyPop checks `pop` under `nonce` (the token's nonce = public key).
Status VerifyPop(ByteView nonce, ByteView pop, std::string_view origin, ByteView vnonce, ByteView token);

}  // namespace yesno

#endif  // YESNO_POP_H_
