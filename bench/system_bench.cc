// system_bench.cc — yesno_system_bench: the issuer, the wallet and the
// side-by-side with the TypeScript Privacy Pass implementation, each against
// a ceiling or a peer measured in the same run (docs/benchmarks.md, "Issuer",
// "Wallet", "Side by side", "Bytes on the wire").
//
//   build-bench/bench/yesno_system_bench [--seconds 4] [--proves 20]
//        [--node PATH --interop-dir DIR]   (DIR: tests/interop with node_modules)
//
// 1. Issuer in process (single thread, CPU time, median of 5 interleaved
//    rounds): the raw RSA-2048 private op (OpenSSL, prepared context,
//    RSA_NO_PADDING) on the issuer's own live key vs IssuerService handling
//    POST /token-request-batch with 32 requests (ticket open, quota in SQLite,
//    32 BlindSigns with the s^e == m check, the batch answer) and POST
//    /token-request with one.
// 2. Issuer over HTTP: the real yesno-issuer binary on loopback, `--threads`
//    1 and 2; this process sends batches of 32 (and single requests) on 2
//    keep-alive connections for `--seconds`. Tokens/s, p50/p99 per request,
//    issuer CPU per token, RSS idle and under load.
// 3. Wallet: the real `yesno prove` against the real yesno-verifier, `--proves`
//    times: wall time and CPU (user + system of the yesno process) per prove,
//    next to a `yesno --help` process (start-up alone); in process, the
//    wallet's own work per prove (OpenWallet, SealWallet, SignPop); and the
//    bytes of the Authorization header the wallet sent (--save-presentation).
// 4. Side by side: the same age_over_18 token, key and challenge verified by
//    yesno's core in this process and by privacypass-ts's Origin.verify in
//    Node (tests/interop/interop.mjs bench-verify), one after the other.
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <vector>

#include "issuer_service.h"
#include "bench_util.h"
#include "load_client.h"
#include "testing/child_process.h"
#include "testing/process.h"
#include "yesno/auth_header.h"
#include "yesno/batch.h"
#include "yesno/directory.h"
#include "yesno/pop.h"
#include "yesno/token.h"
#include "yesno/wallet.h"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
using Json = nlohmann::json;
using yesno::Bytes;
using yesno::bench::ChildrenCpuSeconds;
using yesno::bench::Die;
using yesno::bench::Median;
using yesno::bench::Must;
using yesno::bench::Percentile;
using yesno::bench::Seconds;
using yesno::bench::ThreadCpuSeconds;
using yesno::testing::CpuSeconds;
using yesno::testing::RssKib;
using yesno::testing::TrimEnd;

constexpr char kIssuerName[] = "issuer.bench";
constexpr char kClaim[] = "age_over_18";
constexpr int kRounds = 5;
constexpr std::size_t kBatch = 32;
constexpr int kQuota = 10000;  // the issuer's maximum per ticket, claim and epoch

yesno::testing::ProcessResult Run(const std::vector<std::string>& argv, const std::string& input = "") {
  auto r = yesno::testing::RunProcess(argv, input, std::chrono::seconds(120));
  if (r.exit_code != 0) Die(argv[0] + " " + (argv.size() > 1 ? argv[1] : "") + " failed: " + r.err);
  return r;
}

// --- raw ceiling ------------------------------------------------------------------

struct RawSigner {
  EVP_PKEY* pkey = nullptr;
  EVP_PKEY_CTX* ctx = nullptr;
  explicit RawSigner(const yesno::RsaPrivateKey& sk) {
    const yesno::SecretBytes der = Must(sk.ToDer(), "ToDer");
    const uint8_t* p = der.data();
    pkey = d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(der.size()));
    ctx = pkey ? EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr) : nullptr;
    if (ctx == nullptr || EVP_PKEY_decrypt_init(ctx) != 1 || EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) != 1) {
      Die("preparing the raw RSA private op");
    }
  }
  ~RawSigner() {
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(pkey);
  }
  void Sign(const Bytes& m) {
    uint8_t out[512];
    std::size_t len = sizeof(out);
    if (EVP_PKEY_decrypt(ctx, out, &len, m.data(), m.size()) != 1) Die("raw RSA private op failed");
  }
};

