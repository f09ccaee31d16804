#include "wallet_commands.h"

#include <algorithm>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "files.h"
#include "issuer_api.h"
#include "yesno/auth_header.h"
#include "yesno/batch.h"
#include "yesno/claims.h"
#include "yesno/pop.h"
#include "yesno/ticket.h"
#include "yesno/token.h"

namespace yesno::cli {
namespace {

using nlohmann::json;

constexpr int kMaxBatch = 64;
constexpr std::size_t kMaxWarnings = 32;

// Progress prints a line on stderr when a person is watching.
void Progress(const Env& env, const std::string& line) {
  if (env.progress && !env.out.json) *env.out.err << line << "\n";
}

std::string DateOf(int64_t unix_seconds) { return FormatDate(DateFromUnixSeconds(unix_seconds)); }

Result<std::unique_ptr<WalletFile>> OpenWalletFile(const Env& env) { return WalletFile::Open(env.WalletPath(), env.Keys()); }

// Fail reports an error (exit 2: an error, never a "no").
int Fail(const Env& env, const Error& e) { return env.out.Fail(e.message); }

// PurgeExpired drops tokens and key records whose key has expired.
bool PurgeExpired(WalletContents& c, int64_t now) {
  const std::size_t before = c.tokens.size() + c.keys.size();
  std::erase_if(c.tokens, [now](const WalletToken& t) { return t.not_after <= now; });
  std::erase_if(c.keys, [now](const WalletKeyRecord& k) { return k.not_after <= now; });
  return c.tokens.size() + c.keys.size() < before;
}

// UnusedTokens counts unused tokens of (issuer, claim); with `key_id`, only
// those under that key.
std::size_t UnusedTokens(const WalletContents& c, std::string_view issuer, std::string_view claim, int64_t now,
                         const Bytes* key_id = nullptr) {
  return static_cast<std::size_t>(std::count_if(c.tokens.begin(), c.tokens.end(), [&](const WalletToken& t) {
    if (t.spent || t.issuer != issuer || t.claim != claim || t.not_after <= now) return false;
    if (key_id == nullptr) return true;
    auto parsed = ParseToken(t.token);
    return parsed.ok() && parsed->token_key_id == *key_id;
  }));
}

// FindRecord returns the key record of (issuer, claim, epoch start), if any.
WalletKeyRecord* FindRecord(WalletContents& c, std::string_view issuer, std::string_view claim, int64_t not_before) {
  for (auto& k : c.keys) {
    if (k.issuer == issuer && k.claim == claim && k.not_before == not_before) return &k;
  }
  return nullptr;
}

// CurrentRecord is the latest record of (issuer, claim) whose key is valid at `now`.
const WalletKeyRecord* CurrentRecord(const WalletContents& c, std::string_view issuer, std::string_view claim,
                                     int64_t now) {
  const WalletKeyRecord* best = nullptr;
  for (const auto& k : c.keys) {
    if (k.issuer != issuer || k.claim != claim || now < k.not_before || now >= k.not_after) continue;
    if (best == nullptr || k.not_before > best->not_before) best = &k;
  }
  return best;
}

// EpochEnd is when the key's epoch ends (the next epoch's key starts).
int64_t EpochEnd(const WalletKeyRecord& k) { return k.not_after - kKeyGraceSeconds; }

struct RefillReport {
  std::map<std::string, int> added;    // claim -> tokens added
  std::map<std::string, int> refused;  // claim -> requests the issuer refused
  std::vector<std::string> notes;
};

// TicketProblem explains an issuer's refusal of the wallet's ticket.
std::string TicketProblem(const std::string& issuer, const net::HttpResponse& res, bool enrolling) {
  const std::string reason = ReasonOf(res);
  if (reason == "bad_ticket" || reason == "missing_ticket") {
    return enrolling ? "the ticket was not issued by " + issuer + " or was mistyped: copy it again, whole (it starts with yn1.)"
                     : issuer + " does not accept this wallet's ticket (bad_ticket): enrol again with a ticket from " + issuer;
  }
  if (reason == "revoked") return issuer + " has revoked this ticket: ask the issuer for a new one and enrol again";
  if (reason == "ticket_expired") return "this ticket from " + issuer + " has expired: ask the issuer for a new one and enrol again";
  return HttpFailure("asking " + issuer + " for entitlements", res).message;
}

// RecordKey stores what a refill saw for (issuer, claim, epoch). A different
// key for an epoch already recorded means the issuer changed its key mid-epoch
// (a split view over time): refused.
Status RecordKey(WalletContents& c, const WalletKeyRecord& rec) {
  if (WalletKeyRecord* old = FindRecord(c, rec.issuer, rec.claim, rec.not_before)) {
    if (!old->key_id.empty() && !rec.key_id.empty() && old->key_id != rec.key_id) {
      return MakeError(ErrorCode::kVerificationFailed,
                       rec.issuer + " now lists another " + rec.claim + " key for this period than the one this wallet "
                       "refilled under: the issuer may be serving this wallet a key of its own; nothing was requested");
    }
    WalletKeyRecord merged = rec;
    if (merged.key_id.empty()) merged.key_id = old->key_id;
    *old = std::move(merged);
    return Status::Ok();
  }
  c.keys.push_back(rec);
  return Status::Ok();
}

// RefillIssuer tops up the claims `issuer` entitles (optionally only one).
// Network work happens outside the wallet lock; each claim's verified tokens
// are saved before the next claim is requested.
Status RefillIssuer(const Env& env, WalletFile& wallet, const WalletIssuer& issuer, const std::string& only_claim,
                    int target, bool uniform, RefillReport& report) {
  const net::HttpClient http = env.Http();
  auto base = net::ParseUrl(issuer.url);
  if (!base.ok()) return base.error();
  auto dir = FetchDirectory(http, *base, issuer.public_key);
  if (!dir.ok()) {
    if (dir.error().code == ErrorCode::kUnavailable) {
      return MakeError(ErrorCode::kUnavailable, "cannot reach the issuer: " + ExplainNetError(*base, dir.error()));
    }
    if (dir.error().code == ErrorCode::kVerificationFailed) {
      return MakeError(ErrorCode::kVerificationFailed,
                       "the directory at " + issuer.url + " is not signed with the key this wallet pinned for " +
                           issuer.name + ": refusing to refill (is the URL still the issuer's?)");
    }
    return dir.error();
  }
  if (dir->directory.issuer_name != issuer.name) {
    return MakeError(ErrorCode::kVerificationFailed, "the issuer's directory names another issuer");
  }
  const int64_t fetched_at = env.clock->NowSeconds();
  if (Status s = CheckDirectoryKeyConsistency(dir->directory, fetched_at); !s.ok()) {
    return MakeError(ErrorCode::kVerificationFailed,
                     "refusing to refill from " + issuer.name + ": its directory breaks the key-consistency rules (" +
                         s.error().message + "); an issuer that does this may be singling out wallets with keys of "
                         "their own. Nothing was requested.");
  }
  net::HttpResponse refusal;
  auto ent = FetchEntitlements(http, *base, issuer.ticket, &refusal);
  if (!ent.ok()) {
    if (ent.error().code == ErrorCode::kUnavailable) {
      return MakeError(ErrorCode::kUnavailable, "cannot reach the issuer: " + ExplainNetError(*base, ent.error()));
    }
    if (refusal.status != 0) return MakeError(ErrorCode::kInvalidArgument, TicketProblem(issuer.name, refusal, false));
    return ent.error();
  }
  auto challenge = CrossOriginChallenge(issuer.name);
  if (!challenge.ok()) return challenge.error();

  // Keep the verified directory copy current; note the claims the issuer
  // offers but does not vouch for here (so a later "no" can say why).
  const std::set<std::string> entitled(ent->claims.begin(), ent->claims.end());
  if (Status s = wallet.Update(
          [&](WalletContents& c) -> Result<bool> {
            for (auto& i : c.issuers) {
              if (i.name == issuer.name) {
                i.directory = dir->body;
                i.directory_signature = dir->signature;
                i.directory_fetched_at = fetched_at;
              }
            }
            for (const DirectoryKey& k : dir->directory.keys) {
              if (entitled.count(k.claim) || (!only_claim.empty() && k.claim != only_claim)) continue;
              if (IssuingKey(dir->directory, k.claim, fetched_at) != &k) continue;
              auto pk = RsaPublicKey::FromSpki(k.token_key);
              if (!pk.ok()) continue;
              WalletKeyRecord rec{issuer.name, k.claim, k.not_before, k.not_after, pk->KeyId(), 0, 0, fetched_at};
              if (Status r = RecordKey(c, rec); !r.ok()) return r.error();
              report.notes.push_back(k.claim + ": " + issuer.name + " does not vouch for this with your ticket");
            }
            return true;
          },
          *env.rng);
      !s.ok()) {
    return s;
  }

  // With `uniform` (refill --if-due), every claim asks for the same number
  // of tokens (the largest need, each within its quota), so the traffic does
  // not show which claim ran low.
  int uniform_need = 0;
  if (uniform) {
    auto contents = wallet.Read();
    if (!contents.ok()) return contents.error();
    for (const std::string& claim : ent->claims) {
      const DirectoryKey* k = IssuingKey(dir->directory, claim, fetched_at);
      if (k == nullptr) continue;
      auto pk = RsaPublicKey::FromSpki(k->token_key);
      if (!pk.ok()) continue;
      const Bytes id = pk->KeyId();
      uniform_need = std::max(uniform_need, target - static_cast<int>(UnusedTokens(*contents, issuer.name, claim, fetched_at, &id)));
    }
  }

  for (const std::string& claim : ent->claims) {
    if (!only_claim.empty() && claim != only_claim) continue;
    const int64_t now = env.clock->NowSeconds();
    const DirectoryKey* key_entry = IssuingKey(dir->directory, claim, now);
    if (key_entry == nullptr) {
      report.notes.push_back(claim + ": the issuer publishes no current key; try again later");
      continue;
    }
    auto key = RsaPublicKey::FromSpki(key_entry->token_key);
    if (!key.ok() || key->modulus_bytes() != kBlindRsaNk) {
      report.notes.push_back(claim + ": the issuer's key is not a usable type-2 key");
      continue;
    }
    const Bytes key_id = key->KeyId();
    auto contents = wallet.Read();
    if (!contents.ok()) return contents.error();
    const auto remaining_it = ent->remaining.find(claim);
    const auto limit_it = ent->limit.find(claim);
    const int64_t remaining = remaining_it != ent->remaining.end() ? remaining_it->second : -1;
    const int64_t limit = limit_it != ent->limit.end() ? limit_it->second : -1;
    int need = uniform ? uniform_need : target - static_cast<int>(UnusedTokens(*contents, issuer.name, claim, now, &key_id));
    if (remaining >= 0) need = static_cast<int>(std::min<int64_t>(need, remaining));
    need = std::clamp(need, 0, kMaxBatch);
    WalletKeyRecord rec{issuer.name, claim, key_entry->not_before, key_entry->not_after, key_id, limit, remaining, now};
    if (need == 0) {
      report.added[claim] += 0;
      if (remaining == 0) {
        report.notes.push_back(claim + ": this ticket's " + (limit > 0 ? std::to_string(limit) + " " : "") +
                               "tokens for this period are used; more from " + DateOf(key_entry->not_after - kKeyGraceSeconds));
      }
      if (Status s = wallet.Update([&](WalletContents& c) -> Result<bool> {
            if (Status r = RecordKey(c, rec); !r.ok()) return r.error();
            return true;
          }, *env.rng); !s.ok()) {
        return s;
      }
      continue;
    }
    Progress(env, claim + ": requesting " + std::to_string(need) + " tokens from " + issuer.name + "...");

    std::vector<TokenIssuance> pending;
    std::vector<Ed25519KeyPair> keypairs;
    GenericBatchTokenRequest batch;
    for (int i = 0; i < need; ++i) {
      Ed25519KeyPair kp = GenerateEd25519KeyPair(*env.rng);
      auto issuance = BeginTokenIssuance(*key, *challenge, kp.public_key, *env.rng);
      if (!issuance.ok()) return issuance.error();
      auto req = SerializeTokenRequest(issuance->request());
      if (!req.ok()) return req.error();
      batch.requests.push_back(GenericTokenRequest{kTokenTypeBlindRsa, std::move(*req)});
      pending.push_back(std::move(*issuance));
      keypairs.push_back(std::move(kp));
    }
    auto body = SerializeGenericBatchTokenRequest(batch);
    if (!body.ok()) return body.error();
    auto url = JoinUrl(*base, "/token-request-batch");
    net::HttpRequest req;
    req.method = "POST";
    req.url = *url;
    req.content_type = kMediaTypeBatchRequest;
    req.headers.emplace_back("Accept", kMediaTypeBatchResponse);
    req.headers.emplace_back("Authorization", "Bearer " + AsString(View(issuer.ticket)));
    req.body = AsString(*body);
    auto res = http.Send(req);
    if (!res.ok()) return MakeError(res.error().code, "token request: " + ExplainNetError(*base, res.error()));
    if (remaining >= 0) rec.quota_remaining = std::max<int64_t>(0, remaining - need);  // reserved, whatever comes back
    if (res->status != 200 && res->status != 206) {
      report.refused[claim] += need;
      const std::string reason = ReasonOf(*res);
      if (reason == "quota_exceeded") {
        rec.quota_remaining = 0;
        report.notes.push_back(claim + ": this ticket's tokens for this period are used; more from " +
                               DateOf(key_entry->not_after - kKeyGraceSeconds));
      } else {
        report.notes.push_back(claim + ": " + HttpFailure("the issuer refused", *res).message);
      }
      continue;
    }
    if (res->content_type != kMediaTypeBatchResponse) {
      return MakeError(ErrorCode::kMalformedInput, "the issuer answered with an unexpected content type");
    }
    auto parsed = ParseGenericBatchTokenResponse(AsBytes(res->body));
    if (!parsed.ok() || parsed->responses.size() != pending.size()) {
      return MakeError(ErrorCode::kMalformedInput, "the issuer's batch response does not match the request");
    }
    std::vector<WalletToken> fresh;
    for (std::size_t i = 0; i < pending.size(); ++i) {
      const auto& item = parsed->responses[i];
      if (!item || item->token_type != kTokenTypeBlindRsa) {
        report.refused[claim] += 1;
        continue;
      }
      auto response = ParseTokenResponse(item->token_response);
      if (!response.ok()) continue;
      auto token = FinalizeToken(*key, pending[i], *response);  // unblinds and verifies
      if (!token.ok()) {
        report.notes.push_back(claim + ": a token failed verification and was discarded");
        continue;
      }
      auto bytes = SerializeToken(*token);
      if (!bytes.ok() || !VerifyToken(*key, *token).ok()) continue;
      WalletToken t;
      t.issuer = issuer.name;
      t.claim = claim;
      t.token = std::move(*bytes);
      t.seed = std::move(keypairs[i].seed);
      t.not_after = key_entry->not_after;
      fresh.push_back(std::move(t));
    }
    const int added = static_cast<int>(fresh.size());
    if (Status s = wallet.Update(
            [&](WalletContents& c) -> Result<bool> {
              PurgeExpired(c, env.clock->NowSeconds());
              if (Status r = RecordKey(c, rec); !r.ok()) return r.error();
              for (auto& t : fresh) c.tokens.push_back(std::move(t));
              return true;
            },
            *env.rng);
        !s.ok()) {
      return s;
    }
    report.added[claim] += added;
    Progress(env, claim + ": " + std::to_string(added) + " tokens added");
  }
  return Status::Ok();
}

// RefillDue says whether `issuer` needs a refill (and why, for the person):
// never refilled, its stored directory shows no current key for a claim the
// wallet holds, or a claim is below `low_water` unused tokens under the
// current key while the quota has tokens left.
std::optional<std::string> RefillDue(const WalletContents& c, const WalletIssuer& issuer, int low_water, int64_t now,
                                     std::vector<std::string>& fine) {
  auto dir = CheckStoredDirectory(issuer.directory, issuer.directory_signature, issuer.public_key);
  if (!dir.ok()) return "the wallet's copy of the directory cannot be read";
  std::set<std::string> claims;
  for (const auto& k : c.keys) {
    if (k.issuer == issuer.name && k.quota_limit != 0) claims.insert(k.claim);
  }
  for (const auto& t : c.tokens) {
    if (t.issuer == issuer.name) claims.insert(t.claim);
  }
  if (claims.empty()) {
    // A ticket entitled to nothing this period (e.g. under 18) is not due
    // again until a new period's keys: its record then is missing.
    for (const auto& k : c.keys) {
      if (k.issuer == issuer.name && now < EpochEnd(k)) {
        fine.push_back("no claim this ticket is entitled to this period");
        return std::nullopt;
      }
    }
    return "never refilled";
  }
  for (const std::string& claim : claims) {
    const DirectoryKey* key = IssuingKey(*dir, claim, now);
    if (key == nullptr) return claim + ": the stored directory has no current key";
    auto pk = RsaPublicKey::FromSpki(key->token_key);
    if (!pk.ok()) return claim + ": the stored key is not usable";
    const Bytes key_id = pk->KeyId();
    const std::size_t unused = UnusedTokens(c, issuer.name, claim, now, &key_id);
    const WalletKeyRecord* rec = nullptr;
    for (const auto& k : c.keys) {
      if (k.issuer == issuer.name && k.claim == claim && k.not_before == key->not_before) rec = &k;
    }
    if (rec != nullptr && rec->quota_remaining == 0) {
      fine.push_back(claim + ": " + std::to_string(unused) + " unused; the quota for this period is used (more from " +
                     DateOf(key->not_after - kKeyGraceSeconds) + ")");
      continue;
    }
    if (unused < static_cast<std::size_t>(low_water)) {
      return claim + ": " + std::to_string(unused) + " unused under the current key (low-water mark " +
             std::to_string(low_water) + ")";
    }
    fine.push_back(claim + ": " + std::to_string(unused) + " unused");
  }
  return std::nullopt;
}

int RefillAll(const Env& env, WalletFile& wallet, const RefillArgs& args, RefillReport& report) {
  auto contents = wallet.Read();
  if (!contents.ok()) return Fail(env, contents.error());
  if (contents->issuers.empty()) {
    return env.out.Fail("the wallet has no issuer yet: run `yesno enroll --issuer URL --issuer-key KEY --ticket TICKET` first");
  }
  for (const auto& issuer : contents->issuers) {
    if (args.if_due) {
      std::vector<std::string> fine;
      auto why = RefillDue(*contents, issuer, args.low_water, env.clock->NowSeconds(), fine);
      if (!why) {
        std::string list;
        for (const auto& f : fine) list += (list.empty() ? "" : "; ") + f;
        report.notes.push_back(issuer.name + ": nothing due (" + list + ")");
        continue;
      }
      Progress(env, issuer.name + ": refill due (" + *why + ")");
    }
    // --if-due refills every entitled claim of the issuer together, so the
    // traffic does not show which claim ran low.
    if (Status s = RefillIssuer(env, wallet, issuer, args.if_due ? "" : args.claim, args.target, args.if_due, report);
        !s.ok()) {
      return env.out.Fail(issuer.name + ": " + s.error().message);
    }
  }
  return kExitYes;
}

// WriteCookieJar stores a Set-Cookie value in the Netscape cookie-file format
// that curl's -b/-c read, scoped to the verifier's host.
Status WriteCookieJar(const std::string& path, const net::Url& site, const std::optional<std::string>& set_cookie,
                      int64_t now) {
  if (!set_cookie) return MakeError(ErrorCode::kUnavailable, "the verifier said yes but set no session cookie");
  std::string_view v = *set_cookie;
  const std::string_view pair = v.substr(0, v.find(';'));
  const auto eq = pair.find('=');
  if (eq == std::string_view::npos) return MakeError(ErrorCode::kMalformedInput, "the verifier's cookie is not understood");
  int64_t max_age = 3600;
  if (const auto pos = v.find("Max-Age="); pos != std::string_view::npos) {
    max_age = std::strtoll(std::string(v.substr(pos + 8)).c_str(), nullptr, 10);
  }
  const bool secure = v.find("; Secure") != std::string_view::npos;
  std::string line = site.host + "\tFALSE\t/\t" + (secure ? "TRUE" : "FALSE") + "\t" + std::to_string(now + max_age) +
                     "\t" + std::string(pair.substr(0, eq)) + "\t" + std::string(pair.substr(eq + 1)) + "\n";
  return files::WriteFileAtomic(path, AsBytes("# Netscape HTTP Cookie File (written by yesno prove)\n" + line), 0600);
}

// OfferedChallenge is one acceptable key from a verifier's challenge.
struct OfferedChallenge {
  Bytes key_id;
  Bytes vnonce;
  std::string issuer;
  int64_t not_before = -1;  // -1: the challenge did not say (RFC 9577 header)
};

}  // namespace

std::string Env::WalletPath() const { return global.wallet_path.empty() ? DefaultWalletPath() : global.wallet_path; }

KeySource Env::Keys() const {
  KeySource k;
  k.key_file = global.key_file;
  k.read_passphrase = read_passphrase;
  if (!out.json && out.err != nullptr) {
    std::ostream* err = out.err;
    k.warn = [err](const std::string& line) { *err << "yesno: warning: " << line << "\n"; };
  }
  return k;
}

net::HttpClient Env::Http() const {
  net::HttpClientOptions o;
  o.ca_file = global.ca_file;
  o.allow_insecure_http = global.insecure_http;
  o.timeout = std::chrono::seconds(global.timeout_seconds);
  return net::HttpClient(o);
}

int RunInit(const Env& env) {
  auto wallet = WalletFile::Create(env.WalletPath(), env.Keys(), *env.rng, env.clock->NowSeconds());
  if (!wallet.ok()) return Fail(env, wallet.error());
  env.out.Result(json{{"wallet", env.WalletPath()}, {"created", true}}, "created wallet " + env.WalletPath());
  return kExitYes;
}

int RunEnroll(const Env& env, const EnrollArgs& args) {
  auto base = IssuerBaseUrl(args.issuer);
  if (!base.ok()) {
    return env.out.Fail("--issuer: " + base.error().message + " (it wants the issuer's base URL, e.g. https://issuer.example)");
  }
  auto key = Base64UrlDecode(args.issuer_key);
  if (!key.ok() || key->size() != kEd25519PublicKeyBytes) {
    return env.out.Fail("--issuer-key must be the issuer's Ed25519 public key (32 bytes, base64url), as the issuer "
                        "publishes it: copy it again, whole");
  }
  auto ticket_text = ReadArgument(args.ticket, *env.in);
  if (!ticket_text.ok()) return Fail(env, ticket_text.error());
  if (ticket_text->rfind(kTicketPrefix, 0) != 0) {
    return env.out.Fail("--ticket is not a yesno ticket: a ticket starts with yn1. (copy it again, whole)");
  }
  SecretBytes ticket = ToSecret(AsBytes(*ticket_text));
  std::fill(ticket_text->begin(), ticket_text->end(), '\0');

  auto wallet = OpenWalletFile(env);
  if (!wallet.ok()) return Fail(env, wallet.error());
  const net::HttpClient http = env.Http();
  auto dir = FetchDirectory(http, *base, *key);
  if (!dir.ok()) {
    if (dir.error().code == ErrorCode::kUnavailable) return env.out.Fail("cannot reach the issuer: " + ExplainNetError(*base, dir.error()));
    if (dir.error().code == ErrorCode::kVerificationFailed) {
      return env.out.Fail("the issuer at " + base->Origin() + " does not sign its directory with the --issuer-key you "
                          "gave: check that you copied the whole key of this issuer");
    }
    if (dir.error().message.find("HTTP 404") != std::string::npos) {
      return env.out.Fail(base->Origin() + base->target + " has no issuer directory (HTTP 404): --issuer wants the "
                          "issuer's base URL, e.g. https://issuer.example");
    }
    return Fail(env, dir.error());
  }
  if (Status s = CheckDirectoryKeyConsistency(dir->directory, env.clock->NowSeconds()); !s.ok()) {
    return env.out.Fail("refusing to enrol with " + dir->directory.issuer_name + ": its directory breaks the "
                        "key-consistency rules (" + s.error().message + ")");
  }
  net::HttpResponse refusal;
  auto ent = FetchEntitlements(http, *base, ticket, &refusal);
  if (!ent.ok()) {
    if (ent.error().code == ErrorCode::kUnavailable) return env.out.Fail("cannot reach the issuer: " + ExplainNetError(*base, ent.error()));
    if (refusal.status != 0) return env.out.Fail(TicketProblem(dir->directory.issuer_name, refusal, /*enrolling=*/true));
    return Fail(env, ent.error());
  }

  std::string url_text = base->Origin() + (base->target == "/" ? "" : base->target);
  WalletIssuer issuer;
  issuer.name = dir->directory.issuer_name;
  issuer.url = url_text;
  issuer.public_key = *key;
  issuer.ticket = std::move(ticket);
  issuer.directory = dir->body;
  issuer.directory_signature = dir->signature;
  issuer.directory_fetched_at = env.clock->NowSeconds();
  std::string replaced;  // what re-enrolling changed, said aloud
  Status s = wallet->get()->Update(
      [&](WalletContents& c) -> Result<bool> {
        for (auto& existing : c.issuers) {
          if (existing.name == issuer.name) {
            if (existing.public_key != issuer.public_key) {
              return MakeError(ErrorCode::kInvalidArgument,
                               "the wallet already pins another key for issuer " + issuer.name);
            }
            replaced = "replaced the ticket for " + issuer.name;
            if (existing.url != issuer.url) replaced += "; its address changes from " + existing.url + " to " + issuer.url;
            existing = std::move(issuer);  // a new ticket for the same issuer
            return true;
          }
        }
        c.issuers.push_back(std::move(issuer));
        return true;
      },
      *env.rng);
  if (!s.ok()) return Fail(env, s.error());
  std::string claims;
  for (const auto& c : ent->claims) claims += (claims.empty() ? "" : ", ") + c;
  std::string text = "enrolled with " + dir->directory.issuer_name + "; entitled to: " + (claims.empty() ? "(nothing yet)" : claims);
  if (!replaced.empty()) text = replaced + "\n" + text;
  text += "\nnext: `yesno refill` fetches tokens (do it now, apart from any visit)";
  json doc{{"issuer", dir->directory.issuer_name}, {"claims", ent->claims}, {"ticket_expires_at", ent->expires_at}};
  if (!replaced.empty()) doc["replaced"] = replaced;
  env.out.Result(doc, text);
  return kExitYes;
}

int RunRefill(const Env& env, const RefillArgs& args) {
  if (!args.claim.empty() && !IsValidClaimName(args.claim)) {
    return env.out.Fail("--claim '" + args.claim + "' is not a claim name: claims look like age_over_18 or verified_person");
  }
  if (args.if_due && !args.claim.empty()) {
    return env.out.Fail("--if-due refills every claim of an issuer together (so traffic does not show which ran low): drop --claim");
  }
  if (args.target < 1 || args.target > 1000) return env.out.Fail("--target must be 1..1000");
  if (args.if_due && (args.low_water < 1 || args.low_water > args.target)) {
    return env.out.Fail("--low-water must be 1..--target (" + std::to_string(args.target) + ")");
  }
  auto wallet = OpenWalletFile(env);
  if (!wallet.ok()) return Fail(env, wallet.error());
  RefillReport report;
  if (int rc = RefillAll(env, **wallet, args, report); rc != kExitYes) return rc;
  auto contents = (*wallet)->Read();
  if (!contents.ok()) return Fail(env, contents.error());
  const int64_t now = env.clock->NowSeconds();
  json counts = json::object();
  std::string text;
  for (const auto& [claim, added] : report.added) {
    std::size_t unused = 0;
    for (const auto& i : contents->issuers) unused += UnusedTokens(*contents, i.name, claim, now);
    counts[claim] = {{"added", added}, {"unused", unused}};
    text += claim + ": +" + std::to_string(added) + " (" + std::to_string(unused) + " unused)\n";
  }
  for (const auto& n : report.notes) text += "note: " + n + "\n";
  if (text.empty()) text = "nothing to refill: the issuer entitles no claim" + std::string(args.claim.empty() ? "" : " " + args.claim) + "\n";
  text.pop_back();
  env.out.Result(json{{"claims", counts}, {"notes", report.notes}}, text);
  return kExitYes;
}

namespace {

// ParseOffered reads the "challenges" of a /challenge or gate-session JSON body.
std::vector<OfferedChallenge> ParseOffered(const json& doc) {
  std::vector<OfferedChallenge> offered;
  if (!doc.is_object() || !doc.contains("challenges") || !doc["challenges"].is_array()) return offered;
  for (const auto& ch : doc["challenges"]) {
    if (!ch.is_object() || !ch.contains("token-key-id") || !ch.contains("yesno-vnonce")) continue;
    if (!ch["token-key-id"].is_string() || !ch["yesno-vnonce"].is_string()) continue;
    auto id = HexDecode(ch["token-key-id"].get<std::string>());
    auto vnonce = Base64UrlDecode(ch["yesno-vnonce"].get<std::string>());
    if (!id.ok() || !vnonce.ok()) continue;
    const auto issuer = ch.find("issuer");
    const auto nb = ch.find("not-before");
    offered.push_back(OfferedChallenge{*id, *vnonce, issuer != ch.end() && issuer->is_string() ? issuer->get<std::string>() : "",
                                       nb != ch.end() && nb->is_number_integer() ? nb->get<int64_t>() : -1});
  }
  return offered;
}

// ParseOfferedHeader reads the PrivateToken challenges of a 401's
// WWW-Authenticate value (RFC 9577); `claim` gets their yesno-claim.
Result<std::vector<OfferedChallenge>> ParseOfferedHeader(std::string_view header, std::string& claim) {
  auto challenges = ParseWwwAuthenticate(header);
  if (!challenges.ok()) return MakeError(ErrorCode::kMalformedInput, "the WWW-Authenticate value is not a PrivateToken challenge");
  std::vector<OfferedChallenge> offered;
  for (const auto& ch : *challenges) {
    if (ch.yesno_claim.empty() || ch.yesno_vnonce.empty() || ch.token_key.empty()) continue;
    if (!claim.empty() && ch.yesno_claim != claim) {
      return MakeError(ErrorCode::kMalformedInput, "the challenges ask for more than one claim");
    }
    claim = ch.yesno_claim;
    auto tc = ParseTokenChallenge(ch.challenge);
    auto key = RsaPublicKey::FromSpki(ch.token_key);
    if (!tc.ok() || !key.ok()) continue;
    offered.push_back(OfferedChallenge{key->KeyId(), ch.yesno_vnonce, AsString(tc->issuer_name), -1});
  }
  if (offered.empty()) return MakeError(ErrorCode::kMalformedInput, "the challenge offers no yesno key (yesno-claim, yesno-vnonce, token-key)");
  return offered;
}

// KeyMismatch checks the verifier's offer against what the wallet saw itself
// (DESIGN §8, verifiers are mirrors): for an issuer, claim and epoch the
// wallet knows, another key means somebody sees a split view.
std::optional<std::string> KeyMismatch(const WalletContents& c, const std::string& claim,
                                       const std::vector<OfferedChallenge>& offered) {
  for (const auto& o : offered) {
    if (o.not_before < 0 || o.issuer.empty()) continue;
    for (const auto& k : c.keys) {
      if (k.issuer == o.issuer && k.claim == claim && k.not_before == o.not_before && !k.key_id.empty() &&
          k.key_id != o.key_id) {
        return o.issuer;
      }
    }
    for (const auto& i : c.issuers) {
      if (i.name != o.issuer) continue;
      auto dir = CheckStoredDirectory(i.directory, i.directory_signature, i.public_key);
      if (!dir.ok()) continue;
      for (const auto& k : dir->keys) {
        if (k.claim != claim || k.not_before != o.not_before) continue;
        if (auto pk = RsaPublicKey::FromSpki(k.token_key); pk.ok() && pk->KeyId() != o.key_id) return o.issuer;
      }
    }
  }
  return std::nullopt;
}

// NoTokenReason says, in the person's terms, why the wallet cannot prove
// `claim` to this verifier, and what to do.
std::string NoTokenReason(const WalletContents& c, const std::string& claim, const std::vector<OfferedChallenge>& offered,
                          int64_t now) {
  if (c.issuers.empty()) return "this wallet has no issuer yet: enrol first (yesno enroll), then `yesno refill`";
  std::set<std::string> accepted;
  for (const auto& o : offered) {
    if (!o.issuer.empty()) accepted.insert(o.issuer);
  }
  std::vector<const WalletIssuer*> usable;
  for (const auto& i : c.issuers) {
    if (accepted.empty() || accepted.count(i.name)) usable.push_back(&i);
  }
  if (usable.empty()) {
    std::string names;
    for (const auto& n : accepted) names += (names.empty() ? "" : ", ") + n;
    return "this site accepts proofs from " + names + " only, and this wallet is not enrolled there";
  }
  for (const WalletIssuer* i : usable) {
    if (const std::size_t held = UnusedTokens(c, i->name, claim, now); held > 0) {
      return "this wallet holds " + std::to_string(held) + " " + claim + " tokens from " + i->name +
             ", but none under the keys this site accepts (if the site uses a newer key, `yesno refill` gets tokens "
             "under it)";
    }
    const WalletKeyRecord* rec = CurrentRecord(c, i->name, claim, now);
    if (rec == nullptr) continue;
    if (rec->quota_limit == 0) {
      return i->name + " does not vouch for " + claim + " with this wallet's ticket (as of " + DateOf(rec->refilled_at) + ")";
    }
    if (rec->quota_remaining == 0) {
      return "no " + claim + " token left: this wallet's " + (rec->quota_limit > 0 ? std::to_string(rec->quota_limit) + " " : "") +
             "for this period are used; more from " + DateOf(EpochEnd(*rec));
    }
    if (rec->quota_remaining > 0) {
      return "no " + claim + " token left: `yesno refill` gets more now (" + std::to_string(rec->quota_remaining) +
             " left for this period)";
    }
    return "no " + claim + " token left: run `yesno refill`";
  }
  return "this wallet holds no " + claim + " token: run `yesno refill` (it gets tokens for every claim your issuer "
         "vouches for)";
}

// Presentation is what BuildPresentation made, or why it could not.
struct Presentation {
  bool ready = false;
  std::string refusal;  // "no_token" or "key_mismatch" when not ready
  std::string message;  // the reason in the person's terms
  std::string issuer;   // whose token
  std::string authorization;
};

// BuildPresentation is the one presentation path of every `prove` form. It
// never contacts anyone: it checks the offer against what the wallet saw
// (key_mismatch), picks an unused token for `claim` under an offered key that
// is also in the wallet's own signed directory copy (oldest first), marks it
// spent on disk before anything can be sent, and signs the PoP over
// (origin, vnonce, token). `origin` must be the origin of the URL the
// presentation goes to, never one a page or verifier names.
Result<Presentation> BuildPresentation(const Env& env, WalletFile& wallet, const std::string& claim,
                                       const std::vector<OfferedChallenge>& offered, const std::string& origin,
                                       const std::string& site) {
  Presentation out;
  WalletToken chosen;
  OfferedChallenge offer;
  Status s = wallet.Update(
      [&](WalletContents& c) -> Result<bool> {
        const int64_t now = env.clock->NowSeconds();
        const bool purged = PurgeExpired(c, now);
        if (auto issuer = KeyMismatch(c, claim, offered)) {
          out.refusal = "key_mismatch";
          out.message = site + " offered a " + claim + " key from " + *issuer + " for this period that differs from the "
                        "one your wallet was given: " + *issuer + " may be serving your wallet a key of its own to "
                        "recognise you. Nothing was sent. `yesno status` shows this warning until you clear it "
                        "(yesno status --clear-warnings).";
          // One warning per site and issuer; the list stays short.
          const std::string text = out.message;
          const bool known = std::any_of(c.warnings.begin(), c.warnings.end(),
                                         [&](const WalletWarning& w) { return w.text.ends_with(text); });
          if (!known && c.warnings.size() < kMaxWarnings) c.warnings.push_back(WalletWarning{now, DateOf(now) + ": " + text});
          return true;
        }
        std::map<std::string, std::set<Bytes>> trusted;  // issuer -> key ids for the claim
        for (const auto& i : c.issuers) {
          auto dir = CheckStoredDirectory(i.directory, i.directory_signature, i.public_key);
          if (!dir.ok()) continue;
          for (const auto& k : dir->keys) {
            if (k.claim != claim) continue;
            if (auto pk = RsaPublicKey::FromSpki(k.token_key); pk.ok()) trusted[i.name].insert(pk->KeyId());
          }
        }
        WalletToken* best = nullptr;
        const OfferedChallenge* best_offer = nullptr;
        for (auto& t : c.tokens) {
          if (t.spent || t.claim != claim || t.not_after <= now) continue;
          auto parsed = ParseToken(t.token);
          if (!parsed.ok() || !trusted[t.issuer].count(parsed->token_key_id)) continue;
          for (const auto& o : offered) {
            if (o.key_id != parsed->token_key_id) continue;
            if (best == nullptr || t.not_after < best->not_after) {  // use the oldest first
              best = &t;
              best_offer = &o;
            }
          }
        }
        if (best == nullptr) {
          out.refusal = "no_token";
          out.message = NoTokenReason(c, claim, offered, now) + ". Nothing was sent to the site.";
          return purged;
        }
        best->spent = true;
        best->spent_at = now;
        chosen.issuer = best->issuer;
        chosen.token = best->token;
        chosen.seed = best->seed;
        offer = *best_offer;
        return true;  // saved (fsync, rename, fsync dir) before anything is sent
      },
      *env.rng);
  if (!s.ok()) return s.error();
  if (!out.refusal.empty()) return out;
  auto pop = SignPop(View(chosen.seed), origin, offer.vnonce, chosen.token);
  if (!pop.ok()) return pop.error();
  out.ready = true;
  out.issuer = chosen.issuer;
  out.authorization = BuildAuthorization(PrivateTokenCredentials{chosen.token, offer.vnonce, *pop});
  return out;
}

// Refuse prints the wallet's own "no" (nothing was sent): exit 1.
int Refuse(const Env& env, const Presentation& p) {
  if (!env.out.json) *env.out.err << "yesno: " << p.message << "\n";
  env.out.Result(json{{"answer", "no"}, {"reason", p.refusal}, {"message", p.message}}, "no (" + p.refusal + ")");
  return kExitNo;
}

// Send posts a presentation to `url`.
Result<net::HttpResponse> Send(const Env& env, const ProveArgs& args, const Presentation& p, const net::Url& url) {
  net::HttpRequest req;
  req.method = "POST";
  req.url = url;
  req.headers.emplace_back("Authorization", p.authorization);
  auto answer = env.Http().Send(req);
  if (!args.save_presentation.empty()) {
    // Developer aid: the token is spent already; this lets a tester try a replay.
    if (Status s = files::WriteFileAtomic(args.save_presentation, AsBytes(p.authorization), 0600); !s.ok()) return s.error();
  }
  if (!answer.ok()) return MakeError(answer.error().code, "verifier: " + ExplainNetError(url, answer.error()));
  return answer;
}

// ReportVerdict prints the verifier's yes/no answer (exit 0/1), or an error
// (exit 2) if the answer is not one. `on_yes` runs before "yes" is printed.
int ReportVerdict(const Env& env, const std::string& claim, const std::string& issuer, const std::string& origin,
                  const net::HttpResponse& answer, const std::function<Status()>& on_yes) {
  auto verdict = json::parse(answer.body, nullptr, false);
  if (!verdict.is_object() || !verdict.contains("answer") || !verdict["answer"].is_string()) {
    return Fail(env, HttpFailure("verifier", answer));
  }
  if (verdict["answer"] == "yes") {
    if (on_yes) {
      if (Status s = on_yes(); !s.ok()) return Fail(env, s.error());
    }
    env.out.Result(json{{"answer", "yes"}, {"claim", claim}, {"issuer", issuer}}, "yes");
    return kExitYes;
  }
  const auto reason_it = verdict.find("reason");
  const std::string reason = reason_it != verdict.end() && reason_it->is_string() ? reason_it->get<std::string>() : "unknown";
  json doc{{"answer", "no"}, {"reason", reason}};
  if (reason == "bad_pop") {
    const std::string hint = "the site refused the proof that was signed for " + origin +
                             ": if the site is set up for another address (www or not, localhost or 127.0.0.1), "
                             "use that one";
    doc["message"] = hint;
    if (!env.out.json) *env.out.err << "yesno: " << hint << "\n";
  }
  env.out.Result(doc, "no (" + reason + ")");
  return kExitNo;
}

// AskConsent asks the person before a link is answered for a browser
// (DESIGN §8: a relayed link answers for whoever showed it). True: go on.
Result<bool> AskConsent(const Env& env, const ProveArgs& args, const std::string& origin, const std::string& claim) {
  if (args.assume_yes) return true;
  if (!env.confirm) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "answering a gate link needs your consent: run this in a terminal to be asked, or add --yes if "
                     "you opened the link yourself on your own screen");
  }
  return env.confirm("The site " + origin + " asks: " + ClaimQuestion(claim) +
                     "\nIt learns only the answer and which issuer vouches for it. Whoever opened this link gets in: "
                     "answer only a link from your own screen.\nShare the answer?");
}

