#include "model/definition.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

using namespace baton::model;

namespace {

step script_step(std::string id, std::vector<std::pair<std::string, std::string>> set = {}) {
  step s;
  s.id = std::move(id);
  s.kind = step_kind::script;
  s.set = std::move(set);
  return s;
}

step http_step(std::string id, std::string url) {
  step s;
  s.id = std::move(id);
  s.kind = step_kind::http;
  s.http.url = std::move(url);
  return s;
}

step external_step(std::string id) {
  step s;
  s.id = std::move(id);
  s.kind = step_kind::external;
  return s;
}

step timer_step(std::string id, std::string duration, std::string until = {}) {
  step s;
  s.id = std::move(id);
  s.kind = step_kind::timer;
  s.duration = std::move(duration);
  s.until = std::move(until);
  return s;
}

definition make(std::vector<step> steps) {
  definition d;
  d.name = "Example";
  d.steps = std::move(steps);
  return d;
}

std::vector<std::string> problems(const definition& d) {
  std::vector<std::string> out;
  for (const auto& p : validate(d)) out.push_back(p.to_string());
  return out;
}

}  // namespace

TEST_CASE("a well-formed definition has no problems", "[model][definition][validate]") {
  definition d = make({});
  d.inputs = {{"username", value_type::string, true, std::nullopt},
              {"surname", value_type::string, false, std::nullopt},
              {"deadline", value_type::string, false, std::nullopt},
              {"amount", value_type::long_, false, value::of_string("10")}};
  d.outputs = {"x"};
  d.steps.push_back(script_step("compose", {{"x", "${username} ${surname}"}}));
  auto call = http_step("call", "https://example.com/${username}");
  call.http.headers = {{"X-User", "${username}"}};
  call.http.body = R"({"n": ${amount}})";
  call.http.expect = {200, 201};
  call.http.map = {{"id", "/data/id"}, {"all", ""}};
  call.retry = retry_policy{3, backoff_kind::exponential, 100, 1000, 0.5};
  d.steps.push_back(call);
  auto wait = external_step("approve");
  wait.params = {{"approved", value_type::bool_, true}};
  wait.timeout_ms = 60'000;
  d.steps.push_back(wait);
  d.steps.push_back(timer_step("pause", "PT1M"));
  d.steps.push_back(timer_step("until", "", "${deadline}"));
  step sw;
  sw.id = "route";
  sw.kind = step_kind::switch_;
  sw.cases = {{"${approved} == true", "done"}, {"${amount} > 100", "done"}};
  sw.default_next = "rejected";
  d.steps.push_back(sw);
  step rejected;
  rejected.id = "rejected";
  rejected.kind = step_kind::fail;
  rejected.message = "rejected ${username}";
  d.steps.push_back(rejected);
  d.steps.push_back(script_step("done"));
  d.scenarios = {{"happy",
                  {{"call", {{{"id", value::of_integer(1)}}, {}, {}}},
                   {"approve", {{}, {}, values{{"approved", value::of_bool(true)}}}}}}};
  CHECK(problems(d).empty());
}

TEST_CASE("an unknown next names the pointer and the target", "[model][definition][validate]") {
  auto d = make({script_step("a"), script_step("b"), script_step("c")});
  d.steps[2].next = "notfy";
  CHECK(problems(d) == std::vector<std::string>{"/steps/2/next: unknown step \"notfy\""});
  // "" ends the process and is not a reference.
  d.steps[2].next = "";
  CHECK(problems(d).empty());
  d.steps[0].next = "c";  // b is skipped now: nothing leads to it
  CHECK(problems(d) ==
        std::vector<std::string>{"/steps/1: step \"b\" is never reached: no step leads to it"});
}

TEST_CASE("a ${name} that no input, output or step gives is refused, with a did-you-mean",
          "[model][definition][validate]") {
  auto d = make({script_step("compose", {{"greeting", "hello ${nme}"}})});
  d.inputs = {{"name", value_type::string, true, std::nullopt}};
  d.outputs = {"greeting"};
  CHECK(problems(d) == std::vector<std::string>{
                           "/steps/0/set/greeting: ${nme} names no input, output or value a step "
                           "sets; did you mean \"name\"?"});
  // A value a later step sets is known; so is every name with "extraValues".
  d.steps.push_back(script_step("later", {{"nme", "x"}}));
  CHECK(problems(d).empty());
  d.steps.pop_back();
  d.extra_values = true;
  CHECK(problems(d).empty());
  // Without declared inputs any value may come with the start: nothing to check against.
  d.extra_values = false;
  d.inputs.clear();
  CHECK(problems(d).empty());
}

