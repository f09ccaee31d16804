// gate.mjs — yesno's browser gate in a real browser (Debian's Chromium,
// headless, driven by playwright-core). Run by
// tests/integration/browser_gate_test.cc; by hand, see README.md.
//
// Input (JSON on stdin):
//   {
//     "site": "http://127.0.0.1:PORT",       the nginx-protected site
//     "page": "/adult/",                     the protected page
//     "claim": "age_over_18",
//     "chromium": "/usr/bin/chromium",
//     "screenshots": "/abs/dir",              where PNGs go (created)
//     "runs": [{"name": "adult", "prove": ["/path/yesno", "--wallet", ...], "expect": "unlock"},
//              {"name": "minor", "prove": [...], "expect": "refuse"}]
//   }
// For each run, in a fresh browser profile (no cookies), the script visits
// site+page, must land on the gate page, reads the session link from the
// page (the command and the QR caption must agree), checks that another
// browser holding only the link (a phone) cannot collect the session, runs
// `<prove...> prove --session LINK` itself, and then waits for the page to
// unlock (expect "unlock": back on the page, its content shown, the session
// cookie set, the binding cookie gone) or to say no (expect "refuse").
//
// Output (JSON on stdout): {"browser": version, "runs": [{...observations...}]}
// — the test asserts on the observations. Progress goes to stderr. Exit 0
// unless the browser could not be driven at all.
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

import { CHROMIUM_FLAGS, makeLog, readStdin } from "./chromium.mjs";

const log = makeLog("gate.mjs");

function run(argv) {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("error", (e) => resolve({ code: -1, out, err: err + String(e) }));
    child.on("close", (code) => resolve({ code, out, err }));
  });
}

async function oneRun(browser, cfg, spec) {
  const obs = { name: spec.name, expect: spec.expect, screenshots: [] };
  const shot = async (page, label) => {
    const path = join(cfg.screenshots, `${spec.name}-${obs.screenshots.length + 1}-${label}.png`);
    await page.screenshot({ path, fullPage: true });
    obs.screenshots.push(path);
  };
  const context = await browser.newContext({ viewport: { width: 900, height: 1100 } });
  const page = await context.newPage();
  const external = [];
  page.on("request", (r) => {
    if (!r.url().startsWith(cfg.site) && !r.url().startsWith("data:")) external.push(r.url());
  });
  page.on("response", (r) => {
    if (r.status() >= 400) (obs.failed_responses ??= []).push(`${r.status()} ${r.url()}`);
  });
  page.on("console", (m) => {
    if (m.type() === "error") (obs.console_errors ??= []).push(m.text());
  });
  try {
    // 1. The protected page sends a browser without a session to the gate.
    const first = await page.goto(cfg.site + cfg.page, { waitUntil: "load" });
    obs.gate_status = first.status();
    obs.gate_url = page.url();
    obs.redirects = [];
    for (let r = first.request().redirectedFrom(); r; r = r.redirectedFrom()) obs.redirects.unshift(r.url());
    obs.title = await page.title();
    obs.h1 = (await page.textContent("h1"))?.trim();
    obs.shared = (await page.textContent("ul.shared"))?.trim();
    obs.kept = (await page.textContent("ul.kept"))?.trim();
    obs.has_svg = (await page.locator("div.qr svg path").count()) === 1;
    const command = (await page.textContent("#command"))?.trim() ?? "";
    obs.command = command;
    obs.qr_caption = (await page.textContent("#session-url"))?.trim();
    obs.status_before = (await page.textContent("#status"))?.trim();
    await shot(page, "gate");
    const prefix = "yesno prove --session ";
    if (!command.startsWith(prefix)) throw new Error(`no command on the page: ${command}`);
    const link = command.slice(prefix.length);
    obs.link = link;

    // 2. A phone (another browser) that has only the link cannot collect
    //    the session: the done URL needs this browser's binding cookie.
    const id = link.slice(link.lastIndexOf("/") + 1);
    const phone = await browser.newContext();
    const phonePage = await phone.newPage();
    const stolen = await phonePage.goto(`${cfg.site}/yesno/gate/done/${id}`);
    obs.phone_done_status = stolen.status();
    obs.phone_h1 = (await phonePage.textContent("h1"))?.trim();
    obs.phone_cookies = (await phone.cookies()).map((c) => c.name);
    await phone.close();

    // 3. The wallet answers the link.
    const started = Date.now();
    const prove = await run([...spec.prove, "prove", "--session", link, ...(spec.answer ?? [])]);
    obs.prove = { code: prove.code, out: prove.out.trim(), err: prove.err.trim() };
    log(`${spec.name}: yesno prove --session -> exit ${prove.code}: ${prove.out.trim()}`);

    // 4. The page reacts by itself (it polls the status).
    if (spec.expect === "unlock") {
      await page.waitForURL(cfg.site + cfg.page, { timeout: 20000 });
      await page.waitForLoadState("load");
      obs.seconds_to_unlock = (Date.now() - started) / 1000;
      obs.final_url = page.url();
      obs.body = (await page.textContent("body"))?.trim();
      await shot(page, "unlocked");
      obs.cookies = (await context.cookies()).map((c) => ({ name: c.name, path: c.path, httpOnly: c.httpOnly,
                                                            sameSite: c.sameSite }));
      // The session holds: a fresh visit goes straight in.
      const again = await page.goto(cfg.site + cfg.page);
      obs.revisit_status = again.status();
      obs.revisit_url = page.url();
    } else {
      await page.waitForSelector("#status.no", { timeout: 20000 });
      obs.final_url = page.url();
      obs.status_after = (await page.textContent("#status"))?.trim();
      obs.retry_visible = await page.locator("#retry").isVisible();
      obs.continue_visible = await page.locator("#continue").isVisible();
      await shot(page, "refused");
      obs.cookies = (await context.cookies()).map((c) => ({ name: c.name, path: c.path }));
      // Still locked: the protected page sends it to a new gate session.
      const again = await page.goto(cfg.site + cfg.page);
      obs.revisit_status = again.status();
      obs.revisit_url = page.url();
      await shot(page, "still-locked");
    }
  } catch (e) {
    obs.error = String(e && e.stack ? e.stack : e);
    try {
      await shot(page, "error");
    } catch {}
  }
  obs.external_requests = external;
  await context.close();
  return obs;
}

const cfg = await readStdin();
mkdirSync(cfg.screenshots, { recursive: true });
const browser = await chromium.launch({ executablePath: cfg.chromium, headless: true, args: CHROMIUM_FLAGS });
const result = { browser: browser.version(), runs: [] };
try {
  for (const spec of cfg.runs) result.runs.push(await oneRun(browser, cfg, spec));
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(result) + "\n");
