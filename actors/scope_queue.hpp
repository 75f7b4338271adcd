#pragma once

#include <memory>
#include <string>

#include <caf/fwd.hpp>

namespace baton::actors {

struct engine_context;

/// One concurrency scope: admits processes in FIFO order up to its limit.
///
///   reserve(id, reject) ─► slot free and nobody queued? ─yes─► admitted (running += id)
///                                   │ no
///                                   ├─ reject or policy reject ─► rejected (409)
///                                   └─ queued (FIFO)
///   release(id) ─► running -= id (or dequeued) ─► admit the head while slots are free
caf::actor spawn_scope_queue(caf::event_based_actor* parent, std::shared_ptr<engine_context> ctx,
                             std::string name);

}  // namespace baton::actors
