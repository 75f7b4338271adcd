#include "model/process.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <vector>

#include "model/ids.hpp"

using namespace baton::model;

namespace {

// ---- definitions, built as structs --------------------------------------------------------

step script(std::string id, std::vector<std::pair<std::string, std::string>> set = {}) {
  step s;
  s.id = std::move(id);
  s.kind = step_kind::script;
  s.set = std::move(set);
  return s;
}

step http(std::string id, std::string url) {
  step s;
  s.id = std::move(id);
  s.kind = step_kind::http;
  s.http.url = std::move(url);
  return s;
}

step external(std::string id, std::vector<param_decl> params = {}, std::int64_t timeout_ms = 0) {
  step s;
  s.id = std::move(id);
  s.kind = step_kind::external;
  s.params = std::move(params);
  s.timeout_ms = timeout_ms;
  return s;
}

step timer(std::string id, std::string duration, std::string until = {}) {
  step s;
  s.id = std::move(id);
  s.kind = step_kind::timer;
  s.duration = std::move(duration);
  s.until = std::move(until);
  return s;
}

step fail_step(std::string id, std::string message) {
  step s;
  s.id = std::move(id);
  s.kind = step_kind::fail;
  s.message = std::move(message);
  return s;
}

step switch_step(std::string id, std::vector<switch_case> cases,
                 std::optional<std::string> default_next = std::nullopt) {
  step s;
  s.id = std::move(id);
  s.kind = step_kind::switch_;
  s.cases = std::move(cases);
  s.default_next = std::move(default_next);
  return s;
}

step ending(step s) {
  s.next = "";
  return s;
}

definition make(std::vector<step> steps, std::vector<std::string> outputs = {}) {
  definition d;
  d.name = "Test";
  d.steps = std::move(steps);
  d.outputs = std::move(outputs);
  REQUIRE(validate(d).empty());
  return d;
}

/// A definition with steps nothing reaches, which deploy refuses: the state machine must
/// still pass them by (a stored definition from before that check may have them).
definition make_with_unreached(std::vector<step> steps) {
  definition d;
  d.name = "Test";
  d.steps = std::move(steps);
  for (const auto& p : validate(d))
    REQUIRE(p.message.find("is never reached") != std::string::npos);
  return d;
}

// ---- running events -----------------------------------------------------------------------

/// Holds a process and its definition; `send` applies an event and keeps the new state
/// unless the event was rejected.
struct harness {
  definition def;
  process_state state;
  std::int64_t now = 1000;
  double random = 0.5;
  const scenario* sandbox = nullptr;
  transition last;

  explicit harness(definition d, values vals = {}) : def(std::move(d)) {
    state.id = "p1";
    state.definition = def.name;
    state.vals = std::move(vals);
    state.created_ms = now;
  }

  transition& send(const event& ev) {
    last = apply(state, def, ev, apply_context{now, random, sandbox});
    if (last.rejected.empty()) state = last.state;
    return last;
  }

  /// Applies an event that must be rejected, and checks that nothing changed.
  std::string reject(const event& ev) {
    auto before = state;
    auto& t = send(ev);
    CHECK_FALSE(t.rejected.empty());
    CHECK(t.effects.empty());
    CHECK(t.history.empty());
    CHECK(t.state.status == before.status);
    CHECK(t.state.steps.size() == before.steps.size());
    CHECK(t.state.history_seq == before.history_seq);
    CHECK(t.state.updated_ms == before.updated_ms);
    CHECK(t.state.vals == before.vals);
    return t.rejected;
  }

  /// The due time of the active step has come: moves the clock there, then sends ev_due.
  transition& fire_due(const std::string& step_id) {
    if (const auto* active = state.active(); active && active->due_ms > now) now = active->due_ms;
    return send(ev_due{step_id});
  }

  const step_execution& exec(std::size_t n) {
    REQUIRE(state.steps.size() >= n);
    return state.steps[n - 1];
  }
};

template <class T>
std::vector<T> effects_of(const transition& t) {
  std::vector<T> out;
  for (const auto& fx : t.effects) {
    if (const auto* x = std::get_if<T>(&fx)) out.push_back(*x);
  }
  return out;
}

/// The transition's one and only effect, which must be a T.
template <class T>
T only(const transition& t) {
  REQUIRE(t.effects.size() == 1);
  REQUIRE(std::holds_alternative<T>(t.effects[0]));
  return std::get<T>(t.effects[0]);
}

std::vector<std::string> history_types(const transition& t) {
  std::vector<std::string> out;
  for (const auto& h : t.history) out.push_back(h.type);
  return out;
}

const history_entry* find_history(const transition& t, std::string_view type) {
  for (const auto& h : t.history) {
    if (h.type == type) return &h;
  }
  return nullptr;
}

std::string header(const fx_call_http& call, std::string_view name) {
  for (const auto& [k, v] : call.headers) {
    if (k == name) return v;
  }
  return "<absent>";
}

value S(std::string s) { return value::of_string(std::move(s)); }
value I(std::int64_t i) { return value::of_integer(i); }
value B(bool b) { return value::of_bool(b); }

}  // namespace

// ---- script steps -------------------------------------------------------------------------

TEST_CASE("a script-only definition succeeds in one ev_admitted", "[model][process][script]") {
  harness h(make({script("compose", {{"x", "${username} ${surname}"}, {"n", "${count}"}}),
                  script("more", {{"y", "${x}!"}})},
                 {"x", "n", "never_set"}),
            {{"username", S("Ann")}, {"surname", S("Lee")}, {"count", I(3)}});
  h.now = 5000;
  auto& t = h.send(ev_admitted{});
  REQUIRE(t.rejected.empty());
  CHECK(t.state.status == process_status::succeeded);
  CHECK(t.state.outputs == values{{"x", S("Ann Lee")}, {"n", I(3)}});
  CHECK(t.state.vals.at("y") == S("Ann Lee!"));  // later steps see earlier values
  CHECK(t.state.updated_ms == 5000);
  CHECK(only<fx_finished>(t).status == process_status::succeeded);
  REQUIRE(t.state.steps.size() == 2);
  CHECK(t.state.steps[0].id == "p1-1");
  CHECK(t.state.steps[0].step == "compose");
  CHECK(t.state.steps[0].status == step_status::completed);
  CHECK(t.state.steps[1].id == "p1-2");
  CHECK(t.state.steps[1].status == step_status::completed);
  CHECK(t.state.steps[1].created_ms == 5000);
  CHECK(history_types(t) == std::vector<std::string>{"process_started", "step_started",
                                                     "step_completed", "step_started",
                                                     "step_completed", "process_succeeded"});
  CHECK(t.state.active() == nullptr);
}

TEST_CASE("history seq increments across transitions", "[model][process][history]") {
  harness h(make({external("wait"), script("after")}));
  h.now = 10;
  auto& t1 = h.send(ev_admitted{});
  REQUIRE(t1.history.size() == 2);
  CHECK(t1.history[0].seq == 1);
  CHECK(t1.history[1].seq == 2);
  CHECK(t1.history[1].type == "step_started");
  CHECK(t1.history[1].step_id == "p1-1");
  CHECK(t1.history[1].detail == "wait");
  CHECK(t1.history[1].at_ms == 10);
  CHECK(h.state.history_seq == 2);
  h.now = 20;
  auto& t2 = h.send(ev_completed{"p1-1", {}, {}, {}});
  REQUIRE(t2.history.size() == 4);
  for (std::size_t i = 0; i < t2.history.size(); ++i) {
    CHECK(t2.history[i].seq == 3 + i);
    CHECK(t2.history[i].at_ms == 20);
  }
  CHECK(h.state.history_seq == 6);
}

TEST_CASE("admitting a process that is not waiting is rejected", "[model][process]") {
  harness h(make({external("wait")}));
  h.send(ev_admitted{});
  CHECK(h.reject(ev_admitted{}) == "process is not waiting");
}

