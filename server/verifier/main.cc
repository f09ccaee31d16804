// main.cc — the yesno-verifier program: a thin shell around VerifierService.
//
//   yesno-verifier serve --origin https://shop.example [--origin https://www.shop.example] --trust trust.json
//                        --listen 127.0.0.1:8081 [--spent-store sqlite:PATH | redis://HOST:PORT |
//                        redis-sentinel://H:P,.../MASTER | redis-cluster://H:P,...] [--spent-wait-replicas N]
//                        [--public-prefix /yesno] [--gate-seconds 300] [--gate-capacity 10000]
//                        [--claims age_over_18,...] [--cache-dir DIR|none]
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <iostream>

#include "cli_util.h"
#include "gate_redis.h"
#include "http_server.h"
#include "log.h"
#include "secrets.h"
#include "spent_store.h"
#include "trust.h"
#include "verifier_service.h"
#include "yesno/claims.h"
#include "yesno/rng.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;  // could not start (directories, store, listen)
constexpr int kExitUsage = 2;    // bad command line
constexpr char kName[] = "yesno-verifier";

struct ServeFlags {
  std::vector<std::string> origins;
  std::string trust;
  std::string listen = "127.0.0.1:8081";
  std::string spent_store = "sqlite:yesno-verifier-spent.sqlite";
  std::string tls_cert;
  std::string tls_key;
  int threads = 2;
  int session_minutes = 60;
  std::string secret_file;
  int refresh_seconds = 60;
  int directory_timeout_seconds = 5;
  std::string ca_file;
  std::string public_prefix;
  int gate_seconds = 300;
  int gate_capacity = 10'000;
  int spent_wait_replicas = 0;
  int spent_wait_ms = 250;
  int64_t spent_expiry_margin = 86400;
  std::string access_log = "stderr";
  std::vector<std::string> claims;
  std::string cache_dir = "default";
  bool insecure_http = false;
};

int Fail(int code, const std::string& message) {
  std::cerr << kName << ": error: " << message << "\n";
  return code;
}

