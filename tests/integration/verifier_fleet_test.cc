// verifier_fleet_test.cc — a verifier fleet on real Redis processes started
// here (issue 18):
//   VerifierFleetUnit      cluster key slots (CRC16-XMODEM, hash tags), store URLs
//   VerifierFleetRedis     one server: the expiry margin past not-after, WAIT
//                          without enough replicas, gate sessions in Redis
//   VerifierFleetSentinel  1 primary, 2 replicas, 3 Sentinels; kill -9 of the
//                          primary under load with --spent-wait-replicas 1
//   VerifierFleetCluster   3 masters: 1,000 presentations over 2 verifiers during
//                          a slot migration, a gate session across 3 verifiers,
//                          a node killed
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "gate_redis.h"
#include "redis_client.h"
#include "redis_cluster.h"
#include "spent_store.h"
#include "testing/process.h"
#include "testing/test_util.h"
#include "verifier_testing.h"
#include "yesno/token.h"

#ifdef YESNO_VERIFIER_PATH

namespace yesno::testing {
namespace {

using namespace std::chrono_literals;
using verifier::RedisArgs;
using verifier::RedisConnOptions;
using verifier::RedisEndpoint;
using verifier::RedisPool;
using verifier::RedisValue;

constexpr char kOrigin[] = "https://shop.example";
constexpr char kClaim[] = "age_over_18";
constexpr char kRedisServer[] = "/usr/bin/redis-server";
constexpr char kRedisCli[] = "/usr/bin/redis-cli";

int64_t Now() { return SystemClock().NowSeconds(); }

#define REQUIRE_REDIS()                                                                                   \
  if (!std::filesystem::exists(kRedisServer) || !std::filesystem::exists(kRedisCli)) {                  \
    GTEST_SKIP() << "SKIPPED LOUDLY: " << kRedisServer << " or " << kRedisCli                           \
                 << " is missing: run scripts/bootstrap (Debian package redis-server)";                 \
  }

// Cmd runs one command on 127.0.0.1:port and returns its reply (an error
// reply or a transport failure fails the test).
RedisValue Cmd(int port, const RedisArgs& args) {
  RedisPool pool(RedisEndpoint{"127.0.0.1", port}, RedisConnOptions{2000ms, 0, ""});
  auto r = pool.Pipeline({args});
  if (!r.ok()) {
    ADD_FAILURE() << args[0] << " on " << port << ": " << r.error().message;
    return {};
  }
  return (*r)[0];
}

bool Answers(int port) {
  RedisPool pool(RedisEndpoint{"127.0.0.1", port}, RedisConnOptions{200ms, 0, ""});
  auto r = pool.Pipeline({{"PING"}});
  return r.ok() && !(*r)[0].IsError();
}

template <class Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds timeout, std::chrono::milliseconds step = 50ms) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(step);
  }
  return pred();
}

