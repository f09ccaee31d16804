// gate_redis.h — gate sessions in the fleet's shared Redis store (any mode:
// one server, Sentinel or Cluster), so that a session opened at one
// verifier replica can be answered at a second and collected at a third:
// no sticky routing.
//
// One hash per session, yesno:gate:<id> (the id is 16 random bytes; it is
// the session's only key, so a Cluster puts each session on one node):
//   c claim   r return path   k browser key   t0 created   t1 expires
//   s state (0 pending, 1 verifying, 2 satisfied, 3 refused, 4 used)
//   why refusal reason   vn challenges handed out   v1..vN the challenges
// Every change of state is one Lua script on that one key, so it is atomic
// across the fleet (exactly one answer, exactly one collection). The hash
// expires one lifetime after the session does, as GateStore forgets it.
// Each session takes at most kGateVnoncesKept challenges; past that it
// refuses new ones.
#ifndef YESNO_SERVER_VERIFIER_GATE_REDIS_H_
#define YESNO_SERVER_VERIFIER_GATE_REDIS_H_

#include <memory>

#include "gate.h"
#include "redis_client.h"

namespace yesno::verifier {

inline constexpr char kRedisGatePrefix[] = "yesno:gate:";

class RedisGateStore final : public GateSessionStore {
 public:
  RedisGateStore(std::shared_ptr<RedisBackend> redis, GateLimits limits)
      : redis_(std::move(redis)), limits_(limits) {}

  const GateLimits& limits() const override { return limits_; }
  Result<std::size_t> OpenSession(GateSession session, int64_t now) override;
  std::optional<GateSession> Find(std::string_view id, int64_t now) const override;
  bool AddVnonce(std::string_view id, Bytes vnonce, int64_t now) override;
  Claim BeginAnswer(std::string_view id, int64_t now, GateSession& out) override;
  void FinishAnswer(std::string_view id, bool yes, std::string_view reason) override;
  void AbandonAnswer(std::string_view id) override;
  bool Collect(std::string_view id, int64_t now) override;
  std::size_t size() const override { return 0; }  // none in this process

 private:
  Result<RedisValue> Script(std::string_view id, const char* script, RedisArgs args) const;

  std::shared_ptr<RedisBackend> redis_;
  const GateLimits limits_;
};

}  // namespace yesno::verifier

#endif  // YESNO_SERVER_VERIFIER_GATE_REDIS_H_