// Decline tells a gate session "no" on the person's refusal, with one of the
// session's vnonces (the verifier takes a decline only from whoever holds
// the challenge), and reports the answer: `told` says whether the verifier
// took it (a session answered or expired meanwhile refuses it).
int Decline(const Env& env, const net::Url& session, const std::vector<OfferedChallenge>& offered) {
  auto url = JoinUrl(session, "/decline");
  net::HttpRequest req;
  req.method = "POST";
  req.url = *url;
  req.content_type = "application/json";
  req.body = json{{"yesno-vnonce", Base64UrlEncode(offered.front().vnonce)}}.dump();
  auto r = env.Http().Send(req);
  json result{{"answer", "no"}, {"reason", "declined"}, {"told", r.ok() && r->status == 200}};
  if (!result["told"]) {
    const std::string why = !r.ok() ? ExplainNetError(*url, r.error()) : HttpFailure("the gate session", *r).message;
    result["message"] = "could not tell the page (" + why + "); it stops waiting when its link expires";
    if (!env.out.json) *env.out.err << "yesno: " << result["message"].get<std::string>() << "\n";
  }
  env.out.Result(result, result["told"] ? "no (declined): nothing was shared"
                                        : "no (declined): nothing was shared; the page was not told");
  return kExitNo;
}

