// spent_store.h — the verifier's once-only spent sets (DESIGN §5).
//
// Every store implements yesno::SpentSet: CheckAndInsert records a token
// (token_key_id, nonce) atomically and says whether it was new. No store ever
// holds the nonce in clear: entries are keyed by
//
//   SpentKeyHash = SHA-256("yesno-spent-v1" || 0x00 || token_key_id || nonce)
//
// and live until the token key's not-after, after which they are purged.
//
//   memory:            one process, lost on restart (tests, benchmarks)
//   sqlite:PATH        one host: WAL file, INSERT OR IGNORE, durable before yes
//   redis://HOST:PORT  a fleet: SET ys:<16 hash bytes> 1 NX PXAT <not_after + margin>
//   redis-sentinel://H:P,.../MASTER   the same, on the primary the Sentinels name
//   redis-cluster://H:P,...           the same, sharded over a Redis Cluster
//
// A store that cannot answer returns an error (kUnavailable); the verifier
// turns that into "no / unavailable", never into yes.
#ifndef YESNO_SERVER_VERIFIER_SPENT_STORE_H_
#define YESNO_SERVER_VERIFIER_SPENT_STORE_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "redis_client.h"
#include "sqlite.h"
#include "yesno/bytes.h"
#include "yesno/result.h"
#include "yesno/verifier.h"

namespace yesno::verifier {

inline constexpr char kSpentHashContext[] = "yesno-spent-v1";
inline constexpr char kRedisKeyPrefix[] = "ys:";
// kRedisKeyHashBytes: a Redis key keeps the first 16 bytes of SpentKeyHash.
// 128 bits keep an accidental collision out of reach (about 1e-17 over 1e11
// tokens), and forging one — making someone else's unseen token look spent —
// is a 2^128 second preimage; an attacker's own collisions gain nothing. The
// 19-byte key fits jemalloc's 24-byte class; with 32 bytes it took 40.
inline constexpr std::size_t kRedisKeyHashBytes = 16;

// SpentKeyHash is the 32-byte digest a store keeps instead of (key id, nonce).
Bytes SpentKeyHash(ByteView key_id, ByteView nonce);
// RedisSpentKey is the Redis key of a spent token: "ys:" followed by the
// first kRedisKeyHashBytes raw bytes of SpentKeyHash (19 bytes; Redis memory
// per entry in docs/benchmarks.md).
std::string RedisSpentKey(ByteView key_id, ByteView nonce);

// SpentStore is a SpentSet that can also drop entries whose key expired.
class SpentStore : public SpentSet {
 public:
  // Purge removes the entries that expired at or before `now` and returns
  // how many went (stores that expire entries themselves return 0).
  virtual Result<std::size_t> Purge(int64_t now) = 0;
  // Kind is "memory", "sqlite" or "redis" (for logs and metrics).
  virtual std::string_view Kind() const = 0;
};

// MemorySpentStore keeps entries in a hash map under a mutex. Lost on exit:
// for tests and benchmarks only.
class MemorySpentStore final : public SpentStore {
 public:
  Result<bool> CheckAndInsert(ByteView key_id, ByteView nonce, int64_t expires_at) override;
  Result<std::size_t> Purge(int64_t now) override;
  std::string_view Kind() const override { return "memory"; }
  std::size_t size() const;

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, int64_t> entries_;  // hash bytes -> expires_at
};

// SqliteSpentStore keeps entries in one table of a WAL-mode SQLite file:
//   spent(h BLOB PRIMARY KEY, expires_at INTEGER)
// CheckAndInsert is one INSERT OR IGNORE (its own transaction) followed by
// changes(); synchronous=FULL makes the entry durable before the answer.
class SqliteSpentStore final : public SpentStore {
 public:
  static Result<std::unique_ptr<SqliteSpentStore>> Open(const std::string& path);
  Result<bool> CheckAndInsert(ByteView key_id, ByteView nonce, int64_t expires_at) override;
  Result<std::size_t> Purge(int64_t now) override;
  std::string_view Kind() const override { return "sqlite"; }
  Result<std::size_t> Count();

 private:
  explicit SqliteSpentStore(std::unique_ptr<sql::Db> db) : db_(std::move(db)) {}
  std::mutex mu_;
  std::unique_ptr<sql::Db> db_;
  std::optional<sql::Statement> insert_;
};

struct RedisOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::chrono::milliseconds timeout{1000};  // connect and each command
  std::size_t max_idle_connections = 16;
  std::string password;  // AUTH when not empty (from YESNO_REDIS_PASSWORD)
};

// RedisSpentPolicy is how a Redis spent set writes an entry.
struct RedisSpentPolicy {
  // wait_replicas > 0: after the SET, WAIT wait_replicas wait_timeout (same
  // write, same connection); fewer acknowledgements in time -> kUnavailable
  // (the verifier answers no/unavailable, never yes).
  int wait_replicas = 0;
  std::chrono::milliseconds wait_timeout{250};
  // expiry_margin_seconds: entries live until the key's not-after plus
  // this, so a Redis clock ahead of the verifiers cannot free a token that
  // the verifiers still accept.
  int64_t expiry_margin_seconds = 86400;
};

// RedisSpentStore shares the spent set among a fleet of verifiers through
// Redis (one server, Sentinel or Cluster; redis_client.h):
//   SET ys:<16 hash bytes> 1 NX PXAT <(expires_at + margin) * 1000>  [WAIT n ms]
// one round trip (SET and WAIT are pipelined on one connection). The key
// carries no hash tag: in a Cluster, entries spread over every node. Redis
// expires the entries itself.
class RedisSpentStore final : public SpentStore {
 public:
  // One server at options.host:options.port.
  explicit RedisSpentStore(RedisOptions options, RedisSpentPolicy policy = {});
  RedisSpentStore(std::shared_ptr<RedisBackend> backend, RedisSpentPolicy policy)
      : backend_(std::move(backend)), policy_(policy) {}

  Result<bool> CheckAndInsert(ByteView key_id, ByteView nonce, int64_t expires_at) override;
  Result<std::size_t> Purge(int64_t) override { return std::size_t{0}; }
  std::string_view Kind() const override { return backend_->Kind(); }
  // Ping checks that the server answers (startup diagnostics).
  Status Ping();
  // backend is the connection to Redis, shared with the gate session store.
  const std::shared_ptr<RedisBackend>& backend() const { return backend_; }

 private:
  std::shared_ptr<RedisBackend> backend_;
  RedisSpentPolicy policy_;
};

// OpenSpentStore opens "memory:", "sqlite:PATH", "redis://HOST:PORT",
// "redis-sentinel://HOST:PORT[,HOST:PORT...]/MASTER" or
// "redis-cluster://HOST:PORT[,HOST:PORT...]"; `policy` applies to the Redis
// ones. Fails with kInvalidArgument for any other spelling.
Result<std::unique_ptr<SpentStore>> OpenSpentStore(std::string_view spec, RedisSpentPolicy policy = {});

}  // namespace yesno::verifier

#endif  // YESNO_SERVER_VERIFIER_SPENT_STORE_H_
