// yesno/claims.h — claim names, calendar dates and age evaluation.
//
// A claim is a name matching [a-z0-9_]{1,32}: either `age_over_N` (N in
// 1..150, no leading zero), true when the holder is N or older on the day of
// evaluation, or an attribute claim (e.g. `verified_person`) listed at
// enrollment.
//
// Leap days: a person born on 29 February has their birthday on 1 March in
// non-leap years, so they turn N on 1 March (not 28 February). This follows
// from comparing (month, day) pairs: (2, 28) < (2, 29) < (3, 1).
#ifndef YESNO_CLAIMS_H_
#define YESNO_CLAIMS_H_

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "yesno/result.h"

namespace yesno {

inline constexpr std::size_t kMaxClaimNameBytes = 32;
inline constexpr int kMaxAgeClaim = 150;

// Date is a proleptic Gregorian calendar date.
struct Date {
  int year = 1970;
  int month = 1;
  int day = 1;
  friend auto operator<=>(const Date&, const Date&) = default;
};

bool IsLeapYear(int year);
int DaysInMonth(int year, int month);
// IsValidDate checks the calendar (years 1..9999).
bool IsValidDate(const Date& d);
// ParseDate reads exactly "YYYY-MM-DD" and checks the calendar.
Result<Date> ParseDate(std::string_view text);
std::string FormatDate(const Date& d);
// DateFromUnixSeconds is the UTC date of a Unix time.
Date DateFromUnixSeconds(int64_t seconds);
// UnixSecondsFromDate is 00:00:00 UTC of `d`.
int64_t UnixSecondsFromDate(const Date& d);

// AgeOn returns the completed years from `birth` to `today`, or -1 if
// `today` is before `birth`.
int AgeOn(const Date& birth, const Date& today);

// IsValidClaimName checks [a-z0-9_]{1,32}.
bool IsValidClaimName(std::string_view claim);
// AgeClaimThreshold returns N for "age_over_N" (1..150, canonical digits),
// nullopt for every other name.
std::optional<int> AgeClaimThreshold(std::string_view claim);
// AgeClaimName returns "age_over_N".
std::string AgeClaimName(int n);
// ClaimQuestion is the question a claim answers, in plain words, for people:
// "Are you over 18?" for age_over_18, "Can you prove “verified_person”?"
// for an attribute claim.
std::string ClaimQuestion(std::string_view claim);

// ClaimHolds tells whether `claim` is true for a holder born on `birth` with
// `attributes`, evaluated on `today`. Invalid names are never true.
bool ClaimHolds(std::string_view claim, const Date& birth, const std::vector<std::string>& attributes,
                const Date& today);

}  // namespace yesno

#endif  // YESNO_CLAIMS_H_