// ProveSession answers a browser gate session (`yesno prove --session URL`):
// the session URL hands out the challenge and takes the presentation; the
// browser that showed the URL gets the cookie, not us.
int ProveSession(const Env& env, const ProveArgs& args) {
  if (!args.cookie_jar.empty()) {
    return env.out.Fail("--cookie-jar does not apply to --session: the browser that showed the link gets the cookie");
  }
  auto url = net::ParseUrl(args.session);
  if (!url.ok()) return env.out.Fail("--session: " + url.error().message);
  if (url->target.find('?') != std::string::npos || url->target.find("/gate/session/") == std::string::npos) {
    return env.out.Fail("--session: expected a gate link like https://shop.example/yesno/gate/session/ID (no query)");
  }
  // The PoP names the origin of the URL we actually connect to, never one a
  // page or the session's answer names: a site relaying another site's
  // session gets a proof the real site refuses (bad_pop).
  const std::string origin = url->Origin();
  if (!args.expected_origin.empty() && args.expected_origin != origin) {
    return env.out.Fail("this gate link belongs to another site (" + origin + "), not the page you are on (" +
                        args.expected_origin + "): refusing to answer it");
  }
  const net::HttpClient http = env.Http();
  auto res = http.Get(*url);
  if (!res.ok()) return env.out.Fail("verifier: " + ExplainNetError(*url, res.error()));
  if (res->status == 404 || res->status == 410 || res->status == 409) {
    const Error e = HttpFailure("the gate session", *res);
    const char* why = res->status == 409 ? "it was already answered" : "it has expired or is unknown";
    return env.out.Fail(e.message + ": " + why + "; reload the page to get a new link");
  }
  if (res->status != 200) return Fail(env, HttpFailure("the gate session", *res));
  auto doc = json::parse(res->body, nullptr, false);
  const auto claim_it = doc.is_object() ? doc.find("claim") : doc.end();
  if (claim_it == doc.end() || !claim_it->is_string() || !IsValidClaimName(claim_it->get<std::string>())) {
    return env.out.Fail("the gate session's answer could not be read");
  }
  const std::string claim = claim_it->get<std::string>();
  if (!args.claim.empty() && args.claim != claim) {
    return env.out.Fail("the gate session asks for " + claim + ", not " + args.claim);
  }
  const std::vector<OfferedChallenge> offered = ParseOffered(doc);
  if (offered.empty()) return env.out.Fail("the gate session's challenge could not be read");

  if (args.decline) return Decline(env, *url, offered);
  auto wallet = OpenWalletFile(env);
  if (!wallet.ok()) return Fail(env, wallet.error());
  auto consent = AskConsent(env, args, origin, claim);
  if (!consent.ok()) return Fail(env, consent.error());
  if (!*consent) return Decline(env, *url, offered);
  auto p = BuildPresentation(env, **wallet, claim, offered, origin, origin);
  if (!p.ok()) return Fail(env, p.error());
  // A wallet that cannot prove sends the site nothing: the page keeps
  // waiting (and the person is told why here), so an adult whose wallet ran
  // dry is never shown "not over 18".
  if (!p->ready) return Refuse(env, *p);
  auto answer = Send(env, args, *p, *url);
  if (!answer.ok()) return Fail(env, answer.error());
  if (answer->status == 404 || answer->status == 409 || answer->status == 410) {
    return Fail(env, HttpFailure("the gate session", *answer));
  }
  return ReportVerdict(env, claim, p->issuer, origin, *answer, nullptr);
}

