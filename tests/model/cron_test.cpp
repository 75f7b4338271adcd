#include "model/cron.hpp"

#include <date/tz.h>

#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace {

using baton::model::cron_error;
using baton::model::cron_expression;
using baton::model::find_zone;
using std::chrono::sys_seconds;
using strings = std::vector<std::string>;

sys_seconds utc(const std::string& text) {
  std::istringstream in(text);
  date::sys_seconds t;
  in >> date::parse("%F %T", t);
  REQUIRE_FALSE(in.fail());
  return sys_seconds{t.time_since_epoch()};
}

std::string show(sys_seconds t) {
  return date::format("%F %T", date::sys_seconds{t.time_since_epoch()});
}

cron_expression cron(const std::string& text) {
  auto parsed = cron_expression::parse(text);
  if (const auto* err = std::get_if<cron_error>(&parsed))
    FAIL("\"" << text << "\": " << err->to_string());
  return std::get<cron_expression>(parsed);
}

/// The next `n` fire times of `text` after `after` (UTC), in UTC.
strings fires(const std::string& text, const std::string& after, std::size_t n,
              const std::string& zone = "UTC") {
  const auto* tz = find_zone(zone);
  REQUIRE(tz != nullptr);
  strings out;
  for (const auto t : cron(text).next_n(utc(after), tz, n)) out.push_back(show(t));
  return out;
}

std::string next(const std::string& text, const std::string& after,
                 const std::string& zone = "UTC") {
  const auto all = fires(text, after, 1, zone);
  return all.empty() ? "none" : all.front();
}

cron_error error_of(const std::string& text) {
  auto parsed = cron_expression::parse(text);
  if (std::holds_alternative<cron_expression>(parsed))
    FAIL("\"" << text << "\" parsed, but should not");
  return std::get<cron_error>(parsed);
}

}  // namespace

TEST_CASE("cron: the typo from the issue names field and position", "[cron]") {
  const auto err = error_of("0 6 6 ? * FR");
  CHECK(err.field == "day-of-week");
  CHECK(err.position == 10);
  CHECK(err.message == "unknown name \"FR\"");
  CHECK(err.to_string() == "day-of-week: unknown name \"FR\" at position 10");
}

