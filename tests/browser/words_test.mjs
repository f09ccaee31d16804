// words_test.mjs — the extension's plain-language phrases (browser/extension/words.js),
// run by ExtensionTest.WordsTellAMinorFromUsedUpProofs with plain node (no packages):
//   node words_test.mjs <path of words.js>
import assert from "node:assert/strict";
import { pathToFileURL } from "node:url";

const words = await import(pathToFileURL(process.argv[2]).href);
const { cannotProve, claimQuestion, claimPhrase, isClaimName } = words;

assert.equal(claimQuestion("age_over_18"), "Are you over 18?");
assert.equal(claimPhrase("age_over_21"), "over 21");
assert.equal(claimPhrase("verified_person"), "“verified_person”");
assert.equal(isClaimName("age_over_18"), true);
assert.equal(isClaimName("Age over 18"), false);
assert.equal(isClaimName("x".repeat(33)), false);

// The wallet's own message wins.
assert.equal(cannotProve("age_over_18", "no_token", "the wallet says so"), "the wallet says so");

// A minor: the issuer does not vouch. Never "used up", never "refill".
const minor = cannotProve("age_over_18", "no_token", undefined,
                          [{ name: "issuer.example", c: { unused: 0, vouched: false, quota_limit: 0 } }]);
assert.match(minor, /issuer\.example does not vouch that you are over 18/);
assert.doesNotMatch(minor, /used up|Refill/);

// An adult whose proofs for this period are used: the date more come from, not "no".
const used = cannotProve("age_over_18", "no_token", undefined,
                         [{ name: "issuer.example", c: { unused: 0, quota_limit: 64, quota_remaining: 0, more_from: "2026-12-10" } }]);
assert.match(used, /Your wallet's 64 proofs that you are over 18 for this period are used up; more from 2026-12-10/);
assert.doesNotMatch(used, /does not vouch/);

// An adult who can refill now.
const refill = cannotProve("age_over_18", "no_token", undefined,
                           [{ name: "issuer.example", c: { unused: 0, quota_limit: 64, quota_remaining: 12 } }]);
assert.match(refill, /can get more now/);
assert.match(refill, /Refill now/);

// Two issuers, one of which still has quota: the adult case wins over "does not vouch".
const mixed = cannotProve("age_over_18", "no_token", undefined, [
  { name: "a.example", c: { unused: 0, vouched: false, quota_limit: 0 } },
  { name: "b.example", c: { unused: 0, quota_remaining: 0, more_from: "2027-01-01" } },
]);
assert.match(mixed, /more from 2027-01-01/);

// Nothing known (no refill yet, or an older wallet): the general sentence.
for (const held of [undefined, [], [{ name: "x", c: undefined }], [{ name: "x", c: "junk" }], [null]]) {
  assert.match(cannotProve("age_over_18", "no_token", undefined, held), /holds no proof that you are over 18/);
}
// Other reasons.
assert.match(cannotProve("age_over_18", "key_mismatch"), /telling visitors apart/);
assert.match(cannotProve("age_over_18", "bad_pop"), /could not prove that you are over 18 \(bad_pop\)/);
console.log("words.js: ok");