// ProveHeader builds an RFC 9577 Authorization for a 401's WWW-Authenticate
// value and `target_url`'s origin (the browser extension sends it with the
// repeated navigation). Nothing is sent from here.
int ProveHeader(const Env& env, const ProveArgs& args) {
  if (args.target_url.empty()) return env.out.Fail("--www-authenticate needs --url: the address that answered 401");
  auto url = net::ParseUrl(args.target_url);
  if (!url.ok()) return env.out.Fail("--url: " + url.error().message);
  std::string claim = args.claim;
  auto offered = ParseOfferedHeader(args.www_authenticate, claim);
  if (!offered.ok()) return Fail(env, offered.error());
  if (!args.claim.empty() && claim != args.claim) return env.out.Fail("the challenge asks for " + claim + ", not " + args.claim);
  auto wallet = OpenWalletFile(env);
  if (!wallet.ok()) return Fail(env, wallet.error());
  const std::string origin = url->Origin();
  auto p = BuildPresentation(env, **wallet, claim, *offered, origin, origin);
  if (!p.ok()) return Fail(env, p.error());
  if (!p->ready) return Refuse(env, *p);
  env.out.Result(json{{"authorization", p->authorization}, {"issuer", p->issuer}, {"claim", claim}, {"origin", origin}},
                 p->authorization);
  return kExitYes;
}