bool PortFree(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// ClusterPort is a free port whose cluster bus port (port + 10000) is free
// and below 65536 too.
int ClusterPort(std::set<int>& used) {
  static std::mt19937 rng(std::random_device{}());
  for (int i = 0; i < 1000; ++i) {
    const int p = std::uniform_int_distribution<int>(20000, 29999)(rng);
    if (used.count(p) == 0 && PortFree(p) && PortFree(p + 10000)) {
      used.insert(p);
      return p;
    }
  }
  ADD_FAILURE() << "no free port pair";
  return 0;
}

// RedisProc is one redis-server (plain, replica, Sentinel or cluster node).
class RedisProc {
 public:
  RedisProc(std::string dir, int port, std::vector<std::string> extra, bool sentinel_conf = false)
      : dir_(std::move(dir)), port_(port) {
    std::filesystem::create_directories(dir_);
    std::vector<std::string> argv = {kRedisServer};
    if (sentinel_conf) {
      argv.push_back(dir_ + "/sentinel.conf");
      argv.push_back("--sentinel");
    }
    for (const std::string& a : {std::string("--port"), std::to_string(port_), std::string("--bind"),
                                 std::string("127.0.0.1"), std::string("--dir"), dir_}) {
      argv.push_back(a);
    }
    if (!sentinel_conf) {
      for (const char* a : {"--save", "", "--appendonly", "no"}) argv.push_back(a);
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    child_ = ChildProcess::Start(argv, dir_ + "/redis.log");
    ready_ = child_ && WaitFor([&] { return Answers(port_); }, 10s);
  }
  ~RedisProc() { Stop(SIGTERM); }
  void Stop(int sig) {
    if (child_ && child_->running()) {
      child_->Signal(sig);
      child_->Wait(10s);
    }
  }
  bool ready() const { return ready_; }
  int port() const { return port_; }
  std::string addr() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string log() const { return ReadText(dir_ + "/redis.log"); }

 private:
  std::string dir_;
  int port_;
  std::unique_ptr<ChildProcess> child_;
  bool ready_ = false;
};

// Fleet is the verifier side: one issuer key, its directory, a trust file,
// a shared secret file.
struct Fleet {
  IssuerFixture issuer{"issuer.example", 18};
  std::size_t key = 0;
  DirectoryServer directory;
  TempDir dir{"fleet"};
  Fleet() {
    const auto [not_before, not_after] = testing::EpochWindow(Now());  // on the epoch grid (key consistency)
    key = issuer.AddKey(kClaim, not_before, not_after, TestKey2048());
    directory.Serve(issuer);
    WriteTrustFile(dir.File("trust.json"), {{&issuer, directory.url()}});
  }
  VerifierProcess Start(const std::string& store, const std::string& name, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--origin", kOrigin, "--trust", dir.File("trust.json"), "--spent-store", store,
                                     "--secret-file", dir.File("fleet.secret"), "--threads", "2",
                                     "--access-log", dir.File(name + ".access.log")};
    args.insert(args.end(), extra.begin(), extra.end());
    return VerifierProcess::Start(args, dir.File(name + ".log"));
  }
};

enum class Answer { kYes, kReplayed, kUnavailable, kOther };

Answer Present(const std::string& url, const std::string& auth) {
  auto r = PostVerify(url, kClaim, auth);
  if (!r.ok()) return Answer::kOther;
  if (r->status == 200 && r->body.find("\"answer\":\"yes\"") != std::string::npos) return Answer::kYes;
  if (r->body == "{\"answer\":\"no\",\"reason\":\"replayed\"}") return Answer::kReplayed;
  if (r->status == 503 && r->body == "{\"answer\":\"no\",\"reason\":\"unavailable\"}") return Answer::kUnavailable;
  return Answer::kOther;
}

// --- no engine ----------------------------------------------------------------------

TEST(VerifierFleetUnit, KeySlotIsCrc16XmodemWithHashTags) {
  EXPECT_EQ(verifier::Crc16Xmodem("123456789"), 0x31C3);  // the cluster specification's check value
  EXPECT_EQ(verifier::Crc16Xmodem(""), 0);
  EXPECT_EQ(verifier::RedisKeySlot("foo"), 12182);
  EXPECT_EQ(verifier::RedisKeySlot("bar"), 5061);
  EXPECT_EQ(verifier::RedisKeySlot("{user1000}.following"), verifier::RedisKeySlot("{user1000}.followers"));
  EXPECT_EQ(verifier::RedisKeySlot("{user1000}.following"), verifier::RedisKeySlot("user1000"));
  EXPECT_EQ(verifier::RedisKeySlot("foo{}{bar}"), verifier::RedisKeySlot("foo{}{bar}")) << "empty tag: whole key";
  EXPECT_NE(verifier::RedisKeySlot("foo{}{bar}"), verifier::RedisKeySlot("bar"));
  EXPECT_EQ(verifier::RedisKeySlot("foo{{bar}}zap"), verifier::RedisKeySlot("{bar"));
  EXPECT_EQ(verifier::RedisKeySlot("foo{bar}{zap}"), verifier::RedisKeySlot("bar"));
  EXPECT_EQ(verifier::RedisKeySlot("{}"), verifier::Crc16Xmodem("{}") % 16384);
  // Spent keys carry no hash tag: they spread over the slots.
  std::set<uint16_t> slots;
  for (uint8_t i = 0; i < 64; ++i) {
    slots.insert(verifier::RedisKeySlot(verifier::RedisSpentKey(Bytes(32, 1), Bytes(32, i))));
  }
  EXPECT_GT(slots.size(), 60u);
}

TEST(VerifierFleetUnit, SpentKeyIsThePrefixAndTheFirst16BytesOfTheHash) {
  const Bytes key_id(32, 9), nonce(32, 4);
  const std::string key = verifier::RedisSpentKey(key_id, nonce);
  const Bytes h = verifier::SpentKeyHash(key_id, nonce);
  ASSERT_EQ(key.size(), 3u + 16u);
  EXPECT_EQ(key, std::string("ys:") + std::string(h.begin(), h.begin() + 16));
  // Every input byte matters: another nonce or key id is another key.
  EXPECT_NE(verifier::RedisSpentKey(key_id, Bytes(32, 5)), key);
  EXPECT_NE(verifier::RedisSpentKey(Bytes(32, 8), nonce), key);
  Bytes last_bit = nonce;
  last_bit.back() ^= 1;
  EXPECT_NE(verifier::RedisSpentKey(key_id, last_bit), key);
  // The nonce is not in the key in any spelling.
  EXPECT_EQ(key.find(std::string(nonce.begin(), nonce.end())), std::string::npos);
}

TEST(VerifierFleetUnit, StoreUrlsParseAndBadOnesAreUsageErrors) {
  auto sentinel = verifier::OpenSpentStore("redis-sentinel://127.0.0.1:26379,127.0.0.1:26380/mymaster");
  ASSERT_TRUE(sentinel.ok()) << sentinel.error().message;
  EXPECT_EQ((*sentinel)->Kind(), "redis-sentinel");
  auto cluster = verifier::OpenSpentStore("redis-cluster://127.0.0.1:7000,127.0.0.1:7001");
  ASSERT_TRUE(cluster.ok()) << cluster.error().message;
  EXPECT_EQ((*cluster)->Kind(), "redis-cluster");
  for (const char* bad :
       {"redis-sentinel://127.0.0.1:26379", "redis-sentinel://127.0.0.1:26379/", "redis-sentinel://h:x/m",
        "redis-sentinel:///m", "redis-sentinel://h:1,/m", "redis-sentinel://h:1/bad name", "redis-cluster://",
        "redis-cluster://h:0", "redis-cluster://h:1,,h:2", "redis-cluster://u@h:1", "redis-clusters://h:1"}) {
    auto s = verifier::OpenSpentStore(bad);
    EXPECT_FALSE(s.ok()) << bad;
    if (!s.ok()) {
      EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument) << bad;
    }
  }
  verifier::RedisSpentPolicy bad_policy;
  bad_policy.wait_replicas = -1;
  EXPECT_FALSE(verifier::OpenSpentStore("redis://127.0.0.1:1", bad_policy).ok());
  // Nothing listens: an error, never an answer.
  verifier::RedisSpentPolicy p;
  auto nowhere = verifier::OpenSpentStore("redis-cluster://127.0.0.1:" + std::to_string(FreePort()), p);
  ASSERT_TRUE(nowhere.ok());
  auto r = (*nowhere)->CheckAndInsert(Bytes(32, 1), Bytes(32, 2), Now() + 100);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  auto nowhere2 = verifier::OpenSpentStore("redis-sentinel://127.0.0.1:" + std::to_string(FreePort()) + "/m", p);
  ASSERT_TRUE(nowhere2.ok());
  r = (*nowhere2)->CheckAndInsert(Bytes(32, 1), Bytes(32, 2), Now() + 100);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
}

