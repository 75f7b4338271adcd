// Job steps: a worker leases the step, then completes or fails it; a lease that runs out
// makes the job available again. All of it is the pure state machine.

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "model/process.hpp"
#include "tests/model/process_harness.hpp"

using namespace baton::model;
using namespace baton::model::testing;

namespace {

step job(std::string id, std::string type, std::vector<param_decl> params = {},
         std::int64_t timeout_ms = 0, std::optional<retry_policy> retry = std::nullopt) {
  step s;
  s.id = std::move(id);
  s.kind = step_kind::job;
  s.job_type = std::move(type);
  s.params = std::move(params);
  s.timeout_ms = timeout_ms;
  s.retry = retry;
  return s;
}

definition make(std::vector<step> steps) { return make_definition("Pricing", std::move(steps)); }

}  // namespace

TEST_CASE("a job step waits for a worker of its type", "[model][job]") {
  harness h(make({job("price", "pricing", {param("price", value_type::double_)})}));
  h.send(ev_admitted{});
  REQUIRE(h.state.status == process_status::running);
  CHECK(h.exec().kind == step_kind::job);
  CHECK(h.exec().status == step_status::started);
  CHECK_FALSE(h.state.lease.held());
  auto jobs = h.jobs();
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0].step_id == "p1-1");
  CHECK(jobs[0].type == "pricing");
  CHECK(jobs[0].status == job_status::waiting);
  CHECK(jobs[0].attempt == 1);
  CHECK(jobs[0].created_ms == 1000);
  CHECK(recovery_need_of(h.state).kind == recovery_kind::job);
}

TEST_CASE("the connector's worker field sets the job type", "[model][job]") {
  harness h(make({job("price", "pricing")}));
  h.state.worker = "robot-7";
  h.send(ev_admitted{});
  REQUIRE(h.jobs().size() == 1);
  CHECK(h.jobs()[0].type == "robot-7");
}