// ChallengeProblem explains a /challenge answer that is not a challenge:
// not a yesno verifier, or a claim this site does not ask.
std::string ChallengeProblem(const net::Url& url, const std::string& claim, const net::HttpResponse& res) {
  auto doc = json::parse(res.body, nullptr, false);
  const std::string reason = ReasonOf(res);
  if (res.status == 404 && (reason == "unknown_claim" || reason == "bad_claim")) {
    std::string asks;
    if (doc.is_object() && doc.contains("claims") && doc["claims"].is_array()) {
      for (const auto& c : doc["claims"]) {
        if (c.is_string()) asks += (asks.empty() ? "" : ", ") + c.get<std::string>();
      }
    }
    if (!asks.empty()) return "this verifier asks for " + asks + "; not " + claim;
    return "this verifier does not ask for " + claim + " (or trusts no issuer that vouches for it now)";
  }
  const std::string where = url.Origin() + url.target.substr(0, url.target.find('?'));
  if (res.status == 404) {
    return where + " answered HTTP 404: not a yesno verifier (behind nginx it is usually under /yesno, e.g. --verifier " +
           url.Origin() + "/yesno)";
  }
  return where + " answered HTTP " + std::to_string(res.status) + (reason.empty() ? "" : " (" + reason + ")") +
         ": not a yesno verifier's challenge";
}

}  // namespace