TEST(VerifierFleetUnit, VerifierRefusesBadFleetFlags) {
  TempDir dir("fleet_flags");
  IssuerFixture issuer("issuer.example", 18);
  WriteTrustFile(dir.File("trust.json"), {{&issuer, "http://127.0.0.1:1"}});
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{"--spent-store", "memory:", "--spent-wait-replicas", "1"},
        {"--spent-store", "redis://127.0.0.1:1", "--spent-wait-replicas", "17"},
        {"--spent-store", "redis://127.0.0.1:1", "--spent-wait-ms", "0"},
        {"--spent-store", "redis://127.0.0.1:1", "--spent-expiry-margin", "-5"},
        {"--spent-store", "redis-cluster://127.0.0.1:0"},
        {"--access-log", dir.File("no/such/dir/access.log")}}) {
    std::vector<std::string> argv = {YESNO_VERIFIER_PATH, "serve", "--origin", kOrigin, "--trust",
                                     dir.File("trust.json"), "--listen", "127.0.0.1:0"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    const ProcessResult r = RunProcess(argv, "", 20s);
    EXPECT_EQ(r.exit_code, 2) << extra[0] << " " << extra[1] << ": " << r.err;
    EXPECT_NE(r.err.find(extra.size() > 2 ? extra[2] : extra[0]), std::string::npos) << r.err;
  }
}

// --- one Redis server ------------------------------------------------------------------

TEST(VerifierFleetRedis, EntriesOutliveNotAfterByTheMarginAndWaitWithoutReplicasIsUnavailable) {
  REQUIRE_REDIS();
  TempDir dir("fleet_redis");
  RedisProc redis(dir.File("r"), FreePort(), {});
  ASSERT_TRUE(redis.ready()) << redis.log();
  const int64_t not_after = Now() + 7 * 86400;
  auto expire_ms = [&](verifier::RedisSpentPolicy policy, uint8_t n) {
    auto store = verifier::OpenSpentStore("redis://" + redis.addr(), policy);
    EXPECT_TRUE(store.ok());
    auto r = (*store)->CheckAndInsert(Bytes(32, 7), Bytes(32, n), not_after);
    EXPECT_TRUE(r.ok() && *r);
    const std::string key =
        verifier::RedisSpentKey(Bytes(32, 7), Bytes(32, n));
    return Cmd(redis.port(), {"PEXPIRETIME", key}).integer;
  };
  EXPECT_EQ(expire_ms({}, 1), (not_after + 86400) * 1000) << "default margin: one day past not-after";
  verifier::RedisSpentPolicy hour;
  hour.expiry_margin_seconds = 3600;
  EXPECT_EQ(expire_ms(hour, 2), (not_after + 3600) * 1000);
  verifier::RedisSpentPolicy none;
  none.expiry_margin_seconds = 0;
  EXPECT_EQ(expire_ms(none, 3), not_after * 1000);

  // WAIT 1 with no replica: recorded on the primary, but not a yes.
  verifier::RedisSpentPolicy wait;
  wait.wait_replicas = 1;
  wait.wait_timeout = 50ms;
  auto store = verifier::OpenSpentStore("redis://" + redis.addr(), wait);
  ASSERT_TRUE(store.ok());
  auto r = (*store)->CheckAndInsert(Bytes(32, 8), Bytes(32, 8), not_after);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message.find("WAIT 1 got 0"), std::string::npos) << r.error().message;
  r = (*store)->CheckAndInsert(Bytes(32, 8), Bytes(32, 8), not_after);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r) << "the entry was written: a retry reads 'spent' (a false no, never a false yes)";
}

