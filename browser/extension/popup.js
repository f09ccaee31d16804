// popup.js — the toolbar popup: token counts, "refill now", and the
// remembered sites (each removable).
import { claimPhrase } from "./words.js";

const $ = (x) => document.getElementById(x);
const send = (m) => chrome.runtime.sendMessage(m);

function passphrase() {
  const v = $("passphrase").value;
  $("passphrase").value = "";
  return v;
}

function showCounts(status) {
  const body = $("counts").querySelector("tbody");
  body.textContent = "";
  if (status.type !== "status") {
    $("counts").hidden = true;
    $("counts-note").textContent = status.message ?? "The wallet did not answer.";
    return;
  }
  let rows = 0;
  for (const issuer of status.issuers) {
    for (const [claim, c] of Object.entries(issuer.claims ?? {})) {
      const tr = document.createElement("tr");
      for (const text of [issuer.name, claimPhrase(claim), String(c.unused)]) {
        const td = document.createElement("td");
        td.textContent = text;
        tr.append(td);
      }
      tr.dataset.yesnoClaim = claim;
      body.append(tr);
      rows++;
    }
  }
  $("counts").hidden = rows === 0;
  $("counts-note").textContent = rows === 0 ? "No proofs yet: press Refill now (or enroll with an issuer first)." : "";
}

function showRemembered(list) {
  const ul = $("remembered");
  ul.textContent = "";
  $("none").hidden = list.length > 0;
  for (const r of list) {
    const li = document.createElement("li");
    li.textContent = `${r.origin}: ${claimPhrase(r.claim)} `;
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = "Forget";
    b.dataset.yesnoAction = "forget";
    b.dataset.yesnoOrigin = r.origin;
    b.dataset.yesnoClaim = r.claim;
    b.addEventListener("click", async () => showRemembered((await send({ type: "forget", origin: r.origin, claim: r.claim })).remembered));
    li.append(b);
    ul.append(li);
  }
}

async function load(pass) {
  const s = await send({ type: "popup-status", passphrase: pass });
  const locked = s.unlock === "passphrase";
  $("pass-label").hidden = !locked;
  $("show").hidden = !locked;
  showCounts(s.status);
  showRemembered(s.remembered);
  if (s.lastRefill) $("refill-note").textContent = `Last background refill: ${s.lastRefill.at.slice(0, 16).replace("T", " ")} UTC`;
}

$("show").addEventListener("click", () => load(passphrase()));
$("refill").addEventListener("click", async () => {
  $("refill").disabled = true;
  $("refill-note").textContent = "Refilling…";
  const pass = passphrase();
  const r = await send({ type: "popup-refill", passphrase: pass });
  $("refill").disabled = false;
  $("refill-note").textContent = r.type === "refill" ? "Refilled." : r.message ?? "The refill failed.";
  if (r.type === "refill") await load(pass);
});
load("");