// --- issuer -----------------------------------------------------------------------

struct IssuerSetup {
  std::string state;
  std::string public_key;             // the issuer's Ed25519 key (pinned by wallets)
  std::vector<std::string> tickets;
  std::vector<Bytes> requests;        // distinct blinded TokenRequests for the live key
  std::string batch_body;             // kBatch of them, generic batch
  std::optional<yesno::RsaPrivateKey> key;  // the live key for kClaim (set in process)
};

yesno::server::Request IssuerRequest(const std::string& target, const char* type, const std::string& ticket,
                                     const std::string& body) {
  yesno::server::Request req{http::verb::post, target, 11};
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::content_type, type);
  req.set(http::field::authorization, "Bearer " + ticket);
  req.body() = body;
  req.prepare_payload();
  return req;
}

std::string WireRequest(const std::string& target, const char* type, const std::string& ticket,
                        const std::string& body) {
  return "POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + ticket +
         "\r\nContent-Type: " + type + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

struct InProcessIssuer {
  double raw_us = 0, batch_us_per_token = 0, single_us = 0;
};

InProcessIssuer MeasureIssuerInProcess(IssuerSetup& s) {
  yesno::SystemClock clock;
  yesno::SystemRng rng;
  auto service = Must(yesno::issuer::IssuerService::Open(s.state, clock, rng), "IssuerService::Open");
  Must(service->Maintain(), "Maintain");
  auto live = service->keys().LiveKeyFor(kClaim, clock.NowSeconds());
  if (!live) Die("no live key for " + std::string(kClaim));
  s.key = live->key;
  const yesno::RsaPrivateKey& sk = *s.key;
  const Bytes challenge = Must(yesno::CrossOriginChallenge(kIssuerName), "CrossOriginChallenge");
  yesno::GenericBatchTokenRequest batch;
  for (std::size_t i = 0; i < 2 * kBatch; ++i) {
    Bytes nonce(32);
    rng.Fill(nonce);
    auto is = Must(yesno::BeginTokenIssuance(sk.public_key(), challenge, nonce, rng), "BeginTokenIssuance");
    s.requests.push_back(Must(yesno::SerializeTokenRequest(is.request()), "SerializeTokenRequest"));
    if (i < kBatch) batch.requests.push_back(yesno::GenericTokenRequest{yesno::kTokenTypeBlindRsa, s.requests.back()});
  }
  s.batch_body = yesno::AsString(Must(yesno::SerializeGenericBatchTokenRequest(batch), "batch"));

  RawSigner raw(sk);
  const Bytes blinded(s.requests[0].begin() + 3, s.requests[0].end());
  const auto batch_req = IssuerRequest("/token-request-batch", yesno::kMediaTypeBatchRequest, s.tickets[0], s.batch_body);
  std::vector<yesno::server::Request> singles;
  for (const auto& r : s.requests) {
    singles.push_back(IssuerRequest("/token-request", yesno::kMediaTypeTokenRequest, s.tickets[0], yesno::AsString(r)));
  }
  std::vector<double> raw_us, batch_us, single_us;
  int used = 0;  // tokens charged to tickets[0]
  for (int round = 0; round < kRounds; ++round) {
    double start = ThreadCpuSeconds();
    int n = 0;
    while (ThreadCpuSeconds() - start < 0.2) {
      raw.Sign(blinded);
      ++n;
    }
    raw_us.push_back((ThreadCpuSeconds() - start) * 1e6 / n);

    start = ThreadCpuSeconds();
    for (int b = 0; b < 8; ++b) {
      yesno::server::RequestLog log;
      auto res = service->HandleRequest(batch_req, log);
      if (res.result() != http::status::ok) Die("in-process batch: HTTP " + std::to_string(res.result_int()) + " " + res.body());
    }
    batch_us.push_back((ThreadCpuSeconds() - start) * 1e6 / (8.0 * kBatch));
    used += 8 * static_cast<int>(kBatch);

    start = ThreadCpuSeconds();
    for (const auto& req : singles) {
      yesno::server::RequestLog log;
      auto res = service->HandleRequest(req, log);
      if (res.result() != http::status::ok) Die("in-process single: HTTP " + std::to_string(res.result_int()));
    }
    single_us.push_back((ThreadCpuSeconds() - start) * 1e6 / static_cast<double>(singles.size()));
    used += static_cast<int>(singles.size());
  }
  if (used > kQuota) Die("the in-process rounds need more quota than one ticket has");
  return {Median(raw_us), Median(batch_us), Median(single_us)};
}

struct HttpRun {
  std::string label;
  std::size_t requests = 0, tokens = 0;
  double seconds = 0, tokens_per_s = 0, p50_ms = 0, p99_ms = 0, server_cpu_us_per_token = 0;
  long rss_idle_kib = 0, rss_load_kib = 0;
};

// RunIssuerHttp drives the real yesno-issuer with `per_request` tokens per
// request (kBatch: /token-request-batch, 1: /token-request).
HttpRun RunIssuerHttp(const std::string& issuer_path, const IssuerSetup& s, int threads, std::size_t per_request,
                      int connections, double max_seconds, std::size_t& ticket_cursor, const std::string& log) {
  HttpRun run;
  run.label = std::string(per_request == 1 ? "single" : "batch of 32") + ", --threads " + std::to_string(threads);
  auto child = yesno::testing::ChildProcess::Start(
      {issuer_path, "serve", "--state", s.state, "--listen", "127.0.0.1:0", "--threads", std::to_string(threads)}, log);
  if (!child) Die("cannot start yesno-issuer");
  auto url = child->WaitForListening(std::chrono::seconds(30));
  if (!url) Die("yesno-issuer did not start; see " + log);
  const auto colon = url->rfind(':');
  const auto port = static_cast<unsigned short>(std::stoi(url->substr(colon + 1)));

  // Requests per ticket so that no ticket runs over its quota.
  const std::size_t per_ticket = static_cast<std::size_t>(kQuota) / per_request - 1;
  std::vector<std::vector<std::string>> wire;  // [ticket][variant]
  for (std::size_t t = ticket_cursor; t + 1 < s.tickets.size(); ++t) {  // the last ticket is the wallet's
    std::vector<std::string> v;
    if (per_request == 1) {
      for (const auto& r : s.requests) {
        v.push_back(WireRequest("/token-request", yesno::kMediaTypeTokenRequest, s.tickets[t], yesno::AsString(r)));
      }
    } else {
      v.push_back(WireRequest("/token-request-batch", yesno::kMediaTypeBatchRequest, s.tickets[t], s.batch_body));
    }
    wire.push_back(std::move(v));
  }
  const std::size_t capacity = wire.size() * per_ticket;

  std::mutex mu;
  std::string failure;
  const yesno::bench::LoadResult load = yesno::bench::RunLoad(
      {.server_pid = child->pid(),
       .host = "127.0.0.1",
       .port = port,
       .connections = connections,
       .max_seconds = max_seconds,
       .count = capacity,
       .body_limit = 1024 * 1024,
       .read_timeout_seconds = 10},
      [&](std::size_t i) -> const std::string& {
        const auto& variants = wire[i / per_ticket];
        return variants[i % variants.size()];
      },
      [&](const http::response<http::string_body>& res) {
        if (res.result() == http::status::ok) return true;
        std::lock_guard<std::mutex> lock(mu);
        failure = "HTTP " + std::to_string(res.result_int()) + " " + res.body();
        return false;
      });
  if (!failure.empty()) Die("issuer over HTTP: " + failure);
  ticket_cursor += (load.started / per_ticket) + 1;  // tickets touched are used up for the next run
  run.seconds = load.seconds;
  run.rss_idle_kib = load.rss_idle_kib;
  run.rss_load_kib = load.rss_load_kib;
  run.requests = load.done;
  run.tokens = run.requests * per_request;
  run.tokens_per_s = static_cast<double>(run.tokens) / run.seconds;
  run.server_cpu_us_per_token =
      run.tokens == 0 ? 0 : load.server_cpu_seconds * 1e6 / static_cast<double>(run.tokens);
  run.p50_ms = Percentile(load.latencies_us, 0.5) / 1e3;
  run.p99_ms = Percentile(load.latencies_us, 0.99) / 1e3;
  child->Signal(SIGTERM);
  child->Wait(std::chrono::seconds(20));
  return run;
}

// --- side by side -----------------------------------------------------------------

struct VerifyRate {
  std::string label;
  double ops_per_s = 0, wall_us = 0, cpu_us = 0;
};

// OursVerify does what their "parse + key id + challenge + Origin.verify"
// does: parse the token, compare its key id and challenge digest, verify.
VerifyRate OursVerify(const yesno::RsaPublicKey& key, const Bytes& token_bytes, const Bytes& challenge, double seconds,
                      int threads) {
  const Bytes digest = yesno::ChallengeDigest(challenge);
  std::atomic<std::size_t> total{0};
  std::atomic<double> cpu_total{0};
  auto work = [&] {
    std::size_t n = 0;
    const double cpu0 = ThreadCpuSeconds();
    const auto end = SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(seconds));
    while (SteadyClock::now() < end) {
      for (int i = 0; i < 50; ++i) {
        auto token = yesno::ParseToken(token_bytes);
        if (!token.ok() || token->token_key_id != key.KeyId() || token->challenge_digest != digest ||
            !yesno::VerifyToken(key, *token).ok()) {
          Die("our verify of the side-by-side token failed");
        }
      }
      n += 50;
    }
    total += n;
    double expected = cpu_total.load();
    const double mine = ThreadCpuSeconds() - cpu0;
    while (!cpu_total.compare_exchange_weak(expected, expected + mine)) {
    }
  };
  // Warm-up (contexts pooled per key, caches).
  for (int i = 0; i < 200; ++i) (void)yesno::VerifyToken(key, Must(yesno::ParseToken(token_bytes), "ParseToken"));
  const auto t0 = SteadyClock::now();
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  const double wall = Seconds(SteadyClock::now() - t0);
  VerifyRate r;
  r.label = "yesno core: ParseToken + key id + challenge + VerifyToken, " + std::to_string(threads) +
            (threads == 1 ? " thread" : " threads");
  r.ops_per_s = static_cast<double>(total.load()) / wall;
  r.wall_us = wall * 1e6 / static_cast<double>(total.load()) * threads;
  r.cpu_us = cpu_total.load() * 1e6 / static_cast<double>(total.load());
  return r;
}

