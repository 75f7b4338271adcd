#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/actors/definitions.hpp"
#include "tests/actors/engine_fixture.hpp"

using namespace baton;
using actors::engine_errc;
using model::process_status;
using model::value;
using testing::engine_fixture;
namespace defs = testing::defs;

namespace {

model::values answer_params() { return {{"answer", value::of_string("ok")}}; }

std::vector<std::string> ids_of(const std::vector<actors::process_answer>& answers,
                                std::size_t from = 0) {
  std::vector<std::string> out;
  for (std::size_t i = from; i < answers.size(); ++i) out.push_back(answers[i].process_id);
  return out;
}

/// Starts `n` Wait processes in `scope`, one after the other.
std::vector<actors::process_answer> start_waits(engine_fixture& fx, const std::string& scope,
                                                int n) {
  std::vector<actors::process_answer> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(fx.start("Wait", scope));
    REQUIRE(out.back().code == engine_errc::ok);
  }
  return out;
}

}  // namespace

TEST_CASE("a scope with limit 1 admits its processes one at a time, in order", "[actors]") {
  engine_fixture fx;
  fx.deploy(defs::wait);
  std::vector<actors::process_answer> started;

  SECTION("started one by one") { started = start_waits(fx, "fifo", 5); }
  SECTION("started all at once") {
    std::vector<testing::answers<actors::process_answer>> pending;
    for (int i = 0; i < 5; ++i) {
      actors::start_request r;
      r.definition = "Wait";
      r.scope = "fifo";
      pending.push_back(fx.start_async(r));
    }
    fx.settle();
    for (auto& p : pending) started.push_back(p.get());
  }

  CHECK(started[0].status == process_status::running);
  for (int i = 1; i < 5; ++i) CHECK(started[i].status == process_status::waiting);
  auto info = fx.scope("fifo");
  CHECK(info.limit == 1);
  CHECK(info.running == std::vector<std::string>{started[0].process_id});
  CHECK(info.queued == ids_of(started, 1));
  storage::process_query waiting;
  waiting.status = process_status::waiting;
  waiting.scope = "fifo";
  std::vector<std::string> listed;
  for (const auto& p : fx.store().list(waiting).value().states) listed.push_back(p.id);
  CHECK(listed == ids_of(started, 1));

  for (int i = 0; i < 5; ++i) {
    INFO("completing process " << i);
    REQUIRE(fx.status(started[i].process_id) == process_status::running);
    for (int j = i + 1; j < 5; ++j)
      CHECK(fx.status(started[j].process_id) == process_status::waiting);
    auto done = fx.complete(fx.active_step(started[i].process_id), answer_params());
    CHECK(done.status == process_status::succeeded);
    auto now = fx.scope("fifo");
    if (i < 4) {
      CHECK(now.running == std::vector<std::string>{started[i + 1].process_id});
      CHECK(now.queued == ids_of(started, i + 2));
    } else {
      CHECK(now.running.empty());
      CHECK(now.queued.empty());
    }
  }
}

TEST_CASE("changing a scope's limit admits more, and never preempts", "[actors]") {
  engine_fixture fx;
  fx.deploy(defs::wait);
  auto started = start_waits(fx, "lim", 5);
  CHECK(fx.scope("lim").running.size() == 1);

  actors::scope_settings wider;
  wider.limit = 3;
  auto configured = fx.configure_scope("lim", wider);
  CHECK(configured.limit == 3);
  auto info = fx.scope("lim");
  CHECK(info.running == std::vector<std::string>{started[0].process_id, started[1].process_id,
                                                 started[2].process_id});
  CHECK(info.queued == ids_of(started, 3));
  CHECK(fx.status(started[2].process_id) == process_status::running);
  CHECK(fx.status(started[3].process_id) == process_status::waiting);

  actors::scope_settings narrower;
  narrower.limit = 1;
  fx.configure_scope("lim", narrower);
  CHECK(fx.scope("lim").running.size() == 3);  // nobody is stopped
  fx.complete(fx.active_step(started[0].process_id), answer_params());
  fx.complete(fx.active_step(started[1].process_id), answer_params());
  CHECK(fx.status(started[3].process_id) == process_status::waiting);
  fx.complete(fx.active_step(started[2].process_id), answer_params());
  CHECK(fx.status(started[3].process_id) == process_status::running);
  CHECK(fx.status(started[4].process_id) == process_status::waiting);

  // The limit is stored, and the queue is rebuilt from the snapshots after a restart.
  auto stored = fx.store().database().get(storage::cf::scopes, "lim").value();
  REQUIRE(stored);
  CHECK(storage::value_at_pointer(storage::json_of(*stored), "/limit") == value::of_integer(1));
  fx.restart();
  auto after = fx.scope("lim");
  CHECK(after.limit == 1);
  CHECK(after.running == std::vector<std::string>{started[3].process_id});
  CHECK(after.queued == std::vector<std::string>{started[4].process_id});
  fx.complete(fx.active_step(started[3].process_id), answer_params());
  CHECK(fx.status(started[4].process_id) == process_status::running);
}

