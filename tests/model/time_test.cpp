#include "model/time.hpp"

#include <date/date.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <optional>
#include <random>

#include "model/clock.hpp"

using baton::model::format_iso_instant;
using baton::model::missing_offset;
using baton::model::parse_iso_instant;

namespace {

constexpr std::int64_t half_past_one = 1'774'747'800'000;  // 2026-03-29T01:30:00Z

std::optional<std::int64_t> as_utc(std::string_view text) {
  return parse_iso_instant(text, missing_offset::utc);
}

}  // namespace

TEST_CASE("parse_iso_instant reads Z and offsets, with or without a fraction", "[model][time]") {
  CHECK(parse_iso_instant("2026-03-29T01:30:00Z") == half_past_one);
  CHECK(parse_iso_instant("1970-01-01T00:00:00Z") == 0);
  CHECK(parse_iso_instant("2026-03-29T02:30:00+01:00") == half_past_one);
  CHECK(parse_iso_instant("2026-03-29T02:30:00+0100") == half_past_one);
  CHECK(parse_iso_instant("2026-03-29T02:30:00+01") == half_past_one);
  CHECK(parse_iso_instant("2026-03-29T01:00:00-00:30") == half_past_one);
  CHECK(parse_iso_instant("2026-03-29T15:30:00+14:00") == half_past_one);
  CHECK(parse_iso_instant("2026-03-29T01:30:00-00:00") == half_past_one);
  CHECK(parse_iso_instant("2026-03-29T01:30:00.5Z") == half_past_one + 500);
  CHECK(parse_iso_instant("2026-03-29T01:30:00.123Z") == half_past_one + 123);
  CHECK(parse_iso_instant("2026-03-29T03:30:00.123+02:00") == half_past_one + 123);
  CHECK(parse_iso_instant("2026-03-29T01:30:00,25Z") == half_past_one + 250);
  CHECK(parse_iso_instant("1969-12-31T23:59:59.5Z") == -500);
  CHECK(parse_iso_instant("2024-02-29T00:00:00Z"));  // a leap day
}

TEST_CASE("parse_iso_instant: the cases its two predecessors disagreed on", "[model][time]") {
  // model/time.cpp (schedules, cron/next, workfloo filters) refused an instant without
  // offset; model/process.cpp (timer `until`) read it as UTC. Both still hold, by choice.
  CHECK_FALSE(parse_iso_instant("2026-03-29T01:30:00"));
  CHECK_FALSE(parse_iso_instant("2026-03-29 01:30:00"));
  CHECK(as_utc("2026-03-29T01:30:00") == half_past_one);
  CHECK(as_utc("2026-03-29 01:30:00") == half_past_one);
  CHECK(as_utc("2026-03-29T01:30:00.5") == half_past_one + 500);
  // process.cpp took these only by ignoring what followed the seconds; now both read them.
  CHECK(parse_iso_instant("2026-03-29T01:30:00z") == half_past_one);
  CHECK(parse_iso_instant("2026-03-29 01:30:00Z") == half_past_one);
  CHECK(parse_iso_instant("2026-03-29t01:30:00Z") == half_past_one);
  // cmd/tools.cpp (`baton cron next --from`) refused a fraction of a second.
  CHECK(parse_iso_instant("2026-03-29T01:30:00.000Z") == half_past_one);
  // Every predecessor read more than 3 fraction digits as ms plus an offset made of the rest.
  CHECK(parse_iso_instant("2026-03-29T01:30:00.123456Z") == half_past_one + 123);
  CHECK(parse_iso_instant("2026-03-29T01:30:00.9999Z") == half_past_one + 999);
  CHECK(parse_iso_instant("2026-03-29T01:30:00.123456789+00:00") == half_past_one + 123);
}

