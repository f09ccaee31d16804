// trust.cc — trust file, directory checks, key set, background refresh.
#include "trust.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
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

// EditDistance is the Levenshtein distance (for "did you mean").
std::size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

constexpr const char* kTrustFields[] = {"name", "directory", "key"};

// ParseJson parses `text`, or says where its syntax breaks (line, column).
Result<nlohmann::json> ParseJson(std::string_view text) {
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    // e.what(): "[json.exception.parse_error.101] parse error at line 3, column 1: syntax error while parsing ..."
    std::string what = e.what();
    const auto at = what.find(" at line ");
    if (at != std::string::npos) what = what.substr(at + 4);
    return MakeError(ErrorCode::kInvalidArgument, "trust file: JSON syntax error " + what);
  }
}

}  // namespace

Result<std::vector<TrustEntry>> ParseTrustFile(std::string_view text) {
  if (text.size() > kMaxTrustFileBytes) return MakeError(ErrorCode::kInvalidArgument, "trust file: too large");
  auto parsed = ParseJson(text);
  if (!parsed.ok()) return parsed.error();
  const nlohmann::json& doc = *parsed;
  if (!doc.is_array()) {
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
    for (const auto& [field, value] : e.items()) {
      if (std::find(std::begin(kTrustFields), std::end(kTrustFields), field) != std::end(kTrustFields)) continue;
      std::string hint;
      for (const char* known : kTrustFields) {
        if (EditDistance(field, known) <= 2) hint = std::string(" (did you mean \"") + known + "\"?)";
      }
      return Bad(i, "unknown field \"" + field + "\"" + hint + "; an entry has \"name\", \"directory\" and \"key\"");
    }
    for (const char* required : kTrustFields) {
      if (!e.contains(required)) return Bad(i, std::string("missing field \"") + required + "\"");
    }
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

Result<IssuerDirectory> AcceptDirectory(const TrustEntry& entry, std::string_view body, std::string_view signature,
                                        int64_t now) {
  auto dir = CheckDirectory(entry, body, signature);
  if (!dir.ok()) return dir;
  // Correctly signed but possibly singling holders out: refused all the same.
  if (Status s = CheckDirectoryKeyConsistency(*dir, now); !s.ok()) {
    return MakeError(ErrorCode::kVerificationFailed, "inconsistent keys: " + s.error().message);
  }
  return dir;
}

Result<SignedDirectory> FetchDirectory(const TrustEntry& entry, const net::HttpClient& client, int64_t now) {
  auto res = client.Get(entry.directory, {{"Accept", kMediaTypeDirectory}});
  if (!res.ok()) return res.error();
  if (res->status != 200) {
    return MakeError(ErrorCode::kUnavailable, "directory fetch answered HTTP " + std::to_string(res->status));
  }
  const auto sig = res->Header("yesno-directory-signature");
  const std::string signature = sig ? *sig : std::string();
  auto dir = AcceptDirectory(entry, res->body, signature, now);
  if (!dir.ok()) return dir.error();
  return SignedDirectory{std::move(*dir), std::move(res->body), signature};
}

std::string DefaultCacheDir() {
  auto env = [](const char* name) -> std::string {
    const char* v = std::getenv(name);
    return v == nullptr ? std::string() : std::string(v);
  };
  if (std::string d = env("CACHE_DIRECTORY"); !d.empty()) return d.substr(0, d.find(':'));
  if (std::string d = env("XDG_CACHE_HOME"); !d.empty()) return d + "/yesno-verifier";
  if (std::string d = env("HOME"); !d.empty()) return d + "/.cache/yesno-verifier";
  return "";
}

std::string CacheFileName(const TrustEntry& entry) {
  Bytes material(entry.name.begin(), entry.name.end());
  material.push_back(0);
  material.insert(material.end(), entry.public_key.begin(), entry.public_key.end());
  return "directory-" + HexEncode(Sha256(material)).substr(0, 32) + ".json";
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
      log_name_(std::move(log_name)),
      clock_(nullptr) {
  if (metrics_ != nullptr) {
    metrics_->Describe("directory_refresh_total", "counter", "Directory fetches by issuer and result");
    metrics_->Describe("trusted_keys", "gauge", "Token keys currently trusted");
  }
}

DirectoryRefresher::~DirectoryRefresher() { Stop(); }

namespace {

const Clock& DefaultClock() {
  static const SystemClock* clock = new SystemClock();
  return *clock;
}

}  // namespace

Status DirectoryRefresher::SetCacheDir(const std::string& dir) {
  cache_dir_.clear();
  if (dir.empty()) return Status::Ok();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir)) {
    return MakeError(ErrorCode::kInvalidArgument, "--cache-dir " + dir + ": cannot create the directory");
  }
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all, std::filesystem::perm_options::replace, ec);
  cache_dir_ = dir;
  return Status::Ok();
}

std::vector<std::string> DirectoryRefresher::Missing() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& entry : trust_) {
    if (good_.count(entry.name) == 0) out.push_back(entry.name);
  }
  return out;
}