TEST_CASE("a switch's targets are reached, and a fail step ends its branch",
          "[model][definition][validate]") {
  step sw;
  sw.id = "route";
  sw.kind = step_kind::switch_;
  sw.cases = {{"${x} == 1", "yes"}};
  sw.default_next = "no";
  step no;
  no.id = "no";
  no.kind = step_kind::fail;
  no.message = "no";
  auto d = make({sw, script_step("yes"), no, script_step("after_fail")});
  d.steps[1].next = "";
  CHECK(problems(d) == std::vector<std::string>{"/steps/3: step \"after_fail\" is never reached: "
                                                "no step leads to it"});
}

TEST_CASE("validate reports every problem, not just the first", "[model][definition][validate]") {
  auto d = make({script_step("a"), script_step("a"), script_step("")});
  d.steps[0].next = "nope";
  d.steps[1].next = "missing";
  auto found = problems(d);
  CHECK(found == std::vector<std::string>{
                     "/steps/1/id: duplicate step id \"a\"",
                     "/steps/2/id: required",
                     "/steps/0/next: unknown step \"nope\"",
                     "/steps/1/next: unknown step \"missing\"",
                 });
}

TEST_CASE("definition name and inputs are checked", "[model][definition][validate]") {
  auto d = make({script_step("a")});
  d.name = "";
  CHECK(problems(d) == std::vector<std::string>{"/name: required"});
  d.name = "1 bad";
  CHECK(problems(d) == std::vector<std::string>{"/name: invalid name \"1 bad\""});
  d.name = "Good";
  d.inputs = {{"9lives", value_type::string, false, std::nullopt},
              {"n", value_type::long_, false, value::of_string("4.5")},
              {"flag", value_type::bool_, false, value::of_string("yes")},
              {"ok", value_type::long_, false, value::of_string("42")},
              {"n", value_type::string, false, std::nullopt}};
  CHECK(problems(d) == std::vector<std::string>{
                           "/inputs/9lives: invalid name",
                           "/inputs/n/default: not a long",
                           "/inputs/flag/default: not a bool",
                           "/inputs/n: duplicate input \"n\"",
                       });
}

TEST_CASE("a definition needs steps", "[model][definition][validate]") {
  auto d = make({});
  CHECK(problems(d) == std::vector<std::string>{"/steps: a definition needs at least one step"});
}

TEST_CASE("timers need exactly one valid duration or until", "[model][definition][validate]") {
  auto d = make({timer_step("neither", ""), timer_step("both", "PT1S", "${t}"),
                 timer_step("bad", "soon"), timer_step("worse", "PT1X"),
                 timer_step("until", "", "${unterminated"), timer_step("ok", "30s"),
                 timer_step("ok2", "", "2024-01-01T00:00:00Z")});
  CHECK(problems(d) == std::vector<std::string>{
                           "/steps/0: a timer needs exactly one of \"duration\" and \"until\"",
                           "/steps/1: a timer needs exactly one of \"duration\" and \"until\"",
                           "/steps/2/duration: not a duration: \"soon\" (use PT30S or 30s)",
                           "/steps/3/duration: not a duration: \"PT1X\" (use PT30S or 30s)",
                           "/steps/4/until: unterminated ${ at position 0",
                       });
}

TEST_CASE("a literal until must be an instant at deploy, not at run time",
          "[model][definition][validate]") {
  auto d =
      make({timer_step("words", "", "yesterday"), timer_step("day", "", "2024-02-30T00:00:00Z"),
            timer_step("later", "", "${when}"), timer_step("huge", "PT99999999999999999H")});
  CHECK(problems(d) ==
        std::vector<std::string>{
            "/steps/0/until: not an ISO-8601 instant: \"yesterday\" (use 2030-01-31T12:00:00Z or "
            "${value})",
            "/steps/1/until: not an ISO-8601 instant: \"2024-02-30T00:00:00Z\" (use "
            "2030-01-31T12:00:00Z or ${value})",
            "/steps/3/duration: not a duration: \"PT99999999999999999H\" (use PT30S or 30s)",
        });
}

