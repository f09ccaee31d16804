// issuer_service_test.cc — yesno-issuer's service in process, with a
// FixedClock: key epochs (publication 2 days ahead, rotation, grace week,
// deletion, no shared last key-id byte), batch 200/206/400, quotas, ticket
// checks, admin enrollment, and every fixed reason code for bad input.
#include "issuer_service.h"

#include <sys/stat.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "files.h"
#include "issuer_files.h"
#include "issuer_test_util.h"
#include "testing/test_util.h"
#include "yesno/claims.h"
#include "yesno/directory.h"
#include "yesno/ticket.h"

namespace yesno::issuer {
namespace {

using issuer_testing::CountTrue;
using issuer_testing::IssuingKey;
using issuer_testing::Pending;
using issuer_testing::ScratchDir;
using server::http::verb;
using Json = nlohmann::json;

constexpr int64_t kDay = 86400;
constexpr int64_t kEpoch = 30 * kDay;
constexpr char kName[] = "issuer.example";
constexpr char kBatchType[] = "application/private-token-generic-batch-request";
constexpr char kSingleType[] = "application/private-token-request";

// A moment 5 days into an epoch, in November 2026.
int64_t EpochStartNear2026() {
  const int64_t t = UnixSecondsFromDate(Date{2026, 11, 23});
  return (t / kEpoch) * kEpoch;
}
const int64_t kE0Start = EpochStartNear2026();
const int64_t kE0 = kE0Start / kEpoch;
const int64_t kT0 = kE0Start + 5 * kDay;

// PooledKeys hands out RSA-2048 keys from a process-wide pool (keygen is
// slow); each generator walks the pool from the start, growing it as needed.
KeyGenerator PooledKeys(int* calls = nullptr) {
  static std::vector<RsaPrivateKey> pool;
  auto next = std::make_shared<std::size_t>(0);
  return [next, calls]() -> Result<RsaPrivateKey> {
    if (calls != nullptr) ++*calls;
    if (*next == pool.size()) {
      auto k = RsaPrivateKey::Generate(2048);
      if (!k.ok()) return k.error();
      pool.push_back(*k);
    }
    return pool[(*next)++];
  };
}

IssuerConfig Config(std::vector<std::string> age_claims, std::vector<std::string> attributes = {}, int quota = 64) {
  IssuerConfig c;
  c.name = kName;
  c.age_claims = std::move(age_claims);
  c.attributes = std::move(attributes);
  c.quota = quota;
  return c;
}

class IssuerServiceTest : public ::testing::Test {
 protected:
  void Init(const IssuerConfig& config, int64_t now = kT0, KeyGenerator gen = PooledKeys()) {
    clock_.Set(now);
    auto pk = InitState(dir_.path(), config, now, rng_, gen);
    ASSERT_TRUE(pk.ok()) << pk.error().message;
    public_key_ = *pk;
    auto s = IssuerService::Open(dir_.path(), clock_, rng_, gen);
    ASSERT_TRUE(s.ok()) << s.error().message;
    service_ = std::move(*s);
    auto admin = files::ReadFile(dir_.path() + "/admin.secret");
    ASSERT_TRUE(admin.ok());
    admin_ = AsString(*admin);
    while (!admin_.empty() && admin_.back() == '\n') admin_.pop_back();
  }

  server::Response Call(verb method, const std::string& target, const std::string& content_type = "",
                        const std::string& body = "", const std::string& bearer = "",
                        server::RequestLog* log_out = nullptr) {
    server::Request req{method, target, 11};
    req.set(server::http::field::host, "issuer.example");
    if (!content_type.empty()) req.set(server::http::field::content_type, content_type);
    if (!bearer.empty()) req.set(server::http::field::authorization, "Bearer " + bearer);
    req.body() = body;
    req.prepare_payload();
    server::RequestLog log;
    auto res = service_->HandleRequest(req, log);
    if (log_out != nullptr) *log_out = log;
    return res;
  }
  static std::string Error(const server::Response& res) {
    auto doc = Json::parse(res.body(), nullptr, false);
    return doc.is_object() && doc.contains("error") ? doc["error"].get<std::string>() : "(no error field)";
  }

