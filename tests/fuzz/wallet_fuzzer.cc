// wallet_fuzzer.cc — the wallet file format (yesno/wallet.h) under a fixed
// key-file key: no Argon2id ever runs. The first byte picks a mode:
//   0: the rest is a whole wallet file for ParseWalletHeader and OpenWallet;
//   1: the rest is a wallet *plaintext*, sealed here behind a fixed key-file
//      header so that the fuzzer reaches the contents parser behind the AEAD.
// Properties: nothing crashes; whatever opens re-seals (same header and
// nonce) to the same file byte for byte.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "fuzz_util.h"
#include "yesno/wallet.h"

namespace {

using yesno::Bytes;
using yesno::ByteView;

constexpr std::size_t kMaxPlaintext = 64 * 1024;

const yesno::SecretBytes& Key() {
  static const yesno::SecretBytes key = yesno::fuzz::FixedKey(yesno::fuzz::kWalletKeyFill);
  return key;
}

// FixedHeader is the 82-byte header of an empty key-file wallet sealed under
// Key() with a deterministic salt and nonce.
const Bytes& FixedHeader() {
  static const Bytes header = [] {
    yesno::fuzz::DeterministicRng rng(0x3a);
    auto file = yesno::SealWallet(yesno::WalletContents{}, Key(), yesno::NewKeyFileHeader(rng), rng);
    FUZZ_CHECK(file.ok() && file->size() >= yesno::kWalletHeaderBytes);
    return Bytes(file->begin(), file->begin() + yesno::kWalletHeaderBytes);
  }();
  return header;
}

void OpenMode(ByteView file) {
  auto header = yesno::ParseWalletHeader(file);
  auto contents = yesno::OpenWallet(file, Key());
  if (!contents.ok()) return;
  FUZZ_CHECK(header.ok() && header->kdf == yesno::WalletKdf::kKeyFile);
  yesno::fuzz::ScriptedRng rng(header->nonce);
  auto again = yesno::SealWallet(*contents, Key(), *header, rng);
  FUZZ_CHECK(again.ok());
  if (contents->plaintext_version == yesno::kWalletPlaintextVersion) {
    FUZZ_CHECK(*again == yesno::ToBytes(file));
    return;
  }
  // An older plaintext is rewritten in the current version: same contents.
  auto reopened = yesno::OpenWallet(*again, Key());
  FUZZ_CHECK(reopened.ok() && reopened->tokens.size() == contents->tokens.size() &&
             reopened->issuers.size() == contents->issuers.size() && reopened->keys.empty() &&
             reopened->warnings.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0] % 2;
  const ByteView rest(data + 1, size - 1);
  if (mode == 0) {
    OpenMode(rest);
    return 0;
  }
  if (rest.size() > kMaxPlaintext) return 0;
  const Bytes& header = FixedHeader();
  auto parsed = yesno::ParseWalletHeader(header);
  FUZZ_CHECK(parsed.ok());
  Bytes file(header.size() + rest.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES);
  std::memcpy(file.data(), header.data(), header.size());
  unsigned long long ct_len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(file.data() + header.size(), &ct_len, rest.data(), rest.size(),
                                             header.data(), header.size(), nullptr, parsed->nonce.data(),
                                             Key().data());
  file.resize(header.size() + ct_len);
  OpenMode(file);
  return 0;
}
