// spki_fuzzer.cc — RsaPublicKey::FromSpki (the canonical id-RSASSA-PSS SPKI
// of RFC 9578 §6.5) and RsaPublicKey::FromRsaPublicKeyDer (PKCS#1): never
// crash; whatever parses re-serializes byte for byte, and the two encodings
// of one key agree with each other and with the key id.
#include <cstddef>
#include <cstdint>

#include "fuzz_util.h"
#include "yesno/blind_rsa.h"

namespace {

void CheckKey(const yesno::RsaPublicKey& key) {
  FUZZ_CHECK(key.KeyId() == yesno::Sha256(key.Spki()));
  FUZZ_CHECK(key.modulus_bytes() * 8 == key.modulus_bits());
  auto from_der = yesno::RsaPublicKey::FromRsaPublicKeyDer(key.RsaPublicKeyDer());
  FUZZ_CHECK(from_der.ok() && from_der->Spki() == key.Spki());
  auto from_spki = yesno::RsaPublicKey::FromSpki(key.Spki());
  FUZZ_CHECK(from_spki.ok() && from_spki->RsaPublicKeyDer() == key.RsaPublicKeyDer());
  auto from_components = yesno::RsaPublicKey::FromComponents(key.Modulus(), yesno::Bytes{0x01, 0x00, 0x01});
  FUZZ_CHECK(from_components.ok() && from_components->KeyId() == key.KeyId());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const yesno::ByteView in(data, size);
  if (auto key = yesno::RsaPublicKey::FromSpki(in); key.ok()) {
    FUZZ_CHECK(key->Spki() == yesno::ToBytes(in));
    CheckKey(*key);
  }
  if (auto key = yesno::RsaPublicKey::FromRsaPublicKeyDer(in); key.ok()) {
    FUZZ_CHECK(key->RsaPublicKeyDer() == yesno::ToBytes(in));
    CheckKey(*key);
  }
  return 0;
}
