#include "issuer_config.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "yesno/claims.h"

namespace yesno::issuer {
namespace {

using Json = nlohmann::ordered_json;
constexpr int kConfigVersion = 1;

Error Invalid(std::string message) { return MakeError(ErrorCode::kInvalidArgument, std::move(message)); }

bool ReadStringList(const Json& doc, const char* field, std::vector<std::string>& out) {
  auto it = doc.find(field);
  if (it == doc.end() || !it->is_array()) return false;
  for (const auto& v : *it) {
    if (!v.is_string()) return false;
    out.push_back(v.get<std::string>());
  }
  return true;
}

bool ReadInt(const Json& doc, const char* field, int& out) {
  auto it = doc.find(field);
  if (it == doc.end() || !it->is_number_integer()) return false;
  const auto v = it->get<int64_t>();
  if (v < 0 || v > 1'000'000) return false;
  out = static_cast<int>(v);
  return true;
}

}  // namespace

std::vector<std::string> IssuerConfig::OfferedClaims() const {
  std::vector<std::string> out = age_claims;
  out.insert(out.end(), attributes.begin(), attributes.end());
  return out;
}

int64_t IssuerConfig::EpochOf(int64_t now) const {
  const int64_t s = epoch_seconds();
  int64_t e = now / s;
  if (now % s != 0 && now < 0) --e;  // floor division
  return e;
}

bool IsValidIssuerName(std::string_view name) {
  if (name.empty() || name.size() > kMaxIssuerNameBytes) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
           c == '_' || c == ':';
  });
}

Status ValidateConfig(const IssuerConfig& c) {
  if (!IsValidIssuerName(c.name)) {
    return Invalid("--name must be 1..253 characters of A-Z a-z 0-9 . - _ : (e.g. issuer.example)");
  }
  std::set<std::string> seen;
  for (const auto& claim : c.age_claims) {
    if (!AgeClaimThreshold(claim)) {
      return Invalid("--claims takes age claims age_over_N (N = 1..150, no leading zero); got '" + claim +
                     "' (attribute claims go in --attributes)");
    }
    if (!seen.insert(claim).second) return Invalid("claim listed twice: " + claim);
  }
  for (const auto& a : c.attributes) {
    if (!IsValidClaimName(a)) return Invalid("attribute '" + a + "' is not a claim name [a-z0-9_]{1,32}");
    if (AgeClaimThreshold(a) || a.rfind("age_over_", 0) == 0) {
      return Invalid("attribute '" + a + "' looks like an age claim; age claims go in --claims");
    }
    if (!seen.insert(a).second) return Invalid("claim listed twice: " + a);
  }
  if (seen.empty()) return Invalid("the issuer must offer at least one claim (--claims or --attributes)");
  if (seen.size() > kMaxOfferedClaims) return Invalid("at most 32 claims in --claims and --attributes together");
  if (c.epoch_days < kMinEpochDays || c.epoch_days > kMaxEpochDays) return Invalid("--epoch-days must be 7..365");
  if (c.rsa_bits != 2048) {
    return Invalid("--rsa-bits must be 2048: token type 0x0002 fixes the modulus at 2048 bits (RFC 9578 §6)");
  }
  if (c.quota < 1 || c.quota > kMaxQuota) return Invalid("--quota must be 1..10000");
  if (Status s = ValidateStoreSpec(c.store); !s.ok()) return s;
  return Status::Ok();
}

Status ValidateStoreSpec(std::string_view store) {
  if (store.empty() || store == "sqlite") return Status::Ok();
  if (store.rfind("postgresql://", 0) != 0 && store.rfind("postgres://", 0) != 0) {
    return Invalid("--store must be sqlite (the default: a file in the state directory) or a postgresql:// URL");
  }
  if (store.size() > 1024) return Invalid("--store URL is longer than 1024 characters");
  for (char ch : store) {
    if (static_cast<unsigned char>(ch) < 0x21 || static_cast<unsigned char>(ch) > 0x7e) {
      return Invalid("--store URL must be printable ASCII without spaces");
    }
  }
  if (IsPostgresPasswordInUrl(store)) {
    return Invalid("--store must not carry a password (it would be written to issuer.json and shown by ps): put it in "
                   "a PGPASSFILE (~/.pgpass, mode 0600) or the PGPASSWORD environment variable");
  }
  return Status::Ok();
}

bool IsPostgresStore(std::string_view store) {
  return store.rfind("postgresql://", 0) == 0 || store.rfind("postgres://", 0) == 0;
}

bool IsPostgresPasswordInUrl(std::string_view url) {
  if (url.find("password=") != std::string_view::npos) return true;
  const auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return false;
  const std::string_view rest = url.substr(scheme + 3);
  const auto at = rest.find('@');
  const auto slash = rest.find('/');
  if (at == std::string_view::npos || (slash != std::string_view::npos && slash < at)) return false;
  return rest.substr(0, at).find(':') != std::string_view::npos;
}

Result<IssuerConfig> ParseConfig(std::string_view text) {
  Json doc = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return MakeError(ErrorCode::kMalformedInput, "issuer.json: not JSON");
  static const std::set<std::string> kFields = {"version",    "name",     "claims", "attributes",
                                                "epoch_days", "rsa_bits", "quota",      "store"};
  for (const auto& [key, value] : doc.items()) {
    if (!kFields.count(key)) return MakeError(ErrorCode::kMalformedInput, "issuer.json: unknown field " + key);
  }
  IssuerConfig c;
  int version = 0;
  auto name = doc.find("name");
  if (!ReadInt(doc, "version", version) || version != kConfigVersion || name == doc.end() || !name->is_string() ||
      !ReadStringList(doc, "claims", c.age_claims) || !ReadStringList(doc, "attributes", c.attributes) ||
      !ReadInt(doc, "epoch_days", c.epoch_days) || !ReadInt(doc, "rsa_bits", c.rsa_bits) ||
      !ReadInt(doc, "quota", c.quota)) {
    return MakeError(ErrorCode::kMalformedInput, "issuer.json: missing or mistyped field (or another version)");
  }
  c.name = name->get<std::string>();
  if (auto store = doc.find("store"); store != doc.end()) {
    if (!store->is_string()) return MakeError(ErrorCode::kMalformedInput, "issuer.json: store must be a string");
    c.store = store->get<std::string>();
  }
  if (Status s = ValidateConfig(c); !s.ok()) {
    return MakeError(ErrorCode::kMalformedInput, "issuer.json: " + s.error().message);
  }
  return c;
}

std::string SerializeConfig(const IssuerConfig& c) {
  Json doc;
  doc["version"] = kConfigVersion;
  doc["name"] = c.name;
  doc["claims"] = c.age_claims;
  doc["attributes"] = c.attributes;
  doc["epoch_days"] = c.epoch_days;
  doc["rsa_bits"] = c.rsa_bits;
  doc["quota"] = c.quota;
  if (!c.store.empty()) doc["store"] = c.store;
  return doc.dump(2) + "\n";
}

}  // namespace yesno::issuer