int Serve(const ServeFlags& f) {
  using namespace yesno;
  using namespace yesno::verifier;
  std::vector<std::string> origins;
  for (const std::string& o : f.origins) {
    auto origin = CanonicalOrigin(o);
    if (!origin.ok()) return Fail(kExitUsage, origin.error().message);
    if (std::find(origins.begin(), origins.end(), *origin) == origins.end()) origins.push_back(*origin);
  }
  if (origins.empty()) return Fail(kExitUsage, "--origin is required");
  const std::string origin = origins.front();
  std::vector<std::string> more_origins(origins.begin() + 1, origins.end());
  if (f.threads < 1 || f.threads > 256) return Fail(kExitUsage, "--threads must be 1..256");
  if (f.session_minutes < 0 || f.session_minutes > 7 * 24 * 60) {
    return Fail(kExitUsage, "--session-minutes must be 0..10080 (0: never set a session cookie)");
  }
  if (f.refresh_seconds < 1 || f.refresh_seconds > 86400) return Fail(kExitUsage, "--refresh-seconds must be 1..86400");
  if (f.directory_timeout_seconds < 1 || f.directory_timeout_seconds > 60) {
    return Fail(kExitUsage, "--directory-timeout must be 1..60 seconds");
  }
  if (!IsValidPublicPrefix(f.public_prefix)) {
    return Fail(kExitUsage, "--public-prefix must be empty or a path like /yesno (no trailing '/', only A-Z a-z 0-9 . _ ~ -)");
  }
  if (f.gate_seconds < 30 || f.gate_seconds > 3600) return Fail(kExitUsage, "--gate-seconds must be 30..3600");
  if (f.gate_capacity < 1 || f.gate_capacity > 1'000'000) return Fail(kExitUsage, "--gate-capacity must be 1..1000000");
  for (const std::string& claim : f.claims) {
    if (!IsValidClaimName(claim)) {
      return Fail(kExitUsage, "--claims: \"" + claim + "\" is not a claim name ([a-z0-9_]{1,32}, e.g. age_over_18)");
    }
  }
  if (auto listen = server::ParseListen(f.listen); !listen.ok()) return Fail(kExitUsage, listen.error().message);
  auto trust = LoadTrustFile(f.trust);
  if (!trust.ok()) return Fail(kExitUsage, trust.error().message);
  if (f.spent_wait_replicas < 0 || f.spent_wait_replicas > 16) return Fail(kExitUsage, "--spent-wait-replicas must be 0..16");
  if (f.spent_wait_ms < 1 || f.spent_wait_ms > 10'000) return Fail(kExitUsage, "--spent-wait-ms must be 1..10000");
  if (f.spent_expiry_margin < 0 || f.spent_expiry_margin > 30 * 86400) {
    return Fail(kExitUsage, "--spent-expiry-margin must be 0..2592000 seconds");
  }
  const bool redis_spec = f.spent_store.rfind("redis", 0) == 0;
  if (f.spent_wait_replicas > 0 && !redis_spec) {
    return Fail(kExitUsage, "--spent-wait-replicas needs a Redis --spent-store (redis://, redis-sentinel://, redis-cluster://)");
  }
  RedisSpentPolicy policy;
  policy.wait_replicas = f.spent_wait_replicas;
  policy.wait_timeout = std::chrono::milliseconds(f.spent_wait_ms);
  policy.expiry_margin_seconds = f.spent_expiry_margin;
  auto store = OpenSpentStore(f.spent_store, policy);
  if (!store.ok()) {
    return Fail(store.error().code == ErrorCode::kInvalidArgument ? kExitUsage : kExitFailure,
                "spent store: " + store.error().message);
  }
  if (auto log = server::AccessLog::Open(f.access_log); !log.ok()) return Fail(kExitUsage, log.error().message);
  std::shared_ptr<RedisBackend> shared_redis;
  if (auto* redis = dynamic_cast<RedisSpentStore*>(store->get()); redis != nullptr) {
    shared_redis = redis->backend();
    if (Status s = redis->Ping(); !s.ok()) {
      server::LogEvent(kName, "warning: Redis does not answer yet; presentations get no/unavailable until it does");
    }
  }

  SystemRng rng;
  SystemClock clock;
  auto secrets = f.secret_file.empty() ? RandomSecrets(rng) : LoadOrCreateSecretFile(f.secret_file, rng);
  if (!secrets.ok()) return Fail(kExitFailure, secrets.error().message);

  std::shared_ptr<SpentStore> spent(std::move(*store));
  const GateLimits gate{static_cast<std::size_t>(f.gate_capacity), f.gate_seconds};
  VerifierOptions options{origin, f.session_minutes, std::move(*secrets), f.public_prefix, gate, f.claims,
                          more_origins};
  VerifierService service(std::move(options), spent, clock, rng);
  // With a Redis spent store the gate sessions live there too: any replica serves any session.
  if (shared_redis) service.UseGateStore(std::make_shared<RedisGateStore>(shared_redis, gate));

  net::HttpClientOptions client_options;
  client_options.ca_file = f.ca_file;
  client_options.allow_insecure_http = f.insecure_http;
  client_options.timeout = std::chrono::seconds(f.directory_timeout_seconds);
  client_options.max_response_bytes = kMaxDirectoryBytes + 4096;
  DirectoryRefresher refresher(
      std::move(*trust), client_options,
      [&service](std::shared_ptr<const TrustedKeySet> keys) { service.SetTrustedKeys(std::move(keys)); },
      &service.metrics(), kName);
  refresher.SetOnMissing([&service](std::size_t missing) { service.SetMissingIssuers(missing); });
  const std::string cache_dir = f.cache_dir == "default" ? DefaultCacheDir() : f.cache_dir == "none" ? "" : f.cache_dir;
  if (Status s = refresher.SetCacheDir(cache_dir); !s.ok()) {
    // An explicit --cache-dir must work; the default is best effort (a
    // service user without a writable home still serves, without a cache).
    if (f.cache_dir != "default") return Fail(kExitUsage, s.error().message);
    server::LogEvent(kName, "WARNING: " + s.error().message + " (the default): running without a directory cache; "
                                                           "pass --cache-dir DIR");
  }
  if (cache_dir.empty()) server::LogEvent(kName, "no directory cache (--cache-dir none, or no HOME): a restart needs the issuers up");
  // The cache first (a restart during an issuer outage keeps serving), then
  // the network; both are re-checked as if fetched.
  refresher.LoadCache();
  refresher.RefreshOnce();
  if (const auto missing = refresher.Missing(); !missing.empty()) {
    std::string names;
    for (const auto& n : missing) names += (names.empty() ? "" : ", ") + n;
    server::LogEvent(kName, "WARNING: serving without a directory for " + names + " (" + refresher.LastErrors() +
                                "): their claims answer no (unavailable) until they answer; check --trust and that "
                                "the issuers are reachable");
  }
  if (auto purged = spent->Purge(clock.NowSeconds()); !purged.ok()) {
    server::LogEvent(kName, "spent store purge failed: " + purged.error().message);
  }

  server::ServerOptions server_options;
  server_options.name = kName;
  server_options.listen = f.listen;
  server_options.threads = f.threads;
  server_options.tls_cert_file = f.tls_cert;
  server_options.tls_key_file = f.tls_key;
  server_options.access_log = f.access_log;
  auto http = server::HttpServer::Create(
      server_options, service.Handler(),
      [&service](const server::RequestLog& log, unsigned status, double seconds) {
        service.metrics().ObserveRequest(log, status, seconds);
      });
  if (!http.ok()) {
    return Fail(http.error().code == ErrorCode::kInvalidArgument ? kExitUsage : kExitFailure, http.error().message);
  }

  refresher.Start(std::chrono::seconds(f.refresh_seconds), [spent, &clock] {
    if (auto purged = spent->Purge(clock.NowSeconds()); !purged.ok()) {
      server::LogEvent(kName, "spent store purge failed: " + purged.error().message);
    }
  });
  std::string served = origin;
  for (const auto& o : more_origins) served += ", " + o;
  server::LogEvent(kName, "serving origin " + served + " with spent store " + std::string(spent->Kind()) +
                              (shared_redis ? " (gate sessions in it too)" : ""));
  std::cout << kName << " listening on " << (*http)->url() << std::endl;  // std::endl flushes
  const int rc = (*http)->Run(/*handle_signals=*/true);
  refresher.Stop();
  return rc == 0 ? kExitOk : kExitFailure;
}

}  // namespace

