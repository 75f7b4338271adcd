#pragma once

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <memory>

#include "actors/messages.hpp"
#include "actors/scheduler.hpp"

namespace baton::actors {

struct engine_context;

/// Applies retry backoffs and restarts crashed process actors from their snapshot.
///
///   schedule_retry ─► wait until due ─► ev_due to the scheduler
///   process_crashed ─► crashed ≤ 5 times lately? ─yes─► wait (backoff) ─► restart_process
///                                                └─no──► leave it stored, to be retried when
///                                                         next touched
/// Its memory of crashes is bounded: a process that has not crashed for 10 minutes is
/// forgotten, and at most 10,000 are remembered.
using retry_actor =
    caf::typed_actor<caf::reacts_to<schedule_retry>, caf::reacts_to<process_crashed>>;

/// Spawns the retry actor monitored by `parent` (the scheduler, its supervisor).
retry_actor spawn_retry(scheduler_actor::pointer parent, std::shared_ptr<engine_context> ctx);

}  // namespace baton::actors