TEST_CASE("cron: every error kind, with field and position", "[cron]") {
  struct expected {
    std::string text;
    std::string field;
    std::size_t position;
    std::string message;
  };
  const std::vector<expected> cases{
      {"", "seconds", 0, "missing field"},
      {"0 0 12 * *", "day-of-week", 10,
       "missing field: Quartz expressions start with seconds (6 or 7 fields); the Unix "
       "expression \"0 0 12 * *\" is \"0 0 0 12 * *\" here, with '?' in day-of-month or "
       "day-of-week"},
      {"0 0 12 *", "month", 8, "missing field"},
      {"0 0 12 * * ? 2030 x", "expression", 18, "unexpected 8th field \"x\""},
      {"60 0 12 * * ?", "seconds", 0, "value 60 is out of range 0-59"},
      {"0 60 12 * * ?", "minutes", 2, "value 60 is out of range 0-59"},
      {"0 0 24 * * ?", "hours", 4, "value 24 is out of range 0-23"},
      {"0 0 12 0 * ?", "day-of-month", 7, "value 0 is out of range 1-31"},
      {"0 0 12 32 * ?", "day-of-month", 7, "value 32 is out of range 1-31"},
      {"0 0 12 * 13 ?", "month", 9, "value 13 is out of range 1-12"},
      {"0 0 12 ? * 0", "day-of-week", 11, "value 0 is out of range 1-7"},
      {"0 0 12 ? * 8", "day-of-week", 11, "value 8 is out of range 1-7"},
      {"0 0 12 * * ? 1969", "year", 13, "value 1969 is out of range 1970-2199"},
      {"0 0 12 * * ? 2200", "year", 13, "value 2200 is out of range 1970-2199"},
      {"0 0 12 * * ? 99999999999", "year", 13, "out of range 1970-2199"},
      {"0 0 12 1-40 * ?", "day-of-month", 9, "value 40 is out of range 1-31"},
      {"0/0 0 12 * * ?", "seconds", 2, "step 0 is out of range 1-59"},
      {"*/60 0 12 * * ?", "seconds", 2, "step 60 is out of range 1-59"},
      {"0 0 */24 * * ?", "hours", 6, "step 24 is out of range 1-23"},
      {"0/ 0 12 * * ?", "seconds", 1, "'/' must be followed by a number"},
      {"0 0 1-/2 * * ?", "hours", 6, "unexpected character '/'"},
      {"0 0 1- * * ?", "hours", 6, "missing value"},
      {"? 0 12 * * ?", "seconds", 0, "'?' is only allowed in day-of-month and day-of-week"},
      {"0 0 12 ? * ?", "day-of-week", 11, "'?' cannot be in both day-of-month and day-of-week"},
      {"0 0 12 * * MON", "day-of-week", 11,
       "'?' must be in exactly one of day-of-month and day-of-week (got \"*\" and \"MON\")"},
      {"0 0 12 ?,1 * ?", "day-of-month", 8, "'?' must be the whole field"},
      {"0 0 12 1,? * ?", "day-of-month", 9, "'?' must be the whole field"},
      {"0 0 12 * JANUARY ?", "month", 9, "unknown name \"JANUARY\""},
      {"0 0 12 ? * JAN", "day-of-week", 11, "unknown name \"JAN\""},
      {"0 0 MON * * ?", "hours", 4, "unknown name \"MON\""},
      {"0 0 L * * ?", "hours", 4, "'L' is only allowed in day-of-month and day-of-week"},
      {"0 0 12 ? * 5W", "day-of-week", 12, "'W' is only allowed in day-of-month"},
      {"0 0 12 1#2 * ?", "day-of-month", 8, "'#' is only allowed in day-of-week"},
      {"0 0 12 ? * 2#1#2", "day-of-week", 14, "unexpected character '#'"},
      {"0 0 12 ? * 1#2,3", "day-of-week", 14, "'#' cannot be combined with other values"},
      {"0 0 12 ? * 3,1#2", "day-of-week", 14, "'#' needs a single day, not a list"},
      {"0 0 12 ? * 6#6", "day-of-week", 13, "occurrence 6 is out of range 1-5"},
      {"0 0 12 ? * 6#0", "day-of-week", 13, "occurrence 0 is out of range 1-5"},
      {"0 0 12 ? * 6#", "day-of-week", 13, "missing number after '#'"},
      {"0 0 12 ? * 9L", "day-of-week", 11, "value 9 is out of range 1-7"},
      {"0 0 12 ? * 5L,1", "day-of-week", 13, "'L' cannot be combined with other values"},
      {"0 0 12 ? * 1-5L", "day-of-week", 14, "'L' needs a single day, not a list"},
      {"0 0 12 L,15 * ?", "day-of-month", 8, "'L' cannot be combined with other values"},
      {"0 0 12 15,L * ?", "day-of-month", 10, "'L' cannot be combined with other values"},
      {"0 0 12 W * ?", "day-of-month", 7, "'W' must follow a single day"},
      {"0 0 12 5L * ?", "day-of-month", 8, "'L' after a day is not valid in day-of-month"},
      {"0 0 12 L-31 * ?", "day-of-month", 9, "offset 31 is out of range 0-30"},
      {"0 0 12 L- * ?", "day-of-month", 9, "missing number after 'L-'"},
      {"0 0 12 LX * ?", "day-of-month", 7, "unknown name \"LX\""},
      {"0 0 12 15W,1 * ?", "day-of-month", 10, "'W' cannot be combined with other values"},
      {"0 0 12 1-5W * ?", "day-of-month", 10, "'W' needs a single day, not a list"},
      {"0 0 12 0W * ?", "day-of-month", 7, "value 0 is out of range 1-31"},
      {"0 0 12 32W * ?", "day-of-month", 7, "value 32 is out of range 1-31"},
      {"0 0 12 ? * MON/2", "day-of-week", 14, "a step cannot follow a name"},
      {"0 0 12 ? * MON-FRI/2", "day-of-week", 18, "a step cannot follow a name"},
      {"0 0 12 ? JAN/3 *", "month", 12, "a step cannot follow a name"},
      {"0 0 12 ? * MON-5", "day-of-week", 15, "a range cannot mix a name and a number"},
      {"0 0 12 * * ? 2030-2020", "year", 13, "range 2030-2020 is reversed"},
      {"0 0 1,,2 * * ?", "hours", 6, "missing value"},
      {"0 0 1, * * ?", "hours", 6, "missing value"},
      {"0 0 5X * * ?", "hours", 5, "unknown name \"X\""},
      {"0 0 5. * * ?", "hours", 5, "unexpected character '.'"},
      {"0 0 *5 * * ?", "hours", 5, "unexpected number 5"},
      {"0 0 12 * * ?\n", "day-of-week", 12, "'?' must be the whole field"},
      {"0 0 12 ? * MONDAY", "day-of-week", 11, "unknown name \"MONDAY\""},
  };
  for (const auto& c : cases) {
    INFO("\"" << c.text << "\"");
    const auto err = error_of(c.text);
    INFO(err.to_string());
    CHECK(err.field == c.field);
    CHECK(err.position == c.position);
    CHECK_THAT(err.message, Catch::Contains(c.message));
  }
}

