// claims.cc — dates, ages and claim names.
#include "yesno/claims.h"

#include <charconv>
#include <cstdio>

namespace yesno {

bool IsLeapYear(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12) return 0;
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

bool IsValidDate(const Date& d) {
  return d.year >= 1 && d.year <= 9999 && d.month >= 1 && d.month <= 12 && d.day >= 1 &&
         d.day <= DaysInMonth(d.year, d.month);
}

namespace {
bool ParseDigits(std::string_view s, int& out) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

// Days from civil (Howard Hinnant's algorithm), relative to 1970-01-01.
int64_t DaysFromCivil(int y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}
}  // namespace

Result<Date> ParseDate(std::string_view text) {
  Date d;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' || !ParseDigits(text.substr(0, 4), d.year) ||
      !ParseDigits(text.substr(5, 2), d.month) || !ParseDigits(text.substr(8, 2), d.day)) {
    return MakeError(ErrorCode::kMalformedInput, "date: expected YYYY-MM-DD");
  }
  if (!IsValidDate(d)) return MakeError(ErrorCode::kMalformedInput, "date: no such calendar day");
  return d;
}

std::string FormatDate(const Date& d) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02d", d.year, d.month, d.day);
  return buf;
}

Date DateFromUnixSeconds(int64_t seconds) {
  int64_t z = (seconds >= 0 ? seconds : seconds - 86399) / 86400 + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  Date d;
  d.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  d.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  d.year = static_cast<int>(yoe + era * 400 + (d.month <= 2 ? 1 : 0));
  return d;
}

int64_t UnixSecondsFromDate(const Date& d) { return DaysFromCivil(d.year, d.month, d.day) * 86400; }

int AgeOn(const Date& birth, const Date& today) {
  if (today < birth) return -1;
  int age = today.year - birth.year;
  // Birthday not reached yet this year. Comparing (month, day) pairs puts a
  // 29 February birthday after 28 February, so in non-leap years it falls
  // on 1 March.
  if (today.month < birth.month || (today.month == birth.month && today.day < birth.day)) --age;
  return age;
}

bool IsValidClaimName(std::string_view claim) {
  if (claim.empty() || claim.size() > kMaxClaimNameBytes) return false;
  for (char c : claim) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

std::optional<int> AgeClaimThreshold(std::string_view claim) {
  constexpr std::string_view kPrefix = "age_over_";
  if (!IsValidClaimName(claim) || claim.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  std::string_view digits = claim.substr(kPrefix.size());
  int n = 0;
  if (digits.empty() || digits.size() > 3 || digits[0] == '0' || !ParseDigits(digits, n)) return std::nullopt;
  if (n < 1 || n > kMaxAgeClaim) return std::nullopt;
  return n;
}

std::string AgeClaimName(int n) { return "age_over_" + std::to_string(n); }

bool ClaimHolds(std::string_view claim, const Date& birth, const std::vector<std::string>& attributes,
                const Date& today) {
  if (!IsValidClaimName(claim)) return false;
  if (auto n = AgeClaimThreshold(claim)) return AgeOn(birth, today) >= *n;
  // A malformed age claim ("age_over_0", "age_over_018") is never an attribute.
  if (claim.substr(0, 9) == "age_over_") return false;
  for (const auto& a : attributes) {
    if (a == claim) return true;
  }
  return false;
}

std::string ClaimQuestion(std::string_view claim) {
  if (auto n = AgeClaimThreshold(claim)) return "Are you over " + std::to_string(*n) + "?";
  return "Can you prove \u201c" + std::string(claim) + "\u201d?";
}

}  // namespace yesno
