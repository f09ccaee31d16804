#include "issuer_api.h"

#include <nlohmann/json.hpp>

namespace yesno::cli {

Result<net::Url> JoinUrl(const net::Url& base, std::string_view route) {
  net::Url out = base;
  std::string prefix = base.target.substr(0, base.target.find('?'));
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  out.target = prefix + std::string(route);
  return out;
}

Error HttpFailure(const std::string& what, const net::HttpResponse& response) {
  std::string reason;
  auto doc = nlohmann::json::parse(response.body, nullptr, false);
  if (doc.is_object() && doc.contains("error") && doc["error"].is_string()) reason = doc["error"].get<std::string>();
  if (doc.is_object() && doc.contains("reason") && doc["reason"].is_string()) reason = doc["reason"].get<std::string>();
  std::string message = what + ": HTTP " + std::to_string(response.status);
  if (!reason.empty()) message += " (" + reason + ")";
  return MakeError(response.status >= 500 ? ErrorCode::kUnavailable : ErrorCode::kInvalidArgument, message);
}

Result<IssuerDirectory> CheckStoredDirectory(std::string_view body, std::string_view signature, ByteView pinned_key) {
  if (Status s = VerifyDirectorySignature(pinned_key, body, signature); !s.ok()) {
    return MakeError(ErrorCode::kVerificationFailed, "the issuer directory's signature does not verify with the pinned key");
  }
  return ParseDirectory(body);
}

Result<VerifiedDirectory> FetchDirectory(const net::HttpClient& http, const net::Url& issuer, ByteView pinned_key) {
  auto url = JoinUrl(issuer, kDirectoryPath);
  if (!url.ok()) return url.error();
  auto res = http.Get(*url);
  if (!res.ok()) return MakeError(res.error().code, "fetching the issuer directory: " + res.error().message);
  if (res->status != 200) return HttpFailure("fetching the issuer directory", *res);
  auto sig = res->Header("yesno-directory-signature");
  if (!sig) return MakeError(ErrorCode::kVerificationFailed, "the issuer directory is not signed");
  auto dir = CheckStoredDirectory(res->body, *sig, pinned_key);
  if (!dir.ok()) return dir.error();
  return VerifiedDirectory{std::move(*dir), std::move(res->body), std::move(*sig)};
}

const DirectoryKey* IssuingKey(const IssuerDirectory& directory, std::string_view claim, int64_t now) {
  const DirectoryKey* best = nullptr;
  for (const auto& k : directory.keys) {
    if (k.claim != claim || k.token_type != 2 || now < k.not_before || now >= k.not_after) continue;
    if (best == nullptr || k.not_before > best->not_before) best = &k;
  }
  return best;
}

Result<Entitlements> FetchEntitlements(const net::HttpClient& http, const net::Url& issuer, const SecretBytes& ticket) {
  auto url = JoinUrl(issuer, "/entitlements");
  if (!url.ok()) return url.error();
  net::HttpRequest req;
  req.method = "POST";
  req.url = *url;
  req.headers.emplace_back("Authorization", "Bearer " + AsString(View(ticket)));
  auto res = http.Send(req);
  // The request string held the ticket; it is gone with `req` (a bearer
  // credential the server sees anyway), but never printed.
  if (!res.ok()) return MakeError(res.error().code, "asking the issuer for entitlements: " + res.error().message);
  if (res->status != 200) return HttpFailure("asking the issuer for entitlements", *res);
  auto doc = nlohmann::json::parse(res->body, nullptr, false);
  if (!doc.is_object() || !doc.contains("claims") || !doc["claims"].is_array()) {
    return MakeError(ErrorCode::kMalformedInput, "the issuer's entitlements answer is not understood");
  }
  Entitlements out;
  for (const auto& c : doc["claims"]) {
    if (c.is_string()) out.claims.push_back(c.get<std::string>());
  }
  if (doc.contains("expires_at") && doc["expires_at"].is_number_integer()) out.expires_at = doc["expires_at"].get<int64_t>();
  if (doc.contains("quota") && doc["quota"].is_object()) {
    for (const auto& [claim, q] : doc["quota"].items()) {
      if (q.is_object() && q.contains("remaining") && q["remaining"].is_number_integer()) {
        out.remaining[claim] = q["remaining"].get<int64_t>();
      }
    }
  }
  return out;
}

}  // namespace yesno::cli