TEST_CASE("cron: text() is the text as given", "[cron]") {
  CHECK(cron("  0 0 12 ? * fri  ").text() == "  0 0 12 ? * fri  ");
}

TEST_CASE("cron: fields, lists, ranges, steps", "[cron]") {
  // '*' in every field: every second.
  CHECK(fires("* * * * * ?", "2024-05-01 10:00:00", 2) ==
        strings{"2024-05-01 10:00:01", "2024-05-01 10:00:02"});
  // Strictly after: a fire time is not its own successor.
  CHECK(next("0 0 12 * * ?", "2024-05-01 12:00:00") == "2024-05-02 12:00:00");
  CHECK(next("0 0 12 * * ?", "2024-05-01 11:59:59") == "2024-05-01 12:00:00");
  // Lists; tabs separate fields as well as spaces.
  CHECK(fires("0\t0 1,13 * * ?", "2024-05-01 02:00:00", 3) ==
        strings{"2024-05-01 13:00:00", "2024-05-02 01:00:00", "2024-05-02 13:00:00"});
  // Steps: a/n from a to the end of the field, */n and a bare /n from its start.
  CHECK(fires("5/20 0 0 * * ?", "2024-05-01 00:00:00", 3) ==
        strings{"2024-05-01 00:00:05", "2024-05-01 00:00:25", "2024-05-01 00:00:45"});
  CHECK(fires("0 */25 0 * * ?", "2024-05-01 00:00:00", 3) ==
        strings{"2024-05-01 00:25:00", "2024-05-01 00:50:00", "2024-05-02 00:00:00"});
  CHECK(fires("0 /25 0 * * ?", "2024-05-01 00:00:00", 3) ==
        fires("0 */25 0 * * ?", "2024-05-01 00:00:00", 3));
  CHECK(fires("0 10-40/15 0 * * ?", "2024-05-01 00:00:00", 4) ==
        strings{"2024-05-01 00:10:00", "2024-05-01 00:25:00", "2024-05-01 00:40:00",
                "2024-05-02 00:10:00"});
  // Days of the month from 1: "1/10" is 1, 11, 21, 31.
  CHECK(fires("0 0 0 1/10 * ?", "2024-01-02 00:00:00", 4) ==
        strings{"2024-01-11 00:00:00", "2024-01-21 00:00:00", "2024-01-31 00:00:00",
                "2024-02-01 00:00:00"});
  // "7/6" in months is 7 only, not every sixth month (Quartz's own example).
  CHECK(fires("0 0 0 1 7/6 ?", "2024-01-01 00:00:00", 2) ==
        strings{"2024-07-01 00:00:00", "2025-07-01 00:00:00"});
  // Ranges that wrap around the end of the field.
  CHECK(fires("0 0 22-1 * * ?", "2024-05-01 12:00:00", 5) ==
        strings{"2024-05-01 22:00:00", "2024-05-01 23:00:00", "2024-05-02 00:00:00",
                "2024-05-02 01:00:00", "2024-05-02 22:00:00"});
  CHECK(fires("0 0 0 1 NOV-FEB ?", "2024-05-01 00:00:00", 4) ==
        strings{"2024-11-01 00:00:00", "2024-12-01 00:00:00", "2025-01-01 00:00:00",
                "2025-02-01 00:00:00"});
  CHECK(fires("0 0 0 28-2 2 ?", "2024-01-01 00:00:00", 4) ==
        strings{"2024-02-01 00:00:00", "2024-02-02 00:00:00", "2024-02-28 00:00:00",
                "2024-02-29 00:00:00"});
  // 2024-05-03 is a Friday: FRI-MON wraps over the weekend.
  CHECK(fires("0 0 12 ? * FRI-MON", "2024-05-02 00:00:00", 5) ==
        strings{"2024-05-03 12:00:00", "2024-05-04 12:00:00", "2024-05-05 12:00:00",
                "2024-05-06 12:00:00", "2024-05-10 12:00:00"});
  // Wrapping with a step: 50, 70 - 60 = 10.
  CHECK(fires("50-10/20 0 0 * * ?", "2024-05-01 00:00:00", 2) ==
        strings{"2024-05-01 00:00:10", "2024-05-01 00:00:50"});
}

