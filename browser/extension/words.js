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
export function cannotProve(claim, reason, message) {
  if (message) return message;
  if (reason === "no_token") {
    return `Your wallet holds no proof that you are ${claimPhrase(claim)}: the issuer has not vouched for it, or ` +
      "the wallet has not been refilled yet. Nothing was shared.";
  }
  if (reason === "key_mismatch") {
    return "This site offered a key your wallet has not seen for this issuer, so it might be telling visitors apart. " +
      "Nothing was shared.";
  }
  return `Your wallet could not prove that you are ${claimPhrase(claim)} (${reason}). Nothing was shared.`;
}
