// pop.cc — Ed25519 keys and the yesno proof of possession.
#include "yesno/pop.h"

#include <sodium.h>

#include "yesno/wire.h"

namespace yesno {

static_assert(kEd25519PublicKeyBytes == crypto_sign_PUBLICKEYBYTES);
static_assert(kEd25519SeedBytes == crypto_sign_SEEDBYTES);
static_assert(kEd25519SecretKeyBytes == crypto_sign_SECRETKEYBYTES);
static_assert(kEd25519SignatureBytes == crypto_sign_BYTES);

Ed25519KeyPair GenerateEd25519KeyPair(Rng& rng) {
  SecretBytes seed(kEd25519SeedBytes);
  rng.Fill(std::span<uint8_t>(seed.data(), seed.size()));
  auto kp = Ed25519KeyPairFromSeed(View(seed));
  if (!kp.ok()) std::abort();  // only if libsodium cannot initialise
  return std::move(*kp);
}

Result<Ed25519KeyPair> Ed25519KeyPairFromSeed(ByteView seed) {
  if (seed.size() != kEd25519SeedBytes) return MakeError(ErrorCode::kInvalidArgument, "Ed25519: seed must be 32 bytes");
  if (Status s = InitCrypto(); !s.ok()) return s.error();
  Ed25519KeyPair kp;
  kp.public_key.resize(kEd25519PublicKeyBytes);
  kp.seed = ToSecret(seed);
  SecretBytes sk(kEd25519SecretKeyBytes);
  crypto_sign_seed_keypair(kp.public_key.data(), sk.data(), seed.data());
  return kp;
}

Result<Bytes> Ed25519Sign(ByteView seed, ByteView message) {
  if (seed.size() != kEd25519SeedBytes) return MakeError(ErrorCode::kInvalidArgument, "Ed25519: seed must be 32 bytes");
  if (Status s = InitCrypto(); !s.ok()) return s.error();
  Bytes pk(kEd25519PublicKeyBytes);
  SecretBytes sk(kEd25519SecretKeyBytes);
  crypto_sign_seed_keypair(pk.data(), sk.data(), seed.data());
  Bytes sig(kEd25519SignatureBytes);
  crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), sk.data());
  return sig;
}

Status Ed25519Verify(ByteView public_key, ByteView message, ByteView signature) {
  if (public_key.size() != kEd25519PublicKeyBytes || signature.size() != kEd25519SignatureBytes) {
    return MakeError(ErrorCode::kMalformedInput, "Ed25519: bad key or signature length");
  }
  if (Status s = InitCrypto(); !s.ok()) return s.error();
  if (crypto_sign_verify_detached(signature.data(), message.data(), message.size(), public_key.data()) != 0) {
    return MakeError(ErrorCode::kVerificationFailed, "Ed25519: bad signature");
  }
  return Status::Ok();
}

Result<Bytes> PopMessage(std::string_view origin, ByteView vnonce, ByteView token) {
  wire::Writer w;
  w.WriteBytes(AsBytes(kPopContext));
  w.WriteU8(0x00);
  if (!w.WriteU16Prefixed(AsBytes(origin)) || !w.WriteU16Prefixed(vnonce)) {
    return MakeError(ErrorCode::kInvalidArgument, "PoP: origin or vnonce too long");
  }
  w.WriteBytes(token);
  return w.Take();
}

Result<Bytes> SignPop(ByteView seed, std::string_view origin, ByteView vnonce, ByteView token) {
  auto msg = PopMessage(origin, vnonce, token);
  if (!msg.ok()) return msg.error();
  return Ed25519Sign(seed, *msg);
}

Status VerifyPop(ByteView nonce, ByteView pop, std::string_view origin, ByteView vnonce, ByteView token) {
  auto msg = PopMessage(origin, vnonce, token);
  if (!msg.ok()) return msg.error();
  return Ed25519Verify(nonce, *msg, pop);
}

}  // namespace yesno