TEST_CASE("cron: names in any case, 1 is Sunday", "[cron]") {
  // 2024-05-05 is a Sunday.
  CHECK(next("0 0 12 ? * 1", "2024-05-01 00:00:00") == "2024-05-05 12:00:00");
  CHECK(next("0 0 12 ? * SUN", "2024-05-01 00:00:00") == "2024-05-05 12:00:00");
  CHECK(next("0 0 12 ? * 7", "2024-05-01 00:00:00") == "2024-05-04 12:00:00");
  for (const auto* text : {"0 0 12 ? * FRI", "0 0 12 ? * fri", "0 0 12 ? * Fri", "0 0 12 ? * 6"})
    CHECK(next(text, "2024-05-01 00:00:00") == "2024-05-03 12:00:00");
  for (const auto* text : {"0 0 0 1 JUN ?", "0 0 0 1 jun ?", "0 0 0 1 Jun ?", "0 0 0 1 6 ?"})
    CHECK(next(text, "2024-01-01 00:00:00") == "2024-06-01 00:00:00");
  CHECK(fires("0 0 0 1 jan,JUL ?", "2024-02-01 00:00:00", 2) ==
        strings{"2024-07-01 00:00:00", "2025-01-01 00:00:00"});
  // A lone 'L' in day-of-week is Saturday, as in Quartz.
  CHECK(next("0 0 12 ? * L", "2024-05-01 00:00:00") == "2024-05-04 12:00:00");
}

TEST_CASE("cron: leap years", "[cron]") {
  CHECK(fires("0 0 0 29 2 ?", "2023-03-01 00:00:00", 3) ==
        strings{"2024-02-29 00:00:00", "2028-02-29 00:00:00", "2032-02-29 00:00:00"});
  // 2100 is not a leap year; 2000 was.
  CHECK(next("0 0 0 29 2 ?", "2096-03-01 00:00:00") == "2104-02-29 00:00:00");
  CHECK(next("0 0 0 29 2 ?", "1999-01-01 00:00:00") == "2000-02-29 00:00:00");
  CHECK(fires("0 0 0 L 2 ?", "2023-01-01 00:00:00", 2) ==
        strings{"2023-02-28 00:00:00", "2024-02-29 00:00:00"});
  CHECK(fires("0 0 0 29 FEB ? 2000/4", "1990-01-01 00:00:00", 2) ==
        strings{"2000-02-29 00:00:00", "2004-02-29 00:00:00"});
  // A year step counts from 1970, and 1970 + 4k is never a leap year.
  CHECK(next("0 0 0 29 FEB ? */4", "1990-01-01 00:00:00") == "none");
}

