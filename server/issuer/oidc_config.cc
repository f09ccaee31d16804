#include "oidc_config.h"

#include <charconv>
#include <filesystem>

#include "files.h"
#include "http_client.h"
#include "yesno/claims.h"

namespace yesno::issuer {
namespace {

using Json = nlohmann::json;

Error Bad(const std::string& what) { return MakeError(ErrorCode::kInvalidArgument, "--oidc: " + what); }

bool IsPrintable(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e) return false;
  }
  return true;
}

Result<std::string> RequiredString(const Json& doc, const char* name, std::size_t max_bytes) {
  auto it = doc.find(name);
  if (it == doc.end() || !it->is_string()) return Bad(std::string("\"") + name + "\" (a string) is required");
  std::string v = it->get<std::string>();
  if (v.empty() || v.size() > max_bytes || !IsPrintable(v)) {
    return Bad(std::string("\"") + name + "\" must be 1.." + std::to_string(max_bytes) + " printable characters");
  }
  return v;
}

// CheckProviderUrl requires https, or http to a loopback host.
Status CheckUrl(const std::string& text, const char* field) {
  auto url = net::ParseUrl(text);
  if (!url.ok()) return Bad(std::string("\"") + field + "\": " + url.error().message);
  if (url->scheme != "https" && !url->IsLoopback()) {
    return Bad(std::string("\"") + field + "\" must be https (plain http only on loopback, for tests)");
  }
  return Status::Ok();
}

bool ParseInt(std::string_view s, int& out) {
  if (s.empty() || s.size() > 6) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

}  // namespace

Result<OidcConfig> ParseOidcConfig(std::string_view json, const std::string& base_dir) {
  const Json doc = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return Bad("not a JSON object");
  for (const auto& [k, v] : doc.items()) {
    static const char* kKnown[] = {"issuer",          "client_id",  "client_secret_file", "redirect_uri",
                                   "scopes",          "birthdate_claim", "attributes",   "ticket_days",
                                   "ca_file",         "jwks_min_refetch_seconds"};
    bool known = false;
    for (const char* n : kKnown) known = known || k == n;
    if (!known) return Bad("unknown field \"" + (IsPrintable(k) && k.size() < 64 ? k : std::string("?")) + "\"");
  }
  OidcConfig c;
  auto issuer = RequiredString(doc, "issuer", 512);
  if (!issuer.ok()) return issuer.error();
  c.issuer = *issuer;
  if (Status s = CheckUrl(c.issuer, "issuer"); !s.ok()) return s.error();
  auto client_id = RequiredString(doc, "client_id", 255);
  if (!client_id.ok()) return client_id.error();
  c.client_id = *client_id;
  auto redirect = RequiredString(doc, "redirect_uri", 512);
  if (!redirect.ok()) return redirect.error();
  c.redirect_uri = *redirect;
  if (Status s = CheckUrl(c.redirect_uri, "redirect_uri"); !s.ok()) return s.error();
  {
    auto url = net::ParseUrl(c.redirect_uri);
    const std::string path = url->target.substr(0, url->target.find('?'));
    if (path.size() < 16 || path.compare(path.size() - 16, 16, "/enroll/callback") != 0 ||
        url->target.find('?') != std::string::npos) {
      return Bad("\"redirect_uri\" must be this issuer's .../enroll/callback URL, without a query");
    }
  }
  auto secret_file = RequiredString(doc, "client_secret_file", 4096);
  if (!secret_file.ok()) return secret_file.error();
  std::filesystem::path secret_path(*secret_file);
  if (secret_path.is_relative()) secret_path = std::filesystem::path(base_dir) / secret_path;
  auto secret = files::ReadSecretFile(secret_path.string(), kMaxClientSecretBytes + 2);
  if (!secret.ok()) return Bad("cannot read client_secret_file " + secret_path.string() + ": " + secret.error().message);
  while (!secret->empty() && (secret->back() == '\n' || secret->back() == '\r')) secret->pop_back();
  if (secret->empty() || secret->size() > kMaxClientSecretBytes) return Bad("the client secret must be 1..1024 bytes");
  c.client_secret = std::move(*secret);

  if (auto it = doc.find("scopes"); it != doc.end()) {
    if (!it->is_array() || it->empty() || it->size() > 16) return Bad("\"scopes\" must be an array of 1..16 strings");
    c.scopes.clear();
    bool has_openid = false;
    for (const auto& s : *it) {
      if (!s.is_string() || s.get<std::string>().empty() || s.get<std::string>().size() > 64 ||
          !IsPrintable(s.get<std::string>())) {
        return Bad("\"scopes\" entries must be 1..64 printable characters");
      }
      has_openid = has_openid || s.get<std::string>() == "openid";
      c.scopes.push_back(s.get<std::string>());
    }
    if (!has_openid) return Bad("\"scopes\" must include openid");
  }
  if (auto it = doc.find("birthdate_claim"); it != doc.end()) {
    if (!it->is_string() || it->get<std::string>().empty() || it->get<std::string>().size() > 64 ||
        !IsPrintable(it->get<std::string>())) {
      return Bad("\"birthdate_claim\" must be a claim name");
    }
    c.birthdate_claim = it->get<std::string>();
  }
  if (auto it = doc.find("attributes"); it != doc.end()) {
    if (!it->is_object() || it->size() > 32) return Bad("\"attributes\" must be an object of at most 32 entries");
    for (const auto& [claim, attr] : it->items()) {
      if (claim.empty() || claim.size() > 64 || !IsPrintable(claim) || !attr.is_string() ||
          !IsValidClaimName(attr.get<std::string>()) || AgeClaimThreshold(attr.get<std::string>())) {
        return Bad("\"attributes\" maps a provider claim to an attribute claim name ([a-z0-9_]{1,32}, not age_over_N)");
      }
      c.attributes.emplace_back(claim, attr.get<std::string>());
    }
  }
  if (auto it = doc.find("ticket_days"); it != doc.end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 1 || it->get<int64_t>() > 3660) {
      return Bad("\"ticket_days\" must be 1..3660");
    }
    c.ticket_days = static_cast<int>(it->get<int64_t>());
  }
  if (auto it = doc.find("ca_file"); it != doc.end()) {
    if (!it->is_string() || it->get<std::string>().empty()) return Bad("\"ca_file\" must be a path");
    c.ca_file = it->get<std::string>();
  }
  if (auto it = doc.find("jwks_min_refetch_seconds"); it != doc.end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 0 || it->get<int64_t>() > 86400) {
      return Bad("\"jwks_min_refetch_seconds\" must be 0..86400");
    }
    c.jwks_min_refetch_seconds = it->get<int64_t>();
  }
  return c;
}

