// core_bench.cc — micro-benchmarks of yesno_core's protocol steps, beside the
// raw OpenSSL / libsodium operations they are built on (their ceilings).
//
// Every benchmark uses one RSA-2048 key, generated at start-up: the yesno
// steps through yesno::core, the raw ceilings on the very same key (exported
// as PKCS#8 / PKCS#1 and re-imported into OpenSSL). After the benchmarks,
// main() prints a summary (per-op time, ops/s) and a table of ratios, e.g.
// VerifyPresentation's rate against 1 / (t_rsa_verify + t_ed25519_verify), so
// one run gives the whole table of docs/benchmarks.md.
//
// Defaults: 9 repetitions of >= 0.1 s per benchmark, randomly interleaved,
// medians (and the cv) reported; any --benchmark_* flag given on the command line
// overrides them. Ratios use CPU time (all benchmarks are single-threaded).
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <sodium.h>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "yesno/auth_header.h"
#include "yesno/blind_rsa.h"
#include "yesno/bytes.h"
#include "yesno/pop.h"
#include "yesno/result.h"
#include "yesno/rng.h"
#include "yesno/secret_bytes.h"
#include "yesno/token.h"
#include "yesno/verifier.h"
#include "yesno/vnonce.h"

namespace {

using yesno::Bytes;
using yesno::ByteView;

constexpr char kIssuerName[] = "issuer.example";
constexpr char kClaim[] = "age_over_18";
constexpr char kOrigin[] = "https://shop.example";
constexpr int64_t kNow = 1'750'000'000;  // fixed: the vnonce stays fresh for the whole run
constexpr int kRsaBits = 2048;
constexpr int kPssSaltBytes = 48;
constexpr benchmark::IterationCount kFinalizeIterations = 512;

[[noreturn]] void Die(std::string_view what, std::string_view detail = {}) {
  std::fprintf(stderr, "yesno_core_bench: setup failed: %.*s %.*s\n", static_cast<int>(what.size()), what.data(),
               static_cast<int>(detail.size()), detail.data());
  std::abort();
}

template <class T>
T Must(yesno::Result<T> r, std::string_view what) {
  if (!r.ok()) Die(what, r.error().message);
  return std::move(*r);
}

void Must(const yesno::Status& s, std::string_view what) {
  if (!s.ok()) Die(what, s.error().message);
}

void MustOne(int rc, std::string_view what) {
  if (rc != 1) Die(what, "(OpenSSL call failed)");
}

template <auto Free>
struct OsslFree {
  template <class T>
  void operator()(T* p) const {
    Free(p);
  }
};
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, OsslFree<EVP_PKEY_free>>;
using EvpPkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, OsslFree<EVP_PKEY_CTX_free>>;
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, OsslFree<EVP_MD_CTX_free>>;
using EvpMdPtr = std::unique_ptr<EVP_MD, OsslFree<EVP_MD_free>>;

// RecordingRng draws from SystemRng and keeps a copy of every byte it handed out.
class RecordingRng final : public yesno::Rng {
 public:
  void Fill(std::span<uint8_t> out) override {
    system_.Fill(out);
    recorded_.insert(recorded_.end(), out.begin(), out.end());
  }
  const Bytes& recorded() const { return recorded_; }

 private:
  yesno::SystemRng system_;
  Bytes recorded_;
};

// ReplayRng hands out the bytes a RecordingRng recorded, in order. The
// Finalize benchmark uses it to rebuild identical issuances (same salt, same
// blinding factor) so that one blind signature finalizes all of them.
// WARNING: benchmark only; reusing a blinding factor links tokens.
class ReplayRng final : public yesno::Rng {
 public:
  explicit ReplayRng(ByteView script) : script_(script) {}
  void Fill(std::span<uint8_t> out) override {
    if (out.size() > script_.size() - pos_) Die("ReplayRng: script exhausted");
    std::copy_n(script_.begin() + static_cast<std::ptrdiff_t>(pos_), out.size(), out.begin());
    pos_ += out.size();
  }

