// A parent and its children as actors: what a parent that left memory costs when its children
// end, and that a restart starts again only the children it still waits for.

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "tests/actors/engine_fixture.hpp"

using namespace baton;
using namespace baton::testing;
using namespace std::chrono_literals;
using model::process_status;
using model::value;

namespace {

/// Three items, each a child process parked at an external step.
constexpr const char* sign_all = R"({"name": "SignAll", "outputs": ["signatures"],
  "inputs": {"people": {"type": "json"}},
  "steps": [
    {"id": "each", "kind": "forEach", "items": "${people}", "as": "person", "parallel": true,
     "steps": ["sign"], "collect": {"signatures": "signature"}},
    {"id": "sign", "kind": "external", "params": {"signature": "string"}}]})";

actors::start_request sign_request() {
  actors::start_request r;
  r.definition = "SignAll";
  r.values["people"] = value::of_json(R"(["ada", "grace", "edsger"])");
  return r;
}

model::values signature(std::string s) { return {{"signature", value::of_string(std::move(s))}}; }

std::vector<std::string> child_ids(engine_fixture& fx, const std::string& parent) {
  std::vector<std::string> out;
  for (const auto& c : fx.load(parent).children) out.push_back(c.id);
  return out;
}

}  // namespace

TEST_CASE("a parent that left memory does not start its children again when one ends",
          "[actors][children]") {
  engine_options options;
  options.passivate_after = 100ms;
  engine_fixture fx(options);
  fx.deploy(sign_all);
  auto& ctx = fx.context();

  auto parent = fx.start(sign_request());
  REQUIRE(parent.code == actors::engine_errc::ok);
  auto children = child_ids(fx, parent.process_id);
  REQUIRE(children.size() == 3);
  fx.advance(100ms);
  REQUIRE(ctx.live.load() == 0);  // the parent and its three children all left memory

  // Each end loads the parent. It takes the end and waits on, without starting the
  // children it waits for again (each a read of their start's key, per load).
  for (std::size_t i = 0; i < children.size(); ++i) {
    auto done = fx.complete(fx.active_step(children[i]), signature("s" + std::to_string(i)));
    REQUIRE(done.code == actors::engine_errc::ok);
    fx.settle();
    fx.advance(100ms);
  }
  CHECK(ctx.starts_replayed.load() == 0);
  auto p = fx.load(parent.process_id);
  CHECK(p.status == process_status::succeeded);
  CHECK(model::list_items(p.outputs.at("signatures")) ==
        std::vector<value>{value::of_string("s0"), value::of_string("s1"), value::of_string("s2")});
}

TEST_CASE("after a restart a parent starts again the children it waits for, and only those",
          "[actors][children]") {
  engine_options options;
  options.passivate_after = 100ms;
  engine_fixture fx(options);
  fx.deploy(sign_all);

  auto parent = fx.start(sign_request());
  auto children = child_ids(fx, parent.process_id);
  REQUIRE(children.size() == 3);
  REQUIRE(fx.complete(fx.active_step(children[0]), signature("s0")).code ==
          actors::engine_errc::ok);
  fx.settle();

  fx.restart();
  // Two children still run: their starts are replayed from their keys, nothing new starts.
  CHECK(fx.context().starts_replayed.load() == 2);
  CHECK(child_ids(fx, parent.process_id) == children);
  for (std::size_t i = 1; i < children.size(); ++i) {
    REQUIRE(fx.complete(fx.active_step(children[i]), signature("s" + std::to_string(i))).code ==
            actors::engine_errc::ok);
    fx.settle();
  }
  CHECK(fx.status(parent.process_id) == process_status::succeeded);
}