TEST(VerifierFleetRedis, GateSessionStoreKeepsTheRulesInRedis) {
  REQUIRE_REDIS();
  TempDir dir("fleet_gate");
  RedisProc redis(dir.File("r"), FreePort(), {});
  ASSERT_TRUE(redis.ready()) << redis.log();
  auto backend = std::make_shared<verifier::RedisSingle>(RedisEndpoint{"127.0.0.1", redis.port()}, RedisConnOptions{});
  verifier::RedisGateStore a(backend, verifier::GateLimits{10, 100});
  verifier::RedisGateStore b(backend, verifier::GateLimits{10, 100});  // another replica
  using Claim = verifier::GateSessionStore::Claim;
  const int64_t T = Now();  // Redis expires the hashes on its own clock
  verifier::GateSession s;
  s.id = "AAAAAAAAAAAAAAAAAAAAAA";
  s.claim = kClaim;
  s.return_path = "/r?x=1";
  s.browser_key = SecretBytes(16, 0x5a);
  ASSERT_TRUE(a.OpenSession(s, T).ok());
  EXPECT_FALSE(a.OpenSession(s, T).ok()) << "ids are never reused";
  auto found = b.Find(s.id, T + 1);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->claim, kClaim);
  EXPECT_EQ(found->return_path, "/r?x=1");
  EXPECT_TRUE(found->browser_key == s.browser_key);
  EXPECT_EQ(found->expires_at, T + 100);
  EXPECT_EQ(found->state, verifier::GateState::kPending);
  using Added = verifier::GateSessionStore::AddVnonceResult;
  for (uint8_t i = 0; i < verifier::kGateVnoncesKept; ++i) EXPECT_EQ(b.AddVnonce(s.id, Bytes(40, i), T + 1), Added::kAdded);
  EXPECT_EQ(a.AddVnonce(s.id, Bytes(40, 9), T + 1), Added::kFull) << "past its cap a session refuses new challenges";
  EXPECT_EQ(a.Find(s.id, T + 1)->vnonces.size(), verifier::kGateVnoncesKept);
  EXPECT_EQ(a.Find(s.id, T + 1)->vnonces[0], Bytes(40, 0));
  EXPECT_FALSE(a.Collect(s.id, T + 1)) << "pending cannot be collected";
  verifier::GateSession copy;
  EXPECT_EQ(a.BeginAnswer(s.id, T + 2, copy), Claim::kOk);
  EXPECT_EQ(copy.vnonces.size(), verifier::kGateVnoncesKept);
  EXPECT_EQ(b.BeginAnswer(s.id, T + 2, copy), Claim::kClosed) << "one answer across the fleet";
  EXPECT_EQ(b.Find(s.id, T + 2)->state, verifier::GateState::kVerifying);
  a.AbandonAnswer(s.id);
  EXPECT_EQ(b.BeginAnswer(s.id, T + 2, copy), Claim::kOk);
  b.FinishAnswer(s.id, true, "");
  a.FinishAnswer(s.id, false, "declined");  // ignored: not verifying
  EXPECT_EQ(a.Find(s.id, T + 3)->state, verifier::GateState::kSatisfied);
  EXPECT_TRUE(a.Find(s.id, T + 3)->vnonces.empty());
  EXPECT_TRUE(b.Collect(s.id, T + 3));
  EXPECT_FALSE(a.Collect(s.id, T + 3)) << "collected once across the fleet";
  EXPECT_EQ(a.Find(s.id, T + 4000)->state, verifier::GateState::kCollected) << "used stays used";
  EXPECT_EQ(a.BeginAnswer("BBBBBBBBBBBBBBBBBBBBBB", T + 3, copy), Claim::kUnknown);
  EXPECT_FALSE(a.Find("BBBBBBBBBBBBBBBBBBBBBB", T + 3));
  // Expiry, refusal.
  s.id = "CCCCCCCCCCCCCCCCCCCCCC";
  ASSERT_TRUE(a.OpenSession(s, T).ok());
  EXPECT_EQ(a.Find(s.id, T + 100)->state, verifier::GateState::kExpired);
  EXPECT_EQ(b.BeginAnswer(s.id, T + 100, copy), Claim::kExpired);
  EXPECT_EQ(b.AddVnonce(s.id, Bytes(40, 1), T + 100), verifier::GateSessionStore::AddVnonceResult::kNotPending);
  s.id = "DDDDDDDDDDDDDDDDDDDDDD";
  ASSERT_TRUE(a.OpenSession(s, T).ok());
  EXPECT_EQ(a.BeginAnswer(s.id, T + 1, copy), Claim::kOk);
  a.FinishAnswer(s.id, false, "bad_pop");
  EXPECT_EQ(b.Find(s.id, T + 1000)->state, verifier::GateState::kRefused);
  EXPECT_EQ(b.Find(s.id, T + 1000)->reason, "bad_pop");
  EXPECT_EQ(b.BeginAnswer(s.id, T + 1, copy), Claim::kClosed);
  // Redis forgets a session one lifetime after it expired (PEXPIREAT).
  const long long forget = Cmd(redis.port(), {"PEXPIRETIME", std::string(verifier::kRedisGatePrefix) + s.id}).integer;
  EXPECT_EQ(forget, (T + 200) * 1000LL);
  // Redis gone: the answer is "unavailable", never a session state.
  redis.Stop(SIGKILL);
  EXPECT_EQ(a.BeginAnswer(s.id, T + 1, copy), Claim::kUnavailable);
  EXPECT_FALSE(a.OpenSession(s, T).ok());
  EXPECT_FALSE(a.Collect(s.id, T + 1));
}