TEST_CASE("cron: L and L-n, last days of months", "[cron]") {
  CHECK(fires("0 0 12 L * ?", "2024-01-31 12:00:00", 3) ==
        strings{"2024-02-29 12:00:00", "2024-03-31 12:00:00", "2024-04-30 12:00:00"});
  CHECK(fires("0 0 12 L-3 * ?", "2023-01-01 00:00:00", 3) ==
        strings{"2023-01-28 12:00:00", "2023-02-25 12:00:00", "2023-03-28 12:00:00"});
  CHECK(next("0 0 12 L-3 2 ?", "2024-01-01 00:00:00") == "2024-02-26 12:00:00");
  CHECK(next("0 0 12 L-0 * ?", "2024-04-01 00:00:00") == "2024-04-30 12:00:00");
  // L-30 is the 1st of 31-day months and nothing in shorter ones.
  CHECK(fires("0 0 12 L-30 * ?", "2024-01-02 00:00:00", 3) ==
        strings{"2024-03-01 12:00:00", "2024-05-01 12:00:00", "2024-07-01 12:00:00"});
  CHECK(next("59 59 23 L * ?", "2024-12-31 23:59:58") == "2024-12-31 23:59:59");
  CHECK(next("59 59 23 L * ?", "2024-12-31 23:59:59") == "2025-01-31 23:59:59");
}

TEST_CASE("cron: W, the weekday nearest a day, never leaves the month", "[cron]") {
  // 2024-06-15 is a Saturday: Friday the 14th. 2024-09-15 is a Sunday: Monday the 16th.
  CHECK(next("0 0 12 15W * ?", "2024-06-01 00:00:00") == "2024-06-14 12:00:00");
  CHECK(next("0 0 12 15W * ?", "2024-09-01 00:00:00") == "2024-09-16 12:00:00");
  CHECK(next("0 0 12 15W * ?", "2024-05-01 00:00:00") == "2024-05-15 12:00:00");
  // Already past the 14th when the 15th is a Saturday: next month.
  CHECK(next("0 0 12 15W * ?", "2024-06-14 12:00:00") == "2024-07-15 12:00:00");
  // 2022-01-01 is a Saturday: not Friday 31 December, but Monday the 3rd.
  CHECK(next("0 0 12 1W * ?", "2021-12-15 00:00:00") == "2022-01-03 12:00:00");
  // 2024-09-01 is a Sunday: Monday the 2nd.
  CHECK(next("0 0 12 1W * ?", "2024-08-15 00:00:00") == "2024-09-02 12:00:00");
  // 2024-03-31 is a Sunday: not Monday 1 April, but Friday the 29th.
  CHECK(next("0 0 12 31W * ?", "2024-03-01 00:00:00") == "2024-03-29 12:00:00");
  // No day 31 in April or June: nW never fires in a month without day n.
  CHECK(fires("0 0 12 31W * ?", "2024-03-30 00:00:00", 2) ==
        strings{"2024-05-31 12:00:00", "2024-07-31 12:00:00"});
  // Quartz fires 29W on Friday 28 February 1997 (1 March is a Saturday); we do not.
  CHECK(next("0 0 12 29W 2 ?", "1997-01-01 00:00:00") == "2000-02-29 12:00:00");
  CHECK(next("0 0 12 30W 2 ?", "1997-01-01 00:00:00") == "none");
}

TEST_CASE("cron: LW and L-nW", "[cron]") {
  // Last days: 2024-03-31 Sunday, 2024-08-31 Saturday, 2024-07-31 Wednesday.
  CHECK(next("0 0 12 LW * ?", "2024-03-01 00:00:00") == "2024-03-29 12:00:00");
  CHECK(next("0 0 12 LW * ?", "2024-08-01 00:00:00") == "2024-08-30 12:00:00");
  CHECK(next("0 0 12 LW * ?", "2024-07-01 00:00:00") == "2024-07-31 12:00:00");
  // L-2W in June 2024: the 28th, a Friday. In March 2024: the 29th, a Friday.
  CHECK(next("0 0 12 L-2W * ?", "2024-06-01 00:00:00") == "2024-06-28 12:00:00");
  CHECK(next("0 0 12 L-2W * ?", "2024-03-01 00:00:00") == "2024-03-29 12:00:00");
  // L-30W: the 1st of 31-day months, moved off a weekend (2024-12-01 is a Sunday), and
  // nothing in shorter months, where Quartz loops forever or fires elsewhere.
  CHECK(fires("0 0 12 L-30W * ?", "2024-09-15 00:00:00", 3) ==
        strings{"2024-10-01 12:00:00", "2024-12-02 12:00:00", "2025-01-01 12:00:00"});
}

