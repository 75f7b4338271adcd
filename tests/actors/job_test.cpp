// The job board over the real engine on the test coordinator: long polls parked on the board,
// leases that run out on the virtual clock, failures retried after their backoff.

#include <caf/actor_registry.hpp>
#include <caf/atom.hpp>
#include <caf/exit_reason.hpp>
#include <caf/send.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "tests/actors/engine_fixture.hpp"

using namespace baton;
using namespace baton::testing;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view pricing = R"({
  "name": "Pricing",
  "outputs": ["price"],
  "steps": [{"id": "price", "kind": "job", "type": "pricing", "params": {"price": "double"},
             "retry": {"count": 1, "backoff": "fixed", "initialMs": 2000, "maxMs": 2000}}]})";

answers<actors::job_batch> activate_async(engine_fixture& fx, std::int64_t wait_ms,
                                          std::int64_t lease_ms = 1000, std::int32_t max = 10) {
  answers<actors::job_batch> done;
  actors::job_activation req;
  req.type = "pricing";
  req.worker = "w";
  req.max = max;
  req.lease_ms = lease_ms;
  req.wait_ms = wait_ms;
  fx.engine().activate_jobs(req, done.callback());
  return done;
}

actors::job_batch activate(engine_fixture& fx, std::int64_t lease_ms = 1000) {
  auto done = activate_async(fx, 0, lease_ms);
  fx.settle();
  return done.get();
}

std::vector<actors::job_info> list(engine_fixture& fx) {
  answers<std::vector<actors::job_info>> done;
  fx.engine().list_jobs({}, std::nullopt, done.callback());
  fx.settle();
  return done.get();
}

/// The /metrics gauges of type "pricing": (waiting, leased).
std::pair<std::int64_t, std::int64_t> gauges(engine_fixture& fx) {
  auto& c = *fx.context().jobs_counted;
  std::lock_guard lock(c.mutex);
  auto it = c.by_type.find("pricing");
  return it == c.by_type.end() ? std::pair<std::int64_t, std::int64_t>{0, 0} : it->second;
}

/// The server's default hold of a woken long poll (the fixture's unless a test sets one).
const std::chrono::milliseconds default_hold = config::engine_settings{}.job_activation_hold;

actors::process_answer fail(engine_fixture& fx, const actors::leased_job& job) {
  answers<actors::process_answer> done;
  fx.engine().fail_job(job.key, job.token, "no price", std::nullopt, done.callback());
  fx.settle();
  return done.get();
}

}  // namespace

TEST_CASE("a parked long poll wakes when a job appears", "[actors][jobs]") {
  engine_fixture fx;
  fx.deploy(pricing);
  auto poll = activate_async(fx, 60'000);
  fx.settle();
  CHECK(poll.count() == 0);  // parked: nothing to lease yet
  auto started = fx.start("Pricing");
  REQUIRE(started.code == actors::engine_errc::ok);
  CHECK(poll.count() == 0);  // woken, it holds for more jobs (it asked for up to 10)
  fx.advance(default_hold);
  REQUIRE(poll.count() == 1);
  auto batch = poll.get();
  REQUIRE(batch.jobs.size() == 1);
  CHECK(batch.jobs[0].key == started.process_id + "-1");
  CHECK(batch.jobs[0].expires_ms == fx.now() + 1000);
  // The lease is durable before the poll heard of it.
  auto stored = fx.load(started.process_id);
  CHECK(stored.lease.token == batch.jobs[0].token);

  answers<actors::process_answer> done;
  fx.engine().complete_job(batch.jobs[0].key, batch.jobs[0].token,
                           {{"price", model::value::of_number(4.5)}}, done.callback());
  fx.settle();
  REQUIRE(done.get().code == actors::engine_errc::ok);
  CHECK(fx.status(started.process_id) == model::process_status::succeeded);
  CHECK(list(fx).empty());
  // The lease's timer went with the lease: the finished process is not read again.
  auto rehydrated = fx.context().rehydrated.load();
  fx.advance(2000ms);
  CHECK(fx.context().rehydrated.load() == rehydrated);
}

TEST_CASE("a long poll with nothing to lease answers empty when its wait ends", "[actors][jobs]") {
  engine_fixture fx;
  fx.deploy(pricing);
  auto poll = activate_async(fx, 5000);
  fx.settle();
  fx.advance(4999ms);
  CHECK(poll.count() == 0);
  fx.advance(1ms);
  REQUIRE(poll.count() == 1);
  CHECK(poll.get().jobs.empty());
  // The board forgot it: a job arriving later stays waiting for the next poll.
  auto started = fx.start("Pricing");
  auto jobs = list(fx);
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0].status == model::job_status::waiting);
}