TEST_CASE("parse_iso_instant refuses what is not an instant", "[model][time]") {
  for (auto bad : {"",
                   "2026-03-29",
                   "2026-03-29T01:30Z",
                   "2026-03-29T01:30:00Zjunk",
                   "2026-03-29T01:30:00+01:00 ",
                   " 2026-03-29T01:30:00Z",
                   "2026-03-29T01:30:00 Z",
                   "2026-3-9T01:30:00Z",
                   "2026-03-29T1:30:00Z",
                   "+2026-03-29T01:30:00Z",
                   "2026-03-29T01:30:00.Z",
                   "2026-03-29T01:30:00+25:00",
                   "2026-03-29T01:30:00+01:60",
                   "2026-03-29T01:30:00+1",
                   "2026-03-29T01:30:00+01:",
                   "2026-03-29T01:30:00+01:0",
                   "2026-02-30T01:30:00Z",
                   "2026-13-01T01:30:00Z",
                   "2026-03-29T24:00:00Z",
                   "2026-03-29T01:60:00Z",
                   "2026-03-29T01:30:60Z",
                   "2025-02-29T00:00:00Z",
                   "2026-03-29X01:30:00Z",
                   "yesterday",
                   "16.11.2020 16:56"}) {
    INFO(bad);
    CHECK_FALSE(parse_iso_instant(bad));
    CHECK_FALSE(as_utc(bad));
  }
}

TEST_CASE("format_iso_instant writes UTC with ms, and parse reads it back", "[model][time]") {
  CHECK(format_iso_instant(0) == "1970-01-01T00:00:00.000Z");
  CHECK(format_iso_instant(1'700'000'000'123) == "2023-11-14T22:13:20.123Z");
  CHECK(format_iso_instant(half_past_one) == "2026-03-29T01:30:00.000Z");
  CHECK(format_iso_instant(-1) == "1969-12-31T23:59:59.999Z");
  CHECK(format_iso_instant(-1'000) == "1969-12-31T23:59:59.000Z");
  for (std::int64_t ms : {std::int64_t{0}, std::int64_t{-1}, std::int64_t{-86'400'001},
                          half_past_one + 7, std::int64_t{253'402'300'799'999}}) {
    INFO(ms);
    CHECK(parse_iso_instant(format_iso_instant(ms)) == ms);
  }
}

TEST_CASE("format_iso_instant agrees with date.h across years 1 to 9999", "[model][time]") {
  std::mt19937_64 rng(20261205);
  std::uniform_int_distribution<std::int64_t> any(-62'135'596'800'000, 253'402'300'799'999);
  for (int i = 0; i < 20'000; ++i) {
    auto ms = any(rng);
    auto expected = date::format(
        "%FT%TZ", date::sys_time<std::chrono::milliseconds>{std::chrono::milliseconds(ms)});
    INFO(ms);
    REQUIRE(format_iso_instant(ms) == expected);
  }
  // Times close together, as a process' are: the same day written again and again, midnight
  // crossed both ways, and a jump far away and back.
  auto base = std::int64_t{1'780'000'000'000};
  for (std::int64_t step : {std::int64_t{1}, std::int64_t{997}, std::int64_t{3'599'999},
                            std::int64_t{-86'399'999}, std::int64_t{86'400'000} * 400}) {
    auto ms = base;
    for (int i = 0; i < 500; ++i, ms += (i % 7 == 0 ? -step : step)) {
      auto expected = date::format(
          "%FT%TZ", date::sys_time<std::chrono::milliseconds>{std::chrono::milliseconds(ms)});
      INFO(ms);
      REQUIRE(format_iso_instant(ms) == expected);
    }
  }
  std::string out = "at ";
  baton::model::append_iso_instant(out, 0);
  CHECK(out == "at 1970-01-01T00:00:00.000Z");
}

TEST_CASE("format_in_zone shows the zone's offset, and the second before for negative ms",
          "[model][time]") {
  using baton::model::format_in_zone;
  CHECK(format_in_zone(half_past_one, "Europe/Berlin") == "2026-03-29T03:30:00+02:00");
  CHECK(format_in_zone(half_past_one, "UTC") == "2026-03-29T01:30:00+00:00");
  CHECK(format_in_zone(-500, "UTC") == "1969-12-31T23:59:59+00:00");
  CHECK(parse_iso_instant(format_in_zone(half_past_one, "America/St_Johns")) == half_past_one);
}

TEST_CASE("system_clock_ms is the system clock in ms", "[model][clock]") {
  using namespace std::chrono;
  auto before = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  auto now = baton::model::system_clock_ms();
  auto after = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  CHECK(before <= now);
  CHECK(now <= after);
}