  IssuerDirectory Directory() {
    auto res = Call(verb::get, kDirectoryPath);
    EXPECT_EQ(res.result_int(), 200u);
    EXPECT_TRUE(VerifyDirectorySignature(public_key_, res.body(), std::string(res[kDirectorySignatureHeader])).ok());
    auto dir = ParseDirectory(res.body());
    EXPECT_TRUE(dir.ok());
    return dir.ok() ? *dir : IssuerDirectory{};
  }
  std::string Enroll(const std::string& birth_date, const std::vector<std::string>& attributes = {},
                     int valid_days = 365) {
    Json body = {{"birth_date", birth_date}, {"attributes", attributes}, {"valid_days", valid_days}};
    auto res = Call(verb::post, "/admin/enroll", "application/json", body.dump(), admin_);
    EXPECT_EQ(res.result_int(), 200u) << res.body();
    auto doc = Json::parse(res.body(), nullptr, false);
    return doc.is_object() && doc.contains("ticket") ? doc["ticket"].get<std::string>() : "";
  }
  RsaPublicKey KeyFor(const std::string& claim) {
    auto key = IssuingKey(Directory(), claim, clock_.NowSeconds());
    EXPECT_TRUE(key.has_value()) << claim;
    return key ? *key : testing::TestKey2048().public_key();
  }

  ScratchDir dir_{"service"};
  FixedClock clock_{kT0};
  testing::DeterministicRng rng_{42};
  Bytes public_key_;
  std::string admin_;
  std::unique_ptr<IssuerService> service_;
};

std::set<std::pair<std::string, int64_t>> Windows(const IssuerDirectory& dir) {
  std::set<std::pair<std::string, int64_t>> out;
  for (const auto& k : dir.keys) out.insert({k.claim, k.not_before});
  return out;
}

void ExpectDistinctLastBytes(const IssuerDirectory& dir) {
  std::set<uint8_t> seen;
  for (const auto& k : dir.keys) {
    auto key = RsaPublicKey::FromSpki(k.token_key);
    ASSERT_TRUE(key.ok());
    EXPECT_TRUE(seen.insert(key->KeyId().back()).second) << "two listed keys share a last key-id byte";
  }
}

TEST_F(IssuerServiceTest, EpochsPublishAheadRotateKeepGraceAndDeleteExpiredKeys) {
  ASSERT_NO_FATAL_FAILURE(Init(Config({"age_over_18"})));
  const std::string ticket = Enroll("1990-01-01");
  const int64_t e1_start = kE0Start + kEpoch;

  // Inside epoch 0: only its key is listed, with the documented window.
  auto dir = Directory();
  ASSERT_EQ(dir.keys.size(), 1u);
  EXPECT_EQ(dir.keys[0].not_before, kE0Start);
  EXPECT_EQ(dir.keys[0].not_after, e1_start + 7 * kDay);
  EXPECT_EQ(dir.keys[0].claim, "age_over_18");
  EXPECT_EQ(dir.issuer_name, kName);
  const RsaPublicKey k0 = KeyFor("age_over_18");
  EXPECT_EQ(service_->keys().All().size(), 2u);  // current and next exist from init

  // One second before the 2-day publication window: still one key.
  clock_.Set(e1_start - 2 * kDay - 1);
  EXPECT_EQ(Directory().keys.size(), 1u);
  // From 2 days ahead the next key is listed, but epoch 0's key still signs.
  clock_.Set(e1_start - 2 * kDay);
  dir = Directory();
  ASSERT_EQ(dir.keys.size(), 2u);
  EXPECT_EQ(Windows(dir), (std::set<std::pair<std::string, int64_t>>{{"age_over_18", kE0Start},
                                                                      {"age_over_18", e1_start}}));
  ExpectDistinctLastBytes(dir);
  RsaPublicKey k1 = *RsaPublicKey::FromSpki(dir.keys[1].token_key);
  {
    Pending p;
    p.Add(k0, kName, 1, rng_);
    p.Add(k1, kName, 1, rng_);
    auto res = Call(verb::post, "/token-request-batch", kBatchType, p.BatchBody(), ticket);
    EXPECT_EQ(res.result_int(), 206u);  // the next epoch's key is listed, not live
    EXPECT_EQ(p.FinalizeBatch(res.body()), (std::vector<bool>{true, false}));
  }

  // Rotation: at the epoch start, epoch 1's key signs and epoch 0's does not,
  // but stays listed through its grace week. Maintain makes epoch 2's key.
  clock_.Set(e1_start);
  auto report = service_->Maintain();
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->generated, 1);
  EXPECT_EQ(service_->keys().All().size(), 3u);
  dir = Directory();
  EXPECT_EQ(Windows(dir), (std::set<std::pair<std::string, int64_t>>{{"age_over_18", kE0Start},
                                                                      {"age_over_18", e1_start}}));
  {
    Pending p;
    p.Add(k0, kName, 1, rng_);
    auto res = Call(verb::post, "/token-request", kSingleType, p.SingleBody(0), ticket);
    EXPECT_EQ(res.result_int(), 422u);
    EXPECT_EQ(Error(res), "unknown_key");
    Pending q;
    q.Add(KeyFor("age_over_18"), kName, 1, rng_);
    res = Call(verb::post, "/token-request", kSingleType, q.SingleBody(0), ticket);
    ASSERT_EQ(res.result_int(), 200u) << res.body();
    EXPECT_TRUE(q.FinalizeSingle(0, res.body()));
  }
  EXPECT_EQ(KeyFor("age_over_18").KeyId(), k1.KeyId());

