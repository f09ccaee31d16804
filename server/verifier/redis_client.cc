// redis_client.cc — hiredis connections, pipelines, single server, Sentinel.
#include "redis_client.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <cerrno>
#include <charconv>

namespace yesno::verifier {

namespace {

timeval ToTimeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

RedisValue FromReply(const redisReply* r) {
  RedisValue v;
  switch (r->type) {
    case REDIS_REPLY_STATUS:
      v.type = RedisValue::Type::kStatus;
      v.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      v.type = RedisValue::Type::kError;
      v.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STRING:
      v.type = RedisValue::Type::kString;
      v.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      v.type = RedisValue::Type::kInteger;
      v.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      v.type = RedisValue::Type::kArray;
      v.elements.reserve(r->elements);
      for (std::size_t i = 0; i < r->elements; ++i) v.elements.push_back(FromReply(r->element[i]));
      break;
    default:
      v.type = RedisValue::Type::kNil;
  }
  return v;
}

// Send appends every command to the connection's output buffer (one write
// when the first reply is read) and reads one reply per command. False on a
// transport error (the connection is then unusable).
bool Send(redisContext* c, const std::vector<RedisArgs>& commands, std::vector<RedisValue>& out) {
  for (const RedisArgs& args : commands) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lens;
    argv.reserve(args.size());
    lens.reserve(args.size());
    for (const auto& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    if (redisAppendCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()) != REDIS_OK) return false;
  }
  out.clear();
  out.reserve(commands.size());
  for (std::size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(c, &raw) != REDIS_OK || raw == nullptr) return false;
    auto* reply = static_cast<redisReply*>(raw);
    out.push_back(FromReply(reply));
    freeReplyObject(reply);
  }
  return true;
}

}  // namespace

bool RedisValue::IsErrorCode(std::string_view code) const {
  return type == Type::kError && std::string_view(str).substr(0, code.size()) == code &&
         (str.size() == code.size() || str[code.size()] == ' ');
}

Error RedisUnavailable(std::string_view store, const std::string& what) {
  return MakeError(ErrorCode::kUnavailable, std::string(store) + ": " + what);
}

Result<RedisEndpoint> ParseRedisEndpoint(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return MakeError(ErrorCode::kInvalidArgument, "'" + std::string(text) + "' is not HOST:PORT");
  }
  RedisEndpoint e;
  e.host = std::string(text.substr(0, colon));
  if (e.host.find_first_of("/@?#,") != std::string::npos) {
    return MakeError(ErrorCode::kInvalidArgument, "bad host in '" + std::string(text) + "'");
  }
  const std::string_view port = text.substr(colon + 1);
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), e.port);
  if (ec != std::errc() || ptr != port.data() + port.size() || e.port < 1 || e.port > 65535) {
    return MakeError(ErrorCode::kInvalidArgument, "bad port in '" + std::string(text) + "'");
  }
  return e;
}

// --- RedisPool ------------------------------------------------------------------

RedisPool::~RedisPool() {
  for (redisContext* c : idle_) redisFree(c);
}

Result<redisContext*> RedisPool::Connect() const {
  redisContext* c = redisConnectWithTimeout(endpoint_.host.c_str(), endpoint_.port, ToTimeval(options_.timeout));
  if (c == nullptr) return RedisUnavailable(endpoint_.ToString(), "cannot allocate a connection");
  if (c->err != 0) {
    std::string why = c->errstr;
    redisFree(c);
    return RedisUnavailable(endpoint_.ToString(), "cannot connect: " + why);
  }
  if (redisSetTimeout(c, ToTimeval(options_.timeout)) != REDIS_OK) {
    redisFree(c);
    return RedisUnavailable(endpoint_.ToString(), "cannot set the command timeout");
  }
  if (!options_.password.empty()) {
    std::vector<RedisValue> reply;
    if (!Send(c, {{"AUTH", options_.password}}, reply) || reply[0].IsError()) {
      redisFree(c);
      return RedisUnavailable(endpoint_.ToString(), "AUTH failed");
    }
  }
  return c;
}

redisContext* RedisPool::TakeIdle() {
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_.empty()) return nullptr;
  redisContext* c = idle_.back();
  idle_.pop_back();
  return c;
}

void RedisPool::Release(redisContext* c) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (idle_.size() < options_.max_idle_connections) {
      idle_.push_back(c);
      return;
    }
  }
  redisFree(c);
}

