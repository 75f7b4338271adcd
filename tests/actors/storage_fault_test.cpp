// The actors when a write fails: the client is told (507 / 503), the actor's state stays
// what is stored (no half-applied transition), and the same command works once the fault
// clears.

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "storage/fault_injection.hpp"
#include "tests/actors/definitions.hpp"
#include "tests/actors/engine_fixture.hpp"

using namespace baton;
using testing::engine_fixture;
using testing::engine_options;
namespace defs = testing::defs;

TEST_CASE("a completion whose write fails is refused, changes nothing, and works after",
          "[actors]") {
  auto faults = std::make_shared<storage::fault_switch>();
  engine_options options;
  options.faults = faults;
  engine_fixture fx(options);
  fx.deploy(defs::wait);
  auto started = fx.start("Wait");
  REQUIRE(started.code == actors::engine_errc::ok);
  auto step = fx.active_step(started.process_id);
  REQUIRE_FALSE(step.empty());

  faults->failing = storage::storage_errc::no_space;
  auto refused = fx.complete(step, {{"answer", model::value::of_string("yes")}});
  CHECK(refused.code == actors::engine_errc::storage_full);
  CHECK(refused.message.find('/') == std::string::npos);  // no path to a client
  faults->failing = storage::storage_errc::ok;

  // Stored and in memory alike: the step still waits; a scope change refused the same way
  // would not have been applied either.
  CHECK(fx.status(started.process_id) == model::process_status::running);
  CHECK(fx.active_step(started.process_id) == step);

  // RocksDB is asked to resume at most once a second (real time: the committer's thread).
  actors::process_answer done;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  do {
    done = fx.complete(step, {{"answer", model::value::of_string("yes")}});
    if (done.code == actors::engine_errc::ok) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // polled, bounded above
  } while (std::chrono::steady_clock::now() < deadline);
  REQUIRE(done.code == actors::engine_errc::ok);
  CHECK(fx.status(started.process_id) == model::process_status::succeeded);
}

TEST_CASE("a scope change whose write fails is not applied", "[actors]") {
  auto faults = std::make_shared<storage::fault_switch>();
  engine_options options;
  options.faults = faults;
  engine_fixture fx(options);
  fx.deploy(defs::wait);
  REQUIRE(fx.start("Wait", "narrow").code == actors::engine_errc::ok);

  faults->failing = storage::storage_errc::io_error;
  actors::scope_settings wider;
  wider.limit = 5;
  testing::answers<actors::scope_answer> answer;
  fx.engine().configure_scope("narrow", wider, answer.callback());
  fx.settle();
  auto refused = answer.get();
  CHECK(refused.code == actors::engine_errc::storage_unavailable);
  faults->failing = storage::storage_errc::ok;
  CHECK(fx.scope("narrow").limit == 1);
}