Result<OidcConfig> LoadOidcConfig(const std::string& path) {
  auto bytes = files::ReadFile(path, kMaxOidcConfigBytes);
  if (!bytes.ok()) return Bad("cannot read " + path + ": " + bytes.error().message);
  const std::string dir = std::filesystem::path(path).parent_path().string();
  return ParseOidcConfig(AsString(*bytes), dir.empty() ? "." : dir);
}

Result<EnrollLimit> ParseEnrollLimit(std::string_view text) {
  const auto slash = text.find('/');
  EnrollLimit l;
  if (slash == std::string_view::npos || !ParseInt(text.substr(0, slash), l.count) ||
      !ParseInt(text.substr(slash + 1), l.days) || l.count < 1 || l.count > 1000 || l.days < 1 || l.days > 3660) {
    return MakeError(ErrorCode::kInvalidArgument, "--enroll-limit must be N/DAYS with N 1..1000 and DAYS 1..3660");
  }
  return l;
}

std::string_view BirthdateReason(BirthdateProblem p) {
  switch (p) {
    case BirthdateProblem::kMissing: return "no_birthdate";
    case BirthdateProblem::kNotADate: return "bad_birthdate";
    case BirthdateProblem::kYearOnly: return "birthdate_year_only";
    case BirthdateProblem::kYearZero: return "birthdate_year_zero";
    case BirthdateProblem::kFuture: return "birthdate_in_future";
    case BirthdateProblem::kTooOld: return "birthdate_too_old";
  }
  return "bad_birthdate";
}

std::variant<Date, BirthdateProblem> ParseOidcBirthdate(const Json* value, const Date& today) {
  if (value == nullptr || value->is_null()) return BirthdateProblem::kMissing;
  if (!value->is_string()) return BirthdateProblem::kNotADate;
  const std::string& s = value->get_ref<const std::string&>();
  if (s.empty()) return BirthdateProblem::kMissing;
  auto all_digits = [](std::string_view v) {
    for (char c : v) {
      if (c < '0' || c > '9') return false;
    }
    return !v.empty();
  };
  // OIDC Core §5.1: "YYYY" alone when only the year is known; year 0000
  // when the year is withheld.
  if (s.size() == 4 && all_digits(s)) return s == "0000" ? BirthdateProblem::kYearZero : BirthdateProblem::kYearOnly;
  if (s.size() == 10 && s.compare(0, 4, "0000") == 0 && s[4] == '-') return BirthdateProblem::kYearZero;
  auto date = ParseDate(s);
  if (!date.ok()) return BirthdateProblem::kNotADate;
  if (*date > today) return BirthdateProblem::kFuture;
  if (AgeOn(*date, today) > kMaxAgeClaim) return BirthdateProblem::kTooOld;
  return *date;
}

}  // namespace yesno::issuer