  // At epoch 0's not-after it is gone from the directory, from memory and
  // from disk; the directory never lists an expired key even before Maintain.
  const std::string k0_file = dir_.path() + "/keys/age_over_18." + std::to_string(kE0) + ".der";
  EXPECT_TRUE(files::Exists(k0_file));
  clock_.Set(e1_start + 7 * kDay);
  dir = Directory();
  EXPECT_EQ(Windows(dir), (std::set<std::pair<std::string, int64_t>>{{"age_over_18", e1_start}}));
  report = service_->Maintain();
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->removed, 1);
  EXPECT_FALSE(files::Exists(k0_file));
  EXPECT_EQ(service_->keys().All().size(), 2u);

  // Two days before epoch 2: epochs 1 and 2 listed, distinct last bytes.
  clock_.Set(e1_start + kEpoch - 2 * kDay);
  dir = Directory();
  EXPECT_EQ(dir.keys.size(), 2u);
  ExpectDistinctLastBytes(dir);

  // A restart (a fresh service on the same directory) sees the same keys.
  auto reopened = IssuerService::Open(dir_.path(), clock_, rng_, PooledKeys());
  ASSERT_TRUE(reopened.ok()) << reopened.error().message;
  EXPECT_EQ((*reopened)->keys().All().size(), 2u);
}

TEST_F(IssuerServiceTest, ServerAsleepForEpochsCatchesUpOnMaintain) {
  ASSERT_NO_FATAL_FAILURE(Init(Config({"age_over_18"})));
  const std::string ticket = Enroll("1990-01-01");
  clock_.Set(kE0Start + 5 * kEpoch + kDay);  // long after every key expired
  EXPECT_TRUE(Directory().keys.empty());     // nothing expired is ever served
  auto health = Call(verb::get, "/healthz");
  EXPECT_EQ(health.result_int(), 503u);
  auto report = service_->Maintain();
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->removed, 2);
  EXPECT_EQ(report->generated, 2);
  EXPECT_EQ(Call(verb::get, "/healthz").result_int(), 200u);
  Pending p;
  p.Add(KeyFor("age_over_18"), kName, 2, rng_);
  auto res = Call(verb::post, "/token-request-batch", kBatchType, p.BatchBody(), ticket);
  ASSERT_EQ(res.result_int(), 200u) << res.body();
  EXPECT_EQ(CountTrue(p.FinalizeBatch(res.body())), 2);
}

TEST_F(IssuerServiceTest, RegeneratesAKeyWhoseLastKeyIdByteCollides) {
  // The generator hands out the same key twice: the second time its last
  // key-id byte collides with the first (listed at the same time), so the
  // store must draw a third. Pool keys that happen to share the first key's
  // last byte (1 in 256) are passed over, so exactly one collision is forced.
  int calls = 0;
  auto pool = PooledKeys();
  std::optional<RsaPrivateKey> first;
  KeyGenerator repeating = [&]() -> Result<RsaPrivateKey> {
    ++calls;
    if (calls == 2 && first) return *first;
    for (;;) {
      auto k = pool();
      if (!k.ok()) return k;
      if (!first) {
        first = *k;
        return k;
      }
      if (k->public_key().KeyId().back() != first->public_key().KeyId().back()) return k;
    }
  };
  ASSERT_NO_FATAL_FAILURE(Init(Config({"age_over_18"}), kT0, repeating));
  EXPECT_EQ(calls, 3);
  auto all = service_->keys().All();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_NE(all[0]->truncated_id(), all[1]->truncated_id());
  clock_.Set(kE0Start + kEpoch - kDay);  // both listed
  ExpectDistinctLastBytes(Directory());
}

