#pragma once

#include <cstdint>
#include <string>
#include <variant>

#include "actors/engine.hpp"
#include "actors/process_launch.hpp"
#include "model/process.hpp"

namespace baton::actors {

struct engine_context;

/// What a start needs before a process exists, shared by the scheduler's start (one process
/// actor per start) and the trigger's batched fires (many processes in one write).

/// Checks `req` (definition, scenario, inputs) and builds the new process `id` as of `now_ms`.
/// The scope is not reserved here: that is the scheduler's business.
/// @returns the launch (not yet admitted), or the answer that refuses the start.
std::variant<process_launch, process_answer> prepare_launch(const engine_context& ctx,
                                                            start_request& req, std::string id,
                                                            std::int64_t now_ms);

/// The first transition of a new process: "process_created", and when it is `admitted` (it
/// has its scope slot or needs none), every step it runs at once up to its first wait.
model::transition first_transition(model::process_state created, const model::definition& def,
                                   const model::scenario* scenario, bool admitted,
                                   std::int64_t now_ms);

/// Counters for /metrics once a new process is durably stored.
void count_stored_start(engine_context& ctx);
/// Counters for /metrics once a process' end is durably stored (its `fx_finished`).
void count_finished(engine_context& ctx, model::process_status status);

}  // namespace baton::actors
