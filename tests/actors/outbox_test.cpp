// The callback outbox, run by the real engine on CAF's test coordinator: calls go to the
// fixture's fake delegate and are answered by the test; backoffs pass on the virtual clock.

#include "actors/outbox.hpp"

#include <caf/actor_registry.hpp>
#include <caf/exit_reason.hpp>
#include <caf/send.hpp>
#include <catch2/catch.hpp>
#include <set>

#include "storage/record_codec.hpp"
#include "tests/actors/definitions.hpp"
#include "tests/actors/engine_fixture.hpp"
#include "tests/storage/store_helpers.hpp"

using namespace baton;
using namespace std::chrono_literals;
using testing::commit;
using testing::engine_fixture;
using testing::engine_options;

namespace {

/// Stores a callback target for `process_id` and one outbox entry per status, in order.
std::vector<std::string> owe(storage::process_store& store, const std::string& process_id,
                             std::vector<model::process_status> statuses) {
  storage::batch b;
  store.put_callback(b, process_id, {"http://hooks.test/cb", {{"x-api-key", "k"}}, "test"});
  std::vector<std::string> keys;
  std::uint64_t seq = 0;
  for (auto s : statuses) {
    model::process_state p;
    p.id = process_id;
    p.status = s;
    keys.push_back(store.put_outbox(b, process_id, ++seq, storage::encode_process(p)));
  }
  REQUIRE(commit(store, std::move(b)).empty());
  return keys;
}

std::size_t outbox_size(storage::process_store& store) {
  std::size_t n = 0;
  REQUIRE(store.for_each_outbox([&](std::string_view, std::string_view) { ++n; }).ok());
  return n;
}

/// Callbacks tried `attempts` times, 1 ms apart at first, rendered as their status name.
engine_options quick(std::size_t attempts) {
  engine_options o;
  o.outgoing.callback_attempts = attempts;
  o.outgoing.callback_backoff = 1ms;
  o.formats["test"] = [](const model::process_state& p, const model::definition*) {
    return std::string(model::to_string(p.status));
  };
  return o;
}

/// The fixture's engine, restarted so that its outbox finds what the test stored.
void restart_outbox(engine_fixture& fx) { fx.restart(); }

/// An engine whose outbox has run (and found nothing) before the test stores its entries:
/// otherwise the first engine's outbox would scan them when it first runs, at its shutdown.
struct outbox_fixture : engine_fixture {
  explicit outbox_fixture(engine_options o) : engine_fixture(std::move(o)) { settle(); }
};

std::uint64_t delivered(engine_fixture& fx) { return fx.context().callbacks->delivered.load(); }
std::uint64_t given_up(engine_fixture& fx) { return fx.context().callbacks->given_up.load(); }

}  // namespace