TEST_CASE("a lease runs out on the virtual clock and the job is offered again", "[actors][jobs]") {
  engine_fixture fx;
  fx.deploy(pricing);
  auto started = fx.start("Pricing");
  auto first = activate(fx, 1000);
  REQUIRE(first.jobs.size() == 1);
  CHECK(activate(fx).jobs.empty());  // one worker at a time
  CHECK(gauges(fx) == std::pair<std::int64_t, std::int64_t>{0, 1});
  fx.advance(999ms);
  auto jobs = list(fx);
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0].status == model::job_status::leased);
  fx.advance(1ms);
  jobs = list(fx);
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0].status == model::job_status::waiting);
  CHECK(jobs[0].attempt == 2);
  CHECK(fx.context().jobs_counted->lease_expiries == 1);
  CHECK(gauges(fx) == std::pair<std::int64_t, std::int64_t>{1, 0});
  CHECK_FALSE(fx.load(started.process_id).lease.held());

  auto second = activate(fx, 1000);
  REQUIRE(second.jobs.size() == 1);
  CHECK(second.jobs[0].attempt == 2);
  // The old worker's completion comes too late.
  answers<actors::process_answer> late;
  fx.engine().complete_job(first.jobs[0].key, first.jobs[0].token,
                           {{"price", model::value::of_number(1)}}, late.callback());
  fx.settle();
  CHECK(late.get().code == actors::engine_errc::conflict);
  // The second lease runs out too: the one retry is used up, the process fails.
  fx.advance(1000ms);
  CHECK(fx.status(started.process_id) == model::process_status::failed);
  CHECK(list(fx).empty());
  CHECK(gauges(fx) == std::pair<std::int64_t, std::int64_t>{0, 0});
}

