// issuer_store_bench.cc — yesno_issuer_store_bench: the issuer on
// PostgreSQL (a fleet's shared store) against the issuer on SQLite (the
// embedded default), in one run (docs/benchmarks.md, "Issuer on
// PostgreSQL").
//
//   build-bench/bench/yesno_issuer_store_bench [--seconds 3] [--rounds 5]
//
// Starts a throwaway PostgreSQL 15 (as the postgres system user when run as
// root; tests/testing/postgres_server.h) and two issuers with one claim:
//
// 1. In process, single thread, CPU time, median of interleaved rounds:
//    IssuerService handling POST /token-request-batch with 32 requests, per
//    token, on each store; for PostgreSQL also the database server's CPU
//    (every postmaster child) per token. Ratio = SQLite / PostgreSQL per
//    token (goal >= 0.8 for the issuer's own CPU).
// 2. Over HTTP: the real yesno-issuer (--threads 2) on loopback, batches of
//    32 on 2 keep-alive connections, SQLite and PostgreSQL runs interleaved
//    (twice each, the better kept): tokens/s and the ratio.
// 3. What PostgreSQL writes per refill (one batch request): WAL bytes
//    (pg_current_wal_lsn before and after the HTTP runs) and statements.
//
// Prints SKIPPED and exits 0 when postgresql-15 is missing.
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/beast/http.hpp>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "bench_util.h"
#include "issuer_service.h"
#include "load_client.h"
#include "testing/child_process.h"
#include "testing/postgres_server.h"
#include "testing/process.h"
#include "yesno/batch.h"
#include "yesno/token.h"

namespace {

using namespace yesno::bench;
using yesno::Bytes;
using yesno::testing::PostgresServer;
namespace http = boost::beast::http;

constexpr char kIssuerName[] = "issuer.bench";
constexpr char kClaim[] = "age_over_18";
constexpr std::size_t kBatch = 32;
constexpr int kQuota = 10000;

struct Issuer {
  std::string label;
  std::string state;
  std::vector<std::string> tickets;
  std::string batch_body;  // kBatch blinded requests for the live key
  std::size_t ticket_cursor = 0;
};

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

void Init(Issuer& is, const std::string& issuer_path, const std::vector<std::string>& store_args, int tickets) {
  std::vector<std::string> argv = {issuer_path, "init",    "--state", is.state,       "--name",
                                   kIssuerName, "--claims", kClaim,   "--quota",       std::to_string(kQuota)};
  argv.insert(argv.end(), store_args.begin(), store_args.end());
  auto r = yesno::testing::RunProcess(argv, "", std::chrono::seconds(120));
  if (r.exit_code != 0) Die("init " + is.label + ": " + r.err);
  for (int i = 0; i < tickets; ++i) {
    auto e = yesno::testing::RunProcess({issuer_path, "enroll", "--state", is.state, "--birth-date", "1990-01-01"});
    if (e.exit_code != 0) Die("enroll: " + e.err);
    is.tickets.push_back(Trim(e.out));
  }
}

yesno::server::Request BatchRequest(const std::string& ticket, const std::string& body) {
  yesno::server::Request req{http::verb::post, "/token-request-batch", 11};
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::content_type, yesno::kMediaTypeBatchRequest);
  req.set(http::field::authorization, "Bearer " + ticket);
  req.body() = body;
  req.prepare_payload();
  return req;
}

std::unique_ptr<yesno::issuer::IssuerService> OpenService(Issuer& is, const yesno::Clock& clock, yesno::Rng& rng) {
  auto service = Must(yesno::issuer::IssuerService::Open(is.state, clock, rng), "IssuerService::Open " + is.label);
  Must(service->Maintain(), "Maintain");
  auto live = service->keys().LiveKeyFor(kClaim, clock.NowSeconds());
  if (!live) Die("no live key");
  const Bytes challenge = Must(yesno::CrossOriginChallenge(kIssuerName), "challenge");
  yesno::GenericBatchTokenRequest batch;
  for (std::size_t i = 0; i < kBatch; ++i) {
    Bytes nonce(32);
    rng.Fill(nonce);
    auto issuance = Must(yesno::BeginTokenIssuance(live->key.public_key(), challenge, nonce, rng), "blind");
    batch.requests.push_back(yesno::GenericTokenRequest{
        yesno::kTokenTypeBlindRsa, Must(yesno::SerializeTokenRequest(issuance.request()), "serialize")});
  }
  is.batch_body = yesno::AsString(Must(yesno::SerializeGenericBatchTokenRequest(batch), "batch"));
  return service;
}

