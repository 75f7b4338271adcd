#include <catch2/catch.hpp>
#include <chrono>
#include <optional>

#include "actors/idle_watch.hpp"

using namespace std::chrono_literals;
using baton::actors::idle_line;

namespace {

idle_line::entry at(idle_line::time_point due, const char* id, std::uint64_t generation) {
  return {due, {id, 7, generation}};
}

}  // namespace

TEST_CASE(
    "the idle line hands out what is due in order and asks for a watch only when none is armed",
    "[actors][idle]") {
  idle_line line;
  idle_line::time_point t0{};
  std::optional<idle_line::time_point> next;

  // The first entry must wake the watch; later ones find a wake-up armed.
  CHECK(line.add(at(t0 + 100ms, "a", 1)));
  CHECK_FALSE(line.add(at(t0 + 150ms, "b", 1)));
  CHECK_FALSE(line.add(at(t0 + 150ms, "a", 3)));
  CHECK(line.size() == 3);

  // Nothing due yet: the watch arms its wake-up for the first entry.
  CHECK(line.take_due(t0 + 99ms, next).empty());
  REQUIRE(next);
  CHECK(*next == t0 + 100ms);

  auto due = line.take_due(t0 + 100ms, next);
  REQUIRE(due.size() == 1);
  CHECK(due[0].process.process_id == "a");
  CHECK(due[0].process.generation == 1);
  REQUIRE(next);
  CHECK(*next == t0 + 150ms);
  // Still armed (for b): adding does not ask again.
  CHECK_FALSE(line.add(at(t0 + 200ms, "c", 1)));

  due = line.take_due(t0 + 150ms, next);
  REQUIRE(due.size() == 2);
  CHECK(due[0].process.process_id == "b");
  CHECK(due[1].process.generation == 3);

  // Emptied: the watch sleeps, and the next entry must wake it.
  due = line.take_due(t0 + 10s, next);
  CHECK(due.size() == 1);
  CHECK_FALSE(next);
  CHECK(line.size() == 0);
  CHECK(line.add(at(t0 + 20s, "d", 1)));
}
