// trust.cc — trust file, directory checks, key set, background refresh.
#include "trust.h"

#include <nlohmann/json.hpp>
#include <set>

#include "files.h"
#include "log.h"
#include "yesno/pop.h"
#include "yesno/token.h"

namespace yesno::verifier {
namespace {

Error Bad(std::size_t index, const std::string& what) {
  return MakeError(ErrorCode::kInvalidArgument, "trust file entry " + std::to_string(index) + ": " + what);
}

}  // namespace

Result<std::vector<TrustEntry>> ParseTrustFile(std::string_view text) {
  if (text.size() > kMaxTrustFileBytes) return MakeError(ErrorCode::kInvalidArgument, "trust file: too large");
  const auto doc = nlohmann::json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_array()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "trust file: expected a JSON array of {\"name\", \"directory\", \"key\"} objects");
  }
  if (doc.empty()) return MakeError(ErrorCode::kInvalidArgument, "trust file: no issuers listed");
  if (doc.size() > kMaxTrustedIssuers) return MakeError(ErrorCode::kInvalidArgument, "trust file: too many issuers");
  std::vector<TrustEntry> out;
  std::set<std::string> names;
  for (std::size_t i = 0; i < doc.size(); ++i) {
    const auto& e = doc[i];
    if (!e.is_object()) return Bad(i, "not an object");
    auto name = e.find("name");
    auto dir = e.find("directory");
    auto key = e.find("key");
    if (name == e.end() || !name->is_string() || name->get<std::string>().empty() ||
        name->get<std::string>().size() > 0xffff) {
      return Bad(i, "\"name\" must be the issuer's name (its directory's yesno-issuer-name)");
    }
    TrustEntry entry;
    entry.name = name->get<std::string>();
    if (!names.insert(entry.name).second) return Bad(i, "issuer \"" + entry.name + "\" is listed twice");
    if (dir == e.end() || !dir->is_string()) return Bad(i, "\"directory\" must be a URL");
    auto url = net::ParseUrl(dir->get<std::string>());
    if (!url.ok()) return Bad(i, "\"directory\": " + url.error().message);
    entry.directory = *url;
    if (entry.directory.target == "/") entry.directory.target = kDirectoryPath;
    if (key == e.end() || !key->is_string()) return Bad(i, "\"key\" must be the issuer's Ed25519 public key (base64url)");
    auto key_bytes = Base64UrlDecode(key->get<std::string>());
    if (!key_bytes.ok() || key_bytes->size() != kEd25519PublicKeyBytes) {
      return Bad(i, "\"key\" is not 32 bytes of base64url");
    }
    entry.public_key = std::move(*key_bytes);
    out.push_back(std::move(entry));
  }
  return out;
}

Result<std::vector<TrustEntry>> LoadTrustFile(const std::string& path) {
  auto bytes = files::ReadFile(path, kMaxTrustFileBytes);
  if (!bytes.ok()) return MakeError(ErrorCode::kInvalidArgument, "cannot read --trust " + path + ": " + bytes.error().message);
  auto entries = ParseTrustFile(AsString(*bytes));
  if (!entries.ok()) return MakeError(ErrorCode::kInvalidArgument, path + ": " + entries.error().message);
  return entries;
}

Result<IssuerDirectory> CheckDirectory(const TrustEntry& entry, std::string_view body, std::string_view signature) {
  if (signature.empty()) return MakeError(ErrorCode::kVerificationFailed, "directory is not signed");
  if (Status s = VerifyDirectorySignature(entry.public_key, body, signature); !s.ok()) {
    return MakeError(ErrorCode::kVerificationFailed, "directory signature does not verify under the pinned key");
  }
  auto dir = ParseDirectory(body);
  if (!dir.ok()) return dir.error();
  if (dir->issuer_name != entry.name) {
    return MakeError(ErrorCode::kVerificationFailed, "directory names another issuer (yesno-issuer-name mismatch)");
  }
  return dir;
}

Result<IssuerDirectory> FetchDirectory(const TrustEntry& entry, const net::HttpClient& client) {
  auto res = client.Get(entry.directory, {{"Accept", kMediaTypeDirectory}});
  if (!res.ok()) return res.error();
  if (res->status != 200) {
    return MakeError(ErrorCode::kUnavailable, "directory fetch answered HTTP " + std::to_string(res->status));
  }
  const auto sig = res->Header("yesno-directory-signature");
  return CheckDirectory(entry, res->body, sig ? *sig : std::string_view());
}

