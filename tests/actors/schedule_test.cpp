#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "tests/actors/definitions.hpp"
#include "tests/actors/engine_fixture.hpp"

using namespace baton;
using namespace std::chrono_literals;
using actors::engine_errc;
using actors::schedule_action;
using model::misfire_policy;
using model::overlap_policy;
using model::process_status;
using model::schedule_status;
using testing::engine_fixture;
namespace defs = testing::defs;

namespace {

// The fixture's clock starts at 2023-11-14T22:13:20Z: a 10 s boundary, so `*/10` fires
// 10 s, 20 s, ... after the start.
constexpr const char* every_10s = "*/10 * * ? * *";
constexpr const char* hourly = "0 0 * ? * *";

model::schedule schedule_of(std::string definition, std::string cron) {
  model::schedule s;
  s.definition = std::move(definition);
  s.cron = std::move(cron);
  s.time_zone = "UTC";
  return s;
}

actors::schedule_answer create(engine_fixture& fx, model::schedule s) {
  testing::answers<actors::schedule_answer> done;
  fx.engine().create_schedule(std::move(s), done.callback());
  fx.settle();
  return done.get();
}

/// Creates `s` and REQUIREs success. @returns the schedule as created.
model::schedule created(engine_fixture& fx, model::schedule s) {
  auto a = create(fx, std::move(s));
  INFO(a.message);
  REQUIRE(a.code == engine_errc::ok);
  REQUIRE_FALSE(a.schedule.id.empty());
  return a.schedule;
}

actors::schedule_answer change(engine_fixture& fx, const std::string& id, schedule_action action) {
  testing::answers<actors::schedule_answer> done;
  fx.engine().change_schedule(id, action, done.callback());
  fx.settle();
  return done.get();
}

/// The schedule as stored; fails the test when there is none.
model::schedule stored(engine_fixture& fx, const std::string& id) {
  auto raw = fx.store().schedule_raw(id).value();
  REQUIRE(raw);
  auto s = storage::decode_schedule(*raw);
  REQUIRE(s);
  return std::move(*s);
}

/// Every stored process that schedule `id` started, by listing the store (not the runs).
std::vector<std::string> processes_of(engine_fixture& fx, const std::string& id) {
  storage::process_query q;
  q.limit = 1000;
  std::vector<std::string> out;
  for (const auto& p : fx.store().list(q).value().states) {
    if (p.schedule_id == id) out.push_back(p.id);
  }
  return out;
}

std::vector<std::int64_t> fire_times(const model::schedule& s) {
  std::vector<std::int64_t> out;
  for (const auto& r : s.runs) out.push_back(r.fire_ms);
  return out;
}

/// The runs that started a process.
std::vector<model::schedule_run> started_runs(const model::schedule& s) {
  std::vector<model::schedule_run> out;
  for (const auto& r : s.runs) {
    if (!r.process_id.empty()) out.push_back(r);
  }
  return out;
}

}  // namespace

