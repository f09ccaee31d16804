// issuer_config.h — the issuer's policy (DIR/issuer.json) and its key-epoch
// arithmetic.
//
// The policy names the issuer, the claims it offers and the attributes an
// operator may record at enrollment. It holds nothing about any person.
#ifndef YESNO_SERVER_ISSUER_ISSUER_CONFIG_H_
#define YESNO_SERVER_ISSUER_ISSUER_CONFIG_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "yesno/directory.h"
#include "yesno/result.h"

namespace yesno::issuer {

inline constexpr int64_t kDaySeconds = kKeyDaySeconds;
// A key is published (listed in the directory) this long before its epoch.
inline constexpr int64_t kPublishAheadSeconds = kKeyPublishAheadSeconds;
// Tokens of a key stay valid this long after its epoch ends.
inline constexpr int64_t kGraceSeconds = kKeyGraceSeconds;

inline constexpr int kMinEpochDays = 7;
inline constexpr int kMaxEpochDays = 365;
static_assert(kMinEpochDays * kDaySeconds == kMinKeyEpochSeconds && kMaxEpochDays * kDaySeconds == kMaxKeyEpochSeconds,
              "the issuer's epoch bounds are the ones wallets and verifiers check");
inline constexpr int kMaxQuota = 10000;
inline constexpr int kDefaultQuota = 64;
inline constexpr int kDefaultValidDays = 365;
inline constexpr int kMaxValidDays = 3660;
inline constexpr std::size_t kMaxOfferedClaims = 32;
inline constexpr std::size_t kMaxIssuerNameBytes = 253;

struct IssuerConfig {
  std::string name;                     // TokenChallenge issuer_name, e.g. "issuer.example"
  std::vector<std::string> age_claims;  // offered age_over_N claims
  std::vector<std::string> attributes;  // attribute claims an operator may record (and that are offered)
  int epoch_days = 30;
  int rsa_bits = 2048;
  int quota = kDefaultQuota;  // tokens per (ticket, claim, epoch)

  // OfferedClaims is age_claims then attributes: every claim with keys.
  std::vector<std::string> OfferedClaims() const;
  int64_t epoch_seconds() const { return static_cast<int64_t>(epoch_days) * kDaySeconds; }

  // Epoch arithmetic (DESIGN §4): epoch e covers [e*S, (e+1)*S); its keys
  // are published from e*S - 2 days and accepted until (e+1)*S + 7 days.
  int64_t EpochOf(int64_t now) const;
  int64_t EpochStart(int64_t epoch) const { return epoch * epoch_seconds(); }
  int64_t KeyNotBefore(int64_t epoch) const { return EpochStart(epoch); }
  int64_t KeyNotAfter(int64_t epoch) const { return EpochStart(epoch + 1) + kGraceSeconds; }
  int64_t KeyPublishAt(int64_t epoch) const { return EpochStart(epoch) - kPublishAheadSeconds; }
};

// IsValidIssuerName accepts 1..253 bytes of [A-Za-z0-9.-_:] (a host name,
// optionally with a port).
bool IsValidIssuerName(std::string_view name);

// ValidateConfig checks every field; the message says which one is wrong.
Status ValidateConfig(const IssuerConfig& config);
// ParseConfig strictly reads issuer.json (unknown fields are errors).
Result<IssuerConfig> ParseConfig(std::string_view json);
std::string SerializeConfig(const IssuerConfig& config);

}  // namespace yesno::issuer

#endif  // YESNO_SERVER_ISSUER_ISSUER_CONFIG_H_
