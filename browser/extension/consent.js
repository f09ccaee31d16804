// consent.js — the consent window: names the site (the tab's top-level
// origin), asks the question in words, says what is shared and what is not,
// and sends Share / Don't share (with "remember for this site" and, for a
// passphrase wallet, the passphrase — never stored) to the service worker.
// Automation hooks: data-yesno-action, data-yesno-claim, data-yesno-origin.
import { claimPhrase, claimQuestion } from "./words.js";

const id = location.hash.slice(1);
const $ = (x) => document.getElementById(x);
const send = (m) => chrome.runtime.sendMessage(m);
let answered = false;

function showResult(text, cls, closeSoon) {
  for (const part of ["ask", "enroll", "loading"]) $(part).hidden = true;
  $("result").hidden = false;
  $("result-text").textContent = text;
  $("result-text").className = cls;
  $("close").focus();
  if (closeSoon) setTimeout(() => window.close(), 600);
}

async function answer(share, passInput, errorBox, buttons) {
  for (const b of buttons) b.disabled = true;
  const passphrase = passInput && !passInput.closest("label").hidden ? passInput.value : "";
  if (passInput) passInput.value = "";
  const r = await send({ type: "consent-answer", id, share, remember: $("remember").checked, passphrase });
  if (!r.done) {
    // Wrong or missing passphrase: say so and let the person try again.
    errorBox.textContent = r.message;
    errorBox.hidden = false;
    if (passInput) {
      passInput.closest("label").hidden = false;
      passInput.focus();
    }
    for (const b of buttons) b.disabled = false;
    return;
  }
  answered = true;
  if (r.answer === "yes") showResult(r.message ?? "Shared.", "ok", true);
  else if (r.answer === "declined") window.close();
  else showResult(r.message ?? "Nothing was shared.", "no", false);
}

async function main() {
  const d = await send({ type: "consent-details", id });
  $("loading").hidden = true;
  $("close").addEventListener("click", () => window.close());
  if (!d || !d.ok) {
    showResult(d?.message ?? "This request is no longer waiting.", "no", false);
    return;
  }
  if (d.kind === "enroll") {
    $("enroll").hidden = false;
    $("enroll-site").textContent = d.origin;
    $("enroll-pass-label").hidden = d.unlock !== "passphrase";
    const buttons = [$("enroll-add"), $("enroll-cancel")];
    $("enroll-add").addEventListener("click", () => answer(true, $("enroll-passphrase"), $("enroll-error"), buttons));
    $("enroll-cancel").addEventListener("click", () => answer(false, null, $("enroll-error"), buttons));
    return;
  }
  $("ask").hidden = false;
  $("question").textContent = claimQuestion(d.claim);
  $("site").textContent = d.origin;
  $("answer-words").textContent = `yes, you are ${claimPhrase(d.claim)}`;
  const issuers = (d.issuers ?? []).map((i) => i.name);
  if (issuers.length) $("issuer").textContent = issuers.join(" or ");
  else $("issuer").textContent = "the issuer that checked your age (named by the wallet)";
  $("remember").checked = Boolean(d.remembered);
  $("pass-label").hidden = d.unlock !== "passphrase";
  const share = $("share");
  const decline = $("decline");
  for (const b of [share, decline]) {
    b.dataset.yesnoClaim = d.claim;
    b.dataset.yesnoOrigin = d.origin;
  }
  if (d.cannot) {
    // The wallet cannot prove it: say why, share nothing. For a gate page
    // the service worker has already told the site "no".
    $("cannot").textContent = d.told ? `${d.cannot} ${d.origin} was told “no”.` : d.cannot;
    $("cannot").hidden = false;
    share.hidden = true;
    $("remember-label").hidden = true;
    decline.textContent = "Close";
    decline.addEventListener("click", () => window.close());
  } else {
    share.addEventListener("click", () => answer(true, $("passphrase"), $("pass-error"), [share, decline]));
    decline.addEventListener("click", () => answer(false, null, $("pass-error"), [share, decline]));
  }
  (d.unlock === "passphrase" && !d.cannot ? $("passphrase") : d.cannot ? decline : share).focus();
  // Keep the service worker awake while the person reads.
  setInterval(() => send({ type: "keepalive" }).catch(() => {}), 20_000);
}

window.addEventListener("keydown", (e) => {
  if (e.key === "Escape" && !answered) window.close();
});
main();
