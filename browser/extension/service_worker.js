// service_worker.js — the extension's background: one handler per message
// type, the RFC 9577 watcher, the consent window and the daily refill alarm.
// It holds no tokens, tickets or keys: the wallet (native host) does all
// crypto. What it keeps: remembered (site, claim) pairs in storage.local,
// requests waiting for consent in memory (a restarted worker forgets them;
// the window then says so). Each request has its own wallet host process
// (HostSession), started when the request arrives and ended with it.
import { callHost, HostSession } from "./host.js";
import { cannotProve, claimPhrase, isClaimName } from "./words.js";

const CONSENT_WIDTH = 460;
const CONSENT_HEIGHT = 660;
const ONE_SHOT_MS = 30_000;     // a one-shot Authorization rule lives at most this long
const RETRY_GUARD_MS = 60_000;  // one automatic repeat per (tab, URL) in this window
const DAY_MS = 24 * 3600 * 1000;

// --- state that can be rebuilt ------------------------------------------------------
const pending = new Map();   // id -> request waiting for the person (never a ticket on disk)
const oneShot = new Map();   // "tab url" -> {ruleId, timer}
const attempted = new Map(); // "tab url" -> time of the automatic repeat

function newId() {
  return crypto.randomUUID();
}

// unlock asks the host how the wallet opens ("key_file" | "passphrase").
// Asked once per request, of that request's host (a wallet switched by
// `yesno browser install` counts from the next request on); without a
// request (popup, alarm), of a host started for the question.
async function unlock(p) {
  let info;
  if (p) {
    p.info ??= p.host.call({ type: "info" });
    info = await p.info;
  } else {
    info = await callHost({ type: "info" });
  }
  return info.type === "info" ? info.unlock : "passphrase";
}

// finish forgets a request and ends its host process.
function finish(p) {
  pending.delete(p.id);
  p.host?.close();
}

// --- remembered sites ---------------------------------------------------------------
async function rememberedList() {
  const { remembered } = await chrome.storage.local.get("remembered");
  return Array.isArray(remembered) ? remembered : [];
}
async function isRemembered(origin, claim) {
  return (await rememberedList()).some((r) => r.origin === origin && r.claim === claim);
}
async function remember(origin, claim) {
  const list = await rememberedList();
  if (!list.some((r) => r.origin === origin && r.claim === claim)) {
    list.push({ origin, claim, since: new Date().toISOString().slice(0, 10) });
    await chrome.storage.local.set({ remembered: list });
  }
}
async function forget(origin, claim) {
  const list = (await rememberedList()).filter((r) => !(r.origin === origin && r.claim === claim));
  await chrome.storage.local.set({ remembered: list });
}

// --- starting a request ---------------------------------------------------------------

// start asks for consent (or uses a remembered "yes" when the wallet needs
// no passphrase) and then performs the request.
async function start(p) {
  p.id = newId();
  p.host = new HostSession();
  pending.set(p.id, p);
  unlock(p);  // starts the host now: it is up by the time the person answers
  if (p.kind !== "enroll" && (await isRemembered(p.origin, p.claim)) && (await unlock(p)) === "key_file") {
    const result = await perform(p, undefined);
    if (result.type === "error" && result.reason === "passphrase_required") return openWindow(p);
    if (result.type === "error" && p.kind === "gate" && result.reason !== "another_site") await decline(p);
    finish(p);
    return;
  }
  return openWindow(p);
}

async function openWindow(p) {
  const win = await chrome.windows.create({
    url: chrome.runtime.getURL(`consent.html#${p.id}`),
    type: "popup",
    width: CONSENT_WIDTH,
    height: CONSENT_HEIGHT,
    focused: true,
  });
  p.windowId = win.id;
}

