// crash_safety_test.cc — kill -9 in the middle of the work (issue 7).
//
//   * yesno-verifier killed during a burst of verifications, then restarted
//     on the same spent store (SQLite, and Redis): every presentation is
//     shown again, twice; no token is ever answered yes twice.
//   * redis-server killed (SIGKILL) under load and restarted on the same
//     port: the verifier answers no/unavailable (503) while it is down,
//     never yes twice, and recovers by itself (no verifier restart). Redis
//     runs with AOF, appendfsync always — what docs/operations.md asks of a
//     store that must not forget (without persistence a restarted Redis
//     forgets every spent token; that is configuration, not tested here).
//   * yesno-issuer killed mid-batch, then restarted: tokens delivered ≤
//     the key's issued count ≤ the ticket's used quota ≤ the quota; no
//     bypass.
//
// What is already covered elsewhere and not repeated: the wallet killed
// during prove/refill (wallet_e2e_test.cc), Redis stopped cleanly (SIGTERM)
// answering unavailable and two verifiers sharing Redis under load
// (verifier_redis_test.cc), a clean issuer restart keeping counters
// (issuer_test.cc). Runtime: about 20 s.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "files.h"
#include "issuer_test_util.h"
#include "spent_store.h"
#include "testing/process.h"
#include "testing/test_util.h"
#include "verifier_testing.h"
#include "yesno/token.h"

#if defined(YESNO_VERIFIER_PATH) && defined(YESNO_ISSUER_PATH)