 private:
  ByteView script_;
  std::size_t pos_ = 0;
};

// FreshSpentSet always answers "fresh" and stores nothing (a no-op), so the
// presentation benchmarks measure parsing and crypto, not a spent store.
class FreshSpentSet final : public yesno::SpentSet {
 public:
  yesno::Result<bool> CheckAndInsert(ByteView, ByteView, int64_t) override { return true; }
};

// Fixture holds everything the benchmarks share; built once, on first use.
struct Fixture {
  Fixture();

  yesno::RsaPrivateKey sk;
  yesno::RsaPublicKey pk;
  Bytes challenge;  // serialized cross-origin TokenChallenge for kIssuerName
  yesno::Ed25519KeyPair holder;
  Bytes issuance_script;  // the random bytes of one BeginTokenIssuance, for ReplayRng
  yesno::TokenRequest request;
  yesno::TokenResponse response;
  yesno::Token token;
  Bytes token_bytes;
  Bytes token_input;  // the 98-byte signed message

  yesno::VerifierContext ctx;
  yesno::TrustedKeySet keys;
  yesno::Presentation presentation;
  Bytes pop_message;
  std::string authorization;

  // The same key, imported into OpenSSL directly, for the raw ceilings.
  EvpPkeyPtr raw_sk;
  EvpPkeyPtr raw_pk;
  EvpMdPtr sha384;
};

Fixture::Fixture()
    : sk(Must(yesno::RsaPrivateKey::Generate(kRsaBits), "RsaPrivateKey::Generate")), pk(sk.public_key()) {
  Must(yesno::InitCrypto(), "InitCrypto");
  yesno::SystemRng rng;
  challenge = Must(yesno::CrossOriginChallenge(kIssuerName), "CrossOriginChallenge");
  holder = yesno::GenerateEd25519KeyPair(rng);

  RecordingRng recording;
  auto issuance = Must(yesno::BeginTokenIssuance(pk, challenge, holder.public_key, recording), "BeginTokenIssuance");
  issuance_script = recording.recorded();
  request = issuance.request();
  response = Must(yesno::SignTokenRequest(sk, request), "SignTokenRequest");
  token = Must(yesno::FinalizeToken(pk, issuance, response), "FinalizeToken");
  token_bytes = Must(yesno::SerializeToken(token), "SerializeToken");
  token_input = yesno::TokenAuthenticatorInput(token);
  Must(yesno::VerifyToken(pk, token), "VerifyToken");
  {
    // The replayed script must rebuild exactly the same request.
    ReplayRng replay(issuance_script);
    auto again = Must(yesno::BeginTokenIssuance(pk, challenge, holder.public_key, replay), "BeginTokenIssuance replay");
    if (again.request().blinded_msg != request.blinded_msg) Die("ReplayRng did not reproduce the issuance");
  }

  ctx.origin = kOrigin;
  ctx.vnonce_key.resize(yesno::kVnonceKeyBytes);
  rng.Fill(std::span<uint8_t>(ctx.vnonce_key.data(), ctx.vnonce_key.size()));
  keys.Add(yesno::TrustedKey{pk, kIssuerName, kClaim, kNow - 86'400, kNow + 30 * 86'400});
  presentation.token = token_bytes;
  presentation.vnonce = Must(yesno::CreateVnonce(ctx.vnonce_key, kClaim, kNow, rng), "CreateVnonce");
  presentation.pop =
      Must(yesno::SignPop(yesno::View(holder.seed), kOrigin, presentation.vnonce, token_bytes), "SignPop");
  pop_message = Must(yesno::PopMessage(kOrigin, presentation.vnonce, token_bytes), "PopMessage");
  authorization = yesno::BuildAuthorization(
      yesno::PrivateTokenCredentials{token_bytes, presentation.vnonce, presentation.pop});
  FreshSpentSet spent;
  auto outcome = yesno::VerifyPresentation(presentation, keys, kClaim, ctx, kNow, spent);
  if (!outcome.yes) Die("VerifyPresentation said no:", yesno::ReasonCode(outcome.reason));
  outcome = yesno::VerifyAuthorization(authorization, keys, kClaim, ctx, kNow, spent);
  if (!outcome.yes) Die("VerifyAuthorization said no:", yesno::ReasonCode(outcome.reason));

  // Raw keys: the private key through its PKCS#8 DER, the public key through
  // its PKCS#1 RSAPublicKey DER (a public-only key, as a verifier holds).
  const yesno::SecretBytes der = Must(sk.ToDer(), "RsaPrivateKey::ToDer");
  const uint8_t* p = der.data();
  raw_sk.reset(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(der.size())));
  const Bytes pub_der = pk.RsaPublicKeyDer();
  p = pub_der.data();
  raw_pk.reset(d2i_PublicKey(EVP_PKEY_RSA, nullptr, &p, static_cast<long>(pub_der.size())));
  sha384.reset(EVP_MD_fetch(nullptr, "SHA384", nullptr));
  if (!raw_sk || !raw_pk || !sha384) Die("importing the key into OpenSSL");
  if (EVP_PKEY_get_bits(raw_pk.get()) != kRsaBits) Die("raw key has the wrong size");
}

