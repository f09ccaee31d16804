// gate_redis.cc — gate sessions as Redis hashes, changed by Lua scripts.
#include "gate_redis.h"

#include <charconv>
#include <map>

namespace yesno::verifier {

namespace {

constexpr char kOpen[] = R"lua(
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'c', ARGV[1], 'r', ARGV[2], 'k', ARGV[3], 't0', ARGV[4], 't1', ARGV[5], 's', '0', 'vn', '0')
redis.call('PEXPIREAT', KEYS[1], ARGV[6])
return 1
)lua";

constexpr char kAddVnonce[] = R"lua(
local h = redis.call('HMGET', KEYS[1], 's', 't1', 'vn')
if not h[1] or h[1] ~= '0' or tonumber(ARGV[2]) >= tonumber(h[2]) then return 0 end
local n = tonumber(h[3])
if n >= tonumber(ARGV[3]) then return 0 end
n = n + 1
redis.call('HSET', KEYS[1], 'vn', n, 'v' .. n, ARGV[1])
return 1
)lua";

constexpr char kBegin[] = R"lua(
local h = redis.call('HMGET', KEYS[1], 's', 't1')
if not h[1] then return {-1} end
if h[1] == '3' or h[1] == '4' then return {-3} end
if tonumber(ARGV[1]) >= tonumber(h[2]) then return {-2} end
if h[1] ~= '0' then return {-3} end
redis.call('HSET', KEYS[1], 's', '1')
return {1, redis.call('HGETALL', KEYS[1])}
)lua";

constexpr char kFinish[] = R"lua(
if redis.call('HGET', KEYS[1], 's') ~= '1' then return 0 end
local n = tonumber(redis.call('HGET', KEYS[1], 'vn') or '0')
for i = 1, n do redis.call('HDEL', KEYS[1], 'v' .. i) end
redis.call('HSET', KEYS[1], 's', ARGV[1], 'why', ARGV[2])
return 1
)lua";

constexpr char kAbandon[] = R"lua(
if redis.call('HGET', KEYS[1], 's') ~= '1' then return 0 end
redis.call('HSET', KEYS[1], 's', '0')
return 1
)lua";

constexpr char kCollect[] = R"lua(
local h = redis.call('HMGET', KEYS[1], 's', 't1')
if h[1] ~= '2' or tonumber(ARGV[1]) >= tonumber(h[2]) then return 0 end
redis.call('HSET', KEYS[1], 's', '4')
return 1
)lua";

std::string Key(std::string_view id) { return std::string(kRedisGatePrefix) + std::string(id); }

int64_t ToInt(const std::string& s) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && ptr == s.data() + s.size() ? v : 0;
}

// FromHash rebuilds a session from HGETALL's flat field/value list.
std::optional<GateSession> FromHash(std::string_view id, const RedisValue& flat) {
  if (flat.type != RedisValue::Type::kArray || flat.elements.empty() || flat.elements.size() % 2 != 0) {
    return std::nullopt;
  }
  std::map<std::string, const std::string*> f;
  for (std::size_t i = 0; i + 1 < flat.elements.size(); i += 2) f[flat.elements[i].str] = &flat.elements[i + 1].str;
  auto get = [&](const char* name) -> const std::string& {
    static const std::string kEmpty;
    auto it = f.find(name);
    return it == f.end() ? kEmpty : *it->second;
  };
  GateSession s;
  s.id = std::string(id);
  s.claim = get("c");
  s.return_path = get("r");
  const std::string& key = get("k");
  s.browser_key.assign(key.begin(), key.end());
  s.created_at = ToInt(get("t0"));
  s.expires_at = ToInt(get("t1"));
  switch (ToInt(get("s"))) {
    case 0: s.state = GateState::kPending; break;
    case 1: s.state = GateState::kVerifying; break;
    case 2: s.state = GateState::kSatisfied; break;
    case 3: s.state = GateState::kRefused; break;
    default: s.state = GateState::kCollected; break;
  }
  s.reason = get("why");
  const int64_t n = ToInt(get("vn"));
  for (int64_t i = 1; i <= n && i <= static_cast<int64_t>(kGateVnoncesKept); ++i) {
    const std::string& v = get(("v" + std::to_string(i)).c_str());
    if (!v.empty()) s.vnonces.emplace_back(v.begin(), v.end());
  }
  return s;
}

}  // namespace

Result<RedisValue> RedisGateStore::Script(std::string_view id, const char* script, RedisArgs args) const {
  const std::string key = Key(id);
  RedisArgs command = {"EVAL", script, "1", key};
  command.insert(command.end(), std::make_move_iterator(args.begin()), std::make_move_iterator(args.end()));
  auto replies = redis_->Run(key, {command});
  if (!replies.ok()) return replies.error();
  RedisValue& r = replies->front();
  if (r.IsError()) return RedisUnavailable("gate sessions", r.str);
  return std::move(r);
}

Result<std::size_t> RedisGateStore::OpenSession(GateSession session, int64_t now) {
  const int64_t expires_at = now + limits_.lifetime_seconds;
  const int64_t forget_at_ms = (expires_at + limits_.lifetime_seconds) * 1000;
  auto r = Script(session.id, kOpen,
                  {session.claim, session.return_path,
                   std::string(session.browser_key.begin(), session.browser_key.end()), std::to_string(now),
                   std::to_string(expires_at), std::to_string(forget_at_ms)});
  if (!r.ok()) return r.error();
  if (r->integer != 1) return RedisUnavailable("gate sessions", "session id already in use");
  return std::size_t{0};
}

std::optional<GateSession> RedisGateStore::Find(std::string_view id, int64_t now) const {
  const std::string key = Key(id);
  auto replies = redis_->Run(key, {{"HGETALL", key}});
  if (!replies.ok() || replies->front().IsError()) return std::nullopt;
  auto s = FromHash(id, replies->front());
  if (s && s->state != GateState::kRefused && s->state != GateState::kCollected && now >= s->expires_at) {
    s->state = GateState::kExpired;
  }
  return s;
}

bool RedisGateStore::AddVnonce(std::string_view id, Bytes vnonce, int64_t now) {
  auto r = Script(id, kAddVnonce,
                  {std::string(vnonce.begin(), vnonce.end()), std::to_string(now), std::to_string(kGateVnoncesKept)});
  return r.ok() && r->integer == 1;
}

GateSessionStore::Claim RedisGateStore::BeginAnswer(std::string_view id, int64_t now, GateSession& out) {
  auto r = Script(id, kBegin, {std::to_string(now)});
  if (!r.ok() || r->type != RedisValue::Type::kArray || r->elements.empty()) return Claim::kUnavailable;
  switch (r->elements[0].integer) {
    case -1: return Claim::kUnknown;
    case -2: return Claim::kExpired;
    case -3: return Claim::kClosed;
    default: break;
  }
  auto s = r->elements.size() == 2 ? FromHash(id, r->elements[1]) : std::nullopt;
  if (!s) return Claim::kUnavailable;
  out = std::move(*s);
  return Claim::kOk;
}

void RedisGateStore::FinishAnswer(std::string_view id, bool yes, std::string_view reason) {
  (void)Script(id, kFinish, {yes ? "2" : "3", yes ? std::string() : std::string(reason)});
}

void RedisGateStore::AbandonAnswer(std::string_view id) { (void)Script(id, kAbandon, {}); }

bool RedisGateStore::Collect(std::string_view id, int64_t now) {
  auto r = Script(id, kCollect, {std::to_string(now)});
  return r.ok() && r->integer == 1;
}

}  // namespace yesno::verifier