// --- Sentinel -----------------------------------------------------------------------

TEST(VerifierFleetSentinel, KillNineOfThePrimaryUnderLoadNeverAcceptsATokenTwice) {
  REQUIRE_REDIS();
  Fleet fleet;
  const std::string d = fleet.dir.path();
  RedisProc primary(d + "/p", FreePort(), {"--repl-diskless-sync-delay", "0"});
  ASSERT_TRUE(primary.ready()) << primary.log();
  RedisProc r1(d + "/r1", FreePort(), {"--replicaof", "127.0.0.1", std::to_string(primary.port())});
  RedisProc r2(d + "/r2", FreePort(), {"--replicaof", "127.0.0.1", std::to_string(primary.port())});
  ASSERT_TRUE(r1.ready() && r2.ready());
  ASSERT_TRUE(WaitFor([&] {
    const std::string info = Cmd(primary.port(), {"INFO", "replication"}).str;
    return info.find("slave0:") != std::string::npos && info.find("slave1:") != std::string::npos &&
           info.find("wait_bgsave") == std::string::npos && info.find("send_bulk") == std::string::npos;
  }, 15s))
      << Cmd(primary.port(), {"INFO", "replication"}).str;
  std::vector<std::unique_ptr<RedisProc>> sentinels;
  std::string spec = "redis-sentinel://";
  for (int i = 0; i < 3; ++i) {
    const int port = FreePort();
    const std::string sdir = d + "/s" + std::to_string(i);
    std::filesystem::create_directories(sdir);
    WriteText(sdir + "/sentinel.conf", "sentinel monitor fleet 127.0.0.1 " + std::to_string(primary.port()) +
                                           " 2\nsentinel down-after-milliseconds fleet 1000\n"
                                           "sentinel failover-timeout fleet 10000\nsentinel parallel-syncs fleet 2\n");
    sentinels.push_back(std::make_unique<RedisProc>(sdir, port, std::vector<std::string>{}, true));
    ASSERT_TRUE(sentinels.back()->ready()) << sentinels.back()->log();
    spec += (i > 0 ? "," : "") + sentinels.back()->addr();
  }
  spec += "/fleet";
  // Sentinels learn the replicas from the primary and each other from hello messages.
  for (const auto& s : sentinels) {
    ASSERT_TRUE(WaitFor([&] {
      return Cmd(s->port(), {"SENTINEL", "replicas", "fleet"}).elements.size() == 2 &&
             Cmd(s->port(), {"SENTINEL", "sentinels", "fleet"}).elements.size() == 2;
    }, 15s)) << "Sentinel " << s->addr() << " did not see 2 replicas and 2 peers";
  }

  auto a = fleet.Start(spec, "a", {"--spent-wait-replicas", "1", "--spent-wait-ms", "300"});
  auto b = fleet.Start(spec, "b", {"--spent-wait-replicas", "1", "--spent-wait-ms", "300"});
  ASSERT_TRUE(a.child && b.child);
  const std::vector<std::string> urls = {a.url, b.url};
  const Bytes vnonce = FetchVnonce(a.url, kClaim);
  constexpr std::size_t kBefore = 100, kDuring = 500;
  const auto tokens = fleet.issuer.IssueMany(fleet.key, kBefore + kDuring);
  std::vector<std::string> auths;
  for (const auto& t : tokens) auths.push_back(AuthorizationFor(t, kOrigin, vnonce));
  std::vector<std::atomic<int>> yes(tokens.size());

  // Acknowledged before the kill: yes once.
  for (std::size_t i = 0; i < kBefore; ++i) {
    const Answer ans = Present(urls[i % 2], auths[i]);
    ASSERT_EQ(ans, Answer::kYes) << "token " << i;
    ++yes[i];
  }
  // Under load (each token twice, at both verifiers), kill -9 the primary.
  std::atomic<std::size_t> next{0};
  std::atomic<int> other{0}, unavailable{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 6; ++w) {
    workers.emplace_back([&] {
      for (std::size_t n; (n = next.fetch_add(1)) < 2 * kDuring;) {
        const std::size_t i = kBefore + n / 2;
        switch (Present(urls[n % 2], auths[i])) {
          case Answer::kYes: ++yes[i]; break;
          case Answer::kReplayed: break;
          case Answer::kUnavailable: ++unavailable; break;
          case Answer::kOther: ++other; break;
        }
        std::this_thread::sleep_for(15ms);
      }
    });
  }
  ASSERT_TRUE(WaitFor([&] { return next.load() > 200; }, 20s));
  primary.Stop(SIGKILL);
  const auto killed_at = std::chrono::steady_clock::now();
  for (auto& w : workers) w.join();
  EXPECT_EQ(other.load(), 0) << "every answer is yes, replayed or unavailable";
  EXPECT_GT(unavailable.load(), 0) << "the failover was not under load";

  // The Sentinels promote a replica; the verifiers follow it without a restart.
  auto fresh = fleet.issuer.IssueMany(fleet.key, 40);
  std::size_t f = 0;
  const bool recovered = WaitFor([&] {
    if (f >= fresh.size()) return false;
    const std::size_t i = f++;
    return Present(urls[i % 2], AuthorizationFor(fresh[i], kOrigin, vnonce)) == Answer::kYes;
  }, 30s, 200ms);
  ASSERT_TRUE(recovered) << "no yes after the failover; a.log:\n" << ReadText(a.log_path);
  const auto recovered_after = std::chrono::steady_clock::now() - killed_at;
  EXPECT_NE(Cmd(sentinels[0]->port(), {"SENTINEL", "get-master-addr-by-name", "fleet"}).elements.at(1).str,
            std::to_string(primary.port()));
  // Nothing acknowledged before (or during) the failover is accepted again.
  std::size_t acknowledged = 0;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    EXPECT_LE(yes[i].load(), 1) << "token " << i;
    if (yes[i].load() == 0) continue;
    ++acknowledged;
    for (const auto& url : urls) EXPECT_EQ(Present(url, auths[i]), Answer::kReplayed) << "token " << i;
  }
  EXPECT_GT(acknowledged, kBefore);
  // Fresh presentations: yes, at both verifiers.
  for (std::size_t i = f; i < f + 10 && i < fresh.size(); ++i) {
    EXPECT_EQ(Present(urls[i % 2], AuthorizationFor(fresh[i], kOrigin, vnonce)), Answer::kYes) << "fresh " << i;
  }
  std::cout << "[ fleet    ] failover: " << unavailable.load() << " unavailable answers, yes again after "
            << std::chrono::duration_cast<std::chrono::milliseconds>(recovered_after).count() << " ms, "
            << acknowledged << " acknowledged tokens all replayed after the promotion\n";
  EXPECT_EQ(a.Stop(), 0);
  EXPECT_EQ(b.Stop(), 0);
}