const Fixture& F() {
  static const Fixture* const fixture = new Fixture();  // never freed: outlives every benchmark
  return *fixture;
}

// ---------------------------------------------------------------------------
// yesno_core: the token flow (token.h) and the presentation check (verifier.h).

// BM_BlindRsaBlind: BeginTokenIssuance = SHA-256(challenge), token input,
// EMSA-PSS encode, gcd, blinding factor + inverse, r^e, blinded message.
void BM_BlindRsaBlind(benchmark::State& state) {
  const Fixture& f = F();
  yesno::SystemRng rng;
  for (auto _ : state) {
    auto issuance = yesno::BeginTokenIssuance(f.pk, f.challenge, f.holder.public_key, rng);
    if (!issuance.ok()) {
      state.SkipWithError("BeginTokenIssuance failed");
      break;
    }
    benchmark::DoNotOptimize(issuance);
  }
}

// BM_BlindRsaBlindSign: SignTokenRequest = checks + m^d mod n + the s^e == m check.
void BM_BlindRsaBlindSign(benchmark::State& state) {
  const Fixture& f = F();
  for (auto _ : state) {
    auto response = yesno::SignTokenRequest(f.sk, f.request);
    if (!response.ok()) {
      state.SkipWithError("SignTokenRequest failed");
      break;
    }
    benchmark::DoNotOptimize(response);
  }
}

// BM_BlindRsaFinalize: FinalizeToken = unblind (one modular multiplication)
// + RSA-PSS verify. Each iteration consumes one TokenIssuance; they are
// rebuilt, outside the timed region, from the replayed random bytes. A
// rebuild costs a whole Blind (far more than a Finalize), so this benchmark
// runs a fixed kFinalizeIterations per repetition instead of --benchmark_min_time.
void BM_BlindRsaFinalize(benchmark::State& state) {
  const Fixture& f = F();
  constexpr std::size_t kPool = 256;
  std::vector<yesno::TokenIssuance> pool;
  pool.reserve(kPool);
  std::size_t next = 0;
  auto refill = [&] {
    pool.clear();
    for (std::size_t i = 0; i < kPool; ++i) {
      ReplayRng replay(f.issuance_script);
      pool.push_back(Must(yesno::BeginTokenIssuance(f.pk, f.challenge, f.holder.public_key, replay), "refill"));
    }
    next = 0;
  };
  refill();
  for (auto _ : state) {
    if (next == pool.size()) {
      state.PauseTiming();
      refill();
      state.ResumeTiming();
    }
    auto token = yesno::FinalizeToken(f.pk, pool[next++], f.response);
    if (!token.ok()) {
      state.SkipWithError("FinalizeToken failed");
      break;
    }
    benchmark::DoNotOptimize(token);
  }
}

// BM_VerifyToken: type and key id checks, token input, SHA-384, RSA-PSS verify.
void BM_VerifyToken(benchmark::State& state) {
  const Fixture& f = F();
  for (auto _ : state) {
    yesno::Status s = yesno::VerifyToken(f.pk, f.token);
    if (!s.ok()) {
      state.SkipWithError("VerifyToken failed");
      break;
    }
    benchmark::DoNotOptimize(s);
  }
}

