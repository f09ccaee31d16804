// native_host.h — `yesno native-host`: the wallet as a Chrome native
// messaging host for the yesno browser extension (browser/extension/).
//
// Framing (Chrome native messaging): each message is a u32 little-endian
// length followed by that many bytes of UTF-8 JSON, in both directions.
// Every request is an object with a string `type`; every reply has one too.
// Requests are capped at kMaxHostRequestBytes, replies at kMaxHostReplyBytes
// (Chrome's own cap on host → browser messages is 1 MB).
//
// Requests (fields beyond `type`; `passphrase` wherever the wallet must be
// unlocked and no key file is configured — used once, never stored):
//   info                         → {type:"info", version, unlock:"key_file"|"passphrase", wallet_exists}
//   status                       → {type:"status", issuers:[{name, claims:{C:{unused, spent}}}]}
//   prove     session, origin    → {type:"prove", answer:"yes"|"no", claim, issuer?, reason?, message?}
//             (origin = the tab's top-level origin; a session on another
//              origin is refused before any network request)
//   decline   session, origin    → {type:"decline", answer:"no", reason:"declined", told}
//             (tells the gate page "no" with one of the session's vnonces,
//              as `yesno prove --decline --session` does; opens no wallet)
//   authorize www_authenticate, url
//                                → {type:"authorize", answer:"yes", authorization, issuer, claim}
//                                  or {type:"authorize", answer:"no", reason, message}
//   refill    if_due?, claim?    → {type:"refill", claims, notes}
//   enroll    issuer, issuer_key, ticket → {type:"enroll", issuer, claims}
// Anything else, and every failure: {type:"error", reason, message} with
// reason one of: malformed_json, malformed_message, missing_type,
// unknown_type, bad_request, oversized, truncated, reply_too_large,
// passphrase_required, wrong_passphrase, no_wallet, another_site,
// wallet_error (native_host.cc; message is plain words for the window).
//
// The host runs each request in process with a fresh Env (and so a fresh
// HTTP client: no TLS session or connection is reused between
// presentations, DESIGN §8), and never writes anything but frames to stdout.
#ifndef YESNO_CLIENT_NATIVE_HOST_H_
#define YESNO_CLIENT_NATIVE_HOST_H_

#include <cstddef>
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "wallet_commands.h"

namespace yesno::cli {

inline constexpr char kNativeHostName[] = "org.yesno.wallet";
inline constexpr std::size_t kMaxHostRequestBytes = 64 * 1024;
inline constexpr std::size_t kMaxHostReplyBytes = 1000 * 1000;

// HandleHostRequest answers one request (its JSON text). `request` is wiped
// before returning (it may hold a passphrase or a ticket).
nlohmann::json HandleHostRequest(const Env& env, std::string& request);

// RunNativeHost reads frames from `in` and writes a reply frame for each to
// `out` until `in` ends. A truncated frame is answered with an error and
// ends the loop; an oversized one is skipped (answered with an error).
// Returns kExitYes on a clean end of input, kExitError after a truncated
// frame.
int RunNativeHost(const Env& env, std::istream& in, std::ostream& out);

// EncodeHostFrame is the u32 LE length + bytes of `reply` (replaced by an
// error if it would exceed kMaxHostReplyBytes).
std::string EncodeHostFrame(const nlohmann::json& reply);

// ClaimPhraseForPeople is "over 18" for age_over_18, else the quoted claim.
std::string ClaimPhraseForPeople(std::string_view claim);

// AddBrowserCommands registers `native-host` and `browser install|uninstall`.
void AddBrowserCommands(CLI::App& app, Env& env, std::function<int()>& run);

}  // namespace yesno::cli

#endif  // YESNO_CLIENT_NATIVE_HOST_H_
