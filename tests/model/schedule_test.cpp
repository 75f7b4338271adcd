#include "model/schedule.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "model/time.hpp"

namespace {

using baton::model::fire_plan;
using baton::model::misfire_policy;
using baton::model::parse_local_time;
using baton::model::plan_fires;
using baton::model::plan_new;
using baton::model::schedule;
using baton::model::schedule_status;
using ms_list = std::vector<std::int64_t>;

constexpr std::int64_t second = 1000;
constexpr std::int64_t minute = 60 * second;
constexpr std::int64_t hour = 60 * minute;

/// "2024-01-01T10:00:00Z" as ms since the epoch.
std::int64_t at(const std::string& iso) {
  auto ms = baton::model::parse_iso_instant(iso);
  REQUIRE(ms);
  return *ms;
}

/// A valid UTC schedule with `cron`, nothing else set.
schedule with_cron(std::string cron) {
  schedule s;
  s.id = "s1";
  s.definition = "Instant";
  s.cron = std::move(cron);
  s.time_zone = "UTC";
  return s;
}

/// `s` as the scheduler keeps it after a plan: its next fire time and status applied.
void apply(schedule& s, const fire_plan& plan) {
  s.next_fire_ms = plan.next_fire_ms;
  s.status = plan.status;
  for (auto t : plan.fire_times) s.runs.push_back({t, "p", {}});
}

}  // namespace

TEST_CASE("a schedule fires nothing before its window opens and completes after it closes",
          "[model][schedule]") {
  auto s = with_cron("0 * * ? * *");  // every minute
  s.start_ms = at("2024-01-01T10:00:00Z");
  s.end_ms = at("2024-01-01T10:02:30Z");

  SECTION("before the window: the first fire time is the window's start, nothing fires yet") {
    auto now = at("2024-01-01T09:00:00Z");
    auto plan = plan_new(s, now);
    CHECK(plan.fire_times.empty());
    CHECK(plan.status == schedule_status::active);
    // The start itself is a cron time, so it counts.
    CHECK(plan.next_fire_ms == at("2024-01-01T10:00:00Z"));
    apply(s, plan);
    auto early = plan_fires(s, at("2024-01-01T09:59:59Z"));
    CHECK(early.fire_times.empty());
    CHECK(early.next_fire_ms == at("2024-01-01T10:00:00Z"));
  }

  SECTION("a start between cron times waits for the next cron time") {
    s.start_ms = at("2024-01-01T10:00:01Z");
    auto plan = plan_new(s, at("2024-01-01T09:00:00Z"));
    CHECK(plan.next_fire_ms == at("2024-01-01T10:01:00Z"));
  }

  SECTION("inside the window it fires each minute; the last fire before the end completes it") {
    apply(s, plan_new(s, at("2024-01-01T09:00:00Z")));
    ms_list fired;
    for (auto t :
         {at("2024-01-01T10:00:00Z"), at("2024-01-01T10:01:00Z"), at("2024-01-01T10:02:00Z")}) {
      auto plan = plan_fires(s, t);
      REQUIRE(plan.fire_times.size() == 1);
      CHECK(plan.notes.front().empty());
      fired.push_back(plan.fire_times.front());
      apply(s, plan);
    }
    CHECK(fired == ms_list{at("2024-01-01T10:00:00Z"), at("2024-01-01T10:01:00Z"),
                           at("2024-01-01T10:02:00Z")});
    // 10:03 is past the end: nothing is planned and the schedule is done.
    CHECK(s.next_fire_ms == 0);
    CHECK(s.status == schedule_status::complete);
    CHECK(plan_fires(s, at("2024-01-01T10:03:00Z")).fire_times.empty());
  }

  SECTION("an end that is itself a cron time still fires") {
    s.end_ms = at("2024-01-01T10:01:00Z");
    s.next_fire_ms = at("2024-01-01T10:01:00Z");
    auto plan = plan_fires(s, s.next_fire_ms);
    CHECK(plan.fire_times == ms_list{at("2024-01-01T10:01:00Z")});
    CHECK(plan.status == schedule_status::complete);
  }

  SECTION("created after its end: complete at once, nothing planned") {
    auto plan = plan_new(s, at("2024-01-01T11:00:00Z"));
    CHECK(plan.fire_times.empty());
    CHECK(plan.next_fire_ms == 0);
    CHECK(plan.status == schedule_status::complete);
  }

  SECTION("a window with no cron time inside completes at creation") {
    // The connector's own example: Mon 16 Nov to Wed 18 Nov 2020, Fridays only.
    auto fridays = with_cron("0 6 6 ? * FRI");
    fridays.start_ms = at("2020-11-16T16:56:00Z");
    fridays.end_ms = at("2020-11-18T16:55:00Z");
    auto plan = plan_new(fridays, at("2020-11-01T00:00:00Z"));
    CHECK(plan.next_fire_ms == 0);
    CHECK(plan.status == schedule_status::complete);
  }
}