TEST_CASE("a definition with no steps succeeds at once", "[model][process]") {
  definition d;
  d.name = "Empty";
  harness h(d);
  CHECK(only<fx_finished>(h.send(ev_admitted{})).status == process_status::succeeded);
}

TEST_CASE("next jumps and \"\" ends the process", "[model][process][script]") {
  auto first = script("first", {{"a", "1"}});
  first.next = "third";
  harness h(
      make_with_unreached({first, script("second", {{"b", "2"}}),
                           ending(script("third", {{"c", "3"}})), script("fourth", {{"d", "4"}})}));
  auto& t = h.send(ev_admitted{});
  CHECK(t.state.status == process_status::succeeded);
  CHECK(t.state.vals.count("a") == 1);
  CHECK(t.state.vals.count("b") == 0);
  CHECK(t.state.vals.count("c") == 1);
  CHECK(t.state.vals.count("d") == 0);
  REQUIRE(t.state.steps.size() == 2);
  CHECK(t.state.steps[1].step == "third");
}

TEST_CASE("a loop without a waiting step fails instead of spinning", "[model][process][script]") {
  auto loop = script("loop", {{"x", "again"}});
  loop.next = "loop";
  harness h(make({loop}));
  auto& t = h.send(ev_admitted{});
  CHECK(t.state.status == process_status::failed);
  CHECK(t.state.error == "too many steps in one transition (a loop without a waiting step?)");
  CHECK(only<fx_finished>(t).status == process_status::failed);
}

// ---- external steps -----------------------------------------------------------------------

TEST_CASE("an external step waits, and completion continues the process",
          "[model][process][external]") {
  harness h(make({script("prep", {{"who", "${user}"}}),
                  external("approve", {{"approved", value_type::bool_, true}}), external("sign"),
                  script("after", {{"result", "${approved}"}})},
                 {"result"}),
            {{"user", S("ann")}});
  auto& t1 = h.send(ev_admitted{});
  CHECK(t1.state.status == process_status::running);
  CHECK(only<fx_await_external>(t1).step_id == "p1-2");
  REQUIRE(h.state.active());
  CHECK(h.state.active()->id == "p1-2");
  CHECK(h.exec(2).status == step_status::started);
  CHECK(h.exec(2).kind == step_kind::external);
  CHECK(h.exec(2).due_ms == 0);

  h.now = 2000;
  auto& t2 = h.send(ev_completed{"p1-2", {{"approved", B(true)}}, {}, "officer-1"});
  // The history says who completed the step, and with what.
  auto* completed = find_history(t2, "step_completed");
  REQUIRE(completed);
  CHECK(completed->detail == R"(by officer-1 with {"approved":true})");
  CHECK(t2.state.status == process_status::running);
  CHECK(only<fx_await_external>(t2).step_id == "p1-3");
  CHECK(h.exec(2).status == step_status::completed);
  CHECK(h.exec(2).params == values{{"approved", B(true)}});
  CHECK(h.exec(2).modified_ms == 2000);
  CHECK(h.exec(3).status == step_status::started);
  CHECK(h.exec(3).step == "sign");
  CHECK(h.state.vals.at("approved") == B(true));
  CHECK(history_types(t2) == std::vector<std::string>{"step_completed", "step_started"});

  auto& t3 = h.send(ev_completed{"p1-3", {}, {}, {}});
  CHECK(t3.state.status == process_status::succeeded);
  CHECK(t3.state.outputs == values{{"result", B(true)}});
  CHECK(only<fx_finished>(t3).status == process_status::succeeded);
}

TEST_CASE("completing a step that is not waiting is rejected", "[model][process][external]") {
  harness h(make({script("prep"), external("wait"), http("call", "https://x")}));
  h.send(ev_admitted{});
  CHECK(h.reject(ev_completed{"p1-1", {}, {}, {}}) == "step is not waiting for completion");
  CHECK(h.reject(ev_completed{"p1-9", {}, {}, {}}) == "step is not waiting for completion");
  h.send(ev_completed{"p1-2", {}, {}, {}});
  CHECK(h.reject(ev_completed{"p1-2", {}, {}, {}}) == "step is not waiting for completion");
  // An http step waits for its answer, not for complete-step.
  CHECK(h.reject(ev_completed{"p1-3", {}, {}, {}}) == "step is not waiting for completion");
}

TEST_CASE("check_completion checks params strictly against their types",
          "[model][process][external]") {
  harness h(make({script("prep"),
                  external("wait", {{"approved", value_type::bool_, true},
                                    {"amount", value_type::long_, true},
                                    {"ratio", value_type::double_, false},
                                    {"note", value_type::string, false}}),
                  http("call", "https://x")}));
  h.send(ev_admitted{});

  SECTION("valid params; undeclared params pass through") {
    auto c = check_completion(h.state, h.def, "p1-2",
                              {{"approved", B(true)}, {"amount", I(42)}, {"extra", S("kept")}});
    CHECK(c.ok());
    CHECK(c.accepted == values{{"approved", B(true)}, {"amount", I(42)}, {"extra", S("kept")}});
  }
  SECTION("a whole number widens to double; optional params may be missing") {
    auto c = check_completion(h.state, h.def, "p1-2",
                              {{"approved", B(false)}, {"amount", I(7)}, {"ratio", I(2)}});
    CHECK(c.ok());
    CHECK(c.accepted ==
          values{{"approved", B(false)}, {"amount", I(7)}, {"ratio", value::of_number(2.0)}});
  }
  SECTION("a string that reads as a long or a flag is refused") {
    auto c = check_completion(h.state, h.def, "p1-2", {{"approved", S("Y")}, {"amount", S("42")}});
    CHECK_FALSE(c.ok());
    CHECK(c.param_errors == std::vector<std::pair<std::string, std::string>>{
                                {"approved", "expected bool"}, {"amount", "expected long"}});
  }
  SECTION("missing and wrongly typed params are each reported") {
    auto c = check_completion(
        h.state, h.def, "p1-2",
        {{"amount", S("42x")}, {"note", I(5)}, {"approved", value{}}, {"ratio", S("0.5")}});
    CHECK_FALSE(c.ok());
    CHECK_FALSE(c.step_not_waiting);
    CHECK(c.param_errors ==
          std::vector<std::pair<std::string, std::string>>{{"approved", "missing"},
                                                           {"amount", "expected long"},
                                                           {"ratio", "expected double"},
                                                           {"note", "expected string"}});
  }
  SECTION("a number with a fraction, or even a whole double, is not a long") {
    for (double d : {4.5, 42.0}) {
      auto c = check_completion(h.state, h.def, "p1-2",
                                {{"approved", B(false)}, {"amount", value::of_number(d)}});
      CHECK(c.param_errors ==
            std::vector<std::pair<std::string, std::string>>{{"amount", "expected long"}});
    }
  }
  SECTION("a step that is not waiting") {
    auto unknown = check_completion(h.state, h.def, "p1-9", {});
    CHECK(unknown.step_not_waiting);
    CHECK_FALSE(unknown.ok());
    CHECK(unknown.reason == "step is not waiting");
    auto done = check_completion(h.state, h.def, "p1-1", {});
    CHECK(done.step_not_waiting);
    CHECK(done.reason == "step is COMPLETED");
  }
  SECTION("a completed external step, and an active http step") {
    h.send(ev_completed{"p1-2", {{"approved", B(true)}, {"amount", I(1)}}, {}, {}});
    auto done = check_completion(h.state, h.def, "p1-2", {{"approved", B(true)}, {"amount", I(1)}});
    CHECK(done.step_not_waiting);
    CHECK(done.reason == "step is COMPLETED");
    auto call = check_completion(h.state, h.def, "p1-3", {});
    CHECK(call.step_not_waiting);
    CHECK(call.reason == "step is not an external step");
  }
  SECTION("a cancelled process waits for nothing") {
    h.send(ev_cancel{"stop"});
    auto c = check_completion(h.state, h.def, "p1-2", {{"approved", B(true)}, {"amount", I(1)}});
    CHECK(c.step_not_waiting);
    CHECK(c.reason == "step is SKIPPED");
  }
}

