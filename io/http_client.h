// http_client.h — the small HTTP(S) client of the wallet and the verifier
// (directory fetches). Every call is bounded: one deadline for the whole
// exchange and a cap on the response size. HTTPS verifies the server against
// the system CA store or a given CA file; plain http is allowed only to
// loopback unless the caller opts in.
#ifndef YESNO_IO_HTTP_CLIENT_H_
#define YESNO_IO_HTTP_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "yesno/result.h"

namespace yesno::net {

struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;    // without brackets
  std::uint16_t port = 0;
  std::string target;  // path and query, starts with '/'

  // Origin is scheme://host[:port], the port omitted when it is the default.
  std::string Origin() const;
  // Resolve returns this URL with `path` (absolute path or absolute URL).
  Result<Url> Resolve(std::string_view path_or_url) const;
  bool IsLoopback() const;
};

// ParseUrl accepts http:// and https:// URLs with a host and optional port.
Result<Url> ParseUrl(std::string_view url);

struct HttpClientOptions {
  std::string ca_file;              // empty: the system CA store
  bool allow_insecure_http = false; // plain http to non-loopback hosts
  std::chrono::milliseconds timeout{15'000};
  std::size_t max_response_bytes = 1024 * 1024;
};

struct HttpResponse {
  unsigned status = 0;
  std::string content_type;  // media type only, lowercased
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  std::optional<std::string> Header(std::string_view lowercase_name) const;
};

struct HttpRequest {
  std::string method = "GET";
  Url url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string content_type;
  std::string body;
};

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options = {}) : options_(std::move(options)) {}
  // Send performs one exchange. Errors: kInvalidArgument (refused URL),
  // kUnavailable (DNS, connect, TLS, timeout, oversize response).
  Result<HttpResponse> Send(const HttpRequest& request) const;
  Result<HttpResponse> Get(const Url& url, std::vector<std::pair<std::string, std::string>> headers = {}) const;

 private:
  HttpClientOptions options_;
};

}  // namespace yesno::net

#endif  // YESNO_IO_HTTP_CLIENT_H_
