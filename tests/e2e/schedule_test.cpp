#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "model/time.hpp"
#include "tests/e2e/e2e_support.hpp"

using namespace baton::test;
using namespace baton::test::e2e;
using std::chrono::milliseconds;

namespace {

std::int64_t wall_ms() {
  return std::chrono::duration_cast<milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// POST /api/v1/schedules with a OneStepNotepadRunner target; REQUIREs 201. @returns it.
json::object create_schedule(std::uint16_t port, const std::string& cron,
                             const std::string& extra = {}) {
  auto body = R"({"definition": "OneStepNotepadRunner",
                  "values": {"username": "Cron", "surname": "Job"},
                  "cron": ")" +
              cron + R"(", "timeZone": "UTC")" + extra + "}";
  auto r = http_call(port, "POST", "/api/v1/schedules", body);
  INFO(r.body);
  REQUIRE(r.status == 201);
  auto s = object_of(r);
  REQUIRE_FALSE(text(s, "id").empty());
  CHECK(r.header("location") == "/api/v1/schedules/" + text(s, "id"));
  return s;
}

json::object get_schedule(std::uint16_t port, const std::string& id) {
  auto r = http_call(port, "GET", "/api/v1/schedules/" + id);
  INFO(r.body);
  REQUIRE(r.status == 200);
  return object_of(r);
}

struct run {
  std::int64_t fire_ms;
  std::string process_id;
};

std::vector<run> runs_of(const json::object& s) {
  std::vector<run> out;
  for (const auto& r : s.at("runs").as_array()) {
    const auto& o = r.as_object();
    out.push_back({o.at("fireMs").to_number<std::int64_t>(), text(o, "processId")});
    // Every epoch-ms member has its RFC 3339 twin.
    CHECK(baton::model::parse_iso_instant(text(o, "fireAt")) == out.back().fire_ms);
  }
  return out;
}

/// Polls the schedule every 50 ms until `done` holds or `timeout` passes; @returns the last.
json::object poll_schedule(std::uint16_t port, const std::string& id,
                           const std::function<bool(const json::object&)>& done,
                           milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto s = get_schedule(port, id);
  while (!done(s) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(50));
    s = get_schedule(port, id);
  }
  return s;
}

/// Every run started its own process, and no fire time appears twice. `settled`: the
/// schedule no longer fires, so the processes listed are exactly those of the runs (while it
/// fires, one more may have started since the runs were read).
void check_one_process_per_fire(std::uint16_t port, const std::vector<run>& runs, bool settled) {
  std::set<std::int64_t> times;
  std::set<std::string> processes;
  for (const auto& r : runs) {
    INFO("fireMs " << r.fire_ms);
    CHECK(times.insert(r.fire_ms).second);
    CHECK_FALSE(r.process_id.empty());
    CHECK(processes.insert(r.process_id).second);
  }
  auto list = http_call(port, "GET", "/api/v1/processes?definition=OneStepNotepadRunner&limit=100");
  REQUIRE(list.status == 200);
  auto listed = object_of(list).at("items").as_array().size();
  if (settled) {
    CHECK(listed == processes.size());
  } else {
    CHECK(listed >= processes.size());
    CHECK(listed <= processes.size() + 1);
  }
}

}  // namespace