namespace yesno::testing {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

constexpr char kOrigin[] = "https://shop.example";
constexpr char kClaim[] = "age_over_18";
constexpr char kRedisServer[] = "/usr/bin/redis-server";

int64_t Now() { return SystemClock().NowSeconds(); }

enum class Answer { kYes, kReplayed, kUnavailable, kOtherNo, kNoAnswer };

Answer Classify(const Result<net::HttpResponse>& r) {
  if (!r.ok()) return Answer::kNoAnswer;
  if (r->status == 200 && r->body.find("\"answer\":\"yes\"") != std::string::npos) return Answer::kYes;
  if (r->body == "{\"answer\":\"no\",\"reason\":\"replayed\"}") return Answer::kReplayed;
  if (r->status == 503 && r->body == "{\"answer\":\"no\",\"reason\":\"unavailable\"}") return Answer::kUnavailable;
  return Answer::kOtherNo;
}

// Redis runs a throwaway, durable redis-server (AOF, fsync on every write)
// on a fixed loopback port, and can be killed and restarted there.
class Redis {
 public:
  explicit Redis(std::string dir) : dir_(std::move(dir)), port_(FreePort()) {}
  ~Redis() { Kill(); }
  bool Start() {
    child_ = ChildProcess::Start({kRedisServer, "--port", std::to_string(port_), "--bind", "127.0.0.1", "--save", "",
                                  "--appendonly", "yes", "--appendfsync", "always", "--dir", dir_,
                                  "--protected-mode", "yes"},
                                 dir_ + "/redis.log");
    if (!child_) return false;
    verifier::RedisOptions o;
    o.port = port_;
    o.timeout = 200ms;
    verifier::RedisSpentStore probe(o);
    for (int i = 0; i < 100; ++i) {
      if (probe.Ping().ok()) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }
  void Kill() {
    if (child_ && child_->running()) {
      child_->Signal(SIGKILL);
      child_->Wait(10s);
    }
  }
  std::string spec() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  std::string log() const { return ReadText(dir_ + "/redis.log"); }

 private:
  std::string dir_;
  int port_;
  std::unique_ptr<ChildProcess> child_;
};

// The verifier side: an issuer fixture serving its directory, tokens, and
// a secret file so that vnonces stay valid across a verifier restart.
struct VerifierWorld {
  TempDir dir{"crash"};
  IssuerFixture issuer{"issuer.example", 31};
  std::size_t key = issuer.AddKey(kClaim, EpochWindow(Now()).first, EpochWindow(Now()).second, TestKey2048());
  DirectoryServer directory;
  VerifierWorld() {
    directory.Serve(issuer);
    WriteTrustFile(dir.File("trust.json"), {{&issuer, directory.url()}});
  }
  std::vector<std::string> Args(const std::string& store) const {
    return {"--origin", kOrigin, "--trust", dir.File("trust.json"), "--spent-store", store, "--secret-file",
            dir.File("fleet.secret"), "--threads", "2"};
  }
};

// KillDuringBurst presents `auths` from 8 threads, kills the verifier with
// SIGKILL once `kill_after` answers came back, restarts it on the same
// store, and presents every token twice more. Each token: at most one yes.
void KillDuringBurst(VerifierWorld& w, const std::string& store) {
  constexpr std::size_t kTokens = 240;
  constexpr int kKillAfter = 80;
  const auto tokens = w.issuer.IssueMany(w.key, kTokens);
  auto v = VerifierProcess::Start(w.Args(store), w.dir.File("verifier.log"));
  ASSERT_TRUE(v.child);
  const Bytes vnonce = FetchVnonce(v.url, kClaim);
  ASSERT_FALSE(vnonce.empty());
  std::vector<std::string> auths;
  for (const auto& t : tokens) auths.push_back(AuthorizationFor(t, kOrigin, vnonce));

  std::vector<Answer> before(kTokens, Answer::kNoAnswer);
  std::vector<uint8_t> sent(kTokens, 0);  // one writer per index
  std::atomic<std::size_t> next{0};
  std::atomic<int> answered{0};
  std::atomic<bool> dead{false};
  std::vector<std::thread> workers;
  for (int t = 0; t < 8; ++t) {
    workers.emplace_back([&] {
      while (!dead) {
        const std::size_t i = next.fetch_add(1);
        if (i >= kTokens) return;
        sent[i] = 1;
        before[i] = Classify(PostVerify(v.url, kClaim, auths[i]));
        if (before[i] == Answer::kNoAnswer) return;  // the verifier is gone
        ++answered;
      }
    });
  }
  const auto deadline = SteadyClock::now() + 30s;
  while (answered.load() < kKillAfter && SteadyClock::now() < deadline) std::this_thread::sleep_for(1ms);
  v.child->Signal(SIGKILL);
  v.child->Wait(10s);
  dead = true;
  for (auto& t : workers) t.join();
  ASSERT_GE(answered.load(), kKillAfter) << "the burst did not get going";

  auto again = VerifierProcess::Start(w.Args(store), w.dir.File("verifier2.log"));
  ASSERT_TRUE(again.child) << ReadText(w.dir.File("verifier2.log"));
  std::vector<int> yes(kTokens, 0);
  int yes_before = 0, in_flight = 0, never_sent = 0, lost = 0;
  for (std::size_t i = 0; i < kTokens; ++i) {
    if (before[i] == Answer::kYes) {
      ++yes[i];
      ++yes_before;
    }
    EXPECT_TRUE(before[i] == Answer::kYes || before[i] == Answer::kNoAnswer) << "token " << i;
    if (sent[i] && before[i] == Answer::kNoAnswer) ++in_flight;
    if (!sent[i]) ++never_sent;
  }
  for (int round = 0; round < 2; ++round) {
    for (std::size_t i = 0; i < kTokens; ++i) {
      const Answer a = Classify(PostVerify(again.url, kClaim, auths[i]));
      ASSERT_TRUE(a == Answer::kYes || a == Answer::kReplayed) << "token " << i << " round " << round;
      if (a == Answer::kYes) ++yes[i];
    }
  }
  for (std::size_t i = 0; i < kTokens; ++i) {
    EXPECT_LE(yes[i], 1) << "token " << i << " accepted twice";
    // A token answered before the kill is remembered; one never sent is
    // accepted once after the restart.
    if (before[i] == Answer::kYes || !sent[i]) {
      EXPECT_EQ(yes[i], 1) << "token " << i;
    }
    if (yes[i] == 0) ++lost;  // in flight at the kill: recorded, answer lost
  }
  EXPECT_LE(lost, in_flight);
  std::printf("[crash] verifier (%s) killed after %d answers: %d yes before, %d in flight (%d of them recorded "
              "before the kill: replayed after), %d never sent; after restart no token said yes twice\n",
              store.substr(0, store.find(':')).c_str(), answered.load(), yes_before, in_flight, lost, never_sent);
  EXPECT_EQ(again.Stop(), 0);
}

TEST(CrashSafetyTest, VerifierKilledMidBurstSqliteNeverAcceptsATokenTwice) {
  VerifierWorld w;
  KillDuringBurst(w, "sqlite:" + w.dir.File("spent.sqlite"));
}

TEST(CrashSafetyTest, VerifierKilledMidBurstRedisNeverAcceptsATokenTwice) {
  ASSERT_TRUE(std::filesystem::exists(kRedisServer)) << kRedisServer << " is missing: run scripts/bootstrap";
  VerifierWorld w;
  Redis redis(w.dir.path());
  ASSERT_TRUE(redis.Start()) << redis.log();
  KillDuringBurst(w, redis.spec());
}

// redis-server is killed under load and restarted on the same port.
TEST(CrashSafetyTest, RedisKilledUnderLoadAnswersUnavailableAndRecoversByItself) {
  ASSERT_TRUE(std::filesystem::exists(kRedisServer)) << kRedisServer << " is missing: run scripts/bootstrap";
  VerifierWorld w;
  Redis redis(w.dir.path());
  ASSERT_TRUE(redis.Start()) << redis.log();
  constexpr std::size_t kTokens = 300;
  const auto tokens = w.issuer.IssueMany(w.key, kTokens);
  auto v = VerifierProcess::Start(w.Args(redis.spec()), w.dir.File("verifier.log"));
  ASSERT_TRUE(v.child);
  const Bytes vnonce = FetchVnonce(v.url, kClaim);
  ASSERT_FALSE(vnonce.empty());
  std::vector<std::string> auths;
  for (const auto& t : tokens) auths.push_back(AuthorizationFor(t, kOrigin, vnonce));

  // Load: 4 threads present tokens round-robin, each token many times, until
  // told to stop. Each answer is stamped with when its request began and ended.
  struct Event {
    std::size_t token;
    Answer answer;
    SteadyClock::time_point begin, end;
  };
  std::mutex mu;
  std::vector<Event> events;
  std::atomic<bool> stop{false};
  std::atomic<std::size_t> next{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < 4; ++t) {
    workers.emplace_back([&] {
      while (!stop) {
        const std::size_t i = next.fetch_add(1) % kTokens;
        const auto begin = SteadyClock::now();
        const Answer a = Classify(PostVerify(v.url, kClaim, auths[i]));
        std::lock_guard<std::mutex> lock(mu);
        events.push_back(Event{i, a, begin, SteadyClock::now()});
      }
    });
  }
  auto count = [&](Answer a) {
    std::lock_guard<std::mutex> lock(mu);
    return std::count_if(events.begin(), events.end(), [a](const Event& e) { return e.answer == a; });
  };
  const auto deadline = SteadyClock::now() + 30s;
  while (count(Answer::kYes) < 60 && SteadyClock::now() < deadline) std::this_thread::sleep_for(5ms);
  redis.Kill();
  const auto killed = SteadyClock::now();
  std::this_thread::sleep_for(1500ms);  // the load goes on against a dead Redis
  const auto restarting = SteadyClock::now();
  ASSERT_TRUE(redis.Start()) << redis.log();
  const auto restarted = SteadyClock::now();
  // The verifier reconnects by itself: wait for the first yes after the restart.
  bool recovered = false;
  while (!recovered && SteadyClock::now() < restarted + 10s) {
    std::this_thread::sleep_for(20ms);
    std::lock_guard<std::mutex> lock(mu);
    for (const Event& e : events) recovered = recovered || (e.begin > restarted && e.answer == Answer::kYes);
  }
  std::this_thread::sleep_for(500ms);
  stop = true;
  for (auto& t : workers) t.join();
  EXPECT_TRUE(recovered) << "no yes within 10 s of Redis coming back";

  // Every token once more, after recovery.
  for (std::size_t i = 0; i < kTokens; ++i) {
    const auto begin = SteadyClock::now();
    events.push_back(Event{i, Classify(PostVerify(v.url, kClaim, auths[i])), begin, SteadyClock::now()});
  }

  std::vector<int> yes(kTokens, 0);
  int unavailable_while_down = 0, answered_while_down = 0, other = 0;
  for (const Event& e : events) {
    if (e.answer == Answer::kYes) ++yes[e.token];
    if (e.answer == Answer::kOtherNo || e.answer == Answer::kNoAnswer) ++other;
    if (e.begin > killed && e.end < restarting) {  // wholly while Redis was dead
      ++answered_while_down;
      EXPECT_EQ(e.answer, Answer::kUnavailable) << "token " << e.token << " while Redis was down";
      if (e.answer == Answer::kUnavailable) ++unavailable_while_down;
    }
  }
  EXPECT_GT(answered_while_down, 0) << "no request was answered while Redis was down (bounded by its timeout)";
  EXPECT_EQ(other, 0);
  int accepted = 0;
  for (std::size_t i = 0; i < kTokens; ++i) {
    EXPECT_LE(yes[i], 1) << "token " << i << " accepted twice";
    accepted += yes[i];
  }
  // A SET that reached Redis's AOF just before the kill may have lost its
  // reply (the verifier said unavailable): that token is then replayed, at
  // most one per worker.
  EXPECT_GE(accepted, static_cast<int>(kTokens) - 4);
  std::printf("[crash] redis killed under load: %zu answers, %d while down (all unavailable: %d), recovered by "
              "itself; %d of %zu tokens accepted exactly once, none twice\n",
              events.size(), answered_while_down, unavailable_while_down, accepted, kTokens);
  EXPECT_EQ(v.Stop(), 0);
}

// yesno-issuer killed mid-batch: counters stay consistent, no quota bypass.
TEST(CrashSafetyTest, IssuerKilledMidBatchNeverExceedsTheQuota) {
  constexpr int kQuota = 48;
  constexpr int kBatch = 8;
  TempDir dir("crash_issuer");
  const std::string state = dir.File("state");
  auto init = RunProcess({YESNO_ISSUER_PATH, "init", "--state", state, "--name", "issuer.crash", "--claims",
                          kClaim, "--quota", std::to_string(kQuota)});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  auto enroll = RunProcess({YESNO_ISSUER_PATH, "enroll", "--state", state, "--birth-date", "1990-01-01"});
  ASSERT_EQ(enroll.exit_code, 0) << enroll.err;
  const std::string ticket = enroll.out.substr(0, enroll.out.find('\n'));

  auto serve = [&](const std::string& log) {
    auto child = ChildProcess::Start({YESNO_ISSUER_PATH, "serve", "--state", state, "--listen", "127.0.0.1:0"},
                                     dir.File(log));
    std::string url;
    if (child) {
      auto u = child->WaitForListening();
      if (u) url = *u;
    }
    return std::make_pair(std::move(child), url);
  };
  auto send = [&](const std::string& url, const std::string& method, const std::string& path,
                  const std::string& content_type, const std::string& body) -> Result<net::HttpResponse> {
    net::HttpRequest req;
    req.method = method;
    req.url = MustUrl(url + path);
    req.content_type = content_type;
    req.body = body;
    req.headers.emplace_back("Authorization", "Bearer " + ticket);
    return net::HttpClient().Send(req);
  };
  auto first = serve("issuer.log");
  std::unique_ptr<ChildProcess> server = std::move(first.first);
  const std::string url = first.second;
  ASSERT_TRUE(server && !url.empty());
  auto dir_res = net::HttpClient().Get(MustUrl(url + kDirectoryPath));
  ASSERT_TRUE(dir_res.ok());
  auto directory = ParseDirectory(dir_res->body);
  ASSERT_TRUE(directory.ok());
  const auto key = issuer_testing::IssuingKey(*directory, kClaim, Now());
  ASSERT_TRUE(key.has_value());

  // Batches of 8 from 4 threads; SIGKILL once the first two came back.
  std::atomic<int> delivered{0}, answers{0};
  std::atomic<bool> dead{false};
  std::mutex gtest_mu;  // FinalizeBatch uses EXPECT_*
  std::vector<std::thread> workers;
  for (int t = 0; t < 4; ++t) {
    workers.emplace_back([&] {
      SystemRng rng;
      while (!dead) {
        issuer_testing::Pending p;
        p.Add(*key, "issuer.crash", kBatch, rng);
        auto r = send(url, "POST", "/token-request-batch", "application/private-token-generic-batch-request",
                      p.BatchBody());
        if (!r.ok()) return;
        if (r->status == 200 || r->status == 206) {
          std::lock_guard<std::mutex> lock(gtest_mu);
          delivered += issuer_testing::CountTrue(p.FinalizeBatch(r->body));
        }
        ++answers;
        if (r->status != 200 && r->status != 206) return;  // quota ran dry
      }
    });
  }
  const auto deadline = SteadyClock::now() + 30s;
  while (answers.load() < 2 && SteadyClock::now() < deadline) std::this_thread::sleep_for(1ms);
  server->Signal(SIGKILL);
  server->Wait(10s);
  dead = true;
  for (auto& w : workers) w.join();
  const int delivered_before = delivered.load();

  // Restart and take what is left, one batch at a time, until refused.
  auto second = serve("issuer2.log");
  std::unique_ptr<ChildProcess> again = std::move(second.first);
  const std::string url2 = second.second;
  ASSERT_TRUE(again && !url2.empty()) << ReadText(dir.File("issuer2.log"));
  SystemRng rng;
  for (int i = 0; i < 20; ++i) {
    issuer_testing::Pending p;
    p.Add(*key, "issuer.crash", kBatch, rng);
    auto r = send(url2, "POST", "/token-request-batch", "application/private-token-generic-batch-request",
                  p.BatchBody());
    ASSERT_TRUE(r.ok());
    if (r->status != 200 && r->status != 206) {
      EXPECT_NE(r->body.find("quota_exceeded"), std::string::npos) << r->body;
      break;
    }
    delivered += issuer_testing::CountTrue(p.FinalizeBatch(r->body));
  }
  // Singles are refused too.
  {
    issuer_testing::Pending p;
    p.Add(*key, "issuer.crash", 1, rng);
    auto r = send(url2, "POST", "/token-request", "application/private-token-request", p.SingleBody(0));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, 429u) << r->body;
  }
  auto ent = send(url2, "POST", "/entitlements", "", "");
  ASSERT_TRUE(ent.ok());
  const auto doc = nlohmann::json::parse(ent->body, nullptr, false);
  ASSERT_TRUE(doc.is_object()) << ent->body;
  const int used = doc["quota"][kClaim]["used"].get<int>();
  auto dir2 = net::HttpClient().Get(MustUrl(url2 + kDirectoryPath));
  ASSERT_TRUE(dir2.ok());
  auto parsed = ParseDirectory(dir2->body);
  ASSERT_TRUE(parsed.ok());
  int64_t issued = -1;
  for (const auto& k : parsed->keys) {
    if (RsaPublicKey::FromSpki(k.token_key)->KeyId() == key->KeyId()) issued = k.issued ? static_cast<int64_t>(*k.issued) : -1;
  }
  std::printf("[crash] issuer killed mid-batch: %d tokens delivered before the kill, %d in all; key issued count "
              "%lld; ticket used %d of quota %d\n",
              delivered_before, delivered.load(), static_cast<long long>(issued), used, kQuota);
  EXPECT_LE(delivered.load(), issued);
  EXPECT_LE(issued, used);
  EXPECT_LE(used, kQuota);
  EXPECT_EQ(used, kQuota) << "the quota was used up";
  // Only tokens in batches cut by the kill may be lost (reserved, never delivered).
  EXPECT_GE(delivered.load(), kQuota - 4 * kBatch);
  again->Signal(SIGTERM);
  EXPECT_EQ(again->Wait(), 0);
}

}  // namespace
}  // namespace yesno::testing

#endif  // YESNO_VERIFIER_PATH && YESNO_ISSUER_PATH
