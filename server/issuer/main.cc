// main.cc — the yesno-issuer program: a thin shell around IssuerService.
//
//   yesno-issuer init   --state DIR --name NAME [--claims ...] [--attributes ...] [--store postgresql://...]
//   yesno-issuer serve  --state DIR --listen 127.0.0.1:8082 [--tls-cert F --tls-key F] [--store URL]
//   yesno-issuer enroll --state DIR --birth-date YYYY-MM-DD [--attribute A ...]
//   yesno-issuer revoke --state DIR --ticket T|-
//   yesno-issuer public-key --state DIR
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <thread>

#include "cli_util.h"
#include "http_server.h"
#include "issuer_files.h"
#include "issuer_service.h"
#include "log.h"
#include "oidc_config.h"
#include "state_store.h"
#include "yesno/claims.h"
#include "yesno/rng.h"
#include "yesno/ticket.h"

namespace {

using namespace yesno;
using namespace yesno::issuer;

constexpr int kExitOk = 0;
constexpr int kExitError = 2;  // usage, I/O and state errors

int Fail(const std::string& message) {
  std::cerr << kServerName << ": error: " << message << "\n";
  return kExitError;
}

struct InitFlags {
  std::string state;
  IssuerConfig config;
};

struct ServeFlags {
  std::string state;
  std::string store;
  int store_pool = 4;
  int store_timeout_ms = 3000;
  std::string listen = "127.0.0.1:8082";  // nginx (deploy/nginx) takes 8080, the verifier 8081
  std::string tls_cert;
  std::string tls_key;
  int threads = 2;
  int max_connections = 1024;
  bool allow_plain_http = false;
  int maintenance_seconds = 60;
  std::string oidc;
  std::string enroll_limit = "3/365";
};

struct EnrollFlags {
  std::string state;
  std::string birth_date;
  std::vector<std::string> attributes;
  int valid_days = kDefaultValidDays;
};

struct RevokeFlags {
  std::string state;
  std::string store;
  std::string ticket;
};

int RunInit(InitFlags f) {
  if (f.config.store == "sqlite") f.config.store.clear();
  if (Status s = ValidateConfig(f.config); !s.ok()) return Fail(s.error().message);
  SystemRng rng;
  SystemClock clock;
  std::cerr << "generating " << 2 * f.config.OfferedClaims().size()
            << " RSA-2048 token keys (current and next epoch per claim)...\n";
  auto pk = InitState(f.state, f.config, clock.NowSeconds(), rng, DefaultKeyGenerator(f.config.rsa_bits));
  if (!pk.ok()) return Fail(pk.error().message);
  std::cerr << "issuer '" << f.config.name << "' initialised in " << f.state
            << ". Its public signing key (holders and verifiers pin it) follows on stdout.\n"
            << "The operator secret for POST /admin/enroll is in " << StatePath(f.state, kAdminSecretFile) << ".\n";
  if (IsPostgresStore(f.config.store)) {
    std::cerr << "State and token keys are in PostgreSQL; the keys are sealed under " << StatePath(f.state, kKekFile)
              << ". Start more instances from copies of " << f.state << " (docs/operations.md, \"Running several "
              << "issuers\").\n";
  }
  std::cout << Base64UrlEncode(*pk) << std::endl;
  return kExitOk;
}

bool IsLoopbackHost(const std::string& host) {
  return host == "127.0.0.1" || host == "::1" || host == "localhost" || host.rfind("127.", 0) == 0;
}

int RunServe(const ServeFlags& f) {
  if (f.threads < 1 || f.threads > 256) return Fail("--threads must be 1..256");
  if (f.max_connections < 1 || f.max_connections > 100000) return Fail("--max-connections must be 1..100000");
  if (f.maintenance_seconds < 1 || f.maintenance_seconds > 86400) return Fail("--maintenance-seconds must be 1..86400");
  if (f.store_pool < 1 || f.store_pool > 64) return Fail("--store-pool must be 1..64");
  if (f.store_timeout_ms < 100 || f.store_timeout_ms > 60000) return Fail("--store-timeout-ms must be 100..60000");
  if (Status s = ValidateStoreSpec(f.store); !s.ok()) return Fail(s.error().message);
  if (Status s = CheckStateDir(f.state); !s.ok()) return Fail(s.error().message);
  auto listen = server::ParseListen(f.listen);
  if (!listen.ok()) return Fail(listen.error().message);
  if (f.tls_cert.empty() && !IsLoopbackHost(listen->first) && !f.allow_plain_http) {
    return Fail("plain HTTP off loopback exposes tickets: give --tls-cert/--tls-key (or --allow-plain-http behind a "
                "TLS-terminating proxy)");
  }

  // One serve per state directory: two would race on key generation.
  const std::string lock_path = StatePath(f.state, "serve.lock");
  const int lock_fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd < 0) return Fail("cannot open " + lock_path);
  if (flock(lock_fd, LOCK_EX | LOCK_NB) != 0) return Fail("another yesno-issuer serve is using " + f.state);

