// yesno/blind_rsa.h — RSA blind signatures, RFC 9474 (RSABSSA-SHA384-*).
//
// All four named variants are provided:
//   RSABSSA-SHA384-PSS-Randomized        salt 48, PrepareRandomize
//   RSABSSA-SHA384-PSSZERO-Randomized    salt 0,  PrepareRandomize
//   RSABSSA-SHA384-PSS-Deterministic     salt 48, PrepareIdentity  (Privacy Pass type 0x0002)
//   RSABSSA-SHA384-PSSZERO-Deterministic salt 0,  PrepareIdentity
// Every variant uses SHA-384 and MGF1-SHA-384; Verify pins both and the exact
// salt length (OpenSSL would otherwise accept any salt length).
//
// Key sizes 2048, 3072 and 4096 bits are accepted, with e = 65537.
//
// WARNING: a signing key must serve exactly one variant and one purpose
// (RFC 9474 §5.2); yesno uses one key per (claim, epoch).
#ifndef YESNO_BLIND_RSA_H_
#define YESNO_BLIND_RSA_H_

#include <cstddef>
#include <memory>
#include <string_view>

#include "yesno/bytes.h"
#include "yesno/result.h"
#include "yesno/rng.h"
#include "yesno/secret_bytes.h"

namespace yesno {

enum class BlindRsaVariant {
  kSha384PssRandomized,
  kSha384PssZeroRandomized,
  kSha384PssDeterministic,
  kSha384PssZeroDeterministic,
};

// BlindRsaVariantName returns the RFC 9474 name, e.g. "RSABSSA-SHA384-PSS-Randomized".
std::string_view BlindRsaVariantName(BlindRsaVariant variant);
// BlindRsaSaltLength is 48 for PSS variants and 0 for PSSZERO variants.
std::size_t BlindRsaSaltLength(BlindRsaVariant variant);
// BlindRsaIsRandomized tells whether the variant uses PrepareRandomize.
bool BlindRsaIsRandomized(BlindRsaVariant variant);

// kSpkiSaltLength is the only salt length an id-RSASSA-PSS SPKI may carry.
inline constexpr std::size_t kSpkiSaltLength = 48;

// RsaPublicKey is an RSA public key (n, e). Copies share one immutable OpenSSL
// key and are cheap; the type is safe to use from several threads at once.
class RsaPublicKey {
 public:
  // FromSpki parses the id-RSASSA-PSS SubjectPublicKeyInfo of RFC 9578 §6.5:
  // SHA-384, MGF1-SHA-384, salt 48, hash AlgorithmIdentifiers *without* NULL
  // parameters. Only the canonical DER encoding is accepted: anything else
  // (rsaEncryption keys, NULL parameters, other hashes or salts, trailing
  // bytes) fails with kMalformedInput.
  static Result<RsaPublicKey> FromSpki(ByteView spki);
  // FromRsaPublicKeyDer parses a PKCS#1 RSAPublicKey (DER, no trailing bytes).
  static Result<RsaPublicKey> FromRsaPublicKeyDer(ByteView der);
  // FromComponents builds a key from the big-endian modulus and exponent.
  static Result<RsaPublicKey> FromComponents(ByteView n, ByteView e);

  // modulus_bytes is the length of n in bytes (256 for RSA-2048).
  std::size_t modulus_bytes() const;
  std::size_t modulus_bits() const;
  // Spki returns the canonical id-RSASSA-PSS SPKI bytes (342 bytes at 2048 bits).
  const Bytes& Spki() const;
  // KeyId returns token_key_id = SHA-256(Spki()).
  const Bytes& KeyId() const;
  // Modulus returns n, big-endian, modulus_bytes long.
  Bytes Modulus() const;
  // RsaPublicKeyDer returns the PKCS#1 RSAPublicKey encoding.
  Bytes RsaPublicKeyDer() const;

