#include "actors/bridge.hpp"

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>

namespace baton::actors {

namespace {

bridge_actor::behavior_type bridge(bridge_actor::pointer self) {
  return {
      [=](outside_call& call) { call.run(self); },
  };
}

}  // namespace

bridge_actor spawn_bridge(caf::actor_system& sys) { return sys.spawn(bridge); }

}  // namespace baton::actors