TEST_CASE("cron: nL and n#k", "[cron]") {
  // The last Thursday: 2024-05-30, 2024-06-27.
  CHECK(fires("0 0 12 ? * 5L", "2024-05-01 00:00:00", 2) ==
        strings{"2024-05-30 12:00:00", "2024-06-27 12:00:00"});
  CHECK(fires("0 0 12 ? * thuL", "2024-05-01 00:00:00", 2) ==
        fires("0 0 12 ? * 5L", "2024-05-01 00:00:00", 2));
  // The second Monday.
  CHECK(fires("0 0 12 ? * 2#2", "2024-05-01 00:00:00", 2) ==
        strings{"2024-05-13 12:00:00", "2024-06-10 12:00:00"});
  CHECK(next("0 0 12 ? * MON#2", "2024-05-01 00:00:00") == "2024-05-13 12:00:00");
  // The fifth Friday: none in February 2024 or April 2024; March and May have one.
  CHECK(fires("0 0 12 ? * 6#5", "2024-02-01 00:00:00", 3) ==
        strings{"2024-03-29 12:00:00", "2024-05-31 12:00:00", "2024-08-30 12:00:00"});
}

TEST_CASE("cron: years, and the end of the schedule", "[cron]") {
  CHECK(fires("0 0 0 1 1 ? 2030-2032", "2024-01-01 00:00:00", 5) ==
        strings{"2030-01-01 00:00:00", "2031-01-01 00:00:00", "2032-01-01 00:00:00"});
  CHECK(fires("0 0 0 1 1 ? 2030,2040/5", "2024-01-01 00:00:00", 4) ==
        strings{"2030-01-01 00:00:00", "2040-01-01 00:00:00", "2045-01-01 00:00:00",
                "2050-01-01 00:00:00"});
  CHECK(next("0 0 0 1 1 ? 2020", "2024-01-01 00:00:00") == "none");
  // Up to 2199, the end of Quartz's year field (Quartz itself stops at this year + 100).
  CHECK(next("0 0 0 1 1 ? 2199", "2150-01-01 00:00:00") == "2199-01-01 00:00:00");
  CHECK(next("* * * * * ?", "2199-12-31 23:59:58") == "2199-12-31 23:59:59");
  CHECK(next("* * * * * ?", "2199-12-31 23:59:59") == "none");
  CHECK(next("* * * * * ?", "2400-01-01 00:00:00") == "none");
  // Nothing before 1970.
  CHECK(next("0 0 0 1 1 ?", "1900-06-01 00:00:00") == "1970-01-01 00:00:00");
  CHECK(cron("0 0 0 1 1 ?").next_n(utc("2024-01-01 00:00:00"), find_zone("UTC"), 0).empty());
}

TEST_CASE("cron: DST gap in Europe/Berlin fires once at the end of the gap", "[cron]") {
  // 2024-03-31: 02:00 CET becomes 03:00 CEST at 01:00 UTC.
  CHECK(fires("0 30 2 * * ?", "2024-03-30 00:00:00", 3, "Europe/Berlin") ==
        strings{"2024-03-30 01:30:00", "2024-03-31 01:00:00", "2024-04-01 00:30:00"});
  // Four skipped wall times, one fire.
  CHECK(fires("0 0/15 2 * * ?", "2024-03-31 00:00:00", 2, "Europe/Berlin") ==
        strings{"2024-03-31 01:00:00", "2024-04-01 00:00:00"});
  // An every-15-minutes schedule just carries on.
  CHECK(fires("0 0/15 * * * ?", "2024-03-31 00:40:00", 3, "Europe/Berlin") ==
        strings{"2024-03-31 00:45:00", "2024-03-31 01:00:00", "2024-03-31 01:15:00"});
}

