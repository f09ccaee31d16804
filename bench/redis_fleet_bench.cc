// redis_fleet_bench.cc — the Redis side of a verifier fleet (docs/benchmarks.md,
// "Verifier fleet on Redis"), run by yesno_verifier_bench --redis true:
//   - Redis round trips and commands per verification (INFO commandstats),
//     without and with --spent-wait-replicas 1 (a primary and one replica);
//   - Redis memory per spent token (INFO memory, used_memory, over 100,000);
//   - spent-store operations per second on one thread, and the client CPU
//     each costs, against one server, a Sentinel-named primary and a
//     3-master Cluster; verifications/s per verifier core = 1 / (in-process
//     CPU per /verify + store client CPU per op).
// Every redis-server is started here on free loopback ports and stopped.
#include "redis_fleet_bench.h"

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "gate_redis.h"
#include "redis_client.h"
#include "spent_store.h"
#include "testing/child_process.h"
#include "testing/process.h"
#include "yesno/rng.h"

namespace yesno::bench {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;
using verifier::RedisConnOptions;
using verifier::RedisEndpoint;
using verifier::RedisPool;
using verifier::RedisValue;

constexpr char kRedisServer[] = "/usr/bin/redis-server";
constexpr char kRedisCli[] = "/usr/bin/redis-cli";

RedisValue Cmd(int port, const verifier::RedisArgs& args) {
  RedisPool pool(RedisEndpoint{"127.0.0.1", port}, RedisConnOptions{5000ms, 0, ""});
  auto r = pool.Pipeline({args});
  return r.ok() ? (*r)[0] : RedisValue{};
}

long long InfoField(int port, const std::string& section, const std::string& field) {
  const std::string info = Cmd(port, {"INFO", section}).str;
  const auto pos = info.find(field + ":");
  if (pos == std::string::npos) return -1;
  return std::atoll(info.c_str() + pos + field.size() + 1);
}

// Calls of `command` in INFO commandstats (cmdstat_set:calls=N,...).
long long Calls(int port, const std::string& command) {
  const std::string info = Cmd(port, {"INFO", "commandstats"}).str;
  const auto pos = info.find("cmdstat_" + command + ":calls=");
  if (pos == std::string::npos) return 0;
  return std::atoll(info.c_str() + pos + 15 + command.size());
}

struct Server {
  std::unique_ptr<ChildProcess> child;
  int port = 0;
  Server(const std::string& dir, int p, std::vector<std::string> extra, bool sentinel = false) : port(p) {
    std::filesystem::create_directories(dir);
    std::vector<std::string> argv = {kRedisServer};
    if (sentinel) argv.insert(argv.end(), {dir + "/sentinel.conf", "--sentinel"});
    argv.insert(argv.end(), {"--port", std::to_string(port), "--bind", "127.0.0.1", "--dir", dir});
    if (!sentinel) argv.insert(argv.end(), {"--save", "", "--appendonly", "no"});
    argv.insert(argv.end(), extra.begin(), extra.end());
    child = ChildProcess::Start(argv, dir + "/redis.log");
    for (int i = 0; i < 200 && Cmd(port, {"PING"}).type != RedisValue::Type::kStatus; ++i) std::this_thread::sleep_for(25ms);
  }
  ~Server() {
    if (child && child->running()) {
      child->Signal(SIGTERM);
      child->Wait(10s);
    }
  }
};

struct StoreRate {
  double ops_per_s = 0;      // wall, one thread
  double client_cpu_us = 0;  // this thread's CPU per op
};

StoreRate Measure(verifier::SpentStore& store, int n, uint8_t tag) {
  SystemRng rng;
  Bytes key_id(32, tag);
  const int64_t not_after = SystemClock().NowSeconds() + 86400;
  const auto t0 = std::chrono::steady_clock::now();
  const double c0 = ThreadCpuSeconds();
  for (int i = 0; i < n; ++i) {
    Bytes nonce(32);
    rng.Fill(nonce);
    auto r = store.CheckAndInsert(key_id, nonce, not_after);
    if (!r.ok() || !*r) Die("redis bench: CheckAndInsert failed: " + (r.ok() ? std::string("replayed") : r.error().message));
  }
  StoreRate out;
  out.client_cpu_us = (ThreadCpuSeconds() - c0) * 1e6 / n;
  out.ops_per_s = n / Seconds(std::chrono::steady_clock::now() - t0);
  return out;
}

std::unique_ptr<verifier::SpentStore> Open(const std::string& spec, int wait_replicas) {
  verifier::RedisSpentPolicy policy;
  policy.wait_replicas = wait_replicas;
  policy.wait_timeout = 2000ms;  // a shared, loaded machine: a late ack is not what is measured here
  return Must(verifier::OpenSpentStore(spec, policy), "OpenSpentStore " + spec);
}

}  // namespace

