// extension.mjs — the yesno browser extension in a real browser (Debian's
// Chromium, headless, playwright-core), against nginx + yesno-verifier +
// yesno-issuer started by tests/integration/extension_test.cc. One browser
// launch runs every scenario; which wallet answers is switched between
// scenarios by re-running `yesno browser install` (the host is started per
// message, so the next message uses the new wallet).
//
// Input (JSON on stdin):
//   { "site": "http://127.0.0.1:P", "relay_site": "http://localhost:P",
//     "page": "/adult/", "rfc_page": "/members/", "claim": "age_over_18",
//     "chromium": "/usr/bin/chromium", "extension": "/abs/browser/extension",
//     "profile": "/abs/profile", "www": "/abs/www", "screenshots": "/abs/dir",
//     "wallets": {"adult": [install argv], "minor": [...], "pass": [...]},
//     "passphrase": "...", "mode": "test" | "bench", "runs": 20 }
// Output (JSON on stdout): {"browser": version, "extension_id": id, "scenarios": {name: {...}}}
// or, in bench mode, {"share_to_page_ms": [..]}. Exit 0 unless the browser could not be driven.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

import { CHROMIUM_FLAGS, makeLog, readStdin } from "./chromium.mjs";

const log = makeLog("extension.mjs");

function install(argv) {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`yesno browser install failed: ${r.stderr} ${r.stdout}`);
}

const cfg = await readStdin();
mkdirSync(cfg.screenshots, { recursive: true });
install(cfg.wallets.adult);
const context = await chromium.launchPersistentContext(cfg.profile, {
  executablePath: cfg.chromium,
  headless: true,
  viewport: { width: 1200, height: 900 },
  args: [...CHROMIUM_FLAGS, `--disable-extensions-except=${cfg.extension}`, `--load-extension=${cfg.extension}`],
});
const result = { browser: context.browser()?.version() ?? "", scenarios: {} };

// The service worker must be up before the first navigation.
let worker = context.serviceWorkers()[0];
if (!worker) worker = await context.waitForEvent("serviceworker", { timeout: 15000 });
result.extension_id = new URL(worker.url()).host;
await worker.evaluate(async () => {
  for (let i = 0; i < 100 && !self.yesnoReady; i++) await new Promise((r) => setTimeout(r, 50));
});

// Consent windows are extension pages that open by themselves.
const consentPages = [];
context.on("page", (p) => {
  if (p.url().includes("/consent.html") || p.url() === "about:blank") consentPages.push(p);
});
async function nextConsent(timeout = 10000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const p = consentPages.find((c) => !c.isClosed() && c.url().includes("/consent.html") && !c.taken);
    if (p) {
      p.taken = true;
      await p.waitForSelector("#ask:not([hidden]), #result:not([hidden]), #enroll:not([hidden])", { timeout });
      return p;
    }
    if (Date.now() > deadline) return null;
    await new Promise((r) => setTimeout(r, 50));
  }
}
const openConsents = () => consentPages.filter((c) => !c.isClosed() && c.url().includes("/consent.html")).length;

const page = await context.newPage();
const requests = [];
// allHeaders(): the headers as sent, including the Authorization a
// declarativeNetRequest rule adds (headers() shows the page's own only).
page.on("request", (r) => requests.push({ url: r.url(), auth: r.allHeaders().then((h) => Boolean(h.authorization), () => null) }));
const sentAuth = async (prefix) => Promise.all(requests.filter((r) => r.url.startsWith(prefix)).map((r) => r.auth));

// Each visit asks for the page under a new query, so the browser's cache of
// an earlier unlocked visit does not answer instead of the site.
let visits = 0;
async function toGate() {
  await context.clearCookies();
  await page.goto(`${cfg.site}${cfg.page}?visit=${++visits}`, { waitUntil: "load" });
  await page.waitForSelector("#prove-with-wallet", { state: "visible", timeout: 10000 });
}

async function consentDetails(c) {
  const text = async (sel) => ((await c.locator(sel).isVisible()) ? (await c.textContent(sel))?.trim() : null);
  const share = c.locator('[data-yesno-action="share"]');
  return {
    question: await text("#question"),
    site: await text("#site"),
    issuer: await text("#issuer"),
    cannot: await text("#cannot"),
    share_visible: await share.isVisible(),
    share_claim: await share.getAttribute("data-yesno-claim"),
    share_origin: await share.getAttribute("data-yesno-origin"),
    decline_claim: await c.locator('[data-yesno-action="decline"]').first().getAttribute("data-yesno-claim"),
    passphrase_visible: await c.locator("#passphrase").isVisible(),
    kept: (await c.textContent("ul.kept"))?.trim(),
  };
}