TEST_CASE("cron: DST overlap in Europe/Berlin fires at the first occurrence only", "[cron]") {
  // 2024-10-27: 03:00 CEST becomes 02:00 CET at 01:00 UTC; 02:30 happens at 00:30 and 01:30.
  CHECK(fires("0 30 2 * * ?", "2024-10-26 12:00:00", 2, "Europe/Berlin") ==
        strings{"2024-10-27 00:30:00", "2024-10-28 01:30:00"});
  // Half-hourly: 02:00 and 02:30 CEST, then 03:00 CET; the repeated hour does not fire.
  CHECK(fires("0 0/30 * * * ?", "2024-10-26 23:45:00", 4, "Europe/Berlin") ==
        strings{"2024-10-27 00:00:00", "2024-10-27 00:30:00", "2024-10-27 02:00:00",
                "2024-10-27 02:30:00"});
  // From inside the repeated hour (02:15 CET, second pass) the next is 03:00 CET.
  CHECK(next("0 0/30 * * * ?", "2024-10-27 01:15:00", "Europe/Berlin") == "2024-10-27 02:00:00");
  // From inside the first pass, the rest of the first pass.
  CHECK(next("0 0/30 * * * ?", "2024-10-27 00:15:00", "Europe/Berlin") == "2024-10-27 00:30:00");
}

TEST_CASE("cron: DST in America/New_York", "[cron]") {
  // 2024-03-10: 02:00 EST becomes 03:00 EDT at 07:00 UTC.
  CHECK(fires("0 30 2 * * ?", "2024-03-09 12:00:00", 2, "America/New_York") ==
        strings{"2024-03-10 07:00:00", "2024-03-11 06:30:00"});
  // 2024-11-03: 02:00 EDT becomes 01:00 EST at 06:00 UTC; 01:30 happens at 05:30 and 06:30.
  CHECK(fires("0 30 1 * * ?", "2024-11-02 12:00:00", 2, "America/New_York") ==
        strings{"2024-11-03 05:30:00", "2024-11-04 06:30:00"});
  CHECK(fires("0 0 * * * ?", "2024-11-03 04:30:00", 3, "America/New_York") ==
        strings{"2024-11-03 05:00:00", "2024-11-03 07:00:00", "2024-11-03 08:00:00"});
}

TEST_CASE("cron: half-hour DST in Australia/Lord_Howe", "[cron]") {
  // 2024-10-06: 02:00 +10:30 becomes 02:30 +11:00 at 15:30 UTC the day before.
  CHECK(next("0 15 2 * * ?", "2024-10-05 12:00:00", "Australia/Lord_Howe") ==
        "2024-10-05 15:30:00");
  CHECK(next("0 45 2 * * ?", "2024-10-05 12:00:00", "Australia/Lord_Howe") ==
        "2024-10-05 15:45:00");
}

TEST_CASE("cron: zones follow their rules after 2037", "[cron]") {
  // The OS database spells transitions out to 2037 only; the rule carries on after.
  const auto* berlin = find_zone("Europe/Berlin");
  CHECK(baton::model::utc_offset(berlin, utc("2060-07-01 00:00:00")) == std::chrono::hours{2});
  CHECK(baton::model::utc_offset(berlin, utc("2060-01-01 00:00:00")) == std::chrono::hours{1});
  CHECK(next("0 0 12 1 7 ? 2050", "2024-01-01 00:00:00", "Europe/Berlin") == "2050-07-01 10:00:00");
  // 2050-03-27 is the last Sunday of March: 02:30 is skipped, fires at 03:00 CEST.
  CHECK(next("0 30 2 27 3 ? 2050", "2024-01-01 00:00:00", "Europe/Berlin") ==
        "2050-03-27 01:00:00");
  CHECK(next("0 0 12 ? 1 SUN#1 2090", "2024-01-01 00:00:00", "Australia/Sydney") ==
        "2090-01-01 01:00:00");
}

TEST_CASE("cron: find_zone", "[cron]") {
  CHECK(find_zone("Europe/Berlin") != nullptr);
  CHECK(find_zone("America/New_York") != nullptr);
  CHECK(find_zone("Nowhere/Atlantis") == nullptr);
  CHECK(find_zone("europe/berlin") == nullptr);  // IANA names are case-sensitive
  CHECK(find_zone("") != nullptr);               // the machine's zone
  // A null zone reads as UTC.
  CHECK(cron("0 0 12 * * ?").next_after(utc("2024-01-01 00:00:00"), nullptr) ==
        utc("2024-01-01 12:00:00"));
}