int main(int argc, char** argv) {
  if (!yesno::InitCrypto().ok()) {
    std::cerr << kName << ": error: cannot initialise libsodium\n";
    return kExitFailure;
  }
  CLI::App app{
      "yesno-verifier — the age gate in front of a website. It hands out PrivateToken challenges, checks\n"
      "presentations offline against the published keys of the issuers you trust, answers yes or no,\n"
      "accepts each token once, and sets a session cookie that nginx auth_request checks via /auth/CLAIM.\n"
      "Browsers without a wallet of their own are sent to its gate page (GET /gate?claim=C&return=PATH):\n"
      "it shows a `yesno prove --session URL` command and a QR code; when the wallet says yes, the browser\n"
      "that opened the page (and only it) gets the session cookie and goes back to PATH.\n"
      "See docs/operations.md (Verifier) and deploy/nginx/yesno.conf.\n"
      "Exit codes: 0 stopped cleanly, 1 could not start, 2 bad usage."};
  app.set_version_flag("--version", "yesno-verifier 0.1.0");
  app.require_subcommand(1);

  ServeFlags f;
  CLI::App* serve = app.add_subcommand("serve", "Run the verifier HTTP(S) service");
  serve->add_option("--origin", f.origins,
                    "The site's origin as browsers see it, scheme://host[:port] (e.g. https://shop.example).\n"
                    "Wallets sign their proof for this origin; behind nginx it is the site's origin, not the verifier's.\n"
                    "Give it once per address the site is reached at (--origin https://shop.example --origin\n"
                    "https://www.shop.example): a proof for any of them is accepted; the gate page uses the first.")
      ->required()
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  serve->add_option("--trust", f.trust,
                    "JSON file listing trusted issuers: [{\"name\": ..., \"directory\": URL, \"key\": Ed25519 base64url}]")
      ->required();
  serve->add_option("--listen", f.listen, "HOST:PORT to listen on (port 0: any free port)")->capture_default_str();
  serve->add_option("--spent-store", f.spent_store,
                    "Where spent tokens are recorded: sqlite:PATH (one host), redis://HOST:PORT (a fleet; password\n"
                    "from YESNO_REDIS_PASSWORD), redis-sentinel://HOST:PORT[,HOST:PORT...]/MASTER (the primary the\n"
                    "Sentinels name, followed across failovers), redis-cluster://HOST:PORT[,HOST:PORT...] (sharded),\n"
                    "or memory: (tests only; forgotten on restart). With any Redis store the browser gate's\n"
                    "sessions are kept there too, so any replica serves any session.")
      ->capture_default_str();
  serve->add_option("--spent-wait-replicas", f.spent_wait_replicas,
                    "Redis only: after recording a token, WAIT until this many replicas have it (at most\n"
                    "--spent-wait-ms); fewer in time -> no/unavailable. Narrows, does not close, the window in\n"
                    "which a failover forgets a spent token (docs/operations.md). 0: do not wait.")
      ->capture_default_str();
  serve->add_option("--spent-wait-ms", f.spent_wait_ms, "Redis only: the WAIT timeout in milliseconds")
      ->capture_default_str();
  serve->add_option("--spent-expiry-margin", f.spent_expiry_margin,
                    "Redis only: seconds a spent entry outlives its key's not-after, so a Redis clock that runs\n"
                    "ahead of the verifiers cannot free a token early")
      ->capture_default_str();
  serve->add_option("--access-log", f.access_log,
                    "Where the access log (one JSON line per request) goes: stderr, none (e.g. when nginx logs\n"
                    "already) or a FILE (appended). Written by a background thread, off the request path.")
      ->capture_default_str();
  serve->add_option("--tls-cert", f.tls_cert, "PEM certificate chain: serve HTTPS (with --tls-key)");
  serve->add_option("--tls-key", f.tls_key, "PEM private key for --tls-cert");
  serve->add_option("--threads", f.threads, "Worker threads")->capture_default_str();
  serve->add_option("--session-minutes", f.session_minutes,
                    "Lifetime of the session cookie set after a yes (0: set none)")
      ->capture_default_str();
  serve->add_option("--secret-file", f.secret_file,
                    "File with the 32-byte verifier secret (created 0600 if missing). Give every replica of a fleet\n"
                    "the same file so challenges and cookies from one are accepted by all. Default: random per process.");
  serve->add_option("--refresh-seconds", f.refresh_seconds, "How often issuer directories are re-fetched")
      ->capture_default_str();
  serve->add_option("--directory-timeout", f.directory_timeout_seconds, "Seconds allowed for one directory fetch")
      ->capture_default_str();
  serve->add_option("--ca-file", f.ca_file, "CA bundle for https directory URLs (default: the system store)");
  serve->add_flag("--insecure-http", f.insecure_http,
                  "Allow plain-http directory URLs to hosts other than loopback (testing only: a network attacker\n"
                  "could then withhold directories, though never forge one: they are signed)");
  serve->add_option("--public-prefix", f.public_prefix,
                    "The path under which the site exposes the verifier, e.g. /yesno behind the shipped nginx\n"
                    "config (default: none, the verifier is reached directly). The browser gate page shows wallets\n"
                    "--origin + this prefix + /gate/session/ID, and its cookies and links use this prefix.");
  serve->add_option("--gate-seconds", f.gate_seconds,
                    "Browser gate: how long a gate session can be answered by a wallet and then collected by its\n"
                    "browser (30..3600). Each session is answered at most once.")
      ->capture_default_str();
  serve->add_option("--gate-capacity", f.gate_capacity,
                    "Browser gate: open gate sessions kept in memory (per process); beyond this the oldest is\n"
                    "dropped. With a Redis --spent-store the sessions live in Redis instead (shared by the fleet).")
      ->capture_default_str();

  serve->add_option("--cache-dir", f.cache_dir,
                    "Where the last verified signed directory of every issuer is kept, so that a restart while an\n"
                    "issuer is down starts from it (signature and key windows re-checked, expired keys dropped).\n"
                    "Default: $CACHE_DIRECTORY, else $XDG_CACHE_HOME/yesno-verifier, else ~/.cache/yesno-verifier;\n"
                    "none: keep no cache.");
  serve->add_option("--claims", f.claims,
                    "The claims this site asks, comma-separated (e.g. age_over_18,age_over_21): challenges, gate\n"
                    "pages and /auth/CLAIM for any other claim answer 404 unknown_claim. Default: every claim a\n"
                    "trusted issuer vouches for.")
      ->delimiter(',');

  if (auto stop = yesno::cli::ParseCommandLine(app, argc, argv, kExitUsage)) return *stop;
  if (serve->parsed()) return Serve(f);
  return kExitUsage;
}