TEST_CASE("names and ids are bounded", "[model][definition][validate]") {
  const std::string fits(200, 'a'), long_one(201, 'a');
  auto d = make({script_step(fits)});
  d.name = fits;
  CHECK(problems(d).empty());
  d.name = long_one;
  d.steps = {script_step(long_one)};
  d.steps[0].name = std::string(10'000, 'n');
  d.inputs = {{long_one, value_type::string, false, std::nullopt}};
  CHECK(problems(d) == std::vector<std::string>{
                           "/name: longer than 200 bytes",
                           "/inputs/0: longer than 200 bytes",
                           "/steps/0/id: longer than 200 bytes",
                           "/steps/0/name: longer than 200 bytes",
                       });
}

TEST_CASE("switches need cases with parsing conditions and known targets",
          "[model][definition][validate]") {
  step empty;
  empty.id = "empty";
  empty.kind = step_kind::switch_;
  step sw;
  sw.id = "route";
  sw.kind = step_kind::switch_;
  sw.cases = {{"${a} === 1", "end"},
              {"${a} + 1", "end"},
              {"${1bad}", "end"},
              {"${a} == 1", ""},
              {"'x", "nowhere"}};
  sw.default_next = "also_nowhere";
  auto d = make({empty, sw, script_step("end")});
  CHECK(problems(d) ==
        std::vector<std::string>{
            "/steps/0/cases: a switch needs at least one case",
            "/steps/1/cases/0/when: unexpected '='; expected ${name}, a literal or '(' at "
            "position 7",
            "/steps/1/cases/1/when: unexpected '+' at position 5",
            "/steps/1/cases/2/when: invalid name \"1bad\" at position 2",
            "/steps/1/cases/3/next: required",
            "/steps/1/cases/4/when: unterminated string at position 0",
            "/steps/1/cases/4/next: unknown step \"nowhere\"",
            "/steps/1/default: unknown step \"also_nowhere\"",
        });
}

TEST_CASE("http steps are checked", "[model][definition][validate]") {
  auto no_url = http_step("no_url", "");
  auto bad = http_step("bad", "https://x/${id");
  bad.http.headers = {{"X-A", "${1}"}, {"X-B", "fine ${b}"}};
  bad.http.body = R"({"a": "${}"})";
  bad.http.map = {{"id", "data/id"}, {"ok", "/data/ok"}};
  bad.http.expect = {200, 99, 600};
  auto d = make({no_url, bad});
  CHECK(problems(d) == std::vector<std::string>{
                           "/steps/0/http/url: required",
                           "/steps/1/http/url: unterminated ${ at position 10",
                           "/steps/1/http/headers/X-A: invalid name \"1\" at position 2",
                           "/steps/1/http/body: invalid name \"\" at position 9",
                           "/steps/1/http/map/id: not a JSON pointer: \"data/id\"",
                           "/steps/1/http/expect/1: not an HTTP status",
                           "/steps/1/http/expect/2: not an HTTP status",
                       });
}

TEST_CASE("retry policies and timeouts are checked", "[model][definition][validate]") {
  auto s = http_step("call", "https://x");
  s.retry = retry_policy{-1, backoff_kind::fixed, -5, -10, 1.5};
  s.timeout_ms = -1;
  auto d = make({s});
  CHECK(problems(d) == std::vector<std::string>{
                           "/steps/0/retry/count: must be 0 or more",
                           "/steps/0/retry/initialMs: must be 0 or more",
                           "/steps/0/retry/maxMs: must be at least initialMs",
                           "/steps/0/retry/jitter: must be between 0 and 1",
                           "/steps/0/timeoutMs: must be 0 or more",
                       });
  d.steps[0].retry = retry_policy{2, backoff_kind::exponential, 100, 100, 0};
  d.steps[0].timeout_ms = 0;
  CHECK(problems(d).empty());
  d.steps[0].retry->jitter = -0.1;
  CHECK(problems(d) == std::vector<std::string>{"/steps/0/retry/jitter: must be between 0 and 1"});
}

TEST_CASE("script, external and fail steps are checked", "[model][definition][validate]") {
  auto script = script_step("s", {{"ok", "${a}"}, {"1bad", "x"}, {"t", "${oops"}});
  auto ext = external_step("e");
  ext.params = {{"good", value_type::long_, true}, {"bad name", value_type::string, true}};
  step fail;
  fail.id = "f";
  fail.kind = step_kind::fail;
  fail.message = "failed because ${";
  auto d = make({script, ext, fail});
  CHECK(problems(d) == std::vector<std::string>{
                           "/steps/0/set/1bad: invalid name",
                           "/steps/0/set/t: unterminated ${ at position 0",
                           "/steps/1/params/1/name: invalid name",
                           "/steps/2/message: unterminated ${ at position 15",
                       });
}

TEST_CASE("scenarios name real http or external steps", "[model][definition][validate]") {
  auto d = make({script_step("prep"), http_step("call", "https://x"), external_step("wait")});
  scenario s;
  s.id = "happy";
  s.steps["call"] = {};
  s.steps["wait"] = {};
  s.steps["ghost"] = {};
  s.steps["prep"] = {};
  d.scenarios.push_back(s);
  // std::map orders the scenario's steps by id.
  CHECK(problems(d) ==
        std::vector<std::string>{
            "/scenarios/happy/steps/ghost: unknown step \"ghost\"",
            "/scenarios/happy/steps/prep: only http, external, job and message steps take "
            "canned results",
        });
}

TEST_CASE("definition lookups", "[model][definition]") {
  auto d = make({script_step("a"), http_step("b", "u"), external_step("c")});
  d.scenarios = {{"s1", {}}, {"s2", {}}};
  REQUIRE(d.find_step("b"));
  CHECK(d.find_step("b")->kind == step_kind::http);
  CHECK_FALSE(d.find_step("z"));
  CHECK(d.step_index("c") == 2u);
  CHECK_FALSE(d.step_index("z"));
  REQUIRE(d.find_scenario("s2"));
  CHECK(d.find_scenario("s2")->id == "s2");
  CHECK_FALSE(d.find_scenario("s3"));
}

TEST_CASE("step kinds round-trip", "[model][definition]") {
  for (auto k : {step_kind::script, step_kind::http, step_kind::external, step_kind::timer,
                 step_kind::switch_, step_kind::fail}) {
    CHECK(parse_step_kind(to_string(k)) == k);
  }
  CHECK(to_string(step_kind::switch_) == "switch");
  CHECK_FALSE(parse_step_kind("Script"));
  CHECK_FALSE(parse_step_kind("switch_"));
}

TEST_CASE("parse_duration_ms reads ISO-8601 durations", "[model][definition][duration]") {
  CHECK(parse_duration_ms("PT30S") == 30'000);
  CHECK(parse_duration_ms("PT1H30M") == 5'400'000);
  CHECK(parse_duration_ms("P1D") == 86'400'000);
  CHECK(parse_duration_ms("P1W") == 7 * 86'400'000LL);
  CHECK(parse_duration_ms("P1DT2H") == 86'400'000 + 7'200'000);
  CHECK(parse_duration_ms("PT0.5S") == 500);
  CHECK(parse_duration_ms("PT1M1.25S") == 61'250);
  CHECK(parse_duration_ms("PT0S") == 0);
  CHECK(parse_duration_ms("P2DT3H4M5S") == 2 * 86'400'000LL + 3 * 3'600'000 + 4 * 60'000 + 5'000);
}

TEST_CASE("parse_duration_ms reads short durations", "[model][definition][duration]") {
  CHECK(parse_duration_ms("30s") == 30'000);
  CHECK(parse_duration_ms("500ms") == 500);
  CHECK(parse_duration_ms("5m") == 300'000);
  CHECK(parse_duration_ms("2h") == 7'200'000);
  CHECK(parse_duration_ms("1d") == 86'400'000);
  CHECK(parse_duration_ms("1.5s") == 1'500);
  CHECK(parse_duration_ms("0ms") == 0);
}

TEST_CASE("parse_duration_ms rejects what it does not understand",
          "[model][definition][duration]") {
  for (const char* bad : {"",
                          "P",
                          "PT",
                          "30",
                          "s",
                          "ms",
                          "-5s",
                          "5 s",
                          "5S",
                          "5sec",
                          "abc",
                          "PT-1S",
                          "P1H",
                          "PT1D",
                          "P1M",
                          "PT30",
                          "PT1H2",
                          "P1DT1D",
                          "PTT1S",
                          "PT1S2",
                          "PTS",
                          "1,5s",
                          "P-1D",
                          "pt30s",
                          "PT1.2.3S",
                          "5x",
                          "1e999s",
                          "PT99999999999999999999S",
                          "99999999999999999999d"}) {
    INFO(bad);
    CHECK_FALSE(parse_duration_ms(bad));
  }
}

TEST_CASE("definition_problem reads as pointer and message", "[model][definition]") {
  definition_problem p{"/steps/2/next", "unknown step \"notfy\""};
  CHECK(p.to_string() == "/steps/2/next: unknown step \"notfy\"");
}
