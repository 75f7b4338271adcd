// Supervision: an actor that fails is replaced and the work goes on. A process actor fails by
// a real exception (its delegate client throws); a system actor is ended the way CAF ends one
// whose handler let an exception escape (exit reason `unhandled_exception`), since nothing
// it calls can be made to throw from a test without a hook in production code.

#include <caf/actor_registry.hpp>
#include <caf/atom.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scheduled_actor.hpp>
#include <caf/send.hpp>
#include <catch2/catch.hpp>
#include <chrono>

#include "tests/actors/definitions.hpp"
#include "tests/actors/engine_fixture.hpp"

using namespace baton;
using namespace std::chrono_literals;
using actors::engine_errc;
using model::process_status;
using testing::engine_fixture;
namespace defs = testing::defs;

namespace {

/// The system actor registered under `name`.
caf::strong_actor_ptr system_actor(engine_fixture& fx, caf::atom_value name) {
  return fx.engine().system().registry().get(name);
}

/// Fails the system actor `name` and checks that another took its place.
void fail(engine_fixture& fx, caf::atom_value name) {
  auto before = system_actor(fx, name);
  REQUIRE(before);
  caf::anon_send_exit(before, caf::exit_reason::unhandled_exception);
  fx.settle();
  auto after = system_actor(fx, name);
  REQUIRE(after);
  CHECK(after != before);
}

model::schedule every_10s(std::string definition) {
  model::schedule s;
  s.definition = std::move(definition);
  s.cron = "*/10 * * ? * *";
  s.time_zone = "UTC";
  return s;
}

actors::schedule_answer create(engine_fixture& fx, model::schedule s) {
  testing::answers<actors::schedule_answer> done;
  fx.engine().create_schedule(std::move(s), done.callback());
  fx.settle();
  return done.get();
}

std::size_t stored_processes(engine_fixture& fx) {
  storage::process_query q;
  q.limit = 1000;
  return fx.store().list(q).value().states.size();
}

}  // namespace

TEST_CASE("a process actor that throws is restarted from its snapshot and goes on",
          "[actors][supervision]") {
  engine_fixture fx;
  fx.deploy(defs::flaky);
  auto& calls = fx.delegates();
  calls.throw_on_next_calls(1);
  auto started = fx.start("Flaky");
  REQUIRE(started.code == engine_errc::ok);  // the answer went out before the call threw
  CHECK(calls.count() == 0);
  CHECK(fx.context().live.load() == 0);  // the actor is gone

  // Restarted after the first crash backoff (200 ms), it re-issues the call it owed.
  fx.advance(199ms);
  CHECK(calls.count() == 0);
  fx.advance(1ms);
  REQUIRE(calls.count() == 1);
  calls.answer(0, 200, R"({"price": 7})");
  fx.settle();
  auto p = fx.load(started.process_id);
  CHECK(p.status == process_status::succeeded);
  CHECK(p.outputs.at("price").integer == 7);
}

TEST_CASE("a process actor that keeps throwing is restarted a bounded number of times",
          "[actors][supervision]") {
  engine_fixture fx;
  fx.deploy(defs::flaky);
  auto& calls = fx.delegates();
  calls.throw_on_next_calls(100);
  auto started = fx.start("Flaky");
  REQUIRE(started.code == engine_errc::ok);
  fx.advance(60s);  // backoffs of 200 ms … 6.4 s: all restarts are over
  CHECK(calls.count() == 0);
  CHECK(fx.status(started.process_id) == process_status::running);  // left stored as it was

  // Touched again later (here: cancelled), it comes back from its snapshot.
  calls.throw_on_next_calls(0);
  auto cancelled = fx.cancel(started.process_id);
  CHECK(cancelled.code == engine_errc::ok);
  CHECK(cancelled.status == process_status::cancelled);
}

TEST_CASE("a failed trigger is restarted from the stored schedules, which fire on",
          "[actors][supervision]") {
  engine_fixture fx;
  fx.deploy(defs::instant);
  auto first = create(fx, every_10s("Instant"));
  REQUIRE(first.code == engine_errc::ok);
  fx.advance(10s);
  REQUIRE(stored_processes(fx) == 1);

  fail(fx, caf::atom("trigger"));
  fx.advance(10s);
  CHECK(stored_processes(fx) == 2);  // the stored schedule fired on
  auto second = create(fx, every_10s("Instant"));
  CHECK(second.code == engine_errc::ok);
  fx.advance(10s);
  CHECK(stored_processes(fx) == 4);  // both fire
}

TEST_CASE("a failed retry actor is restarted and step retries go on", "[actors][supervision]") {
  engine_fixture fx;
  fx.deploy(defs::flaky);
  auto& calls = fx.delegates();
  auto started = fx.start("Flaky");
  REQUIRE(calls.count() == 1);
  calls.answer(0, 503);
  fx.settle();

  fail(fx, caf::atom("retry"));  // the backoff it was timing (1 s) is held by the clock
  fx.advance(1s);
  REQUIRE(calls.count() == 2);
  calls.answer(1, 503);  // the next backoff is timed by the new retry actor
  fx.settle();
  fx.advance(2s);
  REQUIRE(calls.count() == 3);
  calls.answer(2, 200, R"({"price": 1})");
  fx.settle();
  CHECK(fx.status(started.process_id) == process_status::succeeded);
}

TEST_CASE("a failed deployer is restarted and deploys go on", "[actors][supervision]") {
  engine_fixture fx;
  auto v1 = fx.deploy(defs::wait);
  CHECK(v1->version == 1);
  fail(fx, caf::atom("deployer"));
  auto v2 = fx.deploy(defs::instant);
  CHECK(v2->version == 1);
  auto changed = std::string(defs::wait);
  changed.insert(changed.find("\"outputs\""), "\"description\": \"changed\", ");
  auto v3 = fx.deploy(changed);
  CHECK(v3->version == 2);  // numbered on from the registry, not from the lost state
}

TEST_CASE("a failed scope queue is restarted from the stored processes of its scope",
          "[actors][supervision]") {
  engine_fixture fx;
  fx.deploy(defs::wait);
  auto a = fx.start("Wait", "s");
  auto b = fx.start("Wait", "s");
  REQUIRE(a.status == process_status::running);
  REQUIRE(b.status == process_status::waiting);

  // A query for the scope makes its queue the next actor with work: fail it there, as an
  // exception escaping its handler would.
  testing::answers<actors::scope_info> during;
  fx.engine().scope("s", during.callback());
  auto& sched = fx.sched();
  caf::strong_actor_ptr queue;
  for (int i = 0; i < 100 && sched.has_job(); ++i) {
    auto& next = sched.next_job<caf::scheduled_actor>();
    if (std::string_view(next.name()) == "baton.scope_queue") {
      queue = caf::actor_cast<caf::strong_actor_ptr>(&next);
      break;
    }
    sched.run_once();
  }
  REQUIRE(queue);
  caf::anon_send_exit(queue, caf::exit_reason::unhandled_exception);
  fx.settle();

  auto restored = fx.scope("s");
  CHECK(restored.running == std::vector<std::string>{a.process_id});
  CHECK(restored.queued == std::vector<std::string>{b.process_id});
  auto c = fx.start("Wait", "s");
  CHECK(c.status == process_status::waiting);  // FIFO and the limit hold
  REQUIRE(fx.cancel(a.process_id).code == engine_errc::ok);
  CHECK(fx.status(b.process_id) == process_status::running);
  CHECK(fx.scope("s").queued == std::vector<std::string>{c.process_id});
}
