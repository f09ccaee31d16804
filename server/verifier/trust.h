// trust.h — which issuers a verifier trusts, and their signed directories.
//
// The trust file is JSON, one entry per issuer:
//   [{"name": "issuer.example",
//     "directory": "https://issuer.example",   (or the full directory URL)
//     "key": "<issuer Ed25519 public key, base64url>"}]
// A directory counts only if its Yesno-Directory-Signature verifies under the
// pinned key and its yesno-issuer-name equals the entry's name. The verifier
// fetches every directory at start and then in the background; a directory
// that fails is logged and ignored, and the issuer's last good one is kept.
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
// FetchDirectory GETs entry.directory with `client` and runs CheckDirectory.
Result<IssuerDirectory> FetchDirectory(const TrustEntry& entry, const net::HttpClient& client);

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
  // Start runs, on a background thread, every `interval` until Stop():
  // RefreshOnce, then `tick` (e.g. purging the spent store).
  void Start(std::chrono::milliseconds interval, Tick tick = {});
  void Stop();

 private:
  std::vector<TrustEntry> trust_;
  net::HttpClient client_;
  Publish publish_;
  server::Metrics* metrics_;
  std::string log_name_;
  mutable std::mutex mu_;
  std::map<std::string, IssuerDirectory> good_;  // by issuer name
  std::string last_errors_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace yesno::verifier

#endif  // YESNO_SERVER_VERIFIER_TRUST_H_
