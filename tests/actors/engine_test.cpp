#include <catch2/catch.hpp>
#include <chrono>
#include <string>

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

model::values answer_params(std::string text = "yes") {
  return {{"answer", value::of_string(std::move(text))}};
}

}  // namespace

TEST_CASE("a failing http step is retried after its backoff, doubling, until exhausted",
          "[actors]") {
  engine_fixture fx;
  fx.deploy(defs::flaky);
  fx.deploy(defs::wait);
  auto& calls = fx.delegates();

  auto first = fx.start("Flaky", "pricing");
  REQUIRE(first.code == engine_errc::ok);
  CHECK(first.status == process_status::running);
  const auto id = first.process_id;
  const auto step = id + "-1";
  auto queued = fx.start("Wait", "pricing");  // holds no slot until Flaky ends
  CHECK(queued.status == process_status::waiting);

  REQUIRE(calls.count() == 1);
  CHECK(calls.request(0).url == "http://pricing.test/p");
  CHECK(calls.header(0, "Idempotency-Key") == step + ".1");

  const std::chrono::milliseconds delays[] = {1000ms, 2000ms, 4000ms};
  for (int attempt = 1; attempt <= 3; ++attempt) {
    INFO("attempt " << attempt);
    calls.answer(attempt - 1, 503, R"({"error":"busy"})");
    fx.settle();
    auto p = fx.load(id);
    CHECK(p.status == process_status::running);
    REQUIRE(p.steps.size() == 1);
    CHECK(p.steps[0].retry_pending);
    CHECK(p.steps[0].attempt == attempt);
    CHECK(p.steps[0].due_ms == fx.now() + delays[attempt - 1].count());
    CHECK(p.steps[0].error == "unexpected status 503");
    CHECK(fx.sched().has_pending_timeout());
    // Nothing is called again before the backoff ends, in virtual time.
    fx.advance(delays[attempt - 1] - 1ms);
    CHECK(calls.count() == static_cast<std::size_t>(attempt));
    fx.advance(1ms);
    REQUIRE(calls.count() == static_cast<std::size_t>(attempt + 1));
    CHECK(calls.header(attempt, "Idempotency-Key") == step + "." + std::to_string(attempt + 1));
    CHECK(fx.load(id).steps[0].attempt == attempt + 1);
    CHECK_FALSE(fx.load(id).steps[0].retry_pending);
  }
  CHECK(fx.status(queued.process_id) == process_status::waiting);

  calls.answer(3, 503);  // the fourth attempt fails too: no retries left
  fx.settle();
  auto failed = fx.load(id);
  CHECK(failed.status == process_status::failed);
  CHECK(failed.error == "fetch: unexpected status 503");
  CHECK(failed.steps[0].status == model::step_status::failed);
  CHECK(fx.context().failed.load() == 1);
  fx.advance(60s);
  CHECK(calls.count() == 4);

  // Its scope slot is free: the queued process got it.
  CHECK(fx.status(queued.process_id) == process_status::running);
  auto scope = fx.scope("pricing");
  CHECK(scope.running == std::vector<std::string>{queued.process_id});
  CHECK(scope.queued.empty());
}

TEST_CASE("a retried http step succeeds and maps its answer", "[actors]") {
  engine_fixture fx;
  fx.deploy(defs::fixed_retry);
  fx.deploy(defs::flaky);
  auto& calls = fx.delegates();

  SECTION("fixed backoff keeps the same delay; transport errors retry too") {
    auto a = fx.start("FixedRetry");
    calls.answer(0, 0, {}, "connection refused");
    fx.settle();
    CHECK(fx.load(a.process_id).steps[0].error == "connection refused");
    fx.advance(499ms);
    CHECK(calls.count() == 1);
    fx.advance(1ms);
    REQUIRE(calls.count() == 2);
    calls.answer(1, 500);
    fx.settle();
    fx.advance(499ms);
    CHECK(calls.count() == 2);
    fx.advance(1ms);
    REQUIRE(calls.count() == 3);
    calls.answer(2, 204, "");
    fx.settle();
    CHECK(fx.status(a.process_id) == process_status::succeeded);
  }

  SECTION("exponential backoff, then a good answer") {
    auto a = fx.start("Flaky");
    calls.answer(0, 502);
    fx.settle();
    fx.advance(1s);
    REQUIRE(calls.count() == 2);
    calls.answer(1, 200, R"({"price": 42.5})");
    fx.settle();
    auto p = fx.load(a.process_id);
    CHECK(p.status == process_status::succeeded);
    CHECK(p.outputs.at("price") == value::of_number(42.5));
    CHECK(p.steps[0].attempt == 2);
  }

  SECTION("an answer without the mapped field fails the attempt") {
    auto a = fx.start("Flaky");
    calls.answer(0, 200, R"({"cost": 1})");
    fx.settle();
    auto p = fx.load(a.process_id);
    CHECK(p.steps[0].retry_pending);
    CHECK(p.steps[0].error == "answer has no /price");
  }
}

