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

// Progress prints a line on stderr when a person is watching.
void Progress(const Env& env, const std::string& line) {
  if (env.progress && !env.out.json) *env.out.err << line << "\n";
}

Result<std::unique_ptr<WalletFile>> OpenWalletFile(const Env& env) { return WalletFile::Open(env.WalletPath(), env.Keys()); }

// ExitFor maps an error to the exit code (always 2: an error, not a "no").
int Fail(const Env& env, const Error& e) { return env.out.Fail(e.message); }

// PurgeExpired drops tokens whose key has expired (spent or not).
bool PurgeExpired(WalletContents& c, int64_t now) {
  const auto before = c.tokens.size();
  c.tokens.erase(std::remove_if(c.tokens.begin(), c.tokens.end(), [now](const WalletToken& t) { return t.not_after <= now; }),
                 c.tokens.end());
  return c.tokens.size() != before;
}

std::size_t UnusedTokens(const WalletContents& c, std::string_view issuer, std::string_view claim, int64_t now) {
  return static_cast<std::size_t>(std::count_if(c.tokens.begin(), c.tokens.end(), [&](const WalletToken& t) {
    return !t.spent && t.issuer == issuer && t.claim == claim && t.not_after > now;
  }));
}

struct RefillReport {
  std::map<std::string, int> added;    // claim -> tokens added
  std::map<std::string, int> refused;  // claim -> requests the issuer refused
  std::vector<std::string> notes;
};