TEST_CASE("a schedule every second runs, pauses, resumes and is deleted", "[e2e][schedule]") {
  baton_server server;
  auto port = server.port();
  auto created = create_schedule(port, "* * * ? * *");
  const auto id = text(created, "id");
  CHECK(text(created, "status") == "ACTIVE");
  CHECK(text(created, "misfire") == "fire_once_now");

  auto s = poll_schedule(
      port, id, [](const json::object& o) { return runs_of(o).size() >= 3; }, milliseconds(4000));
  auto runs = runs_of(s);
  REQUIRE(runs.size() >= 3);
  check_one_process_per_fire(port, runs, false);
  for (std::size_t i = 1; i < runs.size(); ++i) CHECK(runs[i].fire_ms > runs[i - 1].fire_ms);
  for (const auto& r : runs) CHECK(r.fire_ms % 1000 == 0);
  auto p = wait_for_status(port, runs.front().process_id, "SUCCEEDED");
  CHECK(text(p, "status") == "SUCCEEDED");

  // The next fire times are listed, in the future, one second apart.
  const auto& next = s.at("nextFireTimes").as_array();
  REQUIRE(next.size() >= 2);
  std::vector<std::int64_t> next_ms;
  for (const auto& t : next) {
    auto ms = baton::model::parse_iso_instant(std::string(t.as_string()));
    REQUIRE(ms);
    next_ms.push_back(*ms);
  }
  CHECK(next_ms.front() > runs.back().fire_ms);
  CHECK(next_ms.front() == s.at("nextFireMs").to_number<std::int64_t>());
  CHECK(baton::model::parse_iso_instant(text(s, "nextFireAt")) == next_ms.front());
  CHECK(baton::model::parse_iso_instant(text(s, "createdAt")) ==
        s.at("createdMs").to_number<std::int64_t>());
  for (std::size_t i = 1; i < next_ms.size(); ++i) CHECK(next_ms[i] - next_ms[i - 1] == 1000);

  // Paused: no new runs. A fire already on its way when the pause came may still land, so
  // count after a moment.
  auto paused = http_call(port, "POST", "/api/v1/schedules/" + id + "/pause");
  INFO(paused.body);
  REQUIRE(paused.status == 200);
  CHECK(text(object_of(paused), "status") == "PAUSED");
  std::this_thread::sleep_for(milliseconds(300));
  auto while_paused = runs_of(get_schedule(port, id)).size();
  std::this_thread::sleep_for(milliseconds(1100));
  auto still_paused = get_schedule(port, id);
  CHECK(runs_of(still_paused).size() == while_paused);
  CHECK(text(still_paused, "status") == "PAUSED");
  CHECK(still_paused.at("nextFireTimes").as_array().empty());

  auto resumed = http_call(port, "POST", "/api/v1/schedules/" + id + "/resume");
  REQUIRE(resumed.status == 200);
  CHECK(text(object_of(resumed), "status") == "ACTIVE");
  const auto resumed_at = wall_ms();
  auto after = poll_schedule(
      port, id, [&](const json::object& o) { return runs_of(o).size() > while_paused; },
      milliseconds(3000));
  auto all = runs_of(after);
  REQUIRE(all.size() > while_paused);
  // Resuming did not fire the times that passed while paused.
  for (std::size_t i = while_paused; i < all.size(); ++i)
    CHECK(all[i].fire_ms >= resumed_at - 1000);
  check_one_process_per_fire(port, all, false);

  auto removed = http_call(port, "DELETE", "/api/v1/schedules/" + id);
  CHECK(removed.status == 204);
  auto gone = http_call(port, "GET", "/api/v1/schedules/" + id);
  CHECK(gone.status == 404);
  CHECK(http_call(port, "POST", "/api/v1/schedules/" + id + "/resume").status == 404);
  CHECK(http_call(port, "DELETE", "/api/v1/schedules/" + id).status == 404);
  // And it fires no more: the process count stays.
  auto count = [&] {
    auto list =
        http_call(port, "GET", "/api/v1/processes?definition=OneStepNotepadRunner&limit=100");
    return object_of(list).at("items").as_array().size();
  };
  std::this_thread::sleep_for(milliseconds(200));
  auto before = count();
  std::this_thread::sleep_for(milliseconds(1100));
  CHECK(count() == before);
}

TEST_CASE("schedules are validated, naming the field", "[e2e][schedule]") {
  baton_server server;
  auto port = server.port();
  auto post = [&](const std::string& body) {
    return http_call(port, "POST", "/api/v1/schedules", body);
  };
  auto field_of = [](const test_response& r) { return text(object_of(r), "field"); };

  auto bad_cron = post(R"({"definition": "OneStepNotepadRunner", "cron": "0 6 6 ? * FR"})");
  CHECK(bad_cron.status == 400);
  CHECK(field_of(bad_cron) == "cron");
  CHECK(text(object_of(bad_cron), "detail").find("position 10") != std::string::npos);
  auto bad_zone = post(R"({"definition": "OneStepNotepadRunner", "cron": "* * * ? * *",
                           "timeZone": "Mars/Base"})");
  CHECK(bad_zone.status == 400);
  CHECK(field_of(bad_zone) == "timeZone");
  auto bad_date = post(R"({"definition": "OneStepNotepadRunner", "cron": "* * * ? * *",
                           "startDate": "2026-01-01 00:00:00"})");
  CHECK(bad_date.status == 400);
  CHECK(field_of(bad_date) == "/startDate");
  auto unknown = post(R"({"definition": "Nope", "cron": "* * * ? * *"})");
  CHECK(unknown.status == 404);
  CHECK(http_call(port, "GET", "/api/v1/schedules/nosuchid").status == 404);
  CHECK(parse(http_call(port, "GET", "/api/v1/schedules").body).as_array().empty());
}

