#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "storage/json_codec.hpp"
#include "storage/process_store.hpp"
#include "tests/storage/store_helpers.hpp"

using namespace baton;
using model::schedule_status;
using testing::commit;
using testing::open_store;
using testing::temp_dir;

namespace {

constexpr std::int64_t t0 = 1'700'000'000'000;
constexpr std::int64_t second = 1'000;

model::schedule every_second() {
  model::schedule s;
  s.id = "018bcfe56800000100000001";
  s.definition = "Instant";
  s.vals["who"] = model::value::of_string("cron \"quoted\"");
  s.cron = "* * * ? * *";
  s.time_zone = "UTC";
  s.created_ms = t0;
  s.next_fire_ms = t0 + second;
  return s;
}

/// Fires `s` once at its next fire time, as a fire batch does: the run is recorded, the
/// schedule moves on, and both are written together. @returns the writes, not committed.
storage::batch fired(storage::process_store& store, model::schedule& s, std::string note = {}) {
  auto fire_ms = s.next_fire_ms;
  std::vector<std::int64_t> dropped;
  auto process_id = "p" + std::to_string(fire_ms);
  if (auto d = model::record_run(s, {fire_ms, process_id, std::move(note)})) dropped.push_back(*d);
  s.next_fire_ms = fire_ms + second;
  storage::batch b;
  std::vector<std::int64_t> fire_times{fire_ms};
  store.put_schedule_advance(b, s, fire_times, dropped);
  return b;
}

void fire(storage::process_store& store, model::schedule& s, std::string note = {}) {
  REQUIRE(commit(store, fired(store, s, std::move(note))).empty());
}

/// How many run records of schedule `id` are stored.
std::size_t stored_runs(storage::process_store& store, const std::string& id) {
  std::size_t n = 0;
  REQUIRE(store.database()
              .scan(storage::cf::schedules, id + "/", {},
                    [&](std::string_view, std::string_view) { return ++n, true; })
              .ok());
  return n;
}

/// The schedule as the API shows it, read from `store`.
std::string shown(storage::process_store& store, const std::string& id) {
  auto raw = store.schedule_raw(id).value();
  REQUIRE(raw);
  return std::string(storage::json_of(*raw));
}

std::string json_of(const model::schedule& s) {
  return std::string(storage::json_of(storage::encode_schedule(s)));
}

}  // namespace

TEST_CASE("a schedule's runs are stored apart: the newest kept, shown as before, after reopen",
          "[storage][schedule]") {
  temp_dir dir;
  auto s = every_second();
  {
    auto store = open_store(dir, true);
    storage::batch b;
    REQUIRE(store->put_schedule(b, s).ok());
    REQUIRE(commit(*store, std::move(b)).empty());
    CHECK(shown(*store, s.id) == json_of(s));

    fire(*store, s, "misfire: fired late");
    REQUIRE(s.runs.size() == 1);
    CHECK(shown(*store, s.id) == json_of(s));
    CHECK(stored_runs(*store, s.id) == 1);

    for (int i = 0; i < 24; ++i) fire(*store, s);
    REQUIRE(s.runs.size() == model::max_runs_kept);
    CHECK(s.runs.front().fire_ms == t0 + 6 * second);  // the oldest five made room
    // Exactly the kept runs are stored: the dropped ones were erased with each fire.
    CHECK(stored_runs(*store, s.id) == model::max_runs_kept);
    CHECK(shown(*store, s.id) == json_of(s));
  }
  auto store = open_store(dir, true);
  auto loaded = store->load_schedules().value();
  REQUIRE(loaded.size() == 1);
  CHECK(json_of(loaded[0]) == json_of(s));
  CHECK(loaded[0].next_fire_ms == t0 + 26 * second);
  CHECK(loaded[0].runs.back().process_id == "p" + std::to_string(t0 + 25 * second));
}