  // Signals are taken by a dedicated thread (sigwait), so SIGTERM is handled
  // from the moment we print the listening line. Block them before any thread
  // starts so every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto limit = ParseEnrollLimit(f.enroll_limit);
  if (!limit.ok()) return Fail(limit.error().message);
  std::optional<OidcConfig> oidc;
  if (!f.oidc.empty()) {
    auto c = LoadOidcConfig(f.oidc);
    if (!c.ok()) return Fail(c.error().message);
    oidc = std::move(*c);
  }

  SystemRng rng;
  SystemClock clock;
  StoreOptions store;
  store.override_spec = f.store == "sqlite" ? std::string() : f.store;
  store.pool_size = f.store_pool;
  store.statement_timeout_ms = f.store_timeout_ms;
  if (f.store == "sqlite") {
    // An explicit --store sqlite overrides a PostgreSQL store in issuer.json.
    auto config = LoadConfig(f.state);
    if (config.ok() && IsPostgresStore(config->store)) {
      return Fail("--store sqlite cannot serve an issuer whose keys are in PostgreSQL (issuer.json names a "
                  "postgresql:// store)");
    }
  }
  auto service = IssuerService::Open(f.state, clock, rng, {}, store);
  if (!service.ok()) return Fail(service.error().message);
  if (oidc) {
    const std::string provider = oidc->issuer;
    if (Status s = (*service)->EnableOidc(std::move(*oidc), *limit); !s.ok()) return Fail(s.error().message);
    server::LogEvent(kServerName, "OIDC enrollment on at /enroll (provider " + provider + ", at most " +
                                      std::to_string(limit->count) + " tickets per person per " +
                                      std::to_string(limit->days) + " days)");
  }
  auto maintained = (*service)->Maintain();
  if (!maintained.ok()) return Fail("key maintenance: " + maintained.error().message);

  server::ServerOptions options;
  options.name = kServerName;
  options.listen = f.listen;
  options.threads = f.threads;
  options.tls_cert_file = f.tls_cert;
  options.tls_key_file = f.tls_key;
  options.limits.max_connections = static_cast<std::size_t>(f.max_connections);
  IssuerService* svc = service->get();
  auto http = server::HttpServer::Create(
      options, [svc](const server::Request& req, server::RequestLog& log) { return svc->HandleRequest(req, log); },
      [svc](const server::RequestLog& log, unsigned status, double seconds) { svc->Observe(log, status, seconds); });
  if (!http.ok()) return Fail(http.error().message);
  server::HttpServer* srv = http->get();

