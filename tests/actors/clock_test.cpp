// The engine's wall clock under test is CAF's virtual time: `advance` moves timers and "now"
// together, and a restart's downtime moves "now" on.

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "tests/actors/engine_fixture.hpp"

using namespace baton;
using namespace std::chrono_literals;
using actors::engine_errc;
using model::process_status;
using testing::engine_fixture;

namespace {

constexpr const char* until = R"({"name": "Until", "inputs": {"at": {"type": "string"}},
  "steps": [{"id": "wait", "kind": "timer", "until": "${at}"}]})";

}  // namespace

TEST_CASE("the engine reads CAF's virtual time as its wall clock", "[actors][clock]") {
  engine_fixture fx;
  const auto t0 = fx.now();
  CHECK(fx.engine().now_ms() == t0);
  fx.advance(1500ms);
  CHECK(fx.now() == t0 + 1500);
  CHECK(fx.engine().now_ms() == t0 + 1500);
  fx.restart(60s);
  CHECK(fx.engine().now_ms() == t0 + 61'500);
  fx.advance(500ms);
  CHECK(fx.engine().now_ms() == t0 + 62'000);
}

TEST_CASE("a timer until an instant without offset waits until that UTC instant",
          "[actors][clock][time]") {
  engine_fixture fx;
  fx.deploy(until);
  // The fixture's clock starts at 2023-11-14T22:13:20Z.
  REQUIRE(fx.now() == 1'700'000'000'000);
  std::vector<std::string> ids;
  for (const char* at : {"2023-11-14T22:13:25", "2023-11-14 22:13:25", "2023-11-14T23:13:25+01:00",
                         "2023-11-14T22:13:25.000Z"}) {
    INFO(at);
    actors::start_request r;
    r.definition = "Until";
    r.values["at"] = model::value::of_string(at);
    auto a = fx.start(std::move(r));
    REQUIRE(a.code == engine_errc::ok);
    auto p = fx.load(a.process_id);
    CHECK(p.status == process_status::running);
    CHECK(p.steps.at(0).due_ms == 1'700'000'005'000);
    ids.push_back(a.process_id);
  }
  fx.advance(4999ms);
  for (const auto& id : ids) CHECK(fx.status(id) == process_status::running);
  fx.advance(1ms);
  for (const auto& id : ids) CHECK(fx.status(id) == process_status::succeeded);
}
