// issuer_api.h — the wallet's calls to an issuer (docs/api.md): the signed
// directory, entitlements, and batched token requests.
#ifndef YESNO_CLIENT_ISSUER_API_H_
#define YESNO_CLIENT_ISSUER_API_H_

#include <map>
#include <string>
#include <vector>

#include "http_client.h"
#include "yesno/blind_rsa.h"
#include "yesno/directory.h"
#include "yesno/result.h"
#include "yesno/secret_bytes.h"

namespace yesno::cli {

// JoinUrl appends `route` ("/x") to a base URL that may carry a path prefix.
Result<net::Url> JoinUrl(const net::Url& base, std::string_view route);

struct VerifiedDirectory {
  IssuerDirectory directory;
  std::string body;
  std::string signature;
};

// FetchDirectory gets the directory and checks its signature against the
// pinned key; an unsigned or mis-signed directory is refused.
Result<VerifiedDirectory> FetchDirectory(const net::HttpClient& http, const net::Url& issuer, ByteView pinned_key);
// CheckStoredDirectory re-verifies a stored copy and parses it.
Result<IssuerDirectory> CheckStoredDirectory(std::string_view body, std::string_view signature, ByteView pinned_key);

// IssuingKey picks the key to refill `claim` with at `now`: the valid key
// with the latest not-before (the current epoch's).
const DirectoryKey* IssuingKey(const IssuerDirectory& directory, std::string_view claim, int64_t now);

struct Entitlements {
  std::vector<std::string> claims;
  int64_t expires_at = 0;
  std::map<std::string, int64_t> remaining;  // per claim, this epoch; absent = unknown
};
Result<Entitlements> FetchEntitlements(const net::HttpClient& http, const net::Url& issuer, const SecretBytes& ticket);

// HttpFailure turns a non-2xx answer into an error with the server's reason.
Error HttpFailure(const std::string& what, const net::HttpResponse& response);

}  // namespace yesno::cli

#endif  // YESNO_CLIENT_ISSUER_API_H_