// perform runs the request against the wallet and reports to the page.
async function perform(p, passphrase) {
  const withPass = (m) => (passphrase ? { ...m, passphrase } : m);
  if (p.kind === "gate") {
    const r = await p.host.call(withPass({ type: "prove", session: p.session, origin: p.origin, claim: p.claim }));
    if (r.type === "prove") {
      p.done = true;
      if (r.answer !== "yes") {
        // The wallet sent the site nothing; it says why, and the site is
        // told "no" (a decline with the session's vnonce, as the CLI does).
        r.message = cannotProve(p.claim, r.reason, r.message);
        await decline(p);
      }
      tellTab(p, { type: "gate-result", answer: r.answer, message: r.message ?? "" });
    } else if (r.reason === "another_site") {
      p.done = true;
      tellTab(p, { type: "gate-result", answer: "refused", message: r.message });
    }
    return r;
  }
  if (p.kind === "rfc9577") {
    const r = await p.host.call(withPass({ type: "authorize", www_authenticate: p.www_authenticate, url: p.url }));
    if (r.type === "authorize") {
      p.done = true;
      if (r.answer === "yes" && typeof r.authorization === "string") {
        await repeatWithAuthorization(p, r.authorization);
      } else {
        r.message = cannotProve(p.claim, r.reason, r.message);
      }
    }
    return r;
  }
  if (p.kind === "enroll") {
    const r = await p.host.call(withPass({ type: "enroll", issuer: p.issuer, issuer_key: p.issuer_key, ticket: p.ticket }));
    if (r.type === "enroll") {
      p.done = true;
      p.ticket = "";
      // Fill the wallet right away, apart from any visit.
      await p.host.call(withPass({ type: "refill" }));
    }
    return r;
  }
  return { type: "error", reason: "unknown_kind", message: "unknown request" };
}

function tellTab(p, message) {
  chrome.tabs.sendMessage(p.tabId, message, { frameId: 0 }).catch(() => {});
}

// decline tells a gate page "no" (nothing else); other kinds just end. The
// verifier takes a decline only with one of the session's vnonces, so the
// wallet host sends it (`yesno prove --decline --session` in the host).
async function decline(p) {
  p.done = true;
  if (p.kind === "gate" && !p.declined) {
    p.declined = true;
    const r = await p.host.call({ type: "decline", session: p.session, origin: p.origin });
    p.told = r.type === "decline" && r.told === true;
    // The page hears the "no" from its own status check: look now.
    tellTab(p, { type: "gate-result", answer: "no", message: "" });
  }
  if (p.kind === "enroll") p.ticket = "";
}

// --- RFC 9577: a top-level 401 with a yesno PrivateToken challenge --------------------

function challengeClaim(value) {
  const m = /(?:^|[\s,])yesno-claim\s*=\s*"?([a-z0-9_]{1,32})"?/i.exec(value);
  return m ? m[1] : null;
}

async function removeRule(key) {
  const shot = oneShot.get(key);
  if (!shot) return;
  oneShot.delete(key);
  clearTimeout(shot.timer);
  await chrome.declarativeNetRequest.updateSessionRules({ removeRuleIds: [shot.ruleId] }).catch(() => {});
}

async function repeatWithAuthorization(p, authorization) {
  const key = `${p.tabId} ${p.url}`;
  await removeRule(key);
  const ruleId = 1 + Math.floor(Math.random() * 0x7ffffffe);
  await chrome.declarativeNetRequest.updateSessionRules({
    addRules: [{
      id: ruleId,
      priority: 1,
      action: { type: "modifyHeaders", requestHeaders: [{ header: "Authorization", operation: "set", value: authorization }] },
      // urlFilter matches substrings: anchored at both ends, this exact URL only, in this tab only.
      condition: { urlFilter: `|${p.url}|`, resourceTypes: ["main_frame"], tabIds: [p.tabId] },
    }],
  });
  oneShot.set(key, { ruleId, timer: setTimeout(() => removeRule(key), ONE_SHOT_MS) });
  await chrome.tabs.update(p.tabId, { url: p.url });
}

chrome.webRequest.onSendHeaders.addListener(
  (d) => {
    // The repeated navigation has left with the header: the rule is spent.
    const key = `${d.tabId} ${d.url}`;
    if (oneShot.has(key)) removeRule(key);
  },
  { urls: ["<all_urls>"], types: ["main_frame"] },
);