// --- Cluster --------------------------------------------------------------------------

TEST(VerifierFleetCluster, OnceAcrossVerifiersThroughAReshardGateAcrossThreeAndANodeLost) {
  REQUIRE_REDIS();
  Fleet fleet;
  const std::string d = fleet.dir.path();
  std::set<int> used;
  std::vector<std::unique_ptr<RedisProc>> nodes;
  std::vector<std::string> create = {kRedisCli, "--cluster", "create"};
  std::string spec = "redis-cluster://";
  for (int i = 0; i < 3; ++i) {
    const int port = ClusterPort(used);
    const std::string ndir = d + "/n" + std::to_string(i);
    nodes.push_back(std::make_unique<RedisProc>(
        ndir, port,
        std::vector<std::string>{"--cluster-enabled", "yes", "--cluster-config-file", ndir + "/nodes.conf",
                                 "--cluster-node-timeout", "2000", "--cluster-require-full-coverage", "no"}));
    ASSERT_TRUE(nodes.back()->ready()) << nodes.back()->log();
    create.push_back(nodes.back()->addr());
    spec += (i > 0 ? "," : "") + nodes.back()->addr();
  }
  create.insert(create.end(), {"--cluster-replicas", "0", "--cluster-yes"});
  const ProcessResult created = RunProcess(create, "", 30s);
  ASSERT_EQ(created.exit_code, 0) << created.out << created.err;
  for (const auto& n : nodes) {
    ASSERT_TRUE(WaitFor([&] { return Cmd(n->port(), {"CLUSTER", "INFO"}).str.find("cluster_state:ok") !=
                                     std::string::npos; }, 15s));
  }
  // Our slot function agrees with the cluster's.
  for (const std::string& key :
       std::vector<std::string>{"foo", "{a}b", verifier::RedisSpentKey(Bytes(32, 5), Bytes(32, 6))}) {
    EXPECT_EQ(Cmd(nodes[0]->port(), {"CLUSTER", "KEYSLOT", key}).integer, verifier::RedisKeySlot(key)) << key;
  }

  auto a = fleet.Start(spec, "a");
  auto b = fleet.Start(spec, "b");
  auto c = fleet.Start(spec, "c");
  ASSERT_TRUE(a.child && b.child && c.child);
  const std::vector<std::string> urls = {a.url, b.url};
  const Bytes vnonce = FetchVnonce(a.url, kClaim);

  // 1,000 presentations of 250 tokens (4 each, at both verifiers) while 1,000
  // slots move from node 0 to node 1 (MIGRATING/IMPORTING: ASK, then MOVED).
  constexpr std::size_t kTokens = 250, kTries = 4;
  const auto tokens = fleet.issuer.IssueMany(fleet.key, kTokens);
  std::vector<std::string> auths;
  for (const auto& t : tokens) auths.push_back(AuthorizationFor(t, kOrigin, vnonce));
  std::vector<std::size_t> jobs;
  for (std::size_t i = 0; i < kTokens * kTries; ++i) jobs.push_back(i % kTokens);
  std::shuffle(jobs.begin(), jobs.end(), std::mt19937(18));
  std::vector<std::atomic<int>> yes(kTokens);
  std::atomic<int> replayed{0}, other{0};
  std::atomic<std::size_t> next{0};
  const std::string from = Cmd(nodes[0]->port(), {"CLUSTER", "MYID"}).str;
  const std::string to = Cmd(nodes[1]->port(), {"CLUSTER", "MYID"}).str;
  std::vector<std::thread> workers;
  for (int w = 0; w < 8; ++w) {
    workers.emplace_back([&] {
      for (std::size_t n; (n = next.fetch_add(1)) < jobs.size();) {
        switch (Present(urls[n % 2], auths[jobs[n]])) {
          case Answer::kYes: ++yes[jobs[n]]; break;
          case Answer::kReplayed: ++replayed; break;
          default: ++other; break;
        }
        std::this_thread::sleep_for(2ms);
      }
    });
  }
  ASSERT_TRUE(WaitFor([&] { return next.load() > 100; }, 20s));
  const std::size_t done_at_reshard_start = next.load();
  const ProcessResult reshard =
      RunProcess({kRedisCli, "--cluster", "reshard", nodes[0]->addr(), "--cluster-from", from, "--cluster-to", to,
                  "--cluster-slots", "1000", "--cluster-yes", "--cluster-pipeline", "10"},
                 "", 60s);
  const std::size_t done_at_reshard_end = next.load();
  for (auto& w : workers) w.join();
  ASSERT_EQ(reshard.exit_code, 0) << reshard.out << reshard.err;
  const std::size_t during = std::min(done_at_reshard_end, jobs.size()) - done_at_reshard_start;
  EXPECT_GE(during, 200u) << "too few presentations while the slots moved";
  std::cout << "[ fleet    ] cluster: " << during << " presentations while 1,000 slots moved\n";
  for (std::size_t i = 0; i < kTokens; ++i) EXPECT_EQ(yes[i].load(), 1) << "token " << i;
  EXPECT_EQ(replayed.load(), static_cast<int>(kTokens * (kTries - 1)));
  EXPECT_EQ(other.load(), 0);
  // The entries are spread over all three nodes, and hold no nonce.
  long long keys = 0;
  for (const auto& n : nodes) {
    const long long k = Cmd(n->port(), {"DBSIZE"}).integer;
    EXPECT_GT(k, 20) << n->addr();
    keys += k;
  }
  EXPECT_EQ(keys, static_cast<long long>(kTokens));

  // A gate session opened at A, answered at B, collected at C.
  {
    auto page = net::HttpClient().Get(MustUrl(a.url + "/gate?claim=" + std::string(kClaim) + "&return=/members"));
    ASSERT_TRUE(page.ok() && page->status == 200);
    const std::string set_cookie = page->Header("set-cookie").value_or("");
    const std::string prefix = verifier::kGateCookiePrefix;
    ASSERT_EQ(set_cookie.rfind(prefix, 0), 0u) << set_cookie;
    const std::string id = set_cookie.substr(prefix.size(), verifier::kGateIdChars);
    const std::string cookie = set_cookie.substr(0, set_cookie.find(';'));
    auto session = net::HttpClient().Get(MustUrl(b.url + "/gate/session/" + id));
    ASSERT_TRUE(session.ok() && session->status == 200) << (session.ok() ? session->body : session.error().message);
    const auto json = nlohmann::json::parse(session->body);
    auto gate_vnonce = Base64UrlDecode(json["challenges"][0]["yesno-vnonce"].get<std::string>());
    ASSERT_TRUE(gate_vnonce.ok());
    const auto gate_token = fleet.issuer.IssueMany(fleet.key, 1);
    net::HttpRequest post;
    post.method = "POST";
    post.url = MustUrl(b.url + "/gate/session/" + id);
    post.headers.emplace_back("Authorization", AuthorizationFor(gate_token[0], kOrigin, *gate_vnonce));
    auto answered = net::HttpClient().Send(post);
    ASSERT_TRUE(answered.ok());
    EXPECT_EQ(answered->status, 200u);
    EXPECT_NE(answered->body.find("\"answer\":\"yes\""), std::string::npos) << answered->body;
    auto status = net::HttpClient().Get(MustUrl(c.url + "/gate/status/" + id));
    ASSERT_TRUE(status.ok());
    EXPECT_NE(status->body.find("\"state\":\"satisfied\""), std::string::npos) << status->body;
    auto done = net::HttpClient().Get(MustUrl(c.url + "/gate/done/" + id), {{"Cookie", cookie}});
    ASSERT_TRUE(done.ok());
    EXPECT_EQ(done->status, 303u) << done->body;
    EXPECT_EQ(done->Header("location").value_or(""), "/members");
    bool session_cookie = false;
    for (const auto& [name, value] : done->headers) {
      if (name == "set-cookie" && value.rfind("yesno_age_over_18=", 0) == 0) session_cookie = true;
    }
    EXPECT_TRUE(session_cookie);
    auto again = net::HttpClient().Get(MustUrl(a.url + "/gate/done/" + id), {{"Cookie", cookie}});
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->status, 410u) << "collected once across the fleet";
  }

  // Node 2 killed: the tokens whose slots it served are unavailable, the others yes.
  nodes[2]->Stop(SIGKILL);
  const auto lost = fleet.issuer.IssueMany(fleet.key, 60);
  int yes_count = 0, unavailable_count = 0, other_count = 0;
  for (std::size_t i = 0; i < lost.size(); ++i) {
    const Bytes nonce(lost[i].token.begin() + 2, lost[i].token.begin() + 2 + kNonceBytes);
    const std::string key =
        verifier::RedisSpentKey(lost[i].key_id, nonce);
    const uint16_t slot = verifier::RedisKeySlot(key);
    const Answer ans = Present(urls[i % 2], AuthorizationFor(lost[i], kOrigin, vnonce));
    // Which node serves the slot, as node 0 sees the map.
    const RedisValue slots = Cmd(nodes[0]->port(), {"CLUSTER", "SLOTS"});
    int served_by = -1;
    for (const auto& range : slots.elements) {
      if (range.elements[0].integer <= slot && slot <= range.elements[1].integer) {
        served_by = static_cast<int>(range.elements[2].elements[1].integer);
      }
    }
    if (served_by == nodes[2]->port()) {
      EXPECT_EQ(ans, Answer::kUnavailable) << "slot " << slot;
      ++unavailable_count;
    } else {
      EXPECT_EQ(ans, Answer::kYes) << "slot " << slot;
      ++yes_count;
    }
    if (ans == Answer::kOther) ++other_count;
  }
  EXPECT_GT(yes_count, 0);
  EXPECT_GT(unavailable_count, 0);
  EXPECT_EQ(other_count, 0);
  std::cout << "[ fleet    ] cluster: node lost -> " << unavailable_count << " unavailable, " << yes_count
            << " yes\n";
  EXPECT_EQ(a.Stop(), 0);
  EXPECT_EQ(b.Stop(), 0);
  EXPECT_EQ(c.Stop(), 0);
  // The access logs (written by the background writer) hold every request and no token.
  const std::string access = ReadText(fleet.dir.File("a.access.log")) + ReadText(fleet.dir.File("b.access.log"));
  EXPECT_GE(static_cast<std::size_t>(std::count(access.begin(), access.end(), '\n')), kTokens * kTries);
  EXPECT_NE(access.find("\"reason\":\"replayed\""), std::string::npos);
  EXPECT_NE(access.find("\"reason\":\"unavailable\""), std::string::npos);
  for (const auto& t : tokens) EXPECT_EQ(access.find(Base64UrlEncode(t.token).substr(0, 40)), std::string::npos);
}

}  // namespace
}  // namespace yesno::testing

#endif  // YESNO_VERIFIER_PATH
