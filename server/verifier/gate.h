// gate.h — the browser gate: a page a person unlocks with their wallet.
//
// A browser that nginx turned away is sent to GET /gate?claim=C&return=PATH.
// That opens a *gate session* (a random id, nothing else in its URLs) and
// shows the command `yesno prove --session URL` and a QR code of URL. The
// wallet fetches a challenge from URL and presents a token to it; when the
// answer is yes the session is *satisfied*, the page (polling
// /gate/status/ID) goes to /gate/done/ID, which sets the session cookie and
// sends the browser back to PATH. Routes and statuses: docs/api.md.
//
// This file holds the pieces VerifierService uses: the bounded in-memory
// session store, the checks on ids, return paths and the public prefix, and
// the HTML (escaped, inline CSS, no external assets).
#ifndef YESNO_SERVER_VERIFIER_GATE_H_
#define YESNO_SERVER_VERIFIER_GATE_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "html.h"
#include "yesno/bytes.h"
#include "yesno/result.h"
#include "yesno/secret_bytes.h"

namespace yesno::verifier {

inline constexpr std::size_t kGateIdBytes = 16;       // random; base64url without padding: 22 characters
inline constexpr std::size_t kGateIdChars = 22;
inline constexpr std::size_t kGateBrowserKeyBytes = 16;
inline constexpr std::size_t kMaxReturnPathBytes = 2048;
inline constexpr std::size_t kMaxPublicPrefixBytes = 128;
// A session hands out at most this many challenges; past the cap GET
// /gate/session/ID is refused (429) rather than evicting an issued one, so
// nobody can knock the wallet's challenge out by fetching more.
inline constexpr std::size_t kGateVnoncesKept = 4;
inline constexpr std::size_t kMaxDeclineBodyBytes = 1024;
inline constexpr char kGateCookiePrefix[] = "yesno_gate_";

struct GateLimits {
  std::size_t capacity = 10'000;  // open sessions; the oldest is evicted beyond this
  int64_t lifetime_seconds = 300; // a session can be answered and collected for this long
};

enum class GateState {
  kPending,    // waiting for a wallet
  kVerifying,  // a presentation is being checked (reported as pending)
  kSatisfied,  // the wallet said yes; the browser may collect its cookie once
  kRefused,    // the wallet said no, or its presentation was refused
  kCollected,  // the cookie was collected ("used")
  kExpired,    // never stored: what Find reports once the lifetime is over
};
// GateStateName is the wire name: pending, satisfied, refused, used, expired.
std::string_view GateStateName(GateState state);

struct GateSession {
  std::string id;
  std::string claim;
  std::string return_path;
  SecretBytes browser_key;  // the value of the cookie yesno_gate_<id> that binds the session to the browser that opened it
  int64_t created_at = 0;
  int64_t expires_at = 0;
  GateState state = GateState::kPending;
  std::string reason;          // refused: a fixed reason code
  std::vector<Bytes> vnonces;  // the challenges handed to wallets (at most kGateVnoncesKept)
};

// GateSessionStore is where gate sessions live: in process (GateStore,
// below) or, when the spent store is Redis, in that shared store
// (RedisGateStore, gate_redis.h) so that any replica serves any session.
// Every implementation is thread-safe and keeps these rules.
class GateSessionStore {
 public:
  enum class Claim { kOk, kUnknown, kExpired, kClosed, kUnavailable };
  // kFull: the session already handed out kGateVnoncesKept challenges; it
  // refuses more rather than evicting one a wallet may be answering.
  // kUnavailable: the shared store could not be reached.
  enum class AddVnonceResult { kAdded, kNotPending, kFull, kUnavailable };

  virtual ~GateSessionStore() = default;
  virtual const GateLimits& limits() const = 0;

  // OpenSession stores `session` (its id must be new) and returns how many
  // sessions were evicted to make room (0 or 1); kUnavailable if it cannot
  // be stored.
  virtual Result<std::size_t> OpenSession(GateSession session, int64_t now) = 0;
  // Find returns a copy; its state is kExpired once the lifetime is over
  // (unless it was refused or used). nullopt: unknown (or the store cannot
  // be read).
  virtual std::optional<GateSession> Find(std::string_view id, int64_t now) const = 0;
  // AddVnonce remembers a challenge handed to a wallet for a pending session.
  virtual AddVnonceResult AddVnonce(std::string_view id, Bytes vnonce, int64_t now) = 0;
  // BeginAnswer moves a pending session to verifying, so exactly one answer
  // is ever taken; `out` receives a copy.
  virtual Claim BeginAnswer(std::string_view id, int64_t now, GateSession& out) = 0;
  // FinishAnswer ends a verifying session: satisfied (yes) or refused(reason).
  virtual void FinishAnswer(std::string_view id, bool yes, std::string_view reason) = 0;
  // AbandonAnswer puts a verifying session back to pending (the check could
  // not be made, e.g. the spent store was down).
  virtual void AbandonAnswer(std::string_view id) = 0;
  // Collect moves a satisfied, unexpired session to used; true only once.
  virtual bool Collect(std::string_view id, int64_t now) = 0;
  // size is how many sessions this process holds in memory.
  virtual std::size_t size() const = 0;
};

// GateStore keeps gate sessions in memory, per verifier process: at most
// `capacity` (the oldest is evicted first), each answerable for
// `lifetime_seconds` and kept one more lifetime so late polls read
// "expired" rather than "unknown". Thread-safe.
class GateStore final : public GateSessionStore {
 public:
  explicit GateStore(GateLimits limits) : limits_(limits) {}
  GateStore(const GateStore&) = delete;
  GateStore& operator=(const GateStore&) = delete;