int RunProve(const Env& env, const ProveArgs& args) {
  if (!args.claim.empty() && !IsValidClaimName(args.claim)) {
    return env.out.Fail("--claim '" + args.claim + "' is not a claim name: claims look like age_over_18 or verified_person");
  }
  const int modes = !args.session.empty() + !args.verifier.empty() + !args.www_authenticate.empty();
  if (modes > 1) return env.out.Fail("give one of --verifier, --session or --www-authenticate");
  if (!args.session.empty()) return ProveSession(env, args);
  if (!args.www_authenticate.empty()) return ProveHeader(env, args);
  if (args.verifier.empty()) {
    return env.out.Fail("say whom to prove to: --verifier URL --claim CLAIM (e.g. --verifier https://shop.example/yesno "
                        "--claim age_over_18), or --session LINK from a gate page");
  }
  if (args.claim.empty()) {
    return env.out.Fail("--claim is required with --verifier: the claim the site asks, e.g. --claim age_over_18");
  }
  auto base = net::ParseUrl(args.verifier);
  if (!base.ok()) return env.out.Fail("--verifier: " + base.error().message);
  // The origin the PoP names is the one we actually connect to — never what
  // the verifier says.
  const std::string origin = base->Origin();
  auto wallet = OpenWalletFile(env);
  if (!wallet.ok()) return Fail(env, wallet.error());
  const net::HttpClient http = env.Http();

  // 1. The challenge: which keys the verifier accepts, with a vnonce each.
  auto challenge_url = JoinUrl(*base, "/challenge?claim=" + args.claim);
  auto res = http.Get(*challenge_url);
  if (!res.ok()) return env.out.Fail("verifier: " + ExplainNetError(*challenge_url, res.error()));
  if (res->status != 401) return env.out.Fail(ChallengeProblem(*challenge_url, args.claim, *res));
  const json doc = json::parse(res->body, nullptr, false);
  const std::vector<OfferedChallenge> offered = ParseOffered(doc);
  if (offered.empty()) return env.out.Fail("the verifier's challenge could not be read");
  // A verifier that says which origins it accepts lets the wallet stop
  // before spending a token on a proof the site would refuse.
  if (doc.contains("origins") && doc["origins"].is_array() && !doc["origins"].empty()) {
    bool listed = false;
    std::string names;
    for (const auto& o : doc["origins"]) {
      if (!o.is_string()) continue;
      listed = listed || o.get<std::string>() == origin;
      names += (names.empty() ? "" : ", ") + o.get<std::string>();
    }
    if (!listed) {
      return env.out.Fail("the site is set up for " + names + ", but this wallet connected to " + origin +
                          " and would sign for that: use the site's own address in --verifier (no token was used)");
    }
  }

  // 2. and 3. Token, PoP, presentation.
  auto p = BuildPresentation(env, **wallet, args.claim, offered, origin, origin);
  if (!p.ok()) return Fail(env, p.error());
  if (!p->ready) return Refuse(env, *p);
  auto verify_url = JoinUrl(*base, "/verify?claim=" + args.claim);
  auto answer = Send(env, args, *p, *verify_url);
  if (!answer.ok()) return Fail(env, answer.error());
  return ReportVerdict(env, args.claim, p->issuer, origin, *answer, [&]() -> Status {
    if (args.cookie_jar.empty()) return Status::Ok();
    return WriteCookieJar(args.cookie_jar, *base, answer->Header("set-cookie"), env.clock->NowSeconds());
  });
}

