// Every message type of the `baton` block goes through CAF's binary serializer and back
// unchanged, alone and inside a CAF message of an actor system that registered the block:
// what a node needs to send it to another.

#include "actors/messages.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/deep_to_string.hpp>
#include <caf/message.hpp>
#include <catch2/catch.hpp>
#include <utility>

#include "tests/actors/definitions.hpp"
#include "tests/actors/engine_fixture.hpp"

using namespace baton;
using namespace baton::actors;

namespace {

template <class T>
std::vector<char> bytes_of(const T& x) {
  std::vector<char> buf;
  caf::binary_serializer sink{nullptr, buf};
  REQUIRE_FALSE(sink(const_cast<T&>(x)));
  return buf;
}

/// Bytes → value → bytes is the identity, and the value prints.
template <class T>
T round_trip(const T& original) {
  auto bytes = bytes_of(original);
  T copy{};
  caf::binary_deserializer source{nullptr, bytes};
  REQUIRE_FALSE(source(copy));
  CHECK(source.remaining() == 0);
  CHECK(bytes_of(copy) == bytes);
  CHECK_FALSE(caf::deep_to_string(copy).empty());
  return copy;
}

template <caf::type_id_t... Is>
std::size_t round_trip_defaults(std::integer_sequence<caf::type_id_t, Is...>) {
  constexpr auto first = caf::id_block::baton::begin;
  (static_cast<void>(round_trip(typename caf::type_by_id<first + Is>::type{})), ...);
  return sizeof...(Is);
}

struct registered_system {
  registered_system() {
    add_message_types(cfg);
    sys.emplace(cfg);
  }
  caf::actor_system_config cfg;
  std::optional<caf::actor_system> sys;
};

/// Through a CAF message, as the middleman sends it: type names looked up in the system.
template <class T>
T through_message(caf::actor_system& sys, const T& x) {
  auto msg = caf::make_message(x);
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  REQUIRE_FALSE(sink(msg));
  caf::message copy;
  caf::binary_deserializer source{sys, buf};
  REQUIRE_FALSE(source(copy));
  REQUIRE(copy.match_element<T>(0));
  return copy.get_as<T>(0);
}

model::values sample_values() {
  return {{"s", model::value::of_string("x")},
          {"i", model::value::of_integer(7)},
          {"j", model::value::of_json("[1]")}};
}

}  // namespace

TEST_CASE("every message type round-trips through the binary serializer", "[actors][messages]") {
  using block = caf::id_block::baton;
  auto n =
      round_trip_defaults(std::make_integer_sequence<caf::type_id_t, block::end - block::begin>{});
  CHECK(n == block::end - block::begin);

  start_request r;
  r.definition = "Wait";
  r.version = 3;
  r.values = sample_values();
  r.scope = "s";
  r.idempotency_key = "k";
  r.callback = model::callback_target{"http://cb.test/x", {{"h", "v"}}, {}};
  r.wait_timeout_ms = 500;
  auto start = round_trip(start_process{r});
  CHECK(start.request.values == r.values);
  CHECK(start.request.callback->url == "http://cb.test/x");
  CHECK(start.request.wait_timeout_ms == 500);

  auto cancel = round_trip(process_command{"p1", model::ev_cancel{"why"}, engine_errc::conflict});
  CHECK(std::get<model::ev_cancel>(cancel.event).reason == "why");
  auto completed = round_trip(complete_step{"p1", "p1-2", sample_values(), {}, "someone"});
  CHECK(completed.params.at("i").integer == 7);

  auto failed = round_trip(write_done{9, storage::status{storage::storage_errc::no_space, "full"}});
  CHECK(failed.token == 9);
  CHECK(failed.written.code() == storage::storage_errc::no_space);
  CHECK(round_trip(write_done{1, {}}).written.ok());

  process_answer a;
  a.code = engine_errc::invalid_params;
  a.field_errors = {{"answer", "required"}};
  a.next_step_id = "p1-3";
  a.outputs = sample_values();
  auto answered = round_trip(start_answered{"k", a});
  CHECK(answered.answer.field_errors == a.field_errors);
  CHECK(answered.answer.next_step_id == a.next_step_id);

  auto def = std::make_shared<const model::definition>(testing::definition_of(testing::defs::wait));
  auto deployed = round_trip(deploy_answer{engine_errc::ok, {}, def, true});
  REQUIRE(deployed.definition);
  CHECK(deployed.definition->source == def->source);
  CHECK(round_trip(deploy_definition{*def}).definition.steps.size() == def->steps.size());
  auto retired = round_trip(retire_answer{engine_errc::ok, {}, def, model::retirement{42, "ops"}});
  CHECK(retired.retired == model::retirement{42, "ops"});
  CHECK(round_trip(retire_definition{"Loan", "ops"}).by == "ops");

  process_launch l;
  l.state.id = "p1";
  l.state.vals = sample_values();
  l.effects = {model::fx_arm_timer{"p1-1", 1000, true}};
  l.callback = r.callback;
  auto launched = round_trip(launch_stored{{l}});
  REQUIRE(launched.launches.size() == 1);
  CHECK(std::get<model::fx_arm_timer>(launched.launches[0].effects[0]).retry);

  auto loaded = round_trip(loaded_process{{}, l.state});
  CHECK(loaded.state->vals == l.state.vals);
  auto info = round_trip(scope_answer{
      engine_errc::ok, {}, {"s", 2, true, false, {"a"}, {"b", "c"}, engine_errc::ok, {}}});
  CHECK(info.info.queued == std::vector<std::string>{"b", "c"});
}

TEST_CASE("messages cross a registered actor system's serializer by type name",
          "[actors][messages]") {
  registered_system reg;
  auto& sys = *reg.sys;
  auto cmd = through_message(sys, complete_step{"p1", "p1-2", sample_values(), {}, "someone"});
  CHECK(cmd.step_id == "p1-2");
  auto scopes = through_message(
      sys, std::vector<scope_info>{{"s", 1, false, true, {}, {}, engine_errc::ok, {}}});
  REQUIRE(scopes.size() == 1);
  CHECK(scopes[0].paused);
  auto query = through_message(sys, scope_configure{"s", {5, std::nullopt, true}});
  CHECK(query.settings.limit == 5);
  CHECK_FALSE(query.settings.reject_when_busy);
}
