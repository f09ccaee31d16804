// content.js — runs on yesno gate pages (…/gate?claim=…) and issuer
// enrollment callbacks (…/enroll/callback…), top frame only. It marks the
// page (<html data-yesno-wallet>) so the page shows its "Prove with your
// yesno wallet" / "Add to my yesno wallet" button, and forwards a click on
// that button to the extension. It reads nothing else from the page and
// sends nothing to the site. (A classic script: content scripts cannot be
// modules.)
(() => {
  if (window.top !== window) return;

  const say = (text, cls) => {
    const status = document.getElementById("status");
    if (status) {
      status.textContent = text;
      status.className = cls ?? "";
    }
  };

  function wire(button, build) {
    if (!button || button.dataset.yesnoWired) return;
    button.dataset.yesnoWired = "1";
    button.addEventListener("click", async (event) => {
      if (!event.isTrusted) return;  // the page itself cannot press it
      button.disabled = true;
      const reply = await chrome.runtime.sendMessage(build(button)).catch((e) => ({ ok: false, message: String(e) }));
      if (!reply || !reply.ok) {
        button.disabled = false;
        if (reply && reply.message) say(reply.message, "no");
      }
    });
  }

  // The gate page's button carries the session link and the claim.
  wire(document.querySelector('[data-yesno-action="prove"]'), (b) => ({
    type: "gate",
    session: b.dataset.yesnoSession,
    claim: b.dataset.yesnoClaim,
  }));
  // The issuer's callback page: the ticket goes straight to the wallet.
  wire(document.querySelector('[data-yesno-action="enroll"]'), (b) => ({
    type: "enroll",
    issuer: b.dataset.yesnoIssuer,
    issuer_key: b.dataset.yesnoIssuerKey,
    ticket: b.dataset.yesnoTicket,
  }));

  // Results for the gate page: on "yes" the page goes to its done URL at
  // once (yesno-proved); otherwise its own status check is told to look now
  // rather than a second later (yesno-answered).
  chrome.runtime.onMessage.addListener((msg) => {
    if (!msg || msg.type !== "gate-result") return;
    if (msg.answer === "yes") {
      say("Proved. Taking you back\u2026", "ok");
      document.dispatchEvent(new Event("yesno-proved"));
      return;
    }
    if (msg.message) say(msg.message, "no");
    document.dispatchEvent(new Event("yesno-answered"));
  });

  document.documentElement.setAttribute("data-yesno-wallet", "");
  document.dispatchEvent(new Event("yesno-wallet"));
})();
