// ticket.cc — sealed entitlement tickets (XChaCha20-Poly1305).
#include "yesno/ticket.h"

#include <sodium.h>

#include "yesno/wire.h"

namespace yesno {
namespace {

constexpr char kTicketAdContext[] = "yesno-ticket-v1";
constexpr uint8_t kPlaintextVersion = 1;
constexpr std::size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;
static_assert(kTicketKeyBytes == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);

Bytes AssociatedData(std::string_view issuer_name) {
  return Concat({AsBytes(kTicketAdContext), AsBytes(issuer_name)});
}

Error Rejected(const char* what) { return MakeError(ErrorCode::kVerificationFailed, what); }

}  // namespace

Result<std::string> SealTicket(const SecretBytes& key, std::string_view issuer_name, const TicketContents& contents,
                               Rng& rng) {
  if (key.size() != kTicketKeyBytes) return MakeError(ErrorCode::kInvalidArgument, "ticket: key must be 32 bytes");
  if (contents.ticket_id.size() != kTicketIdBytes || !IsValidDate(contents.birth_date) ||
      contents.attributes.size() > kMaxTicketAttributes || contents.expires_at <= 0) {
    return MakeError(ErrorCode::kInvalidArgument, "ticket: bad id, birth date, attributes or expiry");
  }
  if (Status s = InitCrypto(); !s.ok()) return s.error();
  // The plaintext holds the birth date: build it in a zeroizing buffer,
  // reserved up front so that it never reallocates (and leaves no copy).
  SecretBytes pt;
  pt.reserve(1 + kTicketIdBytes + 4 + 8 + 1 + kMaxTicketAttributes * (1 + kMaxClaimNameBytes));
  auto put_be = [&pt](uint64_t v, int bytes) {
    for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8) pt.push_back(static_cast<uint8_t>(v >> shift));
  };
  put_be(kPlaintextVersion, 1);
  pt.insert(pt.end(), contents.ticket_id.begin(), contents.ticket_id.end());
  put_be(static_cast<uint64_t>(contents.birth_date.year), 2);
  put_be(static_cast<uint64_t>(contents.birth_date.month), 1);
  put_be(static_cast<uint64_t>(contents.birth_date.day), 1);
  put_be(static_cast<uint64_t>(contents.expires_at), 8);
  put_be(contents.attributes.size(), 1);
  for (const auto& a : contents.attributes) {
    if (!IsValidClaimName(a)) return MakeError(ErrorCode::kInvalidArgument, "ticket: attribute is not a valid claim name");
    put_be(a.size(), 1);
    pt.insert(pt.end(), a.begin(), a.end());
  }

  Bytes sealed(kNonceBytes + pt.size() + kTagBytes);
  rng.Fill(std::span<uint8_t>(sealed.data(), kNonceBytes));
  const Bytes ad = AssociatedData(issuer_name);
  unsigned long long ct_len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(sealed.data() + kNonceBytes, &ct_len, pt.data(), pt.size(), ad.data(),
                                             ad.size(), nullptr, sealed.data(), key.data());
  sealed.resize(kNonceBytes + ct_len);
  return std::string(kTicketPrefix) + Base64UrlEncode(sealed, /*padding=*/false);
}

Result<TicketContents> OpenTicket(const SecretBytes& key, std::string_view issuer_name, std::string_view ticket) {
  if (key.size() != kTicketKeyBytes) return MakeError(ErrorCode::kInvalidArgument, "ticket: key must be 32 bytes");
  constexpr std::string_view kPrefix = kTicketPrefix;
  // SealTicket writes unpadded base64url: refuse '=' so that each ticket has one encoding.
  if (ticket.size() > kMaxTicketBytes || ticket.substr(0, kPrefix.size()) != kPrefix ||
      ticket.find('=') != std::string_view::npos) {
    return MakeError(ErrorCode::kMalformedInput, "ticket: not a yn1 ticket");
  }
  auto sealed = Base64UrlDecode(ticket.substr(kPrefix.size()));
  if (!sealed.ok() || sealed->size() < kNonceBytes + kTagBytes) {
    return MakeError(ErrorCode::kMalformedInput, "ticket: bad encoding");
  }
  if (Status s = InitCrypto(); !s.ok()) return s.error();
  const Bytes ad = AssociatedData(issuer_name);
  SecretBytes pt(sealed->size() - kNonceBytes - kTagBytes);
  unsigned long long pt_len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(pt.data(), &pt_len, nullptr, sealed->data() + kNonceBytes,
                                                 sealed->size() - kNonceBytes, ad.data(), ad.size(), sealed->data(),
                                                 key.data()) != 0) {
    return Rejected("ticket: authentication failed");
  }
  pt.resize(static_cast<std::size_t>(pt_len));

  wire::Reader r(View(pt));
  TicketContents c;
  uint8_t version = 0, month = 0, day = 0, n_attrs = 0;
  uint16_t year = 0;
  uint64_t expires_at = 0;
  if (!r.ReadU8(version) || version != kPlaintextVersion || !r.ReadBytes(kTicketIdBytes, c.ticket_id) ||
      !r.ReadU16(year) || !r.ReadU8(month) || !r.ReadU8(day) || !r.ReadU64(expires_at) || !r.ReadU8(n_attrs) ||
      n_attrs > kMaxTicketAttributes) {
    return Rejected("ticket: bad contents");
  }
  c.birth_date = Date{year, month, day};
  c.expires_at = static_cast<int64_t>(expires_at);
  for (uint8_t i = 0; i < n_attrs; ++i) {
    Bytes name;
    if (!r.ReadU8Prefixed(name) || !IsValidClaimName(AsString(name))) return Rejected("ticket: bad attribute");
    c.attributes.push_back(AsString(name));
  }
  if (!r.empty() || !IsValidDate(c.birth_date) || c.expires_at <= 0) return Rejected("ticket: bad contents");
  return c;
}

}  // namespace yesno