// BM_CheckVnonce: keyed BLAKE2b tag (constant-time compare) + freshness.
void BM_CheckVnonce(benchmark::State& state) {
  const Fixture& f = F();
  for (auto _ : state) {
    yesno::Status s = yesno::CheckVnonce(f.ctx.vnonce_key, f.presentation.vnonce, kClaim, kNow);
    if (!s.ok()) {
      state.SkipWithError("CheckVnonce failed");
      break;
    }
    benchmark::DoNotOptimize(s);
  }
}

// BM_VerifyPop: builds the PoP message and checks the Ed25519 signature.
void BM_VerifyPop(benchmark::State& state) {
  const Fixture& f = F();
  for (auto _ : state) {
    yesno::Status s =
        yesno::VerifyPop(f.token.nonce, f.presentation.pop, kOrigin, f.presentation.vnonce, f.token_bytes);
    if (!s.ok()) {
      state.SkipWithError("VerifyPop failed");
      break;
    }
    benchmark::DoNotOptimize(s);
  }
}

// BM_VerifyPresentation: the verifier's whole offline check (verifier.h):
// parse token, key lookup, claim + window, vnonce, RSA-PSS verify, Ed25519
// PoP verify, and a spent set that always answers "fresh" (FreshSpentSet).
void BM_VerifyPresentation(benchmark::State& state) {
  const Fixture& f = F();
  FreshSpentSet spent;
  for (auto _ : state) {
    auto outcome = yesno::VerifyPresentation(f.presentation, f.keys, kClaim, f.ctx, kNow, spent);
    if (!outcome.yes) {
      state.SkipWithError("VerifyPresentation said no");
      break;
    }
    benchmark::DoNotOptimize(outcome);
  }
}

// BM_VerifyAuthorization: VerifyPresentation plus parsing the
// "Authorization: PrivateToken ..." header value (3 base64url fields).
void BM_VerifyAuthorization(benchmark::State& state) {
  const Fixture& f = F();
  FreshSpentSet spent;
  for (auto _ : state) {
    auto outcome = yesno::VerifyAuthorization(f.authorization, f.keys, kClaim, f.ctx, kNow, spent);
    if (!outcome.yes) {
      state.SkipWithError("VerifyAuthorization said no");
      break;
    }
    benchmark::DoNotOptimize(outcome);
  }
}

// ---------------------------------------------------------------------------
// Raw ceilings: OpenSSL and libsodium called directly, with every per-call
// setup hoisted out of the loop. Same key, same message, same signature.

EvpPkeyCtxPtr PssVerifyCtx(EVP_PKEY* pkey, const EVP_MD* md) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  if (!ctx) Die("EVP_PKEY_CTX_new_from_pkey");
  MustOne(EVP_PKEY_verify_init(ctx.get()), "EVP_PKEY_verify_init");
  MustOne(EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PSS_PADDING), "set_rsa_padding");
  MustOne(EVP_PKEY_CTX_set_signature_md(ctx.get(), md), "set_signature_md");
  MustOne(EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), md), "set_rsa_mgf1_md");
  MustOne(EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx.get(), kPssSaltBytes), "set_rsa_pss_saltlen");
  return ctx;
}

// BM_RawRsaPssVerify: SHA-384 of the 98-byte token input (reused EVP_MD_CTX)
// + EVP_PKEY_verify on one prepared context (PSS, SHA-384, MGF1-SHA-384,
// salt 48). The ceiling for VerifyToken.
void BM_RawRsaPssVerify(benchmark::State& state) {
  const Fixture& f = F();
  EvpPkeyCtxPtr ctx = PssVerifyCtx(f.raw_pk.get(), f.sha384.get());
  EvpMdCtxPtr md_ctx(EVP_MD_CTX_new());
  if (!md_ctx) Die("EVP_MD_CTX_new");
  uint8_t digest[EVP_MAX_MD_SIZE];
  for (auto _ : state) {
    unsigned int digest_len = 0;
    if (EVP_DigestInit_ex2(md_ctx.get(), f.sha384.get(), nullptr) != 1 ||
        EVP_DigestUpdate(md_ctx.get(), f.token_input.data(), f.token_input.size()) != 1 ||
        EVP_DigestFinal_ex(md_ctx.get(), digest, &digest_len) != 1 ||
        EVP_PKEY_verify(ctx.get(), f.token.authenticator.data(), f.token.authenticator.size(), digest, digest_len) !=
            1) {
      state.SkipWithError("raw RSA-PSS verify failed");
      break;
    }
    benchmark::ClobberMemory();
  }
}

