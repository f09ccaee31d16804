// trust.h — which issuers a verifier trusts, and their signed directories.
//
// The trust file is JSON, one entry per issuer:
//   [{"name": "issuer.example",
//     "directory": "https://issuer.example",   (or the full directory URL)
//     "key": "<issuer Ed25519 public key, base64url>"}]
// A directory counts only if its Yesno-Directory-Signature verifies under the
// pinned key, its yesno-issuer-name equals the entry's name, and its keys
// pass CheckDirectoryKeyConsistency ("one key for everyone", DESIGN §8). The
// verifier fetches every directory at start and then in the background; a
// directory that fails is logged (a fixed reason) and ignored, and the
// issuer's last good one is kept. With a cache directory the last verified
// signed directory of every issuer is kept on disk too, so a restart while
// an issuer is down starts from it.
// Each refresh publishes a new immutable TrustedKeySet: request handling
// only ever reads the current one and never waits on the network.
#ifndef YESNO_SERVER_VERIFIER_TRUST_H_
#define YESNO_SERVER_VERIFIER_TRUST_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "http_client.h"
#include "metrics.h"
#include "yesno/bytes.h"
#include "yesno/directory.h"
#include "yesno/result.h"
#include "yesno/rng.h"
#include "yesno/verifier.h"

namespace yesno::verifier {

inline constexpr std::size_t kMaxTrustFileBytes = 256 * 1024;
inline constexpr std::size_t kMaxTrustedIssuers = 64;

struct TrustEntry {
  std::string name;
  net::Url directory;  // the full directory URL
  Bytes public_key;    // pinned Ed25519 key (32 bytes)
};

// ParseTrustFile reads the trust file JSON. A "directory" URL without a path
// gets /.well-known/private-token-issuer-directory appended. Fails with
// kInvalidArgument (with a message naming the bad entry) on anything else:
// missing fields, bad URLs, keys that are not 32 bytes of base64url,
// duplicate names, no entries, more than kMaxTrustedIssuers.
Result<std::vector<TrustEntry>> ParseTrustFile(std::string_view json);
Result<std::vector<TrustEntry>> LoadTrustFile(const std::string& path);

// CheckDirectory verifies a fetched directory body against `entry`:
// signature under the pinned key, then parse, then issuer name.
Result<IssuerDirectory> CheckDirectory(const TrustEntry& entry, std::string_view body, std::string_view signature);
// AcceptDirectory is CheckDirectory plus CheckDirectoryKeyConsistency at `now`.
Result<IssuerDirectory> AcceptDirectory(const TrustEntry& entry, std::string_view body, std::string_view signature,
                                        int64_t now);

// A directory as served: the exact signed body and its signature.
struct SignedDirectory {
  IssuerDirectory directory;
  std::string body;
  std::string signature;
};
// FetchDirectory GETs entry.directory with `client` and runs AcceptDirectory.
Result<SignedDirectory> FetchDirectory(const TrustEntry& entry, const net::HttpClient& client, int64_t now);

// DefaultCacheDir is $CACHE_DIRECTORY (systemd CacheDirectory=), else
// $XDG_CACHE_HOME/yesno-verifier, else $HOME/.cache/yesno-verifier, else "".
std::string DefaultCacheDir();
// CacheFileName names an issuer's cache file: a hash of its name and pinned
// key (so two trust entries never share a file), never the name itself.
std::string CacheFileName(const TrustEntry& entry);

// BuildKeySet turns verified directories into one TrustedKeySet. Keys whose
// SPKI does not parse are skipped; a key id listed by two different issuers
// is dropped from both (one trusted issuer must not shadow another's key).
// `log` receives one line per skipped key.
std::shared_ptr<const TrustedKeySet> BuildKeySet(const std::map<std::string, IssuerDirectory>& directories,
                                                 const std::function<void(const std::string&)>& log = {});

// DirectoryRefresher keeps the last good directory of every trusted issuer
// and publishes a fresh key set after each round of fetches.
class DirectoryRefresher {
 public:
  using Publish = std::function<void(std::shared_ptr<const TrustedKeySet>)>;
  using Tick = std::function<void()>;

  // `metrics` may be null; `log_name` prefixes log events.
  DirectoryRefresher(std::vector<TrustEntry> trust, net::HttpClientOptions client_options, Publish publish,
                     server::Metrics* metrics = nullptr, std::string log_name = "yesno-verifier");
  ~DirectoryRefresher();
  DirectoryRefresher(const DirectoryRefresher&) = delete;
  DirectoryRefresher& operator=(const DirectoryRefresher&) = delete;

  // RefreshOnce fetches every directory once (sequentially, each bounded by
  // the client timeout), publishes the key set and returns how many issuers
  // now have a good directory.
  std::size_t RefreshOnce();
  // LastErrors describes the failures of the last round ("name: why; ...").
  std::string LastErrors() const;
  // SetClock replaces the system clock (tests); `clock` must outlive this.
  void SetClock(const Clock* clock) { clock_ = clock; }
  // SetCacheDir keeps the last verified signed directory of every issuer in
  // `dir` (created 0700 when missing); "" keeps none. Call before LoadCache.
  Status SetCacheDir(const std::string& dir);
  // LoadCache takes, for every issuer without a good directory, its cached
  // one: signature, name and key consistency re-checked, keys whose
  // not-after has passed dropped. Publishes when it took any; returns how
  // many it took.
  std::size_t LoadCache();
  // Missing names the issuers with no good directory (neither fetched nor
  // cached): their claims cannot be checked.
  std::vector<std::string> Missing() const;
  // SetOnMissing is told, after every publish, how many issuers are missing.
  void SetOnMissing(std::function<void(std::size_t)> on_missing) { on_missing_ = std::move(on_missing); }
  // Start runs, on a background thread, every `interval` until Stop():
  // RefreshOnce, then `tick` (e.g. purging the spent store).
  void Start(std::chrono::milliseconds interval, Tick tick = {});
  void Stop();

 private:
  // PublishKeys builds and publishes the key set of good_ (when there is any)
  // and tells on_missing_; returns how many issuers have a good directory.
  std::size_t PublishKeys();

  std::vector<TrustEntry> trust_;
  net::HttpClient client_;
  Publish publish_;
  server::Metrics* metrics_;
  std::string log_name_;
  const Clock* clock_;
  std::string cache_dir_;
  std::function<void(std::size_t)> on_missing_;
  std::map<std::string, std::string> cached_;    // by issuer name: the signature last written to the cache
  mutable std::mutex mu_;
  std::map<std::string, IssuerDirectory> good_;  // by issuer name
  std::string last_errors_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace yesno::verifier

#endif  // YESNO_SERVER_VERIFIER_TRUST_H_