std::size_t DirectoryRefresher::PublishKeys() {
  std::shared_ptr<const TrustedKeySet> set;
  std::size_t good = 0;
  std::size_t missing = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    good = good_.size();
    for (const auto& entry : trust_) missing += good_.count(entry.name) == 0 ? 1 : 0;
    set = BuildKeySet(good_, [this](const std::string& m) { server::LogEvent(log_name_, m); });
  }
  if (metrics_ != nullptr) metrics_->Set("trusted_keys", {}, static_cast<double>(set->size()));
  if (good > 0) publish_(std::move(set));
  if (on_missing_) on_missing_(missing);
  return good;
}

std::size_t DirectoryRefresher::LoadCache() {
  if (cache_dir_.empty()) return 0;
  const int64_t now = (clock_ != nullptr ? *clock_ : DefaultClock()).NowSeconds();
  std::size_t taken = 0;
  for (const auto& entry : trust_) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (good_.count(entry.name) != 0) continue;
    }
    const std::string path = cache_dir_ + "/" + CacheFileName(entry);
    if (!files::Exists(path)) continue;
    auto ignore = [&](const std::string& why) {
      server::LogEvent(log_name_, "cached directory of issuer " + entry.name + " ignored: " + why);
    };
    auto bytes = files::ReadFile(path, 2 * kMaxDirectoryBytes + 4096);
    if (!bytes.ok()) {
      ignore("cannot be read");
      continue;
    }
    const auto doc = nlohmann::json::parse(AsString(*bytes), nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object() || !doc.contains("body") || !doc["body"].is_string() || !doc.contains("signature") ||
        !doc["signature"].is_string()) {
      ignore("not a cache file");
      continue;
    }
    const std::string body = doc["body"].get<std::string>();
    const std::string signature = doc["signature"].get<std::string>();
    auto dir = AcceptDirectory(entry, body, signature, now);
    if (!dir.ok()) {
      ignore(dir.error().message);
      continue;
    }
    std::erase_if(dir->keys, [now](const DirectoryKey& k) { return k.not_after <= now; });
    if (dir->keys.empty()) {
      ignore("every key in it has expired");
      continue;
    }
    server::LogEvent(log_name_, "directory of issuer " + entry.name + ": running from cache (" +
                                    std::to_string(dir->keys.size()) +
                                    " keys still valid, signature re-checked); refreshing in the background");
    if (metrics_ != nullptr) metrics_->Add("directory_refresh_total", {{"issuer", entry.name}, {"result", "cache"}});
    std::lock_guard<std::mutex> lock(mu_);
    good_[entry.name] = std::move(*dir);
    cached_[entry.name] = signature;
    ++taken;
  }
  if (taken > 0) PublishKeys();
  return taken;
}

std::size_t DirectoryRefresher::RefreshOnce() {
  const int64_t now = (clock_ != nullptr ? *clock_ : DefaultClock()).NowSeconds();
  std::map<std::string, SignedDirectory> fetched;
  std::string errors;
  for (const auto& entry : trust_) {
    auto dir = FetchDirectory(entry, client_, now);
    const char* result = dir.ok() ? "ok" : "failed";
    if (metrics_ != nullptr) metrics_->Add("directory_refresh_total", {{"issuer", entry.name}, {"result", result}});
    if (dir.ok()) {
      server::LogEvent(log_name_, "directory of issuer " + entry.name + ": verified, " +
                                      std::to_string(dir->directory.keys.size()) + " keys");
      fetched.emplace(entry.name, std::move(*dir));
      continue;
    }
    bool has_good = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      has_good = good_.count(entry.name) != 0;
    }
    if (has_good) {
      server::LogEvent(log_name_, "directory of issuer " + entry.name + " ignored (keeping the last good one): " +
                                      dir.error().message);
    } else {
      server::LogEvent(log_name_, "WARNING: issuer " + entry.name + " has no usable directory (" +
                                      dir.error().message +
                                      ") and none is cached: its claims answer no (unavailable) until it answers");
    }
    if (!errors.empty()) errors += "; ";
    errors += entry.name + ": " + dir.error().message;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [name, signed_dir] : fetched) good_[name] = signed_dir.directory;
    last_errors_ = errors;
  }
  // Keep what was verified for the next start (the exact signed bytes).
  if (!cache_dir_.empty()) {
    for (const auto& entry : trust_) {
      auto it = fetched.find(entry.name);
      if (it == fetched.end() || cached_[entry.name] == it->second.signature) continue;
      const std::string file = nlohmann::json({{"body", it->second.body}, {"signature", it->second.signature}}).dump();
      Status written = files::WriteFileAtomic(cache_dir_ + "/" + CacheFileName(entry), AsBytes(file), 0600);
      if (written.ok()) {
        cached_[entry.name] = it->second.signature;
      } else {
        server::LogEvent(log_name_, "cannot write the cached directory of issuer " + entry.name + ": " +
                                        written.error().message);
      }
    }
  }
  return PublishKeys();
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