TEST_CASE("a lease is held by one worker until completion", "[model][job]") {
  harness h(make({job("price", "pricing", {param("price", value_type::double_)})}));
  h.send(ev_admitted{});
  auto& t = h.send(ev_job_leased{"p1-1", "tok", "w1", 30'000});
  REQUIRE(t.rejected.empty());
  CHECK(h.state.lease == job_lease{"p1-1", "tok", "w1", 31'000});
  REQUIRE(h.jobs().size() == 1);
  CHECK(h.jobs()[0].status == job_status::leased);
  CHECK(h.jobs()[0].worker == "w1");
  REQUIRE(h.timers().size() == 1);
  CHECK(h.timers()[0].due_ms == 31'000);
  CHECK(t.history.back().type == "job_leased");

  CHECK(h.reject(ev_job_leased{"p1-1", "tok2", "w2", 30'000}) == "job is leased");
  CHECK(h.reject(ev_completed{"p1-1", {{"price", value::of_number(2)}}, "wrong"}) ==
        "leaseToken is not the job's lease");

  auto check = check_job_completion(h.state, h.def, "p1-1", "tok", h.now, {});
  CHECK_FALSE(check.lease_conflict);
  REQUIRE(check.param_errors.size() == 1);
  CHECK(check.param_errors[0] == std::pair<std::string, std::string>{"price", "missing"});
  check = check_job_completion(h.state, h.def, "p1-1", "tok", h.now,
                               {{"price", value::of_string("cheap")}});
  REQUIRE(check.param_errors.size() == 1);
  CHECK(check.param_errors[0].first == "price");
  check = check_job_completion(h.state, h.def, "p1-1", "nope", h.now,
                               {{"price", value::of_integer(3)}});
  CHECK(check.lease_conflict);
  check =
      check_job_completion(h.state, h.def, "p1-1", "tok", h.now, {{"price", value::of_integer(3)}});
  REQUIRE(check.ok());
  CHECK(check.accepted.at("price") == value::of_number(3.0));

  auto& done = h.send(ev_completed{"p1-1", check.accepted, "tok"});
  REQUIRE(done.rejected.empty());
  CHECK(h.exec().status == step_status::completed);
  CHECK(h.state.status == process_status::succeeded);
  CHECK(h.state.vals.at("price") == value::of_number(3.0));
  CHECK_FALSE(h.state.lease.held());
  REQUIRE(h.jobs().size() == 1);
  CHECK(h.jobs()[0].status == job_status::gone);
  // A completion that comes again finds the job done.
  CHECK(lease_problem(h.state, "p1-1", "tok", h.now) == "job is COMPLETED");
  CHECK(check_job_completion(h.state, h.def, "p1-1", "tok", h.now, check.accepted).lease_conflict);
  CHECK_FALSE(h.reject(ev_completed{"p1-1", check.accepted, "tok"}).empty());
}

TEST_CASE("complete-step does not complete a job step", "[model][job]") {
  harness h(make({job("price", "pricing")}));
  h.send(ev_admitted{});
  auto check = check_completion(h.state, h.def, "p1-1", {});
  CHECK(check.step_not_waiting);
  CHECK(h.reject(ev_completed{"p1-1", {}, {}}) == "job is not leased");
}

TEST_CASE("an expired lease offers the job again and counts as an attempt", "[model][job]") {
  harness h(make({job("price", "pricing", {}, 0, retries(1))}));
  h.send(ev_admitted{});
  h.send(ev_job_leased{"p1-1", "tok", "w1", 5000});
  h.now = 5999;
  CHECK(h.reject(ev_due{"p1-1"}) == "not due yet");
  CHECK(lease_problem(h.state, "p1-1", "tok", h.now).empty());
  h.now = 6000;
  CHECK(lease_problem(h.state, "p1-1", "tok", h.now) == "lease expired");
  auto& t = h.send(ev_due{"p1-1"});
  REQUIRE(t.rejected.empty());
  CHECK_FALSE(h.state.lease.held());
  CHECK(h.exec().attempt == 2);
  CHECK(h.exec().status == step_status::started);
  REQUIRE(h.jobs().size() == 1);
  CHECK(h.jobs()[0].status == job_status::waiting);
  CHECK(h.jobs()[0].attempt == 2);
  CHECK(h.jobs()[0].lease_expired);
  // The old worker's token no longer holds anything.
  CHECK(h.reject(ev_completed{"p1-1", {}, "tok"}) == "job is not leased");

  // The second lease runs out too: the policy allows one retry, so the step fails.
  h.send(ev_job_leased{"p1-1", "tok2", "w2", 1000});
  h.now += 1000;
  h.send(ev_due{"p1-1"});
  CHECK(h.exec().status == step_status::failed);
  CHECK(h.state.status == process_status::failed);
  CHECK(h.jobs()[0].status == job_status::gone);
}

TEST_CASE("a failed job is retried after the backoff, then fails when exhausted", "[model][job]") {
  harness h(make({job("price", "pricing", {}, 0, retries(2, 1000))}));
  h.send(ev_admitted{});
  h.send(ev_job_leased{"p1-1", "t1", "w1", 60'000});
  CHECK(h.reject(ev_job_failed{"p1-1", "other", "boom", std::nullopt}) ==
        "leaseToken is not the job's lease");

  auto& t = h.send(ev_job_failed{"p1-1", "t1", "boom", std::nullopt});
  REQUIRE(t.rejected.empty());
  CHECK(h.exec().retry_pending);
  CHECK(h.exec().due_ms == 2000);
  CHECK(h.exec().error.find("boom") != std::string::npos);
  CHECK_FALSE(h.state.lease.held());
  REQUIRE(h.timers().size() == 1);
  CHECK(h.timers()[0].retry);
  REQUIRE(h.jobs().size() == 1);
  CHECK(h.jobs()[0].status == job_status::gone);  // not offered during the backoff
  CHECK(h.reject(ev_job_leased{"p1-1", "t2", "w2", 1000}) == "job is not waiting");

  h.now = 2000;
  h.send(ev_due{"p1-1"});
  CHECK(h.exec().attempt == 2);
  REQUIRE(h.jobs().size() == 1);
  CHECK(h.jobs()[0].status == job_status::waiting);
  CHECK(h.jobs()[0].attempt == 2);

  // retryInMs 0: offered again at once.
  h.send(ev_job_leased{"p1-1", "t2", "w2", 60'000});
  h.send(ev_job_failed{"p1-1", "t2", "again", 0});
  CHECK(h.exec().attempt == 3);
  CHECK_FALSE(h.exec().retry_pending);
  CHECK(h.jobs()[0].status == job_status::waiting);

  h.send(ev_job_leased{"p1-1", "t3", "w3", 60'000});
  h.send(ev_job_failed{"p1-1", "t3", "last", std::nullopt});
  CHECK(h.exec().status == step_status::failed);
  CHECK(h.state.status == process_status::failed);
  CHECK(h.state.error.find("last") != std::string::npos);
}

TEST_CASE("a released lease makes the job wait again without using up an attempt", "[model][job]") {
  harness h(make({job("price", "pricing", {}, 0, retries(0, 1000))}));
  h.send(ev_admitted{});
  h.send(ev_job_leased{"p1-1", "t1", "ghost", 60'000});
  CHECK(h.reject(ev_job_failed{"p1-1", "other", "gone", std::nullopt, true}) ==
        "leaseToken is not the job's lease");
  auto& t = h.send(ev_job_failed{"p1-1", "t1", "gone", std::nullopt, true});
  REQUIRE(t.rejected.empty());
  CHECK_FALSE(h.state.lease.held());
  CHECK(h.exec().attempt == 1);  // no retries allowed, and yet the step goes on
  CHECK(h.exec().status == step_status::started);
  CHECK_FALSE(h.exec().retry_pending);
  REQUIRE(h.jobs().size() == 1);
  CHECK(h.jobs()[0].status == job_status::waiting);
  REQUIRE_FALSE(t.history.empty());
  CHECK(t.history.back().type == "job_released");
  // The lease's timer, still armed, finds nothing to end.
  h.now = 60'000;
  CHECK(h.reject(ev_due{"p1-1"}) == "not due yet");
  h.send(ev_job_leased{"p1-1", "t2", "w2", 60'000});
  CHECK(h.state.lease.worker == "w2");
}

TEST_CASE("a job's timeout bounds the whole wait", "[model][job]") {
  harness h(make({job("price", "pricing", {}, 10'000, retries(5))}));
  h.send(ev_admitted{});
  REQUIRE(h.timers().size() == 1);
  CHECK(h.timers()[0].due_ms == 11'000);
  h.send(ev_job_leased{"p1-1", "t1", "w1", 60'000});
  h.now = 11'000;
  h.send(ev_due{"p1-1"});
  CHECK(h.exec().status == step_status::failed);
  CHECK(h.exec().error == "timed out after 10000 ms");
  CHECK(h.state.status == process_status::failed);
  CHECK_FALSE(h.state.lease.held());
}

TEST_CASE("extending a lease moves its end", "[model][job]") {
  harness h(make({job("price", "pricing")}));
  h.send(ev_admitted{});
  h.send(ev_job_leased{"p1-1", "t1", "w1", 5000});
  h.now = 4000;
  auto& t = h.send(ev_lease_extended{"p1-1", "t1", 5000});
  REQUIRE(t.rejected.empty());
  CHECK(h.state.lease.expires_ms == 9000);
  REQUIRE(h.timers().size() == 1);
  CHECK(h.timers()[0].due_ms == 9000);
  CHECK(h.reject(ev_lease_extended{"p1-1", "bad", 5000}) == "leaseToken is not the job's lease");
  h.now = 6000;  // the first lease's timer: nothing due any more
  CHECK(h.reject(ev_due{"p1-1"}) == "not due yet");
  CHECK(h.state.lease.held());
}

TEST_CASE("cancelling a process at a job step withdraws it", "[model][job]") {
  harness h(make({job("price", "pricing")}));
  h.send(ev_admitted{});
  h.send(ev_job_leased{"p1-1", "t1", "w1", 5000});
  h.send(ev_cancel{"stop"});
  CHECK_FALSE(h.state.lease.held());
  REQUIRE(h.jobs().size() == 1);
  CHECK(h.jobs()[0].status == job_status::gone);
  CHECK(h.jobs()[0].step_id == "p1-1");
}

TEST_CASE("a restarted job is offered again and keeps its lease", "[model][job]") {
  harness h(make({job("price", "pricing", {}, 60'000)}));
  h.send(ev_admitted{});
  auto fx = resume_effects(h.state, h.def);
  REQUIRE(fx.size() == 2);
  CHECK(std::get<fx_arm_timer>(fx[0]).due_ms == 61'000);
  CHECK(std::get<fx_job>(fx[1]).status == job_status::waiting);

  h.send(ev_job_leased{"p1-1", "t1", "w1", 5000});
  fx = resume_effects(h.state, h.def);
  REQUIRE(fx.size() == 3);
  CHECK(std::get<fx_arm_timer>(fx[1]).due_ms == 6000);
  CHECK(std::get<fx_job>(fx[2]).status == job_status::leased);
  CHECK(std::get<fx_job>(fx[2]).expires_ms == 6000);
}

TEST_CASE("a job step needs a type", "[model][job][validate]") {
  definition d;
  d.name = "x";
  d.steps = {job("price", "")};
  auto problems = validate(d);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].pointer == "/steps/0/type");
}
