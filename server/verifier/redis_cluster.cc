// redis_cluster.cc — key slots, the slot map and the redirection loop.
#include "redis_cluster.h"

#include <algorithm>
#include <charconv>
#include <thread>

namespace yesno::verifier {

uint16_t Crc16Xmodem(std::string_view data) {
  uint16_t crc = 0;
  for (char ch : data) {
    crc = static_cast<uint16_t>(crc ^ (static_cast<uint16_t>(static_cast<uint8_t>(ch)) << 8));
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x8000) != 0 ? static_cast<uint16_t>((crc << 1) ^ 0x1021) : static_cast<uint16_t>(crc << 1);
    }
  }
  return crc;
}

uint16_t RedisKeySlot(std::string_view key) {
  const auto open = key.find('{');
  if (open != std::string_view::npos) {
    const auto close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1) key = key.substr(open + 1, close - open - 1);
  }
  return static_cast<uint16_t>(Crc16Xmodem(key) % kRedisClusterSlots);
}

namespace {

// Redirect is a parsed "MOVED slot host:port" or "ASK slot host:port". An
// empty host means "the node that answered" (cluster-preferred-endpoint-type
// unknown-endpoint).
std::optional<RedisEndpoint> RedirectTarget(const RedisValue& error, const RedisEndpoint& from) {
  const std::string_view text(error.str);
  const auto first = text.find(' ');
  const auto second = first == std::string_view::npos ? first : text.find(' ', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  std::string_view where = text.substr(second + 1);
  std::string with_host;
  if (!where.empty() && where.front() == ':') {
    with_host = from.host + std::string(where);
    where = with_host;
  }
  auto endpoint = ParseRedisEndpoint(where);
  if (!endpoint.ok()) return std::nullopt;
  return *endpoint;
}

}  // namespace

std::optional<RedisEndpoint> RedisClusterRouter::NodeFor(uint16_t slot) const {
  std::lock_guard<std::mutex> lock(mu_);
  const int16_t index = slots_[slot % kRedisClusterSlots];
  if (index <= 0) return std::nullopt;
  return nodes_[static_cast<std::size_t>(index - 1)];
}

RedisPool& RedisClusterRouter::PoolFor(const RedisEndpoint& node) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& pool = pools_[node.ToString()];
  if (!pool) pool = std::make_unique<RedisPool>(node, options_);
  return *pool;
}

Status RedisClusterRouter::Refresh(std::chrono::milliseconds min_age) {
  std::lock_guard<std::mutex> refresh_lock(refresh_mu_);
  const auto now = std::chrono::steady_clock::now();
  if (min_age.count() > 0 && now - last_refresh_ < min_age) return Status::Ok();
  last_refresh_ = now;
  std::vector<RedisEndpoint> candidates;
  {
    std::lock_guard<std::mutex> lock(mu_);
    candidates = nodes_;
  }
  candidates.insert(candidates.end(), seeds_.begin(), seeds_.end());
  std::string errors;
  for (const RedisEndpoint& from : candidates) {
    auto reply = PoolFor(from).Pipeline({{"CLUSTER", "SLOTS"}});
    if (!reply.ok() || (*reply)[0].type != RedisValue::Type::kArray) {
      errors += " " + from.ToString() + (reply.ok() ? ": " + (*reply)[0].str : ": " + reply.error().message) + ";";
      continue;
    }
    std::vector<RedisEndpoint> nodes;
    std::array<int16_t, kRedisClusterSlots> slots{};
    bool bad = false;
    for (const RedisValue& range : (*reply)[0].elements) {
      if (range.type != RedisValue::Type::kArray || range.elements.size() < 3 ||
          range.elements[0].type != RedisValue::Type::kInteger || range.elements[1].type != RedisValue::Type::kInteger ||
          range.elements[2].type != RedisValue::Type::kArray || range.elements[2].elements.size() < 2) {
        bad = true;
        break;
      }
      const RedisValue& master = range.elements[2];
      std::string host = master.elements[0].str;
      if (host.empty() || host == "?") host = from.host;
      RedisEndpoint node{host, static_cast<int>(master.elements[1].integer)};
      auto it = std::find(nodes.begin(), nodes.end(), node);
      if (it == nodes.end()) it = nodes.insert(nodes.end(), node);
      const auto index = static_cast<int16_t>(it - nodes.begin() + 1);
      const long long lo = range.elements[0].integer, hi = range.elements[1].integer;
      if (lo < 0 || hi >= kRedisClusterSlots || lo > hi) {
        bad = true;
        break;
      }
      for (long long s = lo; s <= hi; ++s) slots[static_cast<std::size_t>(s)] = index;
    }
    if (bad || nodes.empty()) {
      errors += " " + from.ToString() + ": unexpected CLUSTER SLOTS reply;";
      continue;
    }
    std::lock_guard<std::mutex> lock(mu_);
    nodes_ = std::move(nodes);
    slots_ = slots;
    loaded_ = true;
    return Status::Ok();
  }
  return RedisUnavailable("redis-cluster", "no node gave the slot map:" + errors);
}