// waitUnlocked polls until the tab shows the protected page (navigations
// come and go meanwhile: gate → done → page).
async function waitUnlocked(url, timeout = 15000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    try {
      if (page.url() === url && (await page.locator("#secret").count()) === 1) return;
    } catch {}
    if (Date.now() > deadline) throw new Error(`not unlocked: still at ${page.url()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function unlocked(obs) {
  await waitUnlocked(`${cfg.site}${cfg.page}?visit=${visits}`);
  obs.final_url = page.url();
  obs.body = (await page.textContent("body"))?.trim();
  obs.cookies = (await context.cookies()).map((c) => c.name);
}

async function scenario(name, fn) {
  const obs = {};
  const started = Date.now();
  try {
    await fn(obs);
  } catch (e) {
    obs.error = String(e && e.stack ? e.stack : e);
    try {
      await page.screenshot({ path: join(cfg.screenshots, `error-${name}.png`) });
    } catch {}
  }
  obs.seconds = (Date.now() - started) / 1000;
  log(`${name}: ${obs.error ? "ERROR" : "done"} in ${obs.seconds} s`);
  result.scenarios[name] = obs;
}

if (cfg.mode === "bench") {
  // Share clicked → protected page loaded, `runs` times (remember unchecked).
  // Both ends are taken in the browser, on the system clock: the click
  // event's time in the consent window, and the protected page's load event
  // (Navigation Timing), so the driver's own polling does not count.
  const now = () => performance.timeOrigin + performance.now();
  const times = [];
  const answered = [];  // Share → the gate page heard the wallet's "yes"
  // The driver's view (the method of the first figures in docs/benchmarks.md):
  // from before Playwright's click to its polling seeing the protected page.
  const driver = [];
  // Where the time goes (driver-side request/response/load events, ms after Share).
  const phases = { proved: [], nav_start: [], done_answered: [], page_first_byte: [], page_dom_ready: [], done: [], page: [], response: [] };
  let marks = null;
  const mark = (k) => {
    if (marks && marks[k] === undefined) marks[k] = now();
  };
  page.on("request", (r) => {
    const u = r.url();
    if (u.includes("/gate/done/")) mark("done");
    else if (u === `${cfg.site}${cfg.page}?visit=${visits}`) mark("page");
  });
  page.on("response", (r) => {
    if (r.url() === `${cfg.site}${cfg.page}?visit=${visits}`) mark("response");
  });
  for (let i = 0; i < (cfg.runs ?? 20); i++) {
    await toGate();
    await page.evaluate(() => {
      document.addEventListener("yesno-proved", () => sessionStorage.setItem("yesno-proved-at", String(performance.timeOrigin + performance.now())));
    });
    await page.click("#prove-with-wallet");
    const c = await nextConsent();
    await c.evaluate(() => {
      document.addEventListener("click", (e) => { window.yesnoShareAt = performance.timeOrigin + e.timeStamp; }, true);
    });
    marks = {};
    const driverT0 = performance.now();
    await c.click('[data-yesno-action="share"]');
    const clickedAt = await c.evaluate(() => window.yesnoShareAt).catch(() => null);
    const url = `${cfg.site}${cfg.page}?visit=${visits}`;
    await waitUnlocked(url);
    driver.push(performance.now() - driverT0);
    await page.waitForFunction(() => (performance.getEntriesByType("navigation")[0]?.loadEventEnd ?? 0) > 0, null, { timeout: 15000 });
    const at = await page.evaluate(() => {
      const n = performance.getEntriesByType("navigation")[0];
      const t = (x) => (x > 0 ? performance.timeOrigin + x : NaN);
      return {
        loaded: t(n.loadEventEnd),
        proved: Number(sessionStorage.getItem("yesno-proved-at") ?? "NaN"),
        nav_start: performance.timeOrigin,
        done_answered: t(n.redirectEnd),
        page_first_byte: t(n.responseStart),
        page_dom_ready: t(n.domContentLoadedEventEnd),
      };
    });
    if (typeof clickedAt !== "number") throw new Error("the Share click was not seen");
    times.push(at.loaded - clickedAt);
    if (Number.isFinite(at.proved)) answered.push(at.proved - clickedAt);
    for (const k of ["proved", "nav_start", "done_answered", "page_first_byte", "page_dom_ready"]) marks[k] = at[k];
    for (const k of Object.keys(phases)) phases[k].push((marks[k] ?? NaN) - clickedAt);
    marks = null;
  }
  const median = (a) => {
    const b = a.filter(Number.isFinite).sort((x, y) => x - y);
    return b.length ? (b[(b.length - 1) >> 1] + b[b.length >> 1]) / 2 : NaN;
  };
  log("bench phases (median ms after the Share click): " +
      Object.entries(phases).map(([k, v]) => `${k} ${median(v).toFixed(1)}`).join(", ") + `, load event ${median(times).toFixed(1)}`);
  await context.close();
  process.stdout.write(JSON.stringify({ browser: result.browser, share_to_page_ms: times, share_to_answer_ms: answered, driver_ms: driver }) + "\n");
  process.exit(0);
}

// 1. A 19-year-old's key-file wallet through the gate: consent → Share
//    (remember ticked) → the protected page.
await scenario("gate_share", async (obs) => {
  await toGate();
  obs.gate_url = page.url();
  obs.button = (await page.textContent("#prove-with-wallet"))?.trim();
  obs.command_visible_before = await page.locator("#command").isVisible();
  await page.click("#prove-with-wallet");
  const c = await nextConsent();
  if (!c) throw new Error("no consent window");
  Object.assign(obs, await consentDetails(c));
  await c.setViewportSize({ width: 460, height: 540 });
  await c.screenshot({ path: join(cfg.screenshots, "consent.png") });
  obs.screenshots = [join(cfg.screenshots, "consent.png")];
  await c.check("#remember");
  await c.click('[data-yesno-action="share"]');
  await unlocked(obs);
  await page.screenshot({ path: join(cfg.screenshots, "unlocked.png") });
  obs.screenshots.push(join(cfg.screenshots, "unlocked.png"));
});

// 2. Remembered: the second visit gets no window.
await scenario("remembered", async (obs) => {
  const before = consentPages.length;
  await toGate();
  await page.click("#prove-with-wallet");
  await unlocked(obs);
  obs.windows_opened = consentPages.length - before;
});

// 3. The popup lists the counts and the remembered site; "Forget" removes it.
await scenario("popup", async (obs) => {
  const p = await context.newPage();
  await p.goto(`chrome-extension://${result.extension_id}/popup.html`);
  await p.waitForSelector("#remembered li", { timeout: 10000 });
  await p.waitForSelector("#counts tbody tr", { timeout: 10000 });
  obs.counts = (await p.textContent("#counts tbody"))?.trim();
  obs.remembered = (await p.textContent("#remembered"))?.trim();
  await p.click('[data-yesno-action="forget"]');
  await p.waitForSelector("#none:not([hidden])", { timeout: 5000 });
  obs.remembered_after = (await p.locator("#remembered li").count());
  await p.click("#refill");
  await p.waitForFunction(() => document.getElementById("refill-note").textContent !== "Refilling…", null, { timeout: 20000 });
  obs.refill_note = (await p.textContent("#refill-note"))?.trim();
  await p.close();
});