TEST_CASE("an external step's deadline fails the process", "[model][process][external]") {
  harness h(make({external("wait", {}, 5000), script("after")}));
  h.now = 1000;
  auto& t1 = h.send(ev_admitted{});
  REQUIRE(t1.effects.size() == 2);
  auto armed = std::get<fx_arm_timer>(t1.effects[0]);
  CHECK(armed.step_id == "p1-1");
  CHECK(armed.due_ms == 6000);
  CHECK_FALSE(armed.retry);
  CHECK(std::get<fx_await_external>(t1.effects[1]).step_id == "p1-1");
  CHECK(h.exec(1).due_ms == 6000);

  h.now = 6000;
  auto& t2 = h.fire_due(std::string{"p1-1"});
  CHECK(t2.state.status == process_status::failed);
  CHECK(t2.state.error == "wait: timed out after 5000 ms");
  CHECK(h.exec(1).status == step_status::failed);
  CHECK(h.exec(1).error == "timed out after 5000 ms");
  CHECK(h.state.steps.size() == 1);  // "after" never ran
  CHECK(only<fx_finished>(t2).status == process_status::failed);
}

TEST_CASE("an external step completed before its deadline ignores the late timer",
          "[model][process][external]") {
  harness h(make({external("wait", {}, 5000), external("next")}));
  h.send(ev_admitted{});
  h.send(ev_completed{"p1-1", {}, {}, {}});
  CHECK(h.exec(1).due_ms == 0);
  CHECK(h.reject(ev_due{"p1-1"}) == "nothing due for this step");
  CHECK(h.state.status == process_status::running);
}

TEST_CASE("an external step without a deadline has nothing due", "[model][process][external]") {
  harness h(make({external("wait")}));
  h.send(ev_admitted{});
  CHECK(h.reject(ev_due{"p1-1"}) == "nothing due for this step");
}

// ---- http steps ---------------------------------------------------------------------------

TEST_CASE("an http step renders url, headers and a JSON body", "[model][process][http]") {
  auto call = http("call", "https://api.example/${user}/items?n=${n}");
  call.http.method = "PUT";
  call.http.headers = {{"Authorization", "Bearer ${token}"}, {"X-Count", "${n}"}};
  call.http.body =
      R"({"n": "${n}", "greet": "hi ${name}", "raw": ${n}, "who": "${name}", "none": "${nope}", "flag": ${ok}, "obj": ${obj}})";
  call.timeout_ms = 2500;
  harness h(make({call}), {{"user", S("bob")},
                           {"n", I(5)},
                           {"token", S("t0k")},
                           {"name", S("Bo \"B\"\n")},
                           {"ok", B(true)},
                           {"obj", value::of_json(R"({"a":[1]})")}});
  auto fx = only<fx_call_http>(h.send(ev_admitted{}));
  CHECK(fx.step_id == "p1-1");
  CHECK(fx.attempt == 1);
  CHECK(fx.method == "PUT");
  CHECK(fx.url == "https://api.example/bob/items?n=5");
  CHECK(fx.timeout_ms == 2500);
  CHECK(fx.headers ==
        std::vector<std::pair<std::string, std::string>>{{"Authorization", "Bearer t0k"},
                                                         {"X-Count", "5"},
                                                         {"Idempotency-Key", "p1-1.1"},
                                                         {"Content-Type", "application/json"}});
  CHECK(
      fx.body ==
      R"({"n": 5, "greet": "hi Bo \"B\"\n", "raw": 5, "who": "Bo \"B\"\n", "none": null, "flag": true, "obj": {"a":[1]}})");
  CHECK(h.state.status == process_status::running);
  CHECK(h.exec(1).status == step_status::started);
}

TEST_CASE("a JSON body keeps escapes around holes intact", "[model][process][http]") {
  auto call = http("call", "https://x");
  call.http.body = R"({"path": "C:\\", "who": "${user}", "q": "\"${user}\"", "e": "\\${user}"})";
  harness h(make({call}), {{"user", S("bob")}});
  auto fx = only<fx_call_http>(h.send(ev_admitted{}));
  CHECK(fx.body == R"({"path": "C:\\", "who": "bob", "q": "\"bob\"", "e": "\\bob"})");
}

TEST_CASE("an http step without a body sends none", "[model][process][http]") {
  harness h(make({http("call", "https://x")}));
  auto fx = only<fx_call_http>(h.send(ev_admitted{}));
  CHECK(fx.body.empty());
  CHECK(fx.method == "POST");
  CHECK(header(fx, "Content-Type") == "<absent>");
}

TEST_CASE("an http step's own Content-Type is kept", "[model][process][http]") {
  auto call = http("call", "https://x");
  call.http.body = R"({"a": 1})";
  call.http.headers = {{"content-type", "application/vnd.acme+json"}};
  harness h(make({call}));
  auto fx = only<fx_call_http>(h.send(ev_admitted{}));
  CHECK(header(fx, "content-type") == "application/vnd.acme+json");
  CHECK(header(fx, "Content-Type") == "<absent>");
}

TEST_CASE("an http answer maps values and continues", "[model][process][http]") {
  harness h(
      make({http("call", "https://x"), script("after", {{"msg", "got ${id}"}})}, {"id", "msg"}));
  h.send(ev_admitted{});
  h.now = 1500;
  auto& t = h.send(ev_http_answered{"p1-1", 1, 201, {{"id", I(7)}}, ""});
  CHECK(t.state.status == process_status::succeeded);
  CHECK(t.state.outputs == values{{"id", I(7)}, {"msg", S("got 7")}});
  CHECK(h.exec(1).status == step_status::completed);
  CHECK(h.exec(1).params == values{{"id", I(7)}});
  auto* done = find_history(t, "step_completed");
  REQUIRE(done);
  CHECK(done->detail == "status 201");
}

TEST_CASE("the status must match expect", "[model][process][http]") {
  auto call = http("call", "https://x");
  SECTION("by default any 2xx is accepted") {
    for (int status : {200, 204, 299}) {
      harness h(make({call}));
      h.send(ev_admitted{});
      CHECK(h.send(ev_http_answered{"p1-1", 1, status, {}, ""}).state.status ==
            process_status::succeeded);
    }
    for (int status : {199, 302, 404, 500}) {
      harness h(make({call}));
      h.send(ev_admitted{});
      auto& t = h.send(ev_http_answered{"p1-1", 1, status, {}, ""});
      CHECK(t.state.status == process_status::failed);
      CHECK(t.state.error == "call: unexpected status " + std::to_string(status));
    }
  }
  SECTION("expect lists the accepted statuses") {
    call.http.expect = {201, 404};
    harness ok(make({call}));
    ok.send(ev_admitted{});
    CHECK(ok.send(ev_http_answered{"p1-1", 1, 404, {}, ""}).state.status ==
          process_status::succeeded);
    harness bad(make({call}));
    bad.send(ev_admitted{});
    auto& t = bad.send(ev_http_answered{"p1-1", 1, 200, {}, ""});
    CHECK(t.state.status == process_status::failed);
    CHECK(t.state.error == "call: unexpected status 200");
    CHECK(bad.exec(1).status == step_status::failed);
    CHECK(bad.exec(1).error == "unexpected status 200");
    CHECK(only<fx_finished>(t).status == process_status::failed);
  }
  SECTION("a transport or mapping error fails even with a good status") {
    harness h(make({call}));
    h.send(ev_admitted{});
    auto& t = h.send(ev_http_answered{"p1-1", 1, 200, {}, "no /data/id in answer"});
    CHECK(t.state.status == process_status::failed);
    CHECK(t.state.error == "call: no /data/id in answer");
  }
}