std::string WireRequest(const std::string& ticket, const std::string& body) {
  return "POST /token-request-batch HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + ticket +
         "\r\nContent-Type: " + yesno::kMediaTypeBatchRequest + "\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

struct HttpRun {
  double tokens_per_s = 0, issuer_cpu_us = 0, db_cpu_us = 0, p50_ms = 0;
  std::size_t requests = 0;
};

HttpRun RunHttp(const std::string& issuer_path, Issuer& is, double seconds, const PostgresServer* pg,
                const std::string& log) {
  auto child = yesno::testing::ChildProcess::Start(
      {issuer_path, "serve", "--state", is.state, "--listen", "127.0.0.1:0", "--threads", "2"}, log);
  if (!child) Die("cannot start yesno-issuer");
  auto url = child->WaitForListening(std::chrono::seconds(30));
  if (!url) Die("yesno-issuer did not start; see " + log);
  const auto port = static_cast<unsigned short>(std::stoi(url->substr(url->rfind(':') + 1)));
  const std::size_t per_ticket = static_cast<std::size_t>(kQuota) / kBatch - 1;
  std::vector<std::string> wire;
  for (std::size_t t = is.ticket_cursor; t < is.tickets.size(); ++t) wire.push_back(WireRequest(is.tickets[t], is.batch_body));
  // Warm the connections (the pool opens them lazily) before measuring.
  {
    LoadResult warm = RunLoad({.server_pid = child->pid(), .port = port, .connections = 2, .max_seconds = 0.3,
                               .count = 4, .body_limit = 1024 * 1024, .read_timeout_seconds = 10},
                              [&](std::size_t) -> const std::string& { return wire[0]; },
                              [](const http::response<http::string_body>& res) { return res.result() == http::status::ok; });
    if (warm.done != 4) Die("warm-up failed on " + is.label);
  }
  const double db_before = pg != nullptr ? pg->ServerCpuSeconds() : 0;
  std::mutex mu;
  std::string failure;
  LoadResult load = RunLoad(
      {.server_pid = child->pid(), .port = port, .connections = 2, .max_seconds = seconds,
       .count = wire.size() * per_ticket - 4, .body_limit = 1024 * 1024, .read_timeout_seconds = 10},
      [&](std::size_t i) -> const std::string& { return wire[(i + 4) / per_ticket]; },
      [&](const http::response<http::string_body>& res) {
        if (res.result() == http::status::ok) return true;
        std::lock_guard<std::mutex> lock(mu);
        failure = "HTTP " + std::to_string(res.result_int()) + " " + res.body();
        return false;
      });
  const double db_after = pg != nullptr ? pg->ServerCpuSeconds() : 0;
  if (!failure.empty()) Die(is.label + " over HTTP: " + failure);
  is.ticket_cursor += (load.started + 4) / per_ticket + 1;
  child->Signal(SIGTERM);
  child->Wait(std::chrono::seconds(20));
  HttpRun run;
  run.requests = load.done;
  const double tokens = static_cast<double>(load.done * kBatch);
  run.tokens_per_s = tokens / load.seconds;
  run.issuer_cpu_us = tokens > 0 ? load.server_cpu_seconds * 1e6 / tokens : 0;
  run.db_cpu_us = tokens > 0 ? (db_after - db_before) * 1e6 / tokens : 0;
  run.p50_ms = Percentile(load.latencies_us, 0.5) / 1e3;
  return run;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 3;
  int rounds = 5;
  CLI::App app{"yesno_issuer_store_bench — the issuer on PostgreSQL vs on SQLite, in one run"};
  app.add_option("--seconds", seconds, "Each HTTP run")->capture_default_str();
  app.add_option("--rounds", rounds, "In-process rounds (median)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (const std::string why = PostgresServer::MissingReason(); !why.empty()) {
    std::printf("SKIPPED: issuer on PostgreSQL: %s\n", why.c_str());
    return 0;
  }
  const std::string issuer_path = YESNO_ISSUER_PATH;
  if (!yesno::InitCrypto().ok()) Die("libsodium");
  PostgresServer pg;
  if (!pg.ready()) Die("PostgreSQL did not start: " + pg.error());
  if (!pg.CreateDatabase("bench")) Die("CREATE DATABASE failed");
  char tmpl[] = "/tmp/yesno_store_bench_XXXXXX";
  if (mkdtemp(tmpl) == nullptr) Die("mkdtemp");
  const std::string tmp = tmpl;

  Issuer sqlite{"sqlite", tmp + "/sqlite", {}, {}, 0};
  Issuer postgres{"postgresql", tmp + "/pg", {}, {}, 0};
  Init(sqlite, issuer_path, {}, 12);
  Init(postgres, issuer_path, {"--store", pg.Url("bench")}, 12);

  // 1. In process.
  yesno::SystemClock clock;
  yesno::SystemRng rng;
  std::vector<double> us[2], db_us;
  {
    auto s_sqlite = OpenService(sqlite, clock, rng);
    auto s_pg = OpenService(postgres, clock, rng);
    const auto req_sqlite = BatchRequest(sqlite.tickets[0], sqlite.batch_body);
    const auto req_pg = BatchRequest(postgres.tickets[0], postgres.batch_body);
    constexpr int kPerRound = 8;
    for (int round = 0; round < rounds; ++round) {
      for (int which = 0; which < 2; ++which) {
        auto& svc = which == 0 ? *s_sqlite : *s_pg;
        const auto& req = which == 0 ? req_sqlite : req_pg;
        const double db0 = which == 1 ? pg.ServerCpuSeconds() : 0;
        const double start = ThreadCpuSeconds();
        for (int b = 0; b < kPerRound; ++b) {
          yesno::server::RequestLog log;
          auto res = svc.HandleRequest(req, log);
          if (res.result() != http::status::ok) Die("in process: HTTP " + std::to_string(res.result_int()) + " " + res.body());
        }
        us[which].push_back((ThreadCpuSeconds() - start) * 1e6 / (kPerRound * kBatch));
        if (which == 1) db_us.push_back((pg.ServerCpuSeconds() - db0) * 1e6 / (kPerRound * kBatch));
      }
    }
    if (static_cast<std::size_t>(rounds * kPerRound) * kBatch > static_cast<std::size_t>(kQuota)) Die("too many rounds");
    sqlite.ticket_cursor = postgres.ticket_cursor = 1;
  }

  // 2 and 3. Over HTTP, interleaved; WAL written during the PostgreSQL runs.
  HttpRun best[2];
  double wal_bytes = 0;
  std::size_t pg_requests = 0;
  for (int rep = 0; rep < 2; ++rep) {
    HttpRun a = RunHttp(issuer_path, sqlite, seconds, nullptr, tmp + "/sqlite.log");
    const std::string lsn0 = pg.Sql("bench", "SELECT pg_current_wal_lsn()");
    HttpRun b = RunHttp(issuer_path, postgres, seconds, &pg, tmp + "/pg.log");
    const std::string lsn1 = pg.Sql("bench", "SELECT pg_current_wal_lsn()");
    const std::string diff = pg.Sql("bench", "SELECT pg_wal_lsn_diff('" + lsn1 + "', '" + lsn0 + "')");
    wal_bytes += std::stod(diff.rfind("ERROR", 0) == 0 ? "0" : diff);
    pg_requests += b.requests;
    if (a.tokens_per_s > best[0].tokens_per_s) best[0] = a;
    if (b.tokens_per_s > best[1].tokens_per_s) best[1] = b;
  }
  const std::string rows = pg.Sql("bench", "SELECT (SELECT count(*) FROM quota) || ' quota rows, ' || "
                                           "(SELECT count(*) FROM issued) || ' issued rows'");

  const double m_sqlite = Median(us[0]), m_pg = Median(us[1]), m_db = Median(db_us);
  std::printf("issuer on PostgreSQL vs on SQLite (one claim, batches of %zu; PostgreSQL 15 on loopback, fsync off "
              "in this throwaway cluster)\n\n",
              kBatch);
  std::printf("in process (single thread, CPU time per token, median of %d interleaved rounds)\n", rounds);
  std::printf("  IssuerService batch of 32, SQLite                   %8.1f us\n", m_sqlite);
  std::printf("  IssuerService batch of 32, PostgreSQL (issuer side) %8.1f us   ratio SQLite/PostgreSQL %.3f  (goal >= 0.8)\n",
              m_pg, m_sqlite / m_pg);
  std::printf("  PostgreSQL server CPU (all backends)                %8.1f us   issuer + database %.1f us, ratio %.3f\n",
              m_db, m_pg + m_db, m_sqlite / (m_pg + m_db));
  std::printf("\nover HTTP (real yesno-issuer --threads 2, 2 keep-alive connections, %.0f s runs interleaved, best of 2)\n",
              seconds);
  std::printf("  SQLite       %8.0f tokens/s  p50 %6.2f ms  issuer CPU %6.1f us/token\n", best[0].tokens_per_s,
              best[0].p50_ms, best[0].issuer_cpu_us);
  std::printf("  PostgreSQL   %8.0f tokens/s  p50 %6.2f ms  issuer CPU %6.1f us/token  database CPU %6.1f us/token\n",
              best[1].tokens_per_s, best[1].p50_ms, best[1].issuer_cpu_us, best[1].db_cpu_us);
  std::printf("  ratio PostgreSQL/SQLite tokens/s %.3f  (goal >= 0.8)\n", best[1].tokens_per_s / best[0].tokens_per_s);
  std::printf("\nwhat PostgreSQL does per refill (one batch request of 32)\n");
  std::printf("  statements: 1 read (deny-list), 2 writes (quota upsert, issued-count upsert), autocommitted\n");
  std::printf("  WAL written: %.0f bytes per refill (%zu refills; %s)\n",
              pg_requests > 0 ? wal_bytes / static_cast<double>(pg_requests) : 0.0, pg_requests, rows.c_str());
  std::error_code ec;
  std::filesystem::remove_all(tmp, ec);
  return 0;
}
