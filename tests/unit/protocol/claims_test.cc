// claims_test.cc — dates, ages (leap days included) and claim names.
#include "yesno/claims.h"

#include <string>

#include "testing/test_util.h"

namespace yesno {
namespace {

Date D(int y, int m, int d) { return Date{y, m, d}; }

// --- calendar -----------------------------------------------------------------

TEST(CalendarTest, LeapYears) {
  EXPECT_TRUE(IsLeapYear(2024));
  EXPECT_TRUE(IsLeapYear(2000));
  EXPECT_TRUE(IsLeapYear(1600));
  EXPECT_FALSE(IsLeapYear(2023));
  EXPECT_FALSE(IsLeapYear(1900));
  EXPECT_FALSE(IsLeapYear(2100));
}

TEST(CalendarTest, DaysInMonth) {
  EXPECT_EQ(DaysInMonth(2023, 1), 31);
  EXPECT_EQ(DaysInMonth(2023, 2), 28);
  EXPECT_EQ(DaysInMonth(2024, 2), 29);
  EXPECT_EQ(DaysInMonth(1900, 2), 28);
  EXPECT_EQ(DaysInMonth(2000, 2), 29);
  EXPECT_EQ(DaysInMonth(2023, 4), 30);
  EXPECT_EQ(DaysInMonth(2023, 12), 31);
  EXPECT_EQ(DaysInMonth(2023, 0), 0);
  EXPECT_EQ(DaysInMonth(2023, 13), 0);
}

TEST(CalendarTest, IsValidDate) {
  EXPECT_TRUE(IsValidDate(D(2024, 2, 29)));
  EXPECT_FALSE(IsValidDate(D(2023, 2, 29)));
  EXPECT_FALSE(IsValidDate(D(2023, 4, 31)));
  EXPECT_FALSE(IsValidDate(D(2023, 0, 1)));
  EXPECT_FALSE(IsValidDate(D(2023, 1, 0)));
  EXPECT_FALSE(IsValidDate(D(0, 1, 1)));
  EXPECT_TRUE(IsValidDate(D(1, 1, 1)));
  EXPECT_TRUE(IsValidDate(D(9999, 12, 31)));
  EXPECT_FALSE(IsValidDate(D(10000, 1, 1)));
}

TEST(DateTest, ComparesChronologically) {
  EXPECT_LT(D(2023, 12, 31), D(2024, 1, 1));
  EXPECT_LT(D(2024, 2, 28), D(2024, 2, 29));
  EXPECT_LT(D(2024, 2, 29), D(2024, 3, 1));
  EXPECT_EQ(D(2024, 2, 29), D(2024, 2, 29));
}

// --- ParseDate / FormatDate -----------------------------------------------------------

TEST(ParseDateTest, ParsesValidDates) {
  auto d = ParseDate("2008-02-29");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, D(2008, 2, 29));
  auto first = ParseDate("0001-01-01");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, D(1, 1, 1));
  auto last = ParseDate("9999-12-31");
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last, D(9999, 12, 31));
}

TEST(ParseDateTest, LeapDayValidOnlyInLeapYears) {
  EXPECT_TRUE(ParseDate("2024-02-29").ok());
  EXPECT_TRUE(ParseDate("2000-02-29").ok());
  auto r = ParseDate("2023-02-29");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kMalformedInput);
  EXPECT_FALSE(ParseDate("1900-02-29").ok());
}

TEST(ParseDateTest, RejectsBadFormats) {
  for (const char* text :
       {"", "2024-1-01", "2024-01-1", "24-01-01", "2024/01/01", "2024-01-01 ", " 2024-01-01", "2024-01-01T00:00",
        "20240101", "2024-13-01", "2024-00-10", "2024-01-00", "2024-01-32", "2024-04-31", "0000-01-01", "+024-01-01",
        "-024-01-01", "2024-+1-01", "2024-01-+1", "2024-0a-01", "abcd-ef-gh", "2024--1-01", "2024-01-01\n"}) {
    auto r = ParseDate(text);
    ASSERT_FALSE(r.ok()) << '"' << text << '"';
    EXPECT_EQ(r.error().code, ErrorCode::kMalformedInput) << text;
  }
}

