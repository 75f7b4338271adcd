#pragma once

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <memory>
#include <string>

#include "actors/messages.hpp"
#include "actors/scheduler.hpp"
#include "actors/store_reader.hpp"

namespace baton::actors {

struct engine_context;

/// One concurrency scope: admits processes in FIFO order up to its limit.
///
///   reserve(id, reject) ─► slot free and nobody queued? ─yes─► admitted (running += id)
///                                   │ no
///                                   ├─ reject or policy reject ─► rejected (409)
///                                   └─ queued (FIFO)
///   release(id) ─► running -= id (or dequeued) ─► admit the head while slots are free
using scope_queue_actor =
    caf::typed_actor<caf::replies_to<reserve_atom, std::string, bool>::with<admission>,
                     caf::reacts_to<release_atom, std::string>, caf::reacts_to<scope_restore>,
                     caf::replies_to<scope_query>::with<scope_info>,
                     caf::replies_to<scope_configure>::with<scope_answer>,
                     caf::reacts_to<write_done>>;

/// Spawns the queue linked to `parent` (the scheduler), so a shutdown takes it along. It
/// holds every request until `reader` has read its stored settings.
/// @param restoring a queue that replaces one that failed: it also holds every request until
///        it gets its processes as stored (`scope_restore`)
scope_queue_actor spawn_scope_queue(scheduler_actor::pointer parent,
                                    std::shared_ptr<engine_context> ctx, std::string name,
                                    store_reader_actor reader, bool restoring = false);

}  // namespace baton::actors