TEST_CASE("callback backoff doubles per try, is capped, spread and at least 1 ms",
          "[actors][outbox]") {
  using actors::callback_backoff;
  CHECK(callback_backoff(1000ms, 1, 1.0) == 1000ms);
  CHECK(callback_backoff(1000ms, 2, 1.0) == 2000ms);
  CHECK(callback_backoff(1000ms, 4, 1.0) == 8000ms);
  CHECK(callback_backoff(1000ms, 4, 0.8) == 6400ms);
  CHECK(callback_backoff(1000ms, 30, 1.0) == std::chrono::minutes(5));
  CHECK(callback_backoff(1000ms, 30, 1.2) == 360'000ms);
  CHECK(callback_backoff(1ms, 1, 0.8) == 1ms);
  CHECK(callback_backoff(0ms, 1, 1.0) == 1ms);
}

TEST_CASE("callbacks go out in order per process, retried until answered 2xx", "[actors][outbox]") {
  outbox_fixture fx(quick(5));
  owe(fx.store(), "p1", {model::process_status::running, model::process_status::succeeded});
  restart_outbox(fx);
  auto& calls = fx.delegates();
  REQUIRE(calls.count() == 1);
  calls.answer(0, 0, "", "connect: refused");
  fx.settle();
  CHECK(calls.count() == 1);  // not before its backoff
  fx.advance(10ms);
  REQUIRE(calls.count() == 2);
  calls.answer(1, 503);
  fx.settle();  // the retry timer starts when the answer is handled
  fx.advance(10ms);
  REQUIRE(calls.count() == 3);
  calls.answer(2, 200);
  fx.settle();
  REQUIRE(calls.count() == 4);  // the end, never before the report ahead of it
  calls.answer(3, 204);
  fx.settle();
  CHECK(calls.request(0).body == "RUNNING");
  CHECK(calls.request(1).body == "RUNNING");
  CHECK(calls.request(2).body == "RUNNING");
  CHECK(calls.request(3).body == "SUCCEEDED");
  for (std::size_t i = 0; i < 4; ++i) {
    auto c = calls.request(i);
    CHECK(c.url == "http://hooks.test/cb");
    CHECK(c.method == "POST");
    CHECK(calls.header(i, "x-api-key") == "k");
    CHECK(calls.header(i, "Content-Type") == "application/json");
    CHECK(calls.header(i, "Idempotency-Key").starts_with("p1/"));
  }
  CHECK(outbox_size(fx.store()) == 0);
  CHECK(delivered(fx) == 2);
  CHECK(given_up(fx) == 0);
  // The end was reported: the target and its secret are gone with it.
  CHECK_FALSE(fx.store().callback("p1").value());
}

TEST_CASE("a callback is given up after its attempts and the next one goes on",
          "[actors][outbox]") {
  outbox_fixture fx(quick(3));
  owe(fx.store(), "p1", {model::process_status::running, model::process_status::failed});
  restart_outbox(fx);
  auto& calls = fx.delegates();
  for (std::size_t i = 0; i < 3; ++i) {
    REQUIRE(calls.count() == i + 1);
    calls.answer(i, 500);
    fx.settle();
    fx.advance(1s);
  }
  REQUIRE(calls.count() == 4);
  CHECK(calls.request(2).body == "RUNNING");
  CHECK(calls.request(3).body == "FAILED");
  calls.answer(3, 204);
  fx.settle();
  CHECK(outbox_size(fx.store()) == 0);
  CHECK(given_up(fx) == 1);
  CHECK(delivered(fx) == 1);
}

TEST_CASE("callbacks signalled and found at start are each sent once", "[actors][outbox]") {
  outbox_fixture fx(quick(3));
  auto early = owe(fx.store(), "p1", {model::process_status::succeeded});
  fx.restart_unsettled();
  // Signalled and in the outbox as the outbox starts: one call.
  caf::anon_send(fx.context().outbox(), actors::callback_due{early[0]});
  fx.settle();
  auto late = owe(fx.store(), "p2", {model::process_status::cancelled});
  caf::anon_send(fx.context().outbox(), actors::callback_due{late[0]});
  caf::anon_send(fx.context().outbox(), actors::callback_due{late[0]});
  fx.settle();
  auto& calls = fx.delegates();
  REQUIRE(calls.count() == 2);
  calls.answer(0, 200);
  calls.answer(1, 200);
  fx.settle();
  // A signal that comes late, after the delivery, sends nothing again.
  caf::anon_send(fx.context().outbox(), actors::callback_due{early[0]});
  fx.advance(1s);
  CHECK(calls.count() == 2);
  CHECK(delivered(fx) == 2);
  CHECK(outbox_size(fx.store()) == 0);
}

TEST_CASE("a stopped outbox leaves what it did not deliver for the next start",
          "[actors][outbox]") {
  outbox_fixture fx(quick(1000));
  owe(fx.store(), "p1", {model::process_status::succeeded});
  restart_outbox(fx);
  REQUIRE(fx.delegates().count() == 1);
  fx.delegates().answer(0, 503);
  fx.settle();
  fx.stop_engine();
  CHECK(outbox_size(fx.store()) == 1);
  restart_outbox(fx);
  REQUIRE(fx.delegates().count() == 2);
  fx.delegates().answer(1, 200);
  fx.settle();
  CHECK(outbox_size(fx.store()) == 0);
}

TEST_CASE("a failed outbox is restarted, finds what it owed and hears new signals",
          "[actors][outbox][supervision]") {
  outbox_fixture fx(quick(1000));
  owe(fx.store(), "p1", {model::process_status::succeeded});
  restart_outbox(fx);
  auto& calls = fx.delegates();
  REQUIRE(calls.count() == 1);
  // Ended as CAF ends an actor whose handler let an exception escape.
  auto& registry = fx.engine().system().registry();
  auto before = registry.get(caf::atom("outbox"));
  REQUIRE(before);
  REQUIRE(caf::actor_cast<caf::actor_addr>(before) == fx.context().outbox().address());
  caf::anon_send_exit(before, caf::exit_reason::unhandled_exception);
  fx.settle();
  auto after = registry.get(caf::atom("outbox"));
  REQUIRE(after);
  CHECK(after != before);
  CHECK(caf::actor_cast<caf::actor_addr>(after) == fx.context().outbox().address());
  // The callback that was out when it failed goes again; the first answer reaches no one.
  REQUIRE(calls.count() == 2);
  calls.answer(0, 200);
  calls.answer(1, 200);
  fx.settle();
  CHECK(outbox_size(fx.store()) == 0);
  // Processes signal the new outbox.
  auto late = owe(fx.store(), "p2", {model::process_status::cancelled});
  caf::anon_send(fx.context().outbox(), actors::callback_due{late[0]});
  fx.settle();
  REQUIRE(calls.count() == 3);
  calls.answer(2, 200);
  fx.settle();
  CHECK(outbox_size(fx.store()) == 0);
  CHECK(delivered(fx) == 2);
}

TEST_CASE("no more callbacks are out at once than callback_max_in_flight", "[actors][outbox]") {
  auto options = quick(5);
  options.outgoing.callback_max_in_flight = 2;
  outbox_fixture fx(options);
  constexpr std::size_t processes = 12;
  for (std::size_t i = 0; i < processes; ++i) {
    owe(fx.store(), "p" + std::to_string(i),
        {model::process_status::running, model::process_status::succeeded});
  }
  restart_outbox(fx);
  auto& calls = fx.delegates();
  // The first try of the first callback of every third process fails once, so retries
  // compete with first tries for the slots. Calls are answered oldest first.
  std::set<std::string> tried;
  std::size_t answered = 0;
  std::size_t most_out = 0;
  while (calls.unanswered() > 0) {
    most_out = std::max(most_out, calls.unanswered());
    REQUIRE(calls.unanswered() <= 2);
    auto i = answered++;
    auto key = calls.header(i, "Idempotency-Key");  // "p<N>/<seq as 16 hex digits>"
    bool first_try = tried.insert(key).second;
    bool fails_once = key.ends_with("/0000000000000001") && std::stoi(key.substr(1)) % 3 == 0;
    calls.answer(i, first_try && fails_once ? 503 : 200);
    fx.settle();
    fx.advance(10ms);
  }
  CHECK(most_out == 2);  // the cap is used, not just respected
  CHECK(outbox_size(fx.store()) == 0);
  CHECK(delivered(fx) == 2 * processes);
  CHECK(given_up(fx) == 0);
  constexpr std::size_t failed_tries = 4;  // p0, p3, p6, p9
  CHECK(calls.count() == 2 * processes + failed_tries);
}

TEST_CASE("a process with a callback signals the outbox when it parks and when it ends",
          "[actors][outbox]") {
  outbox_fixture fx(quick(3));
  fx.deploy(testing::defs::wait);
  actors::start_request r;
  r.definition = "Wait";
  r.callback = model::callback_target{"http://hooks.test/cb", {}, "test"};
  auto started = fx.start(std::move(r));
  REQUIRE(started.code == actors::engine_errc::ok);
  auto& calls = fx.delegates();
  REQUIRE(calls.count() == 1);
  CHECK(calls.request(0).body == "RUNNING");
  calls.answer(0, 200);
  fx.settle();
  auto done =
      fx.complete(fx.active_step(started.process_id), {{"answer", model::value::of_string("yes")}});
  REQUIRE(done.code == actors::engine_errc::ok);
  REQUIRE(calls.count() == 2);
  CHECK(calls.request(1).body == "SUCCEEDED");
  calls.answer(1, 200);
  fx.settle();
  CHECK(delivered(fx) == 2);
  CHECK(outbox_size(fx.store()) == 0);
}
