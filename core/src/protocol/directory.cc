// directory.cc — the signed issuer directory.
#include "yesno/directory.h"

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "yesno/claims.h"
#include "yesno/pop.h"

namespace yesno {
namespace {

using Json = nlohmann::ordered_json;

Error Malformed(const char* what) { return MakeError(ErrorCode::kMalformedInput, what); }

bool GetInt64(const Json& obj, const char* name, int64_t& out) {
  auto it = obj.find(name);
  if (it == obj.end() || !it->is_number_integer()) return false;
  out = it->get<int64_t>();
  return out >= 0;
}

}  // namespace

Status CheckDirectoryKeyConsistency(const IssuerDirectory& directory, int64_t now) {
  auto fail = [](const std::string& why) { return MakeError(ErrorCode::kVerificationFailed, why); };
  int64_t grid = 0;  // the epoch length S every key must share
  std::set<Bytes> seen_keys;
  std::map<std::string, std::set<int64_t>> epochs;  // claim -> not-before of each key
  for (const DirectoryKey& k : directory.keys) {
    const int64_t epoch_seconds = k.not_after - k.not_before - kKeyGraceSeconds;
    if (epoch_seconds < kMinKeyEpochSeconds || epoch_seconds > kMaxKeyEpochSeconds ||
        epoch_seconds % kKeyDaySeconds != 0 || k.not_before % epoch_seconds != 0) {
      return fail("a key for " + k.claim + " has a validity window off the issuer's epoch grid");
    }
    if (grid == 0) grid = epoch_seconds;
    if (epoch_seconds != grid) return fail("the directory's keys do not share one epoch length");
    if (!seen_keys.insert(k.token_key).second) return fail("one key is listed twice or under two claims");
    if (!epochs[k.claim].insert(k.not_before).second) {
      return fail("the directory lists two keys for " + k.claim + " in one epoch");
    }
    if (epochs[k.claim].size() > kMaxKeysPerClaim) {
      return fail("the directory lists more keys for " + k.claim + " than key rotation produces");
    }
    if (k.not_before - kKeyPublishAheadSeconds - kKeyClockSkewSeconds > now) {
      return fail("the directory lists a key for " + k.claim + " before its publication time");
    }
  }
  return Status::Ok();
}

std::string SerializeDirectory(const IssuerDirectory& directory) {
  Json keys = Json::array();
  for (const auto& k : directory.keys) {
    Json entry;
    entry["token-type"] = k.token_type;
    entry["token-key"] = Base64UrlEncode(k.token_key);
    entry["not-before"] = k.not_before;
    entry["not-after"] = k.not_after;
    entry["yesno-claim"] = k.claim;
    if (k.issued) entry["yesno-issued"] = *k.issued;
    keys.push_back(std::move(entry));
  }
  Json doc;
  doc["issuer-request-uri"] = directory.issuer_request_uri;
  doc["yesno-issuer-name"] = directory.issuer_name;
  doc["token-keys"] = std::move(keys);
  return doc.dump();
}

Result<IssuerDirectory> ParseDirectory(std::string_view body) {
  if (body.size() > kMaxDirectoryBytes) return Malformed("directory: too large");
  Json doc = Json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return Malformed("directory: not a JSON object");
  IssuerDirectory dir;
  auto uri = doc.find("issuer-request-uri");
  auto name = doc.find("yesno-issuer-name");
  auto keys = doc.find("token-keys");
  if (uri == doc.end() || !uri->is_string() || name == doc.end() || !name->is_string() || keys == doc.end() ||
      !keys->is_array()) {
    return Malformed("directory: missing issuer-request-uri, yesno-issuer-name or token-keys");
  }
  dir.issuer_request_uri = uri->get<std::string>();
  dir.issuer_name = name->get<std::string>();
  if (dir.issuer_name.empty() || dir.issuer_name.size() > 0xffff) return Malformed("directory: bad issuer name");
  for (const auto& entry : *keys) {
    if (!entry.is_object()) return Malformed("directory: token-keys entry is not an object");
    auto type = entry.find("token-type");
    if (type == entry.end() || !type->is_number_unsigned() || type->get<uint64_t>() > 0xffff) {
      return Malformed("directory: bad token-type");
    }
    if (type->get<uint64_t>() != 2) continue;  // other token types are not ours to use
    DirectoryKey k;
    auto key = entry.find("token-key");
    auto claim = entry.find("yesno-claim");
    if (key == entry.end() || !key->is_string() || claim == entry.end() || !claim->is_string()) {
      return Malformed("directory: missing token-key or yesno-claim");
    }
    auto key_bytes = Base64UrlDecode(key->get<std::string>());
    if (!key_bytes.ok() || key_bytes->empty()) return Malformed("directory: token-key is not base64url");
    k.token_key = std::move(*key_bytes);
    k.claim = claim->get<std::string>();
    if (!IsValidClaimName(k.claim)) return Malformed("directory: bad yesno-claim");
    if (!GetInt64(entry, "not-before", k.not_before) || !GetInt64(entry, "not-after", k.not_after) ||
        k.not_after <= k.not_before) {
      return Malformed("directory: bad not-before/not-after");
    }
    if (auto issued = entry.find("yesno-issued"); issued != entry.end()) {
      if (!issued->is_number_unsigned()) return Malformed("directory: bad yesno-issued");
      k.issued = issued->get<uint64_t>();
    }
    dir.keys.push_back(std::move(k));
  }
  return dir;
}

Result<std::string> SignDirectory(ByteView signing_seed, std::string_view body) {
  auto sig = Ed25519Sign(signing_seed, AsBytes(body));
  if (!sig.ok()) return sig.error();
  return Base64UrlEncode(*sig);
}

Status VerifyDirectorySignature(ByteView issuer_public_key, std::string_view body, std::string_view signature_b64) {
  auto sig = Base64UrlDecode(signature_b64);
  if (!sig.ok()) return MakeError(ErrorCode::kMalformedInput, "directory signature: not base64url");
  Status s = Ed25519Verify(issuer_public_key, AsBytes(body), *sig);
  if (!s.ok()) return MakeError(s.error().code, "directory signature: " + s.error().message);
  return Status::Ok();
}

}  // namespace yesno