TEST_CASE("the answer to configure_scope shows the queue under the new limit", "[actors]") {
  engine_fixture fx;
  fx.deploy(defs::wait);
  auto started = start_waits(fx, "shown", 3);
  actors::scope_settings wider;
  wider.limit = 3;
  auto configured = fx.configure_scope("shown", wider);
  CHECK(configured.running.size() == 3);
  CHECK(configured.queued.empty());
}

TEST_CASE("a busy scope rejects when asked to", "[actors]") {
  engine_fixture fx;
  fx.deploy(defs::wait);
  auto first = fx.start("Wait", "busy");
  REQUIRE(first.status == process_status::running);

  actors::start_request r;
  r.definition = "Wait";
  r.scope = "busy";
  r.reject_if_busy = true;
  auto rejected = fx.start(r);
  CHECK(rejected.code == engine_errc::scope_busy);
  CHECK(rejected.field == "scope");

  actors::scope_settings policy;
  policy.reject_when_busy = true;
  CHECK(fx.configure_scope("busy", policy).reject_when_busy);
  auto plain = fx.start("Wait", "busy");
  CHECK(plain.code == engine_errc::scope_busy);
  // Nothing was stored for the rejected starts, and nothing queued.
  CHECK(fx.store().list({}).value().states.size() == 1);
  CHECK(fx.scope("busy").queued.empty());

  fx.complete(fx.active_step(first.process_id), answer_params());
  auto now_free = fx.start(r);
  CHECK(now_free.code == engine_errc::ok);
  CHECK(now_free.status == process_status::running);
}

TEST_CASE("a paused scope queues until resumed", "[actors]") {
  engine_fixture fx;
  fx.deploy(defs::wait);
  actors::scope_settings pause;
  pause.paused = true;
  fx.configure_scope("p", pause);
  auto a = fx.start("Wait", "p");
  CHECK(a.status == process_status::waiting);
  actors::scope_settings resume;
  resume.paused = false;
  fx.configure_scope("p", resume);
  CHECK(fx.status(a.process_id) == process_status::running);
}

TEST_CASE("cancelling a queued process takes it out of the queue", "[actors]") {
  engine_fixture fx;
  fx.deploy(defs::wait);
  auto started = start_waits(fx, "c", 4);

  auto cancelled = fx.cancel(started[1].process_id, "changed my mind");
  CHECK(cancelled.code == engine_errc::ok);
  CHECK(cancelled.status == process_status::cancelled);
  auto p = fx.load(started[1].process_id);
  CHECK(p.status == process_status::cancelled);
  CHECK(p.error == "changed my mind");
  CHECK(fx.scope("c").queued ==
        std::vector<std::string>{started[2].process_id, started[3].process_id});
  CHECK(fx.cancel(started[1].process_id).code == engine_errc::conflict);

  fx.complete(fx.active_step(started[0].process_id), answer_params());
  CHECK(fx.status(started[2].process_id) == process_status::running);
  CHECK(fx.status(started[1].process_id) == process_status::cancelled);

  // Cancelling the running one frees its slot for the next.
  CHECK(fx.cancel(started[2].process_id).code == engine_errc::ok);
  CHECK(fx.status(started[3].process_id) == process_status::running);
  CHECK(fx.cancel("000000000000000000000000").code == engine_errc::not_found);
  CHECK(fx.context().cancelled.load() == 2);
}