  std::atomic<bool> stopping{false};
  std::mutex mu;
  std::condition_variable cv;
  std::thread maintenance([&] {
    std::unique_lock<std::mutex> lock(mu);
    while (!stopping.load()) {
      cv.wait_for(lock, std::chrono::seconds(f.maintenance_seconds), [&] { return stopping.load(); });
      if (stopping.load()) break;
      lock.unlock();
      (void)svc->Maintain();  // failures are logged; lookups stay correct by time
      lock.lock();
    }
  });
  std::thread signal_thread([&] {
    while (true) {
      int sig = 0;
      if (sigwait(&signals, &sig) != 0) continue;
      if (sig == SIGUSR1 && stopping.load()) return;
      if (sig == SIGTERM || sig == SIGINT) {
        srv->Stop();
        return;
      }
    }
  });

  server::LogEvent(kServerName, "serving issuer " + (*service)->config().name + " with " +
                                    std::to_string((*service)->keys().All().size()) + " token keys (store: " +
                                    (*service)->store_kind() + ")");
  std::printf("%s listening on %s\n", kServerName, srv->url().c_str());
  std::fflush(stdout);
  const int rc = srv->Run(/*handle_signals=*/false);

  {
    std::lock_guard<std::mutex> lock(mu);
    stopping.store(true);
  }
  cv.notify_all();
  maintenance.join();
  pthread_kill(signal_thread.native_handle(), SIGUSR1);  // no-op if it already returned
  signal_thread.join();
  close(lock_fd);
  return rc == 0 ? kExitOk : kExitError;
}

int RunEnroll(const EnrollFlags& f) {
  if (Status s = CheckStateDir(f.state); !s.ok()) return Fail(s.error().message);
  auto config = LoadConfig(f.state);
  if (!config.ok()) return Fail(config.error().message);
  auto secrets = LoadSecrets(f.state);
  if (!secrets.ok()) return Fail(secrets.error().message);
  auto birth_text = cli::ReadArgument(f.birth_date, std::cin);
  if (!birth_text.ok()) return Fail(birth_text.error().message);
  auto birth = ParseDate(*birth_text);
  if (!birth.ok()) return Fail("--birth-date must be a real date written YYYY-MM-DD");
  SystemRng rng;
  SystemClock clock;
  auto result = Enroll(*config, secrets->ticket_key, EnrollRequest{*birth, f.attributes, f.valid_days},
                       clock.NowSeconds(), rng);
  if (auto* e = std::get_if<EnrollError>(&result)) return Fail(e->message + " (" + e->reason + ")");
  const auto& ok = std::get<EnrollResult>(result);
  std::cerr << "ticket valid until " << FormatDate(DateFromUnixSeconds(ok.expires_at))
            << " (UTC). Hand it to the holder: `yesno enroll` stores it. It is a bearer credential; this issuer keeps "
               "no copy and no record of the person.\n";
  std::cout << ok.ticket << std::endl;
  return kExitOk;
}

int RunRevoke(const RevokeFlags& f) {
  if (Status s = CheckStateDir(f.state); !s.ok()) return Fail(s.error().message);
  auto config = LoadConfig(f.state);
  if (!config.ok()) return Fail(config.error().message);
  auto secrets = LoadSecrets(f.state);
  if (!secrets.ok()) return Fail(secrets.error().message);
  auto ticket = cli::ReadArgument(f.ticket, std::cin);
  if (!ticket.ok()) return Fail(ticket.error().message);
  auto contents = OpenTicket(secrets->ticket_key, config->name, *ticket);
  if (!contents.ok()) return Fail("this is not a ticket of this issuer (it does not open with its ticket key)");
  StoreOptions store;
  store.override_spec = f.store;
  store.pool_size = 1;
  auto stores = OpenIssuerStores(f.state, *config, *secrets, store);
  if (!stores.ok()) return Fail(stores.error().message);
  auto& state = stores->state;
  if (Status s = state->Revoke(TicketHash(secrets->ticket_hash_key, contents->ticket_id), contents->expires_at);
      !s.ok()) {
    return Fail(s.error().message);
  }
  std::cout << "revoked: the issuer refuses this ticket from now on (a running server sees it at once)" << std::endl;
  return kExitOk;
}