TEST_CASE("a */10 schedule fires at each 10 s boundary and not before", "[actors][schedule]") {
  engine_fixture fx;
  fx.deploy(defs::instant);
  const auto t0 = fx.now();
  auto s = created(fx, schedule_of("Instant", every_10s));
  CHECK(s.status == schedule_status::active);
  CHECK(s.next_fire_ms == t0 + 10'000);
  CHECK(stored(fx, s.id).next_fire_ms == t0 + 10'000);

  fx.advance(9999ms);
  CHECK(processes_of(fx, s.id).empty());
  CHECK(stored(fx, s.id).runs.empty());
  fx.advance(1ms);
  REQUIRE(processes_of(fx, s.id).size() == 1);
  auto after_one = stored(fx, s.id);
  REQUIRE(after_one.runs.size() == 1);
  CHECK(after_one.runs[0].fire_ms == t0 + 10'000);
  CHECK(after_one.runs[0].note.empty());
  CHECK(fx.status(after_one.runs[0].process_id) == process_status::succeeded);
  CHECK(fx.load(after_one.runs[0].process_id).schedule_id == s.id);
  CHECK(after_one.next_fire_ms == t0 + 20'000);

  for (int i = 2; i <= 4; ++i) {
    fx.advance(9999ms);
    CHECK(processes_of(fx, s.id).size() == static_cast<std::size_t>(i - 1));
    fx.advance(1ms);
    CHECK(processes_of(fx, s.id).size() == static_cast<std::size_t>(i));
  }
  auto after_four = stored(fx, s.id);
  CHECK(fire_times(after_four) ==
        std::vector<std::int64_t>{t0 + 10'000, t0 + 20'000, t0 + 30'000, t0 + 40'000});
  CHECK(started_runs(after_four).size() == 4);
  CHECK(after_four.next_fire_ms == t0 + 50'000);
  CHECK(fx.context().schedule_fires.load() == 4);
  CHECK(fx.context().schedule_lag_ms_max.load() == 0);
}

TEST_CASE("a schedule fires only inside its window", "[actors][schedule]") {
  engine_fixture fx;
  fx.deploy(defs::instant);
  const auto t0 = fx.now();
  auto spec = schedule_of("Instant", every_10s);
  spec.start_ms = t0 + 25'000;
  spec.end_ms = t0 + 45'000;
  auto s = created(fx, spec);
  CHECK(s.next_fire_ms == t0 + 30'000);

  fx.advance(29s);
  CHECK(processes_of(fx, s.id).empty());
  fx.advance(1s);
  CHECK(processes_of(fx, s.id).size() == 1);
  fx.advance(10s);
  CHECK(processes_of(fx, s.id).size() == 2);
  auto done = stored(fx, s.id);
  CHECK(done.status == schedule_status::complete);
  CHECK(done.next_fire_ms == 0);
  CHECK(fire_times(done) == std::vector<std::int64_t>{t0 + 30'000, t0 + 40'000});

  fx.advance(60s);
  CHECK(processes_of(fx, s.id).size() == 2);
  CHECK(change(fx, s.id, schedule_action::resume).code == engine_errc::conflict);

  SECTION("a schedule created after its end never fires") {
    auto late = spec;
    late.start_ms = fx.now() - 60'000;
    late.end_ms = fx.now() - 1;
    auto l = created(fx, late);
    CHECK(l.status == schedule_status::complete);
    fx.advance(60s);
    CHECK(processes_of(fx, l.id).empty());
  }
}

TEST_CASE("runOnce fires once, then the schedule is COMPLETE", "[actors][schedule]") {
  engine_fixture fx;
  fx.deploy(defs::instant);
  const auto t0 = fx.now();
  auto spec = schedule_of("Instant", every_10s);
  spec.run_once = true;
  auto s = created(fx, spec);
  fx.advance(10s);
  CHECK(processes_of(fx, s.id).size() == 1);
  auto done = stored(fx, s.id);
  CHECK(done.status == schedule_status::complete);
  CHECK(done.next_fire_ms == 0);
  CHECK(fire_times(done) == std::vector<std::int64_t>{t0 + 10'000});
  fx.advance(60s);
  CHECK(processes_of(fx, s.id).size() == 1);
}

TEST_CASE("runImmediately fires at creation, then follows the cron", "[actors][schedule]") {
  engine_fixture fx;
  fx.deploy(defs::instant);
  const auto t0 = fx.now();
  auto spec = schedule_of("Instant", hourly);
  spec.run_immediately = true;
  spec.vals["who"] = model::value::of_string("cron");
  auto s = created(fx, spec);
  CHECK(s.next_fire_ms == t0);
  // Virtual time does not move: the wake-up for "now" is delivered without waiting.
  fx.advance(0ms);
  auto ps = processes_of(fx, s.id);
  REQUIRE(ps.size() == 1);
  auto after = stored(fx, s.id);
  REQUIRE(after.runs.size() == 1);
  CHECK(after.runs[0].fire_ms == t0);
  auto p = fx.load(after.runs[0].process_id);
  CHECK(p.status == process_status::succeeded);
  CHECK(p.outputs.at("x") == model::value::of_string("hello cron"));
  // 2023-11-14T22:13:20Z: the next hour is 23:00.
  CHECK(after.next_fire_ms == t0 + 46 * 60'000 + 40'000);
  CHECK(after.status == schedule_status::active);
  fx.advance(46min + 39s);
  CHECK(processes_of(fx, s.id).size() == 1);
  fx.advance(1s);
  CHECK(processes_of(fx, s.id).size() == 2);
}

TEST_CASE("a paused schedule does not fire, resuming does not fire the missed times",
          "[actors][schedule]") {
  engine_fixture fx;
  fx.deploy(defs::instant);
  const auto t0 = fx.now();
  auto s = created(fx, schedule_of("Instant", every_10s));
  fx.advance(10s);
  REQUIRE(processes_of(fx, s.id).size() == 1);

  auto paused = change(fx, s.id, schedule_action::pause);
  REQUIRE(paused.code == engine_errc::ok);
  CHECK(paused.schedule.status == schedule_status::paused);
  CHECK(stored(fx, s.id).status == schedule_status::paused);
  fx.advance(60s);  // six fire times pass while paused
  CHECK(processes_of(fx, s.id).size() == 1);
  CHECK(stored(fx, s.id).status == schedule_status::paused);

  auto resumed = change(fx, s.id, schedule_action::resume);
  REQUIRE(resumed.code == engine_errc::ok);
  CHECK(resumed.schedule.status == schedule_status::active);
  CHECK(resumed.schedule.next_fire_ms == t0 + 80'000);
  fx.advance(0ms);
  CHECK(processes_of(fx, s.id).size() == 1);
  fx.advance(9999ms);
  CHECK(processes_of(fx, s.id).size() == 1);
  fx.advance(1ms);
  CHECK(processes_of(fx, s.id).size() == 2);
  CHECK(fire_times(stored(fx, s.id)) == std::vector<std::int64_t>{t0 + 10'000, t0 + 80'000});

  SECTION("pause and resume between two fire times keep the plan") {
    REQUIRE(change(fx, s.id, schedule_action::pause).code == engine_errc::ok);
    fx.advance(5s);
    REQUIRE(change(fx, s.id, schedule_action::resume).code == engine_errc::ok);
    fx.advance(5s);
    CHECK(processes_of(fx, s.id).size() == 3);
    CHECK(fire_times(stored(fx, s.id)).back() == t0 + 90'000);
  }
  SECTION("the pause survives a restart") {
    REQUIRE(change(fx, s.id, schedule_action::pause).code == engine_errc::ok);
    fx.restart(1h);
    fx.advance(1min);
    CHECK(processes_of(fx, s.id).size() == 2);
    CHECK(stored(fx, s.id).status == schedule_status::paused);
  }
}

TEST_CASE("a deleted schedule is gone and fires no more", "[actors][schedule]") {
  engine_fixture fx;
  fx.deploy(defs::instant);
  auto s = created(fx, schedule_of("Instant", every_10s));
  fx.advance(10s);
  REQUIRE(processes_of(fx, s.id).size() == 1);

  auto removed = change(fx, s.id, schedule_action::remove);
  CHECK(removed.code == engine_errc::ok);
  CHECK_FALSE(fx.store().schedule_raw(s.id).value());
  fx.advance(60s);
  CHECK(processes_of(fx, s.id).size() == 1);
  CHECK(change(fx, s.id, schedule_action::pause).code == engine_errc::not_found);
  CHECK(change(fx, s.id, schedule_action::remove).code == engine_errc::not_found);
  fx.restart();
  fx.advance(60s);
  CHECK(processes_of(fx, s.id).size() == 1);
}

TEST_CASE("a bad schedule is rejected, naming the field", "[actors][schedule]") {
  engine_fixture fx;
  fx.deploy(defs::instant);

  auto bad_cron = create(fx, schedule_of("Instant", "0 6 6 ? * FR"));
  CHECK(bad_cron.code == engine_errc::invalid_input);
  CHECK(bad_cron.field == "cron");
  CHECK(bad_cron.message == "cron: day-of-week: unknown name \"FR\" at position 10");

  auto bad_zone = schedule_of("Instant", every_10s);
  bad_zone.time_zone = "Europe/Atlantis";
  CHECK(create(fx, bad_zone).field == "timeZone");

  auto unknown = create(fx, schedule_of("Nope", every_10s));
  CHECK(unknown.code == engine_errc::unknown_definition);
  CHECK(unknown.field == "definition");

  CHECK(fx.store().load_schedules().value().empty());
}

TEST_CASE("overlap policies decide about a fire while the previous run still runs",
          "[actors][schedule]") {
  engine_fixture fx;
  fx.deploy(defs::wait);  // an external step: the run stays RUNNING until completed
  const auto t0 = fx.now();

  SECTION("skip: the second fire is recorded as skipped, no process") {
    auto spec = schedule_of("Wait", every_10s);
    spec.overlap = overlap_policy::skip;
    auto s = created(fx, spec);
    fx.advance(10s);
    auto first = stored(fx, s.id);
    REQUIRE(started_runs(first).size() == 1);
    const auto p1 = first.runs[0].process_id;
    CHECK(fx.status(p1) == process_status::running);

    fx.advance(10s);
    CHECK(processes_of(fx, s.id).size() == 1);
    auto second = stored(fx, s.id);
    REQUIRE(second.runs.size() == 2);
    CHECK(second.runs[1].fire_ms == t0 + 20'000);
    CHECK(second.runs[1].process_id.empty());
    CHECK(second.runs[1].note == "skipped: previous run still running");
    CHECK(second.next_fire_ms == t0 + 30'000);

    // Once the run ended, the next fire starts a process again.
    auto done = fx.complete(fx.active_step(p1), {{"answer", model::value::of_string("y")}});
    REQUIRE(done.code == engine_errc::ok);
    CHECK(done.status == process_status::succeeded);
    fx.advance(10s);
    auto third = stored(fx, s.id);
    CHECK(processes_of(fx, s.id).size() == 2);
    REQUIRE(third.runs.size() == 3);
    CHECK_FALSE(third.runs[2].process_id.empty());
  }

  SECTION("queue: the second run waits in the schedule's own scope") {
    auto spec = schedule_of("Wait", every_10s);
    spec.overlap = overlap_policy::queue;
    auto s = created(fx, spec);
    fx.advance(10s);
    fx.advance(10s);
    auto after = stored(fx, s.id);
    auto runs = started_runs(after);
    REQUIRE(runs.size() == 2);
    const auto p1 = runs[0].process_id, p2 = runs[1].process_id;
    CHECK(fx.status(p1) == process_status::running);
    CHECK(fx.status(p2) == process_status::waiting);
    auto scope = fx.scope("schedule:" + s.id);
    CHECK(scope.running == std::vector<std::string>{p1});
    CHECK(scope.queued == std::vector<std::string>{p2});

    fx.complete(fx.active_step(p1), {{"answer", model::value::of_string("y")}});
    CHECK(fx.status(p1) == process_status::succeeded);
    CHECK(fx.status(p2) == process_status::running);
  }

  SECTION("allow: both run at once") {
    auto spec = schedule_of("Wait", every_10s);
    spec.overlap = overlap_policy::allow;
    auto s = created(fx, spec);
    fx.advance(10s);
    fx.advance(10s);
    auto runs = started_runs(stored(fx, s.id));
    REQUIRE(runs.size() == 2);
    CHECK(fx.status(runs[0].process_id) == process_status::running);
    CHECK(fx.status(runs[1].process_id) == process_status::running);
    CHECK(processes_of(fx, s.id).size() == 2);
  }
}

TEST_CASE("after a downtime each misfire policy applies exactly once", "[actors][schedule]") {
  testing::engine_options options;
  options.sync = true;
  engine_fixture fx(options);
  fx.deploy(defs::instant);
  const auto t0 = fx.now();         // 2023-11-14T22:13:20Z
  const auto h23 = t0 + 2'800'000;  // 23:00:00, the first fire time
  constexpr std::int64_t hour = 3'600'000;

  auto once_now = schedule_of("Instant", hourly);
  once_now.misfire = misfire_policy::fire_once_now;
  auto skip = schedule_of("Instant", hourly);
  skip.misfire = misfire_policy::skip;
  auto catch_up = schedule_of("Instant", hourly);
  catch_up.misfire = misfire_policy::catch_up;
  catch_up.catch_up_window_ms = 3 * hour;
  const auto a = created(fx, once_now).id;
  const auto b = created(fx, skip).id;
  const auto c = created(fx, catch_up).id;
  for (const auto& id : {a, b, c}) CHECK(stored(fx, id).next_fire_ms == h23);

  // Down from 22:13:20 to 03:13:20: 23:00, 00:00, 01:00, 02:00 and 03:00 were missed.
  fx.restart(5h);
  fx.advance(0ms);
  const auto now = fx.now();
  REQUIRE(now == t0 + 5 * hour);

  auto sa = stored(fx, a);
  REQUIRE(processes_of(fx, a).size() == 1);
  REQUIRE(sa.runs.size() == 1);
  CHECK(sa.runs[0].fire_ms == h23);  // one run for all missed times, fired now
  CHECK_FALSE(sa.runs[0].process_id.empty());
  CHECK(sa.runs[0].note.find("misfire") != std::string::npos);
  CHECK(sa.next_fire_ms == h23 + 5 * hour);  // 04:00

  auto sb = stored(fx, b);
  CHECK(processes_of(fx, b).empty());
  CHECK(sb.runs.empty());
  CHECK(sb.next_fire_ms == h23 + 5 * hour);

  auto sc = stored(fx, c);
  CHECK(processes_of(fx, c).size() == 3);
  // 01:00, 02:00, 03:00 lie within 3 h of 03:13:20; 23:00 and 00:00 do not.
  CHECK(fire_times(sc) ==
        std::vector<std::int64_t>{h23 + 2 * hour, h23 + 3 * hour, h23 + 4 * hour});
  CHECK(started_runs(sc).size() == 3);
  CHECK(sc.next_fire_ms == h23 + 5 * hour);

  // Once: another restart, with no time passing, fires nothing more.
  fx.restart();
  fx.advance(0ms);
  CHECK(processes_of(fx, a).size() == 1);
  CHECK(processes_of(fx, b).empty());
  CHECK(processes_of(fx, c).size() == 3);

  // Then normal firing resumes at 04:00, one run each.
  fx.advance(std::chrono::milliseconds(h23 + 5 * hour - now - 1));
  CHECK(processes_of(fx, a).size() == 1);
  fx.advance(1ms);
  CHECK(processes_of(fx, a).size() == 2);
  CHECK(processes_of(fx, b).size() == 1);
  CHECK(processes_of(fx, c).size() == 4);
  CHECK(stored(fx, a).runs.back().note.empty());
}

TEST_CASE("a fire time that is fired again after a restart starts no second process",
          "[actors][schedule]") {
  testing::engine_options options;
  options.sync = true;
  engine_fixture fx(options);
  fx.deploy(defs::instant);
  const auto t0 = fx.now();
  auto s = created(fx, schedule_of("Instant", every_10s));
  // The record as it was before the fire: as if the server crashed after the fire's process
  // was stored but before the schedule moved on.
  auto before = fx.store().schedule_raw(s.id).value();
  REQUIRE(before);
  auto old = storage::decode_schedule(*before);
  REQUIRE(old);
  CHECK(old->next_fire_ms == t0 + 10'000);

  fx.advance(10s);
  auto fired = processes_of(fx, s.id);
  REQUIRE(fired.size() == 1);
  const auto p1 = stored(fx, s.id).runs.at(0).process_id;

  fx.shutdown();
  storage::batch b;
  REQUIRE(fx.store().put_schedule(b, *old).ok());
  REQUIRE(fx.store().database().write(b).ok());
  REQUIRE(stored(fx, s.id).runs.empty());

  fx.restart(2s);
  fx.advance(0ms);
  // The same fire time fired again: the idempotency key answers with the first process.
  CHECK(processes_of(fx, s.id).size() == 1);
  auto after = stored(fx, s.id);
  REQUIRE(after.runs.size() == 1);
  CHECK(after.runs[0].fire_ms == t0 + 10'000);
  CHECK(after.runs[0].process_id == p1);
  CHECK(after.next_fire_ms == t0 + 20'000);

  fx.advance(8s);
  CHECK(processes_of(fx, s.id).size() == 2);
  auto times = fire_times(stored(fx, s.id));
  CHECK(times == std::vector<std::int64_t>{t0 + 10'000, t0 + 20'000});
}

TEST_CASE("schedules due together beyond the limit of starts in flight each fire once",
          "[actors][schedule]") {
  engine_fixture fx;
  fx.deploy(defs::instant);
  // Two starts out at once: the other fires of the tick wait for answers, then go out.
  fx.context().max_fire_starts_in_flight = 2;
  const auto t0 = fx.now();
  std::vector<model::schedule> schedules;
  for (int i = 0; i < 5; ++i) schedules.push_back(created(fx, schedule_of("Instant", every_10s)));

  fx.advance(10'000ms);
  for (const auto& s : schedules) {
    auto processes = processes_of(fx, s.id);
    CHECK(processes.size() == 1);
    auto after = stored(fx, s.id);
    REQUIRE(started_runs(after).size() == 1);
    CHECK(started_runs(after)[0].fire_ms == t0 + 10'000);
    CHECK(after.next_fire_ms == t0 + 20'000);
    auto key = "schedule:" + s.id + ":" + std::to_string(t0 + 10'000);
    CHECK(fx.store().idempotent_answer(key).value() == started_runs(after)[0].process_id);
  }
  CHECK(fx.context().schedule_fires.load() == 5);

  fx.advance(10'000ms);  // the window is free again: the next second fires all as well
  for (const auto& s : schedules) CHECK(processes_of(fx, s.id).size() == 2);
  CHECK(fx.context().schedule_fires.load() == 10);
}

TEST_CASE("fires due together are stored with their schedules, counted once, not fired again",
          "[actors][schedule]") {
  testing::engine_options options;
  options.sync = true;
  engine_fixture fx(options);
  fx.deploy(defs::instant);
  const auto t0 = fx.now();
  std::vector<model::schedule> schedules;
  for (int i = 0; i < 3; ++i) schedules.push_back(created(fx, schedule_of("Instant", every_10s)));

  fx.advance(10'000ms);
  std::set<std::string> process_ids;
  for (const auto& s : schedules) {
    REQUIRE(processes_of(fx, s.id).size() == 1);
    auto stored_now = stored(fx, s.id);
    REQUIRE(started_runs(stored_now).size() == 1);
    const auto run = started_runs(stored_now)[0];
    CHECK(run.fire_ms == t0 + 10'000);
    CHECK(stored_now.next_fire_ms == t0 + 20'000);
    CHECK(fx.status(run.process_id) == process_status::succeeded);
    CHECK(fx.load(run.process_id).schedule_id == s.id);
    auto key = "schedule:" + s.id + ":" + std::to_string(t0 + 10'000);
    CHECK(fx.store().idempotent_answer(key).value() == run.process_id);
    process_ids.insert(run.process_id);
  }
  CHECK(process_ids.size() == 3);
  auto& c = fx.context();
  CHECK(c.schedule_fires.load() == 3);
  CHECK(c.started.load() == 3);
  CHECK(c.succeeded.load() == 3);
  CHECK(c.active.load() == 0);

  // After a restart the stored fire is not fired again; the next one is, once.
  fx.restart(1s);
  fx.advance(0ms);
  for (const auto& s : schedules) CHECK(processes_of(fx, s.id).size() == 1);
  CHECK(fx.context().schedule_fires.load() == 0);
  fx.advance(9'000ms);
  for (const auto& s : schedules) {
    CHECK(processes_of(fx, s.id).size() == 2);
    CHECK(fire_times(stored(fx, s.id)) == std::vector<std::int64_t>{t0 + 10'000, t0 + 20'000});
  }
  CHECK(fx.context().schedule_fires.load() == 3);
}

TEST_CASE("a batched fire whose process has more to do gets its actor for it",
          "[actors][schedule]") {
  engine_fixture fx;
  fx.deploy(defs::short_nap);
  fx.deploy(defs::flaky);
  auto napping = created(fx, schedule_of("ShortNap", every_10s));
  auto calling = created(fx, schedule_of("Flaky", every_10s));

  fx.advance(10'000ms);
  auto nap_runs = started_runs(stored(fx, napping.id));
  REQUIRE(nap_runs.size() == 1);
  const auto nap_id = nap_runs[0].process_id;
  CHECK(fx.status(nap_id) == process_status::running);
  // The http step's call went out from the stored process' actor.
  REQUIRE(fx.delegates().count() == 1);
  CHECK(fx.delegates().request(0).url == "http://pricing.test/p");
  CHECK(fx.context().active.load() == 2);

  fx.advance(2'000ms);  // the timer step was armed: the nap ends
  CHECK(fx.status(nap_id) == process_status::succeeded);
  CHECK(fx.load(nap_id).outputs.at("x") == model::value::of_string("short"));
}

TEST_CASE("a schedule keeps its newest runs, stored apart, across fires and restarts",
          "[actors][schedule]") {
  engine_fixture fx;
  fx.deploy(defs::instant);
  const auto t0 = fx.now();
  auto spec = schedule_of("Instant", every_10s);
  SECTION("fired in batches") {}
  SECTION("fired one by one (its own scope)") { spec.overlap = overlap_policy::queue; }
  auto s = created(fx, spec);
  auto stored_run_records = [&] {
    std::size_t n = 0;
    REQUIRE(fx.store()
                .database()
                .scan(storage::cf::schedules, s.id + "/", {},
                      [&](std::string_view, std::string_view) { return ++n, true; })
                .ok());
    return n;
  };

  for (int i = 0; i < 25; ++i) fx.advance(10s);
  REQUIRE(processes_of(fx, s.id).size() == 25);
  auto after = stored(fx, s.id);
  REQUIRE(after.runs.size() == model::max_runs_kept);
  CHECK(after.runs.front().fire_ms == t0 + 60'000);  // the five oldest made room
  CHECK(after.runs.back().fire_ms == t0 + 250'000);
  CHECK(started_runs(after).size() == model::max_runs_kept);
  CHECK(after.next_fire_ms == t0 + 260'000);
  CHECK(stored_run_records() == model::max_runs_kept);  // the dropped ones were erased

  fx.restart();
  CHECK(storage::encode_schedule(stored(fx, s.id)) == storage::encode_schedule(after));
  fx.advance(10s);  // the restored schedule fires on, and makes room again
  CHECK(processes_of(fx, s.id).size() == 26);
  auto later = stored(fx, s.id);
  REQUIRE(later.runs.size() == model::max_runs_kept);
  CHECK(later.runs.front().fire_ms == t0 + 70'000);
  CHECK(later.runs.back().fire_ms == t0 + 260'000);
  CHECK(later.next_fire_ms == t0 + 270'000);
  CHECK(stored_run_records() == model::max_runs_kept);

  auto paused = change(fx, s.id, schedule_action::pause);
  REQUIRE(paused.code == engine_errc::ok);
  fx.restart();
  CHECK(stored(fx, s.id).status == schedule_status::paused);
  fx.advance(60s);
  CHECK(processes_of(fx, s.id).size() == 26);
}