  const GateLimits& limits() const override { return limits_; }
  Result<std::size_t> OpenSession(GateSession session, int64_t now) override { return Open(std::move(session), now); }
  // Open is OpenSession, which cannot fail in memory.
  std::size_t Open(GateSession session, int64_t now);
  std::optional<GateSession> Find(std::string_view id, int64_t now) const override;
  // AddVnonce: a session that already handed out kGateVnoncesKept gets kFull
  // and keeps the ones it has (never evicts a wallet's challenge).
  AddVnonceResult AddVnonce(std::string_view id, Bytes vnonce, int64_t now) override;
  Claim BeginAnswer(std::string_view id, int64_t now, GateSession& out) override;
  void FinishAnswer(std::string_view id, bool yes, std::string_view reason) override;
  void AbandonAnswer(std::string_view id) override;
  bool Collect(std::string_view id, int64_t now) override;
  std::size_t size() const override;

 private:
  GateState EffectiveState(const GateSession& s, int64_t now) const;
  void PurgeLocked(int64_t now);

  const GateLimits limits_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, GateSession> sessions_;
  std::deque<std::string> order_;  // ids by creation time (= by expiry: one lifetime for all)
};

// IsGateId checks the shape of a session id: 22 base64url characters.
bool IsGateId(std::string_view id);

// GateReturnParam extracts `return` from a request target. To let nginx pass
// `$request_uri` unescaped, `return` is the last parameter and its value runs
// to the end of the target ("?claim=C&return=/a/?x=1&y=2" gives "/a/?x=1&y=2");
// a value that starts with "%2F" is percent-decoded once instead (a client
// that escaped it; if that does not decode, "", which IsSafeReturnPath
// refuses). Absent: nullopt.
std::optional<std::string> GateReturnParam(std::string_view target);
// IsSafeReturnPath accepts a same-origin absolute path: it starts with '/'
// but not "//" or "/\", holds only printable ASCII other than '\' (no spaces,
// no control characters), and is at most kMaxReturnPathBytes long.
bool IsSafeReturnPath(std::string_view path);
// IsValidPublicPrefix accepts "" or "/seg[/seg...]" of [A-Za-z0-9._~-], no
// trailing '/', at most kMaxPublicPrefixBytes.
bool IsValidPublicPrefix(std::string_view prefix);

// HtmlEscape (server/common/html.h) escapes & < > " ' for HTML.
using server::HtmlEscape;
// PercentEncode escapes everything but unreserved characters (RFC 3986).
std::string PercentEncode(std::string_view text);

// ClaimPhrase is the claim in plain words, completing "that you are ...":
// "over 18" for age_over_18, otherwise `"<claim>"` verbatim.
std::string ClaimPhrase(std::string_view claim);
// RefusalMessage explains a refusal reason in plain words.
std::string RefusalMessage(std::string_view reason, std::string_view claim);

// --- pages -------------------------------------------------------------------------

struct GatePage {
  std::string claim;
  std::string session_url;  // absolute: what the wallet connects to
  std::string qr_svg;       // inline <svg>, or empty
  std::string status_url;   // same-origin paths for the browser
  std::string done_url;
  std::string return_url;   // the same-origin path the visitor asked for
  std::string retry_url;
  int64_t lifetime_seconds = 300;
  std::string script_nonce; // CSP nonce of the inline style and script
};
// RenderGatePage is the page that asks the person to prove the claim.
std::string RenderGatePage(const GatePage& page);

struct GateMessage {
  std::string title;        // plain text
  std::string heading;      // plain text
  std::vector<std::string> paragraphs;  // plain text
  std::string link_url;     // optional "try again"/"continue" link
  std::string link_text;
  std::string script_nonce;
};
// RenderGateMessage is a small page with a heading, text and one link.
std::string RenderGateMessage(const GateMessage& message);

// GateContentSecurityPolicy allows only the page's own inline style and
// script (by nonce), data: images and fetches to its own origin.
std::string GateContentSecurityPolicy(std::string_view nonce);

}  // namespace yesno::verifier

#endif  // YESNO_SERVER_VERIFIER_GATE_H_