TEST_F(IssuerServiceTest, YoungerHolderBatchIsPartialAndNotEntitledClaimIsRefused) {
  ASSERT_NO_FATAL_FAILURE(Init(Config({"age_over_13", "age_over_18"})));
  const std::string ticket = Enroll("2010-06-01", {}, 1000);  // 16 in November 2026
  auto ent = Call(verb::post, "/entitlements", "", "", ticket);
  ASSERT_EQ(ent.result_int(), 200u);
  auto doc = Json::parse(ent.body());
  EXPECT_EQ(doc["claims"], Json::array({"age_over_13"}));

  const RsaPublicKey k13 = KeyFor("age_over_13"), k18 = KeyFor("age_over_18");
  Pending p;
  p.Add(k13, kName, 2, rng_);
  p.Add(k18, kName, 1, rng_);
  p.Add(k13, kName, 1, rng_);
  server::RequestLog log;
  auto res = Call(verb::post, "/token-request-batch", kBatchType, p.BatchBody(), ticket, &log);
  ASSERT_EQ(res.result_int(), 206u) << res.body();
  EXPECT_EQ(std::string(res[server::http::field::content_type]), kMediaTypeBatchResponse);
  EXPECT_EQ(p.FinalizeBatch(res.body()), (std::vector<bool>{true, true, false, true}));
  EXPECT_EQ(log.reason, "partial");

  // Nothing signable: 400 with the reason; a single request: 403.
  Pending q;
  q.Add(k18, kName, 2, rng_);
  res = Call(verb::post, "/token-request-batch", kBatchType, q.BatchBody(), ticket);
  EXPECT_EQ(res.result_int(), 400u);
  EXPECT_EQ(Error(res), "not_entitled");
  res = Call(verb::post, "/token-request", kSingleType, q.SingleBody(0), ticket);
  EXPECT_EQ(res.result_int(), 403u);
  EXPECT_EQ(Error(res), "not_entitled");
  EXPECT_EQ(service_->metrics().Get("tokens_issued_total", {{"claim", "age_over_13"}}), 3);
  EXPECT_EQ(service_->metrics().Get("tokens_issued_total", {{"claim", "age_over_18"}}), 0);

  // The day they turn 18 (2028-06-01) the same (long-lived) ticket is entitled.
  clock_.Set(UnixSecondsFromDate(Date{2028, 6, 1}) - 1);
  ASSERT_TRUE(service_->Maintain().ok());
  doc = Json::parse(Call(verb::post, "/entitlements", "", "", ticket).body());
  EXPECT_EQ(doc["claims"], Json::array({"age_over_13"}));
  clock_.Set(UnixSecondsFromDate(Date{2028, 6, 1}));
  doc = Json::parse(Call(verb::post, "/entitlements", "", "", ticket).body());
  EXPECT_EQ(doc["claims"], Json::array({"age_over_13", "age_over_18"}));
}

TEST_F(IssuerServiceTest, AttributeClaimsFollowTheTicket) {
  ASSERT_NO_FATAL_FAILURE(Init(Config({"age_over_18"}, {"verified_person"})));
  const std::string with = Enroll("1990-01-01", {"verified_person"});
  const std::string without = Enroll("1990-01-01");
  auto doc = Json::parse(Call(verb::post, "/entitlements", "", "", with).body());
  EXPECT_EQ(doc["claims"], Json::array({"age_over_18", "verified_person"}));
  doc = Json::parse(Call(verb::post, "/entitlements", "", "", without).body());
  EXPECT_EQ(doc["claims"], Json::array({"age_over_18"}));
  Pending p;
  p.Add(KeyFor("verified_person"), kName, 1, rng_);
  EXPECT_EQ(Call(verb::post, "/token-request", kSingleType, p.SingleBody(0), with).result_int(), 200u);
  EXPECT_EQ(Call(verb::post, "/token-request", kSingleType, p.SingleBody(0), without).result_int(), 403u);
}