TEST_CASE("a failed job waits its backoff, is offered again, then exhausts its retries",
          "[actors][jobs]") {
  engine_fixture fx;
  fx.deploy(pricing);
  auto started = fx.start("Pricing");
  auto first = activate(fx, 60'000);
  REQUIRE(first.jobs.size() == 1);
  REQUIRE(fail(fx, first.jobs[0]).code == actors::engine_errc::ok);
  CHECK(list(fx).empty());  // not offered during the backoff
  auto poll = activate_async(fx, 10'000, 60'000);
  fx.advance(1999ms);
  CHECK(poll.count() == 0);
  fx.advance(1ms);  // offered again, then held for more
  CHECK(poll.count() == 0);
  fx.advance(default_hold);
  REQUIRE(poll.count() == 1);
  auto second = poll.get();
  REQUIRE(second.jobs.size() == 1);
  CHECK(second.jobs[0].attempt == 2);
  REQUIRE(fail(fx, second.jobs[0]).code == actors::engine_errc::ok);
  auto p = fx.load(started.process_id);
  CHECK(p.status == model::process_status::failed);
  CHECK(p.steps.back().status == model::step_status::failed);
  CHECK(list(fx).empty());
}

TEST_CASE("after a restart a leased job stays leased until its lease ends", "[actors][jobs]") {
  engine_fixture fx;
  fx.deploy(pricing);
  auto started = fx.start("Pricing");
  auto waiting = fx.start("Pricing");
  auto first = activate_async(fx, 0, 5000, 1);
  fx.settle();
  REQUIRE(first.get().jobs.size() == 1);
  CHECK(first.get().jobs[0].process_id == started.process_id);  // oldest first
  fx.restart();
  auto jobs = list(fx);
  REQUIRE(jobs.size() == 2);
  CHECK(jobs[0].status == model::job_status::leased);
  CHECK(jobs[1].status == model::job_status::waiting);
  // The lease holds across the restart: the worker may still complete.
  fx.advance(5000ms);
  jobs = list(fx);
  REQUIRE(jobs.size() == 2);
  CHECK(jobs[0].status == model::job_status::waiting);
  CHECK(jobs[0].attempt == 2);
}

TEST_CASE("a failed job board is restarted and learns every job again",
          "[actors][jobs][supervision]") {
  engine_fixture fx;
  fx.deploy(pricing);
  auto leased = fx.start("Pricing");
  auto idle = fx.start("Pricing");
  fx.settle();
  auto first = activate_async(fx, 0, 120'000, 1);
  fx.settle();
  REQUIRE(first.get().jobs.size() == 1);
  REQUIRE(first.get().jobs[0].process_id == leased.process_id);
  fx.advance(31s);                   // both passivate: only their snapshots know their jobs
  auto fresh = fx.start("Pricing");  // and one in memory
  CHECK(fx.context().live.load() == 1);

  auto before = fx.engine().system().registry().get(caf::atom("jobs"));
  REQUIRE(before);
  caf::anon_send_exit(before, caf::exit_reason::unhandled_exception);
  fx.settle();
  auto after = fx.engine().system().registry().get(caf::atom("jobs"));
  REQUIRE(after);
  CHECK(after != before);

  auto jobs = list(fx);
  REQUIRE(jobs.size() == 3);
  CHECK(jobs[0].process_id == leased.process_id);
  CHECK(jobs[0].status == model::job_status::leased);  // the lease holds
  CHECK(jobs[1].process_id == idle.process_id);
  CHECK(jobs[1].status == model::job_status::waiting);
  CHECK(jobs[2].process_id == fresh.process_id);
  CHECK(jobs[2].status == model::job_status::waiting);
  auto next = activate(fx, 60'000);
  REQUIRE(next.jobs.size() == 2);
  CHECK(next.jobs[0].process_id == idle.process_id);
  CHECK(gauges(fx) == std::pair<std::int64_t, std::int64_t>{0, 3});
}

TEST_CASE("a woken long poll holds for more jobs and answers with the batch", "[actors][jobs]") {
  engine_options options;
  options.job_activation_hold = 5ms;
  engine_fixture fx(options);
  fx.deploy(pricing);
  auto poll = activate_async(fx, 60'000);
  fx.settle();
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    ids.push_back(fx.start("Pricing").process_id);
    fx.advance(1ms);  // jobs arriving during the hold, which started with the first
  }
  CHECK(poll.count() == 0);
  fx.advance(1ms);
  CHECK(poll.count() == 0);
  fx.advance(1ms);  // 5 ms after the first job
  REQUIRE(poll.count() == 1);
  auto batch = poll.get();
  REQUIRE(batch.jobs.size() == 3);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    CHECK(batch.jobs[i].process_id == ids[i]);                  // oldest first
    CHECK(fx.load(ids[i]).lease.token == batch.jobs[i].token);  // durable before answered
  }
  CHECK(fx.context().jobs_counted->polls_parked == 0);
}

TEST_CASE("a woken long poll answers at once when its max is waiting", "[actors][jobs]") {
  engine_options options;
  options.job_activation_hold = 1000ms;
  engine_fixture fx(options);
  fx.deploy(pricing);
  SECTION("a worker that asked for one job gets it without a hold") {
    auto poll = activate_async(fx, 60'000, 1000, 1);
    fx.settle();
    auto started = fx.start("Pricing");
    REQUIRE(poll.count() == 1);
    REQUIRE(poll.get().jobs.size() == 1);
    CHECK(poll.get().jobs[0].process_id == started.process_id);
  }
  SECTION("a worker that asked for two gets both as soon as the second comes") {
    auto poll = activate_async(fx, 60'000, 1000, 2);
    fx.settle();
    fx.start("Pricing");
    CHECK(poll.count() == 0);
    fx.start("Pricing");
    REQUIRE(poll.count() == 1);
    CHECK(poll.get().jobs.size() == 2);
  }
}

TEST_CASE("a hold never keeps a poll past its wait", "[actors][jobs]") {
  engine_options options;
  options.job_activation_hold = 1000ms;
  engine_fixture fx(options);
  fx.deploy(pricing);
  auto poll = activate_async(fx, 50, 60'000);
  fx.settle();
  fx.advance(40ms);
  auto started = fx.start("Pricing");
  fx.advance(9ms);
  CHECK(poll.count() == 0);
  fx.advance(1ms);  // the poll's wait ends long before the hold would
  REQUIRE(poll.count() == 1);
  REQUIRE(poll.get().jobs.size() == 1);
  CHECK(poll.get().jobs[0].process_id == started.process_id);
  CHECK(fx.load(started.process_id).lease.token == poll.get().jobs[0].token);
  // The hold's end later finds nobody to serve and changes nothing.
  fx.advance(1000ms);
  auto jobs = list(fx);
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0].status == model::job_status::leased);
}

TEST_CASE("without a hold a woken long poll answers with the first job", "[actors][jobs]") {
  engine_options options;
  options.job_activation_hold = 0ms;
  engine_fixture fx(options);
  fx.deploy(pricing);
  auto poll = activate_async(fx, 60'000);
  fx.settle();
  fx.start("Pricing");
  REQUIRE(poll.count() == 1);
  CHECK(poll.get().jobs.size() == 1);
}
