// vnonce.cc — stateless verifier challenge nonces.
#include "yesno/vnonce.h"

#include <sodium.h>

#include "yesno/wire.h"

namespace yesno {
namespace {

constexpr char kVnonceContext[] = "yesno-vnonce-v1";
constexpr std::size_t kRandomBytes = 16;
constexpr std::size_t kTagBytes = 16;
static_assert(kVnonceBytes == 8 + kRandomBytes + kTagBytes);
static_assert(kVnonceKeyBytes == crypto_generichash_KEYBYTES);
static_assert(kTagBytes >= crypto_generichash_BYTES_MIN);

// Tag computes keyed BLAKE2b-128 over context || issued_at || random || claim.
Bytes Tag(const SecretBytes& key, ByteView issued_at_and_random, std::string_view claim) {
  crypto_generichash_state st;
  Bytes tag(kTagBytes);
  crypto_generichash_init(&st, key.data(), key.size(), kTagBytes);
  crypto_generichash_update(&st, reinterpret_cast<const uint8_t*>(kVnonceContext), sizeof(kVnonceContext) - 1);
  crypto_generichash_update(&st, issued_at_and_random.data(), issued_at_and_random.size());
  crypto_generichash_update(&st, reinterpret_cast<const uint8_t*>(claim.data()), claim.size());
  crypto_generichash_final(&st, tag.data(), tag.size());
  sodium_memzero(&st, sizeof(st));
  return tag;
}

}  // namespace

Result<Bytes> CreateVnonce(const SecretBytes& key, std::string_view claim, int64_t now, Rng& rng) {
  if (key.size() != kVnonceKeyBytes) return MakeError(ErrorCode::kInvalidArgument, "vnonce: key must be 32 bytes");
  if (now < 0) return MakeError(ErrorCode::kInvalidArgument, "vnonce: negative time");
  if (Status s = InitCrypto(); !s.ok()) return s.error();
  wire::Writer w;
  w.WriteU64(static_cast<uint64_t>(now));
  uint8_t random[kRandomBytes];
  rng.Fill(random);
  w.WriteBytes(ByteView(random, kRandomBytes));
  Bytes tag = Tag(key, w.bytes(), claim);
  w.WriteBytes(tag);
  return w.Take();
}

Status CheckVnonce(const SecretBytes& key, ByteView vnonce, std::string_view claim, int64_t now) {
  if (key.size() != kVnonceKeyBytes) return MakeError(ErrorCode::kInvalidArgument, "vnonce: key must be 32 bytes");
  if (vnonce.size() != kVnonceBytes) return MakeError(ErrorCode::kMalformedInput, "vnonce: wrong length");
  if (Status s = InitCrypto(); !s.ok()) return s.error();
  const ByteView body = vnonce.first(8 + kRandomBytes);
  if (!ConstantTimeEquals(Tag(key, body, claim), vnonce.subspan(8 + kRandomBytes))) {
    return MakeError(ErrorCode::kVerificationFailed, "vnonce: bad tag (forged, or for another claim or verifier)");
  }
  uint64_t issued_at = 0;
  wire::Reader r(body);
  if (!r.ReadU64(issued_at)) return MakeError(ErrorCode::kInternal, "vnonce: unreadable");
  if (issued_at > static_cast<uint64_t>(INT64_MAX)) return MakeError(ErrorCode::kVerificationFailed, "vnonce: stale");
  const int64_t age = now - static_cast<int64_t>(issued_at);
  if (age > kVnonceLifetimeSeconds || age < -kVnonceMaxSkewSeconds) {
    return MakeError(ErrorCode::kVerificationFailed, "vnonce: stale");
  }
  return Status::Ok();
}

}  // namespace yesno