TEST_CASE("timer steps fire only when virtual time reaches them", "[actors]") {
  engine_fixture fx;
  fx.deploy(defs::nap);
  fx.deploy(defs::short_nap);
  auto slow = fx.start("Nap");
  auto quick = fx.start("ShortNap");
  CHECK(slow.status == process_status::running);
  CHECK(fx.load(slow.process_id).steps[0].due_ms == fx.now() + 5000);

  fx.advance(1999ms);
  CHECK(fx.status(quick.process_id) == process_status::running);
  fx.advance(1ms);
  CHECK(fx.status(quick.process_id) == process_status::succeeded);
  CHECK(fx.load(quick.process_id).outputs.at("x") == value::of_string("short"));
  CHECK(fx.status(slow.process_id) == process_status::running);

  fx.advance(2999ms);
  CHECK(fx.status(slow.process_id) == process_status::running);
  fx.advance(1ms);
  auto p = fx.load(slow.process_id);
  CHECK(p.status == process_status::succeeded);
  CHECK(p.outputs.at("x") == value::of_string("woke"));
  CHECK(p.steps[0].status == model::step_status::completed);
}

TEST_CASE("idle processes leave memory and come back from RocksDB", "[actors]") {
  testing::engine_options options;
  options.passivate_after = 100ms;
  engine_fixture fx(options);
  fx.deploy(defs::wait);
  fx.deploy(defs::nap);
  auto& ctx = fx.context();

  SECTION("an external step") {
    auto a = fx.start("Wait");
    CHECK(ctx.live.load() == 1);
    fx.advance(99ms);
    CHECK(ctx.live.load() == 1);
    fx.advance(1ms);
    CHECK(ctx.live.load() == 0);
    CHECK(ctx.passivated.load() == 1);
    CHECK(ctx.rehydrated.load() == 0);

    auto done = fx.complete(*a.next_step_id, answer_params("later"));
    REQUIRE(done.code == engine_errc::ok);
    CHECK(done.status == process_status::succeeded);
    CHECK(done.outputs.at("answer") == value::of_string("later"));
    CHECK(done.params.at("answer") == value::of_string("later"));
    CHECK(ctx.rehydrated.load() == 1);
    CHECK(fx.status(a.process_id) == process_status::succeeded);
    // A finished process leaves memory at once.
    CHECK(ctx.live.load() == 0);
    CHECK(ctx.passivated.load() == 2);
  }

  SECTION("a timer step") {
    auto a = fx.start("Nap");
    fx.advance(100ms);
    CHECK(ctx.live.load() == 0);
    fx.advance(4900ms);
    CHECK(ctx.rehydrated.load() == 1);
    CHECK(fx.status(a.process_id) == process_status::succeeded);
    CHECK(ctx.live.load() == 0);
  }

  SECTION("a retry backoff") {
    fx.deploy(defs::flaky);
    auto a = fx.start("Flaky");
    fx.delegates().answer(0, 503);
    fx.settle();
    fx.advance(100ms);
    CHECK(ctx.live.load() == 0);
    fx.advance(900ms);
    CHECK(ctx.rehydrated.load() == 1);
    REQUIRE(fx.delegates().count() == 2);
    fx.delegates().answer(1, 200, R"({"price": 1})");
    fx.settle();
    CHECK(fx.status(a.process_id) == process_status::succeeded);
  }

  SECTION("commands keep a process in memory") {
    auto a = fx.start("Wait");
    fx.advance(60ms);
    auto rejected = fx.complete(*a.next_step_id, {});  // missing param: a command all the same
    CHECK(rejected.code == engine_errc::invalid_params);
    CHECK(rejected.field == "answer");
    fx.advance(60ms);
    CHECK(ctx.live.load() == 1);
    fx.advance(40ms);
    CHECK(ctx.live.load() == 0);
  }
}