TEST_CASE("GET /api/v1/cron/next lists fire times across a DST change", "[e2e][schedule]") {
  baton_server server;
  auto port = server.port();

  // 02:30 Berlin every day: on 29 Mar 2026 that wall time does not exist, and it fires when
  // the gap ends, at 03:00 CEST.
  auto r = http_call(port, "GET",
                     "/api/v1/cron/next?expr=0%2030%202%20*%20*%20%3F&tz=Europe/Berlin"
                     "&from=2026-03-28T00:00:00Z&count=3");
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto o = object_of(r);
  CHECK(text(o, "expr") == "0 30 2 * * ?");
  CHECK(text(o, "tz") == "Europe/Berlin");
  std::vector<std::string> got;
  for (const auto& t : o.at("next").as_array()) got.emplace_back(t.as_string());
  CHECK(got == std::vector<std::string>{"2026-03-28T02:30:00+01:00", "2026-03-29T03:00:00+02:00",
                                        "2026-03-30T02:30:00+02:00"});

  auto hourly = object_of(http_call(port, "GET",
                                    "/api/v1/cron/next?expr=0%200%20*%20%3F%20*%20*"
                                    "&tz=Europe/Berlin&from=2026-03-28T23:30:00Z&count=3"));
  got.clear();
  for (const auto& t : hourly.at("next").as_array()) got.emplace_back(t.as_string());
  // 01:00 CET, then 03:00 CEST: 02:00 does not exist that night and fires at the end of the
  // gap, the same instant as 03:00, which fires once.
  CHECK(got == std::vector<std::string>{"2026-03-29T01:00:00+01:00", "2026-03-29T03:00:00+02:00",
                                        "2026-03-29T04:00:00+02:00"});

  auto typo = http_call(port, "GET", "/api/v1/cron/next?expr=0%206%206%20%3F%20*%20FR");
  INFO(typo.body);
  CHECK(typo.status == 400);
  CHECK(text(object_of(typo), "field") == "expr");
  CHECK(text(object_of(typo), "detail") == "day-of-week: unknown name \"FR\" at position 10");

  CHECK(text(object_of(http_call(port, "GET", "/api/v1/cron/next")), "field") == "expr");
  CHECK(text(object_of(http_call(port, "GET",
                                 "/api/v1/cron/next?expr=*%20*%20*%20%3F%20*%20*"
                                 "&tz=Nowhere/Land")),
             "field") == "tz");
  CHECK(text(object_of(http_call(port, "GET",
                                 "/api/v1/cron/next?expr=*%20*%20*%20%3F%20*%20*"
                                 "&count=0")),
             "field") == "count");
}

TEST_CASE("after a crash and a short downtime, a schedule fires each time it missed once",
          "[e2e][schedule]") {
  baton_server server;
  auto port = server.port();
  const auto id = text(create_schedule(port, "*/2 * * ? * *"), "id");

  // Crash within a poll interval of the first fire, so that no fire is half done at the kill
  // (the next is 2 s away).
  auto s = poll_schedule(
      port, id, [](const json::object& o) { return !runs_of(o).empty(); }, milliseconds(4000));
  auto before = runs_of(s);
  REQUIRE_FALSE(before.empty());
  server.kill9();
  const auto last_fire = before.back().fire_ms;

  // Down for about 5 s: two or three fire times pass.
  std::this_thread::sleep_for(milliseconds(5000));
  const auto restarted_at = wall_ms();
  server.start();
  port = server.port();

  // Less than the 60 s misfire threshold late: as in Quartz, each missed time fires (once),
  // oldest first; then every 2 s again. Longer downtimes are misfires (model tests).
  poll_schedule(
      port, id,
      [&](const json::object& o) {
        for (const auto& r : runs_of(o)) {
          if (r.fire_ms >= restarted_at) return true;
        }
        return false;
      },
      milliseconds(5000));
  // Paused, so that the runs and the processes can be compared exactly.
  REQUIRE(http_call(port, "POST", "/api/v1/schedules/" + id + "/pause").status == 200);
  std::this_thread::sleep_for(milliseconds(300));
  auto runs = runs_of(get_schedule(port, id));
  INFO("last fire before the crash " << last_fire << ", restarted at " << restarted_at);
  std::vector<std::int64_t> for_downtime, resumed;
  for (const auto& r : runs) {
    if (r.fire_ms > last_fire && r.fire_ms < restarted_at) for_downtime.push_back(r.fire_ms);
    if (r.fire_ms >= restarted_at) resumed.push_back(r.fire_ms);
  }
  std::vector<std::int64_t> missed;
  for (auto t = last_fire + 2000; t < restarted_at; t += 2000) missed.push_back(t);
  CHECK(for_downtime == missed);
  REQUIRE_FALSE(resumed.empty());
  for (auto t : resumed) CHECK(t % 2000 == 0);
  // The runs from before the crash are all still there, unchanged.
  for (std::size_t i = 0; i < before.size(); ++i) {
    REQUIRE(i < runs.size());
    CHECK(runs[i].fire_ms == before[i].fire_ms);
    CHECK(runs[i].process_id == before[i].process_id);
  }
  check_one_process_per_fire(port, runs, true);
  for (const auto& r : runs) {
    CHECK(text(wait_for_status(port, r.process_id, "SUCCEEDED"), "status") == "SUCCEEDED");
  }
}