int RunStatus(const Env& env, const StatusArgs& args) {
  auto wallet = OpenWalletFile(env);
  if (!wallet.ok()) return Fail(env, wallet.error());
  if (args.clear_warnings) {
    Status s = (*wallet)->Update([](WalletContents& c) -> Result<bool> {
      const bool had = !c.warnings.empty();
      c.warnings.clear();
      return had;
    }, *env.rng);
    if (!s.ok()) return Fail(env, s.error());
  }
  auto c = (*wallet)->Read();
  if (!c.ok()) return Fail(env, c.error());
  const int64_t now = env.clock->NowSeconds();
  json issuers = json::array();
  std::string text = "wallet " + env.WalletPath() + "\n";
  if (c->issuers.empty()) text += "no issuers yet (yesno enroll)\n";
  for (const auto& i : c->issuers) {
    // (claim, expiry) -> unused count; claim -> spent count
    std::map<std::string, std::map<int64_t, int>> unused;
    std::map<std::string, int> spent;
    for (const auto& t : c->tokens) {
      if (t.issuer != i.name || t.not_after <= now) continue;
      if (t.spent) {
        spent[t.claim]++;
      } else {
        unused[t.claim][t.not_after]++;
      }
    }
    json claims = json::object();
    text += "issuer " + i.name + " (" + i.url + ")\n";
    std::set<std::string> names;
    for (const auto& [k, v] : unused) names.insert(k);
    for (const auto& [k, v] : spent) names.insert(k);
    // Claims the last refill saw, held or not: a "0" then says why (not
    // vouched for, or this period's quota used until a date).
    for (const auto& k : c->keys) {
      if (k.issuer == i.name && CurrentRecord(*c, i.name, k.claim, now) != nullptr) names.insert(k.claim);
    }
    for (const auto& claim : names) {
      json epochs = json::array();
      int total = 0;
      std::vector<std::string> per_epoch;
      for (const auto& [expiry, n] : unused[claim]) {
        epochs.push_back({{"unused", n}, {"expires", DateOf(expiry)}, {"not_after", expiry}});
        total += n;
        per_epoch.push_back(std::to_string(n) + " until " + DateOf(expiry));
      }
      std::string detail;
      if (per_epoch.size() == 1) {
        detail = " (until " + DateOf(unused[claim].begin()->first) + ")";
      } else if (per_epoch.size() > 1) {
        for (const auto& e : per_epoch) detail += (detail.empty() ? " (" : ", ") + e;
        detail += ")";
      }
      json entry{{"unused", total}, {"spent", spent[claim]}, {"epochs", epochs}};
      std::string quota;
      const WalletKeyRecord* rec = CurrentRecord(*c, i.name, claim, now);
      if (rec != nullptr && rec->quota_limit == 0) {
        // The issuer does not vouch for this claim with this wallet's ticket.
        entry["quota_limit"] = 0;
        entry["vouched"] = false;
        quota = "; " + i.name + " does not vouch for this with this wallet's ticket";
      } else if (rec != nullptr && rec->quota_remaining >= 0) {
        if (rec->quota_limit > 0) entry["quota_limit"] = rec->quota_limit;
        entry["quota_remaining"] = rec->quota_remaining;
        if (rec->quota_remaining == 0) {
          entry["more_from"] = DateOf(EpochEnd(*rec));
          quota = "; quota for this period used, more from " + DateOf(EpochEnd(*rec));
        } else {
          quota = "; " + std::to_string(rec->quota_remaining) + " more to refill this period";
        }
      }
      claims[claim] = std::move(entry);
      text += "  " + claim + ": " + std::to_string(total) + " unused" + detail + ", " + std::to_string(spent[claim]) +
              " spent" + quota + "\n";
    }
    if (names.empty()) text += "  no tokens (yesno refill)\n";
    issuers.push_back({{"name", i.name}, {"url", i.url}, {"claims", claims}});
  }
  json warnings = json::array();
  for (const auto& w : c->warnings) {
    warnings.push_back({{"at", w.at}, {"text", w.text}});
    text += "WARNING " + w.text + "\n";
  }
  if (!c->warnings.empty()) text += "(clear these with: yesno status --clear-warnings)\n";
  text.pop_back();
  env.out.Result(json{{"wallet", env.WalletPath()}, {"issuers", issuers}, {"warnings", warnings}}, text);
  return kExitYes;
}