TEST_CASE("complete-step answers precisely", "[actors]") {
  engine_fixture fx;
  fx.deploy(defs::wait);
  auto a = fx.start("Wait");
  REQUIRE(a.next_step_id);
  CHECK(*a.next_step_id == a.process_id + "-1");

  auto wrong_type = fx.complete(*a.next_step_id, {{"answer", value::of_integer(5)}});
  CHECK(wrong_type.code == engine_errc::invalid_params);
  CHECK(wrong_type.field == "answer");
  CHECK(fx.complete(a.process_id + "-7", answer_params()).code == engine_errc::not_waiting);
  CHECK(fx.complete("000000000000000000000000-1", answer_params()).code == engine_errc::not_found);
  CHECK(fx.complete("no-dash-number", answer_params()).code == engine_errc::not_found);

  auto ok = fx.complete(*a.next_step_id, answer_params());
  CHECK(ok.code == engine_errc::ok);
  CHECK(ok.status == process_status::succeeded);
  CHECK(fx.complete(*a.next_step_id, answer_params()).code == engine_errc::not_waiting);
  auto history = fx.store().history(a.process_id).value();
  CHECK(history.size() == 5);  // created, started, step started, step completed, succeeded
}

TEST_CASE("an idempotent start answers the first process again", "[actors]") {
  engine_fixture fx;
  fx.deploy(defs::wait);
  actors::start_request r;
  r.definition = "Wait";
  r.idempotency_key = "order-1";

  auto first = fx.start(r);
  REQUIRE(first.code == engine_errc::ok);
  CHECK_FALSE(first.replayed);
  auto again = fx.start(r);
  CHECK(again.code == engine_errc::ok);
  CHECK(again.process_id == first.process_id);
  CHECK(again.replayed);
  CHECK(again.status == process_status::running);

  // Duplicates in flight together wait for the first and get its answer.
  r.idempotency_key = "order-2";
  auto a = fx.start_async(r);
  auto b = fx.start_async(r);
  auto c = fx.start_async(r);
  fx.settle();
  CHECK(a.get().process_id == b.get().process_id);
  CHECK(a.get().process_id == c.get().process_id);
  CHECK_FALSE(a.get().replayed);
  CHECK(b.get().replayed);
  CHECK(c.get().replayed);

  storage::process_query q;
  CHECK(fx.store().list(q).value().states.size() == 2);
  CHECK(fx.context().started.load() == 2);

  fx.restart();
  r.idempotency_key = "order-1";
  auto after_restart = fx.start(r);
  CHECK(after_restart.process_id == first.process_id);
  CHECK(after_restart.replayed);
}

TEST_CASE("a synchronous start answers at the end or at its timeout", "[actors]") {
  engine_fixture fx;
  fx.deploy(defs::wait);
  fx.deploy(defs::nap);
  fx.deploy(defs::instant);

  SECTION("the process ends in time") {
    actors::start_request r;
    r.definition = "Nap";
    r.wait_timeout_ms = 10'000;
    auto answer = fx.start_async(r);
    fx.settle();
    CHECK(answer.count() == 0);
    fx.advance(4999ms);
    CHECK(answer.count() == 0);
    fx.advance(1ms);
    REQUIRE(answer.count() == 1);
    auto a = answer.get();
    CHECK(a.code == engine_errc::ok);
    CHECK(a.status == process_status::succeeded);
    CHECK_FALSE(a.wait_timed_out);
    CHECK(a.outputs.at("x") == value::of_string("woke"));
    fx.advance(10s);
    CHECK(answer.count() == 1);
  }

  SECTION("the wait times out first") {
    actors::start_request r;
    r.definition = "Wait";
    r.wait_timeout_ms = 500;
    auto answer = fx.start_async(r);
    fx.settle();
    fx.advance(499ms);
    CHECK(answer.count() == 0);
    fx.advance(1ms);
    REQUIRE(answer.count() == 1);
    auto a = answer.get();
    CHECK(a.wait_timed_out);
    CHECK(a.status == process_status::running);
    REQUIRE(a.next_step_id);
    auto done = fx.complete(*a.next_step_id, answer_params());
    CHECK(done.status == process_status::succeeded);
    CHECK(answer.count() == 1);
  }

  SECTION("a process that ends at once answers at once") {
    actors::start_request r;
    r.definition = "Instant";
    r.wait_timeout_ms = 1000;
    auto a = fx.start(r);
    CHECK(a.status == process_status::succeeded);
    CHECK_FALSE(a.wait_timed_out);
    CHECK(a.outputs.at("x") == value::of_string("hello you"));
  }
}