TEST_F(IssuerServiceTest, QuotaIsPerTicketClaimAndEpochAndCountsTheDirectory) {
  ASSERT_NO_FATAL_FAILURE(Init(Config({"age_over_13", "age_over_18"}, {}, /*quota=*/3)));
  const std::string ticket = Enroll("1990-01-01");
  const std::string other = Enroll("1990-01-01");
  const RsaPublicKey k18 = KeyFor("age_over_18");
  Pending p;
  p.Add(k18, kName, 5, rng_);
  auto res = Call(verb::post, "/token-request-batch", kBatchType, p.BatchBody(), ticket);
  ASSERT_EQ(res.result_int(), 206u);
  EXPECT_EQ(p.FinalizeBatch(res.body()), (std::vector<bool>{true, true, true, false, false}));
  Pending q;
  q.Add(k18, kName, 1, rng_);
  res = Call(verb::post, "/token-request", kSingleType, q.SingleBody(0), ticket);
  EXPECT_EQ(res.result_int(), 429u);
  EXPECT_EQ(Error(res), "quota_exceeded");
  res = Call(verb::post, "/token-request-batch", kBatchType, q.BatchBody(), ticket);
  EXPECT_EQ(res.result_int(), 400u);
  EXPECT_EQ(Error(res), "quota_exceeded");
  auto doc = Json::parse(Call(verb::post, "/entitlements", "", "", ticket).body());
  EXPECT_EQ(doc["quota"]["age_over_18"]["used"], 3);
  EXPECT_EQ(doc["quota"]["age_over_18"]["remaining"], 0);
  EXPECT_EQ(doc["quota"]["age_over_18"]["epoch"], kE0);
  EXPECT_EQ(doc["quota"]["age_over_13"]["remaining"], 3);
  // Another claim, and another ticket, have their own quota.
  Pending r;
  r.Add(KeyFor("age_over_13"), kName, 1, rng_);
  EXPECT_EQ(Call(verb::post, "/token-request", kSingleType, r.SingleBody(0), ticket).result_int(), 200u);
  EXPECT_EQ(Call(verb::post, "/token-request", kSingleType, q.SingleBody(0), other).result_int(), 200u);
  // The directory counts what was signed under each key.
  for (const auto& k : Directory().keys) {
    ASSERT_TRUE(k.issued.has_value());
    EXPECT_EQ(*k.issued, k.claim == "age_over_18" ? 4u : 1u);
  }
  // A new epoch brings a new quota; the old epoch's rows are pruned.
  clock_.Set(kE0Start + kEpoch);
  ASSERT_TRUE(service_->Maintain().ok());
  Pending s;
  s.Add(KeyFor("age_over_18"), kName, 3, rng_);
  res = Call(verb::post, "/token-request-batch", kBatchType, s.BatchBody(), ticket);
  EXPECT_EQ(res.result_int(), 200u);
  auto used = service_->state().QuotaUsed(
      TicketHash(LoadSecrets(dir_.path())->ticket_hash_key,
                 OpenTicket(LoadSecrets(dir_.path())->ticket_key, kName, ticket)->ticket_id),
      "age_over_18", kE0);
  ASSERT_TRUE(used.ok());
  EXPECT_EQ(*used, 0);
}

TEST_F(IssuerServiceTest, AnElementThatFailsToSignStillSpendsItsQuota) {
  ASSERT_NO_FATAL_FAILURE(Init(Config({"age_over_18"}, {}, /*quota=*/2)));
  const std::string ticket = Enroll("1990-01-01");
  const RsaPublicKey k = KeyFor("age_over_18");
  TokenRequest bad{kTokenTypeBlindRsa, k.KeyId().back(), Bytes(256, 0xff)};  // >= n: cannot be signed
  auto body = SerializeTokenRequest(bad);
  ASSERT_TRUE(body.ok());
  auto res = Call(verb::post, "/token-request", kSingleType, AsString(*body), ticket);
  EXPECT_EQ(res.result_int(), 422u);
  EXPECT_EQ(Error(res), "malformed");
  auto doc = Json::parse(Call(verb::post, "/entitlements", "", "", ticket).body());
  EXPECT_EQ(doc["quota"]["age_over_18"]["used"], 1);
}

TEST_F(IssuerServiceTest, TicketsMissingForgedAlteredExpiredOrRevokedAreRefused) {
  ASSERT_NO_FATAL_FAILURE(Init(Config({"age_over_18"})));
  const std::string ticket = Enroll("1990-01-01", {}, /*valid_days=*/10);
  Pending p;
  p.Add(KeyFor("age_over_18"), kName, 1, rng_);
  const std::string body = p.SingleBody(0);
  auto expect = [&](const std::string& bearer, unsigned status, const std::string& reason) {
    for (const char* route : {"/token-request", "/entitlements"}) {
      auto res = Call(verb::post, route, kSingleType, body, bearer);
      EXPECT_EQ(res.result_int(), status) << route << " " << reason;
      EXPECT_EQ(Error(res), reason) << route;
    }
  };
  expect("", 401, "missing_ticket");
  expect("garbage", 401, "bad_ticket");
  std::string altered = ticket;
  altered[altered.size() / 2] = altered[altered.size() / 2] == 'A' ? 'B' : 'A';
  expect(altered, 401, "bad_ticket");
  SecretBytes other_key(32, 7);
  TicketContents forged{Bytes(16, 1), Date{1990, 1, 1}, {}, kT0 + 100 * kDay};
  expect(*SealTicket(other_key, kName, forged, rng_), 401, "bad_ticket");
  auto secrets = LoadSecrets(dir_.path());
  ASSERT_TRUE(secrets.ok());
  expect(*SealTicket(secrets->ticket_key, "other.example", forged, rng_), 401, "bad_ticket");  // another issuer's AD

  EXPECT_EQ(Call(verb::post, "/token-request", kSingleType, body, ticket).result_int(), 200u);
  clock_.Set(kT0 + 10 * kDay);  // expires_at = enrollment + 10 days
  expect(ticket, 403, "ticket_expired");
  clock_.Set(kT0 + 2 * kDay);
  auto opened = OpenTicket(secrets->ticket_key, kName, ticket);
  ASSERT_TRUE(opened.ok());
  ASSERT_TRUE(service_->state().Revoke(TicketHash(secrets->ticket_hash_key, opened->ticket_id), opened->expires_at).ok());
  expect(ticket, 403, "revoked");
  auto res = Call(verb::post, "/token-request", kSingleType, body, "garbage");
  EXPECT_EQ(std::string(res[server::http::field::www_authenticate]), "Bearer realm=\"yesno-issuer\"");
}