void RunRedisFleetBench(double inproc_us, int ops) {
  if (!std::filesystem::exists(kRedisServer) || !std::filesystem::exists(kRedisCli)) {
    std::printf("\n*** Redis fleet bench SKIPPED: %s or %s missing\n", kRedisServer, kRedisCli);
    return;
  }
  const std::string dir = std::filesystem::temp_directory_path().string() + "/yesno_redis_bench_" +
                          std::to_string(getpid());
  std::filesystem::remove_all(dir);
  struct Row {
    std::string label;
    StoreRate rate;
  };
  std::vector<Row> rows;
  double per_token_bytes = 0;
  constexpr int kMemoryTokens = 100'000;
  {
    // One primary and one replica: commands per verification, memory.
    Server primary(dir + "/p", testing::FreePort(), {"--repl-diskless-sync-delay", "0"});
    Server replica(dir + "/r", testing::FreePort(), {"--replicaof", "127.0.0.1", std::to_string(primary.port)});
    for (int i = 0; i < 400 && Cmd(primary.port, {"INFO", "replication"}).str.find("state=online") == std::string::npos; ++i) {
      std::this_thread::sleep_for(25ms);
    }
    const std::string spec = "redis://127.0.0.1:" + std::to_string(primary.port);
    auto plain = Open(spec, 0);
    auto waiting = Open(spec, 1);
    const long long set0 = Calls(primary.port, "set"), wait0 = Calls(primary.port, "wait");
    rows.push_back({"redis://, one server", Measure(*plain, ops, 1)});
    const long long set1 = Calls(primary.port, "set"), wait1 = Calls(primary.port, "wait");
    rows.push_back({"redis://, WAIT 1 (1 replica)", Measure(*waiting, ops, 2)});
    const long long set2 = Calls(primary.port, "set"), wait2 = Calls(primary.port, "wait");
    std::printf("\nRedis commands per verification (INFO commandstats over %d each)\n", ops);
    std::printf("  without WAIT: SET %.2f, WAIT %.2f per verification; 1 round trip\n",
                static_cast<double>(set1 - set0) / ops, static_cast<double>(wait1 - wait0) / ops);
    std::printf("  --spent-wait-replicas 1: SET %.2f, WAIT %.2f per verification; pipelined in 1 round trip "
                "(the WAIT reply comes after the replica's ack)\n",
                static_cast<double>(set2 - set1) / ops, static_cast<double>(wait2 - wait1) / ops);
    // Memory: 100,000 more spent tokens.
    Cmd(primary.port, {"FLUSHALL"});
    std::this_thread::sleep_for(200ms);
    const long long before = InfoField(primary.port, "memory", "used_memory");
    SystemRng rng;
    {
      RedisPool pool(RedisEndpoint{"127.0.0.1", primary.port}, RedisConnOptions{5000ms, 1, ""});
      std::vector<verifier::RedisArgs> batch;
      const std::string until = std::to_string((SystemClock().NowSeconds() + 30 * 86400) * 1000);
      for (int i = 0; i < kMemoryTokens; ++i) {
        Bytes nonce(32);
        rng.Fill(nonce);
        batch.push_back({"SET", verifier::RedisSpentKey(Bytes(32, 3), nonce),
                         "1", "NX", "PXAT", until});
        if (batch.size() == 1000) {
          if (!pool.Pipeline(batch).ok()) Die("redis bench: pipeline failed");
          batch.clear();
        }
      }
    }
    const long long after = InfoField(primary.port, "memory", "used_memory");
    const long long keys = Cmd(primary.port, {"DBSIZE"}).integer;
    per_token_bytes = static_cast<double>(after - before) / static_cast<double>(keys);
    std::printf("\nRedis memory per spent token: used_memory %lld -> %lld bytes over %lld keys: %.1f B/token "
                "(goal <= 128 B: %s)\n",
                before, after, keys, per_token_bytes, per_token_bytes <= 128 ? "met" : "NOT met");

    // Gate sessions in the same Redis (RedisGateStore): memory per open
    // session after its challenge, and commands over a whole yes lifecycle
    // (open, one challenge, one status poll, answer, collect).
    Cmd(primary.port, {"FLUSHALL"});
    std::this_thread::sleep_for(200ms);
    constexpr int kSessions = 10000;
    auto backend = std::make_shared<verifier::RedisSingle>(RedisEndpoint{"127.0.0.1", primary.port},
                                                           RedisConnOptions{5000ms, 1, ""});
    verifier::RedisGateStore gates(backend, verifier::GateLimits{kSessions * 2, 300});
    const int64_t now = SystemClock().NowSeconds();
    const long long mem0 = InfoField(primary.port, "memory", "used_memory");
    const long long cmd0 = InfoField(primary.port, "stats", "total_commands_processed");
    std::vector<std::string> ids;
    for (int i = 0; i < kSessions; ++i) {
      Bytes id(16), key(16), vnonce(40);
      rng.Fill(id);
      rng.Fill(key);
      rng.Fill(vnonce);
      verifier::GateSession g;
      g.id = Base64UrlEncode(id, false);
      g.claim = "age_over_18";
      g.return_path = "/adult/?page=" + std::to_string(i);
      g.browser_key = SecretBytes(key.begin(), key.end());
      if (!gates.OpenSession(g, now).ok()) Die("redis bench: gate OpenSession failed");
      if (gates.AddVnonce(g.id, vnonce, now) != verifier::GateSessionStore::AddVnonceResult::kAdded) {
        Die("redis bench: gate AddVnonce failed");
      }
      ids.push_back(g.id);
    }
    const long long mem1 = InfoField(primary.port, "memory", "used_memory");
    const long long cmd1 = InfoField(primary.port, "stats", "total_commands_processed");
    for (const auto& id : ids) {
      verifier::GateSession out;
      if (!gates.Find(id, now)) Die("redis bench: gate Find failed");
      if (gates.BeginAnswer(id, now, out) != verifier::GateSessionStore::Claim::kOk) Die("redis bench: BeginAnswer");
      gates.FinishAnswer(id, true, "");
      if (!gates.Collect(id, now)) Die("redis bench: gate Collect failed");
    }
    const long long cmd2 = InfoField(primary.port, "stats", "total_commands_processed");
    // Each INFO call above is a command too: 2 per sample, taken out.
    std::printf("\nRedis per gate session (%d sessions, RedisGateStore): used_memory %.0f B per open session with "
                "one challenge; commands %.2f to open + challenge, %.2f more to poll once, answer yes and collect\n",
                kSessions, static_cast<double>(mem1 - mem0) / kSessions,
                static_cast<double>(cmd1 - cmd0 - 2) / kSessions, static_cast<double>(cmd2 - cmd1 - 1) / kSessions);
  }
  {
    // Sentinel: a primary, a replica, one Sentinel naming it.
    Server primary(dir + "/sp", testing::FreePort(), {"--repl-diskless-sync-delay", "0"});
    Server replica(dir + "/sr", testing::FreePort(), {"--replicaof", "127.0.0.1", std::to_string(primary.port)});
    const int sport = testing::FreePort();
    std::filesystem::create_directories(dir + "/ss");
    std::ofstream(dir + "/ss/sentinel.conf") << "sentinel monitor bench 127.0.0.1 " << primary.port << " 1\n";
    Server sentinel(dir + "/ss", sport, {}, true);
    for (int i = 0; i < 400 && Cmd(primary.port, {"INFO", "replication"}).str.find("state=online") == std::string::npos; ++i) {
      std::this_thread::sleep_for(25ms);
    }
    auto store = Open("redis-sentinel://127.0.0.1:" + std::to_string(sport) + "/bench", 0);
    rows.push_back({"redis-sentinel://", Measure(*store, ops, 4)});
    auto waiting = Open("redis-sentinel://127.0.0.1:" + std::to_string(sport) + "/bench", 1);
    rows.push_back({"redis-sentinel://, WAIT 1", Measure(*waiting, ops, 5)});
  }
  {
    std::set<int> used;
    std::vector<std::unique_ptr<Server>> nodes;
    std::vector<std::string> create = {kRedisCli, "--cluster", "create"};
    std::string spec = "redis-cluster://";
    for (int i = 0; i < 3; ++i) {
      int port = 0;
      for (int tries = 0; tries < 200 && port == 0; ++tries) {
        const int p = testing::FreePort();  // the cluster bus takes p + 10000 too
        if (p + 10000 < 65536 && used.insert(p).second) port = p;
      }
      if (port == 0) Die("redis bench: no port for a cluster node");
      const std::string ndir = dir + "/c" + std::to_string(i);
      nodes.push_back(std::make_unique<Server>(
          ndir, port, std::vector<std::string>{"--cluster-enabled", "yes", "--cluster-config-file", ndir + "/nodes.conf"}));
      create.push_back("127.0.0.1:" + std::to_string(port));
      spec += (i > 0 ? "," : "") + create.back();
    }
    create.insert(create.end(), {"--cluster-replicas", "0", "--cluster-yes"});
    if (testing::RunProcess(create, "", 30s).exit_code != 0) Die("redis bench: redis-cli --cluster create failed");
    // Every node must see the whole cluster (the gossip takes a few seconds
    // on a loaded machine); a node still "fail" answers CLUSTERDOWN.
    for (const auto& node : nodes) {
      for (int i = 0; i < 1200 && Cmd(node->port, {"CLUSTER", "INFO"}).str.find("cluster_state:ok") == std::string::npos;
           ++i) {
        std::this_thread::sleep_for(25ms);
      }
      if (Cmd(node->port, {"CLUSTER", "INFO"}).str.find("cluster_state:ok") == std::string::npos) {
        Die("redis bench: the cluster did not reach cluster_state:ok on every node in 30 s");
      }
    }
    auto store = Open(spec, 0);
    rows.push_back({"redis-cluster://, 3 masters", Measure(*store, ops, 6)});
  }
  std::filesystem::remove_all(dir);

  std::printf("\nspent store on one thread, %d inserts each (wall rate; client CPU per op from this thread)\n", ops);
  std::printf("  %-30s %10s %14s %22s\n", "store", "ops/s", "client cpu/op", "verif./s per core");
  for (const Row& r : rows) {
    std::printf("  %-30s %10.0f %11.1f us %22.0f\n", r.label.c_str(), r.rate.ops_per_s, r.rate.client_cpu_us,
                1e6 / (inproc_us + r.rate.client_cpu_us));
  }
  std::printf("  (verifications/s per verifier core = 1 / (in-process %.1f us + the store's client CPU); Redis and\n"
              "   this process share the machine's cores)\n",
              inproc_us);
}

}  // namespace yesno::bench
