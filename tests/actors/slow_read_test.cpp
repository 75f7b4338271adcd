// The scheduler never waits on the disk: a read that stalls holds up the one command that
// needs it, not the others. This runs a real actor system (threads, not the test
// coordinator), because what it shows is that two things happen at the same time.

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

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
  explicit live_engine(const temp_dir& dir, std::shared_ptr<storage::fault_switch> faults) {
    settings.storage.data_dir = dir.str();
    storage::store_options options;
    options.faults = std::move(faults);
    auto opened = storage::process_store::open(dir.str(), options);
    REQUIRE(opened.ok());
    store = std::move(opened).value();
    engine = std::make_unique<actors::engine_impl>(settings, *store, delegates,
                                                   actors::engine::clock_ms{}, /*testing=*/false);
    REQUIRE(engine->recover().ok());
  }
  ~live_engine() { engine->shutdown(); }

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

}  // namespace

TEST_CASE("a stalled snapshot read does not delay an unrelated start", "[actors][reads]") {
  temp_dir dir;
  auto faults = std::make_shared<storage::fault_switch>();
  std::string waiting_id, step_id;
  {
    live_engine first(dir, faults);
    testing::answers<actors::deploy_answer> deployed;
    first.engine->deploy(testing::definition_of(testing::defs::wait), deployed.callback());
    REQUIRE(first.wait_for(deployed).code == engine_errc::ok);
    testing::answers<actors::process_answer> started;
    actors::start_request r;
    r.definition = "Wait";
    first.engine->start(r, started.callback());
    auto a = first.wait_for(started);
    REQUIRE(a.code == engine_errc::ok);
    REQUIRE(a.next_step_id);
    waiting_id = a.process_id;
    step_id = *a.next_step_id;
  }
  // After a restart the waiting process lives on disk only: a command for it reads it.
  live_engine second(dir, faults);
  faults->stall_reads();
  testing::answers<actors::process_answer> completed;
  second.engine->complete_step(step_id, {{"answer", model::value::of_string("yes")}},
                               completed.callback());
  REQUIRE(eventually([&] { return faults->stalled.load() == 1; }));

  testing::answers<actors::process_answer> other;
  actors::start_request r;
  r.definition = "Wait";
  second.engine->start(r, other.callback());
  auto started = second.wait_for(other);
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
