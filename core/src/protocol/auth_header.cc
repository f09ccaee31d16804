// auth_header.cc — RFC 9110 §11 challenge/credentials syntax and the
// PrivateToken scheme of RFC 9577.
#include "yesno/auth_header.h"

#include <strings.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "yesno/token.h"

namespace yesno {
namespace {

constexpr char kScheme[] = "PrivateToken";

Error Malformed(const char* what) { return MakeError(ErrorCode::kMalformedInput, what); }

bool IsTchar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}
bool IsToken68Char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || std::string_view("-._~+/").find(c) != std::string_view::npos;
}
bool IsOws(char c) { return c == ' ' || c == '\t'; }

// Cursor walks a header value; every method stops at the end safely.
class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}
  bool done() const { return i_ >= s_.size(); }
  char peek(std::size_t ahead = 0) const { return i_ + ahead < s_.size() ? s_[i_ + ahead] : '\0'; }
  void SkipOws() {
    while (!done() && IsOws(s_[i_])) ++i_;
  }
  std::string_view ReadToken() {
    const std::size_t start = i_;
    while (!done() && IsTchar(s_[i_])) ++i_;
    return s_.substr(start, i_ - start);
  }
  // LooksLikeParam tells whether a "token BWS =" starts here.
  bool LooksLikeParam() const {
    std::size_t j = i_;
    while (j < s_.size() && IsTchar(s_[j])) ++j;
    if (j == i_) return false;
    while (j < s_.size() && IsOws(s_[j])) ++j;
    return j < s_.size() && s_[j] == '=';
  }
  // LooksLikeToken68 tells whether token68 followed by OWS and ',' or the end starts here.
  bool LooksLikeToken68() const {
    std::size_t j = i_;
    while (j < s_.size() && IsToken68Char(s_[j])) ++j;
    if (j == i_) return false;
    while (j < s_.size() && s_[j] == '=') ++j;
    while (j < s_.size() && IsOws(s_[j])) ++j;
    return j == s_.size() || s_[j] == ',';
  }
  std::string_view ReadToken68() {
    const std::size_t start = i_;
    while (!done() && IsToken68Char(s_[i_])) ++i_;
    while (!done() && s_[i_] == '=') ++i_;
    return s_.substr(start, i_ - start);
  }
  bool Consume(char c) {
    if (peek() != c) return false;
    ++i_;
    return true;
  }
  // ReadValue reads a quoted-string (unescaped) or a bare value, which may
  // carry '=' padding; it ends at OWS or ','.
  bool ReadValue(std::string& out) {
    out.clear();
    if (Consume('"')) {
      while (!done()) {
        char c = s_[i_++];
        if (c == '"') return true;
        if (c == '\\') {
          if (done()) return false;
          c = s_[i_++];
        }
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t') return false;
        out.push_back(c);
      }
      return false;  // unterminated
    }
    const std::size_t start = i_;
    while (!done() && !IsOws(s_[i_]) && s_[i_] != ',' && s_[i_] != '"') {
      if (static_cast<unsigned char>(s_[i_]) < 0x21 || s_[i_] == 0x7f) return false;
      ++i_;
    }
    out.assign(s_.substr(start, i_ - start));
    return !out.empty();
  }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
};

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool IsPrivateToken(std::string_view scheme) {
  return scheme.size() == sizeof(kScheme) - 1 && strncasecmp(scheme.data(), kScheme, scheme.size()) == 0;
}

Result<Bytes> DecodeParam(const AuthChallengeItem& item, std::string_view name, bool required) {
  auto v = item.Find(name);
  if (!v) {
    if (required) return Malformed("PrivateToken: missing required parameter");
    return Bytes{};
  }
  auto decoded = Base64UrlDecode(*v);
  if (!decoded.ok()) return Malformed("PrivateToken: parameter is not base64url");
  return decoded;
}

void AppendParam(std::string& out, std::string_view name, std::string_view value, bool quote) {
  out.append(", ");
  out.append(name);
  out.push_back('=');
  if (!quote) {
    out.append(value);
    return;
  }
  // quoted-string (RFC 9110 §5.6.4): '"' and '\\' are escaped, so that any
  // value a parser returned (e.g. a yesno-claim written with quoted-pairs)
  // builds into a header that parses back to it (tests/fuzz/www_authenticate_fuzzer).
  out.push_back('"');
  for (char c : value) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
}

}  // namespace

std::optional<std::string_view> AuthChallengeItem::Find(std::string_view name) const {
  for (const auto& p : params) {
    if (p.name == name) return std::string_view(p.value);
  }
  return std::nullopt;
}

