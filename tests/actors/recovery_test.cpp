// Recovery reads the active index, not the snapshots: processes waiting for a command stay
// on disk, and what must act (due times, calls in flight, queues) is resumed after readiness.

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/actors/definitions.hpp"
#include "tests/actors/engine_fixture.hpp"

using namespace baton;
using namespace std::chrono_literals;
using actors::engine_errc;
using model::process_status;
using model::value;
using testing::engine_fixture;
namespace defs = testing::defs;

namespace {

model::values answer_params(std::string text) { return {{"answer", value::of_string(text)}}; }

}  // namespace

TEST_CASE("after a restart, waiting processes stay on disk until a command loads one",
          "[actors][recovery]") {
  engine_fixture fx;
  fx.deploy(defs::wait);
  std::vector<actors::process_answer> waiting;
  for (int i = 0; i < 50; ++i) waiting.push_back(fx.start("Wait"));

  fx.restart();
  auto& ctx = fx.context();
  CHECK(fx.engine().ready());
  CHECK(ctx.active.load() == 50);
  CHECK(ctx.live.load() == 0);
  CHECK(ctx.rehydrated.load() == 0);

  auto& last = waiting.back();
  auto done = fx.complete(*last.next_step_id, answer_params("late"));
  REQUIRE(done.code == engine_errc::ok);
  CHECK(done.status == process_status::succeeded);
  CHECK(done.outputs.at("answer") == value::of_string("late"));
  CHECK(ctx.rehydrated.load() == 1);
  CHECK(fx.status(waiting.front().process_id) == process_status::running);
}

TEST_CASE("timers that came due during the downtime fire after the restart, the rest on time",
          "[actors][recovery]") {
  engine_fixture fx;
  fx.deploy(defs::nap);
  fx.deploy(defs::short_nap);
  fx.deploy(defs::wait);
  std::vector<std::string> short_naps, naps;
  // More than one chunk of due timers, so that firing them takes several turns.
  for (int i = 0; i < 300; ++i) short_naps.push_back(fx.start("ShortNap").process_id);
  for (int i = 0; i < 3; ++i) naps.push_back(fx.start("Nap").process_id);
  auto waiting = fx.start("Wait").process_id;

  fx.restart(3s);  // the short naps came due while down; the naps are due in 2 s
  for (const auto& id : short_naps) CHECK(fx.status(id) == process_status::succeeded);
  for (const auto& id : naps) CHECK(fx.status(id) == process_status::running);
  CHECK(fx.status(waiting) == process_status::running);
  CHECK(fx.context().active.load() == 4);

  fx.advance(1999ms);
  for (const auto& id : naps) CHECK(fx.status(id) == process_status::running);
  fx.advance(1ms);
  for (const auto& id : naps) CHECK(fx.status(id) == process_status::succeeded);
  CHECK(fx.status(waiting) == process_status::running);
}

TEST_CASE("scope queues come back in order and admit as before the restart", "[actors][recovery]") {
  engine_fixture fx;
  fx.deploy(defs::wait);
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) ids.push_back(fx.start("Wait", "line").process_id);
  auto before = fx.scope("line");
  REQUIRE(before.running == std::vector<std::string>{ids[0]});

  fx.restart();
  auto after = fx.scope("line");
  CHECK(after.running == before.running);
  CHECK(after.queued == before.queued);

  for (std::size_t i = 0; i < ids.size(); ++i) {
    REQUIRE(fx.status(ids[i]) == process_status::running);
    REQUIRE(fx.complete(fx.active_step(ids[i]), answer_params("ok")).code == engine_errc::ok);
    CHECK(fx.status(ids[i]) == process_status::succeeded);
    if (i + 1 < ids.size()) CHECK(fx.scope("line").running == std::vector<std::string>{ids[i + 1]});
  }
}

namespace {

/// Sends `id` a command it rejects (an unknown step): the process is loaded, nothing changes.
void load_with_a_rejected_command(engine_fixture& fx, const std::string& id) {
  testing::answers<actors::process_answer> done;
  fx.engine().execute(id, id + "-9", done.callback());
  fx.settle();
  CHECK(done.get().code == engine_errc::not_found);
}

/// Starts a Flaky process, whose http call goes out and stays unanswered; @returns its id.
std::string start_calling(engine_fixture& fx) {
  fx.deploy(defs::flaky);
  auto a = fx.start("Flaky");
  REQUIRE(fx.delegates().count() == 1);
  return a.process_id;
}

}  // namespace

TEST_CASE("a command that reaches a recovered http step first re-issues its call, once",
          "[actors][recovery]") {
  engine_fixture fx;
  auto& calls = fx.delegates();
  const auto id = start_calling(fx);

  // The command is in the scheduler's mailbox ahead of the chunk that would re-issue the
  // call, so it loads the process first. It is rejected (no such step) and leaves the
  // process as it was: without the re-issue on load, the call would never be made again.
  fx.restart_unsettled();
  load_with_a_rejected_command(fx, id);
  REQUIRE(calls.count() == 2);
  CHECK(calls.header(1, "Idempotency-Key") == id + "-1.1");

  calls.answer(1, 200, R"({"price": 9})");
  fx.settle();
  CHECK(calls.count() == 2);
  CHECK(fx.status(id) == process_status::succeeded);
  CHECK(fx.load(id).outputs.at("price") == value::of_integer(9));
}

TEST_CASE("a process a command loads from disk performs the work it owes, whoever owed it",
          "[actors][recovery]") {
  // A batched schedule fire stores its process and hands it to the scheduler a message
  // later; a command can load it from disk in between. Modelled here without the race: the
  // process is at an http step on disk, and neither the recovery index nor anything else
  // will give it an actor (its active marker is gone).
  engine_fixture fx;
  auto& calls = fx.delegates();
  const auto id = start_calling(fx);
  fx.shutdown();
  storage::batch b;
  b.erase(storage::cf::indexes, "a/" + id);
  REQUIRE(fx.store().database().write(b).ok());
  fx.restart();
  REQUIRE(calls.count() == 1);  // recovery did not know it

  load_with_a_rejected_command(fx, id);
  REQUIRE(calls.count() == 2);  // loaded by the command: its call goes out
  calls.answer(1, 200, R"({"price": 9})");
  fx.settle();
  CHECK(fx.status(id) == process_status::succeeded);
}