TEST(FormatDateTest, ZeroPadsAndRoundTrips) {
  EXPECT_EQ(FormatDate(D(2008, 2, 29)), "2008-02-29");
  EXPECT_EQ(FormatDate(D(1, 1, 1)), "0001-01-01");
  for (const char* text : {"1970-01-01", "2024-02-29", "1999-12-31", "0042-07-04"}) {
    auto d = ParseDate(text);
    ASSERT_TRUE(d.ok()) << text;
    EXPECT_EQ(FormatDate(*d), text);
  }
}

// --- Unix time -------------------------------------------------------------------------

TEST(UnixTimeTest, KnownDates) {
  EXPECT_EQ(UnixSecondsFromDate(D(1970, 1, 1)), 0);
  EXPECT_EQ(UnixSecondsFromDate(D(2000, 3, 1)), 951868800);
  EXPECT_EQ(UnixSecondsFromDate(D(2024, 2, 29)), 1709164800);
  EXPECT_EQ(UnixSecondsFromDate(D(1969, 12, 31)), -86400);
  EXPECT_EQ(UnixSecondsFromDate(D(1900, 1, 1)), -2208988800);
  EXPECT_EQ(DateFromUnixSeconds(0), D(1970, 1, 1));
  EXPECT_EQ(DateFromUnixSeconds(86399), D(1970, 1, 1));
  EXPECT_EQ(DateFromUnixSeconds(86400), D(1970, 1, 2));
  EXPECT_EQ(DateFromUnixSeconds(-1), D(1969, 12, 31));
  EXPECT_EQ(DateFromUnixSeconds(-86400), D(1969, 12, 31));
  EXPECT_EQ(DateFromUnixSeconds(-86401), D(1969, 12, 30));
  EXPECT_EQ(DateFromUnixSeconds(1709164800 + 86399), D(2024, 2, 29));
  EXPECT_EQ(DateFromUnixSeconds(1709164800 + 86400), D(2024, 3, 1));
  EXPECT_EQ(DateFromUnixSeconds(4102444800), D(2100, 1, 1));
}

TEST(UnixTimeTest, RoundTripsEveryDayFrom1890To2110) {
  // Covers negative times and the leap rules for 1900 (no), 2000 (yes), 2100 (no).
  Date d = D(1890, 1, 1);
  int64_t expected = UnixSecondsFromDate(d);
  int leap_days = 0;
  while (d.year < 2110) {
    ASSERT_EQ(UnixSecondsFromDate(d), expected) << FormatDate(d);
    ASSERT_EQ(DateFromUnixSeconds(expected), d) << FormatDate(d);
    ASSERT_EQ(DateFromUnixSeconds(expected + 86399), d) << FormatDate(d);
    ASSERT_EQ(DateFromUnixSeconds(expected + 43200), d) << FormatDate(d);
    if (d.month == 2 && d.day == 29) ++leap_days;
    // Next calendar day.
    if (d.day < DaysInMonth(d.year, d.month)) {
      ++d.day;
    } else if (d.month < 12) {
      ++d.month;
      d.day = 1;
    } else {
      ++d.year;
      d.month = 1;
      d.day = 1;
    }
    expected += 86400;
  }
  // 1890..2109: every fourth year, minus 1900 and 2100, plus 2000.
  EXPECT_EQ(leap_days, 55 - 2);
}

// --- AgeOn -------------------------------------------------------------------------------