TEST_F(IssuerServiceTest, MalformedBodiesGetFixedReasonCodes) {
  ASSERT_NO_FATAL_FAILURE(Init(Config({"age_over_18"})));
  const std::string ticket = Enroll("1990-01-01");
  Pending p;
  p.Add(KeyFor("age_over_18"), kName, 2, rng_);
  const std::string batch = p.BatchBody();
  const std::string single = p.SingleBody(0);
  auto expect = [&](const std::string& route, const std::string& ct, const std::string& body, unsigned status,
                    const std::string& reason) {
    auto res = Call(verb::post, route, ct, body, ticket);
    EXPECT_EQ(res.result_int(), status) << route << " " << reason;
    EXPECT_EQ(Error(res), reason) << route;
  };
  expect("/token-request-batch", kBatchType, batch.substr(0, batch.size() - 1), 422, "malformed");  // truncated
  expect("/token-request-batch", kBatchType, batch + std::string(1, '\0'), 422, "malformed");      // trailing byte
  std::string unknown_type = batch;
  unknown_type[2] = 0x07;  // first element's token type 0x0002 -> 0x0702 (after the 2-byte varint)
  expect("/token-request-batch", kBatchType, unknown_type, 422, "malformed");
  expect("/token-request-batch", kBatchType, "", 422, "malformed");
  expect("/token-request-batch", kBatchType, std::string(1, '\0'), 422, "malformed");  // zero requests
  expect("/token-request", kSingleType, single.substr(0, single.size() - 1), 422, "malformed");
  expect("/token-request", kSingleType, single + "x", 422, "malformed");
  std::string voprf = single;
  voprf[1] = 0x01;
  expect("/token-request", kSingleType, voprf, 422, "malformed");
  std::string wrong_key = single;
  wrong_key[2] = static_cast<char>(wrong_key[2] ^ 0x5a);
  expect("/token-request", kSingleType, wrong_key, 422, "unknown_key");

  // 65 requests: too many (64 is the cap and passes the count check).
  GenericBatchTokenRequest big;
  for (int i = 0; i < 65; ++i) big.requests.push_back(GenericTokenRequest{2, ToBytes(AsBytes(single))});
  auto big_body = SerializeGenericBatchTokenRequest(big);
  ASSERT_TRUE(big_body.ok());
  expect("/token-request-batch", kBatchType, AsString(*big_body), 422, "too_many_requests");
  // A known type the issuer does not issue (VOPRF, 0x0001) is refused per element.
  Bytes voprf_request(TokenRequestSize(kTokenTypeVoprf), 0);
  voprf_request[1] = 0x01;
  GenericBatchTokenRequest mixed;
  mixed.requests.push_back(GenericTokenRequest{kTokenTypeVoprf, voprf_request});
  auto mixed_body = SerializeGenericBatchTokenRequest(mixed);
  ASSERT_TRUE(mixed_body.ok());
  expect("/token-request-batch", kBatchType, AsString(*mixed_body), 400, "unknown_key");
  mixed.requests.push_back(GenericTokenRequest{kTokenTypeBlindRsa, ToBytes(AsBytes(single))});
  mixed_body = SerializeGenericBatchTokenRequest(mixed);
  ASSERT_TRUE(mixed_body.ok());
  expect("/token-request-batch", kBatchType, AsString(*mixed_body), 206, "(no error field)");

  // Exactly 64 passes the count check; one token of the quota (64) was
  // spent above, so 63 are signed and the last is refused.
  big.requests.pop_back();
  big_body = SerializeGenericBatchTokenRequest(big);
  ASSERT_TRUE(big_body.ok());
  auto res = Call(verb::post, "/token-request-batch", kBatchType, AsString(*big_body), ticket);
  EXPECT_EQ(res.result_int(), 206u);
  auto parsed = ParseGenericBatchTokenResponse(AsBytes(res.body()));
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->responses.size(), 64u);
  EXPECT_TRUE(parsed->responses[62].has_value());
  EXPECT_FALSE(parsed->responses[63].has_value());
}

