// gate.cc — gate sessions, path checks and the gate's HTML.
#include "gate.h"

#include <algorithm>

#include "http_server.h"
#include "yesno/claims.h"

namespace yesno::verifier {

std::string_view GateStateName(GateState state) {
  switch (state) {
    case GateState::kPending:
    case GateState::kVerifying:
      return "pending";
    case GateState::kSatisfied:
      return "satisfied";
    case GateState::kRefused:
      return "refused";
    case GateState::kCollected:
      return "used";
    case GateState::kExpired:
      return "expired";
  }
  return "expired";
}

// --- the store -----------------------------------------------------------------------

GateState GateStore::EffectiveState(const GateSession& s, int64_t now) const {
  if (s.state == GateState::kRefused || s.state == GateState::kCollected) return s.state;
  return now >= s.expires_at ? GateState::kExpired : s.state;
}

void GateStore::PurgeLocked(int64_t now) {
  // Every session has the same lifetime, so creation order is expiry order.
  while (!order_.empty()) {
    auto it = sessions_.find(order_.front());
    if (it != sessions_.end() && it->second.expires_at + limits_.lifetime_seconds > now) break;
    if (it != sessions_.end()) sessions_.erase(it);
    order_.pop_front();
  }
}

std::size_t GateStore::Open(GateSession session, int64_t now) {
  std::lock_guard<std::mutex> lock(mu_);
  PurgeLocked(now);
  std::size_t evicted = 0;
  while (!order_.empty() && sessions_.size() >= std::max<std::size_t>(limits_.capacity, 1)) {
    evicted += sessions_.erase(order_.front());
    order_.pop_front();
  }
  session.created_at = now;
  session.expires_at = now + limits_.lifetime_seconds;
  order_.push_back(session.id);
  std::string id = session.id;
  sessions_[std::move(id)] = std::move(session);
  return evicted;
}

std::optional<GateSession> GateStore::Find(std::string_view id, int64_t now) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(std::string(id));
  if (it == sessions_.end()) return std::nullopt;
  GateSession copy = it->second;
  copy.state = EffectiveState(it->second, now);
  return copy;
}

GateStore::AddVnonceResult GateStore::AddVnonce(std::string_view id, Bytes vnonce, int64_t now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(std::string(id));
  if (it == sessions_.end() || EffectiveState(it->second, now) != GateState::kPending) {
    return AddVnonceResult::kNotPending;
  }
  auto& v = it->second.vnonces;
  // Never evict: an issued challenge may be the wallet's.
  if (v.size() >= kGateVnoncesKept) return AddVnonceResult::kFull;
  v.push_back(std::move(vnonce));
  return AddVnonceResult::kAdded;
}

GateStore::Claim GateStore::BeginAnswer(std::string_view id, int64_t now, GateSession& out) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(std::string(id));
  if (it == sessions_.end()) return Claim::kUnknown;
  const GateState state = EffectiveState(it->second, now);
  if (state == GateState::kExpired) return Claim::kExpired;
  if (state != GateState::kPending) return Claim::kClosed;
  it->second.state = GateState::kVerifying;
  out = it->second;
  return Claim::kOk;
}

void GateStore::FinishAnswer(std::string_view id, bool yes, std::string_view reason) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(std::string(id));
  if (it == sessions_.end() || it->second.state != GateState::kVerifying) return;
  it->second.state = yes ? GateState::kSatisfied : GateState::kRefused;
  it->second.reason = yes ? "" : std::string(reason);
  it->second.vnonces.clear();
}

void GateStore::AbandonAnswer(std::string_view id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(std::string(id));
  if (it != sessions_.end() && it->second.state == GateState::kVerifying) it->second.state = GateState::kPending;
}

bool GateStore::Collect(std::string_view id, int64_t now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(std::string(id));
  if (it == sessions_.end() || EffectiveState(it->second, now) != GateState::kSatisfied) return false;
  it->second.state = GateState::kCollected;
  return true;
}

std::size_t GateStore::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sessions_.size();
}

// --- checks --------------------------------------------------------------------------

namespace {

bool IsBase64UrlChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

}  // namespace

bool IsGateId(std::string_view id) {
  return id.size() == kGateIdChars && std::all_of(id.begin(), id.end(), IsBase64UrlChar);
}

