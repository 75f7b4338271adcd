#pragma once

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <cstdint>
#include <memory>

#include "actors/messages.hpp"
#include "actors/scheduler.hpp"

namespace baton::actors {

struct engine_context;

/// One live process: applies events through the pure state machine, persists the snapshot
/// and history in one batch, and only then performs the effects and answers.
///
///   spawn ──► [persist] ──► idle ◄──────────────┐
///                             │ event / complete │ answered
///                             ▼                  │
///                          writing ──write_done─►┘   (events arriving meanwhile queue up)
///   idle for passivate_after, or terminal ──► passivate_request ──ok──► quit
using process_actor =
    caf::typed_actor<caf::replies_to<process_command>::with<process_answer>,
                     caf::replies_to<complete_step>::with<process_answer>,
                     caf::reacts_to<engine_event>, caf::reacts_to<write_done>,
                     caf::reacts_to<resume_atom>, caf::reacts_to<http_result>,
                     caf::reacts_to<idle_atom, std::uint64_t>, caf::reacts_to<passivate_atom>,
                     caf::reacts_to<wait_atom, std::uint64_t>, caf::reacts_to<announce_atom>,
                     caf::reacts_to<children_atom>>;

/// Spawns the actor monitored by `parent` (the scheduler): a link would put an entry per
/// live process into the parent's attachables, which every exit searches one by one.
/// @param answer who waits for the new process (a start), or nobody (a loaded process)
process_actor spawn_process(scheduler_actor::pointer parent, std::shared_ptr<engine_context> ctx,
                            process_launch launch,
                            caf::typed_response_promise<process_answer> answer = {});

}  // namespace baton::actors
