// issuer_fleet_pg_test.cc — several yesno-issuer instances sharing one real
// PostgreSQL 15 (issue 17), started by the test as the postgres system user:
//
//   - three processes from copies of one state directory serve
//     byte-identical signed directories;
//   - 200 concurrent batches for one ticket spread over the three sign
//     exactly the quota when more is asked, never more;
//   - rotation across the fleet (three services in process on one injected
//     clock, as issuer_service_test.cc does epochs): exactly one instance
//     makes each key, every instance loads it at its next maintenance, the
//     directories stay identical and issuance has no gap;
//   - kill -9 of one issuer mid-load: the others go on, the quota holds;
//   - PostgreSQL stopped and restarted mid-load: 503 `unavailable` (never a
//     signature) during the outage, recovery without restarting issuers;
//   - pg_dump of the database holds no private key, KEK, ticket, ticket id or
//     birth date in clear;
//   - a newer schema, another KEK, another issuer's database, a password in
//     the URL and an unreachable database are refused with clear messages.
//
// Skipped (loudly) when postgresql-15 is missing. Runtime: about 30 s.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "files.h"
#include "http_client.h"
#include "issuer_files.h"
#include "issuer_service.h"
#include "issuer_test_util.h"
#include "pg_state_store.h"
#include "testing/child_process.h"
#include "testing/postgres_server.h"
#include "testing/process.h"
#include "testing/test_util.h"
#include "yesno/directory.h"
#include "yesno/ticket.h"

#ifdef YESNO_ISSUER_PATH

