// redis_cluster.h — Redis Cluster routing for the verifier's shared stores:
// the slot map and the redirection loop, nothing else (hiredis 0.14 has no
// cluster support and Debian packages no cluster client).
//
// As the Redis Cluster specification defines it:
//   slot(key)   CRC16-XMODEM(key) mod 16384, or of the part between the
//               first '{' and the next '}' when that part is not empty
//   slot map    learned from CLUSTER SLOTS of any node that answers (at
//               start, after MOVED, after a connection error)
//   MOVED s n   slot s lives on node n now: remember it, refresh the map,
//               retry there
//   ASK s n     this one command goes to node n, preceded by ASKING on the
//               same connection; the map is not changed
//   TRYAGAIN    retried after a short pause
//   CLUSTERDOWN unavailable
// Every request makes at most kMaxAttempts tries; then kUnavailable.
#ifndef YESNO_SERVER_VERIFIER_REDIS_CLUSTER_H_
#define YESNO_SERVER_VERIFIER_REDIS_CLUSTER_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "redis_client.h"

namespace yesno::verifier {

inline constexpr int kRedisClusterSlots = 16384;

// Crc16Xmodem is CRC-16/XMODEM (poly 0x1021, init 0): "123456789" -> 0x31C3.
uint16_t Crc16Xmodem(std::string_view data);
// RedisKeySlot is the cluster slot of `key`, hash tags included.
uint16_t RedisKeySlot(std::string_view key);

class RedisClusterRouter final : public RedisBackend {
 public:
  static constexpr int kMaxAttempts = 5;

  // `seeds` are the nodes asked for the slot map until one answers.
  RedisClusterRouter(std::vector<RedisEndpoint> seeds, RedisConnOptions options)
      : seeds_(std::move(seeds)), options_(std::move(options)) {}
  Result<std::vector<RedisValue>> Run(std::string_view key, const std::vector<RedisArgs>& commands) override;
  std::string_view Kind() const override { return "redis-cluster"; }

  // Refresh reloads the slot map (CLUSTER SLOTS) from the first known node
  // or seed that answers; with `min_age`, not if the last refresh began less
  // than that long ago.
  Status Refresh(std::chrono::milliseconds min_age = std::chrono::milliseconds(0));
  // NodeFor is the node the map names for `slot` (nullopt: not covered).
  std::optional<RedisEndpoint> NodeFor(uint16_t slot) const;

 private:
  RedisPool& PoolFor(const RedisEndpoint& node);

  const std::vector<RedisEndpoint> seeds_;
  const RedisConnOptions options_;
  mutable std::mutex mu_;
  std::vector<RedisEndpoint> nodes_;                // masters, index = entry in slots_
  std::array<int16_t, kRedisClusterSlots> slots_{};  // node index + 1; 0 = unknown
  bool loaded_ = false;
  std::map<std::string, std::unique_ptr<RedisPool>> pools_;  // by "host:port"; never removed
  static constexpr std::chrono::milliseconds kRefreshBackoff{100};
  std::mutex refresh_mu_;
  std::chrono::steady_clock::time_point last_refresh_{};  // under refresh_mu_
};

}  // namespace yesno::verifier

#endif  // YESNO_SERVER_VERIFIER_REDIS_CLUSTER_H_