chrome.webRequest.onHeadersReceived.addListener(
  (d) => {
    if (d.statusCode !== 401 || d.tabId < 0 || d.method !== "GET" || d.frameId !== 0) return;
    const challenges = (d.responseHeaders ?? [])
      .filter((h) => h.name.toLowerCase() === "www-authenticate" && /^\s*privatetoken\s/i.test(h.value ?? ""))
      .map((h) => h.value);
    if (challenges.length === 0) return;
    const claim = challengeClaim(challenges[0]);
    if (!isClaimName(claim)) return;
    let url;
    try {
      url = new URL(d.url);
    } catch {
      return;
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") return;
    if (d.url.includes("*") || d.url.includes("^") || d.url.includes("|")) return;  // not expressible as an exact urlFilter
    // No reload loop: one automatic repeat per tab and URL.
    const key = `${d.tabId} ${d.url}`;
    const last = attempted.get(key);
    if (last && Date.now() - last < RETRY_GUARD_MS) return;
    attempted.set(key, Date.now());
    for (const [k, t] of attempted) if (Date.now() - t > RETRY_GUARD_MS) attempted.delete(k);
    start({
      kind: "rfc9577",
      origin: url.origin,
      claim,
      url: d.url,
      tabId: d.tabId,
      www_authenticate: challenges.join(", "),
    });
  },
  { urls: ["<all_urls>"], types: ["main_frame"] },
  ["responseHeaders"],
);

// --- messages: one handler per type -----------------------------------------------------

function fromTopFrame(sender) {
  return sender.tab && sender.frameId === 0 && typeof sender.origin === "string" && sender.origin !== "null";
}

const contentHandlers = {
  // The gate page's "Prove with your yesno wallet".
  async gate(msg, sender) {
    if (!fromTopFrame(sender)) return { ok: false, reason: "not_top_level" };
    if (!isClaimName(msg.claim) || typeof msg.session !== "string") return { ok: false, reason: "bad_request" };
    const origin = sender.origin;  // the tab's top-level origin, as the browser knows it
    let sessionOrigin = "";
    try {
      sessionOrigin = new URL(msg.session).origin;
    } catch {}
    if (sessionOrigin !== origin) {
      // A page relaying another site's gate link: refused, no window.
      return {
        ok: false,
        reason: "another_site",
        message: `Your yesno wallet refused: this request belongs to another site (${sessionOrigin || "unknown"}), ` +
          `not the page you are on (${origin}). Nothing was shared.`,
      };
    }
    start({ kind: "gate", origin, claim: msg.claim, session: msg.session, tabId: sender.tab.id });
    return { ok: true };
  },
  // The issuer's "Add to my yesno wallet" (OpenID Connect enrollment).
  async enroll(msg, sender) {
    if (!fromTopFrame(sender)) return { ok: false, reason: "not_top_level" };
    for (const f of ["issuer", "issuer_key", "ticket"]) {
      if (typeof msg[f] !== "string" || msg[f].length === 0 || msg[f].length > 8192) return { ok: false, reason: "bad_request" };
    }
    let issuerOrigin = "";
    try {
      issuerOrigin = new URL(msg.issuer).origin;
    } catch {}
    if (issuerOrigin !== sender.origin) return { ok: false, reason: "another_site" };
    start({ kind: "enroll", origin: sender.origin, issuer: msg.issuer, issuer_key: msg.issuer_key, ticket: msg.ticket,
            tabId: sender.tab.id });
    return { ok: true };
  },
};

const pageHandlers = {
  // The consent window asks what it is about.
  async "consent-details"(msg) {
    const p = pending.get(msg.id);
    if (!p || p.done) return { ok: false, message: "This request is no longer waiting. Reload the page to start again." };
    const kind = await unlock(p);
    const out = { ok: true, kind: p.kind, origin: p.origin, claim: p.claim, unlock: kind };
    if (p.kind === "enroll") {
      out.issuer = p.issuer;
      return out;
    }
    out.remembered = await isRemembered(p.origin, p.claim);
    if (kind === "key_file") {
      const s = await p.host.call({ type: "status" });
      if (s.type === "status") {
        const held = s.issuers.map((i) => ({ name: i.name, c: i.claims?.[p.claim] }));
        out.issuers = held
          .map((h) => ({ name: h.name, unused: h.c?.unused ?? 0 }))
          .filter((i) => i.unused > 0);
        if (out.issuers.length === 0) out.cannot = cannotProve(p.claim, "no_token", undefined, held);
      } else {
        out.cannot = s.message;
      }
      if (out.cannot && p.kind === "gate") {
        // Nothing to share: the window says why and the site is told "no".
        await decline(p);
        out.told = p.told;
      }
    }
    return out;
  },
  async "consent-answer"(msg) {
    const p = pending.get(msg.id);
    if (!p || p.done) return { done: true, answer: "gone", message: "This request is no longer waiting." };
    if (!msg.share) {
      await decline(p);
      finish(p);
      return { done: true, answer: "declined", message: "Nothing was shared." };
    }
    const r = await perform(p, typeof msg.passphrase === "string" && msg.passphrase ? msg.passphrase : undefined);
    if (r.type === "error" && (r.reason === "wrong_passphrase" || r.reason === "passphrase_required")) {
      return { done: false, retry: true, reason: r.reason, message: r.message };
    }
    if (r.type === "error") {
      if (p.kind === "gate" && r.reason !== "another_site") await decline(p);
      finish(p);
      return { done: true, answer: "error", reason: r.reason, message: r.message };
    }
    finish(p);
    if (r.answer === "yes" && msg.remember && p.kind !== "enroll") await remember(p.origin, p.claim);
    if (p.kind === "enroll") {
      return { done: true, answer: "yes", message: `Added. Your wallet can now prove: ${(r.claims ?? []).map(claimPhrase).join(", ") || "nothing yet"}.` };
    }
    return { done: true, answer: r.answer, reason: r.reason, message: r.answer === "yes" ? "Shared." : r.message };
  },
  async keepalive() {
    return { ok: true };
  },
  // The toolbar popup.
  async "popup-status"(msg) {
    const kind = await unlock(undefined);
    const passphrase = typeof msg.passphrase === "string" && msg.passphrase ? msg.passphrase : undefined;
    const status = kind === "key_file" || passphrase
      ? await callHost(passphrase ? { type: "status", passphrase } : { type: "status" })
      : { type: "error", reason: "passphrase_required", message: "Enter the wallet's passphrase to see its tokens." };
    const { lastRefill } = await chrome.storage.local.get("lastRefill");
    return { unlock: kind, status, remembered: await rememberedList(), lastRefill: lastRefill ?? null };
  },
  async "popup-refill"(msg) {
    const passphrase = typeof msg.passphrase === "string" && msg.passphrase ? msg.passphrase : undefined;
    const r = await callHost(passphrase ? { type: "refill", passphrase } : { type: "refill" });
    await noteRefill(r);
    return r;
  },
  async forget(msg) {
    await forget(String(msg.origin), String(msg.claim));
    return { ok: true, remembered: await rememberedList() };
  },
  async ready() {
    return { ok: true };
  },
};

chrome.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  if (!msg || typeof msg.type !== "string") return false;
  // Content scripts may only use the content handlers; the extension's own
  // pages (consent window, popup) the page handlers.
  const own = sender.id === chrome.runtime.id && sender.url?.startsWith(chrome.runtime.getURL(""));
  const handler = own ? pageHandlers[msg.type] : Object.hasOwn(contentHandlers, msg.type) ? contentHandlers[msg.type] : undefined;
  if (!handler) {
    sendResponse({ ok: false, reason: "unknown_type" });
    return false;
  }
  handler(msg, sender).then(sendResponse, (e) => sendResponse({ ok: false, reason: "internal", message: String(e) }));
  return true;
});