TEST(AgeOnTest, CountsCompletedYears) {
  EXPECT_EQ(AgeOn(D(2000, 6, 15), D(2018, 6, 14)), 17);
  EXPECT_EQ(AgeOn(D(2000, 6, 15), D(2018, 6, 15)), 18);
  EXPECT_EQ(AgeOn(D(2000, 6, 15), D(2018, 6, 16)), 18);
  EXPECT_EQ(AgeOn(D(2000, 6, 15), D(2018, 5, 30)), 17);
  EXPECT_EQ(AgeOn(D(2000, 6, 15), D(2018, 7, 1)), 18);
  EXPECT_EQ(AgeOn(D(2000, 6, 15), D(2000, 6, 15)), 0);
  EXPECT_EQ(AgeOn(D(2000, 12, 31), D(2001, 1, 1)), 0);
}

TEST(AgeOnTest, BeforeBirthIsMinusOne) {
  EXPECT_EQ(AgeOn(D(2000, 6, 15), D(2000, 6, 14)), -1);
  EXPECT_EQ(AgeOn(D(2000, 6, 15), D(1999, 12, 31)), -1);
}

TEST(AgeOnTest, LeapDayBirthdayFallsOnFirstMarchInCommonYears) {
  const Date born = D(2008, 2, 29);
  EXPECT_EQ(AgeOn(born, D(2026, 2, 28)), 17);
  EXPECT_EQ(AgeOn(born, D(2026, 3, 1)), 18);
  EXPECT_EQ(AgeOn(born, D(2028, 2, 28)), 19);
  EXPECT_EQ(AgeOn(born, D(2028, 2, 29)), 20);  // a leap year: the birthday itself
  EXPECT_EQ(AgeOn(born, D(2009, 2, 28)), 0);
  EXPECT_EQ(AgeOn(born, D(2009, 3, 1)), 1);
}

// --- claim names ----------------------------------------------------------------------------

TEST(ClaimNameTest, ValidNames) {
  for (const char* name : {"age_over_18", "verified_person", "resident_fr", "a", "_", "0", "x1_2"}) {
    EXPECT_TRUE(IsValidClaimName(name)) << name;
  }
  EXPECT_TRUE(IsValidClaimName(std::string(32, 'a')));
  EXPECT_EQ(kMaxClaimNameBytes, 32u);
}

TEST(ClaimNameTest, RejectsLengthAndCharacters) {
  EXPECT_FALSE(IsValidClaimName(""));
  EXPECT_FALSE(IsValidClaimName(std::string(33, 'a')));
  for (const char* name : {"Age_over_18", "AGE", "age-over-18", "age over", "age.over", "é", "age_over_18\n",
                           "claim/1", "\"q\""}) {
    EXPECT_FALSE(IsValidClaimName(name)) << name;
  }
  EXPECT_FALSE(IsValidClaimName(std::string_view("a\0b", 3)));
}

TEST(AgeClaimThresholdTest, ParsesCanonicalThresholds) {
  EXPECT_EQ(AgeClaimThreshold("age_over_1"), 1);
  EXPECT_EQ(AgeClaimThreshold("age_over_13"), 13);
  EXPECT_EQ(AgeClaimThreshold("age_over_18"), 18);
  EXPECT_EQ(AgeClaimThreshold("age_over_21"), 21);
  EXPECT_EQ(AgeClaimThreshold("age_over_150"), 150);
}

TEST(AgeClaimThresholdTest, RejectsEverythingElse) {
  for (const char* name : {"age_over_0", "age_over_151", "age_over_018", "age_over_00", "age_over_", "AGE_OVER_18",
                           "Age_over_18", "age_over_1000", "age_over_18_", "age_over_-1", "age_over_+1", "age_over_1a",
                           "age_under_18", "xage_over_18", "age_over18", "verified_person", ""}) {
    EXPECT_FALSE(AgeClaimThreshold(name).has_value()) << name;
  }
}

TEST(AgeClaimThresholdTest, NameRoundTrips) {
  for (int n = 1; n <= kMaxAgeClaim; ++n) {
    const std::string name = AgeClaimName(n);
    EXPECT_EQ(AgeClaimThreshold(name), n) << name;
  }
  EXPECT_EQ(AgeClaimName(18), "age_over_18");
}