TEST_CASE("a schedule's state without a fire outranks the state its runs carry",
          "[storage][schedule]") {
  temp_dir dir;
  auto store = open_store(dir, true);
  auto s = every_second();
  storage::batch created;
  REQUIRE(store->put_schedule(created, s).ok());
  REQUIRE(commit(*store, std::move(created)).empty());
  fire(*store, s);
  fire(*store, s);

  s.status = schedule_status::paused;
  storage::batch paused;
  store->put_schedule_advance(paused, s, {}, {});
  REQUIRE(commit(*store, std::move(paused)).empty());
  CHECK(store->load_schedule(s.id).value()->status == schedule_status::paused);

  s.status = schedule_status::active;
  s.next_fire_ms = t0 + 60 * second;  // resumed later: planned from then
  storage::batch resumed;
  store->put_schedule_advance(resumed, s, {}, {});
  REQUIRE(commit(*store, std::move(resumed)).empty());
  auto loaded = store->load_schedule(s.id).value();
  REQUIRE(loaded);
  CHECK(loaded->status == schedule_status::active);
  CHECK(loaded->next_fire_ms == t0 + 60 * second);

  fire(*store, s);  // a fire after the resume carries the state again
  CHECK(store->load_schedule(s.id).value()->next_fire_ms == t0 + 61 * second);
  CHECK(shown(*store, s.id) == json_of(s));
}

TEST_CASE("put_schedule stores a schedule as it is, erasing runs it no longer has",
          "[storage][schedule]") {
  temp_dir dir;
  auto store = open_store(dir, true);
  auto before = every_second();
  auto s = before;
  storage::batch created;
  REQUIRE(store->put_schedule(created, s).ok());
  REQUIRE(commit(*store, std::move(created)).empty());
  fire(*store, s);
  fire(*store, s);
  REQUIRE(store->load_schedule(s.id).value()->runs.size() == 2);

  storage::batch rewound;
  REQUIRE(store->put_schedule(rewound, before).ok());
  REQUIRE(commit(*store, std::move(rewound)).empty());
  CHECK(stored_runs(*store, s.id) == 0);
  CHECK(shown(*store, s.id) == json_of(before));
}

TEST_CASE("a schedule stored with its runs inside (the earlier layout) is read the same",
          "[storage][schedule]") {
  temp_dir dir;
  auto s = every_second();
  for (int i = 0; i < 3; ++i) {
    s.runs.push_back({s.next_fire_ms, "old" + std::to_string(i), {}});
    s.next_fire_ms += second;
  }
  {
    auto store = open_store(dir, true);
    storage::batch b;
    b.put(storage::cf::schedules, s.id, storage::encode_schedule(s));  // as stored before
    REQUIRE(commit(*store, std::move(b)).empty());
  }
  auto store = open_store(dir, true);
  auto loaded = store->load_schedules().value();
  REQUIRE(loaded.size() == 1);
  CHECK(json_of(loaded[0]) == json_of(s));

  // Fires after the upgrade add runs of their own; the old ones make room as any would.
  fire(*store, s);
  CHECK(shown(*store, s.id) == json_of(s));
  CHECK(store->load_schedule(s.id).value()->runs.size() == 4);
  for (int i = 0; i < 20; ++i) fire(*store, s);
  CHECK(shown(*store, s.id) == json_of(s));
  CHECK(s.runs.front().process_id.rfind("p", 0) == 0);
}

TEST_CASE("an erased schedule leaves no record and no runs", "[storage][schedule]") {
  temp_dir dir;
  auto store = open_store(dir, true);
  auto gone = every_second();
  auto kept = every_second();
  kept.id = "018bcfe56800000100000002";
  for (auto* s : {&gone, &kept}) {
    storage::batch b;
    REQUIRE(store->put_schedule(b, *s).ok());
    REQUIRE(commit(*store, std::move(b)).empty());
    fire(*store, *s);
  }
  // A run written after the erasure was prepared (a fire batch in flight) is still erased:
  // it is among the schedule's runs.
  auto in_flight = fired(*store, gone);
  storage::batch erased;
  REQUIRE(store->erase_schedule(erased, gone).ok());
  REQUIRE(commit(*store, std::move(in_flight)).empty());
  REQUIRE(commit(*store, std::move(erased)).empty());
  CHECK_FALSE(store->schedule_raw(gone.id).value());
  CHECK(stored_runs(*store, gone.id) == 0);

  // A run without its schedule's record (left by a write racing an erasure) is not read.
  auto orphan = every_second();
  orphan.id = "018bcfe56800000100000003";
  fire(*store, orphan);
  REQUIRE(stored_runs(*store, orphan.id) == 1);
  CHECK_FALSE(store->load_schedule(orphan.id).value());

  auto loaded = store->load_schedules().value();
  REQUIRE(loaded.size() == 1);
  CHECK(json_of(loaded[0]) == json_of(kept));
}