TEST_CASE("start rejects what it cannot run", "[actors]") {
  engine_fixture fx;
  fx.deploy(defs::flaky);
  CHECK(fx.start("Nope").code == engine_errc::unknown_definition);
  actors::start_request r;
  r.definition = "Flaky";
  r.version = 9;
  CHECK(fx.start(r).code == engine_errc::unknown_definition);
  r.version.reset();
  r.scenario = "nope";
  auto a = fx.start(r);
  CHECK(a.code == engine_errc::unknown_scenario);
  CHECK(a.field == "scenarioId");
  CHECK(fx.delegates().count() == 0);
  CHECK(fx.store().list({}).value().states.empty());
}

TEST_CASE("after a restart, timers, retries and calls in flight resume", "[actors]") {
  testing::engine_options options;
  options.sync = true;  // as in production: every commit syncs the WAL
  engine_fixture fx(options);
  fx.deploy(defs::nap);
  fx.deploy(defs::flaky);
  auto& calls = fx.delegates();
  auto nap = fx.start("Nap");
  auto in_flight = fx.start("Flaky");
  auto retrying = fx.start("Flaky");
  REQUIRE(calls.count() == 2);
  calls.answer(1, 503);
  fx.settle();
  fx.advance(1s);  // nap due in 4 s; the retry was due now but its call is out
  REQUIRE(calls.count() == 3);
  calls.answer(2, 503);  // second attempt fails: retry due in 2 s
  fx.settle();

  fx.restart();
  CHECK(fx.engine().ready());
  CHECK(fx.context().active.load() == 3);
  CHECK(fx.engine().definitions().latest().size() == 2);
  // The call that was out is issued again, with the same idempotency key (at-least-once).
  REQUIRE(calls.count() == 4);
  CHECK(calls.header(3, "Idempotency-Key") == in_flight.process_id + "-1.1");

  fx.advance(1999ms);
  CHECK(calls.count() == 4);
  fx.advance(1ms);
  REQUIRE(calls.count() == 5);
  CHECK(calls.header(4, "Idempotency-Key") == retrying.process_id + "-1.3");

  fx.advance(2s);
  CHECK(fx.status(nap.process_id) == process_status::succeeded);
  calls.answer(3, 200, R"({"price": 3})");
  calls.answer(4, 200, R"({"price": 4})");
  fx.settle();
  CHECK(fx.load(in_flight.process_id).outputs.at("price") == value::of_integer(3));
  CHECK(fx.load(retrying.process_id).outputs.at("price") == value::of_integer(4));
}

TEST_CASE("deploy makes a new version only when the source changed", "[actors]") {
  engine_fixture fx;
  auto v1 = fx.deploy(defs::wait);
  CHECK(v1->version == 1);
  testing::answers<actors::deploy_answer> same;
  fx.engine().deploy(testing::definition_of(defs::wait), same.callback());
  fx.settle();
  CHECK_FALSE(same.get().created);
  CHECK(same.get().definition->version == 1);
  auto v2 = fx.deploy(R"({"name": "Wait", "steps": [{"id": "ask", "kind": "external"}]})");
  CHECK(v2->version == 2);
  auto a = fx.start("Wait");
  CHECK(fx.load(a.process_id).version == 2);
  fx.restart();
  auto v3 = fx.deploy(R"({"name": "Wait", "steps": [{"id": "asked", "kind": "external"}]})");
  CHECK(v3->version == 3);
  CHECK(fx.engine().definitions().find("Wait", 1));
}

TEST_CASE("the engine shuts down under the test coordinator with actors alive", "[actors]") {
  engine_fixture fx;
  fx.deploy(defs::wait);
  fx.deploy(defs::nap);
  fx.start("Wait", "s");
  fx.start("Wait", "s");
  fx.start("Nap");
  REQUIRE(fx.context().live.load() == 3);
  // Before engine_impl::shutdown ran the test coordinator, this waited forever in
  // ~actor_system for exit messages that nobody processed.
  fx.shutdown();
  CHECK_FALSE(fx.engine().ready());
  CHECK(fx.context().live.load() == 0);
}

