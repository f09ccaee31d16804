// yesno/ticket.h — sealed entitlement tickets (DESIGN §3).
//
//   ticket = "yn1." || base64url(nonce[24] || XChaCha20-Poly1305(k_ticket,
//            ad = "yesno-ticket-v1" || issuer_name, plaintext))
//
// The plaintext holds a random ticket id, the birth date, attributes and the
// expiry. Only the issuer (holder of k_ticket) can open or forge a ticket; the
// holder keeps it and presents it at refill. A ticket is a bearer credential:
// never log it.
#ifndef YESNO_TICKET_H_
#define YESNO_TICKET_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "yesno/bytes.h"
#include "yesno/claims.h"
#include "yesno/result.h"
#include "yesno/rng.h"
#include "yesno/secret_bytes.h"

namespace yesno {

inline constexpr char kTicketPrefix[] = "yn1.";
inline constexpr std::size_t kTicketKeyBytes = 32;
inline constexpr std::size_t kTicketIdBytes = 16;
inline constexpr std::size_t kMaxTicketAttributes = 32;
inline constexpr std::size_t kMaxTicketBytes = 2048;  // encoded ticket length cap

struct TicketContents {
  Bytes ticket_id;                      // 16 random bytes
  Date birth_date;
  std::vector<std::string> attributes;  // valid claim names, at most 32
  int64_t expires_at = 0;               // Unix seconds
};

// SealTicket encrypts `contents`; `contents.ticket_id` must be 16 bytes and
// the attributes valid claim names.
Result<std::string> SealTicket(const SecretBytes& key, std::string_view issuer_name, const TicketContents& contents,
                               Rng& rng);
// OpenTicket decrypts and strictly parses a ticket. A wrong key, issuer name,
// altered byte or bad format all fail with kVerificationFailed or
// kMalformedInput. It does not check the expiry (see TicketExpired).
Result<TicketContents> OpenTicket(const SecretBytes& key, std::string_view issuer_name, std::string_view ticket);
// TicketExpired tells whether `contents` is expired at `now`.
inline bool TicketExpired(const TicketContents& contents, int64_t now) { return now >= contents.expires_at; }

}  // namespace yesno

#endif  // YESNO_TICKET_H_
