// Message steps: a step waits for a named message whose correlation it renders when it starts;
// a message with that name completes it with its values as typed params, or its deadline
// fails it. All of it is the pure state machine (the correlation index and buffered messages
// are storage's and the engine's: tests/storage/message_store_test.cpp, tests/e2e).

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "model/process.hpp"
#include "tests/model/process_harness.hpp"

using namespace baton::model;
using namespace baton::model::testing;

namespace {

step message_step(std::vector<param_decl> params = {}, std::int64_t timeout_ms = 0) {
  step s;
  s.id = "wait";
  s.name = "document-arrived";
  s.kind = step_kind::message;
  s.correlation = "loan-${loanId}";
  s.params = std::move(params);
  s.timeout_ms = timeout_ms;
  return s;
}

definition make(std::vector<step> steps) {
  return make_definition("DocumentWait", std::move(steps));
}

/// A process of `d` whose loan is L-7.
struct loan : harness {
  explicit loan(definition d) : harness(std::move(d)) {
    state.vals["loanId"] = value::of_string("L-7");
  }
  const step_execution& exec() const { return state.steps.at(0); }
};

ev_completed by_message(std::string name, values params = {}) {
  ev_completed e;
  e.step_id = "p1-1";
  e.params = std::move(params);
  e.message = std::move(name);
  return e;
}

}  // namespace

TEST_CASE("a message step waits for its message, correlated when it starts", "[message]") {
  loan h(make({message_step(), script_step("after", "done", "yes")}));
  h.send(ev_admitted{});
  REQUIRE(h.last.rejected.empty());
  CHECK(h.state.status == process_status::running);
  CHECK(h.exec().kind == step_kind::message);
  CHECK(h.exec().status == step_status::started);
  CHECK(h.state.awaited == message_wait{"p1-1", "document-arrived", "loan-L-7"});
  auto awaits = h.effects<fx_await_message>();
  REQUIRE(awaits.size() == 1);
  CHECK(awaits[0] == fx_await_message{"p1-1", "document-arrived", "loan-L-7"});
  CHECK(h.effects<fx_arm_timer>().empty());
  CHECK(recovery_need_of(h.state).kind == recovery_kind::none);
  CHECK(worth_a_callback(process_state{}, h.state));

  SECTION("its message completes it with the values as params, and the process goes on") {
    h.send(by_message("document-arrived", {{"pages", value::of_integer(3)}}));
    REQUIRE(h.last.rejected.empty());
    CHECK(h.exec().status == step_status::completed);
    CHECK(h.exec().params.at("pages") == value::of_integer(3));
    CHECK(h.state.vals.at("pages") == value::of_integer(3));
    CHECK(h.state.status == process_status::succeeded);
    CHECK_FALSE(h.state.awaited.waiting());
    CHECK(h.last.history.at(0).detail.find("message document-arrived") == 0);
  }
  SECTION("complete-step does not complete it, nor does another message") {
    ev_completed plain;
    plain.step_id = "p1-1";
    CHECK(h.send(plain).rejected == "step is not waiting for completion");
    CHECK(h.send(by_message("other")).rejected == "step is not waiting for completion");
    CHECK(h.state.awaited.waiting());
    auto check = check_completion(h.state, h.def, "p1-1", {});
    CHECK(check.step_not_waiting);
    CHECK(check.reason.find("POST /api/v1/messages") != std::string::npos);
    CHECK(check_message_delivery(h.state, h.def, "p1-1", "other", {}).step_not_waiting);
  }
  SECTION("a message does not complete an external step") {
    auto ext = make({[] {
      step s;
      s.id = "approve";
      s.name = s.id;
      s.kind = step_kind::external;
      return s;
    }()});
    harness e(ext);
    e.send(ev_admitted{});
    CHECK(e.send(by_message("document-arrived")).rejected == "step is not waiting for completion");
  }
  SECTION("cancel ends the wait") {
    h.send(ev_cancel{"no longer needed"});
    CHECK(h.state.status == process_status::cancelled);
    CHECK_FALSE(h.state.awaited.waiting());
  }
}