  // Impl is defined inside core only; outside code cannot build one.
  struct Impl;
  explicit RsaPublicKey(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  const Impl& impl() const { return *impl_; }

 private:
  std::shared_ptr<const Impl> impl_;
};

// RsaPrivateKey is an RSA private key held as a plain rsaEncryption key (for
// the raw m^d mod n of BlindSign). Copies share one immutable OpenSSL key.
class RsaPrivateKey {
 public:
  // Generate creates a fresh key of `bits` (2048, 3072 or 4096), e = 65537.
  static Result<RsaPrivateKey> Generate(int bits);
  // FromDer parses a PKCS#8 PrivateKeyInfo or PKCS#1 RSAPrivateKey (DER).
  static Result<RsaPrivateKey> FromDer(ByteView der);
  // FromPem parses "-----BEGIN PRIVATE KEY-----" / "RSA PRIVATE KEY" PEM.
  static Result<RsaPrivateKey> FromPem(std::string_view pem);
  // FromComponents builds a key from n, e, d, p, q (big-endian); the CRT
  // values are derived. Used by the RFC 9474 vectors.
  static Result<RsaPrivateKey> FromComponents(ByteView n, ByteView e, ByteView d, ByteView p, ByteView q);

  // ToDer serializes PKCS#8 PrivateKeyInfo into a zeroizing buffer.
  Result<SecretBytes> ToDer() const;
  const RsaPublicKey& public_key() const { return public_key_; }

  // Impl is defined inside core only; outside code cannot build one.
  struct Impl;
  RsaPrivateKey(std::shared_ptr<const Impl> impl, RsaPublicKey pub)
      : impl_(std::move(impl)), public_key_(std::move(pub)) {}
  const Impl& impl() const { return *impl_; }

 private:
  std::shared_ptr<const Impl> impl_;
  RsaPublicKey public_key_;
};

// BlindingResult is the client's output of Blind.
struct BlindingResult {
  Bytes blinded_msg;  // modulus_bytes long; goes to the signer
  SecretBytes inv;    // r^-1 mod n, big-endian, modulus_bytes long; stays with the client
};

// BlindRsaPrepare runs Prepare (RFC 9474 §4.1): PrepareRandomize prefixes 32
// random bytes from `rng`, PrepareIdentity returns `msg` unchanged. The
// result is `input_msg`, the message that Blind, Finalize and Verify take.
Bytes BlindRsaPrepare(BlindRsaVariant variant, ByteView msg, Rng& rng);

// BlindRsaBlind runs Blind (RFC 9474 §4.2). `rng` supplies the salt (first,
// salt-length bytes) and then r by rejection sampling (modulus_bytes at a
// time). Fails with kInvalidArgument if `input_msg` is not coprime to n.
Result<BlindingResult> BlindRsaBlind(const RsaPublicKey& pk, BlindRsaVariant variant, ByteView input_msg,
                                     Rng& rng);

// BlindRsaBlindSign runs BlindSign (RFC 9474 §4.3), including the s^e == m
// check. `blinded_msg` must be exactly modulus_bytes long and < n
// (kMalformedInput otherwise).
Result<Bytes> BlindRsaBlindSign(const RsaPrivateKey& sk, ByteView blinded_msg);

// BlindRsaFinalize runs Finalize (RFC 9474 §4.4): unblinds and verifies.
// Fails with kMalformedInput for a wrong-length `blind_sig`, and with
// kVerificationFailed if the result is not a valid signature.
Result<Bytes> BlindRsaFinalize(const RsaPublicKey& pk, BlindRsaVariant variant, ByteView input_msg,
                               ByteView blind_sig, const SecretBytes& inv);

// BlindRsaVerify runs RSASSA-PSS-VERIFY with SHA-384, MGF1-SHA-384 and the
// variant's exact salt length over `input_msg`. `sig` must be exactly
// modulus_bytes long.
Status BlindRsaVerify(const RsaPublicKey& pk, BlindRsaVariant variant, ByteView input_msg, ByteView sig);

}  // namespace yesno

#endif  // YESNO_BLIND_RSA_H_