TEST_CASE("a cancelled process ignores its pending retry and late answers", "[actors]") {
  engine_fixture fx;
  fx.deploy(defs::flaky);
  auto& calls = fx.delegates();

  SECTION("cancelled during the backoff") {
    auto a = fx.start("Flaky");
    calls.answer(0, 503);
    fx.settle();
    CHECK(fx.cancel(a.process_id).status == process_status::cancelled);
    fx.advance(10s);
    CHECK(calls.count() == 1);
    auto p = fx.load(a.process_id);
    CHECK(p.status == process_status::cancelled);
    CHECK(p.steps[0].status == model::step_status::skipped);
  }

  SECTION("cancelled while the call is out") {
    auto a = fx.start("Flaky");
    CHECK(fx.cancel(a.process_id).code == engine_errc::ok);
    calls.answer(0, 200, R"({"price": 1})");
    fx.settle();
    auto p = fx.load(a.process_id);
    CHECK(p.status == process_status::cancelled);
    CHECK(p.outputs.empty());
  }
}

TEST_CASE("an external step with a deadline fails when it passes", "[actors]") {
  engine_fixture fx;
  fx.deploy(R"({"name": "Deadline", "steps": [
      {"id": "ask", "kind": "external", "timeoutMs": 3000, "params": {"ok": "bool"}}]})");
  auto late = fx.start("Deadline");
  auto early = fx.start("Deadline");
  fx.advance(2999ms);
  CHECK(fx.complete(*early.next_step_id, {{"ok", value::of_bool(true)}}).status ==
        process_status::succeeded);
  CHECK(fx.status(late.process_id) == process_status::running);
  fx.advance(1ms);
  auto p = fx.load(late.process_id);
  CHECK(p.status == process_status::failed);
  CHECK(p.error == "ask: timed out after 3000 ms");
  CHECK(fx.status(early.process_id) == process_status::succeeded);
  CHECK(fx.complete(*late.next_step_id, {{"ok", value::of_bool(true)}}).code ==
        engine_errc::not_waiting);
}

TEST_CASE("execute runs a waiting timer or retry now", "[actors]") {
  engine_fixture fx;
  fx.deploy(defs::nap);
  fx.deploy(defs::flaky);
  auto nap = fx.start("Nap");
  testing::answers<actors::process_answer> executed;
  fx.engine().execute(nap.process_id, nap.process_id + "-1", executed.callback());
  fx.settle();
  CHECK(executed.get().status == process_status::succeeded);
  auto seq = fx.load(nap.process_id).history_seq;
  fx.advance(5s);  // the timer's own wake-up finds nothing to do
  CHECK(fx.load(nap.process_id).history_seq == seq);

  auto flaky = fx.start("Flaky");
  fx.delegates().answer(0, 503);
  fx.settle();
  testing::answers<actors::process_answer> retried;
  fx.engine().execute(flaky.process_id, flaky.process_id + "-1", retried.callback());
  fx.settle();
  CHECK(retried.get().code == engine_errc::ok);
  REQUIRE(fx.delegates().count() == 2);
  CHECK(fx.delegates().header(1, "Idempotency-Key") == flaky.process_id + "-1.2");
}

TEST_CASE("a stale retry wake-up does not cut a later backoff short", "[actors]") {
  // Attempt 1 fails at t=0 (retry due at 1 s); execute retries at once; attempt 2 fails at
  // t=100 ms, so attempt 3 is due at 2.1 s. The wake-up armed for attempt 1 still fires at
  // 1 s and must find nothing due.
  engine_fixture fx;
  fx.deploy(defs::flaky);
  auto& calls = fx.delegates();
  auto a = fx.start("Flaky");
  calls.answer(0, 503);
  fx.settle();
  testing::answers<actors::process_answer> retried;
  fx.engine().execute(a.process_id, a.process_id + "-1", retried.callback());
  fx.settle();
  fx.advance(100ms);
  REQUIRE(calls.count() == 2);
  calls.answer(1, 503);
  fx.settle();
  CHECK(fx.load(a.process_id).steps[0].due_ms == fx.now() + 2000);
  fx.advance(900ms);  // t = 1 s: the stale wake-up
  CHECK(calls.count() == 2);
  fx.advance(1100ms);  // t = 2.1 s
  CHECK(calls.count() == 3);
}
