// words.js — the plain-language phrases shown to the person.

// claimQuestion: "Are you over 18?" for age_over_18.
export function claimQuestion(claim) {
  const m = /^age_over_(\d{1,3})$/.exec(claim);
  if (m) return `Are you over ${Number(m[1])}?`;
  return `Do you hold the attribute “${claim}”?`;
}

// claimPhrase: "over 18" for age_over_18.
export function claimPhrase(claim) {
  const m = /^age_over_(\d{1,3})$/.exec(claim);
  return m ? `over ${Number(m[1])}` : `“${claim}”`;
}

export function isClaimName(claim) {
  return typeof claim === "string" && /^[a-z0-9_]{1,32}$/.test(claim);
}

// cannotProve explains why the wallet cannot prove `claim` (nothing is shared).
// `held` is what the wallet's status says about the claim, per issuer
// ([{ name, c: { unused, vouched, quota_limit, quota_remaining, more_from } }]),
// when known: it tells a claim the issuer does not vouch for (a "no" that is
// true) from an adult's proofs that are used up for now (a wallet matter).
export function cannotProve(claim, reason, message, held = []) {
  if (message) return message;
  const phrase = claimPhrase(claim);
  if (reason === "no_token") {
    const known = held.filter((h) => h && h.c && typeof h.c === "object");
    const used = known.find((h) => h.c.quota_remaining === 0 && typeof h.c.more_from === "string");
    if (used) {
      const count = Number.isInteger(used.c.quota_limit) && used.c.quota_limit > 0 ? `${used.c.quota_limit} ` : "";
      return `Your wallet's ${count}proofs that you are ${phrase} for this period are used up; ` +
        `more from ${used.c.more_from}. Nothing was shared.`;
    }
    if (known.some((h) => Number.isInteger(h.c.quota_remaining) && h.c.quota_remaining > 0)) {
      return `Your wallet has no proof left that you are ${phrase}, but it can get more now: open the yesno ` +
        "button in the toolbar and choose “Refill now”. Nothing was shared.";
    }
    if (known.length > 0 && known.every((h) => h.c.vouched === false)) {
      const names = known.map((h) => h.name).join(", ");
      return `${names} does not vouch that you are ${phrase}, so your wallet cannot prove it. Nothing was shared.`;
    }
    return `Your wallet holds no proof that you are ${phrase}: the issuer has not vouched for it, or ` +
      "the wallet has not been refilled yet. Nothing was shared.";
  }
  if (reason === "key_mismatch") {
    return "This site offered a key your wallet has not seen for this issuer, so it might be telling visitors apart. " +
      "Nothing was shared.";
  }
  return `Your wallet could not prove that you are ${phrase} (${reason}). Nothing was shared.`;
}
