#pragma once

#include <memory>

#include <caf/fwd.hpp>

namespace baton::actors {

struct engine_context;

/// Keeps every schedule and fires them. All due times sit in one ordered map with a single
/// wake-up armed for the earliest, so 100k idle schedules cost memory, not CPU.
///
///   create ─► validate ─► persist ─► arm next fire
///   wake-up ─► plan_fires (misfire policy) ─► per fire time: overlap check ─► start process
///          (idempotency key "schedule:<id>:<fire ms>") ─► all answered ─► persist runs + next
///
/// A fire's process is stored before the schedule moves on; a crash in between fires the
/// same time again after restart, and the idempotency key turns that into a no-op, so a
/// schedule never starts two processes for one fire time.
caf::actor spawn_trigger(caf::actor_system& sys, std::shared_ptr<engine_context> ctx);

}  // namespace baton::actors