TEST_F(IssuerServiceTest, WrongContentTypeUnknownRouteAndWrongMethod) {
  ASSERT_NO_FATAL_FAILURE(Init(Config({"age_over_18"})));
  const std::string ticket = Enroll("1990-01-01");
  auto res = Call(verb::post, "/token-request-batch", "application/json", "{}", ticket);
  EXPECT_EQ(res.result_int(), 415u);
  EXPECT_EQ(Error(res), "unsupported_media_type");
  res = Call(verb::post, "/token-request", kBatchType, "", ticket);
  EXPECT_EQ(res.result_int(), 415u);
  res = Call(verb::post, "/admin/enroll", "text/plain", "{}", admin_);
  EXPECT_EQ(res.result_int(), 415u);
  res = Call(verb::get, "/nope");
  EXPECT_EQ(res.result_int(), 404u);
  EXPECT_EQ(Error(res), "not_found");
  res = Call(verb::get, "/token-request");
  EXPECT_EQ(res.result_int(), 405u);
  res = Call(verb::post, kDirectoryPath);
  EXPECT_EQ(res.result_int(), 405u);
  // Content-Type parameters and case are ignored.
  res = Call(verb::post, "/admin/enroll", "Application/JSON; charset=utf-8", "{\"birth_date\":\"1990-01-01\"}", admin_);
  EXPECT_EQ(res.result_int(), 200u);
}

TEST_F(IssuerServiceTest, AdminEnrollChecksTheSecretFirstThenTheBody) {
  ASSERT_NO_FATAL_FAILURE(Init(Config({"age_over_18"}, {"verified_person"})));
  auto expect = [&](const std::string& secret, const std::string& body, unsigned status, const std::string& reason) {
    auto res = Call(verb::post, "/admin/enroll", "application/json", body, secret);
    EXPECT_EQ(res.result_int(), status) << body;
    EXPECT_EQ(Error(res), reason) << body;
  };
  const std::string good = R"({"birth_date":"1990-01-01","attributes":["verified_person"]})";
  expect("", good, 401, "unauthorized");
  expect("wrong-secret-of-some-length-000000000000000", good, 401, "unauthorized");
  expect(admin_ + "x", good, 401, "unauthorized");
  expect(admin_.substr(1), good, 401, "unauthorized");
  expect("wrong", "not json at all", 401, "unauthorized");  // nothing else is revealed
  expect(admin_, R"({"birth_date":"1990-01-01","attributes":["resident_fr"]})", 422, "unknown_attribute");
  expect(admin_, R"({"birth_date":"1990-01-01","attributes":["age_over_18"]})", 422, "unknown_attribute");
  expect(admin_, R"({"birth_date":"1990-02-30"})", 422, "bad_birth_date");
  expect(admin_, R"({"birth_date":"2999-01-01"})", 422, "bad_birth_date");
  expect(admin_, R"({"birth_date":"1990-01-01","valid_days":0})", 422, "bad_valid_days");
  expect(admin_, R"({"birth_date":"1990-01-01","valid_days":"365"})", 422, "malformed");
  expect(admin_, R"({"birth_date":"1990-01-01","name":"Alice"})", 422, "malformed");
  expect(admin_, R"({"attributes":[]})", 422, "malformed");
  expect(admin_, R"(["1990-01-01"])", 422, "malformed");
  expect(admin_, "{", 422, "malformed");
  auto res = Call(verb::post, "/admin/enroll", "application/json", good, admin_);
  ASSERT_EQ(res.result_int(), 200u);
  auto doc = Json::parse(res.body());
  auto secrets = LoadSecrets(dir_.path());
  auto contents = OpenTicket(secrets->ticket_key, kName, doc["ticket"].get<std::string>());
  ASSERT_TRUE(contents.ok());
  EXPECT_EQ(contents->birth_date, (Date{1990, 1, 1}));
  EXPECT_EQ(contents->attributes, std::vector<std::string>{"verified_person"});
  EXPECT_EQ(contents->expires_at, kT0 + 365 * kDay);
  EXPECT_EQ(doc["expires_at"], kT0 + 365 * kDay);
  // Without admin.secret, HTTP enrollment is off.
  std::filesystem::remove(dir_.path() + "/admin.secret");
  auto off = IssuerService::Open(dir_.path(), clock_, rng_, PooledKeys());
  ASSERT_TRUE(off.ok());
  server::Request req{verb::post, "/admin/enroll", 11};
  req.set(server::http::field::authorization, "Bearer " + admin_);
  req.set(server::http::field::content_type, "application/json");
  req.body() = good;
  server::RequestLog log;
  EXPECT_EQ((*off)->HandleRequest(req, log).result_int(), 401u);
}