// RefillIssuer tops up the claims `issuer` entitles (optionally one claim).
// Network work happens outside the wallet lock; each claim's verified tokens
// are saved before the next claim is requested.
Status RefillIssuer(const Env& env, WalletFile& wallet, const WalletIssuer& issuer, const std::string& only_claim,
                    int target, RefillReport& report) {
  const net::HttpClient http = env.Http();
  auto base = net::ParseUrl(issuer.url);
  if (!base.ok()) return base.error();
  auto dir = FetchDirectory(http, *base, issuer.public_key);
  if (!dir.ok()) return dir.error();
  if (dir->directory.issuer_name != issuer.name) {
    return MakeError(ErrorCode::kVerificationFailed, "the issuer's directory names another issuer");
  }
  auto ent = FetchEntitlements(http, *base, issuer.ticket);
  if (!ent.ok()) return ent.error();
  auto challenge = CrossOriginChallenge(issuer.name);
  if (!challenge.ok()) return challenge.error();

  // Keep the verified directory copy current.
  if (Status s = wallet.Update(
          [&](WalletContents& c) -> Result<bool> {
            for (auto& i : c.issuers) {
              if (i.name == issuer.name) {
                i.directory = dir->body;
                i.directory_signature = dir->signature;
                i.directory_fetched_at = env.clock->NowSeconds();
              }
            }
            return true;
          },
          *env.rng);
      !s.ok()) {
    return s;
  }

  for (const std::string& claim : ent->claims) {
    if (!only_claim.empty() && claim != only_claim) continue;
    const int64_t now = env.clock->NowSeconds();
    const DirectoryKey* key_entry = IssuingKey(dir->directory, claim, now);
    if (key_entry == nullptr) {
      report.notes.push_back(claim + ": the issuer publishes no current key");
      continue;
    }
    auto key = RsaPublicKey::FromSpki(key_entry->token_key);
    if (!key.ok() || key->modulus_bytes() != kBlindRsaNk) {
      report.notes.push_back(claim + ": the issuer's key is not a usable type-2 key");
      continue;
    }
    auto contents = wallet.Read();
    if (!contents.ok()) return contents.error();
    int need = target - static_cast<int>(UnusedTokens(*contents, issuer.name, claim, now));
    if (auto q = ent->remaining.find(claim); q != ent->remaining.end()) need = std::min<int64_t>(need, q->second) > 0 ? static_cast<int>(std::min<int64_t>(need, q->second)) : 0;
    need = std::min(need, kMaxBatch);
    if (need <= 0) {
      report.added[claim] += 0;
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
    if (!res.ok()) return MakeError(res.error().code, "token request: " + res.error().message);
    if (res->status != 200 && res->status != 206) {
      report.refused[claim] += need;
      report.notes.push_back(claim + ": " + HttpFailure("the issuer refused", *res).message);
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

int RefillAll(const Env& env, WalletFile& wallet, const std::string& claim, int target, RefillReport& report) {
  auto contents = wallet.Read();
  if (!contents.ok()) return Fail(env, contents.error());
  if (contents->issuers.empty()) return env.out.Fail("the wallet has no issuer yet: run `yesno enroll` first");
  for (const auto& issuer : contents->issuers) {
    if (Status s = RefillIssuer(env, wallet, issuer, claim, target, report); !s.ok()) {
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

// OfferedChallenge is one acceptable key from GET /challenge.
struct OfferedChallenge {
  Bytes key_id;
  Bytes vnonce;
  std::string issuer;
};

}  // namespace

std::string Env::WalletPath() const { return global.wallet_path.empty() ? DefaultWalletPath() : global.wallet_path; }

KeySource Env::Keys() const {
  KeySource k;
  k.key_file = global.key_file;
  k.read_passphrase = read_passphrase;
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
  auto base = net::ParseUrl(args.issuer);
  if (!base.ok()) return env.out.Fail("--issuer: " + base.error().message);
  auto key = Base64UrlDecode(args.issuer_key);
  if (!key.ok() || key->size() != kEd25519PublicKeyBytes) {
    return env.out.Fail("--issuer-key must be the issuer's Ed25519 public key (32 bytes, base64url)");
  }
  auto ticket_text = ReadArgument(args.ticket, *env.in);
  if (!ticket_text.ok()) return Fail(env, ticket_text.error());
  if (ticket_text->rfind(kTicketPrefix, 0) != 0) return env.out.Fail("--ticket is not a yesno ticket (yn1....)");
  SecretBytes ticket = ToSecret(AsBytes(*ticket_text));
  std::fill(ticket_text->begin(), ticket_text->end(), '\0');

  auto wallet = OpenWalletFile(env);
  if (!wallet.ok()) return Fail(env, wallet.error());
  const net::HttpClient http = env.Http();
  auto dir = FetchDirectory(http, *base, *key);
  if (!dir.ok()) return Fail(env, dir.error());
  auto ent = FetchEntitlements(http, *base, ticket);
  if (!ent.ok()) return Fail(env, ent.error());

  WalletIssuer issuer;
  issuer.name = dir->directory.issuer_name;
  issuer.url = args.issuer;
  issuer.public_key = *key;
  issuer.ticket = std::move(ticket);
  issuer.directory = dir->body;
  issuer.directory_signature = dir->signature;
  issuer.directory_fetched_at = env.clock->NowSeconds();
  Status s = wallet->get()->Update(
      [&](WalletContents& c) -> Result<bool> {
        for (auto& existing : c.issuers) {
          if (existing.name == issuer.name) {
            if (existing.public_key != issuer.public_key) {
              return MakeError(ErrorCode::kInvalidArgument,
                               "the wallet already pins another key for issuer " + issuer.name);
            }
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
  env.out.Result(json{{"issuer", dir->directory.issuer_name}, {"claims", ent->claims}, {"ticket_expires_at", ent->expires_at}},
                 "enrolled with " + dir->directory.issuer_name + "; entitled to: " + (claims.empty() ? "(nothing yet)" : claims));
  return kExitYes;
}

int RunRefill(const Env& env, const RefillArgs& args) {
  if (!args.claim.empty() && !IsValidClaimName(args.claim)) return env.out.Fail("--claim is not a valid claim name");
  if (args.target < 1 || args.target > 1000) return env.out.Fail("--target must be 1..1000");
  auto wallet = OpenWalletFile(env);
  if (!wallet.ok()) return Fail(env, wallet.error());
  RefillReport report;
  if (int rc = RefillAll(env, **wallet, args.claim, args.target, report); rc != kExitYes) return rc;
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
    offered.push_back(OfferedChallenge{*id, *vnonce, issuer != ch.end() && issuer->is_string() ? issuer->get<std::string>() : ""});
  }
  return offered;
}

// PickToken chooses an unused token for `claim` under a key the verifier
// offered that is also in our own signed directory copy (oldest first), and
// marks it spent on disk before anything is sent. kUnavailable "no_token"
// when there is none.
Status PickToken(const Env& env, WalletFile& wallet, const std::string& claim,
                 const std::vector<OfferedChallenge>& offered, WalletToken& chosen, OfferedChallenge& offer) {
  bool found = false;
  Status s = wallet.Update(
      [&](WalletContents& c) -> Result<bool> {
        const int64_t now = env.clock->NowSeconds();
        const bool purged = PurgeExpired(c, now);
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
        if (best == nullptr) return purged;
        best->spent = true;
        best->spent_at = now;
        chosen.issuer = best->issuer;
        chosen.claim = best->claim;
        chosen.token = best->token;
        chosen.seed = best->seed;
        chosen.not_after = best->not_after;
        offer = *best_offer;
        found = true;
        return true;  // saved (fsync, rename, fsync dir) before anything is sent
      },
      *env.rng);
  if (!s.ok()) return s;
  if (!found) return MakeError(ErrorCode::kUnavailable, "no_token");
  return Status::Ok();
}

// Presented is what PresentToken did.
struct Presented {
  bool sent = false;          // false: the wallet has no usable token; nothing was sent
  std::string issuer;         // whose token was sent
  net::HttpResponse answer;   // the verifier's answer (sent only)
};

// PresentToken is the one presentation path of `prove` and `prove --session`:
// pick a token (refilling once if none is left), mark it spent on disk, sign
// the PoP over (origin, vnonce, token) and POST the Authorization to `url`.
// `origin` must be the origin of the URL actually connected to. Returns
// kExitYes to go on (see `out`), or an exit code after reporting an error.
int PresentToken(const Env& env, WalletFile& wallet, const std::string& claim,
                 const std::vector<OfferedChallenge>& offered, const std::string& origin, const net::Url& url,
                 const ProveArgs& args, Presented& out) {
  WalletToken chosen;
  OfferedChallenge offer;
  Status picked = PickToken(env, wallet, claim, offered, chosen, offer);
  if (!picked.ok() && picked.error().message == "no_token") {
    // Refill once, if an issuer entitles the claim; otherwise answer no
    // without sending the verifier anything.
    Progress(env, "no unused " + claim + " token: refilling...");
    RefillReport report;
    if (int rc = RefillAll(env, wallet, claim, args.refill_target, report); rc != kExitYes) return rc;
    picked = PickToken(env, wallet, claim, offered, chosen, offer);
    if (!picked.ok() && picked.error().message == "no_token") return kExitYes;  // out.sent stays false
  }
  if (!picked.ok()) return Fail(env, picked.error());

  auto pop = SignPop(View(chosen.seed), origin, offer.vnonce, chosen.token);
  if (!pop.ok()) return Fail(env, pop.error());
  PrivateTokenCredentials creds{chosen.token, offer.vnonce, *pop};
  net::HttpRequest req;
  req.method = "POST";
  req.url = url;
  req.headers.emplace_back("Authorization", BuildAuthorization(creds));
  auto answer = env.Http().Send(req);
  if (!args.save_presentation.empty()) {
    // Developer aid: the token is spent already; this lets a tester try a replay.
    if (Status s = files::WriteFileAtomic(args.save_presentation, AsBytes(req.headers.back().second), 0600); !s.ok()) {
      return Fail(env, s.error());
    }
  }
  if (!answer.ok()) return env.out.Fail("verifier: " + answer.error().message);
  out.sent = true;
  out.issuer = chosen.issuer;
  out.answer = std::move(*answer);
  return kExitYes;
}

int AnswerNo(const Env& env, const std::string& reason) {
  env.out.Result(json{{"answer", "no"}, {"reason", reason}}, "no (" + reason + ")");
  return kExitNo;
}

// ReportVerdict prints the verifier's yes/no answer (exit 0/1), or an error
// (exit 2) if the answer is not one. `on_yes` runs before "yes" is printed.
int ReportVerdict(const Env& env, const std::string& claim, const Presented& p,
                  const std::function<Status()>& on_yes) {
  auto verdict = json::parse(p.answer.body, nullptr, false);
  if (!verdict.is_object() || !verdict.contains("answer") || !verdict["answer"].is_string()) {
    return Fail(env, HttpFailure("verifier", p.answer));
  }
  if (verdict["answer"] == "yes") {
    if (on_yes) {
      if (Status s = on_yes(); !s.ok()) return Fail(env, s.error());
    }
    env.out.Result(json{{"answer", "yes"}, {"claim", claim}, {"issuer", p.issuer}}, "yes");
    return kExitYes;
  }
  const auto reason = verdict.find("reason");
  return AnswerNo(env, reason != verdict.end() && reason->is_string() ? reason->get<std::string>() : "unknown");
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
  const net::HttpClient http = env.Http();
  auto res = http.Get(*url);
  if (!res.ok()) return env.out.Fail("verifier: " + res.error().message);
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
  Progress(env, "the site at " + origin + " asks for " + claim);

  auto wallet = OpenWalletFile(env);
  if (!wallet.ok()) return Fail(env, wallet.error());
  Presented p;
  if (int rc = PresentToken(env, **wallet, claim, offered, origin, *url, args, p); rc != kExitYes) return rc;
  if (!p.sent) {
    // Tell the waiting page that the answer is no, so the person is not left
    // waiting; this says nothing the "no" itself does not.
    auto decline = JoinUrl(*url, "/decline");
    net::HttpRequest req;
    req.method = "POST";
    req.url = *decline;
    if (auto r = http.Send(req); !r.ok() || r->status != 200) {
      Progress(env, "could not tell the page (it will time out)");
    }
    return AnswerNo(env, "no_token");
  }
  if (p.answer.status == 404 || p.answer.status == 409 || p.answer.status == 410) {
    return Fail(env, HttpFailure("the gate session", p.answer));
  }
  return ReportVerdict(env, claim, p, nullptr);
}

}  // namespace

int RunProve(const Env& env, const ProveArgs& args) {
  if (!args.session.empty()) {
    if (!args.verifier.empty()) return env.out.Fail("give either --verifier or --session, not both");
    if (!args.claim.empty() && !IsValidClaimName(args.claim)) return env.out.Fail("--claim is not a valid claim name");
    return ProveSession(env, args);
  }
  if (args.verifier.empty()) return env.out.Fail("--verifier (with --claim) or --session is required");
  if (!IsValidClaimName(args.claim)) return env.out.Fail("--claim is not a valid claim name");
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
  if (!res.ok()) return env.out.Fail("verifier: " + res.error().message);
  if (res->status == 404) return AnswerNo(env, "verifier_does_not_accept_claim");
  if (res->status != 401) return Fail(env, HttpFailure("verifier challenge", *res));
  const std::vector<OfferedChallenge> offered = ParseOffered(json::parse(res->body, nullptr, false));
  if (offered.empty()) return env.out.Fail("the verifier's challenge could not be read");

  // 2. and 3. Token, PoP, presentation.
  auto verify_url = JoinUrl(*base, "/verify?claim=" + args.claim);
  Presented p;
  if (int rc = PresentToken(env, **wallet, args.claim, offered, origin, *verify_url, args, p); rc != kExitYes) return rc;
  if (!p.sent) return AnswerNo(env, "no_token");
  return ReportVerdict(env, args.claim, p, [&]() -> Status {
    if (args.cookie_jar.empty()) return Status::Ok();
    return WriteCookieJar(args.cookie_jar, *base, p.answer.Header("set-cookie"), env.clock->NowSeconds());
  });
}

int RunStatus(const Env& env) {
  auto wallet = OpenWalletFile(env);
  if (!wallet.ok()) return Fail(env, wallet.error());
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
    for (const auto& claim : names) {
      json epochs = json::array();
      int total = 0;
      std::string per_epoch;
      for (const auto& [expiry, n] : unused[claim]) {
        epochs.push_back({{"unused", n}, {"expires", FormatDate(DateFromUnixSeconds(expiry))}, {"not_after", expiry}});
        total += n;
        per_epoch += " " + std::to_string(n) + " until " + FormatDate(DateFromUnixSeconds(expiry)) + ";";
      }
      claims[claim] = {{"unused", total}, {"spent", spent[claim]}, {"epochs", epochs}};
      text += "  " + claim + ": " + std::to_string(total) + " unused, " + std::to_string(spent[claim]) + " spent;" + per_epoch + "\n";
    }
    if (names.empty()) text += "  no tokens (yesno refill)\n";
    issuers.push_back({{"name", i.name}, {"url", i.url}, {"claims", claims}});
  }
  text.pop_back();
  env.out.Result(json{{"wallet", env.WalletPath()}, {"issuers", issuers}}, text);
  return kExitYes;
}

void AddWalletCommands(CLI::App& app, Env& env, std::function<int()>& run) {
  CLI::App* init = app.add_subcommand("init",
                                      "Create an encrypted wallet (passphrase from a prompt or YESNO_PASSPHRASE,\n"
                                      "or --key-file F, created with 32 random bytes if missing)");
  init->callback([&env, &run] { run = [&env] { return RunInit(env); }; });

  auto enroll_args = std::make_shared<EnrollArgs>();
  CLI::App* enroll = app.add_subcommand(
      "enroll", "Store an entitlement ticket and pin its issuer's key (checks the signed directory)");
  enroll->add_option("--issuer", enroll_args->issuer, "Issuer base URL, e.g. https://issuer.example")->required();
  enroll->add_option("--issuer-key", enroll_args->issuer_key,
                     "The issuer's Ed25519 public key (base64url), as `yesno-issuer init` printed it")
      ->required();
  enroll->add_option("--ticket", enroll_args->ticket, "The ticket (yn1....) the issuer gave you; '-' reads stdin")->required();
  enroll->callback([&env, &run, enroll_args] { run = [&env, enroll_args] { return RunEnroll(env, *enroll_args); }; });

  auto refill_args = std::make_shared<RefillArgs>();
  CLI::App* refill = app.add_subcommand(
      "refill", "Top up tokens for every entitled claim (one batch request per claim);\n"
                "every token is unblinded and verified before it is kept");
  refill->add_option("--claim", refill_args->claim, "Only this claim, e.g. age_over_18");
  refill->add_option("--target", refill_args->target, "Unused tokens to hold per claim")->capture_default_str();
  refill->callback([&env, &run, refill_args] { run = [&env, refill_args] { return RunRefill(env, *refill_args); }; });

  auto prove_args = std::make_shared<ProveArgs>();
  CLI::App* prove = app.add_subcommand(
      "prove", "Answer a verifier's challenge with one fresh token; prints yes or no (<reason>).\n"
               "Exit 0 yes, 1 no, 2 error. The verifier learns the answer and nothing about you.\n"
               "Two ways to use it:\n"
               "  yesno prove --verifier https://shop.example/yesno --claim age_over_18 [--cookie-jar FILE]\n"
               "      a script or command-line client proves for itself (the cookie comes back here);\n"
               "  yesno prove --session https://shop.example/yesno/gate/session/ID\n"
               "      a browser gate: a site's page shows this command (and a QR code of the link). Your wallet\n"
               "      proves the claim the page asks for, and the browser that shows the page is let in; this\n"
               "      command gets no cookie. The link works once and for a few minutes. Answer only links\n"
               "      from your own screen: whoever answers a link answers for the browser that opened it.");
  prove->add_option("--verifier", prove_args->verifier, "Verifier base URL, e.g. https://shop.example/yesno");
  prove->add_option("--claim", prove_args->claim,
                    "The claim to prove, e.g. age_over_18 (with --verifier; with --session it is optional and\n"
                    "must match what the session asks for)");
  prove->add_option("--session", prove_args->session,
                    "Answer a browser gate session: the link a site's gate page shows (and its QR code holds),\n"
                    "e.g. https://shop.example/yesno/gate/session/ID. The browser showing the page gets in;\n"
                    "the proof is made for the link's own origin. If the wallet cannot prove the claim, the page\n"
                    "is told \"no\" (and nothing else).");
  prove->add_option("--cookie-jar", prove_args->cookie_jar,
                    "After a yes, save the site's session cookie here (curl -b FILE format)");
  prove->add_option("--save-presentation", prove_args->save_presentation,
                    "Developer aid: save the Authorization value that was sent (to test replay protection)");
  prove->callback([&env, &run, prove_args] { run = [&env, prove_args] { return RunProve(env, *prove_args); }; });

  CLI::App* status = app.add_subcommand("status", "List issuers, claims, unused tokens per claim and epoch (no secrets)");
  status->callback([&env, &run] { run = [&env] { return RunStatus(env); }; });
}

}  // namespace yesno::cli