// BM_RawRsaPssVerifyFreshCtx: the same verify through EVP_DigestVerify with
// the whole context set up on every call (what naive per-call code pays).
// Informational: shows the cost of per-call OpenSSL setup.
void BM_RawRsaPssVerifyFreshCtx(benchmark::State& state) {
  const Fixture& f = F();
  for (auto _ : state) {
    EvpMdCtxPtr md_ctx(EVP_MD_CTX_new());
    EVP_PKEY_CTX* pctx = nullptr;  // owned by md_ctx
    if (!md_ctx ||
        EVP_DigestVerifyInit_ex(md_ctx.get(), &pctx, "SHA384", nullptr, nullptr, f.raw_pk.get(), nullptr) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, f.sha384.get()) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, kPssSaltBytes) != 1 ||
        EVP_DigestVerify(md_ctx.get(), f.token.authenticator.data(), f.token.authenticator.size(),
                         f.token_input.data(), f.token_input.size()) != 1) {
      state.SkipWithError("raw RSA-PSS verify (fresh context) failed");
      break;
    }
    benchmark::ClobberMemory();
  }
}

// BM_RawRsaPrivateOp: m^d mod n (EVP_PKEY_decrypt, RSA_NO_PADDING: CRT and
// blinding inside OpenSSL) on one prepared context. The ceiling for BlindSign.
void BM_RawRsaPrivateOp(benchmark::State& state) {
  const Fixture& f = F();
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, f.raw_sk.get(), nullptr));
  if (!ctx) Die("EVP_PKEY_CTX_new_from_pkey");
  MustOne(EVP_PKEY_decrypt_init(ctx.get()), "EVP_PKEY_decrypt_init");
  MustOne(EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_NO_PADDING), "set_rsa_padding");
  uint8_t out[kRsaBits / 8];
  for (auto _ : state) {
    std::size_t out_len = sizeof(out);
    if (EVP_PKEY_decrypt(ctx.get(), out, &out_len, f.request.blinded_msg.data(), f.request.blinded_msg.size()) != 1) {
      state.SkipWithError("raw RSA private op failed");
      break;
    }
    benchmark::ClobberMemory();
  }
  if (std::equal(out, out + sizeof(out), f.response.blind_sig.begin(), f.response.blind_sig.end()) == false) {
    state.SkipWithError("raw RSA private op disagrees with BlindSign");
  }
}

// BM_RawEd25519Verify: libsodium crypto_sign_verify_detached over the very
// PoP message a presentation carries. The ceiling for VerifyPop.
void BM_RawEd25519Verify(benchmark::State& state) {
  const Fixture& f = F();
  for (auto _ : state) {
    if (crypto_sign_verify_detached(f.presentation.pop.data(), f.pop_message.data(), f.pop_message.size(),
                                    f.token.nonce.data()) != 0) {
      state.SkipWithError("raw Ed25519 verify failed");
      break;
    }
    benchmark::ClobberMemory();
  }
}

BENCHMARK(BM_BlindRsaBlind)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_BlindRsaBlindSign)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RawRsaPrivateOp)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_BlindRsaFinalize)->Unit(benchmark::kMicrosecond)->Iterations(kFinalizeIterations);
BENCHMARK(BM_VerifyToken)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RawRsaPssVerify)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RawRsaPssVerifyFreshCtx)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CheckVnonce)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_VerifyPop)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RawEd25519Verify)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_VerifyPresentation)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_VerifyAuthorization)->Unit(benchmark::kMicrosecond);

// ---------------------------------------------------------------------------
// Reporting: the console output, plus a capture of each benchmark's per-op
// CPU time (the median of the repetitions when there are several).

