#pragma once

#include <memory>

#include <caf/fwd.hpp>

namespace baton::actors {

struct engine_context;

/// Owns admission and time on one node: starts processes, routes commands to process actors
/// (rehydrating passivated ones from their snapshot), keeps one scope queue per scope, and
/// keeps every due time (timer steps, deadlines) in one ordered structure with a single
/// wake-up armed for the earliest, so idle timers cost no CPU.
///
///   start ─► [scope? reserve] ─► spawn process ─► (process persists, answers)
///   command ─► live process? ─no─► load snapshot ─► spawn ─► deliver
///   passivate_request ─► nothing in flight to it? ─► forget it, tell it to quit
caf::actor spawn_scheduler(caf::actor_system& sys, std::shared_ptr<engine_context> ctx);

/// Applies retry backoffs and restarts crashed process actors from their snapshot.
caf::actor spawn_retry(caf::actor_system& sys, std::shared_ptr<engine_context> ctx);

}  // namespace baton::actors