int RunPublicKey(const std::string& state) {
  if (Status s = CheckStateDir(state); !s.ok()) return Fail(s.error().message);
  auto secrets = LoadSecrets(state);
  if (!secrets.ok()) return Fail(secrets.error().message);
  std::cout << Base64UrlEncode(secrets->public_key) << std::endl;
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  if (!InitCrypto().ok()) return Fail("cannot initialise libsodium");
  CLI::App app{
      "yesno-issuer — checks a person once, hands them a sealed entitlement ticket, and later blind-signs\n"
      "single-use tokens for the claims the ticket entitles. It keeps no identity records: its whole state\n"
      "is keys, quota counters and a deny-list keyed by a hash of the ticket id.\n"
      "Typical use:\n"
      "  yesno-issuer init --state /var/lib/yesno-issuer --name issuer.example   # prints the public key to pin\n"
      "  yesno-issuer serve --state /var/lib/yesno-issuer --listen 0.0.0.0:443 --tls-cert C --tls-key K\n"
      "  yesno-issuer enroll --state /var/lib/yesno-issuer --birth-date 2001-02-03   # at the desk\n"
      "Exit codes: 0 success, 2 usage, I/O or state errors."};
  app.set_version_flag("--version", "yesno-issuer 0.1.0");
  app.require_subcommand(1);

  InitFlags init;
  init.config.age_claims = {"age_over_13", "age_over_16", "age_over_18", "age_over_21"};
  CLI::App* init_cmd = app.add_subcommand(
      "init",
      "Create a state directory (0700): Ed25519 directory-signing key, ticket key, operator secret "
      "(admin.secret), and RSA token keys for the current and next epoch of every claim. Prints the public "
      "signing key (base64url) on stdout. With --store postgresql://... the quotas, deny-list and token keys "
      "live in that (empty) database instead, the keys sealed under a key-encryption key written to "
      "DIR/store.kek; more instances run from copies of DIR.");
  init_cmd->add_option("--state", init.state, "State directory to create")->required();
  init_cmd->add_option("--name", init.config.name, "Issuer name (TokenChallenge issuer_name), e.g. issuer.example")
      ->required();
  init_cmd->add_option("--claims", init.config.age_claims, "Age claims offered, comma-separated (age_over_N)")
      ->delimiter(',')
      ->capture_default_str();
  init_cmd->add_option("--attributes", init.config.attributes,
                       "Attribute claims an operator may record at enrollment, comma-separated (e.g. verified_person)")
      ->delimiter(',');
  init_cmd->add_option("--epoch-days", init.config.epoch_days, "Key epoch length in days (7..365)")
      ->capture_default_str();
  init_cmd->add_option("--rsa-bits", init.config.rsa_bits, "RSA modulus bits (token type 2 requires 2048)")
      ->capture_default_str();
  init_cmd->add_option("--quota", init.config.quota, "Tokens per ticket, claim and epoch (1..10000)")
      ->capture_default_str();
  init_cmd->add_option("--store", init.config.store,
                       "Where the shared state lives: sqlite (default: DIR/state.db and DIR/keys, one process) or "
                       "postgresql://USER@HOST:PORT/DB for several issuer processes sharing one database (the schema "
                       "is created; no password in the URL: use ~/.pgpass or PGPASSWORD). Recorded in DIR/issuer.json");

  ServeFlags serve;
  CLI::App* serve_cmd = app.add_subcommand(
      "serve",
      "Serve the directory, token requests, entitlements and admin enrollment over HTTP(S). Rotates keys "
      "by itself. SIGTERM/SIGINT finish in-flight requests and exit 0.");
  serve_cmd->add_option("--state", serve.state, "State directory made by init")->required();
  serve_cmd->add_option("--listen", serve.listen, "HOST:PORT to listen on (port 0: any free port)")
      ->capture_default_str();
  serve_cmd->add_option("--tls-cert", serve.tls_cert, "PEM certificate chain (with --tls-key: serve HTTPS)");
  serve_cmd->add_option("--tls-key", serve.tls_key, "PEM private key for --tls-cert");
  serve_cmd->add_option("--threads", serve.threads, "Worker threads")->capture_default_str();
  serve_cmd->add_option("--max-connections", serve.max_connections, "Concurrent connection cap")
      ->capture_default_str();
  serve_cmd->add_flag("--allow-plain-http", serve.allow_plain_http,
                      "Allow plain HTTP on a non-loopback address (only behind a TLS-terminating proxy)");
  serve_cmd->add_option("--maintenance-seconds", serve.maintenance_seconds,
                        "How often to check for due key rotation and prune state (with PostgreSQL: also how soon "
                        "this instance loads keys another instance made)")
      ->capture_default_str();
  serve_cmd->add_option("--store", serve.store,
                        "Override the store recorded by init: a postgresql://USER@HOST:PORT/DB URL (e.g. another host "
                        "name for the same database; no password: use ~/.pgpass or PGPASSWORD). Default: the store "
                        "in DIR/issuer.json");
  serve_cmd->add_option("--store-pool", serve.store_pool, "PostgreSQL connections per process (1..64)")
      ->capture_default_str();
  serve_cmd->add_option("--store-timeout-ms", serve.store_timeout_ms,
                        "PostgreSQL statement and connect budget; past it a request gets 503 unavailable")
      ->capture_default_str();
  serve_cmd->add_option("--oidc", serve.oidc,
                        "Enrollment with OpenID Connect: a JSON file naming the provider (issuer, client_id, "
                        "client_secret_file, redirect_uri; docs/operations.md). Adds GET /enroll and /enroll/callback");
  serve_cmd->add_option("--enroll-limit", serve.enroll_limit,
                        "OIDC enrollment limit: at most N tickets per person (keyed hash of the provider's iss+sub) "
                        "per DAYS days, written N/DAYS")
      ->capture_default_str();

  EnrollFlags enroll;
  CLI::App* enroll_cmd = app.add_subcommand(
      "enroll",
      "Seal a ticket for a person whose identity the operator has just checked, and print it. Nothing "
      "about the person is stored.");
  enroll_cmd->add_option("--state", enroll.state, "State directory")->required();
  enroll_cmd->add_option("--birth-date", enroll.birth_date,
                         "Birth date, YYYY-MM-DD, or - to read it from stdin (keeps it out of ps)")
      ->required();
  enroll_cmd->add_option("--attribute", enroll.attributes,
                         "An attribute claim the person holds (repeatable; must be in the issuer's --attributes)");
  enroll_cmd->add_option("--valid-days", enroll.valid_days, "Ticket lifetime in days (1..3660)")
      ->capture_default_str();

  RevokeFlags revoke;
  CLI::App* revoke_cmd = app.add_subcommand(
      "revoke", "Put a ticket on the deny-list: token requests with it are refused from then on.");
  revoke_cmd->add_option("--state", revoke.state, "State directory")->required();
  revoke_cmd->add_option("--store", revoke.store, "Override the store recorded by init (postgresql:// URL)");
  revoke_cmd->add_option("--ticket", revoke.ticket, "The ticket, or - to read it from stdin (keeps it out of ps)")
      ->required();

  std::string pk_state;
  CLI::App* pk_cmd = app.add_subcommand("public-key", "Print the issuer's public signing key (base64url).");
  pk_cmd->add_option("--state", pk_state, "State directory")->required();

  if (auto stop = yesno::cli::ParseCommandLine(app, argc, argv, kExitError)) return *stop;
  if (init_cmd->parsed()) return RunInit(std::move(init));
  if (serve_cmd->parsed()) return RunServe(serve);
  if (enroll_cmd->parsed()) return RunEnroll(enroll);
  if (revoke_cmd->parsed()) return RunRevoke(revoke);
  if (pk_cmd->parsed()) return RunPublicKey(pk_state);
  return kExitError;
}