TEST_CASE("runOnce completes after its one fire", "[model][schedule]") {
  auto s = with_cron("0 0 * ? * *");  // hourly
  s.run_once = true;
  auto now = at("2024-01-01T10:30:00Z");
  auto first = plan_new(s, now);
  CHECK(first.next_fire_ms == at("2024-01-01T11:00:00Z"));
  CHECK(first.status == schedule_status::active);
  apply(s, first);

  auto plan = plan_fires(s, at("2024-01-01T11:00:00Z"));
  CHECK(plan.fire_times == ms_list{at("2024-01-01T11:00:00Z")});
  CHECK(plan.status == schedule_status::complete);
  CHECK(plan.next_fire_ms == 0);
  apply(s, plan);
  CHECK(plan_fires(s, at("2024-01-01T12:00:00Z")).fire_times.empty());
}

TEST_CASE("runImmediately plans the first fire for now, then follows the cron",
          "[model][schedule]") {
  auto s = with_cron("0 0 * ? * *");
  s.run_immediately = true;
  auto now = at("2024-01-01T10:30:00Z");

  SECTION("with the window open the first fire time is now") {
    auto plan = plan_new(s, now);
    CHECK(plan.fire_times.empty());  // the timer fires it, not the plan
    CHECK(plan.next_fire_ms == now);
    apply(s, plan);
    auto fired = plan_fires(s, now);
    CHECK(fired.fire_times == ms_list{now});
    CHECK(fired.next_fire_ms == at("2024-01-01T11:00:00Z"));
    CHECK(fired.status == schedule_status::active);
  }

  SECTION("together with runOnce it fires now and completes") {
    s.run_once = true;
    apply(s, plan_new(s, now));
    auto fired = plan_fires(s, now);
    CHECK(fired.fire_times == ms_list{now});
    CHECK(fired.status == schedule_status::complete);
    CHECK(fired.next_fire_ms == 0);
  }

  SECTION("without a cron it fires now, once") {
    s.cron.clear();
    CHECK(baton::model::check_schedule(s).empty());
    apply(s, plan_new(s, now));
    CHECK(s.next_fire_ms == now);
    auto fired = plan_fires(s, now);
    CHECK(fired.fire_times == ms_list{now});
    CHECK(fired.status == schedule_status::complete);
  }

  SECTION("a window that opens later waits for its first cron time inside") {
    s.start_ms = at("2024-01-02T00:00:00Z");
    auto plan = plan_new(s, now);
    CHECK(plan.next_fire_ms == at("2024-01-02T00:00:00Z"));
  }
}