Result<std::vector<RedisValue>> RedisPool::Pipeline(const std::vector<RedisArgs>& commands) {
  // A pooled connection may have gone stale (the server restarted); then
  // try once more on a fresh one. If the lost commands had in fact run, the
  // retry sees their effect (a spent token reads "already spent": a false
  // no, never a false yes).
  for (int attempt = 0; attempt < 2; ++attempt) {
    redisContext* c = attempt == 0 ? TakeIdle() : nullptr;
    const bool pooled = c != nullptr;
    if (c == nullptr) {
      auto fresh = Connect();
      if (!fresh.ok()) return fresh.error();
      c = *fresh;
    }
    std::vector<RedisValue> replies;
    if (!Send(c, commands, replies)) {
      const int saved_errno = errno;
      std::string why = c->errstr;
      const bool timed_out = c->err == REDIS_ERR_IO && (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK);
      redisFree(c);
      if (pooled && !timed_out) continue;
      return RedisUnavailable(endpoint_.ToString(), (timed_out ? "timeout: " : "command failed: ") + why);
    }
    Release(c);
    return replies;
  }
  return RedisUnavailable(endpoint_.ToString(), "no connection");
}

// --- RedisSingle ----------------------------------------------------------------

Result<std::vector<RedisValue>> RedisSingle::Run(std::string_view, const std::vector<RedisArgs>& commands) {
  return pool_.Pipeline(commands);
}

// --- RedisSentinel --------------------------------------------------------------

namespace {

// NeedsNewPrimary: the node we talk to is no longer (or not yet) a writable
// primary.
bool NeedsNewPrimary(const std::vector<RedisValue>& replies) {
  for (const RedisValue& r : replies) {
    if (r.IsErrorCode("READONLY") || r.IsErrorCode("LOADING") || r.IsErrorCode("MASTERDOWN")) return true;
  }
  return false;
}

}  // namespace

std::shared_ptr<RedisPool> RedisSentinel::Current() {
  std::lock_guard<std::mutex> lock(mu_);
  return primary_;
}

Result<RedisEndpoint> RedisSentinel::Primary() {
  std::string errors;
  for (const RedisEndpoint& s : sentinels_) {
    RedisConnOptions o = options_;
    o.max_idle_connections = 0;
    o.password.clear();  // Sentinels have their own auth; not supported here
    RedisPool sentinel(s, o);
    auto reply = sentinel.Pipeline({{"SENTINEL", "get-master-addr-by-name", master_}});
    if (!reply.ok()) {
      errors += " " + s.ToString() + ": " + reply.error().message + ";";
      continue;
    }
    const RedisValue& v = (*reply)[0];
    if (v.type != RedisValue::Type::kArray || v.elements.size() != 2) {
      errors += " " + s.ToString() + ": does not know master '" + master_ + "';";
      continue;
    }
    auto endpoint = ParseRedisEndpoint(v.elements[0].str + ":" + v.elements[1].str);
    if (!endpoint.ok()) {
      errors += " " + s.ToString() + ": bad address;";
      continue;
    }
    // A Sentinel may still name a primary that was demoted or is down: ask it.
    RedisPool candidate(*endpoint, o);
    auto role = candidate.Pipeline({{"ROLE"}});
    if (!role.ok() || (*role)[0].type != RedisValue::Type::kArray || (*role)[0].elements.empty() ||
        (*role)[0].elements[0].str != "master") {
      errors += " " + s.ToString() + " names " + endpoint->ToString() + ", which is not a reachable primary;";
      continue;
    }
    return *endpoint;
  }
  return RedisUnavailable("redis-sentinel", "no primary for '" + master_ + "':" + errors);
}

Result<std::shared_ptr<RedisPool>> RedisSentinel::Resolve(const std::shared_ptr<RedisPool>& stale) {
  const auto now = std::chrono::steady_clock::now();
  {
    // Another thread may have found the new primary already; and while the
    // Sentinels have no reachable primary to name (a failover in progress),
    // ask them at most every kResolveBackoff instead of on every request.
    std::lock_guard<std::mutex> lock(mu_);
    if (primary_ && primary_ != stale) return primary_;
    if (now - last_failure_ < kResolveBackoff) return last_error_;
  }
  auto endpoint = Primary();
  std::lock_guard<std::mutex> lock(mu_);
  if (!endpoint.ok()) {
    last_failure_ = now;
    last_error_ = endpoint.error();
    return endpoint.error();
  }
  last_failure_ = {};
  if (!primary_ || primary_->endpoint() != *endpoint) primary_ = std::make_shared<RedisPool>(*endpoint, options_);
  return primary_;
}

Result<std::vector<RedisValue>> RedisSentinel::Run(std::string_view, const std::vector<RedisArgs>& commands) {
  std::shared_ptr<RedisPool> pool = Current();
  Error last = RedisUnavailable("redis-sentinel", "no primary");
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!pool || attempt > 0) {
      auto fresh = Resolve(pool);
      if (!fresh.ok()) return fresh.error();
      pool = *fresh;
    }
    auto replies = pool->Pipeline(commands);
    if (replies.ok() && !NeedsNewPrimary(*replies)) return replies;
    last = replies.ok() ? RedisUnavailable("redis-sentinel", pool->endpoint().ToString() + " is not a writable primary")
                        : replies.error();
  }
  return last;
}

}  // namespace yesno::verifier