// --- ClaimHolds ---------------------------------------------------------------------------------

TEST(ClaimHoldsTest, LeapDayBornIsNot18OnTwentyEighthFebruary) {
  const Date born = D(2008, 2, 29);
  EXPECT_FALSE(ClaimHolds("age_over_18", born, {}, D(2026, 2, 28)));
  EXPECT_TRUE(ClaimHolds("age_over_18", born, {}, D(2026, 3, 1)));
  EXPECT_TRUE(ClaimHolds("age_over_17", born, {}, D(2026, 2, 28)));
}

TEST(ClaimHoldsTest, ThirteenAndSixteenButNotEighteen) {
  const Date born = D(2010, 6, 1);
  const Date today = D(2026, 11, 23);
  EXPECT_TRUE(ClaimHolds("age_over_13", born, {}, today));
  EXPECT_TRUE(ClaimHolds("age_over_16", born, {}, today));
  EXPECT_FALSE(ClaimHolds("age_over_18", born, {}, today));
  EXPECT_FALSE(ClaimHolds("age_over_17", born, {}, today));
  EXPECT_TRUE(ClaimHolds("age_over_1", born, {}, today));
}

TEST(ClaimHoldsTest, TurnsTrueOnTheBirthday) {
  const Date born = D(2005, 7, 10);
  EXPECT_FALSE(ClaimHolds("age_over_21", born, {}, D(2026, 7, 9)));
  EXPECT_TRUE(ClaimHolds("age_over_21", born, {}, D(2026, 7, 10)));
  EXPECT_TRUE(ClaimHolds("age_over_21", born, {}, D(2090, 1, 1)));  // and never stops
}

TEST(ClaimHoldsTest, AttributeClaimsComeFromTheList) {
  const std::vector<std::string> attrs = {"verified_person", "resident_fr"};
  const Date born = D(1990, 1, 1), today = D(2026, 1, 1);
  EXPECT_TRUE(ClaimHolds("verified_person", born, attrs, today));
  EXPECT_TRUE(ClaimHolds("resident_fr", born, attrs, today));
  EXPECT_FALSE(ClaimHolds("resident_de", born, attrs, today));
  EXPECT_FALSE(ClaimHolds("verified_person", born, {}, today));
}

TEST(ClaimHoldsTest, AgeClaimsCannotBeGrantedAsAttributes) {
  // An "age_over_N" attribute must not override the birth date.
  const std::vector<std::string> attrs = {"age_over_18", "age_over_0", "Verified_Person"};
  const Date born = D(2015, 1, 1), today = D(2026, 1, 1);
  EXPECT_FALSE(ClaimHolds("age_over_18", born, attrs, today));
  EXPECT_FALSE(ClaimHolds("Verified_Person", born, attrs, today));  // invalid names are never true
}

TEST(ClaimHoldsTest, InvalidNamesAreNeverTrue) {
  const std::vector<std::string> attrs = {"", std::string(33, 'a')};
  EXPECT_FALSE(ClaimHolds("", D(1990, 1, 1), attrs, D(2026, 1, 1)));
  EXPECT_FALSE(ClaimHolds(std::string(33, 'a'), D(1990, 1, 1), attrs, D(2026, 1, 1)));
}

TEST(ClaimHoldsTest, NotBornYetHoldsNoAgeClaim) {
  EXPECT_FALSE(ClaimHolds("age_over_1", D(2030, 1, 1), {}, D(2026, 1, 1)));
}

TEST(ClaimsTest, ClaimQuestionIsPlainWords) {
  EXPECT_EQ(ClaimQuestion("age_over_18"), "Are you over 18?");
  EXPECT_EQ(ClaimQuestion("age_over_21"), "Are you over 21?");
  EXPECT_EQ(ClaimQuestion("verified_person"), "Can you prove \u201cverified_person\u201d?");
}

}  // namespace
}  // namespace yesno
