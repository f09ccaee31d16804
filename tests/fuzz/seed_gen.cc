// seed_gen.cc — writes the seed corpora of the fuzz targets.
//
//   yesno_fuzz_seed_gen <tests/vectors/data> <out dir>
//
// writes <out dir>/<target>/<name> for every target: the bytes of the known-
// answer vectors (RFC 9578 §8.2, RFC 9577 §7, the generic batch vectors,
// RFC 9474) in each target's input format, plus yesno's own messages made
// with the fixed test keys of fuzz_util.h (directory, tickets, wallet files,
// presentations to the fixture verifier). Output is deterministic; the
// committed corpus under tests/fuzz/corpus/ is exactly this program's output
// (checked by the fuzz.seeds_up_to_date test). Regenerate with
//
//   build-fuzz/tests/fuzz/yesno_fuzz_seed_gen tests/vectors/data tests/fuzz/corpus
//
// The verifier seeds are checked here against the fixture verifier: each must
// get its intended "no" (none may be a yes: the fuzzer asserts that none is).
#include <sodium.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_util.h"
#include "yesno/auth_header.h"
#include "yesno/batch.h"
#include "yesno/blind_rsa.h"
#include "yesno/directory.h"
#include "yesno/pop.h"
#include "yesno/ticket.h"
#include "yesno/token.h"
#include "yesno/verifier.h"
#include "yesno/vnonce.h"
#include "yesno/wallet.h"

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace yesno::fuzz {
namespace {

[[noreturn]] void Die(const std::string& what) {
  std::cerr << "yesno_fuzz_seed_gen: " << what << "\n";
  std::exit(1);
}

template <typename T>
T Must(Result<T> r, const char* what) {
  if (!r.ok()) Die(std::string(what) + ": " + r.error().message);
  return std::move(*r);
}

Bytes Hex(const std::string& s) { return Must(HexDecode(s), "hex in a vector"); }

Json Load(const fs::path& dir, const char* file) {
  std::ifstream in(dir / file);
  if (!in) Die(std::string("cannot read ") + (dir / file).string());
  return Json::parse(in);
}

// Corpus collects seeds per target; identical seeds are written once.
class Corpus {
 public:
  void Add(const std::string& target, const std::string& name, ByteView bytes) {
    auto& seen = seen_[target];
    if (!seen.insert(ToBytes(bytes)).second) return;
    files_[target][name] = ToBytes(bytes);
  }
  void Add(const std::string& target, const std::string& name, std::string_view text) {
    Add(target, name, AsBytes(text));
  }
  void Write(const fs::path& out) const {
    std::size_t total = 0, count = 0;
    for (const auto& [target, files] : files_) {
      const fs::path dir = out / target;
      fs::create_directories(dir);
      for (const auto& [name, bytes] : files) {
        std::ofstream f(dir / name, std::ios::binary | std::ios::trunc);
        f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
        if (!f) Die("cannot write " + (dir / name).string());
        total += bytes.size();
        ++count;
      }
      std::cout << target << ": " << files.size() << " seeds\n";
    }
    std::cout << "total: " << count << " seeds, " << total << " bytes\n";
  }

 private:
  std::map<std::string, std::map<std::string, Bytes>> files_;
  std::map<std::string, std::set<Bytes>> seen_;
};

std::string Str(const Json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

// --- verify_http: HTTP requests to the verifier service --------------------

// VerifyRequest is one POST /verify carrying `authorization`.
std::string VerifyRequest(const std::string& authorization, std::string_view claim = kClaim) {
  return "POST /verify?claim=" + std::string(claim) + " HTTP/1.1\r\nHost: shop.example\r\nAuthorization: " +
         authorization + "\r\nContent-Length: 0\r\n\r\n";
}

std::string Get(const std::string& target, const std::string& extra_headers = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: shop.example\r\n" + extra_headers + "\r\n";
}

// VerifyHttpSeeds adds the verify_http seeds: every route, and `valid` (a
// presentation with a PoP for the fixture origin: a yes) presented, replayed,
// then its session cookie (@COOKIE@, filled in by the fuzzer) shown to /auth,
// and the browser gate's flow (@ID@ is the session the gate page named).
void VerifyHttpSeeds(Corpus& c, const std::string& valid) {
  const std::string claim_header = "X-Yesno-Claim: " + std::string(kClaim) + "\r\n";
  c.Add("verify_http", "yes_replay_auth",
        VerifyRequest(valid) + VerifyRequest(valid) + Get("/auth", "Cookie: @COOKIE@\r\n" + claim_header));
  c.Add("verify_http", "yes_other_claim", VerifyRequest(valid, "age_over_21"));
  c.Add("verify_http", "verify_no_authorization", "POST /verify?claim=age_over_18 HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
  c.Add("verify_http", "verify_two_authorizations",
        "POST /verify?claim=age_over_18 HTTP/1.1\r\nAuthorization: " + valid + "\r\nAuthorization: " + valid +
            "\r\nContent-Length: 0\r\n\r\n");
  c.Add("verify_http", "verify_chunked_http10",
        "POST /verify?claim=age_over_18 HTTP/1.0\r\nAuthorization: " + valid +
            "\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n");
  c.Add("verify_http", "challenge_then_healthz_metrics",
        Get("/challenge?claim=age_over_18") + Get("/challenge?claim=Bad%20claim") + Get("/challenge?claim=age_over_99") +
            Get("/healthz") + "HEAD /healthz HTTP/1.1\r\n\r\n" + Get("/metrics"));
  c.Add("verify_http", "auth_forged_cookie",
        Get("/auth", "Cookie: yesno_age_over_18=AAAA.BBBB; other=1\r\n" + claim_header) + Get("/auth") +
            "POST /auth HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc" + Get("/nowhere"));
  c.Add("verify_http", "gate_yes_done",
        Get("/gate?claim=age_over_18&return=%2Fadult%2Fpage") + Get("/gate/session/@ID@") +
            "POST /gate/session/@ID@ HTTP/1.1\r\nAuthorization: " + valid + "\r\nContent-Length: 0\r\n\r\n" +
            Get("/gate/status/@ID@") + Get("/gate/done/@ID@", "Cookie: @COOKIE@\r\n") +
            Get("/gate/done/@ID@", "Cookie: @COOKIE@\r\n") + Get("/auth", "Cookie: @COOKIE@\r\n" + claim_header));
  c.Add("verify_http", "gate_decline_wrong_browser",
        Get("/gate?claim=age_over_18") + "POST /gate/session/@ID@/decline HTTP/1.1\r\nContent-Length: 0\r\n\r\n" +
            Get("/gate/status/@ID@") + Get("/gate/done/@ID@", "Cookie: yesno_gate_@ID@=AAAA\r\n") +
            Get("/gate?claim=age_over_18&return=https%3A%2F%2Fevil.example") + Get("/gate/session/unknown"));
  c.Add("verify_http", "garbage",
        Get("/healthz") + "GET / HTTP/1.1\r\nHost: \x01\r\n\r\n" + std::string(1, '\0') + "\xff garbage");
}

// --- the known-answer vectors ----------------------------------------------

void FromIssuanceVectors(const fs::path& dir, Corpus& c) {
  for (const char* file : {"privacypass-ts/pub_verif_rfc9578.go.json", "privacypass-ts/pub_verif_rfc9578.rust.json"}) {
    const std::string set = std::string(file).find(".go.") != std::string::npos ? "rfc9578_go" : "rfc9578_rust";
    int i = 0;
    for (const auto& v : Load(dir, file)) {
      const std::string id = set + "_" + std::to_string(i++);
      const Bytes spki = Hex(v["pkS"]);
      c.Add("spki", id, spki);
      c.Add("spki", id + "_pkcs1", Must(RsaPublicKey::FromSpki(spki), "pkS").RsaPublicKeyDer());
      c.Add("token_challenge", id, Hex(v["token_challenge"]));
      c.Add("token_request", id, Hex(v["token_request"]));
      c.Add("token_response", id, Hex(v["token_response"]));
      const Bytes token = Hex(v["token"]);
      c.Add("token", id, token);
      c.Add("encoding", id + "_nonce_hex", Str(v["nonce"]));
      c.Add("encoding", id + "_nonce_b64", Base64UrlEncode(Hex(v["nonce"])));
      c.Add("authorization", id, BuildAuthorization({token, {}, {}}));
      // A one-element batch of each kind.
      GenericBatchTokenRequest breq;
      breq.requests.push_back({kTokenTypeBlindRsa, Hex(v["token_request"])});
      c.Add("batch_request", id, Must(SerializeGenericBatchTokenRequest(breq), "batch request"));
      GenericBatchTokenResponse bresp;
      bresp.responses.push_back(GenericTokenResponse{kTokenTypeBlindRsa, Hex(v["token_response"])});
      bresp.responses.push_back(std::nullopt);
      c.Add("batch_response", id, Must(SerializeGenericBatchTokenResponse(bresp), "batch response"));
    }
  }
}

void FromHeaderVectors(const fs::path& dir, Corpus& c) {
  int i = 0;
  for (const char* file :
       {"privacypass-ts/auth_scheme_header_v14.json", "privacypass-ts/auth_scheme_header_complicated.json"}) {
    for (const auto& v : Load(dir, file)) {
      const std::string id = "rfc9577_header_" + std::to_string(i++);
      c.Add("www_authenticate", id, v["WWW-Authenticate"].get<std::string>());
      c.Add("encoding", id + "_key_hex", Str(v["token-key-0"]));
    }
  }
  i = 0;
  for (const auto& v : Load(dir, "privacypass-ts/auth_scheme_token_v14.json")) {
    const std::string id = "rfc9577_token_" + std::to_string(i++);
    TokenChallenge ch;
    ch.token_type = static_cast<uint16_t>(std::stoi(Str(v["token_type"]), nullptr, 16));
    ch.issuer_name = Hex(v["issuer_name"]);
    ch.redemption_context = Hex(v["redemption_context"]);
    ch.origin_info = Hex(v["origin_info"]);
    c.Add("token_challenge", id, Must(SerializeTokenChallenge(ch), "RFC 9577 challenge"));
  }
}

void FromBatchVectors(const fs::path& dir, Corpus& c) {
  for (const char* file :
       {"privacypass-ts/generic_batched_tokens_v6_go.json", "privacypass-ts/generic_batched_tokens_v6_rs.json"}) {
    const std::string set = std::string(file).find("_go.") != std::string::npos ? "batch_go" : "batch_rs";
    int i = 0;
    for (const auto& v : Load(dir, file)) {
      const std::string id = set + "_" + std::to_string(i++);
      c.Add("batch_request", id, Hex(v["token_request"]));
      c.Add("batch_response", id, Hex(v["token_response"]));
    }
  }
}

void FromBlindRsaVectors(const fs::path& dir, Corpus& c) {
  int i = 0;
  for (const auto& v : Load(dir, "blindrsa-ts/test_vectors_rfc9474.json")) {
    const std::string id = "rfc9474_" + std::to_string(i++);
    auto key = Must(RsaPublicKey::FromComponents(Hex(v["n"]), Hex(v["e"])), "RFC 9474 key");
    c.Add("spki", id, key.Spki());
    c.Add("spki", id + "_pkcs1", key.RsaPublicKeyDer());
    c.Add("encoding", id + "_e", Str(v["e"]));
  }
}

// --- yesno's own messages ------------------------------------------------------

struct Issued {
  Bytes token;
  SecretBytes seed;  // the token nonce's Ed25519 seed
};

Issued IssueToken(const RsaPrivateKey& sk, std::string_view issuer, DeterministicRng& rng) {
  Ed25519KeyPair holder = GenerateEd25519KeyPair(rng);
  const Bytes challenge = Must(CrossOriginChallenge(issuer), "challenge");
  auto issuance = Must(BeginTokenIssuance(sk.public_key(), challenge, holder.public_key, rng), "issuance");
  auto response = Must(SignTokenRequest(sk, issuance.request()), "sign");
  Token token = Must(FinalizeToken(sk.public_key(), issuance, response), "finalize");
  return Issued{Must(SerializeToken(token), "token"), std::move(holder.seed)};
}

void OwnMessages(const fs::path& vectors, Corpus& c) {
  DeterministicRng rng(0x5e);
  const RsaPrivateKey sk = Must(RsaPrivateKey::FromPem(kFixtureRsaKeyPem), "fixture key");
  const RsaPublicKey& pk = sk.public_key();
  c.Add("spki", "fixture", pk.Spki());
  c.Add("spki", "fixture_pkcs1", pk.RsaPublicKeyDer());
  const Bytes challenge = Must(CrossOriginChallenge(kIssuerName), "challenge");
  c.Add("token_challenge", "cross_origin", challenge);

  // Tokens, requests and responses of the fixture issuer.
  const Issued t1 = IssueToken(sk, kIssuerName, rng);
  c.Add("token", "fixture", t1.token);
  {
    Ed25519KeyPair holder = GenerateEd25519KeyPair(rng);
    auto issuance = Must(BeginTokenIssuance(pk, challenge, holder.public_key, rng), "issuance");
    const Bytes req = Must(SerializeTokenRequest(issuance.request()), "request");
    const Bytes resp = Must(SerializeTokenResponse(Must(SignTokenRequest(sk, issuance.request()), "sign")), "response");
    c.Add("token_request", "fixture", req);
    c.Add("token_response", "fixture", resp);
    GenericBatchTokenRequest breq;
    for (int i = 0; i < 3; ++i) breq.requests.push_back({kTokenTypeBlindRsa, req});
    c.Add("batch_request", "fixture_x3", Must(SerializeGenericBatchTokenRequest(breq), "batch"));
    c.Add("batch_request", "empty", Must(SerializeGenericBatchTokenRequest({}), "batch"));
    GenericBatchTokenResponse bresp;
    bresp.responses = {std::nullopt, GenericTokenResponse{kTokenTypeBlindRsa, resp}, std::nullopt};
    c.Add("batch_response", "fixture_partial", Must(SerializeGenericBatchTokenResponse(bresp), "batch"));
    c.Add("batch_response", "empty", Must(SerializeGenericBatchTokenResponse({}), "batch"));
  }

  // Challenges as the verifier sends them.
  const SecretBytes vkey = FixedKey(kVnonceKeyFill);
  const Bytes vnonce = Must(CreateVnonce(vkey, kClaim, kNow - 10, rng), "vnonce");
  PrivateTokenChallenge pch{challenge, pk.Spki(), std::nullopt, std::string(kClaim), vnonce};
  c.Add("www_authenticate", "yesno_one", BuildWwwAuthenticate({pch}));
  PrivateTokenChallenge pch2 = pch;
  pch2.max_age = 10;
  pch2.yesno_claim = "age_over_21";
  c.Add("www_authenticate", "yesno_two", BuildWwwAuthenticate({pch, pch2}));
  c.Add("www_authenticate", "mixed_schemes",
        "Basic realm=\"shop\", " + BuildWwwAuthenticate({pch}) + ", Bearer abc.def-ghi~==");
  c.Add("encoding", "vnonce_b64", Base64UrlEncode(vnonce));
  c.Add("encoding", "vnonce_b64_bare", Base64UrlEncode(vnonce, false));
  c.Add("encoding", "vnonce_hex_upper", "0X" + HexEncode(vnonce));
  c.Add("encoding", "empty", std::string_view());
  // Regressions: inputs that once broke a property (docs/hardening.md).
  c.Add("encoding", "regression_non_ascii_b64", std::string_view("\xfe" "303eb1d9ac3ce34707ba613f2d42339"));
  c.Add("www_authenticate", "regression_claim_quoted_pairs",
        "PrivateToken challenge=\"" + Base64UrlEncode(challenge) + "\", yesno-claim=\"a\\\"b\\\\c\"");

  // Presentations to the fixture verifier (verify_authorization), each
  // reaching a different check; none is a yes.
  TrustedKeySet keys;
  keys.Add(TrustedKey{pk, std::string(kIssuerName), std::string(kClaim), kKeyNotBefore, kKeyNotAfter});
  VerifierContext ctx{std::string(kOrigin), vkey};
  struct NoSpent final : SpentSet {
    Result<bool> CheckAndInsert(ByteView, ByteView, int64_t) override { return true; }
  } spent;
  auto add_presentation = [&](const std::string& name, const PrivateTokenCredentials& creds, Reason want) {
    const std::string header = BuildAuthorization(creds);
    const VerifyOutcome got = VerifyAuthorization(header, keys, kClaim, ctx, kNow, spent);
    if (got.yes || got.reason != want) {
      Die("verify seed " + name + ": got " + std::string(got.yes ? "yes" : ReasonCode(got.reason)) + ", want " +
          std::string(ReasonCode(want)));
    }
    c.Add("verify_authorization", name, header);
    c.Add("authorization", name, header);
    c.Add("verify_http", "verify_" + name, VerifyRequest(header));
  };
  const Bytes other_origin_pop = Must(SignPop(View(t1.seed), "https://other.example", vnonce, t1.token), "pop");
  add_presentation("bad_pop_other_origin", {t1.token, vnonce, other_origin_pop}, Reason::kBadPop);
  Bytes flipped = t1.token;
  flipped.back() ^= 0x01;
  add_presentation("bad_signature", {flipped, vnonce, other_origin_pop}, Reason::kBadSignature);
  const Bytes other_claim_vnonce = Must(CreateVnonce(vkey, "age_over_21", kNow - 10, rng), "vnonce");
  add_presentation("stale_nonce_other_claim", {t1.token, other_claim_vnonce, other_origin_pop}, Reason::kStaleNonce);
  const Bytes old_vnonce = Must(CreateVnonce(vkey, kClaim, kNow - 600, rng), "vnonce");
  add_presentation("stale_nonce_old", {t1.token, old_vnonce, other_origin_pop}, Reason::kStaleNonce);
  const RsaPrivateKey other_sk = Must(RsaPrivateKey::FromPem(
      AsString(Hex(Load(vectors, "privacypass-ts/pub_verif_rfc9578.go.json")[0]["skS"]))),
      "vector key");
  const Issued t2 = IssueToken(other_sk, kIssuerName, rng);
  add_presentation("unknown_key",
                   {t2.token, vnonce, Must(SignPop(View(t2.seed), kOrigin, vnonce, t2.token), "pop")},
                   Reason::kUnknownKey);
  add_presentation("malformed_no_pop", {t1.token, vnonce, {}}, Reason::kMalformed);
  VerifyHttpSeeds(c, BuildAuthorization({t1.token, vnonce, Must(SignPop(View(t1.seed), kOrigin, vnonce, t1.token), "pop")}));

  // The issuer directory.
  IssuerDirectory dir;
  dir.issuer_request_uri = "/token-request";
  dir.issuer_name = std::string(kIssuerName);
  dir.keys.push_back(DirectoryKey{2, pk.Spki(), kKeyNotBefore, kKeyNotAfter, std::string(kClaim), 12});
  dir.keys.push_back(DirectoryKey{2, other_sk.public_key().Spki(), kKeyNotBefore, kKeyNotAfter + 86400,
                                  "verified_person", std::nullopt});
  c.Add("directory", "two_keys", SerializeDirectory(dir));
  c.Add("directory", "no_keys",
        SerializeDirectory(IssuerDirectory{"/token-request", "issuer.example", {}}));
  c.Add("directory", "other_type_and_unknown_fields",
        "{\"issuer-request-uri\":\"https://issuer.example/token-request\",\"yesno-issuer-name\":\"i\\u00e9\","
        "\"token-keys\":[{\"token-type\":1,\"token-key\":\"AAAA\"},{\"token-type\":2,\"token-key\":\"" +
            Base64UrlEncode(pk.Spki()) +
            "\",\"not-before\":0,\"not-after\":1,\"yesno-claim\":\"age_over_150\",\"x\":[null,true,1.5e3]}],"
            "\"extra\":{}}");

  // Tickets: mode 0 (ticket string), mode 1 (plaintext), mode 2 (contents
  // built by FuzzedDataProvider: any bytes do).
  const SecretBytes tkey = FixedKey(kTicketKeyFill);
  std::vector<TicketContents> tickets = {
      {Bytes(kTicketIdBytes, 0x11), Date{2000, 2, 29}, {}, kNow + 365 * 86400},
      {Bytes(kTicketIdBytes, 0x22), Date{1970, 1, 1}, {"verified_person", "resident_fr"}, kNow},
  };
  for (std::size_t i = 0; i < tickets.size(); ++i) {
    const std::string t = Must(SealTicket(tkey, kIssuerName, tickets[i], rng), "ticket");
    c.Add("ticket", "open_" + std::to_string(i), std::string(1, '\0') + t);
    const Bytes sealed = Must(Base64UrlDecode(std::string_view(t).substr(4)), "ticket b64");
    const std::string ad = "yesno-ticket-v1" + std::string(kIssuerName);
    Bytes pt(sealed.size() - 24 - crypto_aead_xchacha20poly1305_ietf_ABYTES);
    unsigned long long pt_len = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(pt.data(), &pt_len, nullptr, sealed.data() + 24, sealed.size() - 24,
                                                   reinterpret_cast<const uint8_t*>(ad.data()), ad.size(),
                                                   sealed.data(), tkey.data()) != 0) {
      Die("ticket does not open");
    }
    c.Add("ticket", "plaintext_" + std::to_string(i), Concat({Bytes{0x01}, pt}));
  }
  for (int i = 0; i < 3; ++i) {
    Bytes fdp(96 + 32 * i);
    rng.Fill(fdp);
    fdp[0] = 0x02;
    c.Add("ticket", "contents_" + std::to_string(i), fdp);
  }

  // Wallet files (key-file header, so no Argon2id): mode 0 (file) and 1 (plaintext).
  const SecretBytes wkey = FixedKey(kWalletKeyFill);
  WalletContents w;
  w.created_at = kNow;
  w.generation = 3;
  WalletIssuer wi;
  wi.name = std::string(kIssuerName);
  wi.url = "https://issuer.example";
  wi.public_key = Bytes(32, 0x0a);
  wi.ticket = ToSecret(AsBytes(Must(SealTicket(tkey, kIssuerName, tickets[1], rng), "ticket")));
  wi.directory = SerializeDirectory(dir);
  wi.directory_signature = Base64UrlEncode(Bytes(64, 0x0b));
  wi.directory_fetched_at = kNow - 5;
  w.issuers.push_back(wi);
  w.tokens.push_back(WalletToken{std::string(kIssuerName), std::string(kClaim), t1.token, t1.seed, kKeyNotAfter, false, 0});
  w.tokens.push_back(WalletToken{std::string(kIssuerName), std::string(kClaim), t2.token, t2.seed, kKeyNotAfter, true, kNow});
  // Plaintext version 2: the key the wallet refilled under, and a kept warning.
  w.keys.push_back(WalletKeyRecord{std::string(kIssuerName), std::string(kClaim), kKeyNotAfter - 37 * 86400, kKeyNotAfter,
                                   Bytes(32, 0x0c), 64, 60, kNow - 5});
  w.warnings.push_back(WalletWarning{kNow, "shop.example offered another key"});
  for (const WalletContents& contents : {WalletContents{}, w}) {
    const std::string id = contents.tokens.empty() ? "empty" : "issuer_and_tokens";
    const Bytes file = Must(SealWallet(contents, wkey, NewKeyFileHeader(rng), rng), "wallet");
    c.Add("wallet", "file_" + id, Concat({Bytes{0x00}, file}));
    const WalletHeader h = Must(ParseWalletHeader(file), "wallet header");
    Bytes pt(file.size() - kWalletHeaderBytes - crypto_aead_xchacha20poly1305_ietf_ABYTES);
    unsigned long long pt_len = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(pt.data(), &pt_len, nullptr, file.data() + kWalletHeaderBytes,
                                                   file.size() - kWalletHeaderBytes, file.data(), kWalletHeaderBytes,
                                                   h.nonce.data(), wkey.data()) != 0) {
      Die("wallet does not open");
    }
    c.Add("wallet", "plaintext_" + id, Concat({Bytes{0x01}, pt}));
  }

  // Dates and claim names.
  for (const char* s : {"2000-02-29", "1999-12-31", "0001-01-01", "9999-12-31", "1900-02-28", "age_over_18",
                        "age_over_150", "age_over_1", "verified_person"}) {
    c.Add("date", s, std::string_view(s));
  }
}

}  // namespace
}  // namespace yesno::fuzz

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: yesno_fuzz_seed_gen <tests/vectors/data> <out dir>\n";
    return 2;
  }
  if (!yesno::InitCrypto().ok()) return 1;
  const fs::path vectors = argv[1];
  yesno::fuzz::Corpus corpus;
  yesno::fuzz::FromIssuanceVectors(vectors, corpus);
  yesno::fuzz::FromHeaderVectors(vectors, corpus);
  yesno::fuzz::FromBatchVectors(vectors, corpus);
  yesno::fuzz::FromBlindRsaVectors(vectors, corpus);
  yesno::fuzz::OwnMessages(vectors, corpus);
  corpus.Write(argv[2]);
  return 0;
}
