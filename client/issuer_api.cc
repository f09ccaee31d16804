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

std::string ReasonOf(const net::HttpResponse& response) {
  std::string reason;
  auto doc = nlohmann::json::parse(response.body, nullptr, false);
  if (doc.is_object() && doc.contains("error") && doc["error"].is_string()) reason = doc["error"].get<std::string>();
  if (doc.is_object() && doc.contains("reason") && doc["reason"].is_string()) reason = doc["reason"].get<std::string>();
  return reason;
}

std::string ExplainNetError(const net::Url& url, const Error& error) {
  const std::string& m = error.message;
  const std::string where = url.scheme + "://" + url.host + ":" + std::to_string(url.port);
  auto has = [&m](std::string_view s) { return m.find(s) != std::string::npos; };
  if (has("wrong version number") || has("packet length too long") || has("http request")) {
    return where + " does not speak https (it answered in plain http): use http://" + url.host + ":" +
           std::to_string(url.port) + " for a local test server, or check the port";
  }
  if (has("Connection refused")) {
    return "nothing answers at " + where + " (connection refused): check the address and port, and that the server runs";
  }
  if (has("timed out")) return where + " did not answer in time (" + m + "): try again later, or raise --timeout";
  if (has("certificate verify failed") || has("certificate")) {
    return "the certificate of " + url.host + " is not trusted (" + m + "): check the address, or pass the CA with --ca-file";
  }
  if (has("cannot resolve")) return "cannot find " + url.host + " (" + m + "): check the spelling and your network";
  return m;
}

Result<net::Url> IssuerBaseUrl(std::string_view text) {
  auto url = net::ParseUrl(text);
  if (!url.ok()) return url.error();
  std::string& t = url->target;
  if (const std::string_view well_known = kDirectoryPath; t.size() >= well_known.size() &&
      t.compare(t.size() - well_known.size(), well_known.size(), well_known) == 0) {
    t.resize(t.size() - well_known.size());
  }
  while (t.size() > 1 && t.back() == '/') t.pop_back();
  if (t.empty()) t = "/";
  if (t.find('?') != std::string::npos) {
    return MakeError(ErrorCode::kInvalidArgument, "the issuer's base URL has no query (e.g. https://issuer.example)");
  }
  return url;
}

Error HttpFailure(const std::string& what, const net::HttpResponse& response) {
  const std::string reason = ReasonOf(response);
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

Result<Entitlements> FetchEntitlements(const net::HttpClient& http, const net::Url& issuer, const SecretBytes& ticket,
                                       net::HttpResponse* refusal) {
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
  if (res->status != 200) {
    if (refusal != nullptr) *refusal = *res;
    return HttpFailure("asking the issuer for entitlements", *res);
  }
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
      if (q.is_object() && q.contains("limit") && q["limit"].is_number_integer()) out.limit[claim] = q["limit"].get<int64_t>();
    }
  }
  return out;
}

}  // namespace yesno::cli
