// ticket_fuzzer.cc — sealed entitlement tickets (DESIGN §3) under a fixed
// test key. The first byte picks a mode:
//   0: the rest is a ticket string for OpenTicket;
//   1: the rest is a ticket *plaintext*, sealed here with a fixed nonce so
//      that the fuzzer reaches the contents parser behind the AEAD;
//   2: the rest drives FuzzedDataProvider to build TicketContents for a
//      SealTicket -> OpenTicket round trip.
// Properties: nothing crashes; whatever opens re-seals (same nonce) to the
// same ticket string byte for byte; whatever seals opens to equal contents,
// and only under its own issuer name.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "yesno/ticket.h"

namespace {

using yesno::Bytes;
using yesno::ByteView;
using yesno::fuzz::ScriptedRng;

constexpr std::size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;

const yesno::SecretBytes& Key() {
  static const yesno::SecretBytes key = yesno::fuzz::FixedKey(yesno::fuzz::kTicketKeyFill);
  return key;
}

bool Same(const yesno::TicketContents& a, const yesno::TicketContents& b) {
  return a.ticket_id == b.ticket_id && a.birth_date == b.birth_date && a.attributes == b.attributes &&
         a.expires_at == b.expires_at;
}

// Reseal checks that an opened ticket seals, with its own nonce, to itself.
void CheckResealsTo(const yesno::TicketContents& contents, std::string_view issuer, std::string_view ticket) {
  auto sealed = yesno::Base64UrlDecode(ticket.substr(4));
  FUZZ_CHECK(sealed.ok() && sealed->size() >= kNonceBytes);
  ScriptedRng rng(ByteView(sealed->data(), kNonceBytes));
  auto again = yesno::SealTicket(Key(), issuer, contents, rng);
  FUZZ_CHECK(again.ok() && *again == ticket);
}

std::string SealPlaintext(ByteView plaintext, std::string_view issuer) {
  static const uint8_t kNonce[kNonceBytes] = {0x4e, 0x6f, 0x6e, 0x63, 0x65};
  const std::string ad = std::string("yesno-ticket-v1") + std::string(issuer);
  Bytes sealed(kNonceBytes + plaintext.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES);
  std::memcpy(sealed.data(), kNonce, kNonceBytes);
  unsigned long long ct_len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(sealed.data() + kNonceBytes, &ct_len, plaintext.data(), plaintext.size(),
                                             reinterpret_cast<const uint8_t*>(ad.data()), ad.size(), nullptr, kNonce,
                                             Key().data());
  sealed.resize(kNonceBytes + ct_len);
  return std::string(yesno::kTicketPrefix) + yesno::Base64UrlEncode(sealed, /*padding=*/false);
}

void OpenMode(std::string_view ticket) {
  const std::string_view issuer = yesno::fuzz::kIssuerName;
  auto contents = yesno::OpenTicket(Key(), issuer, ticket);
  if (!contents.ok()) return;
  CheckResealsTo(*contents, issuer, ticket);
}

void RoundTripMode(const uint8_t* data, std::size_t size) {
  FuzzedDataProvider fdp(data, size);
  const std::string issuer = fdp.ConsumeRandomLengthString(64);
  yesno::TicketContents contents;
  contents.ticket_id = fdp.ConsumeBytes<uint8_t>(fdp.ConsumeBool() ? yesno::kTicketIdBytes : fdp.ConsumeIntegral<uint8_t>());
  contents.birth_date.year = fdp.ConsumeIntegralInRange<int>(-1, 10000);
  contents.birth_date.month = fdp.ConsumeIntegralInRange<int>(-1, 13);
  contents.birth_date.day = fdp.ConsumeIntegralInRange<int>(-1, 32);
  contents.expires_at = fdp.ConsumeIntegral<int64_t>();
  const std::size_t n_attrs = fdp.ConsumeIntegralInRange<std::size_t>(0, 40);
  for (std::size_t i = 0; i < n_attrs && fdp.remaining_bytes() > 0; ++i) {
    contents.attributes.push_back(fdp.ConsumeRandomLengthString(40));
  }
  const Bytes nonce = fdp.ConsumeBytes<uint8_t>(kNonceBytes);
  if (nonce.size() != kNonceBytes) return;
  ScriptedRng rng(nonce);
  auto ticket = yesno::SealTicket(Key(), issuer, contents, rng);
  if (!ticket.ok()) return;
  FUZZ_CHECK(ticket->size() <= yesno::kMaxTicketBytes);
  auto opened = yesno::OpenTicket(Key(), issuer, *ticket);
  FUZZ_CHECK(opened.ok() && Same(*opened, contents));
  CheckResealsTo(*opened, issuer, *ticket);
  FUZZ_CHECK(!yesno::OpenTicket(Key(), issuer + "x", *ticket).ok());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0] % 3;
  ++data;
  --size;
  switch (mode) {
    case 0: OpenMode(std::string_view(reinterpret_cast<const char*>(data), size)); break;
    case 1:
      if (size <= 1024) OpenMode(SealPlaintext(ByteView(data, size), yesno::fuzz::kIssuerName));
      break;
    default: RoundTripMode(data, size); break;
  }
  return 0;
}
