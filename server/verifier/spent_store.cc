// spent_store.cc — memory, SQLite and Redis spent sets.
#include "spent_store.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <charconv>
#include <cstdlib>
#include <cstring>

namespace yesno::verifier {

Bytes SpentKeyHash(ByteView key_id, ByteView nonce) {
  static constexpr uint8_t kSeparator[1] = {0};
  return Sha256(Concat({AsBytes(kSpentHashContext), ByteView(kSeparator), key_id, nonce}));
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

namespace {

timeval ToTimeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

ReplyPtr Command(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  return ReplyPtr(static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data())));
}

Error RedisDown(const std::string& what) { return MakeError(ErrorCode::kUnavailable, "spent store (redis): " + what); }

}  // namespace

RedisSpentStore::~RedisSpentStore() {
  for (redisContext* c : idle_) redisFree(c);
}

Result<redisContext*> RedisSpentStore::Connect() const {
  redisContext* c = redisConnectWithTimeout(options_.host.c_str(), options_.port, ToTimeval(options_.timeout));
  if (c == nullptr) return RedisDown("cannot allocate a connection");
  if (c->err != 0) {
    std::string why = c->errstr;
    redisFree(c);
    return RedisDown("cannot connect: " + why);
  }
  if (redisSetTimeout(c, ToTimeval(options_.timeout)) != REDIS_OK) {
    redisFree(c);
    return RedisDown("cannot set the command timeout");
  }
  if (!options_.password.empty()) {
    ReplyPtr r = Command(c, {"AUTH", options_.password});
    if (!r || r->type == REDIS_REPLY_ERROR) {
      redisFree(c);
      return RedisDown("AUTH failed");
    }
  }
  return c;
}

redisContext* RedisSpentStore::TakeIdle() {
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_.empty()) return nullptr;
  redisContext* c = idle_.back();
  idle_.pop_back();
  return c;
}

void RedisSpentStore::Release(redisContext* c) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (idle_.size() < options_.max_idle_connections) {
      idle_.push_back(c);
      return;
    }
  }
  redisFree(c);
}

Result<bool> RedisSpentStore::CheckAndInsert(ByteView key_id, ByteView nonce, int64_t expires_at) {
  const std::string key = std::string(kRedisKeyPrefix) + HexEncode(SpentKeyHash(key_id, nonce));
  const std::vector<std::string> args = {"SET", key, "1", "NX", "PXAT", std::to_string(expires_at * 1000)};
  // A pooled connection may have gone stale (Redis restarted); then try once
  // more on a fresh one. If the lost command had in fact run, the retry says
  // "already spent": a false no, never a false yes.
  for (int attempt = 0; attempt < 2; ++attempt) {
    redisContext* c = attempt == 0 ? TakeIdle() : nullptr;
    const bool pooled = c != nullptr;
    if (c == nullptr) {
      auto fresh = Connect();
      if (!fresh.ok()) return fresh.error();
      c = *fresh;
    }
    ReplyPtr reply = Command(c, args);
    if (!reply) {
      std::string why = c->errstr;
      redisFree(c);
      if (pooled) continue;
      return RedisDown("command failed: " + why);
    }
    if (reply->type == REDIS_REPLY_STATUS && std::strcmp(reply->str, "OK") == 0) {
      Release(c);
      return true;
    }
    if (reply->type == REDIS_REPLY_NIL) {
      Release(c);
      return false;
    }
    std::string why = reply->type == REDIS_REPLY_ERROR ? std::string(reply->str, reply->len) : "unexpected reply";
    Release(c);
    return RedisDown(why);
  }
  return RedisDown("no connection");
}

Status RedisSpentStore::Ping() {
  auto c = Connect();
  if (!c.ok()) return c.error();
  ReplyPtr reply = Command(*c, {"PING"});
  if (!reply || reply->type == REDIS_REPLY_ERROR) {
    redisFree(*c);
    return RedisDown("PING failed");
  }
  Release(*c);
  return Status::Ok();
}

// --- spec -----------------------------------------------------------------------

Result<std::unique_ptr<SpentStore>> OpenSpentStore(std::string_view spec) {
  if (spec == "memory:") return std::unique_ptr<SpentStore>(new MemorySpentStore());
  constexpr std::string_view kSqlite = "sqlite:";
  constexpr std::string_view kRedis = "redis://";
  if (spec.substr(0, kSqlite.size()) == kSqlite && spec.size() > kSqlite.size()) {
    auto store = SqliteSpentStore::Open(std::string(spec.substr(kSqlite.size())));
    if (!store.ok()) return store.error();
    return std::unique_ptr<SpentStore>(std::move(*store));
  }
  if (spec.substr(0, kRedis.size()) == kRedis) {
    std::string_view rest = spec.substr(kRedis.size());
    while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
    const auto colon = rest.rfind(':');
    RedisOptions options;
    options.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) {
      const std::string_view port = rest.substr(colon + 1);
      auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), options.port);
      if (ec != std::errc() || ptr != port.data() + port.size() || options.port < 1 || options.port > 65535) {
        return MakeError(ErrorCode::kInvalidArgument, "--spent-store redis://HOST:PORT: bad port");
      }
    }
    if (options.host.empty() || options.host.find_first_of("/@?#") != std::string::npos) {
      return MakeError(ErrorCode::kInvalidArgument, "--spent-store redis://HOST:PORT: bad host");
    }
    if (const char* pw = std::getenv("YESNO_REDIS_PASSWORD"); pw != nullptr) options.password = pw;
    return std::unique_ptr<SpentStore>(new RedisSpentStore(std::move(options)));
  }
  return MakeError(ErrorCode::kInvalidArgument,
                   "--spent-store must be sqlite:PATH, redis://HOST:PORT or memory: (got '" + std::string(spec) + "')");
}

}  // namespace yesno::verifier