Result<std::vector<AuthChallengeItem>> ParseAuthHeader(std::string_view header) {
  if (header.size() > kMaxAuthHeaderBytes) return Malformed("auth header: too long");
  std::vector<AuthChallengeItem> items;
  Cursor c(header);
  bool need_separator = false;  // a ',' must separate a new scheme from what came before
  while (true) {
    c.SkipOws();
    while (c.Consume(',')) {
      need_separator = false;
      c.SkipOws();
    }
    if (c.done()) break;
    if (need_separator) return Malformed("auth header: missing ','");
    std::string_view scheme = c.ReadToken();
    if (scheme.empty()) return Malformed("auth header: expected a scheme");
    AuthChallengeItem item;
    item.scheme = std::string(scheme);
    need_separator = true;
    if (!c.done() && !IsOws(c.peek()) && c.peek() != ',') return Malformed("auth header: bad character after scheme");
    c.SkipOws();
    // token68 wins over "name=" when only '=' padding follows (RFC 9110 §11.4).
    if (!c.done() && c.peek() != ',' && (!c.LooksLikeParam() || c.LooksLikeToken68())) {
      if (!c.LooksLikeToken68()) return Malformed("auth header: bad credentials");
      item.token68 = std::string(c.ReadToken68());
      items.push_back(std::move(item));
      continue;
    }
    // auth-params, comma separated, until the next "scheme SP" or the end.
    while (true) {
      c.SkipOws();
      if (c.done()) break;
      if (!c.LooksLikeParam()) break;  // a new scheme (after a ',') or garbage, handled above
      std::string name = Lower(c.ReadToken());
      c.SkipOws();
      if (!c.Consume('=')) return Malformed("auth header: expected '='");
      c.SkipOws();
      std::string value;
      if (!c.ReadValue(value)) return Malformed("auth header: bad parameter value");
      if (item.Find(name)) return Malformed("auth header: duplicate parameter");
      item.params.push_back(AuthParam{std::move(name), std::move(value)});
      c.SkipOws();
      if (c.done()) break;
      if (!c.Consume(',')) return Malformed("auth header: expected ','");
      c.SkipOws();
      while (c.Consume(',')) c.SkipOws();  // empty list elements are allowed
      need_separator = false;
    }
    items.push_back(std::move(item));
  }
  return items;
}

std::string BuildWwwAuthenticate(const std::vector<PrivateTokenChallenge>& challenges) {
  std::string out;
  for (const auto& ch : challenges) {
    if (!out.empty()) out.append(", ");
    out.append(kScheme);
    out.append(" challenge=\"").append(Base64UrlEncode(ch.challenge)).append("\"");
    if (!ch.token_key.empty()) AppendParam(out, "token-key", Base64UrlEncode(ch.token_key), true);
    if (ch.max_age) AppendParam(out, "max-age", std::to_string(*ch.max_age), false);
    if (!ch.yesno_claim.empty()) AppendParam(out, "yesno-claim", ch.yesno_claim, true);
    if (!ch.yesno_vnonce.empty()) AppendParam(out, "yesno-vnonce", Base64UrlEncode(ch.yesno_vnonce), true);
  }
  return out;
}

Result<std::vector<PrivateTokenChallenge>> ParseWwwAuthenticate(std::string_view header) {
  auto items = ParseAuthHeader(header);
  if (!items.ok()) return items.error();
  std::vector<PrivateTokenChallenge> out;
  for (const auto& item : *items) {
    if (!IsPrivateToken(item.scheme)) continue;
    PrivateTokenChallenge ch;
    auto challenge = DecodeParam(item, "challenge", true);
    if (!challenge.ok()) return challenge.error();
    if (!ParseTokenChallenge(*challenge).ok()) return Malformed("PrivateToken: challenge is not a TokenChallenge");
    ch.challenge = std::move(*challenge);
    auto key = DecodeParam(item, "token-key", false);
    if (!key.ok()) return key.error();
    ch.token_key = std::move(*key);
    if (auto max_age = item.Find("max-age")) {
      long v = 0;
      auto [ptr, ec] = std::from_chars(max_age->data(), max_age->data() + max_age->size(), v);
      if (ec != std::errc() || ptr != max_age->data() + max_age->size() || v < 0) {
        return Malformed("PrivateToken: max-age is not a non-negative integer");
      }
      ch.max_age = v;
    }
    if (auto claim = item.Find("yesno-claim")) ch.yesno_claim = std::string(*claim);
    auto vnonce = DecodeParam(item, "yesno-vnonce", false);
    if (!vnonce.ok()) return vnonce.error();
    ch.yesno_vnonce = std::move(*vnonce);
    out.push_back(std::move(ch));
  }
  return out;
}

std::string BuildAuthorization(const PrivateTokenCredentials& credentials) {
  std::string out = std::string(kScheme) + " token=\"" + Base64UrlEncode(credentials.token) + "\"";
  if (!credentials.yesno_vnonce.empty()) AppendParam(out, "yesno-vnonce", Base64UrlEncode(credentials.yesno_vnonce), true);
  if (!credentials.yesno_pop.empty()) AppendParam(out, "yesno-pop", Base64UrlEncode(credentials.yesno_pop), true);
  return out;
}

Result<PrivateTokenCredentials> ParseAuthorization(std::string_view header) {
  auto items = ParseAuthHeader(header);
  if (!items.ok()) return items.error();
  if (items->size() != 1 || !IsPrivateToken((*items)[0].scheme)) {
    return Malformed("Authorization: expected one PrivateToken credential");
  }
  const AuthChallengeItem& item = (*items)[0];
  PrivateTokenCredentials creds;
  auto token = DecodeParam(item, "token", true);
  if (!token.ok()) return token.error();
  auto vnonce = DecodeParam(item, "yesno-vnonce", false);
  if (!vnonce.ok()) return vnonce.error();
  auto pop = DecodeParam(item, "yesno-pop", false);
  if (!pop.ok()) return pop.error();
  creds.token = std::move(*token);
  creds.yesno_vnonce = std::move(*vnonce);
  creds.yesno_pop = std::move(*pop);
  return creds;
}

}  // namespace yesno
