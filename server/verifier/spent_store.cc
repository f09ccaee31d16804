// spent_store.cc — memory, SQLite and Redis spent sets.
#include "spent_store.h"

#include "redis_cluster.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace yesno::verifier {

Bytes SpentKeyHash(ByteView key_id, ByteView nonce) {
  static constexpr uint8_t kSeparator[1] = {0};
  return Sha256(Concat({AsBytes(kSpentHashContext), ByteView(kSeparator), key_id, nonce}));
}

std::string RedisSpentKey(ByteView key_id, ByteView nonce) {
  const Bytes h = SpentKeyHash(key_id, nonce);
  return std::string(kRedisKeyPrefix) + std::string(h.begin(), h.begin() + kRedisKeyHashBytes);
}

// --- memory ---------------------------------------------------------------------

Result<bool> MemorySpentStore::CheckAndInsert(ByteView key_id, ByteView nonce, int64_t expires_at) {
  const Bytes h = SpentKeyHash(key_id, nonce);
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.emplace(AsString(h), expires_at).second;
}

Result<std::size_t> MemorySpentStore::Purge(int64_t now) {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<std::size_t>(std::erase_if(entries_, [now](const auto& e) { return e.second <= now; }));
}

std::size_t MemorySpentStore::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

// --- SQLite ---------------------------------------------------------------------

Result<std::unique_ptr<SqliteSpentStore>> SqliteSpentStore::Open(const std::string& path) {
  auto db = sql::Db::Open(path);
  if (!db.ok()) return db.error();
  Status s = (*db)->Exec(
      "CREATE TABLE IF NOT EXISTS spent (h BLOB PRIMARY KEY NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;"
      "CREATE INDEX IF NOT EXISTS spent_expires_at ON spent(expires_at);");
  if (!s.ok()) return s.error();
  std::unique_ptr<SqliteSpentStore> store(new SqliteSpentStore(std::move(*db)));
  auto insert = store->db_->Prepare("INSERT OR IGNORE INTO spent (h, expires_at) VALUES (?1, ?2)");
  if (!insert.ok()) return insert.error();
  store->insert_.emplace(std::move(*insert));
  return store;
}

Result<bool> SqliteSpentStore::CheckAndInsert(ByteView key_id, ByteView nonce, int64_t expires_at) {
  const Bytes h = SpentKeyHash(key_id, nonce);
  std::lock_guard<std::mutex> lock(mu_);
  insert_->Reset();
  insert_->Bind(1, ByteView(h)).Bind(2, expires_at);
  Status s = insert_->Run();
  const int changes = s.ok() ? db_->Changes() : 0;
  insert_->Reset();
  if (!s.ok()) return MakeError(ErrorCode::kUnavailable, "spent store (sqlite): " + s.error().message);
  return changes == 1;
}

Result<std::size_t> SqliteSpentStore::Purge(int64_t now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto del = db_->Prepare("DELETE FROM spent WHERE expires_at <= ?1");
  if (!del.ok()) return del.error();
  del->Bind(1, now);
  if (Status s = del->Run(); !s.ok()) return s.error();
  return static_cast<std::size_t>(db_->Changes());
}

Result<std::size_t> SqliteSpentStore::Count() {
  std::lock_guard<std::mutex> lock(mu_);
  auto q = db_->Prepare("SELECT COUNT(*) FROM spent");
  if (!q.ok()) return q.error();
  auto row = q->Step();
  if (!row.ok()) return row.error();
  return static_cast<std::size_t>(q->Int(0));
}

// --- Redis ----------------------------------------------------------------------

RedisSpentStore::RedisSpentStore(RedisOptions options, RedisSpentPolicy policy)
    : backend_(std::make_shared<RedisSingle>(RedisEndpoint{options.host, options.port},
                                             RedisConnOptions{options.timeout, options.max_idle_connections,
                                                              options.password})),
      policy_(policy) {}

Result<bool> RedisSpentStore::CheckAndInsert(ByteView key_id, ByteView nonce, int64_t expires_at) {
  const std::string key = RedisSpentKey(key_id, nonce);
  const int64_t until_ms = (expires_at + policy_.expiry_margin_seconds) * 1000;
  std::vector<RedisArgs> commands = {{"SET", key, "1", "NX", "PXAT", std::to_string(until_ms)}};
  if (policy_.wait_replicas > 0) {
    commands.push_back({"WAIT", std::to_string(policy_.wait_replicas), std::to_string(policy_.wait_timeout.count())});
  }
  auto replies = backend_->Run(key, commands);
  if (!replies.ok()) return MakeError(ErrorCode::kUnavailable, "spent store (" + std::string(Kind()) + "): " +
                                                                  replies.error().message);
  const RedisValue& set = (*replies)[0];
  if (set.type == RedisValue::Type::kNil) return false;  // already spent
  if (!set.IsOk()) {
    return MakeError(ErrorCode::kUnavailable, "spent store (" + std::string(Kind()) + "): " +
                                                  (set.IsError() ? set.str : std::string("unexpected reply")));
  }
  if (policy_.wait_replicas > 0) {
    const RedisValue& wait = (*replies)[1];
    if (wait.type != RedisValue::Type::kInteger || wait.integer < policy_.wait_replicas) {
      // Recorded on the primary, but not known to be on enough replicas: a
      // failover now could forget it. Not a yes.
      return MakeError(ErrorCode::kUnavailable,
                       "spent store (" + std::string(Kind()) + "): WAIT " + std::to_string(policy_.wait_replicas) +
                           " got " + (wait.type == RedisValue::Type::kInteger ? std::to_string(wait.integer) : wait.str));
    }
  }
  return true;
}