class CapturingReporter final : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.error_occurred) {
        failed_.push_back(run.run_name.function_name);
        continue;
      }
      const double ns = run.GetAdjustedCPUTime() * 1e9 / benchmark::GetTimeUnitMultiplier(run.time_unit);
      Entry& e = entries_[run.run_name.function_name];
      if (run.run_type == Run::RT_Aggregate) {
        if (run.aggregate_name == "median") e.median_ns = ns;
        if (run.aggregate_name == "mean") e.mean_ns = ns;
        if (run.aggregate_name == "cv") e.cv = run.cpu_accumulated_time;  // a fraction, not a time
      } else {
        e.sum_ns += ns;
        ++e.runs;
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }

  // NanosPerOp is the median over repetitions, else the mean, else the
  // average of the plain runs; nullopt if the benchmark did not run or failed.
  std::optional<double> NanosPerOp(const std::string& name) const {
    if (std::find(failed_.begin(), failed_.end(), name) != failed_.end()) return std::nullopt;
    auto it = entries_.find(name);
    if (it == entries_.end()) return std::nullopt;
    const Entry& e = it->second;
    if (e.median_ns) return e.median_ns;
    if (e.mean_ns) return e.mean_ns;
    if (e.runs > 0) return e.sum_ns / e.runs;
    return std::nullopt;
  }
  // Cv is the coefficient of variation of the CPU time over the repetitions.
  std::optional<double> Cv(const std::string& name) const {
    auto it = entries_.find(name);
    return it == entries_.end() ? std::nullopt : it->second.cv;
  }
  std::string Source(const std::string& name) const {
    auto it = entries_.find(name);
    if (it == entries_.end()) return "";
    if (it->second.median_ns) return "median";
    if (it->second.mean_ns) return "mean";
    return "mean of runs";
  }

 private:
  struct Entry {
    std::optional<double> median_ns;
    std::optional<double> mean_ns;
    std::optional<double> cv;
    double sum_ns = 0;
    int runs = 0;
  };
  std::map<std::string, Entry> entries_;
  std::vector<std::string> failed_;
};

const char* const kOrder[] = {
    "BM_BlindRsaBlind",     "BM_BlindRsaBlindSign",       "BM_RawRsaPrivateOp", "BM_BlindRsaFinalize",
    "BM_VerifyToken",       "BM_RawRsaPssVerify",         "BM_RawRsaPssVerifyFreshCtx",
    "BM_CheckVnonce",       "BM_VerifyPop",               "BM_RawEd25519Verify",
    "BM_VerifyPresentation", "BM_VerifyAuthorization",
};

void PrintSummary(const CapturingReporter& r) {
  std::printf("\nsummary (CPU time per op)\n");
  std::printf("  %-28s %12s %12s %8s  %s\n", "benchmark", "us/op", "ops/s", "cv", "from");
  for (const char* name : kOrder) {
    auto ns = r.NanosPerOp(name);
    if (!ns) {
      std::printf("  %-28s %12s %12s\n", name, "n/a", "n/a");
      continue;
    }
    auto cv = r.Cv(name);
    char cv_text[32] = "-";
    if (cv) std::snprintf(cv_text, sizeof(cv_text), "%.1f%%", *cv * 100);
    std::printf("  %-28s %12.2f %12.0f %8s  %s\n", name, *ns / 1e3, 1e9 / *ns, cv_text, r.Source(name).c_str());
  }
}

struct RatioRow {
  const char* label;
  const char* ours;
  std::vector<const char*> ceiling;  // their times add up: one op of ours does all of them
  double goal;                       // 0: no goal
};

// kNoisyCv flags a ratio whose inputs varied by more than 5% across repetitions
// (typically other load on the machine): rerun before trusting it.
constexpr double kNoisyCv = 0.05;