// 4. Don't share → the site says no, nothing unlocked.
await scenario("decline", async (obs) => {
  await toGate();
  await page.click("#prove-with-wallet");
  const c = await nextConsent();
  if (!c) throw new Error("no consent window");
  await c.click('[data-yesno-action="decline"]');
  await page.waitForFunction(() => document.getElementById("status").textContent.includes("answered no"), null,
                             { timeout: 15000 });
  obs.status = (await page.textContent("#status"))?.trim();
  obs.command_visible = await page.locator("#command").isVisible();
  obs.cookies = (await context.cookies()).map((x) => x.name);
  obs.url = page.url();
});

// 5. A relaying page on another origin shows the real site's gate link:
//    refused without a window.
await scenario("relay", async (obs) => {
  // A real session of the real site (fetched by the relay's server side).
  const gate = await fetch(`${cfg.site}/yesno/gate?claim=${cfg.claim}&return=${cfg.page}`);
  const html = await gate.text();
  const m = /data-yesno-session="([^"]+)"/.exec(html);
  if (!m) throw new Error("no session link on the gate page");
  obs.link = m[1];
  mkdirSync(join(cfg.www, "relay"), { recursive: true });
  writeFileSync(join(cfg.www, "relay", "gate"),
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Free stuff</title></head><body>
<main id="gate"><h1>Prove your age to see free stuff</h1><p id="status">Waiting</p>
<p id="wallet-extension"><button type="button" id="prove-with-wallet" data-yesno-action="prove"
 data-yesno-claim="${cfg.claim}" data-yesno-session="${obs.link}">Prove with your yesno wallet</button></p></main></body></html>\n`);
  const before = consentPages.length;
  await page.goto(`${cfg.relay_site}/relay/gate?claim=${cfg.claim}`, { waitUntil: "load" });
  await page.waitForFunction(() => document.documentElement.hasAttribute("data-yesno-wallet"), null, { timeout: 5000 });
  await page.click("#prove-with-wallet");
  await page.waitForFunction(() => document.getElementById("status").textContent !== "Waiting", null, { timeout: 10000 });
  obs.status = (await page.textContent("#status"))?.trim();
  await new Promise((r) => setTimeout(r, 500));
  obs.windows_opened = consentPages.length - before;
  const id = obs.link.slice(obs.link.lastIndexOf("/") + 1);
  const st = await fetch(`${cfg.site}/yesno/gate/status/${id}`);
  obs.session_state = (await st.json()).state;
});

// 6. RFC 9577: a top-level 401 PrivateToken challenge → consent → the
//    navigation repeated once with Authorization → 200 with the cookie.
await scenario("rfc9577", async (obs) => {
  await context.clearCookies();
  requests.length = 0;
  const first = page.goto(cfg.site + cfg.rfc_page, { waitUntil: "load" }).catch((e) => e);
  const c = await nextConsent();
  if (!c) throw new Error("no consent window for the 401");
  Object.assign(obs, await consentDetails(c));
  await first;
  await c.click('[data-yesno-action="share"]');
  await waitUnlocked(cfg.site + cfg.rfc_page);
  obs.final_url = page.url();
  obs.body = (await page.textContent("body"))?.trim();
  obs.cookies = (await context.cookies()).map((x) => x.name);
  await new Promise((r) => setTimeout(r, 300));
  obs.requests = await sentAuth(cfg.site + cfg.rfc_page);
  // The rule was one-shot: a reload carries no Authorization.
  requests.length = 0;
  await page.reload({ waitUntil: "load" });
  obs.reload_status = (await page.textContent("#secret")) ? 200 : 0;
  obs.reload_requests = await sentAuth(cfg.site + cfg.rfc_page);
  obs.rules_left = await worker.evaluate(async () => (await chrome.declarativeNetRequest.getSessionRules()).length);
});

// 7. A 16-year-old: the window says it cannot; the site says no.
await scenario("minor", async (obs) => {
  install(cfg.wallets.minor);
  await toGate();
  await page.click("#prove-with-wallet");
  const c = await nextConsent();
  if (!c) throw new Error("no consent window");
  Object.assign(obs, await consentDetails(c));
  await c.click('[data-yesno-action="decline"]');
  await page.waitForFunction(() => document.getElementById("status").textContent.includes("answered no"), null,
                             { timeout: 15000 });
  obs.status = (await page.textContent("#status"))?.trim();
  obs.cookies = (await context.cookies()).map((x) => x.name);
});

// 8. A passphrase wallet: a wrong passphrase gets a clear error, the right one works.
await scenario("passphrase", async (obs) => {
  install(cfg.wallets.pass);
  await toGate();
  await page.click("#prove-with-wallet");
  const c = await nextConsent();
  if (!c) throw new Error("no consent window");
  Object.assign(obs, await consentDetails(c));
  await c.fill("#passphrase", "not the passphrase");
  await c.click('[data-yesno-action="share"]');
  await c.waitForSelector("#pass-error:not([hidden])", { timeout: 20000 });
  obs.wrong_error = (await c.textContent("#pass-error"))?.trim();
  await c.fill("#passphrase", cfg.passphrase);
  await c.click('[data-yesno-action="share"]');
  await unlocked(obs);
});

// 9. The gate page as a person on a phone-sized screen sees it.
await scenario("gate_layout", async (obs) => {
  install(cfg.wallets.adult);
  const small = await context.newPage();
  await small.setViewportSize({ width: 390, height: 844 });
  await context.clearCookies();
  await small.goto(cfg.site + cfg.page, { waitUntil: "load" });
  obs.scroll_width_390 = await small.evaluate(() => document.documentElement.scrollWidth);
  await small.close();
  await context.clearCookies();
  await page.goto(cfg.site + cfg.page, { waitUntil: "load" });
  const box = await page.locator("#status").boundingBox();
  obs.status_bottom_1200x900 = box ? box.y + box.height : -1;
  obs.command_lines = await page.evaluate(() => {
    const code = document.getElementById("command");
    return code.textContent.startsWith("yesno prove --session ");
  });
});

await context.close();
process.stdout.write(JSON.stringify(result) + "\n");
