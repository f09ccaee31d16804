// html.h — what the servers' HTML pages (the verifier's gate, the issuer's
// OIDC enrollment pages) share.
#ifndef YESNO_SERVER_COMMON_HTML_H_
#define YESNO_SERVER_COMMON_HTML_H_

#include <string>
#include <string_view>

namespace yesno::server {

// HtmlEscape escapes & < > " ' for HTML text and attribute values.
std::string HtmlEscape(std::string_view text);

}  // namespace yesno::server

#endif  // YESNO_SERVER_COMMON_HTML_H_
