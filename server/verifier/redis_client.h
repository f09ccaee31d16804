// redis_client.h — the small Redis client behind the verifier's shared
// stores (spent set, gate sessions), on hiredis 0.14.
//
//   RedisValue       a reply as a plain value (no hiredis type escapes)
//   RedisPool        idle connections to one endpoint; pipelines commands
//   RedisBackend     "run these commands on the node that owns this key":
//     RedisSingle      redis://HOST:PORT             one server
//     RedisSentinel    redis-sentinel://H:P,.../NAME the primary the Sentinels name,
//                                                    re-asked after a connection
//                                                    error, READONLY or a timeout
//     RedisClusterRouter (redis_cluster.h)  redis-cluster://H:P,...
//
// Every connect and command is bounded by `timeout`; any failure is an
// Error with kUnavailable, which the verifier turns into no/unavailable.
#ifndef YESNO_SERVER_VERIFIER_REDIS_CLIENT_H_
#define YESNO_SERVER_VERIFIER_REDIS_CLIENT_H_

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "yesno/result.h"

struct redisContext;

namespace yesno::verifier {

struct RedisValue {
  enum class Type { kNil, kStatus, kError, kInteger, kString, kArray };
  Type type = Type::kNil;
  std::string str;  // status, error or string
  long long integer = 0;
  std::vector<RedisValue> elements;

  bool IsError() const { return type == Type::kError; }
  // IsErrorCode: an error reply whose first word is `code` (e.g. "MOVED").
  bool IsErrorCode(std::string_view code) const;
  bool IsOk() const { return type == Type::kStatus && str == "OK"; }
};

using RedisArgs = std::vector<std::string>;

struct RedisEndpoint {
  std::string host;
  int port = 6379;
  bool operator==(const RedisEndpoint&) const = default;
  std::string ToString() const { return host + ":" + std::to_string(port); }
};

// ParseRedisEndpoint parses "HOST:PORT" (HOST non-empty, PORT 1..65535).
Result<RedisEndpoint> ParseRedisEndpoint(std::string_view text);

struct RedisConnOptions {
  std::chrono::milliseconds timeout{1000};  // connect and each command
  std::size_t max_idle_connections = 16;
  std::string password;  // AUTH when not empty (YESNO_REDIS_PASSWORD)
};

// RedisPool keeps idle connections to one endpoint (each used by one thread
// at a time) and drops a connection on any error.
class RedisPool {
 public:
  RedisPool(RedisEndpoint endpoint, RedisConnOptions options)
      : endpoint_(std::move(endpoint)), options_(std::move(options)) {}
  ~RedisPool();
  RedisPool(const RedisPool&) = delete;
  RedisPool& operator=(const RedisPool&) = delete;

  const RedisEndpoint& endpoint() const { return endpoint_; }
  // Pipeline sends `commands` in one write on one connection and returns one
  // reply per command (error replies included). A pooled connection that
  // turns out dead is replaced once by a fresh one; then kUnavailable.
  Result<std::vector<RedisValue>> Pipeline(const std::vector<RedisArgs>& commands);

 private:
  Result<redisContext*> Connect() const;
  redisContext* TakeIdle();
  void Release(redisContext* c);

  const RedisEndpoint endpoint_;
  const RedisConnOptions options_;
  std::mutex mu_;
  std::vector<redisContext*> idle_;
};

// RedisBackend runs commands on the node that owns a key.
class RedisBackend {
 public:
  virtual ~RedisBackend() = default;
  // Run sends `commands` pipelined on one connection to the node that owns
  // `key` (all commands must concern that key, or none) and returns one
  // reply per command. kUnavailable when no node can be reached.
  virtual Result<std::vector<RedisValue>> Run(std::string_view key, const std::vector<RedisArgs>& commands) = 0;
  // Kind is "redis", "redis-sentinel" or "redis-cluster".
  virtual std::string_view Kind() const = 0;
};

// RedisSingle: one server.
class RedisSingle final : public RedisBackend {
 public:
  RedisSingle(RedisEndpoint endpoint, RedisConnOptions options) : pool_(std::move(endpoint), std::move(options)) {}
  Result<std::vector<RedisValue>> Run(std::string_view key, const std::vector<RedisArgs>& commands) override;
  std::string_view Kind() const override { return "redis"; }

 private:
  RedisPool pool_;
};

// RedisSentinel follows the primary that a set of Sentinels names for
// `master`: SENTINEL get-master-addr-by-name, then ROLE on that address must
// say "master". The answer is kept until a command fails with a connection
// error, a timeout, READONLY or LOADING; then the Sentinels are asked again
// and the command is retried once. No restart is needed after a failover.
class RedisSentinel final : public RedisBackend {
 public:
  RedisSentinel(std::vector<RedisEndpoint> sentinels, std::string master, RedisConnOptions options)
      : sentinels_(std::move(sentinels)), master_(std::move(master)), options_(std::move(options)) {}
  Result<std::vector<RedisValue>> Run(std::string_view key, const std::vector<RedisArgs>& commands) override;
  std::string_view Kind() const override { return "redis-sentinel"; }
  // Primary asks the Sentinels now (and remembers the answer).
  Result<RedisEndpoint> Primary();

 private:
  std::shared_ptr<RedisPool> Current();
  Result<std::shared_ptr<RedisPool>> Resolve(const std::shared_ptr<RedisPool>& stale);

  const std::vector<RedisEndpoint> sentinels_;
  const std::string master_;
  const RedisConnOptions options_;
  static constexpr std::chrono::milliseconds kResolveBackoff{50};
  std::mutex mu_;
  std::shared_ptr<RedisPool> primary_;
  std::chrono::steady_clock::time_point last_failure_{};
  Error last_error_{ErrorCode::kUnavailable, "redis-sentinel: no primary"};
};

// RedisUnavailable is the error every Redis failure maps to.
Error RedisUnavailable(std::string_view store, const std::string& what);

}  // namespace yesno::verifier

#endif  // YESNO_SERVER_VERIFIER_REDIS_CLIENT_H_