TEST_CASE("misfire policies after a downtime", "[model][schedule]") {
  auto s = with_cron("0 0 * ? * *");  // hourly
  s.next_fire_ms = at("2024-01-01T10:00:00Z");
  // Down from 09:59 to 15:30: 10:00 .. 15:00 were missed (6 fire times).
  auto now = at("2024-01-01T15:30:00Z");

  SECTION("fire_once_now: one run for all that were missed, then the next after now") {
    s.misfire = misfire_policy::fire_once_now;
    auto plan = plan_fires(s, now);
    CHECK(plan.fire_times == ms_list{at("2024-01-01T10:00:00Z")});
    REQUIRE(plan.notes.size() == 1);
    CHECK(plan.notes.front().find("misfire") != std::string::npos);
    CHECK(plan.next_fire_ms == at("2024-01-01T16:00:00Z"));
    CHECK(plan.status == schedule_status::active);
  }

  SECTION("skip: nothing, the next after now") {
    s.misfire = misfire_policy::skip;
    auto plan = plan_fires(s, now);
    CHECK(plan.fire_times.empty());
    CHECK(plan.next_fire_ms == at("2024-01-01T16:00:00Z"));
  }

  SECTION("catch_up: each missed time inside the catch-up window, oldest first") {
    s.misfire = misfire_policy::catch_up;
    SECTION("a window covering the whole downtime") {
      s.catch_up_window_ms = 6 * hour;
      auto plan = plan_fires(s, now);
      CHECK(plan.fire_times == ms_list{at("2024-01-01T10:00:00Z"), at("2024-01-01T11:00:00Z"),
                                       at("2024-01-01T12:00:00Z"), at("2024-01-01T13:00:00Z"),
                                       at("2024-01-01T14:00:00Z"), at("2024-01-01T15:00:00Z")});
      CHECK(plan.notes.size() == plan.fire_times.size());
      CHECK(plan.next_fire_ms == at("2024-01-01T16:00:00Z"));
    }
    SECTION("the default window of an hour keeps only the latest") {
      auto plan = plan_fires(s, now);
      CHECK(plan.fire_times == ms_list{at("2024-01-01T15:00:00Z")});
      CHECK(plan.next_fire_ms == at("2024-01-01T16:00:00Z"));
    }
    SECTION("a window edge exactly on a fire time includes it") {
      s.catch_up_window_ms = 90 * minute;
      auto plan = plan_fires(s, at("2024-01-01T15:30:00Z"));
      CHECK(plan.fire_times == ms_list{at("2024-01-01T14:00:00Z"), at("2024-01-01T15:00:00Z")});
    }
    SECTION("never before the schedule's start, never after its end") {
      s.catch_up_window_ms = 24 * hour;
      s.start_ms = at("2024-01-01T12:00:00Z");
      s.end_ms = at("2024-01-01T14:00:00Z");
      s.next_fire_ms = at("2024-01-01T12:00:00Z");
      auto plan = plan_fires(s, now);
      CHECK(plan.fire_times == ms_list{at("2024-01-01T12:00:00Z"), at("2024-01-01T13:00:00Z"),
                                       at("2024-01-01T14:00:00Z")});
      CHECK(plan.status == schedule_status::complete);
      CHECK(plan.next_fire_ms == 0);
    }
  }
}

TEST_CASE("catch_up is bounded, and the bound counts fires inside the window",
          "[model][schedule]") {
  auto s = with_cron("* * * ? * *");  // every second
  s.misfire = misfire_policy::catch_up;

  SECTION("2 h of missed seconds, all inside a 3 h window: the oldest 1000 fire") {
    s.catch_up_window_ms = 3 * hour;
    s.next_fire_ms = at("2024-01-01T10:00:00Z");
    auto plan = plan_fires(s, at("2024-01-01T12:00:00Z"));
    REQUIRE(plan.fire_times.size() == 1000);
    CHECK(plan.fire_times.front() == at("2024-01-01T10:00:00Z"));
    CHECK(plan.fire_times.back() == at("2024-01-01T10:16:39Z"));
    CHECK(plan.next_fire_ms == at("2024-01-01T12:00:01Z"));
  }

  SECTION("3 h down, a 10 min window: the missed seconds of the last 10 min fire") {
    // The 10,800 seconds before the window must not use up the bound: only times inside
    // the window are candidates.
    s.catch_up_window_ms = 10 * minute;
    s.next_fire_ms = at("2024-01-01T09:00:00Z");
    auto now = at("2024-01-01T12:00:00Z");
    auto plan = plan_fires(s, now);
    REQUIRE(plan.fire_times.size() == 601);  // 11:50:00 .. 12:00:00
    CHECK(plan.fire_times.front() == at("2024-01-01T11:50:00Z"));
    CHECK(plan.fire_times.back() == now);
    for (auto t : plan.fire_times) CHECK(now - t <= s.catch_up_window_ms);
  }
}