void PrintRatios(const CapturingReporter& r) {
  const RatioRow rows[] = {
      {"VerifyPresentation / (RSA-PSS verify + Ed25519 verify)", "BM_VerifyPresentation",
       {"BM_RawRsaPssVerify", "BM_RawEd25519Verify"}, 0.85},
      {"VerifyAuthorization / (RSA-PSS verify + Ed25519 verify)", "BM_VerifyAuthorization",
       {"BM_RawRsaPssVerify", "BM_RawEd25519Verify"}, 0},
      {"VerifyToken / RSA-PSS verify", "BM_VerifyToken", {"BM_RawRsaPssVerify"}, 0},
      {"VerifyPop / Ed25519 verify", "BM_VerifyPop", {"BM_RawEd25519Verify"}, 0},
      {"BlindRsaBlindSign / RSA private op", "BM_BlindRsaBlindSign", {"BM_RawRsaPrivateOp"}, 0},
      {"BlindRsaFinalize / RSA-PSS verify", "BM_BlindRsaFinalize", {"BM_RawRsaPssVerify"}, 0},
      {"RSA-PSS verify, fresh ctx / prepared ctx", "BM_RawRsaPssVerifyFreshCtx", {"BM_RawRsaPssVerify"}, 0},
  };
  std::printf("\nratios (rate of ours / rate of the raw ceiling = t_ceiling / t_ours; 1.00 = at the ceiling)\n");
  std::printf("  %-58s %10s %10s %7s  %s\n", "what", "ours us", "ceil us", "ratio", "goal");
  for (const RatioRow& row : rows) {
    auto ours = r.NanosPerOp(row.ours);
    bool noisy = r.Cv(row.ours).value_or(0) > kNoisyCv;
    std::optional<double> ceiling = 0.0;
    for (const char* c : row.ceiling) {
      auto t = r.NanosPerOp(c);
      ceiling = (ceiling && t) ? std::optional<double>(*ceiling + *t) : std::nullopt;
      noisy = noisy || r.Cv(c).value_or(0) > kNoisyCv;
    }
    if (!ours || !ceiling) {
      std::printf("  %-58s %10s %10s %7s\n", row.label, "n/a", "n/a", "n/a");
      continue;
    }
    const double ratio = *ceiling / *ours;
    std::string goal;
    if (row.goal > 0) {
      char buf[64];
      std::snprintf(buf, sizeof(buf), ">= %.2f: %s", row.goal, ratio >= row.goal ? "met" : "NOT met");
      goal = buf;
    }
    if (noisy) goal += goal.empty() ? "(noisy: cv > 5%, rerun)" : " (noisy: cv > 5%, rerun)";
    std::printf("  %-58s %10.2f %10.2f %7.3f  %s\n", row.label, *ours / 1e3, *ceiling / 1e3, ratio, goal.c_str());
  }
}

bool HasFlag(int argc, char** argv, std::string_view flag) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg(argv[i]);
    if (arg.substr(0, flag.size()) == flag) return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  // Default flags, unless the caller chose: 9 repetitions of 0.1 s each,
  // randomly interleaved across benchmarks (so a burst of load elsewhere on
  // the machine hits ours and the ceilings alike), medians reported.
  std::vector<char*> args(argv, argv + argc);
  std::string min_time = "--benchmark_min_time=0.1";
  std::string repetitions = "--benchmark_repetitions=9";
  std::string interleave = "--benchmark_enable_random_interleaving=true";
  std::string aggregates = "--benchmark_report_aggregates_only=true";
  if (!HasFlag(argc, argv, "--benchmark_min_time")) args.insert(args.begin() + 1, min_time.data());
  if (!HasFlag(argc, argv, "--benchmark_enable_random_interleaving")) args.insert(args.begin() + 1, interleave.data());
  if (!HasFlag(argc, argv, "--benchmark_repetitions")) {
    args.insert(args.begin() + 1, repetitions.data());
    if (!HasFlag(argc, argv, "--benchmark_report_aggregates_only") &&
        !HasFlag(argc, argv, "--benchmark_display_aggregates_only")) {
      args.insert(args.begin() + 1, aggregates.data());
    }
  }
  int new_argc = static_cast<int>(args.size());
  args.push_back(nullptr);
  benchmark::Initialize(&new_argc, args.data());
  if (benchmark::ReportUnrecognizedArguments(new_argc, args.data())) return 1;

  std::printf("yesno_core_bench: RSA-%d key, OpenSSL %s, libsodium %s\n", kRsaBits,
              OpenSSL_version(OPENSSL_VERSION_STRING), sodium_version_string());
  std::fflush(stdout);
  F();  // key generation and fixture set-up, outside every timed region

  CapturingReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  std::fflush(stdout);
  PrintSummary(reporter);
  PrintRatios(reporter);
  benchmark::Shutdown();
  return 0;
}
