#pragma once

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <memory>

#include "actors/messages.hpp"
#include "actors/scheduler.hpp"

namespace baton::actors {

struct engine_context;

/// Keeps every schedule and fires them. All due times sit in one ordered map with a single
/// wake-up armed for the earliest, so 100k idle schedules cost memory, not CPU.
///
///   create ─► validate ─► persist ─► arm next fire
///   wake-up ─► plan_fires (misfire policy) ─► batchable? (no scope, overlap allow)
///     yes ─► fire_batch: new process + idempotency key per fire time, and its run carrying
///            the schedule's next fire, in one write with up to ~1k other fires ─► durable ─►
///            count, launch actors for processes with work left, arm next fire
///     no  ─► per fire time: overlap check ─► start process (scheduler, scope queue) ─►
///            all answered ─► persist runs + next ─► arm next fire
///
/// A batched fire and its schedule's advance are durable together or not at all. A fire
/// started one by one has its process stored before the schedule moves on; a crash in
/// between fires the same time again after restart, and the idempotency key
/// "schedule:<id>:<fire ms>" turns that into a no-op (a restored schedule's first batched
/// fire looks the key up too), so a schedule never starts two processes for one fire time.
using trigger_actor = caf::typed_actor<caf::replies_to<schedule_create>::with<schedule_answer>,
                                       caf::replies_to<schedule_change>::with<schedule_answer>,
                                       caf::reacts_to<schedule_restore>, caf::reacts_to<write_done>,
                                       caf::reacts_to<tick_atom>, caf::reacts_to<partitions_lost>>;

/// Spawns the trigger monitored by `parent` (the scheduler, its supervisor).
trigger_actor spawn_trigger(scheduler_actor::pointer parent, std::shared_ptr<engine_context> ctx);

}  // namespace baton::actors