TEST_CASE("lateness within the misfire threshold is not a misfire", "[model][schedule]") {
  auto s = with_cron("0 0 * ? * *");
  s.misfire = misfire_policy::skip;  // would drop a misfire: an on-time fire must still run
  s.next_fire_ms = at("2024-01-01T10:00:00Z");

  auto late = plan_fires(s, s.next_fire_ms + baton::model::misfire_threshold_ms);
  CHECK(late.fire_times == ms_list{at("2024-01-01T10:00:00Z")});
  REQUIRE(late.notes.size() == 1);
  CHECK(late.notes.front().empty());
  CHECK(late.next_fire_ms == at("2024-01-01T11:00:00Z"));

  auto too_late = plan_fires(s, s.next_fire_ms + baton::model::misfire_threshold_ms + 1);
  CHECK(too_late.fire_times.empty());
  CHECK(too_late.next_fire_ms == at("2024-01-01T11:00:00Z"));

  SECTION("each time that came due within the threshold fires, as in Quartz") {
    auto every_second = with_cron("* * * ? * *");
    every_second.misfire = misfire_policy::skip;
    every_second.next_fire_ms = at("2024-01-01T10:00:00Z");
    auto stalled = plan_fires(every_second, at("2024-01-01T10:00:03.500Z"));
    CHECK(stalled.fire_times == ms_list{at("2024-01-01T10:00:00Z"), at("2024-01-01T10:00:01Z"),
                                        at("2024-01-01T10:00:02Z"), at("2024-01-01T10:00:03Z")});
    CHECK(stalled.notes == std::vector<std::string>(4));
    CHECK(stalled.next_fire_ms == at("2024-01-01T10:00:04Z"));
    every_second.run_once = true;
    CHECK(plan_fires(every_second, at("2024-01-01T10:00:03.500Z")).fire_times.size() == 1);
  }
  SECTION("nothing fires before the due time, nor while paused") {
    CHECK(plan_fires(s, s.next_fire_ms - 1).fire_times.empty());
    s.status = schedule_status::paused;
    auto paused = plan_fires(s, s.next_fire_ms);
    CHECK(paused.fire_times.empty());
    CHECK(paused.status == schedule_status::paused);
  }
}

TEST_CASE("check_schedule names the field at fault", "[model][schedule]") {
  auto s = with_cron("0 6 6 ? * FRI");
  CHECK(baton::model::check_schedule(s).empty());

  auto only = [](const schedule& x) {
    auto errors = baton::model::check_schedule(x);
    REQUIRE(errors.size() == 1);
    return errors.front();
  };

  SECTION("a cron typo: field and position") {
    s.cron = "0 6 6 ? * FR";
    auto [field, why] = only(s);
    CHECK(field == "cron");
    CHECK(why == "day-of-week: unknown name \"FR\" at position 10");
  }
  SECTION("an unknown zone") {
    s.time_zone = "Mars/Olympus_Mons";
    auto [field, why] = only(s);
    CHECK(field == "timeZone");
    CHECK(why.find("Mars/Olympus_Mons") != std::string::npos);
  }
  SECTION("an end before the start") {
    s.start_ms = at("2024-01-02T00:00:00Z");
    s.end_ms = at("2024-01-01T00:00:00Z");
    auto [field, why] = only(s);
    CHECK(field == "endDate");
    CHECK(why == "is before startDate");
  }
  SECTION("neither cron nor runImmediately") {
    s.cron.clear();
    CHECK(only(s).first == "cron");
  }
  SECTION("a missing definition") {
    s.definition.clear();
    CHECK(only(s).first == "definition");
  }
  SECTION("every problem is reported at once") {
    s.cron = "0 6 6 ? * FR";
    s.time_zone = "Nowhere/Atall";
    s.retry_count = -1;
    auto errors = baton::model::check_schedule(s);
    REQUIRE(errors.size() == 3);
    CHECK(errors[0].first == "cron");
    CHECK(errors[1].first == "timeZone");
    CHECK(errors[2].first == "retryCount");
  }
}