VerifyRate MedianRate(std::vector<VerifyRate> rows) {
  std::sort(rows.begin(), rows.end(), [](const VerifyRate& a, const VerifyRate& b) { return a.ops_per_s < b.ops_per_s; });
  return rows[rows.size() / 2];
}

void PrintRate(const VerifyRate& r) {
  std::printf("  %-64s %9.0f %10.2f %10.2f\n", r.label.c_str(), r.ops_per_s, r.wall_us, r.cpu_us);
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 4;
  int proves = 20;
  int connections = 2;
  int side_rounds = 3;
  double side_seconds = 1.0;
  std::string node, interop_dir;
  std::string issuer_path = YESNO_ISSUER_PATH, verifier_path = YESNO_VERIFIER_PATH, cli_path = YESNO_CLI_PATH;
  CLI::App app{"yesno_system_bench — issuer, wallet and side-by-side with privacypass-ts"};
  app.add_option("--seconds", seconds, "Upper bound on each issuer HTTP run")->capture_default_str();
  app.add_option("--proves", proves, "How many `yesno prove` runs to time")->capture_default_str();
  app.add_option("--connections", connections, "Keep-alive connections to the issuer")->capture_default_str();
  app.add_option("--node", node, "node binary for the side-by-side (empty: that part is skipped, loudly)");
  app.add_option("--interop-dir", interop_dir, "Directory with interop.mjs and its node_modules");
  app.add_option("--side-rounds", side_rounds, "Interleaved rounds of the side by side")->capture_default_str();
  app.add_option("--side-seconds", side_seconds, "Seconds per row and round of the side by side")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (seconds <= 0 || proves < 1 || connections < 1 || side_rounds < 1 || side_seconds <= 0) {
    Die("--seconds > 0, --proves >= 1, --connections >= 1, --side-rounds >= 1, --side-seconds > 0");
  }
  if (!yesno::InitCrypto().ok()) Die("InitCrypto");

  const std::string tmp = std::filesystem::temp_directory_path().string() + "/yesno_system_bench_" +
                          std::to_string(getpid());
  std::filesystem::remove_all(tmp);
  std::filesystem::create_directories(tmp);
  chmod(tmp.c_str(), 0700);

  // --- issuer state: one claim, maximum quota, tickets enrolled at the desk
  IssuerSetup s;
  s.state = tmp + "/issuer";
  s.public_key = TrimEnd(Run({issuer_path, "init", "--state", s.state, "--name", kIssuerName, "--claims", kClaim, "--quota",
                           std::to_string(kQuota)})
                          .out);
  s.public_key = s.public_key.substr(0, s.public_key.find('\n'));
  for (int i = 0; i < 16; ++i) {
    s.tickets.push_back(TrimEnd(Run({issuer_path, "enroll", "--state", s.state, "--birth-date", "1990-01-01"}).out));
  }

  const InProcessIssuer inproc = MeasureIssuerInProcess(s);
  std::size_t ticket_cursor = 1;  // tickets[0] served the in-process rounds
  std::vector<HttpRun> runs;
  for (int threads : {1, 2}) {
    runs.push_back(RunIssuerHttp(issuer_path, s, threads, kBatch, connections, seconds, ticket_cursor, tmp + "/issuer.log"));
  }
  runs.push_back(RunIssuerHttp(issuer_path, s, 2, 1, connections, seconds, ticket_cursor, tmp + "/issuer.log"));

  // --- wallet: the real binaries
  auto issuer = yesno::testing::ChildProcess::Start(
      {issuer_path, "serve", "--state", s.state, "--listen", "127.0.0.1:0"}, tmp + "/issuer.log");
  auto issuer_url = issuer ? issuer->WaitForListening() : std::nullopt;
  if (!issuer_url) Die("yesno-issuer did not start");
  {
    std::ofstream trust(tmp + "/trust.json");
    trust << "[{\"name\":\"" << kIssuerName << "\",\"directory\":\"" << *issuer_url << yesno::kDirectoryPath
          << "\",\"key\":\"" << s.public_key << "\"}]";
  }
  const int port = yesno::testing::FreePort();
  const std::string verifier_url = "http://127.0.0.1:" + std::to_string(port);
  auto verifier = yesno::testing::ChildProcess::Start(
      {verifier_path, "serve", "--origin", verifier_url, "--trust", tmp + "/trust.json", "--listen",
       "127.0.0.1:" + std::to_string(port), "--spent-store", "sqlite:" + tmp + "/spent.sqlite"},
      tmp + "/verifier.log");
  if (!verifier || !verifier->WaitForListening()) Die("yesno-verifier did not start");
  const std::string w = tmp + "/wallet";
  std::filesystem::create_directories(w);
  chmod(w.c_str(), 0700);
  const std::vector<std::string> yesno = {cli_path, "--wallet", w + "/wallet", "--key-file", w + "/wallet.key"};
  auto cli = [&](std::vector<std::string> args) {
    std::vector<std::string> command = yesno;
    command.insert(command.end(), args.begin(), args.end());
    return Run(command);
  };
  cli({"init"});
  cli({"enroll", "--issuer", *issuer_url, "--issuer-key", s.public_key, "--ticket", s.tickets.back()});
  cli({"refill"});
  if (proves > 30) Die("--proves <= 30 (one refill holds 32 tokens)");

  std::vector<double> prove_wall;
  double cpu0 = ChildrenCpuSeconds();
  for (int i = 0; i < proves; ++i) {
    const auto t0 = SteadyClock::now();
    auto r = cli({"prove", "--verifier", verifier_url, "--claim", kClaim, "--save-presentation", w + "/presentation"});
    prove_wall.push_back(Seconds(SteadyClock::now() - t0) * 1e3);
    if (r.out != "yes\n") Die("prove did not say yes: " + r.out);
  }
  const double prove_cpu_ms = (ChildrenCpuSeconds() - cpu0) * 1e3 / proves;
  cpu0 = ChildrenCpuSeconds();
  for (int i = 0; i < proves; ++i) Run({cli_path, "--help"});
  const double help_cpu_ms = (ChildrenCpuSeconds() - cpu0) * 1e3 / proves;

  // The wallet's own work per prove, in process.
  std::ifstream wf(w + "/wallet", std::ios::binary);
  const Bytes wallet_file((std::istreambuf_iterator<char>(wf)), std::istreambuf_iterator<char>());
  std::ifstream kf(w + "/wallet.key", std::ios::binary);
  const std::string key_text((std::istreambuf_iterator<char>(kf)), std::istreambuf_iterator<char>());
  const yesno::SecretBytes wallet_key = Must(yesno::WalletKeyFromKeyFile(yesno::AsBytes(key_text)), "wallet key");
  const yesno::WalletHeader header = Must(yesno::ParseWalletHeader(wallet_file), "wallet header");
  yesno::SystemRng rng;
  std::vector<double> open_us, seal_us, pop_us;
  yesno::WalletContents contents;
  for (int round = 0; round < kRounds; ++round) {
    double t = ThreadCpuSeconds();
    for (int i = 0; i < 20; ++i) contents = Must(yesno::OpenWallet(wallet_file, wallet_key), "OpenWallet");
    open_us.push_back((ThreadCpuSeconds() - t) * 1e6 / 20);
    t = ThreadCpuSeconds();
    for (int i = 0; i < 20; ++i) (void)Must(yesno::SealWallet(contents, wallet_key, header, rng), "SealWallet");
    seal_us.push_back((ThreadCpuSeconds() - t) * 1e6 / 20);
    const auto& tok = contents.tokens.front();
    const Bytes vnonce(40, 7);
    t = ThreadCpuSeconds();
    for (int i = 0; i < 200; ++i) (void)Must(yesno::SignPop(yesno::View(tok.seed), verifier_url, vnonce, tok.token), "SignPop");
    pop_us.push_back((ThreadCpuSeconds() - t) * 1e6 / 200);
  }

  // Bytes on the wire: the Authorization value the wallet sent.
  std::ifstream pf(w + "/presentation", std::ios::binary);
  const std::string authorization((std::istreambuf_iterator<char>(pf)), std::istreambuf_iterator<char>());
  const auto creds = Must(yesno::ParseAuthorization(authorization), "saved presentation");
  const std::size_t raw_bytes = creds.token.size() + creds.yesno_vnonce.size() + creds.yesno_pop.size();
  const std::string header_line = "Authorization: " + authorization + "\r\n";
  const std::string request_line = "POST /verify?claim=age_over_18 HTTP/1.1\r\n";
  const std::string host_line = "Host: shop.example\r\n";

  // --- side by side: one token of this issuer's live key
  const Bytes challenge = Must(yesno::CrossOriginChallenge(kIssuerName), "challenge");
  const yesno::RsaPrivateKey& sk = *s.key;
  Bytes side_token;
  {
    Bytes nonce(32);
    rng.Fill(nonce);
    auto is = Must(yesno::BeginTokenIssuance(sk.public_key(), challenge, nonce, rng), "BeginTokenIssuance");
    auto res = Must(yesno::SignTokenRequest(sk, is.request()), "SignTokenRequest");
    side_token = Must(yesno::SerializeToken(Must(yesno::FinalizeToken(sk.public_key(), is, res), "Finalize")), "Token");
  }
  // Interleaved rounds (ours 1 thread, ours 2 threads, theirs), medians per
  // row: a burst of load elsewhere on the shared cores then hits both sides
  // instead of skewing one ratio.
  std::vector<std::vector<VerifyRate>> ours_rounds(2), theirs_rounds;
  std::vector<double> ratio_seq, ratio_par, ratio_cpu;
  std::string node_skip, node_version, node_openssl;
  if (node.empty() || interop_dir.empty()) node_skip = "no --node/--interop-dir given";
  for (int round = 0; round < side_rounds; ++round) {
    ours_rounds[0].push_back(OursVerify(sk.public_key(), side_token, challenge, side_seconds, 1));
    ours_rounds[1].push_back(OursVerify(sk.public_key(), side_token, challenge, side_seconds, 2));
    if (!node_skip.empty()) continue;
    Json req = {{"spki", yesno::Base64UrlEncode(sk.public_key().Spki())},
                {"token", yesno::Base64UrlEncode(side_token)},
                {"challenge", yesno::Base64UrlEncode(challenge)},
                {"seconds", side_seconds}};
    auto r = yesno::testing::RunProcess({node, interop_dir + "/interop.mjs", "bench-verify"}, req.dump(),
                                        std::chrono::seconds(60));
    Json theirs = r.exit_code == 0 ? Json::parse(r.out, nullptr, false) : Json();
    if (!theirs.is_object() || !theirs.contains("runs") || theirs["runs"].size() < 3) {
      node_skip = "node interop.mjs bench-verify failed (exit " + std::to_string(r.exit_code) + "): " + r.err;
      continue;
    }
    node_version = theirs["node"].get<std::string>();
    node_openssl = theirs["openssl"].get<std::string>();
    theirs_rounds.resize(theirs["runs"].size());
    for (std::size_t i = 0; i < theirs["runs"].size(); ++i) {
      const auto& j = theirs["runs"][i];
      VerifyRate v;
      v.label = "privacypass-ts 0.8.1: " + j["label"].get<std::string>();
      v.ops_per_s = j["ops_per_s"];
      v.wall_us = j["wall_us_per_op"];
      v.cpu_us = j["cpu_us_per_op"];
      theirs_rounds[i].push_back(v);
    }
    ratio_seq.push_back(ours_rounds[0].back().ops_per_s / theirs_rounds[1].back().ops_per_s);
    ratio_par.push_back(ours_rounds[1].back().ops_per_s / theirs_rounds[2].back().ops_per_s);
    ratio_cpu.push_back(theirs_rounds[1].back().cpu_us / ours_rounds[0].back().cpu_us);
  }
  verifier->Signal(SIGTERM);
  verifier->Wait();
  issuer->Signal(SIGTERM);
  issuer->Wait();
  std::filesystem::remove_all(tmp);

  // --- report
  std::printf("\nissuer in process (single thread, CPU time; median of %d interleaved rounds; the issuer's live key)\n",
              kRounds);
  std::printf("  raw RSA-2048 private op (OpenSSL, m^d mod n)          %8.1f us  %7.0f /s\n", inproc.raw_us,
              1e6 / inproc.raw_us);
  std::printf("  IssuerService batch of 32, per token                  %8.1f us  %7.0f /s   ratio %.3f  (no goal set)\n",
              inproc.batch_us_per_token, 1e6 / inproc.batch_us_per_token, inproc.raw_us / inproc.batch_us_per_token);
  std::printf("  IssuerService single /token-request                   %8.1f us  %7.0f /s   ratio %.3f\n",
              inproc.single_us, 1e6 / inproc.single_us, inproc.raw_us / inproc.single_us);

  std::printf("\nissuer over HTTP (real yesno-issuer on loopback, %d keep-alive connections from this process; 2 cores shared)\n",
              connections);
  std::printf("  %-24s %9s %9s %9s %9s %9s %9s %12s %10s %10s\n", "run", "requests", "tokens", "tokens/s", "/inproc",
              "p50 ms", "p99 ms", "cpu/token", "RSS idle", "RSS load");
  for (const auto& r : runs) {
    std::printf("  %-24s %9zu %9zu %9.0f %9.3f %9.2f %9.2f %9.1f us %6ld KiB %6ld KiB\n", r.label.c_str(), r.requests,
                r.tokens, r.tokens_per_s, r.tokens_per_s * inproc.batch_us_per_token / 1e6, r.p50_ms, r.p99_ms,
                r.server_cpu_us_per_token, r.rss_idle_kib, r.rss_load_kib);
  }
  std::printf("  (/inproc: tokens/s over the one-thread in-process batch rate; p50/p99 per request)\n");

  std::sort(prove_wall.begin(), prove_wall.end());
  std::printf("\nwallet (real `yesno prove` against the real yesno-verifier on loopback, %d proves, key-file wallet, "
              "%zu tokens)\n",
              proves, contents.tokens.size());
  std::printf("  yesno prove: CPU %.1f ms per prove (user + system of the process); wall p50 %.1f ms, max %.1f ms\n",
              prove_cpu_ms, Percentile(prove_wall, 0.5), prove_wall.back());
  std::printf("  yesno --help (process start-up alone): CPU %.1f ms\n", help_cpu_ms);
  std::printf("  in process: OpenWallet %.1f us, SealWallet %.1f us, SignPop %.1f us\n", Median(open_us),
              Median(seal_us), Median(pop_us));

  std::printf("\nbytes on the wire per presentation (goal: <= 700 B)\n");
  std::printf("  raw: token %zu + vnonce %zu + PoP %zu = %zu B\n", creds.token.size(), creds.yesno_vnonce.size(),
              creds.yesno_pop.size(), raw_bytes);
  std::printf("  Authorization value as sent (base64url, padded, quoted params): %zu B\n", authorization.size());
  std::printf("  Authorization header line (name, value, CRLF): %zu B  (goal %s)\n", header_line.size(),
              header_line.size() <= 700 ? "met" : "NOT met");
  std::printf("  + request line and Host (\"%s\", \"Host: shop.example\"): %zu B\n",
              "POST /verify?claim=age_over_18 HTTP/1.1", header_line.size() + request_line.size() + host_line.size());

  std::printf("\nside by side: verifying one age_over_18 token (same token, key and challenge; %d interleaved rounds of "
              "%.1f s per row, median row by ops/s; wall and CPU per op)\n",
              side_rounds, side_seconds);
  std::printf("  %-64s %9s %10s %10s\n", "implementation", "ops/s", "wall us", "cpu us");
  for (const auto& rows : ours_rounds) PrintRate(MedianRate(rows));
  if (!node_skip.empty()) {
    std::printf("  *** privacypass-ts: SKIPPED (%s)\n", node_skip.c_str());
  } else {
    for (const auto& rows : theirs_rounds) PrintRate(MedianRate(rows));
    std::printf("  (Node %s, its OpenSSL %s; cpu us for Node is the whole process: main thread + libuv pool + GC)\n",
                node_version.c_str(), node_openssl.c_str());
    auto range = [](std::vector<double> v) {
      std::sort(v.begin(), v.end());
      char buf[96];
      std::snprintf(buf, sizeof(buf), "%.2fx (rounds: %.2f-%.2f)", Median(v), v.front(), v.back());
      return std::string(buf);
    };
    std::printf("  ratio yesno / privacypass-ts, same checks, one at a time (ops/s):       %s\n", range(ratio_seq).c_str());
    std::printf("  ratio privacypass-ts / yesno CPU per op, same checks, one at a time:  %s\n", range(ratio_cpu).c_str());
    std::printf("  ratio yesno 2 threads / privacypass-ts 16 in flight (ops/s):          %s\n", range(ratio_par).c_str());
  }
  return 0;
}