std::shared_ptr<const TrustedKeySet> BuildKeySet(const std::map<std::string, IssuerDirectory>& directories,
                                                 const std::function<void(const std::string&)>& log) {
  std::map<Bytes, std::vector<TrustedKey>> by_id;
  for (const auto& [name, dir] : directories) {
    for (const auto& k : dir.keys) {
      auto pk = RsaPublicKey::FromSpki(k.token_key);
      if (!pk.ok() || pk->modulus_bytes() != kBlindRsaNk) {
        if (log) log("issuer " + name + ": skipping a key that is not a canonical RSA-2048 PSS SPKI");
        continue;
      }
      by_id[pk->KeyId()].push_back(TrustedKey{*pk, dir.issuer_name, k.claim, k.not_before, k.not_after});
    }
  }
  auto set = std::make_shared<TrustedKeySet>();
  for (auto& [id, keys] : by_id) {
    std::set<std::string> issuers;
    for (const auto& k : keys) issuers.insert(k.issuer_name);
    if (issuers.size() > 1) {
      if (log) log("key id " + HexEncode(id).substr(0, 16) + "... is listed by several issuers; dropped");
      continue;
    }
    set->Add(std::move(keys.back()));
  }
  return set;
}

// --- refresher --------------------------------------------------------------------

DirectoryRefresher::DirectoryRefresher(std::vector<TrustEntry> trust, net::HttpClientOptions client_options,
                                       Publish publish, server::Metrics* metrics, std::string log_name)
    : trust_(std::move(trust)),
      client_(std::move(client_options)),
      publish_(std::move(publish)),
      metrics_(metrics),
      log_name_(std::move(log_name)) {
  if (metrics_ != nullptr) {
    metrics_->Describe("directory_refresh_total", "counter", "Directory fetches by issuer and result");
    metrics_->Describe("trusted_keys", "gauge", "Token keys currently trusted");
  }
}

DirectoryRefresher::~DirectoryRefresher() { Stop(); }

std::size_t DirectoryRefresher::RefreshOnce() {
  std::map<std::string, IssuerDirectory> fetched;
  std::string errors;
  for (const auto& entry : trust_) {
    auto dir = FetchDirectory(entry, client_);
    const char* result = dir.ok() ? "ok" : "failed";
    if (metrics_ != nullptr) metrics_->Add("directory_refresh_total", {{"issuer", entry.name}, {"result", result}});
    if (dir.ok()) {
      server::LogEvent(log_name_, "directory of issuer " + entry.name + ": verified, " +
                                      std::to_string(dir->keys.size()) + " keys");
      fetched.emplace(entry.name, std::move(*dir));
    } else {
      server::LogEvent(log_name_, "directory of issuer " + entry.name + " ignored (keeping the last good one): " +
                                      dir.error().message);
      if (!errors.empty()) errors += "; ";
      errors += entry.name + ": " + dir.error().message;
    }
  }
  std::shared_ptr<const TrustedKeySet> set;
  std::size_t good = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [name, dir] : fetched) good_[name] = std::move(dir);
    last_errors_ = errors;
    good = good_.size();
    set = BuildKeySet(good_, [this](const std::string& m) { server::LogEvent(log_name_, m); });
  }
  if (metrics_ != nullptr) metrics_->Set("trusted_keys", {}, static_cast<double>(set->size()));
  if (good > 0) publish_(std::move(set));
  return good;
}

std::string DirectoryRefresher::LastErrors() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_errors_;
}

void DirectoryRefresher::Start(std::chrono::milliseconds interval, Tick tick) {
  Stop();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = false;
  }
  thread_ = std::thread([this, interval, tick = std::move(tick)] {
    std::unique_lock<std::mutex> lock(mu_);
    while (!cv_.wait_for(lock, interval, [this] { return stop_; })) {
      lock.unlock();
      RefreshOnce();
      if (tick) tick();
      lock.lock();
    }
  });
}

void DirectoryRefresher::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace yesno::verifier