TEST_CASE("a cron schedule in Europe/Berlin across both DST changes", "[model][schedule]") {
  auto s = with_cron("0 30 2 * * ?");  // 02:30 local, every day
  s.time_zone = "Europe/Berlin";
  // 29 Mar 2026 has no 02:30 (02:00 -> 03:00): it fires when the gap ends, 03:00 CEST.
  CHECK(baton::model::next_cron_fire(s, at("2026-03-28T12:00:00Z")) == at("2026-03-29T01:00:00Z"));
  // 25 Oct 2026 has 02:30 twice: it fires at the first (CEST) only.
  auto first = baton::model::next_cron_fire(s, at("2026-10-24T12:00:00Z"));
  CHECK(first == at("2026-10-25T00:30:00Z"));
  CHECK(baton::model::next_cron_fire(s, *first) == at("2026-10-26T01:30:00Z"));
}

TEST_CASE("parse_local_time reads a wall time in a zone, through DST changes",
          "[model][schedule]") {
  SECTION("winter and summer time") {
    CHECK(parse_local_time("2026-01-15 12:00:00", "Europe/Berlin") == at("2026-01-15T11:00:00Z"));
    CHECK(parse_local_time("2026-07-15 12:00:00", "Europe/Berlin") == at("2026-07-15T10:00:00Z"));
    CHECK(parse_local_time("2020-11-16 16:56:00", "UTC") == at("2020-11-16T16:56:00Z"));
  }
  SECTION("a wall time in the spring gap is the instant the gap ends") {
    CHECK(parse_local_time("2026-03-29 02:30:00", "Europe/Berlin") == at("2026-03-29T01:00:00Z"));
    CHECK(parse_local_time("2026-03-29 01:59:59", "Europe/Berlin") == at("2026-03-29T00:59:59Z"));
    CHECK(parse_local_time("2026-03-29 03:00:00", "Europe/Berlin") == at("2026-03-29T01:00:00Z"));
  }
  SECTION("a wall time that occurs twice in autumn is its first occurrence") {
    CHECK(parse_local_time("2026-10-25 02:30:00", "Europe/Berlin") == at("2026-10-25T00:30:00Z"));
    CHECK(parse_local_time("2026-10-25 03:00:00", "Europe/Berlin") == at("2026-10-25T02:00:00Z"));
  }
  SECTION("past 2037, where the OS database has no written-out transitions") {
    CHECK(parse_local_time("2040-07-01 12:00:00", "Europe/Berlin") == at("2040-07-01T10:00:00Z"));
  }
  SECTION("malformed text or an unknown zone") {
    CHECK_FALSE(parse_local_time("2026-01-15T12:00:00", "Europe/Berlin"));
    CHECK_FALSE(parse_local_time("2026-01-15 12:00", "Europe/Berlin"));
    CHECK_FALSE(parse_local_time("2026-01-15 12:00:00 ", "Europe/Berlin"));
    CHECK_FALSE(parse_local_time("15.01.2026 12:00:00", "Europe/Berlin"));
    CHECK_FALSE(parse_local_time("2026-01-15 12:00:00", "Europe/Nowhere"));
  }
}