TEST_F(IssuerServiceTest, StateHoldsOnlyKeyedHashesAndFilesArePrivate) {
  ASSERT_NO_FATAL_FAILURE(Init(Config({"age_over_18"})));
  const std::string ticket = Enroll("1990-01-01");
  Pending p;
  p.Add(KeyFor("age_over_18"), kName, 1, rng_);
  ASSERT_EQ(Call(verb::post, "/token-request", kSingleType, p.SingleBody(0), ticket).result_int(), 200u);
  auto secrets = LoadSecrets(dir_.path());
  auto opened = OpenTicket(secrets->ticket_key, kName, ticket);
  ASSERT_TRUE(opened.ok());
  // Neither the ticket, its id nor the birth date is in the database files.
  std::string db;
  for (const char* f : {"/state.db", "/state.db-wal"}) {
    if (auto bytes = files::ReadFile(dir_.path() + f); bytes.ok()) db += AsString(*bytes);
  }
  ASSERT_FALSE(db.empty());
  EXPECT_EQ(db.find(AsString(opened->ticket_id)), std::string::npos);
  EXPECT_EQ(db.find(ticket.substr(4, 24)), std::string::npos);
  EXPECT_EQ(db.find("1990"), std::string::npos);
  EXPECT_NE(db.find(AsString(TicketHash(secrets->ticket_hash_key, opened->ticket_id))), std::string::npos);
  struct stat st {};
  ASSERT_EQ(stat(dir_.path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_.path())) {
    ASSERT_EQ(stat(entry.path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 077, 0u) << entry.path();
  }
}

TEST(IssuerConfigTest, ValidatesPolicyAndRoundTrips) {
  IssuerConfig c = Config({"age_over_18", "age_over_21"}, {"verified_person"});
  ASSERT_TRUE(ValidateConfig(c).ok());
  auto parsed = ParseConfig(SerializeConfig(c));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->OfferedClaims(), (std::vector<std::string>{"age_over_18", "age_over_21", "verified_person"}));
  auto bad = [&](auto mutate) {
    IssuerConfig x = c;
    mutate(x);
    return !ValidateConfig(x).ok();
  };
  EXPECT_TRUE(bad([](IssuerConfig& x) { x.name = ""; }));
  EXPECT_TRUE(bad([](IssuerConfig& x) { x.name = "bad name"; }));
  EXPECT_TRUE(bad([](IssuerConfig& x) { x.age_claims = {"verified_person"}; }));
  EXPECT_TRUE(bad([](IssuerConfig& x) { x.age_claims = {"age_over_018"}; }));
  EXPECT_TRUE(bad([](IssuerConfig& x) { x.attributes = {"age_over_18"}; }));
  EXPECT_TRUE(bad([](IssuerConfig& x) { x.attributes = {"Verified"}; }));
  EXPECT_TRUE(bad([](IssuerConfig& x) { x.age_claims = {"age_over_18", "age_over_18"}; }));
  EXPECT_TRUE(bad([](IssuerConfig& x) { x.age_claims.clear(), x.attributes.clear(); }));
  EXPECT_TRUE(bad([](IssuerConfig& x) { x.epoch_days = 6; }));
  EXPECT_TRUE(bad([](IssuerConfig& x) { x.rsa_bits = 3072; }));
  EXPECT_TRUE(bad([](IssuerConfig& x) { x.quota = 0; }));
  EXPECT_FALSE(ParseConfig("{}").ok());
  EXPECT_FALSE(ParseConfig(R"({"version":1,"name":"a","claims":["age_over_18"],"attributes":[],"epoch_days":30,)"
                           R"("rsa_bits":2048,"quota":64,"extra":1})")
                   .ok());
  // Epoch arithmetic, including times before 1970 (floor division).
  EXPECT_EQ(c.EpochOf(0), 0);
  EXPECT_EQ(c.EpochOf(kEpoch - 1), 0);
  EXPECT_EQ(c.EpochOf(kEpoch), 1);
  EXPECT_EQ(c.EpochOf(-1), -1);
  EXPECT_EQ(c.KeyNotAfter(0), kEpoch + 7 * kDay);
  EXPECT_EQ(c.KeyPublishAt(1), kEpoch - 2 * kDay);
}

}  // namespace
}  // namespace yesno::issuer
