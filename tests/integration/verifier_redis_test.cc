// verifier_redis_test.cc — a fleet of two yesno-verifier processes sharing
// one real redis-server: 1,000 concurrent presentations of 100 tokens (10
// tries each, spread over both verifiers) accept every token exactly once;
// Redis holds only hashed, expiring keys; and when Redis goes away the
// answer is no/unavailable, never yes.
#include <hiredis/hiredis.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <thread>

#include "spent_store.h"
#include "testing/test_util.h"
#include "verifier_testing.h"
#include "yesno/token.h"

#ifdef YESNO_VERIFIER_PATH

namespace yesno::testing {
namespace {

constexpr char kOrigin[] = "https://shop.example";
constexpr char kClaim[] = "age_over_18";
constexpr char kRedisServer[] = "/usr/bin/redis-server";

int64_t Now() { return SystemClock().NowSeconds(); }

// RedisServer runs a throwaway redis-server on a free loopback port.
class RedisServer {
 public:
  explicit RedisServer(const std::string& dir) : port_(FreePort()) {
    child_ = ChildProcess::Start({kRedisServer, "--port", std::to_string(port_), "--bind", "127.0.0.1", "--save", "",
                                  "--appendonly", "no", "--dir", dir, "--protected-mode", "yes"},
                                 dir + "/redis.log");
    if (!child_) return;
    verifier::RedisOptions o;
    o.port = port_;
    o.timeout = std::chrono::milliseconds(200);
    verifier::RedisSpentStore probe(o);
    for (int i = 0; i < 100; ++i) {
      if (probe.Ping().ok()) {
        ready_ = true;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  ~RedisServer() { Stop(); }
  void Stop() {
    if (child_ && child_->running()) {
      child_->Signal(SIGTERM);
      child_->Wait(std::chrono::seconds(10));
    }
  }
  bool ready() const { return ready_; }
  int port() const { return port_; }
  std::string spec() const { return "redis://127.0.0.1:" + std::to_string(port_); }

 private:
  int port_;
  std::unique_ptr<ChildProcess> child_;
  bool ready_ = false;
};

struct RedisReplyFree {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, RedisReplyFree>;

TEST(VerifierRedisTest, TwoVerifiersSharingRedisAcceptEachTokenExactlyOnce) {
  ASSERT_TRUE(std::filesystem::exists(kRedisServer))
      << kRedisServer << " is missing: run scripts/bootstrap (Debian package redis-server)";
  TempDir dir("verifier_redis");
  RedisServer redis(dir.path());
  ASSERT_TRUE(redis.ready()) << "redis-server did not start:\n" << ReadText(dir.File("redis.log"));

  IssuerFixture issuer("issuer.example", 21);
  const std::size_t key = issuer.AddKey(kClaim, EpochWindow(Now()).first, EpochWindow(Now()).second, TestKey2048());
  DirectoryServer directory;
  directory.Serve(issuer);
  WriteTrustFile(dir.File("trust.json"), {{&issuer, directory.url()}});
  const std::vector<std::string> args = {"--origin", kOrigin, "--trust", dir.File("trust.json"), "--spent-store",
                                         redis.spec(), "--secret-file", dir.File("fleet.secret"), "--threads", "2"};
  auto a = VerifierProcess::Start(args, dir.File("a.log"));
  ASSERT_TRUE(a.child);
  auto b = VerifierProcess::Start(args, dir.File("b.log"));  // same secret file: A's challenges work at B
  ASSERT_TRUE(b.child);
  const std::vector<std::string> fleet = {a.url, b.url};

  constexpr std::size_t kTokens = 100;
  constexpr std::size_t kTries = 10;
  const auto tokens = issuer.IssueMany(key, kTokens);
  const Bytes vnonce = FetchVnonce(a.url, kClaim);
  ASSERT_EQ(vnonce.size(), 40u);
  std::vector<std::string> auths;
  for (const auto& t : tokens) auths.push_back(AuthorizationFor(t, kOrigin, vnonce));

  struct Job {
    std::size_t token;
    std::size_t verifier;
  };
  std::vector<Job> jobs;
  for (std::size_t i = 0; i < kTokens; ++i) {
    for (std::size_t j = 0; j < kTries; ++j) jobs.push_back(Job{i, (i + j) % 2});
  }
  std::shuffle(jobs.begin(), jobs.end(), std::mt19937(1234));

  std::vector<std::atomic<int>> yes(kTokens);
  std::atomic<int> replayed{0}, other{0};
  std::atomic<std::size_t> next{0};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::vector<std::thread> workers;
  for (int w = 0; w < 16; ++w) {
    workers.emplace_back([&] {
      while (std::chrono::steady_clock::now() < deadline) {
        const std::size_t n = next.fetch_add(1);
        if (n >= jobs.size()) return;
        const Job job = jobs[n];
        auto r = PostVerify(fleet[job.verifier], kClaim, auths[job.token]);
        if (r.ok() && r->status == 200 && r->body.find("\"answer\":\"yes\"") != std::string::npos) {
          ++yes[job.token];
        } else if (r.ok() && r->body == "{\"answer\":\"no\",\"reason\":\"replayed\"}") {
          ++replayed;
        } else {
          ++other;
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  ASSERT_GE(next.load(), jobs.size()) << "the load did not finish within its time bound";
  for (std::size_t i = 0; i < kTokens; ++i) EXPECT_EQ(yes[i].load(), 1) << "token " << i;
  EXPECT_EQ(replayed.load(), static_cast<int>(kTokens * (kTries - 1)));
  EXPECT_EQ(other.load(), 0);

  // Redis holds 100 hashed keys that expire a day after the token key.
  redisContext* c = redisConnect("127.0.0.1", redis.port());
  ASSERT_TRUE(c != nullptr && c->err == 0);
  Reply keys(static_cast<redisReply*>(redisCommand(c, "KEYS *")));
  ASSERT_TRUE(keys && keys->type == REDIS_REPLY_ARRAY);
  EXPECT_EQ(keys->elements, kTokens);
  std::string all_keys;
  for (std::size_t i = 0; i < keys->elements; ++i) {
    all_keys += std::string(keys->element[i]->str, keys->element[i]->len) + "\n";
    EXPECT_EQ(keys->element[i]->len, 3u + verifier::kRedisKeyHashBytes) << "ys: + the first 16 bytes of the hash";
  }
  EXPECT_EQ(all_keys.rfind(verifier::kRedisKeyPrefix, 0), 0u);
  for (const auto& t : tokens) {
    const Bytes nonce(t.token.begin() + 2, t.token.begin() + 2 + kNonceBytes);
    EXPECT_EQ(all_keys.find(HexEncode(nonce)), std::string::npos);
    EXPECT_EQ(all_keys.find(std::string(nonce.begin(), nonce.end())), std::string::npos);
  }
  const std::string first(keys->element[0]->str, keys->element[0]->len);
  Reply ttl(static_cast<redisReply*>(redisCommand(c, "PEXPIRETIME %b", first.data(), first.size())));
  ASSERT_TRUE(ttl && ttl->type == REDIS_REPLY_INTEGER);
  // Entries live until the key's not-after (its epoch end plus the grace)
  // plus the default one-day margin (--spent-expiry-margin).
  EXPECT_GT(ttl->integer, (EpochWindow(Now()).second + 86400 - 60) * 1000LL);
  EXPECT_LE(ttl->integer, (EpochWindow(Now()).second + 86400 + 60) * 1000LL);
  redisFree(c);

  // Redis gone: no/unavailable (503), never yes — at either verifier.
  redis.Stop();
  const auto fresh = issuer.IssueMany(key, 1);
  for (const auto& url : fleet) {
    const auto start = std::chrono::steady_clock::now();
    auto r = PostVerify(url, kClaim, AuthorizationFor(fresh[0], kOrigin, vnonce));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->status, 503u);
    EXPECT_EQ(r->body, "{\"answer\":\"no\",\"reason\":\"unavailable\"}");
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  }
  EXPECT_EQ(a.Stop(), 0);
  EXPECT_EQ(b.Stop(), 0);

  // The logs hold no token, nonce, vnonce or PoP.
  const std::string logs = ReadText(a.log_path) + ReadText(b.log_path);
  EXPECT_NE(logs.find("\"reason\":\"unavailable\""), std::string::npos);
  std::vector<std::string> secrets = {Base64UrlEncode(vnonce), HexEncode(vnonce)};
  for (const auto& t : tokens) {
    const Bytes nonce(t.token.begin() + 2, t.token.begin() + 2 + kNonceBytes);
    for (const auto& s : {Base64UrlEncode(t.token), HexEncode(nonce), Base64UrlEncode(nonce),
                          Base64UrlEncode(PresentationFor(t, kOrigin, vnonce).pop)}) {
      secrets.push_back(s);
    }
  }
  for (const auto& s : secrets) EXPECT_EQ(logs.find(s), std::string::npos);
}

}  // namespace
}  // namespace yesno::testing

#endif  // YESNO_VERIFIER_PATH