Result<std::vector<RedisValue>> RedisClusterRouter::Run(std::string_view key, const std::vector<RedisArgs>& commands) {
  const uint16_t slot = RedisKeySlot(key);
  std::optional<RedisEndpoint> ask;  // one-shot ASK target
  Error last = RedisUnavailable("redis-cluster", "no attempt made");
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    bool loaded;
    {
      std::lock_guard<std::mutex> lock(mu_);
      loaded = loaded_;
    }
    if (!loaded) {
      if (Status s = Refresh(); !s.ok()) return s.error();
    }
    std::optional<RedisEndpoint> node = ask ? ask : NodeFor(slot);
    if (!node) return RedisUnavailable("redis-cluster", "slot " + std::to_string(slot) + " is not served by any node");
    std::vector<RedisArgs> batch;
    if (ask) batch.push_back({"ASKING"});
    batch.insert(batch.end(), commands.begin(), commands.end());
    const bool asked = ask.has_value();
    ask.reset();
    auto replies = PoolFor(*node).Pipeline(batch);
    if (!replies.ok()) {
      // The node is down or unreachable: maybe the map is stale (a failover).
      // Ask for the map again (at most every kRefreshBackoff while the node
      // stays down); if it still names the same node, that slot is
      // unavailable for now and retrying would only add latency.
      last = replies.error();
      if (!asked) {
        (void)Refresh(kRefreshBackoff);
        if (NodeFor(slot) == node) return last;
      }
      continue;
    }
    if (asked) replies->erase(replies->begin());  // ASKING's +OK
    const RedisValue& first = replies->front();
    if (first.IsErrorCode("MOVED")) {
      last = RedisUnavailable("redis-cluster", "redirected too often (MOVED)");
      if (auto target = RedirectTarget(first, *node)) {
        PoolFor(*target);  // so Refresh can ask it too
        {
          std::lock_guard<std::mutex> lock(mu_);
          auto it = std::find(nodes_.begin(), nodes_.end(), *target);
          if (it == nodes_.end()) it = nodes_.insert(nodes_.end(), *target);
          slots_[slot] = static_cast<int16_t>(it - nodes_.begin() + 1);
        }
        (void)Refresh();
        continue;
      }
      return RedisUnavailable("redis-cluster", "bad MOVED reply");
    }
    if (first.IsErrorCode("ASK")) {
      last = RedisUnavailable("redis-cluster", "redirected too often (ASK)");
      ask = RedirectTarget(first, *node);
      if (!ask) return RedisUnavailable("redis-cluster", "bad ASK reply");
      continue;
    }
    if (first.IsErrorCode("TRYAGAIN")) {
      last = RedisUnavailable("redis-cluster", "TRYAGAIN");
      std::this_thread::sleep_for(std::chrono::milliseconds(5 * (attempt + 1)));
      continue;
    }
    if (first.IsErrorCode("CLUSTERDOWN")) return RedisUnavailable("redis-cluster", first.str);
    return replies;
  }
  return last;
}

}  // namespace yesno::verifier
