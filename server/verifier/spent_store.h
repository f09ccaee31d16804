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
//   redis://HOST:PORT  a fleet: SET yesno:spent:<hex> 1 NX PXAT <not_after_ms>
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

#include "sqlite.h"
#include "yesno/bytes.h"
#include "yesno/result.h"
#include "yesno/verifier.h"

struct redisContext;

namespace yesno::verifier {

inline constexpr char kSpentHashContext[] = "yesno-spent-v1";
inline constexpr char kRedisKeyPrefix[] = "yesno:spent:";

// SpentKeyHash is the 32-byte digest a store keeps instead of (key id, nonce).
Bytes SpentKeyHash(ByteView key_id, ByteView nonce);

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

// RedisSpentStore shares the spent set among a fleet of verifiers through
// one Redis: SET yesno:spent:<hex> 1 NX PXAT <expires_at * 1000>. It keeps a
// small pool of connections (each used by one thread at a time), bounds
// every connect and command by `timeout`, and drops a connection on any
// error (the next call reconnects). Redis expires the entries itself.
class RedisSpentStore final : public SpentStore {
 public:
  explicit RedisSpentStore(RedisOptions options) : options_(std::move(options)) {}
  ~RedisSpentStore() override;
  RedisSpentStore(const RedisSpentStore&) = delete;
  RedisSpentStore& operator=(const RedisSpentStore&) = delete;

  Result<bool> CheckAndInsert(ByteView key_id, ByteView nonce, int64_t expires_at) override;
  Result<std::size_t> Purge(int64_t) override { return std::size_t{0}; }
  std::string_view Kind() const override { return "redis"; }
  // Ping checks that the server answers (startup diagnostics).
  Status Ping();

 private:
  Result<redisContext*> Connect() const;
  redisContext* TakeIdle();
  void Release(redisContext* c);

  RedisOptions options_;
  std::mutex mu_;
  std::vector<redisContext*> idle_;
};

// OpenSpentStore opens "memory:", "sqlite:PATH" or "redis://HOST:PORT".
// Fails with kInvalidArgument for any other spelling.
Result<std::unique_ptr<SpentStore>> OpenSpentStore(std::string_view spec);

}  // namespace yesno::verifier

#endif  // YESNO_SERVER_VERIFIER_SPENT_STORE_H_
