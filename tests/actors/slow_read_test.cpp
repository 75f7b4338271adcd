// The scheduler never waits on the disk: a read that stalls holds up the one command that
// needs it, not the others. This runs a real actor system (threads, not the test
// coordinator), because what it shows is that two things happen at the same time.

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "model/clock.hpp"
#include "storage/fault_injection.hpp"
#include "tests/actors/definitions.hpp"
#include "tests/actors/engine_fixture.hpp"

using namespace baton;
using actors::engine_errc;
using testing::temp_dir;

namespace {

/// Waits until `done` holds, for at most `limit`; the limit only bounds a failing run.
template <class Predicate>
bool eventually(Predicate done, std::chrono::seconds limit = std::chrono::seconds(30)) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

/// A store and an engine on real threads over one data folder.
struct live_engine {
  /// `now` is the engine's clock: the system clock unless a test moves its own.
  live_engine(const temp_dir& dir, std::shared_ptr<storage::fault_switch> faults,
              actors::engine::clock_ms now = {}) {
    settings.storage.data_dir = dir.str();
    storage::store_options options;
    options.faults = std::move(faults);
    auto opened = storage::process_store::open(dir.str(), options);
    REQUIRE(opened.ok());
    store = std::move(opened).value();
    engine = std::make_unique<actors::engine_impl>(settings, *store, delegates, std::move(now),
                                                   /*testing=*/false);
    REQUIRE(engine->recover().ok());
  }
  ~live_engine() { engine->shutdown(); }

  /// Starts a process of "Wait" and returns the engine's answer.
  actors::process_answer start_wait() {
    testing::answers<actors::process_answer> started;
    start_wait_in("", started);
    return wait_for(started);
  }

  /// Starts a process of "Wait" in `scope` (none: "") without waiting for the answer.
  void start_wait_in(const std::string& scope, testing::answers<actors::process_answer>& started) {
    actors::start_request r;
    r.definition = "Wait";
    r.scope = scope;
    engine->start(r, started.callback());
  }

  template <class T>
  T wait_for(testing::answers<T>& a) {
    REQUIRE(eventually([&] { return a.count() == 1; }));
    return a.get();
  }

  config::settings settings;
  testing::fake_delegate delegates;
  std::unique_ptr<storage::process_store> store;
  std::unique_ptr<actors::engine_impl> engine;
};

/// A process of "Wait" on disk only, waiting at its step: its id and the step's id.
struct waiting_process {
  std::string id;
  std::string step_id;
};

waiting_process store_waiting_process(const temp_dir& dir,
                                      std::shared_ptr<storage::fault_switch> faults) {
  live_engine first(dir, std::move(faults));
  testing::answers<actors::deploy_answer> deployed;
  first.engine->deploy(testing::definition_of(testing::defs::wait), deployed.callback());
  REQUIRE(first.wait_for(deployed).code == engine_errc::ok);
  auto a = first.start_wait();
  REQUIRE(a.code == engine_errc::ok);
  REQUIRE(a.next_step_id);
  return {a.process_id, *a.next_step_id};
}

}  // namespace

TEST_CASE("a stalled snapshot read does not delay an unrelated start", "[actors][reads]") {
  temp_dir dir;
  auto faults = std::make_shared<storage::fault_switch>();
  auto [waiting_id, step_id] = store_waiting_process(dir, faults);
  // After a restart the waiting process lives on disk only: a command for it reads it.
  live_engine second(dir, faults);
  faults->stall_reads();
  testing::answers<actors::process_answer> completed;
  second.engine->complete_step(step_id, {{"answer", model::value::of_string("yes")}}, "test",
                               completed.callback());
  REQUIRE(eventually([&] { return faults->stalled.load() == 1; }));

  auto started = second.start_wait();
  CHECK(started.code == engine_errc::ok);
  CHECK(started.process_id != waiting_id);
  CHECK(completed.count() == 0);  // still held by the stalled read

  // A second command for the same process waits behind the first, in order.
  testing::answers<actors::process_answer> cancelled;
  second.engine->cancel(waiting_id, "late", cancelled.callback());

  faults->release_reads();
  auto done = second.wait_for(completed);
  CHECK(done.code == engine_errc::ok);
  CHECK(done.status == model::process_status::succeeded);
  CHECK(second.wait_for(cancelled).code == engine_errc::conflict);  // already finished
  CHECK(faults->stalled.load() == 1);                               // one read served both
}

TEST_CASE("stalled reads of new scopes' settings do not delay an unrelated start",
          "[actors][reads]") {
  temp_dir dir;
  auto faults = std::make_shared<storage::fault_switch>();
  store_waiting_process(dir, faults);
  live_engine engine(dir, faults);
  faults->stall_reads();
  // Two new scopes: each new queue has its settings read, and both reads stall. The engine's
  // actors share two threads: were the queues to read in their own mailboxes, both threads
  // would wait on the disk and nothing else would run.
  testing::answers<actors::process_answer> in_a, in_b;
  engine.start_wait_in("a", in_a);
  engine.start_wait_in("b", in_b);
  REQUIRE(eventually([&] { return faults->stalled.load() == 2; }));

  auto started = engine.start_wait();
  CHECK(started.code == engine_errc::ok);
  CHECK(in_a.count() == 0);  // each waits for its scope's settings
  CHECK(in_b.count() == 0);

  faults->release_reads();
  CHECK(engine.wait_for(in_a).status == model::process_status::running);
  CHECK(engine.wait_for(in_b).status == model::process_status::running);
}

TEST_CASE("a command the engine does not answer in time hears so, and nothing after",
          "[actors][reads]") {
  temp_dir dir;
  auto faults = std::make_shared<storage::fault_switch>();
  auto [waiting_id, step_id] = store_waiting_process(dir, faults);
  auto offset_ms = std::make_shared<std::atomic<std::int64_t>>(0);
  live_engine engine(dir, faults, [offset_ms] { return model::system_clock_ms() + *offset_ms; });

  faults->stall_reads();
  testing::answers<actors::process_answer> completed;
  engine.engine->complete_step(step_id, {{"answer", model::value::of_string("yes")}}, "test",
                               completed.callback());
  REQUIRE(eventually([&] { return faults->stalled.load() == 1; }));
  CHECK(engine.engine->open_requests() == 1);

  // Past the deadline on the engine's clock, the reply watch gives up within a second.
  *offset_ms += 31'000;
  auto late = engine.wait_for(completed);
  CHECK(late.code == engine_errc::timed_out);
  CHECK(engine.engine->open_requests() == 0);

  // The command was applied after all; its answer, now too late, goes nowhere.
  faults->release_reads();
  testing::answers<actors::process_answer> cancelled;
  engine.engine->cancel(waiting_id, "after", cancelled.callback());
  CHECK(engine.wait_for(cancelled).code == engine_errc::conflict);  // it had finished
  CHECK(completed.count() == 1);
}
