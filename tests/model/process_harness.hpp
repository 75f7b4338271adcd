// What the state machine's tests share: a process driven event by event through `apply`, and
// builders of the steps and definitions they run.
#pragma once

#include <catch2/catch.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/process.hpp"

namespace baton::model::testing {

inline definition make_definition(std::string name, std::vector<step> steps) {
  definition d;
  d.name = std::move(name);
  d.steps = std::move(steps);
  auto problems = validate(d);
  for (const auto& p : problems) INFO(p.to_string());
  REQUIRE(problems.empty());
  return d;
}

inline step script_step(std::string id, std::string name, std::string tmpl) {
  step s;
  s.id = std::move(id);
  s.name = s.id;
  s.kind = step_kind::script;
  s.set = {{std::move(name), std::move(tmpl)}};
  return s;
}

inline retry_policy retries(int count, std::int64_t initial_ms = 1000) {
  retry_policy r;
  r.count = count;
  r.initial_ms = initial_ms;
  r.max_ms = initial_ms;
  return r;
}

inline param_decl param(std::string name, value_type type) { return {std::move(name), type, true}; }

/// One process ("p1") of `def`, at virtual time `now`; `send` applies an event and keeps the
/// state when the event applied.
struct harness {
  definition def;
  process_state state;
  std::int64_t now = 1000;
  transition last;

  explicit harness(definition d) : def(std::move(d)) {
    state.id = "p1";
    state.definition = def.name;
    state.version = def.version;
    state.created_ms = now;
  }
  transition& send(const event& ev) {
    last = apply(state, def, ev, apply_context{now, 0.5, nullptr});
    if (last.rejected.empty()) state = last.state;
    return last;
  }
  /// Sends an event that must not apply: nothing changes, nothing happens.
  std::string reject(const event& ev) {
    auto before = state;
    auto& t = send(ev);
    CHECK(t.effects.empty());
    CHECK(state == before);
    return t.rejected;
  }
  /// The effects of kind T of the last transition.
  template <class T>
  std::vector<T> effects() const {
    std::vector<T> out;
    for (const auto& fx : last.effects)
      if (const auto* e = std::get_if<T>(&fx)) out.push_back(*e);
    return out;
  }
  std::vector<fx_job> jobs() const { return effects<fx_job>(); }
  std::vector<fx_arm_timer> timers() const { return effects<fx_arm_timer>(); }
  const step_execution& exec() const { return state.steps.back(); }
};

}  // namespace baton::model::testing