// A consent window closed without an answer: a gate page is told "no".
chrome.windows.onRemoved.addListener((windowId) => {
  for (const p of pending.values()) {
    if (p.windowId === windowId) {
      if (p.done) finish(p);
      else decline(p).finally(() => finish(p));
    }
  }
});

// --- background refill: once a day at a random time, `refill --if-due` ------------------

async function noteRefill(r) {
  const at = new Date().toISOString();
  await chrome.storage.local.set({ lastRefill: { at, ok: r.type === "refill", message: r.message ?? "" } });
}

function nextRefillTime() {
  const tomorrow = new Date();
  tomorrow.setHours(24, 0, 0, 0);
  return tomorrow.getTime() + Math.floor(Math.random() * DAY_MS);
}

async function scheduleRefill() {
  const alarm = await chrome.alarms.get("refill");
  if (!alarm) await chrome.alarms.create("refill", { when: nextRefillTime() });
}

chrome.alarms.onAlarm.addListener(async (alarm) => {
  if (alarm.name !== "refill") return;
  await chrome.alarms.create("refill", { when: nextRefillTime() });
  if ((await unlock(undefined)) !== "key_file") return;  // a passphrase wallet refills from the popup
  await noteRefill(await callHost({ type: "refill", if_due: true }));
});

chrome.runtime.onInstalled.addListener(scheduleRefill);
chrome.runtime.onStartup.addListener(scheduleRefill);
// A restarted worker starts clean: no rule outlives the worker that made it.
chrome.declarativeNetRequest.getSessionRules().then((rules) => {
  if (rules.length) chrome.declarativeNetRequest.updateSessionRules({ removeRuleIds: rules.map((r) => r.id) });
});
self.yesnoReady = true;