namespace yesno::issuer {
namespace {

namespace fs = std::filesystem;
using issuer_testing::CountTrue;
using issuer_testing::IssuingKey;
using issuer_testing::Pending;
using testing::ChildProcess;
using testing::PostgresServer;
using testing::ProcessResult;
using testing::RunProcess;
using testing::TrimEnd;
using Json = nlohmann::json;

constexpr char kName[] = "issuer.example";
constexpr char kClaim[] = "age_over_18";
constexpr char kBirthDate[] = "1990-04-17";
constexpr char kBatchType[] = "application/private-token-generic-batch-request";

int64_t Now() { return SystemClock().NowSeconds(); }

struct Reply {
  unsigned status = 0;  // 0: no answer (connection refused, reset)
  std::string body;
  std::string signature;
};

Reply Send(const std::string& base, const std::string& method, const std::string& path,
           const std::string& content_type = "", const std::string& body = "", const std::string& bearer = "") {
  net::HttpClient client(net::HttpClientOptions{"", false, std::chrono::milliseconds(10000), 1024 * 1024});
  auto url = net::ParseUrl(base + path);
  if (!url.ok()) return {};
  net::HttpRequest req;
  req.method = method;
  req.url = *url;
  req.content_type = content_type;
  req.body = body;
  if (!bearer.empty()) req.headers.emplace_back("Authorization", "Bearer " + bearer);
  auto res = client.Send(req);
  if (!res.ok()) return {};
  return Reply{res->status, res->body, res->Header("yesno-directory-signature").value_or("")};
}

std::string ErrorOf(const std::string& body) {
  auto doc = Json::parse(body, nullptr, false);
  return doc.is_object() && doc.contains("error") && doc["error"].is_string() ? doc["error"].get<std::string>() : "";
}

void CopyStateDir(const std::string& from, const std::string& to) {
  fs::remove_all(to);
  fs::copy(from, to, fs::copy_options::recursive);
  chmod(to.c_str(), 0700);
}

// One running yesno-issuer serve.
struct Instance {
  std::string state;
  std::unique_ptr<ChildProcess> child;
  std::string url;
};

class IssuerFleetPgTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!PostgresServer::MissingReason().empty()) return;
    pg_ = new PostgresServer();
  }
  static void TearDownTestSuite() {
    delete pg_;
    pg_ = nullptr;
  }

  void SetUp() override {
    const std::string missing = PostgresServer::MissingReason();
    if (!missing.empty()) GTEST_SKIP() << "SKIPPED: PostgreSQL 15 is needed for the issuer fleet tests: " << missing;
    ASSERT_TRUE(pg_ != nullptr && pg_->ready()) << "PostgreSQL did not start: " << (pg_ ? pg_->error() : "");
    static int counter = 0;
    db_ = "fleet_" + std::to_string(getpid()) + "_" + std::to_string(++counter);
    ASSERT_TRUE(pg_->CreateDatabase(db_)) << pg_->Log();
    root_ = testing::PrivateDir("fleet_pg", db_);
  }
  void TearDown() override {
    for (auto& i : instances_) {
      if (i.child && i.child->running()) {
        i.child->Signal(SIGTERM);
        i.child->Wait(std::chrono::seconds(10));
      }
    }
    instances_.clear();
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  // Init makes the first state directory with a PostgreSQL store.
  void Init(int quota) {
    state_ = root_ + "/issuer0";
    ProcessResult r = RunProcess({YESNO_ISSUER_PATH, "init", "--state", state_, "--name", kName, "--claims", kClaim,
                                  "--quota", std::to_string(quota), "--store", pg_->Url(db_)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto pk = Base64UrlDecode(TrimEnd(r.out));
    ASSERT_TRUE(pk.ok());
    public_key_ = *pk;
  }
  // StartFleet starts `n` instances, each from its own copy of the state dir.
  void StartFleet(int n) {
    for (int i = 0; i < n; ++i) {
      const std::string dir = root_ + "/copy" + std::to_string(i);
      CopyStateDir(state_, dir);
      StartInstance(dir);
    }
  }
  Instance& StartInstance(const std::string& dir) {
    Instance in;
    in.state = dir;
    in.child = ChildProcess::Start({YESNO_ISSUER_PATH, "serve", "--state", dir, "--listen", "127.0.0.1:0",
                                    "--threads", "2", "--store-pool", "3", "--store-timeout-ms", "2000"},
                                   dir + ".log");
    auto url = in.child ? in.child->WaitForListening() : std::nullopt;
    EXPECT_TRUE(url.has_value()) << "yesno-issuer did not start: " << ReadLog(dir);
    in.url = url.value_or("http://127.0.0.1:1");
    instances_.push_back(std::move(in));
    return instances_.back();
  }
  static std::string ReadLog(const std::string& dir) {
    auto b = files::ReadFile(dir + ".log");
    return b.ok() ? AsString(*b) : "";
  }
  std::string EnrollTicket() {
    ProcessResult r = RunProcess({YESNO_ISSUER_PATH, "enroll", "--state", state_, "--birth-date", kBirthDate});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return TrimEnd(r.out);
  }
  RsaPublicKey IssuingKeyOf(const Instance& in) {
    Reply d = Send(in.url, "GET", kDirectoryPath);
    EXPECT_EQ(d.status, 200u);
    auto dir = ParseDirectory(d.body);
    EXPECT_TRUE(dir.ok());
    auto key = dir.ok() ? IssuingKey(*dir, kClaim, Now()) : std::nullopt;
    EXPECT_TRUE(key.has_value());
    return key ? *key : testing::TestKey2048().public_key();
  }
  // ExpectIdenticalDirectories fetches every instance's signed directory.
  void ExpectIdenticalDirectories() {
    std::optional<Reply> first;
    for (const auto& in : instances_) {
      if (!in.child || !in.child->running()) continue;
      Reply d = Send(in.url, "GET", kDirectoryPath);
      ASSERT_EQ(d.status, 200u);
      EXPECT_TRUE(VerifyDirectorySignature(public_key_, d.body, d.signature).ok());
      if (!first) {
        first = d;
        continue;
      }
      EXPECT_EQ(d.body, first->body) << "directories differ between instances";
      EXPECT_EQ(d.signature, first->signature);
    }
  }
  int64_t QuotaUsedInDb() {
    const std::string out = pg_->Sql(db_, "SELECT coalesce(sum(used), 0) FROM quota");
    return std::stoll(out.rfind("ERROR", 0) == 0 ? "-1" : out);
  }

  static PostgresServer* pg_;
  std::string db_;
  std::string root_;
  std::string state_;
  Bytes public_key_;
  std::vector<Instance> instances_;
};

PostgresServer* IssuerFleetPgTest::pg_ = nullptr;

// LoadResult tallies what a load run got back.
struct LoadResult {
  std::mutex mu;
  std::map<unsigned, int> statuses;
  std::map<std::string, int> reasons;
  int signed_tokens = 0;
};

TEST_F(IssuerFleetPgTest, ThreeInstancesServeIdenticalDirectoriesAndSignExactlyTheQuotaUnder200ConcurrentBatches) {
  constexpr int kQuota = 100;
  constexpr int kBatches = 200;
  constexpr int kPerBatch = 2;  // 400 asked for a quota of 100
  Init(kQuota);
  StartFleet(3);
  ExpectIdenticalDirectories();

  const std::string ticket = EnrollTicket();
  const RsaPublicKey key = IssuingKeyOf(instances_[0]);
  SystemRng rng;
  std::vector<Pending> batches(kBatches);
  for (auto& b : batches) b.Add(key, kName, kPerBatch, rng);

  LoadResult result;
  std::atomic<int> next{0};
  std::vector<std::string> bodies(kBatches);
  std::vector<std::thread> threads;
  for (int t = 0; t < 12; ++t) {
    threads.emplace_back([&] {
      for (int i = next++; i < kBatches; i = next++) {
        const Instance& in = instances_[static_cast<std::size_t>(i) % 3];
        Reply r = Send(in.url, "POST", "/token-request-batch", kBatchType, batches[static_cast<std::size_t>(i)].BatchBody(),
                       ticket);
        std::lock_guard<std::mutex> lock(result.mu);
        ++result.statuses[r.status];
        if (r.status == 200 || r.status == 206) {
          bodies[static_cast<std::size_t>(i)] = r.body;
        } else {
          ++result.reasons[ErrorOf(r.body)];
        }
      }
    });
  }
  for (auto& t : threads) t.join();

  int signed_tokens = 0;
  for (int i = 0; i < kBatches; ++i) {
    if (bodies[static_cast<std::size_t>(i)].empty()) continue;
    signed_tokens += CountTrue(batches[static_cast<std::size_t>(i)].FinalizeBatch(bodies[static_cast<std::size_t>(i)]));
  }
  EXPECT_EQ(signed_tokens, kQuota) << "the fleet together must sign exactly the quota when more is asked";
  EXPECT_EQ(QuotaUsedInDb(), kQuota);
  for (const auto& [status, n] : result.statuses) {
    EXPECT_TRUE(status == 200 || status == 206 || status == 400) << "unexpected status " << status << " x" << n;
  }
  for (const auto& [reason, n] : result.reasons) EXPECT_EQ(reason, "quota_exceeded") << n;

  // Issued counts come from the shared store: still byte-identical, and
  // the directory shows the crowd size.
  ExpectIdenticalDirectories();
  Reply d = Send(instances_[1].url, "GET", kDirectoryPath);
  EXPECT_NE(d.body.find("\"yesno-issued\":" + std::to_string(kQuota)), std::string::npos) << d.body;
}

TEST_F(IssuerFleetPgTest, KillNineOfOneIssuerMidLoadLeavesTheOthersServingAndTheQuotaHeld) {
  constexpr int kQuota = 120;
  Init(kQuota);
  StartFleet(3);
  const std::string ticket = EnrollTicket();
  const RsaPublicKey key = IssuingKeyOf(instances_[0]);
  SystemRng rng;
  constexpr int kBatches = 90;  // of 4: 360 asked
  std::vector<Pending> batches(kBatches);
  for (auto& b : batches) b.Add(key, kName, 4, rng);

  LoadResult result;
  std::atomic<int> next{0};
  std::atomic<int> after_kill_ok{0};
  std::atomic<bool> killed{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&] {
      for (int i = next++; i < kBatches; i = next++) {
        if (i == 20 && !killed.exchange(true)) {
          ::kill(instances_[2].child->pid(), SIGKILL);  // mid-load, requests in flight
        }
        const Instance& in = instances_[static_cast<std::size_t>(i) % 3];
        Reply r = Send(in.url, "POST", "/token-request-batch", kBatchType, batches[static_cast<std::size_t>(i)].BatchBody(),
                       ticket);
        std::lock_guard<std::mutex> lock(result.mu);
        ++result.statuses[r.status];
        if (r.status == 200 || r.status == 206) {
          const int n = CountTrue(batches[static_cast<std::size_t>(i)].FinalizeBatch(r.body));
          result.signed_tokens += n;
          if (killed.load() && i % 3 != 2) after_kill_ok += n;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(instances_[2].child->Wait(std::chrono::seconds(5)), -1);

  EXPECT_LE(result.signed_tokens, kQuota);
  const int64_t used = QuotaUsedInDb();
  EXPECT_GE(used, result.signed_tokens) << "every signature was reserved first";
  EXPECT_LE(used, kQuota);
  EXPECT_GT(after_kill_ok.load(), 0) << "the surviving instances kept signing";
  for (const auto& [status, n] : result.statuses) {
    EXPECT_TRUE(status == 0 || status == 200 || status == 206 || status == 400) << "status " << status << " x" << n;
  }
  // The killed instance comes back from its own state directory and serves
  // the same directory as the others.
  const std::string dir = instances_[2].state;
  StartInstance(dir);
  ExpectIdenticalDirectories();
  // The quota is spent for the whole fleet, also at the restarted instance.
  Pending more;
  more.Add(key, kName, 1, rng);
  if (used == kQuota) {
    Reply r = Send(instances_.back().url, "POST", "/token-request-batch", kBatchType, more.BatchBody(), ticket);
    EXPECT_EQ(r.status, 400u);
    EXPECT_EQ(ErrorOf(r.body), "quota_exceeded");
  }
}

TEST_F(IssuerFleetPgTest, PostgresStoppedMidLoadGives503ThenRecoversWithoutRestartingIssuers) {
  constexpr int kQuota = 10000;
  Init(kQuota);
  StartFleet(2);
  const std::string ticket = EnrollTicket();
  const RsaPublicKey key = IssuingKeyOf(instances_[0]);
  SystemRng rng;

  std::atomic<bool> stop{false};
  std::atomic<bool> db_down{false};
  std::atomic<int> signed_during_outage{0};
  LoadResult result;
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      SystemRng local_rng;
      for (int i = 0; !stop.load(); ++i) {
        Pending p;
        p.Add(key, kName, 1, local_rng);
        const bool down_before = db_down.load();
        Reply r = Send(instances_[static_cast<std::size_t>(i + t) % 2].url, "POST", "/token-request-batch", kBatchType,
                       p.BatchBody(), ticket);
        const bool down_after = db_down.load();
        std::lock_guard<std::mutex> lock(result.mu);
        ++result.statuses[r.status];
        if (r.status == 200) {
          result.signed_tokens += CountTrue(p.FinalizeBatch(r.body));
          if (down_before && down_after) ++signed_during_outage;
        } else {
          ++result.reasons[ErrorOf(r.body)];
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  EXPECT_EQ(Send(instances_[0].url, "GET", "/healthz").status, 200u);
  ASSERT_TRUE(pg_->Stop());
  db_down = true;  // from here until Start: the database is surely down
  // A load balancer's health check sees the outage on every instance.
  for (const auto& in : instances_) {
    Reply h = Send(in.url, "GET", "/healthz");
    EXPECT_EQ(h.status, 503u) << h.body;
    EXPECT_EQ(ErrorOf(h.body), "state_unavailable") << h.body;
  }
  // During the outage: 503 unavailable, never a signature.
  for (int i = 0; i < 4; ++i) {
    Pending p;
    p.Add(key, kName, 1, rng);
    Reply r = Send(instances_[static_cast<std::size_t>(i) % 2].url, "POST", "/token-request-batch", kBatchType,
                   p.BatchBody(), ticket);
    EXPECT_EQ(r.status, 503u) << r.body;
    EXPECT_EQ(ErrorOf(r.body), "unavailable");
    Reply e = Send(instances_[static_cast<std::size_t>(i) % 2].url, "POST", "/entitlements", "", "", ticket);
    EXPECT_EQ(e.status, 503u);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  db_down = false;
  ASSERT_TRUE(pg_->Start()) << pg_->error();
  // Recovery without restarting the issuers: both sign again.
  for (std::size_t k = 0; k < 2; ++k) {
    bool recovered = false;
    for (int attempt = 0; attempt < 100 && !recovered; ++attempt) {
      Pending p;
      p.Add(key, kName, 1, rng);
      Reply r = Send(instances_[k].url, "POST", "/token-request-batch", kBatchType, p.BatchBody(), ticket);
      if (r.status == 200) {
        recovered = CountTrue(p.FinalizeBatch(r.body)) == 1;
        std::lock_guard<std::mutex> lock(result.mu);
        result.signed_tokens += 1;
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
    EXPECT_TRUE(recovered) << "instance " << k << " did not recover after the database came back";
    EXPECT_EQ(Send(instances_[k].url, "GET", "/healthz").status, 200u) << "instance " << k;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  stop = true;
  for (auto& t : threads) t.join();
  for (auto& in : instances_) EXPECT_TRUE(in.child->running());

  EXPECT_EQ(signed_during_outage.load(), 0);
  EXPECT_GT(result.statuses[503], 0);
  for (const auto& [status, n] : result.statuses) {
    EXPECT_TRUE(status == 200 || status == 503) << "status " << status << " x" << n;
  }
  for (const auto& [reason, n] : result.reasons) EXPECT_EQ(reason, "unavailable") << n;
  const int64_t used = QuotaUsedInDb();
  EXPECT_GE(used, result.signed_tokens);
  EXPECT_LE(used, result.signed_tokens + 4) << "at most the requests cut mid-flight cost quota without a token";

  // After the restart the fleet still never exceeds a quota: a fresh ticket
  // of a small-quota issuer is not needed; ask this ticket's rest at once.
  const int64_t left = kQuota - used;
  EXPECT_GT(left, 0);
}

TEST_F(IssuerFleetPgTest, DatabaseDumpHoldsNoPrivateKeyKekTicketIdOrBirthDateInClear) {
  Init(64);
  StartFleet(2);
  const std::string ticket = EnrollTicket();
  const RsaPublicKey key = IssuingKeyOf(instances_[0]);
  SystemRng rng;
  Pending p;
  p.Add(key, kName, 8, rng);
  Reply r = Send(instances_[1].url, "POST", "/token-request-batch", kBatchType, p.BatchBody(), ticket);
  ASSERT_EQ(r.status, 200u);
  ASSERT_EQ(CountTrue(p.FinalizeBatch(r.body)), 8);
  ASSERT_EQ(RunProcess({YESNO_ISSUER_PATH, "revoke", "--state", state_, "--ticket", ticket}).exit_code, 0);

  const std::string dump = pg_->Dump(db_);
  ASSERT_EQ(dump.rfind("ERROR", 0), std::string::npos) << dump;
  ASSERT_NE(dump.find("token_keys"), std::string::npos);
  const std::string lower = [&] {
    std::string s = dump;
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }();

  // The secrets, looked for raw, as hex and as base64url.
  std::vector<std::pair<std::string, Bytes>> secrets;
  auto config = LoadConfig(state_);
  ASSERT_TRUE(config.ok());
  auto loaded = LoadSecrets(state_);
  ASSERT_TRUE(loaded.ok());
  auto kek = files::ReadSecretFile(state_ + "/store.kek");
  ASSERT_TRUE(kek.ok());
  secrets.emplace_back("store.kek", Bytes(kek->begin(), kek->end()));
  secrets.emplace_back("signing seed", Bytes(loaded->signing_seed.begin(), loaded->signing_seed.end()));
  secrets.emplace_back("ticket key", Bytes(loaded->ticket_key.begin(), loaded->ticket_key.end()));
  auto contents = OpenTicket(loaded->ticket_key, kName, ticket);
  ASSERT_TRUE(contents.ok());
  secrets.emplace_back("ticket id", contents->ticket_id);
  auto stores = OpenIssuerStores(state_, *config, *loaded, StoreOptions{});
  ASSERT_TRUE(stores.ok()) << stores.error().message;
  auto keys = stores->vault->LoadKeys();
  ASSERT_TRUE(keys.ok());
  ASSERT_GE(keys->size(), 2u);
  for (const auto& k : *keys) {
    const Bytes der(k.der.begin(), k.der.end());
    secrets.emplace_back("private key " + k.claim + "." + std::to_string(k.epoch), der);
    // The CRT tail (qInv, dQ...) alone, in case only part were stored.
    secrets.emplace_back("private key tail", Bytes(der.end() - 64, der.end()));
  }
  for (const auto& [what, bytes] : secrets) {
    const std::string hex = HexEncode(bytes);
    EXPECT_EQ(lower.find(hex), std::string::npos) << what << " in clear (hex) in the database";
    EXPECT_EQ(dump.find(AsString(bytes)), std::string::npos) << what << " raw in the database";
    EXPECT_EQ(dump.find(Base64UrlEncode(bytes, false)), std::string::npos) << what << " base64url in the database";
    EXPECT_EQ(lower.find(hex.substr(0, 32)), std::string::npos) << what << " (first 16 bytes) in the database";
  }
  EXPECT_EQ(dump.find(ticket), std::string::npos) << "a ticket in the database";
  EXPECT_EQ(dump.find(ticket.substr(4, 40)), std::string::npos);
  for (const std::string& date : {std::string(kBirthDate), std::string("19900417"), std::string("17/04/1990"),
                                 std::string("1990/04/17")}) {
    EXPECT_EQ(dump.find(date), std::string::npos) << "the birth date " << date << " in the database";
  }
  // What is there: the keyed ticket hash on the deny-list, sealed keys.
  const Bytes hash = TicketHash(loaded->ticket_hash_key, contents->ticket_id);
  EXPECT_NE(lower.find(HexEncode(hash)), std::string::npos) << "the deny-list holds the keyed hash";
}

// Rotation with an injected clock: three services in process, each from its
// own copy of the state directory, sharing the database.
TEST_F(IssuerFleetPgTest, RotationAcrossTheFleetMakesEachKeyOnceKeepsDirectoriesIdenticalAndHasNoGap) {
  constexpr int64_t kDay = 86400;
  constexpr int64_t kEpoch = 30 * kDay;
  const int64_t e0_start = (UnixSecondsFromDate(Date{2026, 11, 23}) / kEpoch) * kEpoch;
  FixedClock clock(e0_start + 5 * kDay);
  testing::DeterministicRng rng(7);
  // `generated` counts the keys the fleet asked for. A fresh key whose last
  // key-id byte repeats an earlier one's (1 in 256 per listed key) would make
  // the store draw again; such keys are passed over here, so every draw the
  // store sees is a key it keeps.
  std::atomic<int> generated{0};
  std::mutex gen_mu;
  std::set<uint8_t> last_bytes;
  KeyGenerator gen = [&]() -> Result<RsaPrivateKey> {
    ++generated;
    for (;;) {
      auto key = RsaPrivateKey::Generate(2048);
      if (!key.ok()) return key;
      std::lock_guard<std::mutex> lock(gen_mu);
      if (last_bytes.insert(key->public_key().KeyId().back()).second) return key;
    }
  };
  IssuerConfig config;
  config.name = kName;
  config.age_claims = {kClaim};
  config.quota = 64;
  config.store = pg_->Url(db_);
  state_ = root_ + "/inproc0";
  auto pk = InitState(state_, config, clock.NowSeconds(), rng, gen);
  ASSERT_TRUE(pk.ok()) << pk.error().message;
  public_key_ = *pk;
  EXPECT_EQ(generated.load(), 2);  // current and next epoch
  std::vector<std::unique_ptr<IssuerService>> fleet;
  for (int i = 0; i < 3; ++i) {
    const std::string dir = root_ + "/inproc" + std::to_string(i + 1);
    CopyStateDir(state_, dir);
    auto s = IssuerService::Open(dir, clock, rng, gen);
    ASSERT_TRUE(s.ok()) << s.error().message;
    fleet.push_back(std::move(*s));
  }
  auto loaded = LoadSecrets(state_);
  ASSERT_TRUE(loaded.ok());
  auto enrolled = Enroll(config, loaded->ticket_key, EnrollRequest{Date{1990, 4, 17}, {}, 365}, clock.NowSeconds(), rng);
  ASSERT_TRUE(std::holds_alternative<EnrollResult>(enrolled));
  const std::string ticket = std::get<EnrollResult>(enrolled).ticket;

  auto call = [](IssuerService& s, server::http::verb method, const std::string& target, const std::string& type = "",
                 const std::string& body = "", const std::string& bearer = "") {
    server::Request req{method, target, 11};
    req.set(server::http::field::host, kName);
    if (!type.empty()) req.set(server::http::field::content_type, type);
    if (!bearer.empty()) req.set(server::http::field::authorization, "Bearer " + bearer);
    req.body() = body;
    req.prepare_payload();
    server::RequestLog log;
    return s.HandleRequest(req, log);
  };
  // Directories of the three, byte for byte.
  auto expect_identical = [&](const char* when) {
    std::string first, first_sig;
    for (auto& s : fleet) {
      auto res = call(*s, server::http::verb::get, kDirectoryPath);
      ASSERT_EQ(res.result_int(), 200u) << when;
      const std::string sig(res[kDirectorySignatureHeader]);
      if (first.empty()) {
        first = res.body();
        first_sig = sig;
      } else {
        EXPECT_EQ(res.body(), first) << "directories differ " << when;
        EXPECT_EQ(sig, first_sig) << when;
      }
    }
  };
  // One token from each instance at the current time: no gap.
  SystemRng blind_rng;
  auto expect_issuance = [&](const char* when) {
    for (auto& s : fleet) {
      auto res = call(*s, server::http::verb::get, kDirectoryPath);
      auto dir = ParseDirectory(res.body());
      ASSERT_TRUE(dir.ok());
      auto key = IssuingKey(*dir, kClaim, clock.NowSeconds());
      ASSERT_TRUE(key.has_value()) << when;
      Pending p;
      p.Add(*key, kName, 1, blind_rng);
      auto r = call(*s, server::http::verb::post, "/token-request-batch", kBatchType, p.BatchBody(), ticket);
      ASSERT_EQ(r.result_int(), 200u) << when << ": " << r.body();
      EXPECT_EQ(CountTrue(p.FinalizeBatch(r.body())), 1) << when;
    }
  };
  auto maintain_all_at_once = [&]() {
    std::atomic<int> made{0};
    std::vector<std::thread> ts;
    for (auto& s : fleet) {
      ts.emplace_back([&made, &s] {
        auto r = s->Maintain();
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
        if (r.ok()) made += r->generated;
      });
    }
    for (auto& t : ts) t.join();
    return made.load();
  };
  const int64_t e1_start = e0_start + kEpoch;
  const int64_t e2_start = e1_start + kEpoch;

  EXPECT_EQ(maintain_all_at_once(), 0);
  expect_identical("at the start");
  expect_issuance("at the start");

  clock.Set(e1_start - 1);  // last second of epoch 0
  expect_issuance("at the end of epoch 0");
  EXPECT_EQ(maintain_all_at_once(), 0);
  expect_identical("at the end of epoch 0");

  clock.Set(e1_start + 1);  // epoch 1 begins; epoch 2's key is due
  expect_issuance("at the start of epoch 1, before any maintenance");
  generated = 0;
  auto first = fleet[0]->Maintain();
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->generated, 1);
  EXPECT_EQ(fleet[0]->keys().All().size(), 3u);
  EXPECT_EQ(fleet[1]->keys().All().size(), 2u) << "instance 1 has not run its maintenance yet";
  expect_identical("after one instance made epoch 2's key (not yet listed)");
  EXPECT_EQ(maintain_all_at_once(), 0) << "the others load the key, they do not make another";
  EXPECT_EQ(generated.load(), 1);
  for (auto& s : fleet) EXPECT_EQ(s->keys().All().size(), 3u);

  clock.Set(e2_start - 2 * kDay + 1);  // epoch 2's key is published
  EXPECT_EQ(maintain_all_at_once(), 0);
  expect_identical("when epoch 2's key is published");
  expect_issuance("when epoch 2's key is published");
  {
    auto res = call(*fleet[2], server::http::verb::get, kDirectoryPath);
    auto dir = ParseDirectory(res.body());
    ASSERT_TRUE(dir.ok());
    EXPECT_EQ(dir->keys.size(), 2u) << "epoch 1 and 2 (epoch 0 left at the end of its grace week)";
  }

  clock.Set(e2_start + 1);  // epoch 2 begins: epoch 3's key due, all maintain at the same moment
  generated = 0;
  expect_issuance("at the start of epoch 2, before any maintenance");
  EXPECT_EQ(maintain_all_at_once(), 1) << "exactly one instance makes epoch 3's key (advisory lock)";
  EXPECT_EQ(generated.load(), 1);
  expect_identical("after the second rotation");
  expect_issuance("after the second rotation");
  EXPECT_EQ(pg_->Sql(db_, "SELECT count(*) FROM token_keys"), "3") << "epoch 0's key was deleted after its grace week";
}

// Negative paths at start: clear refusals, exit code 2, nothing served.
TEST_F(IssuerFleetPgTest, NewerSchemaOtherKekOtherIssuerPasswordAndUnreachableDatabaseAreRefused) {
  Init(64);
  auto serve = [&](const std::string& dir, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {YESNO_ISSUER_PATH, "serve", "--state", dir, "--listen", "127.0.0.1:0",
                                     "--store-timeout-ms", "1000"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunProcess(argv, "", std::chrono::seconds(20));
  };
  // --help explains --store on init and serve.
  for (const char* cmd : {"init", "serve"}) {
    ProcessResult help = RunProcess({YESNO_ISSUER_PATH, cmd, "--help"});
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_NE(help.out.find("--store"), std::string::npos) << cmd;
    EXPECT_NE(help.out.find("postgresql://"), std::string::npos) << cmd;
    EXPECT_NE(help.out.find("PGPASSWORD"), std::string::npos) << cmd;
  }
  // Another KEK in a copy of the state directory.
  const std::string other_kek = root_ + "/otherkek";
  CopyStateDir(state_, other_kek);
  Bytes random_kek(32, 0x5a);
  ASSERT_TRUE(files::WriteFileAtomic(other_kek + "/store.kek", random_kek, 0600).ok());
  ProcessResult r = serve(other_kek);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("store.kek"), std::string::npos) << r.err;

  // A missing KEK.
  const std::string no_kek = root_ + "/nokek";
  CopyStateDir(state_, no_kek);
  fs::remove(no_kek + "/store.kek");
  r = serve(no_kek);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("store.kek is missing"), std::string::npos) << r.err;

  // A second init on the same database.
  r = RunProcess({YESNO_ISSUER_PATH, "init", "--state", root_ + "/second", "--name", kName, "--store", pg_->Url(db_)});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("already holds issuer"), std::string::npos) << r.err;

  // A password in the URL (init and serve).
  r = RunProcess({YESNO_ISSUER_PATH, "init", "--state", root_ + "/pw", "--name", kName, "--store",
                  "postgresql://yesno:secret@127.0.0.1:" + std::to_string(pg_->port()) + "/" + db_});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("PGPASSWORD"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("secret@"), std::string::npos) << "the password is echoed";
  EXPECT_FALSE(fs::exists(root_ + "/pw"));
  r = serve(state_, {"--store", "postgres://yesno@127.0.0.1:1/x?password=secret"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("must not carry a password"), std::string::npos) << r.err;
  r = serve(state_, {"--store", "mysql://127.0.0.1/x"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--store must be sqlite"), std::string::npos) << r.err;

  // An unreachable database at start.
  r = serve(state_, {"--store", "postgresql://yesno@127.0.0.1:" + std::to_string(testing::FreePort()) + "/" + db_});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("cannot connect"), std::string::npos) << r.err;

  // Another issuer's database (serve --store pointing elsewhere).
  ASSERT_TRUE(pg_->CreateDatabase(db_ + "_b"));
  const std::string other = root_ + "/otherissuer";
  r = RunProcess({YESNO_ISSUER_PATH, "init", "--state", other, "--name", "other.example", "--claims", kClaim, "--store",
                  pg_->Url(db_ + "_b")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = serve(state_, {"--store", pg_->Url(db_ + "_b")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("belongs to another issuer"), std::string::npos) << r.err;

  // A schema newer than this program.
  EXPECT_EQ(pg_->Sql(db_, "SELECT max(version) FROM yesno_schema"), std::to_string(kPgSchemaVersion));
  ASSERT_EQ(pg_->Sql(db_, "INSERT INTO yesno_schema (version) VALUES (999)").rfind("ERROR", 0), std::string::npos);
  r = serve(state_);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("schema is version 999, newer than this yesno-issuer"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Upgrade"), std::string::npos) << r.err;
}

// The store's own semantics against the real database.
TEST_F(IssuerFleetPgTest, StoreReservesPartiallyAcrossClaimsRevokesCountsAndPrunes) {
  Init(64);
  auto config = LoadConfig(state_);
  ASSERT_TRUE(config.ok());
  auto secrets = LoadSecrets(state_);
  ASSERT_TRUE(secrets.ok());
  auto stores = OpenIssuerStores(state_, *config, *secrets, StoreOptions{});
  ASSERT_TRUE(stores.ok()) << stores.error().message;
  StateStore& st = *stores->state;
  const Bytes t1(32, 1), t2(32, 2);

  auto g = st.ReserveQuota(t1, 100, {{"a", 5}, {"b", 3}}, 6);
  ASSERT_TRUE(g.ok()) << g.error().message;
  EXPECT_EQ((*g)["a"], 5);
  EXPECT_EQ((*g)["b"], 3);
  g = st.ReserveQuota(t1, 100, {{"a", 5}, {"b", 5}}, 6);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ((*g)["a"], 1) << "only what is left";
  EXPECT_EQ((*g)["b"], 3);
  g = st.ReserveQuota(t1, 100, {{"a", 1}}, 6);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ((*g)["a"], 0);
  g = st.ReserveQuota(t1, 101, {{"a", 2}}, 6);  // another epoch
  ASSERT_TRUE(g.ok());
  EXPECT_EQ((*g)["a"], 2);
  g = st.ReserveQuota(t2, 100, {{"a", 0}}, 6);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ((*g)["a"], 0);
  auto used = st.QuotaUsed(t1, "a", 100);
  ASSERT_TRUE(used.ok());
  EXPECT_EQ(*used, 6);
  used = st.QuotaUsed(t2, "a", 100);
  ASSERT_TRUE(used.ok());
  EXPECT_EQ(*used, 0);

  auto revoked = st.IsRevoked(t1);
  ASSERT_TRUE(revoked.ok());
  EXPECT_FALSE(*revoked);
  ASSERT_TRUE(st.Revoke(t1, 500).ok());
  ASSERT_TRUE(st.Revoke(t1, 400).ok());  // idempotent, keeps the later expiry
  revoked = st.IsRevoked(t1);
  ASSERT_TRUE(revoked.ok());
  EXPECT_TRUE(*revoked);

  auto keys = stores->vault->LoadKeys();
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 2u);
  const Bytes live_id = (*keys)[0].key_id;
  const Bytes gone_id(32, 9);
  ASSERT_TRUE(st.AddIssued({{live_id, 3}, {gone_id, 4}}).ok());
  ASSERT_TRUE(st.AddIssued({{live_id, 2}}).ok());
  auto issued = st.Issued(live_id);
  ASSERT_TRUE(issued.ok());
  EXPECT_EQ(*issued, 5);

  ASSERT_TRUE(st.Prune(101, 450, {}).ok());
  used = st.QuotaUsed(t1, "a", 100);
  ASSERT_TRUE(used.ok());
  EXPECT_EQ(*used, 0) << "past epochs pruned";
  used = st.QuotaUsed(t1, "a", 101);
  ASSERT_TRUE(used.ok());
  EXPECT_EQ(*used, 2);
  revoked = st.IsRevoked(t1);
  ASSERT_TRUE(revoked.ok());
  EXPECT_TRUE(*revoked) << "expires at 500, not yet";
  issued = st.Issued(gone_id);
  ASSERT_TRUE(issued.ok());
  EXPECT_EQ(*issued, 0) << "counts of keys no longer in the key table are pruned";
  issued = st.Issued(live_id);
  ASSERT_TRUE(issued.ok());
  EXPECT_EQ(*issued, 5);
  ASSERT_TRUE(st.Prune(101, 501, {}).ok());
  revoked = st.IsRevoked(t1);
  ASSERT_TRUE(revoked.ok());
  EXPECT_FALSE(*revoked);

  // A tampered key row does not load.
  ASSERT_EQ(pg_->Sql(db_, "UPDATE token_keys SET epoch = epoch + 100 WHERE epoch = (SELECT min(epoch) FROM token_keys)")
                .rfind("ERROR", 0),
            std::string::npos);
  auto tampered = stores->vault->LoadKeys();
  ASSERT_FALSE(tampered.ok());
  EXPECT_NE(tampered.error().message.find("does not open with store.kek"), std::string::npos);
}

}  // namespace
}  // namespace yesno::issuer

#endif  // YESNO_ISSUER_PATH
