#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <functional>

namespace baton::actors {

struct outside_call;

/// Where callers outside the actor system (HTTP io threads) come in. Such a caller cannot
/// wait for a reply, so it hands the bridge a call to make; the bridge makes the typed
/// request and passes the reply (or the error, e.g. a timeout) to the caller's callback.
using bridge_actor = caf::typed_actor<caf::reacts_to<outside_call>>;

/// A request to make on behalf of a caller outside the actor system. Process-local: it holds
/// the caller's callback, which means nothing on another node.
struct outside_call {
  std::function<void(bridge_actor::pointer)> run;
};

bridge_actor spawn_bridge(caf::actor_system& sys);

}  // namespace baton::actors

// The first of the two process-local message types (see above).
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(baton::actors::outside_call)