TEST_CASE("retry_delay_ms: fixed, exponential, cap and jitter", "[model][process][retry]") {
  retry_policy fixed{5, backoff_kind::fixed, 100, 1000, 0};
  for (int attempt = 1; attempt <= 5; ++attempt) CHECK(retry_delay_ms(fixed, attempt, 0.9) == 100);

  retry_policy expo{10, backoff_kind::exponential, 100, 1000, 0};
  CHECK(retry_delay_ms(expo, 1, 0.5) == 100);
  CHECK(retry_delay_ms(expo, 2, 0.5) == 200);
  CHECK(retry_delay_ms(expo, 3, 0.5) == 400);
  CHECK(retry_delay_ms(expo, 4, 0.5) == 800);
  CHECK(retry_delay_ms(expo, 5, 0.5) == 1000);  // capped
  CHECK(retry_delay_ms(expo, 6, 0.5) == 1000);
  CHECK(retry_delay_ms(expo, 5000, 0.5) == 1000);  // 2^4999 overflows to inf, still capped

  retry_policy jittered{10, backoff_kind::exponential, 1000, 60'000, 0.5};
  CHECK(retry_delay_ms(jittered, 1, 0.0) == 1000);  // jitter only shortens
  CHECK(retry_delay_ms(jittered, 1, 0.5) == 750);
  CHECK(retry_delay_ms(jittered, 2, 0.5) == 1500);
  CHECK(retry_delay_ms(jittered, 1, 0.999) == 500);
  retry_policy full{1, backoff_kind::fixed, 1000, 1000, 1.0};
  CHECK(retry_delay_ms(full, 1, 0.25) == 750);
  for (double r : {0.0, 0.1, 0.5, 0.9, 0.999999}) {
    auto d = retry_delay_ms(jittered, 3, r);
    CHECK(d >= 2000);
    CHECK(d <= 4000);
  }
}

TEST_CASE("a failing http step retries with backoff, then fails", "[model][process][retry]") {
  auto call = http("call", "https://x/${n}");
  call.retry = retry_policy{2, backoff_kind::fixed, 1000, 60'000, 0};
  harness h(make({call, script("after")}), {{"n", I(1)}});
  h.now = 1000;
  CHECK(only<fx_call_http>(h.send(ev_admitted{})).attempt == 1);

  h.now = 2000;
  auto& t1 = h.send(ev_http_answered{"p1-1", 1, 500, {}, ""});
  auto armed = only<fx_arm_timer>(t1);
  CHECK(armed.step_id == "p1-1");
  CHECK(armed.due_ms == 3000);
  CHECK(armed.retry);
  CHECK(t1.state.status == process_status::running);
  CHECK(h.exec(1).status == step_status::started);
  CHECK(h.exec(1).retry_pending);
  CHECK(h.exec(1).due_ms == 3000);
  CHECK(h.exec(1).error == "unexpected status 500");
  REQUIRE(find_history(t1, "attempt_failed"));
  CHECK(find_history(t1, "attempt_failed")->detail ==
        "attempt 1: unexpected status 500; retry in 1000 ms");

  // An answer while the backoff runs is stale.
  CHECK(h.reject(ev_http_answered{"p1-1", 1, 200, {}, ""}) == "stale answer");

  h.now = 3000;
  h.state.vals["n"] = I(2);  // the retry renders the call from current values
  auto& t2 = h.fire_due(std::string{"p1-1"});
  auto again = only<fx_call_http>(t2);
  CHECK(again.attempt == 2);
  CHECK(again.url == "https://x/2");
  CHECK(header(again, "Idempotency-Key") == "p1-1.2");
  CHECK(h.exec(1).attempt == 2);
  CHECK_FALSE(h.exec(1).retry_pending);
  CHECK(h.exec(1).due_ms == 0);
  CHECK(history_types(t2) == std::vector<std::string>{"attempt_started"});

  // An answer to the first attempt arriving late is stale.
  CHECK(h.reject(ev_http_answered{"p1-1", 1, 200, {}, ""}) == "stale answer");

  h.now = 4000;
  auto& t3 = h.send(ev_http_answered{"p1-1", 2, 0, {}, "connection refused"});
  CHECK(only<fx_arm_timer>(t3).due_ms == 5000);
  h.now = 5000;
  CHECK(only<fx_call_http>(h.fire_due(std::string{"p1-1"})).attempt == 3);

  h.now = 6000;
  auto& t4 = h.send(ev_http_answered{"p1-1", 3, 503, {}, ""});
  CHECK(t4.state.status == process_status::failed);
  CHECK(t4.state.error == "call: unexpected status 503");
  CHECK(h.exec(1).status == step_status::failed);
  CHECK(h.exec(1).error == "unexpected status 503");
  CHECK_FALSE(h.exec(1).retry_pending);
  CHECK(only<fx_finished>(t4).status == process_status::failed);
  CHECK(h.state.steps.size() == 1);

  // Nothing answers a finished process.
  CHECK(h.reject(ev_http_answered{"p1-1", 3, 200, {}, ""}) == "stale answer");
  CHECK(h.reject(ev_due{"p1-1"}) == "nothing due for this step");
}

TEST_CASE("a retried http step can still succeed", "[model][process][retry]") {
  auto call = http("call", "https://x");
  call.retry = retry_policy{1, backoff_kind::fixed, 10, 10, 0};
  harness h(make({call}, {"id"}));
  h.send(ev_admitted{});
  h.send(ev_http_answered{"p1-1", 1, 500, {}, ""});
  h.fire_due(std::string{"p1-1"});
  auto& t = h.send(ev_http_answered{"p1-1", 2, 200, {{"id", I(9)}}, ""});
  CHECK(t.state.status == process_status::succeeded);
  CHECK(t.state.outputs == values{{"id", I(9)}});
  CHECK(h.exec(1).attempt == 2);
  CHECK(h.exec(1).status == step_status::completed);
}

TEST_CASE("exponential backoff with jitter arms the computed delays", "[model][process][retry]") {
  auto call = http("call", "https://x");
  call.retry = retry_policy{3, backoff_kind::exponential, 100, 300, 0.2};
  harness h(make({call}));
  h.random = 0.5;  // each delay shortened by 10%
  h.now = 0;
  h.send(ev_admitted{});
  std::vector<std::int64_t> delays;
  for (int attempt = 1; attempt <= 3; ++attempt) {
    h.now = attempt * 10'000;
    auto& t = h.send(ev_http_answered{"p1-1", attempt, 500, {}, ""});
    delays.push_back(only<fx_arm_timer>(t).due_ms - h.now);
    h.fire_due(std::string{"p1-1"});
  }
  CHECK(delays == std::vector<std::int64_t>{90, 180, 270});
  auto& last = h.send(ev_http_answered{"p1-1", 4, 500, {}, ""});
  CHECK(last.state.status == process_status::failed);
}

TEST_CASE("the start-level retry_count applies to steps without a policy",
          "[model][process][retry]") {
  SECTION("with retry_count 1: one retry after the default 1 s") {
    harness h(make({http("call", "https://x")}));
    h.state.retry_count = 1;
    h.now = 100;
    h.send(ev_admitted{});
    auto armed = only<fx_arm_timer>(h.send(ev_http_answered{"p1-1", 1, 500, {}, ""}));
    CHECK(armed.due_ms == 1100);
    CHECK(armed.retry);
    h.fire_due(std::string{"p1-1"});
    CHECK(h.send(ev_http_answered{"p1-1", 2, 500, {}, ""}).state.status == process_status::failed);
  }
  SECTION("a step's own policy wins over retry_count") {
    auto call = http("call", "https://x");
    call.retry = retry_policy{0, backoff_kind::fixed, 1000, 1000, 0};
    harness h(make({call}));
    h.state.retry_count = 5;
    h.send(ev_admitted{});
    CHECK(h.send(ev_http_answered{"p1-1", 1, 500, {}, ""}).state.status == process_status::failed);
  }
  SECTION("with no policy and no retry_count the first failure is final") {
    harness h(make({http("call", "https://x")}));
    h.send(ev_admitted{});
    CHECK(h.send(ev_http_answered{"p1-1", 1, 500, {}, ""}).state.status == process_status::failed);
  }
}

TEST_CASE("stale http answers are rejected", "[model][process][http]") {
  harness h(make({http("call", "https://x"), external("wait")}));
  h.send(ev_admitted{});
  CHECK(h.reject(ev_http_answered{"p1-9", 1, 200, {}, ""}) == "stale answer");
  CHECK(h.reject(ev_http_answered{"p1-1", 2, 200, {}, ""}) == "stale answer");
  CHECK(h.reject(ev_http_answered{"p1-1", 0, 200, {}, ""}) == "stale answer");
  h.send(ev_http_answered{"p1-1", 1, 200, {}, ""});
  CHECK(h.state.active()->id == "p1-2");
  // A duplicate answer for a completed step, and an answer aimed at an external step.
  CHECK(h.reject(ev_http_answered{"p1-1", 1, 200, {}, ""}) == "stale answer");
  CHECK(h.reject(ev_http_answered{"p1-2", 1, 200, {}, ""}) == "stale answer");
}

// ---- timer steps --------------------------------------------------------------------------

TEST_CASE("a duration timer arms and completes when due", "[model][process][timer]") {
  harness h(make({timer("pause", "PT30S"), script("after", {{"done", "yes"}})}, {"done"}));
  h.now = 1000;
  auto armed = only<fx_arm_timer>(h.send(ev_admitted{}));
  CHECK(armed.step_id == "p1-1");
  CHECK(armed.due_ms == 31'000);
  CHECK_FALSE(armed.retry);
  CHECK(h.exec(1).due_ms == 31'000);
  CHECK(h.state.status == process_status::running);

  CHECK(h.reject(ev_due{"p1-2"}) == "nothing due for this step");

  h.now = 31'000;
  auto& t = h.fire_due(std::string{"p1-1"});
  CHECK(t.state.status == process_status::succeeded);
  CHECK(t.state.outputs == values{{"done", S("yes")}});
  CHECK(h.exec(1).status == step_status::completed);
  CHECK(h.exec(1).due_ms == 0);
  REQUIRE(find_history(t, "step_completed"));
  CHECK(find_history(t, "step_completed")->detail == "timer fired");
}

TEST_CASE("an until timer arms at the rendered instant", "[model][process][timer]") {
  const std::int64_t new_year_2024 = 1'704'067'200'000;
  auto due_for = [](value deadline) {
    harness h(make({timer("wait", "", "${deadline}")}), {{"deadline", std::move(deadline)}});
    return only<fx_arm_timer>(h.send(ev_admitted{})).due_ms;
  };
  CHECK(due_for(S("2024-01-01T00:00:00Z")) == new_year_2024);
  CHECK(due_for(S("2024-01-01T02:00:00+02:00")) == new_year_2024);
  CHECK(due_for(S("2023-12-31T19:00:00-05:00")) == new_year_2024);
  CHECK(due_for(S("2024-01-01T00:00:00.250Z")) == new_year_2024 + 250);
  CHECK(due_for(S("2024-01-01T00:00:00")) == new_year_2024);
  CHECK(due_for(S("2024-01-01 00:00:01")) == new_year_2024 + 1000);
}

TEST_CASE("an until timer that is not an instant fails the process", "[model][process][timer]") {
  for (auto bad : {S("tomorrow"), S(""), value{}, I(5)}) {
    harness h(make({timer("wait", "", "${deadline}")}), {{"deadline", bad}});
    auto& t = h.send(ev_admitted{});
    CHECK(t.state.status == process_status::failed);
    CHECK(t.state.error == "timer wait: not an instant");
    CHECK(h.exec(1).status == step_status::failed);
    CHECK(only<fx_finished>(t).status == process_status::failed);
  }
}

// ---- switch and fail ----------------------------------------------------------------------

TEST_CASE("a switch routes to the first matching case", "[model][process][switch]") {
  auto d = make(
      {switch_step("route", {{"${amount} > 1000", "big"}, {"${amount} > 100", "medium"}}, "small"),
       ending(script("big", {{"size", "big"}})), ending(script("medium", {{"size", "medium"}})),
       ending(script("small", {{"size", "small"}}))},
      {"size"});
  auto size_for = [&](std::int64_t amount) {
    harness h(d, {{"amount", I(amount)}});
    auto& t = h.send(ev_admitted{});
    CHECK(t.state.status == process_status::succeeded);
    CHECK(t.state.steps.size() == 2);
    return to_display(t.state.outputs.at("size"));
  };
  CHECK(size_for(5000) == "big");
  CHECK(size_for(500) == "medium");
  CHECK(size_for(5) == "small");

  harness h(d, {{"amount", I(5000)}});
  auto& t = h.send(ev_admitted{});
  CHECK(t.state.steps[0].status == step_status::completed);
  const auto* routed = find_history(t, "step_completed");
  REQUIRE(routed);
  CHECK(routed->detail == "next big");
}

TEST_CASE("a switch without a match and without a default fails", "[model][process][switch]") {
  harness h(make({switch_step("route", {{"${x} == 1", "a"}}), script("a")}), {{"x", I(2)}});
  auto& t = h.send(ev_admitted{});
  CHECK(t.state.status == process_status::failed);
  CHECK(t.state.error == "switch route: no case matched");
  CHECK(h.exec(1).status == step_status::failed);
  CHECK(h.exec(1).error == "no case matched");
  CHECK(only<fx_finished>(t).status == process_status::failed);
}

TEST_CASE("a switch default of \"\" ends the process", "[model][process][switch]") {
  harness h(make({switch_step("route", {{"${x} == 1", "a"}}, ""), script("a", {{"ran", "a"}})}),
            {{"x", I(2)}});
  auto& t = h.send(ev_admitted{});
  CHECK(t.state.status == process_status::succeeded);
  CHECK(t.state.vals.count("ran") == 0);
}

TEST_CASE("a switch condition that does not evaluate fails the process",
          "[model][process][switch]") {
  auto d = make({switch_step("route", {{"${x} > 1", "a"}}, "a"), script("a")});
  SECTION("type error") {
    harness h(d, {{"x", S("many")}});
    auto& t = h.send(ev_admitted{});
    CHECK(t.state.status == process_status::failed);
    CHECK(t.state.error == "cannot compare string with number");
    CHECK(h.exec(1).status == step_status::failed);
  }
  SECTION("not a bool") {
    auto d2 = make({switch_step("route", {{"${x}", "a"}}, "a"), script("a")});
    harness h(d2, {{"x", I(1)}});
    auto& t = h.send(ev_admitted{});
    CHECK(t.state.status == process_status::failed);
    CHECK(t.state.error == "condition \"${x}\" is not a bool");
  }
}

TEST_CASE("a switch can loop back through a waiting step", "[model][process][switch]") {
  auto wait = external("wait", {{"done", value_type::bool_, true}});
  auto d = make(
      {wait, switch_step("check", {{"${done} == true", "end"}}, "wait"), ending(script("end"))});
  harness h(d);
  h.send(ev_admitted{});
  auto& t1 = h.send(ev_completed{"p1-1", {{"done", B(false)}}, {}, {}});
  CHECK(only<fx_await_external>(t1).step_id == "p1-3");
  CHECK(h.exec(3).step == "wait");
  auto& t2 = h.send(ev_completed{"p1-3", {{"done", B(true)}}, {}, {}});
  CHECK(t2.state.status == process_status::succeeded);
  CHECK(h.state.steps.size() == 5);
}

TEST_CASE("a fail step fails the process with its rendered message", "[model][process][fail]") {
  harness h(make_with_unreached(
                {script("a"), fail_step("stop", "no credit for ${who}"), script("never")}),
            {{"who", S("bob")}});
  auto& t = h.send(ev_admitted{});
  CHECK(t.state.status == process_status::failed);
  CHECK(t.state.error == "no credit for bob");
  CHECK(h.exec(2).status == step_status::failed);
  CHECK(h.exec(2).error == "no credit for bob");
  CHECK(h.state.steps.size() == 2);
  CHECK(only<fx_finished>(t).status == process_status::failed);
  CHECK(history_types(t).back() == "process_failed");
  CHECK(t.history.back().detail == "no credit for bob");
}

// ---- cancel -------------------------------------------------------------------------------

TEST_CASE("cancel skips the active step and finishes", "[model][process][cancel]") {
  SECTION("a process waiting on an external step") {
    harness h(make({external("wait")}));
    h.send(ev_admitted{});
    h.now = 7000;
    auto& t = h.send(ev_cancel{"user asked"});
    CHECK(t.state.status == process_status::cancelled);
    CHECK(t.state.error == "user asked");
    CHECK(h.exec(1).status == step_status::skipped);
    CHECK(h.exec(1).modified_ms == 7000);
    CHECK(only<fx_finished>(t).status == process_status::cancelled);
    CHECK(history_types(t) == std::vector<std::string>{"step_skipped", "process_cancelled"});
    CHECK(h.state.active() == nullptr);
    // The step can no longer be completed.
    CHECK(h.reject(ev_completed{"p1-1", {}, {}, {}}) == "step is not waiting for completion");
  }
  SECTION("a process in an http backoff") {
    auto call = http("call", "https://x");
    call.retry = retry_policy{3, backoff_kind::fixed, 1000, 1000, 0};
    harness h(make({call}));
    h.send(ev_admitted{});
    h.send(ev_http_answered{"p1-1", 1, 500, {}, ""});
    REQUIRE(h.exec(1).retry_pending);
    auto& t = h.send(ev_cancel{"stop"});
    CHECK(t.state.status == process_status::cancelled);
    CHECK(h.exec(1).status == step_status::skipped);
    CHECK_FALSE(h.exec(1).retry_pending);
    CHECK(h.reject(ev_due{"p1-1"}) == "nothing due for this step");
  }
  SECTION("a process still queued") {
    harness h(make({external("wait")}));
    auto& t = h.send(ev_cancel{"not needed"});
    CHECK(t.state.status == process_status::cancelled);
    CHECK(t.state.steps.empty());
    CHECK(history_types(t) == std::vector<std::string>{"process_cancelled"});
    CHECK(only<fx_finished>(t).status == process_status::cancelled);
    CHECK(h.reject(ev_admitted{}) == "process is not waiting");
  }
}

TEST_CASE("cancelling a finished process is rejected", "[model][process][cancel]") {
  harness h(make({script("a")}));
  h.send(ev_admitted{});
  REQUIRE(h.state.status == process_status::succeeded);
  CHECK(h.reject(ev_cancel{"late"}) == "process is already SUCCEEDED");
  harness f(make({fail_step("f", "x")}));
  f.send(ev_admitted{});
  CHECK(f.reject(ev_cancel{"late"}) == "process is already FAILED");
  harness c(make({external("w")}));
  c.send(ev_cancel{"once"});
  CHECK(c.reject(ev_cancel{"twice"}) == "process is already CANCELLED");
}

// ---- execute ------------------------------------------------------------------------------

TEST_CASE("execute fires a waiting timer now", "[model][process][execute]") {
  harness h(make({timer("pause", "P1D"), external("next")}));
  h.send(ev_admitted{});
  auto& t = h.send(ev_execute{"p1-1"});
  CHECK(h.exec(1).status == step_status::completed);
  CHECK(only<fx_await_external>(t).step_id == "p1-2");
  REQUIRE(find_history(t, "step_completed"));
  CHECK(find_history(t, "step_completed")->detail == "executed before its time");
}

TEST_CASE("execute on a completed step is a recorded no-op", "[model][process][execute]") {
  harness h(make({script("prep"), external("wait")}));
  h.send(ev_admitted{});
  auto seq = h.state.history_seq;
  h.now = 4242;
  auto& t = h.send(ev_execute{"p1-1"});
  CHECK(t.rejected.empty());
  CHECK(t.effects.empty());
  REQUIRE(t.history.size() == 1);
  CHECK(t.history[0].type == "execute_ignored");
  CHECK(t.history[0].step_id == "p1-1");
  CHECK(t.history[0].detail == "already COMPLETED");
  CHECK(t.history[0].seq == seq + 1);
  CHECK(h.exec(1).status == step_status::completed);
  CHECK(h.exec(2).status == step_status::started);
  CHECK(h.state.status == process_status::running);

  // On a finished process, every step is ignored the same way.
  h.send(ev_completed{"p1-2", {}, {}, {}});
  auto& t2 = h.send(ev_execute{"p1-2"});
  CHECK(history_types(t2) == std::vector<std::string>{"execute_ignored"});
  CHECK(t2.effects.empty());
}

TEST_CASE("execute on an unknown step is rejected", "[model][process][execute]") {
  harness h(make({external("wait")}));
  h.send(ev_admitted{});
  CHECK(h.reject(ev_execute{"p1-7"}) == "unknown step");
  CHECK(h.reject(ev_execute{"other-1"}) == "unknown step");
}

TEST_CASE("execute on an http step re-issues or retries now", "[model][process][execute]") {
  auto call = http("call", "https://x");
  call.retry = retry_policy{2, backoff_kind::fixed, 60'000, 60'000, 0};
  harness h(make({call}));
  h.send(ev_admitted{});
  // In flight: the same attempt again, with the same Idempotency-Key.
  auto again = only<fx_call_http>(h.send(ev_execute{"p1-1"}));
  CHECK(again.attempt == 1);
  CHECK(header(again, "Idempotency-Key") == "p1-1.1");
  // In backoff: the next attempt now, without waiting for the timer.
  h.send(ev_http_answered{"p1-1", 1, 500, {}, ""});
  auto retried = only<fx_call_http>(h.send(ev_execute{"p1-1"}));
  CHECK(retried.attempt == 2);
  CHECK(header(retried, "Idempotency-Key") == "p1-1.2");
  // The backoff timer of attempt 1 then finds nothing due.
  CHECK(h.reject(ev_due{"p1-1"}) == "nothing due for this step");
}

TEST_CASE("execute on an external step completes it only without required params",
          "[model][process][execute]") {
  harness strict(make({external("wait", {{"x", value_type::long_, true}})}));
  strict.send(ev_admitted{});
  CHECK(strict.reject(ev_execute{"p1-1"}) == "step expects params; use complete-step");

  harness lax(make({external("wait", {{"x", value_type::long_, false}})}));
  lax.send(ev_admitted{});
  auto& t = lax.send(ev_execute{"p1-1"});
  CHECK(t.state.status == process_status::succeeded);
  CHECK(lax.exec(1).status == step_status::completed);
}

// ---- sandbox ------------------------------------------------------------------------------

TEST_CASE("a sandbox scenario answers for the world", "[model][process][sandbox]") {
  auto d = make({http("lookup", "https://x"), timer("pause", "P7D"),
                 external("approve", {{"approved", value_type::bool_, true}}),
                 script("after", {{"summary", "${id}/${approved}"}})},
                {"summary"});
  scenario happy;
  happy.id = "happy";
  happy.steps["lookup"] = scenario_step{{{"id", I(42)}}, std::nullopt, std::nullopt};
  happy.steps["approve"] = scenario_step{{}, std::nullopt, values{{"approved", B(true)}}};
  d.scenarios.push_back(happy);
  REQUIRE(validate(d).empty());

  harness h(d);
  h.sandbox = d.find_scenario("happy");
  auto& t = h.send(ev_admitted{});
  CHECK(t.state.status == process_status::succeeded);
  CHECK(t.state.outputs == values{{"summary", S("42/true")}});
  CHECK(only<fx_finished>(t).status == process_status::succeeded);
  REQUIRE(h.state.steps.size() == 4);
  CHECK(h.exec(1).params == values{{"id", I(42)}});
  CHECK(h.exec(3).params == values{{"approved", B(true)}});
  std::vector<std::string> details;
  for (const auto& e : t.history) {
    if (e.type == "step_completed") details.push_back(e.detail);
  }
  CHECK(details == std::vector<std::string>{"sandbox scenario", "sandbox: virtual time",
                                            "sandbox scenario", ""});
}

TEST_CASE("a sandbox scenario can fail a step", "[model][process][sandbox]") {
  auto d = make({http("lookup", "https://x"), script("never")});
  scenario broken;
  broken.id = "broken";
  broken.steps["lookup"] = scenario_step{{}, std::string("delegate down"), std::nullopt};
  d.scenarios.push_back(broken);
  harness h(d);
  h.sandbox = &d.scenarios[0];
  auto& t = h.send(ev_admitted{});
  CHECK(t.state.status == process_status::failed);
  CHECK(t.state.error == "delegate down");
  CHECK(h.exec(1).status == step_status::failed);
  CHECK(h.exec(1).error == "delegate down");
  CHECK(h.state.steps.size() == 1);
}

TEST_CASE("a sandbox step without canned results: a form waits, a call is not made",
          "[model][process][sandbox]") {
  auto d = make({external("wait"), http("call", "https://x"), timer("nap", "P1D")});
  scenario partial;
  partial.id = "partial";
  d.scenarios.push_back(partial);
  SECTION("with a scenario") {
    harness h(d);
    h.sandbox = &d.scenarios[0];
    CHECK(only<fx_await_external>(h.send(ev_admitted{})).step_id == "p1-1");
    auto& t = h.send(ev_completed{"p1-1", {}, {}, {}});
    CHECK(t.state.status == process_status::succeeded);
    CHECK(h.exec(2).params.empty());
  }
  SECTION("a sandbox process without one (sandbox mode, or sandbox: true)") {
    harness h(d);
    h.state.sandbox = true;
    CHECK(only<fx_await_external>(h.send(ev_admitted{})).step_id == "p1-1");
    auto& t = h.send(ev_completed{"p1-1", {}, {}, {}});
    CHECK(t.state.status == process_status::succeeded);
    std::vector<std::string> details;
    for (const auto& e : t.history) {
      if (e.type == "step_completed") details.push_back(e.detail);
    }
    CHECK(details ==
          std::vector<std::string>{"", "sandbox: no call made", "sandbox: virtual time"});
  }
}

// ---- resume -------------------------------------------------------------------------------

TEST_CASE("resume_effects re-issues what a waiting process waits for", "[model][process][resume]") {
  SECTION("queued and finished processes need nothing") {
    harness h(make({external("wait")}));
    CHECK(resume_effects(h.state, h.def).empty());
    h.send(ev_admitted{});
    h.send(ev_completed{"p1-1", {}, {}, {}});
    CHECK(resume_effects(h.state, h.def).empty());
  }
  SECTION("an external step without a deadline") {
    harness h(make({external("wait")}));
    h.send(ev_admitted{});
    auto fx = resume_effects(h.state, h.def);
    REQUIRE(fx.size() == 1);
    CHECK(std::get<fx_await_external>(fx[0]).step_id == "p1-1");
  }
  SECTION("an external step with a deadline") {
    harness h(make({external("wait", {}, 5000)}));
    h.now = 100;
    h.send(ev_admitted{});
    auto fx = resume_effects(h.state, h.def);
    REQUIRE(fx.size() == 2);
    auto armed = std::get<fx_arm_timer>(fx[0]);
    CHECK(armed.step_id == "p1-1");
    CHECK(armed.due_ms == 5100);
    CHECK_FALSE(armed.retry);
    CHECK(std::get<fx_await_external>(fx[1]).step_id == "p1-1");
  }
  SECTION("a timer") {
    harness h(make({timer("pause", "PT1M")}));
    h.now = 100;
    h.send(ev_admitted{});
    auto fx = resume_effects(h.state, h.def);
    REQUIRE(fx.size() == 1);
    auto armed = std::get<fx_arm_timer>(fx[0]);
    CHECK(armed.due_ms == 60'100);
    CHECK_FALSE(armed.retry);
  }
  SECTION("an http call in flight is issued again") {
    auto call = http("call", "https://x/${n}");
    call.retry = retry_policy{3, backoff_kind::fixed, 1000, 1000, 0};
    harness h(make({call}), {{"n", I(1)}});
    h.send(ev_admitted{});
    h.send(ev_http_answered{"p1-1", 1, 500, {}, ""});
    h.fire_due(std::string{"p1-1"});
    auto fx = resume_effects(h.state, h.def);
    REQUIRE(fx.size() == 1);
    auto again = std::get<fx_call_http>(fx[0]);
    CHECK(again.step_id == "p1-1");
    CHECK(again.attempt == 2);
    CHECK(again.url == "https://x/1");
    CHECK(header(again, "Idempotency-Key") == "p1-1.2");
  }
  SECTION("an http step in backoff re-arms its retry timer") {
    auto call = http("call", "https://x");
    call.retry = retry_policy{3, backoff_kind::fixed, 1000, 1000, 0};
    harness h(make({call}));
    h.now = 500;
    h.send(ev_admitted{});
    h.send(ev_http_answered{"p1-1", 1, 500, {}, ""});
    auto fx = resume_effects(h.state, h.def);
    REQUIRE(fx.size() == 1);
    auto armed = std::get<fx_arm_timer>(fx[0]);
    CHECK(armed.due_ms == 1500);
    CHECK(armed.retry);
  }
}

// ---- inputs -------------------------------------------------------------------------------

TEST_CASE("check_inputs fills defaults, requires, converts and keeps extras",
          "[model][process][inputs]") {
  definition d;
  d.name = "Inputs";
  d.inputs = {{"name", value_type::string, true, std::nullopt},
              {"count", value_type::long_, false, value::of_string("10")},
              {"ratio", value_type::double_, false, std::nullopt},
              {"flag", value_type::bool_, false, value::of_bool(false)}};
  SECTION("all good") {
    auto c = check_inputs(d, {{"name", S("ann")}, {"count", S("42")}, {"extra", I(1)}});
    CHECK(c.errors.empty());
    CHECK(c.accepted ==
          values{{"name", S("ann")}, {"count", I(42)}, {"flag", B(false)}, {"extra", I(1)}});
  }
  SECTION("defaults are converted to the declared type") {
    auto c = check_inputs(d, {{"name", S("ann")}});
    CHECK(c.accepted.at("count") == I(10));
    CHECK(c.accepted.count("ratio") == 0);
  }
  SECTION("null counts as missing") {
    auto c = check_inputs(d, {{"name", value{}}, {"count", value{}}});
    CHECK(c.errors == std::vector<std::pair<std::string, std::string>>{{"name", "required"}});
    CHECK(c.accepted.at("count") == I(10));
  }
  SECTION("every error is reported") {
    auto c = check_inputs(d, {{"count", S("4.5")}, {"ratio", S("x")}, {"flag", S("maybe")}});
    CHECK(c.errors == std::vector<std::pair<std::string, std::string>>{{"name", "required"},
                                                                       {"count", "expected long"},
                                                                       {"ratio", "expected double"},
                                                                       {"flag", "expected bool"}});
  }
  SECTION("numbers and flags sent as strings convert") {
    auto c = check_inputs(d, {{"name", I(7)}, {"ratio", S("0.5")}, {"flag", S("true")}});
    CHECK(c.errors.empty());
    CHECK(c.accepted.at("name") == S("7"));
    CHECK(c.accepted.at("ratio") == value::of_number(0.5));
    CHECK(c.accepted.at("flag") == B(true));
  }
}

// ---- ids and names ------------------------------------------------------------------------

TEST_CASE("process_id_of_step", "[model][process][ids]") {
  CHECK(process_id_of_step("abc-1") == std::string_view("abc"));
  CHECK(process_id_of_step("0000018c2a3b0001000000ff-12") ==
        std::string_view("0000018c2a3b0001000000ff"));
  CHECK(process_id_of_step("a-b-3") == std::string_view("a-b"));
  CHECK_FALSE(process_id_of_step("abc"));
  CHECK_FALSE(process_id_of_step("abc-"));
  CHECK_FALSE(process_id_of_step("-1"));
  CHECK_FALSE(process_id_of_step("abc-x1"));
  CHECK_FALSE(process_id_of_step("abc-1x"));
  CHECK_FALSE(process_id_of_step(""));

  // Every execution id the machine makes routes back to its process.
  harness h(make({external("a"), external("b")}));
  h.state.id = id_generator(1).next(1'700'000'000'000);
  h.send(ev_admitted{});
  h.send(ev_completed{h.state.steps[0].id, {}, {}, {}});
  for (const auto& e : h.state.steps) CHECK(process_id_of_step(e.id) == h.state.id);
}

TEST_CASE("id_generator makes ordered, well-formed ids", "[model][ids]") {
  id_generator gen(7);
  std::vector<std::string> ids;
  std::int64_t now = 1'700'000'000'000;
  for (int i = 0; i < 1000; ++i) {
    if (i % 100 == 0) now += 1;
    ids.push_back(gen.next(now));
  }
  ids.push_back(gen.next(now - 5000));  // the clock stepped back: still ordered
  ids.push_back(gen.next(now + 1));
  CHECK(std::is_sorted(ids.begin(), ids.end()));
  CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == ids.size());
  for (const auto& id : ids) CHECK(is_id(id));

  auto id = id_generator(0x1234, 0xff).next(0x18c2a3b4c5d);
  CHECK(id == "018c2a3b4c5d123400000100");
  // Different nodes never collide at the same instant and sequence.
  CHECK(id_generator(1).next(5) != id_generator(2).next(5));
  CHECK(id_generator(1).next(5) < id_generator(1).next(6));
}

TEST_CASE("is_id accepts only 24 lowercase hex digits", "[model][ids]") {
  CHECK(is_id("0123456789abcdef01234567"));
  CHECK_FALSE(is_id("0123456789ABCDEF01234567"));
  CHECK_FALSE(is_id("0123456789abcdef0123456"));
  CHECK_FALSE(is_id("0123456789abcdef012345678"));
  CHECK_FALSE(is_id("0123456789abcdef0123456g"));
  CHECK_FALSE(is_id(""));
  CHECK_FALSE(is_id("0123456789abcdef0123456-"));
}

TEST_CASE("id_from_name is stable and distinct", "[model][ids]") {
  CHECK(id_from_name("OneStepNotepadRunner") == id_from_name("OneStepNotepadRunner"));
  CHECK(id_from_name("a") != id_from_name("b"));
  CHECK(is_id(id_from_name("a")));
  CHECK(is_id(id_from_name("")));
}

TEST_CASE("status names round-trip", "[model][process]") {
  for (auto s : {process_status::waiting, process_status::running, process_status::succeeded,
                 process_status::failed, process_status::cancelled}) {
    CHECK(parse_process_status(to_string(s)) == s);
  }
  CHECK_FALSE(parse_process_status("running"));
  CHECK(to_string(step_status::created) == "CREATED");
  CHECK(to_string(step_status::started) == "STARTED");
  CHECK(to_string(step_status::completed) == "COMPLETED");
  CHECK(to_string(step_status::failed) == "FAILED");
  CHECK(to_string(step_status::skipped) == "SKIPPED");
  CHECK(is_terminal(process_status::cancelled));
  CHECK_FALSE(is_terminal(process_status::running));
  CHECK_FALSE(is_terminal(process_status::waiting));
}

TEST_CASE("a callback is worth sending on the end and on coming to rest at a new wait",
          "[model][callback]") {
  using namespace baton::model;
  process_state queued;
  queued.status = process_status::waiting;
  auto at = [](step_kind kind, std::string id, bool retry = false) {
    process_state p;
    p.status = process_status::running;
    step_execution e;
    e.id = std::move(id);
    e.kind = kind;
    e.status = step_status::started;
    e.retry_pending = retry;
    p.steps.push_back(e);
    return p;
  };
  auto ended = at(step_kind::script, "p-1");
  ended.steps.back().status = step_status::completed;
  ended.status = process_status::succeeded;

  CHECK(worth_a_callback(queued, at(step_kind::external, "p-1")));
  CHECK(worth_a_callback(queued, at(step_kind::timer, "p-1")));
  CHECK(worth_a_callback(at(step_kind::external, "p-1"), at(step_kind::external, "p-2")));
  CHECK(worth_a_callback(at(step_kind::external, "p-1"), ended));
  CHECK(worth_a_callback(queued, ended));

  CHECK_FALSE(worth_a_callback(queued, queued));                             // still queued
  CHECK_FALSE(worth_a_callback(queued, at(step_kind::http, "p-1")));         // working, not parked
  CHECK_FALSE(worth_a_callback(queued, at(step_kind::timer, "p-1", true)));  // a retry backoff
  CHECK_FALSE(worth_a_callback(at(step_kind::timer, "p-1"), at(step_kind::timer, "p-1")));
  CHECK_FALSE(worth_a_callback(ended, ended));  // told once
}

TEST_CASE("a FAILED process retried runs again from the step that failed", "[model][process]") {
  harness h(make({script("prepare", {{"n", "1"}}), http("call", "https://x/${sku}"),
                  script("after", {{"done", "yes"}})}));
  h.send(ev_admitted{});
  h.send(ev_http_answered{"p1-2", 1, 500, {}, ""});
  REQUIRE(h.state.status == process_status::failed);

  SECTION("with new values, as a new execution of the failed step") {
    auto& t = h.send(ev_retry{"ops", {{"sku", S("B-2")}}});
    REQUIRE(t.rejected.empty());
    CHECK(h.state.status == process_status::running);
    CHECK(h.state.error.empty());
    REQUIRE(h.state.steps.size() == 3);
    CHECK(h.exec(3).step == "call");
    CHECK(h.exec(3).attempt == 1);
    auto calls = effects_of<fx_call_http>(t);
    REQUIRE(calls.size() == 1);
    CHECK(calls[0].url == "https://x/B-2");
    auto* retried = find_history(t, "process_retried");
    REQUIRE(retried);
    CHECK(retried->detail.find("by ops") != std::string::npos);
    CHECK(retried->detail.find("from step call") != std::string::npos);
    h.send(ev_http_answered{"p1-3", 1, 200, {}, ""});
    CHECK(h.state.status == process_status::succeeded);
    CHECK(h.state.steps.size() == 4);  // the earlier steps do not run again
  }
  SECTION("executing the failed step does the same") {
    auto& t = h.send(ev_execute{"p1-2"});
    REQUIRE(t.rejected.empty());
    CHECK(h.state.status == process_status::running);
    CHECK(h.exec(3).step == "call");
  }
}

TEST_CASE("only a FAILED process can be retried", "[model][process]") {
  harness h(make({external("wait")}));
  h.send(ev_admitted{});
  CHECK(h.reject(ev_retry{"ops", {}}) == "process is RUNNING, not FAILED");
  h.send(ev_cancel{"no"});
  CHECK(h.reject(ev_retry{"ops", {}}) == "process is CANCELLED, not FAILED");
}

TEST_CASE("a call refused before it is made fails the step at once, whatever its retries",
          "[model][process][http]") {
  auto call = http("call", "https://evil.example.com/x");
  call.retry = retry_policy{3, backoff_kind::fixed, 1000, 1000, 0};
  harness h(make({call}));
  h.send(ev_admitted{});
  ev_http_answered refused{"p1-1", 1, 0, {}, "host not allowed: evil.example.com"};
  refused.permanent = true;
  auto& t = h.send(refused);
  CHECK(t.state.status == process_status::failed);
  CHECK(t.state.error.find("not retried") != std::string::npos);
  CHECK(h.exec(1).status == step_status::failed);
  CHECK(effects_of<fx_arm_timer>(t).empty());  // no backoff armed
}