void AddWalletCommands(CLI::App& app, Env& env, std::function<int()>& run) {
  CLI::App* init = app.add_subcommand("init",
                                      "Create an encrypted wallet, unlocked by a passphrase (asked for, or YESNO_PASSPHRASE;\n"
                                      "12 characters or more) or by a key file (--key-file F: created with 32 random bytes\n"
                                      "if missing; keep it as safe as the wallet)");
  init->add_option("--key-file", env.global.key_file,
                   "Lock the wallet with this 32-byte key file instead of a passphrase (also a global option)");
  init->callback([&env, &run] { run = [&env] { return RunInit(env); }; });

  auto enroll_args = std::make_shared<EnrollArgs>();
  CLI::App* enroll = app.add_subcommand(
      "enroll", "Store an entitlement ticket and pin its issuer's key (checks the signed directory)");
  enroll->add_option("--issuer", enroll_args->issuer,
                     "Issuer base URL, e.g. https://issuer.example (its directory URL is accepted too)")
      ->required();
  enroll->add_option("--issuer-key", enroll_args->issuer_key,
                     "The issuer's Ed25519 public key (base64url), as the issuer publishes it")
      ->required();
  enroll->add_option("--ticket", enroll_args->ticket, "The ticket (yn1....) the issuer gave you; '-' reads stdin")->required();
  enroll->callback([&env, &run, enroll_args] { run = [&env, enroll_args] { return RunEnroll(env, *enroll_args); }; });

  auto refill_args = std::make_shared<RefillArgs>();
  CLI::App* refill = app.add_subcommand(
      "refill", "Fetch tokens for every claim your issuer vouches for (one batch per claim); every token\n"
                "is unblinded and verified before it is kept. Refill apart from any visit: `prove` never\n"
                "contacts the issuer. For a timer: `yesno refill --if-due` at a random time each day\n"
                "(systemd: yesno-refill.timer with RandomizedDelaySec).");
  refill->add_option("--claim", refill_args->claim, "Only this claim, e.g. age_over_18 (not with --if-due)");
  refill->add_option("--target", refill_args->target, "Unused tokens to hold per claim")->capture_default_str();
  refill->add_flag("--if-due", refill_args->if_due,
                   "Refill only when a claim is below --low-water unused tokens or a new period's key is live;\n"
                   "then every claim of that issuer together. Otherwise do nothing and say so.");
  refill->add_option("--low-water", refill_args->low_water, "With --if-due: refill below this many unused tokens")
      ->capture_default_str();
  refill->callback([&env, &run, refill_args] { run = [&env, refill_args] { return RunRefill(env, *refill_args); }; });

  auto prove_args = std::make_shared<ProveArgs>();
  CLI::App* prove = app.add_subcommand(
      "prove", "Answer a verifier's challenge with one fresh token; prints yes or no (<reason>).\n"
               "Exit 0 yes, 1 no, 2 error. The verifier learns the answer and nothing about you; the\n"
               "issuer is never contacted while proving (refill beforehand).\n"
               "Three ways to use it:\n"
               "  yesno prove --verifier https://shop.example/yesno --claim age_over_18 [--cookie-jar FILE]\n"
               "      a script or command-line client proves for itself (the cookie comes back here);\n"
               "  yesno prove --session https://shop.example/yesno/gate/session/ID\n"
               "      a browser gate: a site's page shows this command (and a QR code of the link). You are\n"
               "      shown the site and the question and asked first;\n"
               "      the browser that shows the page is let in; this command gets no cookie. The link works\n"
               "      once and for a few minutes. Answer only links from your own screen: whoever answers a\n"
               "      link answers for the browser that opened it;\n"
               "  yesno prove --www-authenticate 'PrivateToken ...' --url https://shop.example/adult/\n"
               "      prints an Authorization value for that 401 challenge (RFC 9577); sends nothing.");
  prove->add_option("--verifier", prove_args->verifier, "Verifier base URL, e.g. https://shop.example/yesno");
  prove->add_option("--claim", prove_args->claim,
                    "The claim to prove, e.g. age_over_18 (required with --verifier; with --session it is optional\n"
                    "and must match what the session asks for)");
  prove->add_option("--session", prove_args->session,
                    "Answer a browser gate session: the link a site's gate page shows (and its QR code holds),\n"
                    "e.g. https://shop.example/yesno/gate/session/ID. The browser showing the page gets in;\n"
                    "the proof is made for the link's own origin. If you decline, the page is told \"no\"; if the\n"
                    "wallet cannot prove the claim, the page is sent nothing and you are told why.");
  prove->add_flag("--yes", prove_args->assume_yes,
                  "With --session: do not ask (you opened the link yourself, on your own screen)");
  prove->add_flag("--decline", prove_args->decline, "With --session: tell the page \"no\" without proving anything");
  prove->add_option("--page-origin", prove_args->expected_origin,
                    "With --session: the origin of the page that showed the link; a link of another site is refused");
  prove->add_option("--www-authenticate", prove_args->www_authenticate,
                    "Build an Authorization value for this WWW-Authenticate: PrivateToken value (needs --url)");
  prove->add_option("--url", prove_args->target_url, "With --www-authenticate: the URL that answered 401");
  prove->add_option("--cookie-jar", prove_args->cookie_jar,
                    "After a yes, save the site's session cookie here (curl -b FILE format)");
  prove->add_option("--save-presentation", prove_args->save_presentation,
                    "Developer aid: save the Authorization value that was sent (to test replay protection)");
  prove->callback([&env, &run, prove_args] { run = [&env, prove_args] { return RunProve(env, *prove_args); }; });

  auto status_args = std::make_shared<StatusArgs>();
  CLI::App* status = app.add_subcommand("status", "List issuers, claims, unused tokens per claim and period, and warnings (no secrets)");
  status->add_flag("--clear-warnings", status_args->clear_warnings, "Forget the warnings shown (after reading them)");
  status->callback([&env, &run, status_args] { run = [&env, status_args] { return RunStatus(env, *status_args); }; });
}

}  // namespace yesno::cli