Status RedisSpentStore::Ping() {
  auto replies = backend_->Run(kRedisKeyPrefix, {{"PING"}});
  if (!replies.ok()) return replies.error();
  if ((*replies)[0].IsError()) return RedisUnavailable(Kind(), "PING: " + (*replies)[0].str);
  return Status::Ok();
}

// --- spec -----------------------------------------------------------------------

namespace {

Result<std::vector<RedisEndpoint>> ParseEndpointList(std::string_view list, std::string_view what) {
  std::vector<RedisEndpoint> out;
  while (true) {
    const auto comma = list.find(',');
    auto e = ParseRedisEndpoint(list.substr(0, comma));
    if (!e.ok()) return MakeError(ErrorCode::kInvalidArgument, std::string(what) + ": " + e.error().message);
    out.push_back(*e);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  if (out.size() > 16) return MakeError(ErrorCode::kInvalidArgument, std::string(what) + ": at most 16 addresses");
  return out;
}

bool IsMasterName(std::string_view name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.';
  });
}

}  // namespace

Result<std::unique_ptr<SpentStore>> OpenSpentStore(std::string_view spec, RedisSpentPolicy policy) {
  if (spec == "memory:") return std::unique_ptr<SpentStore>(new MemorySpentStore());
  constexpr std::string_view kSqlite = "sqlite:";
  constexpr std::string_view kRedis = "redis://";
  constexpr std::string_view kSentinel = "redis-sentinel://";
  constexpr std::string_view kCluster = "redis-cluster://";
  if (spec.substr(0, kSqlite.size()) == kSqlite && spec.size() > kSqlite.size()) {
    auto store = SqliteSpentStore::Open(std::string(spec.substr(kSqlite.size())));
    if (!store.ok()) return store.error();
    return std::unique_ptr<SpentStore>(std::move(*store));
  }
  if (policy.wait_replicas < 0 || policy.wait_replicas > 16 || policy.wait_timeout.count() < 1 ||
      policy.expiry_margin_seconds < 0) {
    return MakeError(ErrorCode::kInvalidArgument, "bad Redis spent store policy");
  }
  RedisConnOptions conn;
  if (const char* pw = std::getenv("YESNO_REDIS_PASSWORD"); pw != nullptr) conn.password = pw;
  // A WAIT must fit in the command timeout.
  conn.timeout = std::max(conn.timeout, policy.wait_timeout + std::chrono::milliseconds(500));
  std::shared_ptr<RedisBackend> backend;
  if (spec.substr(0, kRedis.size()) == kRedis) {
    std::string_view rest = spec.substr(kRedis.size());
    while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
    auto e = ParseRedisEndpoint(rest.find(':') == std::string_view::npos ? std::string(rest) + ":6379"
                                                                           : std::string(rest));
    if (!e.ok()) return MakeError(ErrorCode::kInvalidArgument, "--spent-store redis://HOST:PORT: " + e.error().message);
    backend = std::make_shared<RedisSingle>(*e, conn);
  } else if (spec.substr(0, kSentinel.size()) == kSentinel) {
    std::string_view rest = spec.substr(kSentinel.size());
    const auto slash = rest.find('/');
    if (slash == std::string_view::npos || !IsMasterName(rest.substr(slash + 1))) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "--spent-store redis-sentinel://HOST:PORT[,HOST:PORT...]/MASTER: missing or bad MASTER name");
    }
    auto sentinels = ParseEndpointList(rest.substr(0, slash), "--spent-store redis-sentinel://");
    if (!sentinels.ok()) return sentinels.error();
    backend = std::make_shared<RedisSentinel>(std::move(*sentinels), std::string(rest.substr(slash + 1)), conn);
  } else if (spec.substr(0, kCluster.size()) == kCluster) {
    std::string_view rest = spec.substr(kCluster.size());
    while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
    auto seeds = ParseEndpointList(rest, "--spent-store redis-cluster://");
    if (!seeds.ok()) return seeds.error();
    backend = std::make_shared<RedisClusterRouter>(std::move(*seeds), conn);
  } else {
    return MakeError(ErrorCode::kInvalidArgument,
                     "--spent-store must be sqlite:PATH, redis://HOST:PORT, redis-sentinel://HOST:PORT[,...]/MASTER, "
                     "redis-cluster://HOST:PORT[,...] or memory: (got '" + std::string(spec) + "')");
  }
  return std::unique_ptr<SpentStore>(new RedisSpentStore(std::move(backend), policy));
}

}  // namespace yesno::verifier