std::optional<std::string> GateReturnParam(std::string_view target) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view query = target.substr(q + 1);
  constexpr std::string_view kKey = "return=";
  std::size_t pos = 0;
  while (pos <= query.size()) {
    if (query.substr(pos, kKey.size()) == kKey) {
      const std::string_view value = query.substr(pos + kKey.size());
      if (value.size() >= 3 && value[0] == '%' && value[1] == '2' && (value[2] == 'F' || value[2] == 'f')) {
        // Undecodable: an empty path, which IsSafeReturnPath refuses (never the default).
        // '+' stays '+': a path may hold one.
        return server::PercentDecode(value, /*plus_is_space=*/false).value_or(std::string());
      }
      return std::string(value);
    }
    const auto amp = query.find('&', pos);
    if (amp == std::string_view::npos) break;
    pos = amp + 1;
  }
  return std::nullopt;
}

bool IsSafeReturnPath(std::string_view path) {
  if (path.empty() || path.size() > kMaxReturnPathBytes || path[0] != '/') return false;
  if (path.size() >= 2 && (path[1] == '/' || path[1] == '\\')) return false;
  return std::all_of(path.begin(), path.end(), [](char c) { return c > 0x20 && c < 0x7f && c != '\\'; });
}

bool IsValidPublicPrefix(std::string_view prefix) {
  if (prefix.empty()) return true;
  if (prefix.size() > kMaxPublicPrefixBytes || prefix[0] != '/' || prefix.back() == '/') return false;
  if (prefix.find("//") != std::string_view::npos) return false;
  return std::all_of(prefix.begin(), prefix.end(), [](char c) {
    return IsBase64UrlChar(c) || c == '/' || c == '.' || c == '~';
  });
}

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (IsBase64UrlChar(c) || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

std::string ClaimPhrase(std::string_view claim) {
  if (auto n = AgeClaimThreshold(claim)) return "over " + std::to_string(*n);
  return "\u201c" + std::string(claim) + "\u201d";
}

std::string RefusalMessage(std::string_view reason, std::string_view claim) {
  const std::string phrase = ClaimPhrase(claim);
  if (reason == "declined") {
    return "Your wallet answered no: it holds no proof that you are " + phrase + ". Nothing else was shared.";
  }
  if (reason == "unavailable") return "The site could not check the proof just now. Please try again in a moment.";
  if (reason == "wrong_claim") return "Your wallet proved something other than that you are " + phrase + ".";
  if (reason == "replayed") return "The proof your wallet sent had been used before, so it was not accepted.";
  if (reason == "stale_nonce") return "The proof your wallet sent was for another or an older request.";
  if (reason == "bad_pop") return "The proof your wallet sent was made for another website, so it was not accepted.";
  if (reason == "expired" || reason == "unknown_key") {
    return "The proof your wallet sent comes from a key this site does not accept (now). Refreshing the wallet may help.";
  }
  return "The proof your wallet sent was not accepted.";
}

// --- HTML ----------------------------------------------------------------------------

namespace {

constexpr char kStyle[] = R"css(
:root{color-scheme:light dark;--fg:#1b1b1f;--bg:#fafaf7;--muted:#55555f;--card:#fff;--line:#d9d9de;--ok:#0b6b2f;--no:#a11a1a;--accent:#2748b3}
@media (prefers-color-scheme:dark){:root{--fg:#ececf0;--bg:#16161a;--muted:#b4b4bf;--card:#1f1f25;--line:#3a3a44;--ok:#5fd38a;--no:#ff8a8a;--accent:#9db3ff}}
*{box-sizing:border-box}
[hidden]{display:none!important}
body{margin:0;font:1.05rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:44rem;margin:0 auto;padding:1.5rem 1.25rem 3rem}
h1{font-size:1.7rem;line-height:1.25;margin:.5rem 0 1rem}
h2{font-size:1.15rem;margin:0 0 .5rem}
section{background:var(--card);border:1px solid var(--line);border-radius:.75rem;padding:1rem 1.25rem;margin:1rem 0}
ul,ol{padding-left:1.4rem;margin:.25rem 0}
li{margin:.25rem 0}
.shared li::marker{content:"\2713  ";color:var(--ok)}
.kept li::marker{content:"\2717  ";color:var(--no)}
pre{white-space:pre-wrap;word-break:normal;overflow-wrap:anywhere;background:var(--bg);border:1px solid var(--line);border-radius:.5rem;padding:.6rem .75rem;margin:.5rem 0;font-size:.95rem}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.qr{display:flex;gap:1.25rem;align-items:center;flex-wrap:wrap}
.qr svg{flex:none;border-radius:.25rem;max-width:100%;height:auto}
.qr p{flex:1 1 12rem;min-width:0;overflow-wrap:anywhere;margin:0}
main{overflow-wrap:anywhere}
button.wallet{font:inherit;font-weight:600;padding:.6rem 1.1rem;border-radius:.5rem;border:2px solid var(--accent);background:var(--accent);color:var(--card);cursor:pointer}
button.wallet:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
button.wallet:disabled{opacity:.6;cursor:default}
details{margin:1rem 0}
summary{cursor:pointer;font-weight:600}
.muted{color:var(--muted);font-size:.95rem}
#status{font-weight:600;font-size:1.1rem;margin:.25rem 0 .75rem}
#status.ok{color:var(--ok)}
#status.no{color:var(--no)}
a{color:var(--accent)}
a.button{display:inline-block;padding:.55rem 1rem;border:2px solid var(--accent);border-radius:.5rem;text-decoration:none;font-weight:600}
a.button:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
)css";

// The status poller: reads its URLs from data- attributes (nothing is
// interpolated into the script), polls once a second, and on "satisfied"
// (or the extension's "yes") collects the cookie from the done URL and goes
// back to the page.
constexpr char kScript[] = R"js(
(function () {
  var main = document.getElementById("gate");
  var status = document.getElementById("status");
  var retry = document.getElementById("retry");
  var how = document.getElementById("how");
  var wallet = document.getElementById("wallet-extension");
  function say(text, cls) { status.textContent = text; status.className = cls || ""; }
  // After an answer the command and the QR code are used up: hide them.
  function answered() { how.hidden = true; wallet.hidden = true; }
  function end(text) { say(text, "no"); answered(); retry.hidden = false; }
  // The yesno browser extension marks the page; then its button is shown.
  function reveal() { if (!how.hidden) wallet.hidden = false; }
  if (document.documentElement.hasAttribute("data-yesno-wallet")) reveal();
  document.addEventListener("yesno-wallet", reveal);
  var timer = null, busy = false, again = false, collecting = false;
  // After a yes: one navigation instead of two. The done URL, fetched, sets
  // the session cookie and answers 303; then the page the visitor wanted is
  // loaded directly. Any other answer (not satisfied after all, another
  // browser, a network error): the browser opens the done URL itself, which
  // says why.
  function collect() {
    if (collecting) return;
    collecting = true;
    clearTimeout(timer);
    say("Proved. Taking you back\u2026", "ok");
    answered();
    fetch(main.dataset.done, {cache: "no-store", credentials: "same-origin", redirect: "manual"})
      .then(function (r) {
        window.location.replace(r.type === "opaqueredirect" ? main.dataset.return : main.dataset.done);
      })
      .catch(function () { window.location.replace(main.dataset.done); });
  }
  function later(ms) { clearTimeout(timer); timer = setTimeout(poll, ms); }
  function poll() {
    if (busy) { again = true; return; }  // asked again during a check: check once more right after
    busy = true;
    again = false;
    fetch(main.dataset.status, {cache: "no-store", credentials: "same-origin"})
      .then(function (r) { return r.status === 404 ? {state: "expired"} : r.json(); })
      .then(function (s) {
        busy = false;
        if (s.state === "satisfied") {
          collect();
        } else if (s.state === "refused") {
          end(s.message || "Your wallet did not prove it.");
        } else if (s.state === "expired" || s.state === "used") {
          end("This request has expired. Start again to get a new one.");
        } else {
          later(again ? 0 : 1000);
        }
      })
      .catch(function () { busy = false; later(3000); });
  }
  // The extension says when the wallet has answered: look at once. On its
  // "yes" go straight to the done URL (it checks the session itself, and
  // answers 403 with the reason if it is not satisfied): no status round trip.
  document.addEventListener("yesno-answered", function () { later(0); });
  document.addEventListener("yesno-proved", collect);
  later(1000);
})();
)js";

std::string Head(const std::string& title, const std::string& nonce, const std::string& noscript_refresh) {
  std::string h =
      "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta name=\"referrer\" content=\"no-referrer\">\n"
      "<title>" + HtmlEscape(title) + "</title>\n";
  if (!noscript_refresh.empty()) {
    h += "<noscript><meta http-equiv=\"refresh\" content=\"5;url=" + HtmlEscape(noscript_refresh) + "\"></noscript>\n";
  }
  h += "<style nonce=\"" + HtmlEscape(nonce) + "\">" + kStyle + "</style>\n</head>\n";
  return h;
}

}  // namespace

std::string RenderGatePage(const GatePage& p) {
  const std::string phrase = HtmlEscape(ClaimPhrase(p.claim));
  const std::string minutes = std::to_string((p.lifetime_seconds + 59) / 60);
  std::string html = Head("Prove that you are " + ClaimPhrase(p.claim), p.script_nonce, p.done_url);
  html += "<body>\n<main id=\"gate\" data-status=\"" + HtmlEscape(p.status_url) + "\" data-done=\"" +
          HtmlEscape(p.done_url) + "\" data-return=\"" + HtmlEscape(p.return_url) + "\">\n";
  html += "<h1>Prove that you are " + phrase + "</h1>\n";
  html += "<p>This part of the site is only for people " + phrase +
          ". You can prove it with your <strong>yesno</strong> wallet: no account, and the site does not learn who "
          "you are.</p>\n";

  // The status first, so it is in view without scrolling; the extension's
  // button (shown only when the yesno extension marks the page) beside it.
  html += "<section aria-labelledby=\"status-h\">\n<h2 id=\"status-h\">Status</h2>\n"
          "<p id=\"status\" role=\"status\" aria-live=\"polite\">Waiting for your wallet\u2026</p>\n"
          "<p id=\"wallet-extension\" hidden><button type=\"button\" class=\"wallet\" id=\"prove-with-wallet\" "
          "data-yesno-action=\"prove\" data-yesno-claim=\"" + HtmlEscape(p.claim) + "\" data-yesno-session=\"" +
          HtmlEscape(p.session_url) + "\">Prove with your yesno wallet</button></p>\n"
          "<p id=\"retry\" hidden><a class=\"button\" href=\"" + HtmlEscape(p.retry_url) + "\">Start again</a></p>\n"
          "<noscript><p class=\"muted\">Without JavaScript this page checks again by itself every 5 seconds.</p>"
          "</noscript>\n</section>\n";

  html += "<section aria-labelledby=\"shared-h\">\n<h2 id=\"shared-h\">What the site will learn</h2>\n"
          "<ul class=\"shared\"><li><strong>Only that you are " + phrase +
          "</strong>: one yes or no.</li></ul>\n"
          "<h2 id=\"kept-h\">What it will not learn</h2>\n<ul class=\"kept\" aria-labelledby=\"kept-h\">"
          "<li>Your name, your birth date or your exact age</li>"
          "<li>Any ID number, account or other identifier</li>"
          "<li>Anything that links this visit to your other visits, here or on other sites</li></ul>\n</section>\n";

  html += "<section id=\"how\" aria-labelledby=\"how-h\">\n<h2 id=\"how-h\">Prove it with the yesno command</h2>\n<ol>\n"
          "<li>On a computer with the yesno wallet, run:\n<pre><code id=\"command\">yesno prove --session " +
          HtmlEscape(p.session_url) + "</code></pre></li>\n"
          "<li>Or, from another device, scan this code: it holds only the link for <code>yesno prove "
          "--session</code>.\n<div class=\"qr\">" + p.qr_svg + "<p class=\"muted\">The link:<br><code id=\"session-url\">" +
          HtmlEscape(p.session_url) + "</code></p></div></li>\n</ol>\n<p class=\"muted\">The request works once and for " +
          minutes + " minutes. Use only your own wallet: whoever answers it answers for this browser.</p>\n</section>\n";

  html += "<details id=\"no-wallet\">\n<summary>Don't have a wallet?</summary>\n"
          "<p>yesno is a free wallet program for your computer (the <code>yesno</code> command) with an optional "
          "extension for Chromium that adds the \u201cProve with your yesno wallet\u201d button here. To get one:</p>\n"
          "<ol><li>Install the <code>yesno</code> program (the project's package or build) and create a wallet: "
          "<code>yesno init</code>.</li>"
          "<li>Enroll once with an issuer you trust: it checks your age in its own way and gives your wallet a "
          "ticket (<code>yesno enroll</code>), then <code>yesno refill</code>.</li>"
          "<li>For this browser: <code>yesno browser install</code>, then load the extension.</li></ol>\n"
          "<p class=\"muted\">This site does not sell wallets and does not see who you enroll with.</p>\n</details>\n";
  html += "</main>\n<script nonce=\"" + HtmlEscape(p.script_nonce) + "\">" + kScript + "</script>\n</body>\n</html>\n";
  return html;
}

std::string RenderGateMessage(const GateMessage& m) {
  std::string html = Head(m.title, m.script_nonce, "");
  html += "<body>\n<main>\n<h1>" + HtmlEscape(m.heading) + "</h1>\n<section>\n";
  for (const auto& p : m.paragraphs) html += "<p>" + HtmlEscape(p) + "</p>\n";
  if (!m.link_url.empty()) {
    html += "<p><a class=\"button\" href=\"" + HtmlEscape(m.link_url) + "\">" + HtmlEscape(m.link_text) + "</a></p>\n";
  }
  html += "</section>\n</main>\n</body>\n</html>\n";
  return html;
}

std::string GateContentSecurityPolicy(std::string_view nonce) {
  const std::string n(nonce);
  return "default-src 'none'; style-src 'nonce-" + n + "'; script-src 'nonce-" + n +
         "'; img-src data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
}

}  // namespace yesno::verifier
