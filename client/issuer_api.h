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
  std::map<std::string, int64_t> limit;      // per claim, tokens per epoch; absent = unknown
};
// FetchEntitlements asks which claims `ticket` entitles now. On an HTTP
// refusal, `refusal` (if given) receives the issuer's answer.
Result<Entitlements> FetchEntitlements(const net::HttpClient& http, const net::Url& issuer, const SecretBytes& ticket,
                                       net::HttpResponse* refusal = nullptr);

// HttpFailure turns a non-2xx answer into an error with the server's reason.
Error HttpFailure(const std::string& what, const net::HttpResponse& response);
// ReasonOf is the server's reason code ("reason" or "error" of a JSON body), or "".
std::string ReasonOf(const net::HttpResponse& response);
// ExplainNetError rewrites a transport error for `url` in the user's terms
// (nothing listening, plain http spoken on an https port, a certificate not
// trusted, a timeout), with what to do.
std::string ExplainNetError(const net::Url& url, const Error& error);
// IssuerBaseUrl accepts an issuer's base URL, or its directory URL (the
// well-known path is stripped), without a trailing slash.
Result<net::Url> IssuerBaseUrl(std::string_view text);

}  // namespace yesno::cli

#endif  // YESNO_CLIENT_ISSUER_API_H_
