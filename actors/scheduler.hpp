#pragma once

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <memory>
#include <vector>

#include "actors/messages.hpp"

namespace baton::actors {

struct engine_context;

/// Owns admission and time on one node: starts processes, routes commands to process actors
/// (rehydrating passivated ones from their snapshot), keeps one scope queue per scope, and
/// keeps every due time (timer steps, deadlines) in one ordered structure with a single
/// wake-up armed for the earliest, so idle timers cost no CPU.
///
///   start ─► [scope? reserve] ─► spawn process ─► (process persists, answers)
///   command ─► live process? ─no─► load snapshot ─► spawn ─► delegate
///   passivate_request ─► nothing in flight to it? ─► forget it, tell it to quit
using scheduler_actor = caf::typed_actor<
    caf::replies_to<start_process>::with<process_answer>,
    caf::replies_to<process_command>::with<process_answer>,
    caf::replies_to<complete_step>::with<process_answer>, caf::reacts_to<engine_event>,
    caf::reacts_to<start_answered>, caf::reacts_to<admit_process>, caf::reacts_to<arm_timer>,
    caf::reacts_to<disarm_timer>, caf::reacts_to<tick_atom>, caf::reacts_to<process_finished>,
    caf::reacts_to<passivate_request>, caf::reacts_to<idle_due>, caf::reacts_to<restart_process>,
    caf::reacts_to<launch_stored>, caf::reacts_to<recovered_work>, caf::reacts_to<resume_atom>,
    caf::reacts_to<scope_restore>, caf::replies_to<scope_query>::with<scope_info>,
    caf::replies_to<scope_list_query>::with<std::vector<scope_info>>,
    caf::replies_to<scope_configure>::with<scope_answer>,
    // Handed on to the system actors the scheduler supervises (see `spawn_scheduler`).
    caf::reacts_to<schedule_retry>, caf::replies_to<schedule_create>::with<schedule_answer>,
    caf::replies_to<schedule_change>::with<schedule_answer>, caf::reacts_to<schedule_restore>,
    caf::replies_to<deploy_definition>::with<deploy_answer>,
    caf::replies_to<retire_definition>::with<retire_answer>,
    caf::reacts_to<reload_atom>,  // read the schedules again for a restarted trigger
    caf::reacts_to<load_scope>,   // read a scope's processes again for a restarted queue
    // In a cluster: partitions taken and lost, and resuming one taken once it is read.
    caf::reacts_to<ownership_changed>, caf::reacts_to<load_partition>,
    caf::reacts_to<load_job_steps>, caf::replies_to<retry_in_scope>::with<process_answer>>;

/// The scheduler, which supervises the engine's system actors: it spawns the retry actor,
/// the trigger and the deployer, monitors them, and restarts one that fails (the trigger
/// from the schedules as stored). Everything for them comes through the scheduler, so
/// nobody holds a handle that a restart makes stale. Each is registered in the actor
/// system's registry under its name ("retry", "trigger", "deployer") for operators and
/// tests.
///
///   system actor down with an error ─► respawn ─► (trigger: read schedules ─► restore)
scheduler_actor spawn_scheduler(caf::actor_system& sys, std::shared_ptr<engine_context> ctx);

}  // namespace baton::actors