TEST_CASE("a message's values are checked against the step's typed params", "[message]") {
  loan h(make(
      {message_step({{"pages", value_type::long_, true}, {"ratio", value_type::double_, false}})}));
  h.send(ev_admitted{});
  auto missing = check_message_delivery(h.state, h.def, "p1-1", "document-arrived", {});
  REQUIRE(missing.param_errors.size() == 1);
  CHECK(missing.param_errors[0] == std::pair<std::string, std::string>("pages", "missing"));
  auto wrong = check_message_delivery(h.state, h.def, "p1-1", "document-arrived",
                                      {{"pages", value::of_string("3")}});
  REQUIRE(wrong.param_errors.size() == 1);
  CHECK(wrong.param_errors[0].first == "pages");
  auto fine =
      check_message_delivery(h.state, h.def, "p1-1", "document-arrived",
                             {{"pages", value::of_integer(3)}, {"ratio", value::of_integer(1)}});
  CHECK(fine.ok());
  CHECK(fine.accepted.at("ratio") == value::of_number(1.0));
}

TEST_CASE("a message step's deadline fails it when no message came", "[message]") {
  loan h(make({message_step({}, 5000)}));
  h.send(ev_admitted{});
  auto timers = h.effects<fx_arm_timer>();
  REQUIRE(timers.size() == 1);
  CHECK(timers[0].due_ms == 6000);
  CHECK(h.exec().due_ms == 6000);
  auto need = recovery_need_of(h.state);
  CHECK(need.kind == recovery_kind::timer);
  CHECK(need.due_ms == 6000);
  auto resumed = resume_effects(h.state, h.def);
  CHECK(std::ranges::count_if(resumed, [](const effect& fx) {
          return std::holds_alternative<fx_arm_timer>(fx);
        }) == 1);

  SECTION("not before its time") {
    h.now = 5999;
    CHECK(h.send(ev_due{"p1-1"}).rejected == "not due yet");
  }
  SECTION("at its time the step and the process fail, and the wait ends") {
    h.now = 6000;
    h.send(ev_due{"p1-1"});
    REQUIRE(h.last.rejected.empty());
    CHECK(h.exec().status == step_status::failed);
    CHECK(h.state.status == process_status::failed);
    CHECK(h.state.error == "wait: timed out after 5000 ms");
    CHECK_FALSE(h.state.awaited.waiting());
    CHECK(h.send(by_message("document-arrived")).rejected == "step is not waiting for completion");
  }
  SECTION("a message in time wins") {
    h.now = 5999;
    h.send(by_message("document-arrived"));
    CHECK(h.state.status == process_status::succeeded);
    h.now = 6000;
    CHECK_FALSE(h.send(ev_due{"p1-1"}).rejected.empty());
  }
}

TEST_CASE("a sandbox scenario scripts a message step", "[message]") {
  auto def = make({message_step()});
  scenario sc;
  sc.id = "arrives";
  sc.steps["wait"].complete = values{{"pages", value::of_integer(2)}};
  def.scenarios.push_back(sc);
  REQUIRE(validate(def).empty());
  process_state state;
  state.id = "p1";
  state.vals["loanId"] = value::of_string("L-7");
  auto t = apply(state, def, ev_admitted{}, apply_context{1000, 0.5, &def.scenarios[0]});
  CHECK(t.state.status == process_status::succeeded);
  CHECK(t.state.vals.at("pages") == value::of_integer(2));
  CHECK_FALSE(t.state.awaited.waiting());
}

TEST_CASE("a message step needs a name and a correlation that parses", "[message]") {
  definition d;
  d.name = "Bad";
  step s;
  s.id = "wait";
  s.kind = step_kind::message;
  s.correlation = "${unclosed";
  d.steps.push_back(s);
  auto problems = validate(d);
  auto has = [&](std::string pointer) {
    return std::ranges::any_of(problems, [&](const auto& p) { return p.pointer == pointer; });
  };
  CHECK(has("/steps/0/name"));
  CHECK(has("/steps/0/correlation"));
  d.steps[0].name = "document-arrived";
  d.steps[0].correlation = "";
  problems = validate(d);
  CHECK_FALSE(has("/steps/0/name"));
  CHECK(has("/steps/0/correlation"));
}
